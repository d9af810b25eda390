//! The sockets of systemd-journald that programs log through, served by the manager since there
//! is no journald:
//! - `dev-log`, the syslog(3) socket that `/dev/log` links to (systemd-journald-dev-log.socket):
//!   `logger`, glibc's syslog(), rsyslog-less daemons;
//! - `socket`, the native protocol of sd_journal_print(3): `KEY=VALUE` lines, or a key, a
//!   newline, a 64-bit little-endian length and the binary value.
//!
//! Each message goes to the journal of the unit the sender belongs to (SO_PASSCRED gives its
//! pid), as journald attributes it by cgroup. And as journald does on Debian
//! (`ForwardToSyslog=yes`), every journal entry, a service's output included, is forwarded to
//! `/run/systemd/journal/syslog` when a syslog daemon listens there (rsyslog does through
//! syslog.socket, or by itself once `/run/systemd/system` says systemd is running), in the
//! format journald forwards: `<PRI>Mmm dd hh:mm:ss IDENTIFIER[PID]: MESSAGE`.

use std::io::{self, IoSliceMut};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use nix::sys::socket::{
    recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, UnixAddr, UnixCredentials,
};
use thiserror::Error;

/// The largest datagram read; journald's is bigger, but a syslog line is cut at LINE_MAX anyway.
const DATAGRAM_MAX: usize = 64 * 1024;
/// journald's receive buffer, so a burst of messages is not dropped while the manager is busy.
const RECEIVE_BUFFER: usize = 8 * 1024 * 1024;
/// LOG_DAEMON|LOG_INFO: what journald forwards a service's output and systemd's own lines as.
pub const DAEMON_INFO: u8 = (3 << 3) | 6;

#[derive(Debug, Error)]
pub enum SyslogError {
    #[error("Failed to set up the journal socket {}: {source}", path.display())]
    Setup { path: PathBuf, source: io::Error },
    #[error("Failed to receive a log message on {}: {source}", path.display())]
    Receive {
        path: PathBuf,
        source: nix::errno::Errno,
    },
    #[error("{} is served by another journal: leaving it alone", path.display())]
    InUse { path: PathBuf },
}

/// Which of the journal's sockets a message came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Syslog,
    Native,
}

/// One message as a program logged it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The syslog priority: facility × 8 + level.
    pub priority: u8,
    pub identifier: Option<String>,
    /// The pid the message names (`tag[PID]:`, `SYSLOG_PID=`), if any.
    pub pid: Option<u32>,
    pub text: String,
}

/// A received message with the sender's credentials from the kernel.
#[derive(Debug)]
pub struct Received {
    pub sender_pid: Option<i32>,
    pub message: Message,
}

pub struct JournalSockets {
    dev_log: UnixDatagram,
    native: UnixDatagram,
    /// Unbound, for forwarding to `forward_to`.
    forwarder: UnixDatagram,
    forward_to: PathBuf,
}

