//! Targets (target.c), and for now every other type without processes of its own (slices,
//! scopes such as init.scope, paths, devices, mounts as the manager sees them): a [`TargetState`] changed by jobs
//! without running anything (`state.rs`: `target_set_state()`, which ends, as target.c's does,
//! in unit.c's `unit_notify()`, and target.c's `target_start()`/`target_stop()` with the start
//! limit every unit has, unit.c's `unit_test_start_limit()`).

use crate::ipc::saved_state::ActiveState;

pub(in crate::manager) mod state;

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

    /// A scope's word for the state (scope.c's `SCOPE_RUNNING` for an active one).
    pub fn scope_sub_state(self) -> &'static str {
        match self {
            TargetState::Active => "running",
            other => other.as_str(),
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
