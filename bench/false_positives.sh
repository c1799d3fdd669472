#!/usr/bin/env bash
# False positives of the scanner on traffic that holds no card number or SSN.
#
#   bash bench/false_positives.sh [OPTIONS] DLPCTL [SIZE_MIB]
#
# Generates each kind of bench/api_corpus.py (api, tables, iban, tracking, ean;
# SIZE_MIB each, default 12) into a temp dir, checks its HTTP framing, scans it
# with `DLPCTL scan --http --json` and, as "docs", scans up to 64 MiB of the
# documents on this machine (/usr/share/doc/**/*.html, /usr/share/**/*.json,
# man pages, /usr/share/doc text files) with `DLPCTL scan --json`. Prints, per
# kind: MiB, findings, findings per MiB, MiB per finding; then per kind the
# findings by rule/brand (and digit count), by where they are (header, JSON key,
# form field, CSV column, ...) and a few examples (all but the first 6 and last
# 4 digits masked).
#
# Options:
#   --max-per-6mib N  exit 1 if the api kind has more than N findings per 6 MiB
#   --kinds "K ..."   kinds to generate (default: api tables iban tracking ean)
#   --seed N          generator seed (default 1)
#   --no-docs         skip the documents on this machine
#   --docs-mib N      cap of the documents corpus (default 64)
#   --examples N      examples per kind (default 3; 0: none)
#   --keep DIR        keep the corpora and findings in DIR instead of a temp dir
# Exit: 0, 1 (over --max-per-6mib), 2 (usage or error).
set -euo pipefail

prog=false_positives.sh
die() { echo "$prog: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }
trap 'echo "$prog: failed (line $LINENO)" >&2; exit 2' ERR

here=$(cd "$(dirname "$0")" && pwd)
gen=$here/api_corpus.py
seed=1 max="" kinds="api tables iban tracking ean" docs=1 docs_mib=64 examples=3 keep=""
pos=()
while [ $# -gt 0 ]; do
  case $1 in
    --max-per-6mib) [ $# -ge 2 ] || die "$1 needs a value"; max=$2; shift 2 ;;
    --max-per-6mib=*) max=${1#*=}; shift ;;
    --kinds) [ $# -ge 2 ] || die "$1 needs a value"; kinds=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] || die "$1 needs a value"; seed=$2; shift 2 ;;
    --no-docs) docs=0; shift ;;
    --docs-mib) [ $# -ge 2 ] || die "$1 needs a value"; docs_mib=$2; shift 2 ;;
    --examples) [ $# -ge 2 ] || die "$1 needs a value"; examples=$2; shift 2 ;;
    --keep) [ $# -ge 2 ] || die "$1 needs a value"; keep=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; pos+=("$@"); break ;;
    -*) die "unknown option '$1' (--help)" ;;
    *) pos+=("$1"); shift ;;
  esac
done
if [ ${#pos[@]} -lt 1 ] || [ ${#pos[@]} -gt 2 ]; then usage >&2; exit 2; fi
dlpctl=${pos[0]}
size=${pos[1]:-12}

isnum() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }
if ! isnum "$size" || ! [[ $size =~ [1-9] ]]; then die "SIZE_MIB must be a positive number, not '$size'"; fi
[[ $seed =~ ^[0-9]+$ ]] || die "--seed must be an integer"
[ -z "$max" ] || isnum "$max" || die "--max-per-6mib must be a number, not '$max'"
isnum "$docs_mib" || die "--docs-mib must be a number"
[[ $examples =~ ^[0-9]+$ ]] || die "--examples must be an integer"
for k in $kinds; do
  case $k in api|tables|iban|tracking|ean) ;; *) die "unknown kind '$k' (api tables iban tracking ean)" ;; esac
done
if [ -n "$max" ] && [[ " $kinds " != *" api "* ]]; then die "--max-per-6mib needs the api kind"; fi

