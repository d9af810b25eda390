//! What `systemctl` and the manager say to each other: the operations of systemd's
//! org.freedesktop.systemd1.Manager interface that systemctl(1) uses (jobs for start, stop, reload
//! and their combinations; kill; reset-failed; unit and system state; daemon-reload), and the
//! replies, which carry systemd's job results and service results so the client can word its
//! answer as systemctl does.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::properties::Property;
use crate::unit::job::{JobKind, JobResult, JobState};
use crate::unit::model::live::PropertyValue;
use crate::unit::model::{ExecKind, TypeSection, UnitConfig};
use crate::unit::paths::LookupPaths;
use crate::unit::state::{word_or_empty, ActiveState, ServiceResult, UnitLoadState};

/// The job a verb asks for (systemctl's `verb_start()` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobVerb {
    Start,
    Stop,
    Reload,
    Restart,
    TryRestart,
    ReloadOrRestart,
    ReloadOrTryRestart,
}

/// `--job-mode=` (systemctl(1)) and OnFailureJobMode=: the unit model's word table.
pub use crate::unit::job::JobMode;

/// What `halt`, `poweroff`, `reboot`, `exit` and the PID 1 signals ask of the manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShutdownAction {
    Halt,
    Poweroff,
    Reboot,
    Exit,
}

/// One queued job, as `list-jobs` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobInfo {
    pub id: u32,
    pub unit: String,
    pub kind: JobKind,
    pub state: JobState,
}

/// `--kill-whom=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KillWhom {
    Main,
    Control,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Queue a job for each unit; the reply comes when all have finished, or at once with
    /// `no_block`.
    Job {
        verb: JobVerb,
        units: Vec<String>,
        no_block: bool,
        mode: JobMode,
    },
    Kill {
        units: Vec<String>,
        whom: KillWhom,
        signal: i32,
    },
    /// Empty `units`: every failed unit.
    ResetFailed {
        units: Vec<String>,
    },
    /// The runtime state of these units (loading them if needed).
    Units {
        units: Vec<String>,
        /// Also the dependencies other units record on each (RequiredBy=, Before= …), which
        /// costs the manager a read of the units its units name: only `show` of such a
        /// property (or of all) asks.
        #[serde(default)]
        from_others: bool,
    },
    /// What `show` prints of these units: their properties as the manager has them loaded,
    /// those named in `asked` (all when empty).
    Properties {
        units: Vec<String>,
        asked: Vec<String>,
    },
    /// Only the load and active states, for `is-active`/`is-failed`: cheap to answer.
    States {
        units: Vec<String>,
    },
    /// Every unit the manager has loaded.
    ListUnits,
    SystemState,
    DaemonReload,
    /// Stop everything and end the manager (a manager that is not PID 1).
    Exit,
    /// `halt`, `poweroff`, `reboot`, `exit [N]`: stop everything in order, then end with the
    /// exit code (N, or what `exit N` or a unit's action set before).
    Shutdown {
        action: ShutdownAction,
        exit_code: Option<u8>,
    },
    ListJobs,
    /// The manager's own properties (`show` without a unit), as Manager's GetAll() answers.
    ManagerProperties,
    /// What `status` shows of these units: runtime state, the configuration as loaded (until
    /// daemon-reload), and the active state of the units they trigger or are triggered by.
    UnitDetails {
        units: Vec<String>,
    },
    /// GetUnitByPID(): the unit a process belongs to.
    UnitOfPid {
        pid: u32,
    },
    /// Subscribe(): from here on the connection carries [`Reply::Event`]s (jobs queued and
    /// finished, units loaded, changed and collected, reloads, the end of the boot) and takes
    /// no more requests. Only the manager's own uid may subscribe: the bus front end, which
    /// passes them on to its subscribers as systemd's signals.
    Subscribe,
    /// Cancel one queued job by its number (CancelJob()).
    CancelJob {
        id: u32,
    },
    /// UnsetAndSetEnvironment() (and SetEnvironment(), UnsetEnvironment()): the manager's
    /// environment for the processes it spawns, after DefaultEnvironment=; `unset` names (or
    /// `NAME=VALUE` assignments) are removed first, then `set` assignments applied.
    SetEnvironment {
        unset: Vec<String>,
        set: Vec<String>,
    },
    /// The bus front end connected to the system bus: the owners of its well-known names then
    /// (dbus.c's GetNameOwner() for each watched name when the API bus comes up).
    BusUp {
        owners: Vec<BusNameOwner>,
    },
    /// A well-known name on the system bus changed owner (NameOwnerChanged); `owner` None: no
    /// owner now.
    BusNameOwner {
        name: String,
        owner: Option<String>,
        /// The owner's process (GetConnectionUnixProcessID()), where the bus told it.
        pid: Option<u32>,
    },
    /// The bus front end lost the system bus.
    BusGone,
    /// StartTransientUnit(): write each unit's file (unit-file text the bus front end made
    /// of the properties) to the transient directory, load them as transient units and start
    /// the first, answered as [`Request::Job`] with `no_block`. `units[0]` is the unit started;
    /// the rest are systemd's auxiliary units (the service a transient timer triggers).
    StartTransient {
        mode: JobMode,
        units: Vec<TransientUnit>,
        /// AddRef=yes: the caller holds the started unit until [`Request::UnitUnref`].
        #[serde(default)]
        add_ref: bool,
    },
    /// A bus client that held a unit (AddRef=yes) went away: the unit may be collected.
    UnitUnref {
        unit: String,
    },
    /// SetUnitProperties() and `systemctl set-property`: each property set on the loaded unit
    /// now and written as its drop-in (under /run with `runtime`), all or none.
    SetUnitProperties {
        unit: String,
        runtime: bool,
        properties: Vec<(String, PropertyValue)>,
    },
}

