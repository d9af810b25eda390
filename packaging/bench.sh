#!/usr/bin/env bash
# Offline-verb benchmark: our static binary against systemctl3.py from the
# docker-systemctl-replacement pip package, on one --root tree holding the whole unit corpus.
# Prints a Markdown table of median times (hyperfine, no shell, warm cache) and the ratio.
#
#   bash packaging/bench.sh            # needs hyperfine (apt-get install hyperfine) and pip
set -euo pipefail
cd "$(dirname "$0")/.."

corpus=${CORPUS:-../shared/unit-corpus/debian-bookworm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --release
ours=$PWD/target/x86_64-unknown-linux-gnu/release/systemctl

# The Python peer, in a private venv.
python3 -m venv "$work/venv" >/dev/null
"$work/venv/bin/pip" install --quiet docker-systemctl-replacement
peer="$work/venv/bin/systemctl3.py"

# systemctl3.py wants a --root at least three levels deep.
root="$work/a/b/root"
. packaging/corpus-root.sh
corpus_root "$corpus" "$root" "$ours"

unit=ssh.service
cases=(
    "is-enabled $unit"
    "show -p UnitFileState $unit"
    "list-unit-files"
)

median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("%.2f" % (r[0]["median"]*1000))' "$1"; }

# The real systemctl answers the offline verbs too (not show: it needs a running systemd).
real=$(command -v systemctl || true)

echo "| command (corpus of $(find "$root" -name '*.*' -type f | wc -l) unit files) | systemctl-shim | systemctl3.py | ratio | systemctl 252 |"
echo "|---|---|---|---|---|"
for c in "${cases[@]}"; do
    hyperfine -N -i --warmup 5 --min-runs 50 --export-json "$work/ours.json" \
        "$ours --root=$root $c" >/dev/null 2>&1
    hyperfine -N -i --warmup 2 --min-runs 10 --export-json "$work/peer.json" \
        "$peer --root=$root $c" >/dev/null 2>&1
    o=$(median "$work/ours.json")
    p=$(median "$work/peer.json")
    r=$(python3 -c "print('%.0fx' % ($p / $o))")
    s="-"
    if [ -n "$real" ] && [ "${c%% *}" != show ]; then
        hyperfine -N -i --warmup 2 --min-runs 10 --export-json "$work/real.json" \
            "$real --root=$root $c" >/dev/null 2>&1
        s="$(median "$work/real.json") ms"
    fi
    echo "| \`systemctl $c\` | $o ms | $p ms | $r | $s |"
done
