-- Up Migration

-- The cost ledger: one row per finished stage attempt (succeeded or failed: a failed paid call costs
-- money too). The key (episode_uid, stage, attempt) makes every write idempotent, so restarts,
-- replays and two operator replicas never count an attempt twice.
CREATE TABLE ledger (
  episode_uid   text        NOT NULL,
  stage         text        NOT NULL,
  attempt       integer     NOT NULL CHECK (attempt >= 1),
  namespace     text        NOT NULL,
  channel       text        NOT NULL,
  episode       text        NOT NULL,
  outcome       text        NOT NULL CHECK (outcome IN ('Succeeded', 'Failed')),
  provider      text        NOT NULL,
  model         text,
  usage         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  input_tokens  bigint,
  output_tokens bigint,
  characters    bigint,
  seconds       numeric,
  clips         integer,
  cost_usd      numeric(14, 6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
  finished_at   timestamptz NOT NULL,
  -- The month of finished_at in the Channel's timezone ('YYYY-MM'): budgets are per calendar month there.
  month         text        NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (episode_uid, stage, attempt)
);

CREATE INDEX ledger_channel_month ON ledger (namespace, channel, month);

-- Estimates held by paid stages that passed the budget gate and have not finished: the "reserve"
-- that month-to-date spend is checked with. A reservation is removed in the transaction that writes
-- its attempt's ledger row, or when its Episode is gone.
CREATE TABLE budget_reservations (
  episode_uid  text        NOT NULL,
  stage        text        NOT NULL,
  attempt      integer     NOT NULL CHECK (attempt >= 1),
  namespace    text        NOT NULL,
  channel      text        NOT NULL,
  episode      text        NOT NULL,
  month        text        NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  estimate_usd numeric(14, 6) NOT NULL CHECK (estimate_usd >= 0),
  reserved_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (episode_uid, stage, attempt)
);

CREATE INDEX budget_reservations_channel ON budget_reservations (namespace, channel);

-- Down Migration

DROP TABLE budget_reservations;
DROP TABLE ledger;
