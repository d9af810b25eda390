//! `Condition…=` and `Assert…=` of systemd.unit(5), evaluated as systemd 252's
//! src/shared/condition.c does: `condition_test()` for one entry (the check, then `!`), and
//! `condition_test_list()` for a unit's list (every non-triggering entry must hold, and at least one
//! triggering entry when there are any; an entry whose check fails with an error counts as not met).
//! Also the words systemd uses about the outcome: the per-entry debug lines, `status`'s
//! "… was not met" lines, and the journal's "Condition check resulted in … being skipped." /
//! "Assertion failed for …." lines.
//!
//! Paths named by path conditions (and the files systemd reads from the image: machine-id,
//! os-release, /etc/initrd-release, /run/systemd/first-boot, /usr for NeedsUpdate) are looked up
//! below `HostFacts::root`; everything else is the live machine (/proc, /sys, CPUID), except the
//! facts a test wants to pin, which `HostFacts` carries as plain fields.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::install::glob_match;
use crate::manager::credentials::Accounts;
use crate::unit::host;
use crate::unit::model::Condition;
use crate::unit::virt::{self, Virtualization};

/// systemd's `SYSTEM_UID_MAX` default: `@system` means a uid up to this.
const SYSTEM_UID_MAX: u32 = 999;
const UID_NOBODY: u32 = 65534;
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The facts the checks read. `HostFacts::current()` reads them from this process and machine; a
/// test (or `--root`) changes the fields it needs.
#[derive(Debug, Clone)]
pub struct HostFacts {
    /// Where the paths of path conditions (and the image's own files) are looked up: "/" live.
    pub root: PathBuf,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// getgroups(): the manager's supplementary groups.
    pub groups: Vec<u32>,
    /// The image's /etc/passwd and /etc/group, for `User=`/`Group=` given by name.
    pub accounts: Accounts,
    /// The manager's effective environment (`NAME=VALUE`, including `set-environment`), which
    /// systemd hands to `ConditionEnvironment=` and where it finds `$CREDENTIALS_DIRECTORY`.
    pub environment: Vec<String>,
    pub hostname: String,
    /// uname -r.
    pub kernel_release: String,
    /// uname -m.
    pub machine: String,
    /// What `proc_cmdline()` returns: `None` when it could not be read.
    pub kernel_command_line: Option<String>,
    pub virtualization: Virtualization,
    /// `running_in_userns()`, for `ConditionVirtualization=private-users`.
    pub user_namespace: bool,
    /// `physical_memory()` in bytes: `None` when /proc/meminfo could not be read.
    pub physical_memory: Option<u64>,
    /// `cpus_in_affinity_mask()`: `None` when it could not be read.
    pub cpus: Option<u32>,
}

impl HostFacts {
    /// This process on this machine, with path conditions looked up below "/".
    pub fn current() -> HostFacts {
        HostFacts::with_root(Path::new("/"))
    }

    /// This process on this machine, with path conditions looked up below `root`.
    pub fn with_root(root: &Path) -> HostFacts {
        let groups = nix::unistd::getgroups()
            .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
            .unwrap_or_default();
        let environment = std::env::vars_os()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
            .collect::<Vec<_>>();
        let virtualization = virt::detect_virtualization().unwrap_or(Virtualization::None);
        let machine = nix::sys::utsname::uname()
            .ok()
            .and_then(|u| u.machine().to_str().map(str::to_string))
            .unwrap_or_default();
        HostFacts {
            root: root.to_path_buf(),
            uid: nix::unistd::getuid().as_raw(),
            euid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            egid: nix::unistd::getegid().as_raw(),
            groups,
            accounts: Accounts::load(root),
            kernel_command_line: read_kernel_command_line(&environment, virtualization),
            environment,
            hostname: host::hostname(),
            kernel_release: host::kernel_release(),
            machine,
            virtualization,
            user_namespace: virt::running_in_userns().unwrap_or(false),
            physical_memory: physical_memory(),
            cpus: cpus_in_affinity_mask(),
        }
    }

    fn path(&self, parameter: &str) -> PathBuf {
        self.root.join(parameter.trim_start_matches('/'))
    }

    fn env(&self, name: &str) -> Option<&str> {
        self.environment
            .iter()
            .find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
    }
}

/// systemd's `ConditionResult`, as its debug line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionResult {
    /// Not evaluated: an earlier non-triggering entry had already failed the list.
    Untested,
    Succeeded,
    Failed,
    /// The check itself could not be done; counts as not met.
    Error,
}

impl ConditionResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionResult::Untested => "untested",
            ConditionResult::Succeeded => "succeeded",
            ConditionResult::Failed => "failed",
            ConditionResult::Error => "error",
        }
    }

    /// The last field of the D-Bus `Conditions`/`Asserts` entries `(sbbsi)`: 0 untested, 1 met,
    /// -1 not met (failed or error).
    pub fn tristate(self) -> i32 {
        match self {
            ConditionResult::Untested => 0,
            ConditionResult::Succeeded => 1,
            ConditionResult::Failed | ConditionResult::Error => -1,
        }
    }
}

/// One entry of a list and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionOutcome {
    pub condition: Condition,
    pub result: ConditionResult,
    /// Why the check could not be done, for `ConditionResult::Error`.
    pub error: Option<String>,
}

impl ConditionOutcome {
    /// The line systemd logs at debug level for a tested entry, or at warning level for an error:
    /// `ConditionPathExists=!/x succeeded.` /
    /// `Couldn't determine result for ConditionHost=x, assuming failed: …`.
    pub fn log_line(&self) -> String {
        match (&self.result, &self.error) {
            (ConditionResult::Error, Some(e)) => format!(
                "Couldn't determine result for {}, assuming failed: {e}",
                describe(&self.condition)
            ),
            (r, _) => format!("{} {}.", describe(&self.condition), r.as_str()),
        }
    }
}

/// The verdict on a whole list, with every entry's outcome in the list's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub met: bool,
    pub outcomes: Vec<ConditionOutcome>,
}

impl CheckResult {
    /// The entries that were tested and not met (what `status` lists).
    pub fn failed(&self) -> impl Iterator<Item = &ConditionOutcome> {
        self.outcomes.iter().filter(|o| o.result.tristate() < 0)
    }

    /// The lines `status` prints under `Condition: start condition failed at …`, without their
    /// indentation: `├─ ConditionPathExists=/x was not met`, the last one with `└─`.
    pub fn status_condition_lines(&self) -> Vec<String> {
        let failed: Vec<&ConditionOutcome> = self.failed().collect();
        failed
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let glyph = if i + 1 < failed.len() {
                    "├─"
                } else {
                    "└─"
                };
                format!("{glyph} {} was not met", describe(&o.condition))
            })
            .collect()
    }

    /// The line `status` prints under `Assert: start assertion failed at …`: systemctl keeps one
    /// failed assert, preferring a non-triggering one, and words a triggering one generically.
    pub fn status_assert_line(&self) -> Option<String> {
        let mut chosen: Option<&ConditionOutcome> = None;
        for o in self.failed() {
            if !o.condition.trigger || chosen.is_none() {
                chosen = Some(o);
            }
        }
        let c = &chosen?.condition;
        Some(if c.trigger {
            "none of the trigger assertions were met".to_string()
        } else {
            format!(
                "{}={}{} was not met",
                c.name,
                if c.negate { "!" } else { "" },
                c.parameter
            )
        })
    }

    /// Every tested entry's `log_line()`, in order.
    pub fn log_lines(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|o| o.result != ConditionResult::Untested)
            .map(ConditionOutcome::log_line)
            .collect()
    }
}

/// One entry as systemd writes it in its messages: `ConditionPathExists=|!/x`.
pub fn describe(c: &Condition) -> String {
    format!(
        "{}={}{}{}",
        c.name,
        if c.trigger { "|" } else { "" },
        if c.negate { "!" } else { "" },
        c.parameter
    )
}

/// The unit's debug line when its conditions fail a start (the job still ends "done").
pub const CONDITION_FAILED_UNIT_MESSAGE: &str =
    "Starting requested but condition failed. Not starting unit.";
/// The unit's notice line when its asserts fail a start (the job ends "assert").
pub const ASSERT_FAILED_UNIT_MESSAGE: &str = "Starting requested but asserts failed.";
/// The job result of a start whose asserts failed.
pub const ASSERT_JOB_RESULT: &str = "assert";

/// The journal line (info) of a start job skipped by its conditions.
pub fn skipped_message(description: &str) -> String {
    format!("Condition check resulted in {description} being skipped.")
}

/// The journal line (warning) of a start job failed by its asserts.
pub fn assert_failed_message(description: &str) -> String {
    format!("Assertion failed for {description}.")
}

/// What `systemctl start` prints when its job ended "assert".
pub fn assert_failed_client_message(unit: &str) -> String {
    format!("Assertion failed on job for {unit}.")
}

