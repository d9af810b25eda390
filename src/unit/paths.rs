//! Unit search paths of systemd.unit(5) "Unit File Load Path" (lookup-paths.c), for the system,
//! `--user` and `--global` scopes, as systemd 252 builds them on a split-/usr system like Debian's,
//! every one of them below `--root=DIR`. `$SYSTEMD_UNIT_PATH` overrides them as it does in systemd.
//!
//! [`on_disk`] is how every reader and writer of unit files below a root names a file to the
//! kernel: resolved with chase_symlinks() (src/basic/chase-symlinks.c, `CHASE_PREFIX_ROOT`), so
//! an absolute symlink such as `DIR/etc/systemd/system -> /data/etc/systemd/system` leads to
//! `DIR/data/…`, never to the host's `/data`.

use std::env;
use std::io;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

use crate::sys::chase::{chase, ChaseFlags};

#[derive(Debug, Error)]
pub enum PathsError {
    #[error("Failed to determine the home directory of the user manager: $HOME is not set")]
    NoHome,
    #[error("--root= must name a directory: {0}")]
    BadRoot(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    System,
    User,
    Global,
}

/// Where a unit file lives, which decides enablement states like `enabled-runtime` or `linked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// /etc/systemd/system and the other admin directories.
    PersistentConfig,
    /// /run/systemd/system.
    RuntimeConfig,
    /// system.control and transient directories.
    Control,
    Transient,
    Generator,
    /// /usr/lib, /lib, /usr/local/lib: what packages ship.
    Vendor,
    /// Not in the search path at all.
    Outside,
}

#[derive(Debug, Clone)]
pub struct LookupPaths {
    pub scope: Scope,
    /// The `--root=` directory; `/` without one.
    pub root: PathBuf,
    /// Search path in order of precedence, as paths inside the root.
    pub search: Vec<PathBuf>,
    pub persistent_config: PathBuf,
    pub runtime_config: PathBuf,
    pub persistent_control: PathBuf,
    pub runtime_control: PathBuf,
    pub transient: Option<PathBuf>,
    pub generators: Vec<PathBuf>,
    pub attached: Vec<PathBuf>,
    /// Preset directories in order of precedence.
    pub preset_dirs: Vec<PathBuf>,
}

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

fn xdg_dirs(var: &str, default: &str) -> Vec<PathBuf> {
    let value = env::var(var).ok().filter(|v| !v.is_empty());
    value
        .as_deref()
        .unwrap_or(default)
        .split(':')
        .filter(|d| d.starts_with('/'))
        .map(PathBuf::from)
        .collect()
}

impl LookupPaths {
    pub fn new(scope: Scope, root: Option<&Path>) -> Result<LookupPaths, PathsError> {
        let root = match root {
            Some(r) => {
                let abs = if r.is_absolute() {
                    r.to_path_buf()
                } else {
                    env::current_dir()
                        .map_err(|_| PathsError::BadRoot(r.display().to_string()))?
                        .join(r)
                };
                normalize(&abs)
            }
            None => p("/"),
        };
        let mut lp = match scope {
            Scope::System => Self::system(root),
            Scope::Global => Self::global(root),
            Scope::User => Self::user(root)?,
        };
        if let Ok(overrides) = env::var("SYSTEMD_UNIT_PATH") {
            let mut search: Vec<PathBuf> = overrides
                .split(':')
                .filter(|d| d.starts_with('/'))
                .map(PathBuf::from)
                .collect();
            if overrides.ends_with(':') {
                search.append(&mut lp.search);
            }
            lp.search = search;
        }
        Ok(lp)
    }

    fn system(root: PathBuf) -> LookupPaths {
        let generators = vec![
            p("/run/systemd/generator.early"),
            p("/run/systemd/generator"),
            p("/run/systemd/generator.late"),
        ];
        LookupPaths {
            scope: Scope::System,
            root,
            search: vec![
                p("/etc/systemd/system.control"),
                p("/run/systemd/system.control"),
                p("/run/systemd/transient"),
                p("/run/systemd/generator.early"),
                p("/etc/systemd/system"),
                p("/etc/systemd/system.attached"),
                p("/run/systemd/system"),
                p("/run/systemd/system.attached"),
                p("/run/systemd/generator"),
                p("/usr/local/lib/systemd/system"),
                p("/lib/systemd/system"),
                p("/usr/lib/systemd/system"),
                p("/run/systemd/generator.late"),
            ],
            persistent_config: p("/etc/systemd/system"),
            runtime_config: p("/run/systemd/system"),
            persistent_control: p("/etc/systemd/system.control"),
            runtime_control: p("/run/systemd/system.control"),
            transient: Some(p("/run/systemd/transient")),
            generators,
            attached: vec![
                p("/etc/systemd/system.attached"),
                p("/run/systemd/system.attached"),
            ],
            preset_dirs: vec![
                p("/etc/systemd/system-preset"),
                p("/run/systemd/system-preset"),
                p("/usr/local/lib/systemd/system-preset"),
                p("/lib/systemd/system-preset"),
                p("/usr/lib/systemd/system-preset"),
            ],
        }
    }

