//! org.freedesktop.login1 as much as a container needs of systemd-logind (src/login/
//! logind-dbus.c, logind-session-dbus.c, logind-user-dbus.c, logind-inhibit.c and
//! user-runtime-dir.c of systemd 252): served by the manager on the system bus, on a connection
//! beside org.freedesktop.systemd1's, so that what asks logind gets its answer at once instead
//! of waiting out dbus-daemon's 25 s for a name nobody owns: pam_systemd's CreateSession for
//! `su -`, `runuser -l` and sshd (Debian's tmpfiles make /run/systemd/seats, which tells
//! pam_systemd that logind runs), apt's shutdown inhibitor, `loginctl enable-linger`.
//!
//! Why not the distribution's `/lib/systemd/systemd-logind`: it needs what a restricted
//! container does not give it — a cgroup tree of its own, a scope per session and a slice per
//! user made with StartTransientUnit() on the service manager (ours makes no scopes), udev and
//! seats for its devices, and the capabilities of its unit. What a container asks of logind is
//! its bookkeeping (sessions, users, lingering, inhibitors, the shutdown verbs), and that is what
//! is served here; `systemd-logind.service` shows active and never runs the binary (one of the
//! units the manager serves itself, see src/manager/types/served.rs).
//!
//! What differs, for want of cgroups and seats: a session's processes are its leader and the
//! leader's descendants (/proc's parent links) rather than a scope's cgroup; a session ends when
//! its fifo is closed or it is released or terminated, never lingering in `closing`; a user goes
//! with its last session unless it lingers (no UserStopDelaySec= wait, no user@.service); there
//! are no seats, so no session has a seat and seat methods fail; nothing is kept across a restart
//! of the manager. Authorisation follows org.freedesktop.login1.policy's defaults without asking
//! polkit (seldom in a container, and no help here: its allow_active and allow_inactive apply
//! only to sessions on a seat, which none is): root may do everything; another user what the
//! policy allows anyone without authentication — lingering themselves, delay inhibitors and
//! idle blocks, their own sessions — and nothing else. Each user may hold at most
//! [`SESSIONS_PER_USER`] sessions and [`INHIBITORS_PER_USER`] inhibitors, so that no local user
//! can exhaust the manager's fds.
//!
//! Layout: `manager` (the Manager object's methods and properties), `sessions`, `users`,
//! `inhibitors` (their state, methods and objects), `watch` (the thread that sees a session's or
//! an inhibitor's fd closed and runs a shutdown delayed by inhibitors).

mod inhibitors;
mod manager;
mod sessions;
mod users;
mod watch;

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use zbus::blocking::{Connection, MessageIterator};
use zbus::message::Type as MessageType;
use zbus::zvariant::Value;
use zbus::Message;

use super::dispatch::{reply_get, Call, OrderedProperties};
use super::link::ManagerLink;
use super::manager_api::path;
use super::schema::{self, ObjectKind};
use super::MethodError;
use crate::ipc::Peer;
use inhibitors::Inhibitor;
use sessions::Session;
use users::User;

/// The name logind owns.
const BUS_NAME: &str = "org.freedesktop.login1";
const MANAGER_PATH: &str = "/org/freedesktop/login1";
const MANAGER_INTERFACE: &str = "org.freedesktop.login1.Manager";
const SESSION_INTERFACE: &str = "org.freedesktop.login1.Session";
const USER_INTERFACE: &str = "org.freedesktop.login1.User";
const SESSION_PREFIX: &str = "/org/freedesktop/login1/session/";
const USER_PREFIX: &str = "/org/freedesktop/login1/user/";

/// systemd's SessionsMax= and InhibitorsMax= defaults (logind-core.c).
const SESSIONS_MAX: usize = 8192;
const INHIBITORS_MAX: usize = 8192;
/// Ours, per user: every session and inhibitor holds one of the manager's fds.
const SESSIONS_PER_USER: usize = 1024;
const INHIBITORS_PER_USER: usize = 64;

