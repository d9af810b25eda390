//! The runtime queries of systemctl(1) as a client of our manager: is-active, is-failed
//! (systemctl-is-active.c), is-system-running, list-units (systemctl-list-units.c) and the
//! requests `show`, `status` and the other verbs ask (GetUnit, GetUnitByPID). A query never
//! starts a manager; with none running it answers from the state a killed manager left, or for a
//! system where nothing runs. Names given on the command line are expanded here
//! (expand_unit_names()), since a glob is matched against the loaded units.

use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::client::{ask_in_chunks, connect_running};
use crate::ipc::context::RuntimeContext;
use crate::ipc::protocol::{Reply, Request, UnitDetails, UnitStatus};
use crate::ipc::saved_state::{current_boot_id, SavedState};
use crate::ipc::Connection;
use crate::sys::glob::glob_match;
use crate::unit::job::JobKind;
use crate::unit::name::{mangle, mangle_escape, UnitName, UnitType};
use crate::unit::state::{ActiveState, UnitLoadState};

pub(super) fn call(conn: &mut Connection, request: &Request) -> Result<Reply, Failed> {
    conn.call(request)
        .map_err(|e| Failed::new(Exit::Failure, e.to_string()))
}

/// expand_unit_names(): each name mangled, and each glob of valid characters replaced by the
/// loaded units it matches (none when nothing matches, or no manager runs), in name order.
pub(super) fn unit_names(ctx: &Ctx, args: &[String]) -> Result<Vec<String>, Failed> {
    let mut names = Vec::new();
    let mut loaded: Option<Vec<String>> = None;
    for a in args {
        if is_valid_glob(a) {
            let all = loaded.get_or_insert_with(|| {
                let mut ids: Vec<String> = loaded_units().into_iter().map(|u| u.id).collect();
                ids.sort();
                ids
            });
            names.extend(all.iter().filter(|id| glob_match(a, id)).cloned());
            continue;
        }
        warn_escaped(ctx, a);
        let name = mangle(a, UnitType::Service)
            .map_err(|e| Failed::new(Exit::Failure, format!("Failed to mangle unit name: {e}")))?;
        names.push(name.as_str().to_string());
    }
    Ok(names)
}

/// string_is_glob() && in_charset(VALID_CHARS_GLOB): a pattern to expand, not a name to escape.
pub(super) fn is_valid_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '['])
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":-_.\\@[]!*?".contains(&b))
}

/// unit_name_mangle_with_suffix()'s notice (UNIT_NAME_MANGLE_WARN, which expand_unit_names()
/// passes unless `--quiet`) for a name that had to be escaped; a path or a glob of valid
/// characters is not escaped and gets none.
pub(super) fn warn_escaped(ctx: &Ctx, arg: &str) {
    if ctx.opts.quiet || arg.starts_with('/') || is_valid_glob(arg) || UnitName::is_valid(arg) {
        return;
    }
    let escaped = mangle_escape(arg);
    if escaped != arg {
        eprintln!(
            "Invalid unit name \"{arg}\" escaped as \"{escaped}\" (maybe you should use systemd-escape?)."
        );
    }
}

/// The runtime state of `units` from the manager; with none running, from the state a killed
/// manager left behind (checked against what still lives); `None` when there is neither.
pub fn query_units(units: &[String], from_others: bool) -> Option<Vec<UnitStatus>> {
    if let Some(mut conn) = connect_running() {
        let answered = ask_in_chunks(
            &mut conn,
            units,
            |units| Request::Units { units, from_others },
            |reply| match reply {
                Reply::Units(u) => Some(u),
                _ => None,
            },
        );
        if answered.is_some() {
            return answered;
        }
    }
    let ctx = RuntimeContext::find_running()?;
    let (saved, _) = SavedState::load(&ctx.state_file(), &current_boot_id());
    Some(
        units
            .iter()
            .map(|u| match saved.units.get(u) {
                Some(r) => UnitStatus {
                    id: u.clone(),
                    load_state: Some(UnitLoadState::Loaded),
                    active_state: r.active_state,
                    sub_state: r.sub_state.clone(),
                    result: Some(r.result),
                    main_pid: r.main_pid.map(|p| p.pid).unwrap_or(0),
                    ..UnitStatus::default()
                },
                None => UnitStatus {
                    id: u.clone(),
                    active_state: ActiveState::Inactive,
                    sub_state: "dead".into(),
                    ..UnitStatus::default()
                },
            })
            .collect(),
    )
}

