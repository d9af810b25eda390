//! One line of a tmpfiles.d(5) file, parsed as systemd-tmpfiles 252's parse_line() does: the
//! whitespace-separated, quote-aware fields `Type Path Mode User Group Age Argument`, the type's
//! modifiers (`! + - = ~ ^`), specifiers in the path and argument, C-style escapes in the argument,
//! and the same diagnostics, worded as systemd words them.

use std::path::Path;

use thiserror::Error;

use super::specifiers::{SpecifierError, Specifiers};
use crate::sys::accounts::Accounts;

/// The item types of tmpfiles.d(5), by their letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemType {
    CreateFile,
    TruncateFile,
    CreateDirectory,
    TruncateDirectory,
    CreateSubvolume,
    CreateSubvolumeInheritQuota,
    CreateSubvolumeNewQuota,
    CreateFifo,
    CreateSymlink,
    CreateCharDevice,
    CreateBlockDevice,
    CopyFiles,
    WriteFile,
    EmptyDirectory,
    SetXattr,
    RecursiveSetXattr,
    SetAcl,
    RecursiveSetAcl,
    SetAttribute,
    RecursiveSetAttribute,
    IgnorePath,
    IgnoreDirectoryPath,
    RemovePath,
    RecursiveRemovePath,
    RelabelPath,
    RecursiveRelabelPath,
    AdjustMode,
}

const TYPE_LETTERS: &[(char, ItemType)] = &[
    ('f', ItemType::CreateFile),
    ('F', ItemType::TruncateFile),
    ('d', ItemType::CreateDirectory),
    ('D', ItemType::TruncateDirectory),
    ('v', ItemType::CreateSubvolume),
    ('q', ItemType::CreateSubvolumeInheritQuota),
    ('Q', ItemType::CreateSubvolumeNewQuota),
    ('p', ItemType::CreateFifo),
    ('L', ItemType::CreateSymlink),
    ('c', ItemType::CreateCharDevice),
    ('b', ItemType::CreateBlockDevice),
    ('C', ItemType::CopyFiles),
    ('w', ItemType::WriteFile),
    ('e', ItemType::EmptyDirectory),
    ('t', ItemType::SetXattr),
    ('T', ItemType::RecursiveSetXattr),
    ('a', ItemType::SetAcl),
    ('A', ItemType::RecursiveSetAcl),
    ('h', ItemType::SetAttribute),
    ('H', ItemType::RecursiveSetAttribute),
    ('x', ItemType::IgnorePath),
    ('X', ItemType::IgnoreDirectoryPath),
    ('r', ItemType::RemovePath),
    ('R', ItemType::RecursiveRemovePath),
    ('z', ItemType::RelabelPath),
    ('Z', ItemType::RecursiveRelabelPath),
    ('m', ItemType::AdjustMode),
];

impl ItemType {
    pub fn from_letter(c: char) -> Option<ItemType> {
        TYPE_LETTERS.iter().find(|(l, _)| *l == c).map(|(_, t)| *t)
    }

    pub fn letter(self) -> char {
        TYPE_LETTERS
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(l, _)| *l)
            .unwrap_or('?')
    }

    /// Types whose path is a glob pattern.
    pub fn takes_glob(self) -> bool {
        use ItemType::*;
        matches!(
            self,
            WriteFile
                | IgnorePath
                | IgnoreDirectoryPath
                | RemovePath
                | RecursiveRemovePath
                | EmptyDirectory
                | AdjustMode
                | RelabelPath
                | RecursiveRelabelPath
                | SetXattr
                | RecursiveSetXattr
                | SetAcl
                | RecursiveSetAcl
                | SetAttribute
                | RecursiveSetAttribute
        )
    }

    /// Types that own their path: they sort before the adjusting types of the same path, and two
    /// of them on one path must agree or the later line is dropped.
    pub fn takes_ownership(self) -> bool {
        use ItemType::*;
        matches!(
            self,
            CreateFile
                | TruncateFile
                | CreateDirectory
                | EmptyDirectory
                | TruncateDirectory
                | CreateSubvolume
                | CreateSubvolumeInheritQuota
                | CreateSubvolumeNewQuota
                | CreateFifo
                | CreateSymlink
                | CreateCharDevice
                | CreateBlockDevice
                | CopyFiles
                | WriteFile
                | IgnorePath
                | IgnoreDirectoryPath
                | RemovePath
                | RecursiveRemovePath
        )
    }

    fn is_directory_like(self) -> bool {
        use ItemType::*;
        matches!(
            self,
            CreateDirectory
                | TruncateDirectory
                | CreateSubvolume
                | CreateSubvolumeInheritQuota
                | CreateSubvolumeNewQuota
        )
    }
}

