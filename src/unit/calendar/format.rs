//! calendarspec.c's `calendar_spec_to_string()`: the normalized form of a spec, as
//! `systemd-analyze calendar` and `systemctl show` (`TimersCalendar=`) print it: weekdays in runs,
//! each field's items zero-padded (fractions of seconds to six digits), `*` for any.

use super::{local_zone_name, CalendarSpec, Component, BITS_WEEKDAYS, USEC_PER_SEC};

impl std::fmt::Display for CalendarSpec {
    /// calendar_spec_to_string().
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.weekdays_bits > 0 && self.weekdays_bits <= BITS_WEEKDAYS {
            format_weekdays(f, self.weekdays_bits)?;
            f.write_str(" ")?;
        }
        format_chain(f, 4, &self.year, false)?;
        f.write_str("-")?;
        format_chain(f, 2, &self.month, false)?;
        f.write_str(if self.end_of_month { "~" } else { "-" })?;
        format_chain(f, 2, &self.day, false)?;
        f.write_str(" ")?;
        format_chain(f, 2, &self.hour, false)?;
        f.write_str(":")?;
        format_chain(f, 2, &self.minute, false)?;
        f.write_str(":")?;
        format_chain(f, 2, &self.microsecond, true)?;
        if self.utc {
            f.write_str(" UTC")?;
        } else if let Some(zone) = &self.timezone {
            write!(f, " {zone}")?;
        } else if let Some(name) = usize::try_from(self.dst).ok().and_then(local_zone_name) {
            write!(f, " {name}")?;
        }
        Ok(())
    }
}

/// Runs of three days or more as `a..b`, of two as `a,b`.
fn format_weekdays(f: &mut std::fmt::Formatter<'_>, bits: i32) -> std::fmt::Result {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut run_start: Option<usize> = None;
    let mut need_comma = false;
    let close = |f: &mut std::fmt::Formatter<'_>, from: usize, end: usize| {
        if end > from + 1 {
            f.write_str(if end > from + 2 { ".." } else { "," })?;
            f.write_str(DAYS[end - 1])?;
        }
        Ok(())
    };
    for (x, day) in DAYS.iter().enumerate() {
        if bits & (1 << x) != 0 {
            if run_start.is_none() {
                if need_comma {
                    f.write_str(",")?;
                }
                need_comma = true;
                f.write_str(day)?;
                run_start = Some(x);
            }
        } else if let Some(from) = run_start.take() {
            close(f, from, x)?;
        }
    }
    match run_start {
        Some(from) => close(f, from, DAYS.len()),
        None => Ok(()),
    }
}

fn format_chain(
    f: &mut std::fmt::Formatter<'_>,
    width: usize,
    chain: &[Component],
    usec: bool,
) -> std::fmt::Result {
    let d = if usec { USEC_PER_SEC } else { 1 };
    if let [only] = chain {
        if usec && only.start == 0 && only.stop < 0 && only.repeat == USEC_PER_SEC {
            return f.write_str("*");
        }
    }
    if chain.is_empty() {
        return f.write_str("*");
    }
    for (i, c) in chain.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{:0width$}", c.start / d)?;
        if c.start % d > 0 {
            write!(f, ".{:06}", c.start % d)?;
        }
        if c.stop > 0 {
            write!(f, "..{:0width$}", c.stop / d)?;
        }
        if c.stop % d > 0 {
            write!(f, ".{:06}", c.stop % d)?;
        }
        if c.repeat > 0 && !(c.stop > 0 && c.repeat == d) {
            write!(f, "/{}", c.repeat / d)?;
        }
        if c.repeat % d > 0 {
            write!(f, ".{:06}", c.repeat % d)?;
        }
    }
    Ok(())
}