/// What `status` shows of `units`, from the running manager in one request (per
/// [`crate::ipc::UNITS_PER_REQUEST`] units); `None` when no manager answers it.
pub(super) fn query_details(units: &[String]) -> Option<Vec<UnitDetails>> {
    let mut conn = connect_running()?;
    ask_in_chunks(
        &mut conn,
        units,
        |units| Request::UnitDetails { units },
        |reply| match reply {
            Reply::Details(d) => Some(d),
            _ => None,
        },
    )
}

/// (load state, active state) of `units`, as [`query_units`] finds them.
pub(super) fn query_states(units: &[String]) -> Option<Vec<(Option<UnitLoadState>, ActiveState)>> {
    if let Some(mut conn) = connect_running() {
        let answered = ask_in_chunks(
            &mut conn,
            units,
            |units| Request::States { units },
            |reply| match reply {
                Reply::States(s) => Some(s.into_iter().map(|(l, a)| (Some(l), a)).collect()),
                _ => None,
            },
        );
        if answered.is_some() {
            return answered;
        }
    }
    query_units(units, false).map(|v| {
        v.into_iter()
            .map(|s| (s.load_state, s.active_state))
            .collect()
    })
}

/// check_unit_generic() of 252: each unit's active state, and success when one is in a `good`
/// state, else `otherwise` (whether or not the units exist: later versions answer 4 for units
/// that do not).
fn check_unit_generic(
    ctx: &Ctx,
    units: &[String],
    states: &[(Option<UnitLoadState>, ActiveState)],
    good: fn(ActiveState) -> bool,
    otherwise: Exit,
) -> VerbResult {
    let mut found = false;
    for (name, (_, active)) in units.iter().zip(states) {
        refuse_template(name)?;
        if !ctx.opts.quiet {
            println!("{active}");
        }
        found |= good(*active);
    }
    Ok(if found { Exit::Success } else { otherwise })
}

pub fn is_active(ctx: &Ctx, args: &[String]) -> VerbResult {
    let units = unit_names(ctx, args)?;
    let Some(states) = query_states(&units) else {
        return super::online::is_active(ctx, args);
    };
    // LSB's 3, "program is not running".
    check_unit_generic(
        ctx,
        &units,
        &states,
        ActiveState::is_active_or_reloading,
        Exit::NotRunning,
    )
}

pub fn is_failed(ctx: &Ctx, args: &[String]) -> VerbResult {
    let units = unit_names(ctx, args)?;
    let Some(states) = query_states(&units) else {
        return super::online::is_failed(ctx, args);
    };
    check_unit_generic(
        ctx,
        &units,
        &states,
        |a| a == ActiveState::Failed,
        Exit::Failure,
    )
}

/// get_state_one_unit()'s error for a template without an instance: no unit object has that
/// name, and the verb stops there.
fn refuse_template(name: &str) -> Result<(), Failed> {
    match UnitName::parse(name) {
        Ok(n) if n.is_template() => Err(Failed::new(
            Exit::Failure,
            format!(
                "Failed to retrieve unit state: Unit name {n} is neither a valid invocation ID \
                 nor unit name."
            ),
        )),
        _ => Ok(()),
    }
}

