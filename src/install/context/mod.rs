//! install.c's InstallContext: finding a unit file along the search path
//! (unit_file_search()), telling regular files, masks, aliases and linked files apart
//! (unit_file_load_or_readlink()), following aliases (install_info_traverse()), and reading the
//! `[Install]` section with its specifiers (install_name_printf()).
//!
//! This module holds the context and the search along the path; beside it are the unit as
//! install.c knows it (`info`), alias names (`alias`), loading a file or symlink (`load`) and its
//! `[Install]` section (`install_section`).

mod alias;
mod info;
mod install_section;
mod load;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

use super::fsview::FsView;
use super::paths::InstallPaths;
use super::InstallError;
use crate::unit::name::UnitName;

pub use alias::{validate_alias, AliasProblem};
pub use info::InstallInfo;
pub use load::null_or_empty;

/// install.c's UNIT_FILE_FOLLOW_LIMIT.
pub const FOLLOW_LIMIT: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Masked,
    /// A symlink within the search path: another name of a unit.
    Alias,
    /// A symlink to outside the search path (`systemctl link`).
    Linked,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SearchFlags {
    /// Parse the `[Install]` section (SEARCH_LOAD).
    pub load: bool,
    /// Follow aliases found in configuration directories (SEARCH_FOLLOW_CONFIG_SYMLINKS).
    pub follow_config_symlinks: bool,
}

pub const LOAD: SearchFlags = SearchFlags {
    load: true,
    follow_config_symlinks: false,
};
pub const LOAD_FOLLOW: SearchFlags = SearchFlags {
    load: true,
    follow_config_symlinks: true,
};
pub const FOLLOW: SearchFlags = SearchFlags {
    load: false,
    follow_config_symlinks: true,
};

/// An install.c InstallContext: the units to process in order, and those processed.
pub struct Context<'a> {
    pub paths: &'a InstallPaths,
    pub infos: Vec<InstallInfo>,
    by_name: HashMap<String, usize>,
    pub will_process: VecDeque<usize>,
    /// Parser warnings, in systemd's words, in the order systemd would print them.
    pub warnings: Vec<String>,
    /// Leave `.d/*.conf` drop-ins unread: systemctl 252's reenable applies only the
    /// `[Install]` section of the unit file itself (observed, not documented).
    pub skip_dropins: bool,
}

