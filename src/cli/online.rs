//! Verbs that need a running service manager. Until the manager exists they answer as systemctl
//! does on a machine without systemd; in a chroot or with `SYSTEMD_OFFLINE=1` they are no-ops that
//! succeed, as systemctl 252 makes them so package scriptlets pass during image builds. Queries
//! answer for a system where nothing runs: every unit `inactive`, the system `offline`.

use std::os::unix::fs::MetadataExt;

use super::{Ctx, Exit, Failed, VerbResult};
use crate::unit::load::{load_with_map, NameMap};
use crate::unit::model::LoadState;
use crate::unit::name::{mangle, UnitType};

/// systemd's `running_in_chroot()`, plus the `SYSTEMD_OFFLINE=1` override.
pub fn offline_requested() -> bool {
    if let Ok(v) = std::env::var("SYSTEMD_OFFLINE") {
        if let Some(b) = super::options::parse_boolean(&v) {
            return b;
        }
    }
    match (std::fs::metadata("/"), std::fs::metadata("/proc/1/root/")) {
        (Ok(root), Ok(init_root)) => root.dev() != init_root.dev() || root.ino() != init_root.ino(),
        _ => false,
    }
}

pub fn needs_manager(_ctx: &Ctx, _args: &[String]) -> VerbResult {
    Err(no_manager())
}

fn no_manager() -> Failed {
    Failed::new(
        Exit::Failure,
        "System has not been booted with systemd as init system (PID 1). Can't operate.\n\
         Failed to connect to bus: Host is down",
    )
}

/// A runtime action that an offline verb implies (`enable --now` starts): skipped in a chroot
/// or with `SYSTEMD_OFFLINE=1`, refused otherwise.
pub fn without_manager(verb: &str) -> VerbResult {
    if offline_requested() {
        eprintln!("Running in chroot, ignoring command '{verb}'");
        return Ok(Exit::Success);
    }
    Err(no_manager())
}

/// Whether `arg` names a unit that exists (has a unit file, or is a SysV script made into one).
fn unit_known(ctx: &Ctx, arg: &str) -> bool {
    let Ok(name) = mangle(arg, UnitType::Service) else {
        return false;
    };
    let map = NameMap::build(&ctx.lookup);
    load_with_map(&ctx.lookup, &map, &name).load_state != LoadState::NotFound
}

/// `is-active` with no manager running: nothing runs, so every unit is `inactive` (exit 3), and
/// 4 when no named unit exists at all. A query never starts a manager.
pub fn is_active(ctx: &Ctx, args: &[String]) -> VerbResult {
    for _ in args {
        if !ctx.opts.quiet {
            println!("inactive");
        }
    }
    if args.iter().all(|a| !unit_known(ctx, a)) {
        return Ok(Exit::Unknown);
    }
    Ok(Exit::NotRunning)
}

/// `is-failed` with no manager running: nothing has failed (exit 1).
pub fn is_failed(ctx: &Ctx, args: &[String]) -> VerbResult {
    for _ in args {
        if !ctx.opts.quiet {
            println!("inactive");
        }
    }
    Ok(Exit::Failure)
}

/// `is-system-running` with no manager: systemd's answer for a system it does not run.
pub fn is_system_running(ctx: &Ctx, _args: &[String]) -> VerbResult {
    if !ctx.opts.quiet {
        println!("offline");
    }
    Ok(Exit::Failure)
}

/// With no manager running there is nothing to reload: the unit files are read afresh by every
/// call. Installers (FreeIPA, dpkg triggers) treat a failure here as fatal, so this succeeds,
/// also with `--root` (where systemctl 252 refuses the verb).
pub fn daemon_reload(ctx: &Ctx, _args: &[String]) -> VerbResult {
    if offline_requested() {
        let verb = ctx.opts.words.first().map(String::as_str).unwrap_or("");
        eprintln!("Running in chroot, ignoring command '{verb}'");
    }
    Ok(Exit::Success)
}

pub fn unsupported(ctx: &Ctx, _args: &[String]) -> VerbResult {
    let verb = ctx.opts.words.first().map(String::as_str).unwrap_or("");
    Err(Failed::new(
        Exit::Failure,
        format!("Verb '{verb}' is not supported by this systemctl."),
    ))
}
