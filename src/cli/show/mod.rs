//! `show` and `cat`: the properties systemd knows of a unit at load time, and its files.
//!
//! `show` prints what `systemctl show` 252 prints: the type's D-Bus interface first (Service,
//! Socket, Timer, Path), then the Unit interface, in the order systemd's vtables list them, with
//! its value formats. Runtime properties (states, pids, timestamps, the last run of each command)
//! come from the manager when one runs, and otherwise carry their values for a unit that never
//! ran. `cat` prints the fragment and drop-ins as systemctl's cat.c does.

use std::io::Write;

use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::protocol::UnitStatus;
use crate::unit::load::{load_or_shipped, load_with_map, NameMap};
use crate::unit::model::{LoadState, UnitConfig};
use crate::unit::name::{self, UnitName, UnitType};
use crate::unit::state::ServiceResult;
use crate::unit::timespan::Usec;

mod cat;
mod contexts;
mod interfaces;
mod unit_interface;
mod values;
pub use cat::cat;
use contexts::*;
use interfaces::*;
use unit_interface::*;
use values::*;
pub(super) use values::{exec_run, format_timestamp};

/// One `Key=value` line; `empty` values are only printed with `--all` or when asked for by `-p`.
struct Property {
    name: String,
    value: String,
    empty: bool,
}

#[derive(Default)]
struct Properties(Vec<Property>);

impl Properties {
    fn add(&mut self, name: &'static str, value: impl Into<String>) {
        let value = value.into();
        let empty = value.is_empty();
        self.0.push(Property {
            name: name.to_string(),
            value,
            empty,
        });
    }

    fn yes_no(&mut self, name: &'static str, v: bool) {
        self.add(name, if v { "yes" } else { "no" });
    }

    fn usec(&mut self, name: &'static str, v: Usec) {
        self.add(name, v.to_string());
    }

    /// A timestamp of a unit that never ran: empty.
    fn never(&mut self, name: &'static str) {
        self.add(name, "");
    }

    /// A realtime/monotonic pair (`FooTimestamp=`, `FooTimestampMonotonic=`): the first
    /// formatted, empty when unset; the second a plain number.
    fn stamp(&mut self, name: &'static str, mono_name: &'static str, (real, mono): (u64, u64)) {
        self.add(name, format_timestamp(real).unwrap_or_default());
        self.add(mono_name, mono.to_string());
    }

    /// An array of structures, one line per element; systemctl prints nothing for none, even
    /// with `--all`.
    fn lines(&mut self, items: Vec<(String, String)>) {
        for (name, value) in items {
            self.0.push(Property {
                name,
                value,
                empty: false,
            });
        }
    }

    /// What systemctl cannot format: shown only when empty properties are.
    fn unprintable(&mut self, name: &'static str) {
        self.0.push(Property {
            name: name.to_string(),
            value: "[unprintable]".into(),
            empty: true,
        });
    }

    /// An exit status that was never configured: shown only when empty properties are.
    fn not_set(&mut self, name: &'static str) {
        self.0.push(Property {
            name: name.to_string(),
            value: "[not set]".into(),
            empty: true,
        });
    }

    /// A string array (`as`): elements quoted as systemctl quotes them, space-separated.
    fn list(&mut self, name: &'static str, items: &[String]) {
        let quoted: Vec<String> = items.iter().map(|i| shell_maybe_quote(i)).collect();
        self.add(name, quoted.join(" "));
    }

    /// Exit statuses (`aiai`): numbers and signal names as given, space-separated.
    /// An `(aiai)` exit status set: the codes, then the signals' names.
    fn statuses(&mut self, name: &'static str, items: &[String]) {
        self.add(name, crate::sys::exit_status::format_status_set(items));
    }
}

