//! Offline verbs over the install layer: enable, disable, reenable, mask, unmask, preset,
//! preset-all, is-enabled, link, revert, add-wants, add-requires, get-default, set-default,
//! list-unit-files; their output and exit codes as systemctl 252 gives them
//! (systemctl-enable.c, systemctl-is-enabled.c, systemctl-list-unit-files.c and
//! install_changes_dump()).
//!
//! With our manager running (and no `--root=`, `--global` or chroot: install_client_side() is
//! false), systemctl 252 asks the manager over D-Bus instead, and what it prints changes: the
//! manager's logs (an unknown `[Install]` key) go to its journal, not to the terminal; a failure is
//! the one bus error dbus-manager.c's install_error() makes of the first failed change ("Failed to
//! enable unit: Unit file X does not exist."), and fails the verb unless another change
//! succeeded; `is-enabled` of a missing unit fails with ENOENT; mask and unmask first say which
//! units the manager does not know; add-wants, set-default and preset-all have the manager
//! reload. The work is still done here, over the same install layer; only the answer takes
//! 252's bus form, worded in one place (`ChangeError::bus_message()` and `report_from_manager()`).

use super::options::PresetMode as CliPresetMode;
use super::{online, table, Ctx, Exit, Failed, VerbResult};
use crate::install::sysv::{self, SysvVerb};
use crate::install::{
    self, Change, ChangeError, Dependency, Flags, InstallError, Outcome, PresetAction, PresetMode,
    Presets, UnitFileState,
};
use crate::ipc::client::connect_running;
use crate::unit::name::{mangle, mangle_escape, NameKind, UnitName, UnitType};
use crate::unit::paths::Scope;
use crate::unit::state::{ActiveState, UnitLoadState};

/// A failure whose message is already printed.
fn silent_failure() -> Failed {
    Failed::new(Exit::Failure, "")
}

fn flags(ctx: &Ctx) -> Flags {
    Flags {
        runtime: ctx.opts.runtime,
        force: ctx.opts.force > 0,
        dry_run: false,
    }
}

