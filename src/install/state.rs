//! The enablement state of a unit file (install.c's unit_file_lookup_state() and
//! find_symlinks_in_scope()) and the unit file list of `systemctl list-unit-files`
//! (unit_file_get_list()).

use super::fsview::FsView;
use std::collections::HashSet;
use std::path::Path;

use super::context::{Context, FileKind, InstallInfo, SearchFlags, LOAD_FOLLOW};
use super::paths::InstallPaths;
use super::InstallError;
use crate::sys::glob::glob_match;
use crate::unit::name::UnitName;

/// systemd's UnitFileState, the words of `systemctl is-enabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitFileState {
    Enabled,
    EnabledRuntime,
    Linked,
    LinkedRuntime,
    Alias,
    Masked,
    MaskedRuntime,
    Static,
    Disabled,
    Indirect,
    Generated,
    Transient,
    Bad,
}

impl UnitFileState {
    pub fn as_str(&self) -> &'static str {
        match self {
            UnitFileState::Enabled => "enabled",
            UnitFileState::EnabledRuntime => "enabled-runtime",
            UnitFileState::Linked => "linked",
            UnitFileState::LinkedRuntime => "linked-runtime",
            UnitFileState::Alias => "alias",
            UnitFileState::Masked => "masked",
            UnitFileState::MaskedRuntime => "masked-runtime",
            UnitFileState::Static => "static",
            UnitFileState::Disabled => "disabled",
            UnitFileState::Indirect => "indirect",
            UnitFileState::Generated => "generated",
            UnitFileState::Transient => "transient",
            UnitFileState::Bad => "bad",
        }
    }

    /// The states `is-enabled` answers with exit 0.
    pub fn counts_as_enabled(&self) -> bool {
        matches!(
            self,
            UnitFileState::Enabled
                | UnitFileState::EnabledRuntime
                | UnitFileState::Static
                | UnitFileState::Alias
                | UnitFileState::Indirect
                | UnitFileState::Generated
        )
    }
}

