//! The typed, immutable configuration of one unit as systemd's load-fragment.c builds it from the
//! fragment and its drop-ins: the [Unit] and [Install] settings of systemd.unit(5), [Service]
//! (systemd.service(5), with the exec and kill settings of systemd.exec(5)/systemd.kill(5)),
//! [Socket], [Timer] and [Path], each with systemd 252's defaults; list settings accumulate and an
//! empty assignment resets them; `%` specifiers are expanded where systemd expands them; the
//! load-time checks of `service_verify()` turn a unit `bad-setting`. Settings systemd knows but we
//! do not act on are kept raw; unknown ones are kept too and warned about once.

use std::path::PathBuf;

use super::command::{self, ExecCommand};
use super::name::{self as unit_name, UnitType};
use super::paths::Scope;
use super::specifier::SpecifierContext;
use super::timespan::{self, Usec};

/// systemd's UnitLoadState, as `LoadState=` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadState {
    Loaded,
    NotFound,
    BadSetting,
    Error(LoadFailure),
    Masked,
}

/// Why a unit could not be read: the errno systemd records, which names the D-Bus error that
/// `LoadError=` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadFailure {
    /// A syntax error (systemd's EBADMSG).
    BadMessage,
    NotFound,
    SymlinkLoop,
    AccessDenied,
    TooLarge,
    Io,
}

impl LoadFailure {
    pub fn from_io(e: &std::io::Error) -> LoadFailure {
        match e.kind() {
            std::io::ErrorKind::NotFound => LoadFailure::NotFound,
            std::io::ErrorKind::PermissionDenied => LoadFailure::AccessDenied,
            _ if e.raw_os_error() == Some(libc::ELOOP) => LoadFailure::SymlinkLoop,
            _ => LoadFailure::Io,
        }
    }

    /// The D-Bus error name sd-bus gives the errno.
    pub fn dbus_name(self) -> &'static str {
        match self {
            LoadFailure::BadMessage => "System.Error.EBADMSG",
            LoadFailure::NotFound => "org.freedesktop.DBus.Error.FileNotFound",
            LoadFailure::SymlinkLoop => "System.Error.ELOOP",
            LoadFailure::AccessDenied => "org.freedesktop.DBus.Error.AccessDenied",
            LoadFailure::TooLarge => "System.Error.EFBIG",
            LoadFailure::Io => "System.Error.EIO",
        }
    }

    /// strerror() of the errno.
    pub fn strerror(self) -> &'static str {
        match self {
            LoadFailure::BadMessage => "Bad message",
            LoadFailure::NotFound => "No such file or directory",
            LoadFailure::SymlinkLoop => "Too many levels of symbolic links",
            LoadFailure::AccessDenied => "Permission denied",
            LoadFailure::TooLarge => "File too large",
            LoadFailure::Io => "Input/output error",
        }
    }
}

impl LoadState {
    pub fn as_str(self) -> &'static str {
        match self {
            LoadState::Loaded => "loaded",
            LoadState::NotFound => "not-found",
            LoadState::BadSetting => "bad-setting",
            LoadState::Error(_) => "error",
            LoadState::Masked => "masked",
        }
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

