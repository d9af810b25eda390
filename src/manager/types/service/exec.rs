//! Running a service's (or socket's) commands, service.c's `service_spawn()` with exec.c's
//! reporting: a command becomes the unit's main or control process, recorded before it runs;
//! a command that could not run is reported as exited the way systemd's child would have.

use std::os::fd::AsFd;

use super::{ExitInfo, CLD_EXITED};
use crate::ipc::protocol::ExecRun;
use crate::ipc::saved_state::TrackedPid;
use crate::manager::daemon::Manager;
use crate::manager::exec::{self, ExecContext};
use crate::manager::spawn;
use crate::manager::unit_id::UnitId;
use crate::sys::time::now_stamp;
use crate::unit::model::{Dependency, ExecKind};
use crate::unit::name::UnitType;

/// `code=exited, status=1/FAILURE` / `code=killed, status=15/TERM`.
pub(super) fn describe_exit(code: i32, status: i32) -> String {
    match code {
        CLD_EXITED => match crate::sys::exit_status::exit_status_name(status, true) {
            Some(name) => format!("code=exited, status={status}/{name}"),
            None => format!("code=exited, status={status}"),
        },
        _ => {
            let sig = crate::sys::signal::signal_name(status);
            let short = sig.strip_prefix("SIG").unwrap_or(&sig).to_string();
            let what = if code == super::CLD_DUMPED {
                "dumped"
            } else {
                "killed"
            };
            format!("code={what}, status={status}/{short}")
        }
    }
}

pub(super) fn new_invocation_id() -> String {
    // The kernel's random UUID, as the 128-bit id systemd generates, in its 32-hex-digit form.
    let uuid = std::fs::read_to_string("/proc/sys/kernel/random/uuid").unwrap_or_default();
    let hex: String = uuid.trim().chars().filter(|c| *c != '-').collect();
    if hex.len() == 32 {
        return hex;
    }
    let t = now_stamp();
    format!("{:016x}{:016x}", t.0, t.1 ^ std::process::id() as u64)
}

/// How service.c and socket.c name a command in "Failed to run 'start' task: …": the first
/// of its kind by the state it starts, a later one as the next of its role.
fn task_name(is_service: bool, kind: ExecKind, idx: usize, role: Role) -> String {
    if idx > 0 {
        return match (is_service, role) {
            (false, _) => "next task",
            (true, Role::Main) => "next main task",
            (true, Role::Control) => "next control task",
        }
        .to_string();
    }
    let state = match kind {
        ExecKind::Condition => "exec-condition",
        ExecKind::StartPre => "start-pre",
        ExecKind::Start => "start",
        ExecKind::StartPost => "start-post",
        ExecKind::Reload => "reload",
        ExecKind::Stop => "stop",
        ExecKind::StopPre => "stop-pre",
        ExecKind::StopPost => "stop-post",
    };
    format!("'{state}' task")
}

/// Why a command did not become a process.
pub(super) enum NotRun {
    /// It failed as the child would have, with this status (217/USER, 203/EXEC …).
    Exited(ExitInfo),
    /// The manager could not set it up (a missing EnvironmentFile=): `Result=resources`.
    Resources,
}

/// Which process a command becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Main,
    Control,
}

