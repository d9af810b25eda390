//! Sessions (src/login/logind-session.c, logind-session-dbus.c and the session methods of
//! logind-dbus.c): what CreateSession records for pam_systemd, the fifo whose closing ends a
//! session, the session objects' properties and methods, and which session a process is in.
//!
//! Without cgroups a session's processes are its leader (the process that called pam_systemd,
//! or the pid CreateSession names) and the leader's descendants: a process is in the session of
//! its nearest ancestor that leads one. The leader is known by pid and start time, so that a pid
//! used again names no session.

use std::os::fd::OwnedFd;
use std::sync::Arc;

use zbus::zvariant::{Fd, ObjectPath, OwnedValue, Value};

use super::{
    errors, is_root, limits_exceeded, session_path, user_path, value, Ctx, Event, State,
    SESSIONS_MAX, SESSIONS_PER_USER,
};
use crate::bus::MethodError;
use crate::sys::accounts::Accounts;
use crate::sys::proc;
use crate::sys::time::{now_stamp, Stamp};

/// session_type_table: the types a session may have.
const TYPES: [&str; 6] = ["unspecified", "tty", "x11", "wayland", "mir", "web"];
/// session_class_table.
const CLASSES: [&str; 4] = ["user", "greeter", "lock-screen", "background"];
/// systemd's IdleActionUSec= default: a tty untouched this long is idle.
pub(super) const IDLE_ACTION_USEC: u64 = 30 * 60 * 1_000_000;
/// How far up the process tree a session's leader is looked for.
const ANCESTRY_MAX: usize = 4096;

/// One login session.
pub(super) struct Session {
    pub id: String,
    pub uid: u32,
    pub leader: u32,
    /// The leader's start time (clock ticks since boot, /proc/PID/stat).
    leader_start: u64,
    service: String,
    kind: String,
    pub class: String,
    desktop: String,
    tty: String,
    display: String,
    remote: bool,
    remote_user: String,
    remote_host: String,
    vtnr: u32,
    pub stamp: Stamp,
    idle_hint: bool,
    idle_since: Stamp,
    locked_hint: bool,
    /// Our end of the pipe whose other end pam_systemd holds: closed there, the session ends.
    pub fifo: Arc<OwnedFd>,
}

impl Session {
    fn graphical(&self) -> bool {
        matches!(self.kind.as_str(), "x11" | "wayland" | "mir")
    }

    /// session_get_idle_hint(): a graphical session's own hint; else whether its tty went
    /// untouched for IdleActionUSec=, since its last access.
    pub fn idle(&self) -> (bool, Stamp) {
        if self.graphical() {
            return (self.idle_hint, self.idle_since);
        }
        if self.tty.is_empty() {
            return (false, (0, 0));
        }
        let tty = if self.tty.starts_with('/') {
            self.tty.clone()
        } else {
            format!("/dev/{}", self.tty)
        };
        let Ok(meta) = std::fs::metadata(&tty) else {
            return (false, (0, 0));
        };
        use std::os::unix::fs::MetadataExt;
        let atime = (meta.atime().max(0) as u64) * 1_000_000 + meta.atime_nsec() as u64 / 1000;
        let (real, mono) = now_stamp();
        let since = (atime, mono.saturating_sub(real.saturating_sub(atime)));
        (atime + IDLE_ACTION_USEC <= real, since)
    }

    /// Candidates for the user's display (elect_display_filter()).
    pub fn may_be_display(&self) -> bool {
        matches!(self.class.as_str(), "user" | "greeter")
    }

    /// elect_display_compare()'s rank of a candidate: lower is preferred.
    pub fn display_rank(&self) -> (bool, i32) {
        let rank = match self.kind.as_str() {
            "tty" => -2,
            "x11" | "wayland" | "mir" => -3,
            "web" => -1,
            _ => 0,
        };
        (self.class != "user", rank)
    }
}

