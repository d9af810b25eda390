//! The path conditions, as systemd 252's condition.c tests them in
//! `condition_test_path_exists()`, `condition_test_path_exists_glob()`,
//! `condition_test_path_is_directory()`, `condition_test_path_is_symbolic_link()`,
//! `condition_test_path_is_mount_point()`, `condition_test_path_is_read_write()`,
//! `condition_test_path_is_encrypted()`, `condition_test_directory_not_empty()`,
//! `condition_test_file_not_empty()` and `condition_test_file_is_executable()`, with the helpers
//! they call: glob-util.c's `glob_exists()`, mountpoint-util.c's `path_is_mount_point()`,
//! stat-util.c's `path_is_read_only_fs()` and `dir_is_empty()`, blockdev-util.c's
//! `path_is_encrypted()`. The paths are looked up below `HostFacts::root` (in mod.rs).

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::sys::glob::glob_match;

/// `glob_exists()`: glob(3) with GLOB_BRACE; as glob(3) does, a wildcard does not match a leading
/// dot.
pub(super) fn glob_exists(root: &Path, pattern: &str) -> bool {
    expand_braces(pattern).iter().any(|p| {
        let mut candidates = vec![root.to_path_buf()];
        for component in p.split('/').filter(|c| !c.is_empty()) {
            if !component.contains(['*', '?', '[']) {
                candidates = candidates.into_iter().map(|c| c.join(component)).collect();
                continue;
            }
            let mut next = Vec::new();
            for dir in &candidates {
                let Ok(entries) = fs::read_dir(dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with('.') && !component.starts_with('.') {
                        continue;
                    }
                    if glob_match(component, &name) {
                        next.push(dir.join(&*name));
                    }
                }
            }
            candidates = next;
            if candidates.is_empty() {
                return false;
            }
        }
        candidates.iter().any(|c| fs::symlink_metadata(c).is_ok())
    })
}

/// GLOB_BRACE: `a{b,c}d` is `abd` and `acd`; nested braces expand too, an unclosed one is literal.
fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_string()];
    };
    let mut depth = 0;
    let mut commas = Vec::new();
    let mut close = None;
    for (i, c) in pattern[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(open + i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![pattern.to_string()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(commas);
    bounds.push(close);
    bounds
        .windows(2)
        .flat_map(|w| expand_braces(&format!("{head}{}{tail}", &pattern[w[0] + 1..w[1]])))
        .collect()
}

/// The mount a path is on, from its fd's /proc/self/fdinfo (the kernel's own mount id, which tells
/// bind mounts of one file system apart where st_dev cannot).
fn mount_id(path: &Path) -> Option<u64> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open(path)
        .ok()?;
    fs::read_to_string(format!("/proc/self/fdinfo/{}", file.as_raw_fd()))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("mnt_id:"))
        .and_then(|v| v.trim().parse().ok())
}

/// `path_is_mount_point(path, AT_SYMLINK_FOLLOW)`: the path (symlinks resolved) is on another
/// mount than its parent; "/" always is one.
pub(super) fn is_mount_point(path: &Path) -> bool {
    let Ok(real) = fs::canonicalize(path) else {
        return false;
    };
    let Some(parent) = real.parent() else {
        return true;
    };
    match (mount_id(&real), mount_id(parent)) {
        (Some(a), Some(b)) => a != b,
        _ => match (fs::metadata(&real), fs::metadata(parent)) {
            (Ok(a), Ok(b)) => a.dev() != b.dev(),
            _ => false,
        },
    }
}

/// `path_is_read_only_fs()`: mounted read-only, or writing is refused with EROFS.
pub(super) fn read_only_fs(path: &Path) -> io::Result<bool> {
    let st = nix::sys::statvfs::statvfs(path).map_err(io::Error::from)?;
    if st.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY) {
        return Ok(true);
    }
    Ok(matches!(
        nix::unistd::access(path, nix::unistd::AccessFlags::W_OK),
        Err(nix::errno::Errno::EROFS)
    ))
}

/// `path_is_encrypted()`: the block device under the path is a dm-crypt device, or sits on one.
/// Overlay and other virtual file systems (the usual container root) have no block device.
pub(super) fn is_encrypted(path: &Path) -> bool {
    let Ok(m) = fs::metadata(path) else {
        return false;
    };
    let dev = m.dev();
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    if major == 0 {
        return false;
    }
    block_is_encrypted(&PathBuf::from(format!("/sys/dev/block/{major}:{minor}")), 0)
}

