-- Up Migration

-- Pulse (trend) events as the gateway's POST /webhooks/pulse received them: one row per (source, id),
-- stored before the webhook answers 202, so a replay is recognised (200 duplicate) and nothing
-- accepted is lost. seq orders events for the operator's matching, which resumes after the highest
-- seq it has decided for (pulse_decisions), so a restart neither skips nor repeats an event.
CREATE TABLE pulse_events (
  seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  source       text             NOT NULL,
  id           text             NOT NULL,
  title        text             NOT NULL,
  url          text             NOT NULL,
  summary      text             NOT NULL DEFAULT '',
  score        double precision NOT NULL CHECK (score >= 0 AND score <= 1),
  keywords     text[]           NOT NULL DEFAULT '{}',
  published_at timestamptz      NOT NULL,
  received_at  timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (source, id)
);

-- What the operator decided for each (event, Channel with pulse enabled), with its reason: an Episode
-- created (outcome 'created', episode names it; waiting at the plan gate when its rule requires
-- approval) or not (outcome 'skipped', reason says why: no rule for the source, no keyword, score
-- below minScore, the day's limit reached, a topic already covered, ...). Unique per (event,
-- Channel uid), so a decision is taken once even across restarts and replicas. day is the date in
-- the Channel's timezone, for maxEpisodesPerDay.
CREATE TABLE pulse_decisions (
  source       text        NOT NULL,
  event_id     text        NOT NULL,
  namespace    text        NOT NULL,
  channel      text        NOT NULL,
  channel_uid  text        NOT NULL,
  outcome      text        NOT NULL CHECK (outcome IN ('created', 'skipped')),
  reason       text        NOT NULL,
  message      text        NOT NULL DEFAULT '',
  rule_index   integer,
  episode      text,
  day          date        NOT NULL,
  decided_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, event_id, channel_uid),
  FOREIGN KEY (source, event_id) REFERENCES pulse_events (source, id) ON DELETE CASCADE
);

-- Where the operator's matching stands for each Channel with pulse enabled: every event with a seq up to
-- cursor_seq is decided for it (a decision row per event). The row is made when the operator first
-- sees the Channel's pulse enabled, at the newest event then, so events from before are not matched
-- for it; while pulse is off the cursor follows the newest event, so those are never matched later.
-- The matching of one Channel holds this row locked (SELECT ... FOR UPDATE), so two operator
-- replicas never decide for the same Channel at once: the daily count and the new decisions are
-- read and written under that lock.
CREATE TABLE pulse_channels (
  channel_uid  text        PRIMARY KEY,
  namespace    text        NOT NULL,
  channel      text        NOT NULL,
  cursor_seq   bigint      NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The Pulse inbox and `kubectl acog pulse ls` read per namespace (optionally per Channel), newest
-- first; the daily limit counts created Episodes per Channel and rule per day.
CREATE INDEX pulse_decisions_namespace ON pulse_decisions (namespace, channel, decided_at DESC);
CREATE INDEX pulse_decisions_daily ON pulse_decisions (channel_uid, day, rule_index) WHERE outcome = 'created';

-- Down Migration

DROP TABLE pulse_channels;
DROP TABLE pulse_decisions;
DROP TABLE pulse_events;
