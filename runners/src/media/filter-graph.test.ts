import { describe, expect, it } from 'vitest';
import {
  BrollCoverageError,
  buildAudioMeasureInvocation,
  buildEpisodeInvocations,
  buildVideoInvocation,
  duckingCompressor,
  escapeFilterValue,
  planBroll,
  planEpisode,
  picturePartsList,
  pictureParts,
  planPictureParts,
  planTimeline,
  relabelGraph,
  VOICE_REFERENCE_LUFS,
  type EpisodeGraphInput,
} from './filter-graph.ts';
import type { ChannelFormat } from './frame.ts';
import type { LoudnormMeasurement } from './loudness.ts';

const format: ChannelFormat = {
  aspectRatio: '16:9',
  targetDurationSeconds: 60,
  layout: 'avatar-pip',
  captions: { burnIn: true, style: 'karaoke' },
  intro: { durationSeconds: 2 },
  outro: { durationSeconds: 3, text: 'Subscribe' },
  music: { uri: 'file:///music.m4a', volumeDb: -20, duckingDb: 12 },
  brandColor: '#1e66f5',
};

const beats = [
  { id: 'beat-1', start: 0.2, end: 4 },
  { id: 'beat-2', start: 4, end: 9.5 },
];

function graphInput(overrides: Partial<EpisodeGraphInput> = {}): EpisodeGraphInput {
  return {
    format,
    narrationAudioPath: '/w/narration.wav',
    narrationSeconds: 10,
    beats,
    avatarPath: '/w/avatar.mp4',
    clips: [
      { path: '/w/a.mp4', beatId: 'beat-1', durationSeconds: 6 },
      { path: '/w/b.mp4', beatId: 'beat-2', durationSeconds: 2 },
      { path: '/w/c.mp4', beatId: 'beat-2', durationSeconds: 2 },
    ],
    musicPath: '/w/music.m4a',
    overlayAssPath: '/w/overlay.ass',
    fontsDir: '/usr/share/fonts/truetype/dejavu',
    voiceGainDb: 4.4,
    ...overrides,
  };
}

const loudness: LoudnormMeasurement = { inputI: -17.3, inputTp: -5, inputLra: 7.9, inputThresh: -28.9 };
const encode = { outputPath: '/w/video.mp4', picturesPath: '/w/video.pictures.mp4', soundPath: '/w/video.sound.m4a', loudness };

/** The value following `flag` in an argument list. */
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
const inputFiles = (args: string[]) => args.flatMap((a, i) => (args[i - 1] === '-i' ? [a] : []));

describe('planTimeline', () => {
  it('counts frames for intro, narration and outro and cuts the narration at the beats', () => {
    const timeline = planTimeline(format, 10.01, beats);
    expect(timeline).toMatchObject({
      introFrames: 60,
      narrationFrames: 301,
      outroFrames: 90,
      totalFrames: 451,
      frame: { width: 1920, height: 1080 },
    });
    expect(timeline.beats).toEqual([
      { id: 'beat-1', startFrame: 0, endFrame: 120 },
      { id: 'beat-2', startFrame: 120, endFrame: 301 },
    ]);
    expect(timeline.chapterStarts).toEqual([0, 6]);
  });

  it('uses 1080x1920 for 9:16 and the defaults for missing intro and outro', () => {
    const timeline = planTimeline({ aspectRatio: '9:16', targetDurationSeconds: 30 }, 5, [{ id: 'b', start: 0, end: 5 }]);
    expect(timeline.frame).toEqual({ width: 1080, height: 1920 });
    expect(timeline.introSeconds).toBe(3);
    expect(timeline.outroSeconds).toBe(4);
  });

  it('refuses an empty narration', () => {
    expect(() => planTimeline(format, 0, beats)).toThrow(/positive/);
    expect(() => planTimeline(format, 5, [])).toThrow(/no beats/);
  });
});

