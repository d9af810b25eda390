//! install.c's unit_file_preset() and unit_file_preset_all(), with preset_prepare_one() and
//! execute_preset() (systemd 252 `src/shared/install.c`).

use super::{Flags, Op, Outcome, PresetMode};
use crate::install::context::{Context, FOLLOW, LOAD, LOAD_FOLLOW};
use crate::install::paths::InstallPaths;
use crate::install::preset::{PresetAction, Presets};
use crate::install::InstallError;
use crate::unit::name::UnitName;
use crate::unit::paths::LookupPaths;

/// Presets and the contexts of units to enable (`plus`) and disable (`minus`).
struct PresetRun<'a> {
    presets: Presets,
    plus: Context<'a>,
    minus: Context<'a>,
}

impl<'a> Op<'a> {
    /// preset_prepare_one().
    fn preset_prepare_one(
        &mut self,
        run: &mut PresetRun<'a>,
        name: &str,
    ) -> Result<(), InstallError> {
        if run.plus.find(name).is_some() || run.minus.find(name).is_some() {
            return Ok(());
        }
        let mut tmp = Context::new(self.paths);
        let i = self.discover(&mut tmp, name, FOLLOW)?;
        if tmp.infos[i].name != name {
            return Ok(());
        }
        let (action, instances) = run.presets.query(name)?;
        match action {
            PresetAction::Enable => match instances {
                Some(list) => {
                    for inst in list {
                        self.discover_and_check(&mut run.plus, &inst, LOAD_FOLLOW)?;
                    }
                }
                None => {
                    self.discover_and_check(&mut run.plus, name, LOAD_FOLLOW)?;
                }
            },
            PresetAction::Disable => {
                self.discover(&mut run.minus, name, FOLLOW)?;
            }
            PresetAction::Ignore => {}
        }
        Ok(())
    }

    /// execute_preset().
    fn execute_preset(
        &mut self,
        run: &mut PresetRun<'a>,
        mode: PresetMode,
    ) -> Result<usize, InstallError> {
        let mut r = Ok(0);
        if mode != PresetMode::EnableOnly {
            let mut marked = self.mark_for_removal(&mut run.minus);
            r = self.remove_marked(&mut marked);
        }
        if mode != PresetMode::DisableOnly {
            let q = self.apply_context(&mut run.plus, LOAD, false, true);
            if let Ok(n) = r {
                r = q.map(|m| n + m);
            }
        }
        r
    }
}

/// `systemctl preset NAME…`.
pub fn preset(lookup: &LookupPaths, flags: Flags, names: &[String], mode: PresetMode) -> Outcome {
    run_presets(lookup, flags, mode, |op, run, _| {
        names
            .iter()
            .try_for_each(|name| op.preset_prepare_one(run, name))
    })
}

/// `systemctl preset-all`: every unit file along the search path, in directory order.
pub fn preset_all(lookup: &LookupPaths, flags: Flags, mode: PresetMode) -> Outcome {
    run_presets(lookup, flags, mode, |op, run, paths| {
        for dir in paths.search.clone() {
            let Some(entries) = paths.fs.list_dir(&dir) else {
                continue;
            };
            for e in entries.iter() {
                if !UnitName::is_valid(&e.name) || !(e.is_symlink || e.is_file) {
                    continue;
                }
                // Masked, generated, missing and invalid units are reported and skipped; only
                // I/O errors end the run.
                if let Err(e @ InstallError::Io { .. }) = op.preset_prepare_one(run, &e.name) {
                    return Err(e);
                }
            }
        }
        Ok(())
    })
}

/// What preset and preset-all share: read the preset files, let `prepare` choose the units,
/// then apply the presets in `mode`.
fn run_presets(
    lookup: &LookupPaths,
    flags: Flags,
    mode: PresetMode,
    prepare: impl for<'p> FnOnce(
        &mut Op<'p>,
        &mut PresetRun<'p>,
        &'p InstallPaths,
    ) -> Result<(), InstallError>,
) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    let presets = match Presets::read(lookup, &mut op.warnings) {
        Ok(p) => p,
        Err(e) => return op.finish(Err(e)),
    };
    let mut run = PresetRun {
        presets,
        plus: Context::new(&paths),
        minus: Context::new(&paths),
    };
    if let Err(e) = prepare(&mut op, &mut run, &paths) {
        return op.finish(Err(e));
    }
    let r = op.execute_preset(&mut run, mode);
    op.finish(r)
}
