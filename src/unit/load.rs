//! Finding and loading a unit as systemd's unit-file.c and load-dropin.c do: the name map over
//! the search path (the first directory wins; a symlink to a unit in the search path is an alias,
//! one to a file elsewhere is a linked fragment, one to `/dev/null` or an empty file masks),
//! instances falling back to their template's file, drop-ins from `name.d/`, the dash-prefix
//! directories (`foo-.service.d/`), the template's and the type-wide `service.d/` in every search
//! directory (a same-named `.conf` in a higher-priority directory wins; all applied in file name
//! order), then the fragment and drop-ins parsed and applied into a [`UnitConfig`], and the
//! entries of `.wants/`, `.requires/` and `.upholds/` directories (found like drop-in
//! directories) added as dependencies.
//!
//! Only an invalid name is an error of the caller; every problem of the files makes that unit's
//! `LoadState=` not-found, masked, error or bad-setting, never a panic.
//!
//! Below `--root=DIR` every path goes to the kernel as [`LookupPaths::on_disk`] resolves it,
//! inside DIR, as `systemctl --root=DIR enable` wrote it (for the manager the root is `/`).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::model::{
    section_is_known, Assignment, Builder, Dependency, LoadFailure, LoadState, UnitConfig,
};
use super::name::{NameError, UnitName, UnitType};
use super::paths::{normalize, Last, LookupPaths, Origin};
use super::specifier::SpecifierContext;
use super::syntax::{self, FileError};
use super::sysv;

/// systemd's FOLLOW_MAX: hops through aliases and symlinks before giving up with ELOOP.
const FOLLOW_MAX: usize = 32;

#[derive(Debug, Error)]
pub enum LoadError {
    #[error(transparent)]
    Name(#[from] NameError),
}

/// What a name in the search path is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MapEntry {
    /// A regular file, or a symlink out of the search path ("linked"), or a mask: the fragment is
    /// this path (inside the root) itself.
    Fragment(PathBuf),
    /// A symlink to another unit in the search path: look that name up instead.
    Alias(String),
}

/// The unit names found in the search path, first directory winning.
pub struct NameMap {
    entries: HashMap<String, MapEntry>,
    /// Every entry name of every search directory, so that probing for drop-in and `.wants`
    /// directories that do not exist costs no system call.
    listings: HashMap<PathBuf, std::collections::HashSet<String>>,
}

/// The outcome of resolving a name to a file.
enum Resolved {
    Found {
        fragment: PathBuf,
        via_template: bool,
    },
    NotFound,
    Broken(String),
}

