//! Unit names as systemd.unit(5) defines them: `prefix[@instance].type`, the valid character set,
//! templates and instances, and the escaping rules of systemd-escape(1) (unit-name.c).

use std::fmt;

use thiserror::Error;

/// systemd's UNIT_NAME_MAX counts the terminating NUL: a name has at most 255 bytes.
pub const UNIT_NAME_MAX: usize = 255;

/// systemd's VALID_CHARS: alphanumerics and `:-_.\`.
fn is_valid_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.' | b'\\')
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum NameError {
    #[error("Invalid unit name \"{0}\"")]
    Invalid(String),
    #[error("Unit name \"{0}\" is too long")]
    TooLong(String),
    #[error("Invalid escape sequence in \"{0}\"")]
    BadEscape(String),
    #[error("Path \"{0}\" is not normalized or not absolute")]
    BadPath(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitType {
    Service,
    Mount,
    Swap,
    Socket,
    Target,
    Device,
    Automount,
    Timer,
    Path,
    Slice,
    Scope,
}

impl UnitType {
    pub const ALL: [UnitType; 11] = [
        UnitType::Service,
        UnitType::Mount,
        UnitType::Swap,
        UnitType::Socket,
        UnitType::Target,
        UnitType::Device,
        UnitType::Automount,
        UnitType::Timer,
        UnitType::Path,
        UnitType::Slice,
        UnitType::Scope,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitType::Service => "service",
            UnitType::Mount => "mount",
            UnitType::Swap => "swap",
            UnitType::Socket => "socket",
            UnitType::Target => "target",
            UnitType::Device => "device",
            UnitType::Automount => "automount",
            UnitType::Timer => "timer",
            UnitType::Path => "path",
            UnitType::Slice => "slice",
            UnitType::Scope => "scope",
        }
    }

    pub fn parse(s: &str) -> Option<UnitType> {
        UnitType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for UnitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of name a string is, as systemd's `unit_name_is_valid()` flags distinguish them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// `foo.service`
    Plain,
    /// `foo@.service`
    Template,
    /// `foo@bar.service`
    Instance,
}

/// A validated unit name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitName {
    name: String,
    at: Option<usize>,
    dot: usize,
    unit_type: UnitType,
}

impl UnitName {
    pub fn parse(s: &str) -> Result<UnitName, NameError> {
        if s.len() > UNIT_NAME_MAX {
            return Err(NameError::TooLong(s.to_string()));
        }
        let dot = s
            .rfind('.')
            .ok_or_else(|| NameError::Invalid(s.to_string()))?;
        if dot == 0 {
            return Err(NameError::Invalid(s.to_string()));
        }
        let unit_type =
            UnitType::parse(&s[dot + 1..]).ok_or_else(|| NameError::Invalid(s.to_string()))?;
        let mut at = None;
        for (i, &b) in s.as_bytes()[..dot].iter().enumerate() {
            if b == b'@' && at.is_none() {
                at = Some(i);
            }
            if b != b'@' && !is_valid_char(b) {
                return Err(NameError::Invalid(s.to_string()));
            }
        }
        if at == Some(0) {
            return Err(NameError::Invalid(s.to_string()));
        }
        Ok(UnitName {
            name: s.to_string(),
            at,
            dot,
            unit_type,
        })
    }

    pub fn is_valid(s: &str) -> bool {
        UnitName::parse(s).is_ok()
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn unit_type(&self) -> UnitType {
        self.unit_type
    }

    pub fn kind(&self) -> NameKind {
        match self.at {
            None => NameKind::Plain,
            Some(at) if at + 1 == self.dot => NameKind::Template,
            Some(_) => NameKind::Instance,
        }
    }

    pub fn is_template(&self) -> bool {
        self.kind() == NameKind::Template
    }

    pub fn is_instance(&self) -> bool {
        self.kind() == NameKind::Instance
    }

    /// Everything before the `@` (or before the type suffix): `%p`.
    pub fn prefix(&self) -> &str {
        &self.name[..self.at.unwrap_or(self.dot)]
    }

    /// The name without its type suffix: `%N`.
    pub fn stem(&self) -> &str {
        &self.name[..self.dot]
    }

    /// The instance string, `%i`; `None` for plain names, `Some("")` for templates.
    pub fn instance(&self) -> Option<&str> {
        self.at.map(|at| &self.name[at + 1..self.dot])
    }

    /// `foo@bar.service` → `foo@.service`; plain names and templates have none.
    pub fn template(&self) -> Option<UnitName> {
        match self.kind() {
            NameKind::Instance => {
                let at = self.at?;
                UnitName::parse(&format!("{}@{}", &self.name[..at], &self.name[self.dot..])).ok()
            }
            _ => None,
        }
    }

    /// `foo@.service` + `bar` → `foo@bar.service`.
    pub fn with_instance(&self, instance: &str) -> Result<UnitName, NameError> {
        let at = self
            .at
            .ok_or_else(|| NameError::Invalid(self.name.clone()))?;
        UnitName::parse(&format!(
            "{}@{}{}",
            &self.name[..at],
            instance,
            &self.name[self.dot..]
        ))
    }

    /// Same name with another type suffix: `foo.socket` → `foo.service`.
    pub fn with_type(&self, unit_type: UnitType) -> UnitName {
        let name = format!("{}.{}", self.stem(), unit_type);
        UnitName {
            dot: self.dot,
            at: self.at,
            unit_type,
            name,
        }
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

fn escape_char(c: u8, out: &mut String) {
    out.push_str(&format!("\\x{c:02x}"));
}

/// systemd's `unit_name_escape()`: `/` becomes `-`, and anything outside the valid set (plus `-`,
/// `\` and a leading `.`) becomes `\xNN`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let c = b as char;
        if b == b'/' {
            out.push('-');
        } else if b == b'-' || b == b'\\' || (i == 0 && b == b'.') || !b.is_ascii() {
            escape_char(b, &mut out);
        } else if is_valid_char(b) {
            out.push(c);
        } else {
            escape_char(b, &mut out);
        }
    }
    out
}

/// systemd's `unit_name_unescape()`: `-` becomes `/` and `\xNN` its byte; like the C string it
/// builds, the result ends at an escaped NUL.
pub fn unescape(s: &str) -> Result<String, NameError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' => {
                out.push(b'/');
                i += 1;
            }
            b'\\' => {
                if bytes.get(i + 1) != Some(&b'x') {
                    return Err(NameError::BadEscape(s.to_string()));
                }
                let hex = s
                    .get(i + 2..i + 4)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| NameError::BadEscape(s.to_string()))?;
                if hex == 0 {
                    break;
                }
                out.push(hex);
                i += 4;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| NameError::BadEscape(s.to_string()))
}