/// The sessions' idle hint and since when (user_get_idle_hint(), manager_get_idle_hint()):
/// idle when all are, since the latest idle one became so; else since the earliest busy one.
pub(super) fn combined_idle<'a>(
    sessions: impl Iterator<Item = &'a Session>,
    mut idle: bool,
    mut since: Stamp,
) -> (bool, Stamp) {
    for s in sessions {
        let (ih, k) = s.idle();
        if !ih {
            if !idle {
                if k.1 < since.1 {
                    since = k;
                }
            } else {
                idle = false;
                since = k;
            }
        } else if idle && k.1 > since.1 {
            since = k;
        }
    }
    (idle, since)
}

impl State {
    /// The session process `pid` is in: its own or its nearest ancestor's that leads one.
    pub(super) fn session_of_pid(&self, pid: u32) -> Option<&Session> {
        let mut pid = i32::try_from(pid).ok()?;
        for _ in 0..ANCESTRY_MAX {
            if pid <= 1 {
                return None;
            }
            let stat = proc::stat(pid)?;
            let found = self
                .sessions
                .values()
                .find(|s| s.leader as i32 == pid && s.leader_start == stat.start_time);
            if found.is_some() {
                return found;
            }
            pid = stat.ppid;
        }
        None
    }

    /// End session `id` (its fifo closed, or released, or terminated), and its user with it
    /// when that was the last session and the user does not linger.
    pub(super) fn end_session(&mut self, id: &str, events: &mut Vec<Event>) {
        let Some(session) = self.sessions.remove(id) else {
            return;
        };
        events.push(Event::SessionRemoved(session.id.clone()));
        self.collect_user(session.uid, events);
    }

    fn sessions_of(&self, uid: u32) -> impl Iterator<Item = &Session> {
        self.sessions.values().filter(move |s| s.uid == uid)
    }
}

/// The session the caller is in (get_sender_session()); `auto` also takes the display session
/// of the caller's user, which without seats and graphical sessions is the same answer.
pub(super) fn caller_session(ctx: &Ctx, auto: bool) -> Result<String, MethodError> {
    let pid = ctx.caller().pid;
    let state = ctx.shared.lock();
    if let Some(s) = u32::try_from(pid)
        .ok()
        .and_then(|pid| state.session_of_pid(pid))
    {
        return Ok(s.id.clone());
    }
    Err(MethodError::new(
        errors::NO_SESSION_FOR_PID,
        if auto {
            "Caller does not belong to any known session and doesn't own any suitable session."
        } else {
            "Caller does not belong to any known session."
        },
    ))
}

/// manager_get_session_from_creds(): a session by id, `self` (or empty) and `auto` the caller's.
pub(super) fn resolve(ctx: &Ctx, name: &str) -> Result<String, MethodError> {
    match name {
        "" | "self" => caller_session(ctx, false),
        "auto" => caller_session(ctx, true),
        _ if ctx.shared.lock().sessions.contains_key(name) => Ok(name.to_string()),
        _ => Err(MethodError::new(
            errors::NO_SUCH_SESSION,
            format!("No session '{name}' known"),
        )),
    }
}

/// CreateSession()'s arguments: uid, leader pid, service, type, class, desktop, seat, vtnr,
/// tty, display, remote, remote user, remote host, and properties for the scope (which we do
/// not make, so they are taken and left).
type CreateArgs = (
    u32,
    u32,
    String,
    String,
    String,
    String,
    String,
    u32,
    String,
    String,
    bool,
    String,
    String,
    Vec<(String, OwnedValue)>,
);

fn invalid(message: String) -> MethodError {
    MethodError::invalid_args(message)
}

/// string_is_safe(): no control characters, quotes or backslashes.
fn is_safe(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || matches!(c, '"' | '\'' | '\\'))
}

