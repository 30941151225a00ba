// The Episode reconciler's I/O around the pure planner: it reads the cache (never the API server
// for what the cache holds), finds the outcomes of finished attempts (the NATS hint, the Job, and
// result.json in S3, which is the truth), starts and deletes Jobs, and stores the status once per
// reconcile through the status subresource, with optimistic concurrency.
//
// What a runner or a NATS publisher sends is untrusted: result.json is read up to a bound and
// checked (schema, the attempt's identity, artifacts inside the attempt's own prefix), and a bad
// one fails its attempt; an event only says where to look, and never fails an attempt whose Job
// has not failed.
import { ARCHIVE_FINALIZER, isFinished } from '../archive/policy.ts';
import { isDeepStrictEqual } from 'node:util';
import {
  activeAncestors,
  activeStages,
  episodeKeyPrefix,
  stageBucket,
  stageInputHashes,
  stageKeyPrefix,
  BUCKETS,
  EPISODES,
  GROUP,
  JOB_EPISODE_INDEX,
  LABELS,
  VERSION,
  episodeUidKey,
  isStageResultProblem,
  MAX_RESULT_BYTES,
  overrideProblems,
  parseStageResult,
  type Channel,
  type Episode,
  type EpisodeStatus,
  type StageEvent,
  type StageInput,
  type StageName,
  type StageResult,
  type StageResultProblem,
} from '@acog/api';
import { ArtifactNotFoundError, type ArtifactStore } from '@acog/store';
import type { RunnerConfig } from '../config/runner-config.ts';
import {
  apiMessage,
  findCondition,
  isConflict,
  isNotFound,
  failedByPodFailurePolicy,
  jobState,
  MERGE_PATCH,
  type EventRecorder,
  type Informer,
  type Job,
  type KubeClients,
  type Logger,
} from '@acog/kube';
import { BudgetGate, LEDGER_RETRY_MS } from '../budget/gate.ts';
import type { LedgerConnection } from '../budget/connection.ts';
import { LedgerRecorder } from '../budget/recorder.ts';
import type { CompletionHints } from '../completions/hints.ts';
import { boundMessage } from '../completions/nats.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';
import { PhaseTimer } from '../observability/phases.ts';
import type { StageHold } from '../budget/holds.ts';
import { waitingForSlotMessage, type StageAdmission } from './admission.ts';
import { buildStageJob, INPUT_HASH_ANNOTATION } from './job.ts';
import {
  adoptJobs,
  planEpisode,
  type AttemptOutcome,
  type StageJob,
  type StageStart,
  type StageStatus,
  type Transition,
} from './planner.ts';
import { episodeProgress } from './progress.ts';

export const ARTIFACTS_FINALIZER = 'acog.dev/artifacts';

/** The largest publication record (upload's publication.json) read. */
const MAX_PUBLICATION_BYTES = 64 * 1024;

export interface EpisodeReconcilerDeps {
  clients: KubeClients;
  episodes: Informer<Episode>;
  channels: Informer<Channel>;
  jobs: Informer<Job>;
  store: ArtifactStore;
  runner: RunnerConfig;
  hints: CompletionHints;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  requeueAfter: (key: string, delayMs: number) => void;
  now?: () => Date;
  /**
   * The cost ledger: finished attempts are recorded in it and paid stages pass the budget gate.
   * Without it (a test or benchmark of the operator alone) neither happens.
   */
  ledger?: LedgerConnection;
  /** Called with a Channel's key when its spend changed (rows recorded). */
  onSpendChanged?: (channelKey: string) => void;
  /** The per-namespace cap on running stage Jobs (ADR 0030); no cap without it. */
  admission?: StageAdmission;
}

const STATUS_PARAMS = { group: GROUP, version: VERSION, plural: EPISODES.plural };

export class EpisodeReconciler {
  private readonly deps: EpisodeReconcilerDeps;
  /** result.json files are immutable once written: a bounded cache saves S3 reads. */
  private readonly results = new Map<string, StageResult>();
  /** Reads of result.json under way, by URI: a reconcile joins a prefetch rather than reading again. */
  private readonly reading = new Map<string, Promise<StageResult | StageResultProblem | undefined>>();
  private readonly notReusable = new Set<string>();
  /** Attempts (uid/stage/attempt) whose input.json this process wrote or found: they need no look. */
  private readonly inputsWritten = new Set<string>();
  /** Jobs created but not yet in the cache (its watch lags a little): they exist all the same. */
  private readonly expected = new Map<string, { view: StageJob & { inputHash?: string }; key: string; at: number }>();
  /** When the oldest stage event not yet reconciled arrived, by Episode key: a hand-off's start. */
  private readonly eventAt = new Map<string, number>();

  private readonly gate?: BudgetGate;
  private readonly recorder?: LedgerRecorder;

  constructor(deps: EpisodeReconcilerDeps) {
    this.deps = deps;
    if (deps.ledger) {
      this.gate = new BudgetGate(deps.ledger, deps.log);
      this.recorder = new LedgerRecorder({
        connection: deps.ledger,
        log: deps.log,
        readResult: (episode, stage, attempt) => this.readResult(episode, stage, attempt),
        onRecorded: (channelKey) => this.spendChanged(channelKey),
      });
    }
  }

