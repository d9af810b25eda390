//! install.c's unit_file_enable(), unit_file_disable(), unit_file_reenable() and
//! unit_file_add_dependency() (systemd 252 `src/shared/install.c`).

use super::{Dependency, Flags, Op, Outcome};
use crate::install::context::{Context, FOLLOW};
use crate::install::paths::InstallPaths;
use crate::install::{ChangeError, InstallError};
use crate::unit::name::UnitName;
use crate::unit::paths::LookupPaths;

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
