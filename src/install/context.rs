//! install.c's InstallContext: finding a unit file along the search path
//! (unit_file_search()), telling regular files, masks, aliases and linked files apart
//! (unit_file_load_or_readlink()), following aliases (install_info_traverse()), and reading the
//! `[Install]` section with its specifiers (install_name_printf()).

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use super::fsview::FsView;
use super::paths::InstallPaths;
use super::InstallError;
use crate::unit::name::{NameKind, UnitName, UnitType};
use crate::unit::specifier::SpecifierContext;
use crate::unit::syntax::{self, FileError, SyntaxError};

/// install.c's UNIT_FILE_FOLLOW_LIMIT.
pub const FOLLOW_LIMIT: usize = 64;

/// Sections a unit file may have; install.c ignores them all but `[Install]`.
const KNOWN_SECTIONS: [&str; 13] = [
    "Install",
    "Unit",
    "Automount",
    "Device",
    "Mount",
    "Path",
    "Scope",
    "Service",
    "Slice",
    "Socket",
    "Swap",
    "Target",
    "Timer",
];

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

/// One unit as install.c knows it: a name, where its file is, and its `[Install]` settings
/// (unexpanded, as written).
#[derive(Debug, Clone, Default)]
pub struct InstallInfo {
    pub name: String,
    pub path: Option<PathBuf>,
    pub kind: Option<FileKind>,
    /// Where an alias or linked file leads, as a real path.
    pub symlink_target: Option<PathBuf>,
    pub aliases: Vec<String>,
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    pub also: Vec<String>,
    pub default_instance: Option<String>,
    /// Named by another unit's Also=, not by the caller.
    pub auxiliary: bool,
}

impl InstallInfo {
    pub fn has_rules(&self) -> bool {
        !self.aliases.is_empty() || !self.wanted_by.is_empty() || !self.required_by.is_empty()
    }

    pub fn path_or_name(&self) -> String {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| self.name.clone())
    }

    /// install_name_printf(): the specifiers allowed in `[Install]`, with a template's
    /// DefaultInstance= filling in the instance.
    pub fn printf(&self, paths: &InstallPaths, format: &str) -> Result<String, char> {
        let unit = UnitName::parse(&self.name).map_err(|_| 'n')?;
        let with_default = match (&self.default_instance, unit.kind()) {
            (Some(inst), NameKind::Template) => unit.with_instance(inst).ok(),
            _ => None,
        };
        let ctx = SpecifierContext {
            unit: unit.clone(),
            fragment: None,
            scope: paths.scope,
            root: paths.root.clone(),
        };
        let mut out = String::new();
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let spec = chars.next().ok_or('%')?;
            let value = match spec {
                'n' => with_default.as_ref().unwrap_or(&unit).to_string(),
                'N' => with_default.as_ref().unwrap_or(&unit).stem().to_string(),
                'i' => match unit.instance() {
                    Some(i) if !i.is_empty() => i.to_string(),
                    _ => self.default_instance.clone().unwrap_or_default(),
                },
                'p' | 'j' | 'a' | 'A' | 'b' | 'B' | 'H' | 'l' | 'm' | 'M' | 'o' | 'v' | 'w'
                | 'W' | 'g' | 'G' | 'u' | 'U' | '%' => ctx.resolve(spec).map_err(|_| spec)?,
                other => return Err(other),
            };
            out.push_str(&value);
        }
        Ok(out)
    }
}

pub fn may_template(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service | UnitType::Socket | UnitType::Target | UnitType::Timer | UnitType::Path
    )
}

pub fn may_alias(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service
            | UnitType::Socket
            | UnitType::Target
            | UnitType::Device
            | UnitType::Timer
            | UnitType::Path
    )
}

/// systemd's null_or_empty(): an empty regular file or a character device (`/dev/null`).
pub fn null_or_empty(meta: &fs::Metadata) -> bool {
    (meta.is_file() && meta.len() == 0) || meta.file_type().is_char_device()
}

