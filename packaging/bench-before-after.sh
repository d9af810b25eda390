#!/usr/bin/env bash
# The same benchmarks for two builds of our binary, in one run, so that a change that should not
# move a figure (a restructuring, another libc) can show it did not:
#   1. the offline verbs of bench.sh (hyperfine medians on one --root tree of the whole corpus),
#      the two binaries interleaved case by case;
#   2. bench-manager.sh and bench-init.sh with BIN set to each binary in turn.
# Needs root, hyperfine and python3.
#   Usage: bash packaging/bench-before-after.sh BEFORE AFTER [INIT_RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(readlink -f "${1:?the binary before}")
after=$(readlink -f "${2:?the binary after}")
runs=${3:-5}
corpus=${CORPUS:-../shared/unit-corpus/debian-bookworm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

root="$work/root"
. packaging/corpus-root.sh
corpus_root "$corpus" "$root" "$after"

median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("%.2f" % (r[0]["median"]*1000))' "$1"; }

echo "== offline verbs, median ms (hyperfine, warm cache)"
echo "| command | before | after |"
echo "|---|---|---|"
for c in "is-enabled ssh.service" "show -p UnitFileState ssh.service" "list-unit-files"; do
    for which in before after; do
        bin=$before
        [ "$which" = after ] && bin=$after
        hyperfine -N -i --warmup 5 --min-runs 100 --export-json "$work/$which.json" \
            "$bin --root=$root $c" >/dev/null 2>&1
    done
    echo "| \`systemctl $c\` | $(median "$work/before.json") | $(median "$work/after.json") |"
done
for which in before after; do
    bin=$before
    [ "$which" = after ] && bin=$after
    rss=$(/usr/bin/time -f %M "$bin" --root="$root" list-unit-files 2>&1 >/dev/null | tail -n 1)
    echo "$which: $(stat -c %s "$bin") bytes; max RSS of list-unit-files: $rss kB"
done

for which in before after; do
    bin=$before
    [ "$which" = after ] && bin=$after
    echo
    echo "==== bench-manager.sh, $which ($bin)"
    BIN=$bin bash packaging/bench-manager.sh
    echo
    echo "==== bench-init.sh $runs, $which"
    BIN=$bin bash packaging/bench-init.sh "$runs"
done
