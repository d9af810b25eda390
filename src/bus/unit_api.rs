//! The unit and job objects (src/core/dbus-unit.c, dbus-job.c): which unit a path names, its
//! properties (the Unit interface and its type's, as the manager's property tables give them),
//! its methods (Start(), Stop() … as the Manager's with the unit's name), and the jobs.

use zbus::zvariant::{ObjectPath, Value};

use super::dispatch::{typed_properties, Call, Session};
use super::manager_api::{self, no_such_job, path};
use super::paths::{job_path, label_escape, unit_path, UnitObject};
use super::{schema, MethodError};
use crate::ipc::protocol::{JobVerb, Reply, Request, UnitStatus};
use crate::unit::name::{UnitName, UnitType};

/// The unit an object path names (its own name, the caller's unit, or a process's).
pub fn resolve(
    call: &Call,
    session: &mut Session,
    unit: &UnitObject,
) -> Result<String, MethodError> {
    match unit {
        UnitObject::Named(name) => {
            // bus_get_unit_by_name(): a template names no unit
            match UnitName::parse(name) {
                Ok(n) if !n.is_template() => Ok(name.clone()),
                _ => Err(MethodError::invalid_args(format!(
                    "Unit name {name} is neither a valid invocation ID nor unit name."
                ))),
            }
        }
        UnitObject::Caller => unit_of_pid(call, session, 0),
        UnitObject::Pid(pid) => unit_of_pid(call, session, *pid),
    }
}

pub fn unit_type(name: &str) -> UnitType {
    UnitName::parse(name)
        .map(|n| n.unit_type())
        .unwrap_or(UnitType::Service)
}

/// GetUnitByPID(): 0 is the caller.
pub fn unit_of_pid(call: &Call, session: &mut Session, pid: u32) -> Result<String, MethodError> {
    let pid = if pid == 0 {
        u32::try_from(call.caller().pid).unwrap_or(0)
    } else {
        pid
    };
    match session.link.call(&Request::UnitOfPid { pid })? {
        Reply::UnitOfPid(Some(unit)) => Ok(unit),
        _ => Err(MethodError::new(
            "org.freedesktop.systemd1.NoUnitForPID",
            format!("PID {pid} does not belong to any loaded unit."),
        )),
    }
}

/// GetUnit(): the path of a unit the manager has loaded.
pub fn loaded_unit_path(
    _call: &Call,
    session: &mut Session,
    name: &str,
) -> Result<ObjectPath<'static>, MethodError> {
    manager_api::valid_name(name)?;
    let Reply::Units(units) = session.link.call(&Request::ListUnits)? else {
        return Err(MethodError::failed("Unexpected answer from the manager."));
    };
    match units.iter().find(|u| u.id == name) {
        Some(u) => Ok(path(unit_path(&u.id))),
        None => {
            let status = statuses(session, &[name.to_string()])?;
            match status.first() {
                Some(u) if u.load_state_word() == "loaded" && u.id != name => {
                    Ok(path(unit_path(&u.id)))
                }
                _ => Err(MethodError::new(
                    "org.freedesktop.systemd1.NoSuchUnit",
                    format!("Unit {name} not loaded."),
                )),
            }
        }
    }
}

pub fn statuses(session: &mut Session, names: &[String]) -> Result<Vec<UnitStatus>, MethodError> {
    let request = Request::Units {
        units: names.to_vec(),
        from_others: false,
    };
    match session.link.call(&request)? {
        Reply::Units(units) => Ok(units),
        _ => Err(MethodError::failed("Unexpected answer from the manager.")),
    }
}

