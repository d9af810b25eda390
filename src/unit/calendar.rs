//! `OnCalendar=` specs (systemd.time(7) "Calendar Events") as systemd 252's
//! src/shared/calendarspec.c reads them: `calendar_spec_from_string()` (weekdays, dates with `-`
//! or `~`, times with fractional seconds, lists, ranges and repetitions, `@TIMESTAMP`, the
//! shorthands, a `UTC`, local or named time zone suffix), `calendar_spec_normalize()`,
//! `calendar_spec_valid()` (each field within its range: a spec such as `25:00` or `*-13-01` is
//! refused, not kept to never elapse). The normalized form (`calendar_spec_to_string()`) is
//! in `format`, the next elapse (`calendar_spec_next_usec()`) in `next`.

mod format;
mod next;

pub use next::next_elapse;

use std::ffi::CStr;
use std::io::Read;

/// Why a spec is refused or has no next elapse; the texts are strerror()'s of the errno
/// calendarspec.c returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("Invalid argument")]
    Invalid,
    #[error("Numerical result out of range")]
    OutOfRange,
    #[error("No buffer space available")]
    TooManyComponents,
    /// calendar_spec_next_usec()'s -ENOENT: the spec matches no time after the given one.
    #[error("No such file or directory")]
    NeverElapses,
    /// find_next()'s safety valve: no match found within its bound of iterations.
    #[error("Resource deadlock avoided")]
    Deadlock,
    /// A spec in a named time zone: systemd computes it in a child with `$TZ` set; we do not.
    #[error("Time zone not supported for the next elapse")]
    NamedTimeZone,
}

const BITS_WEEKDAYS: i32 = 127;
const MIN_YEAR: i32 = 1970;
const MAX_YEAR: i32 = 2199;
const USEC_PER_SEC: i32 = 1_000_000;
/// calendarspec.c's CALENDARSPEC_COMPONENTS_MAX: the longest comma list is one more.
const COMPONENTS_MAX: usize = 240;

/// One item of a field: `start`, `start..stop` or either with `/repeat`; `stop` is -1 when open.
/// The seconds field counts microseconds. Ordered as component_compare() sorts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Component {
    start: i32,
    stop: i32,
    repeat: i32,
}

impl Component {
    fn constant(value: i32) -> Component {
        Component {
            start: value,
            stop: -1,
            repeat: 0,
        }
    }
}

/// A field's items; empty is `*` (any value).
type Chain = Vec<Component>;

/// A parsed, normalized and valid spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSpec {
    /// Bit 0 = Monday; -1 when any day of the week matches.
    weekdays_bits: i32,
    /// `~`: the days count back from the end of the month.
    end_of_month: bool,
    utc: bool,
    /// -1, or 0/1 when the local zone's standard/daylight name was given (tm_isdst).
    dst: i32,
    timezone: Option<String>,
    year: Chain,
    month: Chain,
    day: Chain,
    hour: Chain,
    minute: Chain,
    microsecond: Chain,
}

/// The byte at `i`, 0 past the end: the C string's terminator.
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

fn skip_spaces(s: &[u8], p: &mut usize) {
    while at(s, *p) == b' ' {
        *p += 1;
    }
}

fn ends_with_no_case<'a>(s: &'a [u8], suffix: &[u8]) -> Option<&'a [u8]> {
    let cut = s.len().checked_sub(suffix.len())?;
    s[cut..].eq_ignore_ascii_case(suffix).then_some(&s[..cut])
}

