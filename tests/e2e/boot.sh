#!/bin/bash
# Boot the e2e rootfs as a container with our binary as PID 1.
#
#   tests/e2e/boot.sh start STATE [BINARY]   boot in the background (returns once PID 1 is ours)
#   tests/e2e/boot.sh wait STATE [SECONDS]   wait until is-system-running leaves "starting"
#   tests/e2e/boot.sh exec STATE CMD…        run CMD inside (all its namespaces, its root)
#   tests/e2e/boot.sh pid STATE              the host pid of the container's PID 1
#   tests/e2e/boot.sh stop STATE [SECONDS]   SIGTERM to PID 1, wait, print and return its exit code
#   tests/e2e/boot.sh kill STATE             SIGKILL to PID 1 (clean-up after a failure)
#
# E2E_ARCHIVES=DIR (set by run.sh) bind-mounts DIR over /var/cache/apt/archives: .debs
# downloaded beforehand, since the container's network is loopback only.
#
# STATE is a host directory (outside the repo) holding this container's writable layer: the
# cached rootfs (tests/e2e/rootfs.sh) is the read-only lower layer of an overlayfs whose upper
# layer is STATE/upper, so a new STATE is a fresh image and the same STATE boots the same image
# again (a reboot: the image's data are kept). The overlay, /proc, /sys, /dev, and the tmpfs
# /run and /tmp exist only in the container's mount namespace; its root is pivot_root'ed into the
# overlay before our binary runs, so its boot-time tmpfiles never see the host's /tmp or /run.
# Namespaces: pid, mount, uts, ipc, net (loopback only). PID 1's output goes to
# STATE/console.log, its exit code to STATE/exit-code. Needs root.
#
# Hardened runs (opt-in, for tests/e2e/hardened.sh; each may be combined with the others):
#   E2E_UID=N        PID 1 runs as uid N, gid N, no supplementary groups, no capabilities (not
#                    even in its bounding set) and no_new_privs: OpenShift's restricted profile.
#                    /run stays root's, so the manager keeps its state in /tmp.
#   E2E_READONLY=1   the container's root is remounted read-only once set up; /run, /tmp, /dev
#                    and /dev/shm stay writable tmpfs.
#   E2E_USERNS=1     a rootless container: the namespaces are made by an unprivileged uid
#                    (E2E_USERNS_UID, default 100123) with `unshare --user --map-root-user`, so
#                    PID 1 is root inside and that uid outside. Its root is STATE/rootless, a copy
#                    of the image (the cached rootfs with STATE/upper over it) owned by that uid,
#                    made at the first such start (an overlay of root's files would show them as
#                    nobody's, unwritable by the container's root).
# The mode a container was started in is kept in STATE/mode for `exec`.
#
# The binary is installed as the README says (packaging/install.sh: divert /bin/systemctl and
# /usr/bin/systemctl, then link /sbin/init and /usr/sbin/init to it) at every start, so a
# reboot picks up a rebuilt binary. BINARY defaults to the repo's static release build.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
INNER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() { printf 'boot: %s\n' "$*" >&2; exit 1; }

pid1_of() {
    local state=$1
    [ -s "$state/pid1" ] || return 1
    local pid
    pid=$(cat "$state/pid1")
    [ -d "/proc/$pid" ] || return 1
    printf '%s\n' "$pid"
}

