//! The CHASE_SAFE lookups of systemd 252 `src/tmpfiles/tmpfiles.c` (path_open_parent_safe(), path_set_perms()): the refusal of a
//! path that steps from one owner's directory or symlink to another's, worded as 252 words it.

use std::io;
use std::path::Path;

use super::{parent_of, ApplyError};
use crate::sys::chase::{chase, ChaseError, ChaseFlags};
use crate::tmpfiles::line::ItemType;

/// The name systemd's uid_to_name() gives `uid`: the user's, else the number.
fn user_name(uid: u32) -> String {
    crate::sys::accounts::Accounts::host().user_name(uid)
}

/// 252's path_open_parent_safe() (`parent`) and the CHASE_SAFE|CHASE_NOFOLLOW lookup of
/// path_set_perms(): lines run as root at boot over paths below directories that services'
/// users own, so a step from such a user's directory or symlink to another owner's files
/// refuses the line. Only that refusal is decided here; other failures are left to the action.
pub(super) fn refuse_unsafe(path: &str, parent: bool) -> Result<(), ApplyError> {
    let (target, flags) = if parent {
        let flags = ChaseFlags {
            nonexistent: true,
            ..ChaseFlags::SAFE
        };
        (parent_of(path), flags)
    } else {
        let flags = ChaseFlags {
            nofollow: true,
            ..ChaseFlags::SAFE
        };
        (path, flags)
    };
    match chase(Path::new(target), Path::new("/"), flags) {
        Err(unsafe_path @ ChaseError::UnsafeTransition { .. }) => {
            Err(unsafe_path_error(unsafe_path, target))
        }
        _ => Ok(()),
    }
}

/// chase()'s refusal as systemd-tmpfiles words it, with user names.
pub(super) fn unsafe_path_error(e: ChaseError, target: &str) -> ApplyError {
    match e {
        ChaseError::UnsafeTransition {
            from,
            from_uid,
            to,
            to_uid,
            ..
        } => ApplyError::UnsafePath {
            from: from.display().to_string(),
            from_user: user_name(from_uid),
            to: to.display().to_string(),
            to_user: user_name(to_uid),
            path: target.to_string(),
        },
        ChaseError::Os { path, errno } => ApplyError::Stat {
            path: path.display().to_string(),
            reason: crate::errno::text(&io::Error::from_raw_os_error(errno as i32)),
        },
    }
}

/// Whether the action of `kind` works on the path's parent (it creates or writes the path) or
/// on the path itself (it fixes what exists); `None` for those 252 resolves without CHASE_SAFE.
/// Nearly the glob-taking kinds of [`ItemType::takes_glob`], but not quite: `w` takes a glob
/// and still writes through the parent, as 252's write_one_file() opens it.
pub(super) fn safe_lookup(kind: ItemType) -> Option<bool> {
    use ItemType::*;
    match kind {
        IgnorePath | IgnoreDirectoryPath | RemovePath | RecursiveRemovePath => None,
        EmptyDirectory
        | AdjustMode
        | RelabelPath
        | RecursiveRelabelPath
        | SetXattr
        | RecursiveSetXattr
        | SetAcl
        | RecursiveSetAcl
        | SetAttribute
        | RecursiveSetAttribute => Some(false),
        _ => Some(true),
    }
}
