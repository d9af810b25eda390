#!/bin/sh
# Checks packaging/install.sh where no container engine runs (as root, on a Debian host):
#
# dpkg: a throw-away overlay of the Debian bookworm rootfs that tests/e2e builds
#   (/var/cache/systemctl-shim-e2e/bookworm, never written), install.sh run in a chroot of it,
#   then `apt-get install systemd systemd-sysv` from the cached .debs: our binary must still be
#   /usr/bin/systemctl and the other names links to it.
# rpm: the host's rpm and rpmbuild (Debian's rpm package) build two versions of a fake
#   "systemd" package owning /usr/bin/systemctl, /usr/bin/journalctl and /usr/sbin/init, and
#   install, upgrade and erase them in a root where install.sh ran (with dpkg-divert hidden, as
#   on Fedora): rpm must skip our paths and still handle its other files.
#
# Usage: sh packaging/containers/check-install.sh [PATH-TO-BUILT-BINARY]
# Each part is skipped, with a message, when what it needs is missing.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$repo/target/x86_64-unknown-linux-gnu/release/systemctl}
cache=/var/cache/systemctl-shim-e2e
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release" >&2; exit 1; }

work=$(mktemp -d /tmp/check-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_ours ROOT: ROOT's systemctl is our binary and every other name resolves to it.
expect_ours() {
    cmp -s "$bin" "$1/usr/bin/systemctl" || fail "$1/usr/bin/systemctl is not ours"
    for path in /usr/bin/journalctl /usr/bin/systemd-tmpfiles /usr/bin/systemd-notify /usr/bin/systemd-run \
        /usr/bin/systemd-escape /usr/bin/systemd-detect-virt /usr/sbin/init; do
        [ "$(readlink "$1$path")" = /usr/bin/systemctl ] || fail "$1$path is not a link to ours"
    done
}

# A root made of an overlay over LOWER, in a mount namespace of its own (unshare -m), so that
# nothing is left mounted and LOWER is never written.
check_dpkg() {
    if [ ! -d "$cache/bookworm/var/lib/dpkg" ] || [ ! -d "$cache/archives" ]; then
        echo "SKIP dpkg: no cached bookworm rootfs ($cache; tests/e2e/rootfs.sh makes it)"
        return 0
    fi
    mkdir -p "$work/deb/upper" "$work/deb/work" "$work/deb/root" \
        "$work/debs/upper" "$work/debs/work"
    mkdir -p "$work/deb/upper/tmp/systemctl-shim"
    cp "$bin" "$work/deb/upper/tmp/systemctl-shim/systemctl"
    cp -r "$repo/packaging/install.sh" "$repo/packaging/completions" "$work/deb/upper/tmp/systemctl-shim/"
    # The inner script's variables are expanded by the inner sh, not here.
    # shellcheck disable=SC2016
    unshare -m sh -eu -c '
        r=$1/deb/root
        mount -t overlay overlay -o "lowerdir=$2/bookworm,upperdir=$1/deb/upper,workdir=$1/deb/work" "$r"
        # apt writes its lock and partial/ into the archive: an overlay of it, too
        mount -t overlay overlay -o "lowerdir=$2/archives,upperdir=$1/debs/upper,workdir=$1/debs/work" "$r/var/cache/apt/archives"
        mount -t proc proc "$r/proc"
        chroot "$r" sh /tmp/systemctl-shim/install.sh /tmp/systemctl-shim/systemctl
        chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download \
            --no-install-recommends systemd systemd-sysv >"$1/apt.log" 2>&1 || { tail -n 20 "$1/apt.log"; exit 1; }
        chroot "$r" dpkg-divert --list "*systemctl*" >"$1/diversions"
        chroot "$r" systemctl --version >"$1/version"
        chroot "$r" dpkg -s systemd | grep "^Version:" >"$1/systemd-version"
        umount "$r/proc" "$r/var/cache/apt/archives" "$r"
    ' sh "$work" "$cache" || { fail "dpkg: install.sh or apt-get failed in the chroot"; return 0; }
    # The root's upper layer holds every file the chroot wrote: our binary must be there, with
    # systemd's own copies kept aside as .distrib by the diversions.
    expect_ours "$work/deb/upper"
    [ -f "$work/deb/upper/usr/bin/systemctl.distrib" ] || fail "dpkg: systemd's systemctl was not diverted to systemctl.distrib"
    [ -f "$work/deb/upper/etc/bash_completion.d/systemctl" ] || fail "dpkg: bash completion not installed"
    grep -q systemctl-shim "$work/version" || fail "dpkg: systemctl --version after apt-get: $(cat "$work/version")"
    echo "dpkg: systemd $(cut -d' ' -f2 "$work/systemd-version") installed after install.sh; $(head -n 1 "$work/version"); diversions:"
    sed 's/^/  /' "$work/diversions"
}

# fake_systemd VERSION: a noarch rpm named systemd owning the paths that matter.
fake_systemd() {
    cat >"$work/systemd-$1.spec" <<EOF
Name: systemd
Version: $1
Release: 1
Summary: stand-in for systemd: owns the paths install.sh takes
License: MIT
BuildArch: noarch
%description
Stand-in.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/sbin %{buildroot}/usr/lib/systemd
for f in systemctl journalctl systemd-tmpfiles systemd-analyze; do
    printf '#!/bin/sh\necho real %s $1\n' \$f >%{buildroot}/usr/bin/\$f
done
echo $1 >%{buildroot}/usr/lib/systemd/systemd
ln -s ../lib/systemd/systemd %{buildroot}/usr/sbin/init
%files
%attr(0755,root,root) /usr/bin/*
/usr/lib/systemd/systemd
/usr/sbin/init
EOF
    rpmbuild --quiet --define "_topdir $work/rpmbuild" --nodeps -bb "$work/systemd-$1.spec" >"$work/rpmbuild-$1.log" 2>&1
}

# The rpm checks run install.sh in an overlay of the same rootfs with dpkg-divert removed, as on
# Fedora, and with an rpm database; the host's rpm then acts on that root (rpm --root), loading
# the macro file install.sh left there, as rpm inside the image would read /etc/rpm/macros.*.
check_rpm() {
    if ! command -v rpm >/dev/null 2>&1 || ! command -v rpmbuild >/dev/null 2>&1; then
        echo "SKIP rpm: no rpm/rpmbuild on this host (apt-get install rpm)"
        return 0
    fi
    if [ ! -d "$cache/bookworm/var/lib/dpkg" ]; then
        echo "SKIP rpm: no cached bookworm rootfs to run install.sh in ($cache)"
        return 0
    fi
    if ! fake_systemd 1 || ! fake_systemd 2; then
        fail "rpmbuild failed: $(tail -n 5 "$work"/rpmbuild-*.log)"
        return 0
    fi
    rpms=$work/rpmbuild/RPMS/noarch
    for case in fresh preinstalled; do
        u=$work/rpm-$case
        r=$u/root
        mkdir -p "$u/upper/tmp/systemctl-shim" "$u/work" "$r"
        cp "$bin" "$u/upper/tmp/systemctl-shim/systemctl"
        cp "$repo/packaging/install.sh" "$u/upper/tmp/systemctl-shim/"
        # shellcheck disable=SC2016
        unshare -m sh -eu -c '
            r=$1/root
            q() { rpm --root "$r" --dbpath /var/lib/rpm --nodeps "$@"; }
            mount -t overlay overlay -o "lowerdir=$2/bookworm,upperdir=$1/upper,workdir=$1/work" "$r"
            rm "$r/usr/bin/dpkg-divert"
            mkdir -p "$r/var/lib/rpm"
            rpm --root "$r" --dbpath /var/lib/rpm --initdb
            if [ "$3" = preinstalled ]; then
                # systemd already in the base image: install.sh writes over its files
                q -i "$4/systemd-1-1.noarch.rpm"
            fi
            chroot "$r" sh /tmp/systemctl-shim/install.sh /tmp/systemctl-shim/systemctl
            cp "$r/etc/rpm/macros.systemctl-shim" "$1/macros"
            m="--load=$r/etc/rpm/macros.systemctl-shim"
            if [ "$3" = fresh ]; then
                q "$m" -i "$4/systemd-1-1.noarch.rpm"
            fi
            q "$m" -U "$4/systemd-2-1.noarch.rpm"
            cp "$r/usr/bin/systemd-analyze" "$1/analyze-after-upgrade"
            cp -P "$r/usr/bin/journalctl" "$r/usr/sbin/init" "$r/usr/bin/systemctl" "$1/"
            rpm --root "$r" --dbpath /var/lib/rpm -qa >"$1/installed"
            q "$m" -e systemd
            ls "$r/usr/bin" >"$1/after-erase"
            umount "$r"
        ' sh "$u" "$cache" "$case" "$rpms" >"$u.log" 2>&1 || {
            fail "rpm ($case): $(tail -n 20 "$u.log")"
            continue
        }
        before=$failures
        cmp -s "$bin" "$u/systemctl" || fail "rpm ($case): systemd 2 replaced our systemctl"
        for name in journalctl init; do
            [ "$(readlink "$u/$name")" = /usr/bin/systemctl ] || fail "rpm ($case): systemd 2 replaced $name"
        done
        grep -q "real systemd-analyze 2" "$u/analyze-after-upgrade" ||
            fail "rpm ($case): the upgrade did not install the files we do not own"
        grep -q "^systemd-2-1" "$u/installed" || fail "rpm ($case): systemd 2 is not recorded as installed"
        grep -qx systemctl "$u/after-erase" || fail "rpm ($case): erasing systemd removed our systemctl"
        if grep -qx systemd-analyze "$u/after-erase"; then
            fail "rpm ($case): erasing systemd left its own files"
        fi
        [ "$failures" -ne "$before" ] ||
            echo "rpm ($case): install, upgrade to 2 and erase of systemd kept ours; $(tail -n 1 "$u/macros")"
    done
}

check_dpkg
check_rpm
if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "install.sh checks passed"
