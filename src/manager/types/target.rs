//! Targets (target.c), and for now every other type without processes of its own (slices,
//! scopes, paths, devices, mounts as the manager sees them): a [`TargetState`] changed by jobs
//! without running anything. `target_set_state()` ends, as target.c's does, in unit.c's
//! `unit_notify()`; start and stop are target.c's `target_start()`/`target_stop()` with the
//! start limit every unit has (unit.c's `unit_test_start_limit()`, see `processless_start`).

use super::vtable::UnitVTable;
use super::NotifyFlags;
use crate::ipc::saved_state::ActiveState;
use crate::manager::daemon::Manager;
use crate::manager::unit::Unit;
use crate::manager::unit_id::UnitId;
use crate::unit::name::UnitType;

/// target.c's `TargetState`, with the `failed` that any unit of this manager enters when its
/// start limit refuses a start (target.c's targets never fail; slices and the others can).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TargetState {
    #[default]
    Dead,
    Active,
    Failed,
}

impl TargetState {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Dead => "dead",
            TargetState::Active => "active",
            TargetState::Failed => "failed",
        }
    }

    /// target.c's `state_translation_table`.
    pub fn active_state(self) -> ActiveState {
        match self {
            TargetState::Dead => ActiveState::Inactive,
            TargetState::Active => ActiveState::Active,
            TargetState::Failed => ActiveState::Failed,
        }
    }

    /// The state a record's ActiveState= comes back as.
    pub fn of_active(state: ActiveState) -> TargetState {
        match state {
            ActiveState::Inactive => TargetState::Dead,
            ActiveState::Failed => TargetState::Failed,
            _ => TargetState::Active,
        }
    }
}

impl Manager {
    /// target_set_state(): the unit's new state, then unit_notify().
    pub(in crate::manager) fn target_set_state(&mut self, i: UnitId, new: TargetState) {
        let Some(state) = self.units[i].target_mut() else {
            return;
        };
        let old = std::mem::replace(state, new);
        self.unit_notify(
            i,
            old.active_state(),
            new.active_state(),
            NotifyFlags {
                changed: old != new,
                will_auto_restart: false,
            },
        );
    }

    /// target_start(): active at once, unless the start limit refuses.
    fn target_start(&mut self, i: UnitId) -> bool {
        if !self.processless_start(i) {
            self.target_set_state(i, TargetState::Failed);
            return false;
        }
        self.target_set_state(i, TargetState::Active);
        true
    }

    /// target_stop(): dead at once, with job.c's done message (`Stopped target …` for a
    /// target).
    fn target_stop(&mut self, i: UnitId) {
        if self.units[i].target() != Some(TargetState::Active) {
            return;
        }
        let desc = self.description(i);
        self.target_set_state(i, TargetState::Dead);
        let what = if self.units[i].config.unit_type == UnitType::Target {
            "Stopped target"
        } else {
            "Stopped"
        };
        self.log(i, &format!("{what} {desc}."));
    }
}

pub(super) struct TargetVTable;

pub(super) static TARGET_VTABLE: TargetVTable = TargetVTable;

impl UnitVTable for TargetVTable {
    fn start(&self, m: &mut Manager, i: UnitId) -> bool {
        m.target_start(i)
    }

    fn stop(&self, m: &mut Manager, i: UnitId) {
        m.target_stop(i);
    }

    fn reset_failed(&self, m: &mut Manager, i: UnitId) {
        if m.units[i].target() == Some(TargetState::Failed) {
            m.target_set_state(i, TargetState::Dead);
        }
    }

    fn active_state(&self, u: &Unit) -> ActiveState {
        // A unit of these types always carries a target's runtime (TypeRuntime::of()).
        u.target()
            .map_or(ActiveState::Inactive, TargetState::active_state)
    }

    fn sub_state(&self, u: &Unit) -> &'static str {
        u.target().map_or("dead", TargetState::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_active_or_down_as_target_c_translates_it() {
        let cases = [
            (TargetState::Dead, ActiveState::Inactive, "dead"),
            (TargetState::Active, ActiveState::Active, "active"),
            (TargetState::Failed, ActiveState::Failed, "failed"),
        ];
        for (state, active, word) in cases {
            assert_eq!(state.active_state(), active);
            assert_eq!(state.as_str(), word);
            assert_eq!(TargetState::of_active(active), state);
        }
        assert_eq!(TargetState::default(), TargetState::Dead);
    }
}
