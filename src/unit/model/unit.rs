//! The [Unit] and [Install] settings of systemd.unit(5) as systemd 252's load-fragment.c keeps
//! them, with their defaults.

use crate::unit::job::JobMode;
use crate::unit::state::string_table;
use crate::unit::timespan::Usec;

string_table! {
    /// `FailureAction=`, `SuccessAction=`, `StartLimitAction=`, `JobTimeoutAction=`
    /// (emergency-action.c's `EmergencyAction`).
    pub enum EmergencyAction {
        None => "none",
        Reboot => "reboot",
        RebootForce => "reboot-force",
        RebootImmediate => "reboot-immediate",
        Poweroff => "poweroff",
        PoweroffForce => "poweroff-force",
        PoweroffImmediate => "poweroff-immediate",
        Exit => "exit",
        ExitForce => "exit-force",
        Kexec => "kexec",
        KexecForce => "kexec-force",
        Halt => "halt",
        HaltForce => "halt-force",
        HaltImmediate => "halt-immediate",
    }
}

string_table! {
    /// `CollectMode=` (unit.c's `CollectMode`): whether a failed unit is collected too.
    pub enum CollectMode {
        Inactive => "inactive",
        InactiveOrFailed => "inactive-or-failed",
    }
}

/// The dependency settings of [Unit], in the order systemd's D-Bus interface lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dependency {
    Requires,
    Requisite,
    Wants,
    BindsTo,
    PartOf,
    Upholds,
    Conflicts,
    Before,
    After,
    OnSuccess,
    OnFailure,
    PropagatesReloadTo,
    ReloadPropagatedFrom,
    PropagatesStopTo,
    StopPropagatedFrom,
    JoinsNamespaceOf,
}

impl Dependency {
    /// target.c: what a target pulls in that it is also ordered after (when both sides keep
    /// their default dependencies and the unit is not ordered after the target already).
    pub const TARGET_ORDERED_AFTER: [Dependency; 5] = [
        Dependency::Requires,
        Dependency::Requisite,
        Dependency::Wants,
        Dependency::BindsTo,
        Dependency::Upholds,
    ];

    pub const ALL: [Dependency; 16] = [
        Dependency::Requires,
        Dependency::Requisite,
        Dependency::Wants,
        Dependency::BindsTo,
        Dependency::PartOf,
        Dependency::Upholds,
        Dependency::Conflicts,
        Dependency::Before,
        Dependency::After,
        Dependency::OnSuccess,
        Dependency::OnFailure,
        Dependency::PropagatesReloadTo,
        Dependency::ReloadPropagatedFrom,
        Dependency::PropagatesStopTo,
        Dependency::StopPropagatedFrom,
        Dependency::JoinsNamespaceOf,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dependency::Requires => "Requires",
            Dependency::Requisite => "Requisite",
            Dependency::Wants => "Wants",
            Dependency::BindsTo => "BindsTo",
            Dependency::PartOf => "PartOf",
            Dependency::Upholds => "Upholds",
            Dependency::Conflicts => "Conflicts",
            Dependency::Before => "Before",
            Dependency::After => "After",
            Dependency::OnSuccess => "OnSuccess",
            Dependency::OnFailure => "OnFailure",
            Dependency::PropagatesReloadTo => "PropagatesReloadTo",
            Dependency::ReloadPropagatedFrom => "ReloadPropagatedFrom",
            Dependency::PropagatesStopTo => "PropagatesStopTo",
            Dependency::StopPropagatedFrom => "StopPropagatedFrom",
            Dependency::JoinsNamespaceOf => "JoinsNamespaceOf",
        }
    }

    pub(super) fn from_key(key: &str) -> Option<Dependency> {
        // the old spellings systemd still accepts
        let key = match key {
            "BindTo" => "BindsTo",
            "PropagateReloadTo" => "PropagatesReloadTo",
            "PropagateReloadFrom" => "ReloadPropagatedFrom",
            k => k,
        };
        Dependency::ALL.into_iter().find(|d| d.as_str() == key)
    }
}