/// One parsed line, ready to apply; paths already carry the `--root` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemType,
    pub path: String,
    pub argument: Option<Vec<u8>>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// `:` before the user or group: the owner is set only when the file is created.
    pub uid_only_create: bool,
    pub gid_only_create: bool,
    pub mode: u32,
    pub mode_set: bool,
    /// `~` before the mode: only keep the permission classes the file already has.
    pub mask_perms: bool,
    /// `:` before the mode: the mode applies only when the file is created.
    pub mode_only_create: bool,
    pub age: Option<String>,
    /// `+`: truncate, replace, or (for `w`) append.
    pub append_or_force: bool,
    /// `-`: failures to create are not errors.
    pub allow_failure: bool,
    /// `=`: remove objects of the wrong type in the way.
    pub try_replace: bool,
    pub device: Option<(u32, u32)>,
}

impl Item {
    pub fn argument_text(&self) -> Option<String> {
        self.argument
            .as_ref()
            .map(|a| String::from_utf8_lossy(a).into_owned())
    }

    /// Whether a second line for the same path may be kept beside this one (item_compatible()).
    pub fn compatible_with(&self, other: &Item) -> bool {
        if !(self.kind.takes_ownership() && other.kind.takes_ownership()) {
            return true;
        }
        self.argument == other.argument
            && self.uid == other.uid
            && self.gid == other.gid
            && self.uid_only_create == other.uid_only_create
            && self.gid_only_create == other.gid_only_create
            && self.mode_only_create == other.mode_only_create
            && self.mode_set == other.mode_set
            && self.mode == other.mode
            && self.age == other.age
            && self.mask_perms == other.mask_perms
            && self.device == other.device
    }
}

/// Why a line was rejected; displayed as systemd-tmpfiles prints it, after `file:line: `.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LineProblem {
    #[error("Failed to parse line: Invalid argument")]
    BadQuoting,
    #[error("Syntax error.")]
    TooFewFields,
    #[error("Command too short '{0}'.")]
    CommandTooShort(String),
    #[error("Unknown modifiers in command '{0}'")]
    UnknownModifiers(String),
    #[error("Failed to replace specifiers in '{path}': {error}")]
    PathSpecifier { path: String, error: SpecifierError },
    #[error("Unknown command type '{0}'.")]
    UnknownType(char),
    #[error("Write file requires argument.")]
    WriteWithoutArgument,
    #[error("Source path '{0}' is not absolute.")]
    RelativeCopySource(String),
    #[error("Device file requires argument.")]
    DeviceWithoutArgument,
    #[error("Can't parse device file major/minor '{0}'.")]
    BadDevice(String),
    #[error("{0} requires argument.")]
    MissingArgument(&'static str),
    #[error("base64 decoding not supported for {0}.")]
    Base64Unsupported(&'static str),
    #[error("Failed to base64 decode specified argument '{0}': Invalid argument")]
    BadBase64(String),
    #[error("Reading from credential requested, but no credential name specified.")]
    CredentialWithoutName,
    #[error("Credential name not valid: {0}")]
    BadCredentialName(String),
    #[error("Path '{0}' not absolute.")]
    RelativePath(String),
    /// systemd logs the raw argument on a line of its own first, without a location.
    #[error("Failed to substitute specifiers in argument: Invalid argument")]
    BadEscape(String),
    #[error("Failed to substitute specifiers in argument: {0}")]
    ArgumentSpecifier(SpecifierError),
    #[error("Failed to resolve user '{0}': No such process")]
    UnknownUser(String),
    #[error("Failed to resolve group '{0}'.")]
    UnknownGroup(String),
    #[error("Invalid mode '{0}'.")]
    BadMode(String),
    #[error("Invalid age-by '{0}'.")]
    BadAgeBy(String),
    #[error("Invalid age '{0}'.")]
    BadAge(String),
}

impl LineProblem {
    /// Whether systemd counts the line as invalid configuration (exit status 65); the others are
    /// reported and skipped without changing the exit status.
    pub fn is_invalid_config(&self) -> bool {
        !matches!(
            self,
            LineProblem::BadBase64(_)
                | LineProblem::CredentialWithoutName
                | LineProblem::BadCredentialName(_)
        ) && !matches!(
            self,
            LineProblem::PathSpecifier {
                error: SpecifierError::Unresolvable(_),
                ..
            } | LineProblem::ArgumentSpecifier(SpecifierError::Unresolvable(_))
        )
    }

    /// What systemd prints before the located message, if anything.
    pub fn preamble(&self) -> Option<String> {
        match self {
            LineProblem::BadEscape(arg) => {
                Some(format!("Failed to unescape parameter to write: {arg}"))
            }
            _ => None,
        }
    }
}

/// A rejected line and where it is.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{file}:{line}: {problem}")]
pub struct LineError {
    pub file: String,
    pub line: usize,
    pub problem: LineProblem,
}

/// What a line turned into.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Item(Box<Item>),
    /// Left out on purpose: `!` without `--boot`, a prefix filter, a missing credential, an
    /// unresolvable specifier.
    Skipped(SkipReason),
}

