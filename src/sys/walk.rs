//! Walking a directory tree through descriptors only, the way systemd 252 walks trees that a
//! less privileged user may change while root walks them: tmpfiles.c's `item_do()` (`Z`, `z`),
//! chown-recursive.c's `chown_recursive_internal()` (`StateDirectory=` and its siblings) and
//! rm-rf.c's `rm_rf_children()`.
//!
//! No entry is looked up by a path: each is opened relative to its directory's descriptor with
//! `O_PATH|O_NOFOLLOW`, handed to the visitor as that descriptor and its `fstat()`, and a
//! directory is listed and entered only through the descriptor that was checked. A user who
//! renames `sub` and puts a symlink to `/etc` in its place after root looked at it changes
//! nothing: root keeps walking the directory it looked at.
//!
//! Unlike systemd, which recurses without limit, the walk is a loop over an explicit stack
//! holding one descriptor per level, and it stops going deeper at [`MAX_DEPTH`]: a user's tree
//! nested a million directories deep cannot exhaust the manager's (possibly PID 1's)
//! descriptors or stack.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::{fstat, FileStat, Mode, SFlag};

/// How many directories below the top the walk enters; deeper ones are reported and left.
/// One descriptor is held per level, well under the usual soft limit of 1024.
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{}: {}", path.display(), crate::errno::text(source))]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: more than {MAX_DEPTH} directories deep, not walked further", path.display())]
    TooDeep { path: PathBuf },
}

impl WalkError {
    fn io(path: &Path, e: impl Into<io::Error>) -> WalkError {
        WalkError::Io {
            path: path.to_path_buf(),
            source: e.into(),
        }
    }

    /// The errno of the failure; `ELOOP` for a tree too deep.
    pub fn errno(&self) -> i32 {
        match self {
            WalkError::Io { source, .. } => source.raw_os_error().unwrap_or(libc::EIO),
            WalkError::TooDeep { .. } => libc::ELOOP,
        }
    }
}

/// One object met by the walk.
pub struct Entry<'a> {
    /// The directory holding it (`None` for a top given as a descriptor of its own).
    pub parent: Option<BorrowedFd<'a>>,
    /// Its name in `parent`.
    pub name: &'a OsStr,
    /// An `O_PATH|O_NOFOLLOW` descriptor of it: a symlink's names the symlink.
    pub fd: BorrowedFd<'a>,
    pub stat: &'a FileStat,
    /// Its path, for messages only: never resolved again.
    pub path: &'a Path,
    /// 0 for the top.
    pub depth: usize,
}

impl Entry<'_> {
    pub fn is_dir(&self) -> bool {
        is_dir(self.stat)
    }
}

/// Whether the walk goes into a directory after [`Visitor::enter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Descend,
    Skip,
}

