//! copy_files() of systemd 252 `src/tmpfiles/tmpfiles.c` and copy_tree_at() with COPY_MERGE_EMPTY: the `C` line.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{
    lchown, symlink, DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt,
};
use std::path::{Path, PathBuf};

use nix::sys::stat::{Mode, SFlag};

use super::parents::{file_type_bits, prepare_parents};
use super::perms::set_perms;
use super::{errno_of, ApplyError, Creation, Notes};
use crate::tmpfiles::line::Item;

fn is_empty_dir(path: &Path) -> bool {
    fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}

/// copy_tree_at() with COPY_MERGE_EMPTY: copy `source` to `target` keeping modes and owners
/// (or the item's owner), merging only into an empty directory.
fn copy_tree(source: &Path, target: &Path, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    let meta = fs::symlink_metadata(source)?;
    let owner = (uid.or(Some(meta.uid())), gid.or(Some(meta.gid())));
    let ft = meta.file_type();
    if ft.is_dir() {
        match fs::DirBuilder::new().mode(0o700).create(target) {
            Ok(()) => {}
            Err(e)
                if errno_of(&e) == libc::EEXIST
                    && fs::symlink_metadata(target).is_ok_and(|m| m.is_dir())
                    && is_empty_dir(target) => {}
            Err(e) => return Err(e),
        }
        for entry in fs::read_dir(source)? {
            let entry = entry?;
            copy_tree(&entry.path(), &target.join(entry.file_name()), uid, gid)?;
        }
    } else if ft.is_file() {
        let mut from = File::open(source)?;
        let mut to = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(target)?;
        io::copy(&mut from, &mut to)?;
    } else if ft.is_symlink() {
        symlink(fs::read_link(source)?, target)?;
        lchown(target, owner.0, owner.1)?;
        return Ok(());
    } else {
        let kind = SFlag::from_bits_truncate(meta.mode() & libc::S_IFMT);
        nix::sys::stat::mknod(target, kind, Mode::from_bits_truncate(0o600), meta.rdev())?;
    }
    lchown(target, owner.0, owner.1)?;
    fs::set_permissions(target, fs::Permissions::from_mode(meta.mode() & 0o7777))
}

/// `C`: copy a tree unless the target exists; a missing source skips the line, as in 252.
pub(super) fn copy_files(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
    prepare_parents(item, None, notes)?;
    let path = item.path.as_str();
    let source = PathBuf::from(item.argument_text().unwrap_or_default());
    let Ok(source_meta) = fs::symlink_metadata(&source) else {
        return Ok(());
    };
    let copy_error = |e: &io::Error| ApplyError::Copy {
        path: path.to_string(),
        reason: crate::errno::text(e),
    };
    // The source is compared through links: a dangling one is copied, then reported.
    let followed_source = || {
        fs::metadata(&source).map_err(|e| ApplyError::StatSource {
            path: source.display().to_string(),
            reason: crate::errno::text(&e),
        })
    };
    if let Ok(existing) = fs::symlink_metadata(path) {
        let mergeable = existing.is_dir() && source_meta.is_dir() && is_empty_dir(Path::new(path));
        if !mergeable {
            if file_type_bits(&existing) != file_type_bits(&followed_source()?) {
                return Ok(());
            }
            return set_perms(item, path, false, Creation::New);
        }
    }
    copy_tree(&source, Path::new(path), item.uid, item.gid).map_err(|e| copy_error(&e))?;
    followed_source()?;
    set_perms(item, path, false, Creation::New)
}
