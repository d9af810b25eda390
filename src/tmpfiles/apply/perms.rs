//! fd_set_perms() and path_set_perms() of systemd 252 `src/tmpfiles/tmpfiles.c`, and item_do()'s recursion for `Z`: fixing the
//! mode and owner of what a line names, through a descriptor opened once, never by path.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::{fstat, FileStat, Mode};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::parents::open_at_nofollow;
use super::safety::unsafe_path_error;
use super::{base_of, errno_of, parent_of, ApplyError, Creation};
use crate::sys::chase::{chase, chase_from, ChaseError, ChaseFlags};
use crate::sys::chown::{fchmod_opath, fchown_opath};
use crate::sys::walk::{walk, Entry, Step, Visitor, WalkError};
use crate::tmpfiles::line::Item;

fn process_mask_perms(mode: u32, current: u32) -> u32 {
    let mut mode = mode;
    if current & 0o111 == 0 {
        mode &= !0o111;
    }
    if current & 0o222 == 0 {
        mode &= !0o222;
    }
    if current & 0o444 == 0 {
        mode &= !0o444;
    }
    if current & libc::S_IFMT != libc::S_IFDIR {
        mode &= !0o7000;
    }
    mode
}

fn protected_hardlinks_off() -> bool {
    fs::read_to_string("/proc/sys/fs/protected_hardlinks")
        .map(|v| v.trim() == "0")
        .unwrap_or(true)
}

/// fd_set_perms() on what `path` names, opened once and changed through that descriptor: its
/// parent is resolved with CHASE_SAFE (as path_open_parent_safe() and the lookup of
/// path_set_perms() do) and the object itself opened `O_NOFOLLOW` from the parent's descriptor,
/// so a user who swaps a component for a symlink after the check cannot redirect the change.
/// `follow` says whether `path` names the object or, being a link, the link.
pub(super) fn set_perms(
    item: &Item,
    path: &str,
    follow: bool,
    creation: Creation,
) -> Result<(), ApplyError> {
    if !item.mode_set && item.uid.is_none() && item.gid.is_none() {
        return Ok(());
    }
    let fd = open_for_perms(path, follow).map_err(|e| match e {
        unsafe_path @ ChaseError::UnsafeTransition { .. } => unsafe_path_error(unsafe_path, path),
        ChaseError::Os { errno, .. } => stat_failed(path, errno),
    })?;
    set_perms_fd(item, fd.as_fd(), path, creation)
}

