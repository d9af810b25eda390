//! The ordering a unit gets on the mount units of the paths it needs (unit.c's
//! unit_add_mount_dependencies() and mount.c's mount_add_mount_dependencies()): for each path
//! of `RequiresMountsFor=` (the unit's own and those systemd adds, such as a socket's path) and
//! each of its prefixes, `After=` on the mount unit of that prefix when one is loaded, and
//! `Requires=` too when a unit file gives it. A mount unit is loaded for every mount point of
//! the manager's namespace except the API file systems systemd never makes units for
//! (mount-setup.c's mount_point_is_api() and mount_point_ignore()), and for every mount unit
//! file.

use crate::sys::mountinfo::mount_points;
use crate::unit::load::NameMap;
use crate::unit::name::{self, UnitType};

/// mount-setup.c's mount_table: the API file systems systemd mounts itself.
const API_MOUNT_POINTS: &[&str] = &[
    "/proc",
    "/sys",
    "/dev",
    "/sys/kernel/security",
    "/sys/fs/smackfs",
    "/dev/shm",
    "/dev/pts",
    "/run",
    "/sys/fs/cgroup",
    "/sys/fs/cgroup/unified",
    "/sys/fs/cgroup/systemd",
    "/sys/fs/pstore",
    "/sys/firmware/efi/efivars",
    "/sys/fs/bpf",
];

/// mount_point_ignore(): API file systems others mount, and what a container manager passes in.
const IGNORED_MOUNT_POINTS: &[&str] = &[
    "/sys/fs/selinux",
    "/dev/console",
    "/proc/kmsg",
    "/proc/sys",
    "/proc/sys/kernel/random/boot_id",
];

fn is_api_or_ignored(path: &str) -> bool {
    API_MOUNT_POINTS.contains(&path)
        || IGNORED_MOUNT_POINTS.contains(&path)
        || path.starts_with("/sys/fs/cgroup/")
        || path == "/run/host"
        || path.starts_with("/run/host/")
}

/// The mount units `paths` are ordered after, and those of them required (a unit file gives
/// them), each once, in the order found.
pub(super) fn mount_dependencies(map: &NameMap, paths: &[String]) -> (Vec<String>, Vec<String>) {
    if paths.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mounted = mount_points();
    let (mut after, mut requires) = (Vec::new(), Vec::new());
    for path in paths {
        for prefix in prefixes(path) {
            let Ok(unit) = name::from_path(&prefix, UnitType::Mount) else {
                continue;
            };
            let unit = unit.to_string();
            let from_file = map.has_fragment(&unit);
            let from_mountinfo = mounted.contains(&prefix) && !is_api_or_ignored(&prefix);
            if !(from_file || from_mountinfo) || after.contains(&unit) {
                continue;
            }
            if from_file {
                requires.push(unit.clone());
            }
            after.push(unit);
        }
    }
    (after, requires)
}

/// PATH_FOREACH_PREFIX_MORE: the path itself, then each directory above it up to `/`.
fn prefixes(path: &str) -> Vec<String> {
    let trimmed = path.trim_end_matches('/');
    let mut out = vec![if trimmed.is_empty() { "/" } else { trimmed }.to_string()];
    let mut rest = trimmed;
    while let Some(slash) = rest.rfind('/') {
        rest = &rest[..slash];
        out.push(if rest.is_empty() { "/" } else { rest }.to_string());
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_and_every_directory_above_it() {
        assert_eq!(prefixes("/run/full.sock"), ["/run/full.sock", "/run", "/"]);
        assert_eq!(prefixes("/"), ["/"]);
        assert_eq!(prefixes("/var/lib/"), ["/var/lib", "/var", "/"]);
    }

    #[test]
    fn api_file_systems_get_no_mount_unit() {
        for p in [
            "/run",
            "/proc",
            "/dev/pts",
            "/sys/fs/cgroup/x",
            "/run/host/os-release",
        ] {
            assert!(is_api_or_ignored(p), "{p}");
        }
        for p in ["/", "/etc", "/run/x", "/dev/null", "/var"] {
            assert!(!is_api_or_ignored(p), "{p}");
        }
    }
}
