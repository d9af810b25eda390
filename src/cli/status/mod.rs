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

use super::show::{format_timestamp, runtime_states};
use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::context::RuntimeContext;
use crate::ipc::protocol::{LoadedConfig, SocketCounters, UnitDetails, UnitStatus};
use crate::journal::LogStore;
use crate::unit::load::{load_or_shipped, NameMap};
use crate::unit::name::{mangle, UnitName, UnitType};
use crate::unit::state::{ActiveState, UnitLoadState};

mod format;
pub(super) use format::format_duration;
mod offline;
mod running;
use format::*;
pub(super) use format::{format_relative, glyph, Colors};
use offline::*;
use running::*;

/// The label column: labels end here, values start one space after.
const LABEL_WIDTH: usize = 12;

fn label(name: &str) -> String {
    format!("{:>width$} ", format!("{name}:"), width = LABEL_WIDTH)
}

fn continuation() -> String {
    " ".repeat(LABEL_WIDTH + 1)
}

/// `Loaded:`'s value for a unit in `load_state` (systemd's word for it).
fn loaded_line(load_state: Option<UnitLoadState>, config: &LoadedConfig) -> String {
    match load_state {
        // print_status_info(): a unit with no file (a slice, a target made from what systemd
        // ships) is just "loaded".
        Some(UnitLoadState::Loaded) if config.fragment_path.is_none() => "loaded".to_string(),
        Some(UnitLoadState::Loaded) => {
            // print_status_info(): the source a generator worked from, else the fragment.
            let path = config
                .source_path
                .as_ref()
                .or(config.fragment_path.as_ref())
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
            let other = other.map_or("", UnitLoadState::as_str);
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
        loaded_line(status.load_state, config)
    )?;
    for line in dropin_lines(config) {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{}inactive (dead)", label("Active"))?;
    docs_lines(out, config)?;
    socket_lines(out, config, None)
}

/// `Docs:` with the first Documentation= entry, the others under it.
fn docs_lines(out: &mut impl Write, config: &LoadedConfig) -> std::io::Result<()> {
    for (i, doc) in config.documentation.iter().enumerate() {
        let head = if i == 0 {
            label("Docs")
        } else {
            continuation()
        };
        writeln!(out, "{head}{doc}")?;
    }
    Ok(())
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
    // A number is a process (lookup_unit_by_pid()): its unit, or an error for that argument
    // alone, which fails the verb once the others are shown.
    let mut pid_failed = false;
    let mut resolved: Vec<String> = Vec::new();
    for arg in args {
        match arg.parse::<u32>() {
            Ok(pid) if ctx.opts.root.is_none() => match super::queries::unit_of_pid(pid) {
                Some(unit) => resolved.push(unit),
                None => {
                    eprintln!(
                        "Failed to get unit for PID {pid}: PID {pid} does not belong to any \
                         loaded unit."
                    );
                    pid_failed = true;
                }
            },
            _ => resolved.push(arg.clone()),
        }
    }
    if pid_failed {
        if !resolved.is_empty() {
            status(ctx, &resolved)?;
        }
        return Ok(Exit::Failure);
    }
    let args = resolved.as_slice();
    let names = args
        .iter()
        .map(|arg| {
            super::queries::warn_escaped(ctx, arg);
            mangle(arg, UnitType::Service)
                .map_err(|e| Failed::new(Exit::Failure, format!("Failed to mangle unit name: {e}")))
        })
        .collect::<Result<Vec<UnitName>, Failed>>()?;
    // As `show`: the units before a template without an instance, then the manager's error.
    if let Some(k) = names.iter().position(UnitName::is_template) {
        if k > 0 {
            status(ctx, &args[..k])?;
            println!();
        }
        return Err(Failed::new(
            Exit::Failure,
            super::show::not_a_unit_object(&names[k]),
        ));
    }
    let ids: Vec<String> = names.iter().map(|n| n.as_str().to_string()).collect();
    if ctx.opts.root.is_none() {
        if let Some(details) = super::queries::query_details(&ids) {
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
        super::queries::system_state(),
        RuntimeContext::find_running(),
    ) else {
        return super::online::needs_manager(ctx, args);
    };
    let units = super::queries::loaded_units();
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
        let unit_exit = if rt.load_state == Some(UnitLoadState::NotFound)
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
    let answers = super::queries::query_states(&names).unwrap_or_default();
    names
        .into_iter()
        .zip(answers)
        .map(|(name, (_, active))| (name, active))
        .collect()
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
