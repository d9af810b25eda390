//! create_directory_or_subvolume() of systemd 252 `src/tmpfiles/tmpfiles.c` for `d`, `D`, `v`, `q` and `Q`, and the `e` line's
//! adjustment of an existing directory.

use std::fs;
use std::io;

use nix::sys::stat::{fstat, mkdirat, Mode};
use std::os::fd::AsFd;

use super::parents::{open_at_nofollow, open_parent, prepare_parents};
use super::perms::{set_perms, set_perms_fd};
use super::{ApplyError, Creation, Notes};
use crate::sys::chown::fchmod_opath;
use crate::tmpfiles::line::Item;

/// `d`, `D`, `v`, `q`, `Q`: make the directory; something else in the way is only a warning.
pub(super) fn create_directory(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
    prepare_parents(item, Some(libc::S_IFDIR), notes)?;
    let path = item.path.as_str();
    let mode = item.mode;
    let parent = open_parent(path)?;
    let made = parent
        .as_ref()
        .map_err(|e| *e)
        .and_then(|(dir, name)| mkdirat(dir, *name, Mode::from_bits_truncate(mode)));
    let creation = match made {
        Ok(()) => Creation::New,
        Err(nix::Error::EEXIST | nix::Error::EROFS | nix::Error::ENOTDIR) => Creation::Existing,
        Err(e) => {
            return Err(ApplyError::Mkdir {
                path: path.to_string(),
                reason: crate::errno::text(&io::Error::from(e)),
            })
        }
    };
    let directory = parent.ok().and_then(|(dir, name)| {
        let fd = open_at_nofollow(dir.as_fd(), name).ok()?;
        let is_dir = fstat(&fd).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR);
        is_dir.then_some(fd)
    });
    let Some(fd) = directory else {
        if creation == Creation::New {
            // Made, then swapped for something else before it was opened: nothing to fix.
            return Ok(());
        }
        notes
            .lines
            .push(format!("\"{path}\" already exists and is not a directory."));
        return Ok(());
    };
    if creation == Creation::New {
        let _ = fchmod_opath(fd.as_fd(), mode);
    }
    set_perms_fd(item, fd.as_fd(), path, creation)
}

/// `e`: adjust an existing directory only.
pub(super) fn adjust_directory(
    item: &Item,
    path: &str,
    notes: &mut Notes,
) -> Result<(), ApplyError> {
    match fs::metadata(path) {
        Err(_) => Ok(()),
        Ok(m) if !m.is_dir() => {
            notes
                .lines
                .push(format!("'{path}' already exists and is not a directory."));
            Ok(())
        }
        Ok(_) => set_perms(item, path, false, Creation::Existing),
    }
}