fn block_is_encrypted(sys: &Path, depth: u32) -> bool {
    if fs::read_to_string(sys.join("dm/uuid")).is_ok_and(|u| u.starts_with("CRYPT-")) {
        return true;
    }
    // Stacked devices (LVM on LUKS): follow the slaves a few levels down.
    depth < 8
        && fs::read_dir(sys.join("slaves")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| block_is_encrypted(&e.path(), depth + 1))
        })
}

/// `hidden_or_backup_file()`: what `dir_is_empty(…, ignore_hidden_or_backup=true)` skips.
fn hidden_or_backup(name: &str) -> bool {
    if name.starts_with('.')
        || matches!(name, "lost+found" | "aquota.user" | "aquota.group")
        || name.ends_with('~')
    {
        return true;
    }
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        matches!(
            ext,
            "rpmnew"
                | "rpmsave"
                | "rpmorig"
                | "dpkg-old"
                | "dpkg-new"
                | "dpkg-tmp"
                | "dpkg-dist"
                | "dpkg-bak"
                | "dpkg-backup"
                | "dpkg-remove"
                | "ucf-new"
                | "ucf-old"
                | "ucf-dist"
                | "swp"
                | "bak"
                | "old"
                | "new"
        )
    })
}

/// `ConditionDirectoryNotEmpty=`: met unless the directory is missing, not a directory, or holds
/// only hidden and backup files; any other error reading it counts as met, as in systemd.
pub(super) fn directory_not_empty(path: &Path) -> bool {
    match fs::read_dir(path) {
        Ok(entries) => entries.into_iter().any(|e| match e {
            Ok(e) => !hidden_or_backup(&e.file_name().to_string_lossy()),
            Err(_) => true,
        }),
        Err(e) => !matches!(
            e.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::unit::condition::fixtures::{cond, facts, met, not, tree};
    use std::path::Path;

    #[test]
    fn path_checks_both_ways() {
        let root = tree();
        let f = facts(root.path());
        let cases: &[(&str, &str, bool)] = &[
            ("ConditionPathExists", "/etc/conf.d/a.conf", true),
            ("ConditionPathExists", "/nonexistent", false),
            ("ConditionPathExists", "/etc/dangling", false),
            ("ConditionPathExistsGlob", "/etc/conf.d/*.conf", true),
            ("ConditionPathExistsGlob", "/etc/*/a.{txt,conf}", true),
            ("ConditionPathExistsGlob", "/etc/conf.d/*.txt", false),
            ("ConditionPathExistsGlob", "/hidden-only/*keep", false),
            ("ConditionPathExistsGlob", "/hidden-only/.k*", true),
            ("ConditionPathIsDirectory", "/etc/link", true),
            ("ConditionPathIsDirectory", "/etc/zero", false),
            ("ConditionPathIsSymbolicLink", "/etc/link", true),
            ("ConditionPathIsSymbolicLink", "/etc/conf.d", false),
            ("ConditionPathIsReadWrite", "/etc", true),
            ("ConditionPathIsReadWrite", "/nonexistent", false),
            ("ConditionPathIsEncrypted", "/nonexistent", false),
            ("ConditionDirectoryNotEmpty", "/etc/conf.d", true),
            ("ConditionDirectoryNotEmpty", "/empty", false),
            ("ConditionDirectoryNotEmpty", "/hidden-only", false),
            ("ConditionDirectoryNotEmpty", "/etc/zero", false),
            ("ConditionDirectoryNotEmpty", "/nonexistent", false),
            ("ConditionFileNotEmpty", "/etc/conf.d/a.conf", true),
            ("ConditionFileNotEmpty", "/etc/zero", false),
            ("ConditionFileNotEmpty", "/etc/conf.d", false),
            ("ConditionFileIsExecutable", "/etc/tool", true),
            ("ConditionFileIsExecutable", "/etc/zero", false),
            ("ConditionFileIsExecutable", "/etc", false),
        ];
        for &(name, parameter, expected) in cases {
            assert_eq!(
                met(cond(name, parameter), &f),
                expected,
                "{name}={parameter}"
            );
            assert_eq!(
                met(not(cond(name, parameter)), &f),
                !expected,
                "{name}=!{parameter}"
            );
        }
    }

    #[test]
    fn mount_points_of_the_live_system() {
        let f = facts(Path::new("/"));
        assert!(met(cond("ConditionPathIsMountPoint", "/"), &f));
        assert!(met(cond("ConditionPathIsMountPoint", "/proc"), &f));
        assert!(!met(cond("ConditionPathIsMountPoint", "/proc/self/fd"), &f));
        assert!(!met(cond("ConditionPathIsMountPoint", "/nonexistent"), &f));
        let root = tree();
        let f = facts(root.path());
        assert!(!met(cond("ConditionPathIsMountPoint", "/etc"), &f));
    }
}
