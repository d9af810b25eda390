//! StartTransientUnit()'s properties (systemd 252's src/core/dbus-unit.c
//! `bus_unit_set_properties()` with dbus-execute.c, dbus-kill.c, dbus-service.c and dbus-timer.c,
//! which write each property as a unit-file setting with `unit_write_setting()`): the `a(sv)` a
//! client sends turned into the text of the transient unit file, and the other way round,
//! `-p KEY=VALUE` turned into the `(sv)` systemd-run sends (src/shared/bus-unit-util.c
//! `bus_append_unit_property_assignment()`), for the properties one table lists.
//!
//! The resource-control settings are written as SetUnitProperties() writes them
//! (src/unit/model/live.rs). A property neither lists is refused as systemd refuses it ("Cannot set property
//! X, or unknown property."); so is a value that would break the file (a newline).

use std::os::fd::{AsRawFd, FromRawFd};

use zbus::zvariant::{OwnedValue, Value};

use super::dispatch::{Call, Session};
use super::MethodError;
use crate::ipc::protocol::{JobMode, JobOutcome, Reply, Request, TransientUnit};
use crate::unit::model::live;
use crate::unit::name::UnitName;
use crate::unit::name::UnitType;
use crate::unit::timespan::parse_sec;

/// How a property's D-Bus value becomes its setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `s`, written as is (specifiers escaped).
    Str,
    /// `b`: yes/no.
    Bool,
    /// `t` in µs: a timespan (`infinity` for UINT64_MAX).
    Usec,
    /// `i`.
    Int,
    /// `i`, a signal number.
    Signal,
    /// `t`: a resource limit's hard value (the `…Soft` property gives the soft one).
    Limit,
    /// `t`: a resource limit's soft value.
    LimitSoft,
    /// `as`: space-separated unit names.
    Names,
    /// `as`: each element quoted (Environment=).
    Quoted,
    /// `a(sasb)`: one command line per element.
    Exec,
    /// `a(st)`: TimersMonotonic, `(OnActiveSec, µs)` each.
    Monotonic,
    /// `a(ss)`: TimersCalendar, `(OnCalendar, spec)` each.
    Calendar,
    /// Accepted and not written (AddRef: the bus connection's pin on the unit).
    Ignored,
}

/// Which section a setting goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Unit,
    /// The unit type's own section (`private_section`): [Service], [Timer], … (exec, kill and
    /// cgroup settings too).
    Type,
}

/// One settable property: its D-Bus name, the unit-file key it is written as, the section and
/// the kind of value.
struct Setting {
    bus: &'static str,
    key: &'static str,
    section: Section,
    kind: Kind,
    /// Unit types it applies to (empty: every type).
    types: &'static [UnitType],
}

const SERVICE: &[UnitType] = &[UnitType::Service];
const EXEC: &[UnitType] = &[
    UnitType::Service,
    UnitType::Socket,
    UnitType::Mount,
    UnitType::Swap,
];
const TIMER: &[UnitType] = &[UnitType::Timer];

macro_rules! s {
    ($bus:expr, $key:expr, $section:ident, $kind:ident, $types:expr) => {
        Setting {
            bus: $bus,
            key: $key,
            section: Section::$section,
            kind: Kind::$kind,
            types: $types,
        }
    };
}