/// CreateSession (method_create_session()): root only (its vtable entry is privileged).
pub(super) fn create(ctx: &mut Ctx) -> Result<(), MethodError> {
    let caller = ctx.caller();
    if !is_root(&caller) {
        return Err(MethodError::access_denied());
    }
    let (
        uid,
        leader,
        service,
        kind,
        class,
        desktop,
        seat,
        vtnr,
        tty,
        display,
        remote,
        remote_user,
        remote_host,
        _properties,
    ): CreateArgs = ctx.call.args()?;
    if uid == u32::MAX {
        return Err(invalid("Invalid UID".into()));
    }
    if i32::try_from(leader).is_err() || leader == 1 || leader == std::process::id() {
        return Err(invalid("Invalid leader PID".into()));
    }
    if !kind.is_empty() && !TYPES.contains(&kind.as_str()) {
        return Err(invalid(format!("Invalid session type {kind}")));
    }
    if !class.is_empty() && !CLASSES.contains(&class.as_str()) {
        return Err(invalid(format!("Invalid session class {class}")));
    }
    if !is_safe(&desktop) {
        return Err(invalid(format!("Invalid desktop string {desktop}")));
    }
    // no seats without udev; seat0, which logind always has, is taken as none
    if !seat.is_empty() && seat != "seat0" {
        return Err(MethodError::new(
            errors::NO_SUCH_SEAT,
            format!("No seat '{seat}' known"),
        ));
    }
    let kind = match kind.as_str() {
        "" if !display.is_empty() => "x11".to_string(),
        "" if !tty.is_empty() => "tty".to_string(),
        "" => "unspecified".to_string(),
        _ => kind,
    };
    let class = match class.as_str() {
        "" if kind == "unspecified" => "background".to_string(),
        "" => "user".to_string(),
        _ => class,
    };
    let leader = if leader == 0 {
        u32::try_from(caller.pid).unwrap_or(0)
    } else {
        leader
    };
    let Some(leader_stat) = i32::try_from(leader)
        .ok()
        .filter(|p| *p > 1)
        .and_then(proc::stat)
    else {
        return Err(MethodError::new("System.Error.ESRCH", "No such process"));
    };
    let Some(account) = Accounts::host().user_by_uid(uid).cloned() else {
        return Err(MethodError::new("System.Error.ESRCH", "No such process"));
    };
    let (ours, theirs) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
            .map_err(|e| MethodError::failed(format!("Failed to create session fifo: {e}")))?;
    let mut events = Vec::new();
    let (id, runtime_path) = {
        let mut state = ctx.shared.lock();
        if state.session_of_pid(leader).is_some() {
            return Err(MethodError::new(
                errors::SESSION_BUSY,
                "Already running in a session or user slice",
            ));
        }
        if state.sessions.len() >= SESSIONS_MAX {
            return Err(limits_exceeded("sessions", SESSIONS_MAX, ""));
        }
        if state.sessions_of(uid).count() >= SESSIONS_PER_USER {
            return Err(limits_exceeded("sessions", SESSIONS_PER_USER, " of a user"));
        }
        let id = loop {
            state.session_counter += 1;
            let id = format!("c{}", state.session_counter);
            if !state.sessions.contains_key(&id) {
                break id;
            }
        };
        let runtime_path = state.add_user(&account, &mut events).runtime_path();
        state.sessions.insert(
            id.clone(),
            Session {
                id: id.clone(),
                uid,
                leader,
                leader_start: leader_stat.start_time,
                service,
                kind,
                class,
                desktop,
                tty,
                display,
                remote,
                remote_user,
                remote_host,
                vtnr,
                stamp: now_stamp(),
                idle_hint: false,
                idle_since: (0, 0),
                locked_hint: false,
                fifo: Arc::new(ours),
            },
        );
        events.push(Event::SessionNew(id.clone()));
        (id, runtime_path)
    };
    ctx.shared.wake();
    ctx.emit(events);
    // (session id, object, runtime directory, fifo, uid, seat, vtnr, existing); our copy of the
    // fifo's write end goes when this returns, the message's copy with the message
    ctx.call.reply(&(
        id.clone(),
        session_path(&id),
        runtime_path,
        Fd::from(&theirs),
        uid,
        String::new(),
        vtnr,
        false,
    ))
}

/// End session `id` now, with the events it makes.
fn end(ctx: &Ctx, id: &str) {
    let mut events = Vec::new();
    ctx.shared.lock().end_session(id, &mut events);
    ctx.shared.wake();
    ctx.emit(events);
}