#[derive(Debug, PartialEq, Eq)]
pub enum SkipReason {
    BootOnly,
    NotInPrefix,
    CredentialMissing,
    UnresolvableSpecifier,
}

/// Everything parse_line() consults besides the line.
pub struct LineContext<'a> {
    pub specifiers: &'a Specifiers,
    pub root: Option<&'a Path>,
    pub boot: bool,
    pub include_prefixes: &'a [String],
    pub exclude_prefixes: &'a [String],
    pub accounts: &'a Accounts,
    /// `$CREDENTIALS_DIRECTORY`, for `^` lines.
    pub credentials: Option<&'a Path>,
}

const WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

/// extract_first_word() with EXTRACT_UNQUOTE: quotes group, a backslash takes the next character
/// as it is. `Ok(None)` at the end of the input; `Err` on an open quote or a trailing backslash.
fn next_word(input: &str) -> Result<Option<(String, &str)>, LineProblem> {
    let start = input.trim_start_matches(WHITESPACE);
    if start.is_empty() {
        return Ok(None);
    }
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut backslash = false;
    for (i, c) in start.char_indices() {
        if backslash {
            word.push(c);
            backslash = false;
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' {
                backslash = true;
            } else {
                word.push(c);
            }
        } else if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == '\\' {
            backslash = true;
        } else if WHITESPACE.contains(&c) {
            let rest = start[i..].trim_start_matches(WHITESPACE);
            return Ok(Some((word, rest)));
        } else {
            word.push(c);
        }
    }
    if backslash || quote.is_some() {
        return Err(LineProblem::BadQuoting);
    }
    Ok(Some((word, "")))
}

fn hex_value(b: u8) -> Option<u32> {
    char::from(b).to_digit(16)
}

/// cunescape() without flags: C escapes plus `\s`; a NUL or an unknown escape is an error.
pub fn cunescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let c = *s.get(i + 1)?;
        i += 2;
        let simple = match c {
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' | b'"' | b'\'' => Some(c),
            b's' => Some(b' '),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        match c {
            b'x' => {
                let hi = hex_value(*s.get(i)?)?;
                let lo = hex_value(*s.get(i + 1)?)?;
                let v = (hi << 4) | lo;
                if v == 0 {
                    return None;
                }
                out.push(v as u8);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let digits = s.get(i..i + n)?;
                let v = digits
                    .iter()
                    .try_fold(0u32, |acc, &d| Some(acc.checked_mul(16)? + hex_value(d)?))?;
                let ch = char::from_u32(v).filter(|&ch| ch != '\0')?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += n;
            }
            b'0'..=b'7' => {
                let digits = [c, *s.get(i)?, *s.get(i + 1)?];
                let v = digits.iter().try_fold(0u32, |acc, &d| {
                    (b'0'..=b'7')
                        .contains(&d)
                        .then(|| acc * 8 + u32::from(d - b'0'))
                })?;
                if v == 0 || v > 255 {
                    return None;
                }
                out.push(v as u8);
                i += 2;
            }
            _ => return None,
        }
    }
    Some(out)
}