start() {
    local state=${1:?usage: boot.sh start STATE [BINARY]}
    local binary=${2:-$REPO/target/x86_64-unknown-linux-gnu/release/systemctl}
    [ "$(id -u)" = 0 ] || die "needs root"
    [ -x "$binary" ] || die "no binary at $binary (cargo build --release)"
    local lower
    lower=$("$HERE/rootfs.sh" path)
    mkdir -p "$state/upper" "$state/work" "$state/root"
    state=$(cd "$state" && pwd)
    if pid1_of "$state" >/dev/null; then die "already running: $(cat "$state/pid1")"; fi
    rm -f "$state/pid1" "$state/exit-code" "$state/holder.pid" "$state/unshare.pid"
    cp "$binary" "$state/systemctl-shim"
    cp "$REPO/packaging/install.sh" "$state/install-systemctl-shim.sh"
    cat >"$state/inner.sh" <<'INNER'
# Runs as PID 1 of the new pid namespace, in the new mount/uts/ipc/net namespaces, still on the
# host's root; ends by exec'ing our binary as PID 1 inside the pivot_root'ed overlay.
set -eu
lower=$1 state=$2 path=$3
m=$state/root
if [ "${E2E_USERNS:-0}" = 1 ]; then
    mount --bind "$state/rootless" "$m"
else
    mount -t overlay e2e-root -o "lowerdir=$lower,upperdir=$state/upper,workdir=$state/work" "$m"
fi
mount -t proc -o nosuid,nodev,noexec proc "$m/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$m/sys"
mount -t tmpfs -o mode=755,nosuid,nodev,size=50% e2e-run "$m/run"
mount -t tmpfs -o mode=1777,nosuid,nodev,size=50% e2e-tmp "$m/tmp"
# A minimal /dev as container runtimes make it.
mount -t tmpfs -o mode=755,nosuid,size=65536k e2e-dev "$m/dev"
for n in null zero full random urandom tty; do
    : >"$m/dev/$n"
    mount --bind "/dev/$n" "$m/dev/$n"
done
mkdir -p "$m/dev/pts" "$m/dev/shm" "$m/dev/mqueue"
# (gid 5, tty, is not mapped in a rootless container's user namespace)
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$m/dev/pts" 2>/dev/null ||
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$m/dev/pts"
ln -s pts/ptmx "$m/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$m/dev/shm"
mount -t mqueue mqueue "$m/dev/mqueue" 2>/dev/null || true
ln -s /proc/self/fd "$m/dev/fd"
ln -s /proc/self/fd/0 "$m/dev/stdin"
ln -s /proc/self/fd/1 "$m/dev/stdout"
ln -s /proc/self/fd/2 "$m/dev/stderr"
[ -z "${E2E_ARCHIVES:-}" ] || mount --bind "$E2E_ARCHIVES" "$m/var/cache/apt/archives"
ip link set lo up
hostname e2e
echo e2e >"$m/etc/hostname"
printf '127.0.0.1\tlocalhost e2e\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$m/etc/hosts"
# Install the binary the way the README tells users to.
install -D -m 0755 "$state/systemctl-shim" "$m/usr/local/sbin/systemctl-shim"
cp "$state/install-systemctl-shim.sh" "$m/tmp/install-systemctl-shim.sh"
chroot "$m" /usr/bin/env -i PATH="$path" sh /tmp/install-systemctl-shim.sh /usr/local/sbin/systemctl-shim
ln -sf /usr/bin/systemctl "$m/usr/sbin/init"
[ -L "$m/sbin" ] || ln -sf /usr/bin/systemctl "$m/sbin/init"
rm -f "$m/tmp/install-systemctl-shim.sh"
cd "$m"
mkdir -p .e2e-oldroot
pivot_root . .e2e-oldroot
cd /
umount -l /.e2e-oldroot
rmdir /.e2e-oldroot
if [ "${E2E_READONLY:-0}" = 1 ]; then
    mount -o remount,ro,bind /
fi
if [ -n "${E2E_UID:-}" ]; then
    exec setpriv --reuid="$E2E_UID" --regid="$E2E_UID" --clear-groups --inh-caps=-all \
        --ambient-caps=-all --bounding-set=-all --no-new-privs -- \
        /usr/bin/env -i PATH="$path" TERM=dumb /sbin/init
fi
exec /usr/bin/env -i PATH="$path" TERM=dumb /sbin/init
INNER
    local userns=()
    printf 'uid=%s readonly=%s userns=%s\n' "${E2E_UID:-}" "${E2E_READONLY:-0}" \
        "${E2E_USERNS:-0}" >"$state/mode"
    if [ "${E2E_USERNS:-0}" = 1 ]; then
        local owner=${E2E_USERNS_UID:-100123}
        make_rootless_copy "$lower" "$state" "$owner"
        userns=(setpriv --reuid="$owner" --regid="$owner" --clear-groups -- unshare --user
            --map-root-user)
    else
        userns=(unshare)
    fi
    # A holder shell records unshare's exit status (PID 1's, passed on by --fork).
    # shellcheck disable=SC2016 # expanded by that shell
    setsid /bin/sh -c '
        state=$1; shift
        "$@" >"$state/console.log" 2>&1 </dev/null &
        echo $! >"$state/unshare.pid"
        wait $!
        echo $? >"$state/exit-code"
    ' holder "$state" "${userns[@]}" --pid --fork --mount --uts --ipc --net --propagation private \
        -- /bin/sh "$state/inner.sh" "$lower" "$state" "$INNER_PATH" </dev/null >/dev/null 2>&1 &
    echo $! >"$state/holder.pid"
    # PID 1 is unshare's only child; wait until it has exec'd our binary.
    local upid pid exe
    # (the install step runs dpkg-divert, slow on a big dpkg database on a busy machine)
    for _ in $(seq 1 1200); do
        if [ -s "$state/exit-code" ]; then
            cat "$state/console.log" >&2
            die "the container ended during setup (exit $(cat "$state/exit-code"))"
        fi
        upid=$(cat "$state/unshare.pid" 2>/dev/null || true)
        if [ -n "$upid" ]; then
            pid=$(awk '{print $1}' "/proc/$upid/task/$upid/children" 2>/dev/null || true)
            if [ -n "$pid" ]; then
                exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
                case $exe in
                    */usr/bin/systemctl|*/usr/local/sbin/systemctl-shim)
                        echo "$pid" >"$state/pid1"
                        printf '%s\n' "$pid"
                        return 0 ;;
                esac
            fi
        fi
        sleep 0.05
    done
    upid=$(cat "$state/unshare.pid" 2>/dev/null || true)
    [ -z "$upid" ] || kill -KILL "$upid" 2>/dev/null || true
    die "PID 1 did not come up in 60 s (see $state/console.log); container killed"
}