/// The runtime state of a unit that never ran (what `show` says with no manager).
pub(super) fn never_ran(config: &UnitConfig) -> UnitStatus {
    UnitStatus {
        id: config.id.clone(),
        load_state: Some(config.load_state.state()),
        description: config.unit.description.clone(),
        active_state: crate::unit::state::ActiveState::Inactive,
        sub_state: "dead".into(),
        result: Some(ServiceResult::Success),
        reload_result: Some(ServiceResult::Success),
        ..UnitStatus::default()
    }
}

/// systemctl shows a string property holding a newline as `[unprintable]`.
fn printable(s: &str) -> String {
    if s.contains('\n') {
        "[unprintable]".into()
    } else {
        s.to_string()
    }
}

fn properties_of(
    ctx: &Ctx,
    map: &NameMap,
    trigger_files: &TriggerFiles,
    config: &UnitConfig,
    rt: &UnitStatus,
    managed: bool,
) -> Properties {
    let mut p = Properties::default();
    match config.unit_type {
        UnitType::Service => service_properties(&mut p, config, rt, managed),
        UnitType::Socket => socket_properties(&mut p, config, rt, managed),
        UnitType::Timer => timer_properties(&mut p, config, rt),
        UnitType::Path => path_properties(&mut p, config),
        _ => {}
    }
    unit_properties(&mut p, ctx, map, trigger_files, config, rt);
    p
}

/// The manager's own properties, for `show` without a unit: a minimal, offline set.
fn manager_properties(ctx: &Ctx) -> Properties {
    let mut p = Properties::default();
    p.add("Version", "252");
    p.add("Architecture", std::env::consts::ARCH.replace('_', "-"));
    let search: Vec<String> = ctx
        .lookup
        .search
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    p.list("UnitPath", &search);
    p.add("SystemState", "offline");
    p.usec("DefaultTimeoutStartUSec", Usec::secs(90));
    p.usec("DefaultTimeoutStopUSec", Usec::secs(90));
    p.usec("DefaultRestartUSec", Usec::millis(100));
    p
}

fn print(out: &mut impl Write, ctx: &Ctx, props: &Properties) -> std::io::Result<()> {
    let filter = ctx.opts.property_filter();
    // `-p ''` is an empty list: systemctl then shows nothing at all.
    let explicit_empty = filter.is_empty()
        && !(ctx.opts.properties.is_empty() && ctx.opts.value_properties.is_empty());
    if explicit_empty {
        return Ok(());
    }
    let all = ctx.opts.all > 0;
    for prop in &props.0 {
        let selected = filter.is_empty() || filter.contains(&prop.name);
        if !selected || (prop.empty && filter.is_empty() && !all) {
            continue;
        }
        let value = prop.value.as_str();
        if ctx.opts.value_only() {
            writeln!(out, "{value}")?;
        } else {
            writeln!(out, "{}={value}", prop.name)?;
        }
    }
    Ok(())
}

/// A command-line unit name as systemctl mangles it (`nginx` → `nginx.service`).
fn mangle(ctx: &Ctx, arg: &str) -> Result<UnitName, Failed> {
    super::queries::warn_escaped(ctx, arg);
    name::mangle(arg, UnitType::Service)
        .map_err(|e| Failed::new(Exit::Failure, format!("Failed to mangle unit name: {e}")))
}

fn io_failed(e: std::io::Error) -> Failed {
    Failed::new(Exit::Failure, format!("Failed to write output: {e}"))
}

/// Why a unit failed to load (file:line and reason), on stderr when no manager runs: a manager
/// logs it when it loads the unit, as systemd does (show then prints nothing more than 252);
/// `LoadError=` itself keeps systemd's words for scripts.
fn report_load_failure(config: &UnitConfig) {
    if matches!(
        config.load_state,
        LoadState::BadSetting | LoadState::Error(_)
    ) {
        if let Some(reason) = &config.load_error {
            eprintln!("{}: {reason}", config.id);
        }
    }
}