/// ReleaseSession: root only (privileged, as pam_systemd calls it). The session ends at once:
/// without a scope nothing tells when its processes are gone.
pub(super) fn release(ctx: &mut Ctx) -> Result<(), MethodError> {
    if !is_root(&ctx.caller()) {
        return Err(MethodError::access_denied());
    }
    let (name,): (String,) = ctx.call.args()?;
    let id = resolve(ctx, &name)?;
    end(ctx, &id);
    ctx.call.reply(&())
}

/// May the caller manage session `id` (the polkit action org.freedesktop.login1.manage with
/// the session's owner as the good user)?
fn may_manage(ctx: &Ctx, id: &str) -> Result<(), MethodError> {
    let caller = ctx.caller();
    let owner = ctx.shared.lock().sessions.get(id).map(|s| s.uid);
    if is_root(&caller) || owner == Some(caller.uid) {
        Ok(())
    } else {
        Err(MethodError::access_denied())
    }
}

/// The session's processes: the leader (if it is still the process that started the session)
/// and its descendants.
fn processes(ctx: &Ctx, id: &str, leader_only: bool) -> Vec<i32> {
    let Some((leader, start)) = ctx
        .shared
        .lock()
        .sessions
        .get(id)
        .map(|s| (s.leader as i32, s.leader_start))
    else {
        return Vec::new();
    };
    if proc::stat(leader).is_none_or(|s| s.start_time != start) {
        return Vec::new();
    }
    if leader_only {
        return vec![leader];
    }
    let all = proc::all_processes();
    let mut found = vec![leader];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(all.iter().filter(|p| p.ppid == parent).map(|p| p.pid));
        i += 1;
    }
    found
}

fn signal(pids: &[i32], signo: i32) {
    let Ok(sig) = nix::sys::signal::Signal::try_from(signo) else {
        return;
    };
    for pid in pids {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*pid), sig);
    }
}

/// session_kill(): `who` is `leader` or `all` (empty for all); the signal checked as
/// SIGNAL_VALID().
pub(super) fn kill(ctx: &Ctx, id: &str, who: &str, signo: i32) -> Result<(), MethodError> {
    let leader_only = match who {
        "" | "all" => false,
        "leader" => true,
        _ => return Err(invalid(format!("Invalid kill parameter '{who}'"))),
    };
    if !(1..=64).contains(&signo) {
        return Err(invalid(format!("Invalid signal {signo}")));
    }
    may_manage(ctx, id)?;
    signal(&processes(ctx, id, leader_only), signo);
    Ok(())
}

/// session_stop(force): what a scope's stop does to its processes (SIGTERM, with SIGCONT so
/// that stopped ones see it), and the session ends.
pub(super) fn terminate(ctx: &Ctx, id: &str) -> Result<(), MethodError> {
    may_manage(ctx, id)?;
    let pids = processes(ctx, id, false);
    signal(&pids, libc::SIGTERM);
    signal(&pids, libc::SIGCONT);
    end(ctx, id);
    Ok(())
}

/// Lock or Unlock: the signal on the session's object (session_send_lock()).
pub(super) fn lock(ctx: &Ctx, id: &str, locked: bool) -> Result<(), MethodError> {
    may_manage(ctx, id)?;
    ctx.emit(vec![Event::Lock(id.to_string(), locked)]);
    Ok(())
}

/// session_activate(): only a session on a seat can be switched to.
fn activate() -> MethodError {
    MethodError::new("System.Error.EOPNOTSUPP", "Operation not supported")
}

