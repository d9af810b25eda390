//! unit.c's `unit_notify()`: what every unit type's set-state function ends in once the
//! type's own state changed: the timestamps, the unit's job, the reactions of the units around
//! it and of those that trigger it. (The `Starting …` line is job.c's, see
//! [`Manager::announce_start`].)

use crate::ipc::saved_state::ActiveState;
use crate::manager::daemon::Manager;
use crate::manager::unit_id::UnitId;
use crate::sys::time::now_stamp;
use crate::unit::name::UnitType;

/// unit.c's `UnitNotifyFlags`: what the type tells [`Manager::unit_notify`] beside the two
/// states.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::manager) struct NotifyFlags {
    /// The type's own state changed (not only entered again): the units that trigger this one
    /// look again (`unit_trigger_notify()`).
    pub changed: bool,
}

impl Manager {
    /// unit.c's `unit_notify()`: unit `i`'s type moved it from `old` to `new` (its own state
    /// already changed): the timestamps, the unit's job, the reactions of the units around it
    /// and of those that trigger it.
    pub(in crate::manager) fn unit_notify(
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
        self.dirty = true;
        if is_inactive(new) {
            self.collect_later(i);
            self.prune_cgroup(i);
        }
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

    /// job.c's `job_emit_start_message()` after `unit_start()`: `Starting …` only when the unit
    /// did not get up within the call (a Type=simple service, a target or a socket without
    /// commands is active at once, and 252 logs only its `Started …`/`Reached …` line). A
    /// Type=exec service, which gets up within our call, logs it from its machine.
    pub(in crate::manager) fn announce_start(&mut self, i: UnitId) {
        let u = &self.units[i];
        let exec = u.config.unit_type == UnitType::Service
            && u.settings.kind == crate::manager::types::service::ServiceType::Exec;
        if !exec && u.active_state() == ActiveState::Activating {
            let desc = self.description(i);
            self.log(i, &format!("Starting {desc}..."));
        }
    }
}