impl CalendarSpec {
    /// calendar_spec_from_string().
    pub fn parse(text: &str) -> Result<CalendarSpec, CalendarError> {
        // A C string ends at its first NUL; a value holding one is not a spec systemd could see.
        if text.contains('\0') {
            return Err(CalendarError::Invalid);
        }
        let mut spec = CalendarSpec {
            weekdays_bits: 0,
            end_of_month: false,
            utc: false,
            dst: -1,
            timezone: None,
            year: Vec::new(),
            month: Vec::new(),
            day: Vec::new(),
            hour: Vec::new(),
            minute: Vec::new(),
            microsecond: Vec::new(),
        };
        let mut body = text.as_bytes();
        if let Some(rest) = ends_with_no_case(body, b" UTC") {
            spec.utc = true;
            body = rest;
        } else if let Some((rest, dst)) = local_zone_suffix(body) {
            spec.dst = dst;
            body = rest;
        } else if let Some(space) = body.iter().rposition(|&b| b == b' ') {
            let zone = &text[space + 1..];
            if timezone_is_valid(zone) {
                spec.timezone = Some(zone.to_string());
                body = &body[..space];
            }
        }
        if body.is_empty() {
            return Err(CalendarError::Invalid);
        }
        if !spec.shorthand(body) {
            let mut p = 0;
            parse_weekdays(body, &mut p, &mut spec)?;
            if !parse_date(body, &mut p, &mut spec)? {
                parse_time(body, &mut p, &mut spec)?;
            }
            if at(body, p) != 0 {
                return Err(CalendarError::Invalid);
            }
        }
        spec.normalize();
        if !spec.valid() {
            return Err(CalendarError::Invalid);
        }
        Ok(spec)
    }

    /// Given in a time zone by name (`Europe/Berlin`), rather than UTC or local time.
    pub fn has_named_time_zone(&self) -> bool {
        self.timezone.is_some()
    }

    /// `minutely` … `semiannually`: the fields they set (the others stay `*`); false for
    /// anything else.
    fn shorthand(&mut self, body: &[u8]) -> bool {
        let is = |names: &[&str]| {
            names
                .iter()
                .any(|n| body.eq_ignore_ascii_case(n.as_bytes()))
        };
        let constants = |values: &[i32]| values.iter().map(|&v| Component::constant(v)).collect();
        let (month, day, hour, minute): (&[i32], &[i32], &[i32], &[i32]) = if is(&["minutely"]) {
            (&[], &[], &[], &[])
        } else if is(&["hourly"]) {
            (&[], &[], &[], &[0])
        } else if is(&["daily", "weekly"]) {
            (&[], &[], &[0], &[0])
        } else if is(&["monthly"]) {
            (&[], &[1], &[0], &[0])
        } else if is(&["annually", "yearly", "anually"]) {
            (&[1], &[1], &[0], &[0])
        } else if is(&["quarterly"]) {
            (&[1, 4, 7, 10], &[1], &[0], &[0])
        } else if is(&["biannually", "bi-annually", "semiannually", "semi-annually"]) {
            (&[1, 7], &[1], &[0], &[0])
        } else {
            return false;
        };
        if is(&["weekly"]) {
            self.weekdays_bits = 1;
        }
        self.month = constants(month);
        self.day = constants(day);
        self.hour = constants(hour);
        self.minute = constants(minute);
        self.microsecond = constants(&[0]);
        true
    }

    /// calendar_spec_normalize().
    fn normalize(&mut self) {
        if self.timezone.as_deref() == Some("UTC") {
            self.utc = true;
            self.timezone = None;
        }
        if self.weekdays_bits <= 0 || self.weekdays_bits >= BITS_WEEKDAYS {
            self.weekdays_bits = -1;
        }
        if self.end_of_month && self.day.is_empty() {
            self.end_of_month = false;
        }
        // Two-digit years: 12 is 2012, 89 is 1989.
        for c in &mut self.year {
            for v in [&mut c.start, &mut c.stop] {
                if (0..70).contains(v) {
                    *v += 2000;
                } else if (70..100).contains(v) {
                    *v += 1900;
                }
            }
        }
        for chain in [
            &mut self.year,
            &mut self.month,
            &mut self.day,
            &mut self.hour,
            &mut self.minute,
            &mut self.microsecond,
        ] {
            normalize_chain(chain);
        }
    }

    /// calendar_spec_valid().
    fn valid(&self) -> bool {
        self.weekdays_bits <= BITS_WEEKDAYS
            && chain_valid(&self.year, MIN_YEAR, MAX_YEAR, false)
            && chain_valid(&self.month, 1, 12, false)
            && chain_valid(&self.day, 1, 31, self.end_of_month)
            && chain_valid(&self.hour, 0, 23, false)
            && chain_valid(&self.minute, 0, 59, false)
            && chain_valid(&self.microsecond, 0, 60 * USEC_PER_SEC - 1, false)
    }
}

