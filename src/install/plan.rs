//! Symlink changes computed before anything is written: install.c's create_symlink() and
//! remove_marked_symlinks() decide against a view of the tree that includes the changes planned
//! so far, and [`Plan::apply`] then writes them, undoing what it wrote if a write fails.
//!
//! Paths are planned as the search path names them and resolved inside the root only when
//! read or written ([`FsView::on_disk`]): a link is created where the same symlinks that
//! `is-enabled` follows lead, never outside `--root=DIR` (252 hands them to the kernel as they
//! are, which follows an absolute symlink out of the root).

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::unix::fs::symlink;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::context::FOLLOW_LIMIT;
use super::fsview::FsView;
use super::paths::InstallPaths;
use super::{Change, ChangeError, InstallError};
use crate::unit::name::UnitName;
use crate::unit::paths::{normalize, Last};

#[derive(Debug, Clone)]
enum Op {
    Symlink { path: PathBuf, target: PathBuf },
    Unlink { path: PathBuf, stop_at: PathBuf },
}

/// What a planned or existing path is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Missing,
    Link(PathBuf),
    Other,
}

#[derive(Debug, Default)]
pub struct Plan {
    ops: Vec<Op>,
    /// Paths the plan has changed: `Some(target)` for a planned link, `None` for a removal.
    overlay: HashMap<PathBuf, Option<PathBuf>>,
}

impl Plan {
    fn node(&self, fs: &FsView, path: &Path) -> Node {
        if let Some(planned) = self.overlay.get(path) {
            return match planned {
                Some(t) => Node::Link(t.clone()),
                None => Node::Missing,
            };
        }
        match fs.symlink_metadata(path) {
            Err(_) => Node::Missing,
            Ok(m) if m.file_type().is_symlink() => match fs.read_link(path) {
                Ok(t) => Node::Link(t),
                Err(_) => Node::Other,
            },
            Ok(_) => Node::Other,
        }
    }

    /// Whether the plan writes a symlink at `path`.
    pub fn is_planned_link(&self, path: &Path) -> bool {
        matches!(self.overlay.get(path), Some(Some(_)))
    }

    pub fn is_planned_removed(&self, path: &Path) -> bool {
        matches!(self.overlay.get(path), Some(None))
    }

    /// create_symlink(): plan `new_path → old_path` (`old_path` a real path or one inside the
    /// root); an equivalent existing link is left alone, a different one replaced with `force`.
    pub fn create_symlink(
        &mut self,
        paths: &InstallPaths,
        old_path: &Path,
        new_path: &Path,
        force: bool,
        changes: &mut Vec<Change>,
    ) -> Result<(), ()> {
        let old = if old_path.starts_with(&paths.root) && paths.has_root {
            paths.skip_root(old_path)
        } else {
            old_path.to_path_buf()
        };
        let new_display = new_path.display().to_string();
        match self.node(&paths.fs, new_path) {
            Node::Missing => {}
            Node::Other => {
                changes.push(Change::Failed(ChangeError::Exists {
                    path: new_display,
                    target: None,
                }));
                return Err(());
            }
            Node::Link(dest) => {
                if self.equivalent(paths, new_path, &dest, &old) {
                    return Ok(());
                }
                if !force {
                    changes.push(Change::Failed(ChangeError::Exists {
                        path: new_display,
                        target: Some(dest.display().to_string()),
                    }));
                    return Err(());
                }
                self.ops.push(Op::Unlink {
                    path: new_path.to_path_buf(),
                    stop_at: new_path.to_path_buf(),
                });
                changes.push(Change::Unlink {
                    path: new_path.to_path_buf(),
                });
            }
        }
        self.ops.push(Op::Symlink {
            path: new_path.to_path_buf(),
            target: old.clone(),
        });
        self.overlay
            .insert(new_path.to_path_buf(), Some(old.clone()));
        changes.push(Change::Symlink {
            path: new_path.to_path_buf(),
            target: old.display().to_string(),
        });
        Ok(())
    }