/// systemd's error names (src/libsystemd/sd-bus/bus-common-errors.h).
mod errors {
    pub const NO_SUCH_SESSION: &str = "org.freedesktop.login1.NoSuchSession";
    pub const NO_SESSION_FOR_PID: &str = "org.freedesktop.login1.NoSessionForPID";
    pub const NO_SUCH_USER: &str = "org.freedesktop.login1.NoSuchUser";
    pub const NO_USER_FOR_PID: &str = "org.freedesktop.login1.NoUserForPID";
    pub const NO_SUCH_SEAT: &str = "org.freedesktop.login1.NoSuchSeat";
    pub const NOT_IN_CONTROL: &str = "org.freedesktop.login1.NotInControl";
    pub const OPERATION_IN_PROGRESS: &str = "org.freedesktop.login1.OperationInProgress";
    pub const SLEEP_VERB_NOT_SUPPORTED: &str = "org.freedesktop.login1.SleepVerbNotSupported";
    pub const SESSION_BUSY: &str = "org.freedesktop.login1.SessionBusy";
    pub const LIMITS_EXCEEDED: &str = "org.freedesktop.DBus.Error.LimitsExceeded";
    pub const NOT_SUPPORTED: &str = "org.freedesktop.DBus.Error.NotSupported";
}

/// What logind keeps: the sessions, users and inhibitors, shared by the login1 thread and the
/// watcher.
#[derive(Default)]
struct State {
    sessions: BTreeMap<String, Session>,
    users: BTreeMap<u32, User>,
    inhibitors: BTreeMap<u64, Inhibitor>,
    session_counter: u64,
    inhibitor_counter: u64,
    /// A shutdown waiting for delay inhibitors (manager_dispatch_delayed()).
    delayed: Option<watch::Delayed>,
    wall_message: String,
    enable_wall_messages: bool,
    /// login1's bus connection, for the signals of what the watcher ends.
    bus: Option<Connection>,
}

/// The state and the way to wake the watcher when its fds or deadline changed.
struct Shared {
    state: Mutex<State>,
    wake: OwnedFd,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wake(&self) {
        // a full pipe already wakes it
        let _ = nix::unistd::write(&self.wake, &[1]);
    }
}

/// A change told to the bus as a signal on the Manager (or a session) object.
enum Event {
    SessionNew(String),
    SessionRemoved(String),
    UserNew(u32),
    UserRemoved(u32),
    PrepareForShutdown(bool),
    /// Lock (true) or Unlock a session's screen.
    Lock(String, bool),
}

fn emit(conn: &Connection, events: Vec<Event>) {
    for event in events {
        // nobody listening is no failure of ours
        let _ = match event {
            Event::SessionNew(id) => {
                manager_signal(conn, "SessionNew", &(id.clone(), session_path(&id)))
            }
            Event::SessionRemoved(id) => {
                manager_signal(conn, "SessionRemoved", &(id.clone(), session_path(&id)))
            }
            Event::UserNew(uid) => manager_signal(conn, "UserNew", &(uid, user_path(uid))),
            Event::UserRemoved(uid) => manager_signal(conn, "UserRemoved", &(uid, user_path(uid))),
            Event::PrepareForShutdown(start) => {
                manager_signal(conn, "PrepareForShutdown", &(start,))
            }
            Event::Lock(id, lock) => conn
                .emit_signal(
                    None::<&str>,
                    session_path(&id).as_str(),
                    SESSION_INTERFACE,
                    if lock { "Lock" } else { "Unlock" },
                    &(),
                )
                .map(|_| ()),
        };
    }
}

fn manager_signal<B>(conn: &Connection, member: &str, body: &B) -> zbus::Result<()>
where
    B: serde::Serialize + zbus::zvariant::DynamicType,
{
    conn.emit_signal(None::<&str>, MANAGER_PATH, MANAGER_INTERFACE, member, body)
}

/// session_bus_path(): the id escaped as a bus label.
fn session_path(id: &str) -> zbus::zvariant::ObjectPath<'static> {
    path(format!(
        "{SESSION_PREFIX}{}",
        super::paths::label_escape(id)
    ))
}

/// user_bus_path().
fn user_path(uid: u32) -> zbus::zvariant::ObjectPath<'static> {
    path(format!("{USER_PREFIX}_{uid}"))
}

/// logind beside the bus thread: the state, made at the first connection to the system bus,
/// and the thread that serves the name on a connection of its own.
///
/// A connection of its own, not the manager's: dbus-daemon applies a name's policy
/// (system.d/org.freedesktop.login1.conf, …systemd1.conf) to every message sent to the
/// connection that owns it, so one connection owning both names would get, from an unprivileged
/// client, only what both policies allow, which is nothing (`loginctl` as a user, a user's
/// `systemd-inhibit` would be refused by dbus-daemon itself).
pub struct Logind {
    bus: PathBuf,
    control_socket: PathBuf,
    manager_uid: u32,
    shared: Option<Arc<Shared>>,
    /// Tells the login1 thread that the bus is (back) up.
    nudge: Option<Sender<()>>,
}

