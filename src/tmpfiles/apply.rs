//! The actions of systemd-tmpfiles 252 on one item: create_item() for `--create` and remove_item()
//! for `--remove`, with fd_set_perms()'s rules for fixing the mode and owner of what exists, the
//! parent directories (mode 0755) made on the way, `+` replacing objects of the wrong kind and `=`
//! removing them from the path. Failures are returned worded as systemd logs them; conditions
//! systemd only warns about are pushed to `notes` and are not failures.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{
    lchown, symlink, DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt,
};
use std::path::{Path, PathBuf};

use nix::fcntl::{openat, readlinkat, renameat, AtFlags, OFlag};
use nix::sys::stat::{fstat, fstatat, mkdirat, mknodat, FileStat, Mode, SFlag};
use nix::unistd::{mkfifoat, symlinkat, unlinkat, UnlinkatFlags};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use thiserror::Error;

use super::line::{Item, ItemType};
use crate::sys::chase::{chase, chase_from, ChaseError, ChaseFlags, Chased};
use crate::sys::chown::{fchmod_opath, fchown_opath};
use crate::sys::walk::{self as sys_walk, walk, Entry, Step, Visitor, WalkError};

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
fn set_perms(item: &Item, path: &str, follow: bool, creation: Creation) -> Result<(), ApplyError> {
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

/// mkdir_parents(path, 0755): every missing ancestor, errors left to the creation that follows.
fn make_parents(path: &str) {
    let mut prefix = String::new();
    let parent = parent_of(path);
    for component in parent.split('/').filter(|c| !c.is_empty()) {
        prefix.push('/');
        prefix.push_str(component);
        if fs::metadata(&prefix).is_err()
            && fs::DirBuilder::new().mode(0o755).create(&prefix).is_ok()
        {
            let _ = fs::set_permissions(&prefix, fs::Permissions::from_mode(0o755));
        }
    }
}

fn file_type_bits(meta: &fs::Metadata) -> u32 {
    meta.mode() & libc::S_IFMT
}

/// rm_if_wrong_type_safe(): remove what is at `path` unless it has type `want`.
fn remove_if_wrong_type(
    path: &str,
    want: u32,
    follow: bool,
    notes: &mut Notes,
) -> Result<bool, ApplyError> {
    let meta = if follow {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    };
    let Ok(meta) = meta else {
        return Ok(false);
    };
    if file_type_bits(&meta) == want {
        return Ok(true);
    }
    let parent = parent_of(path);
    let name = base_of(path);
    notes.lines.push(format!(
        "Wrong file type 0o{:o}; rm -rf \"{parent}/{name}\"",
        file_type_bits(&meta)
    ));
    remove_tree(path).map_err(|e| ApplyError::RemoveWrongType {
        name: name.to_string(),
        parent: parent.to_string(),
        reason: crate::errno::text(&e),
    })?;
    Ok(false)
}

/// mkdir_parents_rm_if_wrong_type(): with `=`, ancestors that are not directories are removed
/// and made, and so is the final component when it is not of `child_type`.
fn make_parents_replacing(
    path: &str,
    child_type: Option<u32>,
    notes: &mut Notes,
) -> Result<(), ApplyError> {
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let mut current = String::new();
    for (n, component) in components.iter().enumerate() {
        let parent = if current.is_empty() {
            "/".to_string()
        } else {
            current.clone()
        };
        current.push('/');
        current.push_str(component);
        if n + 1 == components.len() {
            if let Some(want) = child_type {
                remove_if_wrong_type(&current, want, false, notes)?;
            }
            return Ok(());
        }
        let present = remove_if_wrong_type(&current, libc::S_IFDIR, true, notes)?
            || (fs::symlink_metadata(&current).is_ok()
                && remove_if_wrong_type(&current, libc::S_IFDIR, false, notes)?);
        if !present {
            fs::DirBuilder::new()
                .mode(0o755)
                .create(&current)
                .and_then(|_| fs::set_permissions(&current, fs::Permissions::from_mode(0o755)))
                .map_err(|e| ApplyError::MkdirParent {
                    name: component.to_string(),
                    parent: parent.clone(),
                    reason: crate::errno::text(&e),
                })?;
        }
    }
    Ok(())
}

fn prepare_parents(
    item: &Item,
    child_type: Option<u32>,
    notes: &mut Notes,
) -> Result<(), ApplyError> {
    if item.try_replace {
        make_parents_replacing(&item.path, child_type, notes)
    } else {
        make_parents(&item.path);
        Ok(())
    }
}

fn write_all(file: &mut File, data: &[u8], path: &str) -> Result<(), ApplyError> {
    file.write_all(data).map_err(|e| ApplyError::Write {
        path: path.to_string(),
        reason: crate::errno::text(&e),
    })
}

/// path_open_parent_safe(): the directory `path` is made in, resolved once with CHASE_SAFE, and
/// the last component to make relative to it. Everything a creation line makes is made with the
/// `*at()` call from this descriptor, so a user who swaps a directory of the path for a symlink
/// after the check cannot move what root makes elsewhere. A refused transition is the line's
/// error (the outer one); any other failure is the errno the creation itself would meet, for
/// the caller to word as before.
type OpenedParent<'p> = Result<(OwnedFd, &'p str), nix::Error>;

