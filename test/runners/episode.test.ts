// A whole episode through all nine stages with the offline providers, against the real S3 and
// NATS of the local control plane, with the same stage code the runner Jobs run.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STAGES, type StageName, type StageResult } from '@acog/api';
import { type Narration, type Publication, NatsEventPublisher, runPipeline } from '@acog/runners';
import { probe, type ProbeResult } from '@acog/runners/media';
import { localEnv } from '../support/env.ts';
import { exampleEpisode, s3Store } from '../support/episode.ts';
import { ensureEventsStream, stageEvents } from '../support/nats.ts';
import { expectYouTubeReadyVideo, vttCues } from '../support/media.ts';

describe('an episode through all nine stages (offline providers, S3, NATS)', () => {
  const example = exampleEpisode((_channel, episode) => {
    episode.spec.overrides = { targetDurationSeconds: 30 };
  });
  const store = s3Store();
  let results: Partial<Record<StageName, StageResult>>;
  let workdir: string;
  let video: ProbeResult;
  let narration: Narration;

  beforeAll(async () => {
    await ensureEventsStream();
    workdir = await mkdtemp(join(tmpdir(), 'acog-e2e-'));
    const events = await NatsEventPublisher.connect(localEnv().nats.url);
    ({ results } = await runPipeline(example.channel, example.episode, example.uid, { store, events, scratch: workdir, concurrency: 2 }));
    await events.close();
    await store.getFile(results.assemble!.artifacts['video.mp4'], join(workdir, 'video.mp4'));
    video = await expectYouTubeReadyVideo(join(workdir, 'video.mp4'));
    narration = JSON.parse((await store.getBytes(results.voice!.artifacts['narration.json'])).toString());
  }, 600_000);

  it('finishes every stage, each announced once on NATS with its result in S3', async () => {
    expect(Object.keys(results).sort()).toEqual([...STAGES].sort());
    const events = await stageEvents(example.uid);
    expect(events.map((e) => e.event.stage).sort()).toEqual([...STAGES].sort());
    expect(events.every((e) => e.event.outcome === 'Succeeded' && e.msgId === `${example.uid}/${e.event.stage}/1`)).toBe(true);
    for (const stage of STAGES) expect(results[stage]!.artifacts, stage).not.toEqual({});
  });

  it('yields an MP4 as YouTube recommends it, at −14 LUFS (checked once it is made)', () => {
    expect(video.video).toMatchObject({ width: 1920, height: 1080 });
  });

  it('lasts as long as the narration plus intro and outro, within 5 %', () => {
    const format = example.channel.spec.format;
    const expected = narration.durationSeconds + (format.intro?.durationSeconds ?? 0) + (format.outro?.durationSeconds ?? 0);
    expect(Math.abs(video.durationSeconds - expected) / expected).toBeLessThanOrEqual(0.05);
    // The offline writer fits the script to the target duration (30 s) by words per minute.
    expect(narration.durationSeconds).toBeGreaterThan(15);
    expect(narration.durationSeconds).toBeLessThan(60);
  });

  it('has caption cues that fall inside the narration', async () => {
    const intro = example.channel.spec.format.intro?.durationSeconds ?? 0;
    const cues = vttCues((await store.getBytes(results.assemble!.artifacts['captions.vtt'])).toString());
    expect(cues.length).toBeGreaterThan(5);
    for (const cue of cues) {
      expect(cue.start).toBeGreaterThanOrEqual(intro - 0.01);
      expect(cue.end).toBeLessThanOrEqual(intro + narration.durationSeconds + 0.01);
      expect(cue.end).toBeGreaterThan(cue.start);
    }
    const srt = (await store.getBytes(results.assemble!.artifacts['captions.srt'])).toString();
    expect(srt).toMatch(/^1\r?\n\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d\r?\n/);
  });

  it('publishes the video, thumbnail, captions and metadata with the folder publisher', async () => {
    const publication = JSON.parse((await store.getBytes(results.upload!.artifacts['publication.json'])).toString()) as Publication;
    expect(publication.provider).toBe('folder');
    expect(publication.url).toBe(`${publication.id}video.mp4`);
    const published = await store.list(publication.id);
    expect(published.map((uri) => uri.split('/').at(-1)).sort()).toEqual(
      expect.arrayContaining(['video.mp4', 'thumbnail.jpg', 'captions.srt', 'captions.vtt', 'metadata.json']),
    );
    await store.getFile(results.assemble!.artifacts['thumbnail.jpg'], join(workdir, 'thumbnail.jpg'));
    expect((await probe(join(workdir, 'thumbnail.jpg'))).video).toMatchObject({ width: 1280, height: 720 });
    expect((await readFile(join(workdir, 'thumbnail.jpg'))).subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('reuses every stage when run again with the same inputs', async () => {
    const again = await runPipeline(example.channel, example.episode, example.uid, { store, scratch: workdir });
    expect(again.reused.sort()).toEqual([...STAGES].sort());
    expect(again.results.assemble).toEqual(results.assemble);
  });
});
