//! Owner and mode changed through descriptors, never through a path a user could have changed:
//! systemd 252's src/shared/chown-recursive.c (`fd_chown_recursive()`, as setup_exec_directory()
//! uses it for `StateDirectory=` and its siblings) and src/basic/fs-util.c's `fchmod_opath()`.
//!
//! The tree belongs to the service's user, who may rename, replace or symlink any entry of it at
//! any moment, also while root walks it: the walk is [`super::walk`]'s, which opens every entry
//! relative to its directory's descriptor with `O_NOFOLLOW`. A symlink gets the new owner
//! itself; what it points to is never touched.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::sys::stat::{fstat, Mode};
use nix::unistd::{fchownat, Gid, Uid};

use super::walk::{self, Entry, Step, Visitor, WalkError};

/// `fd_chown_recursive()` with the mode mask 07777 (modes are kept): `dir` (opened `O_RDONLY`
/// on a directory) and everything below it get `uid`:`gid`. As systemd does, a directory that
/// already has that owner is taken to be right throughout and not walked.
pub fn chown_tree(dir: &File, uid: u32, gid: u32) -> io::Result<()> {
    let st = fstat(dir.as_fd())?;
    if st.st_uid == uid && st.st_gid == gid {
        return Ok(());
    }
    let owned = OwnedFd::from(dir.try_clone()?);
    walk::walk(owned, Path::new(""), &mut Chown { uid, gid }).map_err(|e| match e {
        WalkError::Io { source, .. } => source,
        too_deep => io::Error::other(too_deep.to_string()),
    })
}

struct Chown {
    uid: u32,
    gid: u32,
}

impl Visitor for Chown {
    type Error = WalkError;

    fn enter(&mut self, entry: &Entry) -> Result<Step, WalkError> {
        if entry.stat.st_uid != self.uid || entry.stat.st_gid != self.gid {
            fchown_opath(entry.fd, Some(self.uid), Some(self.gid)).map_err(|source| {
                WalkError::Io {
                    path: entry.path.to_path_buf(),
                    source,
                }
            })?;
        }
        Ok(Step::Descend)
    }
}

/// The owner of what `fd` names; an `O_PATH` descriptor of a symlink changes the symlink
/// (`fchownat(fd, "", …, AT_EMPTY_PATH)`).
pub fn fchown_opath(fd: BorrowedFd, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    fchownat(
        fd,
        "",
        uid.map(Uid::from_raw),
        gid.map(Gid::from_raw),
        nix::fcntl::AtFlags::AT_EMPTY_PATH,
    )?;
    Ok(())
}

/// `fchmod_opath()`: the mode of what `fd` (possibly `O_PATH`, on which fchmod() fails) names,
/// through its /proc link, which leads to that very inode. Not for symlinks (Linux has no
/// symlink modes).
pub fn fchmod_opath(fd: BorrowedFd, mode: u32) -> io::Result<()> {
    nix::sys::stat::fchmodat(
        nix::fcntl::AT_FDCWD,
        format!("/proc/self/fd/{}", fd.as_raw_fd()).as_str(),
        Mode::from_bits_truncate(mode),
        nix::sys::stat::FchmodatFlags::FollowSymlink,
    )?;
    Ok(())
}
