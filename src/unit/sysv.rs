//! systemd-sysv-generator(8) of systemd 252: the `NAME.service` units systemd makes from SysV init
//! scripts in `/etc/init.d` that have no native unit, with the `.wants` links it derives from the
//! `S??NAME` links in `/etc/rcN.d` and the aliases it derives from the LSB `Provides:` line.
//!
//! The unit text is the one the generator writes, byte for byte: the same `[Unit]` and `[Service]`
//! lines in the same order, the same LSB and chkconfig header rules (including their quirks, such as
//! `Required-Stop:`, `Default-Start:` and `X-Interactive:` being ignored: only the rc links decide
//! where a script is wanted), the same `$facility` mapping and the same `Usage:` heuristic for
//! `ExecReload=`.
//!
//! Where the generator's output depends on the iteration order of its hash tables (which script
//! wins two claims on one `Provides:` alias, the order of the `After=`/`Before=` lines that order
//! scripts without LSB headers by start priority), this module uses the order of unit names.
//! Directory entries are read in name order too, where the generator uses `readdir()` order.
//!
//! Deliberate differences, for files that are not init scripts: a script over [`MAX_SCRIPT_SIZE`]
//! or with NUL bytes (a binary) is an error here where the generator makes a unit of whatever it
//! finds in it; a script that vanished between listing and reading is an error where the generator
//! skips it silently; bytes that are not UTF-8 are read as U+FFFD. Init directories are taken as
//! given, where the generator resolves symlinks in them (which shows in `SourcePath=`).

use std::collections::{BTreeMap, HashSet};
use std::env;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::name::{self, NameKind, UnitName, UnitType};
use super::paths::{normalize, on_disk, Last, LookupPaths};

/// Debian builds systemd with `-Dsysvinit-path=/etc/init.d`.
pub const DEFAULT_SYSVINIT_DIRS: &[&str] = &["/etc/init.d"];
/// Debian builds systemd with `-Dsysvrcnd-path=/etc`.
pub const DEFAULT_SYSVRCND_DIRS: &[&str] = &["/etc"];
/// Real init scripts are a few KiB; anything bigger than this is not one.
pub const MAX_SCRIPT_SIZE: u64 = 1 << 20;

/// The rcN.d directories that pull services in, and the targets they stand for. The shutdown
/// runlevels 0 and 6 are left out, as the generator does: default dependencies stop services anyway.
const RUNLEVEL_TARGETS: &[(&str, &str)] = &[
    ("rc1.d", "rescue.target"),
    ("rc2.d", "multi-user.target"),
    ("rc3.d", "multi-user.target"),
    ("rc4.d", "multi-user.target"),
    ("rc5.d", "graphical.target"),
];

/// LSB facilities with a fixed meaning; `None` means the facility is always there under systemd.
const LSB_FACILITIES: &[(&str, Option<&str>)] = &[
    ("local_fs", None),
    ("network", Some("network-online.target")),
    ("named", Some("nss-lookup.target")),
    ("portmap", Some("rpcbind.target")),
    ("remote_fs", Some("remote-fs.target")),
    ("syslog", None),
    ("time", Some("time-sync.target")),
];

/// systemd's `WHITESPACE`, which is all that `strstrip()` and `extract_first_word()` treat as such.
const WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

/// LSB exit codes 5 (not installed) and 6 (not configured) count as a clean exit.
const LSB_SUCCESS_EXIT_STATUS: &str = "5 6";

#[derive(Debug, Error)]
pub enum SysvError {
    #[error("Failed to read SysV script {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("SysV script {path} is larger than {MAX_SCRIPT_SIZE} bytes, refusing to parse it")]
    TooLarge { path: PathBuf },
    #[error("SysV script {path} contains NUL bytes: a binary, not an init script")]
    Binary { path: PathBuf },
}

/// One unit the generator would write into its output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedUnit {
    /// `NAME.service`, from the script's file name without `.sh`.
    pub name: String,
    /// The unit file's contents.
    pub text: String,
    /// The init script, as a path inside the root; also the unit's `SourcePath=`.
    pub source_path: PathBuf,
    /// Targets whose `.wants/` directory links to this unit, each once, in the generator's order.
    pub wanted_by: Vec<String>,
    /// Service names from `Provides:` that the generator links to this unit.
    pub aliases: Vec<String>,
}

/// Where the generator looks for init scripts and rcN.d directories, as paths inside `root`.
#[derive(Debug, Clone)]
pub struct SysvLayout {
    pub root: PathBuf,
    /// Directories of init scripts, in precedence order (`$SYSTEMD_SYSVINIT_PATH`).
    pub init_dirs: Vec<PathBuf>,
    /// Directories holding `rc1.d` … `rc5.d` (`$SYSTEMD_SYSVRCND_PATH`).
    pub rcnd_dirs: Vec<PathBuf>,
}