const SETTINGS: &[Setting] = &[
    s!("Description", "Description", Unit, Str, &[]),
    s!("Documentation", "Documentation", Unit, Names, &[]),
    s!("CollectMode", "CollectMode", Unit, Str, &[]),
    s!(
        "DefaultDependencies",
        "DefaultDependencies",
        Unit,
        Bool,
        &[]
    ),
    s!("AddRef", "AddRef", Unit, Ignored, &[]),
    s!("Wants", "Wants", Unit, Names, &[]),
    s!("Requires", "Requires", Unit, Names, &[]),
    s!("Requisite", "Requisite", Unit, Names, &[]),
    s!("BindsTo", "BindsTo", Unit, Names, &[]),
    s!("PartOf", "PartOf", Unit, Names, &[]),
    s!("Upholds", "Upholds", Unit, Names, &[]),
    s!("Conflicts", "Conflicts", Unit, Names, &[]),
    s!("Before", "Before", Unit, Names, &[]),
    s!("After", "After", Unit, Names, &[]),
    s!("OnFailure", "OnFailure", Unit, Names, &[]),
    s!("OnSuccess", "OnSuccess", Unit, Names, &[]),
    s!("JobTimeoutUSec", "JobTimeoutSec", Unit, Usec, &[]),
    s!("Slice", "Slice", Type, Str, &[]),
    // service
    s!("Type", "Type", Type, Str, SERVICE),
    s!("ExitType", "ExitType", Type, Str, SERVICE),
    s!("RemainAfterExit", "RemainAfterExit", Type, Bool, SERVICE),
    s!("Restart", "Restart", Type, Str, SERVICE),
    s!("RestartUSec", "RestartSec", Type, Usec, SERVICE),
    s!("TimeoutStartUSec", "TimeoutStartSec", Type, Usec, SERVICE),
    s!("TimeoutStopUSec", "TimeoutStopSec", Type, Usec, SERVICE),
    s!("TimeoutUSec", "TimeoutSec", Type, Usec, SERVICE),
    s!("RuntimeMaxUSec", "RuntimeMaxSec", Type, Usec, SERVICE),
    s!("WatchdogUSec", "WatchdogSec", Type, Usec, SERVICE),
    s!("PIDFile", "PIDFile", Type, Str, SERVICE),
    s!("NotifyAccess", "NotifyAccess", Type, Str, SERVICE),
    s!("ExecCondition", "ExecCondition", Type, Exec, SERVICE),
    s!("ExecStartPre", "ExecStartPre", Type, Exec, SERVICE),
    s!("ExecStart", "ExecStart", Type, Exec, SERVICE),
    s!("ExecStartPost", "ExecStartPost", Type, Exec, SERVICE),
    s!("ExecReload", "ExecReload", Type, Exec, SERVICE),
    s!("ExecStop", "ExecStop", Type, Exec, SERVICE),
    s!("ExecStopPost", "ExecStopPost", Type, Exec, SERVICE),
    // execution context
    s!("User", "User", Type, Str, EXEC),
    s!("Group", "Group", Type, Str, EXEC),
    s!(
        "SupplementaryGroups",
        "SupplementaryGroups",
        Type,
        Names,
        EXEC
    ),
    s!("DynamicUser", "DynamicUser", Type, Bool, EXEC),
    s!("WorkingDirectory", "WorkingDirectory", Type, Str, EXEC),
    s!("RootDirectory", "RootDirectory", Type, Str, EXEC),
    s!("Environment", "Environment", Type, Quoted, EXEC),
    s!("UnsetEnvironment", "UnsetEnvironment", Type, Quoted, EXEC),
    s!("PassEnvironment", "PassEnvironment", Type, Names, EXEC),
    s!("StandardInput", "StandardInput", Type, Str, EXEC),
    s!("StandardOutput", "StandardOutput", Type, Str, EXEC),
    s!("StandardError", "StandardError", Type, Str, EXEC),
    s!("SyslogIdentifier", "SyslogIdentifier", Type, Str, EXEC),
    s!("TTYPath", "TTYPath", Type, Str, EXEC),
    s!("Nice", "Nice", Type, Int, EXEC),
    s!("NoNewPrivileges", "NoNewPrivileges", Type, Bool, EXEC),
    s!("PrivateTmp", "PrivateTmp", Type, Bool, EXEC),
    s!("KillMode", "KillMode", Type, Str, EXEC),
    s!("KillSignal", "KillSignal", Type, Signal, EXEC),
    s!("FinalKillSignal", "FinalKillSignal", Type, Signal, EXEC),
    s!("SendSIGHUP", "SendSIGHUP", Type, Bool, EXEC),
    s!("SendSIGKILL", "SendSIGKILL", Type, Bool, EXEC),
    s!("LimitCPU", "LimitCPU", Type, Limit, EXEC),
    s!("LimitCPUSoft", "LimitCPU", Type, LimitSoft, EXEC),
    s!("LimitFSIZE", "LimitFSIZE", Type, Limit, EXEC),
    s!("LimitFSIZESoft", "LimitFSIZE", Type, LimitSoft, EXEC),
    s!("LimitDATA", "LimitDATA", Type, Limit, EXEC),
    s!("LimitDATASoft", "LimitDATA", Type, LimitSoft, EXEC),
    s!("LimitSTACK", "LimitSTACK", Type, Limit, EXEC),
    s!("LimitSTACKSoft", "LimitSTACK", Type, LimitSoft, EXEC),
    s!("LimitCORE", "LimitCORE", Type, Limit, EXEC),
    s!("LimitCORESoft", "LimitCORE", Type, LimitSoft, EXEC),
    s!("LimitNOFILE", "LimitNOFILE", Type, Limit, EXEC),
    s!("LimitNOFILESoft", "LimitNOFILE", Type, LimitSoft, EXEC),
    s!("LimitAS", "LimitAS", Type, Limit, EXEC),
    s!("LimitASSoft", "LimitAS", Type, LimitSoft, EXEC),
    s!("LimitNPROC", "LimitNPROC", Type, Limit, EXEC),
    s!("LimitNPROCSoft", "LimitNPROC", Type, LimitSoft, EXEC),
    s!("LimitMEMLOCK", "LimitMEMLOCK", Type, Limit, EXEC),
    s!("LimitMEMLOCKSoft", "LimitMEMLOCK", Type, LimitSoft, EXEC),
    // timer
    s!("TimersMonotonic", "TimersMonotonic", Type, Monotonic, TIMER),
    s!("TimersCalendar", "TimersCalendar", Type, Calendar, TIMER),
    s!("Unit", "Unit", Type, Str, TIMER),
    s!("AccuracyUSec", "AccuracySec", Type, Usec, TIMER),
    s!(
        "RandomizedDelayUSec",
        "RandomizedDelaySec",
        Type,
        Usec,
        TIMER
    ),
    s!("Persistent", "Persistent", Type, Bool, TIMER),
    s!("WakeSystem", "WakeSystem", Type, Bool, TIMER),
    s!("RemainAfterElapse", "RemainAfterElapse", Type, Bool, TIMER),
    s!("OnClockChange", "OnClockChange", Type, Bool, TIMER),
    s!("OnTimezoneChange", "OnTimezoneChange", Type, Bool, TIMER),
];

