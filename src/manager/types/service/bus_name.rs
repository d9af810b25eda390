//! BusName= on the system bus: the owners of its well-known names as the bus front end reports
//! them (`crate::bus`'s names watch), and what a change does to the services that name one,
//! service.c's `service_bus_name_owner_change()`: a Type=dbus service in `start` is up once
//! its name has an owner; a running one whose name has none is stopped (or, with
//! RemainAfterExit=, exited) by service_enter_running(); any other service without a known
//! main process takes the owner's PID as its main PID (GetConnectionUnixProcessID()).
//!
//! Where we differ: systemd waits for the name whether or not a bus runs (its
//! unit_watch_bus_name() installs the watch whenever the API bus comes up, and a Type=dbus start
//! stays in `start` until then, or until TimeoutStartSec=). We wait only while a bus runs or
//! is being started (dbus.service active or activating): the images we run in often have no
//! dbus running at all, and a service that talks to no bus must still start there. Without
//! one a Type=dbus service is started as Type=simple, which the journal says once.

use super::SubState;
use crate::ipc::protocol::{BusNameOwner, BUS_NAMES_MAX};
use crate::ipc::saved_state::ActiveState;
use crate::manager::daemon::Manager;
use crate::manager::types::service::ServiceType;
use crate::manager::unit_id::UnitId;
use crate::unit::name::UnitType;

impl Manager {
    /// The bus front end connected: every name's owner now. Each service that names one hears
    /// its owner, as systemd's GetNameOwner() for each watched name does when its API bus
    /// comes up.
    pub(in crate::manager) fn bus_up(&mut self, owners: Vec<BusNameOwner>) {
        let names = &mut self.system_bus;
        names.connected = true;
        names.known = true;
        names.owners.clear();
        for o in owners.into_iter().take(BUS_NAMES_MAX) {
            names.owners.insert(o.name, o.pid);
        }
        for i in self.bus_name_watchers(None) {
            let Some(name) = &self.units[i].settings.bus_name else {
                continue;
            };
            let owner = self.system_bus.owners.get(name).copied();
            self.bus_name_owner_change(i, owner.is_some(), owner.flatten());
        }
    }

    /// NameOwnerChanged for a well-known name (unit.c's `signal_name_owner_changed()`).
    pub(in crate::manager) fn bus_name_owner(
        &mut self,
        name: &str,
        owner: Option<&str>,
        pid: Option<u32>,
    ) {
        self.system_bus.set(name, owner.is_some(), pid);
        for i in self.bus_name_watchers(Some(name)) {
            self.bus_name_owner_change(i, owner.is_some(), pid);
        }
    }

    /// The bus front end lost the bus. Nothing changes for the services (systemd's
    /// destroy_bus() drops its watches and tells no unit); the next BusUp tells them the owners.
    pub(in crate::manager) fn bus_gone(&mut self) {
        self.system_bus.connected = false;
    }

    /// Whether a system bus runs or is on its way, for a Type=dbus start to wait for its name:
    /// the bus front end is connected, or dbus.service is up or coming up (the front end
    /// connects as soon as it is active). Only the system's manager has a bus front end.
    pub(super) fn system_bus_expected(&self) -> bool {
        if !self.ctx.is_system() {
            return false;
        }
        if self.system_bus.connected {
            return true;
        }
        self.units.lookup("dbus.service").is_some_and(|d| {
            matches!(
                self.units[d].active_state(),
                ActiveState::Active | ActiveState::Activating | ActiveState::Reloading
            )
        })
    }

    /// service.c's `bus_name_good`: the unit's BusName= has an owner. Before the bus front end
    /// first reported (a manager just started again), a name is taken as still owned, as
    /// systemd takes the state it serialized.
    pub(super) fn bus_name_good(&self, i: UnitId) -> bool {
        let Some(name) = &self.units[i].settings.bus_name else {
            return false;
        };
        !self.system_bus.known || self.system_bus.owners.contains_key(name)
    }

    /// Whether BusName= has an owner whose process runs, as a Type=dbus start begins. (An owner
    /// on file whose process is gone, the service's own before a restart, is a release not yet
    /// reported: it does not count.)
    pub(super) fn bus_name_taken(&self, i: UnitId) -> bool {
        let Some(name) = &self.units[i].settings.bus_name else {
            return false;
        };
        let pid = self.system_bus.owners.get(name).copied().flatten();
        pid.and_then(|p| i32::try_from(p).ok())
            .is_some_and(|p| crate::sys::proc::stat(p).is_some())
    }

    /// Whether this is the first Type=dbus start without a bus (then the journal says so).
    pub(super) fn first_start_without_bus(&mut self) -> bool {
        !std::mem::replace(&mut self.system_bus.told_no_bus, true)
    }

    /// The services that name `name` in BusName= (any name: None).
    fn bus_name_watchers(&self, name: Option<&str>) -> Vec<UnitId> {
        self.units
            .iter()
            .filter(|(_, u)| {
                u.config.unit_type == UnitType::Service
                    && !u.served
                    && u.settings
                        .bus_name
                        .as_deref()
                        .is_some_and(|n| name.is_none_or(|name| name == n))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// service.c's `service_bus_name_owner_change()`.
    fn bus_name_owner_change(&mut self, i: UnitId, owned: bool, pid: Option<u32>) {
        let state = self.units[i].svc.state;
        if self.units[i].settings.kind == ServiceType::Dbus {
            self.service_bus_name_changed(i, owned);
            return;
        }
        // pick_up_pid_from_bus_name(): a service up (or coming up) without a known main
        // process takes the name's owner.
        let picks_up = owned
            && self.units[i].svc.main_pid.is_none()
            && matches!(
                state,
                SubState::Start | SubState::StartPost | SubState::Running | SubState::Reload
            );
        let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) else {
            return;
        };
        // service_set_main_pid(): never PID 1 or the manager itself
        if picks_up && pid > 1 && pid != self.my_pid && crate::sys::proc::stat(pid).is_some() {
            self.set_main_pid(i, pid);
        }
    }
}
