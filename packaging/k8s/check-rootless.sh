#!/bin/sh
# Checks, without a container engine (as root on the Debian host of tests/e2e), that the image of
# packaging/k8s/multi-service.yaml works under the pod's security context:
#
# 1. builds its file system as the Containerfiles would, in an overlay over the cached bookworm
#    rootfs (/var/cache/systemctl-shim-e2e/bookworm, never written): install.sh, nginx and
#    redis-server from the cached .debs, the Containerfile.debian steps, then rootless.sh;
# 2. boots it as the pod does: our systemctl as PID 1 in new pid/mount/net/uts/ipc namespaces, as
#    uid 1001 gid 0 with no capabilities (bounding set empty) and no_new_privs, the root file
#    system read-only and a fresh tmpfs on each of the manifest's emptyDir mounts;
# 3. waits for the readiness probe (`systemctl is-system-running` exits 0), asks nginx and redis,
# 4. sends the STOPSIGNAL (SIGRTMIN+3) and checks PID 1 exits 0 within the grace period (30 s).
#
# Usage: sh packaging/k8s/check-rootless.sh [PATH-TO-BUILT-BINARY]
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$repo/target/x86_64-unknown-linux-gnu/release/systemctl}
cache=/var/cache/systemctl-shim-e2e
grace=30
[ -x "$bin" ] || { echo "no binary at $bin" >&2; exit 1; }
if [ ! -d "$cache/bookworm/var/lib/dpkg" ] || [ ! -d "$cache/archives" ]; then
    echo "SKIP: no cached bookworm rootfs and .debs in $cache (tests/e2e/run.sh nginx redis-server makes them)"
    exit 0
fi
work=$(mktemp -d /tmp/check-rootless.XXXXXX)
mkdir -p "$work/image" "$work/work" "$work/root" "$work/debs/upper" "$work/debs/work" \
    "$work/image/tmp/systemctl-shim"
cp "$bin" "$work/image/tmp/systemctl-shim/systemctl"
cp "$repo/packaging/install.sh" "$repo/packaging/k8s/rootless.sh" "$work/image/tmp/systemctl-shim/"

# 1. The image. The steps are Containerfile.debian's RUN lines, then Containerfile.rootless's.
# shellcheck disable=SC2016 # expanded by the inner shell
unshare -m sh -eu -c '
    w=$1 cache=$2 r=$1/root
    mount -t overlay overlay -o "lowerdir=$cache/bookworm,upperdir=$w/image,workdir=$w/work" "$r"
    mount -t overlay overlay -o "lowerdir=$cache/archives,upperdir=$w/debs/upper,workdir=$w/debs/work" "$r/var/cache/apt/archives"
    mount -t proc proc "$r/proc"
    chroot "$r" /bin/sh -eu -c "
        sh /tmp/systemctl-shim/install.sh /tmp/systemctl-shim/systemctl
        printf \"#!/bin/sh\nexit 101\n\" >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download --no-install-recommends nginx redis-server >/tmp/apt.log 2>&1 || { tail -n 20 /tmp/apt.log; exit 1; }
        rm -f /usr/sbin/policy-rc.d
        mkdir -p /etc/systemd/system/redis-server.service.d
        printf \"[Service]\nTimeoutStopSec=20s\n\" >/etc/systemd/system/redis-server.service.d/stop-timeout.conf
        systemctl enable nginx.service redis-server.service
        sh /tmp/systemctl-shim/rootless.sh
        rm -rf /tmp/systemctl-shim /tmp/apt.log
    "
    umount "$r/proc" "$r/var/cache/apt/archives" "$r"
' sh "$work" "$cache"

# 2. The pod. An overlay of lower directories only is read-only, as readOnlyRootFilesystem is.
cat >"$work/pod.sh" <<'POD'
set -eu
w=$1 cache=$2 r=$1/root
mount -t overlay overlay -o "lowerdir=$w/image:$cache/bookworm" "$r"
mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
mount -t tmpfs -o mode=755,nosuid dev "$r/dev"
for n in null zero full random urandom tty; do
    : >"$r/dev/$n"
    mount --bind "/dev/$n" "$r/dev/$n"