    /// chroot_unit_symlinks_equivalent().
    fn equivalent(&self, paths: &InstallPaths, src: &Path, a: &Path, b: &Path) -> bool {
        let a = paths.symlink_destination(src, a);
        let b = paths.symlink_destination(src, b);
        if a == b {
            return true;
        }
        if let (Ok(ma), Ok(mb)) = (paths.fs.metadata(&a), paths.fs.metadata(&b)) {
            if ma.dev() == mb.dev() && ma.ino() == mb.ino() {
                return true;
            }
        }
        a.file_name() == b.file_name()
            && paths.under_search_path(&a).is_some()
            && paths.under_search_path(&b).is_some()
    }

    /// Plan the removal of one symlink (unmask's direct removal).
    pub fn unlink(&mut self, path: &Path, stop_at: &Path, changes: &mut Vec<Change>) {
        self.ops.push(Op::Unlink {
            path: path.to_path_buf(),
            stop_at: stop_at.to_path_buf(),
        });
        self.overlay.insert(path.to_path_buf(), None);
        changes.push(Change::Unlink {
            path: path.to_path_buf(),
        });
    }

    /// Where a symlink chain below the root ends, seeing planned changes (chase_symlinks() with
    /// CHASE_NONEXISTENT).
    fn chase(&self, paths: &InstallPaths, start: &Path) -> Result<PathBuf, ()> {
        let mut current = normalize(start);
        for _ in 0..=FOLLOW_LIMIT {
            match self.node(&paths.fs, &current) {
                Node::Link(t) => current = paths.symlink_destination(&current, &t),
                _ => return Ok(current),
            }
        }
        Err(())
    }

    /// remove_marked_symlinks(): below `config_path`, remove every symlink named in `marked`,
    /// whose template is, or which leads to a marked name; each removal marks the removed
    /// path, and the scan repeats until nothing more is found.
    pub fn remove_marked_symlinks(
        &mut self,
        paths: &InstallPaths,
        marked: &mut HashSet<String>,
        config_path: &Path,
        changes: &mut Vec<Change>,
    ) -> Result<(), ()> {
        let is_dir = paths.fs.metadata(config_path).is_ok_and(|m| m.is_dir());
        if marked.is_empty() || !is_dir {
            return Ok(());
        }
        let mut result = Ok(());
        loop {
            let mut restart = false;
            let mut scan = Scan {
                config_path,
                visited: HashSet::new(),
                restart: &mut restart,
                result: &mut result,
            };
            self.remove_in_dir(paths, marked, config_path, &mut scan, changes);
            if !restart {
                return result;
            }
        }
    }

    fn remove_in_dir(
        &mut self,
        paths: &InstallPaths,
        marked: &mut HashSet<String>,
        dir: &Path,
        scan: &mut Scan,
        changes: &mut Vec<Change>,
    ) {
        // A directory reached twice (through a symlinked `.wants`) is scanned once.
        let Ok(meta) = paths.fs.metadata(dir) else {
            return;
        };
        if !scan.visited.insert((meta.dev(), meta.ino())) {
            return;
        }
        let Some(entries) = paths.fs.list_dir(dir) else {
            return;
        };
        // Symlinks to directories are followed where enable writes through them.
        let dependency_dirs = paths.fs.dependency_dirs(dir);
        for e in entries.iter() {
            let p = dir.join(&e.name);
            if e.is_dir || e.is_symlink && dependency_dirs.contains(&p) {
                self.remove_in_dir(paths, marked, &p, scan, changes);
                continue;
            }
            let name = &e.name;
            if !e.is_symlink || self.is_planned_removed(&p) || !UnitName::is_valid(name) {
                continue;
            }
            let mut found = marked.contains(name)
                || UnitName::parse(name)
                    .ok()
                    .and_then(|n| n.template())
                    .is_some_and(|t| marked.contains(t.as_str()));
            if !found {
                match self.chase(paths, &p) {
                    Ok(dest) => {
                        let base = dest
                            .file_name()
                            .map(|f| f.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        found =
                            marked.contains(&dest.display().to_string()) || marked.contains(&base);
                    }
                    Err(()) => {
                        changes.push(Change::Failed(ChangeError::Linked {
                            path: p.display().to_string(),
                        }));
                        *scan.result = Err(());
                        continue;
                    }
                }
            }
            if !found {
                continue;
            }
            self.unlink(&p, scan.config_path, changes);
            if marked.insert(paths.skip_root(&p).display().to_string()) {
                *scan.restart = true;
            }
        }
    }

    /// Write the plan. On the first failure, undo everything written so far and report which
    /// file failed; the tree is then as it was before.
    pub fn apply(self, fs: &FsView) -> Result<(), InstallError> {
        let mut undo: Vec<Undo> = Vec::new();
        for op in &self.ops {
            if let Err(e) = apply_op(fs, op, &mut undo) {
                for u in undo.into_iter().rev() {
                    u.revert();
                }
                return Err(e);
            }
        }
        Ok(())
    }
}

/// One pass of remove_marked_symlinks() over a configuration directory.
struct Scan<'a> {
    config_path: &'a Path,
    /// Directories scanned, by device and inode.
    visited: HashSet<(u64, u64)>,
    /// Set when a removal marked a new name: the pass is run again.
    restart: &'a mut bool,
    result: &'a mut Result<(), ()>,
}

