//! The states a unit is in, as systemd names them on D-Bus and in `systemctl` output (unit-def.c's
//! string tables, and service.c's for `Result=`): shared by the manager, which sets them, the
//! state file it leaves, and the client, which prints them, so that both ends of the control
//! channel use one type. Each crosses the wire as systemd's word for it.

use serde::{Deserialize, Serialize};

/// An enum with systemd's string table: each variant's word is its `as_str()`, its Display and
/// its serde name, so the one table serves the wire, the state file and the output.
macro_rules! string_table {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident => $word:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant,)+
        }

        impl $name {
            /// Every value, in systemd's table order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            /// The value systemd's `…_from_string()` gives `word`.
            pub fn parse(word: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == word)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_table;

string_table! {
    /// timer.c's `TimerResult` (`Result=` of a timer).
    #[derive(Default)]
    pub enum TimerResult {
        #[default]
        Success => "success",
        Resources => "resources",
        StartLimitHit => "start-limit-hit",
    }
}

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

string_table! {
    /// systemd's `UnitLoadState` (`LoadState=`, unit_load_state_to_string()): the word only; why
    /// a unit is in `error` is the unit model's [`super::model::LoadFailure`].
    pub enum UnitLoadState {
        Loaded => "loaded",
        NotFound => "not-found",
        BadSetting => "bad-setting",
        Error => "error",
        Masked => "masked",
    }
}

string_table! {
    /// `Result=` of a service, and of a socket (service.c's `ServiceResult`, with socket.c's
    /// trigger-limit results the manager records for sockets).
    pub enum ServiceResult {
        Success => "success",
        Resources => "resources",
        Protocol => "protocol",
        Timeout => "timeout",
        ExitCode => "exit-code",
        Signal => "signal",
        CoreDump => "core-dump",
        Watchdog => "watchdog",
        StartLimitHit => "start-limit-hit",
        /// ExecCondition= said no (exit 1–254): the unit is skipped, not failed.
        SkipCondition => "exec-condition",
        /// A socket triggered more often than TriggerLimit*= allow.
        TriggerLimitHit => "trigger-limit-hit",
        /// The service a socket triggers hit its start limit.
        ServiceStartLimitHit => "service-start-limit-hit",
    }
}

/// serde for an `Option` of a word that crosses the wire as the word, or as an empty string
/// where there is none (a unit the manager does not know has no load state or result).
pub mod word_or_empty {
    use serde::de::IntoDeserializer;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => v.serialize(s),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let word = String::deserialize(d)?;
        if word.is_empty() {
            return Ok(None);
        }
        T::deserialize(word.into_deserializer()).map(Some)
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

    #[test]
    fn load_states_and_results_cross_the_wire_as_systemds_words() {
        for state in UnitLoadState::ALL {
            let json = serde_json::to_string(state).expect("encodes");
            assert_eq!(json, format!("\"{state}\""));
            assert_eq!(
                serde_json::from_str::<UnitLoadState>(&json).ok(),
                Some(*state)
            );
        }
        for result in ServiceResult::ALL {
            let json = serde_json::to_string(result).expect("encodes");
            assert_eq!(json, format!("\"{result}\""));
            assert_eq!(ServiceResult::parse(result.as_str()), Some(*result));
        }
        assert_eq!(ServiceResult::SkipCondition.as_str(), "exec-condition");
    }

    #[test]
    fn a_missing_word_crosses_the_wire_as_an_empty_string() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct S {
            #[serde(with = "word_or_empty")]
            r: Option<ServiceResult>,
        }
        for (v, json) in [
            (None, r#"{"r":""}"#),
            (Some(ServiceResult::ExitCode), r#"{"r":"exit-code"}"#),
        ] {
            assert_eq!(serde_json::to_string(&S { r: v }).expect("encodes"), json);
            assert_eq!(serde_json::from_str::<S>(json).ok(), Some(S { r: v }));
        }
    }
}
