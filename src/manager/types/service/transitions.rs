//! The service state machine of service.c: starting through ExecCondition=, ExecStartPre=,
//! ExecStart= (readiness per Type=), ExecStartPost=; reloading; stopping through ExecStop=, the
//! kill signals of systemd.kill(5) per KillMode=, ExecStopPost= and the final signals; timeouts
//! and the watchdog; `Result=` and automatic restarts with their start limit.

use std::time::{Duration, Instant};

use super::exec::{describe_exit, new_invocation_id};
use super::{ExitInfo, ServiceResult, ServiceType, SubState, CLD_EXITED};
use crate::ipc::protocol::ExecRun;
use crate::ipc::saved_state::ActiveState;
use crate::manager::daemon::{state_timer, watchdog_timer, Manager};
use crate::manager::event::after;
use crate::manager::exec_env;
use crate::manager::jobs::JobKind;
use crate::manager::table::UnitId;
use crate::manager::unit::now_stamp;
use crate::unit::model::ExecKind;
use crate::unit::name::UnitType;

impl Manager {
    pub(in crate::manager) fn set_timer(&mut self, i: UnitId, duration: Option<Duration>) {
        if let Some(at) = self.units[i].svc.timer.take() {
            self.events.cancel_deadline(at, state_timer(i));
        }
        if let Some(d) = duration {
            let at = after(d);
            self.units[i].svc.timer = Some(at);
            self.events.set_deadline(at, state_timer(i));
        }
    }

    pub(in crate::manager) fn reset_watchdog(&mut self, i: UnitId) {
        if let Some(at) = self.units[i].svc.watchdog_timer.take() {
            self.events.cancel_deadline(at, watchdog_timer(i));
        }
        if let Some(d) = self.units[i].settings.watchdog {
            let at = after(d);
            self.units[i].svc.watchdog_timer = Some(at);
            self.events.set_deadline(at, watchdog_timer(i));
        }
    }

    pub(in crate::manager) fn stop_watchdog(&mut self, i: UnitId) {
        if let Some(at) = self.units[i].svc.watchdog_timer.take() {
            self.events.cancel_deadline(at, watchdog_timer(i));
        }
    }

    /// service.c's `service_start()` (and socket.c's `socket_start()`). False when the start
    /// limit, or a socket's service, refuses it.
    pub(in crate::manager) fn service_start(&mut self, i: UnitId) -> bool {
        if !self.socket_may_start(i) {
            return false;
        }
        if !self.timer_may_start(i) {
            return false;
        }
        let (interval, burst) = {
            let s = &self.units[i].settings;
            (s.start_limit_interval, s.start_limit_burst)
        };
        if !self.units[i].svc.start_limit.allow(interval, burst) {
            self.unit_log(i, "Start request repeated too quickly.");
            self.units[i].svc.result = ServiceResult::StartLimitHit;
            let desc = self.description(i);
            self.unit_log(i, "Failed with result 'start-limit-hit'.");
            self.log(i, &format!("Failed to start {desc}."));
            self.set_state(i, SubState::Failed);
            return false;
        }
        {
            let svc = &mut self.units[i].svc;
            svc.result = ServiceResult::Success;
            svc.reload_result = ServiceResult::Success;
            svc.exec_main = ExecRun::default();
            svc.exec_runs.clear();
            svc.main_pid = None;
            svc.control_pid = None;
            svc.control = None;
            svc.invocation_id = new_invocation_id();
            svc.sessions.clear();
            svc.forbid_restart = false;
            svc.restarting = false;
            svc.status_text.clear();
            svc.status_errno = 0;
            svc.notified_ready = false;
            svc.condition_result = true;
            svc.failed_conditions.clear();
            svc.assert_result = true;
            svc.failed_assert = None;
            svc.last_main_exit = None;
        }
        self.units[i].svc.condition_stamp = now_stamp();
        if self.is_processless(i) {
            self.set_state(i, SubState::Running);
            return true;
        }
        if self.units[i].settings.kind == ServiceType::Dbus {
            self.unit_log(
                i,
                "No D-Bus system bus to watch for BusName=; treating Type=dbus as Type=simple.",
            );
        }
        if let Err(e) = self.exec_context_call(i, exec_env::create_directories) {
            // After the state change, so that the reason is part of this start's log, which
            // `status` shows.
            self.set_state(i, SubState::StartPre);
            self.unit_log(i, &format!("{e}"));
            self.units[i].svc.exec_main = ExecRun {
                code: CLD_EXITED,
                status: e.exit_status(),
                ..ExecRun::default()
            };
            self.enter_signal(i, SubState::StopSigterm, ServiceResult::ExitCode);
            return true;
        }
        let timeout = self.units[i].settings.timeout_start;
        if !self.run_commands(i, ExecKind::Condition, SubState::Condition, timeout) {
            self.enter_start_pre(i);
        }
        true
    }