/// `condition_test_list()`: evaluate `list` in order. An empty list is met. The first
/// non-triggering entry not met ends the evaluation (later entries stay untested), as in systemd.
pub fn check(list: &[Condition], facts: &HostFacts) -> CheckResult {
    let mut outcomes: Vec<ConditionOutcome> = list
        .iter()
        .map(|c| ConditionOutcome {
            condition: c.clone(),
            result: ConditionResult::Untested,
            error: None,
        })
        .collect();
    // None: no triggering entry seen; then whether one of them held.
    let mut triggered: Option<bool> = None;
    for (c, outcome) in list.iter().zip(outcomes.iter_mut()) {
        let met = match test_one(c, facts) {
            Ok(holds) => {
                let met = holds != c.negate;
                outcome.result = if met {
                    ConditionResult::Succeeded
                } else {
                    ConditionResult::Failed
                };
                met
            }
            // An error is not negated: "!" of an unknown answer is still unknown.
            Err(e) => {
                outcome.result = ConditionResult::Error;
                outcome.error = Some(e);
                false
            }
        };
        if !c.trigger && !met {
            return CheckResult {
                met: false,
                outcomes,
            };
        }
        if c.trigger && triggered != Some(true) {
            triggered = Some(met);
        }
    }
    CheckResult {
        met: triggered != Some(false),
        outcomes,
    }
}

/// One check, before `!`: whether the machine has the property, or why that is unknown.
fn test_one(c: &Condition, f: &HostFacts) -> Result<bool, String> {
    let kind = c
        .name
        .strip_prefix("Condition")
        .or_else(|| c.name.strip_prefix("Assert"))
        .unwrap_or(&c.name);
    let p = c.parameter.as_str();
    match kind {
        "PathExists" => Ok(f.path(p).exists()),
        "PathExistsGlob" => Ok(glob_exists(&f.root, p)),
        "PathIsDirectory" => Ok(fs::metadata(f.path(p)).is_ok_and(|m| m.is_dir())),
        "PathIsSymbolicLink" => {
            Ok(fs::symlink_metadata(f.path(p)).is_ok_and(|m| m.file_type().is_symlink()))
        }
        "PathIsMountPoint" => Ok(is_mount_point(&f.path(p))),
        // Only a definite "read-only" or "missing" fails: systemd would rather start too much.
        "PathIsReadWrite" => Ok(match read_only_fs(&f.path(p)) {
            Ok(ro) => !ro,
            Err(e) => e.kind() != io::ErrorKind::NotFound,
        }),
        "PathIsEncrypted" => Ok(is_encrypted(&f.path(p))),
        "DirectoryNotEmpty" => Ok(directory_not_empty(&f.path(p))),
        "FileNotEmpty" => Ok(fs::metadata(f.path(p)).is_ok_and(|m| m.is_file() && m.len() > 0)),
        "FileIsExecutable" => Ok(fs::metadata(f.path(p))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)),
        "KernelCommandLine" => kernel_command_line(p, f),
        "KernelVersion" => kernel_version(p, &f.kernel_release),
        "Credential" => credential(p, f),
        "Virtualization" => Ok(virtualization(p, f)),
        "Security" => Ok(security(p, f)),
        "Capability" => capability(p),
        "Host" => host_matches(p, f),
        "ACPower" => Ok(parse_boolean(p)? == on_ac_power()),
        "Architecture" => Ok(architecture(p, &f.machine)),
        "Firmware" => Ok(firmware(p, f)),
        "NeedsUpdate" => Ok(needs_update(p, f)),
        "FirstBoot" => Ok(parse_boolean(p)? == f.path("/run/systemd/first-boot").exists()),
        "User" => Ok(user(p, f)),
        "Group" => Ok(group(p, f)),
        "ControlGroupController" => control_group_controller(p),
        "CPUs" => {
            let n = f.cpus.ok_or("Failed to determine CPUs in affinity mask")?;
            let (op, rest) = Order::parse(p).unwrap_or((Order::GreaterOrEqual, p));
            let k: u32 = rest
                .trim_start()
                .parse()
                .map_err(|_| format!("Failed to parse number of CPUs: {rest}"))?;
            Ok(op.test(n.cmp(&k)))
        }
        "Memory" => {
            let m = f
                .physical_memory
                .ok_or("Failed to determine physical memory")?;
            let (op, rest) = Order::parse(p).unwrap_or((Order::GreaterOrEqual, p));
            let k = crate::unit::size::parse_iec_size(rest)
                .ok()
                .ok_or_else(|| format!("Failed to parse size '{rest}'"))?;
            Ok(op.test(m.cmp(&k)))
        }
        "Environment" => Ok(environment(p, f)),
        "CPUFeature" => Ok(cpu_has_flag(&p.to_ascii_lowercase())),
        "OSRelease" => os_release(p, &f.root),
        "MemoryPressure" => pressure("memory", p),
        "CPUPressure" => pressure("cpu", p),
        "IOPressure" => pressure("io", p),
        _ => Err(format!("Unknown condition {}", c.name)),
    }
}

// ---- Comparisons ----------------------------------------------------------------------------

/// systemd 252's `OrderOperator`: the prefixes `parse_order()` knows, longest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    LowerOrEqual,
    GreaterOrEqual,
    Lower,
    Greater,
    Equal,
    Unequal,
}

impl Order {
    fn parse(s: &str) -> Option<(Order, &str)> {
        [
            ("<=", Order::LowerOrEqual),
            (">=", Order::GreaterOrEqual),
            ("<", Order::Lower),
            (">", Order::Greater),
            ("=", Order::Equal),
            ("!=", Order::Unequal),
        ]
        .into_iter()
        .find_map(|(prefix, op)| s.strip_prefix(prefix).map(|rest| (op, rest)))
    }

    fn test(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Order::LowerOrEqual => o != Greater,
            Order::GreaterOrEqual => o != Less,
            Order::Lower => o == Less,
            Order::Greater => o == Greater,
            Order::Equal => o == Equal,
            Order::Unequal => o != Equal,
        }
    }
}

/// `strverscmp_improved()`: versions compared segment by segment, `~` older than anything, `-`
/// older than `^`, older than `.`, numbers by value, letters bytewise, a longer version newer.
pub fn version_compare(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.is_empty() || b.is_empty() {
        return a.cmp(b);
    }
    let valid = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'~' | b'-' | b'^' | b'.');
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        while i < a.len() && !valid(a[i]) {
            i += 1;
        }
        while j < b.len() && !valid(b[j]) {
            j += 1;
        }
        // Separators in order of precedence: the side that has one where the other has not is
        // older, except that the end of a string beats only `~`.
        if at(a, i) == b'~' || at(b, j) == b'~' {
            let r = (at(a, i) != b'~').cmp(&(at(b, j) != b'~'));
            if r != Ordering::Equal {
                return r;
            }
            i += 1;
            j += 1;
        }
        if i >= a.len() || j >= b.len() {
            return a[i.min(a.len())..].cmp(&b[j.min(b.len())..]);
        }
        for sep in [b'-', b'^', b'.'] {
            if at(a, i) == sep || at(b, j) == sep {
                let r = (at(a, i) != sep).cmp(&(at(b, j) != sep));
                if r != Ordering::Equal {
                    return r;
                }
                i += 1;
                j += 1;
            }
        }
        let (ai, bj) = (i, j);
        if at(a, i).is_ascii_digit() || at(b, j).is_ascii_digit() {
            let (mut ae, mut be) = (i, j);
            while ae < a.len() && a[ae].is_ascii_digit() {
                ae += 1;
            }
            while be < b.len() && b[be].is_ascii_digit() {
                be += 1;
            }
            // A number is newer than no number.
            let r = (ae != ai).cmp(&(be != bj));
            if r != Ordering::Equal {
                return r;
            }
            while i < ae && a[i] == b'0' {
                i += 1;
            }
            while j < be && b[j] == b'0' {
                j += 1;
            }
            let r = (ae - i)
                .cmp(&(be - j))
                .then_with(|| a[i..ae].cmp(&b[j..be]));
            if r != Ordering::Equal {
                return r;
            }
            i = ae;
            j = be;
        } else {
            let (mut ae, mut be) = (i, j);
            while ae < a.len() && a[ae].is_ascii_alphabetic() {
                ae += 1;
            }
            while be < b.len() && b[be].is_ascii_alphabetic() {
                be += 1;
            }
            let n = (ae - i).min(be - j);
            let r = a[i..i + n]
                .cmp(&b[j..j + n])
                .then_with(|| (ae - i).cmp(&(be - j)));
            if r != Ordering::Equal {
                return r;
            }
            i = ae;
            j = be;
        }
    }
}

/// `parse_boolean()`.
fn parse_boolean(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Ok(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Ok(false),
        _ => Err(format!("Failed to parse boolean value \"{s}\"")),
    }
}

/// systemd's WHITESPACE.
const WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

/// `extract_first_word()` with EXTRACT_UNQUOTE when `unquote` (quotes removed, a backslash taking
/// the next character), and EXTRACT_RELAX when `relax` (an open quote or trailing backslash is
/// not an error). `None` at the end of the text.
fn next_word(rest: &mut &str, unquote: bool, relax: bool) -> Result<Option<String>, String> {
    let s = rest.trim_start_matches(WHITESPACE);
    if s.is_empty() {
        *rest = s;
        return Ok(None);
    }
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.char_indices();
    let mut end = s.len();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (_, '\\') => match chars.next() {
                Some((_, next)) => word.push(next),
                None if relax => word.push('\\'),
                None => return Err(format!("Trailing backslash in \"{s}\"")),
            },
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') if unquote => quote = Some(c),
            (None, c) if WHITESPACE.contains(&c) => {
                end = i;
                break;
            }
            (_, c) => word.push(c),
        }
    }
    if quote.is_some() && !relax {
        return Err(format!("Unbalanced quotes in \"{s}\""));
    }
    *rest = &s[end..];
    Ok(Some(word))
}

