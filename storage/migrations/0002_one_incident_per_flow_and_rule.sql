-- Migration 2: one incident per flow and rule, with a match count and the
-- time of the first and the last match, so that a flood of values grows a
-- counter and not the disk; views for the security team.
--
-- The incident table, as of this version. No column ever holds a full SSN
-- or card number: masked_sample keeps the last four digits at most, and the
-- fingerprint is a keyed HMAC-SHA256 (key in its own 0600 file) for telling
-- that two incidents carried the same value.
CREATE TABLE incidents_v2 (
  id              INTEGER PRIMARY KEY,
  time_utc        TEXT    NOT NULL,  -- first match, ISO 8601 UTC: 2026-11-22T21:30:00.123456Z
  last_seen_utc   TEXT    NOT NULL,  -- last match, same format
  rule_id         TEXT    NOT NULL,  -- the rule file's id: us-ssn, pan, ...
  severity        TEXT    NOT NULL,  -- low | medium | high | critical
  action          TEXT    NOT NULL,  -- mask | mask-partial | alert | block | pass (the strongest taken)
  ip_version      INTEGER NOT NULL,  -- 4 | 6
  src_ip          TEXT    NOT NULL,
  src_port        INTEGER NOT NULL,
  dst_ip          TEXT    NOT NULL,
  dst_port        INTEGER NOT NULL,
  proto           TEXT    NOT NULL DEFAULT 'TCP',
  flow_id         TEXT    NOT NULL,  -- one TCP connection direction, 16 hex digits
  http_method     TEXT,              -- of the first request seen on the flow, if parsable
  http_host       TEXT,              -- masked if it held a value
  http_path       TEXT,              -- masked if it held a value
  match_count     INTEGER NOT NULL,  -- values this rule found in this flow
  masked_sample   TEXT    NOT NULL,  -- the first value, all digits masked but the last 4
  fingerprint     TEXT    NOT NULL,  -- HMAC-SHA256 of the first value's digits, 32 hex digits
  ruleset_version TEXT    NOT NULL,
  UNIQUE (flow_id, rule_id)
);
INSERT INTO incidents_v2 (time_utc, last_seen_utc, rule_id, severity, action, ip_version, src_ip,
                          src_port, dst_ip, dst_port, proto, flow_id, http_method, http_host,
                          http_path, match_count, masked_sample, fingerprint, ruleset_version)
  SELECT min(time_utc), max(time_utc), rule_id, severity, action, ip_version, src_ip, src_port,
         dst_ip, dst_port, proto, flow_id, http_method, http_host, http_path, sum(match_count),
         masked_sample, fingerprint, ruleset_version
  FROM incidents GROUP BY flow_id, rule_id ORDER BY min(id);
DROP TABLE incidents;
ALTER TABLE incidents_v2 RENAME TO incidents;
CREATE INDEX incidents_time ON incidents(time_utc);
CREATE INDEX incidents_last_seen ON incidents(last_seen_utc);
CREATE INDEX incidents_rule ON incidents(rule_id, time_utc);
CREATE INDEX incidents_dst ON incidents(dst_ip, time_utc);
CREATE INDEX incidents_action ON incidents(action, time_utc);

-- Incidents per rule: how many flows, how many values, first and last.
CREATE VIEW incidents_by_rule AS
  SELECT rule_id, severity, count(*) AS incidents, sum(match_count) AS matches,
         min(time_utc) AS first_seen, max(last_seen_utc) AS last_seen
  FROM incidents GROUP BY rule_id, severity;
-- Incidents per destination (address, port, HTTP host).
CREATE VIEW incidents_by_destination AS
  SELECT dst_ip, dst_port, http_host, count(*) AS incidents, sum(match_count) AS matches,
         min(time_utc) AS first_seen, max(last_seen_utc) AS last_seen
  FROM incidents GROUP BY dst_ip, dst_port, http_host;
-- Incidents per hour (UTC) of their first match, and rule.
CREATE VIEW incidents_by_hour AS
  SELECT substr(time_utc, 1, 13) || ':00Z' AS hour, rule_id, count(*) AS incidents,
         sum(match_count) AS matches
  FROM incidents GROUP BY hour, rule_id;
-- The last 24 hours, newest first.
CREATE VIEW incidents_last_24h AS
  SELECT * FROM incidents
  WHERE last_seen_utc >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')
  ORDER BY time_utc DESC;
