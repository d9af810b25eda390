//! The on-disk enablement state of systemd 252's `src/shared/install.c`: finding unit files along
//! the search path (aliases, linked files, masks, templates and instances), reading their
//! `[Install]` sections, the is-enabled states, and the symlink changes of enable, disable, mask,
//! preset and friends, offline and below `--root`.
//!
//! Every operation first computes its list of [`Change`]s against the tree as it is, then applies
//! the symlink operations; if applying fails part-way (an I/O error), the links already written are
//! rolled back so that a write failure leaves the tree as it found it. A call that fails for
//! another reason (a bad alias, a missing unit) still writes the links planned before the
//! failure, because systemd 252, which writes as it goes, leaves those behind too.

mod context;
mod fsview;
mod ops;
mod paths;
mod plan;
mod preset;
mod state;
pub mod sysv;

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use crate::unit::paths::LookupPaths;

pub use ops::{
    add_dependency, disable, enable, get_default, link, mask, preset, preset_all, reenable, revert,
    set_default, unmask, Dependency, Flags, Outcome, PresetMode,
};
pub use preset::{PresetAction, Presets};
pub use state::{UnitFileEntry, UnitFileState};

/// Why a unit could not be found, loaded or changed. The variants follow the errno values
/// install.c uses, because systemctl's messages (and [`InstallError::errno_text`]) depend on them.
#[derive(Debug, Error)]
pub enum InstallError {
    /// ENOENT: no unit file of that name anywhere in the search path.
    #[error("Unit {0} not found")]
    NotFound(String),
    /// EINVAL: not a valid unit name, or a verb's argument of the wrong kind.
    #[error("Invalid unit name or argument \"{0}\"")]
    Invalid(String),
    /// ENOLINK: an alias whose target does not exist.
    #[error("Unit {0} is an alias to a unit that is not present")]
    DanglingAlias(String),
    /// ELOOP: a symlink loop, a self-alias, or an alias in a configuration directory.
    #[error("Refusing to operate on linked unit file {0}")]
    Linked(String),
    /// EXDEV: an alias symlink whose name does not fit its target.
    #[error("Invalid alias symlink {0}")]
    BadAlias(String),
    /// ERFKILL: the unit is masked.
    #[error("Unit file {0} is masked")]
    Masked(String),
    /// EADDRNOTAVAIL: a generated or transient unit.
    #[error("Unit {0} is transient or generated")]
    TransientOrGenerated(String),
    /// EEXIST: a file that is not our symlink stands where a link should go.
    #[error("File {0} already exists")]
    Exists(String),
    /// EBADMSG: the unit file cannot be parsed (a malformed section header).
    #[error("{}: Bad message", .0.display())]
    BadMessage(PathBuf),
    /// The unit file is not a text unit file (binary content, a line that cannot be parsed, an
    /// oversized file).
    // Divergence from 252, which parses NUL-containing files as text: we refuse them and name
    // the file, since a binary file in a unit directory is always a mistake.
    #[error("{path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl InstallError {
    /// What `strerror()` says for the errno install.c would have returned: systemctl prints it
    /// after "Failed to …: ".
    pub fn errno_text(&self) -> String {
        match self {
            InstallError::NotFound(_) => "No such file or directory".into(),
            InstallError::Invalid(_) => "Invalid argument".into(),
            InstallError::DanglingAlias(_) => "Link has been severed".into(),
            InstallError::Linked(_) => "Too many levels of symbolic links".into(),
            InstallError::BadAlias(_) => "Invalid cross-device link".into(),
            InstallError::Masked(_) => "Operation not possible due to RF-kill".into(),
            InstallError::TransientOrGenerated(_) => "Cannot assign requested address".into(),
            InstallError::Exists(_) => "File exists".into(),
            InstallError::BadMessage(_) => "Bad message".into(),
            InstallError::BadFile { path, reason } => format!("{}: {reason}", path.display()),
            InstallError::Io { source, .. } => io_text(source),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> InstallError {
        InstallError::Io {
            path: path.into(),
            source,
        }
    }
}

/// `strerror()` of an I/O error as systemctl prints it.
pub(crate) fn io_text(e: &io::Error) -> String {
    crate::errno::text(e)
}

/// One entry of install.c's change list: what was done, or what went wrong with which file.
/// Paths are real paths (below the root), as systemctl prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Symlink { path: PathBuf, target: String },
    Unlink { path: PathBuf },
    IsMasked { path: String },
    IsDangling { path: String },
    DestinationNotPresent { dependency: String, source: PathBuf },
    AuxiliaryFailed { unit: String },
    Failed(ChangeError),
}

/// The failure kinds of install_changes_dump(), each with systemctl's own sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    Exists {
        path: String,
        target: Option<String>,
    },
    Masked {
        path: String,
    },
    TransientOrGenerated {
        path: String,
    },
    BadSpecifier {
        text: String,
    },
    NonTemplateDestination {
        destination: String,
        unit: String,
    },
    InvalidName {
        name: String,
    },
    Linked {
        path: String,
    },
    CannotAlias {
        alias: String,
        unit: String,
    },
    InvalidReference {
        path: String,
    },
    NotFound {
        name: String,
    },
    Other {
        path: String,
        reason: String,
    },
}