    /// Enter `state` running the commands of `kind` as control processes under `timeout`;
    /// false when the unit has none, and the caller moves on.
    pub(super) fn run_commands(
        &mut self,
        i: UnitId,
        kind: ExecKind,
        state: SubState,
        timeout: Option<Duration>,
    ) -> bool {
        if self.units[i].config.exec_commands(kind).is_empty() {
            return false;
        }
        self.set_state(i, state);
        self.set_timer(i, timeout);
        self.run_control(i, kind, 0);
        true
    }

    pub(super) fn enter_start_pre(&mut self, i: UnitId) {
        let timeout = self.units[i].settings.timeout_start;
        if !self.run_commands(i, ExecKind::StartPre, SubState::StartPre, timeout) {
            self.enter_start(i);
        }
    }

    pub(super) fn enter_start(&mut self, i: UnitId) {
        if self.units[i].config.unit_type == UnitType::Socket {
            // socket_enter_start_chown(): open the listeners, then on to ExecStartPost=.
            if self.socket_open(i) {
                self.enter_start_post(i);
            } else {
                self.enter_stop(i, ServiceResult::Resources);
            }
            return;
        }
        let kind = self.units[i].settings.kind;
        let has_start = !self.units[i]
            .config
            .exec_commands(ExecKind::Start)
            .is_empty();
        self.set_state(i, SubState::Start);
        self.set_timer(i, self.units[i].settings.timeout_start);
        if !has_start {
            self.enter_start_post(i);
            return;
        }
        if kind == ServiceType::Forking {
            self.run_control(i, ExecKind::Start, 0);
            return;
        }
        let exec_ok = self.run_main(i, 0);
        if self.units[i].svc.state != SubState::Start {
            return;
        }
        // Type=simple is started once forked (a failed execve() shows as the main process's
        // exit); Type=exec only once execve() succeeded; the others wait for their signal.
        match kind {
            ServiceType::Simple | ServiceType::Idle | ServiceType::Dbus => self.enter_start_post(i),
            ServiceType::Exec if exec_ok => self.enter_start_post(i),
            _ => {}
        }
    }

    pub(in crate::manager) fn enter_start_post(&mut self, i: UnitId) {
        self.reset_watchdog(i);
        let timeout = self.units[i].settings.timeout_start;
        if !self.run_commands(i, ExecKind::StartPost, SubState::StartPost, timeout) {
            self.enter_running(i, ServiceResult::Success);
        }
    }

