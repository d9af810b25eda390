//! The runtime verbs of systemctl(1) as a client of our manager: start, stop, reload and their
//! combinations (systemctl-start-unit.c), kill, reset-failed, and the queries is-active,
//! is-failed, is-system-running, list-units. A verb that changes state starts a manager when none
//! runs (detached: its own session and stdio); a query never does, and with no manager answers
//! from the state a killed manager left, or for a system where nothing runs. Job results are
//! worded as bus-wait-for-jobs.c words them; a stop warns when an active socket, timer or path
//! can start the unit again.

use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::client::{self, ask_in_chunks, connect_running};
use crate::ipc::context::RuntimeContext;
use crate::ipc::protocol::{
    JobMode, JobOutcome, JobVerb, KillWhom, Reply, Request, ShutdownAction, UnitDetails, UnitStatus,
};
use crate::ipc::saved_state::{current_boot_id, SavedState};
use crate::ipc::Connection;
use crate::sys::glob::glob_match;
use crate::sys::signal::parse_signal;
use crate::unit::job::{JobKind, JobResult};
use crate::unit::name::{mangle, mangle_escape, UnitName, UnitType};
use crate::unit::state::{ActiveState, ServiceResult, UnitLoadState};

/// The running manager, started if needed.
pub fn connect_or_start() -> Result<Connection, Failed> {
    client::connect_or_start().map_err(|e| Failed::new(Exit::Failure, e.to_string()))
}

fn call(conn: &mut Connection, request: &Request) -> Result<Reply, Failed> {
    conn.call(request)
        .map_err(|e| Failed::new(Exit::Failure, e.to_string()))
}

/// expand_unit_names(): each name mangled, and each glob of valid characters replaced by the
/// loaded units it matches (none when nothing matches, or no manager runs), in name order.
fn unit_names(ctx: &Ctx, args: &[String]) -> Result<Vec<String>, Failed> {
    let mut names = Vec::new();
    let mut loaded: Option<Vec<String>> = None;
    for a in args {
        if is_valid_glob(a) {
            let all = loaded.get_or_insert_with(|| {
                let mut ids: Vec<String> = loaded_units().into_iter().map(|u| u.id).collect();
                ids.sort();
                ids
            });
            names.extend(all.iter().filter(|id| glob_match(a, id)).cloned());
            continue;
        }
        warn_escaped(ctx, a);
        let name = mangle(a, UnitType::Service)
            .map_err(|e| Failed::new(Exit::Failure, format!("Failed to mangle unit name: {e}")))?;
        names.push(name.as_str().to_string());
    }
    Ok(names)
}

/// string_is_glob() && in_charset(VALID_CHARS_GLOB): a pattern to expand, not a name to escape.
fn is_valid_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '['])
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":-_.\\@[]!*?".contains(&b))
}

