//! The unit types, as systemd's src/core keeps one file (or folder) per type: services
//! (`service`: the model, the state machine, its processes, commands, PID files and sd_notify
//! messages), sockets (`socket`, on the service machine), timers (`timer`: `TimerState` and
//! its schedule) and targets (`target`: `TargetState`, also for the other types without
//! processes); and what every unit type shares: unit.c's `unit_notify()`, which each type's
//! set-state function (`service_set_state()`, `timer_set_state()`, `target_set_state()`) ends
//! in (the timestamps, the `Starting …` line, the unit's job, the reactions around it and the
//! units that trigger it), the start limit and fresh invocation of a unit without processes,
//! reset-failed, the log lines, and [`UnitVTable`], the operations the job engine and the
//! event loop ask of a unit and the states they read of it, which each type implements.

pub mod runtime;
pub mod service;
pub mod socket;
pub mod target;
pub(in crate::manager) mod vtable;

use vtable::UnitVTable;
pub mod timer;

use crate::ipc::protocol::Reply;
use crate::ipc::saved_state::ActiveState;
use crate::unit::name::UnitType;
use crate::unit::state::ServiceResult;

use super::daemon::Manager;
use crate::manager::unit_id::UnitId;
use crate::sys::time::now_stamp;

/// unit.c's `UnitNotifyFlags`: what the type tells [`Manager::unit_notify`] beside the two
/// states.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::manager) struct NotifyFlags {
    /// The type's own state changed (not only entered again): the units that trigger this one
    /// look again (`unit_trigger_notify()`).
    pub changed: bool,
    /// UNIT_NOTIFY_WILL_AUTO_RESTART: the unit is on its way to be started again by itself, so
    /// no `Starting …` line for this activation.
    pub will_auto_restart: bool,
}

impl Manager {
    /// unit.c's `unit_notify()`: unit `i`'s type moved it from `old` to `new` (its own state
    /// already changed): the timestamps, the `Starting …` line of an activation, the unit's
    /// job, the reactions of the units around it and of those that trigger it.
    pub(super) fn unit_notify(
        &mut self,
        i: UnitId,
        old: ActiveState,
        new: ActiveState,
        flags: NotifyFlags,
    ) {
        let stamp = now_stamp();
        let u = &mut self.units[i];
        u.stamps.state_change = stamp;
        let is_active = |s: ActiveState| matches!(s, ActiveState::Active | ActiveState::Reloading);
        let is_inactive = |s: ActiveState| matches!(s, ActiveState::Inactive | ActiveState::Failed);
        if !is_active(old) && is_active(new) {
            u.stamps.active_enter = stamp;
        }
        if is_active(old) && !is_active(new) {
            u.stamps.active_exit = stamp;
        }
        if !is_inactive(old) && is_inactive(new) {
            u.stamps.inactive_enter = stamp;
        }
        if is_inactive(old) && !is_inactive(new) {
            u.stamps.inactive_exit = stamp;
        }
        // After the inactive-exit stamp, so the line belongs to this activation's log.
        if is_inactive(old) && new == ActiveState::Activating && !flags.will_auto_restart {
            let desc = self.description(i);
            self.log(i, &format!("Starting {desc}..."));
        }
        self.dirty = true;
        let unexpected = self.job_on_state_change(i, old, new);
        self.unit_state_changed(i, old, new, unexpected);
        if flags.changed {
            // unit_trigger_notify(): the sockets of a service, the timers of any unit.
            if self.units[i].config.unit_type == UnitType::Service {
                self.service_changed(i);
            }
            self.timer_trigger_notify(i, new);
        }
    }

    /// The start of a unit without processes (a target, a timer) up to its change of state:
    /// unit.c's `unit_test_start_limit()`, false with its lines and `Result=start-limit-hit`
    /// when the limit refuses (the type then enters its failed state), else a fresh invocation
    /// (`ServiceRuntime::reset_for_start()`, as the service machine's start does it).
    pub(super) fn processless_start(&mut self, i: UnitId) -> bool {
        let u = &mut self.units[i];
        let (interval, burst) = (
            u.settings.start_limit_interval,
            u.settings.start_limit_burst,
        );
        if !u.svc.start_limit.allow(interval, burst) {
            self.unit_log(i, "Start request repeated too quickly.");
            self.units[i].svc.result = ServiceResult::StartLimitHit;
            let desc = self.description(i);
            self.unit_log(i, "Failed with result 'start-limit-hit'.");
            self.log(i, &format!("Failed to start {desc}."));
            return false;
        }
        self.units[i].svc.reset_for_start();
        true
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

    pub(super) fn all_stopped(&self) -> bool {
        self.jobs.is_empty()
            && self
                .units
                .values()
                .all(|u| u.is_inactive() && u.svc.control_pid.is_none())
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
            if self.units[i].is_failed() {
                self.units[i].svc.result = ServiceResult::Success;
                vtable(self.units[i].config.unit_type).reset_failed(self, i);
            }
        }
        Reply::Done
    }
}

/// The unit type's operations.
pub(in crate::manager) fn vtable(unit_type: UnitType) -> &'static dyn UnitVTable {
    match unit_type {
        UnitType::Service => &service::unit_seam::SERVICE_VTABLE,
        UnitType::Socket => &socket::SOCKET_VTABLE,
        UnitType::Timer => &timer::state::TIMER_VTABLE,
        _ => &target::TARGET_VTABLE,
    }
}
