//! Bus activation (src/core/dbus.c `signal_activation_request()`): dbus-daemon, started with
//! `--systemd-activation`, asks for the unit a D-Bus service file names in `SystemdService=`
//! with the ActivationRequest signal; the unit's start job is queued, and a failure, whether
//! the job could not be queued or ended without success, is told to dbus-daemon at once with
//! ActivationFailure, which fails the waiting callers instead of leaving them to its timeout.

use zbus::blocking::Connection;
use zbus::Message;

use super::link::ManagerLink;
use super::signals::{failed, Listeners};
use crate::ipc::protocol::{JobMode, JobOutcome, JobVerb, Reply, Request};
use crate::unit::job::JobResult;

pub const ACTIVATOR_INTERFACE: &str = "org.freedesktop.systemd1.Activator";

/// Whether `msg` is dbus-daemon's ActivationRequest; if so it is acted on.
pub fn handle(
    conn: &Connection,
    msg: &Message,
    link: &mut ManagerLink,
    listeners: &Listeners,
) -> bool {
    let header = msg.header();
    let is_request = header
        .interface()
        .is_some_and(|i| i.as_str() == ACTIVATOR_INTERFACE)
        && header
            .member()
            .is_some_and(|m| m.as_str() == "ActivationRequest");
    if !is_request {
        return false;
    }
    // only the bus itself may ask
    if header
        .sender()
        .is_some_and(|s| s.as_str() != "org.freedesktop.DBus")
    {
        return true;
    }
    let Ok((unit,)) = msg.body().deserialize::<(String,)>() else {
        return true;
    };
    let request = Request::Job {
        verb: JobVerb::Start,
        units: vec![unit.clone()],
        no_block: true,
        mode: JobMode::Replace,
    };
    match link.call(&request) {
        Ok(Reply::Jobs(outcomes)) => match outcomes.into_iter().next() {
            Some(JobOutcome::Queued { job, .. }) => {
                listeners
                    .activations
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(job, unit);
            }
            Some(JobOutcome::Refused { message, .. }) => {
                let name = if message.contains("not found") {
                    "org.freedesktop.systemd1.NoSuchUnit"
                } else {
                    "org.freedesktop.DBus.Error.Failed"
                };
                failure(conn, &unit, name, &message);
            }
            _ => {}
        },
        Ok(_) => {}
        Err(e) => failure(conn, &unit, &e.name, &e.message),
    }
    true
}

/// A job of an activation ended: if it failed, dbus-daemon hears of it.
pub fn job_removed(listeners: &Listeners, id: u32, unit: &str, result: JobResult) {
    let activated = listeners
        .activations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    if activated.is_none() || !failed(result) {
        return;
    }
    let bus = listeners
        .bus
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if let Some(conn) = bus {
        let message = format!("Job for {unit} failed with result '{}'.", result.as_str());
        failure(&conn, unit, "org.freedesktop.systemd1.JobFailed", &message);
    }
}

fn failure(conn: &Connection, unit: &str, name: &str, message: &str) {
    let _ = conn.emit_signal(
        Some("org.freedesktop.DBus"),
        "/org/freedesktop/systemd1",
        ACTIVATOR_INTERFACE,
        "ActivationFailure",
        &(unit, name, message),
    );
}