/// unit_validate_alias_symlink_or_warn(): may a symlink named `src` stand for unit `dst`?
pub fn validate_alias(src: &str, dst: &str) -> Result<(), AliasProblem> {
    let s = UnitName::parse(src).map_err(|_| AliasProblem::InvalidSource)?;
    if !may_alias(s.unit_type()) {
        return Err(AliasProblem::NotAllowed);
    }
    if s.kind() != NameKind::Plain && !may_template(s.unit_type()) {
        return Err(AliasProblem::NoTemplates(s.unit_type()));
    }
    if src == dst {
        return Err(AliasProblem::SelfAlias);
    }
    let d = UnitName::parse(dst).map_err(|_| AliasProblem::InvalidTarget)?;
    if !(s.kind() == d.kind() || (s.kind() == NameKind::Instance && d.kind() == NameKind::Template))
    {
        return Err(AliasProblem::KindMismatch);
    }
    if d.kind() == NameKind::Instance && s.instance() != d.instance() {
        return Err(AliasProblem::InstanceMismatch);
    }
    if s.unit_type() != d.unit_type() {
        return Err(AliasProblem::SuffixMismatch);
    }
    Ok(())
}

/// Why an alias symlink is refused, in the order 252 checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasProblem {
    /// EINVAL: the source is not a unit name.
    InvalidSource,
    /// EINVAL: units of the source's type cannot have aliases.
    NotAllowed,
    /// EINVAL: units of the source's type cannot be templates.
    NoTemplates(UnitType),
    /// ELOOP: an alias to itself.
    SelfAlias,
    /// EXDEV: the target is not a unit name.
    InvalidTarget,
    /// EXDEV: plain, template and instance do not fit together.
    KindMismatch,
    /// EXDEV: two instances with different instance names.
    InstanceMismatch,
    /// EXDEV: different unit types.
    SuffixMismatch,
}

impl AliasProblem {
    /// Whether install.c fails with EINVAL (the source's fault) rather than EXDEV.
    pub fn is_invalid_source(self) -> bool {
        matches!(
            self,
            AliasProblem::InvalidSource | AliasProblem::NotAllowed | AliasProblem::NoTemplates(_)
        )
    }

    /// 252's notice, naming the unit (install.c passes the unit name, not the file's path);
    /// none for a self-alias, which callers take for a linked file rather than a mistake.
    pub fn message(self, unit: &str, src: &str, dst: &str) -> Option<String> {
        let text = match self {
            AliasProblem::InvalidSource => {
                format!("{unit}: not a valid unit name \"{src}\": Invalid argument")
            }
            AliasProblem::NotAllowed => {
                format!("{unit}: symlinks are not allowed for units of this type, rejecting.")
            }
            AliasProblem::NoTemplates(t) => {
                format!("{unit}: templates not allowed for {t} units, rejecting.")
            }
            AliasProblem::SelfAlias => return None,
            AliasProblem::InvalidTarget => format!(
                "{unit} points to \"{dst}\" which is not a valid unit name: Invalid cross-device link"
            ),
            AliasProblem::KindMismatch => format!(
                "{unit}: symlink target name type \"{dst}\" does not match source, rejecting."
            ),
            AliasProblem::InstanceMismatch => format!(
                "{unit}: unit symlink target \"{dst}\" instance name doesn't match, rejecting."
            ),
            AliasProblem::SuffixMismatch => format!(
                "{unit}: symlink target \"{dst}\" has incompatible suffix, rejecting."
            ),
        };
        Some(text)
    }
}

