//! Where the bus front end listens and how its connections live (src/core/dbus.c):
//! - the private socket (`bus_init_private()`): a listening socket only root (and the manager's
//!   uid) may use, mode 0600, each connection peer to peer with its own thread; at most
//!   [`PRIVATE_CONNECTIONS_MAX`] at once, as systemd's CONNECTIONS_MAX bounds it;
//! - the system bus (`bus_init_api()`): connected once dbus-daemon runs (its socket answers and
//!   dbus.service, if the manager has it, is active), the name org.freedesktop.systemd1 taken,
//!   dbus-daemon's ActivationRequest signals heard; connected again whenever dbus comes back;
//!   logind's name, org.freedesktop.login1, on a connection of its own made at the same moments
//!   (see `login1`);
//! - one thread that takes the manager's events and sends them as signals on all of them.
//!
//! Each thread asks the manager over its own control connection ([`ManagerLink`]); none of
//! them touches the manager's state, which stays its event loop's alone.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use zbus::blocking::{Connection, MessageIterator};

use super::dispatch::{self, Session};
use super::link::ManagerLink;
use super::signals::{self, Listeners};
use crate::ipc::protocol::{ManagerEvent, Reply, Request};
use crate::unit::state::{ActiveState, UnitLoadState};

/// Private connections served at once (systemd: CONNECTIONS_MAX 4096; ours are root's only, and
/// each holds a thread).
const PRIVATE_CONNECTIONS_MAX: usize = 64;
/// How long the front end waits between looks for a system bus when nothing told it to look.
const BUS_RETRY: Duration = Duration::from_secs(30);
pub const BUS_NAME: &str = "org.freedesktop.systemd1";

#[derive(Debug, Error)]
pub enum BusError {
    #[error("Failed to bind private socket {path}: {source}")]
    Bind {
        path: String,
        source: std::io::Error,
    },
    #[error("Failed to start the bus threads: {0}")]
    Thread(std::io::Error),
}

/// Where the front end serves and whom it asks.
#[derive(Debug, Clone)]
pub struct BusSettings {
    /// The manager's control socket.
    pub control_socket: PathBuf,
    /// The private socket (`/run/systemd/private` for the system's manager), if any.
    pub private_socket: Option<PathBuf>,
    /// The system bus socket to connect to once it answers, if any.
    pub system_bus: Option<PathBuf>,
    pub manager_uid: u32,
}

/// Start serving; the threads live as long as the process.
pub fn start(settings: BusSettings) -> Result<(), BusError> {
    let listeners = Listeners::default();
    let (nudge, nudged) = mpsc::channel::<()>();
    if let Some(path) = &settings.private_socket {
        let listener = bind_private(path)?;
        let (settings, listeners) = (settings.clone(), listeners.clone());
        spawn("sd-bus-private", move || {
            serve_private(listener, settings, listeners)
        })?;
    }
    {
        let (settings, listeners, nudge) = (settings.clone(), listeners.clone(), nudge.clone());
        spawn("sd-bus-events", move || {
            pass_events(settings, listeners, nudge)
        })?;
    }
    if let Some(bus) = settings.system_bus.clone() {
        spawn("sd-bus-api", move || {
            serve_bus(bus, settings, listeners, nudged)
        })?;
        let _ = nudge.send(());
    }
    Ok(())
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), BusError> {
    std::thread::Builder::new()
        .name(name.into())
        .stack_size(256 * 1024)
        .spawn(f)
        .map(|_| ())
        .map_err(BusError::Thread)
}

fn bind_private(path: &PathBuf) -> Result<UnixListener, BusError> {
    let bind_error = |source| BusError::Bind {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(bind_error)?;
    }
    let _ = std::fs::remove_file(path);
    // systemd binds it under umask 0077: nobody else may even connect
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let listener = bound.map_err(bind_error)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(bind_error)?;
    Ok(listener)
}

fn serve_private(listener: UnixListener, settings: BusSettings, listeners: Listeners) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            continue;
        };
        let Ok(peer) = crate::ipc::peer_of(&stream) else {
            continue;
        };
        if !peer.may_change_state(settings.manager_uid)
            || active.load(Ordering::SeqCst) >= PRIVATE_CONNECTIONS_MAX
        {
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let (settings, listeners, active) = (settings.clone(), listeners.clone(), active.clone());
        let spawned = spawn("sd-bus-conn", move || {
            serve_private_connection(stream, peer, &settings, &listeners);
            active.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            // the connection went with the closure; count it back
            continue;
        }
    }
}