/// Ranges cut to a whole number of repetitions, a repetition that cannot happen once dropped,
/// the items sorted and made unique.
fn normalize_chain(chain: &mut Chain) {
    for c in chain.iter_mut() {
        if c.stop > c.start && c.repeat > 0 {
            c.stop -= (c.stop - c.start) % c.repeat;
        }
        let never_repeats = c.stop > c.start
            && c.repeat > 0
            && i64::from(c.start) + i64::from(c.repeat) > i64::from(c.stop);
        if never_repeats || c.start == c.stop {
            c.repeat = 0;
            c.stop = -1;
        }
    }
    if chain.len() > 1 {
        chain.sort();
        chain.dedup();
    }
}

fn chain_valid(chain: &[Component], from: i32, to: i32, end_of_month: bool) -> bool {
    // Days counted from the end of the month stay within the 28 every month has.
    let to = if end_of_month { to - 3 } else { to };
    let (from, to) = (i64::from(from), i64::from(to));
    chain.iter().all(|c| {
        let (start, stop, repeat) = (i64::from(c.start), i64::from(c.stop), i64::from(c.repeat));
        if start < from || start > to || repeat > to - from {
            return false;
        }
        // At least one repetition fits before the end of the range (or of the field).
        if stop >= 0 {
            (from..=to).contains(&stop) && start + repeat <= stop
        } else if end_of_month {
            start - repeat >= from
        } else {
            start + repeat <= to
        }
    })
}

extern "C" {
    /// The local zone's standard and daylight names, set by tzset() (musl and glibc export it).
    static tzname: [*const libc::c_char; 2];
    fn tzset();
}

/// The local zone's name for standard (0) or daylight (1) time, if any.
fn local_zone_name(dst: usize) -> Option<String> {
    // SAFETY: tzset() fills tzname with pointers to NUL-terminated strings (or NULL) that libc
    // keeps; they are copied out at once.
    unsafe {
        tzset();
        let names = std::ptr::addr_of!(tzname).read();
        let name = *names.get(dst)?;
        if name.is_null() {
            return None;
        }
        let name = CStr::from_ptr(name).to_string_lossy().into_owned();
        (!name.is_empty()).then_some(name)
    }
}

/// A spec ending in ` NAME`, NAME the local zone's standard or daylight name: what precedes it
/// and tm_isdst for it.
fn local_zone_suffix(body: &[u8]) -> Option<(&[u8], i32)> {
    (0..2).find_map(|dst| {
        let name = local_zone_name(dst)?;
        let rest = ends_with_no_case(body, name.as_bytes())?;
        let rest = rest.strip_suffix(b" ")?;
        Some((rest, dst as i32))
    })
}

/// time-util.c's verify_timezone(): a name of letters, digits, `-_+` and single inner slashes
/// whose file under /usr/share/zoneinfo is a regular TZif file.
fn timezone_is_valid(name: &str) -> bool {
    if name == "UTC" {
        return true;
    }
    if name.is_empty() || name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return false;
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/'))
    {
        return false;
    }
    let path = format!("/usr/share/zoneinfo/{name}");
    let Ok(mut file) = std::fs::File::open(&path) else {
        return false;
    };
    let mut magic = [0u8; 4];
    file.metadata().is_ok_and(|m| m.is_file())
        && file.read_exact(&mut magic).is_ok()
        && &magic == b"TZif"
}

const DAY_NAMES: [(&str, i32); 14] = [
    ("Monday", 0),
    ("Mon", 0),
    ("Tuesday", 1),
    ("Tue", 1),
    ("Wednesday", 2),
    ("Wed", 2),
    ("Thursday", 3),
    ("Thu", 3),
    ("Friday", 4),
    ("Fri", 4),
    ("Saturday", 5),
    ("Sat", 5),
    ("Sunday", 6),
    ("Sun", 6),
];

