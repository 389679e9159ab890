#!/usr/bin/env bash
# Publishes every package of this example to a fresh, throw-away registry
# and prints the dependency tree of motor-controller 1.2.0.
#
#   examples/motor-controller/demo.sh                  # text tree
#   examples/motor-controller/demo.sh --format json    # extra arguments go to `torc tree`
#   examples/motor-controller/demo.sh verify --platform examples/motor-controller/platforms/stm32f407
#                                                      # `verify ...` runs `torc verify` instead
#
# Apart from the cargo build, everything is written to temporary
# directories that are removed on exit: TORC_HOME (config and the file
# registry `local` at $TORC_HOME/registry) and the copy of the project
# (where torc writes its lockfile).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

(cd "$ROOT" && cargo build --release --quiet)
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in
    /*) ;;
    *) target_dir="$ROOT/$target_dir" ;;
esac
TORC="$target_dir/release/torc"

TORC_HOME="$(mktemp -d)"
export TORC_HOME
work=""
cleanup() { rm -rf "$TORC_HOME" ${work:+"$work"}; }
trap cleanup EXIT
work="$(mktemp -d)"

# Sorted, so each package's versions are published oldest first.
mapfile -t dirs < <(find "$HERE/packages" -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort)
if [ "${#dirs[@]}" -eq 0 ]; then
    echo "demo.sh: no packages under $HERE/packages" >&2
    exit 1
fi
for dir in "${dirs[@]}"; do
    "$TORC" publish --manifest-path "$dir" >/dev/null
done
echo "published ${#dirs[@]} package versions to $TORC_HOME/registry" >&2

cp -R "$HERE/motor-controller" "$work/"
command="tree"
if [ "${1:-}" = "verify" ] || [ "${1:-}" = "tree" ]; then
    command="$1"
    shift
fi
"$TORC" "$command" --manifest-path "$work/motor-controller" "$@"
