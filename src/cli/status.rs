//! `systemctl status UNIT…` in systemd 252's layout (systemctl-show.c print_status_info()): the
//! bullet line, `Loaded:` (path; unit file state; preset), `Drop-In:`, `Active:`, `Docs:`, with
//! labels right-aligned to one column. With no manager running nothing is active, so every unit
//! is `inactive (dead)` and the exit status is 3; a unit that does not exist is 4.
//!
//! With a manager, the runtime state follows: `Active:` with its state, result and time,
//! `Duration:`, `TriggeredBy:` and `Triggers:` (the units a socket, timer or path starts, and
//! back), the failed condition, `Docs:`, a socket's `Listen:` addresses (from its unit file, so
//! also while inactive) and with Accept=yes its `Accepted:` counters, the `Process:` lines of
//! commands that ran, `Main PID:`, `Status:`, the processes (as the `CGroup:` tree systemd
//! prints; the tree's path is the one the unit's slice would give it), and the unit's last log
//! lines in journalctl's short format. The exit status is then that of the first unit that is
//! not active (3), or not found (4). There is no resource accounting here, so `Tasks:`,
//! `Memory:` and `CPU:` are never shown, as systemd shows none where accounting is off.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use super::journalctl::{render, Mode};
use super::show::{exec_run, format_timestamp, never_ran, runtime_states, sigchld_code};
use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::context::RuntimeContext;
use crate::ipc::protocol::{ExecRun, LoadedConfig, SocketCounters, UnitDetails, UnitStatus};
use crate::journal::LogStore;
use crate::sys::signal::signal_name;
use crate::sys::time::now_usec;
use crate::unit::load::{load_or_shipped, load_with_map, NameMap};
use crate::unit::model::{ExecKind, LoadState};
use crate::unit::name::{mangle, UnitName, UnitType};
use crate::unit::state::ActiveState;

/// The label column: labels end here, values start one space after.
const LABEL_WIDTH: usize = 12;

fn label(name: &str) -> String {
    format!("{:>width$} ", format!("{name}:"), width = LABEL_WIDTH)
}

fn continuation() -> String {
    " ".repeat(LABEL_WIDTH + 1)
}

/// `Loaded:`'s value for a unit in `load_state` (systemd's word for it).
fn loaded_line(load_state: &str, config: &LoadedConfig) -> String {
    match load_state {
        // print_status_info(): a unit with no file (a slice, a target made from what systemd
        // ships) is just "loaded".
        "loaded" if config.fragment_path.is_none() => "loaded".to_string(),
        "loaded" => {
            let path = config
                .fragment_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let state = &config.unit_file_state;
            // systemctl's show_preset_for_state(): no preset where it would only confuse.
            let shows_preset = !matches!(
                state.as_str(),
                "" | "alias" | "static" | "generated" | "transient"
            );
            let mut parts = vec![path];
            if !state.is_empty() {
                parts.push(state.clone());
            }
            if shows_preset && !config.preset.is_empty() {
                parts.push(format!("preset: {}", config.preset));
            }
            format!("loaded ({})", parts.join("; "))
        }
        other => {
            let reason = config.load_error.clone().unwrap_or_default();
            format!("{other} (Reason: {reason})")
        }
    }
}

/// `Drop-In:` lines: each directory, then its files after a tree corner.
fn dropin_lines(config: &LoadedConfig) -> Vec<String> {
    let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut order = Vec::new();
    for p in &config.dropin_paths {
        let dir = p.parent().unwrap_or(Path::new("/")).display().to_string();
        let file = p
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !by_dir.contains_key(&dir) {
            order.push(dir.clone());
        }
        by_dir.entry(dir).or_default().push(file);
    }
    let mut lines = Vec::new();
    for (i, dir) in order.iter().enumerate() {
        let head = if i == 0 {
            label("Drop-In")
        } else {
            continuation()
        };
        lines.push(format!("{head}{dir}"));
        let files = by_dir.get(dir).map(|f| f.join(", ")).unwrap_or_default();
        lines.push(format!("{}└─{files}", continuation()));
    }
    lines
}