/// path_make_absolute_cwd() followed by path_simplify(): `//` and `/./` collapse, `..` stays.
fn absolute(arg: &str) -> String {
    let joined = if arg.starts_with('/') {
        arg.to_string()
    } else {
        let cwd = std::env::current_dir()
            .map(|c| c.display().to_string())
            .unwrap_or_else(|_| "/".into());
        format!("{}/{arg}", cwd.trim_end_matches('/'))
    };
    let parts: Vec<&str> = joined
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// unit_name_mangle_with_suffix(): a valid name as it is, an absolute path as a mount or
/// device name, anything else escaped (`/` as `-`, other invalid bytes as `\\xNN`) and given
/// `suffix` unless that made it a valid name already (`name::mangle`); `None` when even that is no
/// valid name. This adds systemctl's notices about what was escaped.
/// `operation` completes systemctl's "Glob pattern passed …" notice ("to enable", "as target").
fn mangle_name(ctx: &Ctx, name: &str, suffix: UnitType, operation: &str) -> Option<String> {
    if UnitName::is_valid(name) {
        return Some(name.to_string());
    }
    // A well-formed glob gets its own notice, and then no systemd-escape hint: escaping is not
    // what its author meant.
    let suggest_escape = !super::queries::is_valid_glob(name);
    if !suggest_escape && !ctx.opts.quiet {
        eprintln!("Glob pattern passed {operation}, but globs are not supported for this.");
    }
    if name.starts_with('/') {
        return mangle(name, suffix).ok().map(|n| n.to_string());
    }
    let escaped = mangle_escape(name);
    if escaped != name && !ctx.opts.quiet {
        let hint = if suggest_escape {
            " (maybe you should use systemd-escape?)"
        } else {
            ""
        };
        eprintln!("Invalid unit name \"{name}\" escaped as \"{escaped}\"{hint}.");
    }
    mangle(name, suffix).ok().map(|n| n.to_string())
}

/// mangle_names(): paths made absolute, names mangled with `suffix`.
fn mangle_names(
    ctx: &Ctx,
    args: &[String],
    suffix: UnitType,
    operation: &str,
) -> Result<Vec<String>, Failed> {
    args.iter()
        .map(|a| {
            if a.contains('/') {
                return Ok(absolute(a));
            }
            mangle_name(ctx, a, suffix, operation).ok_or_else(|| {
                Failed::new(
                    Exit::Failure,
                    format!("Failed to mangle unit name or path '{a}': Invalid argument"),
                )
            })
        })
        .collect()
}

fn mangle_target(ctx: &Ctx, arg: &str, operation: &str) -> Result<String, Failed> {
    mangle_name(ctx, arg, UnitType::Target, operation).ok_or_else(|| {
        Failed::new(
            Exit::Failure,
            "Failed to mangle unit name: Invalid argument",
        )
    })
}

/// One change that succeeded, in install_changes_dump()'s words (nothing under --quiet).
fn print_change(change: &Change, quiet: bool) {
    if quiet {
        return;
    }
    match change {
        Change::Symlink { path, target } => {
            eprintln!("Created symlink {} \u{2192} {target}.", path.display());
        }
        Change::Unlink { path } => eprintln!("Removed \"{}\".", path.display()),
        Change::IsMasked { path } => eprintln!("Unit {path} is masked, ignoring."),
        Change::IsDangling { path } => {
            eprintln!("Unit {path} is an alias to a unit that is not present, ignoring.");
        }
        Change::DestinationNotPresent { dependency, source } => eprintln!(
            "Unit {} is added as a dependency to a non-existent unit {dependency}.",
            source.display()
        ),
        Change::AuxiliaryFailed { unit } => {
            eprintln!("Failed to enable auxiliary unit {unit}, ignoring.");
        }
        Change::Failed(_) => {}
    }
}

/// install_changes_dump(): print the change list in systemd's words; true when an error was
/// among them.
fn dump_changes(verb: &str, outcome: &Outcome, quiet: bool) -> bool {
    for w in &outcome.warnings {
        eprintln!("{w}");
    }
    let mut logged = false;
    for change in &outcome.changes {
        match change {
            Change::Failed(e) => {
                logged = true;
                eprintln!("{}", error_sentence(verb, e));
            }
            done => print_change(done, quiet),
        }
    }
    if let Err(e) = &outcome.result {
        if !logged {
            eprintln!("Failed to {verb}: {}.", e.errno_text());
            logged = true;
        }
    }
    logged
}

fn error_sentence(verb: &str, e: &ChangeError) -> String {
    match e {
        ChangeError::Exists {
            path,
            target: Some(t),
        } => format!(
            "Failed to {verb} unit, file \"{path}\" already exists and is a symlink to \"{t}\"."
        ),
        ChangeError::Exists { path, target: None } => {
            format!("Failed to {verb} unit, file \"{path}\" already exists.")
        }
        ChangeError::Masked { path } => format!("Failed to {verb} unit, unit {path} is masked."),
        ChangeError::TransientOrGenerated { path } => {
            format!("Failed to {verb} unit, unit {path} is transient or generated.")
        }
        ChangeError::BadSpecifier { text } => {
            format!("Failed to {verb} unit, invalid specifier in \"{text}\".")
        }
        ChangeError::NonTemplateDestination { destination, unit } => format!(
            "Failed to {verb} {unit}, destination unit {destination} is a non-template unit."
        ),
        ChangeError::InvalidName { name } => {
            format!("Failed to {verb} unit, \"{name}\" is not a valid unit name.")
        }
        ChangeError::Linked { path } => {
            format!("Failed to {verb} unit, refusing to operate on linked unit file {path}.")
        }
        ChangeError::CannotAlias { alias, unit } => {
            format!("Failed to {verb} unit, cannot alias {unit} as {alias}.")
        }
        ChangeError::InvalidReference { path } => {
            format!("Failed to {verb} unit, invalid unit reference \"{path}\".")
        }
        ChangeError::NotFound { name } => {
            format!("Failed to {verb} unit, unit {name} does not exist.")
        }
        ChangeError::Other { path, reason } => {
            format!("Failed to {verb} unit, file \"{path}\": {reason}")
        }
    }
}

/// install_client_side() negated: a manager of ours runs and nothing makes systemctl work on
/// the files itself (`--root=`, a chroot or `SYSTEMD_OFFLINE=1`, `SYSTEMCTL_INSTALL_CLIENT_SIDE`),
/// so systemctl 252 would send the verb to the manager over D-Bus.
// Only the system scope: `--global` is always client-side in 252, and our manager is the
// system's (a `--user` verb keeps the offline answer).
fn manager_answers(ctx: &Ctx) -> bool {
    ctx.opts.root.is_none()
        && ctx.lookup.scope == Scope::System
        && !online::offline_requested()
        && !std::env::var("SYSTEMCTL_INSTALL_CLIENT_SIDE")
            .is_ok_and(|v| super::options::parse_boolean(&v) == Some(true))
        && connect_running().is_some()
}

/// dbus-manager.c's install_error(): the bus error the manager answers for a failed change,
/// which systemctl prints after "Failed to VERB unit: ".
/// What systemctl 252 prints of a change list the manager computed
/// (method_enable_unit_files_generic() and reply_install_changes_and_free() in dbus-manager.c,
/// bus_deserialize_and_dump_unit_file_changes() in systemctl): a failed operation, or one whose
/// changes all failed, is the bus error of its first failed change ("Failed to `what`: …",
/// exit 1); otherwise the failed changes are dropped and the others printed as offline. The
/// parser's warnings are the manager's log, not systemctl's output.
fn report_from_manager(ctx: &Ctx, what: &str, outcome: &Outcome) -> VerbResult {
    let first_failure = outcome.changes.iter().find_map(|c| match c {
        Change::Failed(e) => Some(e),
        _ => None,
    });
    let succeeded = outcome
        .changes
        .iter()
        .any(|c| !matches!(c, Change::Failed(_)));
    let refusal = match (&outcome.result, first_failure) {
        (Err(_), Some(e)) => Some(e.bus_message()),
        (Ok(_), Some(e)) if !succeeded => Some(e.bus_message()),
        (Err(e), None) => Some(e.errno_text()),
        (Ok(_), _) => None,
    };
    if let Some(refusal) = refusal {
        return Err(Failed::new(
            Exit::Failure,
            format!("Failed to {what}: {refusal}"),
        ));
    }
    for change in &outcome.changes {
        print_change(change, ctx.opts.quiet);
    }
    Ok(Exit::Success)
}

/// systemctl 252's notice before it asks the manager to mask or unmask units it does not know:
/// unit_exists() finds a template's file, and asks the manager about any other unit (it exists
/// unless it is `not-found` and `inactive`). A notice, so `--quiet` keeps it.
fn notice_unknown_units(ctx: &Ctx, names: &[String]) {
    for name in names {
        let exists = if UnitName::parse(name).is_ok_and(|u| u.kind() == NameKind::Template) {
            let mut warnings = Vec::new();
            !matches!(
                install::unit_file_exists(&ctx.lookup, name, &mut warnings),
                Ok(false) | Err(InstallError::NotFound(_))
            )
        } else {
            super::queries::query_states(std::slice::from_ref(name))
                .and_then(|states| states.into_iter().next())
                .is_none_or(|(load, active)| {
                    load != Some(UnitLoadState::NotFound) || active != ActiveState::Inactive
                })
        };
        if !exists {
            eprintln!("Unit {name} does not exist, proceeding anyway.");
        }
    }
}

const NO_INSTALL_CONFIG: &str =
    "The unit files have no installation config (WantedBy=, RequiredBy=, Also=,
Alias= settings in the [Install] section, and DefaultInstance= for template
units). This means they are not meant to be enabled using systemctl.
 
