-- A published layer version's features again, each with its geometry's GeoJSON in CRS84 (the
-- default output of the API) prepared: PostgreSQL's reprojection and GeoJSON writing were two
-- fifths of a page's statement. The server builds a copy (table feature_crs84_v<version>)
-- after the version is published, without slowing the load, registers it here once complete,
-- and drops it when the version stops being the published one. Reads use a copy only once it
-- is registered; until then, and for every other output, they read the version's partition.
CREATE TABLE feature_crs84 (
  version_id bigint PRIMARY KEY REFERENCES layer_version(id) ON DELETE CASCADE,
  features bigint NOT NULL,
  built_at timestamptz NOT NULL DEFAULT now()
);