impl ChangeError {
    /// The message of the D-Bus error dbus-manager.c's install_error() makes of this failure.
    pub fn bus_message(&self) -> String {
        match self {
            ChangeError::Exists {
                path,
                target: Some(t),
            } => format!("File {path} already exists and is a symlink to {t}."),
            ChangeError::Exists { path, target: None } => format!("File {path} already exists."),
            ChangeError::Masked { path } => format!("Unit file {path} is masked."),
            ChangeError::TransientOrGenerated { path } => {
                format!("Unit {path} is transient or generated.")
            }
            ChangeError::BadSpecifier { text } => format!("Invalid specifier in {text}."),
            ChangeError::NonTemplateDestination { destination, .. } => {
                format!("Destination unit {destination} is a non-template unit.")
            }
            ChangeError::InvalidName { name } => format!("\"{name}\" is not a valid unit name."),
            ChangeError::Linked { path } => {
                format!("Refusing to operate on alias name or linked unit file: {path}")
            }
            ChangeError::CannotAlias { alias, unit } => format!("Cannot alias {unit} as {alias}."),
            ChangeError::InvalidReference { path } => format!("Invalid unit reference {path}."),
            ChangeError::NotFound { name } => format!("Unit file {name} does not exist."),
            ChangeError::Other { path, reason } => format!("File {path}: {reason}"),
        }
    }
}

impl ChangeError {
    pub(crate) fn from_error(e: &InstallError, what: &str) -> ChangeError {
        let what = what.to_string();
        match e {
            InstallError::NotFound(_) => ChangeError::NotFound { name: what },
            InstallError::Masked(_) => ChangeError::Masked { path: what },
            InstallError::TransientOrGenerated(_) => {
                ChangeError::TransientOrGenerated { path: what }
            }
            InstallError::Linked(_) => ChangeError::Linked { path: what },
            InstallError::BadAlias(_) => ChangeError::InvalidReference { path: what },
            InstallError::Exists(_) => ChangeError::Exists {
                path: what,
                target: None,
            },
            other => ChangeError::Other {
                path: what,
                reason: other.errno_text(),
            },
        }
    }
}

/// The state `systemctl is-enabled` prints for `name`, as install.c's unit_file_get_state()
/// computes it (for `systemctl show`'s `UnitFileState=`).
pub fn unit_file_state(lookup: &LookupPaths, name: &str) -> Result<UnitFileState, InstallError> {
    unit_file_state_reporting(lookup, name, &mut Vec::new())
}

/// [`unit_file_state`], keeping the parser's warnings about the files it read (`is-enabled`
/// prints them, as systemctl does).
pub fn unit_file_state_reporting(
    lookup: &LookupPaths,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<UnitFileState, InstallError> {
    let paths = paths::InstallPaths::memo(lookup)?;
    state::lookup_state(&paths, name, warnings)
}

/// Whether a unit file of that name exists (install.c's unit_file_exists(): found without
/// reading it; an alias in a configuration directory counts as an error, as in systemd).
/// Notices about misfitting aliases go to `warnings`.
pub fn unit_file_exists(
    lookup: &LookupPaths,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<bool, InstallError> {
    state::unit_exists(&paths::InstallPaths::memo(lookup)?, name, warnings)
}

/// What the preset files say about `name` (for `systemctl show`'s `UnitFilePreset=`): enabled
/// when no rule matches, as systemd's default policy is.
pub fn preset_state(lookup: &LookupPaths, name: &str) -> Result<PresetAction, InstallError> {
    // `show`'s UnitFilePreset= has no place for warnings about unparsable lines.
    let presets = Presets::read(lookup, &mut Vec::new())?;
    presets.query(name).map(|(action, _)| action)
}

/// Every unit file along the search path as `list-unit-files` shows them: matching the glob
/// `patterns` (all when empty) and the state words in `states` (all when empty), sorted as
/// systemctl sorts. Parser warnings go to `warnings`.
pub fn list_unit_files(
    lookup: &LookupPaths,
    patterns: &[String],
    states: &[String],
    warnings: &mut Vec<String>,
) -> Result<Vec<UnitFileEntry>, InstallError> {
    let paths = paths::InstallPaths::snapshot(lookup)?;
    Ok(state::list_unit_files(&paths, patterns, states, warnings))
}
