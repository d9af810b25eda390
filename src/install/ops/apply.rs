//! install.c's install_context_apply(), install_info_apply(), unit_file_verify_alias() and
//! install_info_symlink_wants() (systemd 252 `src/shared/install.c`): the links enable, preset and
//! add-wants create for the units of a context.

use std::path::Path;

use super::Op;
use crate::install::context::{
    validate_alias, AliasProblem, Context, FileKind, InstallInfo, SearchFlags, FOLLOW, LOAD,
};
use crate::install::state::{supplied_by_manager, unit_exists};
use crate::install::{Change, ChangeError, InstallError};
use crate::unit::name::{NameKind, UnitName};

impl<'a> Op<'a> {
    /// install_context_apply(): create the links of every unit the context holds.
    pub(super) fn apply_context(
        &mut self,
        ctx: &mut Context,
        flags: SearchFlags,
        force: bool,
        ignore_auxiliary_failure: bool,
    ) -> Result<usize, InstallError> {
        let mut count: Result<usize, InstallError> = Ok(0);
        while let Some(i) = ctx.will_process.pop_front() {
            let traversed = ctx.traverse(i, flags);
            self.absorb(ctx);
            if let Err(e) = traversed {
                if ctx.infos[i].auxiliary {
                    self.changes.push(Change::AuxiliaryFailed {
                        unit: ctx.infos[i].name.clone(),
                    });
                    continue;
                }
                let error = ChangeError::from_error(&e, &ctx.infos[i].name);
                self.fail(error);
                return Err(e);
            }
            match ctx.infos[i].kind {
                Some(FileKind::Masked) => {
                    self.changes.push(Change::IsMasked {
                        path: ctx.infos[i].path_or_name(),
                    });
                    // Something could have been enabled here: no "no installation config".
                    if let Ok(n) = &mut count {
                        *n += 1;
                    }
                    continue;
                }
                Some(FileKind::Regular) => {}
                _ => continue,
            }
            let q = self.apply_info(ctx, i, force, ignore_auxiliary_failure);
            if count.is_ok() {
                match q {
                    Err(e) => count = Err(e),
                    Ok(n) => {
                        if let Ok(c) = &mut count {
                            *c += n;
                        }
                    }
                }
            }
        }
        count
    }

    /// install_info_apply(): the link to a linked unit file, its Alias= links and its
    /// WantedBy=/RequiredBy= links. (systemd 252 does not know UpheldBy= in `[Install]`: it
    /// warns about an unknown key, and so do we.)
    fn apply_info(
        &mut self,
        ctx: &mut Context,
        i: usize,
        force: bool,
        ignore_auxiliary_failure: bool,
    ) -> Result<usize, InstallError> {
        let info = ctx.infos[i].clone();
        let path = info.path.clone().unwrap_or_default();
        if !self.paths.in_search_path(&path) {
            let link = self.config.join(&info.name);
            if self
                .plan
                .create_symlink(self.paths, &path, &link, force, &mut self.changes)
                .is_err()
            {
                return Err(InstallError::Exists(link.display().to_string()));
            }
        }
        let mut r = self.apply_aliases(&info, &path, force);
        for (list, suffix) in [
            (&info.wanted_by, ".wants"),
            (&info.required_by, ".requires"),
        ] {
            let q = self.apply_wants(ctx, i, list, suffix, ignore_auxiliary_failure);
            if matches!(r, Ok(0)) {
                r = q;
            }
        }
        r
    }

    fn apply_aliases(
        &mut self,
        info: &InstallInfo,
        path: &Path,
        force: bool,
    ) -> Result<usize, InstallError> {
        let mut r: Result<usize, InstallError> = Ok(0);
        for alias in &info.aliases {
            let dst = match info.printf(self.paths, alias) {
                Ok(d) => d,
                Err(_) => {
                    self.fail(ChangeError::BadSpecifier {
                        text: alias.clone(),
                    });
                    if r.is_ok() {
                        r = Err(InstallError::Invalid(alias.clone()));
                    }
                    continue;
                }
            };
            let dst = match self.verify_alias(info, &dst) {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => {
                    if r.is_ok() {
                        r = Err(e);
                    }
                    continue;
                }
            };
            let alias_path = self.config.join(&dst);
            let broken = self.paths.fs.metadata(&alias_path).is_err();
            let q = self.plan.create_symlink(
                self.paths,
                path,
                &alias_path,
                force || broken,
                &mut self.changes,
            );
            if r.is_ok() {
                r = match q {
                    Ok(()) => Ok(1),
                    Err(()) => Err(InstallError::Exists(alias_path.display().to_string())),
                };
            }
        }
        r
    }

    /// unit_file_verify_alias(): `Ok(None)` for a self-alias, which is quietly skipped.
    fn verify_alias(
        &mut self,
        info: &InstallInfo,
        dst: &str,
    ) -> Result<Option<String>, InstallError> {
        let bad = |s: &mut Self, e: ChangeError| {
            s.fail(e);
            Err(InstallError::BadAlias(dst.to_string()))
        };
        if let Some(slash) = dst.rfind('/') {
            let (dir, alias) = (&dst[..slash], &dst[slash + 1..]);
            let stem = dir
                .strip_suffix(".wants")
                .or_else(|| dir.strip_suffix(".requires"));
            let Some(kind) = stem.and_then(|s| UnitName::parse(s).ok()).map(|n| n.kind()) else {
                return bad(
                    self,
                    ChangeError::InvalidReference {
                        path: dst.to_string(),
                    },
                );
            };
            if !symlink_name_compatible(alias, &info.name, kind == NameKind::Template) {
                return bad(
                    self,
                    ChangeError::CannotAlias {
                        alias: dst.to_string(),
                        unit: info.name.clone(),
                    },
                );
            }
            return Ok(Some(dst.to_string()));
        }
        let mut updated = dst.to_string();
        if let (Ok(d), Ok(n)) = (UnitName::parse(dst), UnitName::parse(&info.name)) {
            if d.is_template() {
                if let Some(inst) = n.instance().filter(|i| !i.is_empty()) {
                    if let Ok(full) = d.with_instance(inst) {
                        updated = full.to_string();
                    }
                }
            }
        }
        match validate_alias(&updated, &info.name) {
            Ok(()) => Ok(Some(updated)),
            Err(AliasProblem::SelfAlias) => Ok(None),
            Err(_) => bad(
                self,
                ChangeError::CannotAlias {
                    alias: updated.clone(),
                    unit: info.name.clone(),
                },
            ),
        }
    }

