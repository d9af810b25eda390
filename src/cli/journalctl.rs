//! `journalctl` (journalctl(1)) through the multi-call binary, over the manager's per-unit logs:
//! `-u UNIT` (several, globs, names without a suffix are services), `-t ID`, `-n N`, `-e`, `-r`,
//! `-f`, and the output modes scripts use (short, short-iso, short-precise, short-unix, cat,
//! with-unit, json). Options that only make sense with journald's storage (`-b`, `-x`, `-q`,
//! `--no-pager`, `--system`, `-m`) are accepted and change nothing.

use std::io::Write;

use clap::Parser;

use crate::ipc::context::RuntimeContext;
use crate::journal::{JournalError, LogStore, Record, NO_UNIT};
use crate::sys::glob::glob_match;
use crate::sys::time::format_time;
use crate::unit::name::{self, UnitType};

#[derive(Debug, Parser)]
#[command(
    name = "journalctl",
    about = "Query the journal.",
    disable_version_flag = true
)]
struct JournalOptions {
    #[arg(short = 'u', long = "unit", value_name = "UNIT", action = clap::ArgAction::Append)]
    units: Vec<String>,
    #[arg(short = 't', long = "identifier", value_name = "STRING", action = clap::ArgAction::Append)]
    identifiers: Vec<String>,
    #[arg(short = 'n', long = "lines", value_name = "INTEGER", num_args = 0..=1, default_missing_value = "10")]
    lines: Option<String>,
    #[arg(
        short = 'o',
        long = "output",
        value_name = "STRING",
        default_value = "short"
    )]
    output: String,
    #[arg(short = 'r', long)]
    reverse: bool,
    #[arg(short = 'f', long)]
    follow: bool,
    #[arg(short = 'e', long = "pager-end")]
    pager_end: bool,
    #[arg(long)]
    no_tail: bool,
    #[arg(long)]
    utc: bool,
    #[arg(long)]
    no_hostname: bool,
    #[arg(short = 'b', long, value_name = "ID", num_args = 0..=1, default_missing_value = "0")]
    boot: Option<String>,
    #[arg(short = 'x', long)]
    catalog: bool,
    #[arg(short = 'q', long)]
    quiet: bool,
    #[arg(long)]
    no_pager: bool,
    #[arg(long)]
    no_full: bool,
    #[arg(short = 'a', long)]
    all: bool,
    #[arg(long)]
    system: bool,
    #[arg(short = 'm', long)]
    merge: bool,
    #[arg(long)]
    version: bool,
    /// journald's maintenance commands, which package scripts run (systemd's postinst calls
    /// `--update-catalog`): nothing to do for a volatile journal without catalogs, so they
    /// succeed silently.
    #[arg(long = "update-catalog", hide = true)]
    update_catalog: bool,
    #[arg(long, hide = true)]
    flush: bool,
    #[arg(long, hide = true)]
    rotate: bool,
    #[arg(long, hide = true)]
    sync: bool,
    #[arg(long = "relinquish-var", alias = "smart-relinquish-var", hide = true)]
    relinquish_var: bool,
    #[arg(long = "vacuum-size", value_name = "BYTES", hide = true)]
    vacuum_size: Option<String>,
    #[arg(long = "vacuum-time", value_name = "TIME", hide = true)]
    vacuum_time: Option<String>,
    #[arg(long = "vacuum-files", value_name = "INT", hide = true)]
    vacuum_files: Option<String>,
}

