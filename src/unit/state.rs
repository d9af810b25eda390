//! The states a unit is in, as systemd names them on D-Bus and in `systemctl` output (unit-def.c's
//! string tables): shared by the manager, which sets them, the state file it leaves, and the
//! client, which prints them, so that both ends of the control channel use one type.

use serde::{Deserialize, Serialize};

/// systemd's unit active states (`ActiveState=`, unit_active_state_to_string()).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActiveState {
    Active,
    Reloading,
    #[default]
    Inactive,
    Failed,
    Activating,
    Deactivating,
}

impl ActiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            ActiveState::Active => "active",
            ActiveState::Reloading => "reloading",
            ActiveState::Inactive => "inactive",
            ActiveState::Failed => "failed",
            ActiveState::Activating => "activating",
            ActiveState::Deactivating => "deactivating",
        }
    }

    /// Up, for `is-active` and `status`' exit code: active or reloading.
    pub fn is_active_or_reloading(self) -> bool {
        matches!(self, ActiveState::Active | ActiveState::Reloading)
    }
}

impl std::fmt::Display for ActiveState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_states_cross_the_wire_as_systemds_words() {
        for state in [
            ActiveState::Active,
            ActiveState::Reloading,
            ActiveState::Inactive,
            ActiveState::Failed,
            ActiveState::Activating,
            ActiveState::Deactivating,
        ] {
            let json = serde_json::to_string(&state).expect("encodes");
            assert_eq!(json, format!("\"{state}\""));
            assert_eq!(serde_json::from_str::<ActiveState>(&json).ok(), Some(state));
        }
    }
}
