//! The notification socket of sd_notify(3): an AF_UNIX datagram socket whose path services get as
//! `NOTIFY_SOCKET`. Like systemd, the manager turns on SO_PASSCRED so every datagram carries the
//! sender's pid from the kernel, which is how a message is attributed to a unit and how
//! `NotifyAccess=` is enforced. One datagram is one message of newline-separated `KEY=VALUE`
//! assignments, the last newline optional; unknown keys are ignored. File descriptors sent along
//! (`FDSTORE=1`) are received and handed on.

use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixDatagram;
use std::path::Path;

use nix::sys::socket::{
    recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, UnixAddr, UnixCredentials,
};
use thiserror::Error;

/// sd_notify(3) messages are small; systemd reads at most this much of one.
pub const NOTIFY_BUFFER_MAX: usize = 4096;

/// How many datagrams the manager reads per wake. The socket is open to every local user
/// (services run as any uid), so a flood must not keep the manager from its clients, its
/// children and its other sockets: the rest waits for the next turn of the event loop, as
/// sd-event dispatches one datagram per iteration in systemd.
pub const MESSAGES_PER_WAKE: usize = 64;

#[derive(Debug, Error)]
pub enum NotifyError {
    #[error("Failed to set up the notification socket {path}: {source}")]
    Setup {
        path: String,
        source: std::io::Error,
    },
    #[error("Failed to receive a notification: {0}")]
    Receive(nix::errno::Errno),
}

/// What one datagram said, as far as the manager acts on it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NotifyMessage {
    pub ready: bool,
    pub reloading: bool,
    pub stopping: bool,
    pub status: Option<String>,
    pub errno: Option<i32>,
    pub main_pid: Option<i32>,
    pub watchdog_ping: bool,
    pub watchdog_trigger: bool,
    pub watchdog_usec: Option<u64>,
    pub extend_timeout_usec: Option<u64>,
    pub monotonic_usec: Option<u64>,
    pub fdstore: bool,
    pub fdstore_remove: bool,
    pub fd_name: Option<String>,
    /// FDPOLL=0: do not drop the stored fds when their other end hangs up.
    pub fd_no_poll: bool,
    pub barrier: bool,
}

impl NotifyMessage {
    /// Parse the text of a datagram; keys the manager does not know are ignored.
    pub fn parse(text: &str) -> NotifyMessage {
        let mut m = NotifyMessage::default();
        for line in text.split('\n') {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key {
                "READY" => m.ready = value == "1",
                "RELOADING" => m.reloading = value == "1",
                "STOPPING" => m.stopping = value == "1",
                "STATUS" => m.status = Some(value.to_string()),
                "ERRNO" => m.errno = value.parse().ok(),
                "MAINPID" => m.main_pid = value.parse().ok().filter(|p: &i32| *p > 0),
                "WATCHDOG" => match value {
                    "1" => m.watchdog_ping = true,
                    "trigger" => m.watchdog_trigger = true,
                    _ => {}
                },
                "WATCHDOG_USEC" => m.watchdog_usec = value.parse().ok(),
                "EXTEND_TIMEOUT_USEC" => m.extend_timeout_usec = value.parse().ok(),
                "MONOTONIC_USEC" => m.monotonic_usec = value.parse().ok(),
                "FDSTORE" => m.fdstore = value == "1",
                "FDSTOREREMOVE" => m.fdstore_remove = value == "1",
                "FDNAME" => m.fd_name = Some(value.to_string()),
                "FDPOLL" => m.fd_no_poll = value == "0",
                "BARRIER" => m.barrier = value == "1",
                _ => {}
            }
        }
        m
    }
}

/// A datagram with the kernel's word on who sent it.
#[derive(Debug)]
pub struct Received {
    /// The sender's pid from SCM_CREDENTIALS; `None` if the kernel attached none.
    pub sender_pid: Option<i32>,
    /// The sender's uid from SCM_CREDENTIALS.
    pub sender_uid: Option<u32>,
    pub message: NotifyMessage,
    pub fds: Vec<OwnedFd>,
}

