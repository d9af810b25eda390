//! Verbs that need a running service manager. Until the manager exists they answer as systemctl
//! does on a machine without systemd; in a chroot or with `SYSTEMD_OFFLINE=1` they are no-ops that
//! succeed, as systemctl 252 makes them so package scriptlets pass during image builds.

use std::os::unix::fs::MetadataExt;

use super::{Ctx, Exit, Failed, VerbResult};

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
