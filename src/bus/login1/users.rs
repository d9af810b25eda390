//! Users (src/login/logind-user.c, logind-user-dbus.c, the user methods of logind-dbus.c, and
//! user-runtime-dir.c): a user is known while it has a session or lingers
//! (/var/lib/systemd/linger/NAME), and has its runtime directory /run/user/UID meanwhile —
//! a tmpfs of RuntimeDirectorySize= owned by the user, mode 0700, as user-runtime-dir@.service
//! mounts it (a plain directory where the container may not mount, as it does there too),
//! removed when the user goes.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zbus::zvariant::{ObjectPath, Value};

use super::sessions::{self, combined_idle};
use super::{errors, is_root, session_path, user_path, value, Ctx, Event, State};
use crate::bus::MethodError;
use crate::sys::accounts::{Accounts, PasswdEntry};
use crate::sys::time::{now_stamp, Stamp};

const LINGER_DIR: &str = "/var/lib/systemd/linger";
const RUNTIME_ROOT: &str = "/run/user";

/// One user known to logind.
pub(super) struct User {
    pub uid: u32,
    gid: u32,
    pub name: String,
    stamp: Stamp,
}

impl User {
    pub fn runtime_path(&self) -> String {
        format!("{RUNTIME_ROOT}/{}", self.uid)
    }

    /// user_check_linger_file().
    fn lingers(&self) -> bool {
        linger_path(&self.name).exists()
    }
}

/// `/var/lib/systemd/linger/` and the name as cescape() writes it.
fn linger_path(name: &str) -> PathBuf {
    let mut escaped = String::new();
    for c in name.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\'' => escaped.push_str("\\'"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                escaped.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => escaped.push(c),
        }
    }
    Path::new(LINGER_DIR).join(escaped)
}

/// cunescape() of what [`linger_path`] escapes.
fn unescape(name: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// physical_memory_scale(10, 100): a tenth of the memory (of the container's cgroup limit
/// when lower), in whole pages; and one inode per 4 KiB of it (logind-core.c).
pub(super) fn runtime_dir_size() -> (u64, u64) {
    const PAGE: u64 = 4096;
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(u64::MAX, |kb| kb.saturating_mul(1024));
    let limit = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    let pages = total.min(limit) / PAGE;
    let size = pages.saturating_mul(10) / 100 * PAGE;
    (size, size.div_ceil(4096))
}

fn is_mount_point(path: &Path) -> bool {
    match (
        std::fs::symlink_metadata(path),
        path.parent().map(std::fs::metadata),
    ) {
        (Ok(m), Some(Ok(parent))) => m.is_dir() && m.dev() != parent.dev(),
        _ => false,
    }
}

/// user_mkdir_runtime_path(): /run/user/UID owned by the user, mode 0700, a tmpfs of its own
/// where the manager may mount one.
fn make_runtime_dir(uid: u32, gid: u32) {
    let _ = std::fs::create_dir_all(RUNTIME_ROOT);
    let path = PathBuf::from(format!("{RUNTIME_ROOT}/{uid}"));
    if is_mount_point(&path) {
        return;
    }
    let _ = std::fs::create_dir(&path);
    let (size, inodes) = runtime_dir_size();
    let options = format!("mode=0700,uid={uid},gid={gid},size={size},nr_inodes={inodes}");
    let mounted = nix::mount::mount(
        Some("tmpfs"),
        &path,
        Some("tmpfs"),
        nix::mount::MsFlags::MS_NODEV | nix::mount::MsFlags::MS_NOSUID,
        Some(options.as_str()),
    );
    if mounted.is_err() {
        // "Assuming containerized execution": the directory itself, which is not a link (only
        // root writes /run/user)
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            let _ = std::os::unix::fs::chown(&path, Some(uid), Some(gid));
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700));
        }
    }
}

/// user_remove_runtime_path(): the tmpfs unmounted (what is still open there stays with who
/// holds it), then the directory and what is left in it.
fn remove_runtime_dir(uid: u32) {
    let path = PathBuf::from(format!("{RUNTIME_ROOT}/{uid}"));
    if is_mount_point(&path) {
        let _ = nix::mount::umount2(&path, nix::mount::MntFlags::MNT_DETACH);
    }
    // remove_dir_all() neither follows links nor races with them
    let _ = std::fs::remove_dir_all(&path);
}

impl State {
    /// The user of `account`, added with its runtime directory when new (user_start()).
    pub(super) fn add_user(&mut self, account: &PasswdEntry, events: &mut Vec<Event>) -> &User {
        let uid = account.uid;
        if !self.users.contains_key(&uid) {
            make_runtime_dir(uid, account.gid);
            events.push(Event::UserNew(uid));
        }
        self.users.entry(uid).or_insert_with(|| User {
            uid,
            gid: account.gid,
            name: account.name.clone(),
            stamp: now_stamp(),
        })
    }