fn base64_value(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// unbase64mem(): whitespace is ignored, padding optional at the end only.
pub fn unbase64(s: &[u8]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let data_end = clean.iter().position(|&b| b == b'=').unwrap_or(clean.len());
    let padding = &clean[data_end..];
    if padding.len() > 2 || padding.iter().any(|&b| b != b'=') {
        return None;
    }
    if !padding.is_empty() && !clean.len().is_multiple_of(4) {
        return None;
    }
    let data = &clean[..data_end];
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for (k, &b) in chunk.iter().enumerate() {
            acc |= base64_value(b)? << (18 - 6 * k);
        }
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    Some(out)
}

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

fn join_root(root: Option<&Path>, path: &str) -> String {
    match root {
        Some(r) if r != Path::new("/") => {
            simplify_path(&format!("{}/{}", r.display(), path.trim_start_matches('/')))
        }
        _ => path.to_string(),
    }
}

fn parse_mode(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    u32::from_str_radix(s, 8).ok().filter(|m| *m <= 0o7777)
}

/// parse_sec(): numbers with optional units, `infinity`.
fn parse_seconds(s: &str) -> bool {
    const UNITS: &[&str] = &[
        "seconds", "second", "sec", "s", "minutes", "minute", "min", "months", "month", "M",
        "msec", "ms", "m", "hours", "hour", "hr", "h", "days", "day", "d", "weeks", "week", "w",
        "years", "year", "y", "usec", "us", "µs", "nsec", "ns", "",
    ];
    let s = s.trim();
    if s == "infinity" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 || rest[..digits].matches('.').count() > 1 {
            return false;
        }
        rest = rest[digits..].trim_start();
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == ' ')
            .unwrap_or(rest.len());
        if !UNITS.contains(&&rest[..unit_len]) {
            return false;
        }
        rest = rest[unit_len..].trim_start();
    }
    true
}

fn valid_age_by(s: &str) -> bool {
    let letters: Vec<char> = s.chars().filter(|c| !WHITESPACE.contains(c)).collect();
    !letters.is_empty() && letters.iter().all(|c| "abcmABCM".contains(*c))
}

fn parse_device(s: &str) -> Option<(u32, u32)> {
    let (major, minor) = s.split_once(':')?;
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(major) || !all_digits(minor) {
        return None;
    }
    let major: u32 = major.parse().ok()?;
    let minor: u32 = minor.parse().ok()?;
    (major < (1 << 12) && minor < (1 << 20)).then_some((major, minor))
}

fn credential_name_valid(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name != "." && name != ".." && !name.contains('/')
}

fn resolve_user(name: &str, ctx: &LineContext) -> Option<u32> {
    if let Some(uid) = parse_id(name) {
        return Some(uid);
    }
    if ctx.root.is_some() && name == "root" {
        return Some(0);
    }
    ctx.accounts
        .users
        .iter()
        .find(|u| u.name == name)
        .map(|u| u.uid)
}

fn resolve_group(name: &str, ctx: &LineContext) -> Option<u32> {
    if let Some(gid) = parse_id(name) {
        return Some(gid);
    }
    if ctx.root.is_some() && name == "root" {
        return Some(0);
    }
    ctx.accounts
        .groups
        .iter()
        .find(|g| g.name == name)
        .map(|g| g.gid)
}

/// parse_uid(): decimal, not the two reserved values.
fn parse_id(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u32>()
        .ok()
        .filter(|&id| id != u32::MAX && id != 65535)
}

fn empty_or_dash(s: Option<&str>) -> bool {
    matches!(s, None | Some("") | Some("-"))
}

fn unsupported_base64_target(kind: ItemType) -> Option<&'static str> {
    use ItemType::*;
    match kind {
        CreateSymlink => Some("symlink targets"),
        CopyFiles => Some("copy sources"),
        CreateCharDevice | CreateBlockDevice => Some("device node creation"),
        SetXattr | RecursiveSetXattr => Some("extended attributes"),
        SetAcl | RecursiveSetAcl => Some("ACLs"),
        SetAttribute | RecursiveSetAttribute => Some("file attributes"),
        _ => None,
    }
}

fn factory_path(path: &str) -> Vec<u8> {
    format!("/usr/share/factory{path}").into_bytes()
}

fn read_credential(dir: Option<&Path>, name: &str) -> Option<Vec<u8>> {
    std::fs::read(dir?.join(name)).ok()
}

