//! The manager on D-Bus, as systemd publishes itself (src/core/dbus.c and the dbus-*.c files of
//! src/core): org.freedesktop.systemd1 with its Manager object, an object per unit and per job,
//! their properties with systemd 252's types, the signals clients wait on (JobRemoved above
//! all), and the Activator interface dbus-daemon hands bus activation to. Served on the private
//! socket systemctl uses as root (`/run/systemd/private`, peer to peer) and, while a system bus
//! runs, as the name org.freedesktop.systemd1 on it.
//!
//! Layout: `paths` (object paths), `schema` (the introspection data and property types),
//! `values` (show's words to D-Bus values), `defaults` (systemd's values for what our tables
//! do not give), `link` (the line to the manager's request layer),
//! `dispatch` (one method call to its handler, with Properties, Introspectable and Peer on
//! every object), `manager_api`, `unit_api`, `unit_files` (the interfaces' methods), `transient`
//! (StartTransientUnit()'s properties as unit-file settings, and `-p` for systemd-run),
//! `set_property` (SetUnitProperties(), and the resource-control `-p`/set-property text), `signals`
//! (the manager's events as signals), `server` (the sockets, connections and threads) and
//! `activation` (ActivationRequest), `names` (bus names' owners, for Type=dbus) and `login1`
//! (logind's API).
//!
//! The D-Bus wire format, authentication and connection handling are zbus's.

mod activation;
mod defaults;
mod dispatch;
mod link;
mod login1;
mod manager_api;
mod names;
pub mod paths;
mod schema;
mod server;
pub mod set_property;
mod signals;
pub mod transient;
mod unit_api;
mod unit_files;
mod values;

pub use server::{start, BusSettings};

/// Where systemd serves its API peer to peer for root (systemctl tries it first).
pub const PRIVATE_SOCKET: &str = "/run/systemd/private";
/// The system bus, as dbus-daemon's system.conf puts it.
pub const SYSTEM_BUS_SOCKET: &str = "/run/dbus/system_bus_socket";

use thiserror::Error;

/// A method's failure as a D-Bus error: systemd's error name and message.
#[derive(Debug, Clone, Error)]
#[error("{name}: {message}")]
pub struct MethodError {
    pub name: std::borrow::Cow<'static, str>,
    pub message: String,
}

impl MethodError {
    pub fn new(
        name: impl Into<std::borrow::Cow<'static, str>>,
        message: impl Into<String>,
    ) -> MethodError {
        MethodError {
            name: name.into(),
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> MethodError {
        MethodError::new("org.freedesktop.DBus.Error.Failed", message)
    }

    pub fn access_denied() -> MethodError {
        MethodError::new("org.freedesktop.DBus.Error.AccessDenied", "Access denied")
    }

    pub fn invalid_args(message: impl Into<String>) -> MethodError {
        MethodError::new("org.freedesktop.DBus.Error.InvalidArgs", message)
    }

    pub fn unknown_method(interface: &str, member: &str) -> MethodError {
        MethodError::new(
            "org.freedesktop.DBus.Error.UnknownMethod",
            format!("Unknown method {member} or interface {interface}."),
        )
    }

    pub fn unknown_object(path: &str) -> MethodError {
        MethodError::new(
            "org.freedesktop.DBus.Error.UnknownObject",
            format!("Unknown object '{path}'."),
        )
    }

    fn io(e: std::io::Error) -> MethodError {
        MethodError::failed(format!("Failed to reach the service manager: {e}"))
    }

    fn ipc(e: crate::ipc::IpcError) -> MethodError {
        MethodError::failed(e.to_string())
    }
}