/// unit_name_mangle_with_suffix()'s notice (UNIT_NAME_MANGLE_WARN, which expand_unit_names()
/// passes unless `--quiet`) for a name that had to be escaped; a path or a glob of valid
/// characters is not escaped and gets none.
pub(super) fn warn_escaped(ctx: &Ctx, arg: &str) {
    if ctx.opts.quiet || arg.starts_with('/') || is_valid_glob(arg) || UnitName::is_valid(arg) {
        return;
    }
    let escaped = mangle_escape(arg);
    if escaped != arg {
        eprintln!(
            "Invalid unit name \"{arg}\" escaped as \"{escaped}\" (maybe you should use systemd-escape?)."
        );
    }
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

/// The runtime state of `units` from the manager; with none running, from the state a killed
/// manager left behind (checked against what still lives); `None` when there is neither.
pub fn query_units(units: &[String], from_others: bool) -> Option<Vec<UnitStatus>> {
    if let Some(mut conn) = connect_running() {
        let answered = ask_in_chunks(
            &mut conn,
            units,
            |units| Request::Units { units, from_others },
            |reply| match reply {
                Reply::Units(u) => Some(u),
                _ => None,
            },
        );
        if answered.is_some() {
            return answered;
        }
    }
    let ctx = RuntimeContext::find_running()?;
    let (saved, _) = SavedState::load(&ctx.state_file(), &current_boot_id());
    Some(
        units
            .iter()
            .map(|u| match saved.units.get(u) {
                Some(r) => UnitStatus {
                    id: u.clone(),
                    load_state: Some(UnitLoadState::Loaded),
                    active_state: r.active_state,
                    sub_state: r.sub_state.clone(),
                    result: Some(r.result),
                    main_pid: r.main_pid.map(|p| p.pid).unwrap_or(0),
                    ..UnitStatus::default()
                },
                None => UnitStatus {
                    id: u.clone(),
                    active_state: ActiveState::Inactive,
                    sub_state: "dead".into(),
                    ..UnitStatus::default()
                },
            })
            .collect(),
    )
}

/// What `status` shows of `units`, from the running manager in one request (per
/// [`crate::ipc::UNITS_PER_REQUEST`] units); `None` when no manager answers it.
pub(super) fn query_details(units: &[String]) -> Option<Vec<UnitDetails>> {
    let mut conn = connect_running()?;
    ask_in_chunks(
        &mut conn,
        units,
        |units| Request::UnitDetails { units },
        |reply| match reply {
            Reply::Details(d) => Some(d),
            _ => None,
        },
    )
}

/// (load state, active state) of `units`, as [`query_units`] finds them.
pub(super) fn query_states(units: &[String]) -> Option<Vec<(Option<UnitLoadState>, ActiveState)>> {
    if let Some(mut conn) = connect_running() {
        let answered = ask_in_chunks(
            &mut conn,
            units,
            |units| Request::States { units },
            |reply| match reply {
                Reply::States(s) => Some(s.into_iter().map(|(l, a)| (Some(l), a)).collect()),
                _ => None,
            },
        );
        if answered.is_some() {
            return answered;
        }
    }
    query_units(units, false).map(|v| {
        v.into_iter()
            .map(|s| (s.load_state, s.active_state))
            .collect()
    })
}

pub fn is_active(ctx: &Ctx, args: &[String]) -> VerbResult {
    let units = unit_names(ctx, args)?;
    let Some(states) = query_states(&units) else {
        return super::online::is_active(ctx, args);
    };
    // check_unit_generic() of 252: 3 unless one is up, whether or not the units exist (later
    // versions answer 4 for units that do not).
    let mut any_active = false;
    for (name, (_, active)) in units.iter().zip(&states) {
        refuse_template(name)?;
        if !ctx.opts.quiet {
            println!("{active}");
        }
        any_active |= active.is_active_or_reloading();
    }
    Ok(if any_active {
        Exit::Success
    } else {
        Exit::NotRunning
    })
}

/// get_state_one_unit()'s error for a template without an instance: no unit object has that
/// name, and the verb stops there.
fn refuse_template(name: &str) -> Result<(), Failed> {
    match UnitName::parse(name) {
        Ok(n) if n.is_template() => Err(Failed::new(
            Exit::Failure,
            format!(
                "Failed to retrieve unit state: Unit name {n} is neither a valid invocation ID \
                 nor unit name."
            ),
        )),
        _ => Ok(()),
    }
}

pub fn is_failed(ctx: &Ctx, args: &[String]) -> VerbResult {
    let units = unit_names(ctx, args)?;
    let Some(states) = query_states(&units) else {
        return super::online::is_failed(ctx, args);
    };
    let mut any_failed = false;
    for (name, (_, active)) in units.iter().zip(&states) {
        refuse_template(name)?;
        if !ctx.opts.quiet {
            println!("{active}");
        }
        any_failed |= *active == ActiveState::Failed;
    }
    Ok(if any_failed {
        Exit::Success
    } else {
        Exit::Failure
    })
}

pub fn is_system_running(ctx: &Ctx, args: &[String]) -> VerbResult {
    let Some(mut conn) = connect_running() else {
        return super::online::is_system_running(ctx, args);
    };
    let state = match call(&mut conn, &Request::SystemState)? {
        Reply::SystemState(s) => s,
        _ => "unknown".to_string(),
    };
    if !ctx.opts.quiet {
        println!("{state}");
    }
    Ok(if state == "running" {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// The running manager's `is-system-running` word, if a manager runs.
pub fn system_state() -> Option<String> {
    let mut conn = connect_running()?;
    match call(&mut conn, &Request::SystemState) {
        Ok(Reply::SystemState(s)) => Some(s),
        _ => None,
    }
}

/// GetUnitByPID() of the running manager: `None` when no manager runs or no unit owns `pid`.
pub fn unit_of_pid(pid: u32) -> Option<String> {
    let mut conn = connect_running()?;
    match call(&mut conn, &Request::UnitOfPid { pid }) {
        Ok(Reply::UnitOfPid(unit)) => unit,
        _ => None,
    }
}

/// Every unit the manager has loaded (nothing when none runs).
pub fn loaded_units() -> Vec<UnitStatus> {
    let Some(mut conn) = connect_running() else {
        return Vec::new();
    };
    match call(&mut conn, &Request::ListUnits) {
        Ok(Reply::Units(u)) => u,
        _ => Vec::new(),
    }
}

/// `--state=` with `--failed` and the load states `-t` takes, which filter alike.
pub(super) fn state_filter(ctx: &Ctx) -> Vec<String> {
    let mut states: Vec<String> = ctx.opts.state.clone();
    if ctx.opts.failed {
        states.push("failed".into());
    }
    states.extend(
        ctx.opts
            .types
            .iter()
            .filter(|t| UnitType::parse(t).is_none())
            .cloned(),
    );
    states
}

/// The loaded units the list verbs show (systemctl's output_show_unit()): those matching one of
/// `patterns` (all when there are none), of a `-t` type, in one of `states`, and without
/// `--all` or a state filter none that is inactive without a job.
pub(super) fn shown_units(ctx: &Ctx, patterns: &[String], states: &[String]) -> Vec<UnitStatus> {
    let all = ctx.opts.all > 0;
    let types = ctx.opts.unit_types();
    loaded_units()
        .into_iter()
        .filter(|u| {
            patterns.is_empty()
                || patterns
                    .iter()
                    .any(|p| crate::sys::glob::glob_match(p, &u.id))
        })
        .filter(|u| {
            types.is_empty()
                || crate::unit::name::UnitName::parse(&u.id)
                    .is_ok_and(|n| types.contains(&n.unit_type()))
        })
        .filter(|u| {
            if !states.is_empty() {
                return states.iter().any(|s| {
                    s == u.active_state.as_str() || *s == u.sub_state || s == u.load_state_word()
                });
            }
            all || u.active_state != ActiveState::Inactive || u.job.is_some()
        })
        .collect()
}

/// `list-units` as systemctl-list-units.c prints it: units sorted by type, then name; a `●` for
/// units that failed or did not load; a JOB column only while some unit has a job; the legend and
/// a count whose wording depends on `--all` and `--state=`.
pub fn list_units(ctx: &Ctx, args: &[String]) -> VerbResult {
    let all = ctx.opts.all > 0;
    let states = state_filter(ctx);
    let mut rows = shown_units(ctx, args, &states);
    // unit_info_compare(): by type suffix, then by name, both ignoring case.
    let sort_key = |u: &UnitStatus| {
        let suffix = u.id.rsplit_once('.').map_or("", |(_, t)| t).to_lowercase();
        (suffix, u.id.to_lowercase())
    };
    rows.sort_by_key(sort_key);
    let legend = ctx.legend();
    let plain = ctx.opts.plain;
    let with_jobs = rows.iter().any(|u| u.job.is_some());
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|u| {
            let circle = matches!(
                u.load_state,
                Some(
                    UnitLoadState::Error
                        | UnitLoadState::NotFound
                        | UnitLoadState::BadSetting
                        | UnitLoadState::Masked
                )
            ) || u.active_state == ActiveState::Failed;
            let unit = match (plain, circle) {
                (true, _) => u.id.clone(),
                (false, true) => format!("● {}", u.id),
                (false, false) => format!("  {}", u.id),
            };
            let mut row = vec![
                unit,
                u.load_state_word().to_string(),
                u.active_state.to_string(),
                u.sub_state.clone(),
            ];
            if with_jobs {
                row.push(u.job.map_or("", JobKind::as_str).to_string());
            }
            row.push(if u.description.is_empty() {
                u.id.clone()
            } else {
                u.description.clone()
            });
            row
        })
        .collect();
    let mut header = vec![
        if plain { "UNIT" } else { "  UNIT" },
        "LOAD",
        "ACTIVE",
        "SUB",
    ];
    if with_jobs {
        header.push("JOB");
    }
    header.push("DESCRIPTION");
    print!("{}", super::table::render(&header, &table, legend));
    if legend {
        if !rows.is_empty() {
            println!();
            println!("LOAD   = Reflects whether the unit definition was properly loaded.");
            println!("ACTIVE = The high-level unit activation state, i.e. generalization of SUB.");
            println!("SUB    = The low-level unit activation state, values depend on unit type.");
            if with_jobs {
                println!("JOB    = Pending job for the unit.");
            }
        }
        let n = rows.len();
        let list_files = "To show all installed unit files use 'systemctl list-unit-files'.";
        if all || states.iter().any(|s| s == "inactive") {
            println!("{n} loaded units listed.\n{list_files}");
        } else if states.is_empty() {
            println!(
                "{n} loaded units listed. Pass --all to see loaded but inactive units, too.\n{list_files}"
            );
        } else {
            println!("{n} loaded units listed.");
        }
    }
    Ok(Exit::Success)
}

/// `set-property UNIT Markers=…`: accepted (markers only steer `--marked`), anything else refused.
pub fn set_property(_ctx: &Ctx, args: &[String]) -> VerbResult {
    for assignment in args.iter().skip(1) {
        let key = assignment.split('=').next().unwrap_or("");
        if key != "Markers" {
            return Err(Failed::new(
                Exit::Failure,
                format!("Failed to set unit properties on {}: Cannot set property {key}, or unknown property.", args[0]),
            ));
        }
    }
    Ok(Exit::Success)
}