Possible reasons for having this kind of units are:
\u{2022} A unit may be statically enabled by being symlinked from another unit's
  .wants/ or .requires/ directory.
\u{2022} A unit's purpose may be to act as a helper for some other unit which has
  a requirement dependency on it.
\u{2022} A unit may be started when needed via activation (socket, path, timer,
  D-Bus, udev, scripted systemctl call, ...).
\u{2022} In case of template units, the unit is meant to be enabled with some
  instance name specified.";

/// enable_sysv_units(): hand `NAME.service` names that have an init script to the SysV
/// machinery. Returns the names left for the native path and whether any script is enabled
/// (for is-enabled).
fn sysv_units(
    ctx: &Ctx,
    verb: SysvVerb,
    names: Vec<String>,
) -> Result<(Vec<String>, bool), Failed> {
    if ctx.lookup.scope != Scope::System
        || std::env::var("SYSTEMCTL_SKIP_SYSV")
            .is_ok_and(|v| super::options::parse_boolean(&v) == Some(true))
    {
        return Ok((names, false));
    }
    // Units a generator made (like the SysV generator's) do not count as native here.
    let mut native_lookup = ctx.lookup.clone();
    native_lookup
        .search
        .retain(|d| !ctx.lookup.generators.contains(d));
    let mut remaining = Vec::new();
    let mut enabled = false;
    for name in names {
        if !name.ends_with(".service") || name.starts_with('/') {
            remaining.push(name);
            continue;
        }
        let mut warnings = Vec::new();
        let exists = install::unit_file_exists(&native_lookup, &name, &mut warnings);
        for w in &warnings {
            eprintln!("{w}");
        }
        let native = match exists {
            Ok(found) => found,
            Err(InstallError::Linked(_) | InstallError::Masked(_)) => true,
            Err(InstallError::TransientOrGenerated(_)) => true,
            Err(e) => {
                return Err(Failed::new(
                    Exit::Failure,
                    format!("Failed to look up unit file state: {}", e.errno_text()),
                ))
            }
        };
        if (native && verb == SysvVerb::IsEnabled) || sysv::script_for(&ctx.lookup, &name).is_none()
        {
            remaining.push(name);
            continue;
        }
        let outcome = sysv::handle(&ctx.lookup, verb, &name, native)
            .map_err(|e| Failed::new(Exit::Failure, e.to_string()))?;
        if !ctx.opts.quiet {
            for m in &outcome.messages {
                eprintln!("{m}");
            }
        }
        if verb == SysvVerb::IsEnabled {
            if !ctx.opts.quiet {
                println!(
                    "{}",
                    if outcome.success {
                        "enabled"
                    } else {
                        "disabled"
                    }
                );
            }
            enabled |= outcome.success;
        } else if !outcome.success {
            return Err(silent_failure());
        }
        if native {
            remaining.push(name);
        }
    }
    Ok((remaining, enabled))
}

