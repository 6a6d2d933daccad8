-- 003_analysis: conflict-engine runs and their results. Every result row cites its run; a
-- run records the exact layer versions it read (analysis_input), its parameters and the
-- software version, so a result can always be traced and re-run.

CREATE TABLE analysis_run (
  id               bigserial PRIMARY KEY,
  divipola         char(5) NOT NULL CHECK (divipola ~ '^[0-9]{5}$'),
  status           text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  scope            geometry(MultiPolygon, 9377),
  parameters       jsonb NOT NULL DEFAULT '{}',
  software_version text NOT NULL,
  counts           jsonb NOT NULL DEFAULT '{}',
  timings          jsonb NOT NULL DEFAULT '{}',
  summary          jsonb NOT NULL DEFAULT '{}',
  error            text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX analysis_run_divipola_idx ON analysis_run (divipola, id DESC);

-- The layer versions a run read, and in which role.
CREATE TABLE analysis_input (
  run_id     bigint NOT NULL REFERENCES analysis_run (id) ON DELETE CASCADE,
  version_id bigint NOT NULL REFERENCES layer_version (id),
  role       text NOT NULL,
  PRIMARY KEY (run_id, version_id)
);

-- The determinant and condicionante features as the run used them (buffered, sustracciones
-- removed, clipped to the scope). `level` is NULL for condicionantes.
CREATE TABLE analysis_shape (
  run_id      bigint NOT NULL REFERENCES analysis_run (id) ON DELETE CASCADE,
  shape_id    integer NOT NULL,
  layer_id    bigint NOT NULL REFERENCES layer (id),
  version_id  bigint NOT NULL REFERENCES layer_version (id),
  fid         bigint NOT NULL,
  type_code   text NOT NULL,
  level       smallint,
  literal     text,
  ethnic      boolean NOT NULL,
  name        text,
  authority   text,
  legal_act   text,
  cutoff_date text,
  legal_basis text,
  area_m2     double precision NOT NULL,
  geom        geometry(MultiPolygon, 9377) NOT NULL,
  PRIMARY KEY (run_id, shape_id)
);
CREATE INDEX analysis_shape_geom_idx ON analysis_shape USING gist (geom);

-- The planar partition of the determinants: `members` are analysis_shape ids.
CREATE TABLE confluence_face (
  run_id              bigint NOT NULL REFERENCES analysis_run (id) ON DELETE CASCADE,
  face_id             integer NOT NULL,
  members             integer[] NOT NULL,
  ranked_count        integer NOT NULL,
  prevailing_level    smallint,
  prevailing_literal  text,
  resolution          text NOT NULL,
  concertacion_etnica boolean NOT NULL,
  sliver              boolean NOT NULL,
  area_m2             double precision NOT NULL,
  fundamento          text NOT NULL,
  geom                geometry(Polygon, 9377) NOT NULL,
  PRIMARY KEY (run_id, face_id)
);
CREATE INDEX confluence_face_geom_idx ON confluence_face USING gist (geom);

-- Where the POT allows what a prevailing determinant forbids or conditions.
CREATE TABLE pot_conflict (
  run_id         bigint NOT NULL REFERENCES analysis_run (id) ON DELETE CASCADE,
  conflict_id    integer NOT NULL,
  pot_version_id bigint NOT NULL REFERENCES layer_version (id),
  pot_fid        bigint NOT NULL,
  unidad         text,
  clase          text,
  categoria      text,
  face_id        integer NOT NULL,
  shapes         integer[] NOT NULL,
  level          smallint NOT NULL,
  quality        text NOT NULL CHECK (quality IN ('condicionado', 'prohibido')),
  reason         text,
  fundamento     text NOT NULL,
  area_m2        double precision NOT NULL,
  geom           geometry(MultiPolygon, 9377) NOT NULL,
  PRIMARY KEY (run_id, conflict_id)
);
CREATE INDEX pot_conflict_geom_idx ON pot_conflict USING gist (geom);

-- The "cruce": each determinant or condicionante over each parcel.
CREATE TABLE affectation (
  run_id            bigint NOT NULL REFERENCES analysis_run (id) ON DELETE CASCADE,
  parcel_version_id bigint NOT NULL REFERENCES layer_version (id),
  parcel_fid        bigint NOT NULL,
  npn               text,
  shape_id          integer NOT NULL,
  area_m2           double precision NOT NULL,
  pct_parcel        double precision NOT NULL,
  pct_determinant   double precision NOT NULL,
  covered           boolean NOT NULL,
  geom              geometry(MultiPolygon, 9377),
  PRIMARY KEY (run_id, parcel_version_id, parcel_fid, shape_id)
);
CREATE INDEX affectation_npn_idx ON affectation (npn, run_id) WHERE npn IS NOT NULL;

-- Totals per parcel, for every parcel of the scope (affected or not).
CREATE TABLE parcel_summary (
  run_id            bigint NOT NULL REFERENCES analysis_run (id) ON DELETE CASCADE,
  parcel_version_id bigint NOT NULL REFERENCES layer_version (id),
  parcel_fid        bigint NOT NULL,
  npn               text,
  area_m2           double precision NOT NULL,
  restricted_m2     double precision NOT NULL,
  free_m2           double precision NOT NULL,
  prevailing_level  smallint,
  affectations      integer NOT NULL,
  slivers_dropped   integer NOT NULL,
  PRIMARY KEY (run_id, parcel_version_id, parcel_fid)
);
CREATE INDEX parcel_summary_npn_idx ON parcel_summary (npn, run_id) WHERE npn IS NOT NULL;