impl NameMap {
    pub fn build(lookup: &LookupPaths) -> NameMap {
        let mut entries = HashMap::new();
        let mut listings = HashMap::new();
        for dir in &lookup.search {
            let read = match lookup.on_disk(dir, Last::Follow).and_then(fs::read_dir) {
                Ok(read) => read,
                Err(e) => {
                    // A missing search directory holds nothing; an unreadable one is probed.
                    if e.kind() == std::io::ErrorKind::NotFound {
                        listings.insert(dir.clone(), Default::default());
                    }
                    continue;
                }
            };
            let mut all = std::collections::HashSet::new();
            let mut names: Vec<(String, Option<fs::FileType>)> = Vec::new();
            for e in read.flatten() {
                let Ok(name) = e.file_name().into_string() else {
                    continue;
                };
                if UnitName::is_valid(&name) {
                    names.push((name.clone(), e.file_type().ok()));
                }
                all.insert(name);
            }
            listings.insert(dir.clone(), all);
            names.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, file_type) in names {
                if entries.contains_key(&name) {
                    continue;
                }
                let inside = dir.join(&name);
                if let Some(entry) = classify(lookup, &inside, &name, file_type) {
                    entries.insert(name, entry);
                }
            }
        }
        NameMap { entries, listings }
    }

    /// A unit file `name` made in (`present`) or removed from search directory `dir` (inside
    /// the root) by the manager itself, a transient unit's: the map follows without a new scan
    /// (systemd adds the transient file to its path cache the same way). A name another file
    /// gives already keeps that file.
    pub fn note_file(&mut self, dir: &Path, name: &str, present: bool) {
        let inside = dir.join(name);
        let listing = self.listings.entry(dir.to_path_buf()).or_default();
        if present {
            listing.insert(name.to_string());
            self.entries
                .entry(name.to_string())
                .or_insert(MapEntry::Fragment(inside));
        } else {
            listing.remove(name);
            if self.entries.get(name) == Some(&MapEntry::Fragment(inside)) {
                self.entries.remove(name);
            }
        }
    }

    /// False only when `inside` is an entry of a search directory that the map saw lacks it.
    fn may_exist(&self, inside: &Path) -> bool {
        let (Some(dir), Some(name)) = (inside.parent(), inside.file_name()) else {
            return true;
        };
        match self.listings.get(dir) {
            Some(names) => name.to_str().is_some_and(|n| names.contains(n)),
            None => true,
        }
    }

    /// Follow aliases from `name` to a fragment path (`unit_ids_map_get()`).
    /// Whether a unit file gives `name` (directly or through aliases).
    pub fn has_fragment(&self, name: &str) -> bool {
        matches!(self.fragment_of(name), Ok(Some(_)))
    }

    fn fragment_of(&self, name: &str) -> Result<Option<PathBuf>, String> {
        let mut current = name.to_string();
        for _ in 0..FOLLOW_MAX {
            match self.entries.get(&current) {
                None => return Ok(None),
                Some(MapEntry::Fragment(p)) => return Ok(Some(p.clone())),
                Some(MapEntry::Alias(target)) => current = target.clone(),
            }
        }
        Err(format!("{name}: aliases form a loop"))
    }

    fn resolve(&self, name: &UnitName) -> Resolved {
        match self.fragment_of(name.as_str()) {
            Err(e) => return Resolved::Broken(e),
            Ok(Some(fragment)) => {
                return Resolved::Found {
                    fragment,
                    via_template: false,
                }
            }
            Ok(None) => {}
        }
        let Some(template) = name.template() else {
            return Resolved::NotFound;
        };
        match self.fragment_of(template.as_str()) {
            Err(e) => Resolved::Broken(e),
            Ok(Some(fragment)) => Resolved::Found {
                fragment,
                via_template: true,
            },
            Ok(None) => Resolved::NotFound,
        }
    }

    /// Every name whose aliases lead to `fragment` (`unit_file_find_fragment()`'s name set).
    fn names_of(&self, fragment: &Path) -> Vec<String> {
        let mut names: Vec<String> = self
            .entries
            .keys()
            .filter(|n| self.fragment_of(n).ok().flatten().as_deref() == Some(fragment))
            .cloned()
            .collect();
        names.sort();
        names
    }
}

/// Where a directory entry of the search path leads; `None` for what is not a unit file.
fn classify(
    lookup: &LookupPaths,
    inside: &Path,
    name: &str,
    file_type: Option<fs::FileType>,
) -> Option<MapEntry> {
    let file_type = match file_type {
        Some(t) => t,
        None => fs::symlink_metadata(lookup.on_disk(inside, Last::NoFollow).ok()?)
            .ok()?
            .file_type(),
    };
    if !file_type.is_symlink() {
        return file_type
            .is_file()
            .then(|| MapEntry::Fragment(inside.to_path_buf()));
    }
    let target = fs::read_link(lookup.on_disk(inside, Last::NoFollow).ok()?).ok()?;
    let parent = inside.parent().unwrap_or(Path::new("/"));
    let target = normalize(&parent.join(target));
    if target == Path::new("/dev/null") {
        return Some(MapEntry::Fragment(inside.to_path_buf()));
    }
    let in_search_path = target
        .parent()
        .is_some_and(|dir| lookup.search.iter().any(|d| d == dir));
    let target_name = target.file_name().and_then(|n| n.to_str());
    match target_name {
        Some(t) if in_search_path && t != name => {
            // unit_validate_alias_symlink_or_warn(): an alias keeps the type
            let same_type = UnitName::parse(t)
                .ok()
                .zip(UnitName::parse(name).ok())
                .is_some_and(|(a, b)| a.unit_type() == b.unit_type());
            same_type.then(|| MapEntry::Alias(t.to_string()))
        }
        _ => Some(MapEntry::Fragment(inside.to_path_buf())),
    }
}