/// parse_weekdays(): `Mon,Wed..Fri ` (`-` for a range too); nothing when the spec does not start
/// with a day's name.
fn parse_weekdays(s: &[u8], p: &mut usize, spec: &mut CalendarSpec) -> Result<(), CalendarError> {
    let mut range_from: Option<i32> = None;
    let mut first = true;
    loop {
        let rest = &s[*p..];
        let found = DAY_NAMES.iter().find(|(name, _)| {
            rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        });
        let Some(&(name, nr)) = found else {
            return if first {
                Ok(())
            } else {
                Err(CalendarError::Invalid)
            };
        };
        if !matches!(at(s, *p + name.len()), 0 | b'-' | b'.' | b',' | b' ') {
            return Err(CalendarError::Invalid);
        }
        spec.weekdays_bits |= 1 << nr;
        if let Some(from) = range_from {
            if from > nr {
                return Err(CalendarError::Invalid);
            }
            for day in from + 1..nr {
                spec.weekdays_bits |= 1 << day;
            }
        }
        *p += name.len();
        match at(s, *p) {
            0 => return Ok(()),
            b' ' => {
                skip_spaces(s, p);
                return Ok(());
            }
            b'.' => {
                if range_from.is_some() || at(s, *p + 1) != b'.' {
                    return Err(CalendarError::Invalid);
                }
                range_from = Some(nr);
                *p += 2;
            }
            b'-' => {
                if range_from.is_some() {
                    return Err(CalendarError::Invalid);
                }
                range_from = Some(nr);
                *p += 1;
            }
            _ => {
                // ','
                range_from = None;
                *p += 1;
            }
        }
        // A trailing comma is allowed, an open range is not.
        if matches!(at(s, *p), 0 | b' ') {
            skip_spaces(s, p);
            return match range_from {
                None => Ok(()),
                Some(_) => Err(CalendarError::Invalid),
            };
        }
        first = false;
    }
}

/// strtoul(…, 10) from `p`: leading white space, a sign (a minus wraps), digits; the value and
/// where it ended.
fn strtoul(s: &[u8], mut p: usize) -> Result<(u64, usize), CalendarError> {
    while matches!(at(s, p), b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        p += 1;
    }
    let negative = at(s, p) == b'-';
    if matches!(at(s, p), b'-' | b'+') {
        p += 1;
    }
    let digits_from = p;
    let mut value: Option<u64> = Some(0);
    while at(s, p).is_ascii_digit() {
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u64::from(at(s, p) - b'0')));
        p += 1;
    }
    if p == digits_from {
        return Err(CalendarError::Invalid);
    }
    let value = value.ok_or(CalendarError::OutOfRange)?;
    Ok((
        if negative {
            value.wrapping_neg()
        } else {
            value
        },
        p,
    ))
}

/// parse_fractional_part_u() for 6 digits: more are rounded on the 7th.
fn fraction_usec(s: &[u8], mut p: usize) -> Result<(u64, usize), CalendarError> {
    let mut value = 0u64;
    for i in 0..6 {
        let b = at(s, p);
        if !b.is_ascii_digit() {
            if i == 0 {
                return Err(CalendarError::Invalid);
            }
            value *= 10u64.pow(6 - i);
            break;
        }
        value = value * 10 + u64::from(b - b'0');
        p += 1;
    }
    if (b'5'..=b'9').contains(&at(s, p)) {
        value += 1;
    }
    while at(s, p).is_ascii_digit() {
        p += 1;
    }
    Ok((value, p))
}

/// parse_component_decimal(): a number (seconds with a fraction, as µs, when `usec`).
fn component_decimal(s: &[u8], p: &mut usize, usec: bool) -> Result<i32, CalendarError> {
    if !at(s, *p).is_ascii_digit() {
        return Err(CalendarError::Invalid);
    }
    let (mut value, mut end) = strtoul(s, *p)?;
    if usec {
        value = value
            .checked_mul(USEC_PER_SEC as u64)
            .ok_or(CalendarError::OutOfRange)?;
        // One "." is a decimal point, ".." a range.
        if at(s, end) == b'.' && at(s, end + 1) != b'.' {
            let (fraction, after) = fraction_usec(s, end + 1)?;
            value = value
                .checked_add(fraction)
                .ok_or(CalendarError::OutOfRange)?;
            end = after;
        }
    }
    let value = i32::try_from(value).map_err(|_| CalendarError::OutOfRange)?;
    *p = end;
    Ok(value)
}

