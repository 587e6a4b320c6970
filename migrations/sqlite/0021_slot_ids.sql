-- Slot ids are never handed out twice. The gate's buckets, the sold-out
-- notes and a visitor's booking request name a slot by its id, so a new
-- slot given the id of a removed one would be sold as the old one. SQLite
-- gives a new row the largest id plus one, which reuses the id of the
-- newest slot a schedule change removed; the store hands out slot ids
-- past the largest it ever gave, kept here.
CREATE TABLE id_marks (
  name TEXT NOT NULL PRIMARY KEY,
  last_id INTEGER NOT NULL
);
INSERT INTO id_marks (name, last_id) SELECT 'slots', COALESCE(MAX(id), 0) FROM slots;