describe('planBroll', () => {
  const timeline = planTimeline(format, 10, beats);

  it('shares each beat among its clips by length, looping short clips', () => {
    const plan = planBroll(timeline, graphInput().clips);
    expect(plan).toEqual([
      { beatId: 'beat-1', frames: 120, slots: [{ clipIndex: 0, frames: 120 }] },
      {
        beatId: 'beat-2',
        frames: 180,
        slots: [
          { clipIndex: 1, frames: 90 },
          { clipIndex: 2, frames: 90 },
        ],
      },
    ]);
    const frames = plan.flatMap((b) => b.slots).reduce((n, s) => n + s.frames, 0);
    expect(frames).toBe(timeline.narrationFrames);
  });

  it('names the beats no clip covers', () => {
    const clips = [{ path: '/w/a.mp4', beatId: 'beat-1', durationSeconds: 6 }];
    expect(() => planBroll(timeline, clips)).toThrow(BrollCoverageError);
    expect(() => planBroll(timeline, clips)).toThrow("no B-roll clip covers beat 'beat-2'");
  });

  it('names clips of beats the narration does not have', () => {
    const clips = [...graphInput().clips, { path: '/w/x.mp4', beatId: 'beat-9', durationSeconds: 3 }];
    expect(() => planBroll(timeline, clips)).toThrow(/\/w\/x\.mp4 \(beat 'beat-9'\)/);
  });
});