// ---- Paths ----------------------------------------------------------------------------------

/// `glob_exists()`: glob(3) with GLOB_BRACE; as glob(3) does, a wildcard does not match a leading
/// dot.
fn glob_exists(root: &Path, pattern: &str) -> bool {
    expand_braces(pattern).iter().any(|p| {
        let mut candidates = vec![root.to_path_buf()];
        for component in p.split('/').filter(|c| !c.is_empty()) {
            if !component.contains(['*', '?', '[']) {
                candidates = candidates.into_iter().map(|c| c.join(component)).collect();
                continue;
            }
            let mut next = Vec::new();
            for dir in &candidates {
                let Ok(entries) = fs::read_dir(dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with('.') && !component.starts_with('.') {
                        continue;
                    }
                    if glob_match(component, &name) {
                        next.push(dir.join(&*name));
                    }
                }
            }
            candidates = next;
            if candidates.is_empty() {
                return false;
            }
        }
        candidates.iter().any(|c| fs::symlink_metadata(c).is_ok())
    })
}

/// GLOB_BRACE: `a{b,c}d` is `abd` and `acd`; nested braces expand too, an unclosed one is literal.
fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_string()];
    };
    let mut depth = 0;
    let mut commas = Vec::new();
    let mut close = None;
    for (i, c) in pattern[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(open + i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![pattern.to_string()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(commas);
    bounds.push(close);
    bounds
        .windows(2)
        .flat_map(|w| expand_braces(&format!("{head}{}{tail}", &pattern[w[0] + 1..w[1]])))
        .collect()
}

/// The mount a path is on, from its fd's /proc/self/fdinfo (the kernel's own mount id, which tells
/// bind mounts of one file system apart where st_dev cannot).
fn mount_id(path: &Path) -> Option<u64> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open(path)
        .ok()?;
    fs::read_to_string(format!("/proc/self/fdinfo/{}", file.as_raw_fd()))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("mnt_id:"))
        .and_then(|v| v.trim().parse().ok())
}

/// `path_is_mount_point(path, AT_SYMLINK_FOLLOW)`: the path (symlinks resolved) is on another
/// mount than its parent; "/" always is one.
fn is_mount_point(path: &Path) -> bool {
    let Ok(real) = fs::canonicalize(path) else {
        return false;
    };
    let Some(parent) = real.parent() else {
        return true;
    };
    match (mount_id(&real), mount_id(parent)) {
        (Some(a), Some(b)) => a != b,
        _ => match (fs::metadata(&real), fs::metadata(parent)) {
            (Ok(a), Ok(b)) => a.dev() != b.dev(),
            _ => false,
        },
    }
}

/// `path_is_read_only_fs()`: mounted read-only, or writing is refused with EROFS.
fn read_only_fs(path: &Path) -> io::Result<bool> {
    let st = nix::sys::statvfs::statvfs(path).map_err(io::Error::from)?;
    if st.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY) {
        return Ok(true);
    }
    Ok(matches!(
        nix::unistd::access(path, nix::unistd::AccessFlags::W_OK),
        Err(nix::errno::Errno::EROFS)
    ))
}

/// `path_is_encrypted()`: the block device under the path is a dm-crypt device, or sits on one.
/// Overlay and other virtual file systems (the usual container root) have no block device.
fn is_encrypted(path: &Path) -> bool {
    let Ok(m) = fs::metadata(path) else {
        return false;
    };
    let dev = m.dev();
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    if major == 0 {
        return false;
    }
    block_is_encrypted(&PathBuf::from(format!("/sys/dev/block/{major}:{minor}")), 0)
}

fn block_is_encrypted(sys: &Path, depth: u32) -> bool {
    if fs::read_to_string(sys.join("dm/uuid")).is_ok_and(|u| u.starts_with("CRYPT-")) {
        return true;
    }
    // Stacked devices (LVM on LUKS): follow the slaves a few levels down.
    depth < 8
        && fs::read_dir(sys.join("slaves")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| block_is_encrypted(&e.path(), depth + 1))
        })
}

/// `hidden_or_backup_file()`: what `dir_is_empty(…, ignore_hidden_or_backup=true)` skips.
fn hidden_or_backup(name: &str) -> bool {
    if name.starts_with('.')
        || matches!(name, "lost+found" | "aquota.user" | "aquota.group")
        || name.ends_with('~')
    {
        return true;
    }
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        matches!(
            ext,
            "rpmnew"
                | "rpmsave"
                | "rpmorig"
                | "dpkg-old"
                | "dpkg-new"
                | "dpkg-tmp"
                | "dpkg-dist"
                | "dpkg-bak"
                | "dpkg-backup"
                | "dpkg-remove"
                | "ucf-new"
                | "ucf-old"
                | "ucf-dist"
                | "swp"
                | "bak"
                | "old"
                | "new"
        )
    })
}

/// `ConditionDirectoryNotEmpty=`: met unless the directory is missing, not a directory, or holds
/// only hidden and backup files; any other error reading it counts as met, as in systemd.
fn directory_not_empty(path: &Path) -> bool {
    match fs::read_dir(path) {
        Ok(entries) => entries.into_iter().any(|e| match e {
            Ok(e) => !hidden_or_backup(&e.file_name().to_string_lossy()),
            Err(_) => true,
        }),
        Err(e) => !matches!(
            e.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
        ),
    }
}

// ---- Kernel, credentials, host --------------------------------------------------------------

/// `proc_cmdline()`: `$SYSTEMD_PROC_CMDLINE` if set; in a container PID 1's arguments joined by
/// spaces (the container's "kernel command line"); else /proc/cmdline.
fn read_kernel_command_line(env: &[String], virt: Virtualization) -> Option<String> {
    if let Some(v) = env
        .iter()
        .find_map(|e| e.strip_prefix("SYSTEMD_PROC_CMDLINE="))
    {
        return Some(v.to_string());
    }
    if virt.is_container() {
        let raw = fs::read("/proc/1/cmdline").ok()?;
        let args: Vec<String> = raw
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        return Some(args.join(" "));
    }
    fs::read_to_string("/proc/cmdline")
        .ok()
        .map(|s| s.trim_end().to_string())
}

fn kernel_command_line(p: &str, f: &HostFacts) -> Result<bool, String> {
    let line = f
        .kernel_command_line
        .as_deref()
        .ok_or("Failed to read the kernel command line")?;
    let equal = p.contains('=');
    let mut rest = line;
    while let Some(word) = next_word(&mut rest, true, true)? {
        let found = if equal {
            word == p
        } else {
            word.strip_prefix(p)
                .is_some_and(|tail| tail.is_empty() || tail.starts_with('='))
        };
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

/// systemd.unit(5)'s `ConditionKernelVersion=`: space-separated expressions that must all hold,
/// each an operator and a version, or a glob without one.
fn kernel_version(p: &str, release: &str) -> Result<bool, String> {
    let mut rest = p;
    let mut first = true;
    while let Some(word) = next_word(&mut rest, true, false)? {
        let s = word.trim_matches(WHITESPACE);
        let holds = match Order::parse(s) {
            Some((op, value)) => {
                let mut value = value.trim_start_matches(WHITESPACE).to_string();
                if value.is_empty() {
                    // ">= 5.10" unquoted: allowed for the first expression only, for old units.
                    if !first {
                        return Err(format!("Unexpected end of expression: {p}"));
                    }
                    value = next_word(&mut rest, false, false)?
                        .ok_or_else(|| format!("Unexpected end of expression: {p}"))?;
                }
                op.test(version_compare(release, &value))
            }
            None => glob_match(s, release),
        };
        if !holds {
            return Ok(false);
        }
        first = false;
    }
    Ok(true)
}

/// `credential_name_valid()`: a valid file name that is also a valid fd name.
fn credential_name_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains('/')
        && name.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b':')
}

/// Credentials the manager was given: `$CREDENTIALS_DIRECTORY` and
/// `$ENCRYPTED_CREDENTIALS_DIRECTORY` of the manager. Without the former, the directory where
/// systemd PID 1 keeps system credentials (and points that variable at) stands in.
fn credential(p: &str, f: &HostFacts) -> Result<bool, String> {
    if !credential_name_valid(p) {
        return Ok(false);
    }
    let mut dirs = Vec::new();
    for var in ["CREDENTIALS_DIRECTORY", "ENCRYPTED_CREDENTIALS_DIRECTORY"] {
        match f.env(var) {
            Some(d) if d.starts_with('/') && !d.split('/').any(|c| c == "." || c == "..") => {
                dirs.push(PathBuf::from(d))
            }
            Some(d) => return Err(format!("${var} is not a normalized absolute path: {d}")),
            None if var == "CREDENTIALS_DIRECTORY" => dirs.push(f.path("/run/credentials/@system")),
            None => {}
        }
    }
    for dir in dirs {
        match fs::symlink_metadata(dir.join(p)) {
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", dir.join(p).display())),
        }
    }
    Ok(false)
}

