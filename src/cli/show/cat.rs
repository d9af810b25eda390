//! `systemctl cat`: a unit's fragment and drop-ins, each under a `# PATH` line, as systemctl's
//! cat.c prints them.

use super::super::{Ctx, Exit, Failed, VerbResult};
use crate::unit::load::{load_or_shipped, load_with_map, orphan_dropins, regular_file, NameMap};
use crate::unit::model::LoadState;
use crate::unit::paths::{LookupPaths, Scope};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::*;

/// `cat` prints paths as seen inside `--root` (systemctl 252 refuses `cat` with `--root`).
pub fn cat(ctx: &Ctx, args: &[String]) -> VerbResult {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let map = NameMap::build(&ctx.lookup);
    let mut exit = Exit::Success;
    let mut first = true;
    for arg in args {
        let unit = mangle(ctx, arg)?;
        // On the running system, a target the image lacks is the one our manager uses.
        let config = if ctx.lookup.has_root() || ctx.lookup.scope != Scope::System {
            load_with_map(&ctx.lookup, &map, &unit)
        } else {
            load_or_shipped(&ctx.lookup, &map, &unit)
        };
        // A file that cannot be read is reported below, when cat tries it.
        if config.load_state == LoadState::BadSetting {
            report_load_failure(&config);
        }
        if config.load_state == LoadState::Masked {
            writeln!(out, "# Unit {} is masked.", config.id).map_err(io_failed)?;
            continue;
        }
        let dropins = match config.load_state {
            LoadState::NotFound => orphan_dropins(&ctx.lookup, &unit),
            _ => config.dropin_paths.clone(),
        };
        if config.fragment_path.is_none()
            && config.generated_fragment.is_none()
            && dropins.is_empty()
        {
            out.flush().map_err(io_failed)?;
            eprintln!("No files found for {unit}.");
            exit = Exit::Failure;
            continue;
        }
        if !first {
            writeln!(out).map_err(io_failed)?;
        }
        first = false;
        let mut files: Vec<&PathBuf> = dropins.iter().collect();
        match (&config.fragment_path, &config.generated_fragment) {
            (Some(path), Some(text)) => {
                write!(out, "# {}\n{text}", path.display()).map_err(io_failed)?;
            }
            (Some(path), None) => files.insert(0, path),
            (None, Some(text)) => {
                write!(
                    out,
                    "# {} as systemd 252 ships it (built in: this image has no file for it)\n{text}",
                    config.id
                )
                .map_err(io_failed)?;
            }
            (None, None) => {}
        }
        for (i, inside) in files.into_iter().enumerate() {
            let blank_before = i > 0 || config.generated_fragment.is_some();
            cat_file(&mut out, &ctx.lookup, inside, blank_before)?;
        }
    }
    Ok(exit)
}

fn cat_file(
    out: &mut impl Write,
    lookup: &LookupPaths,
    inside: &Path,
    blank_before: bool,
) -> Result<(), Failed> {
    let real = regular_file(lookup, inside)
        .map_err(|(_, e)| Failed::new(Exit::Failure, format!("Failed to cat {e}")))?;
    let content = std::fs::read(real).map_err(|e| {
        Failed::new(
            Exit::Failure,
            format!("Failed to cat {}: {e}", inside.display()),
        )
    })?;
    if blank_before {
        writeln!(out).map_err(io_failed)?;
    }
    writeln!(out, "# {}", inside.display()).map_err(io_failed)?;
    out.write_all(&content).map_err(io_failed)?;
    Ok(())
}