    pub(in crate::manager) fn enter_running(&mut self, i: UnitId, f: ServiceResult) {
        if self.units[i].svc.result == ServiceResult::Success {
            self.units[i].svc.result = f;
        }
        self.units[i].svc.control = None;
        let result = self.units[i].svc.result;
        let was_reloading = self.units[i].svc.state == SubState::Reload;
        if result != ServiceResult::Success {
            self.enter_signal(i, SubState::StopSigterm, result);
            return;
        }
        if self.units[i].config.unit_type == UnitType::Socket {
            self.set_timer(i, None);
            let was_active = self.units[i].active_state() == ActiveState::Active;
            self.set_state(i, SubState::Running);
            self.socket_enter_listening(i);
            if !was_active {
                let desc = self.description(i);
                self.log(i, &format!("Listening on {desc}."));
            }
            return;
        }
        // A main process not yet reaped counts: its exit is on its way and will be handled.
        let good = self.units[i].svc.main_pid.is_some()
            || (self.units[i].settings.kind == ServiceType::Forking
                && self.units[i].svc.main_pid.is_none()
                && self.has_processes(i));
        if good {
            let was_active = self.units[i].active_state() == ActiveState::Active;
            self.set_state(i, SubState::Running);
            // RuntimeMaxSec= counts from when the unit became active, not from each reload.
            let runtime_max = self.units[i].settings.runtime_max.map(|max| {
                let since = now_stamp()
                    .1
                    .saturating_sub(self.units[i].stamps.active_enter.1);
                max.saturating_sub(Duration::from_micros(since))
            });
            self.set_timer(i, runtime_max);
            if !was_active && !was_reloading {
                let desc = self.description(i);
                self.log(i, &format!("Started {desc}."));
            }
            if was_reloading {
                let desc = self.description(i);
                self.log(i, &format!("Reloaded {desc}."));
            }
        } else if self.units[i].settings.remain_after_exit {
            self.set_timer(i, None);
            self.set_state(i, SubState::Exited);
            let desc = self.description(i);
            if !was_reloading {
                self.log(i, &format!("Finished {desc}."));
            }
        } else {
            self.enter_stop(i, ServiceResult::Success);
        }
    }

    pub(in crate::manager) fn service_stop(&mut self, i: UnitId) {
        self.units[i].svc.forbid_restart = true;
        match self.units[i].svc.state {
            SubState::AutoRestart => {
                self.set_timer(i, None);
                self.set_state(i, SubState::Dead);
            }
            SubState::Condition
            | SubState::StartPre
            | SubState::Start
            | SubState::StartPost
            | SubState::Reload => {
                let desc = self.description(i);
                self.log(i, &format!("Stopping {desc}..."));
                self.enter_signal(i, SubState::StopSigterm, ServiceResult::Success);
            }
            SubState::Running | SubState::Exited if self.is_processless(i) => {
                let desc = self.description(i);
                self.set_state(i, SubState::Dead);
                let what = if self.units[i].config.unit_type == UnitType::Target {
                    "Stopped target"
                } else {
                    "Stopped"
                };
                self.log(i, &format!("{what} {desc}."));
            }
            SubState::Running | SubState::Exited => {
                // A socket without stop commands closes at once, and job.c prints no
                // "Stopping" line for a job that finished within its own call.
                let is_socket = self.units[i].config.unit_type == UnitType::Socket;
                let quiet = is_socket
                    && self.units[i]
                        .config
                        .exec_commands(ExecKind::StopPre)
                        .is_empty()
                    && self.units[i]
                        .config
                        .exec_commands(ExecKind::StopPost)
                        .is_empty();
                if !quiet {
                    let desc = self.description(i);
                    self.log(i, &format!("Stopping {desc}..."));
                }
                self.enter_stop(i, ServiceResult::Success);
            }
            _ => {}
        }
    }