/// What the walk does with each entry.
pub trait Visitor {
    type Error: From<WalkError>;
    /// Every entry, the top first, each directory before its contents. `Step::Descend` enters a
    /// directory (it means nothing for other objects).
    fn enter(&mut self, entry: &Entry) -> Result<Step, Self::Error>;
    /// A directory that was entered, after its contents.
    fn leave(&mut self, _entry: &Entry) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A directory being walked: its descriptor and the names still to visit.
struct Level {
    fd: OwnedFd,
    stat: FileStat,
    name: OsString,
    path: PathBuf,
    names: std::vec::IntoIter<OsString>,
}

/// Walks from `top` (an `O_PATH` or ordinary descriptor; it has no parent to the visitor).
/// Failures do not stop the walk (as item_do() and rm_rf_children() go on); the first is
/// returned.
pub fn walk<V: Visitor>(top: OwnedFd, path: &Path, visitor: &mut V) -> Result<(), V::Error> {
    run(None, OsString::new(), top, path, visitor)
}

/// Walks from `name` in `parent`, opened with `O_NOFOLLOW`: a symlink there is an entry itself.
pub fn walk_at<V: Visitor>(
    parent: BorrowedFd,
    name: &OsStr,
    path: &Path,
    visitor: &mut V,
) -> Result<(), V::Error> {
    let top = open_nofollow(parent, name).map_err(|e| V::Error::from(WalkError::io(path, e)))?;
    run(Some(parent), name.to_os_string(), top, path, visitor)
}

fn run<V: Visitor>(
    parent: Option<BorrowedFd>,
    name: OsString,
    top: OwnedFd,
    path: &Path,
    visitor: &mut V,
) -> Result<(), V::Error> {
    let mut first: Option<V::Error> = None;
    let stat = fstat(&top).map_err(|e| V::Error::from(WalkError::io(path, e)))?;
    let entry = Entry {
        parent,
        name: &name,
        fd: top.as_fd(),
        stat: &stat,
        path,
        depth: 0,
    };
    if visitor.enter(&entry)? != Step::Descend || !is_dir(&stat) {
        return Ok(());
    }
    let names = list(&top).map_err(|e| V::Error::from(WalkError::io(path, e)))?;
    let mut stack = vec![Level {
        fd: top,
        stat,
        name,
        path: path.to_path_buf(),
        names: names.into_iter(),
    }];
    loop {
        let depth = stack.len();
        let Some(level) = stack.last_mut() else {
            break;
        };
        let Some(child_name) = level.names.next() else {
            let Some(done) = stack.pop() else { break };
            let parent = stack.last().map(|l| l.fd.as_fd()).or(parent);
            let entry = Entry {
                parent,
                name: &done.name,
                fd: done.fd.as_fd(),
                stat: &done.stat,
                path: &done.path,
                depth: stack.len(),
            };
            if let Err(e) = visitor.leave(&entry) {
                first.get_or_insert(e);
            }
            continue;
        };
        let child_path = level.path.join(&child_name);
        let child = match open_nofollow(level.fd.as_fd(), &child_name) {
            Ok(fd) => fd,
            // Removed by its owner meanwhile: nothing left to do there.
            Err(nix::Error::ENOENT) => continue,
            Err(e) => {
                first.get_or_insert(WalkError::io(&child_path, e).into());
                continue;
            }
        };
        let child_stat = match fstat(&child) {
            Ok(st) => st,
            Err(e) => {
                first.get_or_insert(WalkError::io(&child_path, e).into());
                continue;
            }
        };
        let step = visitor.enter(&Entry {
            parent: Some(level.fd.as_fd()),
            name: &child_name,
            fd: child.as_fd(),
            stat: &child_stat,
            path: &child_path,
            depth,
        });
        match step {
            Ok(Step::Descend) if is_dir(&child_stat) => {}
            Ok(_) => continue,
            Err(e) => {
                first.get_or_insert(e);
                continue;
            }
        }
        if depth >= MAX_DEPTH {
            first.get_or_insert(WalkError::TooDeep { path: child_path }.into());
            continue;
        }
        match list(&child) {
            Ok(names) => stack.push(Level {
                fd: child,
                stat: child_stat,
                name: child_name,
                path: child_path,
                names: names.into_iter(),
            }),
            Err(e) => {
                first.get_or_insert(WalkError::io(&child_path, e).into());
            }
        }
    }
    first.map_or(Ok(()), Err)
}

fn open_nofollow(dir: BorrowedFd, name: &OsStr) -> nix::Result<OwnedFd> {
    openat(
        dir,
        name,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}

fn is_dir(st: &FileStat) -> bool {
    SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFDIR
}

/// The names in the directory `dir` names, sorted (messages come in a stable order). Listing
/// through the descriptor's /proc link reads that very directory, wherever its path now leads.
fn list(dir: &OwnedFd) -> io::Result<Vec<OsString>> {
    let mut names = std::fs::read_dir(format!("/proc/self/fd/{}", dir.as_raw_fd()))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

/// The mount `fd` is on (statx's `STATX_MNT_ID`, with the device where the kernel has no mount
/// ids): rm_rf() stops at mount points.
pub fn mount_of(fd: BorrowedFd) -> io::Result<(u64, u64)> {
    // SAFETY: all-zero is a valid statx buffer.
    let mut buf: libc::statx = unsafe { std::mem::zeroed() };
    // The system call itself: Rust's std refers to glibc's statx() weakly, and in the static
    // build a weak reference does not pull the wrapper in, so libc::statx would be address 0.
    // SAFETY: statx(2) of a descriptor we hold (empty path) into a buffer we own.
    let r = unsafe {
        libc::syscall(
            libc::SYS_statx,
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
            libc::STATX_MNT_ID,
            &mut buf as *mut libc::statx,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    let mount_id = if buf.stx_mask & libc::STATX_MNT_ID != 0 {
        buf.stx_mnt_id
    } else {
        0
    };
    Ok((
        mount_id,
        libc::makedev(buf.stx_dev_major, buf.stx_dev_minor),
    ))
}

/// `rm -rf` through descriptors, as rm_rf() does: `name` in `parent` (a symlink there is
/// removed itself) and, when it is a directory, everything in it, not crossing into other
/// mounts (what is mounted stays, with its mount point). With `keep_top` only the contents go
/// (rm_rf() without `REMOVE_ROOT`). The first failure is returned; the rest is still removed.
pub fn remove_tree_at(
    parent: BorrowedFd,
    name: &OsStr,
    path: &Path,
    keep_top: bool,
) -> Result<(), WalkError> {
    let top = open_nofollow(parent, name).map_err(|e| WalkError::io(path, e))?;
    let mount = mount_of(top.as_fd()).map_err(|e| WalkError::io(path, e))?;
    let mut remover = Remover { mount, keep_top };
    run(Some(parent), name.to_os_string(), top, path, &mut remover)
}

/// The contents of the directory `dir` names, kept itself (rm_rf() without `REMOVE_ROOT`).
pub fn remove_contents(dir: OwnedFd, path: &Path) -> Result<(), WalkError> {
    let mount = mount_of(dir.as_fd()).map_err(|e| WalkError::io(path, e))?;
    let mut remover = Remover {
        mount,
        keep_top: true,
    };
    walk(dir, path, &mut remover)
}

struct Remover {
    mount: (u64, u64),
    keep_top: bool,
}

impl Remover {
    fn unlink(entry: &Entry, flags: nix::unistd::UnlinkatFlags) -> Result<(), WalkError> {
        let Some(parent) = entry.parent else {
            return Ok(());
        };
        match nix::unistd::unlinkat(parent, entry.name, flags) {
            Ok(()) | Err(nix::Error::ENOENT) => Ok(()),
            Err(e) => Err(WalkError::io(entry.path, e)),
        }
    }
}

impl Visitor for Remover {
    type Error = WalkError;

    fn enter(&mut self, entry: &Entry) -> Result<Step, WalkError> {
        if !entry.is_dir() {
            if entry.depth == 0 && self.keep_top {
                return Err(WalkError::io(entry.path, nix::Error::ENOTDIR));
            }
            Remover::unlink(entry, nix::unistd::UnlinkatFlags::NoRemoveDir)?;
            return Ok(Step::Skip);
        }
        let here = mount_of(entry.fd).map_err(|e| WalkError::io(entry.path, e))?;
        Ok(if here == self.mount {
            Step::Descend
        } else {
            Step::Skip
        })
    }

    fn leave(&mut self, entry: &Entry) -> Result<(), WalkError> {
        if entry.depth == 0 && self.keep_top {
            return Ok(());
        }
        Remover::unlink(entry, nix::unistd::UnlinkatFlags::RemoveDir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{symlink, PermissionsExt};

    /// Records the entries it meets; on entering `swap_at` it does what a hostile owner does
    /// in the window between root's check and root's use: renames the directory away and puts
    /// a symlink to `victim` in its place.
    struct Swapping {
        seen: Vec<PathBuf>,
        swap_at: PathBuf,
        victim: PathBuf,
    }

    impl Visitor for Swapping {
        type Error = WalkError;
        fn enter(&mut self, entry: &Entry) -> Result<Step, WalkError> {
            if entry.path == self.swap_at {
                fs::rename(&self.swap_at, self.swap_at.with_extension("moved")).unwrap();
                symlink(&self.victim, &self.swap_at).unwrap();
            }
            self.seen.push(entry.path.to_path_buf());
            // The action: chmod through the descriptor, as `Z` does.
            if !entry.is_dir() {
                crate::sys::chown::fchmod_opath(entry.fd, 0o666).map_err(|source| {
                    WalkError::Io {
                        path: entry.path.to_path_buf(),
                        source,
                    }
                })?;
            }
            Ok(Step::Descend)
        }
    }

    #[test]
    fn a_directory_swapped_for_a_symlink_after_its_check_is_still_the_one_walked() {
        let t = tempfile::tempdir().unwrap();
        let top = t.path().join("tree");
        fs::create_dir_all(top.join("sub")).unwrap();
        fs::write(top.join("sub/own"), "").unwrap();
        let victim = t.path().join("victim");
        fs::create_dir(&victim).unwrap();
        fs::write(victim.join("secret"), "").unwrap();
        fs::set_permissions(victim.join("secret"), fs::Permissions::from_mode(0o600)).unwrap();
        let mut v = Swapping {
            seen: Vec::new(),
            swap_at: top.join("sub"),
            victim: victim.clone(),
        };
        let fd = open_nofollow(
            openat(
                nix::fcntl::AT_FDCWD,
                t.path(),
                OFlag::O_PATH | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .unwrap()
            .as_fd(),
            OsStr::new("tree"),
        )
        .unwrap();
        walk(fd, &top, &mut v).unwrap();
        assert_eq!(v.seen, [top.clone(), top.join("sub"), top.join("sub/own")]);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(
            mode(&victim.join("secret")),
            0o600,
            "the victim was changed"
        );
        assert_eq!(mode(&top.join("sub.moved/own")), 0o666);
    }

    struct Count(usize);
    impl Visitor for Count {
        type Error = WalkError;
        fn enter(&mut self, _: &Entry) -> Result<Step, WalkError> {
            self.0 += 1;
            Ok(Step::Descend)
        }
    }

    #[test]
    fn a_tree_deeper_than_the_cap_is_walked_to_the_cap_and_reported() {
        let t = tempfile::tempdir().unwrap();
        let mut dir =
            nix::fcntl::open(t.path(), OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
        for _ in 0..MAX_DEPTH + 10 {
            nix::sys::stat::mkdirat(&dir, "d", Mode::from_bits_truncate(0o755)).unwrap();
            dir = open_nofollow(dir.as_fd(), OsStr::new("d")).unwrap();
        }
        let top =
            nix::fcntl::open(t.path(), OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
        let mut count = Count(0);
        let e = walk(top, t.path(), &mut count).unwrap_err();
        assert!(matches!(e, WalkError::TooDeep { .. }), "{e}");
        // The top and MAX_DEPTH levels below it are visited; the last is not entered.
        assert_eq!(count.0, MAX_DEPTH + 1);
    }

    #[test]
    fn remove_tree_removes_a_symlink_not_what_it_points_to() {
        let t = tempfile::tempdir().unwrap();
        let victim = t.path().join("victim");
        fs::create_dir(&victim).unwrap();
        fs::write(victim.join("secret"), "s").unwrap();
        fs::create_dir_all(t.path().join("tree/a/b")).unwrap();
        fs::write(t.path().join("tree/a/b/f"), "").unwrap();
        symlink(&victim, t.path().join("tree/a/link")).unwrap();
        let parent =
            nix::fcntl::open(t.path(), OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
        let path = t.path().join("tree");
        remove_tree_at(parent.as_fd(), OsStr::new("tree"), &path, false).unwrap();
        assert!(!path.exists());
        assert_eq!(fs::read_to_string(victim.join("secret")).unwrap(), "s");
        // A missing top is an error the caller may ignore.
        let gone = remove_tree_at(parent.as_fd(), OsStr::new("tree"), &path, false);
        assert_eq!(gone.unwrap_err().errno(), libc::ENOENT);
    }
}