/// A file that cannot be read, and the message naming it.
pub type Failure = (LoadFailure, String);

/// Follow symlinks of `inside` within the root, to the final path inside the root.
fn chase(lookup: &LookupPaths, inside: &Path) -> Result<PathBuf, Failure> {
    let mut current = inside.to_path_buf();
    for _ in 0..FOLLOW_MAX {
        // the root has no devices of its own: /dev/null means the host's
        if current == Path::new("/dev/null") {
            return Ok(current);
        }
        match lookup
            .on_disk(&current, Last::NoFollow)
            .and_then(fs::read_link)
        {
            Ok(target) => {
                let parent = current.parent().unwrap_or(Path::new("/")).to_path_buf();
                current = normalize(&parent.join(target));
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound && current != inside => {
                return Err((
                    LoadFailure::NotFound,
                    format!(
                        "{}: dangling symlink to {}",
                        inside.display(),
                        current.display()
                    ),
                ))
            }
            Err(e) => {
                return Err((
                    LoadFailure::from_io(&e),
                    format!("{}: {e}", inside.display()),
                ))
            }
        }
    }
    Err((
        LoadFailure::SymlinkLoop,
        format!("{}: symlinks form a loop", inside.display()),
    ))
}

/// The real path to open for `inside`, symlinks resolved within the root (an absolute link
/// target means a path inside the root, not on the host).
pub fn real_path(lookup: &LookupPaths, inside: &Path) -> Result<PathBuf, Failure> {
    let final_path = chase(lookup, inside)?;
    lookup.on_disk(&final_path, Last::Follow).map_err(|e| {
        (
            LoadFailure::from_io(&e),
            format!("{}: {e}", inside.display()),
        )
    })
}

/// The real path of `inside` when it is a regular file. Checked before opening, as opening a
/// FIFO would block.
pub fn regular_file(lookup: &LookupPaths, inside: &Path) -> Result<PathBuf, Failure> {
    let real = real_path(lookup, inside)?;
    match fs::metadata(&real) {
        Ok(meta) if meta.is_file() => Ok(real),
        Ok(_) => Err((
            LoadFailure::Io,
            format!("{}: Not a regular file", inside.display()),
        )),
        Err(e) => Err((
            LoadFailure::from_io(&e),
            format!("{}: {e}", inside.display()),
        )),
    }
}

/// systemd's `null_or_empty_path()`: `/dev/null` (or any character device) or an empty file.
fn is_masked(lookup: &LookupPaths, inside: &Path) -> Result<bool, Failure> {
    let final_path = chase(lookup, inside)?;
    if final_path == Path::new("/dev/null") {
        return Ok(true);
    }
    let meta = lookup
        .on_disk(&final_path, Last::Follow)
        .and_then(fs::metadata);
    let meta = meta.map_err(|e| {
        (
            LoadFailure::from_io(&e),
            format!("{}: {e}", inside.display()),
        )
    })?;
    use std::os::unix::fs::FileTypeExt;
    Ok(meta.file_type().is_char_device() || (meta.is_file() && meta.len() == 0))
}

/// The directories drop-ins are looked up in for one name within one search directory, most
/// specific first: `name.d`, the template's, then each dash prefix (`foo-bar-.service.d`, …).
/// `.wants/`, `.requires/` and `.upholds/` directories are found the same way.
fn dropin_dirs_for(dir: &Path, name: &UnitName, suffix: &str, out: &mut Vec<PathBuf>) {
    // Compared as bytes: the paths are built alike, and Path's component-wise equality made
    // this the costliest part of loading a unit.
    let mut push = |p: PathBuf| {
        if !out.iter().any(|q| q.as_os_str() == p.as_os_str()) {
            out.push(p);
        }
    };
    push(dir.join(format!("{name}{suffix}")));
    if let Some(template) = name.template() {
        push(dir.join(format!("{template}{suffix}")));
    }
    let prefix = name.prefix();
    let unit_type = name.unit_type().as_str();
    let mut end = prefix.len();
    while let Some(dash) = prefix[..end].rfind('-') {
        if dash == 0 {
            break;
        }
        push(dir.join(format!("{}-.{unit_type}{suffix}", &prefix[..dash])));
        end = dash;
    }
}

/// Every directory with this suffix for these names, in priority order, and the type-wide one
/// (`service.d/`) of each search directory.
fn dropin_dirs(
    lookup: &LookupPaths,
    names: &[UnitName],
    unit_type: UnitType,
    suffix: &str,
) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for dir in &lookup.search {
        for name in names {
            dropin_dirs_for(dir, name, suffix, &mut dirs);
        }
        dirs.push(dir.join(format!("{unit_type}{suffix}")));
    }
    dirs
}