/// parse_chain(): `*` or a comma list of components.
fn parse_chain(s: &[u8], p: &mut usize, usec: bool) -> Result<Chain, CalendarError> {
    if at(s, *p) == b'*' {
        *p += 1;
        return Ok(if usec {
            vec![Component {
                start: 0,
                stop: -1,
                repeat: USEC_PER_SEC,
            }]
        } else {
            Vec::new()
        });
    }
    let mut chain = Vec::new();
    loop {
        if chain.len() > COMPONENTS_MAX {
            return Err(CalendarError::TooManyComponents);
        }
        let mut e = *p;
        let start = component_decimal(s, &mut e, usec)?;
        let (mut stop, mut repeat) = (-1, 0);
        if at(s, e) == b'.' && at(s, e + 1) == b'.' {
            e += 2;
            stop = component_decimal(s, &mut e, usec)?;
            repeat = if usec { USEC_PER_SEC } else { 1 };
        }
        if at(s, e) == b'/' {
            e += 1;
            repeat = component_decimal(s, &mut e, usec)?;
            if repeat == 0 {
                return Err(CalendarError::OutOfRange);
            }
        } else {
            if start > i32::MAX - repeat {
                return Err(CalendarError::OutOfRange);
            }
            // A range of seconds without a repetition steps by 1s: it must hold one.
            if usec && stop >= 0 && start + repeat > stop {
                return Err(CalendarError::Invalid);
            }
        }
        if !matches!(at(s, e), 0 | b' ' | b',' | b'-' | b'~' | b':') {
            return Err(CalendarError::Invalid);
        }
        chain.push(Component {
            start,
            stop,
            repeat,
        });
        *p = e;
        if at(s, e) != b',' {
            return Ok(chain);
        }
        *p += 1;
    }
}

/// parse_date(): `@TIMESTAMP`, `Y-M-D` or `M-D` (`~` for the end of the month), or nothing
/// when the next part is a time. True when the spec is complete (a timestamp).
fn parse_date(s: &[u8], p: &mut usize, spec: &mut CalendarSpec) -> Result<bool, CalendarError> {
    if at(s, *p) == 0 {
        return Ok(false);
    }
    if at(s, *p) == b'@' {
        let (value, end) = strtoul(s, *p + 1)?;
        // time_t is as wide as unsigned long: the bits carry over as C's cast does.
        let tm = next::gmtime(value as i64).ok_or(CalendarError::OutOfRange)?;
        spec.year = vec![Component::constant(tm.tm_year + 1900)];
        spec.month = vec![Component::constant(tm.tm_mon + 1)];
        spec.day = vec![Component::constant(tm.tm_mday)];
        spec.hour = vec![Component::constant(tm.tm_hour)];
        spec.minute = vec![Component::constant(tm.tm_min)];
        spec.microsecond = vec![Component::constant(tm.tm_sec * USEC_PER_SEC)];
        spec.utc = true;
        *p = end;
        return Ok(true);
    }
    let mut t = *p;
    let first = parse_chain(s, &mut t, false)?;
    if matches!(at(s, t), 0 | b':') {
        // A time, not a date.
        return Ok(false);
    }
    let separator = |t: usize, spec: &mut CalendarSpec| match at(s, t) {
        b'~' => {
            spec.end_of_month = true;
            Ok(())
        }
        b'-' => Ok(()),
        _ => Err(CalendarError::Invalid),
    };
    separator(t, spec)?;
    t += 1;
    let second = parse_chain(s, &mut t, false)?;
    if matches!(at(s, t), 0 | b' ') {
        skip_spaces(s, &mut t);
        *p = t;
        spec.month = first;
        spec.day = second;
        return Ok(false);
    }
    if spec.end_of_month {
        return Err(CalendarError::Invalid);
    }
    separator(t, spec)?;
    t += 1;
    let third = parse_chain(s, &mut t, false)?;
    if !matches!(at(s, t), 0 | b' ') {
        return Err(CalendarError::Invalid);
    }
    skip_spaces(s, &mut t);
    *p = t;
    spec.year = first;
    spec.month = second;
    spec.day = third;
    Ok(false)
}

