import { beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, EventsV1Api } from '@kubernetes/client-node';
import { APPROVAL_ANNOTATION_PREFIX, estimateEpisode, formatUSD, GROUP, VERSION, type Channel, type Episode } from '@acog/api';
import {
  acog,
  admin,
  awaitingVoiceStatus,
  createChannel,
  createEpisode,
  createEvent,
  freshNamespace,
  minutesAgo,
  setChannelStatus,
  setEpisodeStatus,
} from '../../testing.ts';

let ns: string;
let episode: Episode;
let channel: Channel;
const SECRET_VALUE = 'sk-live-do-not-print-0123456789';

beforeAll(async () => {
  ns = await freshNamespace('read-describe');
  await admin()
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'openai-key' }, stringData: { OPENAI_API_KEY: SECRET_VALUE } } });
  channel = await createChannel(ns, 'engineering-explained', (c) => {
    c.spec.providers!.llm = { provider: 'openai', model: 'gpt-6-luna', planModel: 'gpt-6.1-sol', secretRef: { name: 'openai-key' } };
    c.spec.providers!.voice = { provider: 'elevenlabs', voiceId: '21m00Tcm4TlvDq8ikWAM', secretRef: { name: 'eleven', key: 'API_KEY' } };
    c.spec.skipStages = ['broll'];
  });
  await setChannelStatus(ns, 'engineering-explained', {
    observedGeneration: 1,
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        reason: 'SecretMissing',
        message: 'secret "eleven" (voice) does not exist',
        lastTransitionTime: minutesAgo(20),
        observedGeneration: 1,
      },
    ],
    episodes: { total: 3, running: 1, awaitingApproval: 1, failed: 1 },
    spend: { month: '2026-11', actualUSD: 12.5 },
  });
  episode = await createEpisode(ns, 'how-indexes-work', 'engineering-explained', (e) => {
    e.metadata.annotations = { [`${APPROVAL_ANNOTATION_PREFIX}plan`]: '2026-11-20T10:00:00Z' };
    e.spec.approvalGates = ['plan', 'voice'];
    e.spec.overrides = { skipStages: ['avatar'] };
  });
  const status = awaitingVoiceStatus(ns, 'how-indexes-work');
  status.stages = status.stages!.filter((s) => s.name !== 'avatar' && s.name !== 'broll');
  status.stages.push({ name: 'avatar', phase: 'Skipped' }, { name: 'broll', phase: 'Skipped' });
  status.stages[1] = { ...status.stages[1], attempt: 2, message: 'attempt 1 timed out after 10m; done on attempt 2' };
  status.progress = '4/7';
  await setEpisodeStatus(ns, 'how-indexes-work', status);

  const ref = { kind: 'Episode', name: 'how-indexes-work', uid: episode.metadata.uid! };
  await createEvent(ns, ref, 'StageSucceeded', 'stage plan succeeded in 1m', 9);
  await createEvent(ns, ref, 'StageFailed', 'stage script attempt 1 failed: timed out after 10m', 8, 'Warning');
  // The operator may record through events.k8s.io/v1: the same Events, seen through core/v1 too.
  await admin()
    .makeApiClient(EventsV1Api)
    .createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { name: 'how-indexes-work.awaiting' },
        // MicroTime wants six fractional digits; the client would send a Date with three.
        eventTime: new Date(Date.now() - 4 * 60_000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date,
        reportingController: 'acog.dev/operator',
        reportingInstance: 'acog-operator-0',
        action: 'Gate',
        reason: 'AwaitingApproval',
        note: 'stage voice waits for approval: kubectl acog approve how-indexes-work --stage voice',
        type: 'Normal',
        regarding: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'Episode',
          name: 'how-indexes-work',
          namespace: ns,
          uid: episode.metadata.uid!,
        },
      },
    });
  // Another object's event must not show.
  await createEvent(
    ns,
    { kind: 'Episode', name: 'how-indexes-work', uid: '00000000-0000-0000-0000-000000000000' },
    'Unrelated',
    'an older object of the same name',
    1,
  );
  await createEvent(
    ns,
    { kind: 'Channel', name: 'engineering-explained', uid: channel.metadata.uid! },
    'SecretMissing',
    'secret "eleven" (voice) does not exist',
    20,
    'Warning',
  );
});

