//! Time spans of systemd.time(7): `parse_sec()` ("5min 20s", "1.5h", "infinity", a bare number
//! meaning seconds) and `format_timespan()` with exact accuracy, the way `systemctl show` prints
//! `…USec` properties.

use std::fmt;

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TimespanError {
    #[error("Failed to parse time span '{0}'")]
    Invalid(String),
}

const USEC_PER_SEC: u64 = 1_000_000;
const USEC_PER_MINUTE: u64 = 60 * USEC_PER_SEC;
const USEC_PER_HOUR: u64 = 60 * USEC_PER_MINUTE;
const USEC_PER_DAY: u64 = 24 * USEC_PER_HOUR;
const USEC_PER_WEEK: u64 = 7 * USEC_PER_DAY;
const USEC_PER_MONTH: u64 = 2_629_800 * USEC_PER_SEC;
const USEC_PER_YEAR: u64 = 31_557_600 * USEC_PER_SEC;

/// A duration in microseconds, or infinity (systemd's USEC_INFINITY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Usec(pub u64);

impl Usec {
    pub const INFINITY: Usec = Usec(u64::MAX);
    pub const ZERO: Usec = Usec(0);

    pub const fn secs(s: u64) -> Usec {
        Usec(s * USEC_PER_SEC)
    }

    pub const fn millis(ms: u64) -> Usec {
        Usec(ms * 1000)
    }

    pub fn is_infinity(self) -> bool {
        self == Usec::INFINITY
    }
}

/// Units in the order `parse_sec()` tries them: longer suffixes first so "ms" is not "m" + "s".
const UNITS: &[(&str, u64)] = &[
    ("seconds", USEC_PER_SEC),
    ("second", USEC_PER_SEC),
    ("sec", USEC_PER_SEC),
    ("s", USEC_PER_SEC),
    ("minutes", USEC_PER_MINUTE),
    ("minute", USEC_PER_MINUTE),
    ("min", USEC_PER_MINUTE),
    ("months", USEC_PER_MONTH),
    ("month", USEC_PER_MONTH),
    ("M", USEC_PER_MONTH),
    ("msec", 1000),
    ("ms", 1000),
    ("m", USEC_PER_MINUTE),
    ("hours", USEC_PER_HOUR),
    ("hour", USEC_PER_HOUR),
    ("hr", USEC_PER_HOUR),
    ("h", USEC_PER_HOUR),
    ("days", USEC_PER_DAY),
    ("day", USEC_PER_DAY),
    ("d", USEC_PER_DAY),
    ("weeks", USEC_PER_WEEK),
    ("week", USEC_PER_WEEK),
    ("w", USEC_PER_WEEK),
    ("years", USEC_PER_YEAR),
    ("year", USEC_PER_YEAR),
    ("y", USEC_PER_YEAR),
    ("usec", 1),
    ("us", 1),
    ("µs", 1),
    ("μs", 1),
    ("nsec", 0),
    ("ns", 0),
];

/// systemd's `parse_time(s, default_unit)`; `parse_sec` is this with seconds.
pub fn parse_with_default(s: &str, default_unit: u64) -> Result<Usec, TimespanError> {
    let bad = || TimespanError::Invalid(s.to_string());
    let t = s.trim();
    if t == "infinity" {
        return Ok(Usec::INFINITY);
    }
    if t.is_empty() {
        return Err(bad());
    }
    let mut rest = t;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number = &rest[..digits_end];
        if number.is_empty() || number.matches('.').count() > 1 {
            return Err(bad());
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let after = rest[digits_end..].trim_start();
        let (unit, consumed) = UNITS
            .iter()
            .find(|(suffix, _)| {
                after.starts_with(suffix)
                    && !after[suffix.len()..].starts_with(|c: char| c.is_alphabetic())
            })
            .map(|(suffix, mul)| (*mul, suffix.len()))
            .unwrap_or((default_unit, 0));
        if consumed == 0 && after.starts_with(|c: char| !c.is_ascii_digit()) {
            return Err(bad());
        }
        let whole: u64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| bad())?
        };
        let mut value = whole.checked_mul(unit).ok_or_else(bad)?;
        let mut scale = unit;
        for d in frac_part.chars() {
            scale /= 10;
            value = value
                .checked_add(u64::from(d.to_digit(10).ok_or_else(bad)?) * scale)
                .ok_or_else(bad)?;
        }
        if unit == 0 {
            // nanoseconds: round down to microseconds as parse_sec() does
            let ns: u64 = int_part.parse().unwrap_or(0);
            value = ns / 1000;
        }
        total = total.checked_add(value).ok_or_else(bad)?;
        rest = &after[consumed..];
    }
    if total == u64::MAX {
        return Ok(Usec::INFINITY);
    }
    Ok(Usec(total))
}

