//! The normalized form systemd prints for `OnCalendar=` (systemd.time(7) "Calendar Events",
//! calendarspec.c's `calendar_spec_to_string()`): shorthands like `daily` expanded, the date
//! defaulting to `*-*-*`, seconds to `00`, numbers zero-padded. Only the common subset is
//! understood (weekdays, dates, times with lists, ranges and repetitions, a `UTC` suffix);
//! anything else is left as written rather than guessed.
//!
//! [`next_elapse`] is calendarspec.c's `calendar_spec_next_usec()` for that subset: the first
//! whole second after a time that the spec matches, in local time (`localtime_r`/`mktime`, so
//! daylight saving time moves it as it moves systemd's), or in UTC with the `UTC` suffix.

const SHORTHANDS: &[(&str, &str)] = &[
    ("minutely", "*-*-* *:*:00"),
    ("hourly", "*-*-* *:00:00"),
    ("daily", "*-*-* 00:00:00"),
    ("monthly", "*-*-01 00:00:00"),
    ("weekly", "Mon *-*-* 00:00:00"),
    ("yearly", "*-01-01 00:00:00"),
    ("annually", "*-01-01 00:00:00"),
    ("quarterly", "*-01,04,07,10-01 00:00:00"),
    ("semiannually", "*-01,07-01 00:00:00"),
];

const WEEKDAYS: [(&str, &str); 7] = [
    ("Mon", "Monday"),
    ("Tue", "Tuesday"),
    ("Wed", "Wednesday"),
    ("Thu", "Thursday"),
    ("Fri", "Friday"),
    ("Sat", "Saturday"),
    ("Sun", "Sunday"),
];

/// The normalized spec, or `None` when it is outside the subset understood here.
pub fn normalize(spec: &str) -> Option<String> {
    let spec = spec.trim();
    if let Some(rest) = spec.strip_suffix(" UTC") {
        return Some(format!("{} UTC", normalize(rest)?));
    }
    if let Some((_, full)) = SHORTHANDS
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(spec))
    {
        return Some(full.to_string());
    }
    let mut weekdays = None;
    let mut date = None;
    let mut time = None;
    for part in spec.split_whitespace() {
        if part.contains(':') && time.is_none() {
            time = Some(normalize_time(part)?);
        } else if part.contains('-') && date.is_none() && time.is_none() {
            date = Some(normalize_date(part)?);
        } else if weekdays.is_none() && date.is_none() && time.is_none() {
            weekdays = Some(normalize_weekdays(part)?);
        } else {
            return None;
        }
    }
    if weekdays.is_none() && date.is_none() && time.is_none() {
        return None;
    }
    let mut out = String::new();
    if let Some(w) = weekdays {
        out.push_str(&w);
        out.push(' ');
    }
    out.push_str(date.as_deref().unwrap_or("*-*-*"));
    out.push(' ');
    out.push_str(time.as_deref().unwrap_or("00:00:00"));
    Some(out)
}

fn normalize_weekdays(part: &str) -> Option<String> {
    let day = |s: &str| {
        WEEKDAYS
            .iter()
            .find(|(short, long)| short.eq_ignore_ascii_case(s) || long.eq_ignore_ascii_case(s))
            .map(|(short, _)| *short)
    };
    let items: Option<Vec<String>> = part
        .split(',')
        .map(|item| match item.split_once("..") {
            Some((a, b)) => Some(format!("{}..{}", day(a)?, day(b)?)),
            None => day(item).map(str::to_string),
        })
        .collect();
    Some(items?.join(","))
}

fn normalize_date(part: &str) -> Option<String> {
    let fields: Vec<&str> = part.split('-').collect();
    let (year, month, day) = match fields[..] {
        [y, m, d] => (y, m, d),
        [m, d] => ("*", m, d),
        _ => return None,
    };
    Some(format!(
        "{}-{}-{}",
        component(year, 4)?,
        component(month, 2)?,
        component(day, 2)?
    ))
}

fn normalize_time(part: &str) -> Option<String> {
    let fields: Vec<&str> = part.split(':').collect();
    let (hour, minute, second) = match fields[..] {
        [h, m, s] => (h, m, s),
        [h, m] => (h, m, "00"),
        _ => return None,
    };
    Some(format!(
        "{}:{}:{}",
        component(hour, 2)?,
        component(minute, 2)?,
        component(second, 2)?
    ))
}

