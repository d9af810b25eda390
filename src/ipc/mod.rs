//! The control channel between `systemctl` and the manager: a unix stream socket carrying one
//! JSON document per line in each direction. The manager learns who is calling from the kernel
//! (SO_PEERCRED), as systemd's D-Bus policy does: anyone may ask, only root or the manager's own
//! uid may change state. The manager reads requests with [`frame::FrameReader`], which takes
//! at most [`REQUEST_MAX`] bytes per request; the client refuses to send more.

pub mod client;
pub mod context;
pub mod frame;
pub mod properties;
pub mod protocol;
pub mod saved_state;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use serde::de::DeserializeOwned;
use serde::Serialize;
use thiserror::Error;

/// A reply larger than this is refused by the client: no legitimate reply comes close.
pub const FRAME_MAX: usize = 16 * 1024 * 1024;

/// The largest request the manager reads; a connection sending more is closed. Requests carry
/// unit names (at most 255 bytes each, UNIT_NAME_MAX): 1 MiB holds some 25,000 names of
/// common length, every unit of a large distribution several times over (Debian's full set is
/// about 3,000). It caps what any local user can make the manager hold per connection.
pub const REQUEST_MAX: usize = 1024 * 1024;

/// Units one query (`Units`, `States`) may name. Answering costs the manager up to a few hundred
/// µs per unit, all in one turn of its loop: bounded so that no caller holds it for long. The
/// client splits a longer list over several queries ([`query_chunks`]), so no command line is
/// refused; jobs are not split (a transaction is one request) and only root may send them.
pub const UNITS_PER_REQUEST: usize = 64;

/// `units` in the slices one query each may carry.
pub fn query_chunks(units: &[String]) -> std::slice::Chunks<'_, String> {
    units.chunks(UNITS_PER_REQUEST)
}

#[derive(Debug, Error)]
pub enum IpcError {
    #[error("Failed to talk to the manager: {0}")]
    Io(#[from] io::Error),
    #[error("The manager closed the connection")]
    Closed,
    #[error("Malformed message: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("Message too large")]
    TooLarge,
    #[error("Request too large: {size} bytes, the manager takes at most {REQUEST_MAX}")]
    RequestTooLarge { size: usize },
    #[error("Failed to read the peer's credentials: {0}")]
    Credentials(nix::errno::Errno),
}

/// Who is on the other end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

impl Peer {
    /// May this peer change state of a manager running as `manager_uid`?
    pub fn may_change_state(&self, manager_uid: u32) -> bool {
        self.uid == 0 || self.uid == manager_uid
    }
}

pub fn peer_of(fd: &impl AsFd) -> Result<Peer, IpcError> {
    let c = getsockopt(fd, PeerCredentials).map_err(IpcError::Credentials)?;
    Ok(Peer {
        pid: c.pid(),
        uid: c.uid(),
        gid: c.gid(),
    })
}

/// Encode one message as a frame: compact JSON never contains a raw newline.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, IpcError> {
    let mut bytes = serde_json::to_vec(message)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Decode one frame (without its newline).
pub fn decode<T: DeserializeOwned>(frame: &[u8]) -> Result<T, IpcError> {
    Ok(serde_json::from_slice(frame)?)
}

/// Blocking client side of a connection.
pub struct Connection {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Connection {
    pub fn new(stream: UnixStream) -> Result<Connection, IpcError> {
        let writer = stream.try_clone()?;
        Ok(Connection {
            reader: BufReader::new(stream),
            writer,
        })
    }

    /// Send a request; one the manager would refuse for its size is not sent.
    pub fn send<T: Serialize>(&mut self, message: &T) -> Result<(), IpcError> {
        let bytes = encode(message)?;
        if bytes.len() > REQUEST_MAX + 1 {
            return Err(IpcError::RequestTooLarge { size: bytes.len() });
        }
        self.writer.write_all(&bytes)?;
        Ok(())
    }

    /// One request and its reply.
    pub fn call(&mut self, request: &protocol::Request) -> Result<protocol::Reply, IpcError> {
        self.send(request)?;
        self.receive()
    }

    pub fn receive<T: DeserializeOwned>(&mut self) -> Result<T, IpcError> {
        let mut line = Vec::new();
        let n = Read::by_ref(&mut self.reader)
            .take(FRAME_MAX as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(IpcError::Closed);
        }
        if line.last() != Some(&b'\n') {
            return Err(if line.len() > FRAME_MAX {
                IpcError::TooLarge
            } else {
                IpcError::Closed
            });
        }
        line.pop();
        decode(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Ping {
        text: String,
    }

    #[test]
    fn frames_cross_a_real_socket_and_carry_the_peer() {
        let (a, b) = UnixStream::pair().unwrap();
        let peer = peer_of(&b).unwrap();
        assert_eq!(peer.uid, nix::unistd::getuid().as_raw());
        assert_eq!(peer.pid, std::process::id() as i32);
        let mut client = Connection::new(a).unwrap();
        let mut server = Connection::new(b).unwrap();
        client
            .send(&Ping {
                text: "line\nbreak".into(),
            })
            .unwrap();
        let got: Ping = server.receive().unwrap();
        assert_eq!(got.text, "line\nbreak");
        drop(client);
        assert!(matches!(server.receive::<Ping>(), Err(IpcError::Closed)));
    }

    #[test]
    fn a_request_over_the_managers_limit_is_not_sent() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut client = Connection::new(a).unwrap();
        let huge = Ping {
            text: "x".repeat(REQUEST_MAX),
        };
        assert!(matches!(
            client.send(&huge),
            Err(IpcError::RequestTooLarge { .. })
        ));
        b.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 1];
        assert!((&b).read(&mut buf).is_err(), "nothing reached the manager");
    }

    #[test]
    fn only_root_or_the_managers_uid_may_change_state() {
        let p = |uid| Peer {
            pid: 1,
            uid,
            gid: 0,
        };
        assert!(p(0).may_change_state(1000));
        assert!(p(1000).may_change_state(1000));
        assert!(!p(1001).may_change_state(1000));
    }
}