/// `sd_id128_from_string()`: 32 hex digits, bare or as a UUID; lowercase without dashes.
fn parse_id128(s: &str) -> Option<String> {
    let hex = match s.len() {
        32 => s.to_string(),
        36 => {
            let dashes = [8, 13, 18, 23];
            if !dashes.iter().all(|&i| s.as_bytes()[i] == b'-') {
                return None;
            }
            s.replace('-', "")
        }
        _ => return None,
    };
    (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// `ConditionHost=`: a machine id compares with /etc/machine-id, anything else is a
/// case-insensitive glob against the host name.
fn host_matches(p: &str, f: &HostFacts) -> Result<bool, String> {
    if let Some(id) = parse_id128(p) {
        let ours = host::machine_id(&f.root)
            .map_err(|e| format!("Failed to read the machine id: {e:?}"))?;
        return Ok(id == ours);
    }
    Ok(glob_match(
        &p.to_ascii_lowercase(),
        &f.hostname.to_ascii_lowercase(),
    ))
}

/// `ConditionEnvironment=`: `NAME` is set, or `NAME=VALUE` is set exactly so.
fn environment(p: &str, f: &HostFacts) -> bool {
    let equal = p.contains('=');
    f.environment.iter().any(|e| {
        if equal {
            e == p
        } else {
            e.strip_prefix(p)
                .is_some_and(|tail| tail.is_empty() || tail.starts_with('='))
        }
    })
}

/// `env_name_is_valid()`.
fn env_name_is_valid(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The fields of the os-release of the tree at `root` (etc/, else usr/lib/), unquoted; an error
/// without either file.
fn read_os_release(root: &Path) -> Result<Vec<(String, String)>, String> {
    let text = fs::read_to_string(root.join("etc/os-release"))
        .or_else(|_| fs::read_to_string(root.join("usr/lib/os-release")))
        .map_err(|e| format!("Failed to parse os-release: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.trim().split_once('=')?;
            let v = v.trim();
            let v = match v.as_bytes().first() {
                Some(q @ (b'"' | b'\'')) if v.len() >= 2 && v.as_bytes()[v.len() - 1] == *q => {
                    let inner = &v[1..v.len() - 1];
                    if *q == b'"' {
                        let mut out = String::new();
                        let mut chars = inner.chars();
                        while let Some(c) = chars.next() {
                            match c {
                                '\\' => out.extend(chars.next()),
                                c => out.push(c),
                            }
                        }
                        out
                    } else {
                        inner.to_string()
                    }
                }
                _ => v.to_string(),
            };
            Some((k.trim().to_string(), v))
        })
        .collect())
}

/// systemd 252's `ConditionOSRelease=`: `KEY=VALUE` and `KEY!=VALUE` compare strings exactly,
/// `< <= >= >` compare versions; every expression must hold.
fn os_release(p: &str, root: &Path) -> Result<bool, String> {
    let bad = || format!("Failed to parse parameter, key/value format expected: {p}");
    let mut rest = p;
    while let Some(expr) = next_word(&mut rest, true, false)? {
        let split = expr.find(['!', '<', '=', '>']).ok_or_else(bad)?;
        let (key, op_value) = expr.split_at(split);
        if !env_name_is_valid(key) {
            return Err(bad());
        }
        let (op, value) = Order::parse(op_value).ok_or_else(bad)?;
        if value.is_empty() || value.starts_with(WHITESPACE) {
            return Err(bad());
        }
        let fields = read_os_release(root)?;
        let actual = fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
        let holds = match op {
            Order::Equal => actual.is_some_and(|a| a == value),
            Order::Unequal => actual.is_none_or(|a| a != value),
            // A missing key is older than any version.
            _ => op.test(match actual {
                Some(a) => version_compare(a, value),
                None => std::cmp::Ordering::Less,
            }),
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

// ---- Identity -------------------------------------------------------------------------------

/// `parse_uid()`: a decimal id other than the two invalid ones.
fn parse_id(s: &str) -> Option<u32> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u32>()
        .ok()
        .filter(|&id| id != u32::MAX && id != 0xFFFF)
}

/// `ConditionUser=`: the manager's real or effective uid is that user. Names are looked up in
/// the image's /etc/passwd (systemd PID 1 refuses NSS and answers no for any name but root; we
/// have no NSS and read the file, which is what those names mean in the image).
fn user(p: &str, f: &HostFacts) -> bool {
    let is = |id: u32| f.uid == id || f.euid == id;
    match p {
        "root" => is(0),
        "nobody" => is(UID_NOBODY),
        "@system" => f.uid <= SYSTEM_UID_MAX || f.euid <= SYSTEM_UID_MAX,
        _ => match parse_id(p) {
            Some(id) => is(id),
            None => f
                .accounts
                .users
                .iter()
                .find(|u| u.name == p)
                .is_some_and(|u| is(u.uid)),
        },
    }
}

/// `ConditionGroup=`: the manager's real, effective or a supplementary gid is that group.
fn group(p: &str, f: &HostFacts) -> bool {
    // root and nobody exist even without a group file, as get_group_creds() has them built in.
    let id = parse_id(p).or_else(|| {
        let named = f
            .accounts
            .groups
            .iter()
            .find(|g| g.name == p)
            .map(|g| g.gid);
        named.or(match p {
            "root" => Some(0),
            "nobody" => Some(UID_NOBODY),
            _ => None,
        })
    });
    id.is_some_and(|id| f.gid == id || f.egid == id || f.groups.contains(&id))
}

/// capability-list names, by number, as `capability_from_name()` knows them (case-insensitive,
/// `cap_` prefix included; a number is taken too).
const CAPABILITIES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

fn capability_from_name(name: &str) -> Option<u32> {
    if let Ok(n) = name.parse::<usize>() {
        return (n < CAPABILITIES.len()).then_some(n as u32);
    }
    let lower = name.to_ascii_lowercase();
    CAPABILITIES
        .iter()
        .position(|c| *c == lower)
        .map(|n| n as u32)
}

/// `ConditionCapability=`: the capability is in the manager's bounding set (CapBnd), which in a
/// container is what the runtime granted; an unknown name is an error.
fn capability(p: &str) -> Result<bool, String> {
    let cap = capability_from_name(p).ok_or_else(|| format!("Unknown capability {p}"))?;
    let status = fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("Failed to read /proc/self/status: {e}"))?;
    // Without the line systemd assumes every capability.
    let bounding = match status.lines().find_map(|l| l.strip_prefix("CapBnd:")) {
        Some(hex) => u64::from_str_radix(hex.trim(), 16)
            .map_err(|_| "Failed to parse CapBnd in /proc/self/status".to_string())?,
        None => u64::MAX,
    };
    Ok(bounding & (1u64 << cap) != 0)
}

// ---- Machine --------------------------------------------------------------------------------

/// architecture.h's names, for `architecture_from_string()`.
const ARCHITECTURES: &[&str] = &[
    "x86",
    "x86-64",
    "ppc",
    "ppc-le",
    "ppc64",
    "ppc64-le",
    "ia64",
    "parisc",
    "parisc64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "mips",
    "mips-le",
    "mips64",
    "mips64-le",
    "alpha",
    "arm",
    "arm-be",
    "arm64",
    "arm64-be",
    "sh",
    "sh64",
    "m68k",
    "tilegx",
    "cris",
    "nios2",
    "riscv32",
    "riscv64",
    "arc",
    "arc-be",
    "loongarch64",
];

/// `uname_architecture()`: the kernel's machine name in systemd's words (the kernel's, not this
/// binary's: a 32-bit build on a 64-bit kernel says x86-64 here and x86 for `native`).
fn uname_architecture(machine: &str) -> Option<&'static str> {
    let le = cfg!(target_endian = "little");
    Some(match machine {
        "x86_64" | "amd64" => "x86-64",
        "i386" | "i486" | "i586" | "i686" => "x86",
        "aarch64" | "arm64" => "arm64",
        "aarch64_be" => "arm64-be",
        "ppc64le" => "ppc64-le",
        "ppc64" => "ppc64",
        "ppcle" => "ppc-le",
        "ppc" => "ppc",
        "s390x" => "s390x",
        "s390" => "s390",
        "ia64" => "ia64",
        "parisc64" => "parisc64",
        "parisc" => "parisc",
        "sparc64" => "sparc64",
        "sparc" => "sparc",
        "mips64" if le => "mips64-le",
        "mips64" => "mips64",
        "mips" if le => "mips-le",
        "mips" => "mips",
        "alpha" => "alpha",
        "sh5" => "sh64",
        "m68k" => "m68k",
        "tilegx" => "tilegx",
        "crisv32" => "cris",
        "nios2" => "nios2",
        "riscv32" => "riscv32",
        "riscv64" => "riscv64",
        "arc" => "arc",
        "arceb" => "arc-be",
        "loongarch64" => "loongarch64",
        m if m.starts_with("sh") => "sh",
        m if m.starts_with("arm") && m.ends_with('b') => "arm-be",
        m if m.starts_with("arm") => "arm",
        _ => return None,
    })
}

/// `ConditionArchitecture=`: an unknown name is simply not ours.
fn architecture(p: &str, machine: &str) -> bool {
    let Some(ours) = uname_architecture(machine) else {
        return false;
    };
    let wanted = if p == "native" {
        host::architecture()
    } else if let Some(name) = ARCHITECTURES.iter().find(|a| **a == p) {
        name
    } else {
        return false;
    };
    ours == wanted
}

/// `is_efi_boot()`: never in a container, whose /sys/firmware is the host's.
fn is_efi_boot(f: &HostFacts) -> bool {
    !f.virtualization.is_container() && Path::new("/sys/firmware/efi").exists()
}

/// systemd 252's `ConditionFirmware=`: `device-tree`, `device-tree-compatible(…)` and `uefi`;
/// anything else (`smbios-field(…)` came in 253) is not met.
fn firmware(p: &str, f: &HostFacts) -> bool {
    if p == "device-tree" {
        return Path::new("/sys/firmware/devicetree").exists();
    }
    if p == "uefi" {
        return is_efi_boot(f);
    }
    if let Some(arg) = p
        .strip_prefix("device-tree-compatible(")
        .and_then(|a| a.strip_suffix(')'))
    {
        // A list of NUL-terminated strings.
        return fs::read("/proc/device-tree/compatible").is_ok_and(|raw| {
            raw.last() == Some(&0)
                && raw
                    .split(|&b| b == 0)
                    .any(|s| !s.is_empty() && s == arg.as_bytes())
        });
    }
    false
}

/// `is_efi_secure_boot()`: the SecureBoot EFI variable (4 attribute bytes, then the value) is 1.
fn efi_secure_boot(f: &HostFacts) -> bool {
    is_efi_boot(f)
        && fs::read("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c")
            .is_ok_and(|v| v.get(4) == Some(&1))
}

/// `use_audit()`: an audit netlink socket can be opened (refused only where the kernel has no
/// audit or we may not).
fn use_audit() -> bool {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockProtocol, SockType};
    match socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        SockProtocol::NetlinkAudit,
    ) {
        Ok(_fd) => true,
        Err(e) => !matches!(
            e,
            nix::errno::Errno::EAFNOSUPPORT
                | nix::errno::Errno::EPROTONOSUPPORT
                | nix::errno::Errno::EPERM
        ),
    }
}