impl Logind {
    pub fn new(bus: PathBuf, control_socket: PathBuf, manager_uid: u32) -> Logind {
        Logind {
            bus,
            control_socket,
            manager_uid,
            shared: None,
            nudge: None,
        }
    }

    /// The system bus was (re)connected: (re)connect login1's connection and take logind's name
    /// on it (the state lives on).
    pub fn on_connect(&mut self) {
        if self.shared.is_none() {
            self.shared = self.start();
        }
        if let Some(nudge) = &self.nudge {
            let _ = nudge.send(());
        }
    }

    /// The state, its watcher and the login1 thread; the users who linger come up as at
    /// logind's start (manager_enumerate_linger_users()). `None` if a thread could not start:
    /// then nobody owns the name, as before.
    fn start(&mut self) -> Option<Arc<Shared>> {
        let (wake_read, wake_write) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
                .ok()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                // logind's default (logind.c manager_new())
                enable_wall_messages: true,
                ..State::default()
            }),
            wake: wake_write,
        });
        {
            let mut state = shared.lock();
            let mut events = Vec::new();
            state.add_lingering_users(&mut events);
        }
        let link = ManagerLink::new(self.control_socket.clone(), self.manager_uid);
        watch::spawn(shared.clone(), wake_read, link).ok()?;
        let (nudge, nudged) = mpsc::channel();
        let link = ManagerLink::new(self.control_socket.clone(), self.manager_uid);
        let (bus, served) = (self.bus.clone(), shared.clone());
        std::thread::Builder::new()
            .name("sd-login-bus".into())
            .stack_size(256 * 1024)
            .spawn(move || serve(&bus, &served, link, &nudged))
            .ok()?;
        self.nudge = Some(nudge);
        Some(shared)
    }
}

/// The login1 thread: at each nudge (one that came while connected is taken once that
/// connection has ended), connect to the bus, take the name and answer its calls until the
/// connection ends.
fn serve(bus: &Path, shared: &Shared, mut link: ManagerLink, nudged: &Receiver<()>) {
    while nudged.recv().is_ok() {
        // several nudges in a row are one connection
        while nudged.try_recv().is_ok() {}
        let address = format!("unix:path={}", bus.display());
        let Some(conn) = zbus::blocking::connection::Builder::address(address.as_str())
            .ok()
            .and_then(|b| b.build().ok())
        else {
            continue;
        };
        let messages = MessageIterator::from(&conn);
        // what systemd-logind.service's RuntimeDirectory= and tmpfiles make: pam_systemd talks
        // to logind only where /run/systemd/seats exists
        for dir in [
            "/run/systemd/seats",
            "/run/systemd/sessions",
            "/run/systemd/users",
            "/run/systemd/inhibit",
            "/run/user",
        ] {
            let _ = std::fs::create_dir_all(dir);
        }
        shared.lock().bus = Some(conn.clone());
        if conn.request_name(BUS_NAME).is_ok() {
            for msg in messages {
                let Ok(msg) = msg else {
                    break;
                };
                handle(&conn, &msg, shared, &mut link);
            }
        }
        shared.lock().bus = None;
    }
}

/// Answer `msg` if it is a method call.
fn handle(conn: &Connection, msg: &Message, shared: &Shared, link: &mut ManagerLink) {
    if msg.header().message_type() != MessageType::MethodCall {
        return;
    }
    let call = Call::new(conn, msg, None);
    let mut ctx = Ctx {
        call: &call,
        shared,
        link,
    };
    if let Err(e) = route(&mut ctx) {
        call.fail(e);
    }
}

/// One method call with what its handler may use.
struct Ctx<'a> {
    call: &'a Call<'a>,
    shared: &'a Shared,
    link: &'a mut ManagerLink,
}

impl Ctx<'_> {
    fn caller(&self) -> Peer {
        self.call.caller()
    }

    /// Send `events` (with the state unlocked).
    fn emit(&self, events: Vec<Event>) {
        emit(self.call.conn, events);
    }
}

/// The objects there are.
enum Object {
    Manager,
    Session(String),
    User(u32),
    /// A prefix of the objects' paths, with its children.
    Node(Vec<String>),
}