pub fn is_system_running(ctx: &Ctx, args: &[String]) -> VerbResult {
    let Some(mut conn) = connect_running() else {
        return super::online::is_system_running(ctx, args);
    };
    let state = match call(&mut conn, &Request::SystemState)? {
        Reply::SystemState(s) => s,
        _ => "unknown".to_string(),
    };
    if !ctx.opts.quiet {
        println!("{state}");
    }
    Ok(if state == "running" {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// The running manager's `is-system-running` word, if a manager runs.
pub fn system_state() -> Option<String> {
    let mut conn = connect_running()?;
    match call(&mut conn, &Request::SystemState) {
        Ok(Reply::SystemState(s)) => Some(s),
        _ => None,
    }
}

/// GetUnitByPID() of the running manager: `None` when no manager runs or no unit owns `pid`.
pub fn unit_of_pid(pid: u32) -> Option<String> {
    let mut conn = connect_running()?;
    match call(&mut conn, &Request::UnitOfPid { pid }) {
        Ok(Reply::UnitOfPid(unit)) => unit,
        _ => None,
    }
}

/// Every unit the manager has loaded (nothing when none runs).
pub fn loaded_units() -> Vec<UnitStatus> {
    let Some(mut conn) = connect_running() else {
        return Vec::new();
    };
    match call(&mut conn, &Request::ListUnits) {
        Ok(Reply::Units(u)) => u,
        _ => Vec::new(),
    }
}

/// `--state=` with `--failed` and the load states `-t` takes, which filter alike.
pub(super) fn state_filter(ctx: &Ctx) -> Vec<String> {
    let mut states: Vec<String> = ctx.opts.state.clone();
    if ctx.opts.failed {
        states.push("failed".into());
    }
    states.extend(
        ctx.opts
            .types
            .iter()
            .filter(|t| UnitType::parse(t).is_none())
            .cloned(),
    );
    states
}

/// The loaded units the list verbs show (systemctl's output_show_unit()): those matching one of
/// `patterns` (all when there are none), of a `-t` type, in one of `states`, and without
/// `--all` or a state filter none that is inactive without a job.
pub(super) fn shown_units(ctx: &Ctx, patterns: &[String], states: &[String]) -> Vec<UnitStatus> {
    let all = ctx.opts.all > 0;
    let types = ctx.opts.unit_types();
    loaded_units()
        .into_iter()
        .filter(|u| {
            patterns.is_empty()
                || patterns
                    .iter()
                    .any(|p| crate::sys::glob::glob_match(p, &u.id))
        })
        .filter(|u| {
            types.is_empty()
                || crate::unit::name::UnitName::parse(&u.id)
                    .is_ok_and(|n| types.contains(&n.unit_type()))
        })
        .filter(|u| {
            if !states.is_empty() {
                return states.iter().any(|s| {
                    s == u.active_state.as_str() || *s == u.sub_state || s == u.load_state_word()
                });
            }
            all || u.active_state != ActiveState::Inactive || u.job.is_some()
        })
        .collect()
}

/// `list-units` as systemctl-list-units.c prints it: units sorted by type, then name; a `●` for
/// units that failed or did not load; a JOB column only while some unit has a job; the legend and
/// a count whose wording depends on `--all` and `--state=`.
pub fn list_units(ctx: &Ctx, args: &[String]) -> VerbResult {
    let all = ctx.opts.all > 0;
    let states = state_filter(ctx);
    let mut rows = shown_units(ctx, args, &states);
    // unit_info_compare(): by type suffix, then by name, both ignoring case.
    let sort_key = |u: &UnitStatus| {
        let suffix = u.id.rsplit_once('.').map_or("", |(_, t)| t).to_lowercase();
        (suffix, u.id.to_lowercase())
    };
    rows.sort_by_key(sort_key);
    let legend = ctx.legend();
    let plain = ctx.opts.plain;
    let with_jobs = rows.iter().any(|u| u.job.is_some());
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|u| {
            let circle = matches!(
                u.load_state,
                Some(
                    UnitLoadState::Error
                        | UnitLoadState::NotFound
                        | UnitLoadState::BadSetting
                        | UnitLoadState::Masked
                )
            ) || u.active_state == ActiveState::Failed;
            let unit = match (plain, circle) {
                (true, _) => u.id.clone(),
                (false, true) => format!("● {}", u.id),
                (false, false) => format!("  {}", u.id),
            };
            let mut row = vec![
                unit,
                u.load_state_word().to_string(),
                u.active_state.to_string(),
                u.sub_state.clone(),
            ];
            if with_jobs {
                row.push(u.job.map_or("", JobKind::as_str).to_string());
            }
            row.push(if u.description.is_empty() {
                u.id.clone()
            } else {
                u.description.clone()
            });
            row
        })
        .collect();
    let mut header = vec![
        if plain { "UNIT" } else { "  UNIT" },
        "LOAD",
        "ACTIVE",
        "SUB",
    ];
    if with_jobs {
        header.push("JOB");
    }
    header.push("DESCRIPTION");
    print!("{}", super::table::render(&header, &table, legend));
    if legend {
        if !rows.is_empty() {
            println!();
            println!("LOAD   = Reflects whether the unit definition was properly loaded.");
            println!("ACTIVE = The high-level unit activation state, i.e. generalization of SUB.");
            println!("SUB    = The low-level unit activation state, values depend on unit type.");
            if with_jobs {
                println!("JOB    = Pending job for the unit.");
            }
        }
        let n = rows.len();
        let list_files = "To show all installed unit files use 'systemctl list-unit-files'.";
        if all || states.iter().any(|s| s == "inactive") {
            println!("{n} loaded units listed.\n{list_files}");
        } else if states.is_empty() {
            println!(
                "{n} loaded units listed. Pass --all to see loaded but inactive units, too.\n{list_files}"
            );
        } else {
            println!("{n} loaded units listed.");
        }
    }
    Ok(Exit::Success)
}
