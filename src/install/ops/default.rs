//! install.c's unit_file_set_default() and unit_file_get_default() (systemd 252
//! `src/shared/install.c`).

use super::{Flags, Op, Outcome};
use crate::install::context::{Context, SearchFlags, FOLLOW};
use crate::install::paths::InstallPaths;
use crate::install::InstallError;
use crate::unit::name::{UnitName, UnitType};
use crate::unit::paths::LookupPaths;

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