/// One field: `*`, or a list of values, `a..b` ranges and `/n` repetitions, zero-padded.
fn component(field: &str, width: usize) -> Option<String> {
    if field == "*" {
        return Some("*".into());
    }
    let number = |s: &str| -> Option<String> {
        let n: u32 = s.parse().ok()?;
        Some(format!("{n:0width$}"))
    };
    let items: Option<Vec<String>> = field
        .split(',')
        .map(|item| {
            let (base, repeat) = match item.split_once('/') {
                Some((b, r)) => (b, Some(r.parse::<u32>().ok()?)),
                None => (item, None),
            };
            let base = match base.split_once("..") {
                Some((a, b)) => format!("{}..{}", number(a)?, number(b)?),
                None if base == "*" => "*".to_string(),
                None => number(base)?,
            };
            Some(match repeat {
                Some(r) => format!("{base}/{r}"),
                None => base,
            })
        })
        .collect();
    Some(items?.join(","))
}

/// One field of a spec: its items (`*`, values, `a..b` ranges, `/n` repetitions).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field(Vec<(u32, u32, u32)>);

impl Field {
    /// `min..=max` is the field's own range, which `*` stands for.
    fn parse(text: &str, min: u32, max: u32) -> Option<Field> {
        let items = text
            .split(',')
            .map(|item| {
                let (base, repeat) = match item.split_once('/') {
                    Some((b, r)) => (b, r.parse::<u32>().ok().filter(|r| *r > 0)?),
                    None => (item, 0),
                };
                let (from, to) = match base.split_once("..") {
                    Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                    None if base == "*" => (min, max),
                    // `n/r` repeats from n to the end of the field's range.
                    None if repeat > 0 => (base.parse().ok()?, max),
                    None => {
                        let v = base.parse().ok()?;
                        (v, v)
                    }
                };
                Some((from, to, repeat))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Field(items))
    }

    fn matches(&self, v: u32) -> bool {
        self.0
            .iter()
            .any(|&(from, to, r)| v >= from && v <= to && (r == 0 || (v - from).is_multiple_of(r)))
    }

    /// The smallest value from `v` up to `max` that matches.
    fn next(&self, v: u32, max: u32) -> Option<u32> {
        (v..=max).find(|&x| self.matches(x))
    }
}

/// A parsed spec of the subset [`normalize`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    /// Bit 0 = Sunday, as `tm_wday`; all set when no weekday is given.
    weekdays: u8,
    year: Field,
    month: Field,
    day: Field,
    hour: Field,
    minute: Field,
    second: Field,
    utc: bool,
}

