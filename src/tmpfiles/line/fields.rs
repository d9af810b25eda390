//! The Mode, Age, User and Group fields and the device argument of a line, as parse_line() of
//! systemd 252 `src/tmpfiles/tmpfiles.c` reads them (parse_mode(), parse_sec(), parse_uid(), the user and group lookups).

use super::{LineContext, WHITESPACE};

pub(super) fn parse_mode(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    u32::from_str_radix(s, 8).ok().filter(|m| *m <= 0o7777)
}

/// parse_sec(): numbers with optional units, `infinity`.
pub(super) fn parse_seconds(s: &str) -> bool {
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

pub(super) fn valid_age_by(s: &str) -> bool {
    let letters: Vec<char> = s.chars().filter(|c| !WHITESPACE.contains(c)).collect();
    !letters.is_empty() && letters.iter().all(|c| "abcmABCM".contains(*c))
}

pub(super) fn parse_device(s: &str) -> Option<(u32, u32)> {
    let (major, minor) = s.split_once(':')?;
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(major) || !all_digits(minor) {
        return None;
    }
    let major: u32 = major.parse().ok()?;
    let minor: u32 = minor.parse().ok()?;
    (major < (1 << 12) && minor < (1 << 20)).then_some((major, minor))
}

pub(super) fn resolve_user(name: &str, ctx: &LineContext) -> Option<u32> {
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

pub(super) fn resolve_group(name: &str, ctx: &LineContext) -> Option<u32> {
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
