//! SysV compatibility of systemctl's enable_sysv_units(): a `NAME.service` that has an
//! `/etc/init.d/NAME` script is enabled, disabled or queried through
//! `systemd-sysv-install` (Debian's wrapper around update-rc.d). Where the root has no such
//! helper, we do what update-rc.d would to the `/etc/rcN.d` links ourselves. Below `--root`,
//! each path is resolved inside the root first ([`LookupPaths::on_disk`]).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::InstallError;
use crate::unit::paths::{Last, LookupPaths};

const HELPERS: [&str; 2] = [
    "/lib/systemd/systemd-sysv-install",
    "/usr/lib/systemd/systemd-sysv-install",
];
const BOOT_RUNLEVELS: [char; 4] = ['2', '3', '4', '5'];
const HALT_RUNLEVELS: [char; 3] = ['0', '1', '6'];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysvVerb {
    Enable,
    Disable,
    IsEnabled,
}

impl SysvVerb {
    pub fn as_str(self) -> &'static str {
        match self {
            SysvVerb::Enable => "enable",
            SysvVerb::Disable => "disable",
            SysvVerb::IsEnabled => "is-enabled",
        }
    }
}

/// What handling one script printed to stderr and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysvOutcome {
    /// systemctl's info lines ("… redirecting to systemd-sysv-install.", "Executing: …").
    pub messages: Vec<String>,
    /// Exit status 0 of the helper; for is-enabled, whether the script is enabled.
    pub success: bool,
}

/// The init script `NAME.service` stands for, if the root has one (as a real path).
pub fn script_for(lookup: &LookupPaths, unit: &str) -> Option<PathBuf> {
    let name = unit.strip_suffix(".service")?;
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return None;
    }
    let inside = Path::new("/etc/init.d").join(name);
    let on_disk = lookup.on_disk(&inside, Last::NoFollow).ok()?;
    fs::symlink_metadata(on_disk)
        .is_ok()
        .then(|| lookup.real(&inside))
}

/// Enable, disable or query the script of `unit`; `native` says whether a unit file exists too,
/// which changes only the wording.
pub fn handle(
    lookup: &LookupPaths,
    verb: SysvVerb,
    unit: &str,
    native: bool,
) -> Result<SysvOutcome, InstallError> {
    let name = unit.trim_end_matches(".service");
    let helper = HELPERS
        .iter()
        .find(|h| {
            lookup
                .on_disk(Path::new(h), Last::Follow)
                .is_ok_and(|p| p.is_file())
        })
        .copied();
    let shown_helper = helper.unwrap_or(HELPERS[0]);
    let mut messages = vec![if native {
        format!("Synchronizing state of {unit} with SysV service script with {shown_helper}.")
    } else {
        format!("{unit} is not a native service, redirecting to systemd-sysv-install.")
    }];
    let Some(helper) = helper else {
        let success = rc_links(lookup, verb, name)?;
        return Ok(SysvOutcome { messages, success });
    };
    let mut args = Vec::new();
    if lookup.has_root() {
        args.push(format!("--root={}", lookup.root.display()));
    }
    args.push(verb.as_str().to_string());
    args.push(name.to_string());
    messages.push(format!("Executing: {helper} {}", args.join(" ")));
    let real = lookup
        .on_disk(Path::new(helper), Last::Follow)
        .map_err(|e| InstallError::io(lookup.real(Path::new(helper)), e))?;
    let status = Command::new(&real)
        .args(&args)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| InstallError::io(&real, e))?;
    Ok(SysvOutcome {
        messages,
        success: status.success(),
    })
}

/// The `/etc/rcN.d` links of `name`: (runlevel, its directory, link name).
fn links_of(lookup: &LookupPaths, name: &str) -> Vec<(char, PathBuf, String)> {
    let mut out = Vec::new();
    for level in BOOT_RUNLEVELS.iter().chain(HALT_RUNLEVELS.iter()) {
        let Some(dir) = rc_dir(lookup, *level) else {
            continue;
        };
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let f = e.file_name().to_string_lossy().into_owned();
            // `S20name` / `K01name`; compared as bytes, as the name may be any UTF-8.
            let b = f.as_bytes();
            let matches = b.len() == name.len() + 3
                && matches!(b[0], b'S' | b'K')
                && b[1].is_ascii_digit()
                && b[2].is_ascii_digit()
                && &b[3..] == name.as_bytes();
            if matches {
                out.push((*level, dir.clone(), f));
            }
        }
    }
    out
}

/// `/etc/rcN.d` as resolved inside the root; `None` when it cannot be.
fn rc_dir(lookup: &LookupPaths, level: char) -> Option<PathBuf> {
    let inside = format!("/etc/rc{level}.d");
    lookup.on_disk(Path::new(&inside), Last::Follow).ok()
}

/// update-rc.d's enable/disable on the links, computed first and then written; is-enabled is
/// true when a start link exists in a boot runlevel.
fn rc_links(lookup: &LookupPaths, verb: SysvVerb, name: &str) -> Result<bool, InstallError> {
    let links = links_of(lookup, name);
    if verb == SysvVerb::IsEnabled {
        return Ok(links
            .iter()
            .any(|(level, _, f)| BOOT_RUNLEVELS.contains(level) && f.starts_with('S')));
    }
    let (want, other) = match verb {
        SysvVerb::Enable => ('S', 'K'),
        _ => ('K', 'S'),
    };
    let mut renames = Vec::new();
    let mut creates = Vec::new();
    for level in BOOT_RUNLEVELS.iter().chain(HALT_RUNLEVELS.iter()) {
        let Some(dir) = rc_dir(lookup, *level) else {
            continue;
        };
        let letter = if BOOT_RUNLEVELS.contains(level) {
            want
        } else {
            'K'
        };
        let here: Vec<&String> = links
            .iter()
            .filter(|(l, _, _)| l == level)
            .map(|(_, _, f)| f)
            .collect();
        if here.is_empty() {
            creates.push(dir.join(format!("{letter}01{name}")));
        } else if letter == want {
            for f in here.into_iter().filter(|f| f.starts_with(other)) {
                // The first byte is the ASCII S or K, so index 1 is a character boundary.
                renames.push((dir.join(f), dir.join(format!("{want}{}", &f[1..]))));
            }
        }
    }
    let target = Path::new("../init.d").join(name);
    let mut done: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    let result = (|| -> Result<(), InstallError> {
        for (from, to) in &renames {
            fs::rename(from, to).map_err(|e| InstallError::io(from, e))?;
            done.push((to.clone(), Some(from.clone())));
        }
        for link in &creates {
            if let Some(dir) = link.parent() {
                fs::create_dir_all(dir).map_err(|e| InstallError::io(dir, e))?;
            }
            symlink(&target, link).map_err(|e| InstallError::io(link, e))?;
            done.push((link.clone(), None));
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (path, original) in done.into_iter().rev() {
            // Best effort undo; the error below names the file that failed.
            let _ = match original {
                Some(from) => fs::rename(&path, from),
                None => fs::remove_file(&path),
            };
        }
        return Err(e);
    }
    Ok(true)
}