fn parse_spec(spec: &str) -> Option<Spec> {
    let normalized = normalize(spec)?;
    let mut parts: Vec<&str> = normalized.split_whitespace().collect();
    let utc = parts.last() == Some(&"UTC");
    if utc {
        parts.pop();
    }
    let (weekdays, date, time) = match parts[..] {
        [w, d, t] => (Some(w), d, t),
        [d, t] => (None, d, t),
        _ => return None,
    };
    let weekdays = match weekdays {
        None => 0x7f,
        Some(w) => {
            // WEEKDAYS starts on Monday; tm_wday counts from Sunday.
            let index = |s: &str| {
                WEEKDAYS
                    .iter()
                    .position(|(short, _)| *short == s)
                    .map(|p| (p as u8 + 1) % 7)
            };
            let mut bits = 0u8;
            for item in w.split(',') {
                let (a, b) = match item.split_once("..") {
                    Some((a, b)) => (index(a)?, index(b)?),
                    None => (index(item)?, index(item)?),
                };
                // Mon..Sun wraps through the end of the week.
                let mut d = a;
                loop {
                    bits |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            bits
        }
    };
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    let ([y, mo, da], [h, mi, se]) = (d[..].try_into().ok()?, t[..].try_into().ok()?);
    Some(Spec {
        weekdays,
        year: Field::parse(y, 1970, 2199)?,
        month: Field::parse(mo, 1, 12)?,
        day: Field::parse(da, 1, 31)?,
        hour: Field::parse(h, 0, 23)?,
        minute: Field::parse(mi, 0, 59)?,
        second: Field::parse(se, 0, 59)?,
        utc,
    })
}

/// Broken-down time of `t` (seconds since the epoch), local or UTC.
// libc marks time_t deprecated on musl (its width changed in musl 1.2); the value is passed
// straight to libc, whose width it has.
#[allow(deprecated)]
fn broken_down(t: i64, utc: bool) -> Option<libc::tm> {
    // SAFETY: localtime_r/gmtime_r fill a tm we own from a time_t we own.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        let time = t as libc::time_t;
        let r = if utc {
            libc::gmtime_r(&time, &mut tm)
        } else {
            libc::localtime_r(&time, &mut tm)
        };
        (!r.is_null()).then_some(tm)
    }
}

/// mktime()/timegm() of fields that may overflow (they are normalized).
fn make_time(tm: &mut libc::tm, utc: bool) -> Option<i64> {
    tm.tm_isdst = -1;
    // SAFETY: mktime/timegm read and normalize a tm we own.
    let t = unsafe {
        if utc {
            libc::timegm(tm)
        } else {
            libc::mktime(tm)
        }
    };
    (t != -1).then_some(t as i64)
}

/// The first time strictly after `after` (µs since the epoch) that `spec` matches, in µs; `None`
/// when it never does again (before 2200) or the spec is outside the subset understood here.
pub fn next_elapse(spec: &str, after: u64) -> Option<u64> {
    let spec = parse_spec(spec)?;
    let mut t = (after / 1_000_000) as i64 + 1;
    // Each round fixes one field or carries into the next larger one, so a few hundred
    // rounds reach any time a year ahead; the bound only stops a spec that never matches.
    for _ in 0..100_000 {
        let mut tm = broken_down(t, spec.utc)?;
        let year = (tm.tm_year + 1900) as u32;
        let fields: [(&Field, u32, u32); 6] = [
            (&spec.year, year, 2199),
            (&spec.month, (tm.tm_mon + 1) as u32, 12),
            (&spec.day, tm.tm_mday as u32, 31),
            (&spec.hour, tm.tm_hour as u32, 23),
            (&spec.minute, tm.tm_min as u32, 59),
            (&spec.second, tm.tm_sec as u32, 59),
        ];
        let mut changed = false;
        for (level, (field, value, max)) in fields.iter().enumerate() {
            if field.matches(*value) {
                if level == 2 && spec.weekdays & (1 << tm.tm_wday) == 0 {
                    // The right day of the month on the wrong day of the week: the next day.
                    tm.tm_mday += 1;
                    reset_below(&mut tm, 2);
                    changed = true;
                    break;
                }
                continue;
            }
            match field.next(*value, *max) {
                Some(x) => {
                    set_field(&mut tm, level, x);
                    reset_below(&mut tm, level);
                }
                None if level == 0 => return None,
                None => {
                    carry(&mut tm, level);
                    reset_below(&mut tm, level - 1);
                }
            }
            changed = true;
            break;
        }
        if !changed {
            return Some(t as u64 * 1_000_000);
        }
        let next = make_time(&mut tm, spec.utc)?;
        // A time in a gap of daylight saving time may map back; always move forward.
        t = if next > t { next } else { t + 1 };
    }
    None
}

fn set_field(tm: &mut libc::tm, level: usize, x: u32) {
    let x = x as i32;
    match level {
        0 => tm.tm_year = x - 1900,
        1 => tm.tm_mon = x - 1,
        2 => tm.tm_mday = x,
        3 => tm.tm_hour = x,
        4 => tm.tm_min = x,
        _ => tm.tm_sec = x,
    }
}

/// No value of field `level` is left in its range: the next larger field moves on.
fn carry(tm: &mut libc::tm, level: usize) {
    match level {
        1 => {
            tm.tm_year += 1;
            tm.tm_mon = 0;
        }
        2 => {
            tm.tm_mon += 1;
            tm.tm_mday = 1;
        }
        3 => tm.tm_mday += 1,
        4 => tm.tm_hour += 1,
        _ => tm.tm_min += 1,
    }
}

/// The fields smaller than that of `level` to their first value.
fn reset_below(tm: &mut libc::tm, level: usize) {
    if level < 1 {
        tm.tm_mon = 0;
    }
    if level < 2 {
        tm.tm_mday = 1;
    }
    if level < 3 {
        tm.tm_hour = 0;
    }
    if level < 4 {
        tm.tm_min = 0;
    }
    if level < 5 {
        tm.tm_sec = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::{next_elapse, normalize};

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
            (" 2:00:00", "*-*-* 02:00:00"),
            ("Mon..Fri 12-25", "Mon..Fri *-12-25 00:00:00"),
        ] {
            assert_eq!(normalize(spec).as_deref(), Some(normalized), "{spec}");
        }
        assert_eq!(normalize("*-*~03"), None);
        assert_eq!(normalize("Funday"), None);
    }

    /// `YYYY-MM-DD HH:MM:SS` UTC as µs since the epoch.
    fn at(text: &str) -> u64 {
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let n: Vec<i32> = text
            .split(['-', ' ', ':'])
            .map(|f| f.parse().expect("number"))
            .collect();
        tm.tm_year = n[0] - 1900;
        tm.tm_mon = n[1] - 1;
        tm.tm_mday = n[2];
        tm.tm_hour = n[3];
        tm.tm_min = n[4];
        tm.tm_sec = n[5];
        (unsafe { libc::timegm(&mut tm) }) as u64 * 1_000_000
    }

    #[test]
    fn next_elapse_in_utc_matches_calendar_spec_next_usec() {
        // 2026-11-22 is a Sunday.
        let now = "2026-11-22 15:07:30";
        for (spec, expected) in [
            ("daily UTC", "2026-11-23 00:00:00"),
            ("hourly UTC", "2026-11-22 16:00:00"),
            ("minutely UTC", "2026-11-22 15:08:00"),
            ("weekly UTC", "2026-11-23 00:00:00"),
            ("monthly UTC", "2026-12-01 00:00:00"),
            ("yearly UTC", "2027-01-01 00:00:00"),
            ("quarterly UTC", "2027-01-01 00:00:00"),
            ("*:0/15 UTC", "2026-11-22 15:15:00"),
            ("*:00/10 UTC", "2026-11-22 15:10:00"),
            ("*-*-* 6,18:00 UTC", "2026-11-22 18:00:00"),
            ("*-*-* 07..23:30 UTC", "2026-11-22 15:30:00"),
            ("*-*-* *:09,39:00 UTC", "2026-11-22 15:09:00"),
            ("Sun *-*-1..7 1:00:00 UTC", "2026-12-06 01:00:00"),
            ("Mon..Fri 09:00 UTC", "2026-11-23 09:00:00"),
            ("Sat,Sun 15:00 UTC", "2026-11-28 15:00:00"),
            ("Sun 16:00 UTC", "2026-11-22 16:00:00"),
            ("*-*-31 12:00 UTC", "2026-12-31 12:00:00"),
            ("*-02-29 00:00 UTC", "2028-02-29 00:00:00"),
            ("2026-11-22 15:07:31 UTC", "2026-11-22 15:07:31"),
            ("*-*-* *:*:0/20 UTC", "2026-11-22 15:07:40"),
            ("12-25 UTC", "2026-12-25 00:00:00"),
        ] {
            assert_eq!(
                next_elapse(spec, at(now)),
                Some(at(expected)),
                "{spec} after {now}"
            );
        }
        // Strictly after: a spec matching the very second moves on.
        assert_eq!(
            next_elapse("*-*-* 15:07:30 UTC", at(now)),
            Some(at("2026-11-23 15:07:30"))
        );
        // Never again, or not understood.
        assert_eq!(next_elapse("2020-01-01 UTC", at(now)), None);
        assert_eq!(next_elapse("*-02-30 UTC", at(now)), None);
        assert_eq!(next_elapse("*-*~03", at(now)), None);
    }

    #[test]
    fn a_utc_suffix_is_kept_in_the_normalized_spec() {
        assert_eq!(
            normalize("daily UTC").as_deref(),
            Some("*-*-* 00:00:00 UTC")
        );
    }
}
