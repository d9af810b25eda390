//! create_fifo(), create_symlink() and create_device() of systemd 252 `src/tmpfiles/tmpfiles.c`: the `p`, `L`, `c` and `b` lines,
//! with the atomic replacement `+` asks for.

use std::io;
use std::path::Path;

use nix::fcntl::{readlinkat, renameat, AtFlags};
use nix::sys::stat::{fstatat, mknodat, Mode, SFlag};
use nix::unistd::{mkfifoat, symlinkat, unlinkat, UnlinkatFlags};
use std::os::fd::{AsFd, BorrowedFd};

use super::parents::{open_parent, prepare_parents};
use super::perms::{chmod_at, set_perms_at};
use super::removal::walk_failure;
use super::{ApplyError, Creation, Notes};
use crate::sys::walk as sys_walk;
use crate::tmpfiles::line::{Item, ItemType};

/// Make a node through a temporary name in `dir` and rename it over `name` (mkfifoat_atomic(),
/// mknodat_atomic(), symlinkat_atomic()), so a replaced object is never missing; a directory in
/// the way is removed with its contents first, as 252 does. All relative to `dir`.
fn replace_atomically(
    dir: BorrowedFd,
    name: &str,
    path: &str,
    make: &dyn Fn(BorrowedFd, &str) -> nix::Result<()>,
) -> io::Result<()> {
    let temp = format!(".#{name}{:x}", std::process::id());
    make(dir, &temp).map_err(io::Error::from)?;
    let renamed = renameat(dir, temp.as_str(), dir, name).or_else(|e| {
        if !matches!(
            e,
            nix::Error::EISDIR | nix::Error::EEXIST | nix::Error::ENOTEMPTY
        ) {
            return Err(io::Error::from(e));
        }
        sys_walk::remove_tree_at(dir, std::ffi::OsStr::new(name), Path::new(path), false)
            .map_err(walk_failure)?;
        renameat(dir, temp.as_str(), dir, name).map_err(io::Error::from)
    });
    renamed.inspect_err(|_| {
        let _ = unlinkat(dir, temp.as_str(), UnlinkatFlags::NoRemoveDir);
    })
}

/// `p`: a FIFO; with `+` whatever else is there is replaced.
pub(super) fn create_fifo(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
    prepare_parents(item, Some(libc::S_IFIFO), notes)?;
    let path = item.path.as_str();
    let fifo_error = |e: io::Error| ApplyError::Fifo {
        path: path.to_string(),
        reason: crate::errno::text(&e),
    };
    let (dir, name) = open_parent(path)?.map_err(|e| fifo_error(io::Error::from(e)))?;
    let mode = item.mode;
    let make = |dir: BorrowedFd, name: &str| -> nix::Result<()> {
        mkfifoat(dir, name, Mode::from_bits_truncate(mode))?;
        chmod_at(dir, name, mode)
    };
    let creation = match make(dir.as_fd(), name) {
        Ok(()) => Creation::New,
        Err(nix::Error::EEXIST) => {
            let st = fstatat(&dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)
                .map_err(|e| fifo_error(io::Error::from(e)))?;
            if st.st_mode & libc::S_IFMT == libc::S_IFIFO {
                Creation::Existing
            } else if item.append_or_force {
                replace_atomically(dir.as_fd(), name, path, &make).map_err(fifo_error)?;
                Creation::New
            } else {
                notes
                    .lines
                    .push(format!("\"{path}\" already exists and is not a FIFO."));
                return Ok(());
            }
        }
        Err(e) => return Err(fifo_error(io::Error::from(e))),
    };
    set_perms_at(item, dir.as_fd(), name, path, creation)
}

/// `L`: a symlink; an existing different object is replaced only with `+`. 252 sets no owner.
pub(super) fn create_symlink(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
    prepare_parents(item, Some(libc::S_IFLNK), notes)?;
    let path = item.path.as_str();
    let target = item.argument_text().unwrap_or_default();
    let symlink_error = |e: io::Error| ApplyError::Symlink {
        path: path.to_string(),
        reason: crate::errno::text(&e),
    };
    let (dir, name) = open_parent(path)?.map_err(|e| symlink_error(io::Error::from(e)))?;
    let make = |dir: BorrowedFd, name: &str| symlinkat(target.as_str(), dir, name);
    match make(dir.as_fd(), name) {
        Ok(()) => Ok(()),
        Err(nix::Error::EEXIST) => {
            let same = readlinkat(&dir, name).is_ok_and(|t| Path::new(&t) == Path::new(&target));
            if same || !item.append_or_force {
                return Ok(());
            }
            replace_atomically(dir.as_fd(), name, path, &make).map_err(symlink_error)
        }
        Err(e) => Err(symlink_error(io::Error::from(e))),
    }
}

/// capability.h's CAP_MKNOD bit.
const CAP_MKNOD: u32 = 27;

/// CAP_MKNOD in the effective set, from /proc/self/status.
fn have_mknod_capability() -> bool {
    crate::unit::host::has_capability(CAP_MKNOD)
}

/// `c`, `b`: device nodes; skipped quietly without CAP_MKNOD or when the kernel says EPERM.
pub(super) fn create_device(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
    if !have_mknod_capability() {
        return Ok(());
    }
    let kind = if item.kind == ItemType::CreateBlockDevice {
        SFlag::S_IFBLK
    } else {
        SFlag::S_IFCHR
    };
    prepare_parents(item, Some(kind.bits()), notes)?;
    let path = item.path.as_str();
    let device_error = |e: io::Error| ApplyError::Device {
        path: path.to_string(),
        reason: crate::errno::text(&e),
    };
    let (dir, name) = open_parent(path)?.map_err(|e| device_error(io::Error::from(e)))?;
    let (major, minor) = item.device.unwrap_or_default();
    let dev = nix::sys::stat::makedev(u64::from(major), u64::from(minor));
    let mode = item.mode;
    let make = |dir: BorrowedFd, name: &str| -> nix::Result<()> {
        mknodat(dir, name, kind, Mode::from_bits_truncate(mode), dev)?;
        chmod_at(dir, name, mode)
    };
    let creation = match make(dir.as_fd(), name) {
        Ok(()) => Creation::New,
        Err(nix::Error::EPERM) => return Ok(()),
        Err(nix::Error::EEXIST) => {
            // Compared through a link, as 252's stat() does; what is fixed is the name itself.
            let st = fstatat(&dir, name, AtFlags::empty())
                .map_err(|e| device_error(io::Error::from(e)))?;
            if st.st_mode & libc::S_IFMT == kind.bits() {
                Creation::Existing
            } else if item.append_or_force {
                replace_atomically(dir.as_fd(), name, path, &make).map_err(device_error)?;
                Creation::New
            } else {
                notes.lines.push(format!(
                    "\"{path}\" already exists and is not a device node."
                ));
                return Ok(());
            }
        }
        Err(e) => return Err(device_error(io::Error::from(e))),
    };
    set_perms_at(item, dir.as_fd(), name, path, creation)
}
