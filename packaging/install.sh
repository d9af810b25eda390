#!/bin/sh
# Put systemctl-shim in place of systemctl inside an image (run as root during the image build):
#
#   COPY target/x86_64-unknown-linux-gnu/release/systemctl /usr/local/sbin/systemctl-shim
#   COPY packaging/ /tmp/systemctl-shim/
#   RUN sh /tmp/systemctl-shim/install.sh /usr/local/sbin/systemctl-shim
#
# The binary becomes /usr/bin/systemctl; the other programs it stands in for (journalctl,
# systemd-tmpfiles, systemd-notify, systemd-run, systemd-escape, systemd-detect-virt, and init for a
# container whose entrypoint is /sbin/init) become links to it. Each of those paths is first
# taken away from the package manager, so that installing or upgrading the systemd package later
# (which some packages pull in) never puts the real programs back over ours:
#
# - dpkg (Debian, Ubuntu): every path is diverted, in /usr and in its legacy place (/bin, /sbin);
#   on merged /usr, diverting one place alone is bypassed.
# - rpm (Fedora, RHEL, Rocky, Alma, CentOS Stream): /etc/rpm/macros.systemctl-shim lists the
#   paths in %_netsharedpath, which makes rpm (and so dnf/yum/microdnf, through librpm) skip
#   those files of any package it installs, upgrades or erases. A %_netsharedpath defined in
#   /etc/rpm/macros itself would replace ours: merge the two lists there.
# - neither (Alpine, distroless, scratch): only the binary and the links.
#
# Shell completions are installed when the completions/ folder sits next to this script, into
# places that no package owns and that each shell searches before the distribution's own
# completions (systemd's and fish's), so a later systemd package does not replace them either.
set -eu
src=${1:?usage: install.sh PATH-TO-SYSTEMCTL-SHIM}
here=$(dirname "$0")

names="systemctl journalctl systemd-tmpfiles systemd-notify systemd-run systemd-escape systemd-detect-virt"

# divert DIR NAME: keep the package's /usr/DIR/NAME and /DIR/NAME aside as NAME.distrib.
divert() {
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

# paths DIR NAME: the paths place() writes, one a line.
paths() {
    echo "/usr/$1/$2"
    if [ ! -L "/$1" ]; then
        echo "/$1/$2"
    fi
}

# An rpm database, not merely an rpm binary: Debian can have the rpm tool without being
# managed by it, and an image without the binary (ubi-micro) can still get packages later.
has_rpmdb() {
    [ -d /var/lib/rpm ] || [ -d /usr/lib/sysimage/rpm ]
}

if command -v dpkg-divert >/dev/null 2>&1; then
    for name in $names; do
        divert bin "$name"
    done
    divert sbin init
fi
if has_rpmdb; then
    list=$(
        for name in $names; do
            paths bin "$name"
        done
        paths sbin init
    )
    mkdir -p /etc/rpm
    {
        echo "# systemctl-shim owns these paths: rpm installs no package's file over them."
        echo "%_netsharedpath $(echo "$list" | paste -s -d : -)"
    } >/etc/rpm/macros.systemctl-shim
fi

for name in $names; do
    place bin "$name"
done
place sbin init

# install_completion FILE DEST: one completion file, when it is shipped next to this script.
install_completion() {
    if [ -f "$here/completions/$1" ]; then
        install -D -m 0644 "$here/completions/$1" "$2"
    fi
}
# bash-completion sources /etc/bash_completion.d/ at startup, so these completions are defined
# before its on-demand loader would look for systemd's in /usr/share/bash-completion/.
install_completion systemctl.bash /etc/bash_completion.d/systemctl
install_completion journalctl.bash /etc/bash_completion.d/journalctl
# /usr/local/share/zsh/site-functions comes first in zsh's $fpath on Debian and Fedora alike.
install_completion _systemctl /usr/local/share/zsh/site-functions/_systemctl
install_completion _journalctl /usr/local/share/zsh/site-functions/_journalctl
# /etc/fish/completions comes before fish's own and the vendors' completions.
install_completion systemctl.fish /etc/fish/completions/systemctl.fish
install_completion journalctl.fish /etc/fish/completions/journalctl.fish

# The bus policies systemd 252 ships (systemd's own files, LGPL-2.1-or-later), for an image
# without the systemd package: without them dbus-daemon refuses the manager the names
# org.freedesktop.systemd1 and org.freedesktop.login1 it serves. Never over a package's own.
for policy in org.freedesktop.systemd1.conf org.freedesktop.login1.conf; do
    if [ -f "$here/dbus/$policy" ] && [ ! -e "/usr/share/dbus-1/system.d/$policy" ] &&
        [ ! -e "/etc/dbus-1/system.d/$policy" ]; then
        install -D -m 0644 "$here/dbus/$policy" "/usr/share/dbus-1/system.d/$policy"
    fi
done

echo "systemctl-shim installed: $(/usr/bin/systemctl --version | head -n 1)"