    fn from_key(key: &str) -> Option<Dependency> {
        let key = match key {
            "BindTo" => "BindsTo",
            "PropagateReloadTo" => "PropagatesReloadTo",
            "PropagateReloadFrom" => "ReloadPropagatedFrom",
            "StopPropagatedFrom" | "PropagatesStopTo" => key,
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

const CONDITION_KINDS: &[&str] = &[
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
    pub job_timeout_action: String,
    pub start_limit_interval: Usec,
    pub start_limit_burst: u32,
    pub start_limit_action: String,
    pub failure_action: String,
    pub success_action: String,
    pub on_failure_job_mode: String,
    pub on_success_job_mode: String,
    pub collect_mode: String,
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
            job_timeout_action: "none".into(),
            start_limit_interval: Usec::secs(10),
            start_limit_burst: 5,
            start_limit_action: "none".into(),
            failure_action: "none".into(),
            success_action: "none".into(),
            on_failure_job_mode: "replace".into(),
            on_success_job_mode: "fail".into(),
            collect_mode: "inactive".into(),
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

    fn add_dependency(&mut self, dep: Dependency, name: String) {
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
    pub alias: Vec<String>,
    pub also: Vec<String>,
    pub default_instance: Option<String>,
}

/// The `Exec…=` settings, in the order systemd's D-Bus interface lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

    fn from_key(key: &str, unit_type: UnitType) -> Option<ExecKind> {
        let kind = [
            ExecKind::Condition,
            ExecKind::StartPre,
            ExecKind::Start,
            ExecKind::StartPost,
            ExecKind::Reload,
            ExecKind::Stop,
            ExecKind::StopPre,
            ExecKind::StopPost,
        ]
        .into_iter()
        .find(|k| k.property() == key)?;
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
    pub standard_input: String,
    pub standard_output: String,
    pub standard_error: String,
    pub syslog_identifier: Option<String>,
    pub runtime_directory: Vec<String>,
    pub state_directory: Vec<String>,
    /// `Slice=`; filled in with the default slice at the end of loading.
    pub slice: Option<String>,
    pub kill_mode: String,
    pub kill_signal: String,
    pub final_kill_signal: String,
    pub send_sigkill: bool,
    pub send_sighup: bool,
}

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
            standard_input: "null".into(),
            standard_output: "journal".into(),
            standard_error: "inherit".into(),
            syslog_identifier: None,
            runtime_directory: Vec::new(),
            state_directory: Vec::new(),
            slice: None,
            kill_mode: "control-group".into(),
            kill_signal: "SIGTERM".into(),
            final_kill_signal: "SIGKILL".into(),
            send_sigkill: true,
            send_sighup: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSection {
    /// `None` until the end of loading, when systemd picks it from ExecStart= and BusName=.
    pub service_type: Option<String>,
    pub exit_type: String,
    pub restart: String,
    pub restart_sec: Usec,
    pub timeout_start: Usec,
    pub timeout_stop: Usec,
    pub timeout_abort: Option<Usec>,
    pub runtime_max: Usec,
    pub watchdog: Usec,
    pub remain_after_exit: bool,
    pub guess_main_pid: bool,
    pub pid_file: Option<String>,
    pub bus_name: Option<String>,
    pub notify_access: Option<String>,
    pub oom_policy: String,
    pub success_exit_status: Vec<String>,
    pub restart_prevent_exit_status: Vec<String>,
    pub restart_force_exit_status: Vec<String>,
}

impl Default for ServiceSection {
    fn default() -> Self {
        ServiceSection {
            service_type: None,
            exit_type: "main".into(),
            restart: "no".into(),
            restart_sec: Usec::millis(100),
            timeout_start: Usec::secs(90),
            timeout_stop: Usec::secs(90),
            timeout_abort: None,
            runtime_max: Usec::INFINITY,
            watchdog: Usec::ZERO,
            remain_after_exit: false,
            guess_main_pid: true,
            pid_file: None,
            bus_name: None,
            notify_access: None,
            oom_policy: "stop".into(),
            success_exit_status: Vec::new(),
            restart_prevent_exit_status: Vec::new(),
            restart_force_exit_status: Vec::new(),
        }
    }
}

/// `Listen…=` of systemd.socket(5), with the kind `systemctl show` prints in parentheses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub kind: &'static str,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketSection {
    pub listen: Vec<Listen>,
    pub accept: bool,
    pub service: Option<String>,
    pub socket_mode: String,
    pub directory_mode: String,
    pub socket_user: Option<String>,
    pub socket_group: Option<String>,
    pub remove_on_stop: bool,
    pub file_descriptor_name: Option<String>,
    pub max_connections: u32,
    pub backlog: u32,
    pub pass_credentials: bool,
    pub timeout: Usec,
}

impl Default for SocketSection {
    fn default() -> Self {
        SocketSection {
            listen: Vec::new(),
            accept: false,
            service: None,
            socket_mode: "0666".into(),
            directory_mode: "0755".into(),
            socket_user: None,
            socket_group: None,
            remove_on_stop: false,
            file_descriptor_name: None,
            max_connections: 64,
            backlog: 4096,
            pass_credentials: false,
            timeout: Usec::secs(90),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerSection {
    /// (`OnBootUSec`-style base name, span).
    pub monotonic: Vec<(&'static str, Usec)>,
    pub calendar: Vec<String>,
    pub unit: Option<String>,
    pub persistent: bool,
    pub wake_system: bool,
    pub remain_after_elapse: bool,
    pub accuracy: Usec,
    pub randomized_delay: Usec,
    pub fixed_random_delay: bool,
}

impl Default for TimerSection {
    fn default() -> Self {
        TimerSection {
            monotonic: Vec::new(),
            calendar: Vec::new(),
            unit: None,
            persistent: false,
            wake_system: false,
            remain_after_elapse: true,
            accuracy: Usec::secs(60),
            randomized_delay: Usec::ZERO,
            fixed_random_delay: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSection {
    /// (`PathExists`-style kind, path).
    pub paths: Vec<(&'static str, String)>,
    pub unit: Option<String>,
    pub make_directory: bool,
    pub directory_mode: String,
}

impl Default for PathSection {
    fn default() -> Self {
        PathSection {
            paths: Vec::new(),
            unit: None,
            make_directory: false,
            directory_mode: "0755".into(),
        }
    }
}

/// The type-specific part of a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeSection {
    Service(ServiceSection),
    Socket(SocketSection),
    Timer(TimerSection),
    Path(PathSection),
    /// Targets have no settings; other types (mount, swap, …) are kept raw.
    None,
}

/// A setting kept as written: one we know but do not act on, or one systemd would not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSetting {
    pub section: String,
    pub key: String,
    pub value: String,
}

/// Everything the files say about one unit, after drop-ins and checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitConfig {
    pub id: String,
    pub unit_type: UnitType,
    pub names: Vec<String>,
    pub load_state: LoadState,
    /// Why the unit is not loaded, with the file and line where there is one.
    pub load_error: Option<String>,
    /// Paths inside the root.
    pub fragment_path: Option<PathBuf>,
    pub dropin_paths: Vec<PathBuf>,
    pub unit: UnitSection,
    pub kind: TypeSection,
    pub exec: ExecLists,
    pub settings: ExecSettings,
    pub install: InstallSection,
    pub raw: Vec<RawSetting>,
    /// `file:line: message`, as systemd logs them while loading.
    pub warnings: Vec<String>,
}

/// The command lists per `Exec…=` setting, ordered as systemd lists the properties.
pub type ExecLists = std::collections::BTreeMap<ExecKind, Vec<ExecCommand>>;

impl UnitConfig {
    /// A unit without files: what systemd shows for a unit that is not found, masked or broken.
    pub fn empty(id: &str, unit_type: UnitType, load_state: LoadState) -> UnitConfig {
        UnitConfig {
            id: id.to_string(),
            unit_type,
            names: vec![id.to_string()],
            load_state,
            load_error: None,
            fragment_path: None,
            dropin_paths: Vec::new(),
            unit: UnitSection::default(),
            kind: default_type_section(unit_type),
            exec: ExecLists::new(),
            settings: ExecSettings::default(),
            install: InstallSection::default(),
            raw: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn exec_commands(&self, kind: ExecKind) -> &[ExecCommand] {
        self.exec.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn service(&self) -> Option<&ServiceSection> {
        match &self.kind {
            TypeSection::Service(s) => Some(s),
            _ => None,
        }
    }
}

fn default_type_section(t: UnitType) -> TypeSection {
    match t {
        UnitType::Service => TypeSection::Service(ServiceSection {
            service_type: Some("simple".into()),
            ..ServiceSection::default()
        }),
        UnitType::Socket => TypeSection::Socket(SocketSection::default()),
        UnitType::Timer => TypeSection::Timer(TimerSection::default()),
        UnitType::Path => TypeSection::Path(PathSection::default()),
        _ => TypeSection::None,
    }
}

/// One assignment with where it came from, for warnings.
pub struct Assignment<'a> {
    pub section: &'a str,
    pub key: &'a str,
    pub value: &'a str,
    pub file: &'a str,
    pub line: usize,
}

/// Builds a [`UnitConfig`] from assignments applied in file order.
pub struct Builder {
    config: UnitConfig,
    spec: SpecifierContext,
    warned_unknown: std::collections::HashSet<(String, String)>,
    /// Whether a start timeout was configured: oneshot services default to none otherwise.
    start_timeout_set: bool,
    /// The first setting that makes systemd refuse the unit while parsing (ENOEXEC).
    fatal: Option<String>,
    // The type-specific sections, of which finish() keeps the one of the unit's type.
    service: ServiceSection,
    socket: SocketSection,
    timer: TimerSection,
    path: PathSection,
}

const SERVICE_TYPES: &[&str] = &[
    "simple",
    "exec",
    "forking",
    "oneshot",
    "dbus",
    "notify",
    "notify-reload",
    "idle",
];
const RESTART_VALUES: &[&str] = &[
    "no",
    "on-success",
    "on-failure",
    "on-abnormal",
    "on-watchdog",
    "on-abort",
    "always",
];
const KILL_MODES: &[&str] = &["control-group", "process", "mixed", "none"];
const NOTIFY_ACCESS: &[&str] = &["none", "main", "exec", "all"];
const EMERGENCY_ACTIONS: &[&str] = &[
    "none",
    "reboot",
    "reboot-force",
    "reboot-immediate",
    "poweroff",
    "poweroff-force",
    "poweroff-immediate",
    "exit",
    "exit-force",
    "soft-reboot",
    "soft-reboot-force",
    "kexec",
    "kexec-force",
    "halt",
    "halt-force",
    "halt-immediate",
];
const JOB_MODES: &[&str] = &[
    "fail",
    "replace",
    "replace-irreversibly",
    "isolate",
    "flush",
    "ignore-dependencies",
    "ignore-requirements",
];
const STD_INPUT: &[&str] = &["null", "tty", "tty-force", "tty-fail", "data", "socket"];
const STD_OUTPUT: &[&str] = &[
    "inherit",
    "null",
    "tty",
    "journal",
    "kmsg",
    "journal+console",
    "kmsg+console",
    "socket",
    "syslog",
    "syslog+console",
];

/// systemd's `parse_boolean()`.
fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

impl Builder {
    pub fn new(config: UnitConfig, spec: SpecifierContext) -> Builder {
        Builder {
            config,
            spec,
            warned_unknown: Default::default(),
            start_timeout_set: false,
            fatal: None,
            service: ServiceSection::default(),
            socket: SocketSection::default(),
            timer: TimerSection::default(),
            path: PathSection::default(),
        }
    }

    /// A dependency that does not come from a setting: a `.wants/`-style directory entry.
    pub fn add_dependency(&mut self, dependency: Dependency, name: String) {
        self.config.unit.add_dependency(dependency, name);
    }

    /// A warning about a line of a file, as systemd logs it while loading.
    pub fn warn_at(&mut self, file: &str, line: usize, message: &str) {
        self.config
            .warnings
            .push(format!("{file}:{line}: {message}"));
    }

    fn warn(&mut self, a: &Assignment, message: impl std::fmt::Display) {
        self.config
            .warnings
            .push(format!("{}:{}: {message}", a.file, a.line));
    }

    fn invalid(&mut self, a: &Assignment) {
        let msg = format!("Failed to parse {} value, ignoring: {}", a.key, a.value);
        self.warn(a, msg);
    }

    /// Specifier expansion as `unit_full_printf()`; a failure ignores the assignment.
    fn printf(&mut self, a: &Assignment, s: &str) -> Option<String> {
        match self.spec.expand(s) {
            Ok(v) => Some(v),
            Err(e) => {
                let msg = format!("Failed to resolve unit specifiers in '{s}', ignoring: {e}");
                self.warn(a, msg);
                None
            }
        }
    }

    fn unknown(&mut self, a: &Assignment) {
        self.keep_raw(a);
        if a.key.starts_with("X-") || a.section.starts_with("X-") {
            return;
        }
        if self
            .warned_unknown
            .insert((a.section.to_string(), a.key.to_string()))
        {
            let msg = format!(
                "Unknown key name '{}' in section '{}', ignoring.",
                a.key, a.section
            );
            self.warn(a, msg);
        }
    }

    fn keep_raw(&mut self, a: &Assignment) {
        self.config.raw.push(RawSetting {
            section: a.section.to_string(),
            key: a.key.to_string(),
            value: a.value.to_string(),
        });
    }

    fn set_bool(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut bool) {
        match parse_bool(a.value) {
            Some(v) => *f(&mut self.config) = v,
            None => self.invalid(a),
        }
    }

    fn set_usec(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut Usec) {
        match timespan::parse_sec(a.value) {
            Ok(v) => *f(&mut self.config) = v,
            Err(_) => self.invalid(a),
        }
    }

    fn set_choice(
        &mut self,
        a: &Assignment,
        allowed: &[&str],
        f: fn(&mut UnitConfig) -> &mut String,
    ) {
        if allowed.contains(&a.value) {
            *f(&mut self.config) = a.value.to_string();
        } else {
            self.invalid(a);
        }
    }

    /// A space-separated list with specifiers; empty resets.
    fn list(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut Vec<String>) {
        if a.value.is_empty() {
            f(&mut self.config).clear();
            return;
        }
        let Some(v) = self.printf(a, a.value) else {
            return;
        };
        f(&mut self.config).extend(v.split_whitespace().map(str::to_string));
    }

    fn opt_string(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut Option<String>) {
        if a.value.is_empty() {
            *f(&mut self.config) = None;
            return;
        }
        if let Some(v) = self.printf(a, a.value) {
            *f(&mut self.config) = Some(v);
        }
    }

    pub fn apply(&mut self, a: &Assignment) {
        if !section_is_known(self.config.unit_type, a.section) {
            // the section itself was warned about; its settings are ignored silently
            self.keep_raw(a);
            return;
        }
        let handled = match a.section {
            "Unit" => self.unit_key(a),
            "Install" => self.install_key(a),
            "Service" if self.config.unit_type == UnitType::Service => {
                self.service_key(a) || self.exec_key(a) || self.service_compat_key(a)
            }
            "Socket" if self.config.unit_type == UnitType::Socket => {
                self.socket_key(a) || self.exec_key(a)
            }
            "Timer" if self.config.unit_type == UnitType::Timer => self.timer_key(a),
            "Path" if self.config.unit_type == UnitType::Path => self.path_key(a),
            _ => false,
        };
        if handled {
            return;
        }
        if known_unmodeled(self.config.unit_type, a.section, a.key) {
            self.keep_raw(a);
        } else {
            self.unknown(a);
        }
    }

    fn unit_key(&mut self, a: &Assignment) -> bool {
        if let Some(dep) = Dependency::from_key(a.key) {
            // config_parse_unit_deps(): no reset on an empty assignment
            for word in a.value.split_whitespace() {
                let Some(name) = self.printf(a, word) else {
                    continue;
                };
                if super::name::UnitName::parse(&name).is_err() {
                    let msg =
                        format!("Failed to add dependency on {name}, ignoring: Invalid argument");
                    self.warn(a, msg);
                    continue;
                }
                self.config.unit.add_dependency(dep, name);
            }
            return true;
        }
        if let Some(rest) = a.key.strip_prefix("Condition") {
            return self.condition(a, rest, false);
        }
        if let Some(rest) = a.key.strip_prefix("Assert") {
            return self.condition(a, rest, true);
        }
        match a.key {
            "Description" => {
                if let Some(v) = self.printf(a, a.value) {
                    self.config.unit.description = v;
                }
            }
            "Documentation" => {
                if a.value.is_empty() {
                    self.config.unit.documentation.clear();
                }
                for word in a.value.split_whitespace() {
                    let Some(url) = self.printf(a, word) else {
                        continue;
                    };
                    let valid = ["http://", "https://", "file:", "info:", "man:"]
                        .iter()
                        .any(|p| url.starts_with(p));
                    if valid {
                        self.config.unit.documentation.push(url);
                    } else {
                        let msg = format!("Invalid URL, ignoring: {url}");
                        self.warn(a, msg);
                    }
                }
            }
            "RequiresMountsFor" => self.list(a, |c| &mut c.unit.requires_mounts_for),
            "SourcePath" => self.opt_string(a, |c| &mut c.unit.source_path),
            "DefaultDependencies" => self.set_bool(a, |c| &mut c.unit.default_dependencies),
            "StopWhenUnneeded" => self.set_bool(a, |c| &mut c.unit.stop_when_unneeded),
            "RefuseManualStart" => self.set_bool(a, |c| &mut c.unit.refuse_manual_start),
            "RefuseManualStop" => self.set_bool(a, |c| &mut c.unit.refuse_manual_stop),
            "AllowIsolate" => self.set_bool(a, |c| &mut c.unit.allow_isolate),
            "IgnoreOnIsolate" => self.set_bool(a, |c| &mut c.unit.ignore_on_isolate),
            "JobTimeoutSec" => self.set_usec(a, |c| &mut c.unit.job_timeout),
            "JobRunningTimeoutSec" => self.set_usec(a, |c| &mut c.unit.job_running_timeout),
            "JobTimeoutAction" => {
                self.set_choice(a, EMERGENCY_ACTIONS, |c| &mut c.unit.job_timeout_action)
            }
            "StartLimitIntervalSec" | "StartLimitInterval" => {
                self.set_usec(a, |c| &mut c.unit.start_limit_interval)
            }
            "StartLimitBurst" => match a.value.parse() {
                Ok(v) => self.config.unit.start_limit_burst = v,
                Err(_) => self.invalid(a),
            },
            "StartLimitAction" => {
                self.set_choice(a, EMERGENCY_ACTIONS, |c| &mut c.unit.start_limit_action)
            }
            "FailureAction" => {
                self.set_choice(a, EMERGENCY_ACTIONS, |c| &mut c.unit.failure_action)
            }
            "SuccessAction" => {
                self.set_choice(a, EMERGENCY_ACTIONS, |c| &mut c.unit.success_action)
            }
            "OnFailureJobMode" => {
                self.set_choice(a, JOB_MODES, |c| &mut c.unit.on_failure_job_mode)
            }
            "OnSuccessJobMode" => {
                self.set_choice(a, JOB_MODES, |c| &mut c.unit.on_success_job_mode)
            }
            "CollectMode" => self.set_choice(a, &["inactive", "inactive-or-failed"], |c| {
                &mut c.unit.collect_mode
            }),
            _ => return false,
        }
        true
    }

    /// [Unit] settings systemd 252 still accepts in [Service] for compatibility.
    fn service_compat_key(&mut self, a: &Assignment) -> bool {
        matches!(
            a.key,
            "StartLimitInterval" | "StartLimitBurst" | "StartLimitAction" | "FailureAction"
        ) && self.unit_key(a)
    }

    fn condition(&mut self, a: &Assignment, kind: &str, assert: bool) -> bool {
        if !CONDITION_KINDS.contains(&kind) {
            return false;
        }
        fn list(c: &mut UnitConfig, assert: bool) -> &mut Vec<Condition> {
            if assert {
                &mut c.unit.asserts
            } else {
                &mut c.unit.conditions
            }
        }
        if a.value.is_empty() {
            list(&mut self.config, assert).clear();
            return true;
        }
        let mut rest = a.value;
        let trigger = rest.starts_with('|');
        if trigger {
            rest = rest[1..].trim_start();
        }
        let negate = rest.starts_with('!');
        if negate {
            rest = rest[1..].trim_start();
        }
        let Some(parameter) = self.printf(a, rest) else {
            return true;
        };
        list(&mut self.config, assert).push(Condition {
            name: a.key.to_string(),
            trigger,
            negate,
            parameter,
        });
        true
    }

    fn install_key(&mut self, a: &Assignment) -> bool {
        // [Install] is read by the install layer at enable time; specifiers stay unexpanded here.
        let target = match a.key {
            "WantedBy" => &mut self.config.install.wanted_by,
            "RequiredBy" => &mut self.config.install.required_by,
            "Alias" => &mut self.config.install.alias,
            "Also" => &mut self.config.install.also,
            "DefaultInstance" => {
                self.config.install.default_instance =
                    (!a.value.is_empty()).then(|| a.value.to_string());
                return true;
            }
            _ => return false,
        };
        if a.value.is_empty() {
            target.clear();
        }
        target.extend(a.value.split_whitespace().map(str::to_string));
        true
    }

    fn service_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        match a.key {
            "Type" => {
                if SERVICE_TYPES.contains(&value) {
                    self.service.service_type = Some(value.to_string());
                } else {
                    self.invalid(a);
                }
            }
            "ExitType" => {
                if ["main", "cgroup"].contains(&value) {
                    self.service.exit_type = value.to_string();
                } else {
                    self.invalid(a);
                }
            }
            "Restart" => {
                if RESTART_VALUES.contains(&value) {
                    self.service.restart = value.to_string();
                } else {
                    self.invalid(a);
                }
            }
            "NotifyAccess" => {
                if NOTIFY_ACCESS.contains(&value) {
                    self.service.notify_access = Some(value.to_string());
                } else {
                    self.invalid(a);
                }
            }
            "OOMPolicy" => {
                if ["continue", "stop", "kill"].contains(&value) {
                    self.service.oom_policy = value.to_string();
                } else {
                    self.invalid(a);
                }
            }
            "RestartSec" | "TimeoutStartSec" | "TimeoutStopSec" | "TimeoutSec"
            | "TimeoutAbortSec" | "RuntimeMaxSec" | "WatchdogSec" => {
                let Ok(mut v) = timespan::parse_sec(value) else {
                    self.invalid(a);
                    return true;
                };
                // config_parse_service_timeout(): 0 means "no timeout" for start/stop
                if v == Usec::ZERO && a.key.starts_with("Timeout") && a.key != "TimeoutAbortSec" {
                    v = Usec::INFINITY;
                }
                if a.key == "TimeoutStartSec" || a.key == "TimeoutSec" {
                    self.start_timeout_set = true;
                }
                let s = &mut self.service;
                match a.key {
                    "RestartSec" => s.restart_sec = v,
                    "TimeoutStartSec" => s.timeout_start = v,
                    "TimeoutStopSec" => s.timeout_stop = v,
                    "TimeoutSec" => {
                        s.timeout_start = v;
                        s.timeout_stop = v;
                    }
                    "TimeoutAbortSec" => s.timeout_abort = Some(v),
                    "RuntimeMaxSec" => s.runtime_max = v,
                    _ => s.watchdog = v,
                }
            }
            "RemainAfterExit" | "GuessMainPID" => match parse_bool(value) {
                Some(v) if a.key == "RemainAfterExit" => self.service.remain_after_exit = v,
                Some(v) => self.service.guess_main_pid = v,
                None => self.invalid(a),
            },
            "PIDFile" | "BusName" => {
                let v = if value.is_empty() {
                    None
                } else {
                    match self.printf(a, value) {
                        Some(v) => Some(v),
                        None => return true,
                    }
                };
                let v = match (a.key, v) {
                    ("PIDFile", Some(p)) if !p.starts_with('/') => {
                        Some(format!("/run/{}", p.trim_start_matches("./")))
                    }
                    ("PIDFile", Some(p)) if p.starts_with("/var/run/") => {
                        let updated = format!("/run/{}", &p["/var/run/".len()..]);
                        let msg = format!("PIDFile= references a path below legacy directory /var/run/, updating {p} \u{2192} {updated}; please update the unit file accordingly.");
                        self.warn(a, msg);
                        Some(updated)
                    }
                    (_, v) => v,
                };
                if a.key == "PIDFile" {
                    self.service.pid_file = v;
                } else {
                    self.service.bus_name = v;
                }
            }
            "SuccessExitStatus" | "RestartPreventExitStatus" | "RestartForceExitStatus" => {
                let s = &mut self.service;
                let list = match a.key {
                    "SuccessExitStatus" => &mut s.success_exit_status,
                    "RestartPreventExitStatus" => &mut s.restart_prevent_exit_status,
                    _ => &mut s.restart_force_exit_status,
                };
                if value.is_empty() {
                    list.clear();
                }
                list.extend(value.split_whitespace().map(str::to_string));
            }
            _ => return false,
        }
        true
    }

    /// Settings of systemd.exec(5)/systemd.kill(5) and the `Exec…=` lines, shared by services
    /// and sockets.
    fn exec_key(&mut self, a: &Assignment) -> bool {
        if let Some(kind) = ExecKind::from_key(a.key, self.config.unit_type) {
            if a.value.is_empty() {
                self.config.exec.remove(&kind);
                return true;
            }
            match command::parse_exec(a.value, &self.spec) {
                Ok(cmds) => self.config.exec.entry(kind).or_default().extend(cmds),
                Err(rejected) if rejected.fatal => {
                    let message = format!("{}:{}: {}", a.file, a.line, rejected.error);
                    self.warn(a, &rejected.error);
                    self.fatal.get_or_insert(message);
                }
                Err(rejected) => self.warn(a, format!("{}, ignoring.", rejected.error)),
            }
            return true;
        }
        let value = a.value;
        match a.key {
            "User" => self.opt_string(a, |c| &mut c.settings.user),
            "Group" => self.opt_string(a, |c| &mut c.settings.group),
            "SupplementaryGroups" => self.list(a, |c| &mut c.settings.supplementary_groups),
            "WorkingDirectory" => self.opt_string(a, |c| &mut c.settings.working_directory),
            "RootDirectory" => self.opt_string(a, |c| &mut c.settings.root_directory),
            "SyslogIdentifier" => self.opt_string(a, |c| &mut c.settings.syslog_identifier),
            "RuntimeDirectory" => self.list(a, |c| &mut c.settings.runtime_directory),
            "Slice" => {
                let Some(name) = self.printf(a, value) else {
                    return true;
                };
                let is_slice = unit_name::UnitName::parse(&name)
                    .is_ok_and(|n| n.unit_type() == UnitType::Slice && !n.is_template());
                if is_slice {
                    self.config.settings.slice = Some(name);
                } else {
                    self.invalid(a);
                }
            }
            "StateDirectory" => self.list(a, |c| &mut c.settings.state_directory),
            "Environment" => {
                if value.is_empty() {
                    self.config.settings.environment.clear();
                    return true;
                }
                // config_parse_environ(): unquote first, then expand specifiers per word
                let words = match command::split_words(value) {
                    Ok(words) => words,
                    Err(e) => {
                        self.warn(a, format!("{e}, ignoring."));
                        return true;
                    }
                };
                for word in words {
                    let Some(word) = self.printf(a, &word) else {
                        continue;
                    };
                    let key = match word.split_once('=') {
                        Some((k, _)) if is_env_name(k) => k.to_string(),
                        _ => {
                            let msg = format!("Invalid environment assignment, ignoring: {word}");
                            self.warn(a, msg);
                            continue;
                        }
                    };
                    // strv_env_replace_consume(): a key set again keeps its place
                    let env = &mut self.config.settings.environment;
                    match env
                        .iter_mut()
                        .find(|e| e.split('=').next() == Some(key.as_str()))
                    {
                        Some(existing) => *existing = word,
                        None => env.push(word),
                    }
                }
            }
            "EnvironmentFile" => {
                if value.is_empty() {
                    self.config.settings.environment_files.clear();
                    return true;
                }
                let (optional, path) = match value.strip_prefix('-') {
                    Some(p) => (true, p),
                    None => (false, value),
                };
                let Some(path) = self.printf(a, path) else {
                    return true;
                };
                if !path.starts_with('/') {
                    let msg = format!("Path '{path}' is not absolute, ignoring.");
                    self.warn(a, msg);
                    return true;
                }
                self.config
                    .settings
                    .environment_files
                    .push((path, optional));
            }
            "UMask" => match u32::from_str_radix(value, 8) {
                Ok(m) if m <= 0o777 => self.config.settings.umask = format!("{m:04o}"),
                _ => self.invalid(a),
            },
            "StandardInput" => self.set_choice(a, STD_INPUT, |c| &mut c.settings.standard_input),
            "StandardOutput" | "StandardError" => {
                let ok = STD_OUTPUT.contains(&value)
                    || ["file:", "append:", "truncate:", "fd:"]
                        .iter()
                        .any(|p| value.starts_with(p));
                if !ok {
                    self.invalid(a);
                } else if a.key == "StandardOutput" {
                    self.config.settings.standard_output = value.to_string();
                } else {
                    self.config.settings.standard_error = value.to_string();
                }
            }
            "KillMode" => self.set_choice(a, KILL_MODES, |c| &mut c.settings.kill_mode),
            "KillSignal" | "FinalKillSignal" => match parse_signal(value) {
                Some(sig) if a.key == "KillSignal" => self.config.settings.kill_signal = sig,
                Some(sig) => self.config.settings.final_kill_signal = sig,
                None => self.invalid(a),
            },
            "SendSIGKILL" => self.set_bool(a, |c| &mut c.settings.send_sigkill),
            "SendSIGHUP" => self.set_bool(a, |c| &mut c.settings.send_sighup),
            _ => return false,
        }
        true
    }

    fn socket_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let listen_kind = match a.key {
            "ListenStream" => Some("Stream"),
            "ListenDatagram" => Some("Datagram"),
            "ListenSequentialPacket" => Some("SequentialPacket"),
            "ListenFIFO" => Some("FIFO"),
            "ListenSpecial" => Some("Special"),
            "ListenNetlink" => Some("Netlink"),
            "ListenMessageQueue" => Some("MessageQueue"),
            "ListenUSBFunction" => Some("USBFunction"),
            _ => None,
        };
        if let Some(kind) = listen_kind {
            if value.is_empty() {
                self.socket.listen.clear();
                return true;
            }
            if let Some(address) = self.printf(a, value) {
                self.socket.listen.push(Listen { kind, address });
            }
            return true;
        }
        match a.key {
            "Accept" | "RemoveOnStop" | "PassCredentials" => match parse_bool(value) {
                Some(v) => {
                    let s = &mut self.socket;
                    match a.key {
                        "Accept" => s.accept = v,
                        "RemoveOnStop" => s.remove_on_stop = v,
                        _ => s.pass_credentials = v,
                    }
                }
                None => self.invalid(a),
            },
            "Service" => {
                let Some(name) = self.printf(a, value) else {
                    return true;
                };
                let ok = super::name::UnitName::parse(&name)
                    .is_ok_and(|n| n.unit_type() == UnitType::Service && !n.is_template());
                if ok {
                    self.socket.service = Some(name);
                } else {
                    self.invalid(a);
                }
            }
            "SocketMode" | "DirectoryMode" => match u32::from_str_radix(value, 8) {
                Ok(m) if m <= 0o7777 => {
                    let mode = format!("{m:04o}");
                    if a.key == "SocketMode" {
                        self.socket.socket_mode = mode;
                    } else {
                        self.socket.directory_mode = mode;
                    }
                }
                _ => self.invalid(a),
            },
            "SocketUser" | "SocketGroup" | "FileDescriptorName" => {
                let v = if value.is_empty() {
                    None
                } else {
                    match self.printf(a, value) {
                        Some(v) => Some(v),
                        None => return true,
                    }
                };
                let s = &mut self.socket;
                match a.key {
                    "SocketUser" => s.socket_user = v,
                    "SocketGroup" => s.socket_group = v,
                    _ => s.file_descriptor_name = v,
                }
            }
            "MaxConnections" | "Backlog" => match value.parse::<u32>() {
                Ok(n) if a.key == "Backlog" => self.socket.backlog = n,
                Ok(n) if n > 0 => self.socket.max_connections = n,
                _ => self.invalid(a),
            },
            "TimeoutSec" => match timespan::parse_sec(value) {
                Ok(v) => self.socket.timeout = if v == Usec::ZERO { Usec::INFINITY } else { v },
                Err(_) => self.invalid(a),
            },
            _ => return false,
        }
        true
    }

    fn timer_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let monotonic = match a.key {
            "OnActiveSec" => Some("OnActiveUSec"),
            "OnBootSec" => Some("OnBootUSec"),
            "OnStartupSec" => Some("OnStartupUSec"),
            "OnUnitActiveSec" => Some("OnUnitActiveUSec"),
            "OnUnitInactiveSec" => Some("OnUnitInactiveUSec"),
            _ => None,
        };
        if let Some(base) = monotonic {
            if value.is_empty() {
                self.timer.monotonic.clear();
                return true;
            }
            match timespan::parse_sec(value) {
                Ok(v) => self.timer.monotonic.push((base, v)),
                Err(_) => self.invalid(a),
            }
            return true;
        }
        match a.key {
            "OnCalendar" => {
                if value.is_empty() {
                    self.timer.calendar.clear();
                } else if let Some(v) = self.printf(a, value) {
                    // systemd keeps the parsed spec and prints it normalized
                    let spec = super::calendar::normalize(&v).unwrap_or(v);
                    self.timer.calendar.push(spec);
                }
            }
            "Unit" => {
                let Some(name) = self.printf(a, value) else {
                    return true;
                };
                match super::name::UnitName::parse(&name) {
                    Ok(n) if n.unit_type() != UnitType::Timer => self.timer.unit = Some(name),
                    _ => self.invalid(a),
                }
            }
            "Persistent" | "WakeSystem" | "RemainAfterElapse" | "FixedRandomDelay" => {
                match parse_bool(value) {
                    Some(v) => {
                        let t = &mut self.timer;
                        match a.key {
                            "Persistent" => t.persistent = v,
                            "WakeSystem" => t.wake_system = v,
                            "RemainAfterElapse" => t.remain_after_elapse = v,
                            _ => t.fixed_random_delay = v,
                        }
                    }
                    None => self.invalid(a),
                }
            }
            "AccuracySec" | "RandomizedDelaySec" => match timespan::parse_sec(value) {
                Ok(v) if a.key == "AccuracySec" => self.timer.accuracy = v,
                Ok(v) => self.timer.randomized_delay = v,
                Err(_) => self.invalid(a),
            },
            _ => return false,
        }
        true
    }

    fn path_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let kind = match a.key {
            "PathExists" => Some("PathExists"),
            "PathExistsGlob" => Some("PathExistsGlob"),
            "PathChanged" => Some("PathChanged"),
            "PathModified" => Some("PathModified"),
            "DirectoryNotEmpty" => Some("DirectoryNotEmpty"),
            _ => None,
        };
        if let Some(kind) = kind {
            if value.is_empty() {
                self.path.paths.clear();
            } else if let Some(p) = self.printf(a, value) {
                if p.starts_with('/') {
                    self.path.paths.push((kind, p));
                } else {
                    let msg = format!("Path '{p}' is not absolute, ignoring.");
                    self.warn(a, msg);
                }
            }
            return true;
        }
        match a.key {
            "Unit" => {
                let Some(name) = self.printf(a, value) else {
                    return true;
                };
                match super::name::UnitName::parse(&name) {
                    Ok(n) if n.unit_type() != UnitType::Path => self.path.unit = Some(name),
                    _ => self.invalid(a),
                }
            }
            "MakeDirectory" => match parse_bool(value) {
                Some(v) => self.path.make_directory = v,
                None => self.invalid(a),
            },
            "DirectoryMode" => match u32::from_str_radix(value, 8) {
                Ok(m) if m <= 0o7777 => self.path.directory_mode = format!("{m:04o}"),
                _ => self.invalid(a),
            },
            _ => return false,
        }
        true
    }

    /// The end of loading: implicit settings (`service_add_extras()`) and `service_verify()`.
    pub fn finish(mut self) -> UnitConfig {
        self.config.kind = match self.config.unit_type {
            UnitType::Service => TypeSection::Service(std::mem::take(&mut self.service)),
            UnitType::Socket => TypeSection::Socket(std::mem::take(&mut self.socket)),
            UnitType::Timer => TypeSection::Timer(std::mem::take(&mut self.timer)),
            UnitType::Path => TypeSection::Path(std::mem::take(&mut self.path)),
            _ => TypeSection::None,
        };
        if let Some(message) = self.fatal.take() {
            // systemd stops loading at the failing setting: no implicit settings, no checks
            self.config.load_state = LoadState::BadSetting;
            self.config.load_error = Some(message);
            return self.config;
        }
        let id = self.config.id.clone();
        let stem = id
            .rsplit_once('.')
            .map(|(s, _)| s)
            .unwrap_or(&id)
            .to_string();
        let has_start = !self.config.exec_commands(ExecKind::Start).is_empty();
        let has_stop = !self.config.exec_commands(ExecKind::Stop).is_empty();
        let start_count = self.config.exec_commands(ExecKind::Start).len();
        let success_action = self.config.unit.success_action.clone();
        let start_timeout_set = self.start_timeout_set;
        let mut refusal = None;
        match &mut self.config.kind {
            TypeSection::Service(s) => {
                let ty = s.service_type.clone().unwrap_or_else(|| {
                    if s.bus_name.is_some() {
                        "dbus".into()
                    } else if has_start {
                        "simple".into()
                    } else {
                        "oneshot".into()
                    }
                });
                if ty == "oneshot" && !start_timeout_set {
                    // service_add_extras(): oneshot services wait for their start forever
                    s.timeout_start = Usec::INFINITY;
                }
                let needs_notify =
                    ty == "notify" || ty == "notify-reload" || s.watchdog != Usec::ZERO;
                if s.notify_access.is_none() && needs_notify {
                    s.notify_access = Some("main".into());
                }
                refusal = verify_service(s, &ty, has_start, has_stop, start_count, &success_action);
                s.service_type = Some(ty);
            }
            TypeSection::Socket(s) => {
                if s.listen.is_empty() {
                    refusal = Some("Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.".to_string());
                }
                if s.accept && s.service.is_some() {
                    refusal = Some(
                        "Explicit service configuration for accepting socket units not supported. Refusing."
                            .to_string(),
                    );
                }
            }
            TypeSection::Timer(t) => {
                if t.unit.is_none() {
                    t.unit = Some(format!("{stem}.service"));
                }
                if t.monotonic.is_empty() && t.calendar.is_empty() {
                    refusal = Some("Timer unit lacks value setting. Refusing.".to_string());
                }
            }
            TypeSection::Path(p) => {
                if p.unit.is_none() {
                    p.unit = Some(format!("{stem}.service"));
                }
                if p.paths.is_empty() {
                    refusal = Some("Path unit lacks path setting. Refusing.".to_string());
                }
            }
            TypeSection::None => {}
        }
        // the manager adds these before it verifies the unit, so a refused unit has them too
        self.add_implicit_dependencies();
        if let Some(message) = refusal {
            self.config.load_state = LoadState::BadSetting;
            self.config.load_error = Some(message);
        }
        self.config
    }

    /// The dependencies systemd 252 adds at load time: the slice of units with processes,
    /// journald for units that log to it, D-Bus for bus names, triggered units, and with
    /// `DefaultDependencies=yes` the type's default ones (`*_add_default_dependencies()`).
    /// Not added: mount units for paths (no mount units exist here) and a target's ordering
    /// after the units it pulls in (that needs the other units loaded).
    fn add_implicit_dependencies(&mut self) {
        use Dependency::{After, Before, Conflicts, Requires};
        let system = self.spec.scope == Scope::System;
        let unit_type = self.config.unit_type;
        let defaults = self.config.unit.default_dependencies;
        let mut deps: Vec<(Dependency, String)> = Vec::new();
        let mut add = |dep: Dependency, name: &str| deps.push((dep, name.to_string()));
        let has_exec = !self.config.exec.is_empty();
        if matches!(unit_type, UnitType::Service | UnitType::Socket) {
            let slice = self
                .config
                .settings
                .slice
                .clone()
                .unwrap_or_else(|| default_slice(&self.spec.unit, system));
            add(After, &slice);
            add(Requires, &slice);
            self.config.settings.slice = Some(slice);
            let logs_to_journal = [
                &self.config.settings.standard_output,
                &self.config.settings.standard_error,
            ]
            .iter()
            .any(|o| JOURNAL_OUTPUTS.contains(&o.as_str()));
            let exec_deps = unit_type == UnitType::Service || has_exec;
            if system && exec_deps && logs_to_journal {
                add(After, "systemd-journald.socket");
            }
        }
        let (type_target, trigger) = match &self.config.kind {
            TypeSection::Service(s) => {
                if s.bus_name.is_some() {
                    add(After, "dbus.socket");
                }
                (None, None)
            }
            TypeSection::Socket(s) => {
                let service = (!s.accept).then(|| {
                    let stem = self.spec.unit.stem();
                    s.service
                        .clone()
                        .unwrap_or_else(|| format!("{stem}.service"))
                });
                (Some("sockets.target"), service)
            }
            TypeSection::Timer(t) => {
                if defaults && system && !t.calendar.is_empty() {
                    add(After, "time-set.target");
                    add(After, "time-sync.target");
                }
                (Some("timers.target"), t.unit.clone())
            }
            TypeSection::Path(p) => (Some("paths.target"), p.unit.clone()),
            TypeSection::None => (None, None),
        };
        if let Some(unit) = &trigger {
            add(Before, unit);
        }
        if defaults {
            if let Some(target) = type_target {
                add(Before, target);
            }
            match (unit_type, system) {
                (UnitType::Target, _) => {}
                (UnitType::Service, false) => add(Requires, "basic.target"),
                (_, true) => {
                    add(After, "sysinit.target");
                    add(Requires, "sysinit.target");
                }
                _ => {}
            }
            if unit_type == UnitType::Service {
                add(After, "basic.target");
            }
            if self.config.id != "shutdown.target" {
                add(Before, "shutdown.target");
                add(Conflicts, "shutdown.target");
            }
        }
        for (dep, name) in deps {
            self.config.unit.add_dependency(dep, name);
        }
        self.add_implicit_mounts(system);
    }

    /// `RequiresMountsFor=` systemd adds for the paths a unit needs.
    fn add_implicit_mounts(&mut self, system: bool) {
        let mut paths: Vec<String> = Vec::new();
        match &self.config.kind {
            TypeSection::Timer(t) if t.persistent && system => {
                paths.push("/var/lib/systemd/timers".into())
            }
            TypeSection::Path(p) => paths.extend(p.paths.iter().map(|(_, path)| path.clone())),
            _ => {}
        }
        let mounts = &mut self.config.unit.requires_mounts_for;
        for path in paths {
            if !mounts.contains(&path) {
                mounts.push(path);
            }
        }
    }
}

/// Outputs that make a unit wait for journald (`unit_add_exec_dependencies()`).
const JOURNAL_OUTPUTS: &[&str] = &[
    "journal",
    "journal+console",
    "kmsg",
    "kmsg+console",
    "syslog",
    "syslog+console",
];

/// `unit_set_default_slice()`: instances get a slice per template (`system-getty.slice`).
fn default_slice(unit: &unit_name::UnitName, system: bool) -> String {
    let base = if system { "system" } else { "app" };
    match unit.instance() {
        Some(_) => format!("{base}-{}.slice", unit_name::escape(unit.prefix())),
        None => format!("{base}.slice"),
    }
}

/// The refusals of systemd 252's `service_verify()`, in its order.
fn verify_service(
    s: &ServiceSection,
    ty: &str,
    has_start: bool,
    has_stop: bool,
    start_count: usize,
    success_action: &str,
) -> Option<String> {
    let no_success_action = success_action == "none";
    let msg = if !has_start && !has_stop && no_success_action {
        "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing."
    } else if ty != "oneshot" && !has_start {
        "Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."
    } else if !s.remain_after_exit && !has_start && no_success_action {
        "Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing."
    } else if ty != "oneshot" && start_count > 1 {
        "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."
    } else if ty == "oneshot" && (s.restart == "always" || s.restart == "on-success") {
        "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing."
    } else if ty == "oneshot" && s.exit_type == "cgroup" {
        "Service has ExitType=cgroup set, which isn't allowed for Type=oneshot services. Refusing."
    } else if ty == "dbus" && s.bus_name.is_none() {
        "Service is of type D-Bus but no D-Bus service name has been specified. Refusing."
    } else {
        return None;
    };
    Some(msg.to_string())
}

/// `SIGTERM`, `TERM` or `15` → `SIGTERM`.
fn parse_signal(s: &str) -> Option<String> {
    use nix::sys::signal::Signal;
    if let Ok(n) = s.parse::<i32>() {
        return Signal::try_from(n).ok().map(|sig| sig.as_str().to_string());
    }
    let name = if s.starts_with("SIG") {
        s.to_string()
    } else {
        format!("SIG{s}")
    };
    name.parse::<Signal>()
        .ok()
        .map(|sig| sig.as_str().to_string())
}

/// `env_name_is_valid()`: what may stand left of `=` in an environment assignment.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The sections a unit of this type reads; others get one "Unknown section" warning.
pub fn section_is_known(unit_type: UnitType, section: &str) -> bool {
    let own = match unit_type {
        UnitType::Service => "Service",
        UnitType::Socket => "Socket",
        UnitType::Timer => "Timer",
        UnitType::Path => "Path",
        UnitType::Mount => "Mount",
        UnitType::Automount => "Automount",
        UnitType::Swap => "Swap",
        UnitType::Slice => "Slice",
        UnitType::Scope => "Scope",
        UnitType::Target | UnitType::Device => "Unit",
    };
    section == "Unit" || section == "Install" || section == own
}

/// Settings of systemd 252 that we keep raw without acting on them: no warning for these.
fn known_unmodeled(unit_type: UnitType, section: &str, key: &str) -> bool {
    let exec_like = matches!(
        (unit_type, section),
        (UnitType::Service, "Service")
            | (UnitType::Socket, "Socket")
            | (UnitType::Mount, "Mount")
            | (UnitType::Swap, "Swap")
            | (UnitType::Slice, "Slice")
            | (UnitType::Scope, "Scope")
    );
    if exec_like && (EXEC_KEYS.contains(&key) || key.starts_with("Limit")) {
        return true;
    }
    let own = match (unit_type, section) {
        (_, "Unit") => UNIT_KEYS,
        (_, "Install") => &[][..],
        (UnitType::Service, "Service") => SERVICE_KEYS,
        (UnitType::Socket, "Socket") => SOCKET_KEYS,
        (UnitType::Timer, "Timer") => TIMER_KEYS,
        (UnitType::Path, "Path") => PATH_KEYS,
        (UnitType::Mount, "Mount") => MOUNT_KEYS,
        (UnitType::Automount, "Automount") => AUTOMOUNT_KEYS,
        (UnitType::Swap, "Swap") => SWAP_KEYS,
        _ => &[][..],
    };
    own.contains(&key)
}

const UNIT_KEYS: &[&str] = &[
    "Names",
    "OnFailureIsolate",
    "IgnoreDependencyFailure",
    "PropagateReloadFrom",
    "JobTimeoutRebootArgument",
    "StartLimitIntervalSec",
    "FailureActionExitStatus",
    "SuccessActionExitStatus",
    "RebootArgument",
    "PostMountDependencies",
];

const SERVICE_KEYS: &[&str] = &[
    "PermissionsStartOnly",
    "RootDirectoryStartOnly",
    "TimeoutStartFailureMode",
    "TimeoutStopFailureMode",
    "RuntimeRandomizedExtraSec",
    "RebootArgument",
    "SysVStartPriority",
    "FileDescriptorStoreMax",
    "FileDescriptorStorePreserve",
    "USBFunctionDescriptors",
    "USBFunctionStrings",
    "Sockets",
    "RestartMode",
    "RestartSteps",
    "RestartMaxDelaySec",
    "ReloadSignal",
    "OpenFile",
];

const SOCKET_KEYS: &[&str] = &[
    "BindIPv6Only",
    "BindToDevice",
    "Writable",
    "FlushPending",
    "MaxConnectionsPerSource",
    "KeepAlive",
    "KeepAliveTimeSec",
    "KeepAliveIntervalSec",
    "KeepAliveProbes",
    "NoDelay",
    "Priority",
    "DeferAcceptSec",
    "ReceiveBuffer",
    "SendBuffer",
    "IPTOS",
    "IPTTL",
    "Mark",
    "PipeSize",
    "MessageQueueMaxMessages",
    "MessageQueueMessageSize",
    "FreeBind",
    "Transparent",
    "Broadcast",
    "PassSecurity",
    "PassPacketInfo",
    "Timestamping",
    "TCPCongestion",
    "ReusePort",
    "SmackLabel",
    "SmackLabelIPIn",
    "SmackLabelIPOut",
    "SELinuxContextFromNet",
    "Symlinks",
    "TriggerLimitIntervalSec",
    "TriggerLimitBurst",
    "PollLimitIntervalSec",
    "PollLimitBurst",
];

const TIMER_KEYS: &[&str] = &["OnClockChange", "OnTimezoneChange"];

const PATH_KEYS: &[&str] = &["TriggerLimitIntervalSec", "TriggerLimitBurst"];

const MOUNT_KEYS: &[&str] = &[
    "What",
    "Where",
    "Type",
    "Options",
    "SloppyOptions",
    "LazyUnmount",
    "ReadWriteOnly",
    "ForceUnmount",
    "DirectoryMode",
    "TimeoutSec",
];

const AUTOMOUNT_KEYS: &[&str] = &["Where", "ExtraOptions", "DirectoryMode", "TimeoutIdleSec"];

const SWAP_KEYS: &[&str] = &["What", "Priority", "Options", "TimeoutSec"];

/// systemd.exec(5), systemd.kill(5) and systemd.resource-control(5) settings we keep raw.
const EXEC_KEYS: &[&str] = &[
    "AmbientCapabilities",
    "AppArmorProfile",
    "BindPaths",
    "BindReadOnlyPaths",
    "BlockIOAccounting",
    "BlockIODeviceWeight",
    "BlockIOReadBandwidth",
    "BlockIOWeight",
    "BlockIOWriteBandwidth",
    "CPUAccounting",
    "CPUAffinity",
    "CPUQuota",
    "CPUQuotaPeriodSec",
    "CPUSchedulingPolicy",
    "CPUSchedulingPriority",
    "CPUSchedulingResetOnFork",
    "CPUShares",
    "CPUWeight",
    "CacheDirectory",
    "CacheDirectoryMode",
    "CapabilityBoundingSet",
    "ConfigurationDirectory",
    "ConfigurationDirectoryMode",
    "CoredumpFilter",
    "Delegate",
    "DeviceAllow",
    "DevicePolicy",
    "DynamicUser",
    "ExecPaths",
    "IOAccounting",
    "IODeviceLatencyTargetSec",
    "IODeviceWeight",
    "IOReadBandwidthMax",
    "IOReadIOPSMax",
    "IOSchedulingClass",
    "IOSchedulingPriority",
    "IOWeight",
    "IOWriteBandwidthMax",
    "IOWriteIOPSMax",
    "IPAccounting",
    "IPAddressAllow",
    "IPAddressDeny",
    "IgnoreSIGPIPE",
    "InaccessibleDirectories",
    "InaccessiblePaths",
    "KeyringMode",
    "LoadCredential",
    "LoadCredentialEncrypted",
    "LockPersonality",
    "LogExtraFields",
    "LogLevelMax",
    "LogNamespace",
    "LogRateLimitBurst",
    "LogRateLimitIntervalSec",
    "LogsDirectory",
    "LogsDirectoryMode",
    "ManagedOOMMemoryPressure",
    "ManagedOOMMemoryPressureLimit",
    "ManagedOOMPreference",
    "ManagedOOMSwap",
    "MemoryAccounting",
    "MemoryDenyWriteExecute",
    "MemoryHigh",
    "MemoryLimit",
    "MemoryLow",
    "MemoryMax",
    "MemoryMin",
    "MemorySwapMax",
    "MountAPIVFS",
    "MountFlags",
    "NUMAMask",
    "NUMAPolicy",
    "NetworkNamespacePath",
    "Nice",
    "NoExecPaths",
    "NoNewPrivileges",
    "NonBlocking",
    "OOMScoreAdjust",
    "PAMName",
    "PassEnvironment",
    "Personality",
    "PrivateDevices",
    "PrivateIPC",
    "PrivateMounts",
    "PrivateNetwork",
    "PrivateTmp",
    "PrivateUsers",
    "ProcSubset",
    "ProtectClock",
    "ProtectControlGroups",
    "ProtectHome",
    "ProtectHostname",
    "ProtectKernelLogs",
    "ProtectKernelModules",
    "ProtectKernelTunables",
    "ProtectProc",
    "ProtectSystem",
    "ReadOnlyDirectories",
    "ReadOnlyPaths",
    "ReadWriteDirectories",
    "ReadWritePaths",
    "RemoveIPC",
    "RestartKillSignal",
    "RestrictAddressFamilies",
    "RestrictFileSystems",
    "RestrictNamespaces",
    "RestrictNetworkInterfaces",
    "RestrictRealtime",
    "RestrictSUIDSGID",
    "RootImage",
    "RootImageOptions",
    "RuntimeDirectoryMode",
    "RuntimeDirectoryPreserve",
    "SELinuxContext",
    "SecureBits",
    "SetCredential",
    "SetCredentialEncrypted",
    "SmackProcessLabel",
    "StandardInputData",
    "StandardInputText",
    "StartupCPUShares",
    "StartupCPUWeight",
    "StartupIOWeight",
    "StateDirectoryMode",
    "SyslogFacility",
    "SyslogLevel",
    "SyslogLevelPrefix",
    "SystemCallArchitectures",
    "SystemCallErrorNumber",
    "SystemCallFilter",
    "SystemCallLog",
    "TTYPath",
    "TTYReset",
    "TTYVHangup",
    "TTYVTDisallocate",
    "TasksAccounting",
    "TasksMax",
    "TemporaryFileSystem",
    "TimerSlackNSec",
    "UnsetEnvironment",
    "UtmpIdentifier",
    "UtmpMode",
    "WatchdogSignal",
    "CPUSchedulingResetOnFork",
    "ProtectKernelTunables",
    "AllowedCPUs",
    "AllowedMemoryNodes",
    "DisableControllers",
    "ExtensionImages",
    "ExtensionDirectories",
    "MountImages",
    "BPFProgram",
    "SocketBindAllow",
    "SocketBindDeny",
    "ImportCredential",
];
