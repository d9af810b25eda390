//! One line of a tmpfiles.d(5) file, parsed as systemd-tmpfiles 252's parse_line() does: the
//! whitespace-separated, quote-aware fields `Type Path Mode User Group Age Argument`, the type's
//! modifiers (`! + - = ~ ^`), specifiers in the path and argument, C-style escapes in the argument,
//! and the same diagnostics, worded as systemd words them.
//!
//! Here are the parsed line and the problems a line can have; beside it: the item types
//! (`item_type`), parse_line() itself (`parse`), the mode, age, device and owner fields
//! (`fields`), word splitting and argument decoding (`text`) and path handling (`paths`).

mod fields;
mod item_type;
mod parse;
mod paths;
mod text;

use std::path::Path;

use thiserror::Error;

use super::specifiers::{SpecifierError, Specifiers};
use crate::sys::accounts::Accounts;

pub use item_type::ItemType;
pub use parse::parse_line;
pub use paths::{path_starts_with, simplify_path};
pub use text::{cunescape, unbase64};

/// One parsed line, ready to apply; paths already carry the `--root` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemType,
    pub path: String,
    pub argument: Option<Vec<u8>>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// `:` before the user or group: the owner is set only when the file is created.
    pub uid_only_create: bool,
    pub gid_only_create: bool,
    pub mode: u32,
    pub mode_set: bool,
    /// `~` before the mode: only keep the permission classes the file already has.
    pub mask_perms: bool,
    /// `:` before the mode: the mode applies only when the file is created.
    pub mode_only_create: bool,
    pub age: Option<String>,
    /// `+`: truncate, replace, or (for `w`) append.
    pub append_or_force: bool,
    /// `-`: failures to create are not errors.
    pub allow_failure: bool,
    /// `=`: remove objects of the wrong type in the way.
    pub try_replace: bool,
    pub device: Option<(u32, u32)>,
}

impl Item {
    pub fn argument_text(&self) -> Option<String> {
        self.argument
            .as_ref()
            .map(|a| String::from_utf8_lossy(a).into_owned())
    }

    /// Whether a second line for the same path may be kept beside this one (item_compatible()).
    pub fn compatible_with(&self, other: &Item) -> bool {
        if !(self.kind.takes_ownership() && other.kind.takes_ownership()) {
            return true;
        }
        self.argument == other.argument
            && self.uid == other.uid
            && self.gid == other.gid
            && self.uid_only_create == other.uid_only_create
            && self.gid_only_create == other.gid_only_create
            && self.mode_only_create == other.mode_only_create
            && self.mode_set == other.mode_set
            && self.mode == other.mode
            && self.age == other.age
            && self.mask_perms == other.mask_perms
            && self.device == other.device
    }
}

/// Why a line was rejected; displayed as systemd-tmpfiles prints it, after `file:line: `.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LineProblem {
    #[error("Failed to parse line: Invalid argument")]
    BadQuoting,
    #[error("Syntax error.")]
    TooFewFields,
    #[error("Command too short '{0}'.")]
    CommandTooShort(String),
    #[error("Unknown modifiers in command '{0}'")]
    UnknownModifiers(String),
    #[error("Failed to replace specifiers in '{path}': {error}")]
    PathSpecifier { path: String, error: SpecifierError },
    #[error("Unknown command type '{0}'.")]
    UnknownType(char),
    #[error("Write file requires argument.")]
    WriteWithoutArgument,
    #[error("Source path '{0}' is not absolute.")]
    RelativeCopySource(String),
    #[error("Device file requires argument.")]
    DeviceWithoutArgument,
    #[error("Can't parse device file major/minor '{0}'.")]
    BadDevice(String),
    #[error("{0} requires argument.")]
    MissingArgument(&'static str),
    #[error("base64 decoding not supported for {0}.")]
    Base64Unsupported(&'static str),
    #[error("Failed to base64 decode specified argument '{0}': Invalid argument")]
    BadBase64(String),
    #[error("Reading from credential requested, but no credential name specified.")]
    CredentialWithoutName,
    #[error("Credential name not valid: {0}")]
    BadCredentialName(String),
    #[error("Path '{0}' not absolute.")]
    RelativePath(String),
    /// systemd logs the raw argument on a line of its own first, without a location.
    #[error("Failed to substitute specifiers in argument: Invalid argument")]
    BadEscape(String),
    #[error("Failed to substitute specifiers in argument: {0}")]
    ArgumentSpecifier(SpecifierError),
    #[error("Failed to resolve user '{0}': No such process")]
    UnknownUser(String),
    #[error("Failed to resolve group '{0}'.")]
    UnknownGroup(String),
    #[error("Invalid mode '{0}'.")]
    BadMode(String),
    #[error("Invalid age-by '{0}'.")]
    BadAgeBy(String),
    #[error("Invalid age '{0}'.")]
    BadAge(String),
}

impl LineProblem {
    /// Whether systemd counts the line as invalid configuration (exit status 65); the others are
    /// reported and skipped without changing the exit status.
    pub fn is_invalid_config(&self) -> bool {
        !matches!(
            self,
            LineProblem::BadBase64(_)
                | LineProblem::CredentialWithoutName
                | LineProblem::BadCredentialName(_)
        ) && !matches!(
            self,
            LineProblem::PathSpecifier {
                error: SpecifierError::Unresolvable(_),
                ..
            } | LineProblem::ArgumentSpecifier(SpecifierError::Unresolvable(_))
        )
    }

    /// What systemd prints before the located message, if anything.
    pub fn preamble(&self) -> Option<String> {
        match self {
            LineProblem::BadEscape(arg) => {
                Some(format!("Failed to unescape parameter to write: {arg}"))
            }
            _ => None,
        }
    }
}

/// A rejected line and where it is.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{file}:{line}: {problem}")]
pub struct LineError {
    pub file: String,
    pub line: usize,
    pub problem: LineProblem,
}

/// What a line turned into.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Item(Box<Item>),
    /// Left out on purpose: `!` without `--boot`, a prefix filter, a missing credential, an
    /// unresolvable specifier.
    Skipped(SkipReason),
}

#[derive(Debug, PartialEq, Eq)]
pub enum SkipReason {
    BootOnly,
    NotInPrefix,
    CredentialMissing,
    UnresolvableSpecifier,
}

/// Everything parse_line() consults besides the line.
pub struct LineContext<'a> {
    pub specifiers: &'a Specifiers,
    pub root: Option<&'a Path>,
    pub boot: bool,
    pub include_prefixes: &'a [String],
    pub exclude_prefixes: &'a [String],
    pub accounts: &'a Accounts,
    /// `$CREDENTIALS_DIRECTORY`, for `^` lines.
    pub credentials: Option<&'a Path>,
}

const WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];
