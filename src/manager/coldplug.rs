//! A manager started again takes over from one that died, as systemd does after a re-exec:
//! service.c's `service_deserialize_item()` and `service_coldplug()`, job.c's `job_coldplug()`.
//! Every unit gets back the state, sub-state, main and control processes, running command,
//! sessions and job that the state file names; what still runs is watched again (pidfds: the
//! processes are no longer our children); and the state machine goes on from where it was, so
//! a start in progress completes or fails on what really happens and a stop in progress ends.
//!
//! Where systemd, which keeps its children across a re-exec, collects the exit statuses it
//! missed, a manager that was SIGKILLed cannot: the processes were reaped by someone else. An
//! exit nobody saw counts as a clean one, as service.c counts the exit of a main process that
//! is not its child, and the state machine goes on from it: a forking parent that exited while
//! no manager ran is followed by its PID file or its daemon, an ExecStartPre= by the next
//! command. The state file cannot name a process that runs unrecorded: each command is held
//! before it runs until the state naming it is saved (see `spawn::spawn_recorded`).

use std::time::Duration;

use super::daemon::Manager;
use super::types::runtime::TypeRuntime;
use super::types::service::{ExitInfo, ServiceType, SubState};
use super::types::target::TargetState;
use super::types::timer::TimerState;
use crate::ipc::saved_state::{ActiveState, SavedState, TrackedPid, UnitRecord};
use crate::manager::unit_id::UnitId;
use crate::sys::time::now_stamp;
use crate::unit::job::JobKind;
use crate::unit::model::ExecKind;
use crate::unit::name::{UnitName, UnitType};
use crate::unit::state::ServiceResult;

impl Manager {
    /// Take over every unit `saved` names, then let each go on from where it was.
    pub(super) fn coldplug(&mut self, saved: SavedState) {
        let mut adopted = Vec::new();
        for (name, record) in saved.units {
            let Ok(unit_name) = UnitName::parse(&name) else {
                continue;
            };
            let i = self.unit_index(&unit_name);
            self.restore_unit(i, &record);
            self.timer_adopted(i, &record);
            adopted.push((i, record));
        }
        self.reopen_adopted_sockets();
        for (i, record) in &adopted {
            self.catch_up(*i, record);
        }
        self.check_emptied_units();
        self.dirty = true;
    }

    /// service_deserialize_item(): the unit as the record left it, its live processes
    /// watched. Processes that died meanwhile stay named until [`Manager::catch_up`] delivers
    /// their exits.
    fn restore_unit(&mut self, i: UnitId, record: &UnitRecord) {
        let state = SubState::parse(&record.sub_state).unwrap_or(SubState::Dead);
        let u = &mut self.units[i];
        // The record names every type's state in the service machine's words (see
        // `Unit::record()`); a timer comes back waiting until `timer_adopted()` computes its
        // schedule (or finds it elapsed).
        match &mut u.kind {
            TypeRuntime::Timer(rt) => {
                rt.state = match state.active_state() {
                    ActiveState::Inactive => TimerState::Dead,
                    ActiveState::Failed => TimerState::Failed,
                    _ => TimerState::Waiting,
                }
            }
            TypeRuntime::Target(t) => *t = TargetState::of_active(state.active_state()),
            TypeRuntime::Service | TypeRuntime::Socket(_) => u.svc.state = state,
        }
        u.svc.invocation_id = record.invocation_id.clone();
        u.svc.n_restarts = record.n_restarts;
        u.svc.status_text = record.status_text.clone().unwrap_or_default();
        u.svc.result = record.result;
        u.svc.sessions = record.sessions.clone();
        u.svc.main_command = record.main_command;
        u.svc.forbid_restart = record.forbid_restart;
        u.svc.restarting = record.restarting;
        u.svc.bus_name_watched = record.bus_name_watched;
        u.svc.control = record
            .control_command
            .as_ref()
            .and_then(|(kind, idx)| Some((ExecKind::from_property(kind)?, *idx)));
        u.stamps.active_enter.0 = record.active_enter_usec;
        u.stamps.inactive_enter.0 = record.inactive_enter_usec;
        u.stamps.state_change.0 = record.state_change_usec;
        if let Some(sock) = u.socket_mut() {
            sock.n_accepted = record.socket_counts.0;
            sock.n_refused = record.socket_counts.1;
        }
        u.was_connection = record.connection;
        if !u.is_inactive() {
            if let Some(main) = record.main_pid {
                let svc = &mut self.units[i].svc;
                svc.main_pid = Some(main);
                svc.main_pid_alien = true;
                svc.exec_main.pid = main.pid;
                self.watch_adopted(i, main);
            }
            if let Some(control) = record.control_pid {
                self.units[i].svc.control_pid = Some(control);
                self.watch_adopted(i, control);
            }
            let id = self.units[i].config.id.clone();
            drop(self.open_log_fifo(&id));
        }
        if let Some(job) = &record.job {
            self.restore_job(i, job.kind, job.running, job.ignore_order);
        }
    }

