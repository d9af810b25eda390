# Sourced by the benchmarks: corpus_root CORPUS ROOT BIN lays every package of the unit corpus
# into one --root tree (files, then the symlinks MANIFEST.txt lists) and enables what its presets
# say, with BIN.
corpus_root() {
    local corpus=$1 root=$2 bin=$3
    mkdir -p "$root"
    for pkg in "$corpus"/*/; do cp -a "$pkg". "$root"/; done
    grep -P '\t-> ' "$corpus/MANIFEST.txt" | while IFS=$'\t' read -r _ _ path target; do
        mkdir -p "$root/$(dirname "$path")"
        ln -sfn "${target#-> }" "$root/$path"
    done
    "$bin" --root="$root" -q preset-all >/dev/null 2>&1 || true
}
