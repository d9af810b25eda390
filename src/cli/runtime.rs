//! The runtime verbs of systemctl(1) that change state, as a client of our manager: start, stop,
//! reload and their combinations (systemctl-start-unit.c), isolate, kill, reset-failed,
//! daemon-reload, the shutdown verbs and list-jobs; and how unit names given on the command line
//! are expanded (expand_unit_names()). A verb that changes state starts a manager when none runs
//! (detached: its own session and stdio). Job results are worded as bus-wait-for-jobs.c words
//! them; a stop warns when an active socket, timer or path can start the unit again. The queries
//! are in `queries.rs`.

use super::queries::{call, query_states, query_units, unit_names};
use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::client::{self, connect_running};
use crate::ipc::protocol::{
    JobMode, JobOutcome, JobVerb, KillWhom, Reply, Request, ShutdownAction,
};
use crate::ipc::Connection;
use crate::sys::signal::parse_signal;
use crate::unit::job::JobResult;
use crate::unit::name::{mangle, UnitType};
use crate::unit::state::{ServiceResult, UnitLoadState};

/// The running manager, started if needed.
pub fn connect_or_start() -> Result<Connection, Failed> {
    client::connect_or_start().map_err(|e| Failed::new(Exit::Failure, e.to_string()))
}

/// What systemctl prints when a job did not end `done` (bus-wait-for-jobs.c).
fn job_failure(
    unit: &str,
    result: JobResult,
    service_result: Option<ServiceResult>,
) -> Option<String> {
    let see =
        format!("See \"systemctl status {unit}\" and \"journalctl -xeu {unit}\" for details.");
    Some(match result {
        JobResult::Done | JobResult::Skipped => return None,
        JobResult::Canceled => format!("Job for {unit} canceled."),
        JobResult::Timeout => format!("Job for {unit} timed out."),
        JobResult::Dependency => {
            format!("A dependency job for {unit} failed. See 'journalctl -xe' for details.")
        }
        JobResult::Invalid => format!("{unit} is not active, cannot reload."),
        JobResult::Assert => format!("Assertion failed on job for {unit}."),
        JobResult::Unsupported => {
            format!("Operation on or unit type of {unit} not supported on this system.")
        }
        JobResult::Collected => format!("Queued job for {unit} was garbage collected."),
        JobResult::Once => {
            format!("Unit {unit} was started already once and can't be started again.")
        }
        JobResult::Failed if unit.ends_with(".service") => {
            let why = match service_result {
                Some(ServiceResult::Resources) => {
                    Some("of unavailable resources or another system error")
                }
                Some(ServiceResult::Protocol) => {
                    Some("the service did not take the steps required by its unit configuration")
                }
                Some(ServiceResult::Timeout) => Some("a timeout was exceeded"),
                Some(ServiceResult::ExitCode) => Some("the control process exited with error code"),
                Some(ServiceResult::Signal) => {
                    Some("a fatal signal was delivered to the control process")
                }
                Some(ServiceResult::CoreDump) => {
                    Some("a fatal signal was delivered causing the control process to dump core")
                }
                Some(ServiceResult::Watchdog) => Some("the service failed to send watchdog ping"),
                Some(ServiceResult::StartLimitHit) => {
                    Some("start of the service was attempted too often")
                }
                _ => None,
            };
            match why {
                Some(why) => format!("Job for {unit} failed because {why}.\n{see}"),
                None => format!("Job for {unit} failed.\n{see}"),
            }
        }
        JobResult::Failed => "Job failed. See \"journalctl -xe\" for details.".to_string(),
    })
}

/// systemctl's `job_type` word for a verb, used in its error messages.
fn job_word(verb: &str) -> &'static str {
    match verb {
        "start" => "start",
        "stop" | "condstop" => "stop",
        "reload" => "reload",
        "restart" => "restart",
        "try-restart" | "condrestart" => "try-restart",
        "reload-or-restart" => "reload-or-restart",
        _ => "reload-or-try-restart",
    }
}

fn job_verb(verb: &str) -> JobVerb {
    match job_word(verb) {
        "start" => JobVerb::Start,
        "stop" => JobVerb::Stop,
        "reload" => JobVerb::Reload,
        "restart" => JobVerb::Restart,
        "try-restart" => JobVerb::TryRestart,
        "reload-or-restart" => JobVerb::ReloadOrRestart,
        _ => JobVerb::ReloadOrTryRestart,
    }
}

fn verb_of(ctx: &Ctx) -> String {
    ctx.opts.words.first().cloned().unwrap_or_default()
}

/// start, stop, restart, reload and the rest of systemctl-start-unit.c's table.
pub fn job(ctx: &Ctx, args: &[String]) -> VerbResult {
    run_job(ctx, &verb_of(ctx), args)
}