/// One `Condition…=`/`Assert…=` setting: `|` makes it a triggering one, `!` negates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The setting's name, `ConditionPathExists`.
    pub name: String,
    pub trigger: bool,
    pub negate: bool,
    pub parameter: String,
}

pub(super) const CONDITION_KINDS: &[&str] = &[
    "Architecture",
    "Firmware",
    "Virtualization",
    "Host",
    "KernelCommandLine",
    "KernelVersion",
    "Credential",
    "Security",
    "Capability",
    "ACPower",
    "Memory",
    "CPUs",
    "Environment",
    "CPUFeature",
    "OSRelease",
    "MemoryPressure",
    "CPUPressure",
    "IOPressure",
    "NeedsUpdate",
    "FirstBoot",
    "PathExists",
    "PathExistsGlob",
    "PathIsDirectory",
    "PathIsSymbolicLink",
    "PathIsMountPoint",
    "PathIsReadWrite",
    "PathIsEncrypted",
    "DirectoryNotEmpty",
    "FileNotEmpty",
    "FileIsExecutable",
    "User",
    "Group",
    "ControlGroupController",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSection {
    pub description: String,
    pub documentation: Vec<String>,
    pub dependencies: Vec<(Dependency, Vec<String>)>,
    pub requires_mounts_for: Vec<String>,
    pub source_path: Option<String>,
    pub default_dependencies: bool,
    pub stop_when_unneeded: bool,
    pub refuse_manual_start: bool,
    pub refuse_manual_stop: bool,
    pub allow_isolate: bool,
    pub ignore_on_isolate: bool,
    pub conditions: Vec<Condition>,
    pub asserts: Vec<Condition>,
    pub job_timeout: Usec,
    pub job_running_timeout: Usec,
    pub job_timeout_action: EmergencyAction,
    pub start_limit_interval: Usec,
    pub start_limit_burst: u32,
    pub start_limit_action: EmergencyAction,
    pub failure_action: EmergencyAction,
    pub success_action: EmergencyAction,
    pub on_failure_job_mode: JobMode,
    pub on_success_job_mode: JobMode,
    pub collect_mode: CollectMode,
}

impl Default for UnitSection {
    fn default() -> Self {
        UnitSection {
            description: String::new(),
            documentation: Vec::new(),
            dependencies: Vec::new(),
            requires_mounts_for: Vec::new(),
            source_path: None,
            default_dependencies: true,
            stop_when_unneeded: false,
            refuse_manual_start: false,
            refuse_manual_stop: false,
            allow_isolate: false,
            ignore_on_isolate: false,
            conditions: Vec::new(),
            asserts: Vec::new(),
            job_timeout: Usec::INFINITY,
            job_running_timeout: Usec::INFINITY,
            job_timeout_action: EmergencyAction::None,
            start_limit_interval: Usec::secs(10),
            start_limit_burst: 5,
            start_limit_action: EmergencyAction::None,
            failure_action: EmergencyAction::None,
            success_action: EmergencyAction::None,
            on_failure_job_mode: JobMode::Replace,
            on_success_job_mode: JobMode::Fail,
            collect_mode: CollectMode::Inactive,
        }
    }
}

impl UnitSection {
    pub fn dependency(&self, dep: Dependency) -> &[String] {
        self.dependencies
            .iter()
            .find(|(d, _)| *d == dep)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    pub(super) fn add_dependency(&mut self, dep: Dependency, name: String) {
        match self.dependencies.iter_mut().find(|(d, _)| *d == dep) {
            Some((_, names)) if names.contains(&name) => {}
            Some((_, names)) => names.push(name),
            None => {
                self.dependencies.push((dep, vec![name]));
                self.dependencies.sort_by_key(|(d, _)| *d);
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallSection {
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    pub upheld_by: Vec<String>,
    pub alias: Vec<String>,
    pub also: Vec<String>,
    pub default_instance: Option<String>,
}