/// The end of every change-making verb: print, then exit 1 on failure.
fn report(ctx: &Ctx, verb: &str, outcome: &Outcome) -> VerbResult {
    dump_changes(verb, outcome, ctx.opts.quiet);
    match outcome.result {
        Ok(_) => Ok(Exit::Success),
        Err(_) => Err(silent_failure()),
    }
}

fn enable_like(ctx: &Ctx, args: &[String], verb: &str) -> VerbResult {
    let names = mangle_names(ctx, args, UnitType::Service, &format!("to {verb}"))?;
    let sysv_verb = match verb {
        "enable" => Some(SysvVerb::Enable),
        "disable" => Some(SysvVerb::Disable),
        _ => None,
    };
    let names = match sysv_verb {
        Some(v) => sysv_units(ctx, v, names)?.0,
        None => names,
    };
    if names.is_empty() {
        return Ok(Exit::Success);
    }
    let from_manager = manager_answers(ctx);
    if from_manager && matches!(verb, "mask" | "unmask") {
        notice_unknown_units(ctx, &names);
    }
    let lookup = &ctx.lookup;
    let f = flags(ctx);
    let outcome = match verb {
        "enable" => install::enable(lookup, f, &names),
        "reenable" => install::reenable(lookup, f, &names),
        "disable" => {
            if names.iter().any(|n| n.contains('/')) {
                eprintln!("Warning: Can't execute disable on the unit file path. Proceeding with the unit name.");
            }
            let bases: Vec<String> = names
                .iter()
                .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
                .collect();
            install::disable(lookup, f, &bases)
        }
        "mask" => install::mask(lookup, f, &names),
        "unmask" => install::unmask(lookup, f, &names),
        "revert" => install::revert(lookup, &names),
        "preset" => install::preset(lookup, f, &names, preset_mode(ctx)),
        _ => {
            if let Some(bad) = names.iter().find(|n| !n.starts_with('/')) {
                return Err(Failed::new(
                    Exit::Failure,
                    format!("Non-absolute paths are not allowed when --root is used: {bad}"),
                ));
            }
            install::link(lookup, f, &names)
        }
    };
    let exit = if from_manager {
        report_from_manager(ctx, &format!("{verb} unit"), &outcome)?
    } else {
        report(ctx, verb, &outcome)?
    };
    if matches!(verb, "enable" | "reenable") && matches!(outcome.result, Ok(0)) {
        eprintln!("{NO_INSTALL_CONFIG}");
    }
    // As systemctl does after changing unit files (unless --no-reload): a running manager
    // reloads, so a mask or a new link takes effect at once.
    if ctx.opts.root.is_none() && !ctx.opts.no_reload && outcome.result.is_ok() {
        super::runtime::reload_running_manager();
    }
    // The runtime half of --now: start (or stop) the units, which takes a manager.
    let runtime_verb = match verb {
        "enable" | "reenable" => Some("start"),
        "disable" | "mask" => Some("stop"),
        _ => None,
    };
    match runtime_verb {
        Some(runtime) if ctx.opts.now => {
            if ctx.opts.root.is_some() || online::offline_requested() {
                return online::without_manager(runtime);
            }
            let units: Vec<String> = names
                .iter()
                .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
                .collect();
            super::runtime::run_job(ctx, runtime, &units)
        }
        _ => Ok(exit),
    }
}

