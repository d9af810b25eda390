//! Where tmpfiles.d(5) configuration comes from (systemd-tmpfiles 252, Debian build): the system
//! directories, or the `--user` ones of user_config_paths(), all below `--root`; a file name in a
//! higher-priority directory hides the same name in lower ones, a symlink to /dev/null masks it, and the survivors are read in file-name order. Files named on the command line
//! are searched for in the same directories (a bare name) or opened as given (a path).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("Failed to open '{name}': {reason}")]
    Open { name: String, reason: String },
    #[error("Failed to cat {path}: {reason}")]
    Cat { path: String, reason: String },
}

/// The system directories, highest priority first (CONF_PATHS("tmpfiles.d") on a split-usr build).
pub const SYSTEM_DIRS: &[&str] = &[
    "/etc/tmpfiles.d",
    "/run/tmpfiles.d",
    "/usr/local/lib/tmpfiles.d",
    "/usr/lib/tmpfiles.d",
    "/lib/tmpfiles.d",
];

fn env_dirs(var: &str, default: &str) -> Vec<String> {
    let value = std::env::var(var).ok().filter(|v| !v.is_empty());
    value
        .as_deref()
        .unwrap_or(default)
        .split(':')
        .filter(|d| d.starts_with('/'))
        .map(str::to_string)
        .collect()
}

fn env_absolute(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| v.starts_with('/'))
}

fn home_relative(var: &str, below_home: &str) -> Option<String> {
    env_absolute(var).or_else(|| {
        env_absolute("HOME").map(|h| format!("{}/{below_home}", h.trim_end_matches('/')))
    })
}

/// user_config_paths(): `$XDG_CONFIG_DIRS`, the config home, the runtime directory, the data
/// home, then `$XDG_DATA_DIRS`, each with `user-tmpfiles.d` appended.
pub fn user_dirs() -> Vec<String> {
    const LEAF: &str = "/user-tmpfiles.d";
    let mut dirs: Vec<String> = env_dirs("XDG_CONFIG_DIRS", "/etc/xdg")
        .into_iter()
        .map(|d| format!("{d}{LEAF}"))
        .collect();
    dirs.extend(home_relative("XDG_CONFIG_HOME", ".config").map(|d| format!("{d}{LEAF}")));
    dirs.extend(env_absolute("XDG_RUNTIME_DIR").map(|d| format!("{d}{LEAF}")));
    dirs.extend(home_relative("XDG_DATA_HOME", ".local/share").map(|d| format!("{d}{LEAF}")));
    dirs.extend(
        env_dirs("XDG_DATA_DIRS", "/usr/local/share:/usr/share")
            .into_iter()
            .map(|d| format!("{d}{LEAF}")),
    );
    dirs
}

/// A path inside the root as a path on the host.
pub fn in_root(root: Option<&Path>, dir: &str) -> PathBuf {
    match root {
        Some(r) => r.join(dir.trim_start_matches('/')),
        None => PathBuf::from(dir),
    }
}

/// A masked entry: a link to /dev/null (an empty file is listed, and hides its namesakes, too).
fn is_masked(path: &Path) -> bool {
    fs::read_link(path).is_ok_and(|t| t == Path::new("/dev/null"))
}

/// The configuration files to read, in order (conf_files_list_with_replacement()). `replacement`
/// (`--replace=`, a path inside the root) takes the place of its namesake unless that one is in a
/// directory of higher priority, and is listed even though it need not exist.
pub fn list_files(root: Option<&Path>, dirs: &[String], replacement: Option<&str>) -> Vec<PathBuf> {
    let mut by_name: BTreeMap<String, (usize, PathBuf)> = BTreeMap::new();
    for (priority, dir) in dirs.iter().enumerate() {
        let Ok(entries) = fs::read_dir(in_root(root, dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') || !name.ends_with(".conf") {
                continue;
            }
            by_name
                .entry(name)
                .or_insert_with(|| (priority, entry.path()));
        }
    }
    if let Some(replacement) = replacement {
        let (dir, name) = replacement.rsplit_once('/').unwrap_or(("", replacement));
        let priority = dirs.iter().position(|d| d == dir).unwrap_or(dirs.len());
        let shadowed = by_name.get(name).is_some_and(|(p, _)| *p < priority);
        if !shadowed {
            by_name.insert(name.to_string(), (priority, in_root(root, replacement)));
        }
    }
    by_name
        .into_values()
        .map(|(_, path)| path)
        .filter(|p| !is_masked(p))
        .collect()
}