  /** A Channel's spend changed: Episodes waiting for its budget look again, and so does the Channel's status. */
  spendChanged(channelKey: string): void {
    for (const key of this.gate?.takeWaiting(channelKey) ?? []) this.deps.requeueAfter(key, 0);
    this.deps.onSpendChanged?.(channelKey);
  }

  /** A stage event of this Episode arrived (and is queued): the hand-off it starts is timed from now. */
  eventReceived(key: string): void {
    if (!this.eventAt.has(key)) this.eventAt.set(key, performance.now());
  }

  /** One reconcile, with where its time went recorded in acog_reconcile_phase_seconds. */
  async reconcile(key: string): Promise<void> {
    const timer = new PhaseTimer();
    const startedAt = performance.now();
    const eventAt = this.eventAt.get(key);
    this.eventAt.delete(key);
    if (eventAt !== undefined) this.deps.metrics.handoffSteps.observe({ step: 'queued' }, (startedAt - eventAt) / 1000);
    const handoff = eventAt === undefined ? undefined : { startedAt };
    try {
      await this.reconcileTimed(key, timer, handoff);
    } catch (error) {
      // A reconcile that fails leaves the line for a stage slot, so that it never keeps a free
      // slot from the Episodes after it; its retry joins the line again.
      this.deps.admission?.leave(key);
      throw error;
    } finally {
      for (const [phase, ms] of Object.entries(timer.totals()))
        this.deps.metrics.reconcilePhase.observe({ controller: 'episode', phase }, ms / 1000);
    }
  }

