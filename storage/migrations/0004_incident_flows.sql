-- Migration 4: the flows an incident row counts. 1 for the incident of one
-- flow (a flow's later batches add 0, and a later row of a flow whose first
-- incident was folded holds 0); a row that aggregates a flood (more than
-- --aggregate-after flows a minute from one source to one destination for
-- one rule, src_port 0) sums the flows folded in.
ALTER TABLE incidents ADD COLUMN flows INTEGER NOT NULL DEFAULT 1;

-- The views sum the flows too: an aggregate row is one row of many flows.
DROP VIEW incidents_by_rule;
CREATE VIEW incidents_by_rule AS
  SELECT rule_id, severity, count(*) AS incidents, sum(match_count) AS matches,
         sum(flows) AS flows, min(time_utc) AS first_seen, max(last_seen_utc) AS last_seen
  FROM incidents GROUP BY rule_id, severity;
DROP VIEW incidents_by_destination;
CREATE VIEW incidents_by_destination AS
  SELECT dst_ip, dst_port, http_host, count(*) AS incidents, sum(match_count) AS matches,
         sum(flows) AS flows, min(time_utc) AS first_seen, max(last_seen_utc) AS last_seen
  FROM incidents GROUP BY dst_ip, dst_port, http_host;
DROP VIEW incidents_by_hour;
CREATE VIEW incidents_by_hour AS
  SELECT substr(time_utc, 1, 13) || ':00Z' AS hour, rule_id, count(*) AS incidents,
         sum(match_count) AS matches, sum(flows) AS flows
  FROM incidents GROUP BY hour, rule_id;
