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
    Err(Failed::new(
        Exit::Failure,
        "System has not been booted with systemd as init system (PID 1). Can't operate.\n\
         Failed to connect to bus: Host is down",
    ))
}

/// With no manager running there is nothing to reload: the unit files are read afresh by every
/// call. Installers (FreeIPA, dpkg triggers) treat a failure here as fatal, so this succeeds.
pub fn daemon_reload(_ctx: &Ctx, _args: &[String]) -> VerbResult {
    Ok(Exit::Success)
}

pub fn unsupported(ctx: &Ctx, _args: &[String]) -> VerbResult {
    let verb = ctx.opts.words.first().map(String::as_str).unwrap_or("");
    Err(Failed::new(
        Exit::Failure,
        format!("Verb '{verb}' is not supported by this systemctl."),
    ))
}
