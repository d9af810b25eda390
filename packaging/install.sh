#!/bin/sh
# Put systemctl-shim in place of systemctl inside an image (run as root during the image build):
#
#   COPY target/x86_64-unknown-linux-musl/release/systemctl /usr/local/sbin/systemctl-shim
#   COPY packaging/install.sh /tmp/install-systemctl-shim.sh
#   RUN sh /tmp/install-systemctl-shim.sh /usr/local/sbin/systemctl-shim
#
# On Debian both /bin/systemctl and /usr/bin/systemctl are diverted, so that an upgrade of the
# systemd package never puts the real one back (on merged /usr, diverting one alone is bypassed).
set -eu
src=${1:?usage: install.sh PATH-TO-SYSTEMCTL-SHIM}

if command -v dpkg-divert >/dev/null 2>&1; then
    for path in /usr/bin/systemctl /bin/systemctl; do
        if [ -e "$path" ] && [ ! -L /bin ] || [ "$path" = /usr/bin/systemctl ]; then
            rename=--rename
        else
            # merged /usr: /bin/systemctl is /usr/bin/systemctl, already moved aside
            rename=--no-rename
        fi
        dpkg-divert --local $rename --divert "$path.distrib" --add "$path" >/dev/null
    done
fi

install -D -m 0755 "$src" /usr/bin/systemctl
[ -L /bin ] || install -D -m 0755 "$src" /bin/systemctl
ln -sf systemctl /usr/bin/systemd-escape
echo "systemctl-shim installed: $(/usr/bin/systemctl --version | head -n 1)"