/// The entries of `.wants/`-style directories: unit names, sorted, each once.
fn dependency_entries(
    lookup: &LookupPaths,
    map: &NameMap,
    names: &[UnitName],
    unit_type: UnitType,
    suffix: &str,
) -> Vec<UnitName> {
    let mut found = std::collections::BTreeSet::new();
    for dir in dropin_dirs(lookup, names, unit_type, suffix) {
        if !map.may_exist(&dir) {
            continue;
        }
        let Ok(read) = lookup.on_disk(&dir, Last::Follow).and_then(fs::read_dir) else {
            continue;
        };
        found.extend(
            read.flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| UnitName::parse(&n).ok()),
        );
    }
    found.into_iter().collect()
}

/// The drop-in files of a unit with these names, in the order systemd applies them.
fn find_dropins(
    lookup: &LookupPaths,
    map: &NameMap,
    names: &[UnitName],
    unit_type: UnitType,
) -> Vec<PathBuf> {
    let dirs = dropin_dirs(lookup, names, unit_type, ".d");
    // basename → (path, masked); the first directory in priority order wins
    let mut by_name: BTreeMap<String, (PathBuf, bool)> = BTreeMap::new();
    for dir in dirs {
        if !map.may_exist(&dir) {
            continue;
        }
        let Ok(read) = lookup.on_disk(&dir, Last::Follow).and_then(fs::read_dir) else {
            continue;
        };
        for entry in read.flatten() {
            let Ok(file) = entry.file_name().into_string() else {
                continue;
            };
            if !file.ends_with(".conf") || by_name.contains_key(&file) {
                continue;
            }
            let inside = dir.join(&file);
            let masked = match is_masked(lookup, &inside) {
                Ok(masked) => masked,
                // config_parse() skips a drop-in that vanished (a dangling symlink)
                Err((LoadFailure::NotFound, _)) => continue,
                // any other problem is reported when the drop-in is read
                Err(_) => false,
            };
            // conf_files_list() takes regular files only (a mask still hides lower ones)
            let is_file = real_path(lookup, &inside).is_ok_and(|real| real.is_file());
            if !is_file && !masked {
                continue;
            }
            by_name.insert(file, (inside, masked));
        }
    }
    by_name
        .into_values()
        .filter(|(_, masked)| !masked)
        .map(|(p, _)| p)
        .collect()
}

/// The drop-ins a unit without a fragment would get: what `systemctl cat` shows for it.
pub fn orphan_dropins(lookup: &LookupPaths, name: &UnitName) -> Vec<PathBuf> {
    let map = NameMap::build(lookup);
    find_dropins(lookup, &map, std::slice::from_ref(name), name.unit_type())
}

