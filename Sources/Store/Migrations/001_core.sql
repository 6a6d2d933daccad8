-- 001_core: PostGIS, EPSG:9377 (absent from PostGIS 3.3's spatial_ref_sys), and the core
-- tables: layers, their versions, their features, and the job queue.

CREATE EXTENSION IF NOT EXISTS postgis;

-- MAGNA-SIRGAS / Origen-Nacional (CTM12), IGAC Resolución 471 de 2020.
-- WKT and PROJ string from `projinfo EPSG:9377 -o WKT1_GDAL` / `-o PROJ` (PROJ 9.1.1).
INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text)
VALUES (
  9377, 'EPSG', 9377,
  'PROJCS["MAGNA-SIRGAS / Origen-Nacional",GEOGCS["MAGNA-SIRGAS",DATUM["Marco_Geocentrico_Nacional_de_Referencia",SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","6686"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4686"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",4],PARAMETER["central_meridian",-73],PARAMETER["scale_factor",0.9992],PARAMETER["false_easting",5000000],PARAMETER["false_northing",2000000],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","9377"]]',
  '+proj=tmerc +lat_0=4 +lon_0=-73 +k=0.9992 +x_0=5000000 +y_0=2000000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs'
)
ON CONFLICT (srid) DO NOTHING;

CREATE TYPE layer_kind AS ENUM ('cadastral', 'pot', 'determinant', 'condicionante', 'boundary');
CREATE TYPE version_status AS ENUM ('staging', 'published', 'superseded', 'failed');

-- A theme a municipality or an authority maintains: the parcels, the POT zoning, one
-- determinant. Its content lives in versions.
CREATE TABLE layer (
  id              bigserial PRIMARY KEY,
  slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  kind            layer_kind NOT NULL,
  title           text,
  divipola        char(5) CHECK (divipola ~ '^[0-9]{5}$'),
  determinant_type text,
  authority       text,
  legal_act       text,
  cutoff_date     date,
  -- For a layer of sustracciones: the determinant layer they are removed from.
  sustraccion_of  bigint REFERENCES layer (id),
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- One load of a layer. At most one version of a layer is published; publishing flips the
-- previous one to superseded in the same transaction. Old versions stay queryable.
CREATE TABLE layer_version (
  id                bigserial PRIMARY KEY,
  layer_id          bigint NOT NULL REFERENCES layer (id) ON DELETE CASCADE,
  number            integer NOT NULL,
  status            version_status NOT NULL DEFAULT 'staging',
  source_name       text NOT NULL,
  source_sha256     text NOT NULL,
  encoding          text,
  source_crs        text,
  source_epsg       integer,
  crs_confidence    integer,
  geometry_family   text,
  features_read     integer,
  features_written  integer,
  features_repaired integer,
  features_dropped  integer,
  extent            geometry(Polygon, 9377),
  report            jsonb NOT NULL DEFAULT '{}',
  created_by        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  published_at      timestamptz,
  UNIQUE (layer_id, number)
);
CREATE UNIQUE INDEX layer_version_one_published ON layer_version (layer_id)
  WHERE status = 'published';

-- The features of every version. `fid` is assigned at load (1..n in source order) and is
-- stable within the version; `source_fid` is the driver's, which differs between drivers.
-- `divipola` is the future distribution key (Citus).
CREATE TABLE feature (
  version_id  bigint NOT NULL REFERENCES layer_version (id) ON DELETE CASCADE,
  fid         bigint NOT NULL,
  source_fid  bigint,
  divipola    char(5),
  npn         text,
  attributes  jsonb NOT NULL DEFAULT '{}',
  geom        geometry(Geometry, 9377) NOT NULL,
  PRIMARY KEY (version_id, fid)
);
CREATE INDEX feature_geom_idx ON feature USING gist (geom);
CREATE INDEX feature_divipola_idx ON feature (divipola) WHERE divipola IS NOT NULL;
CREATE INDEX feature_npn_idx ON feature (npn) WHERE npn IS NOT NULL;

-- Long work (ingest, analysis), claimed by runners with FOR UPDATE SKIP LOCKED.
CREATE TABLE job (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL,
  status      text NOT NULL DEFAULT 'queued'
              CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  params      jsonb NOT NULL DEFAULT '{}',
  progress    real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  message     text,
  result      jsonb,
  error       jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz,
  finished_at timestamptz,
  claimed_by  text
);
CREATE INDEX job_queued_idx ON job (created_at) WHERE status = 'queued';
