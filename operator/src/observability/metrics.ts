// The operator's Prometheus metrics (prom-client), one registry per operator instance so that
// tests can run several. Names follow the Prometheus conventions: unit suffixes, _total counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'acog_reconcile_total',
    help: 'Reconciles by controller and result (success, error, requeue).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'acog_reconcile_errors_total',
    help: 'Reconciles that failed and were queued again with backoff.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'acog_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly reconcilePhase = new Histogram({
    name: 'acog_reconcile_phase_seconds',
    help: 'Time one reconcile spent in a kind of work (s3_read, s3_write, api_write, ledger, planning): wall time with any of it in flight.',
    labelNames: ['controller', 'phase'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly handoffSteps = new Histogram({
    name: 'acog_handoff_step_seconds',
    help: "A hand-off's critical path, step by step: a stage event received → its Episode's reconcile started (queued), → the next Job's create sent (to_create), → the create answered (create).",
    labelNames: ['step'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'acog_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly queueLatency = new Histogram({
    name: 'acog_workqueue_queue_duration_seconds',
    help: 'How long a key waited in the work queue before a worker took it.',
    labelNames: ['controller'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10],
    registers: [this.registry],
  });
  readonly stageDuration = new Histogram({
    name: 'acog_stage_duration_seconds',
    help: 'Duration of finished stage attempts, by stage, provider and outcome.',
    labelNames: ['stage', 'provider', 'outcome'] as const,
    buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly stageOutcomes = new Counter({
    name: 'acog_stage_outcomes_total',
    help: 'Finished stage attempts by stage, provider and outcome (Succeeded, Failed).',
    labelNames: ['stage', 'provider', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: 'acog_kube_api_requests_total',
    help: 'Requests to the Kubernetes API server by verb and resource.',
    labelNames: ['verb', 'resource'] as const,
    registers: [this.registry],
  });
  readonly completionEvents = new Counter({
    name: 'acog_completion_events_total',
    help: 'Stage events received from NATS JetStream, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly archiveWrites = new Counter({
    name: 'acog_archive_writes_total',
    help: 'Finished Episodes written to the archive (PostgreSQL), by result (success, error).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly ttlDeletions = new Counter({
    name: 'acog_archive_ttl_deletions_total',
    help: "Finished, archived Episodes deleted after their Channel's archive.ttlSecondsAfterFinished.",
    registers: [this.registry],
  });
  readonly archiveCollected = new Counter({
    name: 'acog_archive_collected_total',
    help: "Archived episodes deleted after their Channel's archive.retentionDays.",
    registers: [this.registry],
  });
  readonly pulseDecisions = new Counter({
    name: 'acog_pulse_decisions_total',
    help: 'Pulse (event, Channel) decisions, by outcome (created, skipped) and reason.',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'acog_leader',
    help: '1 while this replica holds the leader lease.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'acog_operator_' });
  }
}
