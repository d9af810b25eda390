//! Who owns which name on the system bus, for BusName= (src/core/unit.c
//! `unit_install_bus_match()`, `signal_name_owner_changed()`, `get_name_owner_handler()`;
//! service.c `service_bus_name_owner_change()` and its GetConnectionUnixProcessID() look-up):
//! when the bus comes up, a match for NameOwnerChanged and the owner of every well-known name
//! then; after that each change of a well-known name's owner. Each goes to the manager as a
//! request (`BusUp`, `BusNameOwner`, `BusGone`), with the owner's PID.
//!
//! systemd watches only the names its units name; we watch every well-known name (unique
//! names, `:1.42`, which every client connection makes and drops, are skipped at once): the
//! manager keeps the table, so a unit loaded later knows its name's owner without asking the
//! bus (where systemd calls GetNameOwner() at load).
//!
//! The look-ups wait for dbus-daemon's replies, which zbus reads behind every message queued
//! for the serving thread; they run on a worker thread of their own so that the serving thread,
//! which drains that queue, never waits on them. The worker takes the changes in order from a
//! bounded queue; a change that does not fit is not queued, and the worker looks at every
//! owner again instead (each report is the owner as of then, so the manager ends where the bus
//! is).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use zbus::blocking::Connection;
use zbus::message::Type as MessageType;
use zbus::Message;

use super::link::ManagerLink;
use crate::ipc::protocol::{BusNameOwner, Request, BUS_NAMES_MAX};

const DBUS: &str = "org.freedesktop.DBus";
const DBUS_PATH: &str = "/org/freedesktop/DBus";
/// unit.c's match, without its `arg0=` (see the header).
const MATCH_RULE: &str =
    "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',\
                          interface='org.freedesktop.DBus',member='NameOwnerChanged'";
/// Changes queued for the worker at most.
const QUEUE_MAX: usize = 256;
/// How long the worker waits for a change before it looks whether one was dropped.
const IDLE_LOOK: Duration = Duration::from_secs(1);

enum Job {
    /// The bus came up, or changes were dropped: report every owner.
    Up,
    Changed {
        name: String,
        owner: Option<String>,
    },
    Gone,
}

/// The serving thread's end of the worker, for one connection.
pub struct NameWatch {
    jobs: SyncSender<Job>,
    /// A change was dropped: the worker reports every owner again.
    dropped: Arc<AtomicBool>,
    worker: std::thread::JoinHandle<()>,
}

/// The bus came up: watch every well-known name's owner. The reports go over a link of the
/// worker's own, in order.
pub fn watch(conn: &Connection, link: &mut ManagerLink) -> Option<NameWatch> {
    let (jobs, queue) = mpsc::sync_channel(QUEUE_MAX);
    let dropped = Arc::new(AtomicBool::new(false));
    let worker = Worker {
        conn: conn.clone(),
        link: link.another(),
        dropped: dropped.clone(),
        matched: false,
    };
    let spawned = std::thread::Builder::new()
        .name("sd-bus-names".into())
        .stack_size(256 * 1024)
        .spawn(move || worker.run(queue));
    let worker = match spawned {
        Ok(worker) => worker,
        Err(e) => {
            eprintln!("Failed to watch bus names: {e}");
            return None;
        }
    };
    let watch = NameWatch {
        jobs,
        dropped,
        worker,
    };
    watch.send(Job::Up);
    Some(watch)
}

impl NameWatch {
    fn send(&self, job: Job) {
        if let Err(TrySendError::Full(_)) = self.jobs.try_send(job) {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }

    /// Whether `msg` was a change of a name's owner (passed on to the manager). The worker's own
    /// link carries it, after the changes before it.
    pub fn handle(&self, msg: &Message) -> bool {
        let header = msg.header();
        let is_change = header.message_type() == MessageType::Signal
            && header.interface().is_some_and(|i| i.as_str() == DBUS)
            && header
                .member()
                .is_some_and(|m| m.as_str() == "NameOwnerChanged");
        if !is_change {
            return false;
        }
        // only the bus itself tells who owns what
        if header.sender().is_none_or(|s| s.as_str() != DBUS) {
            return true;
        }
        let Ok((name, _old, new)) = msg.body().deserialize::<(String, String, String)>() else {
            return true;
        };
        if name.starts_with(':') {
            return true;
        }
        let owner = (!new.is_empty()).then_some(new);
        self.send(Job::Changed { name, owner });
        true
    }

    /// The bus went away: the manager hears it after the changes before it, and before
    /// anything of the next connection (the worker is waited for; its calls on the closed
    /// connection fail at once).
    pub fn gone(self) {
        // The queue may be full: then the worker ends on its closing, and says so then.
        self.send(Job::Gone);
        drop(self.jobs);
        let _ = self.worker.join();
    }
}

struct Worker {
    conn: Connection,
    link: ManagerLink,
    dropped: Arc<AtomicBool>,
    matched: bool,
}

impl Worker {
    fn run(mut self, queue: Receiver<Job>) {
        loop {
            let job = if self.dropped.swap(false, Ordering::SeqCst) {
                Job::Up
            } else {
                match queue.recv_timeout(IDLE_LOOK) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => Job::Gone,
                }
            };
            let request = match job {
                Job::Up => match self.owners() {
                    Some(owners) => Request::BusUp { owners },
                    // the bus is going: its end follows
                    None => continue,
                },
                Job::Changed { name, owner } => {
                    let pid = owner.as_ref().and_then(|_| self.pid_of(&name));
                    Request::BusNameOwner { name, owner, pid }
                }
                Job::Gone => {
                    let _ = self.link.call(&Request::BusGone);
                    return;
                }
            };
            // A manager that does not answer has gone; the next one learns from the next report.
            let _ = self.link.call(&request);
        }
    }

    fn call<B>(&self, method: &str, body: &B) -> Option<Message>
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.conn
            .call_method(Some(DBUS), DBUS_PATH, Some(DBUS), method, body)
            .ok()
    }

    /// The owner of every well-known name (a bounded number of them), after the match is in
    /// place, so that no change after the look is missed.
    fn owners(&mut self) -> Option<Vec<BusNameOwner>> {
        if !self.matched {
            self.call("AddMatch", &(MATCH_RULE,))?;
            self.matched = true;
        }
        let names: Vec<String> = self.call("ListNames", &())?.body().deserialize().ok()?;
        let owners = names
            .into_iter()
            .filter(|n| !n.starts_with(':') && n != DBUS)
            .take(BUS_NAMES_MAX)
            .filter_map(|name| {
                // gone since the list was made: not owned
                let owner: String = self
                    .call("GetNameOwner", &(name.as_str(),))?
                    .body()
                    .deserialize()
                    .ok()?;
                let pid = self.pid_of(&name);
                Some(BusNameOwner { name, owner, pid })
            })
            .collect();
        Some(owners)
    }

    /// GetConnectionUnixProcessID(): the process that owns `name`.
    fn pid_of(&self, name: &str) -> Option<u32> {
        self.call("GetConnectionUnixProcessID", &(name,))?
            .body()
            .deserialize()
            .ok()
    }
}
