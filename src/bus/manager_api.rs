//! org.freedesktop.systemd1.Manager's methods and properties (src/core/dbus-manager.c): each
//! method one request to the manager, its answer in the method's D-Bus types.

use zbus::zvariant::{ObjectPath, Value};

use super::dispatch::{typed_properties, Call, Session};
use super::paths::{job_path, unit_path};
use super::{schema, unit_api, unit_files, MethodError};
use crate::ipc::protocol::{
    JobMode, JobOutcome, JobVerb, KillWhom, Reply, Request, ShutdownAction, UnitStatus,
};
use crate::unit::name::UnitName;

/// An object path we made (always valid).
pub fn path(p: String) -> ObjectPath<'static> {
    ObjectPath::try_from(p).unwrap_or_else(|_| ObjectPath::from_static_str_unchecked("/"))
}

/// ListUnits()'s element: name, description, load, active and sub state, following, unit
/// path, job id, job type, job path.
pub type UnitEntry = (
    String,
    String,
    String,
    String,
    String,
    String,
    ObjectPath<'static>,
    u32,
    String,
    ObjectPath<'static>,
);

pub fn unit_entry(u: &UnitStatus) -> UnitEntry {
    let (job_id, job_type, job) = match u.job {
        Some(kind) if u.job_id > 0 => (u.job_id, kind.as_str().to_string(), job_path(u.job_id)),
        _ => (0, String::new(), "/".to_string()),
    };
    // unit_description(): the name where there is no description
    let description = if u.description.is_empty() {
        u.id.clone()
    } else {
        u.description.clone()
    };
    (
        u.id.clone(),
        description,
        u.load_state_word().to_string(),
        u.active_state.as_str().to_string(),
        u.sub_state.clone(),
        String::new(),
        path(unit_path(&u.id)),
        job_id,
        job_type,
        path(job),
    )
}

pub fn call(call: &Call, session: &mut Session) -> Result<(), MethodError> {
    let member = call.member.as_str();
    if let Some(verb) = job_verb(member.strip_suffix("Unit").unwrap_or("")) {
        let (name, mode): (String, String) = call.args()?;
        return queue_job(call, session, &name, verb, &mode);
    }
    match member {
        "GetUnit" => {
            let (name,): (String,) = call.args()?;
            let path = unit_api::loaded_unit_path(call, session, &name)?;
            call.reply(&(path,))
        }
        "LoadUnit" => {
            let (name,): (String,) = call.args()?;
            valid_name(&name)?;
            call.reply(&(path(unit_path(&name)),))
        }
        "GetUnitByPID" => {
            let (pid,): (u32,) = call.args()?;
            let unit = unit_api::unit_of_pid(call, session, pid)?;
            call.reply(&(path(unit_path(&unit)),))
        }
        "GetUnitProcesses" => {
            let (name,): (String,) = call.args()?;
            call.reply(&(unit_api::processes(call, session, &name)?,))
        }
        "KillUnit" => {
            let (name, whom, signal): (String, String, i32) = call.args()?;
            kill(call, session, name, &whom, signal)?;
            call.reply(&())
        }
        "ResetFailedUnit" => {
            let (name,): (String,) = call.args()?;
            reset_failed(call, session, vec![name])?;
            call.reply(&())
        }
        "ResetFailed" => {
            reset_failed(call, session, Vec::new())?;
            call.reply(&())
        }
        "ListUnits" => call.reply(&(list_units(session, &[], &[])?,)),
        "ListUnitsFiltered" => {
            let (states,): (Vec<String>,) = call.args()?;
            call.reply(&(list_units(session, &states, &[])?,))
        }
        "ListUnitsByPatterns" => {
            let (states, patterns): (Vec<String>, Vec<String>) = call.args()?;
            call.reply(&(list_units(session, &states, &patterns)?,))
        }
        "ListUnitsByNames" => {
            let (names,): (Vec<String>,) = call.args()?;
            let units = unit_api::statuses(session, &names)?;
            let entries: Vec<UnitEntry> = units.iter().map(unit_entry).collect();
            call.reply(&(entries,))
        }
        "StartTransientUnit" => super::transient::start(call, session),
        "SetUnitProperties" => {
            type Properties = Vec<(String, zbus::zvariant::OwnedValue)>;
            let (name, runtime, properties): (String, bool, Properties) = call.args()?;
            super::set_property::set(call, session, &name, runtime, properties)
        }
        "ListJobs" => call.reply(&(unit_api::list_jobs(session)?,)),
        "GetJob" => {
            let (id,): (u32,) = call.args()?;
            if !unit_api::list_jobs(session)?.iter().any(|j| j.0 == id) {
                return Err(no_such_job(id));
            }
            call.reply(&(path(job_path(id)),))
        }
        "CancelJob" => {
            let (id,): (u32,) = call.args()?;
            unit_api::cancel_job(call, session, id)?;
            call.reply(&())
        }
        "ClearJobs" => {
            for (id, ..) in unit_api::list_jobs(session)? {
                unit_api::cancel_job(call, session, id)?;
            }
            call.reply(&())
        }
        "SetEnvironment" | "UnsetEnvironment" | "UnsetAndSetEnvironment" => {
            let (unset, set) = match member {
                "SetEnvironment" => (Vec::new(), call.args::<(Vec<String>,)>()?.0),
                "UnsetEnvironment" => (call.args::<(Vec<String>,)>()?.0, Vec::new()),
                _ => call.args::<(Vec<String>, Vec<String>)>()?,
            };
            let request = Request::SetEnvironment { unset, set };
            session
                .link
                .ask(call.caller(), &request)
                .map_err(|e| match e.name.as_ref() {
                    "org.freedesktop.DBus.Error.Failed" => MethodError::invalid_args(e.message),
                    _ => e,
                })?;
            call.reply(&())
        }
        // signals go to every connection whether it subscribed or not (systemd does so on
        // its private socket; on the bus they are broadcast)
        "Subscribe" | "Unsubscribe" => call.reply(&()),
        "Reload" | "Reexecute" => {
            session.link.ask(call.caller(), &Request::DaemonReload)?;
            call.reply(&())
        }
        "Exit" | "Halt" | "PowerOff" | "Reboot" | "KExec" => {
            let action = match member {
                "Exit" => ShutdownAction::Exit,
                "Halt" => ShutdownAction::Halt,
                "Reboot" | "KExec" => ShutdownAction::Reboot,
                _ => ShutdownAction::Poweroff,
            };
            let request = Request::Shutdown {
                action,
                exit_code: None,
            };
            session.link.ask(call.caller(), &request)?;
            call.reply(&())
        }
        _ => unit_files::call(call, session),
    }
}