/// A written change and how to take it back. Paths are as written: resolved inside the root.
enum Undo {
    CreatedDir(PathBuf),
    CreatedLink(PathBuf),
    RemovedLink(PathBuf, PathBuf),
    RemovedDir(PathBuf),
}

impl Undo {
    fn revert(self) {
        // Best effort: a failure here leaves nothing worse than the failure being reported.
        let _ = match self {
            Undo::CreatedDir(d) => std::fs::remove_dir(d),
            Undo::CreatedLink(l) => std::fs::remove_file(l),
            Undo::RemovedLink(l, t) => symlink(t, l),
            Undo::RemovedDir(d) => std::fs::create_dir(d),
        };
    }
}

/// mkdir_parents() for `path`, already resolved inside the root: what is missing of it is
/// created as named (nothing that exists on the way is a symlink any more).
fn mkdir_parents(path: &Path, undo: &mut Vec<Undo>) -> Result<(), InstallError> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    let mut missing = Vec::new();
    let mut p = parent;
    while std::fs::symlink_metadata(p).is_err() {
        missing.push(p.to_path_buf());
        match p.parent() {
            Some(pp) => p = pp,
            None => break,
        }
    }
    for d in missing.into_iter().rev() {
        std::fs::create_dir(&d).map_err(|e| InstallError::io(&d, e))?;
        undo.push(Undo::CreatedDir(d));
    }
    Ok(())
}

fn apply_op(fs: &FsView, op: &Op, undo: &mut Vec<Undo>) -> Result<(), InstallError> {
    match op {
        Op::Symlink { path, target } => {
            let real = fs
                .on_disk(path, Last::NoFollow)
                .map_err(|e| InstallError::io(path, e))?;
            mkdir_parents(&real, undo).map_err(|e| named(e, &real, path))?;
            symlink(target, &real).map_err(|e| InstallError::io(path, e))?;
            undo.push(Undo::CreatedLink(real));
        }
        Op::Unlink { path, stop_at } => {
            let real = match fs.on_disk(path, Last::NoFollow) {
                Ok(real) => real,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(InstallError::io(path, e)),
            };
            let old = match std::fs::read_link(&real) {
                Ok(t) => t,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(InstallError::io(path, e)),
            };
            match std::fs::remove_file(&real) {
                Ok(()) => undo.push(Undo::RemovedLink(real, old)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(InstallError::io(path, e)),
            }
            // rmdir_parents(): drop directories the removal left empty, up to the config dir.
            // A directory that is a symlink stays, as rmdir() on it fails.
            let mut dir = path.parent();
            while let Some(d) = dir {
                if d == stop_at || !d.starts_with(stop_at) {
                    break;
                }
                let Ok(real) = fs.on_disk(d, Last::NoFollow) else {
                    break;
                };
                if std::fs::remove_dir(&real).is_err() {
                    break;
                }
                undo.push(Undo::RemovedDir(real));
                dir = d.parent();
            }
        }
    }
    Ok(())
}

/// An error about a directory created on the way, named as the plan names it when it is the
/// resolved form of one of the plan's own paths.
fn named(e: InstallError, real: &Path, planned: &Path) -> InstallError {
    match e {
        InstallError::Io { path, source } => {
            let shown = real
                .ancestors()
                .zip(planned.ancestors())
                .find(|(r, _)| *r == path)
                .map(|(_, p)| p.to_path_buf())
                .unwrap_or(path);
            InstallError::io(shown, source)
        }
        other => other,
    }
}
