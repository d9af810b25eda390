//! The units whose work the manager does itself: systemd-journald's service and its two
//! sockets (units/systemd-journald.service.in, units/systemd-journald.socket,
//! units/systemd-journald-dev-log.socket). The manager serves the journal from PID 1 (see
//! `syslog.rs`), so while it does, and where the image ships these unit files, the units show
//! what systemd 252 shows of them: inactive until something pulls them in (sysinit.target
//! wants the service, sockets.target the sockets), then `active (running)` with their own
//! description and Listen lines, the service without a main process. (A manager that is not the
//! init counts sysinit.target as reached without starting what it wants: these units too stay
//! down until asked for.)
//!
//! A job on one of them changes its state and nothing else: a start runs no
//! `/lib/systemd/systemd-journald` and binds nothing (the manager holds those addresses), a
//! restart (Ansible's handler after an edit of journald.conf) is a job that ends `done` at once,
//! a stop only marks the unit down. None logs a line: 252's manager logs none of them into the
//! journal either, which is down at those moments. Their starts are not counted against a start
//! limit, which in 252 can fail the sockets and so end logging through `/dev/log`.
//!
//! A stopped service is activated again by the next message on a socket of its that is up,
//! as socket.c's `socket_enter_running()` activates a service by traffic, which is what 252's
//! `Warning: … it can still be activated by` says; the journal itself never stops serving, so
//! logging keeps working whatever the units' states are. (252 also activates it for a service's
//! output stream, whose connection to `/run/systemd/journal/stdout` the manager does not see:
//! its services write into pipes of its own.)
//!
//! systemd-logind.service (units/systemd-logind.service.in, and its alias
//! dbus-org.freedesktop.login1.service, which dbus-daemon activates) is served the same way by
//! the system manager, whose bus front end owns org.freedesktop.login1 (see `crate::bus`'s
//! `login1`): a start, by hand or by bus activation, shows it active and never runs
//! `/lib/systemd/systemd-logind`, which a container could not run.

use crate::manager::daemon::Manager;
use crate::manager::syslog::Protocol;
use crate::manager::types::service::SubState;
use crate::manager::types::vtable::UnitVTable;
use crate::manager::unit_id::UnitId;
use crate::unit::model::{LoadState, UnitConfig};
use crate::unit::name::UnitType;

/// The service the journal's sockets activate.
pub const JOURNALD_SERVICE: &str = "systemd-journald.service";
/// The native protocol's socket and the stream socket of services' output.
pub const JOURNALD_SOCKET: &str = "systemd-journald.socket";
/// The syslog socket `/dev/log` links to.
pub const JOURNALD_DEV_LOG_SOCKET: &str = "systemd-journald-dev-log.socket";
/// logind's service, whose API the bus front end serves.
pub const LOGIND_SERVICE: &str = "systemd-logind.service";

impl Manager {
    /// Whether the manager does the work of the unit `config` loads, loaded from its file: one of
    /// journald's units while the manager's journal serves journald's own sockets
    /// (systemd-journald-audit.socket stays systemd's: the manager reads no audit messages), or
    /// logind's service while the bus front end serves login1 (the system manager's).
    pub(in crate::manager) fn serves(&self, config: &UnitConfig) -> bool {
        if config.load_state != LoadState::Loaded {
            return false;
        }
        match config.id.as_str() {
            JOURNALD_SERVICE | JOURNALD_SOCKET | JOURNALD_DEV_LOG_SOCKET => {
                self.journal_serves_journald()
            }
            LOGIND_SERVICE => self.ctx.is_system(),
            _ => false,
        }
    }

    /// A start: up at once. A socket whose service runs is `running` (its traffic goes to the
    /// service), else `listening`; a service's sockets learn that it runs from its change of
    /// state.
    fn served_start(&mut self, i: UnitId) {
        self.units[i].svc.reset_for_start();
        self.service_set_state(i, SubState::Running);
        if self.units[i].config.unit_type == UnitType::Socket {
            if let Some(service) = self.triggered_service(i) {
                self.socket_trigger_notify(service);
            }
        }
    }

    /// A stop: down at once. The journal goes on serving.
    fn served_stop(&mut self, i: UnitId) {
        if let Some(sock) = self.units[i].socket_mut() {
            sock.triggered = false;
        }
        self.service_set_state(i, SubState::Dead);
    }

    /// What systemd sees of traffic on one of the journal's sockets: it activates journald
    /// again when its socket is up and the service is not.
    pub(in crate::manager) fn served_socket_traffic(&mut self, protocol: Protocol) {
        let name = match protocol {
            Protocol::Syslog => JOURNALD_DEV_LOG_SOCKET,
            Protocol::Native => JOURNALD_SOCKET,
        };
        let Some(k) = self.units.lookup(name) else {
            return;
        };
        let u = &self.units[k];
        let waiting = u.served
            && u.svc.state == SubState::Running
            && u.socket().is_some_and(|sock| !sock.triggered);
        if waiting {
            self.socket_enter_running(k);
        }
    }
}

/// The operations of a unit the manager serves, in place of its type's.
pub(in crate::manager) struct ServedVTable;

pub(in crate::manager) static SERVED_VTABLE: ServedVTable = ServedVTable;

impl UnitVTable for ServedVTable {
    fn start(&self, m: &mut Manager, i: UnitId) -> bool {
        m.served_start(i);
        true
    }

    fn stop(&self, m: &mut Manager, i: UnitId) {
        m.served_stop(i);
    }

    fn reset_failed(&self, m: &mut Manager, i: UnitId) {
        m.service_reset_failed(i);
    }
}
