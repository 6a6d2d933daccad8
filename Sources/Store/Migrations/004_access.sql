-- 004_access: API keys (only their SHA-256 is stored) and the audit trail of every write.

CREATE TABLE api_key (
  id          bigserial PRIMARY KEY,
  -- The public part of the key (nodo_<prefix>_<secret>), to find it without scanning.
  prefix      text NOT NULL UNIQUE,
  sha256      text NOT NULL,
  role        text NOT NULL CHECK (role IN ('technician', 'planner', 'admin')),
  -- Municipalities the key may act on; NULL for all.
  divipola    text[],
  label       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE audit_event (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  key_id    bigint REFERENCES api_key (id),
  role      text,
  action    text NOT NULL,
  target    text,
  result    text NOT NULL
);
CREATE INDEX audit_event_at_idx ON audit_event (at DESC);