/// The manager's session methods (those naming a session by id).
pub(super) fn manager_call(ctx: &mut Ctx) -> Result<(), MethodError> {
    let call = ctx.call;
    match call.member.as_str() {
        "GetSession" => {
            let (name,): (String,) = call.args()?;
            let id = resolve(ctx, &name)?;
            call.reply(&(session_path(&id),))
        }
        "GetSessionByPID" => {
            let (pid,): (u32,) = call.args()?;
            let id = if pid == 0 {
                caller_session(ctx, false)?
            } else {
                ctx.shared
                    .lock()
                    .session_of_pid(pid)
                    .map(|s| s.id.clone())
                    .ok_or_else(|| {
                        MethodError::new(
                            errors::NO_SESSION_FOR_PID,
                            format!("PID {pid} does not belong to any known session"),
                        )
                    })?
            };
            call.reply(&(session_path(&id),))
        }
        "ListSessions" => {
            let state = ctx.shared.lock();
            let list: Vec<(String, u32, String, String, ObjectPath)> = state
                .sessions
                .values()
                .map(|s| {
                    let name = state.users.get(&s.uid).map(|u| u.name.clone());
                    (
                        s.id.clone(),
                        s.uid,
                        name.unwrap_or_default(),
                        String::new(),
                        session_path(&s.id),
                    )
                })
                .collect();
            drop(state);
            call.reply(&(list,))
        }
        "CreateSession" => create(ctx),
        "ReleaseSession" => release(ctx),
        "ActivateSession" => {
            let (name,): (String,) = call.args()?;
            resolve(ctx, &name)?;
            Err(activate())
        }
        "ActivateSessionOnSeat" => {
            let (name, seat): (String, String) = call.args()?;
            resolve(ctx, &name)?;
            Err(no_seat(&seat))
        }
        "LockSession" | "UnlockSession" => {
            let (name,): (String,) = call.args()?;
            let id = resolve(ctx, &name)?;
            lock(ctx, &id, call.member == "LockSession")?;
            call.reply(&())
        }
        "LockSessions" | "UnlockSessions" => {
            if !is_root(&ctx.caller()) {
                return Err(MethodError::access_denied());
            }
            let ids: Vec<String> = ctx.shared.lock().sessions.keys().cloned().collect();
            let locked = call.member == "LockSessions";
            ctx.emit(ids.into_iter().map(|id| Event::Lock(id, locked)).collect());
            call.reply(&())
        }
        "KillSession" => {
            let (name, who, signo): (String, String, i32) = call.args()?;
            let id = resolve(ctx, &name)?;
            kill(ctx, &id, &who, signo)?;
            call.reply(&())
        }
        "TerminateSession" => {
            let (name,): (String,) = call.args()?;
            let id = resolve(ctx, &name)?;
            terminate(ctx, &id)?;
            call.reply(&())
        }
        _ => Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
}

/// There are no seats (manager_get_seat_from_creds()).
pub(super) fn no_seat(name: &str) -> MethodError {
    MethodError::new(errors::NO_SUCH_SEAT, format!("No seat '{name}' known"))
}

/// A method of a session object.
pub(super) fn object_call(ctx: &mut Ctx, id: &str) -> Result<(), MethodError> {
    let call = ctx.call;
    let not_supported = || {
        MethodError::new(
            errors::NOT_SUPPORTED,
            "Session control is not supported: there are no seats or devices here.",
        )
    };
    match call.member.as_str() {
        "Terminate" => terminate(ctx, id)?,
        "Activate" => return Err(activate()),
        "Lock" | "Unlock" => lock(ctx, id, call.member == "Lock")?,
        "Kill" => {
            let (who, signo): (String, i32) = call.args()?;
            kill(ctx, id, &who, signo)?;
        }
        "SetIdleHint" | "SetLockedHint" => {
            let (b,): (bool,) = call.args()?;
            let caller = ctx.caller();
            let mut state = ctx.shared.lock();
            let Some(s) = state.sessions.get_mut(id) else {
                return Err(MethodError::unknown_object(&call.path));
            };
            if caller.uid != 0 && caller.uid != s.uid {
                let what = if call.member == "SetIdleHint" {
                    "idle"
                } else {
                    "locked"
                };
                return Err(MethodError::new(
                    "org.freedesktop.DBus.Error.AccessDenied",
                    format!("Only owner of session may set {what} hint"),
                ));
            }
            if call.member == "SetLockedHint" {
                s.locked_hint = b;
            } else if !s.graphical() {
                return Err(MethodError::new(
                    errors::NOT_SUPPORTED,
                    "Idle hint control is not supported on non-graphical sessions.",
                ));
            } else if s.idle_hint != b {
                s.idle_hint = b;
                s.idle_since = now_stamp();
            }
        }
        "ReleaseControl" => {
            return Err(MethodError::new(
                errors::NOT_IN_CONTROL,
                "You are not in control of this session",
            ))
        }
        "SetType" | "SetDisplay" => {
            let what = if call.member == "SetType" {
                "type"
            } else {
                "display"
            };
            return Err(MethodError::new(
                errors::NOT_IN_CONTROL,
                format!("You must be in control of this session to set {what}"),
            ));
        }
        "TakeControl"
        | "TakeDevice"
        | "ReleaseDevice"
        | "PauseDeviceComplete"
        | "SetBrightness" => return Err(not_supported()),
        _ => return Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
    call.reply(&())
}

/// A session object's properties, in the order of systemd's session_vtable.
pub(super) fn properties(state: &State, id: &str) -> Option<Vec<(String, Value<'static>)>> {
    let s = state.sessions.get(id)?;
    let name = state
        .users
        .get(&s.uid)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let (idle, since) = s.idle();
    Some(vec![
        value("Id", s.id.clone()),
        value("User", (s.uid, user_path(s.uid))),
        value("Name", name),
        value("Timestamp", s.stamp.0),
        value("TimestampMonotonic", s.stamp.1),
        value("VTNr", s.vtnr),
        value(
            "Seat",
            (String::new(), ObjectPath::from_static_str_unchecked("/")),
        ),
        value("TTY", s.tty.clone()),
        value("Display", s.display.clone()),
        value("Remote", s.remote),
        value("RemoteHost", s.remote_host.clone()),
        value("RemoteUser", s.remote_user.clone()),
        value("Service", s.service.clone()),
        value("Desktop", s.desktop.clone()),
        // no scope unit is made for it
        value("Scope", String::new()),
        value("Leader", s.leader),
        // AUDIT_SESSION_INVALID: ids are logind's own
        value("Audit", u32::MAX),
        value("Type", s.kind.clone()),
        value("Class", s.class.clone()),
        // a session without a seat is active (session_is_active())
        value("Active", true),
        value("State", "active".to_string()),
        value("IdleHint", idle),
        value("IdleSinceHint", since.0),
        value("IdleSinceHintMonotonic", since.1),
        value("LockedHint", s.locked_hint),
    ])
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A session of uid 0 led by this process, for tests of the state.
    pub fn session(id: &str) -> Session {
        let (ours, _theirs) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let me = std::process::id();
        Session {
            id: id.into(),
            uid: 0,
            leader: me,
            leader_start: proc::stat(me as i32).unwrap().start_time,
            service: "su-l".into(),
            kind: "tty".into(),
            class: "user".into(),
            desktop: String::new(),
            tty: String::new(),
            display: String::new(),
            remote: false,
            remote_user: String::new(),
            remote_host: String::new(),
            vtnr: 0,
            stamp: now_stamp(),
            idle_hint: false,
            idle_since: (0, 0),
            locked_hint: false,
            fifo: Arc::new(ours),
        }
    }

    #[test]
    fn a_process_is_in_the_session_its_ancestor_leads() {
        let mut state = State::default();
        state.sessions.insert("c1".into(), session("c1"));
        assert_eq!(
            state
                .session_of_pid(std::process::id())
                .map(|s| s.id.as_str()),
            Some("c1")
        );
        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .unwrap();
        let found = state.session_of_pid(child.id()).map(|s| s.id.clone());
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found.as_deref(), Some("c1"));
        // a leader whose pid names another process now leads nothing
        state.sessions.get_mut("c1").unwrap().leader_start += 1;
        assert!(state.session_of_pid(std::process::id()).is_none());
    }

    #[test]
    fn desktop_names_must_be_safe() {
        assert!(is_safe("GNOME"));
        assert!(!is_safe("a\"b"));
        assert!(!is_safe("a\nb"));
    }
}
