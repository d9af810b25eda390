#!/bin/bash
# Debian bookworm minbase rootfs for the end-to-end suite, built once with debootstrap and cached.
#
#   tests/e2e/rootfs.sh build        build it unless the cache holds one (prints its path)
#   tests/e2e/rootfs.sh path         the cached rootfs' path (fails if not built)
#   tests/e2e/rootfs.sh copy DEST    a full private copy at DEST (cp -a --reflink=auto); boot.sh
#                                    normally needs none: it lays an overlayfs over the cache
#   tests/e2e/rootfs.sh rebuild      throw the cache away and build again
#   tests/e2e/rootfs.sh reachable    exit 0 if the mirror answers (the suite's skip test)
#
# Cache: ${E2E_CACHE:-/var/cache/systemctl-shim-e2e}/bookworm, valid while its stamp file matches
# STAMP below. The mirror is the one this machine's apt uses (read from /etc/apt/sources.list*
# at run time; no host name is written here). Needs root.
set -euo pipefail

CACHE=${E2E_CACHE:-/var/cache/systemctl-shim-e2e}
ROOTFS=$CACHE/bookworm
SUITE=bookworm
# Packages added to minbase: curl for the HTTP checks, procps for ps inside the container.
INCLUDE=curl,procps,iproute2
STAMP="e2e-rootfs v1 suite=$SUITE variant=minbase include=$INCLUDE"
STAMP_FILE=.systemctl-shim-e2e-stamp

log() { printf 'rootfs: %s\n' "$*" >&2; }

# The first URI of the apt source that carries the plain suite (deb822 .sources or one-line
# sources.list format), as this machine's apt is set up.
host_mirror() {
    local f uri=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        uri=$(awk -v suite="$SUITE" '
            BEGIN { RS = ""; FS = "\n" }
            {
                uris = ""; ok = 0; deb = 0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^#/) continue
                    if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris = u[1] }
                    if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1 }
                    if ($i ~ /^Types:/ && $i ~ /(^|[ \t])deb([ \t]|$)/) deb = 1
                    if ($i ~ /^Enabled:[ \t]*no/) ok = 0
                }
                if (ok && deb && uris != "") { print uris; exit }
            }' "$f")
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                                                  if ($(i + 1) == suite) { print $i; exit } }')
    fi
    [ -n "$uri" ] || { log "no apt source for $SUITE in /etc/apt/sources.list*"; return 1; }
    printf '%s\n' "$uri"
}

