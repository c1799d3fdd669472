-- Migration 5: what became of each incident's values, which values they
-- were (so that the values that left in clear, and how many distinct ones,
-- can be counted: a card sent 25 times is one card exposed), and the rule's
-- signature fields for SIEMs.
--
-- A row's values by outcome; they add up to match_count: masked in place;
-- masked after part of the value had left (mask-partial); let through in
-- clear (alert); blocked (the flow torn down before it). A row from before
-- this migration kept only its strongest action, not what each value
-- became: an `alert` row's values all left in clear (no action of them was
-- stronger); any other row's counts stay 0, and `dlpctl incidents stats`
-- reports its values as of unknown outcome rather than guess.
ALTER TABLE incidents ADD COLUMN masked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN partly_masked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN in_clear INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
-- Distinct values past the list's bound (256 a row): counted, not told apart.
ALTER TABLE incidents ADD COLUMN values_unlisted INTEGER NOT NULL DEFAULT 0;
UPDATE incidents SET in_clear = match_count WHERE action = 'alert';

-- The distinct values of each row: the keyed fingerprint (never the value)
-- and the outcomes it had, as bits: 1 masked, 2 partly masked, 4 in clear,
-- 8 blocked (0: recorded before outcomes were kept).
CREATE TABLE incident_values (
  incident_id INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  outcomes INTEGER NOT NULL,
  PRIMARY KEY (incident_id, fingerprint)
) WITHOUT ROWID;
-- "Was this card seen elsewhere?": by fingerprint (or its prefix).
CREATE INDEX incident_values_by_fingerprint ON incident_values (fingerprint);
-- A pruned incident takes its values with it (a trigger, not a foreign
-- key: those need a pragma on every connection).
CREATE TRIGGER incident_values_follow AFTER DELETE ON incidents
BEGIN
  DELETE FROM incident_values WHERE incident_id = old.id;
END;
-- Older rows list the one value they kept: in clear for an alert row, else
-- of unknown outcome.
INSERT INTO incident_values (incident_id, fingerprint, outcomes)
  SELECT id, fingerprint, CASE WHEN action = 'alert' THEN 4 ELSE 0 END
  FROM incidents WHERE fingerprint <> '';

-- Incident ids never repeat, even after retention deleted the newest rows
-- (SQLite would hand out max(id) + 1 again): `dlpctl incidents export
-- --after-id` and a SIEM keyed on dlp.incident_id rely on it. The highest id
-- ever deleted is kept here, and the store's upsert gives a new row an id
-- past it and past every row.
CREATE TABLE incident_id_floor (id INTEGER NOT NULL);
INSERT INTO incident_id_floor SELECT coalesce(max(id), 0) FROM incidents;
CREATE TRIGGER incident_id_floor_rises AFTER DELETE ON incidents
BEGIN
  UPDATE incident_id_floor SET id = max(id, old.id);
END;

-- The rule as a SIEM sees it, as its file said when the incident began
-- (EVE's alert object): its name (the signature), sid and rev, classtype
-- (the category) and metadata (a JSON object). Older rows: the rule id as
-- the name, sid 0 (dlpd's own id, derived from the rule id, as it wrote
-- then), rev 1, "Data Leakage".
ALTER TABLE incidents ADD COLUMN rule_name TEXT NOT NULL DEFAULT '';
UPDATE incidents SET rule_name = rule_id;
ALTER TABLE incidents ADD COLUMN signature_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN signature_rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE incidents ADD COLUMN category TEXT NOT NULL DEFAULT 'Data Leakage';
ALTER TABLE incidents ADD COLUMN metadata TEXT;

-- The request's User-Agent (the first one; masked where it held a value).
ALTER TABLE incidents ADD COLUMN http_user_agent TEXT;

-- Every Host a row's requests named: a connection kept alive may send its
-- second request to another Host, and a search by Host must find the row
-- (http_host holds the first). At most 16 a row. Older rows: their one.
CREATE TABLE incident_hosts (
  incident_id INTEGER NOT NULL,
  host TEXT NOT NULL,
  PRIMARY KEY (incident_id, host)
) WITHOUT ROWID;
CREATE TRIGGER incident_hosts_follow AFTER DELETE ON incidents
BEGIN
  DELETE FROM incident_hosts WHERE incident_id = old.id;
END;
INSERT INTO incident_hosts (incident_id, host)
  SELECT id, http_host FROM incidents WHERE http_host IS NOT NULL AND http_host <> '';