fn open_parent(path: &str) -> Result<OpenedParent<'_>, ApplyError> {
    let name = base_of(path);
    if name.is_empty() || name == "." || name == ".." {
        return Ok(Err(nix::Error::EINVAL));
    }
    let parent = parent_of(path);
    match chase(Path::new(parent), Path::new("/"), ChaseFlags::SAFE) {
        Ok(Chased { fd: Some(fd), .. }) => Ok(Ok((fd, name))),
        Ok(Chased { fd: None, .. }) => Ok(Err(nix::Error::ENOENT)),
        Err(unsafe_path @ ChaseError::UnsafeTransition { .. }) => {
            Err(unsafe_path_error(unsafe_path, parent))
        }
        Err(ChaseError::Os { errno, .. }) => Ok(Err(errno)),
    }
}

/// `name` in `dir`, not followed, as an `O_PATH` descriptor.
fn open_at_nofollow(dir: BorrowedFd, name: &str) -> nix::Result<OwnedFd> {
    openat(
        dir,
        name,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}

/// set_perms() on `name` in `dir`, the directory it was made or found in.
fn set_perms_at(
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
fn set_perms_fd(
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
fn chmod_at(dir: BorrowedFd, name: &str, mode: u32) -> nix::Result<()> {
    let fd = open_at_nofollow(dir, name)?;
    fchmod_opath(fd.as_fd(), mode).map_err(|e| nix::Error::from_raw(errno_of(&e)))
}

/// The flags 252 creates and opens files with (`O_NOFOLLOW` unless following is meant).
fn file_flags() -> OFlag {
    OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC
}

/// `f`: create the file with its content, or leave an existing regular file's content alone.
fn create_file(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
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
fn truncate_file(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
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
fn write_file(item: &Item, path: &str) -> Result<(), ApplyError> {
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

/// `d`, `D`, `v`, `q`, `Q`: make the directory; something else in the way is only a warning.
fn create_directory(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
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
fn create_fifo(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
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
fn create_symlink(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
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
fn create_device(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
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

/// `e`: adjust an existing directory only.
fn adjust_directory(item: &Item, path: &str, notes: &mut Notes) -> Result<(), ApplyError> {
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

fn cstring(path: &str) -> CString {
    CString::new(path.as_bytes().to_vec()).unwrap_or_default()
}

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
fn copy_files(item: &Item, notes: &mut Notes) -> Result<(), ApplyError> {
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

/// glob() with GLOB_BRACE: brace alternatives, then `* ? [..]` per component; a pattern without
/// wildcards names the path itself when it exists. Results are sorted.
pub fn glob(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    for expanded in expand_braces(pattern) {
        glob_into(&expanded, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn expand_braces(pattern: &str) -> Vec<String> {
    let bytes = pattern.as_bytes();
    let Some(open) = bytes.iter().position(|&b| b == b'{') else {
        return vec![pattern.to_string()];
    };
    let mut depth = 0;
    let mut close = None;
    let mut splits = Vec::new();
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            b',' if depth == 1 => splits.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![pattern.to_string()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(&splits);
    bounds.push(close);
    bounds
        .windows(2)
        .flat_map(|w| expand_braces(&format!("{head}{}{tail}", &pattern[w[0] + 1..w[1]])))
        .collect()
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn fnmatch(pattern: &str, name: &str) -> bool {
    let (p, n) = (cstring(pattern), cstring(name));
    // SAFETY: both are valid NUL-terminated strings for the duration of the call.
    unsafe { libc::fnmatch(p.as_ptr(), n.as_ptr(), libc::FNM_PERIOD) == 0 }
}

fn glob_into(pattern: &str, out: &mut Vec<String>) {
    if !has_wildcard(pattern) {
        if fs::symlink_metadata(pattern).is_ok() {
            out.push(pattern.to_string());
        }
        return;
    }
    let mut candidates = vec![String::new()];
    let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    for (n, component) in components.iter().enumerate() {
        let last = n + 1 == components.len();
        let mut next = Vec::new();
        for base in &candidates {
            if !has_wildcard(component) {
                let p = format!("{base}/{component}");
                if fs::symlink_metadata(&p).is_ok()
                    && (last || fs::metadata(&p).is_ok_and(|m| m.is_dir()))
                {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.is_empty() { "/" } else { base.as_str() };
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let p = format!("{base}/{name}");
                if fnmatch(component, &name) && (last || fs::metadata(&p).is_ok_and(|m| m.is_dir()))
                {
                    next.push(p);
                }
            }
        }
        candidates = next;
    }
    out.extend(candidates);
}

/// `Z`: the path and, below a directory that is not a link, everything in it (item_do()),
/// walked through descriptors: an entry swapped for a symlink meanwhile is never followed.
fn set_perms_recursively(item: &Item, path: &str) -> Result<(), ApplyError> {
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

/// The name systemd's uid_to_name() gives `uid`: the user's, else the number.
fn user_name(uid: u32) -> String {
    crate::sys::accounts::Accounts::host().user_name(uid)
}

/// 252's path_open_parent_safe() (`parent`) and the CHASE_SAFE|CHASE_NOFOLLOW lookup of
/// path_set_perms(): lines run as root at boot over paths below directories that services'
/// users own, so a step from such a user's directory or symlink to another owner's files
/// refuses the line. Only that refusal is decided here; other failures are left to the action.
fn refuse_unsafe(path: &str, parent: bool) -> Result<(), ApplyError> {
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
fn unsafe_path_error(e: ChaseError, target: &str) -> ApplyError {
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
fn safe_lookup(kind: ItemType) -> Option<bool> {
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

/// Remove the children of `dir`, keeping `dir` (rm_rf() without REMOVE_ROOT), through
/// descriptors below `dir`; like rm_rf(), it never descends into another mount: what is
/// mounted below stays, with its mount point.
fn remove_children(dir: &str) -> io::Result<()> {
    let top =
        chase(Path::new(dir), Path::new("/"), ChaseFlags::default()).map_err(chase_failure)?;
    let fd = top.fd.ok_or(io::Error::from_raw_os_error(libc::ENOENT))?;
    sys_walk::remove_contents(fd, Path::new(dir)).map_err(walk_failure)
}

/// `rm -rf path` as rm_rf() with REMOVE_ROOT does it: not across mounts, nothing below the
/// path's parent looked up by path.
fn remove_tree(path: &str) -> io::Result<()> {
    let parent = chase(
        Path::new(parent_of(path)),
        Path::new("/"),
        ChaseFlags::default(),
    )
    .map_err(chase_failure)?;
    let parent_fd = parent
        .fd
        .as_ref()
        .ok_or(io::Error::from_raw_os_error(libc::ENOENT))?;
    let name = std::ffi::OsStr::new(base_of(path));
    sys_walk::remove_tree_at(parent_fd.as_fd(), name, Path::new(path), false).map_err(walk_failure)
}

fn chase_failure(e: ChaseError) -> io::Error {
    io::Error::from_raw_os_error(e.errno())
}

/// A failed removal as the error its errno words (a tree too deep says so).
fn walk_failure(e: WalkError) -> io::Error {
    match e {
        WalkError::Io { source, .. } => source,
        too_deep => io::Error::other(too_deep.to_string()),
    }
}

/// remove_item(): `D` empties the directory, `r` removes a file or empty directory, `R` a tree.
pub fn remove(item: &Item) -> Vec<ApplyError> {
    let mut errors = Vec::new();
    match item.kind {
        ItemType::TruncateDirectory => match remove_children(&item.path) {
            Err(e) if !matches!(errno_of(&e), libc::ENOENT | libc::ENOTDIR) => {
                errors.push(ApplyError::RemoveTree {
                    path: item.path.clone(),
                    reason: crate::errno::text(&e),
                })
            }
            _ => {}
        },
        ItemType::RemovePath => for_each_match(item, &mut errors, |p| {
            let is_dir = fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
            let result = if is_dir {
                fs::remove_dir(p)
            } else {
                fs::remove_file(p)
            };
            match result {
                Err(e) if errno_of(&e) != libc::ENOENT => Err(ApplyError::Remove {
                    path: p.to_string(),
                    reason: crate::errno::text(&e),
                }),
                _ => Ok(()),
            }
        }),
        ItemType::RecursiveRemovePath => {
            for_each_match(item, &mut errors, |p| match remove_tree(p) {
                Err(e) if errno_of(&e) != libc::ENOENT => Err(ApplyError::RemoveTree {
                    path: p.to_string(),
                    reason: crate::errno::text(&e),
                }),
                _ => Ok(()),
            })
        }
        _ => {}
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand_and_masks_keep_existing_classes() {
        assert_eq!(
            expand_braces("/a/{b,c{d,e}}/f"),
            vec!["/a/b/f", "/a/cd/f", "/a/ce/f"]
        );
        assert_eq!(process_mask_perms(0o4777, libc::S_IFREG | 0o644), 0o666);
        assert_eq!(process_mask_perms(0o1777, libc::S_IFDIR | 0o755), 0o1777);
    }

    #[test]
    fn glob_matches_components_and_skips_dotfiles() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().display().to_string();
        for name in ["a1", "a2", ".a3", "b"] {
            fs::create_dir(dir.path().join(name)).unwrap();
        }
        assert_eq!(
            glob(&format!("{root}/a*")),
            vec![format!("{root}/a1"), format!("{root}/a2")]
        );
        assert_eq!(glob(&format!("{root}/{{b,zz}}")), vec![format!("{root}/b")]);
    }
}
