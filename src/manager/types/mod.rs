//! The unit types, as systemd's src/core keeps one file (or folder) per type: services
//! (`service`: the model, the state machine, its processes, commands, PID files and sd_notify
//! messages), sockets (`socket`, on the service machine), timers (`timer`: `TimerState` and
//! its schedule) and targets (`target`: `TargetState`, also for the other types without
//! processes); and what every unit type shares: unit.c's `unit_notify()` (`unit_notify.rs`),
//! which each type's set-state function (`service_set_state()`, `timer_set_state()`,
//! `target_set_state()`) ends in, the start limit and fresh invocation of a unit without
//! processes, reset-failed, the log lines, and [`UnitVTable`], the operations the job engine
//! and the event loop ask of a unit, which each type implements; the units whose work the
//! manager does itself (journald's and logind's, `served.rs`) have their own.

pub mod runtime;
pub(in crate::manager) mod served;
pub mod service;
pub mod socket;
pub mod target;
pub(in crate::manager) mod unit_notify;
pub(in crate::manager) mod vtable;

use vtable::UnitVTable;
pub mod timer;

use crate::ipc::protocol::Reply;
use crate::unit::name::UnitType;
use crate::unit::state::ServiceResult;

use super::daemon::Manager;
use crate::manager::unit_id::UnitId;

impl Manager {
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
                // a perpetual unit (-.slice, init.scope) is up for as long as the manager
                .all(|u| u.config.perpetual || (u.is_inactive() && u.svc.control_pid.is_none()))
    }

    /// ResetFailed() or ResetFailedUnit() per name: a unit that is not loaded (collected, or
    /// never loaded) is refused, as bus_get_unit_by_name() refuses it, and the others reset.
    pub(super) fn reset_failed(&mut self, names: &[String]) -> Reply {
        let mut errors = Vec::new();
        let indices: Vec<UnitId> = if names.is_empty() {
            self.units.ids().into_iter().collect()
        } else {
            let mut v = Vec::new();
            for name in names {
                match self.units.lookup(name) {
                    Some(i) => v.push(i),
                    None => errors.push((name.clone(), format!("Unit {name} not loaded."))),
                }
            }
            v
        };
        for i in indices {
            self.units[i].svc.start_limit.reset();
            if self.units[i].is_failed() {
                self.units[i].svc.result = ServiceResult::Success;
                unit_vtable(&self.units[i]).reset_failed(self, i);
            }
        }
        if errors.is_empty() {
            Reply::Done
        } else {
            Reply::UnitErrors(errors)
        }
    }
}

/// Unit `u`'s operations: its type's, or those of a unit the manager serves itself.
pub(in crate::manager) fn unit_vtable(u: &crate::manager::unit::Unit) -> &'static dyn UnitVTable {
    if u.served {
        &served::SERVED_VTABLE
    } else {
        vtable(u.config.unit_type)
    }
}

/// The unit type's operations.
pub(in crate::manager) fn vtable(unit_type: UnitType) -> &'static dyn UnitVTable {
    match unit_type {
        // A socket runs the service machine with its own commands and steps (socket.c's
        // control processes are service.c's; see `vtable.rs`), so it shares the service's entry.
        UnitType::Service | UnitType::Socket => &service::unit_seam::SERVICE_VTABLE,
        UnitType::Timer => &timer::state::TIMER_VTABLE,
        _ => &target::state::TARGET_VTABLE,
    }
}
