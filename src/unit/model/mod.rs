//! The typed, immutable configuration of one unit as systemd's load-fragment.c builds it from the
//! fragment and its drop-ins: the [Unit] and [Install] settings of systemd.unit(5), [Service]
//! (systemd.service(5), with the exec and kill settings of systemd.exec(5)/systemd.kill(5)),
//! [Socket], [Timer] and [Path], each with systemd 252's defaults; list settings accumulate and an
//! empty assignment resets them; `%` specifiers are expanded where systemd expands them; the
//! load-time checks of `service_verify()` turn a unit `bad-setting`. Settings systemd knows but we
//! do not act on are kept raw; unknown ones are kept too and warned about once. The exec settings
//! the manager needs (`Limit*=`, `Nice=`, the directory settings, …) are typed and also kept raw,
//! which is how `show` prints them.
//!
//! This file holds the whole unit ([`UnitConfig`]) and its load state; the types of each section
//! are in a file of their own beside it: unit.rs ([Unit] and [Install]), exec.rs (systemd.exec(5)
//! and systemd.kill(5)), service.rs, socket.rs, timer.rs and path.rs. build/ fills them in.
//! cgroup.rs reads the resource-control settings (kept raw) into their typed form; live.rs says
//! which properties a loaded unit takes at runtime and how they are written back.

mod build;
pub mod cgroup;
mod exec;
mod keys;
pub mod live;
mod path;
mod service;
mod socket;
mod socket_address;
mod timer;
mod unit;

use std::path::PathBuf;

use super::command::ExecCommand;
use super::name::UnitType;
use super::state::UnitLoadState;

pub use build::{Assignment, Builder};
pub use exec::{
    DirectoryPreserve, ExecKind, ExecSettings, KillMode, StandardInput, DEFAULT_DIRECTORY_MODE,
};
pub use keys::section_is_known;
pub use path::PathSection;
pub use service::ServiceSection;
pub use socket::{Listen, SocketSection, Timestamping};
pub use socket_address::SocketAddress;
pub use timer::TimerSection;
// Not used here: build/ reaches it through its `use super::*`.
use unit::CONDITION_KINDS;
pub use unit::{CollectMode, Condition, Dependency, EmergencyAction, InstallSection, UnitSection};

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
    /// The word `LoadState=` shows, without the failure.
    pub fn state(self) -> UnitLoadState {
        match self {
            LoadState::Loaded => UnitLoadState::Loaded,
            LoadState::NotFound => UnitLoadState::NotFound,
            LoadState::BadSetting => UnitLoadState::BadSetting,
            LoadState::Error(_) => UnitLoadState::Error,
            LoadState::Masked => UnitLoadState::Masked,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.state().as_str()
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
    /// A unit the manager makes rather than a file (init.scope): `Transient=yes`.
    pub transient: bool,
    /// A unit that is always up and cannot be stopped (`-.slice`, `init.scope`): `Perpetual=yes`.
    pub perpetual: bool,
}

/// The command lists per `Exec…=` setting, ordered as systemd lists the properties.
pub type ExecLists = std::collections::BTreeMap<ExecKind, Vec<ExecCommand>>;

impl UnitConfig {
    /// The manager's answer for a unit that did not load (the message of `LoadError=`, which
    /// `status` prints as the `Loaded:` line's reason); `None` for a loaded unit.
    pub fn load_error_message(&self) -> Option<String> {
        let id = &self.id;
        Some(match &self.load_state {
            LoadState::Loaded => return None,
            LoadState::NotFound => format!("Unit {id} not found."),
            LoadState::Masked => format!("Unit {id} is masked."),
            LoadState::BadSetting => format!("Unit {id} has a bad unit file setting."),
            LoadState::Error(failure) => format!(
                "Unit {id} failed to load properly, please adjust/correct and reload service \
                 manager: {}",
                failure.strerror()
            ),
        })
    }

    /// The slice the unit lives in: a slice's parent (`-.slice` has none), else `Slice=` (which
    /// the loader sets for services and sockets), else `system.slice`.
    pub fn slice(&self) -> Option<String> {
        match self.unit_type {
            UnitType::Slice => build::parent_slice(&self.id),
            _ => Some(
                self.settings
                    .slice
                    .clone()
                    .unwrap_or_else(|| "system.slice".into()),
            ),
        }
    }

    /// ControlGroup= as systemd names it (`unit_default_cgroup_path()`): every dash of the
    /// slice's name is a level, so `system-postgresql.slice` is below `system.slice`; empty
    /// where the slice has no path.
    pub fn control_group(&self) -> String {
        crate::sys::cgroup::unit_path(&self.id, self.slice().as_deref()).unwrap_or_default()
    }

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
            transient: false,
            perpetual: false,
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
