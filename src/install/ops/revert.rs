//! install.c's unit_file_revert() (systemd 252 `src/shared/install.c`).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Flags, Op, Outcome};
use crate::install::paths::InstallPaths;
use crate::install::{Change, InstallError};
use crate::unit::name::UnitName;
use crate::unit::paths::{Last, LookupPaths};

/// `systemctl revert NAME…`: back to the vendor version. Drop-in directories in the
/// configuration and control directories go, and where a vendor unit file exists, so do the
/// configuration copies and links of the unit itself; then links to what was removed.
pub fn revert(lookup: &LookupPaths, names: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, Flags::default());
    let mut todo: Vec<PathBuf> = Vec::new();
    let config_dirs = [
        paths.persistent_config.clone(),
        paths.runtime_config.clone(),
        paths.persistent_control.clone(),
        paths.runtime_control.clone(),
    ];
    for name in names {
        if !UnitName::is_valid(name) {
            return op.finish(Err(InstallError::Invalid(name.clone())));
        }
        let mut has_vendor = false;
        for dir in &paths.search {
            let dropin = dir.join(format!("{name}.d"));
            let is_dir = || paths.fs.metadata(&dropin).is_ok_and(|m| m.is_dir());
            if config_dirs.contains(dir) && is_dir() && !todo.contains(&dropin) {
                todo.push(dropin);
            }
            let file = dir.join(name);
            let vendor = !config_dirs.contains(dir) && paths.transient.as_ref() != Some(dir);
            if vendor && paths.fs.symlink_metadata(&file).is_ok() {
                has_vendor = true;
            }
        }
        if !has_vendor {
            continue;
        }
        for dir in &config_dirs {
            let file = dir.join(name);
            let is_file_or_link = paths
                .fs
                .symlink_metadata(&file)
                .is_ok_and(|m| m.is_file() || m.file_type().is_symlink());
            if is_file_or_link && !todo.contains(&file) {
                todo.push(file);
            }
        }
    }
    let mut removals: Vec<PathBuf> = Vec::new();
    let mut marked = HashSet::new();
    // A directory itself, not a symlink to one.
    let is_real_dir = |p: &Path| paths.fs.symlink_metadata(p).is_ok_and(|m| m.is_dir());
    for path in &todo {
        if is_real_dir(path) {
            for e in paths.fs.list_dir(path).iter().flat_map(|l| l.iter()) {
                op.changes.push(Change::Unlink {
                    path: path.join(&e.name),
                });
            }
        }
        op.changes.push(Change::Unlink { path: path.clone() });
        removals.push(path.clone());
        marked.insert(paths.skip_root(path).display().to_string());
    }
    // Directory trees are not symlinks: remove them directly (after computing everything).
    let mut r = Ok(0);
    for config in [
        paths.runtime_config.clone(),
        paths.persistent_config.clone(),
    ] {
        let q = op
            .plan
            .remove_marked_symlinks(&paths, &mut marked, &config, &mut op.changes);
        if q.is_err() && r.is_ok() {
            r = Err(InstallError::Linked(config.display().to_string()));
        }
    }
    for path in removals {
        let removed =
            paths
                .fs
                .on_disk(&path, Last::NoFollow)
                .and_then(|real| match is_real_dir(&path) {
                    true => fs::remove_dir_all(real),
                    false => fs::remove_file(real),
                });
        if let Err(e) = removed {
            if e.kind() != std::io::ErrorKind::NotFound && r.is_ok() {
                r = Err(InstallError::io(&path, e));
            }
        }
    }
    op.finish(r)
}
