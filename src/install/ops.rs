//! The install.c operations behind systemctl's offline verbs: unit_file_enable(), _disable(),
//! _reenable(), _mask(), _unmask(), _link(), _preset(), _preset_all(), _set_default(),
//! _get_default(), _add_dependency() and _revert(). Each computes its changes first and writes
//! them only at the end (see [`super::plan`]).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::context::{
    validate_alias, AliasProblem, Context, FileKind, SearchFlags, FOLLOW, LOAD, LOAD_FOLLOW,
};
use super::paths::InstallPaths;
use super::plan::Plan;
use super::preset::{PresetAction, Presets};
use super::state::unit_exists;
use super::{Change, ChangeError, InstallError};
use crate::unit::name::{NameKind, UnitName, UnitType};
use crate::unit::paths::{Last, LookupPaths};

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

    /// install_context_apply(): create the links of every unit the context holds.
    fn apply_context(
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
        info: &super::context::InstallInfo,
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
        info: &super::context::InstallInfo,
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
            if let Ok(false) = unit_exists(self.paths, &dst, &mut self.warnings) {
                self.changes.push(Change::DestinationNotPresent {
                    dependency: dst,
                    source: path.clone(),
                });
            }
        }
        r
    }

    /// install_context_mark_for_removal(): the names whose links disable removes.
    fn mark_for_removal(&mut self, ctx: &mut Context) -> HashSet<String> {
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

    fn remove_marked(&mut self, marked: &mut HashSet<String>) -> Result<usize, InstallError> {
        let config = self.config.clone();
        self.plan
            .remove_marked_symlinks(self.paths, marked, &config, &mut self.changes)
            .map(|()| 0)
            .map_err(|()| InstallError::Linked(config.display().to_string()))
    }

    fn disable_names(&mut self, names: &[String]) -> Result<usize, InstallError> {
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

    fn enable_names(
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

/// `systemctl enable NAME|PATH…`.
pub fn enable(lookup: &LookupPaths, flags: Flags, names: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    let r = op.enable_names(names, flags.force, false);
    op.finish(r)
}

/// `systemctl disable NAME…`: remove every link to the units and their Also= units.
pub fn disable(lookup: &LookupPaths, flags: Flags, names: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    let r = op.disable_names(names);
    op.finish(r)
}

/// `systemctl reenable`: disable by name, then enable as given.
pub fn reenable(lookup: &LookupPaths, flags: Flags, names: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut disabling = Op::new(&paths, flags);
    let basenames: Vec<String> = names
        .iter()
        .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
        .collect();
    let r = disabling.disable_names(&basenames);
    // The disable half is written before the enable half is computed: enable must see the
    // tree without the links disable removed.
    let mut first = disabling.finish(r);
    if first.result.is_err() {
        return first;
    }
    let mut enabling = Op::new(&paths, flags);
    let r = enabling.enable_names(names, flags.force, true);
    let mut second = enabling.finish(r);
    first.warnings.append(&mut second.warnings);
    first.changes.append(&mut second.changes);
    Outcome {
        warnings: first.warnings,
        changes: first.changes,
        result: second.result,
    }
}

/// `systemctl mask`: a link to /dev/null in the configuration directory.
pub fn mask(lookup: &LookupPaths, flags: Flags, names: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    let mut r: Result<usize, InstallError> = Ok(0);
    for name in names {
        if !UnitName::is_valid(name) {
            if r.is_ok() {
                r = Err(InstallError::Invalid(name.clone()));
            }
            continue;
        }
        let link = op.config.join(name);
        let q = op.plan.create_symlink(
            &paths,
            Path::new("/dev/null"),
            &link,
            flags.force,
            &mut op.changes,
        );
        if q.is_err() && r.is_ok() {
            r = Err(InstallError::Exists(link.display().to_string()));
        }
    }
    op.finish(r)
}

/// `systemctl unmask`: remove a mask and the links to it.
pub fn unmask(lookup: &LookupPaths, flags: Flags, names: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    let mut todo: Vec<String> = Vec::new();
    for name in names {
        if !UnitName::is_valid(name) {
            return op.finish(Err(InstallError::Invalid(name.clone())));
        }
        let path = op.config.join(name);
        match paths.fs.metadata(&path) {
            Ok(m) if super::context::null_or_empty(&m) => {
                if !todo.contains(name) {
                    todo.push(name.clone());
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return op.finish(Err(InstallError::io(path, e))),
        }
    }
    let mut marked = HashSet::new();
    for name in &todo {
        let path = op.config.join(name);
        let config = op.config.clone();
        op.plan.unlink(&path, &config, &mut op.changes);
        marked.insert(paths.skip_root(&path).display().to_string());
    }
    let r = op.remove_marked(&mut marked);
    op.finish(r)
}

/// `systemctl link PATH…`: link unit files from outside the search path into it. Paths are
/// absolute paths inside the root.
pub fn link(lookup: &LookupPaths, flags: Flags, files: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    let mut todo = Vec::new();
    for file in files {
        let inside = Path::new(file);
        if !inside.is_absolute() {
            op.fail(ChangeError::Other {
                path: file.clone(),
                reason: "Invalid argument".into(),
            });
            return op.finish(Err(InstallError::Invalid(file.clone())));
        }
        let base = inside
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !UnitName::is_valid(&base) {
            op.fail(ChangeError::InvalidName { name: file.clone() });
            return op.finish(Err(InstallError::Invalid(file.clone())));
        }
        let real = paths.real(inside);
        let problem = match paths.fs.symlink_metadata(&real) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Some(InstallError::NotFound(file.clone()))
            }
            Err(e) => Some(InstallError::io(&real, e)),
            Ok(m) if m.file_type().is_symlink() => Some(InstallError::Linked(file.clone())),
            // 252's errnos, which systemctl prints without the path.
            Ok(m) if m.is_dir() => Some(InstallError::io(
                &real,
                std::io::Error::from_raw_os_error(libc::EISDIR),
            )),
            Ok(m) if !m.is_file() => Some(InstallError::io(
                &real,
                std::io::Error::from_raw_os_error(libc::EBADFD),
            )),
            Ok(_) => None,
        };
        if let Some(e) = problem {
            op.fail(ChangeError::from_error(&e, file));
            return op.finish(Err(e));
        }
        // 252 compares the path as given, without the root, with the rooted search path: below
        // a root a file in the search path is linked (and collides) like any other.
        if paths.in_search_path(inside) {
            continue;
        }
        todo.push((inside.to_path_buf(), base));
    }
    let mut r = Ok(0);
    for (inside, base) in todo {
        let link = op.config.join(&base);
        if op
            .plan
            .create_symlink(&paths, &inside, &link, flags.force, &mut op.changes)
            .is_err()
            && r.is_ok()
        {
            r = Err(InstallError::Exists(link.display().to_string()));
        }
    }
    op.finish(r)
}

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

/// `systemctl set-default TARGET`.
pub fn set_default(lookup: &LookupPaths, name: &str) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, Flags::default());
    let is_target = UnitName::parse(name).is_ok_and(|n| n.unit_type() == UnitType::Target);
    if !is_target || name == "default.target" {
        return op.finish(Err(InstallError::Invalid(name.to_string())));
    }
    let mut ctx = Context::new(&paths);
    let i = match op.discover_and_check(&mut ctx, name, SearchFlags::default()) {
        Ok(i) => i,
        Err(e) => return op.finish(Err(e)),
    };
    let target = ctx.infos[i].path.clone().unwrap_or_default();
    let link = paths.persistent_config.join("default.target");
    let r = op
        .plan
        .create_symlink(&paths, &target, &link, true, &mut op.changes)
        .map(|()| 1)
        .map_err(|()| InstallError::Exists(link.display().to_string()));
    op.finish(r)
}

/// `systemctl get-default`: the unit default.target leads to. Warnings about the files read
/// (a misfitting alias) go to `warnings`.
pub fn get_default(
    lookup: &LookupPaths,
    warnings: &mut Vec<String>,
) -> Result<String, InstallError> {
    let paths = InstallPaths::new(lookup)?;
    let mut ctx = Context::new(&paths);
    let found = ctx.discover("default.target", FOLLOW);
    warnings.append(&mut ctx.warnings);
    let i = found?;
    // 252's unit_file_get_default() names whatever default.target leads to, even a masked,
    // generated or transient unit: it does not ask install_info_may_process().
    Ok(ctx.infos[i].name.clone())
}

/// `systemctl add-wants|add-requires TARGET NAME…`.
pub fn add_dependency(
    lookup: &LookupPaths,
    flags: Flags,
    names: &[String],
    target: &str,
    dependency: Dependency,
) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, flags);
    if !UnitName::is_valid(target) {
        op.fail(ChangeError::InvalidName {
            name: target.to_string(),
        });
        return op.finish(Err(InstallError::Invalid(target.to_string())));
    }
    let mut ctx = Context::new(&paths);
    let t = match op.discover_and_check(&mut ctx, target, FOLLOW) {
        Ok(t) => t,
        Err(e) => return op.finish(Err(e)),
    };
    let target_name = ctx.infos[t].name.clone();
    for name in names {
        let i = match op.discover_and_check(&mut ctx, name, FOLLOW) {
            Ok(i) => i,
            Err(e) => return op.finish(Err(e)),
        };
        let info = &mut ctx.infos[i];
        let list = match dependency {
            Dependency::Wants => &mut info.wanted_by,
            Dependency::Requires => &mut info.required_by,
        };
        *list = vec![target_name.clone()];
    }
    let r = op.apply_context(&mut ctx, FOLLOW, flags.force, false);
    op.finish(r)
}