fn job_verb(name: &str) -> Option<JobVerb> {
    Some(match name {
        "Start" => JobVerb::Start,
        "Stop" => JobVerb::Stop,
        "Reload" => JobVerb::Reload,
        "Restart" => JobVerb::Restart,
        "TryRestart" => JobVerb::TryRestart,
        "ReloadOrRestart" => JobVerb::ReloadOrRestart,
        "ReloadOrTryRestart" => JobVerb::ReloadOrTryRestart,
        _ => return None,
    })
}

/// A name that names a unit: valid, and not a template (bus_load_unit_by_name()).
pub fn valid_name(name: &str) -> Result<UnitName, MethodError> {
    match UnitName::parse(name) {
        Ok(n) if n.is_template() => Err(MethodError::invalid_args(format!(
            "Unit name {name} is neither a valid invocation ID nor unit name."
        ))),
        Ok(n) => Ok(n),
        Err(_) => Err(MethodError::invalid_args(format!(
            "Unit name {name} is not valid."
        ))),
    }
}

/// Start/Stop/…Unit() and the Unit object's Start()/…: the job's path at once, its end later
/// as JobRemoved.
pub fn queue_job(
    call: &Call,
    session: &mut Session,
    name: &str,
    verb: JobVerb,
    mode: &str,
) -> Result<(), MethodError> {
    let mode = JobMode::parse(mode)
        .ok_or_else(|| MethodError::invalid_args(format!("Job mode {mode} invalid.")))?;
    let request = Request::Job {
        verb,
        units: vec![name.to_string()],
        no_block: true,
        mode,
    };
    let reply = session.link.ask(call.caller(), &request)?;
    job_reply(call, reply)
}

/// A job request's answer as Start…Unit() gives it: the job's path, or systemd's error.
pub fn job_reply(call: &Call, reply: Reply) -> Result<(), MethodError> {
    let Reply::Jobs(outcomes) = reply else {
        return Err(MethodError::failed("Unexpected answer from the manager."));
    };
    match outcomes.into_iter().next() {
        Some(JobOutcome::Queued { job, .. }) if job > 0 => call.reply(&(path(job_path(job)),)),
        Some(JobOutcome::Refused { message, exit, .. }) => Err(refusal(message, exit)),
        _ => Err(MethodError::failed("The manager queued no job.")),
    }
}

