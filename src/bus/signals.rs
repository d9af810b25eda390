//! The manager's events as systemd's signals (src/core/dbus-job.c, dbus-unit.c, dbus-manager.c's
//! send functions): JobNew, JobRemoved, UnitNew, UnitRemoved, Reloading and StartupFinished on
//! the Manager object, PropertiesChanged on a unit's object when its state changed. Sent on
//! every private connection and broadcast on the system bus.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zbus::blocking::Connection;
use zbus::zvariant::Value;

use super::link::ManagerLink;
use super::manager_api::path;
use super::paths::{job_path, unit_path, MANAGER_PATH};
use super::schema::{MANAGER_INTERFACE, PROPERTIES_INTERFACE, UNIT_INTERFACE};
use crate::ipc::protocol::{ManagerEvent, Reply, Request};
use crate::unit::job::JobResult;

/// The connections signals go to, by a number of their own.
#[derive(Clone, Default)]
pub struct Listeners {
    connections: Arc<Mutex<Vec<(u64, Connection)>>>,
    next: Arc<Mutex<u64>>,
    /// Jobs started by bus activation, by number, with the unit: their failure is told to
    /// dbus-daemon at once (see `activation.rs`).
    pub activations: Arc<Mutex<HashMap<u32, String>>>,
    /// The system bus connection, while there is one.
    pub bus: Arc<Mutex<Option<Connection>>>,
}

impl Listeners {
    pub fn add(&self, connection: Connection) -> u64 {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        *next += 1;
        let id = *next;
        self.lock().push((id, connection));
        id
    }

    pub fn remove(&self, id: u64) {
        self.lock().retain(|(i, _)| *i != id);
    }

    pub fn count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Connection)>> {
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit<B>(&self, object: &str, interface: &str, member: &str, body: &B)
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        let connections: Vec<Connection> = self.lock().iter().map(|(_, c)| c.clone()).collect();
        for c in connections {
            let _ = c.emit_signal(None::<&str>, object, interface, member, body);
        }
    }
}

/// The Unit interface's properties a change of state is announced with (those systemd marks
/// EMITS_CHANGE that change with the state).
const CHANGED_ON_STATE: [&str; 10] = [
    "ActiveState",
    "SubState",
    "LoadState",
    "Job",
    "ActiveEnterTimestamp",
    "ActiveExitTimestamp",
    "InactiveEnterTimestamp",
    "InactiveExitTimestamp",
    "StateChangeTimestamp",
    "InvocationID",
];

/// Pass one event on.
pub fn send(listeners: &Listeners, link: &mut ManagerLink, event: &ManagerEvent) {
    match event {
        ManagerEvent::JobNew { id, unit } => listeners.emit(
            MANAGER_PATH,
            MANAGER_INTERFACE,
            "JobNew",
            &(*id, path(job_path(*id)), unit.as_str()),
        ),
        ManagerEvent::JobRemoved { id, unit, result } => {
            listeners.emit(
                MANAGER_PATH,
                MANAGER_INTERFACE,
                "JobRemoved",
                &(*id, path(job_path(*id)), unit.as_str(), result.as_str()),
            );
            super::activation::job_removed(listeners, *id, unit, *result);
        }
        ManagerEvent::UnitNew { unit } => listeners.emit(
            MANAGER_PATH,
            MANAGER_INTERFACE,
            "UnitNew",
            &(unit.as_str(), path(unit_path(unit))),
        ),
        ManagerEvent::UnitRemoved { unit } => listeners.emit(
            MANAGER_PATH,
            MANAGER_INTERFACE,
            "UnitRemoved",
            &(unit.as_str(), path(unit_path(unit))),
        ),
        ManagerEvent::UnitChanged { unit } => unit_changed(listeners, link, unit),
        ManagerEvent::Reloading { active } => {
            listeners.emit(MANAGER_PATH, MANAGER_INTERFACE, "Reloading", &(*active,))
        }
        ManagerEvent::StartupFinished { userspace_usec } => listeners.emit(
            MANAGER_PATH,
            MANAGER_INTERFACE,
            "StartupFinished",
            &(0u64, 0u64, 0u64, 0u64, *userspace_usec, *userspace_usec),
        ),
    }
}

fn unit_changed(listeners: &Listeners, link: &mut ManagerLink, unit: &str) {
    if listeners.count() == 0 {
        return;
    }
    let request = Request::Properties {
        units: vec![unit.to_string()],
        asked: CHANGED_ON_STATE.iter().map(|s| s.to_string()).collect(),
    };
    let Ok(Reply::Properties(mut all)) = link.call(&request) else {
        return;
    };
    let props = all.pop().unwrap_or_default();
    let kind = super::unit_api::unit_type(unit);
    let Ok(values) = super::dispatch::typed_properties(
        &super::schema::unit(kind).interfaces,
        super::defaults::unit(kind),
        UNIT_INTERFACE,
        None,
        &props,
    ) else {
        return;
    };
    let changed: HashMap<String, Value> = values
        .into_iter()
        .filter(|(name, _)| CHANGED_ON_STATE.contains(&name.as_str()))
        .collect();
    let invalidated: Vec<String> = Vec::new();
    listeners.emit(
        &unit_path(unit),
        PROPERTIES_INTERFACE,
        "PropertiesChanged",
        &(UNIT_INTERFACE, changed, invalidated),
    );
}

/// Whether a job's result is a failure dbus-daemon must hear of.
pub fn failed(result: JobResult) -> bool {
    !matches!(result, JobResult::Done | JobResult::Skipped)
}
