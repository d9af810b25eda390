//! mkdir_parents(), mkdir_parents_rm_if_wrong_type(), rm_if_wrong_type_safe() and
//! path_open_parent_safe() of systemd 252 `src/tmpfiles/tmpfiles.c`: the directories on the way to what a line makes, and the
//! parent it is made in, opened once.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::Path;

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;
use std::os::fd::{BorrowedFd, OwnedFd};

use super::removal::remove_tree;
use super::safety::unsafe_path_error;
use super::{base_of, parent_of, ApplyError, Notes};
use crate::sys::chase::{chase, ChaseError, ChaseFlags, Chased};
use crate::tmpfiles::line::Item;

/// mkdir_parents(path, 0755): every missing ancestor, errors left to the creation that follows.
fn make_parents(path: &str) {
    let mut prefix = String::new();
    let parent = parent_of(path);
    for component in parent.split('/').filter(|c| !c.is_empty()) {
        prefix.push('/');
        prefix.push_str(component);
        if fs::metadata(&prefix).is_err()
            && fs::DirBuilder::new().mode(0o755).create(&prefix).is_ok()
        {
            let _ = fs::set_permissions(&prefix, fs::Permissions::from_mode(0o755));
        }
    }
}

pub(super) fn file_type_bits(meta: &fs::Metadata) -> u32 {
    meta.mode() & libc::S_IFMT
}

/// rm_if_wrong_type_safe(): remove what is at `path` unless it has type `want`.
fn remove_if_wrong_type(
    path: &str,
    want: u32,
    follow: bool,
    notes: &mut Notes,
) -> Result<bool, ApplyError> {
    let meta = if follow {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    };
    let Ok(meta) = meta else {
        return Ok(false);
    };
    if file_type_bits(&meta) == want {
        return Ok(true);
    }
    let parent = parent_of(path);
    let name = base_of(path);
    notes.lines.push(format!(
        "Wrong file type 0o{:o}; rm -rf \"{parent}/{name}\"",
        file_type_bits(&meta)
    ));
    remove_tree(path).map_err(|e| ApplyError::RemoveWrongType {
        name: name.to_string(),
        parent: parent.to_string(),
        reason: crate::errno::text(&e),
    })?;
    Ok(false)
}

/// mkdir_parents_rm_if_wrong_type(): with `=`, ancestors that are not directories are removed
/// and made, and so is the final component when it is not of `child_type`.
fn make_parents_replacing(
    path: &str,
    child_type: Option<u32>,
    notes: &mut Notes,
) -> Result<(), ApplyError> {
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let mut current = String::new();
    for (n, component) in components.iter().enumerate() {
        let parent = if current.is_empty() {
            "/".to_string()
        } else {
            current.clone()
        };
        current.push('/');
        current.push_str(component);
        if n + 1 == components.len() {
            if let Some(want) = child_type {
                remove_if_wrong_type(&current, want, false, notes)?;
            }
            return Ok(());
        }
        let present = remove_if_wrong_type(&current, libc::S_IFDIR, true, notes)?
            || (fs::symlink_metadata(&current).is_ok()
                && remove_if_wrong_type(&current, libc::S_IFDIR, false, notes)?);
        if !present {
            fs::DirBuilder::new()
                .mode(0o755)
                .create(&current)
                .and_then(|_| fs::set_permissions(&current, fs::Permissions::from_mode(0o755)))
                .map_err(|e| ApplyError::MkdirParent {
                    name: component.to_string(),
                    parent: parent.clone(),
                    reason: crate::errno::text(&e),
                })?;
        }
    }
    Ok(())
}

pub(super) fn prepare_parents(
    item: &Item,
    child_type: Option<u32>,
    notes: &mut Notes,
) -> Result<(), ApplyError> {
    if item.try_replace {
        make_parents_replacing(&item.path, child_type, notes)
    } else {
        make_parents(&item.path);
        Ok(())
    }
}

/// path_open_parent_safe(): the directory `path` is made in, resolved once with CHASE_SAFE, and
/// the last component to make relative to it. Everything a creation line makes is made with the
/// `*at()` call from this descriptor, so a user who swaps a directory of the path for a symlink
/// after the check cannot move what root makes elsewhere. A refused transition is the line's
/// error (the outer one); any other failure is the errno the creation itself would meet, for
/// the caller to word as before.
type OpenedParent<'p> = Result<(OwnedFd, &'p str), nix::Error>;

pub(super) fn open_parent(path: &str) -> Result<OpenedParent<'_>, ApplyError> {
    let name = base_of(path);
    if name.is_empty() || name == "." || name == ".." {
        return Ok(Err(nix::Error::EINVAL));
    }
    let parent = parent_of(path);
    match chase(Path::new(parent), Path::new("/"), ChaseFlags::SAFE) {
        Ok(Chased { fd: Some(fd), .. }) => Ok(Ok((fd, name))),
        Ok(Chased { fd: None, .. }) => Ok(Err(nix::Error::ENOENT)),
        Err(unsafe_path @ ChaseError::UnsafeTransition { .. }) => {
            Err(unsafe_path_error(unsafe_path, parent))
        }
        Err(ChaseError::Os { errno, .. }) => Ok(Err(errno)),
    }
}

/// `name` in `dir`, not followed, as an `O_PATH` descriptor.
pub(super) fn open_at_nofollow(dir: BorrowedFd, name: &str) -> nix::Result<OwnedFd> {
    openat(
        dir,
        name,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}