    /// Watch an adopted process through a pidfd, unless it is gone (or its pid is another
    /// process's by now).
    fn watch_adopted(&mut self, i: UnitId, process: TrackedPid) {
        if !process.is_alive() {
            return;
        }
        self.watch_pidfd(i, process.pid);
        if process.is_alive() {
            return;
        }
        // It ended between the look and the pidfd: its exit is delivered with the others.
        let stale: Vec<u64> = self
            .pidfds
            .iter()
            .filter(|(_, (u, pid, _))| *u == i && *pid == process.pid)
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some((_, _, fd)) = self.pidfds.remove(&id) {
                self.events.unwatch(std::os::fd::AsFd::as_fd(&fd));
            }
        }
    }

    /// job_coldplug(): the job goes on without the client that asked for it. A job that was
    /// acting on a unit now down is run again (its unit decides what that means).
    fn restore_job(&mut self, i: UnitId, kind: JobKind, running: bool, ignore_order: bool) {
        let down = self.units[i].is_inactive();
        self.jobs.restore(i, kind, running && !down, ignore_order);
    }

    /// service_coldplug() and the events the manager missed: the state's deadline from when
    /// the state began, then the exits of the processes that ended while no manager ran, in
    /// the order that leaves the fewest guesses (the main process first: an ExecStartPost=
    /// or ExecStop= running beside it decides what follows).
    fn catch_up(&mut self, i: UnitId, record: &UnitRecord) {
        // Only the service machine has processes and deadlines to catch up with; a unit the
        // manager serves has neither (and no watchdog to arm: nothing of it runs).
        let Some(state) = self.units[i]
            .machine_state()
            .filter(|_| !self.units[i].served)
        else {
            return;
        };
        let is_service = self.units[i].config.unit_type == UnitType::Service;
        if matches!(state, SubState::Dead | SubState::Failed) {
            return;
        }
        self.arm_restored_timer(i, record);
        if matches!(
            state,
            SubState::Running | SubState::StartPost | SubState::Reload
        ) {
            self.reset_watchdog(i);
        }
        let kind = self.units[i].settings.kind;
        // (A Type=dbus service waiting for its name waits on: the bus front end reports the
        // owners once it connects.)
        let started_once_forked = match kind {
            ServiceType::Simple | ServiceType::Idle | ServiceType::Exec => true,
            ServiceType::Dbus => !self.units[i].svc.bus_name_watched,
            _ => false,
        };
        if is_service && state == SubState::Start && started_once_forked {
            // Killed between the fork and the move on to ExecStartPost=.
            self.enter_start_post(i);
        }
        let main_gone = record.main_pid.filter(|p| !p.is_alive());
        let control_gone = record.control_pid.filter(|p| !p.is_alive());
        let control_lost = self.control_lost(i, record);
        if let Some(main) = main_gone {
            if self.units[i].svc.main_pid == Some(main) {
                self.unit_log(
                    i,
                    &format!(
                        "Main process {} exited while no manager ran; its exit status is unknown.",
                        main.pid
                    ),
                );
                self.main_process_gone(i, ExitInfo::exited(0));
            }
        }
        if let Some(control) = control_gone {
            if self.units[i].svc.control_pid == Some(control) {
                if self.units[i].svc.control.is_none() {
                    self.units[i].svc.control = self.command_of_state(i);
                }
                self.unit_log(
                    i,
                    &format!(
                        "Control process {} exited while no manager ran; its exit status is unknown.",
                        control.pid
                    ),
                );
                self.control_exited(i, ExitInfo::exited(0));
            }
        } else if control_lost && self.units[i].svc.control_pid.is_none() {
            self.units[i].svc.control = self.command_of_state(i);
            self.control_exited(i, ExitInfo::exited(0));
        }
        let svc = &self.units[i].svc;
        if is_service
            && svc.state == SubState::Start
            && kind == ServiceType::Forking
            && svc.control_pid.is_none()
            && svc.main_pid.is_none()
        {
            // The parent had exited before the manager died, which was waiting for the PID
            // file: wait again.
            self.forking_parent_done(i);
        } else if is_service
            && svc.state == SubState::Running
            && svc.main_pid.is_none()
            && record.main_pid.is_none()
        {
            // Running without a known main process (a forking daemon nobody could name): it
            // still counts while the unit has processes (service_enter_running()).
            self.enter_running(i, ServiceResult::Success);
        }
    }

    /// A state that runs a control process with none on file (a state written before the
    /// manager saved its command, or a command that could not be recorded): as far as anyone
    /// can tell, the command is over.
    fn control_lost(&self, i: UnitId, record: &UnitRecord) -> bool {
        if record.control_pid.is_some() || self.command_of_state(i).is_none() {
            return false;
        }
        match self.units[i].svc.state {
            SubState::Condition
            | SubState::StartPre
            | SubState::StartPost
            | SubState::Stop
            | SubState::StopPost => true,
            SubState::Reload => record.control_command.is_some(),
            _ => false,
        }
    }

    /// The command list a state runs as its control process, at its last command.
    fn command_of_state(&self, i: UnitId) -> Option<(ExecKind, usize)> {
        let is_socket = self.units[i].config.unit_type == UnitType::Socket;
        let kind = match self.units[i].svc.state {
            SubState::Condition => ExecKind::Condition,
            SubState::StartPre => ExecKind::StartPre,
            SubState::Start => ExecKind::Start,
            SubState::StartPost => ExecKind::StartPost,
            SubState::Reload => ExecKind::Reload,
            SubState::Stop if is_socket => ExecKind::StopPre,
            SubState::Stop => ExecKind::Stop,
            SubState::StopPost => ExecKind::StopPost,
            _ => return None,
        };
        let n = self.units[i].config.exec_commands(kind).len();
        (n > 0).then(|| (kind, n - 1))
    }

    /// service_coldplug_timeout(): the deadline counts from when the state began, not from
    /// when this manager started.
    fn arm_restored_timer(&mut self, i: UnitId, record: &UnitRecord) {
        let s = &self.units[i].settings;
        let since = |usec: u64| Duration::from_micros(now_stamp().0.saturating_sub(usec));
        let timeout = match self.units[i].svc.state {
            SubState::Condition
            | SubState::StartPre
            | SubState::Start
            | SubState::StartPost
            | SubState::Reload => s.timeout_start,
            SubState::StopWatchdog | SubState::FinalWatchdog => s.timeout_abort.or(s.timeout_stop),
            SubState::Stop
            | SubState::StopSigterm
            | SubState::StopSigkill
            | SubState::StopPost
            | SubState::FinalSigterm
            | SubState::FinalSigkill => s.timeout_stop,
            SubState::AutoRestart => Some(s.restart_sec),
            // RuntimeMaxSec= counts from when the unit became active.
            SubState::Running if self.units[i].config.unit_type == UnitType::Service => {
                let active_for = since(record.active_enter_usec);
                self.set_timer(i, s.runtime_max.map(|m| m.saturating_sub(active_for)));
                return;
            }
            _ => None,
        };
        let elapsed = since(record.state_change_usec);
        self.set_timer(i, timeout.map(|t| t.saturating_sub(elapsed)));
    }
}
