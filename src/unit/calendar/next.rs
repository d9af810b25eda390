//! The next elapse of a calendar spec: systemd 252's calendarspec.c `calendar_spec_next_usec()`
//! and its `find_next()`, field by field from the year down with mktime()/timegm() normalizing
//! the broken-down time (in local time, so daylight saving time moves it as it moves systemd's,
//! or in UTC), and the same bound: years past 2199 never come, and a search that has not ended
//! after 1000 rounds gives up, so no spec (`*-02-30`, years in the past) can spin.

use super::{CalendarError, CalendarSpec, Component, BITS_WEEKDAYS, MAX_YEAR, USEC_PER_SEC};

/// find_next()'s MAX_CALENDAR_ITERATIONS.
const MAX_ITERATIONS: u32 = 1000;
/// time-util.h's USEC_TIMESTAMP_FORMATTABLE_MAX (64-bit): the last second of 9999-12-30 UTC.
const USEC_TIMESTAMP_FORMATTABLE_MAX: u64 = 253_402_214_399_000_000;

/// The first time strictly after `after` (µs since the epoch) that `spec` matches, in µs; `None`
/// when it is not a valid spec, never elapses again, or is in a named time zone.
pub fn next_elapse(spec: &str, after: u64) -> Option<u64> {
    CalendarSpec::parse(spec).ok()?.next_usec(after).ok()
}

/// Broken-down UTC of `t`, `None` where gmtime_r() fails (a year beyond `int`).
// libc marks time_t deprecated on musl (its width changed in musl 1.2); the value is passed
// straight to libc, whose width it has.
#[allow(deprecated)]
pub(super) fn gmtime(t: i64) -> Option<libc::tm> {
    broken_down(t, true)
}

#[allow(deprecated)]
fn broken_down(t: i64, utc: bool) -> Option<libc::tm> {
    let time = t as libc::time_t;
    // SAFETY: localtime_r/gmtime_r fill a tm we own from a time_t we own.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        let r = if utc {
            libc::gmtime_r(&time, &mut tm)
        } else {
            libc::localtime_r(&time, &mut tm)
        };
        (!r.is_null()).then_some(tm)
    }
}

/// mktime_or_timegm(): normalizes `tm` in place; negative when it fails or is before 1970.
fn make_time(tm: &mut libc::tm, utc: bool) -> i64 {
    // SAFETY: mktime/timegm read and normalize a tm we own.
    let t = unsafe {
        if utc {
            libc::timegm(tm)
        } else {
            libc::mktime(tm)
        }
    };
    t as i64
}

impl CalendarSpec {
    /// calendar_spec_next_usec(): the first time strictly after `after` (µs since the epoch).
    pub fn next_usec(&self, after: u64) -> Result<u64, CalendarError> {
        if self.timezone.is_some() {
            return Err(CalendarError::NamedTimeZone);
        }
        if after > USEC_TIMESTAMP_FORMATTABLE_MAX {
            return Err(CalendarError::Invalid);
        }
        let after = after + 1;
        let seconds = i64::try_from(after / 1_000_000).map_err(|_| CalendarError::Invalid)?;
        let mut tm = broken_down(seconds, self.utc).ok_or(CalendarError::Invalid)?;
        let mut usec = (after % 1_000_000) as i64;
        self.find_next(&mut tm, &mut usec)?;
        let t = make_time(&mut tm, self.utc);
        if t < 0 {
            return Err(CalendarError::Invalid);
        }
        Ok(t as u64 * 1_000_000 + usec as u64)
    }

