-- 002_feature_partitions: `feature` becomes partitioned by layer version. A load writes its
-- rows into a table of its own without indexes, builds the indexes in bulk and attaches the
-- table as the version's partition, all inside the load's transaction: far cheaper than
-- maintaining a GiST index row by row during COPY, and a rolled-back load leaves nothing.
-- Rows loaded before this migration move to the default partition.

ALTER TABLE feature RENAME TO feature_unpartitioned;
ALTER INDEX feature_pkey RENAME TO feature_unpartitioned_pkey;
ALTER INDEX feature_geom_idx RENAME TO feature_unpartitioned_geom_idx;
ALTER INDEX feature_divipola_idx RENAME TO feature_unpartitioned_divipola_idx;
ALTER INDEX feature_npn_idx RENAME TO feature_unpartitioned_npn_idx;

CREATE TABLE feature (
  version_id  bigint NOT NULL REFERENCES layer_version (id) ON DELETE CASCADE,
  fid         bigint NOT NULL,
  source_fid  bigint,
  divipola    char(5),
  npn         text,
  attributes  jsonb NOT NULL DEFAULT '{}',
  geom        geometry(Geometry, 9377) NOT NULL,
  PRIMARY KEY (version_id, fid)
) PARTITION BY LIST (version_id);
CREATE INDEX feature_geom_idx ON feature USING gist (geom);
CREATE INDEX feature_divipola_idx ON feature (divipola) WHERE divipola IS NOT NULL;
CREATE INDEX feature_npn_idx ON feature (npn) WHERE npn IS NOT NULL;

CREATE TABLE feature_default PARTITION OF feature DEFAULT;
INSERT INTO feature SELECT * FROM feature_unpartitioned;
DROP TABLE feature_unpartitioned;
