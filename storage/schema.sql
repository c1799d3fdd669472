-- dlpd incident database, schema version 1 (PRAGMA user_version).
-- One row per incident. No column ever holds a full SSN or card number:
-- masked_sample keeps the last four digits, fingerprint is a keyed
-- HMAC-SHA256 (key in its own 0600 file) for correlating equal values.
CREATE TABLE IF NOT EXISTS incidents (
  id              INTEGER PRIMARY KEY,
  time_utc        TEXT    NOT NULL,  -- ISO 8601, UTC, microseconds: 2026-11-22T21:30:00.123456Z
  rule_id         TEXT    NOT NULL,
  severity        TEXT    NOT NULL,  -- low | medium | high | critical
  action          TEXT    NOT NULL,  -- mask | alert | block | pass
  ip_version      INTEGER NOT NULL,  -- 4 | 6
  src_ip          TEXT    NOT NULL,
  src_port        INTEGER NOT NULL,
  dst_ip          TEXT    NOT NULL,
  dst_port        INTEGER NOT NULL,
  proto           TEXT    NOT NULL DEFAULT 'TCP',
  flow_id         TEXT    NOT NULL,
  http_method     TEXT,
  http_host       TEXT,              -- masked if it held a value
  http_path       TEXT,              -- masked if it held a value
  match_count     INTEGER NOT NULL,
  masked_sample   TEXT    NOT NULL,
  fingerprint     TEXT    NOT NULL,
  ruleset_version TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_time ON incidents(time_utc);
CREATE INDEX IF NOT EXISTS incidents_rule ON incidents(rule_id, time_utc);
CREATE INDEX IF NOT EXISTS incidents_dst ON incidents(dst_ip, time_utc);
