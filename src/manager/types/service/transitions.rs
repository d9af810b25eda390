//! The service state machine of service.c: starting through ExecCondition=, ExecStartPre=,
//! ExecStart= (readiness per Type=), ExecStartPost=; reloading; stopping through ExecStop=, the
//! kill signals of systemd.kill(5) per KillMode=, ExecStopPost= and the final signals; timeouts
//! and the watchdog; `Result=` and automatic restarts with their start limit.
//!
//! The decisions only: every effect (spawning, signalling, timers, state changes with what they
//! set off, PID files, log lines) is asked of a [`ServiceSeam`], so that the machine runs on
//! synthetic events in the tests (`machine_tests.rs`) as it runs on the manager's.

use std::time::Duration;

use super::exec::{describe_exit, new_invocation_id, NotRun, Role};
use super::seam::ServiceSeam;
use super::{ExitInfo, KillMode, ServiceType, SubState, CLD_EXITED};
use crate::ipc::protocol::ExecRun;
use crate::ipc::saved_state::ActiveState;
use crate::manager::unit::ServiceRuntime;
use crate::sys::time::now_stamp;
use crate::unit::model::ExecKind;
use crate::unit::name::UnitType;
use crate::unit::state::ServiceResult;
use crate::unit::timespan::Usec;

/// The first failure is the unit's `Result=`.
fn set_result(s: &mut impl ServiceSeam, f: ServiceResult) {
    if s.svc().result == ServiceResult::Success {
        s.svc().result = f;
    }
}

impl ServiceRuntime {
    /// A fresh invocation at a start: a new invocation id, the results, processes, status and
    /// condition results of the last one cleared.
    pub(in crate::manager) fn reset_for_start(&mut self) {
        self.result = ServiceResult::Success;
        self.reload_result = ServiceResult::Success;
        self.exec_main = ExecRun::default();
        self.exec_runs.clear();
        self.main_pid = None;
        self.control_pid = None;
        self.control = None;
        self.invocation_id = new_invocation_id();
        self.invocation_usec = now_stamp().0;
        self.sessions.clear();
        self.forbid_restart = false;
        self.restarting = false;
        self.status_text.clear();
        self.status_errno = 0;
        self.notified_ready = false;
        self.bus_name_watched = false;
        self.condition_result = true;
        self.failed_conditions.clear();
        self.assert_result = true;
        self.failed_assert = None;
        self.last_main_exit = None;
        self.condition_stamp = now_stamp();
    }
}

/// service.c's `service_start()` (and socket.c's `socket_start()`). False when the start
/// limit, or a socket's service, refuses it.
pub(super) fn start(s: &mut impl ServiceSeam) -> bool {
    if !s.may_start() {
        return false;
    }
    let (interval, burst) = (
        s.settings().start_limit_interval,
        s.settings().start_limit_burst,
    );
    if !s.svc().start_limit.allow(interval, burst) {
        s.unit_log("Start request repeated too quickly.");
        // service_enter_dead(): the result of the run before (a restart's exit-code) stands;
        // start-limit-hit only where there was none.
        set_result(s, ServiceResult::StartLimitHit);
        let desc = s.description();
        let result = s.svc().result;
        s.unit_log(&format!("Failed with result '{result}'."));
        s.log(&format!("Failed to start {desc}."));
        s.set_state(SubState::Failed);
        return false;
    }
    // What an earlier run left (KillMode=process, none) is still in the unit's cgroup under
    // systemd: its sessions stay the unit's. (Under the other modes a stop leaves nothing; what
    // a manager killed mid-start left is not taken for the unit's.)
    let leftovers = match s.settings().kill_mode {
        KillMode::Process | KillMode::None => s.leftover_sessions(),
        KillMode::ControlGroup | KillMode::Mixed => Vec::new(),
    };
    s.svc().reset_for_start();
    s.svc().sessions = leftovers;
    if let Err((message, status)) = s.create_directories() {
        // After the state change, so that the reason is part of this start's log, which
        // `status` shows.
        s.set_state(SubState::StartPre);
        s.unit_log(&message);
        s.svc().exec_main = ExecRun {
            code: CLD_EXITED,
            status,
            ..ExecRun::default()
        };
        enter_signal(s, SubState::StopSigterm, ServiceResult::ExitCode);
        return true;
    }
    let timeout = s.settings().timeout_start;
    warn_leftovers_before(s, ExecKind::Condition);
    if !run_commands(s, ExecKind::Condition, SubState::Condition, timeout) {
        enter_start_pre(s);
    }
    true
}

