//! The on-disk enablement state of systemd's install.c: enable, disable, mask, preset and the
//! is-enabled states, on systemd's symlink layout, offline and below `--root`.