impl<'a> Context<'a> {
    pub fn new(paths: &'a InstallPaths) -> Context<'a> {
        Context {
            paths,
            infos: Vec::new(),
            by_name: HashMap::new(),
            will_process: VecDeque::new(),
            warnings: Vec::new(),
            skip_dropins: false,
        }
    }

    pub fn find(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// install_info_add(): register a unit by name or by (real) path; an existing entry of the
    /// same name is returned as it is.
    pub fn add(
        &mut self,
        name: Option<&str>,
        path: Option<&Path>,
        auxiliary: bool,
    ) -> Result<usize, InstallError> {
        let name = match (name, path) {
            (Some(n), _) => n.to_string(),
            (None, Some(p)) => p
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or_default()
                .to_string(),
            (None, None) => return Err(InstallError::Invalid(String::new())),
        };
        if !UnitName::is_valid(&name) {
            return Err(InstallError::Invalid(name));
        }
        if let Some(i) = self.find(&name) {
            return Ok(i);
        }
        let idx = self.infos.len();
        self.infos.push(InstallInfo {
            name: name.clone(),
            path: path.map(Path::to_path_buf),
            auxiliary,
            ..InstallInfo::default()
        });
        self.by_name.insert(name, idx);
        self.will_process.push_back(idx);
        Ok(idx)
    }

    /// install_info_add_auto(): a name, or a path (inside the root) given on the command line.
    pub fn add_auto(&mut self, name_or_path: &str) -> Result<usize, InstallError> {
        if name_or_path.contains('/') {
            let real = self.paths.real(Path::new(name_or_path));
            self.add(None, Some(&real), false)
        } else {
            self.add(Some(name_or_path), None, false)
        }
    }

    /// install_info_discover(): add and traverse; returns the unit at the end of any aliases.
    pub fn discover(
        &mut self,
        name_or_path: &str,
        flags: SearchFlags,
    ) -> Result<usize, InstallError> {
        let idx = self.add_auto(name_or_path)?;
        self.traverse(idx, flags)
    }

    /// install_info_traverse(): find the file, then follow aliases and linked files to the unit
    /// file itself.
    pub fn traverse(&mut self, start: usize, flags: SearchFlags) -> Result<usize, InstallError> {
        self.search(start, flags)?;
        let mut i = start;
        let mut hops = 0;
        while matches!(self.infos[i].kind, Some(FileKind::Alias | FileKind::Linked)) {
            hops += 1;
            if hops > FOLLOW_LIMIT {
                return Err(InstallError::Linked(self.infos[start].name.clone()));
            }
            let kind = self.infos[i].kind;
            let path = self.infos[i].path.clone().unwrap_or_default();
            // An alias in /etc/systemd/system was made by enable: refuse to enable through it.
            if kind == Some(FileKind::Alias)
                && !flags.follow_config_symlinks
                && self.paths.is_config(&path)
            {
                return Err(InstallError::Linked(self.infos[start].name.clone()));
            }
            let target = self.infos[i].symlink_target.clone().unwrap_or_default();
            let target_name = target
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or_default()
                .to_string();
            if kind == Some(FileKind::Linked) || target_name == self.infos[i].name {
                self.follow(i, flags)?;
                continue;
            }
            // The target is another name: continue with a new entry for it.
            let mut next_name = target_name.clone();
            let here = UnitName::parse(&self.infos[i].name).ok();
            let there = UnitName::parse(&target_name).ok();
            if let (Some(h), Some(t)) = (&here, &there) {
                if h.is_instance() && t.is_template() {
                    if let Some(filled) = h.instance().and_then(|inst| t.with_instance(inst).ok()) {
                        if filled.as_str() == self.infos[i].name {
                            self.follow(i, flags)?;
                            continue;
                        }
                        next_name = filled.to_string();
                    }
                }
            }
            i = self.add(Some(&next_name), None, false)?;
            match self.search(i, flags) {
                Err(InstallError::NotFound(_)) => {
                    return Err(InstallError::DanglingAlias(self.infos[start].name.clone()))
                }
                other => other?,
            }
        }
        Ok(i)
    }

    /// install_info_follow(): continue at the symlink's target, keeping the name.
    fn follow(&mut self, i: usize, flags: SearchFlags) -> Result<(), InstallError> {
        let target = self.infos[i].symlink_target.take().unwrap_or_default();
        self.infos[i].path = Some(target.clone());
        self.infos[i].kind = None;
        self.load_or_readlink(i, &target, flags, false)
    }

    /// unit_file_search(): the first file of that name along the search path, else the
    /// template's; then the `.d/*.conf` drop-ins, which may add `[Install]` settings.
    pub fn search(&mut self, i: usize, flags: SearchFlags) -> Result<(), InstallError> {
        if self.infos[i].kind.is_some() {
            return Ok(());
        }
        if let Some(path) = self.infos[i].path.clone() {
            return self.load_or_readlink(i, &path, flags, false);
        }
        let name = self.infos[i].name.clone();
        let template = UnitName::parse(&name)
            .ok()
            .and_then(|n| n.template())
            .map(|t| t.to_string());
        let mut candidates: Vec<&str> = vec![&name];
        if let Some(t) = &template {
            candidates.push(t);
        }
        let mut found = false;
        'outer: for candidate in candidates {
            for dir in self.paths.search.clone() {
                if !self.paths.fs.may_contain(&dir, candidate) {
                    continue;
                }
                let path = dir.join(candidate);
                match self.load_or_readlink(i, &path, flags, false) {
                    Ok(()) => {
                        self.infos[i].path = Some(path);
                        found = true;
                        break 'outer;
                    }
                    Err(InstallError::NotFound(_)) => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        if !found {
            return Err(InstallError::NotFound(name));
        }
        if self.infos[i].kind == Some(FileKind::Masked) || !flags.load || self.skip_dropins {
            return Ok(());
        }
        let mut dropin_dirs = Vec::new();
        for n in std::iter::once(&name).chain(template.iter()) {
            let dropin_dir = format!("{n}.d");
            for dir in &self.paths.search {
                if self.paths.fs.may_contain(dir, &dropin_dir) {
                    dropin_dirs.push(dir.join(&dropin_dir));
                }
            }
        }
        for conf in conf_files(&self.paths.fs, &dropin_dirs, ".conf") {
            self.load_or_readlink(i, &conf, flags, true)?;
        }
        Ok(())
    }
}

/// conf_files_list_strv(): files with `suffix` in `dirs`, the first directory winning for each
/// file name, sorted by file name.
pub fn conf_files(fs: &FsView, dirs: &[PathBuf], suffix: &str) -> Vec<PathBuf> {
    let mut by_name: Vec<(String, PathBuf)> = Vec::new();
    for dir in dirs {
        let Some(entries) = fs.list_dir(dir) else {
            continue;
        };
        for e in entries.iter() {
            if !e.name.ends_with(suffix) || by_name.iter().any(|(n, _)| *n == e.name) {
                continue;
            }
            // A drop-in masked by a symlink to /dev/null counts as present but empty.
            by_name.push((e.name.clone(), dir.join(&e.name)));
        }
    }
    by_name.sort();
    by_name.into_iter().map(|(_, p)| p).collect()
}
