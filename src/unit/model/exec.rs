//! The `Exec…=` commands and the settings of systemd.exec(5) and systemd.kill(5) that systemd
//! 252's load-fragment.c keeps for services and sockets, with their defaults.

use crate::sys::rlimit::Limit;
use crate::unit::name::UnitType;
use crate::unit::state::string_table;

/// `StandardInput=` (execute.c's `ExecInput`, as config_parse_exec_input() takes it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StandardInput {
    #[default]
    Null,
    Tty,
    TtyForce,
    TtyFail,
    Socket,
    Data,
    /// `file:PATH`, an absolute path.
    File(String),
}

impl StandardInput {
    /// The setting's value, or `None` for one systemd refuses.
    pub fn parse(value: &str) -> Option<StandardInput> {
        Some(match value {
            "null" => StandardInput::Null,
            "tty" => StandardInput::Tty,
            "tty-force" => StandardInput::TtyForce,
            "tty-fail" => StandardInput::TtyFail,
            "socket" => StandardInput::Socket,
            "data" => StandardInput::Data,
            _ => match value.strip_prefix("file:") {
                Some(path) if path.starts_with('/') => StandardInput::File(path.to_string()),
                _ => return None,
            },
        })
    }

    /// exec_input_to_string(): the word of `StandardInput=` on the bus (`file` without its
    /// path).
    pub fn as_str(&self) -> &'static str {
        match self {
            StandardInput::Null => "null",
            StandardInput::Tty => "tty",
            StandardInput::TtyForce => "tty-force",
            StandardInput::TtyFail => "tty-fail",
            StandardInput::Socket => "socket",
            StandardInput::Data => "data",
            StandardInput::File(_) => "file",
        }
    }

    /// One of the terminal inputs (`exec_input_is_terminal()`).
    pub fn is_tty(&self) -> bool {
        matches!(
            self,
            StandardInput::Tty | StandardInput::TtyForce | StandardInput::TtyFail
        )
    }
}

string_table! {
    /// `KillMode=` (kill.c's `KillMode`): which of the unit's processes a stop signals.
    pub enum KillMode {
        ControlGroup => "control-group",
        Process => "process",
        Mixed => "mixed",
        None => "none",
    }
}

/// The `Exec…=` settings, in the order systemd's D-Bus interface lists them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ExecKind {
    Condition,
    StartPre,
    Start,
    StartPost,
    Reload,
    Stop,
    StopPre,
    StopPost,
}

impl ExecKind {
    pub const ALL: [ExecKind; 8] = [
        ExecKind::Condition,
        ExecKind::StartPre,
        ExecKind::Start,
        ExecKind::StartPost,
        ExecKind::Reload,
        ExecKind::Stop,
        ExecKind::StopPre,
        ExecKind::StopPost,
    ];

    pub fn property(self) -> &'static str {
        match self {
            ExecKind::Condition => "ExecCondition",
            ExecKind::StartPre => "ExecStartPre",
            ExecKind::Start => "ExecStart",
            ExecKind::StartPost => "ExecStartPost",
            ExecKind::Reload => "ExecReload",
            ExecKind::Stop => "ExecStop",
            ExecKind::StopPre => "ExecStopPre",
            ExecKind::StopPost => "ExecStopPost",
        }
    }

    /// The kind whose property is named `name` (`ExecStartPre`).
    pub fn from_property(name: &str) -> Option<ExecKind> {
        ExecKind::ALL.into_iter().find(|k| k.property() == name)
    }

    pub(super) fn from_key(key: &str, unit_type: UnitType) -> Option<ExecKind> {
        let kind = ExecKind::from_property(key)?;
        let allowed = match unit_type {
            UnitType::Service => kind != ExecKind::StopPre,
            UnitType::Socket => matches!(
                kind,
                ExecKind::StartPre | ExecKind::StartPost | ExecKind::StopPre | ExecKind::StopPost
            ),
            _ => false,
        };
        allowed.then_some(kind)
    }
}

