-- Migration 1: the first incident table (dlpd 0.1). One row per batch of
-- findings. Kept as it shipped: databases of that version migrate from here.
CREATE TABLE incidents (
  id              INTEGER PRIMARY KEY,
  time_utc        TEXT    NOT NULL,
  rule_id         TEXT    NOT NULL,
  severity        TEXT    NOT NULL,
  action          TEXT    NOT NULL,
  ip_version      INTEGER NOT NULL,
  src_ip          TEXT    NOT NULL,
  src_port        INTEGER NOT NULL,
  dst_ip          TEXT    NOT NULL,
  dst_port        INTEGER NOT NULL,
  proto           TEXT    NOT NULL DEFAULT 'TCP',
  flow_id         TEXT    NOT NULL,
  http_method     TEXT,
  http_host       TEXT,
  http_path       TEXT,
  match_count     INTEGER NOT NULL,
  masked_sample   TEXT    NOT NULL,
  fingerprint     TEXT    NOT NULL,
  ruleset_version TEXT    NOT NULL
);
CREATE INDEX incidents_time ON incidents(time_utc);
CREATE INDEX incidents_rule ON incidents(rule_id, time_utc);
CREATE INDEX incidents_dst ON incidents(dst_ip, time_utc);
