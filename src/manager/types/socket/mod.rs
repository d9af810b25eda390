//! Socket units (systemd.socket(5), socket.c). A started `.socket` unit's listeners are held by
//! the manager: ListenStream=, ListenDatagram=, ListenSequentialPacket= on a unix path, an
//! abstract `@name`, a port, `addr:port` or `[v6]:port`; ListenFIFO=, ListenSpecial=,
//! ListenNetlink=; with SocketMode=, DirectoryMode=, SocketUser=/SocketGroup=, Backlog=, Symlinks=
//! and the socket options, a stale file at the path replaced. The socket runs the service state
//! machine with its own commands (ExecStartPre=/ExecStartPost= around opening the listeners,
//! ExecStopPre=/ExecStopPost= around closing them; see `service/transitions.rs`), its sub-states
//! named as socket.c names them.
//!
//! With Accept=no the first connection or datagram starts the service (`Service=`, else the
//! socket's own name), which gets the listeners from fd 3 on (sd_listen_fds(3)); the manager stops
//! watching them while the service runs (`running`) and watches again once it is down
//! (`listening`). With Accept=yes every connection is accepted and starts its own instance of the
//! template, named after the connection, with the connection as fd 3 (or stdin/stdout with
//! StandardInput=socket); MaxConnections= and MaxConnectionsPerSource= refuse the excess, and the
//! instance is collected once it is down. TriggerLimitIntervalSec=/TriggerLimitBurst= fail a
//! socket that is triggered too often.
//!
//! The listeners themselves, the connections and peers, and the sub-state words are in
//! `ports.rs`, which the unit table's entries hold without reaching back into the manager.

pub mod ports;

use std::fs;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::ipc::protocol::JobMode;
use crate::ipc::saved_state::ActiveState;
use crate::manager::daemon::Manager;
use crate::manager::tokens::{token, KIND_SOCKET};
use crate::manager::types::service::SubState;
use crate::manager::unit_id::UnitId;
use crate::unit::job::JobKind;
use crate::unit::model::{SocketSection, UnitConfig};
use crate::unit::name::{UnitName, UnitType};
use crate::unit::state::ServiceResult;
use ports::{
    accept, open_listener, peer_of, socket_section, unmapped, Connection, Listener, SocketError,
};

/// Connections taken per wake-up of an Accept=yes socket, so one busy socket cannot starve the
/// rest of the loop (the listener is level-triggered: what is left wakes it again).
const ACCEPTS_PER_WAKE: usize = 64;

impl Manager {
    /// Socket unit `i`'s section; `None` for another type or a unit no longer in the table (a
    /// listener's wake that outlived it).
    fn socket_config(&self, i: UnitId) -> Option<&SocketSection> {
        socket_section(&self.units.get(i)?.config.kind)
    }