# The image as the rootless container's uid owns it: the cached rootfs with STATE/upper over it,
# copied once to STATE/rootless with every file (whoever owned it) given to `owner`, which is root
# inside that container.
make_rootless_copy() {
    local lower=$1 state=$2 owner=$3
    [ -d "$state/rootless" ] && return 0
    rm -rf "$state/rootless.tmp"
    mkdir -p "$state/rootless.tmp"
    # shellcheck disable=SC2016 # expanded by that shell
    unshare --mount --propagation private -- /bin/sh -ec '
        lower=$1 state=$2
        mount -t overlay e2e-copy -o "lowerdir=$lower,upperdir=$state/upper,workdir=$state/work" \
            "$state/root"
        cp -a "$state/root/." "$state/rootless.tmp/"
    ' copy "$lower" "$state"
    chown -R --no-dereference "$owner:$owner" "$state/rootless.tmp"
    mv "$state/rootless.tmp" "$state/rootless"
}

in_container() {
    local state=${1:?usage: boot.sh exec STATE CMD…}; shift
    local pid userns=()
    pid=$(pid1_of "$state") || die "not running: $state"
    if grep -q 'userns=1' "$state/mode" 2>/dev/null; then userns=(-U); fi
    exec nsenter -t "$pid" "${userns[@]}" -m -u -i -n -p -r -w -- /usr/bin/env -i PATH="$INNER_PATH" TERM=dumb \
        LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive "$@"
}

wait_booted() {
    local state=${1:?usage: boot.sh wait STATE [SECONDS]} timeout=${2:-120}
    local deadline=$(( $(date +%s) + timeout )) s
    while :; do
        s=$("$0" exec "$state" systemctl is-system-running 2>/dev/null || true)
        case $s in
            running|degraded) printf '%s\n' "$s"; return 0 ;;
        esac
        [ "$(date +%s)" -lt "$deadline" ] || { printf '%s\n' "${s:-none}"; return 1; }
        sleep 0.1
    done
}

stop() {
    local state=${1:?usage: boot.sh stop STATE [SECONDS]} timeout=${2:-120}
    local pid
    if pid=$(pid1_of "$state"); then
        kill -TERM "$pid"
    fi
    for _ in $(seq 1 $(( timeout * 10 ))); do
        [ -s "$state/exit-code" ] && { cat "$state/exit-code"; return "$(cat "$state/exit-code")"; }
        sleep 0.1
    done
    die "PID 1 did not exit within $timeout s of SIGTERM"
}

kill9() {
    local state=${1:?usage: boot.sh kill STATE} pid
    if pid=$(pid1_of "$state"); then kill -KILL "$pid"; fi
    for _ in $(seq 1 100); do [ -s "$state/exit-code" ] && return 0; sleep 0.1; done
}

cmd=${1:-}; shift || true
case $cmd in
    start) start "$@" ;;
    wait) wait_booted "$@" ;;
    exec) in_container "$@" ;;
    pid) pid1_of "${1:?}" ;;
    stop) stop "$@" ;;
    kill) kill9 "$@" ;;
    *) echo "usage: $0 start|wait|exec|pid|stop|kill STATE …" >&2; exit 2 ;;
esac