/// Load `name` (a unit name as given; not mangled here).
pub fn load_unit(lookup: &LookupPaths, name: &str) -> Result<UnitConfig, LoadError> {
    let requested = UnitName::parse(name)?;
    let map = NameMap::build(lookup);
    Ok(load_with_map(lookup, &map, &requested))
}

/// Load one unit given a name map built once (for loading many units).
pub fn load_with_map(lookup: &LookupPaths, map: &NameMap, requested: &UnitName) -> UnitConfig {
    let unit_type = requested.unit_type();
    let (fragment, via_template) = match map.resolve(requested) {
        Resolved::NotFound => {
            if let Some(config) = load_sysv_script(lookup, map, requested) {
                return config;
            }
            // systemd stops before reading drop-ins when the fragment is missing
            let mut config = UnitConfig::empty(requested.as_str(), unit_type, LoadState::NotFound);
            config.load_error = Some(format!("Unit {requested} not found."));
            return config;
        }
        Resolved::Broken(reason) => {
            let state = LoadState::Error(LoadFailure::SymlinkLoop);
            let mut config = UnitConfig::empty(requested.as_str(), unit_type, state);
            config.load_error = Some(reason);
            return config;
        }
        Resolved::Found {
            fragment,
            via_template,
        } => (fragment, via_template),
    };

    // The unit is named after its fragment: an alias loads the unit it points to.
    let fragment_name = fragment
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| UnitName::parse(n).ok());
    let id = match (&fragment_name, requested.instance()) {
        (Some(f), Some(instance)) if f.is_template() && !instance.is_empty() => f
            .with_instance(instance)
            .unwrap_or_else(|_| requested.clone()),
        (Some(f), _) if f.unit_type() == unit_type => f.clone(),
        _ => requested.clone(),
    };
    let names = unit_names(map, &fragment, &id, via_template || id.is_instance());
    let mut config = UnitConfig::empty(id.as_str(), unit_type, LoadState::Loaded);
    config.names = names.iter().map(|n| n.to_string()).collect();
    config.fragment_path = Some(fragment.clone());
    // unit_make_transient(): a unit whose file is in the transient directory was made by
    // StartTransientUnit(); it stays transient across a reload as systemd serializes it so.
    config.transient = lookup.origin(&fragment) == Origin::Transient;

    match is_masked(lookup, &fragment) {
        Ok(true) => {
            config.load_state = LoadState::Masked;
            config.load_error = Some(format!("Unit {id} is masked."));
            return config;
        }
        Ok(false) => {}
        Err((failure, reason)) => {
            config.load_state = LoadState::Error(failure);
            config.load_error = Some(reason);
            return config;
        }
    }
    assemble(lookup, map, config, &id, &names, fragment, None)
}

/// Like [`load_with_map`], but a target systemd ships that the image lacks is made from
/// systemd's own file (see [`super::builtin`]); `default.target` falls back to the
/// `multi-user.target` of the image, or to the shipped one.
pub fn load_or_shipped(lookup: &LookupPaths, map: &NameMap, requested: &UnitName) -> UnitConfig {
    let config = load_with_map(lookup, map, requested);
    if config.load_state != LoadState::NotFound {
        return config;
    }
    let Some((shipped_name, text)) = super::builtin::shipped_unit(requested.as_str()) else {
        return config;
    };
    let Ok(id) = UnitName::parse(&shipped_name) else {
        return config;
    };
    if id != *requested {
        let mut config = load_or_shipped(lookup, map, &id);
        if !config.names.iter().any(|n| n == requested.as_str()) {
            config.names.push(requested.to_string());
        }
        return config;
    }
    let Ok(doc) = syntax::parse(text.as_bytes()) else {
        return config;
    };
    let fragment = Path::new("/usr/lib/systemd/system").join(&shipped_name);
    let mut config = UnitConfig::empty(id.as_str(), id.unit_type(), LoadState::Loaded);
    config.names = vec![id.to_string()];
    let names = [id.clone()];
    let mut config = assemble(lookup, map, config, &id, &names, fragment, Some(doc));
    // Nothing on disk to point at: systemd's FragmentPath= would name a file the image lacks.
    config.fragment_path = None;
    config.generated_fragment = Some(text);
    config.perpetual = super::builtin::is_perpetual(id.as_str());
    config.transient = id.as_str() == super::builtin::INIT_SCOPE;
    config
}

