#!/usr/bin/env bash
# Runs a command the way systemd runs a unit's commands, on a machine whose
# PID 1 is not systemd (containers, CI): as the unit's User= with its
# groups (initgroups, as systemd does) and AmbientCapabilities=, with its
# StateDirectory=, RuntimeDirectory= and LogsDirectory= made and owned as
# systemd makes them, and under ProtectSystem=strict: every mount read-only
# but those directories and the API file systems (/proc, /sys, /dev) and
# /tmp (PrivateTmp= gives the unit a writable one). Inside network
# namespace NETNS. Options this does not model are left to
# systemd-analyze verify.
# Usage: as_unit.sh UNIT_FILE NETNS COMMAND [ARGS...]
set -euo pipefail
unit=$1
ns=$2
shift 2
setting() { sed -n "s/^$1=//p" "$unit" | tail -1; }
user=$(setting User)
group=$(setting Group)
caps=""
for c in $(setting AmbientCapabilities); do
  c=${c#CAP_}
  caps+="${caps:+,}+${c,,}"
done
dirs=()
for kind in State:/var/lib Runtime:/run Logs:/var/log; do
  name=$(setting "${kind%%:*}Directory")
  [ -z "$name" ] && continue
  mode=$(setting "${kind%%:*}DirectoryMode")
  install -d -o "$user" -g "$group" -m "${mode:-0755}" "${kind#*:}/$name"
  dirs+=("${kind#*:}/$name")
done
exec ip netns exec "$ns" unshare -m --propagation private bash -c '
  set -euo pipefail
  strict=$1 user=$2 group=$3 caps=$4 n=$5
  shift 5
  dirs=("${@:1:$n}")
  shift "$n"
  if [ "$strict" = strict ]; then
    for d in "${dirs[@]}"; do mount --bind "$d" "$d"; done
    findmnt -rn -o TARGET | while read -r m; do
      case "$m" in /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /tmp | /tmp/*) continue ;; esac
      for d in "${dirs[@]}"; do [ "$m" = "$d" ] && continue 2; done
      mount -o remount,bind,ro "$m" 2> /dev/null || true
    done
  fi
  exec setpriv --reuid="$user" --regid="$group" --init-groups \
    ${caps:+--inh-caps="$caps" --ambient-caps="$caps"} "$@"
' as_unit "$(setting ProtectSystem)" "$user" "$group" "$caps" "${#dirs[@]}" "${dirs[@]}" "$@"