    fn global(root: PathBuf) -> LookupPaths {
        LookupPaths {
            scope: Scope::Global,
            root,
            search: vec![
                p("/etc/systemd/user"),
                p("/run/systemd/user"),
                p("/usr/local/share/systemd/user"),
                p("/usr/share/systemd/user"),
                p("/usr/local/lib/systemd/user"),
                p("/usr/lib/systemd/user"),
            ],
            persistent_config: p("/etc/systemd/user"),
            runtime_config: p("/run/systemd/user"),
            persistent_control: p("/etc/systemd/user.control"),
            runtime_control: p("/run/systemd/user.control"),
            transient: None,
            generators: vec![],
            attached: vec![],
            preset_dirs: user_preset_dirs(),
        }
    }

    fn user(root: PathBuf) -> Result<LookupPaths, PathsError> {
        let home = env::var("HOME")
            .ok()
            .filter(|h| h.starts_with('/'))
            .ok_or(PathsError::NoHome)?;
        let config_home = env::var("XDG_CONFIG_HOME")
            .ok()
            .filter(|v| v.starts_with('/'))
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(&home).join(".config"));
        let data_home = env::var("XDG_DATA_HOME")
            .ok()
            .filter(|v| v.starts_with('/'))
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(&home).join(".local/share"));
        let runtime = env::var("XDG_RUNTIME_DIR")
            .ok()
            .filter(|v| v.starts_with('/'))
            .map(|r| Path::new(&r).join("systemd"));

        let persistent_config = config_home.join("systemd/user");
        let persistent_control = config_home.join("systemd/user.control");
        let mut search = vec![persistent_control.clone()];
        let mut generators = vec![];
        if let Some(rt) = &runtime {
            search.push(rt.join("user.control"));
            search.push(rt.join("transient"));
            search.push(rt.join("generator.early"));
            generators.push(rt.join("generator.early"));
        }
        search.push(persistent_config.clone());
        for d in xdg_dirs("XDG_CONFIG_DIRS", "/etc/xdg") {
            search.push(d.join("systemd/user"));
        }
        search.push(p("/etc/systemd/user"));
        if let Some(rt) = &runtime {
            search.push(rt.join("user"));
        }
        search.push(p("/run/systemd/user"));
        if let Some(rt) = &runtime {
            search.push(rt.join("generator"));
            generators.push(rt.join("generator"));
        }
        search.push(data_home.join("systemd/user"));
        for d in xdg_dirs("XDG_DATA_DIRS", "/usr/local/share:/usr/share") {
            search.push(d.join("systemd/user"));
        }
        search.push(p("/usr/local/lib/systemd/user"));
        search.push(p("/usr/lib/systemd/user"));
        if let Some(rt) = &runtime {
            search.push(rt.join("generator.late"));
            generators.push(rt.join("generator.late"));
        }
        let runtime_config = runtime
            .as_ref()
            .map(|rt| rt.join("user"))
            .unwrap_or_else(|| p("/run/systemd/user"));
        let runtime_control = runtime
            .as_ref()
            .map(|rt| rt.join("user.control"))
            .unwrap_or_else(|| p("/run/systemd/user.control"));
        Ok(LookupPaths {
            scope: Scope::User,
            root,
            search,
            persistent_config,
            runtime_config,
            persistent_control,
            runtime_control,
            transient: runtime.as_ref().map(|rt| rt.join("transient")),
            generators,
            attached: vec![],
            preset_dirs: user_preset_dirs(),
        })
    }

    pub fn has_root(&self) -> bool {
        self.root != Path::new("/")
    }

    /// A path inside the root as the filesystem sees it: `/etc/x` → `ROOT/etc/x`.
    pub fn real(&self, inside: &Path) -> PathBuf {
        let rel = inside.strip_prefix("/").unwrap_or(inside);
        self.root.join(rel)
    }

    /// The inverse of [`LookupPaths::real`]; `None` when the path is outside the root.
    pub fn inside(&self, real: &Path) -> Option<PathBuf> {
        let rel = real.strip_prefix(&self.root).ok()?;
        Some(Path::new("/").join(rel))
    }

    /// [`on_disk`] for `inside`, a path inside the root.
    pub fn on_disk(&self, inside: &Path, last: Last) -> io::Result<PathBuf> {
        on_disk(&self.root, &self.real(inside), last)
    }

    /// Which kind of directory holds `inside` (a path inside the root).
    pub fn origin(&self, inside: &Path) -> Origin {
        let parent_is = |dir: &Path| inside.parent() == Some(dir);
        let under = |dir: &Path| inside.starts_with(dir);
        if parent_is(&self.persistent_control) || parent_is(&self.runtime_control) {
            Origin::Control
        } else if self.transient.as_deref().is_some_and(parent_is) {
            Origin::Transient
        } else if self.generators.iter().any(|g| parent_is(g)) {
            Origin::Generator
        } else if under(&self.runtime_config) || self.attached.iter().any(|a| parent_is(a)) {
            Origin::RuntimeConfig
        } else if under(&self.persistent_config) {
            Origin::PersistentConfig
        } else if self.search.iter().any(|d| parent_is(d)) {
            Origin::Vendor
        } else {
            Origin::Outside
        }
    }

    /// The directory holding `inside` when it is one of the search path's, directly.
    pub fn search_dir_of(&self, inside: &Path) -> Option<&Path> {
        let parent = inside.parent()?;
        self.search
            .iter()
            .find(|d| d.as_path() == parent)
            .map(|d| d.as_path())
    }
}