describe('describe episode', () => {
  let out: string;
  beforeAll(async () => {
    const result = await acog(['describe', 'episode', 'how-indexes-work', '-n', ns]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    out = result.stdout;
  });

  it('shows the metadata and a spec summary', () => {
    expect(out).toMatch(/^Name:\s+how-indexes-work$/m);
    expect(out).toMatch(new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
    expect(out).toMatch(/^Annotations:\s+approve\.acog\.dev\/plan: 2026-11-20T10:00:00Z$/m);
    expect(out).toMatch(/^Kind:\s+Episode$/m);
    expect(out).toMatch(/^ {2}Channel:\s+engineering-explained$/m);
    expect(out).toMatch(/^ {2}Topic:\s+How database indexes really work$/m);
    expect(out).toMatch(/^ {2}Approval Gates:\s+plan, voice, upload$/m);
    expect(out).toMatch(/^ {2}Skipped Stages:\s+avatar, broll$/m);
    expect(out).toMatch(/^ {2}Publish:\s+public, at 2026-12-07T09:00:00Z$/m);
    expect(out).toContain('- A B-tree keeps keys sorted, so a lookup touches a handful of pages');
  });

  it('shows the phase, message, progress, cost and conditions', () => {
    expect(out).toMatch(/^ {2}Phase:\s+AwaitingApproval$/m);
    expect(out).toMatch(/^ {2}Message:\s+waiting for approval before voice$/m);
    expect(out).toMatch(/^ {2}Progress:\s+████░░░ 4\/7$/m);
    expect(out).toMatch(/^ {2}Total Cost:\s+\$0\.42$/m);
    expect(out).toMatch(/^ {4}Succeeded\s+Unknown\s+AwaitingApproval\s+10m\s+stage voice waits for approval$/m);
  });

  it('shows every stage with attempt, job, times, duration, provider, cost, message and artifacts', () => {
    const script = out.slice(out.indexOf('\n  script:\n'), out.indexOf('\n  refine:\n'));
    expect(script).toMatch(/^ {4}Phase:\s+Succeeded$/m);
    expect(script).toMatch(/^ {4}Attempt:\s+2$/m);
    expect(script).toMatch(/^ {4}Job:\s+how-indexes-work-script-1-4f2a9c$/m);
    expect(script).toMatch(/^ {4}Started:\s+\S+Z \(9m ago\)$/m);
    expect(script).toMatch(/^ {4}Finished:\s+\S+Z \(7m ago\), took 2m$/m);
    expect(script).toMatch(/^ {4}Provider:\s+openai$/m);
    expect(script).toMatch(/^ {4}Cost:\s+\$0\.20$/m);
    expect(script).toMatch(/^ {4}Usage:\s+completionTokens=800, promptTokens=1200$/m);
    expect(script).toMatch(/^ {4}Message:\s+attempt 1 timed out after 10m; done on attempt 2$/m);
    expect(script).toContain(`\n      s3://acog-assets/${ns}/how-indexes-work/0b9e3c1e/script/1/script.json`);
    expect(out).toMatch(/^ {2}voice:\n {4}Phase:\s+AwaitingApproval$/m);
    expect(out).toMatch(/^ {2}avatar:\n {4}Phase:\s+Skipped$/m);
    // Pipeline order, whatever the order in status.
    expect(out.indexOf('\n  avatar:')).toBeLessThan(out.indexOf('\n  broll:'));
    expect(out.indexOf('\n  voice:')).toBeLessThan(out.indexOf('\n  avatar:'));
  });

  it('lists the approval gates with the command that passes a pending one', () => {
    const approvals = out.slice(out.indexOf('\nApprovals:\n'), out.indexOf('\nEvents:'));
    expect(approvals).toMatch(/^ {2}plan:\s+approved \(2026-11-20T10:00:00Z\)$/m);
    expect(approvals).toMatch(
      new RegExp(`^ {2}voice:\\s+WAITING for approval: kubectl acog approve how-indexes-work --stage voice -n ${ns}$`, 'm'),
    );
    expect(approvals).toMatch(/^ {2}upload:\s+not reached yet; approve ahead with: kubectl acog approve how-indexes-work --stage upload/m);
  });

  it('shows the cost estimate of each stage it runs, and the total', () => {
    const section = out.slice(out.indexOf('\nEstimate:'), out.indexOf('\nEvents:'));
    expect(section).toContain("list prices × the expected usage; the budget reserves each paid stage's estimate before it starts");
    const estimate = estimateEpisode(channel.spec, episode.spec);
    const usd = (value: number) => formatUSD(value).replace(/[$.]/g, '\\$&');
    expect(estimate.stages.map((stage) => stage.stage)).toEqual(['plan', 'script', 'refine', 'metadata', 'voice', 'assemble', 'upload']);
    expect(section).toMatch(/^ {2}STAGE\s+PROVIDER\s+MODEL\s+USAGE\s+ESTIMATE$/m);
    expect(section).toMatch(
      new RegExp(
        `^ {2}plan\\s+openai\\s+${estimate.stages[0].model!.replace(/[.]/g, '\\.')}\\s+[\\d,]+ in \\+ [\\d,]+ out tokens\\s+${usd(estimate.stages[0].costUSD)}$`,
        'm',
      ),
    );
    const voice = estimate.stages.find((stage) => stage.stage === 'voice')!;
    const voiceLine = `voice\\s+elevenlabs\\s+-\\s+${voice.usage.characters!.toLocaleString('en-US')} characters, ${voice.usage.seconds} s\\s+${usd(voice.costUSD)}`;
    expect(voice.costUSD).toBeGreaterThan(0);
    expect(section).toMatch(new RegExp(`^ {2}${voiceLine}$`, 'm'));
    expect(section).toMatch(new RegExp(`^ {2}total\\s+${usd(estimate.totalUSD)}$`, 'm'));
    expect(section).not.toMatch(/^ {2}(avatar|broll)\s/m);
  });

  it("shows the object's Events, oldest first, and no other object's", () => {
    const events = out.slice(out.indexOf('\nEvents:\n') + 1).split('\n');
    expect(events[1].trim().split(/\s{2,}/)).toEqual(['Type', 'Reason', 'Age', 'From', 'Message']);
    const rows = events.slice(3).filter(Boolean);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^ {2}Normal\s+StageSucceeded\s+9m\s+acog-operator\s+stage plan succeeded in 1m$/);
    expect(rows[1]).toMatch(/^ {2}Warning\s+StageFailed\s+8m\s+acog-operator\s+stage script attempt 1 failed: timed out after 10m$/);
    expect(rows[2]).toMatch(/^ {2}Normal\s+AwaitingApproval\s+4m\s+acog\.dev\/operator\s+stage voice waits for approval/);
    expect(out).not.toContain('Unrelated');
  });

  it('works for the viewer, and names what is missing', async () => {
    expect((await acog(['describe', 'ep', 'how-indexes-work', '-n', ns], { user: 'viewer' })).code).toBe(0);
    expect(await acog(['describe', 'ep', 'nope', '-n', ns])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: episode "nope" not found in namespace "${ns}"\n`,
    });
  });

  it('refuses the editor outside team-a with the permission it lacks', async () => {
    const result = await acog(['describe', 'ep', 'how-indexes-work', '-n', 'team-b'], { user: 'editor' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: forbidden: episodes.acog.dev "how-indexes-work" is forbidden: User "acog-editor" cannot get resource "episodes" in API group "acog.dev" in the namespace "team-b"\n',
    );
  });

  it('shows the published video and the final artifacts of a finished episode', async () => {
    await createEpisode(ns, 'published');
    const status = awaitingVoiceStatus(ns, 'published');
    status.phase = 'Succeeded';
    status.finishedAt = minutesAgo(0);
    status.youtube = { videoId: 'abc123', url: 'https://youtu.be/abc123', publishAt: '2026-12-07T09:00:00Z' };
    status.artifacts = {
      thumbnail: `s3://acog-assets/${ns}/published/thumbnail.jpg`,
      video: `s3://acog-assets/${ns}/published/video.mp4`,
      captionsVtt: `s3://acog-assets/${ns}/published/captions.vtt`,
    };
    await setEpisodeStatus(ns, 'published', status);
    const result = await acog(['describe', 'ep', 'published', '-n', ns]);
    expect(result.stdout).toMatch(/^ {2}Finished:\s+\S+Z \(\d+s ago\), took 10m$/m);
    expect(result.stdout).toContain(
      '  YouTube:\n    Video ID:    abc123\n    URL:         https://youtu.be/abc123\n    Publish At:  2026-12-07T09:00:00Z\n',
    );
    expect(result.stdout).toMatch(
      /^ {2}Artifacts:\n {4}Video:\s+\S+video\.mp4\n {4}Thumbnail:\s+\S+thumbnail\.jpg\n {4}Captions VTT:\s+\S+captions\.vtt$/m,
    );
  });

  it('describes a new episode the operator has not seen', async () => {
    await createEpisode(ns, 'brand-new', 'missing-channel');
    const result = await acog(['describe', 'ep', 'brand-new', '-n', ns]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^ {2}Channel:\\s+missing-channel \\(channel "missing-channel" not found in namespace "${ns}"\\)$`, 'm'),
    );
    expect(result.stdout).toContain('Status:\n  <none yet: the operator has not seen this episode>\nStages:  <none started>\n');
    expect(result.stdout).toMatch(/^ {2}voice:\s+not reached yet/m);
    expect(result.stdout).toContain('Events:  <none>\n');
  });
});

describe('describe channel', () => {
  let out: string;
  beforeAll(async () => {
    const result = await acog(['describe', 'ch', 'engineering-explained', '-n', ns]);
    expect(result.code).toBe(0);
    out = result.stdout;
  });

  it('shows persona and format', () => {
    expect(out).toMatch(/^Persona:\n {2}Name:\s+Ada$/m);
    expect(out).toMatch(/^ {2}Banned Topics:\s+cryptocurrency price predictions, politics$/m);
    expect(out).toMatch(/^ {2}Aspect Ratio:\s+16:9$/m);
    expect(out).toMatch(/^ {2}Target Duration:\s+1m at 150 words per minute$/m);
  });

  it('names the provider secrets, never their values', () => {
    expect(out).toMatch(/^ {2}LLM:\s+openai, secret openai-key \(OPENAI_API_KEY\), model gpt-6-luna, plan model gpt-6.1-sol$/m);
    expect(out).toMatch(/^ {2}Voice:\s+elevenlabs, secret eleven \(API_KEY\), voice 21m00Tcm4TlvDq8ikWAM$/m);
    expect(out).toMatch(/^ {2}Avatar:\s+audiogram$/m);
    expect(out).not.toContain(SECRET_VALUE);
    expect(out).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
  });

  it('shows gates, budget and spend, readiness and episode counts, and Events', () => {
    expect(out).toMatch(/^Approval Gates:\s+upload$/m);
    expect(out).toMatch(/^Skipped Stages:\s+broll$/m);
    expect(out).toMatch(/^Budget:\s+\$50\.00 a month, on exceeding: Pause$/m);
    expect(out).toMatch(/^ {2}Spend:\s+\$12\.50 in 2026-11 \(25% of the budget\)$/m);
    expect(out).toMatch(/^ {2}Ready:\s+False \(SecretMissing\): secret "eleven" \(voice\) does not exist$/m);
    expect(out).toMatch(/^ {2}Episodes:\s+3 total, 1 running, 1 awaiting approval, 1 failed$/m);
    expect(out).toMatch(/^ {2}Warning\s+SecretMissing\s+20m\s+acog-operator\s+secret "eleven" \(voice\) does not exist$/m);
  });

  it('says which channel is missing, and exits 2 on a wrong type', async () => {
    expect(await acog(['describe', 'channel', 'nope', '-n', ns])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: channel "nope" not found in namespace "${ns}"\n`,
    });
    expect((await acog(['describe', 'pod', 'x', '-n', ns])).code).toBe(2);
    expect((await acog(['describe', 'ep', '-n', ns])).code).toBe(2);
  });
});