/// systemd-sysv-generator's unit for `/etc/init.d/NAME` when no native `NAME.service` exists: the
/// generator writes it to /run/systemd/generator.late, where the loader then finds it; here it is
/// made on demand, with the same path.
fn load_sysv_script(
    lookup: &LookupPaths,
    map: &NameMap,
    requested: &UnitName,
) -> Option<UnitConfig> {
    if requested.unit_type() != UnitType::Service || requested.instance().is_some() {
        return None;
    }
    let layout = sysv::SysvLayout::debian(&lookup.root);
    let script = Path::new("/etc/init.d").join(requested.prefix());
    let native_exists = |name: &str| map.fragment_of(name).ok().flatten().is_some();
    let generated = layout.generate(&script, &native_exists).ok()??;
    let fragment = Path::new("/run/systemd/generator.late").join(&generated.name);
    let doc = syntax::parse(generated.text.as_bytes()).ok()?;
    let id = UnitName::parse(&generated.name).ok()?;
    let mut config = UnitConfig::empty(id.as_str(), UnitType::Service, LoadState::Loaded);
    config.names = vec![id.to_string()];
    config.fragment_path = Some(fragment.clone());
    config.generated_fragment = Some(generated.text);
    let names = [id.clone()];
    Some(assemble(
        lookup,
        map,
        config,
        &id,
        &names,
        fragment,
        Some(doc),
    ))
}

/// Read the fragment (unless its document is given) and the drop-ins, and build the config.
fn assemble(
    lookup: &LookupPaths,
    map: &NameMap,
    mut config: UnitConfig,
    id: &UnitName,
    names: &[UnitName],
    fragment: PathBuf,
    fragment_doc: Option<syntax::Document>,
) -> UnitConfig {
    let unit_type = id.unit_type();
    config.dropin_paths = find_dropins(lookup, map, names, unit_type);

    let spec = SpecifierContext {
        unit: id.clone(),
        fragment: Some(fragment.clone()),
        scope: lookup.scope,
        root: lookup.root.clone(),
    };
    let mut documents = Vec::new();
    let files: Vec<PathBuf> = match fragment_doc {
        Some(doc) => {
            documents.push((fragment, doc));
            config.dropin_paths.clone()
        }
        None => std::iter::once(fragment)
            .chain(config.dropin_paths.iter().cloned())
            .collect(),
    };
    for inside in &files {
        let parsed = regular_file(lookup, inside).and_then(|real| {
            syntax::parse_file(&real).map_err(|e| describe_file_error(lookup, inside, &e))
        });
        match parsed {
            Ok(doc) => documents.push((inside.clone(), doc)),
            Err((failure, reason)) => {
                config.load_state = LoadState::Error(failure);
                config.load_error = Some(reason);
                return config;
            }
        }
    }
    let mut builder = Builder::new(config, spec);
    for (inside, doc) in &documents {
        let file = inside.display().to_string();
        for w in &doc.warnings {
            builder.warn_at(&file, w.line, &w.message);
        }
        for section in &doc.sections {
            if !section_is_known(unit_type, &section.name) && !section.name.starts_with("X-") {
                builder.warn_at(
                    &file,
                    section.line,
                    &format!("Unknown section '{}'. Ignoring.", section.name),
                );
            }
            for entry in &section.entries {
                builder.apply(&Assignment {
                    section: &section.name,
                    key: &entry.key,
                    value: &entry.value,
                    file: &file,
                    line: entry.line,
                });
            }
        }
    }
    for (suffix, dependency) in [
        (".wants", Dependency::Wants),
        (".requires", Dependency::Requires),
        (".upholds", Dependency::Upholds),
    ] {
        for entry in dependency_entries(lookup, map, names, unit_type, suffix) {
            // load-dropin.c: a template in the directory of an instance gets its instance
            let entry = match (entry.is_template(), id.instance()) {
                (false, _) => entry,
                (true, Some(instance)) if !instance.is_empty() => {
                    match entry.with_instance(instance) {
                        Ok(e) => e,
                        Err(_) => continue,
                    }
                }
                (true, _) => continue,
            };
            builder.add_dependency(dependency, entry.to_string());
        }
    }
    builder.finish()
}

