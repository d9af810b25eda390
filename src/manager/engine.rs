//! The service state machine of service.c, driven by the manager's events: starting through
//! ExecCondition=, ExecStartPre=, ExecStart= (readiness per Type=), ExecStartPost=; reloading;
//! stopping through ExecStop=, the kill signals of systemd.kill(5) per KillMode=, ExecStopPost=
//! and the final signals; timeouts, the watchdog, sd_notify messages, PID files and main PID
//! guessing; `Result=` and automatic restarts with their start limit.

use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use super::daemon::Manager;
use super::event::after;
use super::exec::{self, ExecContext};
use super::jobs::JobKind;
use super::service::{
    ExitInfo, KillMode, NotifyAccess, ServiceResult, ServiceType, SubState, CLD_EXITED,
};
use super::spawn;
use super::table::UnitId;
use super::tokens::{state_timer, token, watchdog_timer, KIND_PIDFD};
use super::unit::now_stamp;
use crate::ipc::protocol::{ExecRun, KillWhom, Reply};
use crate::ipc::saved_state::{ActiveState, TrackedPid};
use crate::unit::model::ExecKind;
use crate::unit::name::UnitType;

/// `code=exited, status=1/FAILURE` / `code=killed, status=15/TERM`.
pub fn describe_exit(code: i32, status: i32) -> String {
    match code {
        CLD_EXITED => match crate::sys::exit_status::exit_status_name(status, true) {
            Some(name) => format!("code=exited, status={status}/{name}"),
            None => format!("code=exited, status={status}"),
        },
        _ => {
            let sig = crate::sys::signal::signal_name(status);
            let short = sig.strip_prefix("SIG").unwrap_or(&sig).to_string();
            let what = if code == super::service::CLD_DUMPED {
                "dumped"
            } else {
                "killed"
            };
            format!("code={what}, status={status}/{short}")
        }
    }
}

fn new_invocation_id() -> String {
    // The kernel's random UUID, as the 128-bit id systemd generates, in its 32-hex-digit form.
    let uuid = std::fs::read_to_string("/proc/sys/kernel/random/uuid").unwrap_or_default();
    let hex: String = uuid.trim().chars().filter(|c| *c != '-').collect();
    if hex.len() == 32 {
        return hex;
    }
    let t = now_stamp();
    format!("{:016x}{:016x}", t.0, t.1 ^ std::process::id() as u64)
}

/// Is `pid` a descendant of `ancestor` (so that we will reap it)?
fn descends_from(pid: i32, ancestor: i32) -> bool {
    let mut p = pid;
    for _ in 0..64 {
        match crate::sys::proc::stat(p) {
            Some(s) if s.ppid == ancestor => return true,
            Some(s) if s.ppid > 1 => p = s.ppid,
            _ => return false,
        }
    }
    false
}

/// Why a command did not become a process.
enum NotRun {
    /// It failed as the child would have, with this status (217/USER, 203/EXEC …).
    Exited(ExitInfo),
    /// The manager could not set it up (a missing EnvironmentFile=): `Result=resources`.
    Resources,
}

/// Which process a command becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Main,
    Control,
}

impl Manager {
    pub(super) fn set_timer(&mut self, i: UnitId, duration: Option<Duration>) {
        if let Some(at) = self.units[i].svc.timer.take() {
            self.events.cancel_deadline(at, state_timer(i));
        }
        if let Some(d) = duration {
            let at = after(d);
            self.units[i].svc.timer = Some(at);
            self.events.set_deadline(at, state_timer(i));
        }
    }

    pub(super) fn reset_watchdog(&mut self, i: UnitId) {
        if let Some(at) = self.units[i].svc.watchdog_timer.take() {
            self.events.cancel_deadline(at, watchdog_timer(i));
        }
        if let Some(d) = self.units[i].settings.watchdog {
            let at = after(d);
            self.units[i].svc.watchdog_timer = Some(at);
            self.events.set_deadline(at, watchdog_timer(i));
        }
    }

    fn stop_watchdog(&mut self, i: UnitId) {
        if let Some(at) = self.units[i].svc.watchdog_timer.take() {
            self.events.cancel_deadline(at, watchdog_timer(i));
        }
    }