/// `ConditionSecurity=` as systemd 252 detects each module; an unknown name (`cvm` came later)
/// is not met.
fn security(p: &str, f: &HostFacts) -> bool {
    let exists = |p: &str| Path::new(p).exists();
    match p {
        "selinux" => nix::sys::statfs::statfs("/sys/fs/selinux")
            .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::SELINUX_MAGIC),
        "smack" => exists("/sys/fs/smackfs"),
        "apparmor" => fs::read_to_string("/sys/module/apparmor/parameters/enabled")
            .is_ok_and(|v| parse_boolean(v.trim()) == Ok(true)),
        "audit" => use_audit(),
        "ima" => exists("/sys/kernel/security/ima"),
        "tomoyo" => exists("/sys/kernel/security/tomoyo/version"),
        "uefi-secureboot" => efi_secure_boot(f),
        // A TPM2 resource manager device, or firmware that reports one.
        "tpm2" => {
            fs::read_dir("/sys/class/tpmrm").is_ok_and(|mut d| d.next().is_some())
                || (is_efi_boot(f) && exists("/sys/firmware/acpi/tables/TPM2"))
        }
        _ => false,
    }
}

/// `on_ac_power()`: false only when there are mains supplies and all are offline; with none
/// (desktop, server, container without one) or an unreadable one, on AC.
fn on_ac_power() -> bool {
    let Ok(entries) = fs::read_dir("/sys/class/power_supply") else {
        return true;
    };
    let mut offline = false;
    for entry in entries.flatten() {
        let dir = entry.path();
        if fs::read_to_string(dir.join("type")).map_or(true, |t| t != "Mains\n") {
            continue;
        }
        match fs::read_to_string(dir.join("online")).as_deref() {
            Ok("1\n") => return true,
            Ok("0\n") => offline = true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            _ => return true,
        }
    }
    !offline
}

/// `has_cpu_with_flag()`: the CPUID bits systemd knows, by their /proc/cpuinfo names; only x86
/// has CPUID, elsewhere nothing is met.
#[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
fn cpu_has_flag(flag: &str) -> bool {
    #[cfg(target_arch = "x86")]
    use std::arch::x86::{__cpuid, __cpuid_count, __get_cpuid_max};
    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::{__cpuid, __cpuid_count, __get_cpuid_max};
    const LEAF1_EDX: &[(u32, &str)] = &[
        (0, "fpu"),
        (1, "vme"),
        (2, "de"),
        (3, "pse"),
        (4, "tsc"),
        (5, "msr"),
        (6, "pae"),
        (7, "mce"),
        (8, "cx8"),
        (9, "apic"),
        (11, "sep"),
        (12, "mtrr"),
        (13, "pge"),
        (14, "mca"),
        (15, "cmov"),
        (16, "pat"),
        (17, "pse36"),
        (19, "clflush"),
        (23, "mmx"),
        (24, "fxsr"),
        (25, "sse"),
        (26, "sse2"),
        (28, "ht"),
    ];
    const LEAF1_ECX: &[(u32, &str)] = &[
        (0, "pni"),
        (1, "pclmul"),
        (3, "monitor"),
        (9, "ssse3"),
        (12, "fma3"),
        (13, "cx16"),
        (19, "sse4_1"),
        (20, "sse4_2"),
        (22, "movbe"),
        (23, "popcnt"),
        (25, "aes"),
        (26, "xsave"),
        (27, "osxsave"),
        (28, "avx"),
        (29, "f16c"),
        (30, "rdrand"),
    ];
    const LEAF7_EBX: &[(u32, &str)] = &[
        (3, "bmi1"),
        (5, "avx2"),
        (8, "bmi2"),
        (18, "rdseed"),
        (19, "adx"),
        (29, "sha_ni"),
    ];
    const LEAF81_EDX: &[(u32, &str)] = &[(11, "syscall"), (27, "rdtscp"), (29, "lm")];
    const LEAF81_ECX: &[(u32, &str)] = &[(0, "lahf_lm"), (5, "abm")];
    const LEAF87_EDX: &[(u32, &str)] = &[(8, "constant_tsc")];
    let has = |set: &[(u32, &str)], value: u32| {
        set.iter()
            .any(|&(bit, name)| value & (1 << bit) != 0 && name == flag)
    };
    let (max_basic, _) = __get_cpuid_max(0);
    let (max_extended, _) = __get_cpuid_max(0x8000_0000);
    if max_basic >= 1 {
        let r = __cpuid(1);
        if has(LEAF1_ECX, r.ecx) || has(LEAF1_EDX, r.edx) {
            return true;
        }
    }
    if max_basic >= 7 && has(LEAF7_EBX, __cpuid_count(7, 0).ebx) {
        return true;
    }
    if max_extended >= 0x8000_0001 {
        let r = __cpuid(0x8000_0001);
        if has(LEAF81_ECX, r.ecx) || has(LEAF81_EDX, r.edx) {
            return true;
        }
    }
    max_extended >= 0x8000_0007 && has(LEAF87_EDX, __cpuid(0x8000_0007).edx)
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "x86")))]
fn cpu_has_flag(_flag: &str) -> bool {
    false
}

/// `proc_cmdline_get_bool()`: `key` alone is true, `key=VALUE` is parsed; `None` when absent.
fn cmdline_bool(f: &HostFacts, key: &str) -> Option<bool> {
    let mut rest = f.kernel_command_line.as_deref()?;
    let mut found = None;
    while let Ok(Some(word)) = next_word(&mut rest, true, true) {
        if word == key {
            found = Some(true);
        } else if let Some(v) = word.strip_prefix(key).and_then(|t| t.strip_prefix('=')) {
            found = parse_boolean(v).ok().or(found);
        }
    }
    found
}

/// `ConditionNeedsUpdate=`: /usr is newer than the directory's `.updated` stamp, so an update
/// tool should run. Anything unclear answers yes; a read-only directory or an initrd answers no.
fn needs_update(p: &str, f: &HostFacts) -> bool {
    if let Some(b) = cmdline_bool(f, "systemd.condition-needs-update") {
        return b;
    }
    if f.path("/etc/initrd-release").exists() {
        return false;
    }
    if !p.starts_with('/') {
        return true;
    }
    let dir = f.path(p);
    if read_only_fs(&dir).unwrap_or(false) {
        return false;
    }
    let stamp = dir.join(".updated");
    let Ok(other) = fs::symlink_metadata(&stamp) else {
        return true;
    };
    let Ok(usr) = fs::symlink_metadata(f.path("/usr")) else {
        return true;
    };
    if usr.mtime() != other.mtime() {
        return usr.mtime() > other.mtime();
    }
    // Same second: the stamp's nanoseconds are trustworthy unless they are 0 while /usr's are
    // not (a file system without them), when the stamp file's TIMESTAMP_NSEC= says.
    if usr.mtime_nsec() == 0 || other.mtime_nsec() > 0 {
        return usr.mtime_nsec() > other.mtime_nsec();
    }
    let Some(stamp_nsec) = fs::read_to_string(&stamp).ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.trim().strip_prefix("TIMESTAMP_NSEC="))
            .and_then(|v| v.trim().parse::<u64>().ok())
    }) else {
        return true;
    };
    let usr_nsec = (usr.mtime() as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(usr.mtime_nsec() as u64);
    usr_nsec > stamp_nsec
}

// ---- cgroups, memory, CPUs, pressure --------------------------------------------------------

/// `cg_all_unified()`: /sys/fs/cgroup is cgroup2 (yes), a tmpfs of v1 hierarchies (no), or
/// something we cannot tell.
fn cgroup_unified() -> Result<bool, String> {
    use nix::sys::statfs::{statfs, CGROUP2_SUPER_MAGIC, TMPFS_MAGIC};
    let st = statfs(CGROUP_ROOT).map_err(|e| format!("Failed to statfs {CGROUP_ROOT}: {e}"))?;
    match st.filesystem_type() {
        t if t == CGROUP2_SUPER_MAGIC => Ok(true),
        t if t == TMPFS_MAGIC => Ok(false),
        _ => Err(format!("{CGROUP_ROOT} is neither cgroup2 nor tmpfs")),
    }
}

