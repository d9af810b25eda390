//! The actions of systemd-tmpfiles 252 on one item: create_item() for `--create` and remove_item()
//! for `--remove`, with fd_set_perms()'s rules for fixing the mode and owner of what exists, the
//! parent directories (mode 0755) made on the way, `+` replacing objects of the wrong kind and `=`
//! removing them from the path. Failures are returned worded as systemd logs them; conditions
//! systemd only warns about are pushed to `notes` and are not failures.
//!
//! Here are the errors, the dispatch of create_item() over the line types and the glob loop;
//! beside it: owner and mode fixing (`perms`), the parent directories (`parents`), the refusal of
//! unsafe path transitions (`safety`), the creation of files (`files`), directories (`dirs`),
//! FIFOs, symlinks and device nodes (`nodes`) and copies (`copy`), globbing (`glob`) and removal
//! (`removal`).

mod copy;
mod dirs;
mod files;
mod glob;
mod nodes;
mod parents;
mod perms;
mod removal;
mod safety;

use std::io;

use thiserror::Error;

use super::line::{Item, ItemType};
use copy::copy_files;
use dirs::{adjust_directory, create_directory};
use files::{create_file, truncate_file, write_file};
use nodes::{create_device, create_fifo, create_symlink};
use perms::{set_perms, set_perms_recursively};
use safety::{refuse_unsafe, safe_lookup};

pub use glob::glob;
pub use removal::remove;

#[derive(Debug, Error)]
pub enum ApplyError {
    #[error("Failed to create file {path}: {reason}")]
    CreateFile { path: String, reason: String },
    #[error("Failed to open/create file {path}: {reason}")]
    OpenFile { path: String, reason: String },
    #[error("Failed to truncate file {path}: {reason}")]
    Truncate { path: String, reason: String },
    #[error("Failed to write file \"{path}\": {reason}")]
    Write { path: String, reason: String },
    #[error("Failed to open file \"{path}\": {reason}")]
    OpenForWrite { path: String, reason: String },
    #[error("{0} exists and is not a regular file.")]
    NotRegular(String),
    #[error("Failed to create directory or subvolume \"{path}\": {reason}")]
    Mkdir { path: String, reason: String },
    #[error("Failed to create FIFO {path}: {reason}")]
    Fifo { path: String, reason: String },
    #[error("Failed to create symlink '{path}': {reason}")]
    Symlink { path: String, reason: String },
    #[error("Failed to stat({path}): {reason}")]
    StatSource { path: String, reason: String },
    #[error("Failed to create device node '{path}': {reason}")]
    Device { path: String, reason: String },
    #[error("Failed to copy files to {path}: {reason}")]
    Copy { path: String, reason: String },
    #[error("fstat({path}) failed: {reason}")]
    Stat { path: String, reason: String },
    #[error("fchownat() of {path} failed: {reason}")]
    Chown { path: String, reason: String },
    #[error("fchmod() of {path} failed: {reason}")]
    Chmod { path: String, reason: String },
    #[error("Refusing to set permissions on hardlinked file {0} while the fs.protected_hardlinks sysctl is turned off.")]
    Hardlinked(String),
    #[error("Failed to mkdir \"{name}\" at \"{parent}\": {reason}")]
    MkdirParent {
        name: String,
        parent: String,
        reason: String,
    },
    #[error("Failed to remove \"{name}\" at \"{parent}\": {reason}")]
    RemoveWrongType {
        name: String,
        parent: String,
        reason: String,
    },
    #[error("rm({path}): {reason}")]
    Remove { path: String, reason: String },
    #[error("rm_rf({path}): {reason}")]
    RemoveTree { path: String, reason: String },
    /// chase_symlinks()'s CHASE_WARN text for `-ENOLINK`.
    #[error("Detected unsafe path transition {from} (owned by {from_user}) \u{2192} {to} (owned by {to_user}) during canonicalization of {path}.")]
    UnsafePath {
        from: String,
        from_user: String,
        to: String,
        to_user: String,
        path: String,
    },
}

fn errno_of(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// Whether an object was just made or was there before: `:` modes apply only to the former.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Creation {
    New,
    Existing,
}

/// Where messages go that systemd logs as warnings or notices without failing the item.
pub struct Notes<'a> {
    pub lines: &'a mut Vec<String>,
    /// Types we accept but do not apply (ACLs, xattrs, chattr), warned about once per run.
    pub unsupported_warned: &'a mut bool,
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

fn base_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn for_each_match(
    item: &Item,
    errors: &mut Vec<ApplyError>,
    mut action: impl FnMut(&str) -> Result<(), ApplyError>,
) {
    for path in glob(&item.path) {
        let checked = match safe_lookup(item.kind) {
            Some(parent) => refuse_unsafe(&path, parent),
            None => Ok(()),
        };
        if let Err(e) = checked.and_then(|()| action(&path)) {
            errors.push(e);
        }
    }
}

/// create_item(): every failure, in order (systemd logs each and keeps the first as the result).
pub fn create(item: &Item, notes: &mut Notes) -> Vec<ApplyError> {
    use ItemType::*;
    let mut errors = Vec::new();
    // The lines that name one path check it here; globbing ones each match in for_each_match().
    if let (Some(parent), false) = (safe_lookup(item.kind), item.kind.takes_glob()) {
        if let Err(e) = refuse_unsafe(&item.path, parent) {
            return vec![e];
        }
    }
    let single = match item.kind {
        IgnorePath | IgnoreDirectoryPath | RemovePath | RecursiveRemovePath => Ok(()),
        CreateFile if item.append_or_force => truncate_file(item, notes),
        TruncateFile => truncate_file(item, notes),
        CreateFile => create_file(item, notes),
        CopyFiles => copy_files(item, notes),
        CreateDirectory
        | TruncateDirectory
        | CreateSubvolume
        | CreateSubvolumeInheritQuota
        | CreateSubvolumeNewQuota => create_directory(item, notes),
        CreateFifo => create_fifo(item, notes),
        CreateSymlink => create_symlink(item, notes),
        CreateCharDevice | CreateBlockDevice => create_device(item, notes),
        WriteFile => {
            for_each_match(item, &mut errors, |p| write_file(item, p));
            Ok(())
        }
        EmptyDirectory => {
            for_each_match(item, &mut errors, |p| adjust_directory(item, p, notes));
            Ok(())
        }
        AdjustMode | RelabelPath => {
            for_each_match(item, &mut errors, |p| {
                set_perms(item, p, false, Creation::Existing)
            });
            Ok(())
        }
        RecursiveRelabelPath => {
            for_each_match(item, &mut errors, |p| set_perms_recursively(item, p));
            Ok(())
        }
        SetXattr
        | RecursiveSetXattr
        | SetAcl
        | RecursiveSetAcl
        | SetAttribute
        | RecursiveSetAttribute => {
            // Not applied, but each match refused as 252 refuses it.
            for_each_match(item, &mut errors, |_| Ok(()));
            if !*notes.unsupported_warned {
                *notes.unsupported_warned = true;
                notes.lines.push(
                    "Extended attributes, ACLs and file attributes (t, T, a, A, h, H) are not supported, ignoring."
                        .to_string(),
                );
            }
            Ok(())
        }
    };
    if let Err(e) = single {
        errors.push(e);
    }
    errors
}
