//! PID files of forking services, as service.c reads, watches and removes them
//! (service_load_pid_file(), service_is_suitable_main_pid(), service_demand_pid_file(),
//! service_enter_dead()). The file often sits in a directory the service's user owns, so what
//! is found there is that user's word: the path is chased with CHASE_SAFE, only a regular file
//! is read, and a process outside the unit is taken only on a path and a file root vouches for.

use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::fcntl::OFlag;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

use crate::manager::daemon::Manager;
use crate::manager::tokens::{token, KIND_PIDFILE};
use crate::manager::types::service::{ServiceResult, SubState};
use crate::manager::unit_id::UnitId;
use crate::sys::chase::{chase, ChaseFlags};

/// What a PID file says, and whether the path to it can be trusted.
struct PidFile {
    pid: i32,
    owner: u32,
    /// The path passed from a directory or link an unprivileged user owns to something another
    /// owns (chase_symlinks()'s CHASE_SAFE refused it): only a process of the unit is accepted.
    questionable: bool,
}

/// The first line of a PID file, read as service_load_pid_file() reads it: chased with
/// CHASE_SAFE, then without it, marked questionable. Only a regular file is read, and only its
/// first 4 KiB: the file may sit in a directory a service user owns, and a FIFO or a huge file
/// there must not block or swell the manager.
/// Err(errno) when the path cannot be chased to a file (a file not there yet).
fn read_pid_file(path: &Path) -> Result<Option<PidFile>, i32> {
    let root = Path::new("/");
    let (chased, questionable) = match chase(path, root, ChaseFlags::SAFE) {
        Ok(chased) => (chased, false),
        Err(e) if e.errno() == libc::ENOLINK => match chase(path, root, ChaseFlags::default()) {
            Ok(chased) => (chased, true),
            Err(e) => return Err(e.errno()),
        },
        Err(e) => return Err(e.errno()),
    };
    Ok(read_chased(chased, questionable))
}

fn read_chased(chased: crate::sys::chase::Chased, questionable: bool) -> Option<PidFile> {
    // Opening a FIFO or a device has effects of its own: the type is looked at first.
    let stat = nix::sys::stat::fstat(chased.fd.as_ref()?).ok()?;
    if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
        return None;
    }
    let file = chased.reopen(OFlag::O_RDONLY | OFlag::O_NOCTTY).ok()?;
    let meta = file.metadata().ok()?;
    let mut text = String::new();
    file.take(4096).read_to_string(&mut text).ok()?;
    let pid = text
        .lines()
        .next()?
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|p| *p > 0)?;
    Some(PidFile {
        pid,
        owner: meta.uid(),
        questionable,
    })
}

/// service_enter_dead() removes the PID file: it is out of date, and software reading it would
/// take a recycled pid for the daemon. The directory is chased with CHASE_SAFE and the file
/// unlinked relative to it, so a symlink in a directory the service's user owns cannot make the
/// manager delete a file elsewhere (systemd's plain unlink() would follow it).
pub(in crate::manager) fn remove_pid_file(path: &Path) {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let Ok(dir) = chase(parent, Path::new("/"), ChaseFlags::SAFE) else {
        return;
    };
    if let Some(fd) = dir.fd {
        let _ = nix::unistd::unlinkat(&fd, name, nix::unistd::UnlinkatFlags::NoRemoveDir);
    }
}