/// The cgroup of `pid` in systemd's hierarchy (the unified one on cgroup v2, else v1's
/// `name=systemd`), with a trailing `/init.scope` (or legacy `/system.slice`, `/system`) dropped as
/// `cg_get_root_path()` does; "/" when unknown.
fn cgroup_of(pid: &str) -> String {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    let unified = || text.lines().find_map(|l| l.strip_prefix("0::"));
    let named = || {
        text.lines()
            .find_map(|l| l.split_once(":name=systemd:").map(|(_, p)| p))
    };
    let path = if cgroup_unified() == Ok(true) {
        unified().or_else(named)
    } else {
        named().or_else(unified)
    }
    .unwrap_or("/");
    let path = ["/init.scope", "/system.slice", "/system"]
        .iter()
        .find_map(|s| path.strip_suffix(s))
        .unwrap_or(path);
    if path.is_empty() {
        "/".into()
    } else {
        path.to_string()
    }
}

/// The directory of the root cgroup (PID 1's) under `hierarchy`. Without a cgroup namespace a
/// container sees the host's path of its cgroup but has only its own subtree mounted; the mount's
/// top then stands in.
fn cgroup_root_dir(hierarchy: &str) -> PathBuf {
    let base = Path::new(CGROUP_ROOT).join(hierarchy);
    let dir = base.join(cgroup_of("1").trim_start_matches('/'));
    if dir.is_dir() {
        dir
    } else {
        base
    }
}

/// `cg_mask_from_string()`: the controllers systemd knows, unknown words ignored.
const CONTROLLERS: &[&str] = &[
    "cpu",
    "cpuacct",
    "cpuset",
    "io",
    "blkio",
    "memory",
    "devices",
    "pids",
    "bpf-firewall",
    "bpf-devices",
    "bpf-foreign",
    "bpf-socket-bind",
    "bpf-restrict-network-interfaces",
];

/// `cg_mask_supported()`: on cgroup v2 the root cgroup's `cgroup.controllers` (of those v2 has);
/// on v1 the hierarchies that are mounted.
fn supported_controllers() -> Result<Vec<&'static str>, String> {
    if cgroup_unified()? {
        let path = cgroup_root_dir("").join("cgroup.controllers");
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("Failed to read {}: {e}", path.display()))?;
        Ok(CONTROLLERS
            .iter()
            .copied()
            .filter(|c| matches!(*c, "cpu" | "cpuset" | "io" | "memory" | "pids"))
            .filter(|c| text.split_whitespace().any(|w| w == *c))
            .collect())
    } else {
        Ok(CONTROLLERS
            .iter()
            .copied()
            .filter(|c| {
                matches!(
                    *c,
                    "cpu" | "cpuacct" | "cpuset" | "blkio" | "memory" | "devices" | "pids"
                )
            })
            .filter(|c| Path::new(CGROUP_ROOT).join(c).exists())
            .collect())
    }
}

/// `ConditionControlGroupController=`: `v1`, `v2`, or controllers that must all be available. A
/// list without any controller systemd knows is met, as in systemd.
fn control_group_controller(p: &str) -> Result<bool, String> {
    match p {
        "v2" => return cgroup_unified(),
        "v1" => return cgroup_unified().map(|u| !u),
        _ => {}
    }
    let supported = supported_controllers()?;
    let wanted: Vec<&str> = p
        .split_whitespace()
        .filter(|w| CONTROLLERS.contains(w))
        .collect();
    Ok(wanted.iter().all(|w| supported.contains(w)))
}

/// `physical_memory()`: the RAM of the machine, or the memory limit of the root cgroup (the
/// container's) when that is lower.
fn physical_memory() -> Option<u64> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    let total = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?
        .checked_mul(1024)?;
    // The kernel keeps these limits in whole pages, so no rounding is needed.
    let limit = match cgroup_unified() {
        Ok(true) => fs::read_to_string(cgroup_root_dir("").join("memory.max")).ok(),
        Ok(false) => {
            fs::read_to_string(cgroup_root_dir("memory").join("memory.limit_in_bytes")).ok()
        }
        Err(_) => None,
    }
    .and_then(|v| v.trim().parse::<u64>().ok());
    Some(limit.map_or(total, |l| l.min(total)))
}

/// `cpus_in_affinity_mask()`: the CPUs this process may run on (the kernel's rendering of
/// sched_getaffinity() in /proc/self/status, which a container's cpuset narrows).
fn cpus_in_affinity_mask() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?
        .trim();
    let mut n = 0u32;
    for range in list.split(',').filter(|r| !r.is_empty()) {
        let (lo, hi) = match range.split_once('-') {
            Some((lo, hi)) => (lo.parse::<u32>().ok()?, hi.parse::<u32>().ok()?),
            None => {
                let one = range.parse::<u32>().ok()?;
                (one, one)
            }
        };
        n += hi.checked_sub(lo)? + 1;
    }
    Some(n)
}

/// `cg_slice_to_path()`: `a-b.slice` lives at `a.slice/a-b.slice`; `-.slice` is the root.
fn slice_to_path(slice: &str) -> Option<String> {
    if slice == "-.slice" {
        return Some(String::new());
    }
    let stem = slice.strip_suffix(".slice")?;
    if stem.is_empty()
        || stem.starts_with('-')
        || stem.ends_with('-')
        || stem.contains("--")
        || stem.contains('/')
    {
        return None;
    }
    let mut parts = Vec::new();
    for (i, _) in stem.match_indices('-') {
        parts.push(format!("{}.slice", &stem[..i]));
    }
    parts.push(slice.to_string());
    Some(parts.join("/"))
}

/// `parse_permyriad()`: `N%`, `N.M%` (one decimal), `N‰`, `N‱`, in hundredths of a percent.
fn parse_permyriad(s: &str) -> Option<u32> {
    let (number, scale) = if let Some(n) = s.strip_suffix('%') {
        (n, 100u32)
    } else if let Some(n) = s.strip_suffix('‰') {
        (n, 10)
    } else {
        (s.strip_suffix('‱')?, 1)
    };
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    let whole: u32 = whole.parse().ok()?;
    let frac_digits = match scale {
        100 => 2,
        10 => 1,
        _ => 0,
    };
    if frac.len() > frac_digits || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<frac_digits$}").parse().ok()?
    };
    let v = whole.checked_mul(scale)? + frac_value;
    (v <= 10_000).then_some(v)
}

/// One `avgN=` figure of a pressure file in hundredths of a percent.
fn parse_avg(s: &str) -> Option<u32> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac = format!("{frac:0<2}");
    Some(whole.parse::<u32>().ok()? * 100 + frac.get(..2)?.parse::<u32>().ok()?)
}

/// systemd's `Condition{Memory,CPU,IO}Pressure=`: the `full` (else `some`) pressure average over
/// 5 minutes (or `/10sec`, `/1min`, `/5min`) is at most the limit, for the system or, with
/// `SLICE:`, for that slice under our cgroup. Met whenever PSI, the controller or the cgroup is
/// missing.
fn pressure(kind: &str, p: &str) -> Result<bool, String> {
    let bad = || format!("Failed to parse condition parameter {p}");
    // The files exist even where PSI is disabled; reading them then fails with EOPNOTSUPP.
    let unsupported = ["cpu", "io", "memory"].iter().any(|r| {
        fs::read(format!("/proc/pressure/{r}")).is_err_and(|e| {
            e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::EOPNOTSUPP)
        })
    });
    if unsupported {
        return Ok(true);
    }
    let mut words = p.splitn(3, ':');
    let first = words.next().filter(|w| !w.is_empty()).ok_or_else(bad)?;
    let (file, value) = match words.next() {
        None => (PathBuf::from(format!("/proc/pressure/{kind}")), first),
        Some(value) => {
            let slice = first.trim_matches(WHITESPACE);
            if !cgroup_unified()? {
                return Ok(true);
            }
            if !supported_controllers()?.contains(&kind) {
                return Ok(true);
            }
            let slice_path = slice_to_path(slice)
                .ok_or_else(|| format!("Cannot determine slice \"{slice}\" cgroup path"))?;
            let own = cgroup_of("self");
            let dir = Path::new(CGROUP_ROOT)
                .join(own.trim_start_matches('/'))
                .join(slice_path);
            (dir.join(format!("{kind}.pressure")), value)
        }
    };
    let (limit, window) = match value.split_once('/') {
        Some((limit, window)) => (limit, window.trim_start_matches(WHITESPACE)),
        None => (value, "5min"),
    };
    let key = if window.starts_with("10sec") {
        "avg10="
    } else if window.starts_with("1min") {
        "avg60="
    } else if window.starts_with("5min") {
        "avg300="
    } else {
        return Err(bad());
    };
    let limit = parse_permyriad(limit.trim_matches(WHITESPACE))
        .ok_or_else(|| format!("Failed to parse permyriad: {p}"))?;
    let text = match fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
        Err(e) => {
            return Err(format!(
                "Error parsing pressure from {}: {e}",
                file.display()
            ))
        }
    };
    let line = text
        .lines()
        .find(|l| l.starts_with("full "))
        .or_else(|| text.lines().find(|l| l.starts_with("some ")))
        .ok_or_else(|| format!("No pressure data in {}", file.display()))?;
    let current = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(key))
        .and_then(parse_avg)
        .ok_or_else(|| format!("Error parsing pressure from {}", file.display()))?;
    Ok(current <= limit)
}