/// service_adverse_to_leftover_processes(), which service.c runs before ExecCondition=,
/// ExecStartPre= (when the unit has them) and ExecStart=.
fn warn_leftovers_before(s: &mut impl ServiceSeam, kind: ExecKind) {
    if s.unit_type() == UnitType::Service && (kind == ExecKind::Start || s.n_commands(kind) > 0) {
        s.warn_leftover_processes();
    }
}

/// Run a command as the control process; a failure to spawn is its exit.
fn run_control(s: &mut impl ServiceSeam, kind: ExecKind, idx: usize) {
    s.svc().control = Some((kind, idx));
    let spawned = s.spawn(kind, idx, Role::Control);
    control_spawned(s, kind, spawned);
}

fn control_spawned(s: &mut impl ServiceSeam, kind: ExecKind, spawned: Result<bool, NotRun>) {
    match spawned {
        Ok(_) => {}
        Err(NotRun::Exited(exit)) => control_exited(s, exit),
        Err(NotRun::Resources) => {
            s.svc().control = None;
            let resources = ServiceResult::Resources;
            match kind {
                ExecKind::StopPost => enter_signal(s, SubState::FinalSigterm, resources),
                ExecKind::Reload => {
                    s.svc().reload_result = resources;
                    enter_running(s, ServiceResult::Success);
                }
                _ => enter_signal(s, SubState::StopSigterm, resources),
            }
        }
    }
}

/// Run ExecStart= command `idx` as the main process; true once it exec'd.
fn run_main(s: &mut impl ServiceSeam, idx: usize) -> bool {
    s.svc().main_command = idx;
    match s.spawn(ExecKind::Start, idx, Role::Main) {
        Ok(exec_ok) => exec_ok,
        Err(NotRun::Resources) => {
            enter_signal(s, SubState::StopSigterm, ServiceResult::Resources);
            false
        }
        Err(NotRun::Exited(exit)) => {
            s.svc().exec_main = ExecRun {
                code: exit.code,
                status: exit.status,
                ..ExecRun::default()
            };
            main_exited(s, exit);
            false
        }
    }
}

/// Enter `state` running the commands of `kind` as control processes under `timeout`;
/// false when the unit has none, and the caller moves on. A first command that cannot even be
/// set up (`Result=resources`) leaves the unit in the state it was in, as service.c spawns
/// before service_set_state(): no timestamps of a state never entered. (The state is entered
/// before the spawn here, so that the state saved with the new process names it.)
fn run_commands(
    s: &mut impl ServiceSeam,
    kind: ExecKind,
    state: SubState,
    timeout: Option<Duration>,
) -> bool {
    if s.n_commands(kind) == 0 {
        return false;
    }
    if s.fails_before_fork(kind, 0, Role::Control) {
        s.svc().control = Some((kind, 0));
        control_spawned(s, kind, Err(NotRun::Resources));
        return true;
    }
    s.set_state(state);
    s.arm_timer(timeout);
    run_control(s, kind, 0);
    true
}

fn enter_start_pre(s: &mut impl ServiceSeam) {
    let timeout = s.settings().timeout_start;
    warn_leftovers_before(s, ExecKind::StartPre);
    if !run_commands(s, ExecKind::StartPre, SubState::StartPre, timeout) {
        enter_start(s);
    }
}