    fn find_next(&self, tm: &mut libc::tm, usec: &mut i64) -> Result<(), CalendarError> {
        let utc = self.utc;
        let mut c = *tm;
        let mut tm_usec = *usec;
        for _ in 0..MAX_ITERATIONS {
            make_time(&mut c, utc);
            c.tm_isdst = self.dst;

            let mut year = i64::from(c.tm_year) + 1900;
            let r = self.find_matching_component(&self.year, false, &c, &mut year)?;
            c.tm_year = clamp(year - 1900);
            if r {
                c.tm_mon = 0;
                c.tm_mday = 1;
                (c.tm_hour, c.tm_min, c.tm_sec, tm_usec) = (0, 0, 0, 0);
            }
            if within_bounds(&mut c, utc) <= 0 {
                return Err(CalendarError::NeverElapses);
            }

            let mut month = i64::from(c.tm_mon) + 1;
            let r = self.find_matching_component(&self.month, false, &c, &mut month);
            c.tm_mon = clamp(month - 1);
            if r == Ok(true) {
                c.tm_mday = 1;
                (c.tm_hour, c.tm_min, c.tm_sec, tm_usec) = (0, 0, 0, 0);
            }
            match r.map(|_| within_bounds(&mut c, utc)) {
                Err(_) | Ok(i32::MIN..=-1) => {
                    c.tm_year += 1;
                    c.tm_mon = 0;
                    c.tm_mday = 1;
                    (c.tm_hour, c.tm_min, c.tm_sec, tm_usec) = (0, 0, 0, 0);
                    continue;
                }
                Ok(0) => continue,
                Ok(_) => {}
            }

            let mut day = i64::from(c.tm_mday);
            let r = self.find_matching_component(&self.day, true, &c, &mut day);
            c.tm_mday = clamp(day);
            if r == Ok(true) {
                (c.tm_hour, c.tm_min, c.tm_sec, tm_usec) = (0, 0, 0, 0);
            }
            match r.map(|_| within_bounds(&mut c, utc)) {
                Err(_) | Ok(i32::MIN..=-1) => {
                    c.tm_mon += 1;
                    c.tm_mday = 1;
                    (c.tm_hour, c.tm_min, c.tm_sec, tm_usec) = (0, 0, 0, 0);
                    continue;
                }
                Ok(0) => continue,
                Ok(_) => {}
            }

            if !matches_weekday(self.weekdays_bits, &c, utc) {
                c.tm_mday += 1;
                (c.tm_hour, c.tm_min, c.tm_sec, tm_usec) = (0, 0, 0, 0);
                continue;
            }

            let mut hour = i64::from(c.tm_hour);
            let r = self.find_matching_component(&self.hour, false, &c, &mut hour);
            c.tm_hour = clamp(hour);
            if r == Ok(true) {
                (c.tm_min, c.tm_sec, tm_usec) = (0, 0, 0);
            }
            match r.map(|_| within_bounds(&mut c, utc)) {
                Err(_) | Ok(i32::MIN..=-1) => {
                    c.tm_mday += 1;
                    (c.tm_hour, c.tm_min, c.tm_sec, tm_usec) = (0, 0, 0, 0);
                    continue;
                }
                // The hour set may be missing at a change of time zone: again from the
                // normalized time.
                Ok(0) => continue,
                Ok(_) => {}
            }

            let mut minute = i64::from(c.tm_min);
            let r = self.find_matching_component(&self.minute, false, &c, &mut minute);
            c.tm_min = clamp(minute);
            if r == Ok(true) {
                (c.tm_sec, tm_usec) = (0, 0);
            }
            match r.map(|_| within_bounds(&mut c, utc)) {
                Err(_) | Ok(i32::MIN..=-1) => {
                    c.tm_hour += 1;
                    (c.tm_min, c.tm_sec, tm_usec) = (0, 0, 0);
                    continue;
                }
                Ok(0) => continue,
                Ok(_) => {}
            }

            let mut second = i64::from(c.tm_sec) * i64::from(USEC_PER_SEC) + tm_usec;
            let r = self.find_matching_component(&self.microsecond, false, &c, &mut second);
            tm_usec = second % i64::from(USEC_PER_SEC);
            c.tm_sec = clamp(second / i64::from(USEC_PER_SEC));
            match r.map(|_| within_bounds(&mut c, utc)) {
                Err(_) | Ok(i32::MIN..=-1) => {
                    c.tm_min += 1;
                    (c.tm_sec, tm_usec) = (0, 0);
                    continue;
                }
                Ok(0) => continue,
                Ok(_) => {}
            }

            *tm = c;
            *usec = tm_usec;
            return Ok(());
        }
        Err(CalendarError::Deadlock)
    }

    /// find_matching_component(): the earliest value from `*val` on that an item of `chain`
    /// matches (an empty chain matches all); true when it moved, `NeverElapses` when none does.
    fn find_matching_component(
        &self,
        chain: &[Component],
        is_day: bool,
        tm: &libc::tm,
        val: &mut i64,
    ) -> Result<bool, CalendarError> {
        if chain.is_empty() {
            return Ok(false);
        }
        let end_of_month = self.end_of_month && is_day;
        let mut best: Option<i64> = None;
        for c in chain {
            let (mut start, mut stop) = (i64::from(c.start), i64::from(c.stop));
            if end_of_month {
                start = end_of_month_day(tm, self.utc, c.start);
                stop = end_of_month_day(tm, self.utc, c.stop);
                if stop > 0 {
                    std::mem::swap(&mut start, &mut stop);
                }
            }
            let repeat = i64::from(c.repeat);
            if start >= *val {
                if best.is_none_or(|d| start < d) {
                    best = Some(start);
                }
            } else if repeat > 0 {
                let k = start + repeat * ((*val - start + repeat - 1) / repeat);
                if best.is_none_or(|d| k < d) && (stop < 0 || k <= stop) {
                    best = Some(k);
                }
            }
        }
        let d = best.ok_or(CalendarError::NeverElapses)?;
        let moved = *val != d;
        *val = d;
        Ok(moved)
    }
}

