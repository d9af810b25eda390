//! What the manager knows of the system bus for BusName= (the state src/core/dbus.c and
//! unit.c keep of the API bus and the names watched on it): whether the bus front end is
//! connected, which well-known names have an owner (and its PID), as last reported. What the
//! reports do to services is `bus_name.rs`'s.

use std::collections::HashMap;

use crate::ipc::protocol::BUS_NAMES_MAX;

/// The system bus's well-known names, as last reported.
#[derive(Debug, Default)]
pub(in crate::manager) struct SystemBus {
    /// The bus front end is connected (BusUp, and no BusGone since).
    pub(super) connected: bool,
    /// A BusUp arrived since the manager started: until then no owner is known.
    pub(super) known: bool,
    /// The names that have an owner, with the owner's process where the bus told it. Kept
    /// across a BusGone, as systemd keeps a unit's `bus_name_good` when its API bus goes; the
    /// next BusUp replaces it.
    pub(super) owners: HashMap<String, Option<u32>>,
    /// The journal has said once that a Type=dbus service was started without a bus.
    pub(super) told_no_bus: bool,
}

impl SystemBus {
    pub(super) fn set(&mut self, name: &str, owned: bool, pid: Option<u32>) {
        if !owned {
            self.owners.remove(name);
        } else if self.owners.len() < BUS_NAMES_MAX || self.owners.contains_key(name) {
            self.owners.insert(name.to_string(), pid);
        }
        // (a bus with more names than any real one: the rest are not kept)
    }
}