/// Well-known names of the system bus whose owners the manager keeps at most (a system bus has
/// a few dozen; each is a D-Bus name of at most 255 bytes, so a full report stays far below
/// [`crate::ipc::REQUEST_MAX`]).
pub const BUS_NAMES_MAX: usize = 1024;

/// Who owns a well-known name on the system bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusNameOwner {
    pub name: String,
    /// The owner's unique name (`:1.42`).
    pub owner: String,
    /// The owner's process (GetConnectionUnixProcessID()), where the bus told it.
    pub pid: Option<u32>,
}

/// One unit of [`Request::StartTransient`]: its name and its unit file's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransientUnit {
    pub name: String,
    pub text: String,
    /// Why its properties could not be written (the front end's words): refused after the
    /// checks of the name, as systemd sets the properties after making the unit.
    #[serde(default)]
    pub refused: Option<String>,
}

impl Request {
    /// Whether the request changes the manager's state (only root or the manager's own uid may
    /// send it), as opposed to a query anyone may send.
    pub fn changes_state(&self) -> bool {
        !matches!(
            self,
            Request::Units { .. }
                | Request::Properties { .. }
                | Request::States { .. }
                | Request::UnitDetails { .. }
                | Request::UnitOfPid { .. }
                | Request::ListUnits
                | Request::SystemState
                | Request::ListJobs
                | Request::ManagerProperties
        )
    }

    /// How many units a query names (0 for anything else): what [`crate::ipc::UNITS_PER_REQUEST`]
    /// bounds.
    pub fn units_asked(&self) -> usize {
        match self {
            Request::Units { units, .. }
            | Request::Properties { units, .. }
            | Request::States { units }
            | Request::UnitDetails { units } => units.len(),
            _ => 0,
        }
    }
}

/// How one unit's job ended. `Refused` is systemd's D-Bus error when the job could not even be
/// queued: the client prints `Failed to VERB UNIT: message` and exits with `exit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobOutcome {
    /// `result` is systemd's job result; `service_result` the unit's `Result=`, which words the
    /// message when the job failed.
    Finished {
        unit: String,
        result: JobResult,
        /// None where no unit ran (the job had nothing to do): an empty string on the wire.
        #[serde(with = "word_or_empty")]
        service_result: Option<ServiceResult>,
    },
    /// With `no_block`: the job queued for the unit (its number, 0 where the verb had nothing
    /// to queue), as systemd's StartUnit() answers with the job's object path at once.
    Queued {
        unit: String,
        #[serde(default)]
        job: u32,
        #[serde(default)]
        kind: Option<JobKind>,
    },
    Refused {
        unit: String,
        message: String,
        exit: u8,
    },
}

/// What an exec'd command did, as systemd's ExecStatus records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecRun {
    pub pid: i32,
    /// Realtime µs; 0 when it never ran / has not exited.
    pub start_usec: u64,
    pub exit_usec: u64,
    /// si_code: 1 exited, 2 killed, 3 dumped; 0 not exited.
    pub code: i32,
    pub status: i32,
}

