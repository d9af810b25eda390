//! Applying assignments in file order into a [`UnitConfig`], as load-fragment.c's parsers do, and
//! what systemd settles at the end of loading: implicit settings and dependencies
//! (`service_add_extras()`, `*_add_default_dependencies()`) and `service_verify()`.
//!
//! Here the [`Builder`], its shared setters and `apply()`, which hands each assignment to the
//! parsers of its section, one file per section as load-fragment-gperf.gperf.in groups them:
//! unit.rs ([Unit]), install.rs ([Install]), service.rs ([Service]), exec.rs (systemd.exec(5)
//! and systemd.kill(5), shared by services and sockets), socket.rs ([Socket]), timer.rs
//! ([Timer]), path.rs ([Path]); finish.rs is the end of loading.

mod exec;
mod finish;
mod install;
mod path;
mod service;
mod socket;
mod timer;
mod unit;

use super::keys::known_unmodeled;
use super::*;
use crate::unit::specifier::SpecifierContext;
use crate::unit::syntax::parse_boolean;
use crate::unit::timespan::{self, Usec};
pub(super) use finish::parent_slice;

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

    /// load-fragment.c's `config_parse_trigger_unit()`: the `Unit=` of a timer or path unit,
    /// `None` (with its warning) when one was given already (the first counts), when the name
    /// has no valid type, names the unit itself, or is no valid unit name.
    fn trigger_unit(&mut self, a: &Assignment, value: &str, set: bool) -> Option<String> {
        if set {
            let msg = format!("Multiple units to trigger specified, ignoring: {value}");
            self.warn(a, msg);
            return None;
        }
        let name = self.printf(a, value)?;
        let typed = name
            .rsplit_once('.')
            .is_some_and(|(_, t)| crate::unit::name::UnitType::parse(t).is_some());
        if !typed {
            self.warn(a, format!("Unit type not valid, ignoring: {value}"));
            return None;
        }
        if name == self.config.id || self.config.names.contains(&name) {
            let msg = format!("Units cannot trigger themselves, ignoring: {value}");
            self.warn(a, msg);
            return None;
        }
        if crate::unit::name::UnitName::parse(&name).is_err() {
            let msg = format!("Failed to add trigger on {name}, ignoring: Invalid argument");
            self.warn(a, msg);
            return None;
        }
        Some(name)
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
                "Unknown key '{}' in section [{}], ignoring.",
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
        match parse_boolean(a.value) {
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

    /// A setting with a word from systemd's string table for it (`…_from_string()`); any other
    /// value is invalid and logged as such.
    fn set_word<T>(
        &mut self,
        a: &Assignment,
        parse: fn(&str) -> Option<T>,
        f: fn(&mut UnitConfig) -> &mut T,
    ) {
        match parse(a.value) {
            Some(v) => *f(&mut self.config) = v,
            None => self.invalid(a),
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
            // of a scope's cgroup settings, the slice it is in (the rest is kept raw)
            "Scope" if self.config.unit_type == UnitType::Scope => {
                a.key == "Slice" && self.exec_key(a)
            }
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
}

/// `path_simplify()`: no doubled slashes, no `.` components, no trailing slash.
fn simplify_path(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    format!("/{}", parts.join("/"))
}
