//! systemctl(1)'s options. They may stand anywhere on the line, before or after the verb; `--` ends
//! them. Options that only matter to verbs of a later stage are accepted now so that scripts which
//! pass them keep working.

pub use crate::unit::syntax::parse_boolean;
use clap::{ArgAction, Parser};

use super::{Exit, Failed};
use crate::unit::name::UnitType;

const LOAD_STATES: [&str; 7] = [
    "stub",
    "loaded",
    "not-found",
    "bad-setting",
    "error",
    "merged",
    "masked",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetMode {
    Full,
    EnableOnly,
    DisableOnly,
}

#[derive(Debug, Parser)]
#[command(
    name = "systemctl",
    about = "Query or send control commands to the system manager.",
    disable_version_flag = true
)]
pub struct Options {
    /// The verb and its arguments.
    #[arg(allow_hyphen_values = false)]
    pub words: Vec<String>,

    #[arg(long)]
    pub version: bool,
    #[arg(short = 'q', long)]
    pub quiet: bool,
    // The last of --system/--user/--global wins, as in systemctl.
    #[arg(long, overrides_with_all = ["user", "global"])]
    pub system: bool,
    #[arg(long, overrides_with_all = ["system", "global"])]
    pub user: bool,
    #[arg(long, overrides_with_all = ["system", "user"])]
    pub global: bool,
    #[arg(long, value_name = "PATH")]
    pub root: Option<String>,
    #[arg(long, value_name = "PATH")]
    pub image: Option<String>,
    #[arg(long)]
    pub no_reload: bool,
    #[arg(long)]
    pub runtime: bool,
    #[arg(short = 'f', long, action = ArgAction::Count)]
    pub force: u8,
    #[arg(short = 'l', long)]
    pub full: bool,
    #[arg(long)]
    pub no_pager: bool,
    #[arg(long)]
    pub no_legend: bool,
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "yes")]
    pub legend: Option<String>,
    #[arg(long)]
    pub plain: bool,
    #[arg(short = 't', long = "type", value_name = "TYPE", value_delimiter = ',', action = ArgAction::Append)]
    pub types: Vec<String>,
    #[arg(long, value_name = "STATE", value_delimiter = ',', action = ArgAction::Append)]
    pub state: Vec<String>,
    #[arg(short = 'a', long, action = ArgAction::Count)]
    pub all: u8,
    #[arg(long)]
    pub now: bool,
    #[arg(short = 'p', long = "property", value_name = "NAME", value_delimiter = ',', action = ArgAction::Append)]
    pub properties: Vec<String>,
    #[arg(short = 'P', value_name = "NAME", value_delimiter = ',', action = ArgAction::Append)]
    pub value_properties: Vec<String>,
    #[arg(long)]
    pub value: bool,
    #[arg(long, value_name = "MODE")]
    pub preset_mode: Option<String>,
    #[arg(long)]
    pub no_block: bool,
    #[arg(long)]
    pub no_ask_password: bool,
    #[arg(long)]
    pub no_wall: bool,
    #[arg(long)]
    pub wait: bool,
    #[arg(short = 's', long, value_name = "SIGNAL")]
    pub signal: Option<String>,
    #[arg(long, alias = "kill-who", value_name = "WHOM")]
    pub kill_whom: Option<String>,
    #[arg(long)]
    pub ignore_dependencies: bool,
    #[arg(long, value_name = "MODE")]
    pub job_mode: Option<String>,
    #[arg(short = 'M', long, value_name = "CONTAINER")]
    pub machine: Option<String>,
    #[arg(short = 'H', long, value_name = "HOST")]
    pub host: Option<String>,
    #[arg(long)]
    pub marked: bool,
    #[arg(short = 'n', long, value_name = "LINES")]
    pub lines: Option<String>,
    #[arg(short = 'o', long, value_name = "FORMAT")]
    pub output: Option<String>,
    #[arg(short = 'r', long)]
    pub recursive: bool,
    #[arg(long)]
    pub reverse: bool,
    #[arg(long)]
    pub after: bool,
    #[arg(long)]
    pub before: bool,
    #[arg(long)]
    pub failed: bool,
    #[arg(long)]
    pub show_types: bool,
    #[arg(long)]
    pub dry_run: bool,
    #[arg(short = 'i', long)]
    pub ignore_inhibitors: bool,
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "yes")]
    pub check_inhibitors: Option<String>,
    #[arg(long)]
    pub firmware_setup: bool,
    #[arg(long, value_name = "MODE")]
    pub timestamp: Option<String>,
    #[arg(long, value_name = "WHAT")]
    pub what: Option<String>,
    #[arg(long)]
    pub with_dependencies: bool,
    #[arg(short = 'T', long)]
    pub show_transaction: bool,
    #[arg(long)]
    pub read_only: bool,
    #[arg(long)]
    pub mkdir: bool,
    #[arg(long, value_name = "MESSAGE")]
    pub message: Option<String>,
}

/// `-t help`: the values `--type=` accepts, as systemctl lists them; the heading goes with the
/// legend.
pub fn print_type_help(legend: bool) {
    if legend {
        println!("Available unit types:");
    }
    for t in UnitType::ALL {
        println!("{t}");
    }
}

