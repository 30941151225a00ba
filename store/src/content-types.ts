// The media type an artifact is stored and served with, from its file name.

export function contentTypeOf(path: string): string {
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const types: Record<string, string> = {
    json: 'application/json',
    mp4: 'video/mp4',
    wav: 'audio/wav',
    mp3: 'audio/mpeg',
    m4a: 'audio/mp4',
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    srt: 'application/x-subrip',
    vtt: 'text/vtt',
    ass: 'text/x-ssa',
    txt: 'text/plain; charset=utf-8',
  };
  return (extension && types[extension]) || 'application/octet-stream';
}
