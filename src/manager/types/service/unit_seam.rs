//! The manager's side of the service seam: unit `i` of its table carries out what the state
//! machine decides (spawning through exec.rs, signals, timers on the event loop, PID-file
//! watches, log lines), the manager's entry points into the machine, and services' entry in the
//! table of unit types.

use super::exec::{NotRun, Role};
use super::seam::ServiceSeam;
use super::{ServiceSettings, SubState};
use crate::ipc::saved_state::TrackedPid;
use crate::manager::daemon::Manager;
use crate::manager::event::after;
use crate::manager::exec;
use crate::manager::tokens::{state_timer, watchdog_timer};
use crate::manager::types::unit_notify::NotifyFlags;
use crate::manager::types::vtable::UnitVTable;
use crate::manager::unit::ServiceRuntime;
use crate::manager::unit_id::UnitId;
use crate::sys::time::now_stamp;
use crate::unit::job::{JobKind, JobResult};
use crate::unit::model::ExecKind;
use crate::unit::name::UnitType;
use crate::unit::state::ServiceResult;
use std::time::{Duration, Instant};

/// The manager's side of the seam: unit `i` of its table.
pub(in crate::manager) struct UnitSeam<'a> {
    pub m: &'a mut Manager,
    pub i: UnitId,
}

impl ServiceSeam for UnitSeam<'_> {
    fn svc(&mut self) -> &mut ServiceRuntime {
        &mut self.m.units[self.i].svc
    }

    fn settings(&self) -> &ServiceSettings {
        &self.m.units[self.i].settings
    }

    fn unit_type(&self) -> UnitType {
        self.m.units[self.i].config.unit_type
    }

    fn n_commands(&self, kind: ExecKind) -> usize {
        self.m.units[self.i].config.exec_commands(kind).len()
    }

    fn ignores_failure(&self, kind: ExecKind, idx: usize) -> bool {
        self.m.units[self.i]
            .config
            .exec_commands(kind)
            .get(idx)
            .is_some_and(|c| c.flags.ignore_failure)
    }

    fn set_state(&mut self, state: SubState) {
        self.m.service_set_state(self.i, state);
    }

    fn arm_timer(&mut self, timeout: Option<Duration>) {
        self.m.set_timer(self.i, timeout);
    }

    fn reset_watchdog(&mut self) {
        self.m.reset_watchdog(self.i);
    }

    fn log(&mut self, line: &str) {
        self.m.log(self.i, line);
    }

    fn unit_log(&mut self, line: &str) {
        self.m.unit_log(self.i, line);
    }

    fn description(&self) -> String {
        self.m.description(self.i)
    }

    fn active_for(&self) -> Duration {
        let since = now_stamp()
            .1
            .saturating_sub(self.m.units[self.i].stamps.active_enter.1);
        Duration::from_micros(since)
    }

    fn ever_active(&self) -> bool {
        self.m.units[self.i].stamps.active_enter.0 != 0
    }

    fn may_start(&mut self) -> bool {
        self.m.socket_may_start(self.i)
    }

    fn create_directories(&mut self) -> Result<(), (String, i32)> {
        self.m
            .exec_context_call(self.i, exec::create_directories)
            .map_err(|e| (format!("{e}"), e.exit_status()))
    }

    fn remove_runtime_directories(&mut self, restarting: bool) {
        self.m.exec_context_call(self.i, |ctx| {
            exec::remove_runtime_directories(ctx, restarting)
        });
    }

    fn fails_before_fork(&mut self, kind: ExecKind, idx: usize, role: Role) -> bool {
        self.m.fails_before_fork(self.i, kind, idx, role)
    }

    fn spawn(&mut self, kind: ExecKind, idx: usize, role: Role) -> Result<bool, NotRun> {
        self.m.spawn_command(self.i, kind, idx, role)
    }

    fn kill(&mut self, state: SubState) -> bool {
        self.m.kill_for_state(self.i, state)
    }

    fn signal_control(&mut self, signal: i32) {
        if let Some(c) = self.m.units[self.i].svc.control_pid {
            // SAFETY: kill(2) with plain integers.
            unsafe { libc::kill(c.pid, signal) };
        }
    }

    fn signal_main(&mut self, signal: i32) {
        if let Some(main) = self.m.units[self.i].svc.main_pid {
            // SAFETY: kill(2) with plain integers.
            unsafe { libc::kill(main.pid, signal) };
        }
    }

    fn has_processes(&self) -> bool {
        self.m.has_processes(self.i)
    }

    fn log_leftover_processes(&mut self) {
        self.m.log_leftover_processes(self.i);
    }

    fn warn_leftover_processes(&mut self) {
        self.m.warn_leftover_processes(self.i);
    }

    fn leftover_sessions(&self) -> Vec<TrackedPid> {
        self.m.leftover_sessions(self.i)
    }

    fn cgroup_populated(&self) -> Option<bool> {
        let dir = self.m.cgroup_dir(self.i)?;
        crate::manager::cgroup::populated(&dir)
    }

    fn has_processes_rescanned(&self) -> bool {
        if let Some(populated) = self.cgroup_populated() {
            return populated;
        }
        let svc = &self.m.units[self.i].svc;
        !crate::manager::process::unit_processes(&svc.invocation_id, &svc.session_ids(), &[])
            .is_empty()
    }

    fn processes_left(&self, cgroup: bool) -> bool {
        self.m.main_pending(self.i)
            || self.m.control_pending(self.i)
            || (cgroup && self.m.has_processes(self.i))
    }

    fn guess_main_pid(&mut self) -> bool {
        self.m.guess_main_pid(self.i)
    }

    fn load_pid_file(&mut self, may_warn: bool) -> bool {
        self.m.load_pid_file(self.i, may_warn)
    }

    fn watch_pid_file(&mut self) {
        self.m.watch_pid_file(self.i);
    }

    fn unwatch_pid_file(&mut self) {
        self.m.unwatch_pid_file(self.i);
    }

    fn remove_pid_file(&mut self) {
        if let Some(path) = &self.m.units[self.i].settings.pid_file {
            super::pidfile::remove_pid_file(path);
        }
    }

    fn unwatch_pidfd(&mut self) {
        self.m.unwatch_pidfd(self.i);
    }

    fn socket_open(&mut self) -> bool {
        self.m.socket_open(self.i)
    }

    fn socket_enter_listening(&mut self) {
        self.m.socket_enter_listening(self.i);
    }

    fn socket_close(&mut self) {
        self.m.socket_close(self.i);
    }

    fn start_job_pending(&self) -> bool {
        self.m
            .jobs
            .get(self.i)
            .is_some_and(|j| j.kind == JobKind::Start)
    }

    fn has_job(&self) -> bool {
        self.m.jobs.has_job(self.i)
    }

    fn fail_job(&mut self) {
        self.m.finish_job(self.i, JobResult::Failed);
    }

    fn shutting_down(&self) -> bool {
        self.m.shutting_down
    }

    fn system_bus(&self) -> bool {
        self.m.system_bus_expected()
    }

    fn bus_name_good(&self) -> bool {
        self.m.bus_name_good(self.i)
    }

    fn bus_name_taken(&self) -> bool {
        self.m.bus_name_taken(self.i)
    }

    fn first_start_without_bus(&mut self) -> bool {
        self.m.first_start_without_bus()
    }
}

