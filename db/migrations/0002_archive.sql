-- Up Migration

-- The archive of finished Episodes (Succeeded, Failed, Cancelled): the whole object as the API server
-- had it, keyed by its uid, so that the cluster can drop old Episodes (Channel.spec.archive) as Argo's
-- workflow archive and Tekton Results do. Written with an idempotent upsert by the operator before any
-- TTL may delete the Episode; read by the gateway's history routes; old rows are collected per
-- Channel after spec.archive.retentionDays.
CREATE TABLE archived_episodes (
  uid              text        PRIMARY KEY,
  namespace        text        NOT NULL,
  channel          text        NOT NULL,
  name             text        NOT NULL,
  phase            text        NOT NULL CHECK (phase IN ('Succeeded', 'Failed', 'Cancelled')),
  topic            text        NOT NULL DEFAULT '',
  labels           jsonb       NOT NULL DEFAULT '{}'::jsonb,
  object           jsonb       NOT NULL,
  total_cost_usd   numeric(14, 6) NOT NULL DEFAULT 0,
  video_id         text,
  video_url        text,
  -- The Episode's resourceVersion when it was archived: the TTL deletes only that version.
  resource_version text        NOT NULL,
  created_at       timestamptz,
  finished_at      timestamptz NOT NULL,
  archived_at      timestamptz NOT NULL DEFAULT now(),
  -- Full-text search over name, topic and brief (english stemming: "index" finds "indexes").
  search           tsvector    GENERATED ALWAYS AS (
    to_tsvector('english'::regconfig, name || ' ' || topic || ' ' || coalesce(object #>> '{spec,brief}', ''))
  ) STORED
);

-- History pages are newest first, per namespace, optionally per Channel (keyset on finished_at, uid);
-- the Channel index also serves the retention delete.
CREATE INDEX archived_episodes_namespace_finished ON archived_episodes (namespace, finished_at DESC, uid DESC);
CREATE INDEX archived_episodes_channel_finished ON archived_episodes (namespace, channel, finished_at DESC, uid DESC);
CREATE INDEX archived_episodes_search ON archived_episodes USING gin (search);
CREATE INDEX archived_episodes_labels ON archived_episodes USING gin (labels jsonb_path_ops);

-- Down Migration

DROP TABLE archived_episodes;