fn object_of(ctx: &Ctx) -> Result<Object, MethodError> {
    let p = ctx.call.path.as_str();
    let unknown = || MethodError::unknown_object(p);
    Ok(match p {
        MANAGER_PATH => Object::Manager,
        "/" => Object::Node(vec!["org".into()]),
        "/org" => Object::Node(vec!["freedesktop".into()]),
        "/org/freedesktop" => Object::Node(vec!["login1".into()]),
        "/org/freedesktop/login1/session" => {
            let state = ctx.shared.lock();
            Object::Node(
                state
                    .sessions
                    .keys()
                    .map(|id| super::paths::label_escape(id))
                    .collect(),
            )
        }
        "/org/freedesktop/login1/user" => {
            let state = ctx.shared.lock();
            Object::Node(state.users.keys().map(|uid| format!("_{uid}")).collect())
        }
        "/org/freedesktop/login1/seat" => Object::Node(Vec::new()),
        _ => {
            if let Some(label) = p.strip_prefix(SESSION_PREFIX) {
                // session_object_find(): "self" and "auto" name the caller's
                let id = match label {
                    "self" => sessions::caller_session(ctx, false)?,
                    "auto" => sessions::caller_session(ctx, true)?,
                    _ => super::paths::label_unescape(label).ok_or_else(unknown)?,
                };
                if !ctx.shared.lock().sessions.contains_key(&id) {
                    return Err(unknown());
                }
                Object::Session(id)
            } else if let Some(label) = p.strip_prefix(USER_PREFIX) {
                let uid = match label {
                    "self" => users::caller_user(ctx)?,
                    _ => label
                        .strip_prefix('_')
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(unknown)?,
                };
                if !ctx.shared.lock().users.contains_key(&uid) {
                    return Err(unknown());
                }
                Object::User(uid)
            } else {
                return Err(unknown());
            }
        }
    })
}

fn route(ctx: &mut Ctx) -> Result<(), MethodError> {
    let object = object_of(ctx)?;
    let call = ctx.call;
    let any = call.interface.is_empty();
    match call.interface.as_str() {
        schema::PEER_INTERFACE => return super::dispatch::peer(call),
        schema::INTROSPECTABLE_INTERFACE => return introspect(call, &object),
        schema::PROPERTIES_INTERFACE => return properties(ctx, &object),
        _ => {}
    }
    match object {
        Object::Manager if any || call.interface == MANAGER_INTERFACE => manager::call(ctx),
        Object::Session(id) if any || call.interface == SESSION_INTERFACE => {
            sessions::object_call(ctx, &id)
        }
        Object::User(uid) if any || call.interface == USER_INTERFACE => {
            users::object_call(ctx, uid)
        }
        _ if any && call.member == "Introspect" => introspect(call, &object),
        _ if any && matches!(call.member.as_str(), "Ping" | "GetMachineId") => {
            super::dispatch::peer(call)
        }
        _ => Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
}

/// The shapes of logind's objects, as systemd 252's logind introspects them (captured from
/// `/lib/systemd/systemd-logind` running under systemd 252 in a test sandbox).
struct Schema {
    manager: ObjectKind,
    session: ObjectKind,
    user: ObjectKind,
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema {
        manager: ObjectKind::parse(include_str!("introspection/manager.xml")),
        session: ObjectKind::parse(include_str!("introspection/session.xml")),
        user: ObjectKind::parse(include_str!("introspection/user.xml")),
    })
}

fn introspect(call: &Call, object: &Object) -> Result<(), MethodError> {
    let xml = match object {
        Object::Manager => {
            schema()
                .manager
                .introspect(&["user".into(), "session".into(), "seat".into()])
        }
        Object::Session(_) => schema().session.introspect(&[]),
        Object::User(_) => schema().user.introspect(&[]),
        Object::Node(children) => schema::plain().introspect(children),
    };
    call.reply(&(xml,))
}