/// Where a file named on the command line is (search_and_fopen()): a name with a slash is opened
/// as given, a bare name is looked up in the configuration directories below the root.
pub fn find_named(
    root: Option<&Path>,
    dirs: &[String],
    name: &str,
) -> Result<PathBuf, ConfigError> {
    let not_found = |reason: &str| ConfigError::Open {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.contains('/') {
        return match fs::metadata(name) {
            Ok(_) => Ok(PathBuf::from(name)),
            Err(e) => Err(not_found(&crate::errno::text(&e))),
        };
    }
    dirs.iter()
        .map(|d| in_root(root, d).join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| not_found("No such file or directory"))
}

/// `--cat-config`: every file that would be read, each under a `# path` header; stops at the
/// first file that cannot be read, as cat_files() does.
pub fn cat(root: Option<&Path>, dirs: &[String], out: &mut dyn Write) -> Result<(), ConfigError> {
    for (n, file) in list_files(root, dirs, None).iter().enumerate() {
        let text = fs::read(file).map_err(|e| ConfigError::Cat {
            path: file.display().to_string(),
            reason: crate::errno::text(&e),
        })?;
        let separator = if n > 0 { "\n" } else { "" };
        let mut chunk = format!("{separator}# {}\n", file.display()).into_bytes();
        chunk.extend_from_slice(&text);
        if !chunk.ends_with(b"\n") {
            chunk.push(b'\n');
        }
        let _ = out.write_all(&chunk);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_directory_wins_and_files_sort_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (d, name, body) in [
            ("etc/tmpfiles.d", "b.conf", "d /etc-b\n"),
            ("usr/lib/tmpfiles.d", "b.conf", "d /usr-b\n"),
            ("usr/lib/tmpfiles.d", "a.conf", "d /usr-a\n"),
            ("etc/tmpfiles.d", "c.conf", ""),
            ("run/tmpfiles.d", "notes.txt", "x"),
            ("usr/lib/tmpfiles.d", "masked.conf", "d /masked\n"),
        ] {
            fs::create_dir_all(root.join(d)).unwrap();
            fs::write(root.join(d).join(name), body).unwrap();
        }
        std::os::unix::fs::symlink("/dev/null", root.join("etc/tmpfiles.d/masked.conf")).unwrap();
        let dirs: Vec<String> = SYSTEM_DIRS.iter().map(|s| s.to_string()).collect();
        let files = list_files(Some(root), &dirs, None);
        assert_eq!(
            files,
            vec![
                root.join("usr/lib/tmpfiles.d/a.conf"),
                root.join("etc/tmpfiles.d/b.conf"),
                root.join("etc/tmpfiles.d/c.conf")
            ]
        );
        assert_eq!(
            find_named(Some(root), &dirs, "b.conf").unwrap(),
            root.join("etc/tmpfiles.d/b.conf")
        );
        assert!(find_named(Some(root), &dirs, "zz.conf").is_err());
        let replaced = list_files(Some(root), &dirs, Some("/usr/lib/tmpfiles.d/a.conf"));
        assert_eq!(replaced[0], root.join("usr/lib/tmpfiles.d/a.conf"));
        let shadowed = list_files(Some(root), &dirs, Some("/usr/lib/tmpfiles.d/b.conf"));
        assert_eq!(shadowed[1], root.join("etc/tmpfiles.d/b.conf"));
        let added = list_files(Some(root), &dirs, Some("/run/tmpfiles.d/new.conf"));
        assert_eq!(added.last(), Some(&root.join("run/tmpfiles.d/new.conf")));
    }
}