/// Queue `verb` for `args` and wait for the jobs (unless `--no-block`); also the runtime half
/// of `enable --now` and friends.
pub fn run_job(ctx: &Ctx, verb: &str, args: &[String]) -> VerbResult {
    let units = unit_names(ctx, args)?;
    let mode = job_mode(ctx, job_word(verb), &units)?;
    send_jobs(ctx, verb, units, mode)
}

/// `--job-mode=`, with `--ignore-dependencies` as its shorthand. The manager checks the name:
/// its refusal names the first unit.
fn job_mode(ctx: &Ctx, word: &str, units: &[String]) -> Result<JobMode, Failed> {
    if ctx.opts.ignore_dependencies {
        return Ok(JobMode::IgnoreDependencies);
    }
    let Some(m) = ctx.opts.job_mode.as_deref() else {
        return Ok(JobMode::Replace);
    };
    JobMode::parse(m).ok_or_else(|| {
        let unit = units.first().map(String::as_str).unwrap_or_default();
        Failed::new(
            Exit::Failure,
            format!("Failed to {word} {unit}: Job mode {m} invalid"),
        )
    })
}

fn send_jobs(ctx: &Ctx, verb: &str, units: Vec<String>, mode: JobMode) -> VerbResult {
    let mut conn = connect_or_start()?;
    let reply = call(
        &mut conn,
        &Request::Job {
            verb: job_verb(verb),
            units: units.clone(),
            no_block: ctx.opts.no_block,
            mode,
        },
    )?;
    let word = job_word(verb);
    match reply {
        Reply::AccessDenied => {
            for u in &units {
                eprintln!("Failed to {word} {u}: Access denied");
                eprintln!("See system logs and 'systemctl status {u}' for details.");
            }
            Ok(Exit::Unknown)
        }
        Reply::Jobs(outcomes) => {
            let mut exit = Exit::Success;
            let mut all_done = true;
            let mut stopped: Vec<String> = Vec::new();
            for outcome in outcomes {
                match outcome {
                    JobOutcome::Refused {
                        unit,
                        message,
                        exit: code,
                    } => {
                        eprintln!("Failed to {word} {unit}: {message}");
                        // start_unit_one(): every refusal but these points at the logs.
                        if !matches!(code, 3 | 5) && !message.ends_with(" is masked.") {
                            eprintln!("See system logs and 'systemctl status {unit}' for details.");
                        }
                        exit = exit_from(code);
                    }
                    JobOutcome::Finished {
                        unit,
                        result,
                        service_result,
                    } => {
                        if let Some(message) = job_failure(&unit, result, service_result) {
                            eprintln!("{message}");
                            exit = Exit::Failure;
                            all_done = false;
                        }
                        stopped.push(unit);
                    }
                    JobOutcome::Queued { .. } => {}
                }
            }
            // verb_start(): once every job finished well (and only when it waited for them),
            // a stop warns about what can start the unit again.
            if word == "stop" && all_done && !ctx.opts.quiet {
                for unit in &stopped {
                    warn_triggering_units(unit);
                }
            }
            Ok(exit)
        }
        Reply::Error(e) => Err(Failed::new(Exit::Failure, e)),
        _ => Err(Failed::new(
            Exit::Failure,
            "Unexpected reply from the manager.",
        )),
    }
}

/// check_triggering_units(): a stopped unit that a socket, timer or path still active can start
/// again is named on stderr with those units; masked units cannot start, so they are skipped.
fn warn_triggering_units(unit: &str) {
    let Some(status) = query_units(&[unit.to_string()], false).and_then(|mut v| v.pop()) else {
        return;
    };
    if status.load_state == Some(UnitLoadState::Masked) || status.triggered_by.is_empty() {
        return;
    }
    let states = query_states(&status.triggered_by).unwrap_or_default();
    let active: Vec<&String> = status
        .triggered_by
        .iter()
        .zip(states)
        .filter(|(_, (_, active))| active.is_active_or_reloading())
        .map(|(name, _)| name)
        .collect();
    if active.is_empty() {
        return;
    }
    eprintln!("Warning: Stopping {unit}, but it can still be activated by:");
    for name in active {
        eprintln!("  {name}");
    }
}

/// `isolate UNIT` (a bare name is a target) and `default` (isolate default.target).
pub fn isolate(ctx: &Ctx, args: &[String]) -> VerbResult {
    let unit = match args.first() {
        Some(a) => mangle(a, UnitType::Target)
            .map(|n| n.as_str().to_string())
            .map_err(|e| Failed::new(Exit::Failure, format!("Failed to mangle unit name: {e}")))?,
        None => "default.target".to_string(),
    };
    send_jobs(ctx, "start", vec![unit], JobMode::Isolate)
}