/// The unit's names: all aliases of its fragment, instantiated for an instance.
fn unit_names(map: &NameMap, fragment: &Path, id: &UnitName, instantiate: bool) -> Vec<UnitName> {
    let mut names = vec![id.clone()];
    for alias in map.names_of(fragment) {
        let Ok(alias) = UnitName::parse(&alias) else {
            continue;
        };
        let alias = match (instantiate, alias.is_template(), id.instance()) {
            (true, true, Some(instance)) => match alias.with_instance(instance) {
                Ok(a) => a,
                Err(_) => continue,
            },
            (true, false, _) => continue,
            _ => alias,
        };
        if alias.unit_type() == id.unit_type() && !names.contains(&alias) {
            names.push(alias);
        }
    }
    names[1..].sort();
    names
}

/// A file error as LoadError text, with the path as seen inside the root.
/// A file error naming the file as seen inside the root, with the errno systemd would record.
fn describe_file_error(lookup: &LookupPaths, inside: &Path, e: &FileError) -> Failure {
    let failure = match e {
        FileError::Syntax { .. } => LoadFailure::BadMessage,
        FileError::Io { source, .. } => LoadFailure::from_io(source),
        FileError::TooLarge { .. } => LoadFailure::TooLarge,
        FileError::NotRegular { .. } => LoadFailure::Io,
    };
    let text = e.to_string();
    let real = lookup.real(inside).display().to_string();
    let text = match text.strip_prefix(&real) {
        Some(rest) => format!("{}{rest}", inside.display()),
        None if lookup.has_root() => text.replacen(&lookup.root.display().to_string(), "", 1),
        None => text,
    };
    (failure, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::paths::Scope;

    fn dirs(name: &str) -> Vec<String> {
        let mut out = Vec::new();
        dropin_dirs_for(
            Path::new("/etc/systemd/system"),
            &UnitName::parse(name).unwrap(),
            ".d",
            &mut out,
        );
        out.iter().map(|p| p.display().to_string()).collect()
    }

    #[test]
    fn dropin_directories_follow_dash_prefixes_and_templates() {
        assert_eq!(
            dirs("foo-bar-baz.service"),
            vec![
                "/etc/systemd/system/foo-bar-baz.service.d",
                "/etc/systemd/system/foo-bar-.service.d",
                "/etc/systemd/system/foo-.service.d",
            ]
        );
        assert_eq!(
            dirs("a-b@x-y.service"),
            vec![
                "/etc/systemd/system/a-b@x-y.service.d",
                "/etc/systemd/system/a-b@.service.d",
                "/etc/systemd/system/a-.service.d",
            ]
        );
        assert_eq!(dirs("-x.service"), vec!["/etc/systemd/system/-x.service.d"]);
    }

    #[test]
    fn invalid_names_are_refused() {
        let lookup = LookupPaths::new(Scope::System, Some(Path::new("/nonexistent"))).unwrap();
        assert!(load_unit(&lookup, "no suffix").is_err());
        let c = load_unit(&lookup, "missing.service").unwrap();
        assert_eq!(c.load_state, LoadState::NotFound);
    }
}