/// The manager's entry points into the machine of unit `i`.
impl Manager {
    /// service.c's `service_set_state()` (and socket.c's `socket_set_state()`): the machine's
    /// new state, the watchdog stopped outside the states that run it, then unit_notify().
    pub(in crate::manager) fn service_set_state(&mut self, i: UnitId, new: SubState) {
        let old = std::mem::replace(&mut self.units[i].svc.state, new);
        if !matches!(
            new,
            SubState::Running | SubState::StartPost | SubState::Reload | SubState::Start
        ) {
            self.stop_watchdog(i);
        }
        self.unit_notify(
            i,
            old.active_state(),
            new.active_state(),
            NotifyFlags {
                changed: old != new,
            },
        );
    }

    fn seam(&mut self, i: UnitId) -> UnitSeam<'_> {
        UnitSeam { m: self, i }
    }

    /// service.c's `service_start()` (and socket.c's `socket_start()`). False when the start
    /// limit, or a socket's service, refuses it.
    pub(in crate::manager) fn service_start(&mut self, i: UnitId) -> bool {
        super::transitions::start(&mut self.seam(i))
    }

    pub(in crate::manager) fn service_stop(&mut self, i: UnitId) {
        super::transitions::stop(&mut self.seam(i));
    }

    pub(in crate::manager) fn service_reload(&mut self, i: UnitId) {
        super::transitions::reload(&mut self.seam(i));
    }

    /// service_reset_failed() (and socket.c's): a failed machine goes back to dead.
    pub(in crate::manager) fn service_reset_failed(&mut self, i: UnitId) {
        if self.units[i].svc.state == SubState::Failed {
            self.service_set_state(i, SubState::Dead);
        }
    }

    /// The stop of a running socket that failed with `result` (socket_enter_stop_pre()). No
    /// stop job asked for it, so no job's `Closed …` line follows, only the result's.
    pub(in crate::manager) fn socket_stop_with(&mut self, i: UnitId, result: ServiceResult) {
        super::transitions::enter_stop(&mut self.seam(i), result);
    }

    pub(in crate::manager) fn enter_start_post(&mut self, i: UnitId) {
        super::transitions::enter_start_post(&mut self.seam(i));
    }

    pub(in crate::manager) fn enter_running(&mut self, i: UnitId, f: ServiceResult) {
        super::transitions::enter_running(&mut self.seam(i), f);
    }

    pub(in crate::manager) fn enter_signal(
        &mut self,
        i: UnitId,
        state: SubState,
        f: ServiceResult,
    ) {
        super::transitions::enter_signal(&mut self.seam(i), state, f);
    }

    pub(in crate::manager) fn main_exited(&mut self, i: UnitId, exit: super::ExitInfo) {
        super::transitions::main_exited(&mut self.seam(i), exit);
    }

    pub(in crate::manager) fn control_exited(&mut self, i: UnitId, exit: super::ExitInfo) {
        super::transitions::control_exited(&mut self.seam(i), exit);
    }

    /// The parent of a Type=forking service exited cleanly: the daemon is named by its PID
    /// file (waited for if it is not there yet) or guessed, and the start goes on.
    pub(in crate::manager) fn forking_parent_done(&mut self, i: UnitId) {
        super::transitions::forking_parent_done(&mut self.seam(i));
    }

    /// A Type=dbus service's BusName= got an owner (`owned`) or lost it.
    pub(in crate::manager) fn service_bus_name_changed(&mut self, i: UnitId, owned: bool) {
        super::transitions::bus_name_changed(&mut self.seam(i), owned);
    }

    /// READY=1 from the service.
    pub(in crate::manager) fn service_ready(&mut self, i: UnitId) {
        super::transitions::ready(&mut self.seam(i));
    }

    /// After children died: wait no longer for processes that are gone.
    pub(in crate::manager) fn service_emptied(&mut self, i: UnitId) {
        super::transitions::emptied(&mut self.seam(i));
    }

    /// The state's timeout (or the watchdog's, `watchdog`) elapsed.
    pub(in crate::manager) fn service_timeout(&mut self, i: UnitId, watchdog: bool) {
        if watchdog {
            super::transitions::watchdog_timeout(&mut self.seam(i));
        } else {
            super::transitions::timeout(&mut self.seam(i));
        }
    }
}

