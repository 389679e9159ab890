#!/usr/bin/env bash
# Runs Torc and the peers on the same real corpora, one after the other in
# the same run, and prints a table: wall time, peak memory, ratio to Torc.
#
#   benches/peers.sh [CORPORA_DIR]       (default: $TORC_CORPORA or ../shared/corpora)
#
# Peers (Debian: apt-get install -y libsolv-tools dose-distcheck):
#   Debian installability: deb2solv + installcheck (libsolv), dose-debcheck.
#   crates each-version:   pubgrub (cargo bench --bench crates_each_version).
# Missing peers are reported and skipped.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CORPORA="${1:-${TORC_CORPORA:-$ROOT/../shared/corpora}}"
(cd "$ROOT" && cargo build --release --quiet)
TORC="${CARGO_TARGET_DIR:-$ROOT/target}/release/torc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# measure LABEL COMMAND...: appends "LABEL<TAB>seconds<TAB>peak KB" to $work/rows
measure() {
    local label="$1"
    shift
    if /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out.$label" 2> "$work/err.$label"; then :; fi
    read -r secs kb < <(tail -1 "$work/time")
    printf '%s\t%s\t%s\n' "$label" "$secs" "$kb" >> "$work/rows"
}

: > "$work/rows"
debian="$CORPORA/debian-bookworm-main-amd64-Packages.xz"
if [ -f "$debian" ]; then
    xz -dc "$debian" > "$work/Packages"
    measure "torc debian --installability" "$TORC" solve --corpus "debian:$debian" --installability --format json
    if command -v deb2solv > /dev/null; then
        measure "libsolv deb2solv" sh -c "deb2solv -r < '$work/Packages' > '$work/main.solv'"
        measure "libsolv installcheck" installcheck amd64 "$work/main.solv"
    else
        echo "skipped libsolv: deb2solv not installed" >&2
    fi
    if command -v dose-debcheck > /dev/null; then
        measure "dose-debcheck --failures" dose-debcheck --failures "$work/Packages"
    else
        echo "skipped dose: dose-debcheck not installed" >&2
    fi
fi
opam="$CORPORA/opam-packages.tar.xz"
if [ -f "$opam" ]; then
    measure "torc opam --each-version" "$TORC" solve --corpus "opam:$opam" --each-version --format json
fi
crates="$CORPORA/crates-io-sparse-subset.tar.xz"
if [ -f "$crates" ]; then
    measure "torc crates --each-version" "$TORC" solve --corpus "crates:$crates" --each-version --format json
fi

printf '%-32s %10s %12s\n' "run" "wall (s)" "peak (MB)"
while IFS=$'\t' read -r label secs kb; do
    printf '%-32s %10s %12.1f\n' "$label" "$secs" "$(echo "$kb / 1024" | bc -l)"
done < "$work/rows"

if [ -f "$work/out.torc debian --installability" ] && [ -f "$work/out.libsolv installcheck" ]; then
    echo
    echo "uninstallable, torc vs libsolv installcheck:"
    python3 - "$work/out.torc debian --installability" "$work/out.libsolv installcheck" <<'PY'
import json, re, sys
torc = {f"{u['package']}-{u['version']}" for u in json.load(open(sys.argv[1]))["uninstallable"]}
libsolv = set()
for line in open(sys.argv[2]):
    m = re.match(r"can't install (.*)\.[^.]+:$", line.strip())
    if m:
        libsolv.add(m.group(1))
print(f"  torc {len(torc)}, libsolv {len(libsolv)}, both {len(torc & libsolv)}")
for name in sorted(torc - libsolv):
    print(f"  only torc:    {name}")
for name in sorted(libsolv - torc):
    print(f"  only libsolv: {name}")
PY
fi
