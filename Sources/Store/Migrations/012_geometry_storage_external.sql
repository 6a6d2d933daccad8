-- Geometries are stored out of line without compression (STORAGE EXTERNAL). Coordinates do not
-- compress: PostgreSQL's pglz spent about 35 ms on the 2.4 MB of the 12 Ramsar wetlands, a third
-- of their load, and stored every byte anyway (2,478,288 bytes raw, 2,478,244 stored). Reads
-- skip the decompression, and a box test on a large geometry can fetch only its header. Rows
-- already stored keep their form; new ones are written uncompressed. A layer version's
-- partition takes the parent's storage (LayerRepository.createPartition).
ALTER TABLE feature ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE analysis_run ALTER COLUMN scope SET STORAGE EXTERNAL;
ALTER TABLE analysis_shape ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE confluence_face ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE pot_conflict ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE affectation ALTER COLUMN geom SET STORAGE EXTERNAL;
