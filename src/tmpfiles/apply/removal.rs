//! remove_item() of systemd 252 `src/tmpfiles/tmpfiles.c` for `--remove`, with rm_rf()'s rules: never across a mount, nothing
//! below the parent looked up by path.

use std::fs;
use std::io;
use std::path::Path;

use std::os::fd::AsFd;

use super::{base_of, errno_of, for_each_match, parent_of, ApplyError};
use crate::sys::chase::{chase, ChaseError, ChaseFlags};
use crate::sys::walk::{self as sys_walk, WalkError};
use crate::tmpfiles::line::{Item, ItemType};

/// Remove the children of `dir`, keeping `dir` (rm_rf() without REMOVE_ROOT), through
/// descriptors below `dir`; like rm_rf(), it never descends into another mount: what is
/// mounted below stays, with its mount point.
fn remove_children(dir: &str) -> io::Result<()> {
    let top =
        chase(Path::new(dir), Path::new("/"), ChaseFlags::default()).map_err(chase_failure)?;
    let fd = top.fd.ok_or(io::Error::from_raw_os_error(libc::ENOENT))?;
    sys_walk::remove_contents(fd, Path::new(dir)).map_err(walk_failure)
}

/// `rm -rf path` as rm_rf() with REMOVE_ROOT does it: not across mounts, nothing below the
/// path's parent looked up by path.
pub(super) fn remove_tree(path: &str) -> io::Result<()> {
    let parent = chase(
        Path::new(parent_of(path)),
        Path::new("/"),
        ChaseFlags::default(),
    )
    .map_err(chase_failure)?;
    let parent_fd = parent
        .fd
        .as_ref()
        .ok_or(io::Error::from_raw_os_error(libc::ENOENT))?;
    let name = std::ffi::OsStr::new(base_of(path));
    sys_walk::remove_tree_at(parent_fd.as_fd(), name, Path::new(path), false).map_err(walk_failure)
}

fn chase_failure(e: ChaseError) -> io::Error {
    io::Error::from_raw_os_error(e.errno())
}

/// A failed removal as the error its errno words (a tree too deep says so).
pub(super) fn walk_failure(e: WalkError) -> io::Error {
    match e {
        WalkError::Io { source, .. } => source,
        too_deep => io::Error::other(too_deep.to_string()),
    }
}

/// remove_item(): `D` empties the directory, `r` removes a file or empty directory, `R` a tree.
pub fn remove(item: &Item) -> Vec<ApplyError> {
    let mut errors = Vec::new();
    match item.kind {
        ItemType::TruncateDirectory => match remove_children(&item.path) {
            Err(e) if !matches!(errno_of(&e), libc::ENOENT | libc::ENOTDIR) => {
                errors.push(ApplyError::RemoveTree {
                    path: item.path.clone(),
                    reason: crate::errno::text(&e),
                })
            }
            _ => {}
        },
        ItemType::RemovePath => for_each_match(item, &mut errors, |p| {
            let is_dir = fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
            let result = if is_dir {
                fs::remove_dir(p)
            } else {
                fs::remove_file(p)
            };
            match result {
                Err(e) if errno_of(&e) != libc::ENOENT => Err(ApplyError::Remove {
                    path: p.to_string(),
                    reason: crate::errno::text(&e),
                }),
                _ => Ok(()),
            }
        }),
        ItemType::RecursiveRemovePath => {
            for_each_match(item, &mut errors, |p| match remove_tree(p) {
                Err(e) if errno_of(&e) != libc::ENOENT => Err(ApplyError::RemoveTree {
                    path: p.to_string(),
                    reason: crate::errno::text(&e),
                }),
                _ => Ok(()),
            })
        }
        _ => {}
    }
    errors
}
