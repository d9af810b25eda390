//! Handing a directory tree to a user without following anything that user could have planted:
//! systemd 252's src/shared/chown-recursive.c (`fd_chown_recursive()`), as setup_exec_directory()
//! uses it for `StateDirectory=` and its siblings.
//!
//! The tree belongs to the service's user, who may rename, replace or symlink any entry of it at
//! any moment, also while root walks it. So nothing is looked up by path: each entry is opened
//! relative to its directory's descriptor with `O_NOFOLLOW`, examined and changed through that
//! descriptor, and a directory is entered only through the descriptor that was checked. A symlink
//! gets the new owner itself; what it points to is never touched.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::{fstat, FileStat, Mode, SFlag};
use nix::unistd::{fchownat, Gid, Uid};

/// `fd_chown_recursive()` with the mode mask 07777 (modes are kept): `dir` (opened `O_RDONLY`
/// on a directory) and everything below it get `uid`:`gid`. As systemd does, a directory that
/// already has that owner is taken to be right throughout and not walked.
pub fn chown_tree(dir: &File, uid: u32, gid: u32) -> io::Result<()> {
    let st = fstat(dir.as_fd())?;
    if st.st_uid == uid && st.st_gid == gid {
        return Ok(());
    }
    let owned = OwnedFd::from(dir.try_clone()?);
    chown_below(owned, &st, uid, gid)
}

/// `chown_recursive_internal()`: the entries of `dir`, then `dir` itself.
fn chown_below(dir: OwnedFd, st: &FileStat, uid: u32, gid: u32) -> io::Result<()> {
    // Listing the directory through its descriptor's /proc link reads that very directory,
    // whatever its path now leads to.
    let listing = std::fs::read_dir(format!("/proc/self/fd/{}", dir.as_raw_fd()))?;
    for entry in listing {
        let name = entry?.file_name();
        let entry = match openat(
            &dir,
            name.as_os_str(),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            // Removed by its owner meanwhile: nothing left to hand over.
            Err(nix::Error::ENOENT) => continue,
            Err(e) => return Err(e.into()),
        };
        let entry_st = fstat(&entry)?;
        if SFlag::from_bits_truncate(entry_st.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFDIR {
            // Reopened through the checked O_PATH descriptor (fd_reopen()), not by name.
            let subdir = nix::fcntl::open(
                format!("/proc/self/fd/{}", entry.as_raw_fd()).as_str(),
                OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )?;
            chown_below(subdir, &entry_st, uid, gid)?;
        } else {
            chown_one(&entry, &entry_st, uid, gid)?;
        }
    }
    chown_one(&dir, st, uid, gid)
}

/// `chown_one()`: the owner of what `fd` names (an `O_PATH` descriptor of a symlink changes the
/// symlink), only when it differs.
fn chown_one(fd: &OwnedFd, st: &FileStat, uid: u32, gid: u32) -> io::Result<()> {
    if st.st_uid == uid && st.st_gid == gid {
        return Ok(());
    }
    fchownat(
        fd,
        "",
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        nix::fcntl::AtFlags::AT_EMPTY_PATH,
    )?;
    Ok(())
}