/// `halt`, `poweroff`, `reboot` and `exit [N]`: the manager stops every unit in order and ends;
/// as the container's init, that ends the container with the exit code.
pub fn shutdown(ctx: &Ctx, args: &[String]) -> VerbResult {
    let verb = verb_of(ctx);
    let action = match verb.as_str() {
        "halt" => ShutdownAction::Halt,
        "poweroff" => ShutdownAction::Poweroff,
        "reboot" => ShutdownAction::Reboot,
        _ => ShutdownAction::Exit,
    };
    let exit_code = match (action, args.first()) {
        (ShutdownAction::Exit, Some(a)) => Some(
            a.parse::<u8>()
                .map_err(|_| Failed::new(Exit::Failure, format!("Invalid exit code: {a}")))?,
        ),
        _ => None,
    };
    if super::online::offline_requested() {
        eprintln!("Running in chroot, ignoring command '{verb}'");
        return Ok(Exit::Success);
    }
    let Some(mut conn) = connect_running() else {
        return super::online::needs_manager(ctx, args);
    };
    match call(&mut conn, &Request::Shutdown { action, exit_code })? {
        Reply::Done => Ok(Exit::Success),
        Reply::AccessDenied => Err(shutdown_denied(action, exit_code, ctx.opts.force > 0)),
        Reply::Error(e) => Err(Failed::new(Exit::Failure, e)),
        _ => Err(Failed::new(
            Exit::Failure,
            "Unexpected reply from the manager.",
        )),
    }
}

/// What systemctl 252 says when a caller who may not shut the system down tries
/// (systemctl-start-special.c, checked with systemd 252 as PID 1 without polkit): halt,
/// poweroff and reboot ask logind first and stop at its refusal, or with `--force` call the
/// manager's method directly; `exit N` sets the exit code first; a bare `exit` starts
/// exit.target as a job, refused as jobs are.
fn shutdown_denied(action: ShutdownAction, exit_code: Option<u8>, force: bool) -> Failed {
    let logind_method = match action {
        ShutdownAction::Halt => Some("Halt"),
        ShutdownAction::Poweroff => Some("PowerOff"),
        ShutdownAction::Reboot => Some("Reboot"),
        ShutdownAction::Exit => None,
    };
    let message = match (logind_method, exit_code) {
        (Some(_), _) if force => "Failed to execute operation: Access denied".to_string(),
        (Some(method), _) => format!("Call to {method} failed: Access denied"),
        (None, Some(_)) => "Failed to set exit code: Access denied".to_string(),
        (None, None) => {
            return Failed::new(
                Exit::Unknown,
                "Failed to start exit.target: Access denied\n\
                 See system logs and 'systemctl status exit.target' for details.",
            )
        }
    };
    Failed::new(Exit::Failure, message)
}

/// `list-jobs`: the queue as systemctl's table, or "No jobs running.".
pub fn list_jobs(ctx: &Ctx, args: &[String]) -> VerbResult {
    let jobs = match connect_running().map(|mut c| call(&mut c, &Request::ListJobs)) {
        Some(Ok(Reply::JobList(jobs))) => jobs,
        _ => Vec::new(),
    };
    let jobs: Vec<_> = jobs
        .into_iter()
        .filter(|j| {
            args.is_empty()
                || args
                    .iter()
                    .any(|p| crate::sys::glob::glob_match(p, &j.unit))
        })
        .collect();
    let legend = ctx.legend();
    if jobs.is_empty() {
        if legend {
            println!("No jobs running.");
        }
        return Ok(Exit::Success);
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                j.id.to_string(),
                j.unit.clone(),
                j.kind.to_string(),
                j.state.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        super::table::render(&["JOB", "UNIT", "TYPE", "STATE"], &rows, legend)
    );
    if legend {
        println!("\n{} jobs listed.", jobs.len());
    }
    Ok(Exit::Success)
}

fn exit_from(code: u8) -> Exit {
    match code {
        3 => Exit::NotRunning,
        4 => Exit::Unknown,
        5 => Exit::NotInstalled,
        6 => Exit::NotConfigured,
        0 => Exit::Success,
        _ => Exit::Failure,
    }
}