/// systemd's D-Bus error for a job it would not queue: the name systemctl maps to its exit
/// code, from the exit code our manager gives with the same message.
fn refusal(message: String, exit: u8) -> MethodError {
    let name = if message.contains("already loaded or has a fragment file") {
        "org.freedesktop.systemd1.UnitExists"
    } else if message.contains("or unknown property.") {
        "org.freedesktop.DBus.Error.PropertyReadOnly"
    } else if message == super::transient::SCOPES_UNSUPPORTED {
        "org.freedesktop.DBus.Error.NotSupported"
    } else if message.contains("Invalid unit name or type")
        || message.contains("does not support transient units")
        || message.starts_with("Invalid value for property")
        || message.starts_with("Unknown timer base")
        || message.starts_with("Invalid argv[0]")
    {
        "org.freedesktop.DBus.Error.InvalidArgs"
    } else if message.contains("masked") {
        "org.freedesktop.systemd1.UnitMasked"
    } else if message.contains("not applicable") {
        "org.freedesktop.systemd1.JobTypeNotApplicable"
    } else if message.contains("may not be isolated") {
        "org.freedesktop.systemd1.NoIsolation"
    } else if message.contains("destructive") {
        "org.freedesktop.systemd1.TransactionIsDestructive"
    } else if message.contains("is not valid") || message.contains("instance name") {
        "org.freedesktop.DBus.Error.InvalidArgs"
    } else if exit == 5 {
        "org.freedesktop.systemd1.NoSuchUnit"
    } else if exit == 4 {
        "org.freedesktop.DBus.Error.AccessDenied"
    } else {
        "org.freedesktop.DBus.Error.Failed"
    };
    MethodError::new(name, message)
}

pub fn no_such_job(id: u32) -> MethodError {
    MethodError::new(
        "org.freedesktop.systemd1.NoSuchJob",
        format!("Job {id} does not exist."),
    )
}

pub fn kill(
    call: &Call,
    session: &mut Session,
    name: String,
    whom: &str,
    signal: i32,
) -> Result<(), MethodError> {
    let whom = match whom {
        "main" => KillWhom::Main,
        "control" => KillWhom::Control,
        "all" | "" => KillWhom::All,
        other => {
            return Err(MethodError::invalid_args(format!(
                "Invalid who argument {other}"
            )))
        }
    };
    let request = Request::Kill {
        units: vec![name],
        whom,
        signal,
    };
    unit_errors(session.link.ask(call.caller(), &request)?)
}

pub fn reset_failed(
    call: &Call,
    session: &mut Session,
    units: Vec<String>,
) -> Result<(), MethodError> {
    unit_errors(
        session
            .link
            .ask(call.caller(), &Request::ResetFailed { units })?,
    )
}

/// A reply that may carry per-unit errors: the first, as systemd fails the method.
fn unit_errors(reply: Reply) -> Result<(), MethodError> {
    match reply {
        Reply::UnitErrors(errors) => match errors.into_iter().next() {
            Some((_, message)) if message.contains("not loaded") => Err(MethodError::new(
                "org.freedesktop.systemd1.NoSuchUnit",
                message,
            )),
            Some((_, message)) => Err(MethodError::failed(message)),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// ListUnits() and its filtered forms: units in any of `states` (load, active or sub state;
/// all when empty) whose names match one of `patterns` (all when empty).
fn list_units(
    session: &mut Session,
    states: &[String],
    patterns: &[String],
) -> Result<Vec<UnitEntry>, MethodError> {
    let Reply::Units(units) = session.link.call(&Request::ListUnits)? else {
        return Err(MethodError::failed("Unexpected answer from the manager."));
    };
    Ok(units
        .iter()
        .filter(|u| {
            states.is_empty()
                || states.iter().any(|s| {
                    s == u.load_state_word() || s == u.active_state.as_str() || *s == u.sub_state
                })
        })
        .filter(|u| {
            patterns.is_empty()
                || patterns
                    .iter()
                    .any(|p| crate::sys::glob::glob_match(p, &u.id))
        })
        .map(unit_entry)
        .collect())
}

/// The Manager object's properties.
pub fn properties(
    session: &mut Session,
    interface: &str,
    only: Option<&str>,
) -> Result<Vec<(String, Value<'static>)>, MethodError> {
    let Reply::Properties(mut all) = session.link.call(&Request::ManagerProperties)? else {
        return Err(MethodError::failed("Unexpected answer from the manager."));
    };
    let props = all.pop().unwrap_or_default();
    typed_properties(
        &schema::manager().interfaces,
        super::defaults::manager(),
        interface,
        only,
        &props,
    )
}
