//! install.c's unit_file_link() (systemd 252 `src/shared/install.c`).

use std::path::Path;

use super::{Flags, Op, Outcome};
use crate::install::paths::InstallPaths;
use crate::install::{ChangeError, InstallError};
use crate::unit::name::UnitName;
use crate::unit::paths::LookupPaths;

/// `systemctl link PATH…`: link unit files from outside the search path into it. Paths are
/// absolute paths inside the root.
pub fn link(lookup: &LookupPaths, flags: Flags, files: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    let mut todo = Vec::new();
    for file in files {
        let inside = Path::new(file);
        if !inside.is_absolute() {
            op.fail(ChangeError::Other {
                path: file.clone(),
                reason: "Invalid argument".into(),
            });
            return op.finish(Err(InstallError::Invalid(file.clone())));
        }
        let base = inside
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !UnitName::is_valid(&base) {
            op.fail(ChangeError::InvalidName { name: file.clone() });
            return op.finish(Err(InstallError::Invalid(file.clone())));
        }
        let real = paths.real(inside);
        let problem = match paths.fs.symlink_metadata(&real) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Some(InstallError::NotFound(file.clone()))
            }
            Err(e) => Some(InstallError::io(&real, e)),
            Ok(m) if m.file_type().is_symlink() => Some(InstallError::Linked(file.clone())),
            // 252's errnos, which systemctl prints without the path.
            Ok(m) if m.is_dir() => Some(InstallError::io(
                &real,
                std::io::Error::from_raw_os_error(libc::EISDIR),
            )),
            Ok(m) if !m.is_file() => Some(InstallError::io(
                &real,
                std::io::Error::from_raw_os_error(libc::EBADFD),
            )),
            Ok(_) => None,
        };
        if let Some(e) = problem {
            op.fail(ChangeError::from_error(&e, file));
            return op.finish(Err(e));
        }
        // 252 compares the path as given, without the root, with the rooted search path: below
        // a root a file in the search path is linked (and collides) like any other.
        if paths.in_search_path(inside) {
            continue;
        }
        todo.push((inside.to_path_buf(), base));
    }
    let mut r = Ok(0);
    for (inside, base) in todo {
        let link = op.config.join(&base);
        if op
            .plan
            .create_symlink(&paths, &inside, &link, flags.force, &mut op.changes)
            .is_err()
            && r.is_ok()
        {
            r = Err(InstallError::Exists(link.display().to_string()));
        }
    }
    op.finish(r)
}
