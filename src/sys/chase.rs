//! Path resolution inside a root, one component at a time: systemd 252's
//! src/basic/chase-symlinks.c (`chase_symlinks()` with `CHASE_PREFIX_ROOT`, `CHASE_SAFE`,
//! `CHASE_NOFOLLOW`, `CHASE_NONEXISTENT`).
//!
//! Every component is opened with `O_PATH|O_NOFOLLOW` relative to the previous one, so what was
//! checked is what is used. An absolute symlink starts again at the root (the root of an offline
//! tree for `--root=DIR`, `/` for the manager) and `..` never climbs above it, so a path can never
//! leave the root. With `safe`, a step from a directory or symlink owned by an unprivileged user to
//! something owned by another user is refused (`unsafe_transition()`): a service user who owns
//! `/run/evil` cannot make root read `/run/evil/link/x.pid` through `link -> /run`.

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use nix::fcntl::{openat, readlinkat, OFlag, AT_FDCWD};
use nix::sys::stat::{fstat, FileStat, Mode, SFlag};

/// systemd's `CHASE_SYMLINKS_MAX`: how many symlinks one resolution follows before `ELOOP`.
const SYMLINKS_MAX: u32 = 32;

/// Which of chase_symlinks()'s flags apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChaseFlags {
    /// `CHASE_SAFE`: refuse a transition from an unprivileged owner to another owner.
    pub safe: bool,
    /// `CHASE_NOFOLLOW`: a symlink as the last component is the result, not followed.
    pub nofollow: bool,
    /// `CHASE_NONEXISTENT`: the path may end in components that do not exist yet; they are
    /// appended unresolved (and may not contain `..`).
    pub nonexistent: bool,
    /// `CHASE_MKDIR_0755`: a missing component is made (`mkdirat()`, mode 0755 less the umask)
    /// and entered through `openat(O_NOFOLLOW)` from the descriptor of its parent, so what is
    /// made is where the checked descriptors lead, whatever the path now names. A directory
    /// made here is root's own: the step into it is not an unsafe transition.
    pub mkdir_0755: bool,
}

impl ChaseFlags {
    pub const SAFE: ChaseFlags = ChaseFlags {
        safe: true,
        nofollow: false,
        nonexistent: false,
        mkdir_0755: false,
    };
    pub const NONEXISTENT: ChaseFlags = ChaseFlags {
        safe: false,
        nofollow: false,
        nonexistent: true,
        mkdir_0755: false,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum ChaseError {
    /// systemd's `-ENOLINK` from `log_unsafe_transition()`.
    #[error(
        "Detected unsafe path transition {from} (owned by {from_uid}) -> {to} (owned by {to_uid}) during canonicalization of {path}"
    )]
    UnsafeTransition {
        path: PathBuf,
        from: PathBuf,
        from_uid: u32,
        to: PathBuf,
        to_uid: u32,
    },
    #[error("{path}: {}", crate::errno::text(&std::io::Error::from_raw_os_error(*errno as i32)))]
    Os { path: PathBuf, errno: nix::Error },
}

impl ChaseError {
    /// The errno systemd's chase_symlinks() returns for the same failure.
    pub fn errno(&self) -> i32 {
        match self {
            ChaseError::UnsafeTransition { .. } => libc::ENOLINK,
            ChaseError::Os { errno, .. } => *errno as i32,
        }
    }
}

/// Where a resolution ended.
#[derive(Debug)]
pub struct Chased {
    /// The resolved path, with the root in front (as `CHASE_PREFIX_ROOT` returns it).
    pub path: PathBuf,
    /// An `O_PATH` descriptor of what the path names; `None` when it does not exist (only with
    /// `nonexistent`).
    pub fd: Option<OwnedFd>,
}

impl Chased {
    /// Opens what was resolved for real (systemd's `fd_reopen()`), e.g. `O_RDONLY`; `O_NOFOLLOW`
    /// is implied by the descriptor already naming the final object.
    pub fn reopen(&self, flags: OFlag) -> Result<File, ChaseError> {
        let os = |errno| ChaseError::Os {
            path: self.path.clone(),
            errno,
        };
        let fd = self.fd.as_ref().ok_or(os(nix::Error::ENOENT))?;
        let proc_path = format!("/proc/self/fd/{}", fd.as_raw_fd());
        let file = nix::fcntl::open(proc_path.as_str(), flags | OFlag::O_CLOEXEC, Mode::empty())
            .map_err(os)?;
        Ok(File::from(file))
    }
}

