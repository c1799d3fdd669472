#!/usr/bin/python3
"""Checks EVE lines against what Filebeat's Suricata module reads from them
(x-pack/filebeat/module/suricata/eve in elastic/beats: the field types its
fields.yml declares, and what its config and ingest pipeline do with them),
so that a SIEM on that module takes dlpd's lines as it takes Suricata's.
Written from the module's declarations, not copied; only the fields dlpd
writes, or might collide with, are listed.
Usage: eve_filebeat_check.py FILE... (exit 1, with each problem, if any)"""
import ipaddress
import json
import re
import sys

# The module's declared type of each field it maps (dotted under suricata.eve).
LONG = ["src_port", "dest_port", "alert.severity", "alert.rev", "alert.gid",
        "alert.signature_id", "http.status", "http.length", "tx_id", "pcap_cnt"]
IP = ["src_ip", "dest_ip"]
KEYWORD = ["event_type", "proto", "app_proto", "alert.category", "alert.signature",
           "alert.action", "http.hostname", "http.url", "http.http_method",
           "http.http_user_agent", "http.protocol", "http.http_content_type", "in_iface"]
# The module's timestamp processor: Go's layout 2006-01-02T15:04:05.999999999Z0700.
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d{4})$")
# Its script knows these event types (others are filed as plain events).
EVENT_TYPES = {"alert", "anomaly"}


def get(obj, dotted):
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def problems(line):
    out = []
    try:
        e = json.loads(line)
    except ValueError as err:
        return ["not JSON: %s" % err]
    for f in LONG:
        v = get(e, f)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            out.append("%s: a long, not %r" % (f, v))
    for f in IP:
        v = get(e, f)
        try:
            ipaddress.ip_address(v)
        except ValueError:
            out.append("%s: an IP address, not %r" % (f, v))
    for f in KEYWORD:
        v = get(e, f)
        if v is not None and not isinstance(v, str):
            out.append("%s: a keyword (string), not %r" % (f, v))
    if not TIMESTAMP.match(e.get("timestamp", "")):
        out.append("timestamp: not the module's layout: %r" % e.get("timestamp"))
    if e.get("event_type") not in EVENT_TYPES:
        out.append("event_type: %r" % e.get("event_type"))
    # flow_id: a keyword there; Suricata writes a number, and so must we.
    if "flow_id" in e and (not isinstance(e["flow_id"], int) or e["flow_id"] < 0):
        out.append("flow_id: Suricata's form is a non-negative integer, not %r" % e["flow_id"])
    # The module's community_id processor leaves a given one; it is "1:" + base64.
    if "community_id" in e and not re.match(r"^1:[A-Za-z0-9+/]{27}=$", e["community_id"]):
        out.append("community_id: %r" % e["community_id"])
    if e.get("event_type") == "alert":
        a = e.get("alert", {})
        for f in ("signature", "signature_id", "category", "action", "severity"):
            if f not in a:
                out.append("alert.%s: missing (the pipeline makes rule.* and event.* of it)" % f)
        # blocked becomes event.type "denied", allowed stays: ECS's two.
        if a.get("action") not in ("allowed", "blocked"):
            out.append("alert.action: %r" % a.get("action"))
        md = a.get("metadata")
        if md is not None and not (isinstance(md, dict) and all(
                isinstance(v, list) and all(isinstance(x, str) for x in v) for v in md.values())):
            out.append("alert.metadata: Suricata's form is {key: [strings]}, not %r" % md)
        if "src_port" not in e or "proto" not in e:
            out.append("an alert without src_port or proto")
    http = e.get("http")
    if http is not None:
        # The module maps http.length to the response body's bytes.
        if "length" in http:
            out.append("http.length: Filebeat reads it as the response body's size")
        if e.get("app_proto") != "http":
            out.append("http object without app_proto http (network.protocol)")
    return out


def main():
    bad = 0
    lines = 0
    for path in sys.argv[1:]:
        for n, line in enumerate(open(path), 1):
            if not line.strip():
                continue
            lines += 1
            for p in problems(line):
                bad += 1
                print("%s:%d: %s" % (path, n, p), file=sys.stderr)
    if lines == 0:
        print("no EVE lines", file=sys.stderr)
        return 1
    return 1 if bad else 0


sys.exit(main())