pub struct NotifySocket {
    socket: UnixDatagram,
}

impl NotifySocket {
    /// Bind at `path`, replacing a stale socket file, non-blocking, with SO_PASSCRED.
    pub fn bind(path: &Path) -> Result<NotifySocket, NotifyError> {
        let setup = |source| NotifyError::Setup {
            path: path.display().to_string(),
            source,
        };
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(setup(e)),
            _ => {}
        }
        let socket = UnixDatagram::bind(path).map_err(setup)?;
        socket.set_nonblocking(true).map_err(setup)?;
        setsockopt(&socket, sockopt::PassCred, &true)
            .map_err(|e| setup(std::io::Error::from(e)))?;
        // Services may run as any user: every one of them must be able to send.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).map_err(setup)?;
        Ok(NotifySocket { socket })
    }

    pub fn as_raw_fd(&self) -> i32 {
        self.socket.as_raw_fd()
    }

    /// The next datagram, or `None` when none is waiting.
    pub fn receive(&self) -> Result<Option<Received>, NotifyError> {
        let mut buf = [0u8; NOTIFY_BUFFER_MAX];
        let mut iov = [IoSliceMut::new(&mut buf)];
        let mut cmsg = nix::cmsg_space!(UnixCredentials, [i32; 16]);
        let msg = match recvmsg::<UnixAddr>(
            self.socket.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(m) => m,
            Err(nix::errno::Errno::EAGAIN) => return Ok(None),
            Err(nix::errno::Errno::EINTR) => return Ok(None),
            Err(e) => return Err(NotifyError::Receive(e)),
        };
        let mut sender_pid = None;
        let mut sender_uid = None;
        let mut fds = Vec::new();
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                match c {
                    ControlMessageOwned::ScmCredentials(cred) => {
                        sender_pid = Some(cred.pid());
                        sender_uid = Some(cred.uid());
                    }
                    ControlMessageOwned::ScmRights(raw) => {
                        // SAFETY: the kernel just installed these fds in our table for us.
                        fds.extend(
                            raw.into_iter()
                                .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                        );
                    }
                    _ => {}
                }
            }
        }
        let len = msg.bytes;
        let text = String::from_utf8_lossy(&buf[..len]);
        Ok(Some(Received {
            sender_pid,
            sender_uid,
            message: NotifyMessage::parse(&text),
            fds,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_with_and_without_trailing_newline() {
        let a = NotifyMessage::parse("READY=1\nSTATUS=Up and running\nMAINPID=42");
        let b = NotifyMessage::parse("READY=1\nSTATUS=Up and running\nMAINPID=42\n");
        assert_eq!(a, b);
        assert!(a.ready);
        assert_eq!(a.status.as_deref(), Some("Up and running"));
        assert_eq!(a.main_pid, Some(42));
        let c =
            NotifyMessage::parse("X_UNKNOWN=1\nWATCHDOG=1\nEXTEND_TIMEOUT_USEC=5000000\nMAINPID=0");
        assert!(c.watchdog_ping && !c.ready);
        assert_eq!(c.extend_timeout_usec, Some(5_000_000));
        assert_eq!(c.main_pid, None, "MAINPID=0 is not a pid");
    }

    #[test]
    fn datagrams_carry_the_senders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        std::fs::write(&path, "stale").unwrap();
        let sock = NotifySocket::bind(&path).unwrap();
        assert!(sock.receive().unwrap().is_none());

        let status = std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); \
                 s.sendto(b'READY=1\\nSTATUS=hello', sys.argv[1]); print(__import__('os').getpid())",
            )
            .arg(&path)
            .output()
            .unwrap();
        let sender: i32 = String::from_utf8_lossy(&status.stdout)
            .trim()
            .parse()
            .unwrap();
        let got = sock.receive().unwrap().expect("a datagram is waiting");
        assert_eq!(got.sender_pid, Some(sender));
        assert!(got.message.ready);
        assert_eq!(got.message.status.as_deref(), Some("hello"));
    }
}