/// Resolves `path` (absolute, taken as relative to `root`) inside `root` as chase_symlinks()
/// with `CHASE_PREFIX_ROOT` does. `root` is `/` for the running system.
pub fn chase(path: &Path, root: &Path, flags: ChaseFlags) -> Result<Chased, ChaseError> {
    let err = |errno| ChaseError::Os {
        path: root.join(relative(path)),
        errno,
    };
    let root_fd = open_directory(root).map_err(err)?;
    let root_stat = fstat(&root_fd).map_err(err)?;
    let start = root_fd.try_clone().map_err(|_| err(nix::Error::EMFILE))?;
    let from = Start {
        fd: start,
        stat: root_stat,
        done: PathBuf::new(),
    };
    resolve(path, root, (&root_fd, root_stat), from, flags)
}

/// Resolves `rest` (relative) from `start`, a directory already resolved inside `root` (its
/// `path` with the root in front, its `fd` open): systemd's `chaseat()` from a directory
/// descriptor. The start is trusted: the first step out of it is not checked against its
/// owner (an administrator's base such as /var/lib may belong to anyone, e.g. the overflow uid
/// in a user namespace), every later step is, with `safe`. `..` may climb above the start
/// (checked like any step), never above the root.
pub fn chase_from(
    start: &Chased,
    rest: &Path,
    root: &Path,
    flags: ChaseFlags,
) -> Result<Chased, ChaseError> {
    let err = |errno| ChaseError::Os {
        path: start.path.join(rest),
        errno,
    };
    let start_fd = start.fd.as_ref().ok_or(err(nix::Error::ENOENT))?;
    let root_fd = open_directory(root).map_err(err)?;
    let root_stat = fstat(&root_fd).map_err(err)?;
    let mut stat = fstat(start_fd).map_err(err)?;
    // Trusted as a directory of root's is: any owner may follow.
    stat.st_uid = 0;
    let from = Start {
        fd: start_fd.try_clone().map_err(|_| err(nix::Error::EMFILE))?,
        stat,
        done: start
            .path
            .strip_prefix(root)
            .unwrap_or(&start.path)
            .to_path_buf(),
    };
    let joined = Path::new("/").join(&from.done).join(rest);
    resolve_components(
        &joined,
        components(rest),
        root,
        (&root_fd, root_stat),
        from,
        flags,
    )
}

fn open_directory(path: &Path) -> nix::Result<OwnedFd> {
    let directory = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    openat(AT_FDCWD, path, directory, Mode::empty())
}

/// Where a resolution starts: a directory, its stat and its path below the root.
struct Start {
    fd: OwnedFd,
    stat: FileStat,
    done: PathBuf,
}

fn resolve(
    path: &Path,
    root: &Path,
    root_dir: (&OwnedFd, FileStat),
    start: Start,
    flags: ChaseFlags,
) -> Result<Chased, ChaseError> {
    resolve_components(path, components(path), root, root_dir, start, flags)
}