fn enter_start(s: &mut impl ServiceSeam) {
    if s.unit_type() == UnitType::Socket {
        // socket_enter_start_chown(): open the listeners, then on to ExecStartPost=.
        if s.socket_open() {
            enter_start_post(s);
        } else {
            enter_stop(s, ServiceResult::Resources);
        }
        return;
    }
    warn_leftovers_before(s, ExecKind::Start);
    let kind = s.settings().kind;
    let has_start = s.n_commands(ExecKind::Start) > 0;
    let role = if kind == ServiceType::Forking {
        Role::Control
    } else {
        Role::Main
    };
    if has_start && s.fails_before_fork(ExecKind::Start, 0, role) {
        // service_enter_start() fails before service_set_state(): see run_commands()
        enter_signal(s, SubState::StopSigterm, ServiceResult::Resources);
        return;
    }
    s.set_state(SubState::Start);
    if kind == ServiceType::Exec {
        // systemd learns of the execve() a turn of its loop later, so a Type=exec start job
        // always outlives unit_start() and gets job.c's line; ours is up within the call.
        let desc = s.description();
        s.log(&format!("Starting {desc}..."));
    }
    let timeout = s.settings().timeout_start;
    s.arm_timer(timeout);
    if !has_start {
        enter_start_post(s);
        return;
    }
    if kind == ServiceType::Forking {
        run_control(s, ExecKind::Start, 0);
        return;
    }
    // Type=dbus waits for its BusName= only where a bus runs (see bus_name.rs); without one it
    // is Type=simple, which the journal says the first time.
    let dbus_as_simple = kind == ServiceType::Dbus && !s.system_bus();
    s.svc().bus_name_watched = kind == ServiceType::Dbus && !dbus_as_simple;
    if dbus_as_simple && s.first_start_without_bus() {
        s.unit_log("No D-Bus system bus to watch for BusName=; treating Type=dbus as Type=simple.");
    }
    let exec_ok = run_main(s, 0);
    if s.svc().state != SubState::Start {
        return;
    }
    // Type=simple is started once forked (a failed execve() shows as the main process's
    // exit); Type=exec only once execve() succeeded; the others wait for their signal (READY=1,
    // the bus name's owner).
    match kind {
        ServiceType::Simple | ServiceType::Idle => enter_start_post(s),
        ServiceType::Dbus if dbus_as_simple => enter_start_post(s),
        // systemd asks for the name's owner when it loads the unit (unit_watch_bus_name()),
        // and for a unit loaded by the start the answer comes once it is in `start`: a name
        // owned as the start runs counts. (A unit it loaded long before, or one whose answer
        // came before its start job ran, waits for a change of owner instead: we count the
        // name for them too.)
        ServiceType::Dbus if s.bus_name_taken() => enter_start_post(s),
        ServiceType::Exec if exec_ok => enter_start_post(s),
        _ => {}
    }
}

pub(super) fn enter_start_post(s: &mut impl ServiceSeam) {
    s.reset_watchdog();
    let timeout = s.settings().timeout_start;
    if !run_commands(s, ExecKind::StartPost, SubState::StartPost, timeout) {
        enter_running(s, ServiceResult::Success);
    }
}

pub(super) fn enter_running(s: &mut impl ServiceSeam, f: ServiceResult) {
    set_result(s, f);
    s.svc().control = None;
    let result = s.svc().result;
    let was_reloading = s.svc().state == SubState::Reload;
    if result != ServiceResult::Success {
        enter_signal(s, SubState::StopSigterm, result);
        return;
    }
    let was_active = s.svc().state.active_state() == ActiveState::Active;
    if s.unit_type() == UnitType::Socket {
        s.arm_timer(None);
        s.set_state(SubState::Running);
        s.socket_enter_listening();
        if !was_active {
            let desc = s.description();
            s.log(&format!("Listening on {desc}."));
        }
        return;
    }
    // service_good(): a Type=dbus service whose name has no owner is not, whatever its
    // processes. A main process not yet reaped counts: its exit is on its way and will be
    // handled.
    let name_lost =
        s.settings().kind == ServiceType::Dbus && s.svc().bus_name_watched && !s.bus_name_good();
    let good = !name_lost
        && (s.svc().main_pid.is_some()
            || (s.settings().kind == ServiceType::Forking && s.has_processes()));
    if good {
        s.set_state(SubState::Running);
        // RuntimeMaxSec= counts from when the unit became active, not from each reload.
        let runtime_max = s
            .settings()
            .runtime_max
            .map(|max| max.saturating_sub(s.active_for()));
        s.arm_timer(runtime_max);
        if !was_active && !was_reloading {
            let desc = s.description();
            s.log(&format!("Started {desc}."));
        }
        if was_reloading {
            reload_done(s);
        }
    } else if s.settings().remain_after_exit {
        s.arm_timer(None);
        s.set_state(SubState::Exited);
        if was_reloading {
            reload_done(s);
        } else if !was_active {
            // service_finished_job(): "Finished" is a oneshot's word; any other type "Started".
            // (A simple service whose main process ended was started, and said so, before.)
            let verb = if s.settings().kind == ServiceType::Oneshot {
                "Finished"
            } else {
                "Started"
            };
            let desc = s.description();
            s.log(&format!("{verb} {desc}."));
        }
    } else {
        enter_stop(s, ServiceResult::Success);
    }
}

