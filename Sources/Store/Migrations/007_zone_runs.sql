-- A run may cover a zone of a municipality (a polygon given with the request) instead of all of
-- it. Such runs are kept and reachable by id, but the municipality's latest results (its
-- collections, parcel reports, staleness) come only from runs over the whole municipality.
ALTER TABLE analysis_run ADD COLUMN zone boolean NOT NULL DEFAULT false;