/// GetUnitProcesses(): (control group, pid, command line) of each process of the unit.
pub fn processes(
    _call: &Call,
    session: &mut Session,
    name: &str,
) -> Result<Vec<(String, u32, String)>, MethodError> {
    let status = statuses(session, &[name.to_string()])?;
    let Some(u) = status.first() else {
        return Ok(Vec::new());
    };
    // the unit's ControlGroup= as its properties give it (its slice's path, not a guess)
    let request = Request::Properties {
        units: vec![u.id.clone()],
        asked: vec!["ControlGroup".into()],
    };
    let group = match session.link.call(&request)? {
        Reply::Properties(all) => all
            .into_iter()
            .flatten()
            .find(|p| p.name == "ControlGroup")
            .map(|p| p.value)
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok(u.processes
        .iter()
        .map(|(pid, cmdline)| {
            (
                group.clone(),
                u32::try_from(*pid).unwrap_or(0),
                cmdline.clone(),
            )
        })
        .collect())
}

/// The unit object's properties on `interface` (all when empty).
pub fn properties(
    session: &mut Session,
    name: &str,
    interface: &str,
    only: Option<&str>,
) -> Result<Vec<(String, Value<'static>)>, MethodError> {
    let request = Request::Properties {
        units: vec![name.to_string()],
        asked: only.map(|o| vec![o.to_string()]).unwrap_or_default(),
    };
    let Reply::Properties(mut all) = session.link.call(&request)? else {
        return Err(MethodError::failed("Unexpected answer from the manager."));
    };
    let props = all.pop().unwrap_or_default();
    let kind = unit_type(name);
    let defaults = super::defaults::unit(kind);
    typed_properties(
        &schema::unit(kind).interfaces,
        defaults,
        interface,
        only,
        &props,
    )
}

/// The Unit interface's methods (and those the type interfaces share with it).
pub fn call(call: &Call, session: &mut Session, name: &str) -> Result<(), MethodError> {
    let verb = match call.member.as_str() {
        "Start" => Some(JobVerb::Start),
        "Stop" => Some(JobVerb::Stop),
        "Reload" => Some(JobVerb::Reload),
        "Restart" => Some(JobVerb::Restart),
        "TryRestart" => Some(JobVerb::TryRestart),
        "ReloadOrRestart" => Some(JobVerb::ReloadOrRestart),
        "ReloadOrTryRestart" => Some(JobVerb::ReloadOrTryRestart),
        _ => None,
    };
    if let Some(verb) = verb {
        let (mode,): (String,) = call.args()?;
        return manager_api::queue_job(call, session, name, verb, &mode);
    }
    match call.member.as_str() {
        "Kill" => {
            let (whom, signal): (String, i32) = call.args()?;
            manager_api::kill(call, session, name.to_string(), &whom, signal)?;
            call.reply(&())
        }
        "ResetFailed" => {
            manager_api::reset_failed(call, session, vec![name.to_string()])?;
            call.reply(&())
        }
        "GetProcesses" => call.reply(&(processes(call, session, name)?,)),
        "SetProperties" => {
            type Properties = Vec<(String, zbus::zvariant::OwnedValue)>;
            let (runtime, properties): (bool, Properties) = call.args()?;
            super::set_property::set(call, session, name, runtime, properties)
        }
        _ => Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
}

/// ListJobs()'s element: id, unit, type, state, job path, unit path.
pub type JobEntry = (
    u32,
    String,
    String,
    String,
    ObjectPath<'static>,
    ObjectPath<'static>,
);

pub fn list_jobs(session: &mut Session) -> Result<Vec<JobEntry>, MethodError> {
    let Reply::JobList(jobs) = session.link.call(&Request::ListJobs)? else {
        return Err(MethodError::failed("Unexpected answer from the manager."));
    };
    Ok(jobs
        .into_iter()
        .map(|j| {
            (
                j.id,
                j.unit.clone(),
                j.kind.as_str().to_string(),
                j.state.as_str().to_string(),
                path(job_path(j.id)),
                path(unit_path(&j.unit)),
            )
        })
        .collect())
}

pub fn cancel_job(call: &Call, session: &mut Session, id: u32) -> Result<(), MethodError> {
    match session.link.ask(call.caller(), &Request::CancelJob { id }) {
        Err(e) if e.message.contains("does not exist") => Err(no_such_job(id)),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    }
}

/// The Job object's methods.
pub fn job_call(call: &Call, session: &mut Session, id: u32) -> Result<(), MethodError> {
    match call.member.as_str() {
        "Cancel" => {
            cancel_job(call, session, id)?;
            call.reply(&())
        }
        "GetAfter" | "GetBefore" => {
            let none: Vec<(u32, String, String, String, ObjectPath, ObjectPath)> = Vec::new();
            call.reply(&(none,))
        }
        _ => Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
}

pub fn job_properties(
    session: &mut Session,
    id: u32,
    interface: &str,
) -> Result<Vec<(String, Value<'static>)>, MethodError> {
    let job = list_jobs(session)?
        .into_iter()
        .find(|j| j.0 == id)
        .ok_or_else(|| MethodError::unknown_object(&job_path(id)))?;
    if !interface.is_empty() && interface != schema::JOB_INTERFACE {
        return Ok(Vec::new());
    }
    let unit = zbus::zvariant::StructureBuilder::new()
        .add_field(job.1.clone())
        .add_field(job.5.clone())
        .build()
        .map_err(|e| MethodError::failed(e.to_string()))?;
    let details: Vec<(String, String)> = Vec::new();
    Ok(vec![
        ("Id".into(), Value::U32(job.0)),
        ("Unit".into(), Value::Structure(unit)),
        ("JobType".into(), Value::from(job.2)),
        ("State".into(), Value::from(job.3)),
        ("ActivationDetails".into(), Value::from(details)),
    ])
}

/// The children of …/unit: every loaded unit's label.
pub fn unit_labels(session: &mut Session) -> Result<Vec<String>, MethodError> {
    let Reply::Units(units) = session.link.call(&Request::ListUnits)? else {
        return Err(MethodError::failed("Unexpected answer from the manager."));
    };
    Ok(units.iter().map(|u| label_escape(&u.id)).collect())
}

/// The children of …/job: every queued job's number.
pub fn job_labels(session: &mut Session) -> Result<Vec<String>, MethodError> {
    Ok(list_jobs(session)?
        .iter()
        .map(|j| j.0.to_string())
        .collect())
}