/// job.c's done message of the reload job, which ends as the unit is active again: failed
/// when the reload's result is not success.
fn reload_done(s: &mut impl ServiceSeam) {
    let desc = s.description();
    if s.svc().reload_result == ServiceResult::Success {
        s.log(&format!("Reloaded {desc}."));
    } else {
        s.log(&format!("Reload failed for {desc}."));
    }
}

pub(super) fn stop(s: &mut impl ServiceSeam) {
    s.svc().forbid_restart = true;
    let state = s.svc().state;
    match state {
        SubState::AutoRestart => {
            s.arm_timer(None);
            s.set_state(SubState::Dead);
            // The stop job ends at once: job.c's done message, with no "Stopping" before it.
            let desc = s.description();
            s.log(&format!("Stopped {desc}."));
        }
        SubState::Condition
        | SubState::StartPre
        | SubState::Start
        | SubState::StartPost
        | SubState::Reload => {
            // service_stop() returns 0 here: job.c prints no "Stopping …" for it.
            enter_signal(s, SubState::StopSigterm, ServiceResult::Success);
        }
        SubState::Running | SubState::Exited => {
            enter_stop(s, ServiceResult::Success);
            // job.c prints "Stopping …" only for a job that outlives its own call: not for a
            // socket without stop commands, nor for an exited unit with nothing left to stop.
            if s.svc().state.active_state() == ActiveState::Deactivating {
                let desc = s.description();
                s.log(&format!("Stopping {desc}..."));
            }
        }
        _ => {}
    }
}

pub(super) fn reload(s: &mut impl ServiceSeam) {
    s.svc().reload_result = ServiceResult::Success;
    let has_reload = s.n_commands(ExecKind::Reload) > 0;
    if has_reload && s.fails_before_fork(ExecKind::Reload, 0, Role::Control) {
        // service_enter_reload() fails before the state is entered: the unit never leaves
        // running; the job ends at once, failed, with no "Reloading …" before it.
        s.svc().reload_result = ServiceResult::Resources;
        reload_done(s);
        // service_enter_running() sets the state it is in again, which ends the job.
        enter_running(s, ServiceResult::Success);
        return;
    }
    if !has_reload && s.svc().main_pid.is_none() {
        enter_running(s, ServiceResult::Success);
        return;
    }
    let desc = s.description();
    s.log(&format!("Reloading {desc}..."));
    s.set_state(SubState::Reload);
    let timeout = s.settings().timeout_start;
    s.arm_timer(timeout);
    if has_reload {
        run_control(s, ExecKind::Reload, 0);
    } else {
        // Type=notify-reload: SIGHUP, then RELOADING=1 … READY=1 from the service.
        s.signal_main(libc::SIGHUP);
    }
}

/// READY=1: a notify service is up, a reload it did itself is done.
pub(super) fn ready(s: &mut impl ServiceSeam) {
    let state = s.svc().state;
    let control_running = s.svc().control_pid.is_some();
    match state {
        SubState::Start if s.settings().kind.is_notify() => enter_start_post(s),
        SubState::Reload if !control_running => enter_running(s, ServiceResult::Success),
        _ => {}
    }
}

/// A Type=dbus service's BusName= got an owner (`owned`) or has none now: the Type=dbus half of
/// service.c's `service_bus_name_owner_change()`.
pub(super) fn bus_name_changed(s: &mut impl ServiceSeam, owned: bool) {
    // A start made without a bus is Type=simple's to its end.
    if !s.svc().bus_name_watched {
        return;
    }
    match s.svc().state {
        // service_enter_running() decides whether the unit is still good.
        SubState::Running => enter_running(s, ServiceResult::Success),
        SubState::Start if owned => enter_start_post(s),
        _ => {}
    }
}

/// ExecStop= (a socket's ExecStopPre=) then the stop signals.
pub(super) fn enter_stop(s: &mut impl ServiceSeam, f: ServiceResult) {
    set_result(s, f);
    let timeout = s.settings().timeout_stop;
    let commands = if s.unit_type() == UnitType::Socket {
        ExecKind::StopPre
    } else {
        ExecKind::Stop
    };
    if !run_commands(s, commands, SubState::Stop, timeout) {
        enter_signal(s, SubState::StopSigterm, ServiceResult::Success);
    }
}