    /// Let user `uid` go if it has no session and does not linger (user_may_gc()).
    pub(super) fn collect_user(&mut self, uid: u32, events: &mut Vec<Event>) {
        let Some(user) = self.users.get(&uid) else {
            return;
        };
        if self.sessions.values().any(|s| s.uid == uid) || user.lingers() {
            return;
        }
        self.users.remove(&uid);
        remove_runtime_dir(uid);
        events.push(Event::UserRemoved(uid));
    }

    /// manager_enumerate_linger_users(): every user with a linger file comes up.
    pub(super) fn add_lingering_users(&mut self, events: &mut Vec<Event>) {
        let Ok(entries) = std::fs::read_dir(LINGER_DIR) else {
            return;
        };
        let accounts = Accounts::host();
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(name) = file.to_str().and_then(unescape) else {
                continue;
            };
            if let Some(account) = accounts.users.iter().find(|u| u.name == name) {
                self.add_user(account, events);
            }
        }
    }

    /// user_get_state(): a user with sessions is active (ours all are), one that only
    /// lingers is lingering.
    fn user_state(&self, user: &User) -> &'static str {
        if self.sessions.values().any(|s| s.uid == user.uid) {
            "active"
        } else if user.lingers() {
            "lingering"
        } else {
            "closing"
        }
    }

    /// The user's display session (user_elect_display()): its best user-class session.
    fn display_of(&self, uid: u32) -> Option<&str> {
        self.sessions
            .values()
            .filter(|s| s.uid == uid && s.may_be_display())
            .min_by_key(|s| (s.display_rank(), s.stamp.1))
            .map(|s| s.id.as_str())
    }
}

/// The caller's user: the owner of the session the caller is in (get_sender_user()).
pub(super) fn caller_user(ctx: &Ctx) -> Result<u32, MethodError> {
    let pid = ctx.caller().pid;
    let state = ctx.shared.lock();
    u32::try_from(pid)
        .ok()
        .and_then(|pid| state.session_of_pid(pid))
        .map(|s| s.uid)
        .filter(|uid| state.users.contains_key(uid))
        .ok_or_else(|| {
            MethodError::new(
                errors::NO_USER_FOR_PID,
                "Caller does not belong to any logged in or lingering user",
            )
        })
}

/// manager_get_user_from_creds(): a known user, or the caller's for UID_INVALID.
fn resolve(ctx: &Ctx, uid: u32) -> Result<u32, MethodError> {
    if uid == u32::MAX {
        return caller_user(ctx);
    }
    if ctx.shared.lock().users.contains_key(&uid) {
        Ok(uid)
    } else {
        Err(MethodError::new(
            errors::NO_SUCH_USER,
            format!("User ID {uid} is not logged in or lingering"),
        ))
    }
}

/// SetUserLinger (method_set_user_linger()): root for anyone, a user for themself
/// (org.freedesktop.login1.set-self-linger is allowed to all, set-user-linger needs an admin).
fn set_linger(ctx: &mut Ctx) -> Result<(), MethodError> {
    let (uid, enable, _interactive): (u32, bool, bool) = ctx.call.args()?;
    let caller = ctx.caller();
    let uid = if uid == u32::MAX {
        // the owner of the caller's session; none is ENXIO
        let pid = u32::try_from(caller.pid).unwrap_or(0);
        let state = ctx.shared.lock();
        state
            .session_of_pid(pid)
            .map(|s| s.uid)
            .ok_or_else(|| MethodError::new("System.Error.ENXIO", "No such device or address"))?
    } else {
        uid
    };
    let Some(account) = Accounts::host().user_by_uid(uid).cloned() else {
        return Err(MethodError::new(
            "System.Error.ENOENT",
            "No such file or directory",
        ));
    };
    if !is_root(&caller) && caller.uid != uid {
        return Err(MethodError::access_denied());
    }
    let io = |e: std::io::Error| {
        MethodError::failed(format!(
            "Failed to change linger state of {}: {e}",
            account.name
        ))
    };
    std::fs::create_dir_all(LINGER_DIR).map_err(io)?;
    let file = linger_path(&account.name);
    let mut events = Vec::new();
    if enable {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .map_err(io)?;
        ctx.shared.lock().add_user(&account, &mut events);
    } else {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
        ctx.shared.lock().collect_user(uid, &mut events);
    }
    ctx.emit(events);
    ctx.call.reply(&())
}

/// May the caller manage user `uid` (org.freedesktop.login1.manage, the user as good user)?
fn may_manage(ctx: &Ctx, uid: u32) -> Result<(), MethodError> {
    let caller = ctx.caller();
    if is_root(&caller) || caller.uid == uid {
        Ok(())
    } else {
        Err(MethodError::access_denied())
    }
}

/// user_kill(): every process of the user's sessions.
fn kill(ctx: &Ctx, uid: u32, signo: i32) -> Result<(), MethodError> {
    if !(1..=64).contains(&signo) {
        return Err(MethodError::invalid_args(format!("Invalid signal {signo}")));
    }
    may_manage(ctx, uid)?;
    for id in sessions_of(ctx, uid) {
        sessions::kill(ctx, &id, "all", signo)?;
    }
    Ok(())
}