/// The monotonic timer settings TimersMonotonic may carry.
const MONOTONIC: &[&str] = &[
    "OnActiveSec",
    "OnBootSec",
    "OnStartupSec",
    "OnUnitActiveSec",
    "OnUnitInactiveSec",
];

fn unknown(name: &str) -> MethodError {
    MethodError::new(
        "org.freedesktop.DBus.Error.PropertyReadOnly",
        format!("Cannot set property {name}, or unknown property."),
    )
}

fn bad_value(name: &str) -> MethodError {
    MethodError::invalid_args(format!("Invalid value for property {name}."))
}

fn section_name(section: Section, t: UnitType) -> String {
    match section {
        Section::Unit => "Unit".into(),
        Section::Type => {
            let word = t.as_str();
            let mut c = word.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        }
    }
}

/// unit_escape_setting() with UNIT_ESCAPE_SPECIFIERS: `%` doubled; a newline cannot be
/// written at all.
fn plain(name: &str, s: &str) -> Result<String, MethodError> {
    if s.contains('\n') || s.contains('\r') {
        return Err(bad_value(name));
    }
    Ok(s.replace('%', "%%"))
}

/// unit_escape_setting(): specifiers escaped, then backslashes and quotes (252's
/// `shell_escape(s, "$;'\"")` for command lines, `cescape()` for the rest). A `$` of a command
/// line is written `$$` as systemd 254 does (UNIT_ESCAPE_EXEC_SYNTAX_ENV): 252's `\$` and `\;`
/// are escapes its own parser takes only with a warning, keeping the backslash, so a command
/// 252 is sent comes back changed; `$$` gives the caller's word back.
fn escaped(name: &str, s: &str, exec: bool) -> Result<String, MethodError> {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '%' => out.push_str("%%"),
            '\\' | '"' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            '$' if exec => out.push_str("$$"),
            '\t' if !exec => out.push_str("\\t"),
            '\n' | '\r' => return Err(bad_value(name)),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// unit_concat_strv(): each word escaped and in double quotes, separated by spaces.
fn concat(name: &str, words: &[String], exec: bool) -> Result<String, MethodError> {
    let words: Result<Vec<String>, MethodError> = words
        .iter()
        .map(|w| escaped(name, w, exec).map(|e| format!("\"{e}\"")))
        .collect();
    Ok(words?.join(" "))
}

/// format_timespan(…, 1): "7s", "1h", "1.500000s", "infinity".
fn usec_text(us: u64) -> String {
    crate::unit::timespan::Usec(us).to_string()
}

fn as_str<'a>(v: &'a Value<'_>) -> Option<&'a str> {
    match v {
        Value::Str(s) => Some(s.as_str()),
        Value::Value(inner) => as_str(inner),
        _ => None,
    }
}

fn as_strs(v: &Value<'_>) -> Option<Vec<String>> {
    match v {
        Value::Array(a) => a.iter().map(|e| as_str(e).map(String::from)).collect(),
        Value::Value(inner) => as_strs(inner),
        _ => None,
    }
}

/// The elements of an array of structures, each as its fields.
fn structs<'a>(v: &'a Value<'_>) -> Option<Vec<&'a [Value<'a>]>> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|e| match e {
                Value::Structure(s) => Some(s.fields()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// One unit's file made of its properties, as bus_unit_set_properties() writes them for a unit
/// of type `t` with unit_write_setting(): in the order they came, a section header where the
/// section changes.
pub fn unit_text(t: UnitType, properties: &[(String, OwnedValue)]) -> Result<String, MethodError> {
    // each setting: its section and its lines (an Exec…= list is one setting of many lines)
    let mut written: Vec<(Section, String, String)> = Vec::new();
    // each resource limit as set so far: soft, hard
    let mut limits: std::collections::HashMap<&str, (u64, u64)> = Default::default();
    for (name, value) in properties {
        let setting = SETTINGS
            .iter()
            .find(|s| s.bus == name && (s.types.is_empty() || s.types.contains(&t)));
        let Some(setting) = setting else {
            // a resource-control setting, written as SetUnitProperties() writes it
            let typed = super::set_property::property_value(value);
            let current = crate::unit::model::cgroup::CgroupSettings::default();
            let w = live::live_setting(t, &current, name, &typed).map_err(|e| match e {
                live::LiveError::ReadOnly(_) => unknown(name),
                e => MethodError::new(e.bus_name(), e.to_string()),
            })?;
            let Some(w) = w else {
                continue;
            };
            if !w.private {
                return Err(unknown(name));
            }
            written.push((
                Section::Type,
                w.name.clone(),
                w.lines.trim_end().to_string(),
            ));
            continue;
        };
        let value: &Value = value;
        let value = match value {
            Value::Value(inner) => inner,
            v => v,
        };
        let key = setting.key;
        let bad = || bad_value(name);
        let mut push = |text: String| written.push((setting.section, key.to_string(), text));
        match setting.kind {
            Kind::Ignored => {}
            Kind::Str => push(format!(
                "{key}={}",
                plain(name, as_str(value).ok_or_else(bad)?)?
            )),
            Kind::Bool => match value {
                Value::Bool(b) => push(format!("{key}={}", if *b { "yes" } else { "no" })),
                _ => return Err(bad()),
            },
            Kind::Usec => match value {
                Value::U64(us) => push(format!("{key}={}", usec_text(*us))),
                _ => return Err(bad()),
            },
            Kind::Int => match value {
                Value::I32(n) => push(format!("{key}={n}")),
                _ => return Err(bad()),
            },
            // signal_to_string(): the name without "SIG"
            Kind::Signal => match value {
                Value::I32(n) => push(format!("{key}={}", crate::sys::signal::signal_name(*n))),
                _ => return Err(bad()),
            },
            Kind::Limit | Kind::LimitSoft => {
                let Value::U64(x) = value else {
                    return Err(bad());
                };
                // a limit not set yet gets the value for both; rlimit_format() after each
                let (cur, max) = match (limits.get(key).copied(), setting.kind) {
                    (None, _) => (*x, *x),
                    (Some((_, max)), Kind::LimitSoft) => (*x, max),
                    (Some((cur, _)), _) => (cur, *x),
                };
                limits.insert(key, (cur, max));
                if cur == max {
                    push(format!("{key}={}", limit_text(cur)));
                } else {
                    push(format!("{key}={}:{}", limit_text(cur), limit_text(max)));
                }
            }
            Kind::Names => {
                let names = as_strs(value).ok_or_else(bad)?;
                // one setting each; an empty list resets it, as `Key=` does
                if names.is_empty() {
                    push(format!("{key}="));
                }
                for n in &names {
                    push(format!("{key}={}", plain(name, n)?));
                }
            }
            Kind::Quoted => {
                let words = as_strs(value).ok_or_else(bad)?;
                push(format!("{key}={}", concat(name, &words, false)?));
            }
            Kind::Exec => {
                let commands = structs(value).ok_or_else(bad)?;
                // bus_set_transient_exec_command(): the list reset, then each command
                let mut text = format!("{key}=");
                for fields in commands {
                    let [path, argv, ignore] = fields else {
                        return Err(bad());
                    };
                    let path = as_str(path).ok_or_else(bad)?;
                    let argv = as_strs(argv).ok_or_else(bad)?;
                    let Value::Bool(ignore) = ignore else {
                        return Err(bad());
                    };
                    if argv.is_empty() || path.is_empty() {
                        return Err(MethodError::invalid_args(
                            "Invalid argv[0] or path passed for executable.",
                        ));
                    }
                    let prefix = if *ignore { "-" } else { "" };
                    let args = concat(name, &argv, true)?;
                    if argv[0] == path {
                        text.push_str(&format!("\n{key}={prefix}{args}"));
                    } else {
                        let path = escaped(name, path, true)?;
                        text.push_str(&format!("\n{key}={prefix}@{path} {args}"));
                    }
                }
                push(text);
            }
            Kind::Monotonic => {
                for fields in structs(value).ok_or_else(bad)? {
                    let [base, Value::U64(us)] = fields else {
                        return Err(bad());
                    };
                    let base = as_str(base).ok_or_else(bad)?;
                    // 252 takes the names with "USec" too (timer_base_from_string())
                    let base = base.replace("USec", "Sec");
                    if !MONOTONIC.contains(&base.as_str()) {
                        return Err(MethodError::invalid_args(format!(
                            "Unknown timer base {base}."
                        )));
                    }
                    push(format!("{base}={}", usec_text(*us)));
                }
            }
            Kind::Calendar => {
                for fields in structs(value).ok_or_else(bad)? {
                    let [base, spec] = fields else {
                        return Err(bad());
                    };
                    if as_str(base) != Some("OnCalendar") {
                        return Err(MethodError::invalid_args("Unknown timer base."));
                    }
                    let spec = as_str(spec).ok_or_else(bad)?;
                    push(format!("OnCalendar={}", plain(name, spec)?));
                }
            }
        }
    }
    let mut text = String::new();
    let mut last: Option<Section> = None;
    for (section, _, lines) in &written {
        if last != Some(*section) {
            if last.is_some() {
                text.push('\n');
            }
            text.push_str(&format!("[{}]\n", section_name(*section, t)));
            last = Some(*section);
        }
        text.push_str(lines);
        text.push('\n');
    }
    Ok(text)
}

fn limit_text(n: u64) -> String {
    if n == u64::MAX {
        "infinity".into()
    } else {
        n.to_string()
    }
}

/// bus_append_unit_property_assignment(): `KEY=VALUE` (a unit-file key, or a property's D-Bus
/// name) as the `(sv)` pairs systemd-run sends for a unit of type `t`.
pub fn assignment(t: UnitType, assignment: &str) -> Result<Vec<(String, Value<'static>)>, String> {
    let (key, value) = assignment
        .split_once('=')
        .ok_or_else(|| format!("Not an assignment: {assignment}"))?;
    let bad = || format!("Failed to parse {key}={value}");
    if MONOTONIC.contains(&key) {
        let us = parse_sec(value).map_err(|_| bad())?.0;
        let entries = if value.is_empty() {
            Vec::new()
        } else {
            vec![(key.to_string(), us)]
        };
        return Ok(vec![("TimersMonotonic".into(), Value::from(entries))]);
    }
    if key == "OnCalendar" {
        let entries = vec![(key.to_string(), value.to_string())];
        return Ok(vec![("TimersCalendar".into(), Value::from(entries))]);
    }
    if key == "Markers" {
        let words: Vec<String> = value.split_whitespace().map(String::from).collect();
        return Ok(vec![(key.to_string(), Value::from(words))]);
    }
    if crate::unit::model::live::has_cgroup(t) {
        if let Some(pair) = super::set_property::cgroup_assignment(key, value) {
            return pair.map(|p| vec![p]);
        }
    }
    let setting = SETTINGS
        .iter()
        .find(|s| {
            (s.key == key || s.bus == key)
                && s.kind != Kind::LimitSoft
                && (s.types.is_empty() || s.types.contains(&t))
        })
        .ok_or_else(|| format!("Unknown assignment: {assignment}"))?;
    let name = setting.bus.to_string();
    let v = match setting.kind {
        Kind::Str => Value::from(value.to_string()),
        Kind::Bool => Value::from(crate::unit::syntax::parse_boolean(value).ok_or_else(bad)?),
        Kind::Usec => Value::from(parse_sec(value).map_err(|_| bad())?.0),
        Kind::Int => Value::from(value.parse::<i32>().map_err(|_| bad())?),
        Kind::Signal => Value::from(crate::sys::signal::parse_signal(value).ok_or_else(bad)?),
        Kind::Limit => {
            let (soft, hard) = match value.split_once(':') {
                Some((s, h)) => (
                    limit_value(s).ok_or_else(bad)?,
                    limit_value(h).ok_or_else(bad)?,
                ),
                None => {
                    let n = limit_value(value).ok_or_else(bad)?;
                    (n, n)
                }
            };
            return Ok(vec![
                (name.clone(), Value::from(hard)),
                (format!("{name}Soft"), Value::from(soft)),
            ]);
        }
        Kind::Names | Kind::Quoted => {
            let words: Vec<String> = if setting.kind == Kind::Quoted {
                crate::unit::command::split_words(value).map_err(|_| bad())?
            } else {
                value.split_whitespace().map(String::from).collect()
            };
            Value::from(words)
        }
        Kind::Exec => {
            let argv: Vec<String> = crate::unit::command::split_words(value).map_err(|_| bad())?;
            let (ignore, first) = match argv.first() {
                Some(a) if a.starts_with('-') => (true, a[1..].to_string()),
                Some(a) => (false, a.clone()),
                None => return Err(bad()),
            };
            let mut argv = argv;
            argv[0] = first.clone();
            Value::from(vec![(first, argv, ignore)])
        }
        Kind::Ignored | Kind::LimitSoft | Kind::Monotonic | Kind::Calendar => {
            return Err(format!("Unknown assignment: {assignment}"))
        }
    };
    Ok(vec![(name, v)])
}

fn limit_value(s: &str) -> Option<u64> {
    if s == "infinity" {
        Some(u64::MAX)
    } else {
        s.parse().ok()
    }
}

/// Why a transient scope cannot be made: it takes over processes the caller names (PIDs=) into a
/// cgroup of its own, and this manager keeps none.
pub const SCOPES_UNSUPPORTED: &str =
    "Transient scopes need control groups, which this service manager does not manage.";

/// StartTransientUnit(name, mode, properties, aux): the units' files made of their
/// properties, then the manager writes, loads and starts them.
pub fn start(call: &Call, session: &mut Session) -> Result<(), MethodError> {
    type Properties = Vec<(String, OwnedValue)>;
    let (name, mode, properties, aux): (String, String, Properties, Vec<(String, Properties)>) =
        call.args()?;
    let mode = JobMode::parse(&mode)
        .ok_or_else(|| MethodError::invalid_args(format!("Job mode {mode} invalid.")))?;
    // AddRef=yes pins the unit for as long as the caller is there (sd_bus_track on its name)
    let add_ref = properties
        .iter()
        .any(|(k, v)| k == "AddRef" && matches!(**v, Value::Bool(true)));
    let mut units = Vec::new();
    for (name, properties) in std::iter::once((name, properties)).chain(aux) {
        // a name that names no unit is the manager's to refuse, before any property
        let text = match UnitName::parse(&name) {
            Ok(n) if n.unit_type() == UnitType::Scope => Err(MethodError::new(
                "org.freedesktop.DBus.Error.NotSupported",
                SCOPES_UNSUPPORTED,
            )),
            Ok(n) if !n.is_template() => unit_text(n.unit_type(), &properties),
            _ => Ok(String::new()),
        };
        let (text, refused) = match text {
            Ok(text) => (text, None),
            Err(e) => (String::new(), Some(e.message)),
        };
        units.push(TransientUnit {
            name,
            text,
            refused,
        });
    }
    let unit = units[0].name.clone();
    let request = Request::StartTransient {
        mode,
        units,
        add_ref,
    };
    let reply = session.link.ask(call.caller(), &request)?;
    let queued =
        matches!(&reply, Reply::Jobs(o) if matches!(o.first(), Some(JobOutcome::Queued { .. })));
    if add_ref && queued {
        release_when_gone(call.caller().pid, unit, session.link.another());
    }
    super::manager_api::job_reply(call, reply)
}

/// The caller's hold on `unit` ends when the caller does: a thread waits on its pidfd (the
/// caller is blocked in this call, so the pid is still its), then tells the manager. systemd
/// watches the caller's bus name instead; a client's connection lives as long as its process.
fn release_when_gone(pid: i32, unit: String, mut link: super::link::ManagerLink) {
    // SAFETY: pidfd_open() takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let unref = Request::UnitUnref { unit };
    let mut spare = link.another();
    let request = unref.clone();
    let release = move |link: &mut super::link::ManagerLink| {
        let _ = link.call(&request);
    };
    let Ok(fd) = i32::try_from(fd) else {
        return release(&mut link);
    };
    if fd < 0 {
        return release(&mut link);
    }
    // SAFETY: fd was just returned by pidfd_open() and is owned by nothing else.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    let spawned = std::thread::Builder::new()
        .name("bus-addref".into())
        .spawn(move || {
            let mut fds = [libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            }];
            // SAFETY: one valid pollfd; waits until the process has exited.
            while unsafe { libc::poll(fds.as_mut_ptr(), 1, -1) } < 0 {}
            release(&mut link);
        });
    // no thread, no hold: the unit may be collected as if AddRef had not been asked
    if spawned.is_err() {
        let _ = spare.call(&unref);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: UnitType, assignments: &[&str]) -> String {
        let mut props = Vec::new();
        for a in assignments {
            for (k, v) in assignment(t, a).expect("assignment") {
                props.push((k, OwnedValue::try_from(v).expect("owned")));
            }
        }
        unit_text(t, &props).expect("unit text")
    }

    #[test]
    fn settings_are_written_as_systemd_writes_them() {
        let t = text(
            UnitType::Service,
            &[
                "Description=a %i b",
                "RemainAfterExit=yes",
                "Environment=A=b X=%y",
                "ExecStart=/bin/sh -c \"echo \\\"$A\\\"; id\"",
                "After=a.service b.service",
                "LimitNOFILE=10:20",
                "TimeoutStartSec=5",
            ],
        );
        eprintln!("{t}");
        assert_eq!(
            t,
            "[Unit]\nDescription=a %%i b\n\n[Service]\nRemainAfterExit=yes\n\
             Environment=\"A=b\" \"X=%%y\"\n\
             ExecStart=\nExecStart=\"/bin/sh\" \"-c\" \"echo \\\"$$A\\\"; id\"\n\n\
             [Unit]\nAfter=a.service\nAfter=b.service\n\n[Service]\nLimitNOFILE=20\n\
             LimitNOFILE=10:20\nTimeoutStartSec=5s\n"
        );
    }
}