pub(super) fn enter_stop_post(s: &mut impl ServiceSeam, f: ServiceResult) {
    set_result(s, f);
    s.socket_close();
    let timeout = s.settings().timeout_stop;
    if !run_commands(s, ExecKind::StopPost, SubState::StopPost, timeout) {
        enter_signal(s, SubState::FinalSigterm, ServiceResult::Success);
    }
}

pub(super) fn enter_signal(s: &mut impl ServiceSeam, state: SubState, f: ServiceResult) {
    set_result(s, f);
    let waiting = s.kill(state);
    let stop_phase = matches!(
        state,
        SubState::StopWatchdog | SubState::StopSigterm | SubState::StopSigkill
    );
    if waiting {
        s.set_state(state);
        let settings = s.settings();
        let timeout = if matches!(state, SubState::StopWatchdog | SubState::FinalWatchdog) {
            settings.timeout_abort.or(settings.timeout_stop)
        } else {
            settings.timeout_stop
        };
        s.arm_timer(timeout);
    } else {
        // service_enter_signal(): nothing to wait for, so on to the next phase; the SIGKILL
        // phase is where KillMode=mixed reaches the rest of the unit.
        let send_sigkill = s.settings().send_sigkill;
        match state {
            SubState::StopWatchdog | SubState::StopSigterm if send_sigkill => {
                enter_signal(s, SubState::StopSigkill, ServiceResult::Success)
            }
            SubState::FinalWatchdog | SubState::FinalSigterm if send_sigkill => {
                enter_signal(s, SubState::FinalSigkill, ServiceResult::Success)
            }
            _ if stop_phase => enter_stop_post(s, ServiceResult::Success),
            _ => enter_dead(s, ServiceResult::Success, true),
        }
    }
}

pub(super) fn enter_dead(s: &mut impl ServiceSeam, f: ServiceResult, allow_restart: bool) {
    set_result(s, f);
    s.arm_timer(None);
    s.unwatch_pid_file();
    s.unwatch_pidfd();
    s.socket_close();
    let result = s.svc().result;
    let last_exit = s.svc().last_main_exit;
    let restart = allow_restart
        && !s.svc().forbid_restart
        && !s.shutting_down()
        && s.settings().shall_restart(result, last_exit);
    let desc = s.description();
    let clean = matches!(
        result,
        ServiceResult::Success | ServiceResult::SkipCondition
    );
    if result == ServiceResult::Success {
        s.unit_log("Deactivated successfully.");
    } else if !clean {
        s.unit_log(&format!("Failed with result '{}'.", result.as_str()));
    }
    s.log_leftover_processes();
    // job.c's "Failed to start …" is the done message of a start job: a service that dies
    // after it started, with no job, gets none.
    let starting = s.start_job_pending();
    s.remove_runtime_directories(restart);
    s.remove_pid_file();
    {
        let svc = s.svc();
        svc.main_pid = None;
        svc.control_pid = None;
        svc.control = None;
    }
    let down = if clean {
        SubState::Dead
    } else {
        SubState::Failed
    };
    if restart {
        // service_enter_dead() of 252 passes through failed/dead before auto-restart, so a
        // waiting start job fails and OnFailure= sees the failure.
        s.set_state(down);
        s.set_state(SubState::AutoRestart);
        let delay = s.settings().restart_sec;
        s.arm_timer(Some(delay));
        return;
    }
    let manual_stop = s.svc().forbid_restart;
    s.set_state(down);
    let is_socket = s.unit_type() == UnitType::Socket;
    // job.c's done message of a stop job is `Stopped …` whatever the unit's result (a failed
    // ExecStop= leaves it failed, and the job done), once the unit had been up.
    if manual_stop && (result == ServiceResult::Success || s.ever_active()) {
        let verb = if is_socket { "Closed" } else { "Stopped" };
        s.log(&format!("{verb} {desc}."));
    } else if !clean {
        let verb = match (manual_stop, is_socket) {
            (true, true) => "Closed",
            (true, false) => "Stopped",
            (false, true) => "Failed to listen on",
            (false, false) => "Failed to start",
        };
        let stopped_before_up = manual_stop && !s.ever_active();
        if stopped_before_up || (!manual_stop && starting) {
            s.log(&format!("{verb} {desc}."));
        }
    } else if starting
        && result == ServiceResult::Success
        && s.settings().kind == ServiceType::Oneshot
    {
        // service_finished_job(): a oneshot's start job is done when it has run.
        s.log(&format!("Finished {desc}."));
    }
}

