//! The install.c operations behind systemctl's offline verbs: unit_file_enable(), _disable(),
//! _reenable(), _mask(), _unmask(), _link(), _preset(), _preset_all(), _set_default(),
//! _get_default(), _add_dependency() and _revert(). Each computes its changes first and writes
//! them only at the end (see [`super::plan`]).
//!
//! This module holds what every operation shares (the flags, the outcome and the [`Op`] state
//! with install_info_discover() and install_info_may_process()); the verbs live one family to a
//! file beside it.

mod apply;
mod default;
mod enable;
mod link;
mod mask;
mod preset;
mod removal;
mod revert;

use std::path::PathBuf;

use super::context::{Context, FileKind, SearchFlags};
use super::paths::InstallPaths;
use super::plan::Plan;
use super::{Change, ChangeError, InstallError};

pub use default::{get_default, set_default};
pub use enable::{add_dependency, disable, enable, reenable};
pub use link::link;
pub use mask::{mask, unmask};
pub use preset::{preset, preset_all};
pub use revert::revert;

/// `--runtime` and `--force`; `dry_run` computes the changes without writing them (for
/// `is-enabled --full`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub runtime: bool,
    pub force: bool,
    pub dry_run: bool,
}

/// `--preset-mode=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetMode {
    Full,
    EnableOnly,
    DisableOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    Wants,
    Requires,
}

/// What an operation did: parser warnings, the change list in order, and install.c's result
/// (the number of `[Install]` rules that applied, used for the "no installation config"
/// notice, or the error that failed the call).
#[derive(Debug)]
pub struct Outcome {
    pub warnings: Vec<String>,
    pub changes: Vec<Change>,
    pub result: Result<usize, InstallError>,
}

impl Outcome {
    fn failed(e: InstallError) -> Outcome {
        Outcome {
            warnings: Vec::new(),
            changes: Vec::new(),
            result: Err(e),
        }
    }
}

/// The shared state of one operation.
struct Op<'a> {
    paths: &'a InstallPaths,
    config: PathBuf,
    dry_run: bool,
    plan: Plan,
    changes: Vec<Change>,
    warnings: Vec<String>,
}

impl<'a> Op<'a> {
    fn new(paths: &'a InstallPaths, flags: Flags) -> Op<'a> {
        let config = if flags.runtime {
            paths.runtime_config.clone()
        } else {
            paths.persistent_config.clone()
        };
        Op {
            paths,
            config,
            dry_run: flags.dry_run,
            plan: Plan::default(),
            changes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn fail(&mut self, error: ChangeError) {
        self.changes.push(Change::Failed(error));
    }

    /// Write the plan and wrap up. If writing fails, everything written is undone and the
    /// change list reduced to the failure.
    fn finish(self, result: Result<usize, InstallError>) -> Outcome {
        let Op {
            plan,
            mut changes,
            warnings,
            dry_run,
            ..
        } = self;
        let applied = if dry_run {
            Ok(())
        } else {
            plan.apply(&self.paths.fs)
        };
        let result = match applied {
            Ok(()) => result,
            Err(e) => {
                let path = match &e {
                    InstallError::Io { path, .. } => path.display().to_string(),
                    other => other.to_string(),
                };
                changes = vec![Change::Failed(ChangeError::Other {
                    path,
                    reason: e.errno_text(),
                })];
                Err(e)
            }
        };
        Outcome {
            warnings,
            changes,
            result,
        }
    }

    fn absorb(&mut self, ctx: &mut Context) {
        self.warnings.append(&mut ctx.warnings);
    }

    /// install_info_discover() that records a failure as a change naming `name_or_path`.
    fn discover(
        &mut self,
        ctx: &mut Context,
        name_or_path: &str,
        flags: SearchFlags,
    ) -> Result<usize, InstallError> {
        let r = ctx.discover(name_or_path, flags);
        self.absorb(ctx);
        if let Err(e) = &r {
            let error = ChangeError::from_error(e, name_or_path);
            self.fail(error);
        }
        r
    }

    /// install_info_may_process(): masked, generated and transient units are not enabled.
    fn may_process(&mut self, ctx: &Context, i: usize) -> Result<(), InstallError> {
        let info = &ctx.infos[i];
        let path = info.path.clone().unwrap_or_default();
        let shown = path.display().to_string();
        if info.kind == Some(FileKind::Masked) {
            self.fail(ChangeError::Masked {
                path: shown.clone(),
            });
            return Err(InstallError::Masked(shown));
        }
        if self.paths.is_generator(&path) || self.paths.is_transient(&path) {
            self.fail(ChangeError::TransientOrGenerated {
                path: shown.clone(),
            });
            return Err(InstallError::TransientOrGenerated(shown));
        }
        Ok(())
    }

    fn discover_and_check(
        &mut self,
        ctx: &mut Context,
        name_or_path: &str,
        flags: SearchFlags,
    ) -> Result<usize, InstallError> {
        let i = self.discover(ctx, name_or_path, flags)?;
        self.may_process(ctx, i)?;
        Ok(i)
    }
}
