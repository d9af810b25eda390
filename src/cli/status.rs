//! `systemctl status UNIT…` in systemd 252's layout (systemctl-show.c print_status_info()): the
//! bullet line, `Loaded:` (path; unit file state; preset), `Drop-In:`, `Active:`, `Docs:`, with
//! labels right-aligned to one column. With no manager running nothing is active, so every unit
//! is `inactive (dead)` and the exit status is 3; a unit that does not exist is 4.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::show::unit_file_state_and_preset;
use super::{Ctx, Exit, Failed, VerbResult};
use crate::unit::load::{load_with_map, NameMap};
use crate::unit::model::{LoadState, UnitConfig};
use crate::unit::name::{mangle, UnitType};

/// The label column: labels end here, values start one space after.
const LABEL_WIDTH: usize = 12;

fn label(name: &str) -> String {
    format!("{:>width$} ", format!("{name}:"), width = LABEL_WIDTH)
}

fn continuation() -> String {
    " ".repeat(LABEL_WIDTH + 1)
}

fn loaded_line(ctx: &Ctx, config: &UnitConfig) -> String {
    match config.load_state {
        LoadState::Loaded => {
            let path = config
                .fragment_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let (state, preset) = unit_file_state_and_preset(&ctx.lookup, config);
            // systemctl's show_preset_for_state(): no preset where it would only confuse.
            let shows_preset = !matches!(
                state.as_str(),
                "" | "alias" | "static" | "generated" | "transient"
            );
            let mut parts = vec![path];
            if !state.is_empty() {
                parts.push(state);
            }
            if shows_preset && !preset.is_empty() {
                parts.push(format!("preset: {preset}"));
            }
            format!("loaded ({})", parts.join("; "))
        }
        other => {
            let reason = config.load_error.clone().unwrap_or_default();
            format!("{} (Reason: {reason})", other.as_str())
        }
    }
}

/// `Drop-In:` lines: each directory, then its files after a tree corner.
fn dropin_lines(config: &UnitConfig) -> Vec<String> {
    let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut order = Vec::new();
    for p in &config.dropin_paths {
        let dir = p.parent().unwrap_or(Path::new("/")).display().to_string();
        let file = p
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !by_dir.contains_key(&dir) {
            order.push(dir.clone());
        }
        by_dir.entry(dir).or_default().push(file);
    }
    let mut lines = Vec::new();
    for (i, dir) in order.iter().enumerate() {
        let head = if i == 0 {
            label("Drop-In")
        } else {
            continuation()
        };
        lines.push(format!("{head}{dir}"));
        let files = by_dir.get(dir).map(|f| f.join(", ")).unwrap_or_default();
        lines.push(format!("{}└─{files}", continuation()));
    }
    lines
}

fn print_unit(out: &mut impl Write, ctx: &Ctx, config: &UnitConfig) -> std::io::Result<()> {
    let description = &config.unit.description;
    if description.is_empty() || *description == config.id {
        writeln!(out, "○ {}", config.id)?;
    } else {
        writeln!(out, "○ {} - {description}", config.id)?;
    }
    writeln!(out, "{}{}", label("Loaded"), loaded_line(ctx, config))?;
    for line in dropin_lines(config) {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{}inactive (dead)", label("Active"))?;
    for (i, doc) in config.unit.documentation.iter().enumerate() {
        let head = if i == 0 {
            label("Docs")
        } else {
            continuation()
        };
        writeln!(out, "{head}{doc}")?;
    }
    Ok(())
}

pub fn status(ctx: &Ctx, args: &[String]) -> VerbResult {
    if args.is_empty() {
        return super::online::needs_manager(ctx, args);
    }
    let map = NameMap::build(&ctx.lookup);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut exit = Exit::NotRunning;
    let mut first = true;
    for arg in args {
        let name = mangle(arg, UnitType::Service)
            .map_err(|e| Failed::new(Exit::Failure, format!("Failed to mangle unit name: {e}")))?;
        let config = load_with_map(&ctx.lookup, &map, &name);
        if config.load_state == LoadState::NotFound && config.dropin_paths.is_empty() {
            eprintln!("Unit {name} could not be found.");
            exit = Exit::Unknown;
            continue;
        }
        if !first {
            writeln!(out).map_err(write_failed)?;
        }
        first = false;
        print_unit(&mut out, ctx, &config).map_err(write_failed)?;
    }
    Ok(exit)
}

fn write_failed(e: std::io::Error) -> Failed {
    Failed::new(Exit::Failure, format!("Failed to write output: {e}"))
}