/// The runtime view of one unit: what `show`, `status`, `is-active` and `list-units` print.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitStatus {
    pub id: String,
    /// None for a unit neither the manager nor its saved state knows: an empty string on the
    /// wire, as are `result` and `reload_result` where there is none.
    #[serde(with = "word_or_empty")]
    pub load_state: Option<UnitLoadState>,
    pub description: String,
    pub active_state: ActiveState,
    pub sub_state: String,
    #[serde(with = "word_or_empty")]
    pub result: Option<ServiceResult>,
    #[serde(with = "word_or_empty")]
    pub reload_result: Option<ServiceResult>,
    pub main_pid: i32,
    pub control_pid: i32,
    pub exec_main: ExecRun,
    /// Per `Exec…=` setting, per command, the last run (same order as the unit's commands).
    pub exec_runs: Vec<(ExecKind, Vec<ExecRun>)>,
    pub n_restarts: u32,
    pub status_text: String,
    pub status_errno: i32,
    pub invocation_id: String,
    /// Realtime µs at which that invocation began (0: none in this manager's life): what
    /// `status` shows of the log starts there, as 252 shows the lines of the invocation id.
    #[serde(default)]
    pub invocation_usec: u64,
    /// (realtime µs, monotonic µs) of the last transitions.
    pub active_enter: (u64, u64),
    pub active_exit: (u64, u64),
    pub inactive_enter: (u64, u64),
    pub inactive_exit: (u64, u64),
    pub state_change: (u64, u64),
    pub condition_result: bool,
    pub condition_timestamp: (u64, u64),
    /// `status`' lines under "start condition failed": `└─ ConditionX=… was not met`.
    pub failed_conditions: Vec<String>,
    pub assert_result: bool,
    pub assert_timestamp: (u64, u64),
    /// `status`' line under "start assertion failed".
    pub failed_assert: Option<String>,
    pub need_daemon_reload: bool,
    /// The unit's live processes, main first, with their command lines.
    pub processes: Vec<(i32, String)>,
    /// The type of the unit's job, if it has one.
    pub job: Option<JobKind>,
    /// That job's number (`show`'s `Job=`); 0 without one.
    #[serde(default)]
    pub job_id: u32,
    /// Triggers=/TriggeredBy= as the manager knows them, including the per-connection
    /// instances an Accept=yes socket started.
    #[serde(default)]
    pub triggers: Vec<String>,
    #[serde(default)]
    pub triggered_by: Vec<String>,
    /// The dependencies the manager records on this unit for the loaded units that name it
    /// (unit.c's `unit_add_dependency()` keeps each on both units: RequiredBy= for a Requires=,
    /// Before= for an After=, …), and the After= a target gets on what it pulls in
    /// (target.c). `show` adds them to what the unit's own files say.
    #[serde(default)]
    pub dependencies_from_others: Vec<(UnitDependency, Vec<String>)>,
    /// A socket unit's connection counters (NAccepted=, NConnections=, NRefused=).
    #[serde(default)]
    pub socket: Option<SocketCounters>,
    /// A timer unit's schedule.
    #[serde(default)]
    pub timer: Option<TimerInfo>,
}

impl UnitStatus {
    /// `LoadState=` as printed: empty where the unit is not known.
    pub fn load_state_word(&self) -> &'static str {
        self.load_state.map_or("", UnitLoadState::as_str)
    }

    /// `Result=` as printed: empty where there is none.
    pub fn result_word(&self) -> &'static str {
        self.result.map_or("", ServiceResult::as_str)
    }

    /// The units `dependencies_from_others` lists under `dep`.
    pub fn from_others(&self, dep: UnitDependency) -> &[String] {
        self.dependencies_from_others
            .iter()
            .find(|(d, _)| *d == dep)
            .map_or(&[], |(_, units)| units.as_slice())
    }
}

/// The dependency properties another unit's settings add to a unit (systemd's UnitDependency
/// values that unit.c's inverse table yields), named as `show` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum UnitDependency {
    RequiredBy,
    RequisiteOf,
    WantedBy,
    BoundBy,
    UpheldBy,
    ConsistsOf,
    ConflictedBy,
    Before,
    After,
    OnSuccessOf,
    OnFailureOf,
    PropagatesReloadTo,
    ReloadPropagatedFrom,
    PropagatesStopTo,
    StopPropagatedFrom,
}