    pub(in crate::manager) fn service_reload(&mut self, i: UnitId) {
        self.units[i].svc.reload_result = ServiceResult::Success;
        let desc = self.description(i);
        self.log(i, &format!("Reloading {desc}..."));
        let has_reload = !self.units[i]
            .config
            .exec_commands(ExecKind::Reload)
            .is_empty();
        self.set_state(i, SubState::Reload);
        self.set_timer(i, self.units[i].settings.timeout_start);
        if has_reload {
            self.run_control(i, ExecKind::Reload, 0);
        } else if let Some(main) = self.units[i].svc.main_pid {
            // Type=notify-reload: SIGHUP, then RELOADING=1 … READY=1 from the service.
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(main.pid),
                nix::sys::signal::Signal::SIGHUP,
            );
        } else {
            self.enter_running(i, ServiceResult::Success);
        }
    }

    /// The stop of a running socket that failed with `result` (socket_enter_stop_pre()).
    pub(in crate::manager) fn socket_stop_with(&mut self, i: UnitId, result: ServiceResult) {
        self.units[i].svc.forbid_restart = true;
        self.enter_stop(i, result);
    }

    /// ExecStop= (a socket's ExecStopPre=) then the stop signals.
    pub(super) fn enter_stop(&mut self, i: UnitId, f: ServiceResult) {
        if self.units[i].svc.result == ServiceResult::Success {
            self.units[i].svc.result = f;
        }
        let timeout = self.units[i].settings.timeout_stop;
        let commands = if self.units[i].config.unit_type == UnitType::Socket {
            ExecKind::StopPre
        } else {
            ExecKind::Stop
        };
        if !self.run_commands(i, commands, SubState::Stop, timeout) {
            self.enter_signal(i, SubState::StopSigterm, ServiceResult::Success);
        }
    }

    pub(super) fn enter_stop_post(&mut self, i: UnitId, f: ServiceResult) {
        if self.units[i].svc.result == ServiceResult::Success {
            self.units[i].svc.result = f;
        }
        self.socket_close(i);
        let timeout = self.units[i].settings.timeout_stop;
        if !self.run_commands(i, ExecKind::StopPost, SubState::StopPost, timeout) {
            self.enter_signal(i, SubState::FinalSigterm, ServiceResult::Success);
        }
    }

    pub(super) fn enter_signal(&mut self, i: UnitId, state: SubState, f: ServiceResult) {
        if self.units[i].svc.result == ServiceResult::Success {
            self.units[i].svc.result = f;
        }
        let waiting = self.kill_for_state(i, state);
        let stop_phase = matches!(
            state,
            SubState::StopWatchdog | SubState::StopSigterm | SubState::StopSigkill
        );
        if waiting {
            self.set_state(i, state);
            let s = &self.units[i].settings;
            let timeout = if matches!(state, SubState::StopWatchdog | SubState::FinalWatchdog) {
                s.timeout_abort.or(s.timeout_stop)
            } else {
                s.timeout_stop
            };
            self.set_timer(i, timeout);
        } else {
            // service_enter_signal(): nothing to wait for, so on to the next phase; the SIGKILL
            // phase is where KillMode=mixed reaches the rest of the unit.
            let send_sigkill = self.units[i].settings.send_sigkill;
            match state {
                SubState::StopWatchdog | SubState::StopSigterm if send_sigkill => {
                    self.enter_signal(i, SubState::StopSigkill, ServiceResult::Success)
                }
                SubState::FinalWatchdog | SubState::FinalSigterm if send_sigkill => {
                    self.enter_signal(i, SubState::FinalSigkill, ServiceResult::Success)
                }
                _ if stop_phase => self.enter_stop_post(i, ServiceResult::Success),
                _ => self.enter_dead(i, ServiceResult::Success, true),
            }
        }
    }

    pub(super) fn enter_dead(&mut self, i: UnitId, f: ServiceResult, allow_restart: bool) {
        if self.units[i].svc.result == ServiceResult::Success {
            self.units[i].svc.result = f;
        }
        self.set_timer(i, None);
        self.unwatch_pid_file(i);
        self.unwatch_pidfd(i);
        self.socket_close(i);
        let result = self.units[i].svc.result;
        let restart = allow_restart
            && !self.units[i].svc.forbid_restart
            && !self.shutting_down
            && self.units[i]
                .settings
                .shall_restart(result, self.units[i].svc.last_main_exit);
        let desc = self.description(i);
        let clean = matches!(
            result,
            ServiceResult::Success | ServiceResult::SkipCondition
        );
        if result == ServiceResult::Success {
            self.unit_log(i, "Deactivated successfully.");
        } else if !clean {
            self.unit_log(i, &format!("Failed with result '{}'.", result.as_str()));
        }
        // job.c's "Failed to start …" is the done message of a start job: a service that dies
        // after it started, with no job, gets none.
        let starting = self.jobs.get(i).is_some_and(|j| j.kind == JobKind::Start);
        self.exec_context_call(i, |ctx| exec_env::remove_runtime_directories(ctx, restart));
        if let Some(path) = &self.units[i].settings.pid_file {
            super::pidfile::remove_pid_file(path);
        }
        {
            let svc = &mut self.units[i].svc;
            svc.main_pid = None;
            svc.control_pid = None;
            svc.control = None;
        }
        if restart {
            // service_enter_dead() of 252 passes through failed/dead before auto-restart, so a
            // waiting start job fails and OnFailure= sees the failure.
            self.set_state(
                i,
                if clean {
                    SubState::Dead
                } else {
                    SubState::Failed
                },
            );
            self.set_state(i, SubState::AutoRestart);
            let delay = self.units[i].settings.restart_sec;
            self.set_timer(i, Some(delay));
        } else {
            let manual_stop = self.units[i].svc.forbid_restart;
            self.set_state(
                i,
                if clean {
                    SubState::Dead
                } else {
                    SubState::Failed
                },
            );
            let is_socket = self.units[i].config.unit_type == UnitType::Socket;
            if manual_stop && result == ServiceResult::Success {
                let verb = if is_socket { "Closed" } else { "Stopped" };
                self.log(i, &format!("{verb} {desc}."));
            } else if !clean {
                let verb = match (manual_stop, is_socket) {
                    (true, true) => "Closed",
                    (true, false) => "Stopped",
                    (false, true) => "Failed to listen on",
                    (false, false) => "Failed to start",
                };
                let stopped_before_up = manual_stop && self.units[i].stamps.active_enter.0 == 0;
                if stopped_before_up || (!manual_stop && starting) {
                    self.log(i, &format!("{verb} {desc}."));
                }
            } else if starting
                && result == ServiceResult::Success
                && self.units[i].settings.kind == ServiceType::Oneshot
            {
                // service_finished_job(): a oneshot's start job is done when it has run.
                self.log(i, &format!("Finished {desc}."));
            }
        }
    }

    pub(super) fn restart_now(&mut self, i: UnitId) {
        self.units[i].svc.n_restarts += 1;
        let n = self.units[i].svc.n_restarts;
        self.unit_log(
            i,
            &format!("Scheduled restart job, restart counter is at {n}."),
        );
        let desc = self.description(i);
        self.log(i, &format!("Stopped {desc}."));
        self.set_state(i, SubState::Dead);
        if !self.service_start(i) && self.jobs.has_job(i) {
            self.finish_job(i, "failed");
        }
    }

    pub(super) fn main_exited(&mut self, i: UnitId, exit: ExitInfo) {
        let svc = &mut self.units[i].svc;
        svc.main_pid = None;
        svc.last_main_exit = Some(exit);
        let idx = svc.main_command;
        let ignore = self.units[i]
            .config
            .exec_commands(ExecKind::Start)
            .get(idx)
            .is_some_and(|c| c.flags.ignore_failure);
        let settings = &self.units[i].settings;
        let clean = settings.is_clean(exit, true) || ignore;
        let f = if clean {
            ServiceResult::Success
        } else {
            exit.failure_result()
        };
        let kind = settings.kind;
        if !clean {
            self.unit_log(
                i,
                &format!(
                    "Main process exited, {}",
                    describe_exit(exit.code, exit.status)
                ),
            );
        }
        let state = self.units[i].svc.state;
        match state {
            SubState::Start if kind == ServiceType::Oneshot => {
                let more = idx + 1 < self.units[i].config.exec_commands(ExecKind::Start).len();
                if f != ServiceResult::Success {
                    self.enter_signal(i, SubState::StopSigterm, f);
                } else if more {
                    self.run_main(i, idx + 1);
                } else {
                    self.enter_start_post(i);
                }
            }
            SubState::Start => {
                let f = if f == ServiceResult::Success {
                    ServiceResult::Protocol
                } else {
                    f
                };
                self.enter_signal(i, SubState::StopSigterm, f);
            }
            SubState::StartPost | SubState::Reload
                if self.units[i].svc.control_pid.is_some()
                    && f != ServiceResult::Success
                    && self.units[i].svc.result == ServiceResult::Success =>
            {
                self.units[i].svc.result = f;
            }
            SubState::StartPost | SubState::Reload if self.units[i].svc.control_pid.is_some() => {}
            SubState::Running | SubState::StartPost | SubState::Reload => {
                if f == ServiceResult::Success && self.reguess_forking_main(i) {
                    return;
                }
                self.enter_running(i, f);
            }
            SubState::Stop => {
                if f != ServiceResult::Success && self.units[i].svc.result == ServiceResult::Success
                {
                    self.units[i].svc.result = f;
                }
                if self.units[i].svc.control_pid.is_none() {
                    self.enter_signal(i, SubState::StopSigterm, f);
                }
            }
            _ => {}
        }
    }

    /// A forking daemon whose guessed main process was an intermediate fork: guess again.
    pub(super) fn reguess_forking_main(&mut self, i: UnitId) -> bool {
        let s = &self.units[i].settings;
        if s.kind != ServiceType::Forking || s.pid_file.is_some() || !s.guess_main_pid {
            return false;
        }
        self.guess_main_pid(i)
    }

    pub(in crate::manager) fn control_exited(&mut self, i: UnitId, exit: ExitInfo) {
        let Some((kind, idx)) = self.units[i].svc.control.take() else {
            self.units[i].svc.control_pid = None;
            return;
        };
        self.units[i].svc.control_pid = None;
        self.record_run(i, kind, idx, exit);
        let commands = self.units[i].config.exec_commands(kind);
        let ignore = commands.get(idx).is_some_and(|c| c.flags.ignore_failure);
        let more = idx + 1 < commands.len();
        let clean = self.units[i].settings.is_clean(exit, false) || ignore;
        let f = if clean {
            ServiceResult::Success
        } else {
            exit.failure_result()
        };
        if !clean {
            let what = kind.property();
            self.unit_log(
                i,
                &format!(
                    "Control process exited, {} ({what})",
                    describe_exit(exit.code, exit.status)
                ),
            );
        }
        let state = self.units[i].svc.state;
        if f == ServiceResult::Success
            && more
            && !state.is_signalling()
            && !matches!(state, SubState::Dead | SubState::Failed)
        {
            self.run_control(i, kind, idx + 1);
            return;
        }
        match state {
            SubState::Condition => {
                if f == ServiceResult::Success {
                    self.enter_start_pre(i);
                } else if exit.code == CLD_EXITED && (1..=254).contains(&exit.status) {
                    self.units[i].svc.condition_result = false;
                    self.units[i].svc.condition_stamp = now_stamp();
                    self.unit_log(i, "Skipped due to 'exec-condition'.");
                    self.enter_dead(i, ServiceResult::SkipCondition, false);
                } else {
                    self.enter_signal(i, SubState::StopSigterm, f);
                }
            }
            SubState::StartPre => {
                if f == ServiceResult::Success {
                    self.enter_start(i);
                } else if self.units[i].config.unit_type == UnitType::Socket {
                    self.enter_signal(i, SubState::FinalSigterm, f);
                } else {
                    self.enter_signal(i, SubState::StopSigterm, f);
                }
            }
            SubState::Start => {
                // Type=forking: the parent is done.
                if f != ServiceResult::Success {
                    self.enter_signal(i, SubState::StopSigterm, f);
                    return;
                }
                self.forking_parent_done(i);
            }
            SubState::StartPost => {
                if f == ServiceResult::Success {
                    self.enter_running(i, ServiceResult::Success);
                } else {
                    self.enter_stop(i, f);
                }
            }
            SubState::Reload => {
                self.units[i].svc.reload_result = f;
                if f != ServiceResult::Success {
                    let desc = self.description(i);
                    self.log(i, &format!("Reload failed for {desc}."));
                }
                self.enter_running(i, ServiceResult::Success);
            }
            SubState::Stop => self.enter_signal(i, SubState::StopSigterm, f),
            SubState::StopPost => self.enter_signal(i, SubState::FinalSigterm, f),
            _ => {}
        }
    }

    /// The parent of a Type=forking service exited cleanly: the daemon is named by its PID
    /// file (waited for if it is not there yet) or guessed, and the start goes on.
    pub(in crate::manager) fn forking_parent_done(&mut self, i: UnitId) {
        if self.units[i].settings.pid_file.is_some() {
            if !self.load_pid_file(i) {
                self.watch_pid_file(i);
                if !self.has_processes(i) {
                    self.enter_signal(i, SubState::StopSigterm, ServiceResult::Protocol);
                }
                return;
            }
        } else if self.units[i].settings.guess_main_pid {
            self.guess_main_pid(i);
        }
        self.enter_start_post(i);
    }

    pub(in crate::manager) fn on_deadline(&mut self, t: u64) {
        // A deadline of a unit collected since is nobody's.
        let Some((i, watchdog)) =
            crate::manager::daemon::unit_timer(t).filter(|(i, _)| self.units.contains(*i))
        else {
            return;
        };
        if !watchdog && self.on_timer_deadline(i) {
            return;
        }
        let now = Instant::now();
        if watchdog {
            if self.units[i].svc.watchdog_timer.is_some_and(|at| at <= now) {
                self.units[i].svc.watchdog_timer = None;
                self.unit_log(i, "Watchdog timeout!");
                self.enter_signal(i, SubState::StopWatchdog, ServiceResult::Watchdog);
            }
            return;
        }
        if self.units[i].svc.timer.is_none_or(|at| at > now) {
            return;
        }
        self.units[i].svc.timer = None;
        let state = self.units[i].svc.state;
        let send_sigkill = self.units[i].settings.send_sigkill;
        let timeout = ServiceResult::Timeout;
        match state {
            SubState::Condition | SubState::StartPre | SubState::Start => {
                let what = match state {
                    SubState::Condition => "condition",
                    SubState::StartPre => "start-pre",
                    _ => "start",
                };
                self.unit_log(i, &format!("{what} operation timed out. Terminating."));
                self.unwatch_pid_file(i);
                self.enter_signal(i, SubState::StopSigterm, timeout);
            }
            SubState::StartPost => {
                self.log(i, "start-post operation timed out. Stopping.");
                self.enter_stop(i, timeout);
            }
            SubState::Running => {
                self.log(i, "Service reached runtime time limit. Stopping.");
                self.enter_stop(i, timeout);
            }
            SubState::Reload => {
                self.unit_log(i, "Reload operation timed out. Killing reload process.");
                if let Some(c) = self.units[i].svc.control_pid {
                    // SAFETY: kill(2) with plain integers.
                    unsafe { libc::kill(c.pid, libc::SIGKILL) };
                }
                self.units[i].svc.reload_result = timeout;
                self.enter_running(i, ServiceResult::Success);
            }
            SubState::Stop => {
                self.log(i, "Stopping timed out. Terminating.");
                self.enter_signal(i, SubState::StopSigterm, timeout);
            }
            SubState::StopWatchdog | SubState::StopSigterm if send_sigkill => {
                self.unit_log(i, "State 'stop-sigterm' timed out. Killing.");
                self.enter_signal(i, SubState::StopSigkill, timeout);
            }
            SubState::StopWatchdog | SubState::StopSigterm => {
                self.unit_log(i, "State 'stop-sigterm' timed out. Skipping SIGKILL.");
                self.enter_stop_post(i, timeout);
            }
            SubState::StopSigkill => {
                self.unit_log(i, "Processes still around after SIGKILL. Ignoring.");
                self.enter_stop_post(i, timeout);
            }
            SubState::StopPost => {
                self.unit_log(i, "State 'stop-post' timed out. Terminating.");
                self.enter_signal(i, SubState::FinalSigterm, timeout);
            }
            SubState::FinalWatchdog | SubState::FinalSigterm if send_sigkill => {
                self.unit_log(i, "State 'final-sigterm' timed out. Killing.");
                self.enter_signal(i, SubState::FinalSigkill, timeout);
            }
            SubState::FinalWatchdog | SubState::FinalSigterm | SubState::FinalSigkill => {
                self.enter_dead(i, timeout, true);
            }
            SubState::AutoRestart => self.restart_now(i),
            _ => {}
        }
    }
}