fn preset_mode(ctx: &Ctx) -> PresetMode {
    match ctx.opts.preset_mode() {
        Some(CliPresetMode::EnableOnly) => PresetMode::EnableOnly,
        Some(CliPresetMode::DisableOnly) => PresetMode::DisableOnly,
        _ => PresetMode::Full,
    }
}

pub fn enable(ctx: &Ctx, args: &[String]) -> VerbResult {
    enable_like(ctx, args, "enable")
}

pub fn disable(ctx: &Ctx, args: &[String]) -> VerbResult {
    enable_like(ctx, args, "disable")
}

pub fn reenable(ctx: &Ctx, args: &[String]) -> VerbResult {
    enable_like(ctx, args, "reenable")
}

pub fn mask(ctx: &Ctx, args: &[String]) -> VerbResult {
    enable_like(ctx, args, "mask")
}

pub fn unmask(ctx: &Ctx, args: &[String]) -> VerbResult {
    enable_like(ctx, args, "unmask")
}

pub fn preset(ctx: &Ctx, args: &[String]) -> VerbResult {
    enable_like(ctx, args, "preset")
}

pub fn link(ctx: &Ctx, args: &[String]) -> VerbResult {
    enable_like(ctx, args, "link")
}

pub fn revert(ctx: &Ctx, args: &[String]) -> VerbResult {
    enable_like(ctx, args, "revert")
}

pub fn preset_all(ctx: &Ctx, _args: &[String]) -> VerbResult {
    let outcome = install::preset_all(&ctx.lookup, flags(ctx), preset_mode(ctx));
    report_either(ctx, "preset", "preset all units", &outcome)
}