describe('buildEpisodeInvocations', () => {
  it('renders avatar-pip 16:9: the pictures in one graph (cards, B-roll concat, presenter overlay, captions), the ducked music beside it', () => {
    const {
      video: [video],
      audio,
      mux,
    } = buildEpisodeInvocations(graphInput(), encode);
    expect(inputFiles(video.args)).toEqual(['/w/avatar.mp4', '/w/a.mp4', '/w/b.mp4', '/w/c.mp4']);
    expect(video.inputs[1]).toEqual(['-threads', '1', '-stream_loop', '-1', '-t', '4.5', '-i', '/w/a.mp4']);
    expect(video.args.filter((a) => a === '-filter_complex')).toHaveLength(1);
    const filterComplex = video.filterComplex;
    expect(filterComplex).toContain('scale=1920:1080:force_original_aspect_ratio=increase,crop=1920:1080');
    expect(filterComplex).toContain('[clip0][clip1][clip2]concat=n=3:v=1:a=0[broll]');
    expect(filterComplex).toMatch(/\[0:v\]setpts=PTS-STARTPTS,fps=30,scale=-2:302,pad=iw\+\d+:ih\+\d+:\d+:\d+:color=0x[0-9a-f]{6}/);
    expect(filterComplex).toMatch(/\[broll\]\[presenter\]overlay=x=\d+:y=\d+:eof_action=repeat:format=yuv420,trim=end_frame=300\[body\]/);
    expect(filterComplex).toContain(
      '[intro][body][outro]concat=n=3:v=1:a=0,ass=filename=/w/overlay.ass:fontsdir=/usr/share/fonts/truetype/dejavu',
    );
    expect(filterComplex).toMatch(/color=c=0x[0-9a-f]{6}:s=1920x1080:r=30,trim=end_frame=60/);
    expect(filterComplex).not.toContain(':a]');

    expect(inputFiles(audio.args)).toEqual(['/w/narration.wav', '/w/music.m4a']);
    expect(audio.inputs[1]).toEqual(['-stream_loop', '-1', '-t', '15.5', '-i', '/w/music.m4a']);
    expect(audio.filterComplex).not.toContain(':v]');
    expect(audio.filterComplex).toContain('adelay=delays=96000S:all=1');
    expect(audio.filterComplex).toContain('volume=-20dB');
    expect(audio.filterComplex).toContain('[music][voice_key]sidechaincompress=');
    expect(audio.filterComplex).toContain('amix=inputs=2');
    expect(audio.filterComplex).toContain('measured_I=-17.30:measured_TP=-5.00:measured_LRA=7.90:measured_thresh=-28.90:linear=true');

    // The mux copies the two streams, re-encoding nothing.
    expect(inputFiles(mux)).toEqual(['/w/video.pictures.mp4', '/w/video.sound.m4a']);
    expect(after(mux, '-c')).toBe('copy');
    expect(mux.join(' ')).toContain('-map 0:v:0 -map 1:a:0');
  });

  it('encodes to YouTube upload settings: H.264 High, yuv420p, closed GOP of half the frame rate, AAC-LC 48 kHz, faststart', () => {
    const {
      video: [video],
      audio,
      mux,
    } = buildEpisodeInvocations(graphInput(), { ...encode, title: 'Indexes' });
    expect(after(video.outputOptions, '-map')).toBe('[vout]');
    expect(after(video.outputOptions, '-c:v')).toBe('libx264');
    expect(after(video.outputOptions, '-profile:v')).toBe('high');
    expect(after(video.outputOptions, '-pix_fmt')).toBe('yuv420p');
    expect(after(video.outputOptions, '-r')).toBe('30');
    expect(after(video.outputOptions, '-g')).toBe('15');
    expect(after(video.outputOptions, '-flags')).toBe('+cgop');
    expect(after(video.outputOptions, '-bf')).toBe('2');
    expect(after(video.outputOptions, '-preset')).toBe('veryfast');
    expect(after(video.outputOptions, '-x264-params')).toBe('me=dia:subme=1:partitions=i8x8,i4x4:b-adapt=0');
    expect(video.outputOptions).not.toContain('-c:a');
    expect(video.outputOptions.at(-1)).toBe('/w/video.pictures.mp4');
    expect(after(audio.outputOptions, '-map')).toBe('[aout]');
    expect(after(audio.outputOptions, '-c:a')).toBe('aac');
    expect(after(audio.outputOptions, '-profile:a')).toBe('aac_low');
    expect(after(audio.outputOptions, '-aac_coder')).toBe('fast');
    expect(after(audio.outputOptions, '-ar')).toBe('48000');
    expect(after(audio.outputOptions, '-ac')).toBe('2');
    expect(after(audio.outputOptions, '-b:a')).toBe('384k');
    expect(audio.outputOptions).not.toContain('-c:v');
    expect(audio.outputOptions.at(-1)).toBe('/w/video.sound.m4a');
    expect(after(mux, '-movflags')).toBe('+faststart');
    expect(after(mux, '-metadata')).toBe('title=Indexes');
    expect(mux.at(-1)).toBe('/w/video.mp4');
    const medium = buildVideoInvocation(graphInput(), { ...encode, preset: 'medium' }).outputOptions;
    expect(after(medium, '-preset')).toBe('medium');
    expect(medium).not.toContain('-x264-params');
  });

  it('renders 9:16 at 1080x1920 with the presenter in the top corner', () => {
    const { filterComplex } = buildVideoInvocation(graphInput({ format: { ...format, aspectRatio: '9:16' } }), encode);
    expect(filterComplex).toContain('scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920');
    expect(filterComplex).toContain('s=1080x1920');
    expect(filterComplex).toContain('scale=-2:538');
    const [, y] = /overlay=x=\d+:y=(\d+)/.exec(filterComplex)!;
    expect(Number(y)).toBeLessThan(1920 / 2);
  });

  it('renders avatar-full from the presenter alone, padded in the brand colour', () => {
    const { args, filterComplex } = buildVideoInvocation(graphInput({ format: { ...format, layout: 'avatar-full' } }), encode);
    expect(inputFiles(args)).toEqual(['/w/avatar.mp4']);
    expect(filterComplex).toMatch(/scale=1920:1080:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1920:1080:/);
    expect(filterComplex).toContain('tpad=stop=-1:stop_mode=clone,trim=end_frame=300[body]');
    expect(filterComplex).not.toContain('overlay=');
  });

  it('renders broll-only, and falls back to it when there is no presenter video', () => {
    for (const input of [graphInput({ format: { ...format, layout: 'broll-only' } }), graphInput({ avatarPath: undefined })]) {
      const { args, filterComplex } = buildVideoInvocation(input, encode);
      expect(inputFiles(args)).not.toContain('/w/avatar.mp4');
      expect(filterComplex).toContain('[broll]null[body]');
      expect(filterComplex).not.toContain('overlay=');
    }
    expect(planEpisode(graphInput({ avatarPath: undefined })).layout).toBe('broll-only');
  });

  it('leaves music out when there is none: no loop, no ducking, no mix', () => {
    const {
      audio,
      video: [video],
    } = buildEpisodeInvocations(graphInput({ musicPath: undefined }), encode);
    const { args, filterComplex } = audio;
    expect(inputFiles(args)).toEqual(['/w/narration.wav']);
    expect(inputFiles(video.args)).toEqual(['/w/avatar.mp4', '/w/a.mp4', '/w/b.mp4', '/w/c.mp4']);
    expect(filterComplex).not.toContain('sidechaincompress');
    expect(filterComplex).not.toContain('amix');
    expect(filterComplex).toMatch(/\[0:a\][^;]*alimiter=[^;]*\[premaster\]/);
  });

  it('leaves out what is switched off: intro, outro, burned-in text', () => {
    const {
      video: [video],
      audio,
    } = buildEpisodeInvocations(
      graphInput({ format: { ...format, intro: { durationSeconds: 0 }, outro: { durationSeconds: 0 } }, overlayAssPath: undefined }),
      encode,
    );
    const { filterComplex } = video;
    expect(filterComplex).not.toContain('color=c=');
    expect(audio.filterComplex).not.toContain('adelay');
    expect(filterComplex).not.toContain('ass=');
    expect(filterComplex).toContain('[body]null,format=yuv420p[vout]');
  });

  it('escapes paths inside the filter graph', () => {
    expect(escapeFilterValue("/tmp/it's:a,b[1];c")).toBe("/tmp/it\\\\\\'s\\\\:a\\,b\\[1\\]\\;c");
    expect(escapeFilterValue('/tmp/work/a.txt')).toBe('/tmp/work/a.txt');
    expect(escapeFilterValue("/tmp/it's:here/[x],y;z")).toBe("/tmp/it\\\\\\'s\\\\:here/\\[x\\]\\,y\\;z");
    const { filterComplex } = buildVideoInvocation(graphInput({ overlayAssPath: '/w/a:b.ass' }), encode);
    expect(filterComplex).toContain('ass=filename=/w/a\\\\:b.ass');
  });
});