need_debootstrap() {
    command -v debootstrap >/dev/null 2>&1 && return 0
    log "installing debootstrap"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

# Does the mirror answer for the suite? (its Release file, within 15 s; the host name is not
# printed)
reachable() {
    local mirror
    mirror=$(host_mirror) || return 1
    curl -sfI -o /dev/null --max-time 15 "$mirror/dists/$SUITE/Release" ||
        { log "no answer from the mirror for $SUITE within 15 s"; return 1; }
}

built() { [ -f "$ROOTFS/$STAMP_FILE" ] && [ "$(cat "$ROOTFS/$STAMP_FILE")" = "$STAMP" ]; }

build() {
    if built; then
        log "cached: $ROOTFS"
        printf '%s\n' "$ROOTFS"
        return 0
    fi
    [ "$(id -u)" = 0 ] || { log "needs root"; return 1; }
    need_debootstrap
    local mirror tmp start
    mirror=$(host_mirror)
    tmp=$ROOTFS.tmp
    start=$(date +%s)
    mkdir -p "$CACHE"
    rm -rf "$tmp" "$ROOTFS"
    log "debootstrap $SUITE (minbase, +$INCLUDE) into $tmp"
    # The mirror's name goes only to debootstrap's own log, kept inside the cache.
    if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp" "$mirror" \
        >"$CACHE/debootstrap.log" 2>&1; then
        log "debootstrap failed; last lines of $CACHE/debootstrap.log:"
        tail -n 20 "$CACHE/debootstrap.log" | sed -E 's#(https?://)[^/ ]+#\1MIRROR#g' >&2
        return 1
    fi
    # apt inside the rootfs sees the same archive as this machine's apt (sources, snapshot
    # settings such as Check-Valid-Until), so versions match what the host would install.
    if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
        rm -f "$tmp/etc/apt/sources.list"
        cp /etc/apt/sources.list.d/*.sources "$tmp/etc/apt/sources.list.d/"
    fi
    local conf
    for conf in /etc/apt/apt.conf.d/*; do
        if grep -qE '^[[:space:]]*Acquire::(Check-Valid-Until|Check-Date)' "$conf" 2>/dev/null; then
            grep -E '^[[:space:]]*Acquire::(Check-Valid-Until|Check-Date)' "$conf" \
                >"$tmp/etc/apt/apt.conf.d/99e2e-snapshot"
        fi
    done
    # Containers keep no recommends of documentation; apt itself stays as Debian ships it.
    apt_in "$tmp" update -qq >"$CACHE/apt-update.log" 2>&1 || {
        log "apt-get update in the rootfs failed (see $CACHE/apt-update.log)"; return 1; }
    rm -rf "$tmp/var/cache/apt/archives/"*.deb
    printf '%s\n' "$STAMP" >"$tmp/$STAMP_FILE"
    mv "$tmp" "$ROOTFS"
    log "built in $(( $(date +%s) - start )) s: $ROOTFS"
    printf '%s\n' "$ROOTFS"
}

# apt-get in the rootfs, in a private mount namespace (its /proc, the host's resolver), with no
# init or manager running: used for `update` at build time and `--download-only` by run.sh.
apt_in() {
    local root=$1; shift
    # shellcheck disable=SC2016  # expanded by the inner sh
    unshare --mount --propagation private -- /bin/sh -euc '
        root=$1; shift
        mount -t proc proc "$root/proc"
        mount --bind /dev "$root/dev"
        [ -e "$root/etc/resolv.conf" ] || : >"$root/etc/resolv.conf"
        mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
        exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 apt-get "$@"
    ' sh "$root" "$@"
}

# apt-get --download-only of PACKAGES into ARCHIVES (a host directory kept between runs), in a
# throw-away overlay over the cached rootfs with the host's network: the booted container then
# installs from ARCHIVES with loopback only.
download() {
    local archives=$1; shift
    built || build >/dev/null
    local scratch
    scratch=$(mktemp -d "$CACHE/download.XXXXXX")
    mkdir -p "$scratch/upper" "$scratch/work" "$scratch/root" "$archives/partial"
    local rc=0
    # shellcheck disable=SC2016  # expanded by the inner sh
    unshare --mount --propagation private -- /bin/sh -euc '
        lower=$1 s=$2 archives=$3; shift 3
        m=$s/root
        mount -t overlay e2e-dl -o "lowerdir=$lower,upperdir=$s/upper,workdir=$s/work" "$m"
        mount -t proc proc "$m/proc"
        mount --bind /dev "$m/dev"
        mount --bind /etc/resolv.conf "$m/etc/resolv.conf"
        mount --bind "$archives" "$m/var/cache/apt/archives"
        exec chroot "$m" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 apt-get install -y --download-only "$@"
    ' sh "$ROOTFS" "$scratch" "$archives" "$@" || rc=$?
    rm -rf "$scratch"
    return $rc
}

case ${1:-build} in
    build) build ;;
    rebuild) rm -rf "$ROOTFS"; build ;;
    path) built || { log "not built: run $0 build"; exit 1; }; printf '%s\n' "$ROOTFS" ;;
    copy)
        dest=${2:?usage: rootfs.sh copy DEST}
        built || build >/dev/null
        mkdir -p "$dest"
        cp -a --reflink=auto "$ROOTFS/." "$dest/"
        printf '%s\n' "$dest" ;;
    download) shift; download "${1:?usage: rootfs.sh download ARCHIVES PACKAGE…}" "${@:2}" ;;
    apt) shift; root=${1:?usage: rootfs.sh apt ROOT APT-ARGS…}; shift; apt_in "$root" "$@" ;;
    mirror) host_mirror >/dev/null && echo "found (not printed)" ;;
    reachable) reachable ;;
    *) echo "usage: $0 build|rebuild|path|copy DEST|download ARCHIVES PKG…|apt ROOT ARGS…|mirror|reachable" >&2; exit 2 ;;
esac
