//! The bus front end's line to the manager: the manager's own control socket, on which the front
//! end is a privileged client (it runs in the manager's process, as its uid). Every method is a
//! [`Request`] answered by the manager's one request layer (src/manager/control/), so nothing a
//! request does is written twice; who may send it is decided here from the D-Bus caller's
//! credentials with the same rule the control socket applies ([`Request::changes_state`]).

use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use super::MethodError;
use crate::ipc::protocol::{Reply, Request};
use crate::ipc::{Connection, Peer};

pub struct ManagerLink {
    socket: PathBuf,
    connection: Option<Connection>,
    manager_uid: u32,
}

impl ManagerLink {
    pub fn new(socket: PathBuf, manager_uid: u32) -> ManagerLink {
        ManagerLink {
            socket,
            connection: None,
            manager_uid,
        }
    }

    /// A link of its own to the same manager, for another thread.
    pub fn another(&self) -> ManagerLink {
        ManagerLink::new(self.socket.clone(), self.manager_uid)
    }

    /// Ask the manager on behalf of `caller`: a request that changes state from a caller who may
    /// not is refused as systemd refuses it without polkit.
    pub fn ask(&mut self, caller: Peer, request: &Request) -> Result<Reply, MethodError> {
        if request.changes_state() && !caller.may_change_state(self.manager_uid) {
            return Err(MethodError::access_denied());
        }
        self.call(request)
    }

    /// Ask without a caller: the front end's own requests.
    pub fn call(&mut self, request: &Request) -> Result<Reply, MethodError> {
        // a connection the manager closed (it restarted, or timed out) is made again, once
        for _ in 0..2 {
            let connection = match self.connection.as_mut() {
                Some(c) => c,
                None => {
                    let stream = UnixStream::connect(&self.socket).map_err(MethodError::io)?;
                    self.connection
                        .insert(Connection::new(stream).map_err(MethodError::ipc)?)
                }
            };
            match connection.call(request) {
                Ok(Reply::Error(message)) => return Err(MethodError::failed(message)),
                Ok(Reply::AccessDenied) => return Err(MethodError::access_denied()),
                Ok(Reply::BusError { name, message }) => {
                    return Err(MethodError::new(name, message))
                }
                Ok(reply) => return Ok(reply),
                Err(_) => self.connection = None,
            }
        }
        Err(MethodError::failed("The service manager does not answer."))
    }

    /// A connection of its own that carries the manager's events from now on.
    pub fn subscribe(&self) -> Result<Connection, MethodError> {
        let stream = UnixStream::connect(&self.socket).map_err(MethodError::io)?;
        let mut connection = Connection::new(stream).map_err(MethodError::ipc)?;
        match connection.call(&Request::Subscribe) {
            Ok(Reply::Done) => Ok(connection),
            _ => Err(MethodError::failed("The manager refused a subscription.")),
        }
    }
}