/// The runtime state of `units` from the manager, when one runs for the system we look at (with
/// `--root` we look at another tree, whose units nothing runs).
pub(super) fn runtime_states(ctx: &Ctx, units: &[String]) -> Option<Vec<UnitStatus>> {
    if ctx.opts.root.is_some() {
        return None;
    }
    super::queries::query_units(units, wants_dependencies_from_others(ctx))
}

/// Whether `show` prints a property other units add to (every property, or one named with
/// `-p`/`-P`): only then does the manager read what names the unit.
fn wants_dependencies_from_others(ctx: &Ctx) -> bool {
    let asked: Vec<&String> = ctx
        .opts
        .properties
        .iter()
        .chain(ctx.opts.value_properties.iter())
        .collect();
    asked.is_empty()
        || asked.iter().any(|p| {
            crate::ipc::protocol::UnitDependency::ALL
                .iter()
                .any(|d| d.as_str() == p.as_str())
        })
}

pub fn show(ctx: &Ctx, args: &[String]) -> VerbResult {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.is_empty() {
        print(&mut out, ctx, &manager_properties(ctx)).map_err(io_failed)?;
        return Ok(Exit::Success);
    }
    let map = NameMap::build(&ctx.lookup);
    let mut units = Vec::new();
    // A template without an instance names no unit object: show stops there with the
    // manager's error, after what it printed of the units before it.
    let mut refused = None;
    for arg in args {
        let unit = mangle(ctx, arg)?;
        if unit.is_template() {
            refused = Some(unit);
            break;
        }
        units.push(unit);
    }
    let names: Vec<String> = units.iter().map(|u| u.as_str().to_string()).collect();
    let states = runtime_states(ctx, &names).unwrap_or_default();
    // A running manager has the targets and slices systemd ships even where the image lacks
    // them; offline, only the files count, as for systemctl --root.
    let managed = !states.is_empty();
    let trigger_files = TriggerFiles::default();
    for (i, unit) in units.iter().enumerate() {
        let config = if managed {
            load_or_shipped(&ctx.lookup, &map, unit)
        } else {
            load_with_map(&ctx.lookup, &map, unit)
        };
        if !managed {
            report_load_failure(&config);
        }
        if i > 0 {
            writeln!(out).map_err(io_failed)?;
        }
        // The manager answers in the order asked, under the unit's own id (an alias resolves).
        let rt = states
            .get(i)
            .filter(|_| states.len() == names.len())
            .cloned()
            .unwrap_or_else(|| never_ran(&config));
        let props = properties_of(ctx, &map, &trigger_files, &config, &rt, managed);
        print(&mut out, ctx, &props).map_err(io_failed)?;
    }
    match refused {
        Some(unit) => {
            out.flush().map_err(io_failed)?;
            Err(Failed::new(Exit::Failure, not_a_unit_object(&unit)))
        }
        None => Ok(Exit::Success),
    }
}

/// The manager's answer for a name that can name no unit object (a template without its
/// instance), as systemctl prints it for `show` and `status`.
pub(in crate::cli) fn not_a_unit_object(unit: &UnitName) -> String {
    format!("Failed to get properties: Unit name {unit} is neither a valid invocation ID nor unit name.")
}

#[cfg(test)]
mod tests {
    use super::shell_maybe_quote;

    #[test]
    fn string_array_elements_are_quoted_like_shell_maybe_quote() {
        assert_eq!(shell_maybe_quote("plain.service"), "plain.service");
        assert_eq!(shell_maybe_quote("A=b c"), "\"A=b c\"");
        assert_eq!(shell_maybe_quote("a\\x2db.mount"), "\"a\\\\x2db.mount\"");
        assert_eq!(shell_maybe_quote("$X \"q\""), "\"\\$X \\\"q\\\"\"");
        assert_eq!(shell_maybe_quote("tab\there"), "\"tab\\there\"");
        assert_eq!(shell_maybe_quote("man:nginx(8)"), "\"man:nginx(8)\"");
        assert_eq!(shell_maybe_quote(""), "");
    }
}