/// The end of preset-all, add-wants, add-requires and set-default: offline, [`report`]; with
/// a manager running, 252's bus answer (`bus_what` completes "Failed to …"), then the reload
/// systemctl asks for after the manager changed unit files (unless --no-reload).
fn report_either(ctx: &Ctx, verb: &str, bus_what: &str, outcome: &Outcome) -> VerbResult {
    if !manager_answers(ctx) {
        return report(ctx, verb, outcome);
    }
    let exit = report_from_manager(ctx, bus_what, outcome)?;
    if !ctx.opts.no_reload {
        super::runtime::reload_running_manager();
    }
    Ok(exit)
}

pub fn is_enabled(ctx: &Ctx, args: &[String]) -> VerbResult {
    let names = mangle_names(ctx, args, UnitType::Service, "to check")?;
    let (names, mut enabled) = sysv_units(ctx, SysvVerb::IsEnabled, names)?;
    let mut found_any = enabled || names.len() < args.len();
    // With a manager running, the state comes from GetUnitFileState: the parser's warnings are
    // the manager's log, and a missing unit is its ENOENT, as 252 answers.
    let from_manager = manager_answers(ctx);
    for name in &names {
        let mut warnings = Vec::new();
        let state = install::unit_file_state_reporting(&ctx.lookup, name, &mut warnings);
        if !from_manager {
            for w in &warnings {
                eprintln!("{w}");
            }
        }
        let state = match state {
            Ok(s) => s,
            // Divergence from 252 offline, on purpose: systemd >= 254 prints "not-found" for a
            // missing unit (and exits 4 when no unit was found) instead of failing with ENOENT.
            Err(InstallError::NotFound(_)) if !from_manager => {
                if !ctx.opts.quiet {
                    println!("not-found");
                }
                continue;
            }
            Err(e) => {
                return Err(Failed::new(
                    Exit::Failure,
                    format!(
                        "Failed to get unit file state for {name}: {}",
                        e.errno_text()
                    ),
                ))
            }
        };
        found_any = true;
        enabled |= state.counts_as_enabled();
        if !ctx.opts.quiet {
            println!("{}", state.as_str());
            if ctx.opts.full {
                print_installation_links(ctx, name);
            }
        }
    }
    Ok(if enabled {
        Exit::Success
    } else if !found_any {
        Exit::Unknown
    } else {
        Exit::Failure
    })
}

/// `is-enabled --full`: the links disable would remove.
// Divergence: systemctl 252 computes these for the host's system scope whatever --root and
// --user say; we use the root and scope of the call.
fn print_installation_links(ctx: &Ctx, name: &str) {
    let f = Flags {
        runtime: ctx.opts.runtime,
        force: false,
        dry_run: true,
    };
    let outcome = install::disable(&ctx.lookup, f, &[name.to_string()]);
    for change in &outcome.changes {
        if let Change::Unlink { path } = change {
            println!("  {}", path.display());
        }
    }
}