/// user_stop(force): each of its sessions terminated; a user that lingers stays.
fn terminate(ctx: &Ctx, uid: u32) -> Result<(), MethodError> {
    may_manage(ctx, uid)?;
    for id in sessions_of(ctx, uid) {
        sessions::terminate(ctx, &id)?;
    }
    Ok(())
}

fn sessions_of(ctx: &Ctx, uid: u32) -> Vec<String> {
    let state = ctx.shared.lock();
    state
        .sessions
        .values()
        .filter(|s| s.uid == uid)
        .map(|s| s.id.clone())
        .collect()
}

/// The manager's user methods.
pub(super) fn manager_call(ctx: &mut Ctx) -> Result<(), MethodError> {
    let call = ctx.call;
    match call.member.as_str() {
        "GetUser" => {
            let (uid,): (u32,) = call.args()?;
            let uid = resolve(ctx, uid)?;
            call.reply(&(user_path(uid),))
        }
        "GetUserByPID" => {
            let (pid,): (u32,) = call.args()?;
            let uid = if pid == 0 {
                caller_user(ctx)?
            } else {
                ctx.shared
                    .lock()
                    .session_of_pid(pid)
                    .map(|s| s.uid)
                    .ok_or_else(|| {
                        MethodError::new(
                            errors::NO_USER_FOR_PID,
                            format!(
                                "PID {pid} does not belong to any logged in user or lingering user"
                            ),
                        )
                    })?
            };
            call.reply(&(user_path(uid),))
        }
        "ListUsers" => {
            let list: Vec<(u32, String, ObjectPath)> = ctx
                .shared
                .lock()
                .users
                .values()
                .map(|u| (u.uid, u.name.clone(), user_path(u.uid)))
                .collect();
            call.reply(&(list,))
        }
        "SetUserLinger" => set_linger(ctx),
        "KillUser" => {
            let (uid, signo): (u32, i32) = call.args()?;
            let uid = resolve(ctx, uid)?;
            kill(ctx, uid, signo)?;
            call.reply(&())
        }
        "TerminateUser" => {
            let (uid,): (u32,) = call.args()?;
            let uid = resolve(ctx, uid)?;
            terminate(ctx, uid)?;
            call.reply(&())
        }
        _ => Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
}

/// A method of a user object.
pub(super) fn object_call(ctx: &mut Ctx, uid: u32) -> Result<(), MethodError> {
    let call = ctx.call;
    match call.member.as_str() {
        "Terminate" => terminate(ctx, uid)?,
        "Kill" => {
            let (signo,): (i32,) = call.args()?;
            kill(ctx, uid, signo)?;
        }
        _ => return Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
    call.reply(&())
}

/// A user object's properties, in the order of systemd's user_vtable.
pub(super) fn properties(state: &State, uid: u32) -> Option<Vec<(String, Value<'static>)>> {
    let u = state.users.get(&uid)?;
    let display = match state.display_of(uid) {
        Some(id) => (id.to_string(), session_path(id)),
        None => (String::new(), ObjectPath::from_static_str_unchecked("/")),
    };
    let sessions: Vec<(String, ObjectPath)> = state
        .sessions
        .values()
        .filter(|s| s.uid == uid)
        .map(|s| (s.id.clone(), session_path(&s.id)))
        .collect();
    let (idle, since) = combined_idle(
        state.sessions.values().filter(|s| s.uid == uid),
        true,
        (0, 0),
    );
    Some(vec![
        value("UID", u.uid),
        value("GID", u.gid),
        value("Name", u.name.clone()),
        value("Timestamp", u.stamp.0),
        value("TimestampMonotonic", u.stamp.1),
        value("RuntimePath", u.runtime_path()),
        // no user@.service or slice is run for it
        value("Service", String::new()),
        value("Slice", String::new()),
        value("Display", display),
        value("State", state.user_state(u).to_string()),
        value("Sessions", sessions),
        value("IdleHint", idle),
        value("IdleSinceHint", since.0),
        value("IdleSinceHintMonotonic", since.1),
        value("Linger", u.lingers()),
    ])
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub fn root() -> User {
        User {
            uid: 0,
            gid: 0,
            name: "root".into(),
            stamp: now_stamp(),
        }
    }

    #[test]
    fn linger_files_are_named_as_cescape_writes_them() {
        assert_eq!(
            linger_path("alice"),
            Path::new("/var/lib/systemd/linger/alice")
        );
        assert_eq!(
            linger_path("a\\b\n"),
            Path::new("/var/lib/systemd/linger/a\\\\b\\x0a")
        );
        assert_eq!(unescape("a\\\\b\\x0a").as_deref(), Some("a\\b\n"));
    }

    #[test]
    fn the_runtime_directory_gets_a_tenth_of_the_memory() {
        let (size, inodes) = runtime_dir_size();
        assert_eq!(size % 4096, 0);
        assert_eq!(inodes, size / 4096);
    }
}