/// systemd's `path_is_normalized()` for a path without its leading `/`: no empty, `.` or `..`
/// components.
fn is_normalized_relative(p: &str) -> bool {
    !p.is_empty() && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// systemd's NAME_MAX and PATH_MAX, which `path_is_valid()` holds a path to.
const FILE_NAME_MAX: usize = 255;
const PATH_MAX: usize = 4096;

/// systemd's `unit_name_path_escape()`: the path is simplified (`//` and `/./` collapse, slashes
/// at either end go), `/` alone is `-`, and what remains must be normalized and a valid path (no
/// component longer than NAME_MAX, shorter than PATH_MAX).
pub fn escape_path(p: &str) -> Result<String, NameError> {
    let parts: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
    let only_dots = !parts.is_empty() && parts.iter().all(|c| *c == ".");
    if parts.is_empty() || (only_dots && p.starts_with('/')) {
        return Ok("-".to_string());
    }
    let kept: Vec<&str> = parts.into_iter().filter(|c| *c != ".").collect();
    let simplified = kept.join("/");
    let too_long = kept.iter().any(|c| c.len() > FILE_NAME_MAX)
        || simplified.len() + usize::from(p.starts_with('/')) >= PATH_MAX;
    if only_dots || too_long || !is_normalized_relative(&simplified) {
        return Err(NameError::BadPath(p.to_string()));
    }
    Ok(escape(&simplified))
}

/// SipHash-2-4 (systemd's siphash24()), for hashed unit names.
fn siphash24(data: &[u8], key: &[u8; 16]) -> u64 {
    let word = |b: &[u8]| {
        b.iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
    };
    let k0 = word(&key[..8]);
    let k1 = word(&key[8..]);
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let round = |v: &mut [u64; 4]| {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    };
    let compress = |v: &mut [u64; 4], m: u64| {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    };
    let mut chunks = data.chunks_exact(8);
    for chunk in chunks.by_ref() {
        compress(&mut v, word(chunk));
    }
    compress(
        &mut v,
        ((data.len() as u64) << 56) | word(chunks.remainder()),
    );
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// systemd's `unit_name_hash_long()`: a name too long for UNIT_NAME_MAX is cut and given a hash
/// of the whole (`…_0123456789abcdef.mount`), so that long paths still have mount units.
fn hash_long_name(name: &str, unit_type: UnitType) -> String {
    // LONG_NAME_HASH_KEY of unit-name.c.
    const KEY: [u8; 16] = [
        0xec, 0xf2, 0x37, 0xfb, 0x58, 0x32, 0x4a, 0x32, 0x84, 0x9f, 0x06, 0x9b, 0x0d, 0x21, 0xeb,
        0x9a,
    ];
    // The hash covers the C string's terminating NUL too.
    let mut hashed = name.as_bytes().to_vec();
    hashed.push(0);
    let hash: String = siphash24(&hashed, &KEY)
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let keep = UNIT_NAME_MAX - unit_type.as_str().len() - hash.len() - 2;
    let cut = String::from_utf8_lossy(&name.as_bytes()[..keep.min(name.len())]).into_owned();
    format!("{cut}_{hash}.{unit_type}")
}

/// systemd's `unit_name_from_path()`: a path's unit name of `unit_type`, hashed when too long.
pub fn from_path(path: &str, unit_type: UnitType) -> Result<UnitName, NameError> {
    let name = format!("{}.{unit_type}", escape_path(path)?);
    if name.len() > UNIT_NAME_MAX {
        return UnitName::parse(&hash_long_name(&name, unit_type));
    }
    UnitName::parse(&name)
}

/// `path_simplify()` of an absolute path: no `//`, no `.` components, no trailing slash.
fn simplify_absolute(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// systemd's `unit_name_path_unescape()`: the inverse of [`escape_path`], always absolute and
/// normalized.
pub fn unescape_path(s: &str) -> Result<String, NameError> {
    if s == "-" {
        return Ok("/".to_string());
    }
    let p = unescape(s)?;
    if !is_normalized_relative(&p) {
        return Err(NameError::BadPath(s.to_string()));
    }
    Ok(format!("/{p}"))
}

/// systemd's `do_escape_mangle()`: `/` becomes `-`, bytes outside the valid set (and `@`)
/// become `\xNN`.
pub fn mangle_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'/' => out.push('-'),
            b'@' => out.push('@'),
            b if is_valid_char(b) => out.push(b as char),
            b => escape_char(b, &mut out),
        }
    }
    out
}

