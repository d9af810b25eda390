//! The `RuntimeDirectory=` family of systemd.exec(5): their bases per manager scope, created
//! before a start with mode and owner below a CHASE_SAFE-resolved base, removed on stop as
//! `RuntimeDirectoryPreserve=` says (systemd 252's setup_exec_directory() and
//! exec_context_destroy_runtime_directory() in src/core/execute.c).

use std::fs;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::{fstat, Mode};

use crate::sys::chase::{chase, chase_from, ChaseError, ChaseFlags, Chased};
use crate::sys::chown::chown_tree;
use crate::sys::walk::remove_tree_at;
use crate::unit::model::DirectoryPreserve;

use super::context::*;

use super::bases::*;
/// `setup_exec_directory()`: every `…Directory=` made (parents with 0755), given its mode even
/// when it exists, and, for a root manager with `User=`/`Group=`, handed with its contents to the
/// service's user — except `ConfigurationDirectory=`, which stays as it is once it exists and is
/// never chowned (a service should not write its configuration).
pub fn create_directories(ctx: &ExecContext) -> Result<(), ExecEnvError> {
    let s = &ctx.unit.settings;
    let owner = if ctx.manager_is_root && (s.user.is_some() || s.group.is_some()) {
        match ctx
            .accounts
            .resolve(s.user.as_deref(), s.group.as_deref(), &[])
        {
            Ok(resolved) => resolved.map(|(c, _)| (c.uid, c.gid)),
            // exec_child() meets an unknown user or group before the directories: the
            // command fails at that step (see ExecEnvError::child_failure) with none made.
            Err(_) => return Ok(()),
        }
    } else {
        None
    };
    for kind in DirectoryKind::ALL {
        let (names, mode) = kind.of(s);
        for name in names {
            let path = kind.base(ctx.directories).join(name);
            let owner = if kind == DirectoryKind::Configuration {
                None
            } else {
                owner
            };
            let base = kind.base(ctx.directories);
            make_directory(
                base,
                &path,
                mode,
                kind == DirectoryKind::Configuration,
                owner,
            )
            .map_err(|source| ExecEnvError::Directory {
                kind,
                path: path.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

pub(super) fn make_directory(
    base: &Path,
    path: &Path,
    mode: u32,
    keep_existing: bool,
    owner: Option<(u32, u32)>,
) -> io::Result<()> {
    // The parents may lie in a directory the service's user owns (`StateDirectory=app
    // app/cache`): resolved as chase_symlinks(CHASE_SAFE) does, so a symlink that user planted
    // into a directory of root's is refused, and the missing ones are made as they are met
    // (CHASE_MKDIR_0755), each from the descriptor of the one before: a parent swapped for a
    // symlink meanwhile cannot make root create directories elsewhere.
    let make_parents = ChaseFlags {
        mkdir_0755: true,
        ..ChaseFlags::SAFE
    };
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    };
    let parent = chase_below(base, parent, make_parents).map_err(chase_error)?;
    let parent_fd = parent
        .fd
        .as_ref()
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
    let created = match nix::sys::stat::mkdirat(parent_fd, name, Mode::from_bits_truncate(mode)) {
        Ok(()) => true,
        Err(nix::Error::EEXIST) => false,
        Err(e) => return Err(e.into()),
    };
    // Everything from here on goes through one descriptor of the directory: its owner may swap
    // the path for a symlink at any moment. The directory itself is the user's to own; a
    // symlink in its place (an image keeping its state on a volume) is followed only where
    // CHASE_SAFE allows, never from the user's directory into another owner's.
    let entry = openat(
        parent_fd,
        name,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let is_symlink = fstat(&entry)
        .map(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK)
        .map_err(io::Error::from)?;
    let chased = if is_symlink {
        chase_from(&parent, Path::new(name), Path::new("/"), ChaseFlags::SAFE)
            .map_err(chase_error)?
    } else {
        Chased {
            path: path.to_path_buf(),
            fd: Some(entry),
        }
    };
    let dir = chased
        .reopen(OFlag::O_RDONLY | OFlag::O_DIRECTORY)
        .map_err(chase_error)?;
    if keep_existing && !created {
        return Ok(());
    }
    // mkdir() applied the manager's umask; the setting's mode is exact
    dir.set_permissions(fs::Permissions::from_mode(mode))?;
    if let Some((uid, gid)) = owner {
        chown_tree(&dir, uid, gid).map_err(|e| {
            // A rootless container's user namespace maps few ids (often only root): say so, the
            // bare errno reads like a bad setting.
            if e.raw_os_error() == Some(libc::EINVAL) {
                let why = format!(
                    "Invalid argument (uid {uid} or gid {gid} is not mapped in this user namespace)"
                );
                io::Error::new(io::ErrorKind::InvalidInput, why)
            } else {
                e
            }
        })?;
    }
    Ok(())
}

/// chase_symlinks() with `flags` (CHASE_SAFE) where only a step below `base` may be refused:
/// `/var/lib` and its ancestors are the administrator's, and in a user namespace `/` belongs to
/// an unmapped uid, which would make every path unsafe. So the base is opened unchecked (an
/// image may link it to a volume) and the rest resolved from its descriptor with `flags`.
pub(super) fn chase_below(
    base: &Path,
    path: &Path,
    flags: ChaseFlags,
) -> Result<Chased, ChaseError> {
    let rest = path.strip_prefix(base).map_err(|_| ChaseError::Os {
        path: path.to_path_buf(),
        errno: nix::Error::EINVAL,
    })?;
    let base_flags = ChaseFlags {
        mkdir_0755: flags.mkdir_0755,
        ..ChaseFlags::default()
    };
    let base = chase(base, Path::new("/"), base_flags)?;
    chase_from(&base, rest, Path::new("/"), flags)
}

/// A refused or failed resolution as the error the directory's setting reports.
fn chase_error(e: ChaseError) -> io::Error {
    match e {
        ChaseError::Os { errno, .. } => io::Error::from(errno),
        unsafe_path => io::Error::other(unsafe_path.to_string()),
    }
}

/// On stop: remove the `RuntimeDirectory=` directories unless `RuntimeDirectoryPreserve=yes`,
/// or `restart` while `restarting`. Failures are ignored, as systemd only logs them: a stop
/// does not fail over a leftover directory.
pub fn remove_runtime_directories(ctx: &ExecContext, restarting: bool) {
    let s = &ctx.unit.settings;
    let remove = match s.runtime_directory_preserve {
        DirectoryPreserve::No => true,
        DirectoryPreserve::Yes => false,
        DirectoryPreserve::Restart => !restarting,
    };
    if !remove {
        return;
    }
    for name in &s.runtime_directory {
        let path = ctx.directories.runtime.join(name);
        // The path may pass through a directory of the service's user (`RuntimeDirectory=app
        // app/sub`): not through a symlink of theirs into root's files. The tree is removed
        // relative to the descriptor of the parent that was checked, never by path again.
        let (Some(parent), Some(last)) = (path.parent(), path.file_name()) else {
            continue;
        };
        if let Ok(chased) = chase_below(&ctx.directories.runtime, parent, ChaseFlags::SAFE) {
            if let Some(parent_fd) = &chased.fd {
                // A symlink there is removed itself, never what it points to.
                let _ = remove_tree_at(parent_fd.as_fd(), last, &path, false);
            }
        }
    }
}
