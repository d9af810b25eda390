//! create_file(), truncate_file() and write_one_file() of systemd 252 `src/tmpfiles/tmpfiles.c`: the `f`, `f+`, `F` and `w`
//! lines.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;

use nix::fcntl::{openat, AtFlags, OFlag};
use nix::sys::stat::{fstat, fstatat, Mode};
use std::os::fd::AsFd;

use super::parents::{open_at_nofollow, open_parent, prepare_parents};
use super::perms::set_perms_fd;
use super::{ApplyError, Creation, Notes};
use crate::tmpfiles::line::Item;

fn write_all(file: &mut File, data: &[u8], path: &str) -> Result<(), ApplyError> {
    file.write_all(data).map_err(|e| ApplyError::Write {
        path: path.to_string(),
        reason: crate::errno::text(&e),
    })
}

/// The flags 252 creates and opens files with (`O_NOFOLLOW` unless following is meant).
fn file_flags() -> OFlag {
    OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC
}

/// `f`: create the file with its content, or leave an existing regular file's content alone.
pub(super) fn create_file(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
    prepare_parents(item, Some(libc::S_IFREG), notes)?;
    let path = item.path.as_str();
    let create_error = |e: io::Error| ApplyError::CreateFile {
        path: path.to_string(),
        reason: crate::errno::text(&e),
    };
    let (dir, name) = open_parent(path)?.map_err(|e| create_error(io::Error::from(e)))?;
    let flags = file_flags() | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW;
    match openat(&dir, name, flags, Mode::from_bits_truncate(item.mode)) {
        Ok(fd) => {
            let mut file = File::from(fd);
            file.set_permissions(fs::Permissions::from_mode(item.mode))
                .map_err(|e| ApplyError::Chmod {
                    path: path.to_string(),
                    reason: crate::errno::text(&e),
                })?;
            if let Some(arg) = &item.argument {
                write_all(&mut file, arg, path)?;
            }
            set_perms_fd(item, file.as_fd(), path, Creation::New)
        }
        Err(nix::Error::EEXIST) => {
            let existing = open_at_nofollow(dir.as_fd(), name)
                .and_then(|fd| fstat(&fd).map(|st| (fd, st)))
                .map_err(|e| create_error(io::Error::from(e)))?;
            let (fd, st) = existing;
            if st.st_mode & libc::S_IFMT != libc::S_IFREG {
                return Err(ApplyError::NotRegular(path.to_string()));
            }
            set_perms_fd(item, fd.as_fd(), path, Creation::Existing)
        }
        Err(e) => Err(create_error(io::Error::from(e))),
    }
}

/// `f+`/`F`: create or empty the regular file, then write the content.
pub(super) fn truncate_file(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
    prepare_parents(item, Some(libc::S_IFREG), notes)?;
    let path = item.path.as_str();
    let open_error = |e: io::Error| ApplyError::OpenFile {
        path: path.to_string(),
        reason: crate::errno::text(&e),
    };
    let (dir, name) = open_parent(path)?.map_err(|e| open_error(io::Error::from(e)))?;
    let existed = fstatat(&dir, name, AtFlags::AT_SYMLINK_NOFOLLOW).is_ok();
    let flags = file_flags() | OFlag::O_CREAT | OFlag::O_NOFOLLOW;
    let fd = openat(&dir, name, flags, Mode::from_bits_truncate(item.mode))
        .map_err(|e| open_error(io::Error::from(e)))?;
    let mut file = File::from(fd);
    let meta = file.metadata().map_err(open_error)?;
    if !meta.is_file() {
        return Err(ApplyError::NotRegular(path.to_string()));
    }
    if !existed {
        let _ = file.set_permissions(fs::Permissions::from_mode(item.mode));
    }
    if meta.len() > 0 {
        file.set_len(0).map_err(|e| ApplyError::Truncate {
            path: path.to_string(),
            reason: crate::errno::text(&e),
        })?;
    }
    if let Some(arg) = &item.argument {
        write_all(&mut file, arg, path)?;
    }
    let creation = if existed {
        Creation::Existing
    } else {
        Creation::New
    };
    set_perms_fd(item, file.as_fd(), path, creation)
}

/// `w`: write into an existing file (following links), appending with `+`.
pub(super) fn write_file(item: &Item, path: &str) -> Result<(), ApplyError> {
    let not_opened = |errno: nix::Error| match errno {
        nix::Error::ENOENT => Ok(()),
        // 252 logs this at debug level only for `w-`.
        _ if item.allow_failure => Ok(()),
        e => Err(ApplyError::OpenForWrite {
            path: path.to_string(),
            reason: crate::errno::text(&io::Error::from(e)),
        }),
    };
    let (dir, name) = match open_parent(path)? {
        Ok(found) => found,
        Err(e) => return not_opened(e),
    };
    let mut flags = file_flags();
    if item.append_or_force {
        flags |= OFlag::O_APPEND;
    }
    let mut file = match openat(&dir, name, flags, Mode::empty()) {
        Ok(fd) => File::from(fd),
        Err(e) => return not_opened(e),
    };
    write_all(
        &mut file,
        item.argument.as_deref().unwrap_or_default(),
        path,
    )?;
    set_perms_fd(item, file.as_fd(), path, Creation::Existing)
}
