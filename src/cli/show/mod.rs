//! `show` and `cat` (systemctl-show.c's show_one() and print_property(), systemctl-cat.c).
//!
//! `show` prints a unit's properties (crate::ipc::properties): as the manager has the unit loaded
//! when one runs, as GetAll() on systemd's bus answers, and otherwise from the files, with the
//! values of a unit that never ran. `cat` prints the fragment and drop-ins.

use std::io::Write;

use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::client::{ask_in_chunks, connect_running};
use crate::ipc::properties::{
    properties_of, wants_dependencies_from_others, Asking, ManagerFacts, Property, TriggerFiles,
};
use crate::ipc::protocol::{Reply, Request, UnitStatus};
use crate::unit::load::{load_or_shipped, load_with_map, NameMap};
use crate::unit::model::{LoadState, UnitConfig};
use crate::unit::name::{self, UnitName, UnitType};

mod cat;
pub(super) use crate::ipc::properties::{exec_run, format_timestamp, never_ran};
pub use cat::cat;

/// The manager's own properties, for `show` without a unit: the running manager's, else what
/// the files and systemd's defaults say.
fn manager_properties(ctx: &Ctx) -> Vec<Property> {
    let running = ctx.opts.root.is_none().then(connect_running).flatten();
    let answered = running.and_then(|mut conn| match conn.call(&Request::ManagerProperties) {
        Ok(Reply::Properties(mut p)) if p.len() == 1 => p.pop(),
        _ => None,
    });
    answered.unwrap_or_else(|| {
        crate::ipc::properties::manager_properties(&ManagerFacts::offline(), &ctx.lookup, false)
    })
}

fn print(out: &mut impl Write, ctx: &Ctx, props: &[Property]) -> std::io::Result<()> {
    let filter = ctx.opts.property_filter();
    // `-p ''` is an empty list: systemctl then shows nothing at all.
    let explicit_empty = filter.is_empty()
        && !(ctx.opts.properties.is_empty() && ctx.opts.value_properties.is_empty());
    if explicit_empty {
        return Ok(());
    }
    let all = ctx.opts.all > 0;
    for prop in props {
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
    super::queries::query_units(
        units,
        wants_dependencies_from_others(&ctx.opts.property_filter()),
    )
}

/// The properties of `names` as the running manager has them, when one runs for the system we
/// look at (with `--root` we look at another tree, whose units nothing runs).
fn asked_of_manager(ctx: &Ctx, names: &[String], asked: &[String]) -> Option<Vec<Vec<Property>>> {
    if ctx.opts.root.is_some() {
        return None;
    }
    let mut conn = connect_running()?;
    ask_in_chunks(
        &mut conn,
        names,
        |units| Request::Properties {
            units,
            asked: asked.to_vec(),
        },
        |reply| match reply {
            Reply::Properties(p) => Some(p),
            _ => None,
        },
    )
    .filter(|per_unit| per_unit.len() == names.len())
}

/// The properties of `units` read from the files, with what a manager that no longer answers
/// left of their states (or those of units that never ran).
fn from_files(
    ctx: &Ctx,
    units: &[UnitName],
    names: &[String],
    asked: &[String],
) -> Vec<Vec<Property>> {
    let map = NameMap::build(&ctx.lookup);
    let states = runtime_states(ctx, names).unwrap_or_default();
    let managed = !states.is_empty();
    let trigger_files = TriggerFiles::default();
    let mut per_unit = Vec::with_capacity(units.len());
    for (i, unit) in units.iter().enumerate() {
        // A manager has the targets and slices systemd ships even where the image lacks them;
        // offline, only the files count, as for systemctl --root.
        let config = if managed {
            load_or_shipped(&ctx.lookup, &map, unit)
        } else {
            load_with_map(&ctx.lookup, &map, unit)
        };
        if !managed {
            report_load_failure(&config);
        }
        let rt = states
            .get(i)
            .filter(|_| states.len() == names.len())
            .cloned()
            .unwrap_or_else(|| never_ran(&config));
        let asking = Asking {
            lookup: &ctx.lookup,
            map: &map,
            trigger_files: &trigger_files,
            managed,
            asked,
        };
        per_unit.push(properties_of(&asking, &config, &rt));
    }
    per_unit
}

pub fn show(ctx: &Ctx, args: &[String]) -> VerbResult {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.is_empty() {
        print(&mut out, ctx, &manager_properties(ctx)).map_err(io_failed)?;
        return Ok(Exit::Success);
    }
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
    let asked = ctx.opts.property_filter();
    let per_unit = match asked_of_manager(ctx, &names, &asked) {
        Some(per_unit) => per_unit,
        None => from_files(ctx, &units, &names, &asked),
    };
    for (i, props) in per_unit.iter().enumerate() {
        if i > 0 {
            writeln!(out).map_err(io_failed)?;
        }
        print(&mut out, ctx, props).map_err(io_failed)?;
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