fn clamp(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// find_end_of_month(): the day of `tm`'s month that is `day` days before its last (0: the
/// last day itself), or -1.
fn end_of_month_day(tm: &libc::tm, utc: bool, day: i32) -> i64 {
    let mut t = *tm;
    t.tm_mon += 1;
    t.tm_mday = 1i32.saturating_sub(day);
    if make_time(&mut t, utc) < 0 || t.tm_mon != tm.tm_mon {
        return -1;
    }
    i64::from(t.tm_mday)
}

/// tm_within_bounds(): 1 when `tm` is a real time, 0 when normalizing moved it forward (`tm` is
/// the normalized time, the smaller fields reset), negative past 2199, on failure, or backward.
fn within_bounds(tm: &mut libc::tm, utc: bool) -> i32 {
    if i64::from(tm.tm_year) + 1900 > i64::from(MAX_YEAR) {
        return -1;
    }
    let mut t = *tm;
    if make_time(&mut t, utc) < 0 {
        return -1;
    }
    // Normalizing 3-33 gives 4-2, which would skip 4-1: the field below the first that moved
    // starts again.
    let cmp = if t.tm_year != tm.tm_year {
        t.tm_mon = 0;
        t.tm_year.cmp(&tm.tm_year)
    } else if t.tm_mon != tm.tm_mon {
        t.tm_mday = 1;
        t.tm_mon.cmp(&tm.tm_mon)
    } else if t.tm_mday != tm.tm_mday {
        t.tm_hour = 0;
        t.tm_mday.cmp(&tm.tm_mday)
    } else if t.tm_hour != tm.tm_hour {
        t.tm_min = 0;
        t.tm_hour.cmp(&tm.tm_hour)
    } else if t.tm_min != tm.tm_min {
        t.tm_sec = 0;
        t.tm_min.cmp(&tm.tm_min)
    } else {
        t.tm_sec.cmp(&tm.tm_sec)
    };
    match cmp {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 1,
        std::cmp::Ordering::Greater => {
            *tm = t;
            0
        }
    }
}

fn matches_weekday(bits: i32, tm: &libc::tm, utc: bool) -> bool {
    if !(0..BITS_WEEKDAYS).contains(&bits) {
        return true;
    }
    let mut t = *tm;
    if make_time(&mut t, utc) < 0 {
        return false;
    }
    let monday_first = (t.tm_wday + 6) % 7;
    bits & (1 << monday_first) != 0
}

#[cfg(test)]
mod tests {
    use super::next_elapse;
    use crate::unit::calendar::{CalendarError, CalendarSpec};
    use std::time::{Duration, Instant};

    /// `YYYY-MM-DD HH:MM:SS` UTC as µs since the epoch.
    fn at(text: &str) -> u64 {
        let n: Vec<i32> = text
            .split(['-', ' ', ':'])
            .map(|f| f.parse().expect("number"))
            .collect();
        // SAFETY: timegm reads a zeroed tm we own.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        (tm.tm_year, tm.tm_mon, tm.tm_mday) = (n[0] - 1900, n[1] - 1, n[2]);
        (tm.tm_hour, tm.tm_min, tm.tm_sec) = (n[3], n[4], n[5]);
        (unsafe { libc::timegm(&mut tm) }) as u64 * 1_000_000
    }

    #[test]
    fn next_elapse_in_utc_matches_calendar_spec_next_usec() {
        // 2026-11-22 is a Sunday.
        let now = "2026-11-22 15:07:30";
        for (spec, expected) in [
            ("daily UTC", "2026-11-23 00:00:00"),
            ("hourly UTC", "2026-11-22 16:00:00"),
            ("weekly UTC", "2026-11-23 00:00:00"),
            ("quarterly UTC", "2027-01-01 00:00:00"),
            ("*:00/10 UTC", "2026-11-22 15:10:00"),
            ("*-*-* 07..23:30 UTC", "2026-11-22 15:30:00"),
            ("Sun *-*-1..7 1:00:00 UTC", "2026-12-06 01:00:00"),
            ("Mon..Fri 09:00 UTC", "2026-11-23 09:00:00"),
            ("*-*-31 12:00 UTC", "2026-12-31 12:00:00"),
            ("*-02-29 00:00 UTC", "2028-02-29 00:00:00"),
            ("*-*~01 UTC", "2026-11-30 00:00:00"),
            ("*-02~01 UTC", "2027-02-28 00:00:00"),
            ("*-*-* *:*:0/20 UTC", "2026-11-22 15:07:40"),
        ] {
            assert_eq!(
                next_elapse(spec, at(now)),
                Some(at(expected)),
                "{spec} after {now}"
            );
        }
        assert_eq!(
            next_elapse("*-*-* *:*:30.5 UTC", at(now)),
            Some(at(now) + 500_000)
        );
        assert_eq!(next_elapse("2020-01-01 UTC", at(now)), None);
    }

    /// Issue 13: specs that never match took up to 1.6 s each; systemd's bounds end them.
    #[test]
    fn a_spec_that_never_matches_ends_within_milliseconds() {
        let now = at("2026-11-22 15:07:30");
        for spec in [
            "*-02-30",
            "*-04-31 UTC",
            "1970..2000-*-*",
            "Mon *-02-29 00:00",
            "2199-12-31 23:59:59",
        ] {
            let parsed = CalendarSpec::parse(spec).expect("valid spec");
            let started = Instant::now();
            let result = parsed.next_usec(now);
            assert!(
                matches!(
                    result,
                    Err(CalendarError::NeverElapses | CalendarError::Deadlock)
                ) || result.is_ok(),
                "{spec}: {result:?}"
            );
            assert!(
                started.elapsed() < Duration::from_millis(50),
                "{spec}: {:?}",
                started.elapsed()
            );
        }
    }
}
