//! install.c's unit_file_mask() and unit_file_unmask() (systemd 252 `src/shared/install.c`).

use std::collections::HashSet;
use std::path::Path;

use super::{Flags, Op, Outcome};
use crate::install::paths::InstallPaths;
use crate::install::InstallError;
use crate::unit::name::UnitName;
use crate::unit::paths::LookupPaths;

/// `systemctl mask`: a link to /dev/null in the configuration directory.
pub fn mask(lookup: &LookupPaths, flags: Flags, names: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    let mut r: Result<usize, InstallError> = Ok(0);
    for name in names {
        if !UnitName::is_valid(name) {
            if r.is_ok() {
                r = Err(InstallError::Invalid(name.clone()));
            }
            continue;
        }
        let link = op.config.join(name);
        let q = op.plan.create_symlink(
            &paths,
            Path::new("/dev/null"),
            &link,
            flags.force,
            &mut op.changes,
        );
        if q.is_err() && r.is_ok() {
            r = Err(InstallError::Exists(link.display().to_string()));
        }
    }
    op.finish(r)
}

/// `systemctl unmask`: remove a mask and the links to it.
pub fn unmask(lookup: &LookupPaths, flags: Flags, names: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    let mut todo: Vec<String> = Vec::new();
    for name in names {
        if !UnitName::is_valid(name) {
            return op.finish(Err(InstallError::Invalid(name.clone())));
        }
        let path = op.config.join(name);
        match paths.fs.metadata(&path) {
            Ok(m) if crate::install::context::null_or_empty(&m) => {
                if !todo.contains(name) {
                    todo.push(name.clone());
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return op.finish(Err(InstallError::io(path, e))),
        }
    }
    let mut marked = HashSet::new();
    for name in &todo {
        let path = op.config.join(name);
        let config = op.config.clone();
        op.plan.unlink(&path, &config, &mut op.changes);
        marked.insert(paths.skip_root(&path).display().to_string());
    }
    let r = op.remove_marked(&mut marked);
    op.finish(r)
}