    pub(super) fn set_state(&mut self, i: UnitId, new: SubState) {
        let old_sub = self.units[i].svc.state;
        let old = old_sub.active_state();
        self.units[i].svc.state = new;
        let now_active = new.active_state();
        let stamp = now_stamp();
        let u = &mut self.units[i];
        u.stamps.state_change = stamp;
        let is_active = |s: ActiveState| matches!(s, ActiveState::Active | ActiveState::Reloading);
        let is_inactive = |s: ActiveState| matches!(s, ActiveState::Inactive | ActiveState::Failed);
        if !is_active(old) && is_active(now_active) {
            u.stamps.active_enter = stamp;
        }
        if is_active(old) && !is_active(now_active) {
            u.stamps.active_exit = stamp;
        }
        if !is_inactive(old) && is_inactive(now_active) {
            u.stamps.inactive_enter = stamp;
        }
        if is_inactive(old) && !is_inactive(now_active) {
            u.stamps.inactive_exit = stamp;
        }
        if !matches!(
            new,
            SubState::Running | SubState::StartPost | SubState::Reload | SubState::Start
        ) {
            self.stop_watchdog(i);
        }
        // After the inactive-exit stamp, so the line belongs to this activation's log.
        if is_inactive(old) && now_active == ActiveState::Activating && new != SubState::AutoRestart
        {
            let desc = self.description(i);
            self.log(i, &format!("Starting {desc}..."));
        }
        self.dirty = true;
        let unexpected = self.job_on_state_change(i, old, now_active);
        self.unit_state_changed(i, old, now_active, unexpected);
        if old_sub != new && self.units[i].config.unit_type == UnitType::Service {
            self.service_changed(i);
        }
        self.timer_state_changed(i, old_sub, new);
    }

    /// How the manager names a unit in its "Starting …"/"Started …" lines: unit.c's
    /// `unit_status_string()` with the combined format Debian's systemd 252 is built with
    /// (`nginx.service - A high performance web server`), the bare name without a description.
    pub(super) fn description(&self, i: UnitId) -> String {
        let u = &self.units[i];
        let desc = &u.config.unit.description;
        if desc.is_empty() || *desc == u.config.id {
            u.config.id.clone()
        } else {
            format!("{} - {desc}", u.config.id)
        }
    }

    /// A line of systemd's `log_unit_*()`: the unit's name leads the message.
    pub(super) fn unit_log(&mut self, i: UnitId, message: &str) {
        let id = self.units[i].config.id.clone();
        self.log_unit(&id, &format!("{id}: {message}"));
    }

    /// A status line of a job or unit state (`Started …`, `Listening on …`): no prefix.
    pub(super) fn log(&mut self, i: UnitId, message: &str) {
        let id = self.units[i].config.id.clone();
        self.log_unit(&id, message);
    }

