//! The typed, immutable configuration of one unit as systemd's load-fragment.c builds it from the
//! fragment and its drop-ins: the [Unit] and [Install] settings of systemd.unit(5), [Service]
//! (systemd.service(5), with the exec and kill settings of systemd.exec(5)/systemd.kill(5)),
//! [Socket], [Timer] and [Path], each with systemd 252's defaults; list settings accumulate and an
//! empty assignment resets them; `%` specifiers are expanded where systemd expands them; the
//! load-time checks of `service_verify()` turn a unit `bad-setting`. Settings systemd knows but we
//! do not act on are kept raw; unknown ones are kept too and warned about once. The exec settings
//! the manager needs (`Limit*=`, `Nice=`, the directory settings, …) are typed and also kept raw,
//! which is how `show` prints them.

mod build;
mod keys;
mod socket_address;

use std::path::PathBuf;

use super::command::ExecCommand;
use super::name::UnitType;
use super::timespan::Usec;
use crate::sys::rlimit::Limit;

pub use build::{Assignment, Builder};
pub use keys::section_is_known;
pub use socket_address::SocketAddress;

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
            LoadFailure::BadMessage => "org.freedesktop.DBus.Error.InconsistentMessage",
            LoadFailure::NotFound => "org.freedesktop.DBus.Error.FileNotFound",
            LoadFailure::SymlinkLoop => "System.Error.ELOOP",
            LoadFailure::AccessDenied => "org.freedesktop.DBus.Error.AccessDenied",
            LoadFailure::TooLarge => "System.Error.EFBIG",
            LoadFailure::Io => "org.freedesktop.DBus.Error.IOError",
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

    fn from_key(key: &str) -> Option<Dependency> {
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
    pub upheld_by: Vec<String>,
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

    /// The kind whose property is named `name` (`ExecStartPre`).
    pub fn from_property(name: &str) -> Option<ExecKind> {
        [
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
        .find(|k| k.property() == name)
    }

    fn from_key(key: &str, unit_type: UnitType) -> Option<ExecKind> {
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
    pub standard_input: String,
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
    pub kill_mode: String,
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
            standard_input: "null".into(),
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
            kill_mode: "control-group".into(),
            kill_signal: "SIGTERM".into(),
            restart_kill_signal: None,
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
    /// Sockets=: further socket units whose listeners this service gets.
    pub sockets: Vec<String>,
    pub file_descriptor_store_max: u32,
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
            sockets: Vec::new(),
            file_descriptor_store_max: 0,
        }
    }
}

/// `Listen…=` of systemd.socket(5), with the kind `systemctl show` prints in parentheses.
///
/// `address` is the value as loading left it: specifiers expanded, a FIFO's, special file's,
/// message queue's or USB function's path simplified, and a path below `/var/run/` moved to
/// `/run/`; a socket address is known to parse (see [`Listen::socket_address`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub kind: &'static str,
    pub address: String,
}

impl Listen {
    /// The address of a socket listener (`ListenStream=`, `ListenDatagram=`,
    /// `ListenSequentialPacket=`, `ListenNetlink=`); `None` for the other kinds, which are paths.
    pub fn socket_address(&self) -> Option<SocketAddress> {
        match self.kind {
            "Stream" | "Datagram" | "SequentialPacket" => SocketAddress::parse(&self.address).ok(),
            "Netlink" => SocketAddress::parse_netlink(&self.address).ok(),
            _ => None,
        }
    }

    /// The address as systemd prints it in `Listen=`, `status` and `list-sockets`
    /// (`socket_address_print()`): a bare port listens on `[::]:PORT`, a netlink socket is
    /// `FAMILY GROUP`, a unix path is C-escaped.
    pub fn listen_display(&self) -> String {
        match self.socket_address() {
            Some(address) => address.to_string(),
            None => self.address.clone(),
        }
    }

    /// Whether a connection can be accepted on it (`socket_address_can_accept()`): stream and
    /// sequential-packet sockets.
    pub fn can_accept(&self) -> bool {
        matches!(self.kind, "Stream" | "SequentialPacket")
    }

    /// The file system node the listener creates: a unix socket's path or a FIFO
    /// (`socket_find_symlink_target()`), what `Symlinks=` links to.
    pub fn node_path(&self) -> Option<&str> {
        match self.kind {
            "FIFO" => Some(&self.address),
            "Stream" | "Datagram" | "SequentialPacket" if self.address.starts_with('/') => {
                Some(&self.address)
            }
            _ => None,
        }
    }