impl UnitDependency {
    pub const ALL: [UnitDependency; 15] = [
        UnitDependency::RequiredBy,
        UnitDependency::RequisiteOf,
        UnitDependency::WantedBy,
        UnitDependency::BoundBy,
        UnitDependency::UpheldBy,
        UnitDependency::ConsistsOf,
        UnitDependency::ConflictedBy,
        UnitDependency::Before,
        UnitDependency::After,
        UnitDependency::OnSuccessOf,
        UnitDependency::OnFailureOf,
        UnitDependency::PropagatesReloadTo,
        UnitDependency::ReloadPropagatedFrom,
        UnitDependency::PropagatesStopTo,
        UnitDependency::StopPropagatedFrom,
    ];

    /// The property's name in `show`.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitDependency::RequiredBy => "RequiredBy",
            UnitDependency::RequisiteOf => "RequisiteOf",
            UnitDependency::WantedBy => "WantedBy",
            UnitDependency::BoundBy => "BoundBy",
            UnitDependency::UpheldBy => "UpheldBy",
            UnitDependency::ConsistsOf => "ConsistsOf",
            UnitDependency::ConflictedBy => "ConflictedBy",
            UnitDependency::Before => "Before",
            UnitDependency::After => "After",
            UnitDependency::OnSuccessOf => "OnSuccessOf",
            UnitDependency::OnFailureOf => "OnFailureOf",
            UnitDependency::PropagatesReloadTo => "PropagatesReloadTo",
            UnitDependency::ReloadPropagatedFrom => "ReloadPropagatedFrom",
            UnitDependency::PropagatesStopTo => "PropagatesStopTo",
            UnitDependency::StopPropagatedFrom => "StopPropagatedFrom",
        }
    }
}

/// What `show`, `status` and `list-timers` need of a timer: next elapse (µs of CLOCK_REALTIME
/// and CLOCK_MONOTONIC, 0 for none), last trigger, result, and each value's next elapse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerInfo {
    pub next_elapse_realtime: u64,
    pub next_elapse_monotonic: u64,
    pub last_trigger: (u64, u64),
    pub result: crate::unit::state::TimerResult,
    pub monotonic_next: Vec<u64>,
    pub calendar_next: Vec<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketCounters {
    pub n_accepted: u32,
    pub n_connections: u32,
    pub n_refused: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Jobs(Vec<JobOutcome>),
    Units(Vec<UnitStatus>),
    /// Per unit asked for, its properties in `show`'s order.
    Properties(Vec<Vec<Property>>),
    /// (load state, active state) per unit asked for.
    States(Vec<(UnitLoadState, ActiveState)>),
    SystemState(String),
    JobList(Vec<JobInfo>),
    Details(Vec<UnitDetails>),
    Done,
    /// The caller may not change state.
    AccessDenied,
    Error(String),
    /// Per unit that could not be acted on, its name and the manager's error (the others were).
    UnitErrors(Vec<(String, String)>),
    /// The unit a process belongs to, if any.
    UnitOfPid(Option<String>),
    /// A refusal with the D-Bus error systemd names it with (`org.freedesktop.systemd1.NoSuchUnit`
    /// …) and its message.
    BusError {
        name: String,
        message: String,
    },
    /// What a subscribed connection is told, as it happens.
    Event(ManagerEvent),
}

/// What the manager tells its subscribers (systemd's signals on org.freedesktop.systemd1.Manager
/// and its objects' PropertiesChanged), in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ManagerEvent {
    /// JobNew(): a job entered the queue.
    JobNew { id: u32, unit: String },
    /// JobRemoved(): a job left the queue with this result.
    JobRemoved {
        id: u32,
        unit: String,
        result: JobResult,
    },
    /// UnitNew(): the unit was loaded into the manager.
    UnitNew { unit: String },
    /// UnitRemoved(): the unit was collected.
    UnitRemoved { unit: String },
    /// The unit's state changed (PropertiesChanged on its object).
    UnitChanged { unit: String },
    /// Reloading(): true as daemon-reload begins, false once it is done.
    Reloading { active: bool },
    /// StartupFinished(): the boot's jobs are all done; µs since the manager started.
    StartupFinished { userspace_usec: u64 },
}