fn restart_now(s: &mut impl ServiceSeam) {
    s.svc().n_restarts += 1;
    let n = s.svc().n_restarts;
    s.unit_log(&format!(
        "Scheduled restart job, restart counter is at {n}."
    ));
    let desc = s.description();
    s.log(&format!("Stopped {desc}."));
    s.set_state(SubState::Dead);
    if !start(s) {
        if s.has_job() {
            s.fail_job();
        }
    } else if s.svc().state.active_state() == ActiveState::Activating {
        // The restart job's start half: job.c's `Starting …` unless it got up at once.
        s.log(&format!("Starting {desc}..."));
    }
}

/// The exit of command `idx` of `kind`, for `status`.
pub(super) fn record_run(svc: &mut ServiceRuntime, kind: ExecKind, idx: usize, exit: ExitInfo) {
    let runs = svc.exec_runs.entry(kind).or_default();
    if runs.len() <= idx {
        runs.resize(idx + 1, ExecRun::default());
    }
    let run = &mut runs[idx];
    run.exit_usec = now_stamp().0;
    run.code = exit.code;
    run.status = exit.status;
}

/// The main process ended with `exit` (service_sigchld_event() for the main PID).
pub(super) fn main_exited(s: &mut impl ServiceSeam, exit: ExitInfo) {
    s.svc().main_pid = None;
    s.svc().last_main_exit = Some(exit);
    let idx = s.svc().main_command;
    let ignore = s.ignores_failure(ExecKind::Start, idx);
    let clean = s.settings().is_clean(exit, true) || ignore;
    let f = if clean {
        ServiceResult::Success
    } else {
        exit.failure_result()
    };
    let kind = s.settings().kind;
    if !clean {
        s.unit_log(&format!(
            "Main process exited, {}",
            describe_exit(exit.code, exit.status)
        ));
    }
    let state = s.svc().state;
    let control_running = s.svc().control_pid.is_some();
    match state {
        SubState::Start if kind == ServiceType::Oneshot => {
            let more = idx + 1 < s.n_commands(ExecKind::Start);
            if f != ServiceResult::Success {
                enter_signal(s, SubState::StopSigterm, f);
            } else if more {
                run_main(s, idx + 1);
            } else {
                enter_start_post(s);
            }
        }
        // service_sigchld_event(): a Type=dbus service falls through to
        // service_enter_running(), which finds it not good (its main process is gone).
        SubState::Start if kind == ServiceType::Dbus => enter_running(s, f),
        SubState::Start => {
            let f = if f == ServiceResult::Success {
                ServiceResult::Protocol
            } else {
                f
            };
            enter_signal(s, SubState::StopSigterm, f);
        }
        SubState::StartPost | SubState::Reload if control_running => set_result(s, f),
        SubState::Running | SubState::StartPost | SubState::Reload => {
            if f == ServiceResult::Success && reguess_forking_main(s) {
                return;
            }
            enter_running(s, f);
        }
        SubState::Stop => {
            set_result(s, f);
            if !control_running {
                enter_signal(s, SubState::StopSigterm, f);
            }
        }
        _ => {}
    }
}

/// A forking daemon whose guessed main process was an intermediate fork: guess again.
fn reguess_forking_main(s: &mut impl ServiceSeam) -> bool {
    let settings = s.settings();
    if settings.kind != ServiceType::Forking
        || settings.pid_file.is_some()
        || !settings.guess_main_pid
    {
        return false;
    }
    s.guess_main_pid()
}