done
# the manifest's emptyDir volumes: world-writable, as the kubelet makes them
for dir in /run /tmp /var/log/nginx /var/log/redis /var/lib/nginx /var/lib/redis; do
    mount -t tmpfs -o mode=1777,nosuid,nodev emptydir "$r$dir"
done
ip link set lo up
exec chroot "$r" setpriv --reuid=1001 --regid=0 --clear-groups --inh-caps=-all \
    --bounding-set=-all --no-new-privs \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin XDG_RUNTIME_DIR=/run \
    /usr/bin/systemctl
POD
setsid unshare --pid --fork --mount --uts --ipc --net --propagation private -- \
    sh "$work/pod.sh" "$work" "$cache" >"$work/console.log" 2>&1 </dev/null &
holder=$!

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
pid1=
for _ in $(seq 1 100); do
    pid1=$(awk '{print $1}' "/proc/$holder/task/$holder/children" 2>/dev/null)
    [ -n "$pid1" ] && [ "$(readlink "/proc/$pid1/exe" 2>/dev/null)" = "$work/root/usr/bin/systemctl" ] && break
    pid1=
    sleep 0.1
done
# inside CMD…: CMD in the pod, as the pod's user (kubectl exec, an exec probe)
inside() {
    nsenter -t "$pid1" -m -n -p -r -w -S 1001 -G 0 -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

if [ -z "$pid1" ]; then
    fail "PID 1 did not start: $(cat "$work/console.log")"
else
    state=
    for _ in $(seq 1 300); do
        if state=$(inside systemctl is-system-running 2>/dev/null); then
            break
        fi
        sleep 0.1
    done
    [ "$state" = running ] || fail "readiness probe: is-system-running says '$state'"
    echo "readiness probe: $state; PID 1 runs as: $(awk '/^Uid|^Gid|^CapBnd|^NoNewPrivs/ {printf "%s %s  ", $1, $2}' "/proc/$pid1/status")"
    inside systemctl --no-pager status nginx.service redis-server.service >"$work/status" 2>&1 || true
    grep -E '●|Active:|Main PID:' "$work/status" | sed 's/^/  /'
    inside ps -o user,group,pid,args -e 2>/dev/null | sed 's/^/  /' || true
    pong=$(inside redis-cli ping 2>&1) || true
    [ "$pong" = PONG ] || fail "redis-cli ping: $pong"
    # shellcheck disable=SC2016
    http=$(inside bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080; printf "GET / HTTP/1.0\r\n\r\n" >&3; head -n 1 <&3' 2>&1) || true
    case $http in HTTP/1.1\ 200*) ;; *) fail "nginx on 8080: $http" ;; esac
    echo "redis: $pong; nginx: $http"

    # 4. The stop: the runtime's STOPSIGNAL, and SIGKILL after the grace period.
    start=$(date +%s)
    kill -s RTMIN+3 "$pid1"
    code=
    for _ in $(seq 1 $((grace * 10))); do
        if ! kill -0 "$holder" 2>/dev/null; then
            wait "$holder" && code=0 || code=$?
            break
        fi
        sleep 0.1
    done
    if [ -z "$code" ]; then
        fail "PID 1 still running $grace s after SIGRTMIN+3"
        kill -KILL "$pid1" 2>/dev/null || true
    else
        [ "$code" = 0 ] || fail "PID 1 exited $code after SIGRTMIN+3"
        echo "stop: PID 1 exited $code after $(($(date +%s) - start)) s (grace $grace s)"
    fi
fi
if [ "$failures" -gt 0 ]; then
    echo "console:" && sed 's/^/  /' "$work/console.log" | tail -n 40
    echo "$failures failure(s); kept $work"
    exit 1
fi
rm -rf "$work"
echo "rootless pod checks passed"