// ---- Virtualization ---------------------------------------------------------------------------

/// `ConditionVirtualization=`: a boolean (any virtualization), `vm`, `container`,
/// `private-users`, or an id.
fn virtualization(p: &str, f: &HostFacts) -> bool {
    if p == "private-users" {
        return f.user_namespace;
    }
    let v = f.virtualization;
    if let Ok(b) = parse_boolean(p) {
        return b == (v != Virtualization::None);
    }
    match p {
        "vm" => v.is_vm(),
        "container" => v.is_container(),
        _ => v != Virtualization::None && v.as_str() == p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;
    use std::os::unix::fs::symlink;

    fn cond(name: &str, parameter: &str) -> Condition {
        Condition {
            name: name.to_string(),
            trigger: false,
            negate: false,
            parameter: parameter.to_string(),
        }
    }

    fn not(mut c: Condition) -> Condition {
        c.negate = true;
        c
    }

    fn trig(mut c: Condition) -> Condition {
        c.trigger = true;
        c
    }

    /// Facts of a made-up container: root at `root`, uid/gid 1000 with supplementary group 27.
    fn facts(root: &Path) -> HostFacts {
        HostFacts {
            root: root.to_path_buf(),
            uid: 1000,
            euid: 1000,
            gid: 1000,
            egid: 1000,
            groups: vec![27],
            accounts: Accounts::load(root),
            environment: vec!["LANG=C.UTF-8".into(), "DEBUG=".into()],
            hostname: "web-01.example.com".into(),
            kernel_release: "5.15.0-91-generic".into(),
            machine: "x86_64".into(),
            kernel_command_line: Some("/sbin/init quiet splash=no \"opt=a b\"".into()),
            virtualization: Virtualization::Docker,
            user_namespace: false,
            physical_memory: Some(2 << 30),
            cpus: Some(4),
        }
    }

    fn met(c: Condition, f: &HostFacts) -> bool {
        check(&[c], f).met
    }

    fn tree() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        fs::create_dir_all(r.join("etc/conf.d")).unwrap();
        fs::create_dir_all(r.join("empty")).unwrap();
        fs::create_dir_all(r.join("hidden-only")).unwrap();
        fs::write(r.join("hidden-only/.keep"), "").unwrap();
        fs::write(r.join("hidden-only/x.dpkg-old"), "").unwrap();
        fs::write(r.join("hidden-only/y~"), "").unwrap();
        fs::write(r.join("etc/conf.d/a.conf"), "x").unwrap();
        fs::write(r.join("etc/zero"), "").unwrap();
        fs::write(r.join("etc/tool"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(r.join("etc/tool"), fs::Permissions::from_mode(0o755)).unwrap();
        symlink("conf.d", r.join("etc/link")).unwrap();
        symlink("nowhere", r.join("etc/dangling")).unwrap();
        fs::write(
            r.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/group"),
            "root:x:0:\nalice:x:1000:\nsudo:x:27:alice\nbob:x:1001:\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/os-release"),
            "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/machine-id"),
            "0123456789abcdef0123456789abcdef\n",
        )
        .unwrap();
        root
    }

    #[test]
    fn path_checks_both_ways() {
        let root = tree();
        let f = facts(root.path());
        let cases: &[(&str, &str, bool)] = &[
            ("ConditionPathExists", "/etc/conf.d/a.conf", true),
            ("ConditionPathExists", "/nonexistent", false),
            ("ConditionPathExists", "/etc/dangling", false),
            ("ConditionPathExistsGlob", "/etc/conf.d/*.conf", true),
            ("ConditionPathExistsGlob", "/etc/*/a.{txt,conf}", true),
            ("ConditionPathExistsGlob", "/etc/conf.d/*.txt", false),
            ("ConditionPathExistsGlob", "/hidden-only/*keep", false),
            ("ConditionPathExistsGlob", "/hidden-only/.k*", true),
            ("ConditionPathIsDirectory", "/etc/link", true),
            ("ConditionPathIsDirectory", "/etc/zero", false),
            ("ConditionPathIsSymbolicLink", "/etc/link", true),
            ("ConditionPathIsSymbolicLink", "/etc/conf.d", false),
            ("ConditionPathIsReadWrite", "/etc", true),
            ("ConditionPathIsReadWrite", "/nonexistent", false),
            ("ConditionPathIsEncrypted", "/nonexistent", false),
            ("ConditionDirectoryNotEmpty", "/etc/conf.d", true),
            ("ConditionDirectoryNotEmpty", "/empty", false),
            ("ConditionDirectoryNotEmpty", "/hidden-only", false),
            ("ConditionDirectoryNotEmpty", "/etc/zero", false),
            ("ConditionDirectoryNotEmpty", "/nonexistent", false),
            ("ConditionFileNotEmpty", "/etc/conf.d/a.conf", true),
            ("ConditionFileNotEmpty", "/etc/zero", false),
            ("ConditionFileNotEmpty", "/etc/conf.d", false),
            ("ConditionFileIsExecutable", "/etc/tool", true),
            ("ConditionFileIsExecutable", "/etc/zero", false),
            ("ConditionFileIsExecutable", "/etc", false),
        ];
        for &(name, parameter, expected) in cases {
            assert_eq!(
                met(cond(name, parameter), &f),
                expected,
                "{name}={parameter}"
            );
            assert_eq!(
                met(not(cond(name, parameter)), &f),
                !expected,
                "{name}=!{parameter}"
            );
        }
    }

    #[test]
    fn mount_points_of_the_live_system() {
        let f = facts(Path::new("/"));
        assert!(met(cond("ConditionPathIsMountPoint", "/"), &f));
        assert!(met(cond("ConditionPathIsMountPoint", "/proc"), &f));
        assert!(!met(cond("ConditionPathIsMountPoint", "/proc/self/fd"), &f));
        assert!(!met(cond("ConditionPathIsMountPoint", "/nonexistent"), &f));
        let root = tree();
        let f = facts(root.path());
        assert!(!met(cond("ConditionPathIsMountPoint", "/etc"), &f));
    }

    #[test]
    fn lists_follow_condition_test_list() {
        let root = tree();
        let f = facts(root.path());
        let yes = || cond("ConditionPathExists", "/etc");
        let no = || cond("ConditionPathExists", "/nonexistent");
        assert!(check(&[], &f).met);
        assert!(check(&[yes(), yes()], &f).met);
        assert!(!check(&[trig(no()), trig(no())], &f).met);
        assert!(check(&[trig(no()), trig(yes()), trig(no())], &f).met);
        // A non-triggering failure fails the list whatever the triggering ones say.
        let r = check(&[trig(yes()), no(), yes()], &f);
        assert!(!r.met);
        let results: Vec<_> = r.outcomes.iter().map(|o| o.result).collect();
        assert_eq!(
            results,
            [
                ConditionResult::Succeeded,
                ConditionResult::Failed,
                ConditionResult::Untested
            ]
        );
        assert!(check(&[yes(), trig(yes())], &f).met);
        // An error is not met, negated or not.
        let bad = cond("ConditionCapability", "CAP_NOT_A_THING");
        assert!(!met(bad.clone(), &f));
        assert!(!met(not(bad.clone()), &f));
        let r = check(&[bad], &f);
        assert_eq!(r.outcomes[0].result, ConditionResult::Error);
        assert!(r.outcomes[0].log_line().starts_with(
            "Couldn't determine result for ConditionCapability=CAP_NOT_A_THING, assuming failed: "
        ));
    }

    #[test]
    fn users_and_groups() {
        let root = tree();
        let mut f = facts(root.path());
        for (p, expected) in [
            ("alice", true),
            ("1000", true),
            ("bob", false),
            ("1001", false),
            ("root", false),
            ("nosuchuser", false),
            ("@system", false),
        ] {
            assert_eq!(met(cond("ConditionUser", p), &f), expected, "User={p}");
        }
        for (p, expected) in [
            ("alice", true),
            ("1000", true),
            ("sudo", true),
            ("27", true),
            ("bob", false),
            ("0", false),
            ("nosuchgroup", false),
        ] {
            assert_eq!(met(cond("ConditionGroup", p), &f), expected, "Group={p}");
        }
        f.uid = 0;
        assert!(met(cond("ConditionUser", "root"), &f));
        assert!(met(cond("ConditionUser", "@system"), &f));
        f.uid = 999;
        assert!(met(cond("ConditionUser", "@system"), &f));
        assert!(!met(not(cond("AssertUser", "1000")), &f));
    }

    #[test]
    fn environment_host_kernel() {
        let root = tree();
        let f = facts(root.path());
        for (p, expected) in [
            ("LANG", true),
            ("LANG=C.UTF-8", true),
            ("LANG=C", false),
            ("LAN", false),
            ("DEBUG", true),
            ("DEBUG=", true),
            ("HOME", false),
        ] {
            assert_eq!(met(cond("ConditionEnvironment", p), &f), expected, "{p}");
        }
        assert!(met(cond("ConditionHost", "WEB-0?.example.com"), &f));
        assert!(met(cond("ConditionHost", "web-*"), &f));
        assert!(!met(cond("ConditionHost", "db-*"), &f));
        assert!(met(
            cond("ConditionHost", "01234567-89AB-CDEF-0123-456789ABCDEF"),
            &f
        ));
        assert!(!met(
            cond("ConditionHost", "ffffffffffffffffffffffffffffffff"),
            &f
        ));
        for (p, expected) in [
            ("quiet", true),
            ("splash", true),
            ("splash=no", true),
            ("splash=yes", false),
            ("opt=a b", true),
            ("qui", false),
        ] {
            assert_eq!(
                met(cond("ConditionKernelCommandLine", p), &f),
                expected,
                "{p}"
            );
        }
    }

    #[test]
    fn versions_memory_and_cpus_compare() {
        let root = tree();
        let f = facts(root.path());
        for (p, expected) in [
            (">=5.10", true),
            ("<5.10", false),
            (">= 5.15", true),
            ("5.15.*", true),
            ("6.*", false),
            (">=5.4 <6", true),
            (">=5.4 <5.15", false),
            ("=5.15.0-91-generic", true),
            ("!=5.15.0-91-generic", false),
        ] {
            assert_eq!(met(cond("ConditionKernelVersion", p), &f), expected, "{p}");
        }
        for (p, expected) in [
            ("1G", true),
            (">=2G", true),
            (">2G", false),
            ("<=2048M", true),
            ("=2147483648", true),
            ("<1.5G", false),
            (">1G 512M", true),
            ("lots", false),
        ] {
            assert_eq!(met(cond("ConditionMemory", p), &f), expected, "Memory={p}");
        }
        for (p, expected) in [
            ("4", true),
            (">=2", true),
            (">4", false),
            ("<8", true),
            ("=4", true),
            ("!=4", false),
        ] {
            assert_eq!(met(cond("ConditionCPUs", p), &f), expected, "CPUs={p}");
        }
        assert_eq!(version_compare("5.10", "5.9"), Ordering::Greater);
        assert_eq!(version_compare("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(version_compare("1.0-1", "1.0.1"), Ordering::Less);
        assert_eq!(version_compare("010", "10"), Ordering::Equal);
        assert_eq!(version_compare("123a", "123.a"), Ordering::Greater);
        assert_eq!(crate::unit::size::parse_iec_size("1.5K").ok(), Some(1536));
        assert!(crate::unit::size::parse_iec_size("1M1G").is_err());
    }

    #[test]
    fn os_release_compares_strings_and_versions() {
        let root = tree();
        let f = facts(root.path());
        for (p, expected) in [
            ("ID=debian", true),
            ("ID!=debian", false),
            ("ID=deb*", false),
            ("VERSION_ID>=11", true),
            ("VERSION_ID<12", false),
            ("ID=debian VERSION_ID=12", true),
            ("\"PRETTY_NAME=Debian GNU/Linux 12 (bookworm)\"", true),
            ("BUILD_ID!=x", true),
            ("BUILD_ID=x", false),
        ] {
            assert_eq!(met(cond("ConditionOSRelease", p), &f), expected, "{p}");
        }
        let r = check(&[cond("ConditionOSRelease", "ID")], &f);
        assert_eq!(r.outcomes[0].result, ConditionResult::Error);
    }

    #[test]
    fn virtualization_architecture_and_first_boot() {
        let root = tree();
        let mut f = facts(root.path());
        for (p, expected) in [
            ("container", true),
            ("yes", true),
            ("docker", true),
            ("podman", false),
            ("vm", false),
            ("no", false),
        ] {
            assert_eq!(met(cond("ConditionVirtualization", p), &f), expected, "{p}");
        }
        assert!(met(not(cond("ConditionVirtualization", "vm")), &f));
        f.virtualization = Virtualization::None;
        assert!(!met(cond("ConditionVirtualization", "container"), &f));
        assert!(met(cond("ConditionVirtualization", "no"), &f));
        assert!(!met(cond("ConditionVirtualization", "none"), &f));

        assert!(met(cond("ConditionArchitecture", "x86-64"), &f));
        assert!(!met(cond("ConditionArchitecture", "arm64"), &f));
        assert!(!met(cond("ConditionArchitecture", "nonsense"), &f));
        f.machine = "aarch64".into();
        assert!(met(cond("ConditionArchitecture", "arm64"), &f));
        f.machine = std::env::consts::ARCH.into();
        assert!(met(cond("ConditionArchitecture", "native"), &f));

        assert!(!met(cond("ConditionFirstBoot", "yes"), &f));
        assert!(met(cond("ConditionFirstBoot", "no"), &f));
        fs::create_dir_all(root.path().join("run/systemd")).unwrap();
        fs::write(root.path().join("run/systemd/first-boot"), "").unwrap();
        assert!(met(cond("ConditionFirstBoot", "yes"), &f));
        assert_eq!(
            check(&[cond("ConditionFirstBoot", "maybe")], &f).outcomes[0].result,
            ConditionResult::Error
        );
    }

    #[test]
    fn credentials_and_needs_update() {
        let root = tree();
        let mut f = facts(root.path());
        assert!(!met(cond("ConditionCredential", "token"), &f));
        let creds = root.path().join("creds");
        fs::create_dir_all(&creds).unwrap();
        fs::write(creds.join("token"), "s3cret").unwrap();
        f.environment
            .push(format!("CREDENTIALS_DIRECTORY={}", creds.display()));
        assert!(met(cond("ConditionCredential", "token"), &f));
        assert!(!met(cond("ConditionCredential", "other"), &f));
        assert!(!met(cond("ConditionCredential", "../creds/token"), &f));

        fs::create_dir_all(root.path().join("usr")).unwrap();
        // No stamp: an update is due.
        assert!(met(cond("ConditionNeedsUpdate", "/etc"), &f));
        fs::write(root.path().join("etc/.updated"), "").unwrap();
        let usr = fs::metadata(root.path().join("usr")).unwrap();
        let stamp = fs::metadata(root.path().join("etc/.updated")).unwrap();
        let expected = (usr.mtime(), usr.mtime_nsec()) > (stamp.mtime(), stamp.mtime_nsec());
        assert_eq!(met(cond("ConditionNeedsUpdate", "/etc"), &f), expected);
        f.kernel_command_line = Some("systemd.condition-needs-update=yes".into());
        assert!(met(cond("ConditionNeedsUpdate", "/etc"), &f));
    }

    #[test]
    fn live_checks_answer_without_errors() {
        let f = HostFacts::current();
        for (name, p) in [
            ("ConditionSecurity", "selinux"),
            ("ConditionSecurity", "tpm2"),
            ("ConditionACPower", "true"),
            ("ConditionFirmware", "device-tree"),
            ("ConditionCPUFeature", "sse2"),
            ("ConditionMemoryPressure", "100%"),
            ("ConditionCPUPressure", "100%/10sec"),
            ("ConditionCapability", "cap_chown"),
            ("ConditionCapability", "40"),
        ] {
            let r = check(&[cond(name, p)], &f);
            assert_ne!(r.outcomes[0].result, ConditionResult::Error, "{name}={p}");
        }
        // Pressure can never exceed 100%.
        assert!(met(cond("ConditionMemoryPressure", "100%"), &f));
        assert!(!met(cond("ConditionCPUPressure", "100%/2min"), &f));
        assert!(!met(cond("ConditionCapability", "41"), &f));
        assert!(!met(cond("ConditionSecurity", "cvm"), &f));
        assert!(!met(cond("ConditionFirmware", "smbios-field(a=b)"), &f));
        assert_eq!(parse_permyriad("12.5%"), Some(1250));
        assert_eq!(parse_permyriad("5‰"), Some(50));
        assert_eq!(parse_permyriad("12"), None);
        assert_eq!(
            slice_to_path("a-b-c.slice").as_deref(),
            Some("a.slice/a-b.slice/a-b-c.slice")
        );
    }

    #[test]
    fn messages_read_as_systemds() {
        let root = tree();
        let f = facts(root.path());
        let a = cond("ConditionPathExists", "/nonexistent");
        let b = not(cond("ConditionPathExists", "/etc"));
        assert_eq!(describe(&b), "ConditionPathExists=!/etc");
        assert_eq!(describe(&trig(b.clone())), "ConditionPathExists=|!/etc");
        let r = check(&[trig(a.clone()), trig(b.clone())], &f);
        assert!(!r.met);
        assert_eq!(
            r.status_condition_lines(),
            [
                "├─ ConditionPathExists=|/nonexistent was not met",
                "└─ ConditionPathExists=|!/etc was not met",
            ]
        );
        assert_eq!(
            r.log_lines(),
            [
                "ConditionPathExists=|/nonexistent failed.",
                "ConditionPathExists=|!/etc failed.",
            ]
        );
        let r = check(&[b], &f);
        assert_eq!(
            r.status_condition_lines(),
            ["└─ ConditionPathExists=!/etc was not met"]
        );
        let asserts = [
            trig(cond("AssertPathExists", "/nonexistent")),
            not(cond("AssertPathExists", "/etc")),
        ];
        let r = check(&asserts, &f);
        assert_eq!(
            r.status_assert_line().as_deref(),
            Some("AssertPathExists=!/etc was not met")
        );
        let r = check(&asserts[..1], &f);
        assert_eq!(
            r.status_assert_line().as_deref(),
            Some("none of the trigger assertions were met")
        );
        assert_eq!(check(&[], &f).status_assert_line(), None);
        assert_eq!(
            skipped_message("My Service"),
            "Condition check resulted in My Service being skipped."
        );
        assert_eq!(
            assert_failed_message("My Service"),
            "Assertion failed for My Service."
        );
    }
}
