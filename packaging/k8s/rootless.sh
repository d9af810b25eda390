#!/bin/sh
# Turns the Debian example image (Containerfile.debian: nginx + redis) into one whose services
# all run as the container's own user: any uid, in group 0, as Kubernetes' restricted profile
# and OpenShift's restricted-v2 (an arbitrary uid from the namespace's range, gid 0) run it.
# Run as root during the image build (Containerfile.rootless); check-rootless.sh runs it
# in a chroot to check the same image without a container engine.
#
# A manager that is not root cannot switch users: a unit's User=/Group= would fail it
# (216/GROUP, as under systemd), so they are reset and each service runs as the manager's uid.
# Nothing can bind a port below 1024 without CAP_NET_BIND_SERVICE: nginx listens on 8080.
set -eu

mkdir -p /etc/systemd/system/redis-server.service.d
cat >/etc/systemd/system/redis-server.service.d/rootless.conf <<'CONF'
# Run as the container's user (an empty User= resets the package's User=redis).
[Service]
User=
Group=
CONF

sed -i -e 's/^\(\s*listen\s\+\)80\( default_server;\)/\18080\2/' \
    -e 's/^\(\s*listen\s\+\[::\]:\)80\( default_server;\)/\18080\2/' \
    /etc/nginx/sites-available/default
# nginx as non-root warns that `user` makes sense only for root, on every start: drop it.
sed -i 's/^user www-data;/# user www-data;  (the container runs as one non-root user)/' /etc/nginx/nginx.conf

# redis.conf is redis:redis 0640: readable by group 0 instead.
chgrp -R 0 /etc/redis
chmod -R g=u /etc/redis

# Where the services write. Each is an emptyDir in packaging/k8s/multi-service.yaml (the root
# file system is read-only there); without those volumes the image's own directories are used,
# so they belong to group 0 and are group-writable, whatever uid OpenShift picks.
for dir in /run /var/log/nginx /var/log/redis /var/lib/nginx /var/lib/redis; do
    mkdir -p "$dir"
    chgrp -R 0 "$dir"
    chmod -R g=u "$dir"
    chmod g+w "$dir"
done
