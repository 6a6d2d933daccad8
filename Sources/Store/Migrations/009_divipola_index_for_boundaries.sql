-- The DIVIPOLA code of a feature is searched only in boundary layers (a municipality by its
-- code). Every other partition paid for an index whose rows share one code (a municipality's
-- parcels) or are never looked up by it: 45 ms of a 100k-parcel load. The index becomes each
-- boundary partition's own (built at load); earlier boundary partitions get theirs here.
DROP INDEX feature_divipola_idx;
DO $$
DECLARE
  part regclass;
BEGIN
  FOR part IN
    SELECT format('feature_v%s', v.id)::regclass
    FROM layer_version v JOIN layer l ON l.id = v.layer_id
    WHERE l.kind = 'boundary' AND to_regclass(format('feature_v%s', v.id)) IS NOT NULL
  LOOP
    EXECUTE format('CREATE INDEX %s ON %s (divipola) WHERE divipola IS NOT NULL', part::text || '_divipola_idx', part);
  END LOOP;
END $$;