/// Everything one generator run would produce: the units, and why some scripts made none.
#[derive(Debug, Default)]
pub struct SysvScan {
    pub units: Vec<GeneratedUnit>,
    pub errors: Vec<SysvError>,
}

impl SysvLayout {
    /// Debian's compiled-in directories below `root`.
    pub fn debian(root: &Path) -> SysvLayout {
        SysvLayout {
            root: root.to_path_buf(),
            init_dirs: DEFAULT_SYSVINIT_DIRS.iter().map(PathBuf::from).collect(),
            rcnd_dirs: DEFAULT_SYSVRCND_DIRS.iter().map(PathBuf::from).collect(),
        }
    }

    /// The generator's directories: `$SYSTEMD_SYSVINIT_PATH` and `$SYSTEMD_SYSVRCND_PATH` (lists
    /// separated by `:`) where set and naming an absolute directory, else Debian's; all below `root`.
    pub fn from_env(root: &Path) -> SysvLayout {
        SysvLayout::with_overrides(
            root,
            env::var("SYSTEMD_SYSVINIT_PATH").ok().as_deref(),
            env::var("SYSTEMD_SYSVRCND_PATH").ok().as_deref(),
        )
    }

    fn with_overrides(root: &Path, init: Option<&str>, rcnd: Option<&str>) -> SysvLayout {
        let mut layout = SysvLayout::debian(root);
        for (dirs, value) in [(&mut layout.init_dirs, init), (&mut layout.rcnd_dirs, rcnd)] {
            let mut listed: Vec<PathBuf> = Vec::new();
            for dir in value
                .unwrap_or_default()
                .split(':')
                .filter(|d| !d.is_empty())
            {
                let dir = normalize(Path::new(dir));
                if dir.is_absolute() && !listed.contains(&dir) {
                    listed.push(dir);
                }
            }
            if !listed.is_empty() {
                *dirs = listed;
            }
        }
        layout
    }

    /// Where `inside` is on disk: resolved inside the root as every reader below a root does
    /// ([`on_disk`]), so an absolute symlink such as `/etc/init.d -> /opt/init.d` never reads
    /// the host's scripts.
    fn real(&self, inside: &Path) -> PathBuf {
        let lexical = self.root.join(inside.strip_prefix("/").unwrap_or(inside));
        on_disk(&self.root, &lexical, Last::Follow).unwrap_or(lexical)
    }

    /// Runs the generator over every script. `native_exists(name)` tells whether a native unit
    /// file (or mask) of that name is in the unit search path, which makes the generator skip the
    /// script; [`native_unit_exists`] is that check for a [`LookupPaths`].
    pub fn generate_all(&self, native_exists: &dyn Fn(&str) -> bool) -> SysvScan {
        let mut stubs = self.enumerate_scripts(native_exists);
        self.apply_runlevel_links(&mut stubs);
        let mut scan = SysvScan::default();
        for stub in stubs.values_mut() {
            match self.read_script(&stub.path) {
                Ok(text) => stub.load(&text),
                Err(e) => scan.errors.push(e),
            }
        }
        order_by_start_priority(&mut stubs);
        let mut claimed: HashSet<String> = stubs
            .values()
            .filter(|s| s.header.is_some())
            .map(|s| s.name.clone())
            .collect();
        for stub in stubs.values() {
            if let Some(unit) = stub.to_unit(&mut claimed) {
                scan.units.push(unit);
            }
        }
        scan
    }