/// A unit without a manager: what its files say, and inactive.
fn print_unit(
    out: &mut impl Write,
    status: &UnitStatus,
    config: &LoadedConfig,
) -> std::io::Result<()> {
    let (id, description) = (&status.id, &status.description);
    if description.is_empty() || description == id {
        writeln!(out, "○ {id}")?;
    } else {
        writeln!(out, "○ {id} - {description}")?;
    }
    writeln!(
        out,
        "{}{}",
        label("Loaded"),
        loaded_line(&status.load_state, config)
    )?;
    for line in dropin_lines(config) {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{}inactive (dead)", label("Active"))?;
    for (i, doc) in config.documentation.iter().enumerate() {
        let head = if i == 0 {
            label("Docs")
        } else {
            continuation()
        };
        writeln!(out, "{head}{doc}")?;
    }
    socket_lines(out, config, None)
}

/// A socket's `Listen:` lines, from its unit file so that they show while it is inactive, and
/// with Accept=yes its connection counters (zero where the manager has none).
fn socket_lines(
    out: &mut impl Write,
    config: &LoadedConfig,
    counters: Option<SocketCounters>,
) -> std::io::Result<()> {
    let Some(socket) = &config.socket else {
        return Ok(());
    };
    for (i, (address, kind)) in socket.listen.iter().enumerate() {
        let head = if i == 0 {
            label("Listen")
        } else {
            continuation()
        };
        writeln!(out, "{head}{address} ({kind})")?;
    }
    if socket.accept {
        let c = counters.unwrap_or_default();
        let refused = if c.n_refused > 0 {
            format!("   Refused: {}", c.n_refused)
        } else {
            String::new()
        };
        writeln!(
            out,
            "{}{}; Connected: {};{refused}",
            label("Accepted"),
            c.n_accepted,
            c.n_connections
        )?;
    }
    Ok(())
}

/// `TriggeredBy:` lines (each unit with its state's glyph) or `Triggers:` lines (always `●`),
/// coloured by the state of the unit named, as print_status_info() prints them.
fn trigger_lines(
    out: &mut impl Write,
    name: &str,
    units: &[String],
    states: &HashMap<String, ActiveState>,
    colors: Colors,
) -> std::io::Result<()> {
    for (i, unit) in units.iter().enumerate() {
        let state = states.get(unit).copied().unwrap_or_default().as_str();
        let (on, off) = colors.for_state(state);
        let mark = if name == "TriggeredBy" {
            glyph(state)
        } else {
            "●"
        };
        let head = if i == 0 { label(name) } else { continuation() };
        writeln!(out, "{head}{on}{mark}{off} {unit}")?;
    }
    Ok(())
}

pub fn status(ctx: &Ctx, args: &[String]) -> VerbResult {
    if args.is_empty() {
        return system_status(ctx, args);
    }
    let names = args
        .iter()
        .map(|arg| {
            mangle(arg, UnitType::Service)
                .map_err(|e| Failed::new(Exit::Failure, format!("Failed to mangle unit name: {e}")))
        })
        .collect::<Result<Vec<UnitName>, Failed>>()?;
    let ids: Vec<String> = names.iter().map(|n| n.as_str().to_string()).collect();
    if ctx.opts.root.is_none() {
        if let Some(details) = super::runtime::query_details(&ids) {
            return status_running(ctx, &names, &details);
        }
    }
    // No manager answers, but one that was killed left its state: the files say the rest.
    match runtime_states(ctx, &ids) {
        Some(states) => status_running(ctx, &names, &details_from_files(ctx, &names, &states)),
        None => status_offline(ctx, &names),
    }
}

/// `systemctl status` with no unit: the machine's overview as systemctl-show.c's
/// `show_system_status()` prints it, with the processes of every running unit under its slice.
fn system_status(ctx: &Ctx, args: &[String]) -> VerbResult {
    let (Some(state), Some(manager)) = (
        super::runtime::system_state(),
        RuntimeContext::find_running(),
    ) else {
        return super::online::needs_manager(ctx, args);
    };
    let units = super::runtime::loaded_units();
    let colors = Colors::detect();
    let code = match state.as_str() {
        "running" => "\x1b[0;1;32m",
        "degraded" => "\x1b[0;1;31m",
        _ => "\x1b[0;1;33m",
    };
    let (on, off) = colors.paint(code);
    let manager_pid: i32 = std::fs::read_to_string(manager.runtime_dir.join("manager.pid"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let since = process_start_usec(manager_pid);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let write =
        |out: &mut std::io::StdoutLock, line: String| writeln!(out, "{line}").map_err(write_failed);
    write(
        &mut out,
        format!("{on}●{off} {}", crate::unit::host::hostname()),
    )?;
    write(&mut out, format!("    State: {on}{state}{off}"))?;
    write(
        &mut out,
        format!("    Units: {} loaded (incl. loaded aliases)", units.len()),
    )?;
    let jobs = units.iter().filter(|u| u.job.is_some()).count();
    write(&mut out, format!("     Jobs: {jobs} queued"))?;
    let failed = units
        .iter()
        .filter(|u| u.active_state == ActiveState::Failed)
        .count();
    write(&mut out, format!("   Failed: {failed} units"))?;
    if let (Some(at), Some(rel)) = (
        since.and_then(format_timestamp),
        since.and_then(format_relative),
    ) {
        write(&mut out, format!("    Since: {at}; {rel}"))?;
    }
    write(&mut out, "  systemd: 252".to_string())?;
    write(&mut out, "   CGroup: /".to_string())?;
    // init.scope holds the manager; each slice the units with processes, by name.
    let mut slices: BTreeMap<String, Vec<&UnitStatus>> = BTreeMap::new();
    let map = NameMap::build(&ctx.lookup);
    for u in units.iter().filter(|u| !u.processes.is_empty()) {
        let slice = UnitName::parse(&u.id)
            .ok()
            .map(|n| load_or_shipped(&ctx.lookup, &map, &n))
            .and_then(|c| c.settings.slice)
            .unwrap_or_else(|| "system.slice".to_string());
        slices.entry(slice).or_default().push(u);
    }
    let mut groups: Vec<(String, Vec<(i32, String)>)> = Vec::new();
    if manager_pid > 0 {
        let cmdline = std::fs::read(format!("/proc/{manager_pid}/cmdline"))
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        groups.push(("init.scope".into(), vec![(manager_pid, cmdline)]));
    }
    let prefix = " ".repeat(11);
    let top: Vec<(String, Vec<&UnitStatus>)> = slices.into_iter().collect();
    let n_top = groups.len() + top.len();
    for (k, (name, procs)) in groups.iter().enumerate() {
        let last = k + 1 == n_top;
        write(
            &mut out,
            format!("{prefix}{}{name}", if last { "└─" } else { "├─" }),
        )?;
        let inner = format!("{prefix}{}", if last { "  " } else { "│ " });
        print_processes(&mut out, &inner, procs).map_err(write_failed)?;
    }
    for (k, (slice, members)) in top.iter().enumerate() {
        let last = groups.len() + k + 1 == n_top;
        write(
            &mut out,
            format!("{prefix}{}{slice}", if last { "└─" } else { "├─" }),
        )?;
        let inner = format!("{prefix}{}", if last { "  " } else { "│ " });
        for (m, u) in members.iter().enumerate() {
            let last_unit = m + 1 == members.len();
            write(
                &mut out,
                format!("{inner}{}{}", if last_unit { "└─" } else { "├─" }, u.id),
            )?;
            let deeper = format!("{inner}{}", if last_unit { "  " } else { "│ " });
            let mut procs = u.processes.clone();
            procs.sort_by_key(|(pid, _)| *pid);
            print_processes(&mut out, &deeper, &procs).map_err(write_failed)?;
        }
    }
    Ok(Exit::Success)
}

/// Processes as a cgroup tree lists them: one per line after `prefix`, with its command line
/// (`[comm]` when it has none, like a zombie's).
fn print_processes(
    out: &mut impl Write,
    prefix: &str,
    procs: &[(i32, String)],
) -> std::io::Result<()> {
    for (i, (pid, cmdline)) in procs.iter().enumerate() {
        let branch = if i + 1 == procs.len() {
            "└─"
        } else {
            "├─"
        };
        let shown = if cmdline.is_empty() {
            format!("[{}]", comm(*pid).unwrap_or_default())
        } else {
            cmdline.clone()
        };
        writeln!(out, "{prefix}{branch}{pid} {shown}")?;
    }
    Ok(())
}

/// When a process started, in realtime microseconds (boot time plus its start in clock ticks).
fn process_start_usec(pid: i32) -> Option<u64> {
    let stat = crate::sys::proc::stat(pid)?;
    let btime: u64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    Some(btime * 1_000_000 + crate::sys::proc::started_usec(&stat))
}

/// No manager: every unit is inactive; exit 4 when any unit is missing, else 3.
fn status_offline(ctx: &Ctx, names: &[UnitName]) -> VerbResult {
    let map = NameMap::build(&ctx.lookup);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut exit = Exit::NotRunning;
    let mut first = true;
    for name in names {
        let config = load_with_map(&ctx.lookup, &map, name);
        if config.load_state == LoadState::NotFound && config.dropin_paths.is_empty() {
            eprintln!("Unit {name} could not be found.");
            exit = Exit::Unknown;
            continue;
        }
        if !first {
            writeln!(out).map_err(write_failed)?;
        }
        first = false;
        let loaded = LoadedConfig::of(&config, &ctx.lookup);
        print_unit(&mut out, &never_ran(&config), &loaded).map_err(write_failed)?;
    }
    Ok(exit)
}

/// What `status` shows of `names` when no manager answers but one left its state: that state
/// (`states`), and the configuration as the files say it now.
fn details_from_files(ctx: &Ctx, names: &[UnitName], states: &[UnitStatus]) -> Vec<UnitDetails> {
    let map = NameMap::build(&ctx.lookup);
    let related: Vec<(String, ActiveState)> = related_states(states).into_iter().collect();
    names
        .iter()
        .map(|name| {
            // the manager has the targets and slices systemd ships even where the image lacks them
            let config = load_or_shipped(&ctx.lookup, &map, name);
            let mut status = states
                .iter()
                .find(|s| s.id == name.as_str())
                .cloned()
                .unwrap_or_else(|| never_ran(&config));
            status.id = config.id.clone();
            status.description = config.unit.description.clone();
            status.load_state = config.load_state.as_str().to_string();
            UnitDetails {
                config: LoadedConfig::of(&config, &ctx.lookup),
                status,
                related: related.clone(),
            }
        })
        .collect()
}

/// With a manager: each unit's runtime state; the exit status is that of the first unit that is
/// not active or not found, as systemctl's show() keeps the first non-zero one.
fn status_running(ctx: &Ctx, names: &[UnitName], details: &[UnitDetails]) -> VerbResult {
    let colors = Colors::detect();
    let logs = RuntimeContext::find_logs().map(|c| LogStore::new(&c.log_dir()));
    let lines = journal_lines(ctx)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut exit = Exit::Success;
    let mut first = true;
    for (name, d) in names.iter().zip(details) {
        let rt = &d.status;
        let unit_exit = if rt.load_state == "not-found"
            && d.config.dropin_paths.is_empty()
            && rt.active_state == ActiveState::Inactive
        {
            out.flush().map_err(write_failed)?;
            eprintln!("Unit {name} could not be found.");
            Exit::Unknown
        } else {
            if !first {
                writeln!(out).map_err(write_failed)?;
            }
            first = false;
            let related: HashMap<String, ActiveState> = d.related.iter().cloned().collect();
            print_running(&mut out, d, &related, colors).map_err(write_failed)?;
            print_journal(&mut out, logs.as_ref(), rt, lines).map_err(write_failed)?;
            if rt.need_daemon_reload {
                out.flush().map_err(write_failed)?;
                eprintln!(
                    "Warning: The unit file, source configuration file or drop-ins of {name} changed on disk. Run 'systemctl daemon-reload' to reload units."
                );
            }
            if rt.active_state.is_active_or_reloading() {
                Exit::Success
            } else {
                Exit::NotRunning
            }
        };
        if exit == Exit::Success {
            exit = unit_exit;
        }
    }
    Ok(exit)
}

/// The active state of every unit the shown units trigger or are triggered by, asked for at once.
fn related_states(states: &[UnitStatus]) -> HashMap<String, ActiveState> {
    let mut names: Vec<String> = states
        .iter()
        .flat_map(|s| s.triggers.iter().chain(s.triggered_by.iter()))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return HashMap::new();
    }
    let answers = super::runtime::query_states(&names).unwrap_or_default();
    names
        .into_iter()
        .zip(answers)
        .map(|(name, (_, active))| (name, active))
        .collect()
}

/// systemd's ANSI highlighting, used only when stdout is a terminal (and colours are not turned
/// off with `SYSTEMD_COLORS=0`, `NO_COLOR` or `TERM=dumb`), as colors_enabled() decides.
#[derive(Clone, Copy)]
pub(super) struct Colors(bool);

impl Colors {
    pub(super) fn detect() -> Colors {
        if let Ok(v) = std::env::var("SYSTEMD_COLORS") {
            if let Some(b) = super::options::parse_boolean(&v) {
                return Colors(b);
            }
        }
        let tty = nix::unistd::isatty(std::io::stdout()).unwrap_or(false);
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Colors(tty && !dumb && std::env::var_os("NO_COLOR").is_none())
    }

    pub(super) fn paint(self, code: &'static str) -> (&'static str, &'static str) {
        if self.0 {
            (code, "\x1b[0m")
        } else {
            ("", "")
        }
    }

    fn red(self) -> (&'static str, &'static str) {
        self.paint("\x1b[0;1;31m")
    }

    fn green(self) -> (&'static str, &'static str) {
        self.paint("\x1b[0;1;32m")
    }

    /// format_active_state(): red for failed, green for active and reloading.
    fn for_state(self, active_state: &str) -> (&'static str, &'static str) {
        match active_state {
            "failed" => self.red(),
            "active" | "reloading" => self.green(),
            _ => ("", ""),
        }
    }
}

/// unit_active_state_to_glyph().
pub(super) fn glyph(active_state: &str) -> &'static str {
    match active_state {
        "active" | "activating" | "deactivating" => "●",
        "reloading" => "↻",
        "failed" => "×",
        _ => "○",
    }
}

/// format_timestamp_relative(): how long ago (or ahead) a realtime stamp is.
pub(super) fn format_relative(usec: u64) -> Option<String> {
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

/// format_timespan() with millisecond accuracy, as `Duration:` is printed.
fn format_duration(mut t: u64) -> String {
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
fn describe_exit(code: i32, status: i32) -> String {
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
fn clean_exit(run: &ExecRun) -> bool {
    match run.code {
        libc::CLD_EXITED => run.status == 0,
        libc::CLD_KILLED => {
            [libc::SIGHUP, libc::SIGINT, libc::SIGTERM, libc::SIGPIPE].contains(&run.status)
        }
        _ => false,
    }
}

/// `comm` of a live process, as `Main PID: 1234 (sleep)` shows it.
fn comm(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim_end_matches('\n').to_string())
}

/// The Exec…= properties in the order of systemd's Service and Socket vtables.
const EXEC_ORDER: [ExecKind; 8] = [
    ExecKind::Condition,
    ExecKind::StartPre,
    ExecKind::Start,
    ExecKind::StartPost,
    ExecKind::Reload,
    ExecKind::StopPre,
    ExecKind::Stop,
    ExecKind::StopPost,
];

fn print_running(
    out: &mut impl Write,
    details: &UnitDetails,
    related: &HashMap<String, ActiveState>,
    colors: Colors,
) -> std::io::Result<()> {
    let (rt, config) = (&details.status, &details.config);
    let state = rt.active_state.as_str();
    let (on, off) = colors.for_state(state);
    let (id, description) = (&rt.id, &rt.description);
    if description.is_empty() || description == id {
        writeln!(out, "{on}{}{off} {id}", glyph(state))?;
    } else {
        writeln!(out, "{on}{}{off} {id} - {description}", glyph(state))?;
    }
    let (lon, loff) = match rt.load_state.as_str() {
        "not-found" | "bad-setting" | "error" => colors.red(),
        _ => ("", ""),
    };
    let loaded = loaded_line(&rt.load_state, config);
    let (word, rest) = loaded.split_once(' ').unwrap_or((loaded.as_str(), ""));
    let rest = if rest.is_empty() {
        String::new()
    } else {
        format!(" {rest}")
    };
    writeln!(out, "{}{lon}{word}{loff}{rest}", label("Loaded"))?;
    for line in dropin_lines(config) {
        writeln!(out, "{line}")?;
    }
    active_line(out, rt, colors)?;
    if matches!(state, "inactive" | "failed")
        && rt.active_enter.0 != 0
        && rt.active_exit.0 != 0
        && rt.active_exit.0 >= rt.active_enter.0
    {
        let duration = format_duration(rt.active_exit.0 - rt.active_enter.0);
        writeln!(out, "{}{duration}", label("Duration"))?;
    }
    let is_timer = UnitName::parse(id).is_ok_and(|n| n.unit_type() == UnitType::Timer);
    if is_timer {
        // The next elapse, the monotonic one moved to the realtime clock (calc_next_elapse()).
        let next = rt
            .timer
            .as_ref()
            .map(super::list_timers::next_elapse_now)
            .unwrap_or(0);
        match (format_timestamp(next), format_relative(next)) {
            (Some(at), Some(rel)) => writeln!(out, "{}{at}; {rel}", label("Trigger"))?,
            _ => writeln!(out, "{}n/a", label("Trigger"))?,
        }
    }
    trigger_lines(out, "TriggeredBy", &rt.triggered_by, related, colors)?;
    trigger_lines(out, "Triggers", &rt.triggers, related, colors)?;
    // An unmet Condition…= (listed) or a failed ExecCondition= (nothing to list).
    if !rt.condition_result && rt.condition_timestamp.0 != 0 {
        let at = format_timestamp(rt.condition_timestamp.0).unwrap_or_default();
        let rel = format_relative(rt.condition_timestamp.0)
            .map(|r| format!("; {r}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}start condition failed at {at}{rel}",
            label("Condition")
        )?;
        for line in &rt.failed_conditions {
            writeln!(out, "{}{line}", continuation())?;
        }
    }
    if !rt.assert_result && rt.assert_timestamp.0 != 0 {
        let at = format_timestamp(rt.assert_timestamp.0).unwrap_or_default();
        let rel = format_relative(rt.assert_timestamp.0)
            .map(|r| format!("; {r}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}start assertion failed at {at}{rel}",
            label("Assert")
        )?;
        if let Some(line) = &rt.failed_assert {
            writeln!(out, "{}{line}", continuation())?;
        }
    }
    for (i, doc) in config.documentation.iter().enumerate() {
        let head = if i == 0 {
            label("Docs")
        } else {
            continuation()
        };
        writeln!(out, "{head}{doc}")?;
    }
    socket_lines(out, config, rt.socket)?;
    let main_pid = rt.exec_main.pid;
    let mut control_pid = rt.control_pid;
    for kind in EXEC_ORDER {
        let name = kind.property();
        for (i, command) in config.commands(kind).iter().enumerate() {
            let Some(run) = exec_run(rt, kind, i).filter(|r| r.code != 0) else {
                continue;
            };
            let (on, off) = if clean_exit(run) {
                ("", "")
            } else {
                colors.red()
            };
            writeln!(
                out,
                "{}{} {name}={} {on}({}){off}",
                label("Process"),
                run.pid,
                command,
                describe_exit(run.code, run.status)
            )?;
            // A control process that ended is not shown again below. The main process is: systemd
            // means to skip it too, but its check compares a start time with an exit time.
            if run.pid == control_pid {
                control_pid = 0;
            }
        }
    }
    if main_pid > 0 || control_pid > 0 {
        let mut line = String::new();
        if main_pid > 0 {
            line.push_str(&format!("{}{main_pid}", label("Main PID")));
            if rt.main_pid > 0 {
                if let Some(c) = comm(main_pid) {
                    line.push_str(&format!(" ({c})"));
                }
            } else if rt.exec_main.code > 0 {
                line.push_str(&format!(
                    " ({})",
                    describe_exit(rt.exec_main.code, rt.exec_main.status)
                ));
            }
        }
        if control_pid > 0 {
            if main_pid > 0 {
                line.push_str(&format!("; Control PID: {control_pid}"));
            } else {
                // abbreviated so that it fits the label column
                line.push_str(&format!("{}{control_pid}", label("Cntrl PID")));
            }
            if let Some(c) = comm(control_pid) {
                line.push_str(&format!(" ({c})"));
            }
        }
        writeln!(out, "{line}")?;
    }
    if !rt.status_text.is_empty() {
        writeln!(out, "{}\"{}\"", label("Status"), rt.status_text)?;
    }
    if rt.status_errno > 0 {
        let text = crate::errno::text(&std::io::Error::from_raw_os_error(rt.status_errno));
        writeln!(out, "{}{} ({text})", label("Error"), rt.status_errno)?;
    }
    process_tree(out, config, rt)
}

/// `Active: failed (Result: exit-code) since …; 5s ago`.
fn active_line(out: &mut impl Write, rt: &UnitStatus, colors: Colors) -> std::io::Result<()> {
    let state = rt.active_state.as_str();
    let (on, off) = colors.for_state(state);
    let mut line = if rt.sub_state == state {
        format!("{}{on}{state}{off}", label("Active"))
    } else {
        format!("{}{on}{state} ({}){off}", label("Active"), rt.sub_state)
    };
    if !rt.result.is_empty() && rt.result != "success" {
        line.push_str(&format!(" (Result: {})", rt.result));
    }
    let since = match state {
        "active" | "reloading" => rt.active_enter.0,
        "inactive" | "failed" => rt.inactive_enter.0,
        "activating" => rt.inactive_exit.0,
        _ => rt.active_exit.0,
    };
    match (format_timestamp(since), format_relative(since)) {
        (Some(at), Some(rel)) => line.push_str(&format!(" since {at}; {rel}")),
        (Some(at), None) => line.push_str(&format!(" since {at}")),
        _ => {}
    }
    writeln!(out, "{line}")
}

/// The unit's processes as systemd lists a cgroup: its path, then every process sorted by pid
/// with its command line (`[comm]` when it has none, like a zombie's).
fn process_tree(
    out: &mut impl Write,
    config: &LoadedConfig,
    rt: &UnitStatus,
) -> std::io::Result<()> {
    if rt.processes.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}{}", label("CGroup"), config.control_group)?;
    let mut processes = rt.processes.clone();
    processes.sort_by_key(|(pid, _)| *pid);
    print_processes(out, &continuation(), &processes)
}

/// `-n`/`--lines=`: how many log lines follow (10 by default).
fn journal_lines(ctx: &Ctx) -> Result<usize, Failed> {
    match ctx.opts.lines.as_deref() {
        None => Ok(10),
        Some(n) => n
            .parse()
            .map_err(|_| Failed::new(Exit::Failure, format!("Failed to parse lines '{n}'"))),
    }
}

/// The unit's log since it last left the inactive state (all of it if it never did), the last
/// `lines` entries, after a blank line, as show_journal_by_unit() prints them.
fn print_journal(
    out: &mut impl Write,
    logs: Option<&LogStore>,
    rt: &UnitStatus,
    lines: usize,
) -> std::io::Result<()> {
    let Some(store) = logs else { return Ok(()) };
    if lines == 0 {
        return Ok(());
    }
    let since = rt.inactive_exit.0;
    let records: Vec<_> = store
        .read(&rt.id)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.realtime_usec >= since)
        .collect();
    if records.is_empty() {
        return Ok(());
    }
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default();
    writeln!(out)?;
    for r in &records[records.len().saturating_sub(lines)..] {
        writeln!(out, "{}", render(&rt.id, r, Mode::Short, &host, false))?;
    }
    Ok(())
}

fn write_failed(e: std::io::Error) -> Failed {
    Failed::new(Exit::Failure, format!("Failed to write output: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::protocol::SocketConfig;
    use crate::unit::model::{Listen, SocketSection, TypeSection};

    fn text(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn triggered_by_shows_each_state_and_triggers_always_the_circle() {
        let states: HashMap<String, ActiveState> = [
            ("single.socket".to_string(), ActiveState::Failed),
            ("other.socket".to_string(), ActiveState::Active),
            ("lim@0-332-0.service".to_string(), ActiveState::Failed),
        ]
        .into();
        let by = ["single.socket".to_string(), "other.socket".to_string()];
        assert_eq!(
            text(|o| trigger_lines(o, "TriggeredBy", &by, &states, Colors(false))),
            "TriggeredBy: × single.socket\n             ● other.socket\n"
        );
        let triggers = [
            "lim@0-332-0.service".to_string(),
            "lim@1-332-0.service".to_string(),
        ];
        assert_eq!(
            text(|o| trigger_lines(o, "Triggers", &triggers, &states, Colors(false))),
            "   Triggers: ● lim@0-332-0.service\n             ● lim@1-332-0.service\n"
        );
    }

    #[test]
    fn accepting_sockets_count_connections_and_refusals_only_when_some() {
        let config = LoadedConfig {
            socket: SocketConfig::of(&TypeSection::Socket(SocketSection {
                listen: vec![Listen {
                    kind: "Stream",
                    address: "/run/lim.sock".into(),
                }],
                accept: true,
                ..SocketSection::default()
            })),
            ..LoadedConfig::default()
        };
        let counters = |n_refused| SocketCounters {
            n_accepted: 2,
            n_connections: 2,
            n_refused,
        };
        assert_eq!(
            text(|o| socket_lines(o, &config, Some(counters(2)))),
            "     Listen: /run/lim.sock (Stream)\n   Accepted: 2; Connected: 2;   Refused: 2\n"
        );
        assert_eq!(
            text(|o| socket_lines(o, &config, Some(counters(0)))),
            "     Listen: /run/lim.sock (Stream)\n   Accepted: 2; Connected: 2;\n"
        );
    }
}