/// parse_calendar_time(): `H:M` or `H:M:S`; none is 00:00:00.
fn parse_time(s: &[u8], p: &mut usize, spec: &mut CalendarSpec) -> Result<(), CalendarError> {
    let zero = || vec![Component::constant(0)];
    if at(s, *p) == 0 {
        spec.hour = zero();
        spec.minute = zero();
        spec.microsecond = zero();
        return Ok(());
    }
    let mut t = *p;
    let hour = parse_chain(s, &mut t, false)?;
    if at(s, t) != b':' {
        return Err(CalendarError::Invalid);
    }
    t += 1;
    let minute = parse_chain(s, &mut t, false)?;
    let second = match at(s, t) {
        0 => zero(),
        b':' => {
            t += 1;
            let second = parse_chain(s, &mut t, true)?;
            if at(s, t) != 0 {
                return Err(CalendarError::Invalid);
            }
            second
        }
        _ => return Err(CalendarError::Invalid),
    };
    *p = t;
    spec.hour = hour;
    spec.minute = minute;
    spec.microsecond = second;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{CalendarError, CalendarSpec};

    /// The normalized form, as `systemd-analyze calendar` prints it.
    fn normalize(spec: &str) -> Result<String, CalendarError> {
        CalendarSpec::parse(spec).map(|s| s.to_string())
    }

    #[test]
    fn specs_of_the_debian_corpus_normalize_as_systemd_prints_them() {
        for (spec, normalized) in [
            ("daily", "*-*-* 00:00:00"),
            ("weekly", "Mon *-*-* 00:00:00"),
            ("*-*-* 6:00", "*-*-* 06:00:00"),
            ("Sun *-*-1..7 1:00:00", "Sun *-*-01..07 01:00:00"),
            ("00:07:00", "*-*-* 00:07:00"),
            ("*:00/10", "*-*-* *:00/10:00"),
            ("*-*-* 6,18:00", "*-*-* 06,18:00:00"),
            ("*-*-* 07..23:30", "*-*-* 07..23:30:00"),
            ("*-*-* *:09,39:00", "*-*-* *:09,39:00"),
            ("Mon..Fri 12-25", "Mon..Fri *-12-25 00:00:00"),
            ("daily UTC", "*-*-* 00:00:00 UTC"),
        ] {
            assert_eq!(normalize(spec).as_deref(), Ok(normalized), "{spec}");
        }
    }

    /// Issue 13: these were kept as valid and never elapsed; systemd-analyze refuses them.
    #[test]
    fn a_field_out_of_its_range_is_refused() {
        for spec in [
            "25:00",
            "24:00",
            "00:60",
            "23:59:61",
            "00:00:60",
            "*-13-01",
            "*-00-01",
            "*-02-32",
            "1969-01-01",
            "2200-01-01",
            "*:59/1",
            "00/24:00",
            "Sun..Mon",
            "Mo",
            "*-*~29",
            "*-*~5/5",
            "12:00 ",
            " daily",
            "*-2-29 Mon",
        ] {
            assert_eq!(normalize(spec), Err(CalendarError::Invalid), "{spec:?}");
        }
        assert_eq!(normalize("0/0:00"), Err(CalendarError::OutOfRange));
        assert_eq!(normalize("4294967296:00"), Err(CalendarError::OutOfRange));
        let long_list = vec!["1"; 242].join(",");
        assert_eq!(
            normalize(&format!("{long_list}:00")),
            Err(CalendarError::TooManyComponents)
        );
        assert!(normalize(&format!("{}:00", vec!["1"; 241].join(","))).is_ok());
    }

    #[test]
    fn the_rarer_forms_normalize_as_calendarspec_c_prints_them() {
        for (spec, normalized) in [
            ("*-*-* *:*:1.5/0.25", "*-*-* *:*:01.500000/0.250000"),
            ("00:00:01.1234564", "*-*-* 00:00:01.123456"),
            ("*:*:0..5", "*-*-* *:*:00..05"),
            ("1..5/10:00", "*-*-* 01:00:00"),
            ("Mon,Wed..Fri", "Mon,Wed..Fri *-*-* 00:00:00"),
            ("mon-wed", "Mon..Wed *-*-* 00:00:00"),
            ("Mon..Sun", "*-*-* 00:00:00"),
            ("1-1~1", "2001-01~01 00:00:00"),
            ("*-*~*", "*-*-* 00:00:00"),
            ("69-01-01", "2069-01-01 00:00:00"),
            ("1..12/3-1", "*-01..10/3-01 00:00:00"),
            ("@1700000000", "2023-11-14 22:13:20 UTC"),
            ("Mon @5", "Mon 1970-01-01 00:00:05 UTC"),
            ("@+5", "1970-01-01 00:00:05 UTC"),
            ("01,02,01:00", "*-*-* 01,02:00:00"),
            ("semi-annually", "*-01,07-01 00:00:00"),
            ("00:00 utc", "*-*-* 00:00:00 UTC"),
        ] {
            assert_eq!(normalize(spec).as_deref(), Ok(normalized), "{spec}");
        }
    }
}