impl JournalOptions {
    fn is_maintenance(&self) -> bool {
        self.update_catalog
            || self.flush
            || self.rotate
            || self.sync
            || self.relinquish_var
            || self.vacuum_size.is_some()
            || self.vacuum_time.is_some()
            || self.vacuum_files.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Short,
    ShortIso,
    ShortPrecise,
    ShortUnix,
    Cat,
    WithUnit,
    Json,
}

fn parse_mode(s: &str) -> Option<Mode> {
    Some(match s {
        "short" | "short-full" => Mode::Short,
        "short-iso" | "short-iso-precise" => Mode::ShortIso,
        "short-precise" => Mode::ShortPrecise,
        "short-unix" => Mode::ShortUnix,
        "cat" => Mode::Cat,
        "with-unit" => Mode::WithUnit,
        "json" | "json-pretty" | "json-seq" | "json-sse" | "export" | "verbose" => Mode::Json,
        _ => return None,
    })
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

pub(super) fn render(unit: &str, r: &Record, mode: Mode, host: &str, utc: bool) -> String {
    let source = |who: &str| format!("{who}[{}]: {}", r.pid, r.message);
    let host = if host.is_empty() {
        String::new()
    } else {
        format!(" {host}")
    };
    match mode {
        Mode::Cat => r.message.clone(),
        Mode::Short => format!(
            "{}{host} {}",
            format_time(r.realtime_usec, "%b %d %H:%M:%S", utc),
            source(&r.identifier)
        ),
        Mode::WithUnit => format!(
            "{}{host} {}",
            format_time(r.realtime_usec, "%b %d %H:%M:%S", utc),
            source(if unit == NO_UNIT { &r.identifier } else { unit })
        ),
        Mode::ShortPrecise => format!(
            "{}.{:06}{host} {}",
            format_time(r.realtime_usec, "%b %d %H:%M:%S", utc),
            r.realtime_usec % 1_000_000,
            source(&r.identifier)
        ),
        Mode::ShortIso => format!(
            "{}{host} {}",
            format_time(r.realtime_usec, "%Y-%m-%dT%H:%M:%S%z", utc),
            source(&r.identifier)
        ),
        Mode::ShortUnix => format!(
            "{}.{:06}{host} {}",
            r.realtime_usec / 1_000_000,
            r.realtime_usec % 1_000_000,
            source(&r.identifier)
        ),
        Mode::Json => format!(
            "{{\"__REALTIME_TIMESTAMP\":\"{}\",\"_PID\":\"{}\",\"SYSLOG_IDENTIFIER\":{},{}\"MESSAGE\":{}}}",
            r.realtime_usec,
            r.pid,
            json_string(&r.identifier),
            if unit == NO_UNIT {
                String::new()
            } else {
                format!("\"_SYSTEMD_UNIT\":{},", json_string(unit))
            },
            json_string(&r.message)
        ),
    }
}

/// Which units a `-u` list names: all when there is none; globs as they are, other names
/// mangled as systemd mangles them (`web` is `web.service`). As in systemd, a template name is
/// not a glob: it names the template alone, never logged under its own name, not its instances
/// (`-u 'echo@*'` selects those).
fn unit_filter(patterns: &[String]) -> impl Fn(&str) -> bool {
    let patterns: Vec<String> = patterns
        .iter()
        .map(|p| {
            if p.contains(['*', '?', '[']) {
                p.clone()
            } else {
                name::mangle(p, UnitType::Service)
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| p.clone())
            }
        })
        .collect();
    move |unit| patterns.is_empty() || patterns.iter().any(|p| glob_match(p, unit))
}

/// The records of the units `wanted` selects, oldest first, with `-t` applied.
fn collect(
    store: &LogStore,
    wanted: &impl Fn(&str) -> bool,
    identifiers: &[String],
) -> Result<Vec<(String, Record)>, JournalError> {
    let mut all = store.read_matching(wanted)?;
    all.retain(|(_, r)| identifiers.is_empty() || identifiers.contains(&r.identifier));
    Ok(all)
}

pub fn journalctl_main<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let opts = match JournalOptions::try_parse_from(argv) {
        Ok(o) => o,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if opts.version {
        println!("systemd 252 (systemctl-shim {})", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    if opts.is_maintenance() {
        return 0;
    }
    let Some(mode) = parse_mode(&opts.output) else {
        eprintln!("Unknown output format '{}'.", opts.output);
        return 1;
    };
    let limit = match &opts.lines {
        Some(n) if n == "all" => None,
        Some(n) => match n.trim_start_matches('+').parse::<usize>() {
            Ok(v) => Some(v),
            Err(_) => {
                eprintln!("Failed to parse lines '{n}'");
                return 1;
            }
        },
        None if opts.pager_end => Some(1000),
        None if opts.follow && !opts.no_tail => Some(10),
        None => None,
    };
    let store = RuntimeContext::find_logs().map(|c| LogStore::new(&c.log_dir()));
    let host = if opts.no_hostname {
        String::new()
    } else {
        nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_default()
    };
    let wanted = unit_filter(&opts.units);
    let mut entries = match store
        .as_ref()
        .map(|s| collect(s, &wanted, &opts.identifiers))
    {
        Some(Ok(entries)) => entries,
        Some(Err(e)) => {
            eprintln!("{e}");
            return 1;
        }
        None => Vec::new(),
    };
    if let Some(n) = limit {
        let skip = entries.len().saturating_sub(n);
        entries.drain(..skip);
    }
    if opts.reverse {
        entries.reverse();
    }
    let mut out = std::io::stdout().lock();
    // journalctl.c's parse_argv(): the output modes meant for programs imply --quiet.
    let quiet = opts.quiet
        || matches!(
            opts.output.as_str(),
            "export" | "json" | "json-pretty" | "json-sse" | "json-seq" | "cat"
        );
    if entries.is_empty() && !opts.follow && !quiet {
        let _ = writeln!(out, "-- No entries --");
    }
    for (unit, r) in &entries {
        if writeln!(out, "{}", render(unit, r, mode, &host, opts.utc)).is_err() {
            return 0;
        }
    }
    let _ = out.flush();
    drop(out);
    if opts.follow {
        if let Some(store) = store {
            follow(
                &store,
                &opts,
                &wanted,
                mode,
                &host,
                entries.last().map(|(_, r)| r.realtime_usec),
            );
        }
    }
    0
}

/// `-f`: print new records as they are appended, until stdout goes away or we are killed.
fn follow(
    store: &LogStore,
    opts: &JournalOptions,
    wanted: &impl Fn(&str) -> bool,
    mode: Mode,
    host: &str,
    mut seen: Option<u64>,
) {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let Ok(inotify) = Inotify::init(InitFlags::IN_CLOEXEC) else {
        return;
    };
    if inotify
        .add_watch(
            store.dir(),
            AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO,
        )
        .is_err()
    {
        return;
    }
    loop {
        if inotify.read_events().is_err() {
            return;
        }
        // A read that fails now is tried again at the next change; what it missed is still newer
        // than `seen` then.
        let Ok(all) = collect(store, wanted, &opts.identifiers) else {
            continue;
        };
        let fresh: Vec<(String, Record)> = all
            .into_iter()
            .filter(|(_, r)| seen.is_none_or(|s| r.realtime_usec > s))
            .collect();
        let mut out = std::io::stdout().lock();
        for (unit, r) in &fresh {
            if writeln!(out, "{}", render(unit, r, mode, host, opts.utc)).is_err() {
                return;
            }
            seen = Some(r.realtime_usec);
        }
        if out.flush().is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            realtime_usec: 1_763_780_735_123_456,
            pid: 1234,
            identifier: "nginx".into(),
            message: "started \"ok\"".into(),
        }
    }

    #[test]
    fn output_modes_match_journalctls_layout() {
        let r = record();
        assert_eq!(
            render("nginx.service", &r, Mode::Short, "box", true),
            "Nov 22 03:05:35 box nginx[1234]: started \"ok\""
        );
        assert_eq!(
            render("nginx.service", &r, Mode::Cat, "box", true),
            "started \"ok\""
        );
        assert_eq!(
            render("nginx.service", &r, Mode::ShortUnix, "", true),
            "1763780735.123456 nginx[1234]: started \"ok\""
        );
        let json: serde_json::Value =
            serde_json::from_str(&render("nginx.service", &r, Mode::Json, "", true)).unwrap();
        assert_eq!(json["MESSAGE"], "started \"ok\"");
        assert_eq!(json["_SYSTEMD_UNIT"], "nginx.service");
    }

    #[test]
    fn unit_patterns_glob_and_mangle() {
        assert!(glob_match("ngi*.service", "nginx.service"));
        assert!(!glob_match("ngi*.socket", "nginx.service"));
        let web = unit_filter(&["web".to_string()]);
        assert!(web("web.service") && !web("web.socket"));
        assert!(unit_filter(&[])("anything.service"));
    }

    #[test]
    fn a_template_name_is_not_a_glob_over_its_instances() {
        let template = unit_filter(&["echo@.service".to_string()]);
        assert!(!template("echo@0-1-0.service"));
        let glob = unit_filter(&["echo@*".to_string()]);
        assert!(glob("echo@0-1-0.service") && !glob("echo.service"));
    }
}
