//! org.freedesktop.login1 as much as a container needs of systemd-logind (src/login/
//! logind-dbus.c, logind-session-dbus.c, logind-user-dbus.c): served by the manager on the
//! system bus, beside org.freedesktop.systemd1.

use zbus::blocking::Connection;
use zbus::Message;

/// logind's state, kept by the bus thread.
#[derive(Default)]
pub struct Logind {}

impl Logind {
    /// The system bus was (re)connected.
    pub fn on_connect(&mut self, _conn: &Connection) {}

    /// Whether `msg` was login1's (and was answered).
    pub fn handle(&mut self, _conn: &Connection, _msg: &Message) -> bool {
        false
    }
}
