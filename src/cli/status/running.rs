//! `status` of a unit the manager runs (print_status_info() of systemctl-show.c): `Active:` with
//! its state, result and times, the `Process:` lines of the commands that ran, `Main PID:`,
//! `Status:`, the process tree under `CGroup:`, and the unit's last journal lines.

use super::super::journalctl::{render, Mode};
use super::super::show::{exec_run, format_timestamp};
use super::super::{Ctx, Exit, Failed};
use crate::ipc::protocol::{LoadedConfig, UnitDetails, UnitStatus};
use crate::journal::LogStore;
use crate::unit::model::ExecKind;
use crate::unit::name::{UnitName, UnitType};
use crate::unit::state::{ActiveState, ServiceResult, UnitLoadState};
use std::collections::HashMap;
use std::io::Write;

use super::*;

/// `comm` of a live process, as `Main PID: 1234 (sleep)` shows it.
pub(super) fn comm(pid: i32) -> Option<String> {
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

pub(super) fn print_running(
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
    let (lon, loff) = match rt.load_state {
        Some(UnitLoadState::NotFound | UnitLoadState::BadSetting | UnitLoadState::Error) => {
            colors.red()
        }
        _ => ("", ""),
    };
    let loaded = loaded_line(rt.load_state, config);
    let (word, rest) = loaded.split_once(' ').unwrap_or((loaded.as_str(), ""));
    let rest = if rest.is_empty() {
        String::new()
    } else {
        format!(" {rest}")
    };
    writeln!(out, "{}{lon}{word}{loff}{rest}", label("Loaded"))?;
    if config.transient {
        writeln!(out, "{}yes", label("Transient"))?;
    }
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
            .map(super::super::list_timers::next_elapse_now)
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
    docs_lines(out, config)?;
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
    if let Some(result) = rt.result.filter(|r| *r != ServiceResult::Success) {
        line.push_str(&format!(" (Result: {result})"));
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
pub(super) fn journal_lines(ctx: &Ctx) -> Result<usize, Failed> {
    match ctx.opts.lines.as_deref() {
        None => Ok(10),
        Some(n) => n
            .parse()
            .map_err(|_| Failed::new(Exit::Failure, format!("Failed to parse lines '{n}'"))),
    }
}

/// The unit's log since its invocation began (else since it last left the inactive state, all
/// of it if it never did), the last `lines` entries, after a blank line, as
/// show_journal_by_unit() prints them. The invocation's own lines come before its first state
/// change: a command that fails as it is set up is logged before the unit is activating.
pub(super) fn print_journal(
    out: &mut impl Write,
    logs: Option<&LogStore>,
    rt: &UnitStatus,
    lines: usize,
) -> std::io::Result<()> {
    let Some(store) = logs else { return Ok(()) };
    if lines == 0 {
        return Ok(());
    }
    let since = if rt.invocation_usec > 0 {
        rt.invocation_usec
    } else {
        rt.inactive_exit.0
    };
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

/// Processes as a cgroup tree lists them: one per line after `prefix`, with its command line
/// (`[comm]` when it has none, like a zombie's).
pub(super) fn print_processes(
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
pub(super) fn process_start_usec(pid: i32) -> Option<u64> {
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