fn serve_private_connection(
    stream: UnixStream,
    peer: crate::ipc::Peer,
    settings: &BusSettings,
    listeners: &Listeners,
) {
    // a client that never finishes authenticating must not hold the thread for ever
    let _ = stream.set_read_timeout(Some(Duration::from_secs(25)));
    let guid = zbus::Guid::generate();
    let Ok(builder) =
        zbus::blocking::connection::Builder::async_io_unix_stream(stream).server(guid)
    else {
        return;
    };
    let Ok(messages) = builder.p2p().build_message_iterator() else {
        return;
    };
    let conn = Connection::from(&messages);
    let id = listeners.add(conn.clone());
    let mut session = Session {
        link: ManagerLink::new(settings.control_socket.clone(), settings.manager_uid),
        private_peer: Some(peer),
    };
    for msg in messages {
        let Ok(msg) = msg else {
            break;
        };
        dispatch::handle(&conn, &msg, &mut session);
    }
    listeners.remove(id);
    drop(session);
    drop(conn);
    // what this thread's heap holds goes back now, not when another thread reclaims it
    crate::sys::memory::release_free_memory();
}

/// Take the manager's events and send them as signals; a change of dbus's units makes the bus
/// thread look for the bus again.
fn pass_events(settings: BusSettings, listeners: Listeners, nudge: Sender<()>) {
    let mut link = ManagerLink::new(settings.control_socket.clone(), settings.manager_uid);
    let Ok(mut events) = link.subscribe() else {
        return;
    };
    while let Ok(reply) = events.receive::<Reply>() {
        let Reply::Event(event) = reply else {
            continue;
        };
        if let ManagerEvent::UnitChanged { unit } = &event {
            if unit == "dbus.service" || unit == "dbus.socket" {
                let _ = nudge.send(());
            }
        }
        signals::send(&listeners, &mut link, &event);
    }
}

/// Whether dbus-daemon runs for the manager to connect to: its socket exists and dbus.service,
/// where the manager has such a unit, is active (systemd waits for it too, so that connecting
/// never starts dbus by socket activation while it is going down).
fn bus_up(bus: &Path, link: &mut ManagerLink) -> bool {
    if !bus.exists() {
        return false;
    }
    let request = Request::States {
        units: vec!["dbus.service".into()],
    };
    match link.call(&request) {
        Ok(Reply::States(states)) => match states.first() {
            Some((UnitLoadState::NotFound, _)) => true,
            Some((_, state)) => *state == ActiveState::Active,
            None => true,
        },
        _ => false,
    }
}

fn serve_bus(bus: PathBuf, settings: BusSettings, listeners: Listeners, nudged: Receiver<()>) {
    let mut link = ManagerLink::new(settings.control_socket.clone(), settings.manager_uid);
    let mut logind = super::login1::Logind::new(
        bus.clone(),
        settings.control_socket.clone(),
        settings.manager_uid,
    );
    loop {
        match nudged.recv_timeout(BUS_RETRY) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // several nudges in a row are one look
        while nudged.try_recv().is_ok() {}
        if !bus_up(&bus, &mut link) {
            continue;
        }
        let Some((conn, messages)) = connect_bus(&bus) else {
            continue;
        };
        *listeners.bus.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        let id = listeners.add(conn.clone());
        let mut session = Session {
            link: ManagerLink::new(settings.control_socket.clone(), settings.manager_uid),
            private_peer: None,
        };
        let names = super::names::watch(&conn, &mut session.link);
        logind.on_connect();
        for msg in messages {
            let Ok(msg) = msg else {
                break;
            };
            if super::activation::handle(&conn, &msg, &mut session.link, &listeners)
                || names.as_ref().is_some_and(|n| n.handle(&msg))
            {
                continue;
            }
            dispatch::handle(&conn, &msg, &mut session);
        }
        listeners.remove(id);
        *listeners.bus.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if let Some(names) = names {
            names.gone();
        }
    }
}

/// Connect to the system bus and take the manager's name there.
fn connect_bus(bus: &Path) -> Option<(Connection, MessageIterator)> {
    let address = format!("unix:path={}", bus.display());
    let conn = zbus::blocking::connection::Builder::address(address.as_str())
        .ok()?
        .build()
        .ok()?;
    let messages = MessageIterator::from(&conn);
    conn.request_name(BUS_NAME).ok()?;
    Some((conn, messages))
}
