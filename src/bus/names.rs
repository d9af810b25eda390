//! Who owns which name on the system bus, for Type=dbus services (src/core/dbus.c's name
//! watching, service.c `service_bus_name_owner_change()`): NameOwnerChanged passed on to the
//! manager.

use zbus::blocking::Connection;
use zbus::Message;

use super::link::ManagerLink;

/// The bus came up: watch every name's owner.
pub fn watch(_conn: &Connection, _link: &mut ManagerLink) {}

/// Whether `msg` was a change of a name's owner (passed on to the manager).
pub fn handle(_msg: &Message, _link: &mut ManagerLink) -> bool {
    false
}

/// The bus went away: no name has an owner now.
pub fn bus_gone(_link: &mut ManagerLink) {}