    /// `socket_open_fds()`: open every Listen line of socket unit `i`; false (the reason
    /// logged) when one cannot be opened, and then none stays open.
    pub(in crate::manager) fn socket_open(&mut self, i: UnitId) -> bool {
        // The manager's journal holds a served socket's addresses: binding them again would
        // take them from it.
        if self.units[i].served {
            return true;
        }
        let Some(section) = self.socket_config(i).cloned() else {
            return true;
        };
        let mut opened: Vec<Listener> = Vec::new();
        let mut failure = None;
        for listen in &section.listen {
            match open_listener(listen, &section) {
                Ok((l, warnings)) => {
                    for w in warnings {
                        self.unit_log(i, &w);
                    }
                    opened.push(l);
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if failure.is_none() {
            if let Err(e) = self.chown_ports(&section, &opened) {
                failure = Some(e);
            }
        }
        if let Some(e) = failure {
            self.unit_log(i, &e.to_string());
            if let SocketError::Listen { source, .. } = &e {
                self.unit_log(
                    i,
                    &format!(
                        "Failed to listen on sockets: {}",
                        crate::errno::text(source)
                    ),
                );
            }
            for l in &opened {
                if let Some(p) = &l.path {
                    let _ = fs::remove_file(p);
                }
            }
            return false;
        }
        self.symlink_ports(i, &section, &opened);
        if let Some(sock) = self.units[i].socket_mut() {
            sock.ports = opened;
            sock.triggered = false;
        }
        true
    }

    /// SocketUser=/SocketGroup= on the files the unit made (socket.c's start-chown).
    fn chown_ports(&self, s: &SocketSection, ports: &[Listener]) -> Result<(), SocketError> {
        if s.socket_user.is_none() && s.socket_group.is_none() {
            return Ok(());
        }
        let err = |what: &str, e: io::Error| SocketError::Listen {
            address: what.to_string(),
            source: e,
        };
        let uid = match &s.socket_user {
            Some(u) => Some(
                self.accounts
                    .user(u)
                    .map_err(|_| err(u, io::Error::from_raw_os_error(libc::ESRCH)))?
                    .uid,
            ),
            None => None,
        };
        let gid = match &s.socket_group {
            Some(g) => Some(
                self.accounts
                    .group(g)
                    .map_err(|_| err(g, io::Error::from_raw_os_error(libc::ESRCH)))?,
            ),
            None => None,
        };
        for p in ports.iter().filter_map(|l| l.path.as_ref()) {
            std::os::unix::fs::lchown(p, uid, gid).map_err(|e| err(&p.display().to_string(), e))?;
        }
        Ok(())
    }

    /// Symlinks= to the one file the unit listens on; a link that cannot be made is a warning.
    fn symlink_ports(&mut self, i: UnitId, s: &SocketSection, ports: &[Listener]) {
        let Some(target) = ports.iter().find_map(|l| l.path.as_ref()) else {
            return;
        };
        for link in &s.symlinks {
            let link = Path::new(link);
            if let Some(parent) = link.parent() {
                let _ = fs::create_dir_all(parent);
            }
            // symlink_idempotent(): a link already right is fine, anything else there stays.
            if fs::read_link(link).is_ok_and(|t| t == *target) {
                continue;
            }
            if let Err(e) = std::os::unix::fs::symlink(target, link) {
                self.unit_log(
                    i,
                    &format!(
                        "Failed to create symlink {} → {}, ignoring: {}",
                        target.display(),
                        link.display(),
                        crate::errno::text(&e)
                    ),
                );
            }
        }
    }

    /// socket_start()'s refusals for an Accept=no socket: its service must be loaded and not
    /// running already (it would not get the listeners).
    pub(in crate::manager) fn socket_may_start(&mut self, i: UnitId) -> bool {
        let Some(name) = triggered_service_name(&self.units[i].config) else {
            return true;
        };
        let service = UnitName::parse(&name)
            .ok()
            .and_then(|n| self.loaded_index(&n))
            .filter(|&k| self.units[k].is_loaded());
        let refusal = match service {
            None => "not loaded",
            Some(k)
                if !matches!(
                    self.units[k].svc.state,
                    SubState::Dead | SubState::Failed | SubState::AutoRestart
                ) =>
            {
                "already active"
            }
            Some(_) => return true,
        };
        self.unit_log(i, &format!("Socket service {name} {refusal}, refusing."));
        let desc = self.description(i);
        self.log(i, &format!("Failed to listen on {desc}."));
        false
    }

    /// Close socket unit `i`'s listeners (and remove their files with RemoveOnStop=).
    pub(in crate::manager) fn socket_close(&mut self, i: UnitId) {
        self.watch_ports(i, false);
        let ports = self.units[i]
            .socket_mut()
            .map(|sock| {
                sock.triggered = false;
                std::mem::take(&mut sock.ports)
            })
            .unwrap_or_default();
        let Some(s) = self.socket_config(i) else {
            return;
        };
        if s.remove_on_stop {
            for p in ports.iter().filter_map(|l| l.path.as_ref()) {
                let _ = fs::remove_file(p);
            }
            for link in &s.symlinks {
                let _ = fs::remove_file(link);
            }
        }
    }

    pub(in crate::manager) fn watch_ports(&mut self, i: UnitId, on: bool) {
        let Some(sock) = self.units[i].socket() else {
            return;
        };
        for l in &sock.ports {
            if on {
                let _ = self
                    .events
                    .watch(l.fd.as_fd(), token(KIND_SOCKET, i.pack()));
            } else {
                self.events.unwatch(l.fd.as_fd());
            }
        }
    }

    /// `socket_enter_listening()`; listeners lost with an earlier manager are opened first.
    pub(in crate::manager) fn socket_enter_listening(&mut self, i: UnitId) {
        if self.ports(i).is_empty() && !self.socket_open(i) {
            self.socket_fail(i, ServiceResult::Resources);
            return;
        }
        if self.socket_config(i).is_some_and(|s| s.flush_pending) {
            self.flush_ports(i);
        }
        self.set_triggered(i, false);
        self.watch_ports(i, true);
        self.dirty = true;
    }

    /// FlushPending=: what queued up while the service ran is dropped before listening again
    /// (socket.c's `flush_ports()`): waiting connections are closed, waiting data read away.
    fn flush_ports(&mut self, i: UnitId) {
        for l in self.ports(i) {
            if l.accepting {
                while let Ok(Some(connection)) = accept(&l.fd) {
                    drop(connection);
                }
                continue;
            }
            let mut buf = [0u8; 4096];
            loop {
                // SAFETY: a non-blocking read into a buffer we own.
                let n = unsafe {
                    libc::recv(
                        l.fd.as_raw_fd(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        libc::MSG_DONTWAIT,
                    )
                };
                // A FIFO is no socket: read(2) it instead.
                let n =
                    if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOTSOCK) {
                        // SAFETY: as above; the FIFO was opened non-blocking.
                        unsafe { libc::read(l.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) }
                    } else {
                        n
                    };
                if n <= 0 {
                    break;
                }
            }
        }
    }

    /// A manager started again has adopted running sockets without their listeners, which died
    /// with the manager that held them. A socket whose service's main process still runs (it
    /// holds the old listeners) waits (`running`) until the service is down: rebinding now would
    /// take its path or port from under it. The others listen again at once, so that a service
    /// whose start was under way gets the new ones.
    pub(in crate::manager) fn reopen_adopted_sockets(&mut self) {
        for i in self.units.ids() {
            let u = &self.units[i];
            if u.config.unit_type != UnitType::Socket
                || u.svc.state != SubState::Running
                || u.socket().is_some_and(|sock| !sock.ports.is_empty())
            {
                continue;
            }
            let service_up = self
                .triggered_service(i)
                .is_some_and(|k| self.units[k].svc.main_pid.is_some_and(|p| p.is_alive()));
            if service_up {
                self.set_triggered(i, true);
            } else {
                self.socket_enter_listening(i);
            }
        }
    }

    pub(in crate::manager) fn triggered_service(&mut self, i: UnitId) -> Option<UnitId> {
        let name = UnitName::parse(&triggered_service_name(&self.units[i].config)?).ok()?;
        self.loaded_index(&name)
    }

    /// The socket units in the table that trigger service `service`: an instance's own socket,
    /// else those naming it, the one of its own name first and then those of Sockets= in order.
    pub(in crate::manager) fn triggering_sockets(&self, service: UnitId) -> Vec<UnitId> {
        let config = &self.units[service].config;
        if config.unit_type != UnitType::Service {
            return Vec::new();
        }
        if let Some(c) = &self.units[service].conn {
            return vec![c.socket];
        }
        let mut found: Vec<UnitId> = self
            .units
            .ids()
            .into_iter()
            .filter(|&k| {
                let u = &self.units[k];
                u.config.unit_type == UnitType::Socket && names_socket(config, &u.config)
            })
            .collect();
        let listed = config
            .service()
            .map(|s| s.sockets.as_slice())
            .unwrap_or(&[]);
        found.sort_by_key(|k| {
            let id = &self.units[*k].config.id;
            listed.iter().position(|n| n == id).map_or(0, |p| p + 1)
        });
        found
    }

    /// TriggeredBy= of a service that is not in the table: the sockets in it that name it.
    pub(in crate::manager) fn sockets_naming(&self, service: &UnitConfig) -> Vec<String> {
        if service.unit_type != UnitType::Service {
            return Vec::new();
        }
        self.units
            .values()
            .filter(|u| u.config.unit_type == UnitType::Socket && names_socket(service, &u.config))
            .map(|u| u.config.id.clone())
            .collect()
    }

    /// Triggers= of unit `i` as the manager knows it: an Accept=no socket's service, an
    /// Accept=yes socket's live instances.
    pub(in crate::manager) fn triggers(&self, i: UnitId) -> Vec<String> {
        let Some(s) = self.socket_config(i) else {
            return Vec::new();
        };
        if s.accept {
            return self
                .units
                .values()
                .filter(|u| u.conn.as_ref().is_some_and(|c| c.socket == i))
                .map(|u| u.config.id.clone())
                .collect();
        }
        let mut out = static_triggers(&self.units[i].config);
        let id = &self.units[i].config.id;
        for u in self.units.values() {
            if u.config.service().is_some_and(|s| s.sockets.contains(id))
                && !out.contains(&u.config.id)
            {
                out.push(u.config.id.clone());
            }
        }
        out
    }

    pub(in crate::manager) fn triggered_by(&self, i: UnitId) -> Vec<String> {
        self.triggering_sockets(i)
            .into_iter()
            .map(|k| self.units[k].config.id.clone())
            .collect()
    }

    /// Socket unit `i`'s listeners: none for a unit of another type.
    fn ports(&self, i: UnitId) -> &[Listener] {
        self.units[i]
            .socket()
            .map(|sock| sock.ports.as_slice())
            .unwrap_or_default()
    }

    /// Whether socket unit `i`'s service owns the traffic (`running`, the listeners unwatched).
    fn set_triggered(&mut self, i: UnitId, on: bool) {
        if let Some(sock) = self.units[i].socket_mut() {
            sock.triggered = on;
        }
    }

    /// One connection or activation of socket unit `i` refused: NRefused= counts it.
    fn count_refused(&mut self, i: UnitId) {
        if let Some(sock) = self.units[i].socket_mut() {
            sock.n_refused += 1;
        }
    }

    /// One more activation of socket `i`: past the trigger limit it is refused (and counted)
    /// and the socket fails with `trigger-limit-hit`.
    fn trigger_limit_hit(&mut self, i: UnitId) -> bool {
        if self.trigger_allowed(i) {
            return false;
        }
        self.unit_log(i, "Trigger limit hit, refusing further activation.");
        self.count_refused(i);
        self.socket_fail(i, ServiceResult::TriggerLimitHit);
        true
    }

    /// TriggerLimitIntervalSec=/TriggerLimitBurst=: false once the socket was triggered more
    /// often than allowed in the window.
    fn trigger_allowed(&mut self, i: UnitId) -> bool {
        let Some((interval, burst)) = self.socket_config(i).map(|s| s.trigger_limit()) else {
            return true;
        };
        if interval.0 == 0 || burst == 0 {
            return true;
        }
        let now = Instant::now();
        let Some(sock) = self.units[i].socket_mut() else {
            return true;
        };
        let window = &mut sock.trigger_window;
        match window {
            Some((start, n)) if now.duration_since(*start) < Duration::from_micros(interval.0) => {
                *n += 1;
                *n <= burst
            }
            _ => {
                *window = Some((now, 1));
                true
            }
        }
    }

    /// A listener of socket unit `i` is readable (or hung up).
    pub(in crate::manager) fn on_socket_ready(&mut self, i: UnitId, hangup: bool) {
        let Some(accept) = self.socket_config(i).map(|s| s.accept) else {
            return;
        };
        if self.units[i].svc.state != SubState::Running {
            self.watch_ports(i, false);
            return;
        }
        if hangup {
            self.unit_log(
                i,
                "Got POLLHUP on a listening socket. The service probably invoked shutdown() on it, and should better not do that.",
            );
            self.socket_fail(i, ServiceResult::Resources);
            return;
        }
        if accept {
            self.accept_connections(i);
        } else {
            self.socket_enter_running(i);
        }
    }

    fn stop_pending(&self, i: UnitId) -> bool {
        self.jobs
            .get(i)
            .is_some_and(|j| matches!(j.kind, JobKind::Stop | JobKind::Restart))
    }

    /// The socket fails while running: the stop path with `result` (socket_enter_stop_pre()).
    fn socket_fail(&mut self, i: UnitId, result: ServiceResult) {
        self.watch_ports(i, false);
        self.socket_stop_with(i, result);
    }

    /// `socket_enter_running()` without a connection (Accept=no).
    pub(in crate::manager) fn socket_enter_running(&mut self, i: UnitId) {
        if self.stop_pending(i) {
            self.watch_ports(i, false);
            return;
        }
        if self.trigger_limit_hit(i) {
            return;
        }
        // The service takes the traffic from here: stop watching, so the manager does not
        // spin on a connection only the service will accept.
        self.watch_ports(i, false);
        let Some(service) = self.triggered_service(i) else {
            self.unit_log(i, "Service to activate vanished, refusing activation.");
            self.socket_fail(i, ServiceResult::Resources);
            return;
        };
        let pending = self.jobs.has_job(service)
            || !matches!(
                self.units[service].active_state(),
                ActiveState::Inactive | ActiveState::Failed
            );
        if !pending {
            if let Err((message, _)) =
                self.run_transaction(service, JobKind::Start, JobMode::Replace, None)
            {
                self.refuse_activation(i, false, &message);
                return;
            }
        }
        self.set_triggered(i, true);
        self.dirty = true;
    }

    /// Accept=yes: take the waiting connections, each starting its own instance.
    fn accept_connections(&mut self, i: UnitId) {
        for _ in 0..ACCEPTS_PER_WAKE {
            let taken = self
                .ports(i)
                .iter()
                .filter(|l| l.accepting)
                .map(|l| accept(&l.fd))
                .find(|r| !matches!(r, Ok(None)));
            let fd = match taken {
                None => return,
                Some(Ok(Some(fd))) => fd,
                // Out of fds or memory: listening on would only spin (socket_dispatch_io()).
                Some(Err(e)) => {
                    self.unit_log(
                        i,
                        &format!("Failed to accept socket: {}", crate::errno::text(&e)),
                    );
                    self.socket_fail(i, ServiceResult::Resources);
                    return;
                }
                Some(Ok(None)) => return,
            };
            self.take_connection(i, fd);
            if self.units[i].svc.state != SubState::Running {
                return;
            }
        }
    }

    /// `socket_enter_running()` with connection `fd`: refused (closed, counted) or handed to a
    /// new instance of the template.
    fn take_connection(&mut self, i: UnitId, fd: OwnedFd) {
        if self.stop_pending(i) {
            self.count_refused(i);
            return;
        }
        if self.trigger_limit_hit(i) {
            return;
        }
        let (max, per_source) = match self.socket_config(i) {
            Some(s) => (s.max_connections, s.max_connections_per_source),
            None => return,
        };
        let n = self.units[i].socket().map_or(0, |sock| sock.n_connections);
        if n >= max {
            self.unit_log(
                i,
                &format!("Too many incoming connections ({n}), dropping connection."),
            );
            self.count_refused(i);
            return;
        }
        let peer = peer_of(&fd);
        let source = peer.remote().map(|r| unmapped(r.ip()));
        if let (Some(ip), true) = (source, per_source > 0) {
            let from_source = self.units[i]
                .socket()
                .and_then(|sock| sock.per_source.get(&ip).copied())
                .unwrap_or(0)
                + 1;
            if from_source > per_source {
                // sockaddr_pretty() without the port.
                self.unit_log(
                    i,
                    &format!(
                        "Too many incoming connections ({from_source}) from source {ip}, dropping connection."
                    ),
                );
                self.count_refused(i);
                return;
            }
        }
        let nr = self.units[i].socket().map_or(0, |sock| sock.n_accepted);
        let stem = self.units[i]
            .config
            .id
            .trim_end_matches(".socket")
            .to_string();
        let name = format!("{stem}@{}.service", peer.instance(nr));
        let instance = UnitName::parse(&name)
            .ok()
            .and_then(|n| self.loaded_index(&n))
            .filter(|&k| self.units[k].is_loaded());
        let Some(k) = instance else {
            self.refuse_activation(i, true, &format!("Unit {name} not found."));
            return;
        };
        if let Some(pretty) = peer.pretty() {
            let u = &mut self.units[k].config.unit;
            u.description = if u.description.is_empty() {
                pretty
            } else {
                format!("{} ({pretty})", u.description)
            };
        }
        self.units[k].conn = Some(Connection {
            fd,
            socket: i,
            remote: peer.remote(),
        });
        if let Some(sock) = self.units[i].socket_mut() {
            sock.n_accepted += 1;
            sock.n_connections += 1;
            if let Some(ip) = source {
                *sock.per_source.entry(ip).or_default() += 1;
            }
        }
        self.dirty = true;
        if let Err((message, _)) = self.run_transaction(k, JobKind::Start, JobMode::Replace, None) {
            // The instance forgets the connection again at once (service_close_socket_fd()).
            self.release_connection(k);
            self.collect_later(k);
            self.refuse_activation(i, true, &message);
        }
    }

    /// socket_enter_running()'s `fail:`: the service could not be queued, the socket fails.
    fn refuse_activation(&mut self, i: UnitId, template: bool, reason: &str) {
        let kind = if template { "template" } else { "non-template" };
        self.unit_log(
            i,
            &format!(
                "Failed to queue service startup job (Maybe the service file is missing or not a {kind} unit?): {reason}"
            ),
        );
        self.socket_fail(i, ServiceResult::Resources);
    }

    /// An instance is down: the manager lets go of its connection, and collects the unit.
    pub(in crate::manager) fn release_connection(&mut self, k: UnitId) {
        let Some(conn) = self.units[k].conn.take() else {
            return;
        };
        if let Some(sock) = self.units.get_mut(conn.socket).and_then(|u| u.socket_mut()) {
            sock.n_connections = sock.n_connections.saturating_sub(1);
            if let Some(ip) = conn.remote.map(|r| unmapped(r.ip())) {
                if let Some(n) = sock.per_source.get_mut(&ip) {
                    *n -= 1;
                    if *n == 0 {
                        sock.per_source.remove(&ip);
                    }
                }
            }
        }
        self.units[k].was_connection = true;
        self.dirty = true;
    }

    /// `socket_trigger_notify()`: a service an Accept=no socket triggers changed state.
    pub(in crate::manager) fn socket_trigger_notify(&mut self, service: UnitId) {
        if self.units[service].conn.is_some() || self.units[service].was_connection {
            if matches!(
                self.units[service].svc.state,
                SubState::Dead | SubState::Failed
            ) && !self.jobs.has_job(service)
            {
                self.release_connection(service);
                if self.units[service].may_be_collected() {
                    self.collect_later(service);
                } else {
                    // Kept for `status` until reset-failed: without holding an fd meanwhile.
                    let id = self.units[service].config.id.clone();
                    self.close_log(&id);
                }
            }
            return;
        }
        let sockets: Vec<UnitId> = self
            .triggering_sockets(service)
            .into_iter()
            // An Accept=yes socket does not care about the services it is named by (Sockets=).
            .filter(|&k| {
                self.units[k].svc.state == SubState::Running
                    && self.socket_config(k).is_some_and(|s| !s.accept)
            })
            .collect();
        if sockets.is_empty() {
            return;
        }
        let svc = &self.units[service];
        // unit.c's start_limit_hit, not Result=: a refused start keeps the result of the run
        // before (exit-code).
        let start_limit_hit = svc.svc.start_limit.hit();
        let has_job = self.jobs.has_job(service);
        let state = svc.svc.state;
        for k in sockets {
            if start_limit_hit {
                self.socket_fail(k, ServiceResult::ServiceStartLimitHit);
            } else if has_job {
                continue;
            } else if matches!(
                state,
                SubState::Dead
                    | SubState::Failed
                    | SubState::FinalSigterm
                    | SubState::FinalSigkill
                    | SubState::AutoRestart
            ) {
                self.socket_enter_listening(k);
            } else if state == SubState::Running {
                self.set_triggered(k, true);
                self.watch_ports(k, false);
            }
        }
    }

    /// The socket fds of service `i` (service_collect_fds()): an instance's connection, or the
    /// listeners of every socket that triggers it, in Listen order, named by
    /// FileDescriptorName= or else the socket unit's name.
    pub(in crate::manager) fn socket_fds_for(&self, i: UnitId) -> (Vec<OwnedFd>, Vec<String>) {
        let mut fds = Vec::new();
        let mut names = Vec::new();
        if let Some(c) = &self.units[i].conn {
            if let Ok(fd) = c.fd.try_clone() {
                fds.push(fd);
                names.push("connection".to_string());
            }
            return (fds, names);
        }
        for k in self.triggering_sockets(i) {
            let name = self
                .socket_config(k)
                .and_then(|s| s.file_descriptor_name.clone())
                .unwrap_or_else(|| self.units[k].config.id.clone());
            for l in self.ports(k) {
                if let Ok(fd) = l.fd.try_clone() {
                    fds.push(fd);
                    names.push(name.clone());
                }
            }
        }
        (fds, names)
    }
}

/// The service a socket starts itself (`SocketSection::triggered_service()`): none for an
/// Accept=yes socket, whose instances are started per connection.
fn triggered_service_name(socket: &UnitConfig) -> Option<String> {
    socket_section(&socket.kind)?.triggered_service(&socket.id)
}

/// Triggers= of a unit from its file alone: an Accept=no socket's service.
pub fn static_triggers(config: &UnitConfig) -> Vec<String> {
    triggered_service_name(config).into_iter().collect()
}

/// Whether `socket` triggers `service`: it is the socket's service, or the service names the
/// socket in Sockets=.
fn names_socket(service: &UnitConfig, socket: &UnitConfig) -> bool {
    triggered_service_name(socket).is_some_and(|n| service.id == n || service.names.contains(&n))
        || service
            .service()
            .is_some_and(|s| s.sockets.contains(&socket.id))
}
