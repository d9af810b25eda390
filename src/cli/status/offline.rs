//! `status` with no manager to ask (or with --root): the units as their files describe them,
//! and the state a killed manager left, each `inactive (dead)` unless that state says more.

use super::super::show::never_ran;
use super::super::{Ctx, Exit, VerbResult};
use crate::ipc::protocol::{LoadedConfig, UnitDetails, UnitStatus};
use crate::unit::load::{load_or_shipped, load_with_map, NameMap};
use crate::unit::model::LoadState;
use crate::unit::name::UnitName;
use crate::unit::state::ActiveState;
use std::io::Write;

use super::*;

/// No manager: every unit is inactive; exit 4 when any unit is missing, else 3.
pub(super) fn status_offline(ctx: &Ctx, names: &[UnitName]) -> VerbResult {
    let map = NameMap::build(&ctx.lookup);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut exit = Exit::NotRunning;
    let mut first = true;
    for name in names {
        let config = load_with_map(&ctx.lookup, &map, name);
        if config.load_state == LoadState::NotFound && config.dropin_paths.is_empty() {
            eprintln!("Unit {name} could not be found.");
            exit = Exit::Unknown;
            continue;
        }
        if !first {
            writeln!(out).map_err(write_failed)?;
        }
        first = false;
        let loaded = LoadedConfig::of(&config, &ctx.lookup);
        print_unit(&mut out, &never_ran(&config), &loaded).map_err(write_failed)?;
    }
    Ok(exit)
}

/// What `status` shows of `names` when no manager answers but one left its state: that state
/// (`states`), and the configuration as the files say it now.
pub(super) fn details_from_files(
    ctx: &Ctx,
    names: &[UnitName],
    states: &[UnitStatus],
) -> Vec<UnitDetails> {
    let map = NameMap::build(&ctx.lookup);
    let related: Vec<(String, ActiveState)> = related_states(states).into_iter().collect();
    names
        .iter()
        .map(|name| {
            // the manager has the targets and slices systemd ships even where the image lacks them
            let config = load_or_shipped(&ctx.lookup, &map, name);
            let mut status = states
                .iter()
                .find(|s| s.id == name.as_str())
                .cloned()
                .unwrap_or_else(|| never_ran(&config));
            status.id = config.id.clone();
            status.description = config.unit.description.clone();
            status.load_state = Some(config.load_state.state());
            UnitDetails {
                config: LoadedConfig::of(&config, &ctx.lookup),
                status,
                related: related.clone(),
            }
        })
        .collect()
}