impl JournalSockets {
    /// Binds `dir/dev-log` and `dir/socket` (replacing stale ones), writable by everyone as
    /// journald's are; forwards to `dir/syslog`.
    pub fn bind(dir: &Path) -> Result<JournalSockets, SyslogError> {
        let setup = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SyslogError::Setup { path, source }
        };
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(dir)
                .map_err(setup(dir))?;
        }
        // Whoever can write the directory could swap the sockets and read every log line.
        let meta = std::fs::symlink_metadata(dir).map_err(setup(dir))?;
        {
            use std::os::unix::fs::MetadataExt;
            if !meta.is_dir()
                || meta.uid() != nix::unistd::geteuid().as_raw()
                || meta.mode() & 0o022 != 0
            {
                return Err(setup(dir)(io::Error::from(io::ErrorKind::PermissionDenied)));
            }
        }
        let open = |name: &str| -> Result<UnixDatagram, SyslogError> {
            let path = dir.join(name);
            // A live socket is a real journald's (the image booted with systemd): not ours.
            if UnixDatagram::unbound().is_ok_and(|probe| probe.connect(&path).is_ok()) {
                return Err(SyslogError::InUse { path });
            }
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(setup(&path)(e)),
                _ => {}
            }
            let socket = UnixDatagram::bind(&path).map_err(setup(&path))?;
            socket.set_nonblocking(true).map_err(setup(&path))?;
            setsockopt(&socket, sockopt::PassCred, &true)
                .map_err(|e| setup(&path)(io::Error::from(e)))?;
            // Beyond rmem_max only with CAP_NET_ADMIN; the plain size is the fallback.
            if setsockopt(&socket, sockopt::RcvBufForce, &RECEIVE_BUFFER).is_err() {
                let _ = setsockopt(&socket, sockopt::RcvBuf, &RECEIVE_BUFFER);
            }
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666))
                .map_err(setup(&path))?;
            Ok(socket)
        };
        let forwarder = UnixDatagram::unbound().map_err(setup(dir))?;
        forwarder.set_nonblocking(true).map_err(setup(dir))?;
        Ok(JournalSockets {
            dev_log: open("dev-log")?,
            native: open("socket")?,
            forwarder,
            forward_to: dir.join("syslog"),
        })
    }

    pub fn fd(&self, protocol: Protocol) -> BorrowedFd<'_> {
        match protocol {
            Protocol::Syslog => self.dev_log.as_fd(),
            Protocol::Native => self.native.as_fd(),
        }
    }

    /// The next message on the socket of `protocol`, or `None` when none is waiting.
    pub fn receive(&self, protocol: Protocol) -> Result<Option<Received>, SyslogError> {
        let socket = match protocol {
            Protocol::Syslog => &self.dev_log,
            Protocol::Native => &self.native,
        };
        let mut buf = vec![0u8; DATAGRAM_MAX];
        let mut iov = [IoSliceMut::new(&mut buf)];
        // Room for credentials, and for fds (a memfd of a big native entry) so the kernel can
        // hand them over; they are dropped, closing them.
        let mut cmsg = nix::cmsg_space!(UnixCredentials, [i32; 16]);
        let msg = match recvmsg::<UnixAddr>(
            std::os::fd::AsRawFd::as_raw_fd(socket),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(m) => m,
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => return Ok(None),
            Err(source) => {
                return Err(SyslogError::Receive {
                    path: self.forward_to.with_file_name(match protocol {
                        Protocol::Syslog => "dev-log",
                        Protocol::Native => "socket",
                    }),
                    source,
                })
            }
        };
        let mut sender_pid = None;
        let len = msg.bytes;
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                match c {
                    ControlMessageOwned::ScmCredentials(cred) => sender_pid = Some(cred.pid()),
                    ControlMessageOwned::ScmRights(fds) => {
                        for fd in fds {
                            // SAFETY: the kernel just installed this fd for us; nobody else has it.
                            drop(unsafe {
                                <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd)
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        let bytes = &buf[..len];
        let message = match protocol {
            Protocol::Syslog => parse_syslog(bytes),
            Protocol::Native => parse_native(bytes),
        };
        Ok(Some(Received {
            sender_pid,
            message,
        }))
    }

    /// Hands a journal entry to the syslog daemon, if one listens; a full or absent one loses
    /// it, as journald's forwarding does, without stalling the manager.
    pub fn forward(
        &self,
        priority: u8,
        realtime_usec: u64,
        identifier: &str,
        pid: u32,
        text: &str,
    ) {
        if !self.forward_to.exists() {
            return;
        }
        let stamp = crate::sys::time::format_time(realtime_usec, "%h %e %T", false);
        let line = format!("<{priority}>{stamp} {identifier}[{pid}]: {text}");
        let _ = self.forwarder.send_to(line.as_bytes(), &self.forward_to);
    }
}

/// A syslog(3) datagram as journald's syslog_parse_priority(), syslog_skip_date() and
/// syslog_parse_identifier() read it: `<PRI>`, an optional `Mmm dd hh:mm:ss ` date, then
/// `IDENTIFIER[PID]: ` or `IDENTIFIER: ` when the first word ends in a colon.
pub fn parse_syslog(bytes: &[u8]) -> Message {
    let text = String::from_utf8_lossy(bytes);
    let mut rest: &str = text.trim_end_matches(['\n', '\0']);
    let mut priority = (1 << 3) | 6; // LOG_USER|LOG_INFO, as journald assumes
    if let Some((digits, tail)) = rest.strip_prefix('<').and_then(|r| r.split_once('>')) {
        if let Ok(p) = digits.parse::<u8>() {
            if digits.len() <= 3 {
                priority = p;
                rest = tail;
            }
        }
    }
    rest = skip_date(rest);
    let trimmed = rest.trim_start();
    let word_end = trimmed
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(trimmed.len());
    let word = &trimmed[..word_end];
    let (identifier, pid) = match word.strip_suffix(':') {
        Some(tag) if !tag.is_empty() => {
            rest = trimmed[word_end..].trim_start_matches([' ', '\t']);
            match tag.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
                Some((name, pid)) => (Some(name.to_string()), pid.trim().parse().ok()),
                None => (Some(tag.to_string()), None),
            }
        }
        _ => (None, None),
    };
    Message {
        priority,
        identifier,
        pid,
        text: rest.to_string(),
    }
}

/// RFC 3164's timestamp, `Mmm dd hh:mm:ss `, as syslog_skip_date() recognises it.
fn skip_date(s: &str) -> &str {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = s.as_bytes();
    let shape = |i: usize, ok: fn(u8) -> bool| b.get(i).copied().is_some_and(ok);
    let digit = |c: u8| c.is_ascii_digit();
    let looks_like_date = b.len() >= 16
        && MONTHS.iter().any(|m| s.starts_with(m))
        && shape(3, |c| c == b' ')
        && shape(4, |c| c == b' ' || c.is_ascii_digit())
        && shape(5, digit)
        && shape(6, |c| c == b' ')
        && shape(7, digit)
        && shape(8, digit)
        && shape(9, |c| c == b':')
        && shape(10, digit)
        && shape(11, digit)
        && shape(12, |c| c == b':')
        && shape(13, digit)
        && shape(14, digit)
        && shape(15, |c| c == b' ');
    if looks_like_date {
        &s[16..]
    } else {
        s
    }
}

/// A datagram of the native protocol: `KEY=VALUE\n` fields, or `KEY\n` + 64-bit LE length +
/// value + `\n` for values with newlines or binary data.
pub fn parse_native(bytes: &[u8]) -> Message {
    let mut message = Message {
        priority: DAEMON_INFO,
        ..Message::default()
    };
    let mut rest = bytes;
    while !rest.is_empty() {
        let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
            break;
        };
        let line = &rest[..nl];
        let (key, value, next): (&[u8], Vec<u8>, &[u8]) = match line.iter().position(|&c| c == b'=')
        {
            Some(eq) => (&line[..eq], line[eq + 1..].to_vec(), &rest[nl + 1..]),
            None => {
                let after = &rest[nl + 1..];
                let Some(len_bytes) = after.get(..8) else {
                    break;
                };
                let mut len = [0u8; 8];
                len.copy_from_slice(len_bytes);
                let len = u64::from_le_bytes(len) as usize;
                let Some(value) = after.get(8..8usize.saturating_add(len)) else {
                    break;
                };
                let next = after.get(8 + len + 1..).unwrap_or(&[]);
                (line, value.to_vec(), next)
            }
        };
        let value = String::from_utf8_lossy(&value).into_owned();
        match key {
            b"MESSAGE" => message.text = value,
            b"SYSLOG_IDENTIFIER" => message.identifier = Some(value),
            b"SYSLOG_PID" => message.pid = value.parse().ok(),
            b"PRIORITY" => {
                if let Ok(level) = value.parse::<u8>() {
                    message.priority = (message.priority & !7) | (level & 7);
                }
            }
            b"SYSLOG_FACILITY" => {
                if let Ok(facility) = value.parse::<u8>() {
                    message.priority = (facility.min(23) << 3) | (message.priority & 7);
                }
            }
            _ => {}
        }
        rest = next;
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_syslog_lines_give_their_tag_pid_and_text() {
        let m = parse_syslog(
            b"<13>Nov 22 14:00:00 mariadb-install-db[812]: Installing system tables\n",
        );
        assert_eq!(m.priority, 13);
        assert_eq!(m.identifier.as_deref(), Some("mariadb-install-db"));
        assert_eq!(m.pid, Some(812));
        assert_eq!(m.text, "Installing system tables");
        let m = parse_syslog(b"<14>Nov  2 04:05:06 logger: hello  world");
        assert_eq!((m.identifier.as_deref(), m.pid), (Some("logger"), None));
        assert_eq!(m.text, "hello  world");
    }

    #[test]
    fn a_line_without_tag_keeps_all_its_text() {
        let m = parse_syslog(b"<30>no tag here");
        assert_eq!(
            (m.priority, m.identifier, m.text.as_str()),
            (30, None, "no tag here")
        );
        assert_eq!(
            parse_syslog(b"plain").priority,
            14,
            "LOG_USER|LOG_INFO by default"
        );
    }

    #[test]
    fn native_entries_with_text_and_binary_fields() {
        let mut d = b"PRIORITY=3\nSYSLOG_IDENTIFIER=app\nMESSAGE\n".to_vec();
        d.extend_from_slice(&11u64.to_le_bytes());
        d.extend_from_slice(b"two\nlines!!\n");
        d.extend_from_slice(b"SYSLOG_PID=77\n");
        let m = parse_native(&d);
        assert_eq!(m.priority, (3 << 3) | 3);
        assert_eq!(m.identifier.as_deref(), Some("app"));
        assert_eq!(m.text, "two\nlines!!");
        assert_eq!(m.pid, Some(77));
    }

    #[test]
    fn forwarded_entries_reach_a_listening_syslog_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let sockets = JournalSockets::bind(dir.path()).unwrap();
        sockets.forward(DAEMON_INFO, 0, "nobody-listens", 1, "lost");
        let syslog = UnixDatagram::bind(dir.path().join("syslog")).unwrap();
        sockets.forward(DAEMON_INFO, 1_700_000_000_000_000, "web", 42, "Started.");
        let mut buf = [0u8; 256];
        let n = syslog.recv(&mut buf).unwrap();
        let line = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(line.starts_with("<30>"), "{line}");
        assert!(line.ends_with(" web[42]: Started."), "{line}");

        let client = UnixDatagram::unbound().unwrap();
        client
            .send_to(b"<12>tagged[9]: from logger", dir.path().join("dev-log"))
            .unwrap();
        let got = sockets.receive(Protocol::Syslog).unwrap().unwrap();
        assert_eq!(got.sender_pid, Some(std::process::id() as i32));
        assert_eq!(got.message.identifier.as_deref(), Some("tagged"));
        assert!(sockets.receive(Protocol::Syslog).unwrap().is_none());
    }
}