/// The loop of chase_symlinks(): `todo` (a stack, first on top) from `start`; `path` is what
/// errors name.
fn resolve_components(
    path: &Path,
    mut todo: Vec<OsString>,
    root: &Path,
    (root_fd, root_stat): (&OwnedFd, FileStat),
    start: Start,
    flags: ChaseFlags,
) -> Result<Chased, ChaseError> {
    let err = |errno| ChaseError::Os {
        path: root.join(relative(path)),
        errno,
    };
    let directory = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let Start {
        mut fd,
        stat: mut previous,
        mut done,
    } = start;
    let mut follows_left = SYMLINKS_MAX;

    while let Some(first) = todo.pop() {
        if first == ".." {
            // Never above the root, as the kernel never goes above "/".
            if done.as_os_str().is_empty() {
                continue;
            }
            let parent =
                openat(&fd, "..", directory | OFlag::O_NOFOLLOW, Mode::empty()).map_err(err)?;
            let st = fstat(&parent).map_err(err)?;
            if flags.safe && unsafe_transition(&previous, &st) {
                let from = root.join(&done);
                done.pop();
                return Err(unsafe_error(path, root, from, &previous, &done, &st));
            }
            done.pop();
            previous = st;
            fd = parent;
            continue;
        }
        let mut made_here = false;
        let child = match openat(
            &fd,
            first.as_os_str(),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(child) => child,
            Err(nix::Error::ENOENT) if flags.mkdir_0755 && first != "." => {
                // Someone else making it meanwhile (EEXIST) is fine: then it is checked as found.
                match nix::sys::stat::mkdirat(
                    &fd,
                    first.as_os_str(),
                    Mode::from_bits_truncate(0o755),
                ) {
                    Ok(()) => made_here = true,
                    Err(nix::Error::EEXIST) => {}
                    Err(e) => return Err(err(e)),
                }
                // O_DIRECTORY: a symlink swapped in after the mkdirat() is refused, not followed.
                openat(
                    &fd,
                    first.as_os_str(),
                    OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )
                .map_err(err)?
            }
            Err(nix::Error::ENOENT) if flags.nonexistent => {
                // The rest is appended as it is; a ".." in it could climb where nothing was checked.
                if todo.iter().any(|c| c == "..") {
                    return Err(err(nix::Error::ENOENT));
                }
                done.push(&first);
                while let Some(rest) = todo.pop() {
                    done.push(rest);
                }
                return Ok(Chased {
                    path: root.join(done),
                    fd: None,
                });
            }
            Err(e) => return Err(err(e)),
        };
        let st = fstat(&child).map_err(err)?;
        // A directory just made is ours to enter; had its parent's owner swapped in a directory
        // of theirs before the openat(), its owner shows it and it is checked as any step.
        let checked = flags.safe && !(made_here && st.st_uid == nix::unistd::geteuid().as_raw());
        if checked && unsafe_transition(&previous, &st) {
            let from = root.join(&done);
            done.push(&first);
            return Err(unsafe_error(path, root, from, &previous, &done, &st));
        }
        previous = st;
        let is_symlink =
            SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFLNK;
        if is_symlink && !(flags.nofollow && todo.is_empty()) {
            follows_left -= 1;
            if follows_left == 0 {
                return Err(err(nix::Error::ELOOP));
            }
            let destination = readlinkat(&fd, first.as_os_str()).map_err(err)?;
            if destination.is_empty() {
                return Err(err(nix::Error::EINVAL));
            }
            let destination = PathBuf::from(destination);
            if destination.is_absolute() {
                if flags.safe && unsafe_transition(&previous, &root_stat) {
                    let from = root.join(&done).join(&first);
                    return Err(unsafe_error(
                        path,
                        root,
                        from,
                        &previous,
                        Path::new(""),
                        &root_stat,
                    ));
                }
                done = PathBuf::new();
                previous = root_stat;
                fd = root_fd.try_clone().map_err(|_| err(nix::Error::EMFILE))?;
            }
            // The destination's components come next, before the rest of the path.
            todo.extend(components(&destination));
            continue;
        }
        done.push(&first);
        fd = child;
    }
    Ok(Chased {
        path: root.join(done),
        fd: Some(fd),
    })
}

/// chase() then open what it found with `flags` (e.g. `O_RDONLY`): systemd's
/// `chase_symlinks_and_open()`.
pub fn chase_and_open(
    path: &Path,
    root: &Path,
    chase_flags: ChaseFlags,
    open_flags: OFlag,
) -> Result<(File, PathBuf), ChaseError> {
    let chased = chase(
        path,
        root,
        ChaseFlags {
            nonexistent: false,
            ..chase_flags
        },
    )?;
    let file = chased.reopen(open_flags)?;
    Ok((file, chased.path))
}

/// `unsafe_transition()`: leaving something root owns is always fine; from anything else the
/// owner must stay the same.
fn unsafe_transition(from: &FileStat, to: &FileStat) -> bool {
    from.st_uid != 0 && from.st_uid != to.st_uid
}