    /// install_info_symlink_wants().
    fn apply_wants(
        &mut self,
        ctx: &mut Context,
        i: usize,
        list: &[String],
        suffix: &str,
        ignore_auxiliary_failure: bool,
    ) -> Result<usize, InstallError> {
        if list.is_empty() {
            return Ok(0);
        }
        let info = ctx.infos[i].clone();
        let unit =
            UnitName::parse(&info.name).map_err(|_| InstallError::Invalid(info.name.clone()))?;
        let mut accept_plain = true;
        let n = if !unit.is_template() {
            info.name.clone()
        } else if let Some(inst) = &info.default_instance {
            let instance = unit
                .with_instance(inst)
                .map_err(|_| InstallError::Invalid(inst.clone()))?;
            let mut tmp = Context::new(self.paths);
            let idx = tmp.add(Some(instance.as_str()), None, false)?;
            let searched = tmp.search(idx, FOLLOW);
            self.absorb(&mut tmp);
            // 252 has already written the link to a template enabled by path, so its search
            // finds the template there; ours is only planned, and the search sees the tree as
            // it was. The planned link leads to the file being enabled, which is no mask.
            let linked_here = !self
                .paths
                .in_search_path(info.path.as_deref().unwrap_or(Path::new("")))
                && self.plan.is_planned_link(&self.config.join(&info.name));
            match searched {
                Err(InstallError::NotFound(_)) if linked_here => {}
                other => other?,
            }
            if tmp.infos[idx].kind == Some(FileKind::Masked) {
                let p = tmp.infos[idx].path_or_name();
                self.fail(ChangeError::Masked { path: p.clone() });
                return Err(InstallError::Masked(p));
            }
            instance.to_string()
        } else {
            accept_plain = false;
            info.name.clone()
        };
        let path = info.path.clone().unwrap_or_default();
        let mut r: Result<usize, InstallError> = Ok(0);
        for s in list {
            let dst = match info.printf(self.paths, s) {
                Ok(d) => d,
                Err(_) => {
                    self.fail(ChangeError::BadSpecifier { text: s.clone() });
                    if r.is_ok() {
                        r = Err(InstallError::Invalid(s.clone()));
                    }
                    continue;
                }
            };
            let parsed = UnitName::parse(&dst);
            let fits = parsed
                .as_ref()
                .is_ok_and(|d| accept_plain || d.kind() != NameKind::Plain);
            if !fits {
                if ignore_auxiliary_failure {
                    continue;
                }
                if parsed.is_ok() {
                    self.fail(ChangeError::NonTemplateDestination {
                        destination: dst.clone(),
                        unit: n.clone(),
                    });
                } else {
                    self.fail(ChangeError::InvalidName { name: dst.clone() });
                }
                if r.is_ok() {
                    r = Err(InstallError::Invalid(dst));
                }
                continue;
            }
            let link = self.config.join(format!("{dst}{suffix}")).join(&n);
            let q = self
                .plan
                .create_symlink(self.paths, &path, &link, true, &mut self.changes)
                .map(|()| 1)
                .map_err(|()| InstallError::Exists(link.display().to_string()));
            if (q.is_err() && r.is_ok()) || matches!(r, Ok(0)) {
                r = q;
            }
            let absent = matches!(unit_exists(self.paths, &dst, &mut self.warnings), Ok(false));
            if absent && !supplied_by_manager(self.paths, &dst) {
                self.changes.push(Change::DestinationNotPresent {
                    dependency: dst,
                    source: path.clone(),
                });
            }
        }
        r
    }

    pub(super) fn enable_names(
        &mut self,
        names: &[String],
        force: bool,
        skip_dropins: bool,
    ) -> Result<usize, InstallError> {
        let mut ctx = Context::new(self.paths);
        ctx.skip_dropins = skip_dropins;
        for name in names {
            self.discover_and_check(&mut ctx, name, LOAD)?;
        }
        self.apply_context(&mut ctx, LOAD, force, false)
    }
}

/// unit_symlink_name_compatible() for the legacy `Alias=foo.target.wants/bar.service`.
fn symlink_name_compatible(symlink: &str, target: &str, instance_propagation: bool) -> bool {
    let Ok(s) = UnitName::parse(symlink) else {
        return false;
    };
    if symlink == target && s.kind() != NameKind::Template {
        return true;
    }
    let template = match s.kind() {
        NameKind::Instance => s.template(),
        NameKind::Template => Some(s.clone()),
        NameKind::Plain => None,
    };
    let Some(template) = template else {
        return false;
    };
    let target_is_template = UnitName::parse(target).is_ok_and(|t| t.is_template());
    target_is_template
        && template.as_str() == target
        && (s.kind() == NameKind::Instance || instance_propagation)
}