/// Everything `systemctl status UNIT` shows of one unit that the manager knows, in one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitDetails {
    pub status: UnitStatus,
    pub config: LoadedConfig,
    /// The active state of each unit `status.triggers` and `status.triggered_by` name.
    pub related: Vec<(String, ActiveState)>,
}

/// What `status` shows of a unit's configuration: for a loaded unit, what the manager loaded,
/// so that an edited file shows only after daemon-reload, as in systemd.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedConfig {
    /// Why the unit is not loaded, in the words of the manager's LoadError= message.
    pub load_error: Option<String>,
    pub fragment_path: Option<PathBuf>,
    /// SourcePath=: what a generator made the unit from (a SysV script), which `Loaded:` names
    /// instead of the generated file.
    #[serde(default)]
    pub source_path: Option<PathBuf>,
    pub dropin_paths: Vec<PathBuf>,
    pub documentation: Vec<String>,
    /// UnitFileState= and the vendor preset, empty where there is none.
    pub unit_file_state: String,
    pub preset: String,
    /// Per `Exec…=` property with commands, their command lines, in the unit's order.
    pub commands: Vec<(ExecKind, Vec<String>)>,
    /// A socket unit's listeners and whether it accepts connections.
    pub socket: Option<SocketConfig>,
    /// ControlGroup=: where the unit's processes are shown.
    pub control_group: String,
    /// Transient=: a unit the manager made (status says so under `Loaded:`).
    #[serde(default)]
    pub transient: bool,
}

/// A socket unit's `Listen:` lines: (address as systemd prints it, kind), and Accept=.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketConfig {
    pub listen: Vec<(String, String)>,
    pub accept: bool,
}

impl SocketConfig {
    /// A socket unit's section as `status` shows it; `None` for other types.
    pub fn of(kind: &TypeSection) -> Option<SocketConfig> {
        let TypeSection::Socket(s) = kind else {
            return None;
        };
        Some(SocketConfig {
            listen: s
                .listen
                .iter()
                .map(|l| (l.listen_display(), l.kind.to_string()))
                .collect(),
            accept: s.accept,
        })
    }
}

impl LoadedConfig {
    /// The part of `config` that `status` shows, with its unit file state as `lookup` finds it.
    pub fn of(config: &UnitConfig, lookup: &LookupPaths) -> LoadedConfig {
        let (unit_file_state, preset) = unit_file_state_and_preset(lookup, config);
        LoadedConfig {
            load_error: config.load_error_message(),
            fragment_path: config.fragment_path.clone(),
            source_path: config.unit.source_path.as_ref().map(PathBuf::from),
            dropin_paths: config.dropin_paths.clone(),
            documentation: config.unit.documentation.clone(),
            unit_file_state,
            preset,
            commands: ExecKind::ALL
                .iter()
                .map(|&kind| {
                    let lines = config
                        .exec_commands(kind)
                        .iter()
                        .map(|c| c.argv.join(" "))
                        .collect();
                    (kind, lines)
                })
                .filter(|(_, lines): &(ExecKind, Vec<String>)| !lines.is_empty())
                .collect(),
            socket: SocketConfig::of(&config.kind),
            control_group: config.control_group(),
            transient: config.transient,
        }
    }

    /// The command lines of `kind`, none where the unit has none.
    pub fn commands(&self, kind: ExecKind) -> &[String] {
        self.commands
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, lines)| lines.as_slice())
    }
}

/// `UnitFileState=` and `UnitFilePreset=` from the install layer; both empty for a unit without
/// a unit file, as systemd leaves them, and `generated` for a unit a generator made.
pub fn unit_file_state_and_preset(lookup: &LookupPaths, config: &UnitConfig) -> (String, String) {
    let name = config.id.as_str();
    let preset = || {
        crate::install::preset_state(lookup, name)
            .map(|p| p.as_str().to_string())
            .unwrap_or_default()
    };
    // a generator's file (a SysV script's unit); what the manager makes in memory (init.scope,
    // a slice, a target the image lacks) has no file and no state
    if config.generated_fragment.is_some() && config.fragment_path.is_some() {
        return ("generated".to_string(), preset());
    }
    match crate::install::unit_file_state(lookup, name) {
        Ok(state) => (state.as_str().to_string(), preset()),
        Err(_) => (String::new(), String::new()),
    }
}