fn unsafe_error(
    path: &Path,
    root: &Path,
    from: PathBuf,
    from_stat: &FileStat,
    to: &Path,
    to_stat: &FileStat,
) -> ChaseError {
    ChaseError::UnsafeTransition {
        path: path.to_path_buf(),
        from,
        from_uid: from_stat.st_uid,
        to: root.join(to),
        to_uid: to_stat.st_uid,
    }
}

/// The components of `path` as a stack (the first on top), without the root, `.` and empty ones.
fn components(path: &Path) -> Vec<OsString> {
    let mut stack: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    stack.reverse();
    stack
}

/// `path` without its leading `/`, for joining onto a root.
fn relative(path: &Path) -> &Path {
    path.strip_prefix("/").unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{chown, symlink};

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc/systemd/system")).unwrap();
        fs::write(dir.path().join("etc/a.conf"), "a").unwrap();
        dir
    }

    #[test]
    fn absolute_symlinks_resolve_inside_the_root() {
        let t = tree();
        let root = t.path();
        symlink("/etc", root.join("link")).unwrap();
        let chased = chase(Path::new("/link/a.conf"), root, ChaseFlags::default()).unwrap();
        assert_eq!(chased.path, root.join("etc/a.conf"));
        // `..` stops at the root.
        let chased = chase(
            Path::new("/../../etc/../etc/a.conf"),
            root,
            ChaseFlags::default(),
        );
        assert_eq!(chased.unwrap().path, root.join("etc/a.conf"));
        symlink("../../../../..", root.join("etc/up")).unwrap();
        let chased = chase(Path::new("/etc/up/etc/a.conf"), root, ChaseFlags::default());
        assert_eq!(chased.unwrap().path, root.join("etc/a.conf"));
    }

    #[test]
    fn missing_tails_are_appended_only_when_allowed() {
        let t = tree();
        let root = t.path();
        symlink(
            "/elsewhere",
            root.join("etc/systemd/system/multi-user.target.wants"),
        )
        .unwrap();
        let p = Path::new("/etc/systemd/system/multi-user.target.wants/x.service");
        let chased = chase(p, root, ChaseFlags::NONEXISTENT).unwrap();
        assert_eq!(chased.path, root.join("elsewhere/x.service"));
        assert!(chased.fd.is_none());
        let missing = chase(p, root, ChaseFlags::default()).unwrap_err();
        assert_eq!(missing.errno(), libc::ENOENT);
        let climbing = chase(Path::new("/nope/../etc"), root, ChaseFlags::NONEXISTENT);
        assert_eq!(climbing.unwrap_err().errno(), libc::ENOENT);
    }

    #[test]
    fn nofollow_returns_the_link_itself_and_loops_end() {
        let t = tree();
        let root = t.path();
        symlink("a.conf", root.join("etc/b.conf")).unwrap();
        let flags = ChaseFlags {
            nofollow: true,
            ..ChaseFlags::default()
        };
        let chased = chase(Path::new("/etc/b.conf"), root, flags).unwrap();
        assert_eq!(chased.path, root.join("etc/b.conf"));
        symlink("loop", root.join("loop")).unwrap();
        let looped = chase(Path::new("/loop"), root, ChaseFlags::default()).unwrap_err();
        assert_eq!(looped.errno(), libc::ELOOP);
    }

    #[test]
    fn reopen_reads_what_was_resolved() {
        let t = tree();
        let (mut file, path) = chase_and_open(
            Path::new("/etc/a.conf"),
            t.path(),
            ChaseFlags::SAFE,
            OFlag::O_RDONLY,
        )
        .unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text).unwrap();
        assert_eq!((text.as_str(), path), ("a", t.path().join("etc/a.conf")));
    }

    /// The attack of issue 13: a directory owned by an unprivileged user, with a symlink in it
    /// to a directory root owns. Needs root to hand the directory to another uid.
    #[test]
    fn safe_refuses_a_user_symlink_into_roots_directories() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let t = tree();
        let root = t.path();
        fs::create_dir(root.join("evil")).unwrap();
        chown(root.join("evil"), Some(65534), Some(65534)).unwrap();
        symlink("/etc", root.join("evil/abs")).unwrap();
        symlink("../etc", root.join("evil/rel")).unwrap();
        for p in [
            "/evil/abs/a.conf",
            "/evil/rel/a.conf",
            "/evil/../etc/a.conf",
        ] {
            let path = Path::new(p);
            let refused = chase(path, root, ChaseFlags::SAFE).unwrap_err();
            assert_eq!(refused.errno(), libc::ENOLINK, "{p}");
            assert!(chase(path, root, ChaseFlags::default()).is_ok(), "{p}");
        }
        // Within one user's own files every step is that user's: fine.
        fs::write(root.join("evil/own.pid"), "1").unwrap();
        chown(root.join("evil/own.pid"), Some(65534), Some(65534)).unwrap();
        assert!(chase(Path::new("/evil/own.pid"), root, ChaseFlags::SAFE).is_ok());
        // A file root owns inside the user's directory is a step from the user to root.
        fs::write(root.join("evil/roots.pid"), "1").unwrap();
        let refused = chase(Path::new("/evil/roots.pid"), root, ChaseFlags::SAFE);
        assert_eq!(refused.unwrap_err().errno(), libc::ENOLINK);
    }

    /// CHASE_MKDIR_0755 from a descriptor: the start directory is renamed away and a symlink
    /// to elsewhere put in its place after it was opened (what a user owning the parent could
    /// do between a check and a path-based mkdir -p); the parents are made in the directory
    /// that was opened, nothing elsewhere.
    #[test]
    fn mkdir_makes_parents_from_the_descriptor_not_the_path() {
        let t = tree();
        let root = t.path();
        fs::create_dir(root.join("base")).unwrap();
        let start = chase(Path::new("/base"), root, ChaseFlags::default()).unwrap();
        fs::rename(root.join("base"), root.join("moved")).unwrap();
        symlink("/etc", root.join("base")).unwrap();
        let flags = ChaseFlags {
            mkdir_0755: true,
            ..ChaseFlags::SAFE
        };
        let made = chase_from(&start, Path::new("a/b"), root, flags).unwrap();
        assert!(root.join("moved/a/b").is_dir());
        assert!(!root.join("etc/a").exists());
        assert!(made.fd.is_some());
        // Without the flag a missing component is ENOENT, as before.
        let missing = chase_from(&start, Path::new("c/d"), root, ChaseFlags::SAFE);
        assert_eq!(missing.unwrap_err().errno(), libc::ENOENT);
    }

    /// chase_from() trusts its start whoever owns it (a base such as /var/lib shows as the
    /// overflow uid in a user namespace) and checks every step below it: a user's symlink into
    /// root's files is refused there. chase_below() re-chased the whole path unchecked when the
    /// unsafe step was at the base. Needs root to hand directories to other uids.
    #[test]
    fn from_a_start_of_another_owner_the_steps_below_are_still_checked() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let t = tree();
        let root = t.path();
        fs::create_dir_all(root.join("base/svc")).unwrap();
        chown(root.join("base"), Some(65533), Some(65533)).unwrap();
        chown(root.join("base/svc"), Some(65534), Some(65534)).unwrap();
        symlink("/etc", root.join("base/svc/link")).unwrap();
        std::os::unix::fs::lchown(root.join("base/svc/link"), Some(65534), Some(65534)).unwrap();
        let start = chase(Path::new("/base"), root, ChaseFlags::default()).unwrap();
        // base (65533) -> svc (65534) would be unsafe; the start is trusted.
        assert!(chase_from(&start, Path::new("svc"), root, ChaseFlags::SAFE).is_ok());
        let refused = chase_from(&start, Path::new("svc/link/a.conf"), root, ChaseFlags::SAFE);
        assert_eq!(refused.unwrap_err().errno(), libc::ENOLINK);
        // A directory made by root inside the user's directory is entered.
        let flags = ChaseFlags {
            mkdir_0755: true,
            ..ChaseFlags::SAFE
        };
        let made = chase_from(&start, Path::new("svc/new/deeper"), root, flags).unwrap();
        assert_eq!(made.path, root.join("base/svc/new/deeper"));
    }
}