    /// The unit the generator would make from `script_inside` (a path inside the root): `None`
    /// when it would make none, because the script is not an executable regular file in one of
    /// the init directories, another script of that unit name comes first, or a native unit of
    /// that name exists. Reads every script, as the others' start priorities and `Provides:` claims
    /// change this unit.
    pub fn generate(
        &self,
        script_inside: &Path,
        native_exists: &dyn Fn(&str) -> bool,
    ) -> Result<Option<GeneratedUnit>, SysvError> {
        let script_inside = normalize(script_inside);
        let scan = self.generate_all(native_exists);
        if let Some(unit) = scan
            .units
            .into_iter()
            .find(|u| u.source_path == script_inside)
        {
            return Ok(Some(unit));
        }
        match scan
            .errors
            .into_iter()
            .find(|e| e.path() == self.real(&script_inside))
        {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    fn enumerate_scripts(&self, native_exists: &dyn Fn(&str) -> bool) -> BTreeMap<String, Stub> {
        let mut stubs = BTreeMap::new();
        for dir in &self.init_dirs {
            for file_name in sorted_entries(&self.real(dir)) {
                let path = dir.join(&file_name);
                let Ok(meta) = fs::metadata(self.real(&path)) else {
                    continue;
                };
                if meta.permissions().mode() & 0o100 == 0 || !meta.is_file() {
                    continue;
                }
                let Some(name) = translate_name(&file_name) else {
                    continue;
                };
                if stubs.contains_key(&name) || native_exists(&name) {
                    continue;
                }
                stubs.insert(name.clone(), Stub::new(name, path));
            }
        }
        stubs
    }

    fn apply_runlevel_links(&self, stubs: &mut BTreeMap<String, Stub>) {
        let mut runlevels: Vec<Vec<String>> = vec![Vec::new(); RUNLEVEL_TARGETS.len()];
        for dir in &self.rcnd_dirs {
            for (members, (rcnd, _)) in runlevels.iter_mut().zip(RUNLEVEL_TARGETS) {
                for link in sorted_entries(&self.real(&dir.join(rcnd))) {
                    let Some((priority, script)) = parse_start_link(&link) else {
                        continue;
                    };
                    let Some(name) = translate_name(script) else {
                        continue;
                    };
                    let Some(stub) = stubs.get_mut(&name) else {
                        continue;
                    };
                    stub.start_priority = stub.start_priority.max(Some(priority));
                    if !members.contains(&name) {
                        members.push(name);
                    }
                }
            }
        }
        for (members, (_, target)) in runlevels.iter().zip(RUNLEVEL_TARGETS) {
            for name in members {
                if let Some(stub) = stubs.get_mut(name) {
                    stub.before.push(target.to_string());
                    stub.wanted_by.push(target.to_string());
                }
            }
        }
    }

    fn read_script(&self, inside: &Path) -> Result<String, SysvError> {
        let path = self.real(inside);
        let read_err = |source| SysvError::Read {
            path: path.clone(),
            source,
        };
        let file = fs::File::open(&path).map_err(read_err)?;
        let mut bytes = Vec::new();
        file.take(MAX_SCRIPT_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        if bytes.len() as u64 > MAX_SCRIPT_SIZE {
            return Err(SysvError::TooLarge { path });
        }
        if bytes.contains(&0) {
            return Err(SysvError::Binary { path });
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl SysvError {
    /// The file the error is about, as the filesystem sees it.
    pub fn path(&self) -> &Path {
        match self {
            SysvError::Read { path, .. }
            | SysvError::TooLarge { path }
            | SysvError::Binary { path } => path,
        }
    }
}

/// [`SysvLayout::generate`] for the directories of [`SysvLayout::from_env`] below `root`.
pub fn generate(
    root: &Path,
    script_inside: &Path,
    native_exists: &dyn Fn(&str) -> bool,
) -> Result<Option<GeneratedUnit>, SysvError> {
    SysvLayout::from_env(root).generate(script_inside, native_exists)
}

/// The generator's native-unit check: is `name` in the unit search path, generator directories
/// excluded? Any directory entry counts, masks (links to /dev/null) and dangling links included.
pub fn native_unit_exists(lp: &LookupPaths, name: &str) -> bool {
    lp.search
        .iter()
        .filter(|dir| !lp.generators.contains(dir))
        .any(|dir| {
            lp.on_disk(&dir.join(name), Last::NoFollow)
                .is_ok_and(|path| fs::symlink_metadata(path).is_ok())
        })
}

fn sorted_entries(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// `S20exim4` → `(20, "exim4")`.
fn parse_start_link(link: &str) -> Option<(u8, &str)> {
    let rest = link.strip_prefix('S')?;
    let digits = rest.get(..2)?;
    let script = rest.get(2..).filter(|s| !s.is_empty())?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, script))
}

/// A script or facility name as a unit name: `.sh` dropped, then mangled like a command-line name.
fn translate_name(script: &str) -> Option<String> {
    let stem = script.strip_suffix(".sh").unwrap_or(script);
    name::mangle(stem, UnitType::Service)
        .ok()
        .map(|n| n.to_string())
}

/// The unit a name from an LSB dependency or `Provides:` line stands for; `None` when it stands
/// for nothing (facilities systemd always provides, the script's own name, invalid names).
fn translate_facility(word: &str, script_file_name: &str) -> Option<String> {
    let bare = word.strip_prefix('$').unwrap_or(word);
    if let Some((_, unit)) = LSB_FACILITIES.iter().find(|(f, _)| *f == bare) {
        return unit.map(str::to_string);
    }
    if word.starts_with('$') {
        let target = UnitName::parse(&format!("{bare}.target")).ok()?;
        return (target.kind() == NameKind::Plain).then(|| target.to_string());
    }
    let own_name = script_file_name
        .strip_suffix(".sh")
        .unwrap_or(script_file_name);
    if bare == own_name {
        return None;
    }
    translate_name(bare)
}

/// `strcasestr()` for ASCII needles.
fn contains_no_case(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

fn strip_prefix_no_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn usage_contains_reload(line: &str) -> bool {
    const PATTERNS: &[&str] = &[
        "{reload|",
        "{reload}",
        "{reload\"",
        "|reload|",
        "|reload}",
        "|reload\"",
    ];
    let lower = line.to_ascii_lowercase();
    PATTERNS.iter().any(|p| lower.contains(p))
}

/// `strstrip()` followed by `empty_to_null()`.
fn non_empty(s: &str) -> Option<String> {
    let t = s.trim_matches(WHITESPACE);
    (!t.is_empty()).then(|| t.to_string())
}

fn extend_with_space(target: &mut Option<String>, text: &str) {
    match target {
        Some(t) if !t.is_empty() => {
            t.push(' ');
            t.push_str(text);
        }
        _ => *target = Some(text.to_string()),
    }
}

/// `%` doubled, so that the unit loader's specifier expansion gives the text back.
fn specifier_escape(s: &str) -> String {
    s.replace('%', "%%")
}

/// The lines of a file as systemd's `read_line()` sees them: `\n`, `\r`, `\r\n` and `\n\r` each
/// end a line, but `\n\n` ends two.
fn script_lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\n' || c == b'\r' {
            lines.push(&text[start..i]);
            let pair = if c == b'\n' { b'\r' } else { b'\n' };
            i += if bytes.get(i + 1) == Some(&pair) {
                2
            } else {
                1
            };
            start = i;
        } else {
            i += 1;
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// systemd's `extract_first_word()` with `EXTRACT_UNQUOTE|EXTRACT_RELAX`: whitespace-separated
/// words, quotes removed, a backslash taking the next character literally.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| WHITESPACE.contains(c)).is_some() {}
        if chars.peek().is_none() {
            return words;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (_, '\\') => {
                    if let Some(escaped) = chars.next() {
                        word.push(escaped);
                    }
                }
                (Some(q), c) if c == q => quote = None,
                (None, '\'' | '"') => quote = Some(c),
                (None, c) if WHITESPACE.contains(&c) => break,
                (_, c) => word.push(c),
            }
        }
        words.push(word);
    }
}

/// What `load_sysv()` learns from the script's text.
#[derive(Debug, Default)]
struct Header {
    has_lsb: bool,
    reload: bool,
    description: Option<String>,
    pid_file: Option<String>,
}

#[derive(Debug)]
struct Stub {
    name: String,
    path: PathBuf,
    start_priority: Option<u8>,
    before: Vec<String>,
    after: Vec<String>,
    wants: Vec<String>,
    wanted_by: Vec<String>,
    provides: Vec<String>,
    /// Set once the script was read; the generator writes units only for these.
    header: Option<Header>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ParseState {
    Normal,
    ChkconfigDescription,
    Lsb,
    LsbDescription,
    UsageContinuation,
}

impl Stub {
    fn new(name: String, path: PathBuf) -> Stub {
        Stub {
            name,
            path,
            start_priority: None,
            before: Vec::new(),
            after: Vec::new(),
            wants: Vec::new(),
            wanted_by: Vec::new(),
            provides: Vec::new(),
            header: None,
        }
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn load(&mut self, text: &str) {
        let mut header = Header::default();
        let mut state = ParseState::Normal;
        let mut short_description = None;
        let mut long_description = None;
        let mut chkconfig_description = None;
        for raw in script_lines(text) {
            let line = raw.trim_matches(WHITESPACE);
            let Some(comment) = line.strip_prefix('#') else {
                if state == ParseState::UsageContinuation
                    || (state == ParseState::Normal && contains_no_case(line, "usage"))
                {
                    state = if usage_contains_reload(line) {
                        header.reload = true;
                        ParseState::Normal
                    } else if line.ends_with('\\') {
                        ParseState::UsageContinuation
                    } else {
                        ParseState::Normal
                    };
                }
                continue;
            };
            if state == ParseState::Normal && line == "### BEGIN INIT INFO" {
                state = ParseState::Lsb;
                header.has_lsb = true;
                continue;
            }
            if matches!(state, ParseState::Lsb | ParseState::LsbDescription)
                && line == "### END INIT INFO"
            {
                state = ParseState::Normal;
                continue;
            }
            let t = comment.trim_start_matches(WHITESPACE);
            match state {
                ParseState::Normal => {
                    if let Some(value) = strip_prefix_no_case(t, "description:") {
                        let value = match value.strip_suffix('\\') {
                            Some(v) => {
                                state = ParseState::ChkconfigDescription;
                                v
                            }
                            None => value,
                        };
                        chkconfig_description = non_empty(value);
                    } else if let Some(value) = strip_prefix_no_case(t, "pidfile:") {
                        let file = value.trim_matches(WHITESPACE);
                        if file.starts_with('/') {
                            header.pid_file = Some(file.to_string());
                        }
                    }
                }
                ParseState::ChkconfigDescription => {
                    let value = match t.strip_suffix('\\') {
                        Some(v) => v,
                        None => {
                            state = ParseState::Normal;
                            t
                        }
                    };
                    if let Some(v) = non_empty(value) {
                        extend_with_space(&mut chkconfig_description, &v);
                    }
                }
                ParseState::Lsb | ParseState::LsbDescription => {
                    if let Some(value) = strip_prefix_no_case(t, "Provides:") {
                        state = ParseState::Lsb;
                        self.handle_provides(value);
                    } else if let Some(value) =
                        ["Required-Start:", "Should-Start:", "X-Start-After:"]
                            .iter()
                            .find_map(|k| strip_prefix_no_case(t, k))
                    {
                        state = ParseState::Lsb;
                        self.handle_dependencies(value, false);
                    } else if let Some(value) = strip_prefix_no_case(t, "X-Start-Before:") {
                        state = ParseState::Lsb;
                        self.handle_dependencies(value, true);
                    } else if let Some(value) = strip_prefix_no_case(t, "Description:") {
                        state = ParseState::LsbDescription;
                        long_description = non_empty(value);
                    } else if let Some(value) = strip_prefix_no_case(t, "Short-Description:") {
                        state = ParseState::Lsb;
                        short_description = non_empty(value);
                    } else if state == ParseState::LsbDescription {
                        // Only indented comment lines continue a Description:.
                        if line.starts_with("#\t") || line.starts_with("#  ") {
                            if let Some(v) = non_empty(t) {
                                extend_with_space(&mut long_description, &v);
                            }
                        } else {
                            state = ParseState::Lsb;
                        }
                    }
                }
                ParseState::UsageContinuation => {}
            }
        }
        header.description = short_description
            .or(chkconfig_description)
            .or(long_description)
            .map(|d| {
                let origin = if header.has_lsb { "LSB" } else { "SYSV" };
                format!("{origin}: {d}")
            });
        self.header = Some(header);
    }

    fn handle_provides(&mut self, value: &str) {
        let file_name = self.file_name();
        for word in split_words(value) {
            let Some(unit) = translate_facility(&word, &file_name) else {
                continue;
            };
            if unit.ends_with(".service") {
                self.provides.push(unit);
            } else if unit.ends_with(".target") {
                // A target a service provides is pulled in by that service, never the reverse.
                self.before.push(unit.clone());
                self.wants.push(unit.clone());
                if unit == "network-online.target" {
                    self.before.push("network.target".to_string());
                    self.wants.push("network.target".to_string());
                }
            }
        }
    }

    fn handle_dependencies(&mut self, value: &str, start_before: bool) {
        let file_name = self.file_name();
        for word in split_words(value) {
            let Some(unit) = translate_facility(&word, &file_name) else {
                continue;
            };
            if start_before {
                self.before.push(unit);
            } else if unit == "network-online.target" {
                // network-online.target is passive: ordering after it alone would not start it.
                self.after.push(unit.clone());
                self.wants.push(unit);
            } else {
                self.after.push(unit);
            }
        }
    }

    /// The unit, with the `Provides:` aliases not yet `claimed` by a unit or an earlier alias.
    fn to_unit(&self, claimed: &mut HashSet<String>) -> Option<GeneratedUnit> {
        let header = self.header.as_ref()?;
        let path = specifier_escape(&self.path.to_string_lossy());
        let mut text = format!(
            "# Automatically generated by systemd-sysv-generator\n\n\
             [Unit]\n\
             Documentation=man:systemd-sysv-generator(8)\n\
             SourcePath={path}\n"
        );
        if let Some(d) = &header.description {
            text.push_str(&format!("Description={}\n", specifier_escape(d)));
        }
        for (key, units) in [
            ("Before", &self.before),
            ("After", &self.after),
            ("Wants", &self.wants),
        ] {
            for unit in units {
                text.push_str(&format!("{key}={unit}\n"));
            }
        }
        text.push_str(&format!(
            "\n[Service]\n\
             Type=forking\n\
             Restart=no\n\
             TimeoutSec=5min\n\
             IgnoreSIGPIPE=no\n\
             KillMode=process\n\
             GuessMainPID=no\n\
             RemainAfterExit={}\n",
            if header.pid_file.is_some() {
                "no"
            } else {
                "yes"
            }
        ));
        if let Some(pid_file) = &header.pid_file {
            text.push_str(&format!("PIDFile={}\n", specifier_escape(pid_file)));
        }
        if header.has_lsb {
            text.push_str(&format!("SuccessExitStatus={LSB_SUCCESS_EXIT_STATUS}\n"));
        }
        text.push_str(&format!("ExecStart={path} start\nExecStop={path} stop\n"));
        if header.reload {
            text.push_str(&format!("ExecReload={path} reload\n"));
        }
        let mut wanted_by: Vec<String> = Vec::new();
        for target in &self.wanted_by {
            if !wanted_by.contains(target) {
                wanted_by.push(target.clone());
            }
        }
        let aliases = self
            .provides
            .iter()
            .filter(|alias| claimed.insert(alias.to_string()))
            .cloned()
            .collect();
        Some(GeneratedUnit {
            name: self.name.clone(),
            text,
            source_path: self.path.clone(),
            wanted_by,
            aliases,
        })
    }
}

/// Scripts without LSB headers are ordered among the others by their rc link priorities, as
/// SysV init would have run them.
fn order_by_start_priority(stubs: &mut BTreeMap<String, Stub>) {
    let ranked: Vec<(String, u8, bool)> = stubs
        .values()
        .filter_map(|s| {
            let header = s.header.as_ref()?;
            Some((s.name.clone(), s.start_priority?, header.has_lsb))
        })
        .collect();
    for (name, priority, has_lsb) in &ranked {
        let Some(stub) = stubs.get_mut(name) else {
            continue;
        };
        for (other, other_priority, other_has_lsb) in &ranked {
            if other == name || (*has_lsb && *other_has_lsb) {
                continue;
            }
            if other_priority < priority {
                stub.after.push(other.clone());
            } else if other_priority > priority {
                stub.before.push(other.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::paths::Scope;

    fn root_with(scripts: &[(&str, &str, u32)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let init_d = dir.path().join("etc/init.d");
        fs::create_dir_all(&init_d).expect("mkdir");
        for (name, text, mode) in scripts {
            let path = init_d.join(name);
            fs::write(&path, text).expect("write");
            fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).expect("chmod");
        }
        dir
    }

    fn no_native(_: &str) -> bool {
        false
    }

    fn loaded(text: &str) -> Stub {
        let mut stub = Stub::new("foo.service".into(), PathBuf::from("/etc/init.d/foo"));
        stub.load(text);
        stub
    }

    const LSB: &str = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: foo foo-alias $foo-ready\n\
        # Required-Start: $network $local_fs\n# Short-Description: Foo\n### END INIT INFO\n\
        echo \"Usage: foo {start|stop|reload}\"\n";

    #[test]
    fn generate_reads_one_script_with_its_links_and_aliases() {
        let dir = root_with(&[("foo", LSB, 0o755)]);
        let rc2 = dir.path().join("etc/rc2.d");
        fs::create_dir_all(&rc2).expect("mkdir");
        std::os::unix::fs::symlink("../init.d/foo", rc2.join("S01foo")).expect("link");
        let unit = generate(dir.path(), Path::new("/etc/init.d/./foo"), &no_native)
            .expect("readable")
            .expect("eligible");
        assert_eq!(unit.name, "foo.service");
        assert_eq!(unit.source_path, Path::new("/etc/init.d/foo"));
        assert_eq!(unit.wanted_by, ["multi-user.target"]);
        assert_eq!(unit.aliases, ["foo-alias.service"]);
        for line in [
            "SourcePath=/etc/init.d/foo\nDescription=LSB: Foo\n",
            "Before=multi-user.target\nBefore=foo-ready.target\n",
            "After=network-online.target\nWants=foo-ready.target\nWants=network-online.target\n",
            "SuccessExitStatus=5 6\nExecStart=/etc/init.d/foo start\n",
            "ExecReload=/etc/init.d/foo reload\n",
        ] {
            assert!(unit.text.contains(line), "{line:?} not in\n{}", unit.text);
        }
    }

    /// An image keeping /etc/init.d on a volume (`/etc/init.d -> /data/init.d`): below a root
    /// the link leads to the root's /data, never to the host's.
    #[test]
    fn absolute_symlinked_init_d_is_read_inside_the_root() {
        let dir = root_with(&[("foo", LSB, 0o755)]);
        let data = dir.path().join("data");
        fs::create_dir_all(&data).expect("mkdir");
        fs::rename(dir.path().join("etc/init.d"), data.join("init.d")).expect("move");
        std::os::unix::fs::symlink("/data/init.d", dir.path().join("etc/init.d")).expect("link");
        let unit = generate(dir.path(), Path::new("/etc/init.d/foo"), &no_native)
            .expect("readable")
            .expect("eligible");
        assert_eq!(unit.name, "foo.service");
    }

    #[test]
    fn ineligible_scripts_make_no_unit() {
        let dir = root_with(&[("plain", LSB, 0o644), ("native", LSB, 0o755)]);
        fs::create_dir_all(dir.path().join("etc/init.d/subdir")).expect("mkdir");
        let native = |name: &str| name == "native.service";
        for script in ["plain", "native", "subdir", "missing"] {
            let inside = Path::new("/etc/init.d").join(script);
            let got = generate(dir.path(), &inside, &native).expect("no error");
            assert_eq!(got, None, "{script}");
        }
    }

    #[test]
    fn the_first_script_of_a_name_wins() {
        let dir = root_with(&[("foo", LSB, 0o755), ("foo.sh", LSB, 0o755)]);
        let scan = SysvLayout::debian(dir.path()).generate_all(&no_native);
        let names: Vec<&Path> = scan.units.iter().map(|u| u.source_path.as_path()).collect();
        assert_eq!(names, [Path::new("/etc/init.d/foo")]);
    }

    #[test]
    fn binary_and_huge_scripts_are_errors_naming_the_file() {
        let huge = "#".repeat(MAX_SCRIPT_SIZE as usize + 1);
        let dir = root_with(&[("elf", "\x7fELF\0\0\0", 0o755), ("huge", &huge, 0o755)]);
        let err =
            generate(dir.path(), Path::new("/etc/init.d/elf"), &no_native).expect_err("binary");
        assert!(matches!(err, SysvError::Binary { .. }));
        assert!(err.to_string().contains("/etc/init.d/elf"), "{err}");
        let err =
            generate(dir.path(), Path::new("/etc/init.d/huge"), &no_native).expect_err("huge");
        assert!(matches!(err, SysvError::TooLarge { .. }));
        assert!(err.to_string().contains("/etc/init.d/huge"), "{err}");
        let scan = SysvLayout::debian(dir.path()).generate_all(&no_native);
        assert!(scan.units.is_empty());
        assert_eq!(scan.errors.len(), 2);
    }

    #[test]
    fn a_vanished_script_is_a_read_error_naming_the_file() {
        let dir = root_with(&[]);
        let layout = SysvLayout::debian(dir.path());
        let err = layout
            .read_script(Path::new("/etc/init.d/gone"))
            .expect_err("missing");
        assert!(matches!(err, SysvError::Read { .. }));
        assert!(err.to_string().contains("/etc/init.d/gone"), "{err}");
    }

    #[test]
    fn non_utf8_text_is_read_lossily() {
        let dir = tempfile::tempdir().expect("tempdir");
        let init_d = dir.path().join("etc/init.d");
        fs::create_dir_all(&init_d).expect("mkdir");
        fs::write(
            init_d.join("latin1"),
            b"#!/bin/sh\n# Author: Fran\xe7ois\n### BEGIN INIT INFO\n# Short-Description: ok\n### END INIT INFO\n",
        )
        .expect("write");
        fs::set_permissions(init_d.join("latin1"), fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let unit = generate(dir.path(), Path::new("/etc/init.d/latin1"), &no_native)
            .expect("readable")
            .expect("eligible");
        assert!(unit.text.contains("Description=LSB: ok\n"));
    }

    #[test]
    fn facilities_map_to_targets_and_services() {
        let cases = [
            ("$network", Some("network-online.target")),
            ("network", Some("network-online.target")),
            ("$remote_fs", Some("remote-fs.target")),
            ("$local_fs", None),
            ("$syslog", None),
            ("$named", Some("nss-lookup.target")),
            ("$portmap", Some("rpcbind.target")),
            ("$time", Some("time-sync.target")),
            ("$all", Some("all.target")),
            ("$x-display-manager", Some("x-display-manager.target")),
            ("$bad name", None),
            ("foo", None),
            ("foo.sh", Some("foo.service")),
            ("mysql", Some("mysql.service")),
            ("dbus.socket", Some("dbus.socket")),
        ];
        for (word, want) in cases {
            assert_eq!(
                translate_facility(word, "foo.sh").as_deref(),
                want,
                "{word}"
            );
        }
    }

    #[test]
    fn reload_support_comes_from_usage_lines_only() {
        let usage = |body: &str| {
            loaded(&format!("#!/bin/sh\n{body}\n"))
                .header
                .map(|h| h.reload)
        };
        assert_eq!(usage("echo \"Usage: $0 {start|stop|reload}\""), Some(true));
        assert_eq!(usage("echo \"USAGE: $0 {Reload|stop}\""), Some(true));
        assert_eq!(
            usage("echo \"Usage: $0 {start|stop|force-reload}\""),
            Some(false)
        );
        assert_eq!(usage("# Usage: $0 {start|reload}"), Some(false));
        assert_eq!(usage("echo {start|reload}"), Some(false));
        assert_eq!(usage("echo usage \\\n  \"{start|reload}\""), Some(true));
        assert_eq!(usage("echo usage \\\n\n  \"{start|reload}\""), Some(false));
    }

    #[test]
    fn descriptions_prefer_short_then_chkconfig_then_long() {
        let description = |text: &str| loaded(text).header.and_then(|h| h.description);
        let lsb = "### BEGIN INIT INFO\n# Description: long\n#  more\n#  Required-Stop: $x\n\
                   # Short-Description: short\n### END INIT INFO\n";
        assert_eq!(description(lsb).as_deref(), Some("LSB: short"));
        let no_short = lsb.replace("# Short-Description: short\n", "");
        assert_eq!(
            description(&no_short).as_deref(),
            Some("LSB: long more Required-Stop: $x")
        );
        let chkconfig = format!("{no_short}# description: chk \\\n#   config\n");
        assert_eq!(description(&chkconfig).as_deref(), Some("LSB: chk config"));
        assert_eq!(
            description("# description: old style\n").as_deref(),
            Some("SYSV: old style")
        );
        assert_eq!(description("#!/bin/sh\n"), None);
    }

    #[test]
    fn pid_files_must_be_absolute() {
        let pid_file = |text: &str| loaded(text).header.and_then(|h| h.pid_file);
        assert_eq!(
            pid_file("# pidfile: /run/foo.pid\n").as_deref(),
            Some("/run/foo.pid")
        );
        assert_eq!(pid_file("# pidfile: run/foo.pid\n"), None);
    }

    #[test]
    fn lines_end_like_systemd_read_line() {
        assert_eq!(script_lines("a\nb\r\nc\n\rd\re"), ["a", "b", "c", "d", "e"]);
        assert_eq!(script_lines("a\n\nb\r\rc\n"), ["a", "", "b", "", "c"]);
        assert!(script_lines("").is_empty());
    }

    #[test]
    fn words_split_like_extract_first_word() {
        assert_eq!(
            split_words(" a\t'b c' \"d\"e f\\ g 'open"),
            ["a", "b c", "de", "f g", "open"]
        );
        assert!(split_words("  \t").is_empty());
    }

    #[test]
    fn start_links_need_s_and_two_digits() {
        assert_eq!(parse_start_link("S01slapd"), Some((1, "slapd")));
        assert_eq!(parse_start_link("S99x"), Some((99, "x")));
        for bad in ["K01slapd", "S1slapd", "S01", "Sxyfoo", "README"] {
            assert_eq!(parse_start_link(bad), None, "{bad}");
        }
    }

    #[test]
    fn search_path_overrides_replace_the_defaults() {
        let root = Path::new("/r");
        let layout = SysvLayout::with_overrides(root, Some("/a:rel:/b/./:/a"), Some(""));
        assert_eq!(layout.init_dirs, [Path::new("/a"), Path::new("/b")]);
        assert_eq!(layout.rcnd_dirs, [Path::new("/etc")]);
        let layout = SysvLayout::with_overrides(root, None, Some("/x"));
        assert_eq!(layout.init_dirs, [Path::new("/etc/init.d")]);
        assert_eq!(layout.rcnd_dirs, [Path::new("/x")]);
    }

    #[test]
    fn percent_signs_are_escaped_for_the_unit_loader() {
        assert_eq!(specifier_escape("100% /a%b"), "100%% /a%%b");
    }

    #[test]
    fn native_units_are_found_in_the_search_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lp = LookupPaths::new(Scope::System, Some(dir.path())).expect("paths");
        let first = lp.search.iter().find(|d| !lp.generators.contains(d));
        let etc = lp.real(first.expect("a search directory"));
        fs::create_dir_all(&etc).expect("mkdir");
        std::os::unix::fs::symlink("/dev/null", etc.join("masked.service")).expect("mask");
        assert!(native_unit_exists(&lp, "masked.service"));
        assert!(!native_unit_exists(&lp, "other.service"));
    }
}
