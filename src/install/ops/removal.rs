//! install.c's install_context_mark_for_removal() and remove_marked_symlinks() (systemd 252
//! `src/shared/install.c`): the links disable, preset and unmask remove.

use std::collections::HashSet;

use super::Op;
use crate::install::context::{Context, FileKind, LOAD_FOLLOW};
use crate::install::{Change, ChangeError, InstallError};
use crate::unit::name::UnitName;

impl<'a> Op<'a> {
    /// install_context_mark_for_removal(): the names whose links disable removes.
    pub(super) fn mark_for_removal(&mut self, ctx: &mut Context) -> HashSet<String> {
        let mut marked = HashSet::new();
        while let Some(i) = ctx.will_process.pop_front() {
            let r = ctx.traverse(i, LOAD_FOLLOW);
            self.absorb(ctx);
            let info = &ctx.infos[i];
            match r {
                Err(InstallError::DanglingAlias(_)) => self.changes.push(Change::IsDangling {
                    path: info.path_or_name(),
                }),
                Err(InstallError::NotFound(_)) => {
                    if !info.auxiliary {
                        let name = info.path_or_name();
                        self.fail(ChangeError::NotFound { name });
                    }
                }
                Err(e) => {
                    let error = ChangeError::from_error(&e, &info.path_or_name());
                    self.fail(error);
                }
                Ok(_) => match info.kind {
                    Some(FileKind::Masked) => {
                        self.changes.push(Change::IsMasked {
                            path: info.path_or_name(),
                        });
                        continue;
                    }
                    Some(FileKind::Regular) => {}
                    _ => continue,
                },
            }
            marked.insert(ctx.infos[i].name.clone());
        }
        marked
    }

    pub(super) fn remove_marked(
        &mut self,
        marked: &mut HashSet<String>,
    ) -> Result<usize, InstallError> {
        let config = self.config.clone();
        self.plan
            .remove_marked_symlinks(self.paths, marked, &config, &mut self.changes)
            .map(|()| 0)
            .map_err(|()| InstallError::Linked(config.display().to_string()))
    }

    pub(super) fn disable_names(&mut self, names: &[String]) -> Result<usize, InstallError> {
        let mut ctx = Context::new(self.paths);
        for name in names {
            if !UnitName::is_valid(name) {
                return Err(InstallError::Invalid(name.clone()));
            }
            ctx.add(Some(name), None, false)?;
        }
        let mut marked = self.mark_for_removal(&mut ctx);
        self.remove_marked(&mut marked)
    }
}
