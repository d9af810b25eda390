//! The Manager's unit file methods (dbus-manager.c's method_list_unit_files(),
//! method_enable_unit_files_generic() and friends): done here over the install layer, as
//! `systemctl enable` does offline, with the changes in the methods' `a(sss)` form and a
//! failure as install_error() words it. They change the machine: only callers who may change
//! the manager's state may call those.

use super::dispatch::{Call, Session};
use super::MethodError;
use crate::install::{self, Change, Dependency, Flags, Outcome, PresetMode};
use crate::unit::paths::{LookupPaths, Scope};

/// (type, file, destination) as systemd's UnitFileChange goes on the bus.
type ChangeEntry = (String, String, String);

fn lookup() -> Result<LookupPaths, MethodError> {
    LookupPaths::new(Scope::System, None).map_err(|e| MethodError::failed(e.to_string()))
}

pub fn call(call: &Call, _session: &mut Session) -> Result<(), MethodError> {
    let lookup = lookup()?;
    match call.member.as_str() {
        "ListUnitFiles" => call.reply(&(list(&lookup, &[], &[])?,)),
        "ListUnitFilesByPatterns" => {
            let (states, patterns): (Vec<String>, Vec<String>) = call.args()?;
            call.reply(&(list(&lookup, &patterns, &states)?,))
        }
        "GetUnitFileState" => {
            let (name,): (String,) = call.args()?;
            let state = install::unit_file_state(&lookup, &name).map_err(|_| {
                MethodError::new(
                    "org.freedesktop.DBus.Error.FileNotFound",
                    "No such file or directory",
                )
            })?;
            call.reply(&(state.as_str().to_string(),))
        }
        "GetDefaultTarget" => {
            let target = install::get_default(&lookup, &mut Vec::new())
                .map_err(|e| MethodError::failed(e.to_string()))?;
            call.reply(&(target,))
        }
        "EnableUnitFiles" | "ReenableUnitFiles" => {
            let (files, runtime, force): (Vec<String>, bool, bool) = call.args()?;
            let flags = flags(runtime, force);
            let outcome = privileged(call, || {
                if call.member == "EnableUnitFiles" {
                    install::enable(&lookup, flags, &files)
                } else {
                    install::reenable(&lookup, flags, &files)
                }
            })?;
            let (carries_install_info, changes) = changes(outcome)?;
            call.reply(&(carries_install_info, changes))
        }
        "DisableUnitFiles" | "UnmaskUnitFiles" => {
            let (files, runtime): (Vec<String>, bool) = call.args()?;
            let flags = flags(runtime, false);
            let outcome = privileged(call, || {
                if call.member == "DisableUnitFiles" {
                    install::disable(&lookup, flags, &files)
                } else {
                    install::unmask(&lookup, flags, &files)
                }
            })?;
            call.reply(&(changes(outcome)?.1,))
        }
        "MaskUnitFiles" | "LinkUnitFiles" => {
            let (files, runtime, force): (Vec<String>, bool, bool) = call.args()?;
            let flags = flags(runtime, force);
            let outcome = privileged(call, || {
                if call.member == "MaskUnitFiles" {
                    install::mask(&lookup, flags, &files)
                } else {
                    install::link(&lookup, flags, &files)
                }
            })?;
            call.reply(&(changes(outcome)?.1,))
        }
        "PresetUnitFiles" | "PresetUnitFilesWithMode" => {
            let (files, mode, runtime, force) = if call.member == "PresetUnitFiles" {
                let (files, runtime, force): (Vec<String>, bool, bool) = call.args()?;
                (files, String::new(), runtime, force)
            } else {
                call.args::<(Vec<String>, String, bool, bool)>()?
            };
            let mode = preset_mode(&mode)?;
            let flags = flags(runtime, force);
            let outcome = privileged(call, || install::preset(&lookup, flags, &files, mode))?;
            let (carries_install_info, changes) = changes(outcome)?;
            call.reply(&(carries_install_info, changes))
        }
        "PresetAllUnitFiles" => {
            let (mode, runtime, force): (String, bool, bool) = call.args()?;
            let mode = preset_mode(&mode)?;
            let flags = flags(runtime, force);
            let outcome = privileged(call, || install::preset_all(&lookup, flags, mode))?;
            call.reply(&(changes(outcome)?.1,))
        }
        "RevertUnitFiles" => {
            let (files,): (Vec<String>,) = call.args()?;
            let outcome = privileged(call, || install::revert(&lookup, &files))?;
            call.reply(&(changes(outcome)?.1,))
        }
        "AddDependencyUnitFiles" => {
            let (files, target, kind, runtime, force): (Vec<String>, String, String, bool, bool) =
                call.args()?;
            let dependency = match kind.as_str() {
                "Wants" => Dependency::Wants,
                "Requires" => Dependency::Requires,
                _ => {
                    return Err(MethodError::invalid_args(format!(
                        "Invalid dependency type: {kind}"
                    )))
                }
            };
            let flags = flags(runtime, force);
            let outcome = privileged(call, || {
                install::add_dependency(&lookup, flags, &files, &target, dependency)
            })?;
            call.reply(&(changes(outcome)?.1,))
        }
        "GetUnitFileLinks" => {
            // the links a disable would remove (method_get_unit_file_links(): a dry run)
            let (name, runtime): (String, bool) = call.args()?;
            let dry_run = Flags {
                runtime,
                force: false,
                dry_run: true,
            };
            let outcome = install::disable(&lookup, dry_run, &[name]);
            let links: Vec<String> = outcome
                .changes
                .iter()
                .filter_map(|c| match c {
                    Change::Unlink { path } => Some(path.display().to_string()),
                    _ => None,
                })
                .collect();
            call.reply(&(links,))
        }
        "SetDefaultTarget" => {
            let (name, _force): (String, bool) = call.args()?;
            let outcome = privileged(call, || install::set_default(&lookup, &name))?;
            call.reply(&(changes(outcome)?.1,))
        }
        _ => Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
}

/// unit_file_preset_mode_from_string(): empty is the full preset.
fn preset_mode(mode: &str) -> Result<PresetMode, MethodError> {
    match mode {
        "" | "full" => Ok(PresetMode::Full),
        "enable-only" => Ok(PresetMode::EnableOnly),
        "disable-only" => Ok(PresetMode::DisableOnly),
        _ => Err(MethodError::invalid_args(format!(
            "Unit file preset mode '{mode}' invalid."
        ))),
    }
}

fn flags(runtime: bool, force: bool) -> Flags {
    Flags {
        runtime,
        force,
        dry_run: false,
    }
}

fn privileged(call: &Call, op: impl FnOnce() -> Outcome) -> Result<Outcome, MethodError> {
    if !call
        .caller()
        .may_change_state(nix::unistd::geteuid().as_raw())
    {
        return Err(MethodError::access_denied());
    }
    Ok(op())
}

fn list(
    lookup: &LookupPaths,
    patterns: &[String],
    states: &[String],
) -> Result<Vec<(String, String)>, MethodError> {
    let entries = install::list_unit_files(lookup, patterns, states, &mut Vec::new())
        .map_err(|e| MethodError::failed(e.to_string()))?;
    Ok(entries
        .into_iter()
        .map(|e| (e.path.display().to_string(), e.state.as_str().to_string()))
        .collect())
}

/// The changes made, or the error of the first that failed when nothing else was done (as
/// install_error() fails the method).
fn changes(outcome: Outcome) -> Result<(bool, Vec<ChangeEntry>), MethodError> {
    let first_failure = outcome.changes.iter().find_map(|c| match c {
        Change::Failed(e) => Some(e.bus_message()),
        _ => None,
    });
    let succeeded = outcome
        .changes
        .iter()
        .any(|c| !matches!(c, Change::Failed(_)));
    match (&outcome.result, first_failure) {
        (Err(_), Some(message)) => return Err(MethodError::failed(message)),
        (Ok(_), Some(message)) if !succeeded => return Err(MethodError::failed(message)),
        (Err(e), None) => return Err(MethodError::failed(e.to_string())),
        _ => {}
    }
    let entries = outcome
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Symlink { path, target } => Some((
                "symlink".to_string(),
                path.display().to_string(),
                target.clone(),
            )),
            Change::Unlink { path } => Some((
                "unlink".to_string(),
                path.display().to_string(),
                String::new(),
            )),
            _ => None,
        })
        .collect();
    Ok((matches!(outcome.result, Ok(n) if n > 0), entries))
}