  private async reconcileTimed(key: string, timer: PhaseTimer, handoff: Handoff | undefined): Promise<void> {
    const { episodes, channels, hints } = this.deps;
    const cached = episodes.get(key);
    if (!cached) {
      hints.drop(key);
      this.deps.admission?.leave(key);
      return;
    }
    const namespace = cached.metadata.namespace!;
    const channel = channels.get(`${namespace}/${cached.spec.channelRef.name}`);
    if (cached.metadata.deletionTimestamp) {
      this.deps.admission?.leave(key);
      // What the Episode spent stays in the ledger after it is gone.
      await this.recorder?.sync(cached, channel, cached.status ?? {}, []);
      return this.finalize(cached, channel);
    }
    const episode = await timer.time('api_write', () => this.ensureFinalizer(cached, channel));
    if (!episode) return;

    const now = this.deps.now?.() ?? new Date();
    const { ownJobs, hashes, adopted } = timer.timeSync('planning', () => {
      const ownJobs = this.ownJobs(episode);
      const hashes = channel ? stageInputHashes(channel.spec, episode.spec) : {};
      return { ownJobs, hashes, adopted: adoptJobs(episode.status, ownJobs, hashes) };
    });
    const observed: Episode = { ...episode, status: adopted };
    const useless = hints.discard(key, (event) => !isUsableEvent(adopted, ownJobs, episode.metadata.uid!, event));
    if (useless.length)
      this.deps.log.debug(
        {
          namespace,
          episode: episode.metadata.name,
          events: useless.slice(0, 5).map((e) => `${e.stage}/${e.attempt}`),
          count: useless.length,
        },
        'terminated stage events that can never be recorded',
      );
    const [outcomes, reusable] = await timer.time('s3_read', () =>
      Promise.all([this.outcomes(observed, ownJobs, hints.events(key), now), this.reusable(observed, hashes)]),
    );
    const planInput = {
      episode: observed,
      channel,
      channelProblem: channelProblem(episode, channel),
      jobs: ownJobs,
      outcomes,
      reusable,
      now,
    };
    let plan = timer.timeSync('planning', () => planEpisode(planInput));
    let requeueAfterMs = plan.requeueAfterMs;
    // Admission first (ADR 0030): a stage without a slot waits, and reserves no budget meanwhile.
    // Its Jobs whose end this reconcile records: their slots go to its next stages first, and are
    // given back once the status is written.
    const finishing = this.deps.admission
      ? ownJobs.filter((job) => job.state === 'Active' && isRecorded(plan.status, job)).map((job) => job.name)
      : [];
    const holds = this.admit(key, episode, adopted, plan, finishing);
    const admitted = plan.start.filter((start) => !holds[start.stage]);
    if (this.gate && channel && admitted.length) {
      // The gate reserves the budget of the paid stages the plan starts; those it holds give back
      // their slot.
      const gate = await timer.time('ledger', () => this.gate!.decide(episode, channel, admitted, adopted, now));
      for (const [stage, hold] of Object.entries(gate.holds)) {
        holds[stage as StageName] = hold;
        const start = admitted.find((s) => s.stage === stage);
        if (start) this.deps.admission?.release(namespace, start.jobName);
      }
      requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, gate.requeueAfterMs ?? Infinity);
    }
    if (Object.keys(holds).length) {
      // Held stages are planned again as held (the planner is pure: every other decision comes out the same).
      plan = timer.timeSync('planning', () => planEpisode({ ...planInput, holds }));
      requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, requeueAfterMs ?? Infinity);
    }

    // The Job creates go out first, and the status write and the ledger rows once the API server
    // has answered them: a hand-off ends when the next Job exists, and on a busy API server a write
    // sent beside the create delays it. Either may fail alone: a Running stage without its Job gets
    // it made again (same name), and a Job without its status is adopted by the next reconcile; so
    // neither order is less safe.
    const answers = plan.start.map(() => Promise.withResolvers<void>());
    const created = Promise.all(answers.map((answer) => answer.promise));
    const [actions, storing, ledgered] = await Promise.allSettled([
      Promise.all([
        ...plan.deleteJobs.map((name) => timer.time('api_write', () => this.deleteJob(namespace, name))),
        ...plan.start.map((start, i) =>
          this.startStage(episode, channel!, plan.status, start, timer, handoff, answers[i].resolve).finally(answers[i].resolve),
        ),
        ...(channel ? this.inputsToCheck(episode, plan.status, ownJobs, hashes) : []).map((attempt) =>
          this.ensureInput(episode, channel!, plan.status, attempt, timer),
        ),
      ]),
      created.then(() => timer.time('api_write', () => this.storeStatus(episode, plan.status))),
      this.recorder
        ? created.then(() => timer.time('ledger', () => this.recorder!.sync(episode, channel, plan.status, outcomes)))
        : Promise.resolve(true),
    ]);
    // A ledger write that failed is made again from status and result.json on the next look.
    if (ledgered.status === 'fulfilled' && !ledgered.value) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, LEDGER_RETRY_MS);
    if (actions.status === 'rejected') throw actions.reason;
    if (storing.status === 'rejected') throw storing.reason;
    const stored = storing.value;
    hints.settle(key, (event) => isRecorded(plan.status, event));
    // An attempt whose end the status records gives its slot back now, before its Job is marked
    // finished (the Job controller takes seconds more to do so).
    for (const job of finishing) this.deps.admission?.release(namespace, job);
    if (stored) this.record(episode, plan.transitions, outcomes, plan.status);
    if (requeueAfterMs !== undefined && Number.isFinite(requeueAfterMs)) this.deps.requeueAfter(key, requeueAfterMs + 50);
  }

  /**
   * The stages the plan starts that must wait for a stage slot, as holds. A start of an attempt the
   * status already runs (its Job is made again) had its slot and needs none; the others ask for
   * one, in pipeline order, with the Episode's progress as its place in line.
   */
  private admit(
    key: string,
    episode: Episode,
    observed: EpisodeStatus,
    plan: { start: readonly StageStart[] },
    finishing: readonly string[],
  ): Partial<Record<StageName, StageHold>> {
    const admission = this.deps.admission;
    if (!admission) return {};
    const fresh = plan.start.filter((start) => {
      const entry = observed.stages?.find((s) => s.name === start.stage);
      return !(entry?.phase === 'Running' && entry.attempt === start.attempt);
    });
    const { waiting } = admission.admit(
      key,
      episodeProgress(observed),
      fresh.map((start) => start.jobName),
      finishing,
    );
    const holds: Partial<Record<StageName, StageHold>> = {};
    const message = waitingForSlotMessage(episode.metadata.namespace!, admission.slots);
    for (const start of fresh) if (waiting.includes(start.jobName)) holds[start.stage] = { reason: 'WaitingForSlot', message, fail: false };
    return holds;
  }

  private ownJobs(episode: Episode): (StageJob & { inputHash?: string })[] {
    const jobs = this.deps.jobs.byIndex(JOB_EPISODE_INDEX, episodeUidKey(episode));
    const views: (StageJob & { inputHash?: string })[] = [];
    for (const job of jobs) {
      const stage = job.metadata.labels?.[LABELS.stage] as StageName | undefined;
      const attempt = Number(job.metadata.labels?.[LABELS.attempt]);
      if (!stage || !Number.isInteger(attempt)) continue;
      views.push({
        name: job.metadata.name,
        stage,
        attempt,
        state: jobState(job),
        ...(failedByPodFailurePolicy(job) && { permanent: true }),
        inputHash: job.metadata.annotations?.[INPUT_HASH_ANNOTATION],
      });
      this.expected.delete(job.metadata.name);
    }
    const key = `${episode.metadata.namespace}/${episode.metadata.uid}`;
    for (const [name, expectation] of this.expected) {
      if (Date.now() - expectation.at > 60_000) this.expected.delete(name);
      else if (expectation.key === key && !views.some((view) => view.name === name)) views.push(expectation.view);
    }
    return views;
  }

  /** Outcomes of running attempts that have finished: result.json decides a success. */
  private async outcomes(episode: Episode, jobs: StageJob[], events: StageEvent[], now: Date): Promise<AttemptOutcome[]> {
    const running = (episode.status?.stages ?? []).filter((entry) => entry.phase === 'Running' && entry.attempt);
    const found = await Promise.all(
      running.map(async (entry): Promise<AttemptOutcome | undefined> => {
        const stage = entry.name;
        const attempt = entry.attempt!;
        const job = jobs.find((j) => j.stage === stage && j.attempt === attempt);
        const own = events.filter((e) => e.stage === stage && e.attempt === attempt && e.uid === episode.metadata.uid);
        const failed = own.find((e) => e.outcome === 'Failed');
        const jobName = job?.name ?? entry.jobName;
        // The fast path (an event) and the slow one (the Job) lead to the same check.
        const maybeDone = own.some((e) => e.outcome === 'Succeeded') || job?.state === 'Complete' || !job;
        if (maybeDone) {
          const result = await this.readResult(episode, stage, attempt, entry.inputHash);
          if (result && isStageResultProblem(result)) return { stage, attempt, jobName, failure: result.error, at: now };
          if (result) {
            const publication = stage === 'upload' ? await this.readPublication(result) : undefined;
            return { stage, attempt, jobName, result, publication, at: now };
          }
          if (job?.state === 'Complete')
            return { stage, attempt, jobName, failure: 'the runner exited without writing result.json', at: now };
        }
        // A Failed event is a hint, never the verdict (anyone who can publish can send one): the
        // attempt fails when its Job has failed. The event's message is a fallback for the reason.
        if (job?.state === 'Failed') {
          const message = (jobName ? await this.terminationMessage(episode.metadata.namespace!, jobName) : undefined) ?? failed?.message;
          const failure = boundMessage(message || 'the stage Job failed');
          return { stage, attempt, jobName, failure, ...(job.permanent && { permanent: true }), at: now };
        }
        return undefined;
      }),
    );
    return found.filter((outcome): outcome is AttemptOutcome => !!outcome);
  }

  private resultUri(episode: Episode, stage: StageName, attempt: number): string {
    const { namespace, name, uid } = episode.metadata;
    const key = stageKeyPrefix({ namespace: namespace!, episode: name!, uid: uid!, stage, attempt });
    return this.deps.store.uri(stageBucket(stage), `${key}result.json`);
  }

  /**
   * A stage event arrived: its attempt's result.json is read now, while the Episode waits in the
   * queue, so that the reconcile finds it in memory. Only for an attempt the status runs (the
   * event is untrusted: it chooses nothing but which of the Episode's own running attempts to read
   * early); a failure is left to the reconcile, which reads again.
   */
  prefetch(episode: Episode, event: StageEvent): void {
    if (event.outcome !== 'Succeeded' || event.uid !== episode.metadata.uid) return;
    const entry = episode.status?.stages?.find((s) => s.name === event.stage);
    if (entry?.phase !== 'Running' || entry.attempt !== event.attempt) return;
    this.readResult(episode, event.stage, event.attempt).catch(() => undefined);
  }

  /**
   * An attempt's result.json, checked: undefined when there is none (yet), the problem when it is
   * too large, not JSON, malformed, of another attempt (or inputs, when `inputHash` is given) or
   * names artifacts outside the attempt's own prefix.
   */
  async readResult(
    episode: Episode,
    stage: StageName,
    attempt: number,
    inputHash?: string,
  ): Promise<StageResult | StageResultProblem | undefined> {
    const uri = this.resultUri(episode, stage, attempt);
    let result = this.results.get(uri);
    if (!result) {
      let reading = this.reading.get(uri);
      if (!reading) {
        reading = this.fetchResult(episode, stage, attempt, uri).finally(() => this.reading.delete(uri));
        this.reading.set(uri, reading);
      }
      const fetched = await reading;
      if (!fetched || isStageResultProblem(fetched)) return fetched;
      result = fetched;
    }
    if (inputHash !== undefined && result.inputHash !== inputHash)
      return {
        error: `result.json of ${stage} attempt ${attempt} is invalid: inputHash: is ${result.inputHash.slice(0, 128)}, not the attempt's ${inputHash}`,
      };
    return result;
  }

  /** Reads and checks a result.json; a sound one is kept (they are immutable once written). */
  private async fetchResult(
    episode: Episode,
    stage: StageName,
    attempt: number,
    uri: string,
  ): Promise<StageResult | StageResultProblem | undefined> {
    const bytes = await this.readCapped(uri, MAX_RESULT_BYTES);
    if (!bytes) return undefined;
    const { namespace, name, uid } = episode.metadata as { namespace: string; name: string; uid: string };
    const checked = parseStageResult(bytes, {
      namespace,
      episode: name,
      uid,
      stage,
      attempt,
      uri: (bucket, key) => this.deps.store.uri(bucket, key),
    });
    if (isStageResultProblem(checked)) {
      this.deps.log.warn({ namespace, episode: name, stage, attempt, uri, error: checked.error }, 'refused result.json');
      return checked;
    }
    if (this.results.size >= 4096) this.results.delete(this.results.keys().next().value!);
    this.results.set(uri, checked);
    return checked;
  }

  /**
   * The bytes of an object, or undefined when it does not exist; at most `max` + 1 of them, so
   * that a larger object is recognised (and refused by the caller) without being read whole.
   */
  private async readCapped(uri: string, max: number): Promise<Buffer | undefined> {
    let stream;
    try {
      stream = await this.deps.store.getStream(uri);
    } catch (error) {
      if (error instanceof ArtifactNotFoundError) return undefined;
      throw error;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        chunks.push(buffer);
        size += buffer.length;
        if (size > max) break;
      }
    } catch (error) {
      if (error instanceof ArtifactNotFoundError) return undefined;
      throw error;
    } finally {
      // Leaving the loop early ends the download; the rest of a large object is never fetched.
      stream.destroy();
    }
    const bytes = Buffer.concat(chunks);
    return bytes.length > max + 1 ? bytes.subarray(0, max + 1) : bytes;
  }

  /** What the upload stage published, when its record is there and sound; else it is left out. */
  private async readPublication(result: StageResult): Promise<AttemptOutcome['publication']> {
    const uri = result.artifacts['publication.json'];
    if (!uri) return undefined;
    try {
      const bytes = await this.readCapped(uri, MAX_PUBLICATION_BYTES);
      if (!bytes) throw new Error('it does not exist');
      if (bytes.length > MAX_PUBLICATION_BYTES) throw new Error(`larger than ${MAX_PUBLICATION_BYTES} bytes`);
      return checkPublication(JSON.parse(bytes.toString('utf8')));
    } catch (error) {
      this.deps.log.warn({ uri, error: (error as Error).message }, 'cannot read the publication record');
      return undefined;
    }
  }

  /** The runner's one-line reason, from its pod's termination message. */
  private async terminationMessage(namespace: string, jobName: string): Promise<string | undefined> {
    try {
      const pods = await this.deps.clients.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${jobName}` });
      for (const pod of pods.items) {
        for (const container of pod.status?.containerStatuses ?? []) {
          const message = container.state?.terminated?.message?.trim();
          if (message) return message.split('\n').filter(Boolean).pop();
        }
      }
    } catch (error) {
      this.deps.log.warn({ namespace, job: jobName, error: apiMessage(error) }, 'cannot read the runner pod');
    }
    return undefined;
  }

  /**
   * For stages whose inputs differ from their last attempt's: an earlier attempt with the current
   * inputs (a spec edit undone). A stage retried with unchanged inputs is run again, never reused.
   */
  private async reusable(episode: Episode, hashes: Partial<Record<StageName, string>>): Promise<Partial<Record<StageName, StageResult>>> {
    const candidates = (episode.status?.stages ?? []).filter(
      (entry) => (entry.attempt ?? 0) >= 2 && entry.phase !== 'Running' && hashes[entry.name] && entry.inputHash !== hashes[entry.name],
    );
    const out: Partial<Record<StageName, StageResult>> = {};
    for (const entry of candidates) {
      const hash = hashes[entry.name]!;
      const lookup = `${episode.metadata.uid}/${entry.name}/${entry.attempt}/${hash}`;
      if (this.notReusable.has(lookup)) continue;
      for (let attempt = entry.attempt! - 1; attempt >= 1 && !out[entry.name]; attempt--) {
        const result = await this.readResult(episode, entry.name, attempt, hash);
        if (result && !isStageResultProblem(result)) out[entry.name] = result;
      }
      // A new attempt with these inputs would be recorded in status, so a miss stays a miss.
      if (!out[entry.name]) {
        if (this.notReusable.size > 10_000) this.notReusable.clear();
        this.notReusable.add(lookup);
      }
    }
    return out;
  }

  /** What a stage attempt's runner reads, and where: built from the status's upstream results. */
  private async stageInput(
    episode: Episode,
    channel: Channel,
    status: EpisodeStatus,
    start: { stage: StageName; attempt: number; inputHash: string },
    timer: PhaseTimer,
  ): Promise<{ input: StageInput; inputUri: string }> {
    const { namespace, name, uid } = episode.metadata as { namespace: string; name: string; uid: string };
    const active = activeStages(channel.spec, episode.spec);
    const upstream: Partial<Record<StageName, StageResult>> = {};
    for (const ancestor of activeAncestors(start.stage, active)) {
      const entry = status.stages?.find((s) => s.name === ancestor);
      const result = entry?.attempt
        ? await timer.time('s3_read', () => this.readResult(episode, ancestor, entry.attempt!, entry.inputHash))
        : undefined;
      if (!result)
        throw new Error(`cannot start ${start.stage}: the result of ${ancestor} attempt ${entry?.attempt} is not in the artifact store`);
      if (isStageResultProblem(result)) throw new Error(`cannot start ${start.stage}: ${result.error}`);
      upstream[ancestor] = result;
    }
    const input: StageInput = {
      stage: start.stage,
      attempt: start.attempt,
      inputHash: start.inputHash,
      episode: { namespace, name, uid, spec: episode.spec },
      channel: { name: channel.metadata.name!, spec: channel.spec },
      upstream,
    };
    return { input, inputUri: this.inputUri(episode, start.stage, start.attempt) };
  }

  private inputUri(episode: Episode, stage: StageName, attempt: number): string {
    const { namespace, name, uid } = episode.metadata as { namespace: string; name: string; uid: string };
    return this.deps.store.uri(stageBucket(stage), `${stageKeyPrefix({ namespace, episode: name, uid, stage, attempt })}input.json`);
  }

  private async writeInput(episode: Episode, stage: StageName, attempt: number, inputUri: string, input: StageInput, timer: PhaseTimer) {
    await timer.time('s3_write', () => this.deps.store.putBytes(inputUri, JSON.stringify(input, null, 2), 'application/json'));
    this.rememberInput(episode, stage, attempt);
  }

  private inputKey(episode: Episode, stage: StageName, attempt: number): string {
    return `${episode.metadata.uid}/${stage}/${attempt}`;
  }

  /** An attempt whose input.json is known to be there; bounded, as a look again costs one read. */
  private rememberInput(episode: Episode, stage: StageName, attempt: number): void {
    if (this.inputsWritten.size >= 50_000) this.inputsWritten.clear();
    this.inputsWritten.add(this.inputKey(episode, stage, attempt));
  }

  private async startStage(
    episode: Episode,
    channel: Channel,
    status: EpisodeStatus,
    start: { stage: StageName; attempt: number; inputHash: string; jobName: string },
    timer: PhaseTimer,
    handoff: Handoff | undefined,
    answered: () => void,
  ): Promise<void> {
    const { namespace, name, uid } = episode.metadata as { namespace: string; name: string; uid: string };
    const { input, inputUri } = await this.stageInput(episode, channel, status, start, timer);
    const job = buildStageJob(
      {
        episode: { namespace, name, uid, spec: episode.spec },
        channel: { name: channel.metadata.name!, spec: channel.spec },
        ...start,
        inputUri,
      },
      this.deps.runner,
    );
    // The input upload and the Job create go out together (ADR 0028): a runner waits a bounded time
    // for an input that is not there yet, so neither has to wait for the other.
    const sentAt = performance.now();
    if (handoff) this.deps.metrics.handoffSteps.observe({ step: 'to_create' }, (sentAt - handoff.startedAt) / 1000);
    const [uploaded, created] = await Promise.allSettled([
      this.writeInput(episode, start.stage, start.attempt, inputUri, input, timer),
      timer
        .time('api_write', () =>
          this.deps.clients.custom.createNamespacedCustomObject({ group: 'batch', version: 'v1', plural: 'jobs', namespace, body: job }),
        )
        .finally(() => {
          answered();
          if (handoff) this.deps.metrics.handoffSteps.observe({ step: 'create' }, (performance.now() - sentAt) / 1000);
        }),
    ]);
    const made = created.status === 'fulfilled';
    if (!made && !isConflict(created.reason)) {
      this.deps.admission?.release(namespace, start.jobName);
      throw new Error(`cannot create Job ${start.jobName}: ${apiMessage(created.reason)}`, { cause: created.reason });
    }
    if (uploaded.status === 'rejected') {
      // A Job whose input never came would fail after its wait: it goes now, and the retry of this
      // reconcile uploads the input and makes the Job again under the same name.
      if (made) {
        await timer.time('api_write', () => this.deleteJob(namespace, start.jobName));
        this.deps.admission?.release(namespace, start.jobName);
      }
      throw new Error(`cannot write the input of ${start.stage} (${inputUri}): ${(uploaded.reason as Error).message}`, {
        cause: uploaded.reason,
      });
    }
    if (!made) return;
    this.expected.set(start.jobName, {
      key: `${namespace}/${uid}`,
      at: Date.now(),
      view: { name: start.jobName, stage: start.stage, attempt: start.attempt, state: 'Active', inputHash: start.inputHash },
    });
    this.deps.log.info({ namespace, episode: name, stage: start.stage, attempt: start.attempt, job: start.jobName }, 'started stage');
  }

  /**
   * Running attempts whose Job is there but whose input this process has not written: another
   * replica (or this one before a restart) may have died between the Job create and the upload
   * that went beside it. Each is looked at once: its input is written again when it is missing.
   */
  private inputsToCheck(
    episode: Episode,
    status: EpisodeStatus,
    jobs: readonly (StageJob & { inputHash?: string })[],
    hashes: Partial<Record<StageName, string>>,
  ): { stage: StageName; attempt: number; inputHash: string }[] {
    return (status.stages ?? [])
      .filter(
        (entry) =>
          entry.phase === 'Running' &&
          entry.attempt &&
          entry.inputHash &&
          entry.inputHash === hashes[entry.name] &&
          !this.inputsWritten.has(this.inputKey(episode, entry.name, entry.attempt)) &&
          jobs.some((job) => job.stage === entry.name && job.attempt === entry.attempt && job.state === 'Active'),
      )
      .map((entry) => ({ stage: entry.name, attempt: entry.attempt!, inputHash: entry.inputHash! }));
  }

  private async ensureInput(
    episode: Episode,
    channel: Channel,
    status: EpisodeStatus,
    attempt: { stage: StageName; attempt: number; inputHash: string },
    timer: PhaseTimer,
  ): Promise<void> {
    const inputUri = this.inputUri(episode, attempt.stage, attempt.attempt);
    if (await timer.time('s3_read', () => this.deps.store.exists(inputUri))) {
      this.rememberInput(episode, attempt.stage, attempt.attempt);
      return;
    }
    this.deps.log.info(
      { namespace: episode.metadata.namespace, episode: episode.metadata.name, stage: attempt.stage, attempt: attempt.attempt },
      'the running attempt had no input; writing it again',
    );
    const { input } = await this.stageInput(episode, channel, status, attempt, timer);
    await this.writeInput(episode, attempt.stage, attempt.attempt, inputUri, input, timer);
  }

  private async deleteJob(namespace: string, name: string): Promise<void> {
    try {
      await this.deps.clients.custom.deleteNamespacedCustomObject({
        group: 'batch',
        version: 'v1',
        plural: 'jobs',
        namespace,
        name,
        propagationPolicy: 'Background',
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Stores the status when it changed; a conflict means a newer Episode is coming: try again then. */
  private async storeStatus(episode: Episode, status: EpisodeStatus): Promise<boolean> {
    if (isDeepStrictEqual(normalise(episode.status), normalise(status))) return false;
    try {
      const stored = (await this.deps.clients.custom.replaceNamespacedCustomObjectStatus({
        ...STATUS_PARAMS,
        namespace: episode.metadata.namespace!,
        name: episode.metadata.name!,
        body: {
          apiVersion: episode.apiVersion,
          kind: episode.kind,
          metadata: episode.metadata,
          spec: episode.spec,
          status: normalise(status),
        },
      })) as Episode;
      this.deps.episodes.upsert(stored);
      return true;
    } catch (error) {
      if (isConflict(error)) throw new StatusConflict(`${episode.metadata.namespace}/${episode.metadata.name}`);
      throw error;
    }
  }

  private record(episode: Episode, transitions: Transition[], outcomes: AttemptOutcome[], status: EpisodeStatus): void {
    const { namespace, name } = episode.metadata;
    for (const outcome of outcomes) {
      const entry = status.stages?.find((s) => s.name === outcome.stage);
      const provider = outcome.result?.provider ?? entry?.provider ?? 'unknown';
      const outcomeLabel = outcome.result ? 'Succeeded' : 'Failed';
      this.deps.metrics.stageOutcomes.inc({ stage: outcome.stage, provider, outcome: outcomeLabel });
      const startedAt = outcome.result?.startedAt ?? entry?.startedAt;
      const finishedAt = outcome.result?.finishedAt ?? outcome.at.toISOString();
      if (startedAt)
        this.deps.metrics.stageDuration.observe(
          { stage: outcome.stage, provider, outcome: outcomeLabel },
          (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000,
        );
      const log = this.deps.log.child({ namespace, episode: name, stage: outcome.stage, attempt: outcome.attempt });
      if (outcome.result) log.info({ provider, costUSD: outcome.result.costUSD }, 'stage succeeded');
      else log.warn({ reason: outcome.failure }, 'stage attempt failed');
    }
    if (transitions.length === 0) return;
    // One Event per reconcile keeps a stage hand-off at three API writes (Job, status, Event).
    const order = [
      'Failed',
      'StageFailed',
      'Succeeded',
      'Cancelled',
      'StageRetrying',
      'RetryRequested',
      'StageSucceeded',
      'StageReused',
      'AwaitingApproval',
      'StageStarted',
    ];
    const main = [...transitions].sort((a, b) => order.indexOf(a.reason) - order.indexOf(b.reason))[0];
    const type = transitions.some((t) => t.type === 'Warning') ? 'Warning' : 'Normal';
    this.deps.events.emit(episode, { type, reason: main.reason, message: transitions.map((t) => t.message).join('; ') });
  }

  /**
   * The Episode with the finalizers it should carry: patched when they differ, and then the patched
   * object, so that the reconcile goes on with it and the first stage starts now (the cache's update
   * still queues the Episode once more, for a reconcile that finds nothing to do). Undefined when
   * the patch found the Episode gone.
   */
  private async ensureFinalizer(episode: Episode, channel: Channel | undefined): Promise<Episode | undefined> {
    const finalizers = episode.metadata.finalizers ?? [];
    let next = finalizers;
    if (channel) {
      const wanted = channel.spec.retention?.artifacts === 'DeleteWithEpisode';
      const has = finalizers.includes(ARTIFACTS_FINALIZER);
      if (wanted && !has) next = [...next, ARTIFACTS_FINALIZER];
      if (!wanted && has) next = next.filter((f) => f !== ARTIFACTS_FINALIZER);
    }
    // With an archive, nothing finished is lost to a hand delete: the archiver removes this once the
    // row is stored. Never put back on a finished Episode (it would wait for a row already there).
    if (this.deps.ledger && !isFinished(episode) && !next.includes(ARCHIVE_FINALIZER)) next = [...next, ARCHIVE_FINALIZER];
    if (next === finalizers) return episode;
    return this.patchFinalizers(episode, next);
  }

  /** The patched Episode; undefined when it is gone. */
  private async patchFinalizers(episode: Episode, finalizers: string[]): Promise<Episode | undefined> {
    try {
      const patched = (await this.deps.clients.custom.patchNamespacedCustomObject(
        {
          ...STATUS_PARAMS,
          namespace: episode.metadata.namespace!,
          name: episode.metadata.name!,
          body: { metadata: { finalizers, resourceVersion: episode.metadata.resourceVersion } },
        },
        MERGE_PATCH,
      )) as Episode;
      this.deps.episodes.upsert(patched);
      return patched;
    } catch (error) {
      if (isConflict(error)) throw new StatusConflict(`${episode.metadata.namespace}/${episode.metadata.name}`);
      if (!isNotFound(error)) throw error;
      return undefined;
    }
  }

  /** The Episode is being deleted: its artifacts go when the Channel's retention says so. */
  private async finalize(episode: Episode, channel: Channel | undefined): Promise<void> {
    const finalizers = episode.metadata.finalizers ?? [];
    if (!finalizers.includes(ARTIFACTS_FINALIZER)) return;
    const { namespace, name, uid } = episode.metadata as { namespace: string; name: string; uid: string };
    this.recorder?.forget(uid);
    const keep = channel?.spec.retention?.artifacts === 'Keep';
    let deleted = 0;
    if (!keep) {
      const prefix = episodeKeyPrefix({ namespace, episode: name, uid });
      for (const bucket of [BUCKETS.scripts, BUCKETS.assets])
        deleted += await this.deps.store.deletePrefix(this.deps.store.uri(bucket, prefix));
    }
    await this.patchFinalizers(
      episode,
      finalizers.filter((f) => f !== ARTIFACTS_FINALIZER),
    );
    this.deps.log.info(
      { namespace, episode: name, objects: deleted },
      keep ? 'kept the artifacts (retention Keep)' : 'deleted the episode artifacts',
    );
  }
}

/** A reconcile that a stage event started: when it began, for acog_handoff_step_seconds. */
interface Handoff {
  startedAt: number;
}

export class StatusConflict extends Error {
  constructor(key: string) {
    super(`the Episode ${key} changed meanwhile; reconciling it again`);
    this.name = 'StatusConflict';
  }
}

/** Why the Channel cannot be used now, or not by this Episode's overrides; undefined when it can. */
export function channelProblem(episode: Episode, channel: Channel | undefined): { reason: string; message: string } | undefined {
  const name = episode.spec.channelRef.name;
  if (!channel)
    return {
      reason: 'ChannelNotFound',
      message: `channel "${name}" not found in namespace ${episode.metadata.namespace}: create it (kubectl apply -f channel.yaml), and the episode starts`,
    };
  const ready = findCondition(channel.status?.conditions, 'Ready');
  // Until the Channel's check has caught up with its spec, nothing starts: its Secrets may be missing.
  if (!ready || ready.observedGeneration !== channel.metadata.generation)
    return { reason: 'ChannelNotChecked', message: `waiting for the operator to check channel "${name}"` };
  if (ready.status !== 'True') return { reason: 'ChannelNotReady', message: `channel "${name}" is not ready: ${ready.message}` };
  const refused = overrideProblems(channel.spec, episode.spec);
  if (refused.length)
    return {
      reason: 'OverrideNotAllowed',
      message: `${refused.map((problem) => `${problem.field}: ${problem.message}`).join('; ')}; change the Episode, or allow it in channel "${name}"`,
    };
  return undefined;
}

/**
 * Whether a stage event can still be recorded: it is of this Episode (uid), and of an attempt the
 * status runs or has a Job for; or it is recorded already (then settling acknowledges it). Events
 * of older attempts not yet settled, of attempts far ahead or of stages without a Job can never be
 * used: they are terminated rather than kept unacknowledged.
 */
export function isUsableEvent(status: EpisodeStatus, jobs: StageJob[], uid: string, event: StageEvent): boolean {
  if (event.uid !== uid) return false;
  if (isRecorded(status, event)) return true;
  const entry = status.stages?.find((s) => s.name === event.stage);
  if (entry?.phase === 'Running' && entry.attempt === event.attempt) return true;
  return jobs.some((job) => job.stage === event.stage && job.attempt === event.attempt);
}

/** upload's publication.json, checked before any of it reaches status.youtube (only YouTube's is used). */
function checkPublication(raw: unknown): AttemptOutcome['publication'] {
  const record = raw as Record<string, unknown> | null;
  if (!record || typeof record !== 'object') throw new Error('not a JSON object');
  if (record.provider !== 'youtube') return undefined;
  const text = (field: string, max: number) => {
    const value = record[field];
    if (typeof value !== 'string' || !value || value.length > max) throw new Error(`${field}: must be a string of 1 to ${max} characters`);
    return value;
  };
  const id = text('id', 64);
  const url = text('url', 2048);
  if (!/^https:\/\//.test(url)) throw new Error('url: must be an https URL');
  if (record.publishAt === undefined) return { provider: 'youtube', id, url };
  const publishAt = text('publishAt', 64);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(publishAt) || Number.isNaN(Date.parse(publishAt)))
    throw new Error('publishAt: must be an RFC 3339 time');
  return { provider: 'youtube', id, url, publishAt };
}

/** Whether the stored status already records a stage event, so its message can be acknowledged. */
export function isRecorded(status: EpisodeStatus, event: Pick<StageEvent, 'stage' | 'attempt'>): boolean {
  const entry: StageStatus | undefined = status.stages?.find((s) => s.name === event.stage);
  if (!entry?.attempt) return status.phase === 'Cancelled';
  return entry.attempt > event.attempt || (entry.attempt === event.attempt && entry.phase !== 'Running');
}

/** JSON as the API server stores it: no undefined fields. */
function normalise<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
