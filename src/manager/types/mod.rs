//! The unit types, as systemd's src/core keeps one file (or folder) per type: services
//! (`service`: the model, the state machine, its processes, commands, PID files and sd_notify
//! messages), sockets (`socket`), timers (`timer`) and targets (`target`); and what every unit
//! type shares, unit.c's `unit_notify()` (a change of state, its timestamps and what it sets
//! off) and its log lines, and [`UnitVTable`], the operations the job engine and the event loop
//! ask of a unit, which each type implements.

pub mod runtime;
pub mod service;
pub mod socket;
mod target;
pub(in crate::manager) mod vtable;

use vtable::UnitVTable;
pub mod timer;

use crate::ipc::protocol::Reply;
use crate::ipc::saved_state::ActiveState;
use crate::unit::name::UnitType;
use crate::unit::state::ServiceResult;
use service::SubState;

use super::daemon::Manager;
use crate::manager::unit_id::UnitId;
use crate::sys::time::now_stamp;

impl Manager {
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

    pub(super) fn all_stopped(&self) -> bool {
        self.jobs.is_empty()
            && self.units.values().all(|u| {
                matches!(u.svc.state, SubState::Dead | SubState::Failed)
                    && u.svc.control_pid.is_none()
            })
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

/// The unit type's operations.
pub(in crate::manager) fn vtable(unit_type: UnitType) -> &'static dyn UnitVTable {
    match unit_type {
        UnitType::Service => &service::unit_seam::SERVICE_VTABLE,
        UnitType::Socket => &socket::SOCKET_VTABLE,
        UnitType::Timer => &timer::run::TIMER_VTABLE,
        _ => &target::TARGET_VTABLE,
    }
}