pub fn parse_sec(s: &str) -> Result<Usec, TimespanError> {
    parse_with_default(s, USEC_PER_SEC)
}

impl fmt::Display for Usec {
    /// `format_timespan(…, accuracy = 0)`: "1min 30s", "100ms", "1.500000s", "infinity", "0".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const TABLE: [(&str, u64); 9] = [
            ("y", USEC_PER_YEAR),
            ("month", USEC_PER_MONTH),
            ("w", USEC_PER_WEEK),
            ("d", USEC_PER_DAY),
            ("h", USEC_PER_HOUR),
            ("min", USEC_PER_MINUTE),
            ("s", USEC_PER_SEC),
            ("ms", 1000),
            ("us", 1),
        ];
        if self.is_infinity() {
            return f.write_str("infinity");
        }
        let mut t = self.0;
        if t == 0 {
            return f.write_str("0");
        }
        let mut parts = Vec::new();
        for (suffix, unit) in TABLE {
            if t == 0 {
                break;
            }
            if t < unit {
                continue;
            }
            let (a, b) = (t / unit, t % unit);
            if t < USEC_PER_MINUTE && b > 0 && unit > 1 {
                let width = unit.ilog10() as usize;
                parts.push(format!("{a}.{b:0width$}{suffix}"));
                break;
            }
            parts.push(format!("{a}{suffix}"));
            t = b;
        }
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_systemd_time_spans() {
        assert_eq!(parse_sec("90").unwrap(), Usec::secs(90));
        assert_eq!(parse_sec("5min 20s").unwrap(), Usec::secs(320));
        assert_eq!(parse_sec("5min20s").unwrap(), Usec::secs(320));
        assert_eq!(parse_sec("1.5h").unwrap(), Usec::secs(5400));
        assert_eq!(parse_sec("100ms").unwrap(), Usec::millis(100));
        assert_eq!(parse_sec("2 m").unwrap(), Usec::secs(120));
        assert_eq!(parse_sec("1M").unwrap(), Usec::secs(2_629_800));
        assert_eq!(parse_sec("infinity").unwrap(), Usec::INFINITY);
        assert_eq!(parse_sec(" 0 ").unwrap(), Usec::ZERO);
        assert_eq!(parse_sec("5min 3").unwrap(), Usec::secs(303));
        for bad in ["", "abc", "5 parsecs", "1..2s", "-5s"] {
            assert!(parse_sec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_like_format_timespan() {
        assert_eq!(Usec::secs(90).to_string(), "1min 30s");
        assert_eq!(Usec::millis(100).to_string(), "100ms");
        assert_eq!(Usec::millis(1500).to_string(), "1.500000s");
        assert_eq!(Usec::secs(3600 * 25 + 1).to_string(), "1d 1h 1s");
        assert_eq!(Usec::INFINITY.to_string(), "infinity");
        assert_eq!(Usec::ZERO.to_string(), "0");
        assert_eq!(Usec(1500).to_string(), "1.500ms");
    }
}
