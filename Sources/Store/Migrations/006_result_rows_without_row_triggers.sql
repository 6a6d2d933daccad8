-- A run's result rows (hundreds of thousands for a large municipality) are written by one COPY
-- each, in the transaction that completes the run. Their foreign keys fired a check per row:
-- at 1,000,000 parcels, 2.5 s of the 4.7 s it took to store affectations and parcel totals.
-- The same guarantees, without a trigger per row:
-- * the run: rows are written only with the id of the run being completed, and are deleted
--   with it by one statement-level trigger below (as ON DELETE CASCADE did);
-- * the layer versions: every version a run read is in analysis_input, whose foreign keys stay,
--   so no version a run's rows point to can be deleted while the run exists.
ALTER TABLE analysis_shape DROP CONSTRAINT analysis_shape_run_id_fkey,
  DROP CONSTRAINT analysis_shape_layer_id_fkey, DROP CONSTRAINT analysis_shape_version_id_fkey;
ALTER TABLE confluence_face DROP CONSTRAINT confluence_face_run_id_fkey;
ALTER TABLE pot_conflict DROP CONSTRAINT pot_conflict_run_id_fkey,
  DROP CONSTRAINT pot_conflict_pot_version_id_fkey;
ALTER TABLE affectation DROP CONSTRAINT affectation_run_id_fkey,
  DROP CONSTRAINT affectation_parcel_version_id_fkey;
ALTER TABLE parcel_summary DROP CONSTRAINT parcel_summary_run_id_fkey,
  DROP CONSTRAINT parcel_summary_parcel_version_id_fkey;

CREATE FUNCTION delete_run_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM analysis_shape WHERE run_id IN (SELECT id FROM gone);
  DELETE FROM confluence_face WHERE run_id IN (SELECT id FROM gone);
  DELETE FROM pot_conflict WHERE run_id IN (SELECT id FROM gone);
  DELETE FROM affectation WHERE run_id IN (SELECT id FROM gone);
  DELETE FROM parcel_summary WHERE run_id IN (SELECT id FROM gone);
  RETURN NULL;
END
$$;

CREATE TRIGGER analysis_run_delete_results AFTER DELETE ON analysis_run
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION delete_run_results();