/// The descriptor set_perms() acts on: `O_PATH`, of the link itself unless `follow`.
fn open_for_perms(path: &str, follow: bool) -> Result<OwnedFd, ChaseError> {
    let root = Path::new("/");
    let name = base_of(path);
    let parent = chase(Path::new(parent_of(path)), root, ChaseFlags::SAFE)?;
    let parent_fd = parent.fd.as_ref().ok_or(ChaseError::Os {
        path: parent.path.clone(),
        errno: nix::Error::ENOENT,
    })?;
    let os = |errno| ChaseError::Os {
        path: PathBuf::from(path),
        errno,
    };
    if name.is_empty() || name == "." || name == ".." {
        return Err(os(nix::Error::EINVAL));
    }
    let fd = openat(
        parent_fd,
        name,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(os)?;
    let is_link = fstat(&fd).map_err(os)?.st_mode & libc::S_IFMT == libc::S_IFLNK;
    if !(follow && is_link) {
        return Ok(fd);
    }
    // Following the link, as 252 does for these lines; continued from the parent's descriptor.
    let followed = chase_from(&parent, Path::new(name), root, ChaseFlags::default())?;
    followed.fd.ok_or(os(nix::Error::ENOENT))
}

/// fd_set_perms(): chown when the owner differs, then chmod when asked or after a chown; symlinks
/// keep their mode. Everything through `fd` (`O_PATH`), nothing by path.
fn fd_set_perms(
    item: &Item,
    fd: BorrowedFd,
    st: &FileStat,
    path: &str,
    creation: Creation,
) -> Result<(), ApplyError> {
    let existing = creation == Creation::Existing;
    let uid = item.uid.filter(|_| !(existing && item.uid_only_create));
    let gid = item.gid.filter(|_| !(existing && item.gid_only_create));
    if !item.mode_set && uid.is_none() && gid.is_none() {
        return Ok(());
    }
    let kind = st.st_mode & libc::S_IFMT;
    if kind != libc::S_IFDIR && st.st_nlink > 1 && protected_hardlinks_off() {
        return Err(ApplyError::Hardlinked(path.to_string()));
    }
    let do_chown = uid.is_some_and(|u| u != st.st_uid) || gid.is_some_and(|g| g != st.st_gid);
    let apply_mode = item.mode_set && !(item.mode_only_create && existing);
    let new_mode = if apply_mode {
        if item.mask_perms {
            process_mask_perms(item.mode, st.st_mode)
        } else {
            item.mode
        }
    } else {
        st.st_mode & 0o7777
    };
    if do_chown {
        fchown_opath(fd, uid, gid).map_err(|e| ApplyError::Chown {
            path: path.to_string(),
            reason: crate::errno::text(&e),
        })?;
    }
    if (apply_mode || do_chown)
        && kind != libc::S_IFLNK
        && (do_chown || (new_mode ^ st.st_mode) & 0o7777 != 0)
    {
        fchmod_opath(fd, new_mode).map_err(|e| ApplyError::Chmod {
            path: path.to_string(),
            reason: crate::errno::text(&e),
        })?;
    }
    Ok(())
}

/// set_perms() on `name` in `dir`, the directory it was made or found in.
pub(super) fn set_perms_at(
    item: &Item,
    dir: BorrowedFd,
    name: &str,
    path: &str,
    creation: Creation,
) -> Result<(), ApplyError> {
    if !item.mode_set && item.uid.is_none() && item.gid.is_none() {
        return Ok(());
    }
    let fd = open_at_nofollow(dir, name).map_err(|e| stat_failed(path, e))?;
    set_perms_fd(item, fd.as_fd(), path, creation)
}

/// set_perms() on the object `fd` names (opened or made by the caller).
pub(super) fn set_perms_fd(
    item: &Item,
    fd: BorrowedFd,
    path: &str,
    creation: Creation,
) -> Result<(), ApplyError> {
    if !item.mode_set && item.uid.is_none() && item.gid.is_none() {
        return Ok(());
    }
    let st = fstat(fd).map_err(|e| stat_failed(path, e))?;
    fd_set_perms(item, fd, &st, path, creation)
}

fn stat_failed(path: &str, errno: nix::Error) -> ApplyError {
    ApplyError::Stat {
        path: path.to_string(),
        reason: crate::errno::text(&io::Error::from(errno)),
    }
}

/// The mode of `name` in `dir` made exactly `mode` (the umask left out), not following a link.
pub(super) fn chmod_at(dir: BorrowedFd, name: &str, mode: u32) -> nix::Result<()> {
    let fd = open_at_nofollow(dir, name)?;
    fchmod_opath(fd.as_fd(), mode).map_err(|e| nix::Error::from_raw(errno_of(&e)))
}

/// `Z`: the path and, below a directory that is not a link, everything in it (item_do()),
/// walked through descriptors: an entry swapped for a symlink meanwhile is never followed.
pub(super) fn set_perms_recursively(item: &Item, path: &str) -> Result<(), ApplyError> {
    let fd = open_for_perms(path, false).map_err(|e| match e {
        unsafe_path @ ChaseError::UnsafeTransition { .. } => unsafe_path_error(unsafe_path, path),
        other => ApplyError::Stat {
            path: path.to_string(),
            reason: crate::errno::text(&io::Error::from_raw_os_error(other.errno())),
        },
    })?;
    walk(fd, Path::new(path), &mut PermsVisitor { item })
}

/// set_perms_recursively()'s action on each entry.
struct PermsVisitor<'a> {
    item: &'a Item,
}

impl From<WalkError> for ApplyError {
    fn from(e: WalkError) -> ApplyError {
        let (path, reason) = match &e {
            WalkError::Io { path, source } => (path, crate::errno::text(source)),
            WalkError::TooDeep { path } => (path, e.to_string()),
        };
        ApplyError::Stat {
            path: path.display().to_string(),
            reason,
        }
    }
}

impl Visitor for PermsVisitor<'_> {
    type Error = ApplyError;

    fn enter(&mut self, entry: &Entry) -> Result<Step, ApplyError> {
        let path = entry.path.to_string_lossy();
        fd_set_perms(self.item, entry.fd, entry.stat, &path, Creation::Existing)?;
        Ok(Step::Descend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_existing_classes() {
        assert_eq!(process_mask_perms(0o4777, libc::S_IFREG | 0o644), 0o666);
        assert_eq!(process_mask_perms(0o1777, libc::S_IFDIR | 0o755), 0o1777);
    }
}