impl Manager {
    /// Fork and exec command `idx` of `kind` for unit `i` as its `role` process. On failure
    /// before the fork the command is reported as exited with the status systemd's child would
    /// have exited with. The process is the unit's, and in the saved state, before it runs (see
    /// [`Manager::record_spawned`]). Returns whether execve() succeeded.
    pub(super) fn spawn_command(
        &mut self,
        i: UnitId,
        kind: ExecKind,
        idx: usize,
        role: Role,
    ) -> Result<bool, NotRun> {
        let Some(command) = self.units[i].config.exec_commands(kind).get(idx).cloned() else {
            return Err(NotRun::Exited(ExitInfo::exited(203)));
        };
        let id = self.units[i].config.id.clone();
        let fifo = self.open_log_fifo(&id);
        let stdio_socket = exec::stdio_is_socket(&self.units[i].config.settings);
        let is_service = self.units[i].config.unit_type == UnitType::Service;
        // Only the main process is passed the fds (EXEC_PASS_FDS), unless they are its stdio.
        let (sockets, names) = if is_service && (kind == ExecKind::Start || stdio_socket) {
            self.socket_fds_for(i)
        } else {
            Default::default()
        };
        let remote = self.units[i].conn.as_ref().and_then(|c| c.remote);
        // service_spawn() with EXEC_SETENV_RESULT (ExecStop=, ExecStopPost=) or
        // EXEC_SETENV_MONITOR_RESULT (ExecStartPre=, ExecStart=).
        let source = match kind {
            ExecKind::Stop | ExecKind::StopPost if is_service => Some(i),
            ExecKind::StartPre | ExecKind::Start if is_service => self.triggering_service(i),
            _ => None,
        };
        let result_word = source.map(|s| self.units[s].svc.result.to_string());
        let result = source.zip(result_word.as_deref()).map(|(s, word)| {
            let src = &self.units[s];
            let main = &src.svc.exec_main;
            exec::ResultEnv {
                result: word,
                main_exit: (main.pid > 0 && main.exit_usec != 0)
                    .then_some((main.code, main.status)),
                monitored: (s != i)
                    .then_some((src.svc.invocation_id.as_str(), src.config.id.as_str())),
            }
        });
        let prepared = self.exec_context_call(i, |ctx| {
            let ctx = ExecContext {
                sockets: &sockets,
                remote,
                result,
                ..*ctx
            };
            exec::prepare(&ctx, &command, kind, fifo.as_ref().map(|f| f.as_fd()))
        });
        // A failure systemd's child would meet: the command still becomes a process, which
        // logs it and exits with the step's status (`child_failed`).
        let mut child_failed = None;
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => match e.child_failure() {
                Some(fails_at) => {
                    let argv = command.argv.clone();
                    let program = std::path::Path::new(&command.path);
                    let mut plan = match spawn::ExecPlan::new(program, &argv, &[]) {
                        Ok(plan) => plan,
                        Err(_) => return Err(NotRun::Exited(ExitInfo::exited(e.exit_status()))),
                    };
                    plan.fails_at = Some(fails_at);
                    child_failed = Some(e.to_string());
                    exec::Prepared {
                        plan,
                        warnings: Vec::new(),
                    }
                }
                None => {
                    self.unit_log(i, &format!("{e}"));
                    if e.fails_before_fork() {
                        let task = task_name(is_service, kind, idx, role);
                        self.unit_log(i, &format!("Failed to run {task}: {}", e.errno_text()));
                        return Err(NotRun::Resources);
                    }
                    return Err(NotRun::Exited(ExitInfo::exited(e.exit_status())));
                }
            },
        };
        let mut prepared = prepared;
        if kind == ExecKind::Start && is_service {
            let (mut fds, mut names) = if stdio_socket {
                Default::default()
            } else {
                (sockets, names)
            };
            for (fd, name) in self.stored_fds(i) {
                fds.push(fd);
                names.push(name);
            }
            if !fds.is_empty() {
                prepared.plan.non_blocking = self.units[i].config.settings.non_blocking;
                if let Err(e) = prepared.plan.listen_fds(fds, &names) {
                    self.unit_log(i, &format!("Failed to pass the socket fds: {e}"));
                }
            }
        }
        for w in &prepared.warnings {
            self.unit_log(i, w);
        }
        prepared.plan.cgroup = self.realize_cgroup(i);
        self.processes_changed();
        let spawned = match spawn::spawn_recorded(&prepared.plan, |pid| {
            self.record_spawned(i, kind, idx, role, pid.as_raw())
        }) {
            Ok(s) => s,
            Err(e) => {
                self.unit_log(i, &format!("Failed to spawn {}: {e}", command.path));
                return Err(NotRun::Resources);
            }
        };
        drop(prepared);
        drop(fifo);
        let exec_ok = spawned.exec.is_ok();
        if let Err((step, errno)) = spawned.exec {
            // exec_child()'s own lines, written by the child under its pre-exec name.
            let unit = self.units[i].config.id.clone();
            let child = spawned.pid.as_raw();
            let error = crate::errno::text(&std::io::Error::from_raw_os_error(errno as i32));
            // exec_child()'s line for the step that failed, before "Failed at step".
            let reason = match (&child_failed, step) {
                (Some(message), _) => Some(message.clone()),
                (None, spawn::ExecStep::Exec) => {
                    Some(format!("Failed to execute {}: {error}", command.path))
                }
                (None, spawn::ExecStep::Chdir) => Some(format!(
                    "Changing to the requested working directory failed: {error}"
                )),
                _ => None,
            };
            if let Some(reason) = reason {
                self.log_unit_child(&unit, child, &command.path, &format!("{id}: {reason}"));
            }
            // EINVAL from setresuid()/setresgid()/setgroups(): an id the user namespace does not
            // map (a rootless container that maps only root), which the errno alone hides.
            let unmapped = errno == nix::errno::Errno::EINVAL
                && matches!(step, spawn::ExecStep::User | spawn::ExecStep::Group);
            self.log_unit_child(
                &unit,
                child,
                &command.path,
                &format!(
                    "{id}: Failed at step {} spawning {}: {error}{}",
                    step.name(),
                    command.path,
                    if unmapped {
                        " (the user or group is not mapped in this user namespace)"
                    } else {
                        ""
                    }
                ),
            );
        }
        Ok(exec_ok)
    }

    /// Whether command `idx` of `kind` fails before a fork (exec_spawn()'s environment files),
    /// logged as service.c logs it.
    pub(super) fn fails_before_fork(
        &mut self,
        i: UnitId,
        kind: ExecKind,
        idx: usize,
        role: Role,
    ) -> bool {
        let Err(e) = self.exec_context_call(i, exec::check_before_fork) else {
            return false;
        };
        let is_service = self.units[i].config.unit_type == UnitType::Service;
        let task = task_name(is_service, kind, idx, role);
        self.unit_log(i, &format!("{e}"));
        self.unit_log(i, &format!("Failed to run {task}: {}", e.errno_text()));
        true
    }

    /// A command's process exists and has not run yet: it becomes the unit's main or control
    /// process, and the state is saved, so that a manager killed from now on leaves a state
    /// that names it (and one killed before leaves a child that never runs).
    pub(super) fn record_spawned(
        &mut self,
        i: UnitId,
        kind: ExecKind,
        idx: usize,
        role: Role,
        pid: i32,
    ) {
        let tracked = TrackedPid::of(pid);
        let started = now_stamp().0;
        let svc = &mut self.units[i].svc;
        svc.sessions.extend(tracked);
        svc.last_spawned = Some((kind, idx));
        let runs = svc.exec_runs.entry(kind).or_default();
        if runs.len() <= idx {
            runs.resize(idx + 1, ExecRun::default());
        }
        runs[idx] = ExecRun {
            pid,
            start_usec: started,
            ..ExecRun::default()
        };
        match role {
            Role::Main => {
                svc.main_command = idx;
                svc.main_pid = tracked;
                svc.main_pid_alien = false;
                svc.exec_main = ExecRun {
                    pid,
                    start_usec: started,
                    ..ExecRun::default()
                };
            }
            Role::Control => svc.control_pid = tracked,
        }
        self.save_unit_state(i);
    }

    /// service.c's `service_get_triggering_service()`: the one unit that names this one in
    /// `OnFailure=` or `OnSuccess=`, if it is a service (none when several do).
    fn triggering_service(&self, i: UnitId) -> Option<UnitId> {
        let mut naming =
            crate::manager::jobs::graph::dependents(&self.units, i, Dependency::OnFailure);
        naming.extend(crate::manager::jobs::graph::dependents(
            &self.units,
            i,
            Dependency::OnSuccess,
        ));
        match naming.as_slice() {
            [one] if self.units[*one].config.unit_type == UnitType::Service => Some(*one),
            _ => None,
        }
    }

    pub(super) fn exec_context_call<T>(&self, i: UnitId, f: impl FnOnce(&ExecContext) -> T) -> T {
        let notify_path = self.ctx.notify_socket();
        let u = &self.units[i];
        let ctx = ExecContext {
            unit: &u.config,
            manager: &self.config,
            accounts: &self.accounts,
            invocation_id: &u.svc.invocation_id,
            notify_socket: Some(&notify_path),
            main_pid: u.svc.main_pid.map(|p| p.pid),
            manager_is_root: nix::unistd::geteuid().is_root(),
            directories: &self.directories,
            manager_env: &self.manager_env,
            client_environment: &self.client_environment,
            sockets: &[],
            remote: None,
            result: None,
        };
        f(&ctx)
    }
}