pub fn list_unit_files(ctx: &Ctx, args: &[String]) -> VerbResult {
    let paths_lookup = &ctx.lookup;
    let mut warnings = Vec::new();
    // Load states given to --type filter by state, as systemctl sorts them into --state.
    let states: Vec<String> = ctx
        .opts
        .state
        .iter()
        .chain(
            ctx.opts
                .types
                .iter()
                .filter(|t| UnitType::parse(t).is_none()),
        )
        .cloned()
        .collect();
    let entries =
        install::list_unit_files(paths_lookup, args, &states, &mut warnings).map_err(|e| {
            Failed::new(
                Exit::Failure,
                format!("Failed to get unit file list: {}", e.errno_text()),
            )
        })?;
    for w in &warnings {
        eprintln!("{w}");
    }
    let types = ctx.opts.unit_types();
    let shown: Vec<_> = entries
        .into_iter()
        .filter(|e| {
            types.is_empty()
                || e.name
                    .rsplit('.')
                    .next()
                    .and_then(UnitType::parse)
                    .is_some_and(|t| types.contains(&t))
        })
        .collect();
    let mut presets: Option<Presets> = None;
    let mut rows = Vec::new();
    for e in &shown {
        let preset = if matches!(
            e.state,
            UnitFileState::Alias
                | UnitFileState::Static
                | UnitFileState::Generated
                | UnitFileState::Transient
        ) {
            "-".to_string()
        } else {
            // Like systemctl's preset cache, a failed read is not remembered: each unit
            // tries again, and each try repeats the warnings of the files it got through.
            if presets.is_none() {
                let mut warnings = Vec::new();
                presets = Presets::read(paths_lookup, &mut warnings).ok();
                for w in &warnings {
                    eprintln!("{w}");
                }
            }
            match presets.as_ref().map(|p| p.query(&e.name)) {
                Some(Ok((PresetAction::Disable, _))) => "disabled".into(),
                Some(Ok((action, _))) => action.as_str().to_string(),
                Some(Err(_)) | None => "n/a".into(),
            }
        };
        rows.push(vec![e.name.clone(), e.state.as_str().to_string(), preset]);
    }
    let legend = ctx.legend();
    print!(
        "{}",
        table::render(&["UNIT FILE", "STATE", "PRESET"], &rows, legend)
    );
    if legend {
        println!("\n{} unit files listed.", rows.len());
    }
    Ok(if rows.is_empty() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// install.c's get-default, its warnings first.
fn default_target(ctx: &Ctx) -> Result<String, Failed> {
    let mut warnings = Vec::new();
    let r = install::get_default(&ctx.lookup, &mut warnings);
    for w in &warnings {
        eprintln!("{w}");
    }
    r.map_err(|e| {
        Failed::new(
            Exit::Failure,
            format!("Failed to get default target: {}", e.errno_text()),
        )
    })
}

pub fn get_default(ctx: &Ctx, _args: &[String]) -> VerbResult {
    println!("{}", default_target(ctx)?);
    Ok(Exit::Success)
}

pub fn set_default(ctx: &Ctx, args: &[String]) -> VerbResult {
    let arg = args.first().map(String::as_str).unwrap_or_default();
    let name = mangle_target(ctx, arg, "set-default")?;
    let outcome = install::set_default(&ctx.lookup, &name);
    let exit = report_either(ctx, "set default", "set default target", &outcome)?;
    // systemctl reads the default back, and says so when an alias or a runtime link makes it
    // another unit than the one asked for.
    let now = default_target(ctx)?;
    if now != name {
        eprintln!("Note: \"{now}\" is the default unit (possibly a runtime override).");
    }
    Ok(exit)
}

fn add_dependency(ctx: &Ctx, args: &[String], dependency: Dependency) -> VerbResult {
    let (target, units) = args
        .split_first()
        .ok_or_else(|| Failed::new(Exit::Failure, "Too few arguments."))?;
    let target = mangle_target(ctx, target, "as target")?;
    let names = mangle_names(ctx, units, UnitType::Service, "as dependency")?;
    let outcome = install::add_dependency(&ctx.lookup, flags(ctx), &names, &target, dependency);
    report_either(ctx, "add dependency on", "add dependency", &outcome)
}

pub fn add_wants(ctx: &Ctx, args: &[String]) -> VerbResult {
    add_dependency(ctx, args, Dependency::Wants)
}

pub fn add_requires(ctx: &Ctx, args: &[String]) -> VerbResult {
    add_dependency(ctx, args, Dependency::Requires)
}

#[cfg(test)]
mod tests {
    use super::absolute;

    #[test]
    fn absolute_keeps_dotdot_like_path_simplify() {
        assert_eq!(absolute("/a//b/./c"), "/a/b/c");
        assert_eq!(absolute("/tmp/../x.service"), "/tmp/../x.service");
        assert!(Path::new(&absolute("x/y.service")).is_absolute());
    }

    use std::path::Path;
}