fn properties(ctx: &mut Ctx, object: &Object) -> Result<(), MethodError> {
    let call = ctx.call;
    match call.member.as_str() {
        "Get" => {
            let (interface, property): (String, String) = call.args()?;
            let all = object_properties(ctx, object, &interface)?;
            reply_get(call, &interface, &property, all)
        }
        "GetAll" => {
            let (interface,): (String,) = call.args()?;
            let all = object_properties(ctx, object, &interface)?;
            call.reply(&(OrderedProperties(all),))
        }
        "Set" => match object {
            Object::Manager => manager::set_property(ctx),
            _ => Err(MethodError::new(
                "org.freedesktop.DBus.Error.PropertyReadOnly",
                "Property is read-only.",
            )),
        },
        _ => Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
}

/// The properties of `object` on `interface` (its own interface, or all when empty).
fn object_properties(
    ctx: &Ctx,
    object: &Object,
    interface: &str,
) -> Result<Vec<(String, Value<'static>)>, MethodError> {
    let gone = || MethodError::unknown_object(&ctx.call.path);
    let state = ctx.shared.lock();
    let (own, values) = match object {
        Object::Manager => (MANAGER_INTERFACE, manager::properties(&state)),
        Object::Session(id) => (
            SESSION_INTERFACE,
            sessions::properties(&state, id).ok_or_else(gone)?,
        ),
        Object::User(uid) => (
            USER_INTERFACE,
            users::properties(&state, *uid).ok_or_else(gone)?,
        ),
        Object::Node(_) => ("", Vec::new()),
    };
    drop(state);
    if interface.is_empty() || interface == own {
        return Ok(values);
    }
    // sd-bus answers the standard interfaces with no properties
    if interface.starts_with("org.freedesktop.DBus.") {
        return Ok(Vec::new());
    }
    Err(MethodError::new(
        "org.freedesktop.DBus.Error.UnknownInterface",
        format!("Unknown interface {interface}."),
    ))
}

/// Whether `caller` is root, who may do all a polkit action allows.
fn is_root(caller: &Peer) -> bool {
    caller.uid == 0
}

/// SD_BUS_ERROR_LIMITS_EXCEEDED as logind words it ("Maximum number of sessions (8192) reached,
/// refusing further sessions."), `scope` naming our per-user bounds.
fn limits_exceeded(what: &str, max: usize, scope: &str) -> MethodError {
    MethodError::new(
        errors::LIMITS_EXCEEDED,
        format!("Maximum number of {what}{scope} ({max}) reached, refusing further {what}."),
    )
}

/// One property and its value.
fn value<T: Into<Value<'static>>>(name: &str, v: T) -> (String, Value<'static>) {
    (name.to_string(), v.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_are_logind_s() {
        assert_eq!(
            session_path("c1").as_str(),
            "/org/freedesktop/login1/session/c1"
        );
        assert_eq!(
            session_path("12").as_str(),
            "/org/freedesktop/login1/session/_312"
        );
        assert_eq!(
            user_path(1000).as_str(),
            "/org/freedesktop/login1/user/_1000"
        );
    }

    /// Names and D-Bus types of `values` are those of `interface` in the captured XML, in order.
    fn assert_shape(kind: &ObjectKind, interface: &str, values: &[(String, Value<'static>)]) {
        let iface = kind
            .interfaces
            .iter()
            .find(|i| i.name == interface)
            .expect("interface");
        let ours: Vec<(String, String)> = values
            .iter()
            .map(|(n, v)| (n.clone(), v.value_signature().to_string()))
            .collect();
        assert_eq!(ours, iface.properties);
    }

    #[test]
    fn properties_have_systemd_s_names_types_and_order() {
        let mut state = State::default();
        assert_shape(
            &schema().manager,
            MANAGER_INTERFACE,
            &manager::properties(&state),
        );
        state
            .sessions
            .insert("c1".into(), sessions::tests::session("c1"));
        state.users.insert(0, users::tests::root());
        assert_shape(
            &schema().session,
            SESSION_INTERFACE,
            &sessions::properties(&state, "c1").unwrap(),
        );
        assert_shape(
            &schema().user,
            USER_INTERFACE,
            &users::properties(&state, 0).unwrap(),
        );
    }

    #[test]
    fn the_captured_introspection_names_the_interfaces() {
        let s = schema();
        assert!(s
            .manager
            .interfaces
            .iter()
            .any(|i| i.name == MANAGER_INTERFACE));
        assert!(s
            .session
            .interfaces
            .iter()
            .any(|i| i.name == SESSION_INTERFACE));
        assert!(s.user.interfaces.iter().any(|i| i.name == USER_INTERFACE));
        let xml = s.manager.introspect(&["user".into()]);
        assert!(xml.contains("<method name=\"CreateSession\">"));
        assert!(xml.trim_end().ends_with("<node name=\"user\"/>\n</node>"));
    }
}