/// `systemctl revert NAME…`: back to the vendor version. Drop-in directories in the
/// configuration and control directories go, and where a vendor unit file exists, so do the
/// configuration copies and links of the unit itself; then links to what was removed.
pub fn revert(lookup: &LookupPaths, names: &[String]) -> Outcome {
    let paths = match InstallPaths::new(lookup) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(e),
    };
    let mut op = Op::new(&paths, Flags::default());
    let mut todo: Vec<PathBuf> = Vec::new();
    let config_dirs = [
        paths.persistent_config.clone(),
        paths.runtime_config.clone(),
        paths.persistent_control.clone(),
        paths.runtime_control.clone(),
    ];
    for name in names {
        if !UnitName::is_valid(name) {
            return op.finish(Err(InstallError::Invalid(name.clone())));
        }
        let mut has_vendor = false;
        for dir in &paths.search {
            let dropin = dir.join(format!("{name}.d"));
            let is_dir = || paths.fs.metadata(&dropin).is_ok_and(|m| m.is_dir());
            if config_dirs.contains(dir) && is_dir() && !todo.contains(&dropin) {
                todo.push(dropin);
            }
            let file = dir.join(name);
            let vendor = !config_dirs.contains(dir) && paths.transient.as_ref() != Some(dir);
            if vendor && paths.fs.symlink_metadata(&file).is_ok() {
                has_vendor = true;
            }
        }
        if !has_vendor {
            continue;
        }
        for dir in &config_dirs {
            let file = dir.join(name);
            let is_file_or_link = paths
                .fs
                .symlink_metadata(&file)
                .is_ok_and(|m| m.is_file() || m.file_type().is_symlink());
            if is_file_or_link && !todo.contains(&file) {
                todo.push(file);
            }
        }
    }
    let mut removals: Vec<PathBuf> = Vec::new();
    let mut marked = HashSet::new();
    // A directory itself, not a symlink to one.
    let is_real_dir = |p: &Path| paths.fs.symlink_metadata(p).is_ok_and(|m| m.is_dir());
    for path in &todo {
        if is_real_dir(path) {
            for e in paths.fs.list_dir(path).iter().flat_map(|l| l.iter()) {
                op.changes.push(Change::Unlink {
                    path: path.join(&e.name),
                });
            }
        }
        op.changes.push(Change::Unlink { path: path.clone() });
        removals.push(path.clone());
        marked.insert(paths.skip_root(path).display().to_string());
    }
    // Directory trees are not symlinks: remove them directly (after computing everything).
    let mut r = Ok(0);
    for config in [
        paths.runtime_config.clone(),
        paths.persistent_config.clone(),
    ] {
        let q = op
            .plan
            .remove_marked_symlinks(&paths, &mut marked, &config, &mut op.changes);
        if q.is_err() && r.is_ok() {
            r = Err(InstallError::Linked(config.display().to_string()));
        }
    }
    for path in removals {
        let removed =
            paths
                .fs
                .on_disk(&path, Last::NoFollow)
                .and_then(|real| match is_real_dir(&path) {
                    true => fs::remove_dir_all(real),
                    false => fs::remove_file(real),
                });
        if let Err(e) = removed {
            if e.kind() != std::io::ErrorKind::NotFound && r.is_ok() {
                r = Err(InstallError::io(&path, e));
            }
        }
    }
    op.finish(r)
}
