//! Who a command runs as and with which limits: `User=`/`Group=`/`SupplementaryGroups=` (not for
//! `+`/`!`/`!!` commands), `WorkingDirectory=` and `Limit*=` with the manager's `DefaultLimit*=`
//! first (systemd 252's src/core/execute.c: get_fixed_user(), get_supplementary_groups(),
//! apply_working_directory(), setrlimit_closest()).

use std::path::PathBuf;

use crate::sys::accounts::{Credentials, PasswdEntry};
use crate::sys::rlimit::{self, Limit};
use crate::unit::command::ExecCommand;
use crate::unit::model::ExecKind;

use super::context::*;
use super::environment::*;

/// Whether this command runs with the unit's credentials: `exec_child()`'s `needs_setuid`.
/// `!!` is treated like `!`: it exists for systems where the service cannot be given its
/// `AmbientCapabilities=`, which is the situation here (capabilities are not applied), so the
/// service drops its privileges itself.
fn applies_credentials(ctx: &ExecContext, command: &ExecCommand, kind: ExecKind) -> bool {
    let f = command.flags;
    if f.full_privileges || f.no_setuid || f.ambient_magic {
        return false;
    }
    // service_spawn(): PermissionsStartOnly= drops the sandboxing of control commands
    !(ctx.unit.settings.permissions_start_only && kind != ExecKind::Start)
}

/// The user and groups, resolved whether or not this command applies them (systemd fails a
/// command with an unknown `User=` even when it has `+`), and what to change to.
pub(super) fn credentials(
    ctx: &ExecContext,
    command: &ExecCommand,
    kind: ExecKind,
) -> Result<(Option<PasswdEntry>, Option<Credentials>), ExecEnvError> {
    let s = &ctx.unit.settings;
    let resolved = ctx.accounts.resolve(
        s.user.as_deref(),
        s.group.as_deref(),
        &s.supplementary_groups,
    )?;
    let Some((creds, entry)) = resolved else {
        return Ok((None, None));
    };
    if !applies_credentials(ctx, command, kind) {
        return Ok((entry, None));
    }
    if ctx.manager_is_root {
        return Ok((entry, Some(creds)));
    }
    // A manager without privileges can only "change" to what it already is, which it skips
    // (systemd ≥ 256 goes on when initgroups() is refused and the gid is already the one asked
    // for; setresgid()/setresuid() to the current ids succeed anyway).
    let uid = nix::unistd::getuid().as_raw();
    let gid = nix::unistd::getgid().as_raw();
    // execute.c changes the group before the user, so that is the step that fails first:
    // initgroups() for a User= of a non-root primary group, else setresgid().
    if creds.gid != gid {
        if s.user.is_some() && creds.gid != 0 {
            return Err(ExecEnvError::SupplementaryGroupsNotPermitted { gid: creds.gid });
        }
        return Err(ExecEnvError::GroupNotPermitted { gid: creds.gid });
    }
    if creds.uid != uid {
        return Err(ExecEnvError::UserNotPermitted { uid: creds.uid });
    }
    let own: Vec<u32> = nix::unistd::getgroups()
        .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
        .unwrap_or_default();
    for name in &s.supplementary_groups {
        let g = ctx.accounts.group(name)?;
        if g != gid && !own.contains(&g) {
            return Err(ExecEnvError::GroupNotPermitted { gid: g });
        }
    }
    Ok((entry, None))
}

/// `WorkingDirectory=`: `-` tolerates a missing one, `~` is `home` ([`command_home`]); without the setting
/// a system service runs in `/` and a user service in the manager's home (missing tolerated).
pub(super) fn working_directory(
    ctx: &ExecContext,
    home: Option<&str>,
) -> Result<(PathBuf, bool), ExecEnvError> {
    let manager_home = || {
        (!ctx.manager_is_root)
            .then(|| manager_var(ctx, "HOME"))
            .flatten()
    };
    let Some(setting) = ctx.unit.settings.working_directory.as_deref() else {
        return Ok(match manager_home() {
            Some(home) => (PathBuf::from(home), true),
            None => (PathBuf::from("/"), false),
        });
    };
    let (missing_ok, path) = match setting.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, setting),
    };
    if path == "~" {
        return home
            .map(|h| (PathBuf::from(h), missing_ok))
            .ok_or(ExecEnvError::NoHome);
    }
    Ok((PathBuf::from(path), missing_ok))
}

/// Whether this process may raise hard limits: CAP_SYS_RESOURCE in its effective set (which root
/// in a default container does not have).
pub(super) fn may_raise_hard_limits() -> bool {
    // The manager's capabilities do not change while it runs: read them once, not per spawn.
    static MAY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MAY.get_or_init(|| crate::unit::host::has_capability(CAP_SYS_RESOURCE))
}

/// The manager's `DefaultLimit*=` with the unit's `Limit*=` over them, clamped to what this
/// container allows.
pub(super) fn resource_limits(ctx: &ExecContext, warnings: &mut Vec<String>) -> Vec<Limit> {
    let mut all: Vec<Limit> = ctx.manager.default_limits.clone();
    for limit in &ctx.unit.settings.limits {
        all.retain(|l| l.resource != limit.resource);
        all.push(*limit);
    }
    let can_raise = may_raise_hard_limits();
    all.into_iter()
        .map(|l| {
            let (limit, warning) = rlimit::clamp(l, can_raise);
            warnings.extend(warning);
            limit
        })
        .collect()
}
