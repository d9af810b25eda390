//! path_simplify(), path_startswith() and the `--root` prefix, as systemd 252 `src/tmpfiles/tmpfiles.c` applies them to the
//! paths of lines.

use std::path::Path;

/// path_simplify(): no doubled slashes, no `.` components, no trailing slash.
pub fn simplify_path(p: &str) -> String {
    let absolute = p.starts_with('/');
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// path_startswith(): whether `path` lies at or below `prefix`, component by component.
pub fn path_starts_with(path: &str, prefix: &str) -> bool {
    if path.starts_with('/') != prefix.starts_with('/') {
        return false;
    }
    let mut path_parts = path.split('/').filter(|c| !c.is_empty());
    prefix
        .split('/')
        .filter(|c| !c.is_empty())
        .all(|want| path_parts.next() == Some(want))
}

pub(super) fn join_root(root: Option<&Path>, path: &str) -> String {
    match root {
        Some(r) if r != Path::new("/") => {
            simplify_path(&format!("{}/{}", r.display(), path.trim_start_matches('/')))
        }
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_compare_components() {
        assert!(path_starts_with("/run/foo", "/run"));
        assert!(path_starts_with("/run", "//run/"));
        assert!(!path_starts_with("/runx", "/run"));
    }
}