pub fn kill(ctx: &Ctx, args: &[String]) -> VerbResult {
    let units = unit_names(ctx, args)?;
    let signal = match &ctx.opts.signal {
        None => libc::SIGTERM,
        Some(s) => parse_signal(s).ok_or_else(|| {
            Failed::new(
                Exit::Failure,
                format!("Failed to parse signal string \"{s}\"."),
            )
        })?,
    };
    let whom = match ctx.opts.kill_whom.as_deref() {
        None | Some("all") => KillWhom::All,
        Some("main") => KillWhom::Main,
        Some("control") => KillWhom::Control,
        Some(other) => {
            return Err(Failed::new(
                Exit::Failure,
                format!("Invalid --kill-whom= value: {other}"),
            ))
        }
    };
    let Some(mut conn) = connect_running() else {
        return Ok(Exit::Success);
    };
    match call(
        &mut conn,
        &Request::Kill {
            units: units.clone(),
            whom,
            signal,
        },
    )? {
        // systemctl's kill reports each unit and exits 1 (not 4: it does not translate the
        // bus error as job verbs do).
        Reply::AccessDenied => {
            for u in &units {
                eprintln!("Failed to kill unit {u}: Access denied");
            }
            Ok(Exit::Failure)
        }
        Reply::Error(e) => Err(Failed::new(
            Exit::Failure,
            format!("Failed to kill unit {}: {e}", units.join(" ")),
        )),
        _ => Ok(Exit::Success),
    }
}

pub fn reset_failed(ctx: &Ctx, args: &[String]) -> VerbResult {
    let units = unit_names(ctx, args)?;
    let Some(mut conn) = connect_running() else {
        return Ok(Exit::Success);
    };
    match call(
        &mut conn,
        &Request::ResetFailed {
            units: units.clone(),
        },
    )? {
        // Without units systemctl calls the manager's ResetFailed() through its generic
        // method caller, which words every error the same way; with units, one line each.
        // Both exit 1.
        Reply::AccessDenied if units.is_empty() => Err(Failed::new(
            Exit::Failure,
            "Failed to execute operation: Access denied",
        )),
        Reply::AccessDenied => {
            for u in &units {
                eprintln!("Failed to reset failed state of unit {u}: Access denied");
            }
            Ok(Exit::Failure)
        }
        Reply::UnitErrors(errors) => {
            for (u, e) in errors {
                eprintln!("Failed to reset failed state of unit {u}: {e}");
            }
            Ok(Exit::Failure)
        }
        _ => Ok(Exit::Success),
    }
}

/// `daemon-reload` of a manager that runs, if any; nothing to do otherwise.
pub fn reload_running_manager() {
    if let Some(mut conn) = connect_running() {
        let _ = call(&mut conn, &Request::DaemonReload);
    }
}

pub fn daemon_reload(ctx: &Ctx, args: &[String]) -> VerbResult {
    let Some(mut conn) = connect_running().filter(|_| ctx.opts.root.is_none()) else {
        return super::online::daemon_reload(ctx, args);
    };
    match call(&mut conn, &Request::DaemonReload)? {
        Reply::AccessDenied => {
            let what = if verb_of(ctx) == "daemon-reexec" {
                "Reexecute daemon"
            } else {
                "Reload daemon"
            };
            Err(Failed::new(
                Exit::Failure,
                format!("{what} failed: Access denied"),
            ))
        }
        _ => Ok(Exit::Success),
    }
}

/// `set-property UNIT Markers=…`: accepted (markers only steer `--marked`), anything else refused.
/// `set-property UNIT KEY=VALUE…` (systemctl-set-property.c): the assignments made typed as
/// 252's client makes them for the unit's type (a key it does not know for that type stops
/// here), then SetUnitProperties() for each unit the name expands to.
pub fn set_property(ctx: &Ctx, args: &[String]) -> VerbResult {
    let units = unit_names(ctx, &args[..1])?;
    let Some(mut conn) = connect_running() else {
        return super::online::needs_manager(ctx, args);
    };
    let mut exit = Exit::Success;
    for unit in units {
        let t = crate::unit::name::UnitName::parse(&unit)
            .map(|n| n.unit_type())
            .map_err(|_| Failed::new(Exit::Failure, format!("Invalid unit type: {unit}")))?;
        let mut properties = Vec::new();
        for assignment in &args[1..] {
            let pairs = crate::bus::transient::assignment(t, assignment)
                .map_err(|e| Failed::new(Exit::Failure, e))?;
            for (name, value) in pairs {
                properties.push((name, crate::bus::set_property::property_value(&value)));
            }
        }
        let request = Request::SetUnitProperties {
            unit: unit.clone(),
            runtime: ctx.opts.runtime,
            properties,
        };
        let error = match call(&mut conn, &request)? {
            Reply::Done => continue,
            Reply::AccessDenied => "Access denied".to_string(),
            Reply::BusError { message, .. } | Reply::Error(message) => message,
            _ => "Unexpected answer from the manager.".to_string(),
        };
        eprintln!("Failed to set unit properties on {unit}: {error}");
        exit = Exit::Failure;
    }
    Ok(exit)
}