/// unit_file_lookup_state(); parser warnings go to `warnings`.
pub fn lookup_state(
    paths: &InstallPaths,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<UnitFileState, InstallError> {
    if !UnitName::is_valid(name) {
        return Err(InstallError::Invalid(name.to_string()));
    }
    let mut ctx = Context::new(paths);
    let result = ctx.discover(name, LOAD_FOLLOW);
    warnings.append(&mut ctx.warnings);
    let info = &ctx.infos[result?];
    let path = info.path.clone().unwrap_or_default();
    if info.kind == Some(FileKind::Masked) {
        return Ok(if paths.is_runtime(&path, true) {
            UnitFileState::MaskedRuntime
        } else {
            UnitFileState::Masked
        });
    }
    let base = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let is_instance = UnitName::parse(&info.name).is_ok_and(|n| n.is_instance());
    if name != base && !is_instance {
        return Ok(UnitFileState::Alias);
    }
    if paths.is_generator(&path) {
        return Ok(UnitFileState::Generated);
    }
    if paths.is_transient(&path) {
        return Ok(UnitFileState::Transient);
    }
    if let Some(state) = find_symlinks_in_scope(paths, info, true)? {
        return Ok(state);
    }
    if find_symlinks_in_scope(paths, info, false)?.is_some() {
        return Ok(UnitFileState::Indirect);
    }
    Ok(if info.has_rules() {
        UnitFileState::Disabled
    } else if !info.also.is_empty() {
        UnitFileState::Indirect
    } else {
        UnitFileState::Static
    })
}

/// Whether `name` exists as a unit file (unit_file_exists()): found along the search path,
/// without parsing it; only "not found" is false. Notices about misfitting aliases go to
/// `warnings`.
pub fn unit_exists(
    paths: &InstallPaths,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<bool, InstallError> {
    if !UnitName::is_valid(name) {
        return Err(InstallError::Invalid(name.to_string()));
    }
    let mut ctx = Context::new(paths);
    let found = ctx.discover(name, SearchFlags::default());
    warnings.append(&mut ctx.warnings);
    match found {
        Ok(_) => Ok(true),
        Err(InstallError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A unit the running system has although no file names it: the targets (and slices) our
/// manager supplies as systemd ships them when the image lacks them (`unit::builtin`). Only for
/// the machine's own system scope: below `--root=` the image's files alone count, as they do for
/// systemctl.
pub fn supplied_by_manager(paths: &InstallPaths, name: &str) -> bool {
    !paths.has_root
        && paths.scope == crate::unit::paths::Scope::System
        && crate::unit::builtin::shipped_unit(name).is_some()
}

fn find_symlinks_in_scope(
    paths: &InstallPaths,
    info: &InstallInfo,
    match_name: bool,
) -> Result<Option<UnitFileState>, InstallError> {
    let mut same_name_link_runtime = false;
    let mut same_name_link_config = false;
    let mut enabled_in_runtime = false;
    let mut enabled_at_all = false;
    let mut ignore_same_name = false;
    let info_path = info.path.clone().unwrap_or_default();
    // A link in any other directory (vendor, control, generator) only matters for an
    // instance, which it makes `static`: for a plain name it is merely an alias, and a
    // same-name link there is ignored. Skipping those directories for other names keeps
    // list-unit-files from scanning the vendor directories once per unit.
    let is_instance = UnitName::parse(&info.name).is_ok_and(|n| n.is_instance());
    for (dir, role) in paths.search.iter().zip(paths.search_roles()) {
        if role.config || role.runtime || is_instance {
            let mut same_name_link = false;
            let found = find_symlinks(
                &paths.fs,
                info,
                match_name,
                ignore_same_name,
                dir,
                &mut same_name_link,
            )?;
            if found {
                if role.config {
                    return Ok(Some(UnitFileState::Enabled));
                }
                if role.runtime {
                    enabled_in_runtime = true;
                } else {
                    enabled_at_all = true;
                }
            } else if same_name_link {
                if role.persistent {
                    same_name_link_config = true;
                } else if role.runtime {
                    same_name_link_runtime = true;
                }
            }
        }
        // Same-name links in directories below the unit file's own are shadowed by it.
        if !ignore_same_name && info_path.starts_with(dir) {
            ignore_same_name = true;
        }
    }
    Ok(if enabled_in_runtime {
        Some(UnitFileState::EnabledRuntime)
    } else if enabled_at_all && is_instance {
        Some(UnitFileState::Static)
    } else if same_name_link_config {
        Some(UnitFileState::Linked)
    } else if same_name_link_runtime {
        Some(UnitFileState::LinkedRuntime)
    } else {
        None
    })
}

fn find_symlinks(
    fs: &FsView,
    info: &InstallInfo,
    match_name: bool,
    ignore_same_name: bool,
    config_path: &Path,
    same_name_link: &mut bool,
) -> Result<bool, InstallError> {
    for sub in fs.dependency_dirs(config_path).iter() {
        if find_symlinks_in_directory(
            fs,
            sub,
            info,
            true,
            match_name,
            ignore_same_name,
            config_path,
            same_name_link,
        )? {
            return Ok(true);
        }
    }
    find_symlinks_in_directory(
        fs,
        config_path,
        info,
        false,
        match_name,
        ignore_same_name,
        config_path,
        same_name_link,
    )
}

#[allow(clippy::too_many_arguments)]
fn find_symlinks_in_directory(
    fs: &FsView,
    dir: &Path,
    info: &InstallInfo,
    ignore_destination: bool,
    match_name: bool,
    ignore_same_name: bool,
    config_path: &Path,
    same_name_link: &mut bool,
) -> Result<bool, InstallError> {
    for link in fs.links_of(dir, !ignore_destination).mentioning(&info.name) {
        let name = &link.name;
        let mut found_dest = false;
        if !ignore_destination {
            if !link.destination_readable {
                continue;
            }
            found_dest = link.destination_name.as_deref() == Some(info.name.as_str());
        }
        let mut found_path = false;
        if ignore_destination || !ignore_same_name {
            found_path = *name == info.name;
        }
        if !found_path && ignore_destination {
            if let Some(t) = &link.template {
                found_dest = *t == info.name;
            }
        }
        let same = found_path && found_dest && dir == config_path;
        if same {
            *same_name_link = true;
        } else if (found_path || found_dest)
            && (!match_name || is_symlink_with_known_name(info, name))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn is_symlink_with_known_name(info: &InstallInfo, name: &str) -> bool {
    if name == info.name || info.aliases.iter().any(|a| a == name) {
        return true;
    }
    match (&info.default_instance, UnitName::parse(&info.name)) {
        (Some(inst), Ok(n)) if n.is_template() => n
            .with_instance(inst)
            .is_ok_and(|full| full.as_str() == name),
        _ => false,
    }
}

/// One row of `list-unit-files`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFileEntry {
    pub name: String,
    /// The file's real path.
    pub path: std::path::PathBuf,
    pub state: UnitFileState,
}

/// unit_file_get_list(): every unit file (regular or symlink) along the search path, the first
/// of each name winning, matching `patterns` (globs, all when empty) and `states`; a file whose
/// state cannot be determined is `bad`. Sorted as systemctl sorts: by suffix, then by name,
/// both case-insensitively.
pub fn list_unit_files(
    paths: &InstallPaths,
    patterns: &[String],
    states: &[String],
    warnings: &mut Vec<String>,
) -> Vec<UnitFileEntry> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for dir in &paths.search {
        let Some(entries) = paths.fs.list_dir(dir) else {
            continue;
        };
        for e in entries.iter() {
            let name = e.name.clone();
            if !UnitName::is_valid(&name)
                || !(patterns.is_empty() || patterns.iter().any(|p| glob_match(p, &name)))
                || seen.contains(&name)
            {
                continue;
            }
            if !(e.is_symlink || e.is_file) {
                continue;
            }
            let state = lookup_state(paths, &name, warnings).unwrap_or(UnitFileState::Bad);
            if !states.is_empty() && !states.iter().any(|s| s == state.as_str()) {
                continue;
            }
            seen.insert(name.clone());
            out.push(UnitFileEntry {
                path: dir.join(&e.name),
                name,
                state,
            });
        }
    }
    out.sort_by(|a, b| {
        let suffix = |n: &str| n.rfind('.').map(|d| n[d..].to_ascii_lowercase());
        suffix(&a.name).cmp(&suffix(&b.name)).then_with(|| {
            a.name
                .to_ascii_lowercase()
                .cmp(&b.name.to_ascii_lowercase())
        })
    });
    out
}