/// The control process ended with `exit` (service_sigchld_event() for the control PID).
pub(super) fn control_exited(s: &mut impl ServiceSeam, exit: ExitInfo) {
    let Some((kind, idx)) = s.svc().control.take() else {
        s.svc().control_pid = None;
        return;
    };
    s.svc().control_pid = None;
    record_run(s.svc(), kind, idx, exit);
    let ignore = s.ignores_failure(kind, idx);
    let more = idx + 1 < s.n_commands(kind);
    let clean = s.settings().is_clean(exit, false) || ignore;
    let f = if clean {
        ServiceResult::Success
    } else {
        exit.failure_result()
    };
    let state = s.svc().state;
    // unit_log_process_exit(): an ExecCondition= exit of 1…254 is a skip, logged at debug level
    // only, as a success is; the command is a field of the entry, not part of its text.
    let skip =
        state == SubState::Condition && exit.code == CLD_EXITED && (1..=254).contains(&exit.status);
    if !clean && !skip {
        let who = if state == SubState::Condition {
            "Condition check process"
        } else {
            "Control process"
        };
        s.unit_log(&format!(
            "{who} exited, {}",
            describe_exit(exit.code, exit.status)
        ));
    }
    if f == ServiceResult::Success
        && more
        && !state.is_signalling()
        && !matches!(state, SubState::Dead | SubState::Failed)
    {
        run_control(s, kind, idx + 1);
        return;
    }
    match state {
        SubState::Condition => {
            if f == ServiceResult::Success {
                enter_start_pre(s);
            } else if exit.code == CLD_EXITED && (1..=254).contains(&exit.status) {
                s.svc().condition_result = false;
                s.svc().condition_stamp = now_stamp();
                let desc = s.description();
                s.log(&crate::unit::condition::skipped_message(&desc, None));
                s.unit_log("Skipped due to 'exec-condition'.");
                enter_dead(s, ServiceResult::SkipCondition, false);
            } else {
                enter_signal(s, SubState::StopSigterm, f);
            }
        }
        SubState::StartPre => {
            if f == ServiceResult::Success {
                enter_start(s);
            } else if s.unit_type() == UnitType::Socket {
                enter_signal(s, SubState::FinalSigterm, f);
            } else {
                enter_signal(s, SubState::StopSigterm, f);
            }
        }
        SubState::Start => {
            // Type=forking: the parent is done.
            if f != ServiceResult::Success {
                enter_signal(s, SubState::StopSigterm, f);
                return;
            }
            forking_parent_done(s);
        }
        SubState::StartPost => {
            if f != ServiceResult::Success {
                enter_stop(s, f);
            } else if s.settings().pid_file.is_some() && !s.load_pid_file(true) {
                // ExecStartPost= may have written the PID file; it must be there by now or
                // appear while something of the service runs.
                s.watch_pid_file();
                if !s.has_processes() {
                    enter_stop(s, ServiceResult::Protocol);
                }
            } else {
                enter_running(s, ServiceResult::Success);
            }
        }
        SubState::Reload => {
            s.svc().reload_result = f;
            enter_running(s, ServiceResult::Success);
        }
        SubState::Stop => enter_signal(s, SubState::StopSigterm, f),
        SubState::StopPost => enter_signal(s, SubState::FinalSigterm, f),
        _ => {}
    }
}

/// The parent of a Type=forking service exited cleanly: the daemon is named by its PID
/// file (waited for if it is not there yet) or guessed, and the start goes on.
pub(super) fn forking_parent_done(s: &mut impl ServiceSeam) {
    if s.settings().pid_file.is_some() {
        // An ExecStartPost= may be what writes the file: then it is only looked for, and
        // waited for after that (service_sigchld_event()).
        let has_start_post = s.n_commands(ExecKind::StartPost) > 0;
        if !s.load_pid_file(!has_start_post) && !has_start_post {
            s.watch_pid_file();
            if !s.has_processes() {
                enter_signal(s, SubState::StopSigterm, ServiceResult::Protocol);
            }
            return;
        }
    } else if s.settings().guess_main_pid {
        s.guess_main_pid();
    }
    enter_start_post(s);
}