/// The tables systemctl's `help_states()` dumps for `--state=help`, in its order: each heading
/// with the string table of unit-def.c it names.
const STATE_TABLES: &[(&str, &[&str])] = &[
    ("unit load states", &LOAD_STATES),
    (
        "unit active states",
        &[
            "active",
            "reloading",
            "inactive",
            "failed",
            "activating",
            "deactivating",
            "maintenance",
        ],
    ),
    (
        "unit file states",
        &[
            "enabled",
            "enabled-runtime",
            "linked",
            "linked-runtime",
            "alias",
            "masked",
            "masked-runtime",
            "static",
            "disabled",
            "indirect",
            "generated",
            "transient",
            "bad",
        ],
    ),
    (
        "automount unit substates",
        &["dead", "waiting", "running", "failed"],
    ),
    ("device unit substates", &["dead", "tentative", "plugged"]),
    (
        "mount unit substates",
        &[
            "dead",
            "mounting",
            "mounting-done",
            "mounted",
            "remounting",
            "unmounting",
            "remounting-sigterm",
            "remounting-sigkill",
            "unmounting-sigterm",
            "unmounting-sigkill",
            "failed",
            "cleaning",
        ],
    ),
    (
        "path unit substates",
        &["dead", "waiting", "running", "failed"],
    ),
    (
        "scope unit substates",
        &[
            "dead",
            "start-chown",
            "running",
            "abandoned",
            "stop-sigterm",
            "stop-sigkill",
            "failed",
        ],
    ),
    (
        "service unit substates",
        &[
            "dead",
            "condition",
            "start-pre",
            "start",
            "start-post",
            "running",
            "exited",
            "reload",
            "stop",
            "stop-watchdog",
            "stop-sigterm",
            "stop-sigkill",
            "stop-post",
            "final-watchdog",
            "final-sigterm",
            "final-sigkill",
            "failed",
            "auto-restart",
            "cleaning",
        ],
    ),
    ("slice unit substates", &["dead", "active"]),
    (
        "socket unit substates",
        &[
            "dead",
            "start-pre",
            "start-chown",
            "start-post",
            "listening",
            "running",
            "stop-pre",
            "stop-pre-sigterm",
            "stop-pre-sigkill",
            "stop-post",
            "final-sigterm",
            "final-sigkill",
            "failed",
            "cleaning",
        ],
    ),
    (
        "swap unit substates",
        &[
            "dead",
            "activating",
            "activating-done",
            "active",
            "deactivating",
            "deactivating-sigterm",
            "deactivating-sigkill",
            "failed",
            "cleaning",
        ],
    ),
    ("target unit substates", &["dead", "active"]),
    (
        "timer unit substates",
        &["dead", "waiting", "running", "elapsed", "failed"],
    ),
];

/// `--state=help`: systemctl's `help_states()`, headings (with a blank line between tables)
/// only with the legend.
pub fn print_state_help(legend: bool) {
    for (n, (heading, values)) in STATE_TABLES.iter().enumerate() {
        if legend {
            if n > 0 {
                println!();
            }
            println!("Available {heading}:");
        }
        for v in *values {
            println!("{v}");
        }
    }
}

impl Options {
    /// Checks that clap cannot express, worded as systemctl words them.
    pub fn validate(&self) -> Result<(), Failed> {
        if let Some(l) = &self.legend {
            if parse_boolean(l).is_none() {
                return Err(Failed::new(
                    Exit::Failure,
                    format!("Failed to parse boolean argument to --legend: {l}."),
                ));
            }
        }
        for t in &self.types {
            if UnitType::parse(t).is_none() && !LOAD_STATES.contains(&t.as_str()) {
                return Err(Failed::new(
                    Exit::Failure,
                    format!(
                        "Unknown unit type or load state '{t}'.\nUse -t help to see a list of allowed values."
                    ),
                ));
            }
        }
        if self.image.is_some() {
            return Err(Failed::new(
                Exit::Failure,
                if self.root.is_some() {
                    "Please specify either --root= or --image=, the combination of both is not supported."
                } else {
                    "--image= is not supported: mount the image and use --root= instead."
                },
            ));
        }
        if let Some(m) = &self.preset_mode {
            if self.preset_mode().is_none() {
                return Err(Failed::new(
                    Exit::Failure,
                    format!("Failed to parse preset mode: {m}."),
                ));
            }
        }
        Ok(())
    }

    pub fn legend(&self) -> bool {
        !self.no_legend
            && self
                .legend
                .as_deref()
                .and_then(parse_boolean)
                .unwrap_or(true)
    }

    pub fn preset_mode(&self) -> Option<PresetMode> {
        match self.preset_mode.as_deref() {
            None | Some("full") => Some(PresetMode::Full),
            Some("enable-only") => Some(PresetMode::EnableOnly),
            Some("disable-only") => Some(PresetMode::DisableOnly),
            Some(_) => None,
        }
    }

    /// Unit types named with `-t`.
    pub fn unit_types(&self) -> Vec<UnitType> {
        self.types
            .iter()
            .filter_map(|t| UnitType::parse(t))
            .collect()
    }

    /// Properties named with `-p` or `-P`.
    pub fn property_filter(&self) -> Vec<String> {
        self.properties
            .iter()
            .chain(self.value_properties.iter())
            .filter(|p| !p.is_empty())
            .cloned()
            .collect()
    }

    pub fn value_only(&self) -> bool {
        self.value || !self.value_properties.is_empty()
    }
}