/// The manager's timers of a service: its state's timeout and its watchdog, as sd-event
/// deadlines in the event loop.
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

    pub(in crate::manager) fn on_deadline(&mut self, t: u64) {
        // A deadline of a unit collected since is nobody's.
        let Some((i, watchdog)) =
            crate::manager::tokens::unit_timer(t).filter(|(i, _)| self.units.contains(*i))
        else {
            return;
        };
        let unit_type = self.units[i].config.unit_type;
        if !watchdog && crate::manager::types::vtable(unit_type).timer_event(self, i) {
            return;
        }
        let now = Instant::now();
        if watchdog {
            if self.units[i].svc.watchdog_timer.is_some_and(|at| at <= now) {
                self.units[i].svc.watchdog_timer = None;
                self.service_timeout(i, true);
            }
            return;
        }
        if self.units[i].svc.timer.is_none_or(|at| at > now) {
            return;
        }
        self.units[i].svc.timer = None;
        self.service_timeout(i, false);
    }
}

/// Services in the table of unit types.
pub(in crate::manager) struct ServiceVTable;

pub(in crate::manager) static SERVICE_VTABLE: ServiceVTable = ServiceVTable;

impl UnitVTable for ServiceVTable {
    fn start(&self, m: &mut Manager, i: UnitId) -> bool {
        m.service_start(i)
    }

    fn stop(&self, m: &mut Manager, i: UnitId) {
        m.service_stop(i);
    }

    fn reload(&self, m: &mut Manager, i: UnitId) {
        m.service_reload(i);
    }

    fn reset_failed(&self, m: &mut Manager, i: UnitId) {
        m.service_reset_failed(i);
    }
}
