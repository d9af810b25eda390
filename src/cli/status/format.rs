//! The words and colours of `status`: systemd's ANSI highlighting as colors_enabled() decides it,
//! the state glyphs, relative times (`5min ago`), durations and exit descriptions (`code=exited,
//! status=1/FAILURE`), as systemctl-show.c and src/basic/time-util.c format them.

use crate::ipc::protocol::ExecRun;
use crate::sys::exit_status::sigchld_code;
use crate::sys::signal::signal_name;
use crate::sys::time::now_usec;

/// systemd's ANSI highlighting, used only when stdout is a terminal (and colours are not turned
/// off with `SYSTEMD_COLORS=0`, `NO_COLOR` or `TERM=dumb`), as colors_enabled() decides.
#[derive(Clone, Copy)]
pub(in crate::cli) struct Colors(pub(super) bool);

impl Colors {
    pub(in crate::cli) fn detect() -> Colors {
        if let Ok(v) = std::env::var("SYSTEMD_COLORS") {
            if let Some(b) = super::super::options::parse_boolean(&v) {
                return Colors(b);
            }
        }
        let tty = nix::unistd::isatty(std::io::stdout()).unwrap_or(false);
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Colors(tty && !dumb && std::env::var_os("NO_COLOR").is_none())
    }

    pub(in crate::cli) fn paint(self, code: &'static str) -> (&'static str, &'static str) {
        if self.0 {
            (code, "\x1b[0m")
        } else {
            ("", "")
        }
    }

    pub(in crate::cli) fn red(self) -> (&'static str, &'static str) {
        self.paint("\x1b[0;1;31m")
    }

    pub(in crate::cli) fn green(self) -> (&'static str, &'static str) {
        self.paint("\x1b[0;1;32m")
    }

    /// format_active_state(): red for failed, green for active and reloading.
    pub(in crate::cli) fn for_state(self, active_state: &str) -> (&'static str, &'static str) {
        match active_state {
            "failed" => self.red(),
            "active" | "reloading" => self.green(),
            _ => ("", ""),
        }
    }
}

/// unit_active_state_to_glyph().
pub(in crate::cli) fn glyph(active_state: &str) -> &'static str {
    match active_state {
        "active" | "activating" | "deactivating" => "●",
        "reloading" => "↻",
        "failed" => "×",
        _ => "○",
    }
}

/// format_timestamp_relative(): how long ago (or ahead) a realtime stamp is.
pub(in crate::cli) fn format_relative(usec: u64) -> Option<String> {
    const SEC: u64 = 1_000_000;
    const MIN: u64 = 60 * SEC;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;
    const WEEK: u64 = 7 * DAY;
    const MONTH: u64 = 2_629_800 * SEC;
    const YEAR: u64 = 31_557_600 * SEC;
    if usec == 0 || usec == u64::MAX {
        return None;
    }
    let now = now_usec();
    let (d, suffix) = if now > usec {
        (now - usec, " ago")
    } else {
        (usec - now, " left")
    };
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            one.to_string()
        } else {
            many.to_string()
        }
    };
    Some(if d >= YEAR {
        let (y, m) = (d / YEAR, d % YEAR / MONTH);
        format!(
            "{y} {} {m} {}{suffix}",
            plural(y, "year", "years"),
            plural(m, "month", "months")
        )
    } else if d >= MONTH {
        let (m, days) = (d / MONTH, d % MONTH / DAY);
        format!(
            "{m} {} {days} {}{suffix}",
            plural(m, "month", "months"),
            plural(days, "day", "days")
        )
    } else if d >= WEEK {
        let (w, days) = (d / WEEK, d % WEEK / DAY);
        format!(
            "{w} {} {days} {}{suffix}",
            plural(w, "week", "weeks"),
            plural(days, "day", "days")
        )
    } else if d >= 2 * DAY {
        format!("{} days{suffix}", d / DAY)
    } else if d >= 25 * HOUR {
        format!("1 day {}h{suffix}", (d - DAY) / HOUR)
    } else if d >= 6 * HOUR {
        format!("{}h{suffix}", d / HOUR)
    } else if d >= HOUR {
        format!("{}h {}min{suffix}", d / HOUR, d % HOUR / MIN)
    } else if d >= 5 * MIN {
        format!("{}min{suffix}", d / MIN)
    } else if d >= MIN {
        format!("{}min {}s{suffix}", d / MIN, d % MIN / SEC)
    } else if d >= SEC {
        format!("{}s{suffix}", d / SEC)
    } else if d >= 1000 {
        format!("{}ms{suffix}", d / 1000)
    } else if d > 0 {
        format!("{d}us{suffix}")
    } else {
        "now".to_string()
    })
}

/// format_timespan() with millisecond accuracy, as `Duration:` (and systemd-run's `--wait`
/// summary) print it.
pub(in crate::cli) fn format_duration(mut t: u64) -> String {
    const TABLE: [(&str, u64); 9] = [
        ("y", 31_557_600_000_000),
        ("month", 2_629_800_000_000),
        ("w", 604_800_000_000),
        ("d", 86_400_000_000),
        ("h", 3_600_000_000),
        ("min", 60_000_000),
        ("s", 1_000_000),
        ("ms", 1000),
        ("us", 1),
    ];
    const ACCURACY: u64 = 1000;
    if t == 0 {
        return "0".into();
    }
    let mut parts: Vec<String> = Vec::new();
    for (suffix, unit) in TABLE {
        if t == 0 || (t < ACCURACY && !parts.is_empty()) {
            break;
        }
        if t < unit {
            continue;
        }
        let (a, b) = (t / unit, t % unit);
        // Below a minute a remainder is written as decimals, down to the accuracy.
        let decimals = unit.ilog10().saturating_sub(ACCURACY.ilog10()) as usize;
        if t < 60_000_000 && b > 0 && decimals > 0 {
            let b = b / ACCURACY;
            parts.push(format!("{a}.{b:0decimals$}{suffix}"));
            break;
        }
        parts.push(format!("{a}{suffix}"));
        t = b;
    }
    parts.join(" ")
}

/// `code=exited, status=1/FAILURE` or `code=killed, signal=TERM`.
pub(super) fn describe_exit(code: i32, status: i32) -> String {
    let code_name = sigchld_code(code).unwrap_or("(null)");
    if code == libc::CLD_EXITED {
        match crate::sys::exit_status::exit_status_name(status, false) {
            Some(name) => format!("code={code_name}, status={status}/{name}"),
            None => format!("code={code_name}, status={status}"),
        }
    } else {
        format!("code={code_name}, signal={}", signal_name(status))
    }
}

/// is_clean_exit(…, EXIT_CLEAN_DAEMON): what `Process:` does not mark red.
pub(super) fn clean_exit(run: &ExecRun) -> bool {
    match run.code {
        libc::CLD_EXITED => run.status == 0,
        libc::CLD_KILLED => {
            [libc::SIGHUP, libc::SIGINT, libc::SIGTERM, libc::SIGPIPE].contains(&run.status)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_are_formatted_to_the_millisecond() {
        assert_eq!(format_duration(419), "419us");
        assert_eq!(format_duration(9_123), "9ms");
        assert_eq!(format_duration(1_500_000), "1.500s");
        assert_eq!(format_duration(65_500_000), "1min 5.500s");
        assert_eq!(format_duration(3_600_000_000), "1h");
        assert_eq!(format_duration(0), "0");
    }
}
