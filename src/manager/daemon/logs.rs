//! The log plumbing of the manager, standing in for journald's stream and datagram inputs: each
//! service's stdout/stderr through a FIFO per unit read as lines, journald's /dev/log and native
//! sockets read in bounded bursts, every line written to the log store with its unit, pid and
//! priority (systemd's src/journal/journald-stream.c and journald-native.c, as far as a manager
//! without journald needs them).

use super::super::syslog::{Protocol, DAEMON_INFO};
use super::super::tokens::*;
use crate::journal::{LineSplitter, Record, NO_UNIT};
use crate::sys::time::now_usec;
use crate::unit::name::UnitName;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;

use super::*;

impl Manager {
    /// Log a line of the manager's own about a unit, as systemd[1] does in the unit's journal.
    pub(in crate::manager) fn log_unit(&mut self, unit: &str, message: &str) {
        let record = Record {
            realtime_usec: now_usec(),
            pid: self.my_pid as u32,
            identifier: "systemd".into(),
            message: message.to_string(),
        };
        self.write_record(unit, record);
    }

    /// A line the forked child of a unit writes before it becomes the command (exec_child()'s
    /// errors): under the child's pid and the name it had then, `(daemon)` for
    /// `/usr/sbin/daemon` (rename_process_from_path(): the last 8 characters of the file name).
    pub(in crate::manager) fn log_unit_child(
        &mut self,
        unit: &str,
        pid: i32,
        path: &str,
        message: &str,
    ) {
        let file = path.rsplit('/').next().unwrap_or(path);
        let tail: String = {
            let chars: Vec<char> = file.chars().collect();
            chars[chars.len().saturating_sub(8)..].iter().collect()
        };
        let record = Record {
            realtime_usec: now_usec(),
            pid: pid.max(0) as u32,
            identifier: format!("({tail})"),
            message: message.to_string(),
        };
        self.write_record(unit, record);
    }

    fn write_record(&mut self, unit: &str, record: Record) {
        self.write_record_at(unit, record, DAEMON_INFO);
    }

    /// Messages programs logged to `/dev/log` or the native socket, each into the journal of
    /// the unit its sender belongs to (or of no unit: a command run from outside).
    pub(super) fn receive_log_messages(&mut self, protocol: Protocol) {
        // A bounded batch per wake: the sockets are everyone's, and a flood must not keep the
        // manager from its children, its clients and the notify socket. The socket stays
        // readable, so the rest comes at the next turn of the loop.
        for n in 0..LOG_MESSAGES_PER_WAKE {
            let received = match self.journal_sockets.as_ref().map(|s| s.receive(protocol)) {
                Some(Ok(Some(r))) => r,
                Some(Err(e)) => {
                    // An error that would come back at every wake: the sockets go, closed (and
                    // so unwatched), rather than the loop spinning on them.
                    eprintln!("{e}");
                    self.journal_sockets = None;
                    return;
                }
                _ => return,
            };
            if n == 0 {
                self.served_socket_traffic(protocol);
            }
            let sender = received.sender_pid.unwrap_or(0);
            let message = received.message;
            let pid = message.pid.unwrap_or(sender.max(0) as u32);
            let identifier = message.identifier.clone().unwrap_or_else(|| {
                std::fs::read_to_string(format!("/proc/{sender}/comm"))
                    .map(|c| c.trim_end().to_string())
                    .unwrap_or_else(|_| "unknown".into())
            });
            let unit = match self.unit_of_process(sender) {
                Some(i) => self.units[i].config.id.clone(),
                None => NO_UNIT.to_string(),
            };
            let record = Record {
                realtime_usec: now_usec(),
                pid,
                identifier,
                message: message.text,
            };
            self.write_record_at(&unit, record, message.priority);
        }
    }

