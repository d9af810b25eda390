//! The search path as install.c sees it after lookup_paths_init() with a root: every directory
//! prefixed with the root, and the predicates install.c asks of a path (is it in a configuration,
//! runtime, generator or transient directory).

use std::path::{Path, PathBuf};

use super::fsview::FsView;
use super::InstallError;
use crate::unit::paths::{normalize, LookupPaths, Scope};

/// What a search directory is to `is-enabled`, worked out once per call.
#[derive(Debug, Clone, Copy)]
pub struct SearchRole {
    /// The persistent configuration directory itself.
    pub persistent: bool,
    /// Links here make a unit `enabled` (persistent config, or a user config directory).
    pub config: bool,
    /// Links here make a unit `enabled-runtime`.
    pub runtime: bool,
}

/// [`LookupPaths`] with every directory as a real path below the root.
#[derive(Debug, Clone)]
pub struct InstallPaths {
    pub scope: Scope,
    pub root: PathBuf,
    pub has_root: bool,
    pub search: Vec<PathBuf>,
    pub persistent_config: PathBuf,
    pub runtime_config: PathBuf,
    pub persistent_control: PathBuf,
    pub runtime_control: PathBuf,
    pub transient: Option<PathBuf>,
    pub generators: Vec<PathBuf>,
    pub lookup: LookupPaths,
    /// `/run` below the root.
    run_dir: PathBuf,
    /// One per `search` entry.
    roles: Vec<SearchRole>,
    /// How files are looked at: live, or a snapshot for passes that write nothing.
    pub fs: FsView,
}

impl InstallPaths {
    /// systemd 252 refuses `--user` together with `--root` (lookup_paths_init() returns EINVAL).
    pub fn new(lp: &LookupPaths) -> Result<InstallPaths, InstallError> {
        if lp.scope == Scope::User && lp.has_root() {
            return Err(InstallError::Invalid("--user with --root".into()));
        }
        let mut paths = InstallPaths {
            scope: lp.scope,
            root: lp.root.clone(),
            has_root: lp.has_root(),
            search: lp.search.iter().map(|d| lp.real(d)).collect(),
            persistent_config: lp.real(&lp.persistent_config),
            runtime_config: lp.real(&lp.runtime_config),
            persistent_control: lp.real(&lp.persistent_control),
            runtime_control: lp.real(&lp.runtime_control),
            transient: lp.transient.as_ref().map(|t| lp.real(t)),
            generators: lp.generators.iter().map(|g| lp.real(g)).collect(),
            lookup: lp.clone(),
            run_dir: lp.real(Path::new("/run")),
            roles: Vec::new(),
            fs: FsView::live(&lp.root),
        };
        paths.roles = paths
            .search
            .iter()
            .map(|dir| SearchRole {
                persistent: *dir == paths.persistent_config,
                config: *dir == paths.persistent_config || paths.is_user_config_dir(dir),
                runtime: paths.is_runtime(dir, false),
            })
            .collect();
        Ok(paths)
    }

    pub fn search_roles(&self) -> &[SearchRole] {
        &self.roles
    }

    /// For read-only passes over many units (list-unit-files): every directory is read once.
    pub fn snapshot(lp: &LookupPaths) -> Result<InstallPaths, InstallError> {
        Ok(InstallPaths {
            fs: FsView::snapshot(&lp.root),
            ..InstallPaths::new(lp)?
        })
    }

    /// For a read-only question about one unit (is-enabled, show): answers are remembered, but
    /// no directory is listed just to learn that a name is absent.
    pub fn memo(lp: &LookupPaths) -> Result<InstallPaths, InstallError> {
        Ok(InstallPaths {
            fs: FsView::memo(&lp.root),
            ..InstallPaths::new(lp)?
        })
    }

    /// A path as written into a symlink: the real path with the root removed (skip_root()).
    pub fn skip_root(&self, real: &Path) -> PathBuf {
        self.lookup
            .inside(real)
            .unwrap_or_else(|| real.to_path_buf())
    }

    /// `inside` (an absolute path within the root) as a real path.
    pub fn real(&self, inside: &Path) -> PathBuf {
        self.lookup.real(inside)
    }

    /// Where a symlink at `link` pointing to `target` leads, lexically: relative targets are
    /// taken from the link's directory, absolute ones from the root. Resolved inside the root,
    /// where `..` stops at `/`, as chase_symlinks() with a root does: no link leads out of it.
    pub fn symlink_destination(&self, link: &Path, target: &Path) -> PathBuf {
        let inside = if target.is_absolute() {
            target.to_path_buf()
        } else {
            let dir = self.skip_root(link.parent().unwrap_or(Path::new("/")));
            dir.join(target)
        };
        self.real(&normalize(&inside))
    }

    fn parent_in(path: &Path, dirs: &[&Path]) -> bool {
        path.parent().is_some_and(|p| dirs.contains(&p))
    }

    /// path_is_config(): the parent is the persistent or runtime configuration directory.
    pub fn is_config(&self, path: &Path) -> bool {
        Self::parent_in(path, &[&self.persistent_config, &self.runtime_config])
    }

    pub fn is_generator(&self, path: &Path) -> bool {
        let gens: Vec<&Path> = self.generators.iter().map(PathBuf::as_path).collect();
        Self::parent_in(path, &gens)
    }

    pub fn is_transient(&self, path: &Path) -> bool {
        self.transient
            .as_deref()
            .is_some_and(|t| Self::parent_in(path, &[t]))
    }

    /// path_is_runtime(): everything below /run, and the runtime directories themselves.
    pub fn is_runtime(&self, path: &Path, check_parent: bool) -> bool {
        if path.starts_with(&self.run_dir) {
            return true;
        }
        let p = if check_parent {
            path.parent().unwrap_or(path)
        } else {
            path
        };
        p == self.runtime_config
            || self.generators.iter().any(|g| g == p)
            || self.transient.as_deref() == Some(p)
            || p == self.runtime_control
    }

    /// in_search_path(): the file's directory is one of the search path's.
    pub fn in_search_path(&self, path: &Path) -> bool {
        path.parent()
            .is_some_and(|p| self.search.iter().any(|d| d == p))
    }

    /// The search directory `path` is below, if any (path_startswith_strv()).
    pub fn under_search_path(&self, path: &Path) -> Option<&Path> {
        self.search
            .iter()
            .find(|d| path.starts_with(d))
            .map(PathBuf::as_path)
    }

    /// Whether user-scope enablement in `dir` counts as enabled (path_is_user_config_dir()).
    pub fn is_user_config_dir(&self, dir: &Path) -> bool {
        self.scope == Scope::User
            && (dir == self.persistent_config
                || self.skip_root(dir) == Path::new("/etc/systemd/user"))
    }
}