/// The settings of systemd.exec(5) and systemd.kill(5) we act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSettings {
    pub user: Option<String>,
    pub group: Option<String>,
    pub supplementary_groups: Vec<String>,
    pub working_directory: Option<String>,
    pub root_directory: Option<String>,
    pub environment: Vec<String>,
    /// Paths; `-` prefix kept meaning "ignore if missing".
    pub environment_files: Vec<(String, bool)>,
    pub umask: String,
    pub standard_input: StandardInput,
    /// `NonBlocking=`: the passed file descriptors keep O_NONBLOCK (else it is cleared).
    pub non_blocking: bool,
    pub standard_output: String,
    pub standard_error: String,
    pub syslog_identifier: Option<String>,
    pub runtime_directory: Vec<String>,
    pub state_directory: Vec<String>,
    pub cache_directory: Vec<String>,
    pub logs_directory: Vec<String>,
    pub configuration_directory: Vec<String>,
    pub runtime_directory_mode: u32,
    pub state_directory_mode: u32,
    pub cache_directory_mode: u32,
    pub logs_directory_mode: u32,
    pub configuration_directory_mode: u32,
    pub runtime_directory_preserve: DirectoryPreserve,
    /// `PassEnvironment=`: names copied from the manager's own environment.
    pub pass_environment: Vec<String>,
    /// `UnsetEnvironment=`: a `NAME` or an exact `NAME=VALUE` to remove.
    pub unset_environment: Vec<String>,
    /// `PermissionsStartOnly=` of [Service]: the control commands keep the manager's credentials.
    pub permissions_start_only: bool,
    /// `Limit*=`, one per resource, the last assignment winning.
    pub limits: Vec<Limit>,
    pub nice: Option<i32>,
    pub oom_score_adjust: Option<i32>,
    /// `TTYPath=`; `None` is systemd's default `/dev/console` (kept apart because an explicit
    /// one makes systemd export `$TERM`).
    pub tty_path: Option<String>,
    /// `Slice=`; filled in with the default slice at the end of loading.
    pub slice: Option<String>,
    pub kill_mode: KillMode,
    pub kill_signal: String,
    /// `RestartKillSignal=`; `None` means `KillSignal=` is used for restarts too.
    pub restart_kill_signal: Option<String>,
    pub final_kill_signal: String,
    pub send_sigkill: bool,
    pub send_sighup: bool,
}

/// `RuntimeDirectoryPreserve=`: whether the runtime directories survive a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryPreserve {
    No,
    Yes,
    /// Kept over a restart, removed on a real stop.
    Restart,
}

/// systemd's default mode of the directories `RuntimeDirectory=` … create.
pub const DEFAULT_DIRECTORY_MODE: u32 = 0o755;

impl Default for ExecSettings {
    fn default() -> Self {
        ExecSettings {
            user: None,
            group: None,
            supplementary_groups: Vec::new(),
            working_directory: None,
            root_directory: None,
            environment: Vec::new(),
            environment_files: Vec::new(),
            umask: "0022".into(),
            standard_input: StandardInput::Null,
            non_blocking: false,
            standard_output: "journal".into(),
            standard_error: "inherit".into(),
            syslog_identifier: None,
            runtime_directory: Vec::new(),
            state_directory: Vec::new(),
            cache_directory: Vec::new(),
            logs_directory: Vec::new(),
            configuration_directory: Vec::new(),
            runtime_directory_mode: DEFAULT_DIRECTORY_MODE,
            state_directory_mode: DEFAULT_DIRECTORY_MODE,
            cache_directory_mode: DEFAULT_DIRECTORY_MODE,
            logs_directory_mode: DEFAULT_DIRECTORY_MODE,
            configuration_directory_mode: DEFAULT_DIRECTORY_MODE,
            runtime_directory_preserve: DirectoryPreserve::No,
            pass_environment: Vec::new(),
            unset_environment: Vec::new(),
            permissions_start_only: false,
            limits: Vec::new(),
            nice: None,
            oom_score_adjust: None,
            tty_path: None,
            slice: None,
            kill_mode: KillMode::ControlGroup,
            kill_signal: "SIGTERM".into(),
            restart_kill_signal: None,
            final_kill_signal: "SIGKILL".into(),
            send_sigkill: true,
            send_sighup: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// config_parse_exec_input() takes `file:` with an absolute path only, and the bus names
    /// the setting `file` without the path (252's `show -p StandardInput`).
    #[test]
    fn standard_input_words() {
        let file = StandardInput::parse("file:/etc/hostname");
        assert_eq!(file, Some(StandardInput::File("/etc/hostname".into())));
        assert_eq!(file.map(|f| f.as_str()), Some("file"));
        assert_eq!(StandardInput::parse("file:etc/hostname"), None);
        assert_eq!(StandardInput::parse("fd"), None);
        for word in ["null", "tty", "tty-force", "tty-fail", "socket", "data"] {
            assert_eq!(StandardInput::parse(word).map(|i| i.as_str()), Some(word));
        }
        assert!(StandardInput::TtyFail.is_tty() && !StandardInput::Socket.is_tty());
    }
}
