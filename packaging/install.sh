#!/bin/sh
# Put systemctl-shim in place of systemctl inside an image (run as root during the image build):
#
#   COPY target/x86_64-unknown-linux-musl/release/systemctl /usr/local/sbin/systemctl-shim
#   COPY packaging/install.sh /tmp/install-systemctl-shim.sh
#   RUN sh /tmp/install-systemctl-shim.sh /usr/local/sbin/systemctl-shim
#
# The binary becomes /usr/bin/systemctl; the other programs it stands in for (journalctl,
# systemd-tmpfiles, systemd-notify, systemd-escape, systemd-detect-virt, and init for a
# container whose entrypoint is /sbin/init) become links to it. On Debian each of those paths is
# diverted first, in /usr and in its legacy place (/bin, /sbin), so that installing or upgrading
# the systemd or systemd-sysv package later never puts the real ones back over ours (on merged
# /usr, diverting one place alone is bypassed).
set -eu
src=${1:?usage: install.sh PATH-TO-SYSTEMCTL-SHIM}

# divert DIR NAME: keep the package's /usr/DIR/NAME and /DIR/NAME aside as NAME.distrib.
divert() {
    command -v dpkg-divert >/dev/null 2>&1 || return 0
    dpkg-divert --local --rename --divert "/usr/$1/$2.distrib" --add "/usr/$1/$2" >/dev/null
    if [ -L "/$1" ]; then
        # merged /usr: /DIR/NAME is /usr/DIR/NAME, already moved aside
        rename=--no-rename
    else
        rename=--rename
    fi
    dpkg-divert --local $rename --divert "/$1/$2.distrib" --add "/$1/$2" >/dev/null
}

# place DIR NAME: NAME in /usr/DIR (and in /DIR where that is not /usr/DIR) runs our binary.
place() {
    if [ "$2" = systemctl ]; then
        install -D -m 0755 "$src" /usr/bin/systemctl
    else
        mkdir -p "/usr/$1"
        ln -sf /usr/bin/systemctl "/usr/$1/$2"
    fi
    if [ ! -L "/$1" ]; then
        mkdir -p "/$1"
        ln -sf /usr/bin/systemctl "/$1/$2"
    fi
}

for name in systemctl journalctl systemd-tmpfiles systemd-notify systemd-escape systemd-detect-virt; do
    divert bin "$name"
done
divert sbin init
for name in systemctl journalctl systemd-tmpfiles systemd-notify systemd-escape systemd-detect-virt; do
    place bin "$name"
done
place sbin init
echo "systemctl-shim installed: $(/usr/bin/systemctl --version | head -n 1)"