    /// Fork and exec command `idx` of `kind` for unit `i` as its `role` process. On failure
    /// before the fork the command is reported as exited with the status systemd's child would
    /// have exited with. The process is the unit's, and in the saved state, before it runs (see
    /// [`Manager::record_spawned`]). Returns whether execve() succeeded.
    fn spawn_command(
        &mut self,
        i: UnitId,
        kind: ExecKind,
        idx: usize,
        role: Role,
    ) -> Result<bool, NotRun> {
        let Some(command) = self.units[i].config.exec_commands(kind).get(idx).cloned() else {
            return Err(NotRun::Exited(ExitInfo::exited(203)));
        };
        let id = self.units[i].config.id.clone();
        let fifo = self.open_log_fifo(&id);
        let stdio_socket = exec::stdio_is_socket(&self.units[i].config.settings);
        let is_service = self.units[i].config.unit_type == UnitType::Service;
        // Only the main process is passed the fds (EXEC_PASS_FDS), unless they are its stdio.
        let (sockets, names) = if is_service && (kind == ExecKind::Start || stdio_socket) {
            self.socket_fds_for(i)
        } else {
            Default::default()
        };
        let remote = self.units[i].conn.as_ref().and_then(|c| c.remote);
        let prepared = self.exec_context_call(i, |ctx| {
            let ctx = ExecContext {
                sockets: &sockets,
                remote,
                ..*ctx
            };
            exec::prepare(&ctx, &command, kind, fifo.as_ref().map(|f| f.as_fd()))
        });
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => {
                self.unit_log(i, &format!("{e}"));
                if let Some(step) = e.not_permitted_step() {
                    self.unit_log(
                        i,
                        &format!(
                            "Failed at step {step} spawning {}: Operation not permitted",
                            command.path
                        ),
                    );
                }
                if e.fails_before_fork() {
                    return Err(NotRun::Resources);
                }
                return Err(NotRun::Exited(ExitInfo::exited(e.exit_status())));
            }
        };
        let mut prepared = prepared;
        if kind == ExecKind::Start && is_service {
            let (mut fds, mut names) = if stdio_socket {
                Default::default()
            } else {
                (sockets, names)
            };
            for (fd, name) in self.stored_fds(i) {
                fds.push(fd);
                names.push(name);
            }
            if !fds.is_empty() {
                if let Err(e) = prepared.plan.listen_fds(fds, &names) {
                    self.unit_log(i, &format!("Failed to pass the socket fds: {e}"));
                }
            }
        }
        for w in &prepared.warnings {
            self.unit_log(i, w);
        }
        self.processes_changed();
        let spawned = match spawn::spawn_recorded(&prepared.plan, |pid| {
            self.record_spawned(i, kind, idx, role, pid.as_raw())
        }) {
            Ok(s) => s,
            Err(e) => {
                self.unit_log(i, &format!("Failed to spawn {}: {e}", command.path));
                return Err(NotRun::Resources);
            }
        };
        drop(prepared);
        drop(fifo);
        let exec_ok = spawned.exec.is_ok();
        if let Err((step, errno)) = spawned.exec {
            // exec_child() says "Failed to execute" only when execve() itself failed.
            if step == spawn::ExecStep::Exec {
                self.log(
                    i,
                    &format!(
                        "{id}: Failed to execute {}: {}",
                        command.path,
                        crate::errno::text(&std::io::Error::from_raw_os_error(errno as i32))
                    ),
                );
            }
            // EINVAL from setresuid()/setresgid()/setgroups(): an id the user namespace does not
            // map (a rootless container that maps only root), which the errno alone hides.
            let unmapped = errno == nix::errno::Errno::EINVAL
                && matches!(step, spawn::ExecStep::User | spawn::ExecStep::Group);
            self.log(
                i,
                &format!(
                    "{id}: Failed at step {} spawning {}: {}{}",
                    step.name(),
                    command.path,
                    crate::errno::text(&std::io::Error::from_raw_os_error(errno as i32)),
                    if unmapped {
                        " (the user or group is not mapped in this user namespace)"
                    } else {
                        ""
                    }
                ),
            );
        }
        Ok(exec_ok)
    }

    /// A command's process exists and has not run yet: it becomes the unit's main or control
    /// process, and the state is saved, so that a manager killed from now on leaves a state
    /// that names it (and one killed before leaves a child that never runs).
    fn record_spawned(&mut self, i: UnitId, kind: ExecKind, idx: usize, role: Role, pid: i32) {
        let tracked = TrackedPid::of(pid);
        let started = now_stamp().0;
        let svc = &mut self.units[i].svc;
        svc.sessions.extend(tracked);
        let runs = svc.exec_runs.entry(kind).or_default();
        if runs.len() <= idx {
            runs.resize(idx + 1, ExecRun::default());
        }
        runs[idx] = ExecRun {
            pid,
            start_usec: started,
            ..ExecRun::default()
        };
        match role {
            Role::Main => {
                svc.main_command = idx;
                svc.main_pid = tracked;
                svc.main_pid_alien = false;
                svc.exec_main = ExecRun {
                    pid,
                    start_usec: started,
                    ..ExecRun::default()
                };
            }
            Role::Control => svc.control_pid = tracked,
        }
        self.save_unit_state(i);
    }

    /// Run a command as the control process; a failure to spawn is its exit.
    fn run_control(&mut self, i: UnitId, kind: ExecKind, idx: usize) {
        self.units[i].svc.control = Some((kind, idx));
        match self.spawn_command(i, kind, idx, Role::Control) {
            Ok(_) => {}
            Err(NotRun::Exited(exit)) => self.control_exited(i, exit),
            Err(NotRun::Resources) => {
                self.units[i].svc.control = None;
                let resources = ServiceResult::Resources;
                match kind {
                    ExecKind::StopPost => self.enter_signal(i, SubState::FinalSigterm, resources),
                    ExecKind::Reload => {
                        self.units[i].svc.reload_result = resources;
                        self.enter_running(i, ServiceResult::Success);
                    }
                    _ => self.enter_signal(i, SubState::StopSigterm, resources),
                }
            }
        }
    }

    /// Run ExecStart= command `idx` as the main process; true once it exec'd.
    fn run_main(&mut self, i: UnitId, idx: usize) -> bool {
        self.units[i].svc.main_command = idx;
        match self.spawn_command(i, ExecKind::Start, idx, Role::Main) {
            Ok(exec_ok) => exec_ok,
            Err(NotRun::Resources) => {
                self.enter_signal(i, SubState::StopSigterm, ServiceResult::Resources);
                false
            }
            Err(NotRun::Exited(exit)) => {
                self.units[i].svc.exec_main = ExecRun {
                    code: exit.code,
                    status: exit.status,
                    ..ExecRun::default()
                };
                self.main_exited(i, exit);
                false
            }
        }
    }

    fn exec_context_call<T>(&self, i: UnitId, f: impl FnOnce(&ExecContext) -> T) -> T {
        let notify_path = self.ctx.notify_socket();
        let u = &self.units[i];
        let ctx = ExecContext {
            unit: &u.config,
            manager: &self.config,
            accounts: &self.accounts,
            invocation_id: &u.svc.invocation_id,
            notify_socket: Some(&notify_path),
            main_pid: u.svc.main_pid.map(|p| p.pid),
            manager_is_root: nix::unistd::geteuid().is_root(),
            directories: &self.directories,
            manager_env: &self.manager_env,
            sockets: &[],
            remote: None,
        };
        f(&ctx)
    }

    /// service.c's `service_start()` (and socket.c's `socket_start()`). False when the start
    /// limit, or a socket's service, refuses it.
    pub(super) fn service_start(&mut self, i: UnitId) -> bool {
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
        if let Err(e) = self.exec_context_call(i, exec::create_directories) {
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
    fn run_commands(
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

    fn enter_start_pre(&mut self, i: UnitId) {
        let timeout = self.units[i].settings.timeout_start;
        if !self.run_commands(i, ExecKind::StartPre, SubState::StartPre, timeout) {
            self.enter_start(i);
        }
    }

    fn enter_start(&mut self, i: UnitId) {
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

    pub(super) fn enter_start_post(&mut self, i: UnitId) {
        self.reset_watchdog(i);
        let timeout = self.units[i].settings.timeout_start;
        if !self.run_commands(i, ExecKind::StartPost, SubState::StartPost, timeout) {
            self.enter_running(i, ServiceResult::Success);
        }
    }

    /// The main or control process has not been seen to exit: a child of ours until we reaped
    /// it (its exit status is still to be recorded), an adopted one while it lives.
    fn main_pending(&self, i: UnitId) -> bool {
        let svc = &self.units[i].svc;
        svc.main_pid
            .is_some_and(|p| !svc.main_pid_alien || p.is_alive())
    }

    /// Like [`Manager::main_pending`]: our child until reaped; a control process adopted from a
    /// manager that died (not our child) while it lives.
    fn control_pending(&self, i: UnitId) -> bool {
        self.units[i].svc.control_pid.is_some_and(|p| {
            p.is_alive() || crate::sys::proc::stat(p.pid).is_some_and(|s| s.ppid == self.my_pid)
        })
    }

    fn has_processes(&self, i: UnitId) -> bool {
        let svc = &self.units[i].svc;
        let known: Vec<i32> = svc
            .main_pid
            .iter()
            .chain(svc.control_pid.iter())
            .map(|p| p.pid)
            .collect();
        !self
            .processes()
            .unit_processes(&svc.invocation_id, &svc.session_ids(), &known)
            .is_empty()
    }

    pub(super) fn enter_running(&mut self, i: UnitId, f: ServiceResult) {
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

    pub(super) fn service_stop(&mut self, i: UnitId) {
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

    pub(super) fn all_stopped(&self) -> bool {
        self.jobs.is_empty()
            && self.units.values().all(|u| {
                matches!(u.svc.state, SubState::Dead | SubState::Failed)
                    && u.svc.control_pid.is_none()
            })
    }

    pub(super) fn service_reload(&mut self, i: UnitId) {
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
    pub(super) fn socket_stop_with(&mut self, i: UnitId, result: ServiceResult) {
        self.units[i].svc.forbid_restart = true;
        self.enter_stop(i, result);
    }

    /// ExecStop= (a socket's ExecStopPre=) then the stop signals.
    fn enter_stop(&mut self, i: UnitId, f: ServiceResult) {
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

    fn enter_stop_post(&mut self, i: UnitId, f: ServiceResult) {
        if self.units[i].svc.result == ServiceResult::Success {
            self.units[i].svc.result = f;
        }
        self.socket_close(i);
        let timeout = self.units[i].settings.timeout_stop;
        if !self.run_commands(i, ExecKind::StopPost, SubState::StopPost, timeout) {
            self.enter_signal(i, SubState::FinalSigterm, ServiceResult::Success);
        }
    }

    /// Signal the unit's processes as `state` says; returns whether anything is left to wait for.
    fn kill_for_state(&mut self, i: UnitId, state: SubState) -> bool {
        let s = &self.units[i].settings;
        let signal = match state {
            SubState::StopWatchdog | SubState::FinalWatchdog => s.watchdog_signal,
            SubState::StopSigkill | SubState::FinalSigkill => s.final_kill_signal,
            _ if self.units[i].svc.restarting => s.restart_kill_signal,
            _ => s.kill_signal,
        };
        let kill_all = match s.kill_mode {
            KillMode::ControlGroup => true,
            KillMode::Mixed => signal == s.final_kill_signal,
            KillMode::Process | KillMode::None => false,
        };
        if s.kill_mode == KillMode::None {
            return false;
        }
        let send_sighup = s.send_sighup && signal != libc::SIGKILL;
        let cgroup_mode = kill_all;
        let svc = &self.units[i].svc;
        let mut targets: Vec<i32> = svc
            .main_pid
            .iter()
            .chain(svc.control_pid.iter())
            .filter(|p| p.is_alive())
            .map(|p| p.pid)
            .collect();
        if kill_all {
            let known = targets.clone();
            for pid in
                self.processes()
                    .unit_processes(&svc.invocation_id, &svc.session_ids(), &known)
            {
                if !targets.contains(&pid) {
                    targets.push(pid);
                }
            }
        }
        let send = |pid: i32, sig: i32| {
            // SAFETY: kill(2) with plain integers.
            unsafe { libc::kill(pid, sig) };
        };
        let my_pid = self.my_pid;
        let watched: Vec<i32> = self
            .pidfds
            .values()
            .filter(|(u, _, _)| *u == i)
            .map(|(_, p, _)| *p)
            .collect();
        for &pid in &targets {
            // Processes that are not our children (a unit adopted from a previous manager) end
            // without a SIGCHLD for us: watch them through pidfds instead.
            if !watched.contains(&pid) && !descends_from(pid, my_pid) {
                self.watch_pidfd(i, pid);
            }
            send(pid, signal);
            if signal != libc::SIGKILL && signal != libc::SIGCONT {
                send(pid, libc::SIGCONT);
            }
            if send_sighup {
                send(pid, libc::SIGHUP);
            }
        }
        self.main_pending(i) || self.control_pending(i) || (cgroup_mode && self.has_processes(i))
    }

    fn enter_signal(&mut self, i: UnitId, state: SubState, f: ServiceResult) {
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

    fn enter_dead(&mut self, i: UnitId, f: ServiceResult, allow_restart: bool) {
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
        self.exec_context_call(i, |ctx| exec::remove_runtime_directories(ctx, restart));
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

    fn restart_now(&mut self, i: UnitId) {
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

    fn record_run(&mut self, i: UnitId, kind: ExecKind, idx: usize, exit: ExitInfo) {
        let runs = self.units[i].svc.exec_runs.entry(kind).or_default();
        if runs.len() <= idx {
            runs.resize(idx + 1, ExecRun::default());
        }
        let run = &mut runs[idx];
        run.exit_usec = now_stamp().0;
        run.code = exit.code;
        run.status = exit.status;
    }

    pub(super) fn on_process_exit(&mut self, pid: i32, exit: ExitInfo) {
        let found = self.units.iter().find_map(|(i, u)| {
            if u.svc.main_pid.is_some_and(|p| p.pid == pid) {
                Some((i, true))
            } else if u.svc.control_pid.is_some_and(|p| p.pid == pid) {
                Some((i, false))
            } else {
                None
            }
        });
        match found {
            Some((i, true)) => self.main_process_gone(i, exit),
            Some((i, false)) => self.control_exited(i, exit),
            None => {}
        }
    }

    /// The main process of unit `i` ended with `exit`.
    pub(super) fn main_process_gone(&mut self, i: UnitId, exit: ExitInfo) {
        // service_sigchld_event(): a daemon may move to a new PID (nginx's binary upgrade)
        // as long as it rewrote its PID file before the old one exited.
        if self.load_pid_file(i) {
            return;
        }
        let idx = self.units[i].svc.main_command;
        if self.units[i].settings.kind != ServiceType::Forking {
            self.record_run(i, ExecKind::Start, idx, exit);
        }
        let run = &mut self.units[i].svc.exec_main;
        run.exit_usec = now_stamp().0;
        run.code = exit.code;
        run.status = exit.status;
        self.main_exited(i, exit);
    }

    fn main_exited(&mut self, i: UnitId, exit: ExitInfo) {
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
    fn reguess_forking_main(&mut self, i: UnitId) -> bool {
        let s = &self.units[i].settings;
        if s.kind != ServiceType::Forking || s.pid_file.is_some() || !s.guess_main_pid {
            return false;
        }
        self.guess_main_pid(i)
    }

    pub(super) fn control_exited(&mut self, i: UnitId, exit: ExitInfo) {
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
    pub(super) fn forking_parent_done(&mut self, i: UnitId) {
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

    /// systemd's GuessMainPID=: the one process of the unit that was reparented to us, or,
    /// for a unit adopted from a manager that died, to whoever reaped its orphans then: the one
    /// process of the unit, other than its control process, whose parent is not the unit's.
    fn guess_main_pid(&mut self, i: UnitId) -> bool {
        let svc = &self.units[i].svc;
        let control = svc.control_pid.map(|p| p.pid);
        let pids = super::process::unit_processes(&svc.invocation_id, &svc.session_ids(), &[]);
        let candidates: Vec<i32> = pids
            .iter()
            .copied()
            .filter(|&p| Some(p) != control)
            .filter(|&p| {
                crate::sys::proc::stat(p)
                    .is_some_and(|s| s.ppid == self.my_pid || !pids.contains(&s.ppid))
            })
            .collect();
        if let [pid] = candidates[..] {
            self.set_main_pid(i, pid);
            true
        } else {
            false
        }
    }

    pub(super) fn set_main_pid(&mut self, i: UnitId, pid: i32) {
        let alien = !descends_from(pid, self.my_pid);
        let svc = &mut self.units[i].svc;
        svc.main_pid = TrackedPid::of(pid);
        svc.main_pid_alien = alien;
        svc.exec_main = ExecRun {
            pid,
            start_usec: now_stamp().0,
            ..ExecRun::default()
        };
        if alien {
            self.watch_pidfd(i, pid);
        }
    }

    pub(super) fn watch_pidfd(&mut self, i: UnitId, pid: i32) {
        // SAFETY: pidfd_open(2) with plain integers; the result is a new fd we own.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return;
        }
        // SAFETY: fd was just returned to us by the kernel.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        let id = self.next_id();
        if self.events.watch(fd.as_fd(), token(KIND_PIDFD, id)).is_ok() {
            self.pidfds.insert(id, (i, pid, fd));
        }
    }

    fn unwatch_pidfd(&mut self, i: UnitId) {
        let ids: Vec<u64> = self
            .pidfds
            .iter()
            .filter(|(_, (u, _, _))| *u == i)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some((_, _, fd)) = self.pidfds.remove(&id) {
                self.events.unwatch(fd.as_fd());
            }
        }
    }

    /// A process that is not our child ended; if it was the main process, its exit status is
    /// not ours to know.
    pub(super) fn on_pidfd(&mut self, id: u64) {
        let Some((i, pid, fd)) = self.pidfds.remove(&id) else {
            return;
        };
        self.events.unwatch(fd.as_fd());
        if !self.units.contains(i) {
            return;
        }
        let svc = &self.units[i].svc;
        let is_main = svc.main_pid.is_some_and(|p| p.pid == pid);
        // A control process adopted from a manager that died: not our child either.
        let is_control = svc
            .control_pid
            .is_some_and(|p| p.pid == pid && !p.is_alive());
        if is_main && svc.main_pid_alien {
            let exit = ExitInfo::exited(0);
            self.units[i].svc.exec_main.code = exit.code;
            self.units[i].svc.exec_main.exit_usec = now_stamp().0;
            self.main_exited(i, exit);
        } else if is_control {
            self.control_exited(i, ExitInfo::exited(0));
        }
        self.check_emptied_units();
    }

    /// After children died: units waiting for their processes to be gone move on.
    pub(super) fn check_emptied_units(&mut self) {
        for i in self.units.ids() {
            if self.units[i].svc.control_pid.is_some() && !self.control_pending(i) {
                // An adopted control process ended and its pidfd said nothing (it was gone
                // before the watch began): its exit is delivered here, status unknown.
                self.control_exited(i, ExitInfo::exited(0));
            }
            let state = self.units[i].svc.state;
            if state.is_signalling() {
                let cgroup = match self.units[i].settings.kill_mode {
                    KillMode::ControlGroup => true,
                    KillMode::Mixed => {
                        matches!(state, SubState::StopSigkill | SubState::FinalSigkill)
                    }
                    KillMode::Process | KillMode::None => false,
                };
                let left = self.main_pending(i)
                    || self.control_pending(i)
                    || (cgroup && self.has_processes(i));
                if !left {
                    match state {
                        SubState::StopWatchdog | SubState::StopSigterm | SubState::StopSigkill => {
                            self.enter_stop_post(i, ServiceResult::Success)
                        }
                        _ => self.enter_dead(i, ServiceResult::Success, true),
                    }
                }
            } else if state == SubState::Start
                && self.units[i].settings.kind == ServiceType::Forking
                && self.units[i].svc.control_pid.is_none()
                && self.units[i].svc.main_pid.is_none()
                && !self.has_processes(i)
            {
                // Waiting for a PID file from a daemon that is gone.
                self.unwatch_pid_file(i);
                self.enter_signal(i, SubState::StopSigterm, ServiceResult::Protocol);
            }
        }
    }

    pub(super) fn on_deadline(&mut self, t: u64) {
        // A deadline of a unit collected since is nobody's.
        let Some((i, watchdog)) =
            super::tokens::unit_timer(t).filter(|(i, _)| self.units.contains(*i))
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

    /// Does `pid` belong to unit `i` by marks no other process can fake: it runs in a session one
    /// of the unit's commands created, or descends from its main or control process.
    pub(super) fn owns_process(&self, i: UnitId, pid: i32) -> bool {
        let svc = &self.units[i].svc;
        if crate::sys::proc::stat(pid).is_some_and(|s| svc.session_ids().contains(&s.session)) {
            return true;
        }
        svc.main_pid
            .iter()
            .chain(svc.control_pid.iter())
            .any(|p| p.pid == pid || descends_from(pid, p.pid))
    }

    /// The unit `pid` belongs to: a main or control process of one, or a process of one
    /// still running (its child, or in its session).
    pub(super) fn unit_of_process(&self, pid: i32) -> Option<UnitId> {
        if pid <= 0 {
            return None;
        }
        let named =
            |p: &Option<crate::ipc::saved_state::TrackedPid>| p.is_some_and(|p| p.pid == pid);
        self.units
            .iter()
            .find(|(_, u)| named(&u.svc.main_pid) || named(&u.svc.control_pid))
            .map(|(i, _)| i)
            .or_else(|| {
                self.units.ids().into_iter().find(|&i| {
                    !matches!(self.units[i].svc.state, SubState::Dead | SubState::Failed)
                        && self.owns_process(i, pid)
                })
            })
    }

    /// Which unit a notification from `pid` belongs to, and whether NotifyAccess= lets it in.
    fn notification_unit(&mut self, pid: i32) -> Option<UnitId> {
        let mut owner = None;
        for (i, u) in self.units.iter() {
            if u.svc.main_pid.is_some_and(|p| p.pid == pid) {
                owner = Some((i, Role::Main));
                break;
            }
            if u.svc.control_pid.is_some_and(|p| p.pid == pid) {
                owner = Some((i, Role::Control));
                break;
            }
        }
        if owner.is_none() {
            // Not by INVOCATION_ID: anyone can read it with `show` and put it in an environment.
            owner = self.unit_of_process(pid).map(|i| (i, Role::Control));
            if let Some((i, _)) = owner {
                let access = self.units[i].settings.notify_access;
                if access != NotifyAccess::All {
                    let main = self.units[i].svc.main_pid.map(|p| p.pid).unwrap_or(0);
                    self.unit_log(
                        i,
                        &format!(
                            "Got notification message from PID {pid}, but reception only permitted for main PID {main}"
                        ),
                    );
                    return None;
                }
                return Some(i);
            }
            return None;
        }
        let (i, role) = owner?;
        let allowed = match self.units[i].settings.notify_access {
            NotifyAccess::None => false,
            NotifyAccess::Main => role == Role::Main,
            NotifyAccess::Exec | NotifyAccess::All => true,
        };
        if !allowed {
            let message = if self.units[i].settings.notify_access == NotifyAccess::None {
                format!("Got notification message from PID {pid}, but reception is disabled.")
            } else {
                let main = self.units[i].svc.main_pid.map(|p| p.pid).unwrap_or(0);
                format!(
                    "Got notification message from PID {pid}, but reception only permitted for main PID {main}"
                )
            };
            self.unit_log(i, &message);
            return None;
        }
        Some(i)
    }

    pub(super) fn receive_notifications(&mut self) {
        // A bounded batch per wake: any local user may write to the socket (see notify.rs).
        for _ in 0..super::notify::MESSAGES_PER_WAKE {
            let received = match self.notify.receive() {
                Ok(Some(r)) => r,
                Ok(None) => return,
                Err(e) => {
                    eprintln!("{e}");
                    return;
                }
            };
            let Some(pid) = received.sender_pid else {
                continue;
            };
            let Some(i) = self.notification_unit(pid) else {
                continue;
            };
            let privileged = received.sender_uid == Some(0);
            self.apply_notification(i, &received.message, privileged);
            // BARRIER=1 is answered by closing its fd here, after every earlier message.
            self.receive_notified_fds(i, received.fds, &received.message);
        }
    }

    fn apply_notification(
        &mut self,
        i: UnitId,
        m: &super::notify::NotifyMessage,
        privileged: bool,
    ) {
        if let Some(pid) = m.main_pid {
            // service_notify_message(): only root may point MAINPID= outside the service.
            let allowed = privileged || self.owns_process(i, pid);
            if !allowed {
                self.unit_log(
                    i,
                    &format!("New main PID {pid} does not belong to service, refusing."),
                );
            } else if pid != self.my_pid && crate::sys::proc::stat(pid).is_some() {
                self.unwatch_pidfd(i);
                self.set_main_pid(i, pid);
            }
        }
        if let Some(status) = &m.status {
            self.units[i].svc.status_text = status.clone();
            self.dirty = true;
        }
        if let Some(errno) = m.errno {
            self.units[i].svc.status_errno = errno;
        }
        if let Some(usec) = m.watchdog_usec {
            self.units[i].settings.watchdog = (usec > 0).then(|| Duration::from_micros(usec));
            self.reset_watchdog(i);
        }
        let state = self.units[i].svc.state;
        if m.reloading && state == SubState::Running {
            self.units[i].svc.reload_result = ServiceResult::Success;
            self.set_state(i, SubState::Reload);
            self.set_timer(i, self.units[i].settings.timeout_start);
        }
        if m.stopping && matches!(state, SubState::Running | SubState::Reload) {
            self.units[i].svc.forbid_restart = true;
            self.set_state(i, SubState::StopSigterm);
            self.set_timer(i, self.units[i].settings.timeout_stop);
        }
        if m.ready {
            match self.units[i].svc.state {
                SubState::Start if self.units[i].settings.kind.is_notify() => {
                    self.enter_start_post(i)
                }
                SubState::Reload if self.units[i].svc.control_pid.is_none() => {
                    self.enter_running(i, ServiceResult::Success)
                }
                _ => {}
            }
        }
        if let Some(usec) = m.extend_timeout_usec {
            let extendable = matches!(
                self.units[i].svc.state,
                SubState::Condition
                    | SubState::StartPre
                    | SubState::Start
                    | SubState::StartPost
                    | SubState::Reload
                    | SubState::Stop
                    | SubState::StopSigterm
                    | SubState::StopPost
                    | SubState::FinalSigterm
            );
            if extendable {
                let wanted = after(Duration::from_micros(usec));
                if self.units[i].svc.timer.is_some_and(|at| at < wanted) {
                    let at = self.units[i].svc.timer.take();
                    if let Some(at) = at {
                        self.events.cancel_deadline(at, state_timer(i));
                    }
                    self.units[i].svc.timer = Some(wanted);
                    self.events.set_deadline(wanted, state_timer(i));
                }
            }
        }
        if m.watchdog_trigger {
            self.unit_log(i, "Watchdog request (last status: triggered)!");
            self.enter_signal(i, SubState::StopWatchdog, ServiceResult::Watchdog);
        } else if m.watchdog_ping {
            self.reset_watchdog(i);
        }
    }

    pub(super) fn kill_units(&mut self, names: &[String], whom: KillWhom, signal: i32) -> Reply {
        for name in names {
            let Ok(n) = crate::unit::name::UnitName::parse(name) else {
                return Reply::Error(format!("Unit name {name} is not valid."));
            };
            let Some(i) = self.loaded_index(&n) else {
                return Reply::Error(format!("Unit {name} not loaded."));
            };
            let svc = &self.units[i].svc;
            let main = svc.main_pid.filter(|p| p.is_alive()).map(|p| p.pid);
            let control = svc.control_pid.filter(|p| p.is_alive()).map(|p| p.pid);
            let targets: Vec<i32> = match whom {
                KillWhom::Main => match main {
                    Some(p) => vec![p],
                    None => return Reply::Error("No main process to kill".into()),
                },
                KillWhom::Control => match control {
                    Some(p) => vec![p],
                    None => return Reply::Error("No control process to kill".into()),
                },
                KillWhom::All => {
                    let known: Vec<i32> = main.iter().chain(control.iter()).copied().collect();
                    if svc.invocation_id.is_empty()
                        || matches!(svc.state, SubState::Dead | SubState::Failed)
                    {
                        known
                    } else {
                        super::process::unit_processes(
                            &svc.invocation_id,
                            &svc.session_ids(),
                            &known,
                        )
                    }
                }
            };
            for pid in targets {
                // SAFETY: kill(2) with plain integers.
                unsafe { libc::kill(pid, signal) };
            }
        }
        Reply::Done
    }

    pub(super) fn reset_failed(&mut self, names: &[String]) -> Reply {
        let indices: Vec<UnitId> = if names.is_empty() {
            self.units.ids().into_iter().collect()
        } else {
            let mut v = Vec::new();
            for name in names {
                if let Ok(n) = crate::unit::name::UnitName::parse(name) {
                    v.extend(self.loaded_index(&n));
                }
            }
            v
        };
        for i in indices {
            self.units[i].svc.start_limit.reset();
            if self.units[i].svc.state == SubState::Failed {
                self.units[i].svc.result = ServiceResult::Success;
                self.set_state(i, SubState::Dead);
            }
        }
        Reply::Done
    }
}