    /// The path whose file system the listener needs mounted (`socket_add_mount_dependencies()`):
    /// its node, a special file or a USB function; not a message queue, which lives in mqueue.
    pub fn mount_path(&self) -> Option<&str> {
        match self.kind {
            "Special" | "USBFunction" => Some(&self.address),
            _ => self.node_path(),
        }
    }
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
    /// `default`, `both` or `ipv6-only`.
    pub bind_ipv6_only: String,
    /// `BindToDevice=`: the network interface the sockets are bound to.
    pub bind_to_device: Option<String>,
    pub keep_alive: bool,
    /// KeepAliveTimeSec=, KeepAliveIntervalSec=, KeepAliveProbes=: 0, like unset, keeps the
    /// kernel's value (socket.c sets the option only when it is positive).
    pub keep_alive_time: Option<Usec>,
    pub keep_alive_interval: Option<Usec>,
    pub keep_alive_probes: Option<u32>,
    /// `DeferAcceptSec=`; 0 is off.
    pub defer_accept: Usec,
    pub no_delay: bool,
    /// Priority=, Mark=: a negative value, like unset, leaves the option alone.
    pub priority: Option<i32>,
    /// ReceiveBuffer=, SendBuffer=, in bytes: 0, like unset, leaves the option alone.
    pub receive_buffer: Option<u64>,
    pub send_buffer: Option<u64>,
    /// `IPTOS=`, `IPTTL=`: -1 leaves the option alone.
    pub ip_tos: i32,
    pub ip_ttl: i32,
    /// `PipeSize=` of a FIFO, in bytes; 0 keeps the kernel's.
    pub pipe_size: u64,
    pub mark: Option<i32>,
    pub reuse_port: bool,
    pub free_bind: bool,
    pub transparent: bool,
    pub broadcast: bool,
    pub pass_security: bool,
    pub pass_packet_info: bool,
    /// `Timestamping=`: `off`, `us` or `ns`.
    pub timestamping: String,
    pub flush_pending: bool,
    pub writable: bool,
    /// Absolute paths made symlinks to the one node in the file system (see
    /// [`Listen::node_path`]).
    pub symlinks: Vec<String>,
    pub max_connections_per_source: u32,
    /// MessageQueueMaxMessages=, MessageQueueMessageSize=: 0 keeps the kernel's default.
    pub message_queue_max_messages: i64,
    pub message_queue_message_size: i64,
    pub tcp_congestion: Option<String>,
    pub smack_label: Option<String>,
    pub smack_label_ip_in: Option<String>,
    pub smack_label_ip_out: Option<String>,
    /// `SocketProtocol=`: 0 (the type's default), IPPROTO_UDPLITE (136) or IPPROTO_SCTP (132).
    pub socket_protocol: i32,
    /// TriggerLimitIntervalSec=/TriggerLimitBurst= as written; see [`SocketSection::trigger_limit`].
    pub trigger_limit_interval: Option<Usec>,
    pub trigger_limit_burst: Option<u32>,
}

impl SocketSection {
    /// The trigger limit in force: unset values default as socket.c's `socket_add_extras()`
    /// sets them, 2 s and 20 activations (200 with Accept=yes).
    pub fn trigger_limit(&self) -> (Usec, u32) {
        (
            self.trigger_limit_interval.unwrap_or(Usec::secs(2)),
            self.trigger_limit_burst
                .unwrap_or(if self.accept { 200 } else { 20 }),
        )
    }

    /// The service socket unit `socket_id` starts and hands its listeners to: `Service=`, else
    /// the socket's own name as a service. None with Accept=yes, which starts an instance per
    /// connection; as socket.c's `have_non_accept_socket()`, a listener that cannot accept
    /// makes it one service even then (such a unit is refused at load, yet has the dependency).
    pub fn triggered_service(&self, socket_id: &str) -> Option<String> {
        let one_service = !self.accept || self.listen.iter().any(|l| !l.can_accept());
        if !one_service {
            return None;
        }
        Some(self.service.clone().unwrap_or_else(|| {
            let stem = socket_id.strip_suffix(".socket").unwrap_or(socket_id);
            format!("{stem}.service")
        }))
    }
}

/// systemd 252's default `Backlog=`, SOMAXCONN_DELUXE: as many as the kernel allows
/// (net.core.somaxconn caps it).
const SOCKET_BACKLOG_DEFAULT: u32 = i32::MAX as u32;

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
            backlog: SOCKET_BACKLOG_DEFAULT,
            pass_credentials: false,
            timeout: Usec::secs(90),
            bind_ipv6_only: "default".into(),
            bind_to_device: None,
            keep_alive: false,
            keep_alive_time: None,
            keep_alive_interval: None,
            keep_alive_probes: None,
            defer_accept: Usec::ZERO,
            no_delay: false,
            priority: None,
            receive_buffer: None,
            send_buffer: None,
            ip_tos: -1,
            ip_ttl: -1,
            pipe_size: 0,
            mark: None,
            reuse_port: false,
            free_bind: false,
            transparent: false,
            broadcast: false,
            pass_security: false,
            pass_packet_info: false,
            timestamping: "off".into(),
            flush_pending: false,
            writable: false,
            symlinks: Vec::new(),
            max_connections_per_source: 0,
            message_queue_max_messages: 0,
            message_queue_message_size: 0,
            tcp_congestion: None,
            smack_label: None,
            smack_label_ip_in: None,
            smack_label_ip_out: None,
            socket_protocol: 0,
            trigger_limit_interval: None,
            trigger_limit_burst: None,
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
// [Socket] has the most settings by far; a unit holds one section for its whole life, so
// boxing it would only add an indirection to every use.
#[allow(clippy::large_enum_variant)]
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
    /// The fragment's text when a generator made it in memory rather than on disk (SysV scripts).
    pub generated_fragment: Option<String>,
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
            generated_fragment: None,
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