describe('pictures in parts', () => {
  // 2 s intro (frames 0-60), the narration's 300 frames with clip a to 180, b to 270, c to 360, a 3 s outro to 450.
  const plan = planEpisode(graphInput());

  it('cuts where a B-roll clip ends, near equal lengths, none shorter than the minimum', () => {
    expect(plan.timeline.totalFrames).toBe(450);
    expect(planPictureParts(plan, 2, 60)).toEqual([
      { start: 0, end: 180 },
      { start: 180, end: 450 },
    ]);
    expect(planPictureParts(plan, 3, 60)).toEqual([
      { start: 0, end: 180 },
      { start: 180, end: 270 },
      { start: 270, end: 450 },
    ]);
    // 15 s holds one part of the default 10 s minimum; a part count below one is one.
    expect(planPictureParts(plan, 2)).toEqual([{ start: 0, end: 450 }]);
    expect(planPictureParts(plan, 0, 60)).toEqual([{ start: 0, end: 450 }]);
    // No clip boundary leaves two parts of 200 frames: one part.
    expect(planPictureParts(plan, 2, 200)).toEqual([{ start: 0, end: 450 }]);
  });

  it('cuts avatar-full anywhere: its presenter is one video', () => {
    const full = planEpisode(graphInput({ format: { ...format, layout: 'avatar-full' } }));
    expect(planPictureParts(full, 2, 60)).toEqual([
      { start: 0, end: 225 },
      { start: 225, end: 450 },
    ]);
  });

  it("encodes a part from the inputs it shows, the presenter trimmed, the overlay at the video's times", () => {
    const first = buildVideoInvocation(graphInput(), encode, plan, { start: 0, end: 180 });
    expect(inputFiles(first.args)).toEqual(['/w/avatar.mp4', '/w/a.mp4']);
    expect(first.filterComplex).toContain('trim=start_frame=0:end_frame=120,setpts=PTS-STARTPTS[presenter]');
    expect(first.filterComplex).toContain('[intro][body]concat=n=2:v=1:a=0,ass=filename=/w/overlay.ass');
    expect(first.filterComplex).not.toContain('[outro]');

    const second = buildVideoInvocation(graphInput(), encode, plan, { start: 180, end: 450 });
    expect(inputFiles(second.args)).toEqual(['/w/avatar.mp4', '/w/b.mp4', '/w/c.mp4']);
    expect(second.filterComplex).toContain('[clip0][clip1]concat=n=2:v=1:a=0[broll]');
    expect(second.filterComplex).toContain('trim=start_frame=120:end_frame=300,setpts=PTS-STARTPTS[presenter]');
    expect(second.filterComplex).toMatch(/color=c=0x[0-9a-f]{6}:s=1920x1080:r=30,trim=end_frame=90,format=yuv420p,setsar=1\[outro\]/);
    expect(second.filterComplex).not.toContain('[intro]');
    expect(second.filterComplex).toContain(
      '[body][outro]concat=n=2:v=1:a=0,setpts=PTS-STARTPTS+180/(30*TB),ass=filename=/w/overlay.ass:fontsdir=/usr/share/fonts/truetype/dejavu,setpts=PTS-STARTPTS,format=yuv420p[vout]',
    );

    // A part that ends inside a clip draws that clip from its start and keeps the frames it shows.
    const inside = buildVideoInvocation(graphInput(), encode, plan, { start: 200, end: 230 });
    expect(inputFiles(inside.args)).toEqual(['/w/avatar.mp4', '/w/b.mp4']);
    expect(inside.filterComplex).toContain('trim=start_frame=20:end_frame=50,setpts=PTS-STARTPTS[clip0]');
    expect(() => buildVideoInvocation(graphInput(), encode, plan, { start: 300, end: 451 })).toThrow(/not inside the video's 450 frames/);
  });

  it('joins the parts by an ffconcat list with their exact lengths, copying', () => {
    const parts = pictureParts(plan, '/w/video.pictures.mp4', 2, 60);
    expect(parts.files).toEqual(['/w/video.pictures.1.mp4', '/w/video.pictures.2.mp4']);
    expect(parts.list).toEqual({
      path: '/w/video.pictures.ffconcat',
      text: "ffconcat version 1.0\nfile '/w/video.pictures.1.mp4'\nduration 6\nfile '/w/video.pictures.2.mp4'\nduration 9\n",
    });
    expect(picturePartsList([{ file: "/w/it's.mp4", range: { start: 0, end: 45 } }])).toBe(
      "ffconcat version 1.0\nfile '/w/it'\\''s.mp4'\nduration 1.5\n",
    );
    const { video, mux, pictures } = buildEpisodeInvocations(graphInput(), encode, plan, 2);
    expect(pictures.files).toEqual(['/w/video.pictures.mp4']);
    expect(video).toHaveLength(1);
    expect(mux.slice(0, 2)).toEqual(['-i', '/w/video.pictures.mp4']);
    const single = pictureParts(plan, '/w/video.pictures.mp4', 1);
    expect(single.list).toBeUndefined();
    const invocations = buildEpisodeInvocations(graphInput({ narrationSeconds: 30 }), encode, undefined, 2);
    expect(invocations.video.map((v) => v.outputOptions.at(-1))).toEqual(['/w/video.pictures.1.mp4', '/w/video.pictures.2.mp4']);
    expect(invocations.mux.slice(0, 6)).toEqual(['-f', 'concat', '-safe', '0', '-i', '/w/video.pictures.ffconcat']);
    expect(after(invocations.mux, '-c')).toBe('copy');
  });
});

describe('audio', () => {
  it('measures the audio graph alone, without video inputs', () => {
    const measure = buildAudioMeasureInvocation(graphInput());
    expect(inputFiles(measure.inputArgs)).toEqual(['/w/narration.wav', '/w/music.m4a']);
    expect(measure.audioGraph).not.toContain(':v]');
    expect(measure.audioGraph).not.toContain('loudnorm');
    expect(measure.audioGraph.endsWith('[premaster]')).toBe(true);
    // Pass 1 hears exactly what pass 2 normalises.
    const { filterComplex } = buildEpisodeInvocations(graphInput(), encode).audio;
    for (const chain of measure.audioGraph.split(';')) expect(filterComplex).toContain(chain);
  });

  it('ducks the music by about duckingDb while the voice speaks at the reference level', () => {
    for (const duckingDb of [6, 12, 20, 30]) {
      const { threshold, ratio } = duckingCompressor(duckingDb);
      const overDb = VOICE_REFERENCE_LUFS - 20 * Math.log10(threshold);
      expect(overDb * (1 - 1 / ratio)).toBeCloseTo(duckingDb, 1);
      expect(threshold).toBeGreaterThanOrEqual(0.000976563);
    }
    expect(duckingCompressor(0)).toEqual({ threshold: 1, ratio: 1 });
  });
});

describe('drawn clips', () => {
  it('relabels a one-input graph to sit inside another, leaving escaped brackets alone', () => {
    const graph = '[0:v]loop=loop=9:size=1[bg];color=c=red[bar];[bg][bar]overlay,drawtext=textfile=/w/a\\[1\\].txt[v]';
    expect(relabelGraph(graph, { input: '[4:v]', output: '[drawn0]', prefix: 'd0_' })).toBe(
      '[4:v]loop=loop=9:size=1[d0_bg];color=c=red[d0_bar];[d0_bg][d0_bar]overlay,drawtext=textfile=/w/a\\[1\\].txt[drawn0]',
    );
    expect(() => relabelGraph('[1:v]null[v]', { input: '[4:v]', output: '[o]', prefix: 'p' })).toThrow(
      /reads input 1:v: only \[0:v\] is given/,
    );
  });

  it('relabels the further inputs a graph reads, and refuses one it is not given', () => {
    const labels = { input: '[3:v]', output: '[p]', prefix: 'a_', more: { '1:v': '[4:v]', '2:a': '[0:a]' } };
    expect(relabelGraph('[0:v]null[bg];[1:v]null[fg];[2:a]showwaves[w];[bg][fg]overlay[x];[x][w]overlay[v]', labels)).toBe(
      '[3:v]null[a_bg];[4:v]null[a_fg];[0:a]showwaves[a_w];[a_bg][a_fg]overlay[a_x];[a_x][a_w]overlay[p]',
    );
    expect(() => relabelGraph('[3:a]anull[v]', labels)).toThrow('reads input 3:a: only [0:v], [1:v], [2:a] are given');
  });

  it('draws a drawn clip at its slot length over its still, read once: no looped input, no decode of a video', () => {
    const drawnFrames: number[] = [];
    const input = graphInput({
      clips: [
        { path: '/w/a.mp4', beatId: 'beat-1', durationSeconds: 6 },
        {
          path: '/w/gradient.png',
          beatId: 'beat-2',
          durationSeconds: 5.5,
          draw: (frames, labels) => {
            drawnFrames.push(frames);
            return relabelGraph(`[0:v]loop=loop=${frames - 1}:size=1,setpts=N/30/TB[bg];[bg]null[v]`, labels);
          },
        },
      ],
    });
    const plan = planEpisode(input);
    const { args, inputs, filterComplex } = buildVideoInvocation(input, encode, plan);
    const beat2 = plan.broll!.find((beat) => beat.beatId === 'beat-2')!;
    expect(drawnFrames).toEqual([beat2.frames]);
    expect(inputs.filter((group) => group.includes('/w/gradient.png'))).toEqual([['-i', '/w/gradient.png']]);
    const index = inputFiles(args).indexOf('/w/gradient.png');
    expect(filterComplex).toContain(`[${index}:v]loop=loop=${beat2.frames - 1}:size=1,setpts=N/30/TB[d1_bg];[d1_bg]null[drawn1]`);
    expect(filterComplex).toContain(`[drawn1]fps=30,setsar=1,format=yuv420p,trim=end_frame=${beat2.frames}[clip1]`);
  });
});

describe('a drawn presenter', () => {
  const drawnFrames: number[] = [];
  const avatarDrawing = {
    stills: ['/w/background.png', '/w/portrait.png'],
    draw: (frames: number, labels: Parameters<typeof relabelGraph>[1]) => {
      drawnFrames.push(frames);
      return relabelGraph(
        `[0:v]loop=loop=${frames - 1}:size=1[bg];[1:v]loop=loop=${frames - 1}:size=1[fg];[2:a]showwaves[w];[bg][fg]overlay[x];[x][w]overlay[v]`,
        labels,
      );
    },
  };

  it('is drawn at the narration length from its stills, each read once, and the narration (its only audio input)', () => {
    drawnFrames.length = 0;
    const input = graphInput({ avatarPath: '/w/background.png', avatarDrawing });
    const plan = planEpisode(input);
    const { args, inputs, filterComplex } = buildVideoInvocation(input, encode, plan);
    expect(drawnFrames).toEqual([plan.timeline.narrationFrames]);
    expect(inputs.filter((group) => group.some((arg) => arg.endsWith('.png')))).toEqual([
      ['-i', '/w/background.png'],
      ['-i', '/w/portrait.png'],
    ]);
    const files = inputFiles(args);
    expect(files.filter((file) => file === '/w/narration.wav')).toHaveLength(1);
    const [background, portrait] = [files.indexOf('/w/background.png'), files.indexOf('/w/portrait.png')];
    expect(filterComplex).toContain(`[${background}:v]loop=loop=${plan.timeline.narrationFrames - 1}:size=1[avatar_bg]`);
    expect(filterComplex).toContain(`[${portrait}:v]loop=`);
    expect(filterComplex).toContain('[0:a]showwaves[avatar_w]');
    // The drawing is the presenter chain's input (wherever the B-roll chains are written).
    expect(filterComplex).toContain('[avatar_x][avatar_w]overlay[presenter_drawn];');
    expect(filterComplex).toMatch(/^\[presenter_drawn\]setpts=PTS-STARTPTS,.*\[presenter\];$/m);
    expect(filterComplex).toContain('[broll][presenter]overlay=');
  });

  it('fills the frame in avatar-full, and is not drawn without an avatar layout', () => {
    drawnFrames.length = 0;
    const full = buildVideoInvocation(
      graphInput({ format: { ...format, layout: 'avatar-full' }, avatarPath: '/w/background.png', avatarDrawing }),
      encode,
    );
    expect(full.filterComplex).toMatch(
      /\[presenter_drawn\]setpts=PTS-STARTPTS,fps=30,scale=1920:1080:force_original_aspect_ratio=decrease/,
    );
    const none = buildVideoInvocation(
      graphInput({ format: { ...format, layout: 'broll-only' }, avatarPath: '/w/background.png', avatarDrawing }),
      encode,
    );
    expect(none.filterComplex).not.toContain('presenter');
    expect(inputFiles(none.args)).not.toContain('/w/portrait.png');
    expect(drawnFrames).toHaveLength(1);
  });
});