/// Split a list setting as config_parse_strv() does: whitespace-separated words, quotes removed.
pub fn split_words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') => {
                cur.push('\\');
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

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

    /// unit_file_load_or_readlink(): load a regular file, or classify a symlink.
    fn load_or_readlink(
        &mut self,
        i: usize,
        path: &Path,
        flags: SearchFlags,
        dropin: bool,
    ) -> Result<(), InstallError> {
        // unit_file_load() refuses a templated name of a type that cannot be templated before
        // it looks at the file system.
        let name = self.infos[i].name.clone();
        let unit = UnitName::parse(&name).map_err(|_| InstallError::Invalid(name.clone()))?;
        if !dropin && unit.kind() != NameKind::Plain && !may_template(unit.unit_type()) {
            self.warnings.push(format!(
                "{}: unit type {} cannot be templated, ignoring.",
                path.display(),
                unit.unit_type()
            ));
            return Err(InstallError::Invalid(name));
        }
        let is_symlink = match self.paths.fs.listed_entry(path) {
            Some(entry) => entry.is_symlink,
            None => match self.paths.fs.symlink_metadata(path) {
                Ok(m) => m.file_type().is_symlink(),
                Err(e) => return Err(not_found_or_io(&name, path, e)),
            },
        };
        if dropin || !is_symlink {
            return self.load(i, path, flags, dropin);
        }
        let raw = self
            .paths
            .fs
            .read_link(path)
            .map_err(|e| InstallError::io(path, e))?;
        let dest = self.paths.symlink_destination(path, &raw);
        let in_search = self.paths.under_search_path(&dest).is_some();
        if in_search {
            let src = file_name(path);
            let dst = file_name(&dest);
            match validate_alias(&src, &dst) {
                Ok(()) => {}
                Err(AliasProblem::SelfAlias) => return Err(InstallError::Linked(src)),
                Err(problem) => {
                    self.warnings.extend(problem.message(&name, &src, &dst));
                    return Err(if problem.is_invalid_source() {
                        InstallError::Invalid(src)
                    } else {
                        InstallError::BadAlias(path.display().to_string())
                    });
                }
            }
        }
        // null_or_empty_path_with_root(): `/dev/null` below the root counts as /dev/null.
        let masked = self.paths.skip_root(&dest) == Path::new("/dev/null")
            || self
                .paths
                .fs
                .metadata(&dest)
                .is_ok_and(|m| null_or_empty(&m));
        let info = &mut self.infos[i];
        info.kind = Some(if masked {
            FileKind::Masked
        } else if in_search {
            FileKind::Alias
        } else {
            FileKind::Linked
        });
        info.symlink_target = Some(dest);
        Ok(())
    }

    /// unit_file_load(): classify a non-symlink, and with `flags.load` parse its `[Install]`.
    fn load(
        &mut self,
        i: usize,
        path: &Path,
        flags: SearchFlags,
        dropin: bool,
    ) -> Result<(), InstallError> {
        let name = self.infos[i].name.clone();
        let unit = UnitName::parse(&name).map_err(|_| InstallError::Invalid(name.clone()))?;
        if dropin && !flags.load {
            return Ok(());
        }
        // A regular file as readdir() saw it, about to be read anyway: its emptiness (a mask)
        // shows in what is read, so it needs no stat() of its own.
        let listed_regular = flags.load
            && self
                .paths
                .fs
                .listed_entry(path)
                .is_some_and(|e| e.is_file && !e.is_symlink);
        if listed_regular {
            return self.load_regular(i, path, &unit, dropin);
        }
        let meta = self
            .paths
            .fs
            .metadata(path)
            .map_err(|e| not_found_or_io(&name, path, e))?;
        if null_or_empty(&meta) {
            if !dropin {
                self.infos[i].kind = Some(FileKind::Masked);
            }
            return Ok(());
        }
        if meta.is_dir() {
            // 252's errnos (EISDIR here, ENOTTY below), which systemctl prints without the path.
            return Err(InstallError::io(
                path,
                io::Error::from_raw_os_error(libc::EISDIR),
            ));
        }
        if !meta.is_file() {
            return Err(InstallError::io(
                path,
                io::Error::from_raw_os_error(libc::ENOTTY),
            ));
        }
        if !flags.load {
            self.infos[i].kind = Some(FileKind::Regular);
            return Ok(());
        }
        let parsed = self.paths.fs.parse_unit_file(path);
        self.apply_parsed(i, path, &unit, dropin, parsed)
    }

    /// A regular file seen in a listing: read it; empty is a mask, anything else is parsed.
    fn load_regular(
        &mut self,
        i: usize,
        path: &Path,
        unit: &UnitName,
        dropin: bool,
    ) -> Result<(), InstallError> {
        let bytes = match self.paths.fs.read_unit_file(path) {
            Ok(bytes) => bytes,
            Err(e) => return self.apply_parsed(i, path, unit, dropin, Err(e)),
        };
        if bytes.is_empty() {
            if !dropin {
                self.infos[i].kind = Some(FileKind::Masked);
            }
            return Ok(());
        }
        let parsed = syntax::parse(&bytes).map_err(|source| FileError::Syntax {
            path: path.to_path_buf(),
            source,
        });
        self.apply_parsed(i, path, unit, dropin, parsed)
    }

    /// The outcome of reading and parsing a unit file: its warnings and `[Install]` settings for
    /// unit `i`, or install.c's error for it.
    fn apply_parsed(
        &mut self,
        i: usize,
        path: &Path,
        unit: &UnitName,
        dropin: bool,
        parsed: Result<syntax::Document, FileError>,
    ) -> Result<(), InstallError> {
        let doc = match parsed {
            Ok(doc) => doc,
            Err(FileError::Syntax {
                source: SyntaxError::InvalidSectionHeader { line, header },
                ..
            }) => {
                // config_parse() reads line by line: the lines before the bad header have been
                // read (and warned about, and may have failed first) when it fails the file.
                let before = self
                    .paths
                    .fs
                    .read(path)
                    .map_err(|e| InstallError::io(path, e))?;
                let before: Vec<&[u8]> = before.split(|&b| b == b'\n').take(line - 1).collect();
                if let Ok(doc) = syntax::parse(&before.join(&b'\n')) {
                    self.apply_install_section(i, path, unit, &doc)?;
                }
                self.warnings.push(format!(
                    "{}:{line}: Invalid section header '{header}'",
                    path.display()
                ));
                return Err(InstallError::BadMessage(path.to_path_buf()));
            }
            Err(FileError::Io { source, .. }) => {
                return Err(InstallError::io(path, source));
            }
            Err(FileError::Syntax { source, .. }) => {
                return Err(InstallError::BadFile {
                    path: path.to_path_buf(),
                    reason: format!("line {}: {source}", source.line()),
                })
            }
            Err(e) => {
                return Err(InstallError::BadFile {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })
            }
        };
        self.apply_install_section(i, path, unit, &doc)?;
        if !dropin {
            self.infos[i].kind = Some(FileKind::Regular);
        }
        Ok(())
    }

    /// The warnings of a parsed unit file and the `[Install]` settings it gives unit `i`.
    fn apply_install_section(
        &mut self,
        i: usize,
        path: &Path,
        unit: &UnitName,
        doc: &syntax::Document,
    ) -> Result<(), InstallError> {
        for w in &doc.warnings {
            self.warnings
                .push(format!("{}:{}: {}", path.display(), w.line, w.message));
        }
        let mut also_names = Vec::new();
        for section in &doc.sections {
            if section.name.starts_with("X-") {
                continue;
            }
            if !KNOWN_SECTIONS.contains(&section.name.as_str()) {
                self.warnings.push(format!(
                    "{}:{}: Unknown section '{}'. Ignoring.",
                    path.display(),
                    section.line,
                    section.name
                ));
                continue;
            }
            if section.name != "Install" {
                continue;
            }
            for entry in &section.entries {
                let words = split_words(&entry.value);
                let info = &mut self.infos[i];
                let list = match entry.key.as_str() {
                    "Alias" if !may_alias(unit.unit_type()) => {
                        self.warnings.push(format!(
                            "{}:{}: Alias= is not allowed for {} units, ignoring.",
                            path.display(),
                            entry.line,
                            unit.unit_type()
                        ));
                        continue;
                    }
                    "Alias" => &mut info.aliases,
                    "WantedBy" => &mut info.wanted_by,
                    "RequiredBy" => &mut info.required_by,
                    // An instance loaded from its template's file has its own instance.
                    "DefaultInstance" if unit.is_instance() => continue,
                    "DefaultInstance" => {
                        let printed = info.printf(self.paths, &entry.value);
                        match printed {
                            Ok(p) if p.is_empty() => info.default_instance = None,
                            // unit_instance_is_valid(); an invalid value fails the whole file.
                            Ok(p) if !UnitName::parse(&format!("i@{p}.service"))
                                .is_ok_and(|n| n.instance() == Some(p.as_str())) =>
                            {
                                self.warnings.push(format!(
                                    "{}:{}: Invalid DefaultInstance= value \"{p}\".",
                                    path.display(),
                                    entry.line
                                ));
                                return Err(InstallError::Invalid(unit.to_string()));
                            }
                            Ok(p) => info.default_instance = Some(p),
                            Err(_) => self.warnings.push(format!(
                                "{}:{}: Failed to resolve instance name in DefaultInstance=\"{}\": Invalid slot",
                                path.display(),
                                entry.line,
                                entry.value
                            )),
                        }
                        continue;
                    }
                    "Also" => {
                        for w in words {
                            match info.printf(self.paths, &w) {
                                Ok(p) => also_names.push(p),
                                Err(_) => self.warnings.push(format!(
                                    "{}:{}: Failed to resolve unit name in Also=\"{w}\": Invalid slot",
                                    path.display(),
                                    entry.line
                                )),
                            }
                        }
                        continue;
                    }
                    other => {
                        self.warnings.push(format!(
                            "{}:{}: Unknown key '{other}' in section [Install], ignoring.",
                            path.display(),
                            entry.line
                        ));
                        continue;
                    }
                };
                if entry.value.is_empty() {
                    list.clear();
                } else {
                    list.extend(words);
                }
            }
        }
        for also in also_names {
            self.add(Some(&also), None, true)?;
            self.infos[i].also.push(also);
        }
        Ok(())
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Errors that make unit_file_search() try the next directory: the file is not there.
fn not_found_or_io(name: &str, path: &Path, e: io::Error) -> InstallError {
    match e.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENOTDIR) | Some(libc::EACCES) => {
            InstallError::NotFound(name.to_string())
        }
        _ => InstallError::io(path, e),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_must_fit_their_unit() {
        assert_eq!(validate_alias("b.service", "a.service"), Ok(()));
        assert_eq!(
            validate_alias("a.service", "a.service"),
            Err(AliasProblem::SelfAlias)
        );
        assert_eq!(
            validate_alias("b.socket", "a.service"),
            Err(AliasProblem::SuffixMismatch)
        );
        assert_eq!(
            validate_alias("b.service", "a@.service"),
            Err(AliasProblem::KindMismatch)
        );
        assert_eq!(
            validate_alias("b.service", "bad name"),
            Err(AliasProblem::InvalidTarget)
        );
        assert_eq!(validate_alias("b@x.service", "a@.service"), Ok(()));
        assert_eq!(
            validate_alias("b@x.service", "a@y.service"),
            Err(AliasProblem::InstanceMismatch)
        );
        assert_eq!(
            validate_alias("b.mount", "a.mount"),
            Err(AliasProblem::NotAllowed)
        );
    }

    #[test]
    fn list_settings_split_like_config_parse_strv() {
        assert_eq!(
            split_words("a.target  \"b c.target\" 'd'"),
            vec!["a.target", "b c.target", "d"]
        );
        assert!(split_words("   ").is_empty());
    }
}