    /// Logs `record` with its syslog priority, which only the forwarded copy keeps.
    fn write_record_at(&mut self, unit: &str, record: Record, priority: u8) {
        if let Some(sockets) = &self.journal_sockets {
            sockets.forward(
                priority,
                record.realtime_usec,
                &record.identifier,
                record.pid,
                &record.message,
            );
        }
        if self.echo {
            let mut out = std::io::stdout().lock();
            let who = if unit == NO_UNIT {
                &record.identifier
            } else {
                unit
            };
            let _ = writeln!(out, "{who}[{}]: {}", record.pid, record.message);
        }
        // A connection instance logs into its template's shared file, so a busy Accept=yes
        // socket does not leave a file behind per connection.
        let is_connection = self
            .units
            .lookup(unit)
            .is_some_and(|i| self.units[i].conn.is_some() || self.units[i].was_connection);
        let template = is_connection
            .then(|| UnitName::parse(unit).ok().and_then(|n| n.template()))
            .flatten();
        let written = match template {
            Some(t) => self.logs.append_instance(t.as_str(), unit, &record),
            None => self.logs.append(unit, &record),
        };
        if let Err(e) = written {
            eprintln!("{e}");
        }
    }

    /// Stop reading unit `id`'s output (what is already written is logged) and remove its FIFO;
    /// [`Manager::open_log_fifo`] makes both again for its next command.
    pub(in crate::manager) fn close_log(&mut self, id: &str) {
        for k in self.readers_of(id) {
            self.read_log(k);
            if let Some(r) = self.log_readers.remove(&k) {
                self.events.unwatch(r.fd.as_fd());
            }
        }
        let _ = std::fs::remove_file(fifo_dir(&self.ctx).join(id));
    }

    /// Journal what unit `id`'s commands wrote and the loop has not read yet, while the unit
    /// still names its lines (its command's name and PID): before it is collected.
    pub(in crate::manager) fn drain_log(&mut self, id: &str) {
        for k in self.readers_of(id) {
            self.read_log(k);
        }
    }

    fn readers_of(&self, id: &str) -> Vec<u64> {
        self.log_readers
            .iter()
            .filter(|(_, r)| r.unit == id)
            .map(|(k, _)| *k)
            .collect()
    }

    pub(super) fn read_log(&mut self, id: u64) {
        let mut lines = Vec::new();
        let mut unit = String::new();
        if let Some(reader) = self.log_readers.get_mut(&id) {
            let mut buf = [0u8; 16384];
            // A chatty service gets a share per wake, not the loop: epoll reports the FIFO again.
            let mut budget: usize = 256 * 1024;
            while budget > 0 {
                match nix::unistd::read(&reader.fd, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        budget = budget.saturating_sub(n);
                        lines.extend(reader.splitter.push(&buf[..n]));
                    }
                    Err(nix::errno::Errno::EINTR) => {}
                    Err(_) => break,
                }
            }
            unit = reader.unit.clone();
        }
        if lines.is_empty() {
            return;
        }
        let (pid, identifier) = match self.units.lookup(&unit) {
            Some(i) => self.units[i].log_identity(),
            None => (0, unit.clone()),
        };
        for message in lines {
            let record = Record {
                realtime_usec: now_usec(),
                pid: pid as u32,
                identifier: identifier.clone(),
                message,
            };
            self.write_record(&unit, record);
        }
    }

    /// The FIFO a unit's output goes through, opened read-write so it never reports EOF and a
    /// manager started again can reopen it: writers that lost their reader resume.
    pub(in crate::manager) fn open_log_fifo(&mut self, unit: &str) -> Option<OwnedFd> {
        let path = fifo_dir(&self.ctx).join(unit);
        if !path.exists() {
            let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
            // SAFETY: mkfifo on a NUL-terminated path.
            if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } < 0 {
                return None;
            }
        }
        if !self.log_readers.values().any(|r| r.unit == unit) {
            let read = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
                .open(&path)
                .ok()?;
            let fd = OwnedFd::from(read);
            let id = self.next_id();
            self.events.watch(fd.as_fd(), token(KIND_LOG, id)).ok()?;
            self.log_readers.insert(
                id,
                LogReader {
                    unit: unit.to_string(),
                    fd,
                    splitter: LineSplitter::default(),
                },
            );
        }
        let write = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)
            .ok()?;
        Some(OwnedFd::from(write))
    }

    /// A line of the manager's own, as systemd[1] logs without a unit.
    pub(in crate::manager) fn log_manager(&mut self, message: &str) {
        self.log_unit("systemd", message);
    }
}

/// How many log datagrams one wake of the loop takes from each journal socket.
const LOG_MESSAGES_PER_WAKE: usize = 256;