impl Manager {
    /// service_load_pid_file() and service_is_suitable_main_pid(): the main PID a PID file names,
    /// if it may be the unit's.
    /// `may_warn`: a file that is not there is worth a line of the unit's log.
    pub(in crate::manager) fn load_pid_file(&mut self, i: UnitId, may_warn: bool) -> bool {
        let Some(path) = self.units[i].settings.pid_file.clone() else {
            return false;
        };
        let file = match read_pid_file(&path) {
            Ok(Some(file)) => file,
            Ok(None) => return false,
            Err(errno) => {
                if may_warn {
                    let state = self.units[i].svc.state.as_str();
                    let error = crate::errno::text(&std::io::Error::from_raw_os_error(errno));
                    self.unit_log(
                        i,
                        &format!(
                            "Can't open PID file {} (yet?) after {state}: {error}",
                            path.display()
                        ),
                    );
                }
                return false;
            }
        };
        let pid = file.pid;
        let svc = &self.units[i].svc;
        if pid == self.my_pid || pid == 1 {
            self.unit_log(i, &format!("New main PID {pid} is the manager, refusing."));
            return false;
        }
        if svc.control_pid.is_some_and(|c| c.pid == pid) {
            self.unit_log(
                i,
                &format!("New main PID {pid} is the control process, refusing."),
            );
            return false;
        }
        if crate::sys::proc::stat(pid).is_none_or(|s| s.state == 'Z') {
            return false;
        }
        let inherited = !svc.invocation_id.is_empty()
            && crate::sys::proc::invocation_of(pid)
                .is_some_and(|v| v == svc.invocation_id.as_bytes());
        let belongs = self.owns_process(i, pid) || inherited;
        if !belongs && file.questionable {
            // The path went from a directory an unprivileged user owns to something another
            // owns: that user may have pointed it anywhere, at another unit's process or ours.
            self.unit_log(
                i,
                &format!(
                    "Refusing to accept PID outside of service control group, acquired through unsafe symlink chain: {}",
                    path.display()
                ),
            );
            return false;
        }
        let root_owned = file.owner == 0 || file.owner == nix::unistd::geteuid().as_raw();
        if !belongs && !root_owned && !self.started_since_start(i, pid, file.owner) {
            self.unit_log(
                i,
                &format!(
                    "New main PID {pid} does not belong to service, and PID file is not owned by root. Refusing."
                ),
            );
            return false;
        }
        self.set_main_pid(i, pid);
        true
    }

    /// Stands in for systemd's cgroup check of a PID file not owned by root: a daemon that
    /// double-forked into a session of its own with a clean environment (pg_ctl's postmaster)
    /// is the unit's if it runs as the file's owner, is no other unit's, and started since this
    /// start began. /proc's start times count on the boot clock, which runs ahead of the
    /// monotonic one by the time the machine was suspended.
    fn started_since_start(&self, i: UnitId, pid: i32, owner: u32) -> bool {
        let begun = self.units[i].stamps.inactive_exit.1 + crate::sys::proc::suspended_usec();
        let owned = std::fs::metadata(format!("/proc/{pid}")).is_ok_and(|m| m.uid() == owner);
        let anothers = self.unit_of_process(pid).is_some_and(|k| k != i);
        // A tick of slack for the resolution of /proc's start time.
        let since_start = || {
            crate::sys::proc::stat(pid)
                .is_some_and(|s| crate::sys::proc::started_usec(&s) + 10_000 >= begun)
        };
        owned && !anothers && since_start()
    }

    pub(in crate::manager) fn watch_pid_file(&mut self, i: UnitId) {
        let Some(path) = self.units[i].settings.pid_file.clone() else {
            return;
        };
        let Some(dir) = path.parent() else {
            return;
        };
        let Ok(inotify) = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC) else {
            return;
        };
        let flags = AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_CLOSE_WRITE
            | AddWatchFlags::IN_MODIFY;
        if inotify.add_watch(dir, flags).is_err() {
            return;
        }
        let id = self.next_id();
        if self
            .events
            .watch(inotify.as_fd(), token(KIND_PIDFILE, id))
            .is_ok()
        {
            self.pidfile_watches.insert(id, (i, inotify));
        }
        // The file may have appeared between the read and the watch (service_retry_pid_file()).
        if self.load_pid_file(i, false) {
            self.unwatch_pid_file(i);
            self.enter_running(i, ServiceResult::Success);
        }
    }

    pub(in crate::manager) fn unwatch_pid_file(&mut self, i: UnitId) {
        let ids: Vec<u64> = self
            .pidfile_watches
            .iter()
            .filter(|(_, (u, _))| *u == i)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some((_, inotify)) = self.pidfile_watches.remove(&id) {
                self.events.unwatch(inotify.as_fd());
            }
        }
    }

    pub(in crate::manager) fn on_pidfile_event(&mut self, id: u64) {
        let Some(i) = self.pidfile_watches.get(&id).map(|(u, ino)| {
            while let Ok(events) = ino.read_events() {
                if events.is_empty() {
                    break;
                }
            }
            *u
        }) else {
            return;
        };
        if !self.units.contains(i) {
            return;
        }
        // service_retry_pid_file(): the start goes on to running (a start that waits in
        // `start` has no ExecStartPost=; one in `start-post` has run it).
        let state = self.units[i].svc.state;
        if matches!(state, SubState::Start | SubState::StartPost) && self.load_pid_file(i, false) {
            self.unwatch_pid_file(i);
            self.enter_running(i, ServiceResult::Success);
        }
    }
}
