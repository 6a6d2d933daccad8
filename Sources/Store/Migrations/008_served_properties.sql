-- A feature's `attributes` are the properties the API serves: the NPN and DIVIPOLA code the
-- ingest extracted are merged in when the row is written, instead of by every read (merging
-- jsonb per row cost a fifth of a page in a box). Rows loaded before carry them from here on.
UPDATE feature SET attributes = attributes || jsonb_strip_nulls(jsonb_build_object('npn', npn, 'divipola', divipola))
WHERE npn IS NOT NULL OR divipola IS NOT NULL;
