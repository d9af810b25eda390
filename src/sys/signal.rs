//! Signals by name and number, as unit files, `kill --signal=` and systemd's messages spell them
//! (systemd's src/basic/signal-util.c: signal_from_string(), signal_to_string()).

use nix::sys::signal::Signal;

/// glibc's SIGRTMIN, from which systemd, Docker's STOPSIGNAL, `kill -s RTMIN+3` and the
/// services in the image count realtime signals (musl's own SIGRTMIN is 35: it keeps one more; the
/// static glibc build's libc::SIGRTMIN() is a function, not a constant).
pub const SIGRTMIN: i32 = 34;

/// A signal as unit files and `--signal=` name it: `SIGTERM`, `TERM`, `15`, `RTMIN+3`.
pub fn parse_signal(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=libc::SIGRTMAX()).contains(&n).then_some(n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    if let Some(rest) = name.strip_prefix("RTMIN") {
        let offset: i32 = match rest.strip_prefix('+') {
            Some(n) => n.parse().ok()?,
            None if rest.is_empty() => 0,
            None => return None,
        };
        let n = SIGRTMIN + offset;
        return (n <= libc::SIGRTMAX()).then_some(n);
    }
    if let Some(rest) = name.strip_prefix("RTMAX") {
        let offset: i32 = match rest.strip_prefix('-') {
            Some(n) => n.parse().ok()?,
            None if rest.is_empty() => 0,
            None => return None,
        };
        let n = libc::SIGRTMAX() - offset;
        return (n >= SIGRTMIN).then_some(n);
    }
    format!("SIG{name}")
        .parse::<Signal>()
        .ok()
        .map(|s| s as i32)
}

/// The short name systemd prints (`TERM`, `KILL`, `RTMIN+3`).
pub fn signal_name(n: i32) -> String {
    if let Ok(s) = Signal::try_from(n) {
        return s.as_str().trim_start_matches("SIG").to_string();
    }
    if (SIGRTMIN..=libc::SIGRTMAX()).contains(&n) {
        return match n - SIGRTMIN {
            0 => "RTMIN".to_string(),
            k => format!("RTMIN+{k}"),
        };
    }
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_by_every_name_systemd_accepts() {
        assert_eq!(parse_signal("SIGTERM"), Some(libc::SIGTERM));
        assert_eq!(parse_signal("KILL"), Some(libc::SIGKILL));
        assert_eq!(parse_signal("1"), Some(libc::SIGHUP));
        assert_eq!(parse_signal("RTMIN+3"), Some(37));
        assert_eq!(parse_signal("SIGNOPE"), None);
        assert_eq!(parse_signal("0"), None);
        assert_eq!(signal_name(libc::SIGTERM), "TERM");
        assert_eq!(signal_name(38), "RTMIN+4");
    }
}