/// After children died: a unit waiting for its processes to be gone moves on (unit.c's
/// cgroup-empty notification, service_sigchld_event()'s checks).
pub(super) fn emptied(s: &mut impl ServiceSeam) {
    let state = s.svc().state;
    if state.is_signalling() {
        let cgroup = match s.settings().kill_mode {
            KillMode::ControlGroup => true,
            KillMode::Mixed => matches!(state, SubState::StopSigkill | SubState::FinalSigkill),
            KillMode::Process | KillMode::None => false,
        };
        if !s.processes_left(cgroup) {
            match state {
                SubState::StopWatchdog | SubState::StopSigterm | SubState::StopSigkill => {
                    enter_stop_post(s, ServiceResult::Success)
                }
                _ => enter_dead(s, ServiceResult::Success, true),
            }
        }
    } else if state == SubState::Running
        && s.svc().main_pid.is_none()
        && s.svc().control_pid.is_none()
        && s.cgroup_populated() == Some(false)
    {
        // service_notify_cgroup_empty_event(): a service running without a known main
        // process (Type=forking without a PID file, GuessMainPID=no) is done when its last
        // process is. Only where the cgroup tells: the marks may lose a daemon that is there.
        enter_running(s, ServiceResult::Success);
    } else if matches!(state, SubState::Start | SubState::StartPost)
        && s.settings().pid_file.is_some()
        && (state == SubState::StartPost || s.settings().kind == ServiceType::Forking)
        && s.svc().control_pid.is_none()
        && s.svc().main_pid.is_none()
        && !s.has_processes()
        && !s.has_processes_rescanned()
    {
        // Waiting for a PID file from a daemon that is gone (by two scans: a daemon that
        // detaches with setsid() and execs can be between the two marks in the first).
        s.unit_log("Daemon never wrote its PID file. Failing.");
        s.unwatch_pid_file();
        if state == SubState::Start {
            enter_stop_post(s, ServiceResult::Protocol);
        } else {
            enter_stop(s, ServiceResult::Protocol);
        }
    }
}

/// WatchdogSec= passed without a ping.
pub(super) fn watchdog_timeout(s: &mut impl ServiceSeam) {
    let limit = s
        .settings()
        .watchdog
        .map_or(Usec::ZERO, |d| Usec(d.as_micros() as u64));
    s.unit_log(&format!("Watchdog timeout (limit {limit})!"));
    enter_signal(s, SubState::StopWatchdog, ServiceResult::Watchdog);
}

/// The state's timeout passed (service_dispatch_timer()).
pub(super) fn timeout(s: &mut impl ServiceSeam) {
    let state = s.svc().state;
    let send_sigkill = s.settings().send_sigkill;
    let timeout = ServiceResult::Timeout;
    match state {
        // service_dispatch_timer() of 252: every start state is terminated alike (the default
        // TimeoutStartFailureMode=terminate), and each line is the unit's own.
        SubState::Condition | SubState::StartPre | SubState::Start | SubState::StartPost => {
            s.unit_log(&format!(
                "{} operation timed out. Terminating.",
                state.as_str()
            ));
            s.unwatch_pid_file();
            enter_signal(s, SubState::StopSigterm, timeout);
        }
        SubState::Running => {
            s.unit_log("Service reached runtime time limit. Stopping.");
            enter_stop(s, timeout);
        }
        SubState::Reload => {
            s.unit_log("Reload operation timed out. Killing reload process.");
            s.signal_control(libc::SIGKILL);
            s.svc().reload_result = timeout;
            enter_running(s, ServiceResult::Success);
        }
        SubState::Stop => {
            s.unit_log("Stopping timed out. Terminating.");
            enter_signal(s, SubState::StopSigterm, timeout);
        }
        SubState::StopWatchdog | SubState::StopSigterm if send_sigkill => {
            s.unit_log(&format!("State '{}' timed out. Killing.", state.as_str()));
            enter_signal(s, SubState::StopSigkill, timeout);
        }
        SubState::StopWatchdog | SubState::StopSigterm => {
            let what = state.as_str();
            s.unit_log(&format!("State '{what}' timed out. Skipping SIGKILL."));
            enter_stop_post(s, timeout);
        }
        SubState::StopSigkill => {
            s.unit_log("Processes still around after SIGKILL. Ignoring.");
            enter_stop_post(s, timeout);
        }
        SubState::StopPost => {
            s.unit_log("State 'stop-post' timed out. Terminating.");
            enter_signal(s, SubState::FinalSigterm, timeout);
        }
        SubState::FinalWatchdog | SubState::FinalSigterm if send_sigkill => {
            s.unit_log(&format!("State '{}' timed out. Killing.", state.as_str()));
            enter_signal(s, SubState::FinalSigkill, timeout);
        }
        SubState::FinalWatchdog | SubState::FinalSigterm | SubState::FinalSigkill => {
            enter_dead(s, timeout, true);
        }
        SubState::AutoRestart => restart_now(s),
        _ => {}
    }
}