/// systemd's `unit_name_mangle_with_suffix()` for names given on a command line: a valid name as
/// it is, a path as a device (below /dev or /sys) or mount name if it makes one, anything else
/// escaped ([`mangle_escape`]) and given `suffix` unless the escaped name is valid already.
pub fn mangle(s: &str, suffix: UnitType) -> Result<UnitName, NameError> {
    if let Ok(n) = UnitName::parse(s) {
        return Ok(n);
    }
    if s.starts_with('/') {
        let simplified = simplify_absolute(s);
        let below = |dir: &str| simplified.strip_prefix(dir).is_some_and(|r| !r.is_empty());
        if below("/dev/") || below("/sys/") {
            if let Ok(n) = from_path(&simplified, UnitType::Device) {
                return Ok(n);
            }
        }
        // A path that makes no mount name (`/a/../b`) is escaped like any other string.
        if let Ok(n) = from_path(&simplified, UnitType::Mount) {
            return Ok(n);
        }
    }
    let escaped = mangle_escape(s);
    if let Ok(n) = UnitName::parse(&escaped) {
        return Ok(n);
    }
    UnitName::parse(&format!("{escaped}.{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_classified_like_unit_name_is_valid() {
        assert_eq!(
            UnitName::parse("a.service").unwrap().kind(),
            NameKind::Plain
        );
        assert_eq!(
            UnitName::parse("a@.service").unwrap().kind(),
            NameKind::Template
        );
        let inst = UnitName::parse("getty@tty1.service").unwrap();
        assert_eq!(inst.kind(), NameKind::Instance);
        assert_eq!(inst.prefix(), "getty");
        assert_eq!(inst.instance(), Some("tty1"));
        assert_eq!(inst.template().unwrap().as_str(), "getty@.service");
        for bad in [
            "",
            ".service",
            "a",
            "a.nope",
            "@a.service",
            "a b.service",
            "a/b.service",
        ] {
            assert!(UnitName::parse(bad).is_err(), "{bad} should be invalid");
        }
        assert!(UnitName::parse(&format!("{}.service", "a".repeat(247))).is_ok());
        assert!(UnitName::parse(&format!("{}.service", "a".repeat(248))).is_err());
    }

    #[test]
    fn escaping_matches_systemd_escape() {
        assert_eq!(escape("foo bar/baz-x"), "foo\\x20bar-baz\\x2dx");
        assert_eq!(escape(".hidden"), "\\x2ehidden");
        assert_eq!(escape_path("/var/lib/foo/").unwrap(), "var-lib-foo");
        assert_eq!(escape_path("/").unwrap(), "-");
        assert_eq!(unescape_path("var-lib-foo").unwrap(), "/var/lib/foo");
        assert_eq!(unescape("foo\\x20bar-baz").unwrap(), "foo bar/baz");
        assert!(unescape("foo\\q").is_err());
        assert_eq!(unescape("a\\x00b").unwrap(), "a");
        assert!(unescape_path("a--b").is_err());
        assert!(unescape_path("-a").is_err());
        assert!(escape_path(".").is_err());
        assert!(escape_path("/a/../b").is_err());
        assert_eq!(escape_path("a//b/./").unwrap(), "a-b");
    }

    #[test]
    fn long_path_names_are_hashed_as_systemd_hashes_them() {
        // Checked against systemd-escape 252: `systemd-escape -m /aaa…` (250 a's).
        let name = from_path(&format!("/{}", "a".repeat(250)), UnitType::Mount).unwrap();
        assert_eq!(
            name.as_str(),
            format!("{}_506d9c632ced75cd.mount", "a".repeat(232))
        );
        let name = from_path(&format!("/{}", "a".repeat(249)), UnitType::Mount).unwrap();
        assert_eq!(name.as_str().len(), 255, "fits without a hash");
        assert!(escape_path(&format!("/{}", "a".repeat(256))).is_err());
    }

    #[test]
    fn mangle_falls_back_to_escaping_paths_that_name_no_mount() {
        let m = |s: &str| mangle(s, UnitType::Service).map(|n| n.to_string());
        assert_eq!(m("/sys/foo").unwrap(), "sys-foo.device");
        assert_eq!(m("//dev/sda").unwrap(), "dev-sda.device");
        assert_eq!(m("/dev/").unwrap(), "dev.mount");
        assert_eq!(m("/dev/../sda").unwrap(), "-dev-..-sda.service");
        assert!(m("").is_err());
    }

    #[test]
    fn mangle_adds_the_suffix_and_turns_paths_into_mounts() {
        assert_eq!(
            mangle("nginx", UnitType::Service).unwrap().as_str(),
            "nginx.service"
        );
        assert_eq!(
            mangle("/home", UnitType::Service).unwrap().as_str(),
            "home.mount"
        );
        assert_eq!(
            mangle("/dev/sda", UnitType::Service).unwrap().as_str(),
            "dev-sda.device"
        );
        assert_eq!(
            mangle("a/b", UnitType::Service).unwrap().as_str(),
            "a-b.service"
        );
    }
}