fn user_preset_dirs() -> Vec<PathBuf> {
    vec![
        p("/etc/systemd/user-preset"),
        p("/run/systemd/user-preset"),
        p("/usr/local/lib/systemd/user-preset"),
        p("/usr/lib/systemd/user-preset"),
    ]
}

/// Whether a symlink as the last component of a path is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Last {
    /// As open() and stat() take it: the file a symlink leads to.
    Follow,
    /// As lstat(), readlink(), unlink() and symlink() take it: the link itself.
    NoFollow,
}

/// The path to hand to the kernel for `real` (a path below `root`, as [`LookupPaths::real`]
/// makes them) so that it names what chase_symlinks() with `CHASE_PREFIX_ROOT` finds: every
/// symlink on the way resolved inside the root (an absolute target starts again at the root, `..`
/// stops there), the last one too with [`Last::Follow`]. What does not exist yet is appended as
/// it is (`CHASE_NONEXISTENT`: a path about to be created). Without a root the kernel resolves
/// exactly so, and the path is returned unchanged. What lies outside the root is refused
/// (`EXDEV`): nothing below a root is read or written anywhere else.
pub fn on_disk(root: &Path, real: &Path, last: Last) -> io::Result<PathBuf> {
    if root == Path::new("/") {
        return Ok(real.to_path_buf());
    }
    let inside = real
        .strip_prefix(root)
        .map_err(|_| io::Error::from_raw_os_error(libc::EXDEV))?;
    let flags = ChaseFlags {
        nofollow: last == Last::NoFollow,
        ..ChaseFlags::NONEXISTENT
    };
    chase(&Path::new("/").join(inside), root, flags)
        .map(|chased| chased.path)
        .map_err(|e| io::Error::from_raw_os_error(e.errno()))
}

/// Lexical normalisation (no symlinks followed): `a/./b/../c` → `a/c`.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("/");
                }
                if out.as_os_str().is_empty() {
                    out.push("/");
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push("/");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_search_path_matches_systemd_analyze_unit_paths() {
        let lp = LookupPaths::new(Scope::System, None).unwrap();
        assert_eq!(lp.search.len(), 13);
        assert_eq!(lp.search[4], p("/etc/systemd/system"));
        assert_eq!(lp.search[10], p("/lib/systemd/system"));
        assert_eq!(
            lp.origin(Path::new("/lib/systemd/system/x.service")),
            Origin::Vendor
        );
        assert_eq!(
            lp.origin(Path::new(
                "/etc/systemd/system/multi-user.target.wants/x.service"
            )),
            Origin::PersistentConfig
        );
        assert_eq!(
            lp.origin(Path::new("/run/systemd/system/x.service")),
            Origin::RuntimeConfig
        );
        assert_eq!(lp.origin(Path::new("/opt/x.service")), Origin::Outside);
    }

    #[test]
    fn on_disk_resolves_symlinks_inside_the_root_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("data/etc/systemd/system")).unwrap();
        std::fs::create_dir_all(root.join("etc/systemd")).unwrap();
        std::os::unix::fs::symlink("/data/etc/systemd/system", root.join("etc/systemd/system"))
            .unwrap();
        let lp = LookupPaths::new(Scope::System, Some(root)).unwrap();
        let wants = Path::new("/etc/systemd/system/multi-user.target.wants/h.service");
        assert_eq!(
            lp.on_disk(wants, Last::NoFollow).unwrap(),
            root.join("data/etc/systemd/system/multi-user.target.wants/h.service")
        );
        // The link itself, or where it leads.
        let link = Path::new("/etc/systemd/system");
        assert_eq!(lp.on_disk(link, Last::NoFollow).unwrap(), lp.real(link));
        assert_eq!(
            lp.on_disk(link, Last::Follow).unwrap(),
            root.join("data/etc/systemd/system")
        );
        // Outside the root there is nothing to name; without a root the kernel resolves.
        let outside = on_disk(root, Path::new("/etc/passwd"), Last::Follow).unwrap_err();
        assert_eq!(outside.raw_os_error(), Some(libc::EXDEV));
        let host = on_disk(Path::new("/"), Path::new("/etc/x"), Last::Follow).unwrap();
        assert_eq!(host, p("/etc/x"));
    }

    #[test]
    fn root_prefix_is_applied_and_removed() {
        let lp = LookupPaths::new(Scope::System, Some(Path::new("/tmp/r/../root"))).unwrap();
        assert_eq!(lp.root, p("/tmp/root"));
        assert_eq!(lp.real(Path::new("/etc/x")), p("/tmp/root/etc/x"));
        assert_eq!(lp.inside(Path::new("/tmp/root/etc/x")), Some(p("/etc/x")));
    }
}