/// Parse one non-empty, non-comment line (already stripped of surrounding whitespace).
pub fn parse_line(
    line: &str,
    ctx: &LineContext,
    notes: &mut Vec<String>,
) -> Result<Parsed, LineProblem> {
    let mut words: Vec<String> = Vec::with_capacity(6);
    let mut rest = line;
    while words.len() < 6 {
        match next_word(rest)? {
            Some((w, r)) => {
                words.push(w);
                rest = r;
            }
            None => break,
        }
    }
    if words.len() < 2 {
        return Err(LineProblem::TooFewFields);
    }
    let field = |n: usize| words.get(n).map(String::as_str);
    let action = words[0].as_str();
    let mut argument: Option<Vec<u8>> =
        (!empty_or_dash(Some(rest))).then(|| rest.as_bytes().to_vec());

    let mut chars = action.chars();
    let letter = chars
        .next()
        .ok_or_else(|| LineProblem::CommandTooShort(action.to_string()))?;
    let (mut boot, mut force, mut allow_failure, mut try_replace, mut unbase64_arg, mut from_cred) =
        (false, false, false, false, false, false);
    for m in chars {
        let flag = match m {
            '!' => &mut boot,
            '+' => &mut force,
            '-' => &mut allow_failure,
            '=' => &mut try_replace,
            '~' => &mut unbase64_arg,
            '^' => &mut from_cred,
            _ => return Err(LineProblem::UnknownModifiers(action.to_string())),
        };
        if *flag {
            return Err(LineProblem::UnknownModifiers(action.to_string()));
        }
        *flag = true;
    }
    if boot && !ctx.boot {
        return Ok(Parsed::Skipped(SkipReason::BootOnly));
    }

    let raw_path = words[1].as_str();
    let mut path = match ctx.specifiers.expand_str(raw_path) {
        Ok(p) => p,
        Err(SpecifierError::Unresolvable(_)) => {
            return Ok(Parsed::Skipped(SkipReason::UnresolvableSpecifier))
        }
        Err(error) => {
            return Err(LineProblem::PathSpecifier {
                path: raw_path.to_string(),
                error,
            })
        }
    };
    if let Some(below) = path
        .strip_prefix("/var/run/")
        .filter(|b| !b.trim_matches('/').is_empty())
    {
        path = format!("/run/{below}");
    }

    let kind = ItemType::from_letter(letter).ok_or(LineProblem::UnknownType(letter))?;
    if let Some(what) = unsupported_base64_target(kind).filter(|_| unbase64_arg) {
        return Err(LineProblem::Base64Unsupported(what));
    }
    let mut device = None;
    use ItemType::*;
    match kind {
        CreateFile | TruncateFile => {}
        WriteFile => {
            if argument.is_none() {
                return Err(LineProblem::WriteWithoutArgument);
            }
        }
        CreateSymlink | CopyFiles => {
            if argument.is_none() {
                argument = Some(factory_path(&path));
            }
        }
        CreateCharDevice | CreateBlockDevice => {
            let arg = argument
                .as_deref()
                .ok_or(LineProblem::DeviceWithoutArgument)?;
            let text = String::from_utf8_lossy(arg).into_owned();
            device = Some(parse_device(&text).ok_or(LineProblem::BadDevice(text))?);
        }
        SetXattr
        | RecursiveSetXattr
        | SetAcl
        | RecursiveSetAcl
        | SetAttribute
        | RecursiveSetAttribute => {
            if argument.is_none() {
                return Err(LineProblem::MissingArgument(match kind {
                    SetXattr | RecursiveSetXattr => "Set extended attribute",
                    SetAcl | RecursiveSetAcl => "Set ACLs",
                    _ => "Set file attribute",
                }));
            }
        }
        _ => {
            if argument.is_some() {
                notes.push(format!(
                    "{letter} lines don't take argument fields, ignoring."
                ));
            }
        }
    }

    let binary_argument = from_cred || unbase64_arg;
    if from_cred {
        let name = argument
            .as_deref()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .ok_or(LineProblem::CredentialWithoutName)?;
        if !credential_name_valid(&name) {
            return Err(LineProblem::BadCredentialName(name));
        }
        match read_credential(ctx.credentials, &name) {
            Some(data) => argument = Some(data),
            None => return Ok(Parsed::Skipped(SkipReason::CredentialMissing)),
        }
    } else if unbase64_arg {
        if let Some(arg) = &argument {
            let decoded = unbase64(arg)
                .ok_or_else(|| LineProblem::BadBase64(String::from_utf8_lossy(arg).into_owned()))?;
            argument = Some(decoded);
        }
    }

    if !path.starts_with('/') {
        return Err(LineProblem::RelativePath(path));
    }
    let path = simplify_path(&path);
    let excluded = ctx
        .exclude_prefixes
        .iter()
        .any(|p| path_starts_with(&path, p));
    let included = ctx.include_prefixes.is_empty()
        || ctx
            .include_prefixes
            .iter()
            .any(|p| path_starts_with(&path, p));
    if excluded || !included {
        return Ok(Parsed::Skipped(SkipReason::NotInPrefix));
    }

    let unescapes = matches!(
        kind,
        CopyFiles | CreateSymlink | CreateFile | TruncateFile | WriteFile
    );
    if let (Some(arg), true, false) = (&argument, unescapes, binary_argument) {
        let unescaped = cunescape(arg)
            .ok_or_else(|| LineProblem::BadEscape(String::from_utf8_lossy(arg).into_owned()))?;
        match ctx.specifiers.expand(&unescaped) {
            Ok(expanded) => argument = Some(expanded),
            Err(SpecifierError::Unresolvable(_)) => {
                return Ok(Parsed::Skipped(SkipReason::UnresolvableSpecifier))
            }
            Err(e) => return Err(LineProblem::ArgumentSpecifier(e)),
        }
    }
    if kind == CopyFiles {
        let source = String::from_utf8_lossy(argument.as_deref().unwrap_or_default()).into_owned();
        if !source.starts_with('/') {
            return Err(LineProblem::RelativeCopySource(source));
        }
        argument = Some(join_root(ctx.root, &simplify_path(&source)).into_bytes());
    }

    let path = join_root(ctx.root, &path);
    let owner_field = |n: usize| {
        let raw = field(n).filter(|f| !empty_or_dash(Some(f)))?;
        Some(match raw.strip_prefix(':') {
            Some(name) => (name, true),
            None => (raw, false),
        })
    };
    let (uid, uid_only_create) = match owner_field(3) {
        Some((u, only_create)) => (
            Some(resolve_user(u, ctx).ok_or_else(|| LineProblem::UnknownUser(u.to_string()))?),
            only_create,
        ),
        None => (None, false),
    };
    let (gid, gid_only_create) = match owner_field(4) {
        Some((g, only_create)) => (
            Some(resolve_group(g, ctx).ok_or_else(|| LineProblem::UnknownGroup(g.to_string()))?),
            only_create,
        ),
        None => (None, false),
    };

    let (mut mode, mut mode_set, mut mask_perms, mut mode_only_create) = (
        if kind.is_directory_like() {
            0o755
        } else {
            0o644
        },
        false,
        false,
        false,
    );
    if let Some(m) = field(2).filter(|m| !empty_or_dash(Some(m))) {
        let digits = m.trim_start_matches(|c| {
            match c {
                '~' => mask_perms = true,
                ':' => mode_only_create = true,
                _ => return false,
            }
            true
        });
        mode = parse_mode(digits).ok_or_else(|| LineProblem::BadMode(m.to_string()))?;
        mode_set = true;
    }

    let age = match field(5).filter(|a| !empty_or_dash(Some(a))) {
        Some(a) => {
            let spec = a.strip_prefix('~').unwrap_or(a);
            let seconds = match spec.split_once(':') {
                Some((by, seconds)) => {
                    if !valid_age_by(by) {
                        return Err(LineProblem::BadAgeBy(by.to_string()));
                    }
                    seconds
                }
                None => spec,
            };
            if !parse_seconds(seconds) {
                return Err(LineProblem::BadAge(seconds.to_string()));
            }
            Some(a.to_string())
        }
        None => None,
    };

    Ok(Parsed::Item(Box::new(Item {
        kind,
        path,
        argument,
        uid,
        gid,
        uid_only_create,
        gid_only_create,
        mode,
        mode_set,
        mask_perms,
        mode_only_create,
        age,
        append_or_force: force,
        allow_failure,
        try_replace,
        device,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn ctx<'a>(spec: &'a Specifiers, accounts: &'a Accounts) -> LineContext<'a> {
        LineContext {
            specifiers: spec,
            root: Some(Path::new("/r")),
            boot: false,
            include_prefixes: &[],
            exclude_prefixes: &[],
            accounts,
            credentials: None,
        }
    }

    fn parse(line: &str) -> Result<Parsed, LineProblem> {
        let spec = Specifiers {
            root: Some(PathBuf::from("/r")),
            user: false,
        };
        let accounts = Accounts::default();
        parse_line(line, &ctx(&spec, &accounts), &mut Vec::new())
    }

    fn item(line: &str) -> Item {
        match parse(line) {
            Ok(Parsed::Item(i)) => *i,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn words_quotes_and_the_raw_argument() {
        let i = item("f+ \"/a b//c/\" ~0600 0 root 10d  hello \"world\"\\n");
        assert_eq!(i.path, "/r/a b/c");
        assert_eq!(
            (i.mode, i.mask_perms, i.uid, i.gid),
            (0o600, true, Some(0), Some(0))
        );
        assert_eq!(i.argument.as_deref(), Some(&b"hello \"world\"\n"[..]));
        assert!(i.append_or_force);
        assert_eq!(parse("f '/open"), Err(LineProblem::BadQuoting));
        assert_eq!(parse("f"), Err(LineProblem::TooFewFields));
        assert_eq!(
            parse("\"\" /x"),
            Err(LineProblem::CommandTooShort(String::new()))
        );
        assert_eq!(
            parse("c~ /x - - - - MTozCg=="),
            Err(LineProblem::Base64Unsupported("device node creation"))
        );
    }

    #[test]
    fn defaults_and_modifiers() {
        let d = item("d /x");
        assert_eq!((d.mode, d.mode_set, d.uid), (0o755, false, None));
        assert_eq!(item("f /x").mode, 0o644);
        assert!(item("d /x :0700").mode_only_create);
        assert_eq!(parse("d! /x"), Ok(Parsed::Skipped(SkipReason::BootOnly)));
        assert_eq!(
            parse("d!! /x"),
            Err(LineProblem::UnknownModifiers("d!!".into()))
        );
        assert_eq!(
            item("f~ /x - - - - aGVsbG8K").argument.as_deref(),
            Some(&b"hello\n"[..])
        );
        assert_eq!(
            item("L /x").argument.as_deref(),
            Some(&b"/usr/share/factory/x"[..])
        );
        assert_eq!(
            item("C /x").argument.as_deref(),
            Some(&b"/r/usr/share/factory/x"[..])
        );
        assert_eq!(item("f /var/run/x").path, "/r/run/x");
    }

    #[test]
    fn invalid_fields_are_named() {
        assert_eq!(parse("f /x 9999"), Err(LineProblem::BadMode("9999".into())));
        assert_eq!(
            parse("f /x - nobody"),
            Err(LineProblem::UnknownUser("nobody".into()))
        );
        assert_eq!(
            parse("c /x - - - - 1"),
            Err(LineProblem::BadDevice("1".into()))
        );
        assert_eq!(parse("Y /x"), Err(LineProblem::UnknownType('Y')));
        assert_eq!(parse("d x"), Err(LineProblem::RelativePath("x".into())));
        assert_eq!(
            parse("f /x - - - 1x"),
            Err(LineProblem::BadAge("1x".into()))
        );
        assert_eq!(
            parse("f /x - - - - a\\qb"),
            Err(LineProblem::BadEscape("a\\qb".into()))
        );
        assert!(!LineProblem::BadBase64("x".into()).is_invalid_config());
    }

    #[test]
    fn escapes_and_base64() {
        assert_eq!(
            cunescape(b"a\\101\\x42\\s\\u00e9").unwrap(),
            "aAB é".as_bytes()
        );
        assert_eq!(cunescape(b"\\x00"), None);
        assert_eq!(cunescape(b"x\\"), None);
        assert_eq!(unbase64(b"aGk=").unwrap(), b"hi");
        assert_eq!(unbase64(b"!!"), None);
    }

    #[test]
    fn prefixes_compare_components() {
        assert!(path_starts_with("/run/foo", "/run"));
        assert!(path_starts_with("/run", "//run/"));
        assert!(!path_starts_with("/runx", "/run"));
    }
}