if [[ $dlpctl != */* ]]; then
  dlpctl_path=$(command -v -- "$dlpctl" 2>/dev/null) || die "DLPCTL '$dlpctl' not found (give the path of a built dlpctl, e.g. build/dlpctl)"
  dlpctl=$dlpctl_path
fi
[ -e "$dlpctl" ] || die "DLPCTL '$dlpctl' does not exist (build it first: cmake --build build --target dlpctl)"
if ! [ -f "$dlpctl" ] || ! [ -x "$dlpctl" ]; then die "DLPCTL '$dlpctl' is not an executable file"; fi
command -v python3 > /dev/null || die "python3 is needed"
[ -f "$gen" ] || die "$gen is missing"

if [ -n "$keep" ]; then
  mkdir -p "$keep"; dir=$(cd "$keep" && pwd)
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/dlp-fp.XXXXXX")
  trap 'rm -rf "$dir"' EXIT
fi

specs=()
for k in $kinds; do
  python3 "$gen" --kind "$k" --seed "$seed" --size "$size" --out "$dir/$k.http"
  python3 "$gen" --verify "$dir/$k.http" > /dev/null || die "$k: the generator wrote a malformed request stream"
  rc=0
  "$dlpctl" scan --http --json "$dir/$k.http" > "$dir/$k.jsonl" 2> "$dir/$k.err" || rc=$?
  if [ "$rc" -ne 0 ] || [ -s "$dir/$k.err" ]; then
    cat "$dir/$k.err" >&2
    die "$k: '$dlpctl scan --http --json' failed (exit $rc) or reported a framing error"
  fi
  specs+=("$k:http")
done

if [ "$docs" = 1 ]; then
  python3 - "$dir/docs.txt" "$dir/docs.manifest" "$docs_mib" <<'PY'
# The documents on this machine, in a stable order, up to the cap: HTML under
# /usr/share/doc, JSON under /usr/share, man pages (decompressed), text files
# under /usr/share/doc. docs.manifest lists "offset<TAB>category<TAB>path".
import glob, gzip, os, sys
out, manifest, cap = sys.argv[1], sys.argv[2], int(float(sys.argv[3]) * 1024 * 1024)
def files(cat):
    if cat == "html":
        return sorted(glob.glob("/usr/share/doc/**/*.html", recursive=True))
    if cat == "json":
        return sorted(glob.glob("/usr/share/**/*.json", recursive=True))
    if cat == "man":
        return sorted(glob.glob("/usr/share/man/man[1-8]/*"))
    return sorted(p for p in glob.glob("/usr/share/doc/**/*", recursive=True)
                  if p.endswith((".txt", ".md", ".gz")) or os.path.basename(p) in ("copyright", "README"))
n = 0
with open(out, "wb") as o, open(manifest, "w") as m:
    for cat in ("html", "json", "man", "text"):
        for p in files(cat):
            if n >= cap:
                break
            if not os.path.isfile(p):
                continue
            try:
                if p.endswith(".gz"):
                    with gzip.open(p, "rb") as f:
                        b = f.read(cap - n)
                else:
                    with open(p, "rb") as f:
                        b = f.read(cap - n)
            except (OSError, EOFError):
                continue
            if not b:
                continue
            m.write("%d\t%s\t%s\n" % (n, cat, p))
            o.write(b)
            n += len(b)
            if not b.endswith(b"\n"):
                o.write(b"\n")
                n += 1
PY
  if [ -s "$dir/docs.txt" ]; then
    rc=0
    "$dlpctl" scan --json "$dir/docs.txt" > "$dir/docs.jsonl" 2> "$dir/docs.err" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$dir/docs.err" >&2; die "docs: '$dlpctl scan --json' failed (exit $rc)"; }
    specs+=("docs:text")
  else
    echo "$prog: no documents found under /usr/share; docs skipped" >&2
  fi
fi

rc=0
python3 - "$here" "$dir" "$dlpctl" "$size" "$seed" "$examples" "${max:-}" "${specs[@]}" <<'PY' || rc=$?
import bisect, collections, json, os, re, signal, sys
from urllib.parse import unquote_plus
signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # `| head` ends the summary quietly
here, d, dlpctl, size, seed, nex, maxv = sys.argv[1:8]
specs = [s.split(":") for s in sys.argv[8:]]
sys.path.insert(0, here)
sys.dont_write_bytecode = True   # no __pycache__ left in bench/
import api_corpus  # noqa: E402

MIB = 1024 * 1024
KEY_RE = re.compile(rb'"([^"\\]{1,60})"\s*:\s*')
TAG_RE = re.compile(rb'<([A-Za-z][A-Za-z0-9]*)')
HEAD_RE = re.compile(rb'^[A-Za-z_][A-Za-z0-9_ .-]{0,40}$')   # a CSV header's column name

def masked(v):
    n = sum(c.isdigit() for c in v)
    out, i = [], 0
    for c in v:
        if c.isdigit():
            out.append(c if i < 6 or i >= n - 4 else "*")
            i += 1
        else:
            out.append(c)
    return "".join(out)

def shape(b):
    s = b.decode("utf-8", "replace")
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", s))

def line_of(data, lo, o):
    ls = max(data.rfind(b"\n", lo, o) + 1, lo)
    le = data.find(b"\n", o)
    return ls, (le if le >= 0 else len(data))

def body_where(data, req, o):
    ct = req["headers"].get("content-type", b"").split(b";")[0].strip().decode().lower()
    short = {"application/json": "json", "application/x-www-form-urlencoded": "form", "text/html": "html",
             "text/csv": "csv", "text/plain": "text", "application/xml": "xml",
             "multipart/form-data": "multipart"}.get(ct, ct or "body")
    lo = req["body_start"]
    win = max(lo, o - 600)
    if short == "json":
        keys = KEY_RE.findall(data, win, o)
        return "json:" + (keys[-1].decode("utf-8", "replace") if keys else "?")
    if short == "form":
        a = max(data.rfind(b"&", lo, o) + 1, lo)
        name = data[a:o].split(b"=")[0].split(b"\n")[-1]   # past a chunk size line
        return "form:" + unquote_plus(name.decode("latin-1"))
    if short in ("html", "xml"):
        tags = TAG_RE.findall(data, win, o)
        return "%s:<%s>" % (short, tags[-1].decode() if tags else "?")
    ls, le = line_of(data, lo, o)
    first_end = data.find(b"\n", lo)
    first = data[lo:first_end] if first_end >= 0 else b""
    if short == "multipart":
        short = "multipart"
        hdr_end = data.find(b"\r\n\r\n", lo, o)
        if hdr_end >= 0:
            lo = hdr_end + 4
            first_end = data.find(b"\n", lo)
            first = data[lo:first_end] if first_end >= 0 else b""
    for sep in (b",", b";", b"\t"):
        names = first.rstrip(b"\r").split(sep)
        if len(names) >= 3 and all(HEAD_RE.match(x) for x in names) and sep in data[ls:le] and ls != lo:
            col = data[ls:o].count(sep)
            return "%s:column %s" % (short, names[col].decode("utf-8", "replace") if col < len(names) else col)
    return "%s:line '%s…'" % (short, shape(data[ls:min(ls + 10, le)]))

def head_where(data, req, o):
    for name, a, b in req["header_lines"]:
        if a <= o < b:
            if name.lower() == "cookie":
                c = data.rfind(b"; ", a, o)
                c = c + 2 if c >= 0 else a + len("Cookie: ")
                return "header:Cookie %s" % data[c:o].split(b"=")[0].decode("latin-1")
            return "header:" + name
    line = data[req["start"]:o]
    m = re.search(rb"[?&]([^=&?]+)=[^&]*$", line)
    return "request-line:" + (m.group(1).decode("latin-1") if m else "path")

def docs_where(manifest, o):
    i = bisect.bisect_right(manifest[0], o) - 1
    return manifest[1][i], manifest[2][i]

rows, details = [], []
fail = None
for kind, mode in specs:
    path = os.path.join(d, kind + (".http" if mode == "http" else ".txt"))
    data = open(path, "rb").read()
    finds = [json.loads(l) for l in open(os.path.join(d, kind + ".jsonl")) if l.strip()]
    mib = len(data) / MIB
    n = len(finds)
    rows.append((kind, mib, n))
    by_rule = collections.Counter()
    by_where = collections.Counter()
    files = collections.Counter()
    ex = []
    if mode == "http":
        spans = list(api_corpus.request_spans(data))
        starts = [s["start"] for s in spans]
    else:
        man = [[], [], []]
        for l in open(os.path.join(d, "docs.manifest")):
            a, cat, p = l.rstrip("\n").split("\t", 2)
            man[0].append(int(a)); man[1].append(cat); man[2].append(p)
    step = max(1, n // max(1, int(nex))) if int(nex) else 0
    for i, f in enumerate(finds):
        o, ln = f["offset"], f["length"]
        v = data[o:o + ln].decode("utf-8", "replace")
        nd = sum(c.isdigit() for c in v)
        by_rule["%s %s (%d digits)" % (f["rule"], f.get("detail", "-"), nd)] += 1
        if mode == "http":
            req = spans[bisect.bisect_right(starts, o) - 1]
            w = head_where(data, req, o) if o < req["head_end"] else body_where(data, req, o)
        else:
            cat, p = docs_where(man, o)
            w = cat
            files[p] += 1
        by_where[w] += 1
        if step and i % step == 0 and len(ex) < int(nex):
            ls = max(data.rfind(b"\n", 0, o) + 1, o - 40)
            le = data.find(b"\n", o + ln)
            le = min(le if le >= 0 else len(data), o + ln + 30)
            pre = data[ls:o].decode("utf-8", "replace")
            post = data[o + ln:le].decode("utf-8", "replace")
            ex.append("%s %s [%s]: %r" % (f["rule"], f.get("detail", ""), w, pre + "⟦" + masked(v) + "⟧" + post))
    details.append((kind, mib, n, by_rule, by_where, files, ex))
    if kind == "api" and maxv:
        per6 = n * 6 / mib
        if per6 > float(maxv):
            fail = "api: %.1f findings per 6 MiB, more than %s" % (per6, maxv)

print("False positives of %s (seed %s, %s MiB per generated kind)" % (dlpctl, seed, size))
print()
print("%-9s %8s %9s %10s %12s" % ("kind", "MiB", "findings", "per MiB", "MiB/finding"))
for kind, mib, n in rows:
    print("%-9s %8.2f %9d %10.2f %12s" % (kind, mib, n, n / mib, "%.4f" % (mib / n) if n else "-"))
for kind, mib, n, by_rule, by_where, files, ex in details:
    print()
    print("== %s: %d findings in %.2f MiB" % (kind, n, mib))
    if not n:
        continue
    print("  by rule, brand and digits:")
    for k, c in by_rule.most_common():
        print("    %-36s %7d %6.1f%% %9.2f/MiB" % (k, c, 100.0 * c / n, c / mib))
    print("  by where:" if not files else "  by source:")
    for k, c in by_where.most_common(15):
        print("    %-36s %7d %6.1f%%" % (k[:36], c, 100.0 * c / n))
    if len(by_where) > 15:
        print("    (%d more places, %d findings)" % (len(by_where) - 15, sum(c for _, c in by_where.most_common()[15:])))
    if files:
        print("  top files:")
        for p, c in files.most_common(8):
            print("    %7d  %s" % (c, p))
    if ex:
        print("  examples (all but the first 6 and last 4 digits masked):")
        for e in ex:
            print("    " + e)
if fail:
    print()
    print("FAIL: " + fail)
    sys.exit(10)
PY
case $rc in
  0) exit 0 ;;
  10) exit 1 ;;
  141) exit 141 ;;   # stdout closed (| head)
  *) die "summary failed (exit $rc)" ;;
esac
