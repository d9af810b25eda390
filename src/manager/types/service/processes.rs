//! The processes of a service, as service.c's `service_sigchld_event()` and unit.c's cgroup
//! watching see them: which unit a process belongs to, a main or control process that exited,
//! processes that are not our children (watched by pidfd), main PID guessing, and signalling
//! the unit's processes per KillMode= (kill.c).

use std::os::fd::{AsFd, FromRawFd, OwnedFd};

use super::{ExitInfo, KillMode, ServiceType, SubState};
use crate::ipc::protocol::{ExecRun, KillWhom, Reply};
use crate::ipc::saved_state::TrackedPid;
use crate::manager::daemon::Manager;
use crate::manager::tokens::{token, KIND_PIDFD};
use crate::manager::unit_id::UnitId;
use crate::sys::time::now_stamp;
use crate::unit::model::ExecKind;

/// Is `pid` a descendant of `ancestor` (so that we will reap it)?
pub(super) fn descends_from(pid: i32, ancestor: i32) -> bool {
    let mut p = pid;
    for _ in 0..64 {
        match crate::sys::proc::stat(p) {
            Some(s) if s.ppid == ancestor => return true,
            Some(s) if s.ppid > 1 => p = s.ppid,
            _ => return false,
        }
    }
    false
}

impl Manager {
    /// The main or control process has not been seen to exit: a child of ours until we reaped
    /// it (its exit status is still to be recorded), an adopted one while it lives.
    pub(super) fn main_pending(&self, i: UnitId) -> bool {
        let svc = &self.units[i].svc;
        svc.main_pid
            .is_some_and(|p| !svc.main_pid_alien || p.is_alive())
    }

    /// Like [`Manager::main_pending`]: our child until reaped; a control process adopted from a
    /// manager that died (not our child) while it lives.
    pub(super) fn control_pending(&self, i: UnitId) -> bool {
        self.units[i].svc.control_pid.is_some_and(|p| {
            p.is_alive() || crate::sys::proc::stat(p.pid).is_some_and(|s| s.ppid == self.my_pid)
        })
    }

    /// Whether anything of unit `i` runs: its cgroup is populated (cgroup mode: exact), else a
    /// process carries one of its marks.
    pub(super) fn has_processes(&self, i: UnitId) -> bool {
        if let Some(populated) = self
            .cgroup_dir(i)
            .and_then(|d| crate::manager::cgroup::populated(&d))
        {
            return populated;
        }
        let svc = &self.units[i].svc;
        !self
            .processes()
            .unit_processes(&svc.invocation_id, &svc.session_ids(), &svc.known_pids())
            .is_empty()
    }

    /// unit_warn_leftover_processes() with unit_log_leftover_process_stop(): a line for each
    /// process of the unit still there as it stops (KillMode=process or none), but not for one
    /// whose name is in parentheses (a command still between fork and exec).
    pub(super) fn log_leftover_processes(&mut self, i: UnitId) {
        for (pid, comm) in self.leftover_processes(i) {
            self.unit_log(
                i,
                &format!("Unit process {pid} ({comm}) remains running after unit stopped."),
            );
        }
    }

    /// unit_log_leftover_process_start(): each process of the unit found as a command is about
    /// to start, a warning of two lines (the second without the unit's name).
    pub(super) fn warn_leftover_processes(&mut self, i: UnitId) {
        for (pid, comm) in self.leftover_processes(i) {
            self.unit_log(
                i,
                &format!(
                    "Found left-over process {pid} ({comm}) in control group while starting unit. Ignoring."
                ),
            );
            self.log(
                i,
                "This usually indicates unclean termination of a previous run, or service implementation deficiencies.",
            );
        }
    }

    /// The sessions of unit `i`'s commands in which something still runs.
    pub(super) fn leftover_sessions(&self, i: UnitId) -> Vec<TrackedPid> {
        let table = self.processes();
        let svc = &self.units[i].svc;
        svc.sessions
            .iter()
            .filter(|s| svc.session_ids().contains(&s.pid))
            .filter(|s| !table.unit_processes("", &[s.pid], &[]).is_empty())
            .copied()
            .collect()
    }

    /// The unit's processes (what its cgroup would hold) with their names, but not one whose
    /// name is in parentheses (a command between fork and exec), as ignore_leftover_process()
    /// skips them.
    fn leftover_processes(&self, i: UnitId) -> Vec<(i32, String)> {
        self.unit_members(i, &[])
            .into_iter()
            .filter_map(|pid| {
                let comm = crate::sys::proc::stat(pid).map_or("n/a".to_string(), |s| s.comm);
                (!comm.starts_with('(')).then_some((pid, comm))
            })
            .collect()
    }

    /// Signal the unit's processes as `state` says; returns whether anything is left to wait for.
    pub(super) fn kill_for_state(&mut self, i: UnitId, state: SubState) -> bool {
        let s = &self.units[i].settings;
        let signal = match state {
            SubState::StopWatchdog | SubState::FinalWatchdog => s.watchdog_signal,
            SubState::StopSigkill | SubState::FinalSigkill => s.final_kill_signal,
            _ if self.units[i].svc.restarting => s.restart_kill_signal,
            _ => s.kill_signal,
        };
        let kill_all = match s.kill_mode {
            KillMode::ControlGroup => true,
            KillMode::Mixed => signal == s.final_kill_signal,
            KillMode::Process | KillMode::None => false,
        };
        if s.kill_mode == KillMode::None {
            return false;
        }
        let send_sighup = s.send_sighup && signal != libc::SIGKILL;
        let cgroup_mode = kill_all;
        let svc = &self.units[i].svc;
        let mut targets: Vec<i32> = svc
            .main_pid
            .iter()
            .chain(svc.control_pid.iter())
            .filter(|p| p.is_alive())
            .map(|p| p.pid)
            .collect();
        if kill_all {
            let known = targets.clone();
            for pid in self.unit_members(i, &known) {
                if !targets.contains(&pid) {
                    targets.push(pid);
                }
            }
        }
        let send = |pid: i32, sig: i32| {
            // SAFETY: kill(2) with plain integers.
            unsafe { libc::kill(pid, sig) };
        };
        let my_pid = self.my_pid;
        let watched: Vec<i32> = self
            .pidfds
            .values()
            .filter(|(u, _, _)| *u == i)
            .map(|(_, p, _)| *p)
            .collect();
        // unit_kill_context()'s log_kill(): a kill past the polite first signal is noteworthy
        // (not a process whose name is in parentheses, a manager helper).
        let noteworthy = matches!(
            state,
            SubState::StopSigkill
                | SubState::FinalSigkill
                | SubState::StopWatchdog
                | SubState::FinalWatchdog
        ) || matches!(signal, libc::SIGKILL | libc::SIGABRT);
        for &pid in &targets {
            // Processes that are not our children (a unit adopted from a previous manager) end
            // without a SIGCHLD for us: watch them through pidfds instead.
            if !watched.contains(&pid) && !descends_from(pid, my_pid) {
                self.watch_pidfd(i, pid);
            }
            if noteworthy {
                let comm = crate::sys::proc::stat(pid).map(|p| p.comm);
                if !comm.as_deref().is_some_and(|c| c.starts_with('(')) {
                    let line = format!(
                        "Killing process {pid} ({}) with signal SIG{}.",
                        comm.as_deref().unwrap_or("n/a"),
                        crate::sys::signal::signal_name(signal)
                    );
                    self.unit_log(i, &line);
                }
            }
            send(pid, signal);
            if signal != libc::SIGKILL && signal != libc::SIGCONT {
                send(pid, libc::SIGCONT);
            }
            if send_sighup {
                send(pid, libc::SIGHUP);
            }
        }
        self.main_pending(i) || self.control_pending(i) || (cgroup_mode && self.has_processes(i))
    }

    pub(in crate::manager) fn on_process_exit(&mut self, pid: i32, exit: ExitInfo) {
        let found = self.units.iter().find_map(|(i, u)| {
            if u.svc.main_pid.is_some_and(|p| p.pid == pid) {
                Some((i, true))
            } else if u.svc.control_pid.is_some_and(|p| p.pid == pid) {
                Some((i, false))
            } else {
                None
            }
        });
        match found {
            Some((i, true)) => self.main_process_gone(i, exit),
            Some((i, false)) => self.control_exited(i, exit),
            None => {}
        }
    }

    /// The main process of unit `i` ended with `exit`.
    pub(in crate::manager) fn main_process_gone(&mut self, i: UnitId, exit: ExitInfo) {
        // service_sigchld_event(): a daemon may move to a new PID (nginx's binary upgrade)
        // as long as it rewrote its PID file before the old one exited.
        if self.load_pid_file(i, false) {
            return;
        }
        let idx = self.units[i].svc.main_command;
        if self.units[i].settings.kind != ServiceType::Forking {
            super::transitions::record_run(&mut self.units[i].svc, ExecKind::Start, idx, exit);
        }
        let run = &mut self.units[i].svc.exec_main;
        run.exit_usec = now_stamp().0;
        run.code = exit.code;
        run.status = exit.status;
        self.main_exited(i, exit);
    }

    /// systemd's GuessMainPID=: the one process of the unit that was reparented to us, or,
    /// for a unit adopted from a manager that died, to whoever reaped its orphans then: the one
    /// process of the unit, other than its control process, whose parent is not the unit's.
    pub(super) fn guess_main_pid(&mut self, i: UnitId) -> bool {
        let svc = &self.units[i].svc;
        let control = svc.control_pid.map(|p| p.pid);
        let pids =
            crate::manager::process::unit_processes(&svc.invocation_id, &svc.session_ids(), &[]);
        let candidates: Vec<i32> = pids
            .iter()
            .copied()
            .filter(|&p| Some(p) != control)
            .filter(|&p| {
                crate::sys::proc::stat(p)
                    .is_some_and(|s| s.ppid == self.my_pid || !pids.contains(&s.ppid))
            })
            .collect();
        if let [pid] = candidates[..] {
            self.set_main_pid(i, pid);
            true
        } else {
            false
        }
    }

    pub(in crate::manager) fn set_main_pid(&mut self, i: UnitId, pid: i32) {
        let alien = !descends_from(pid, self.my_pid);
        let svc = &mut self.units[i].svc;
        svc.main_pid = TrackedPid::of(pid);
        svc.main_pid_alien = alien;
        svc.exec_main = ExecRun {
            pid,
            start_usec: now_stamp().0,
            ..ExecRun::default()
        };
        if alien {
            self.watch_pidfd(i, pid);
        }
    }

    pub(in crate::manager) fn watch_pidfd(&mut self, i: UnitId, pid: i32) {
        // SAFETY: pidfd_open(2) with plain integers; the result is a new fd we own.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return;
        }
        // SAFETY: fd was just returned to us by the kernel.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        let id = self.next_id();
        if self.events.watch(fd.as_fd(), token(KIND_PIDFD, id)).is_ok() {
            self.pidfds.insert(id, (i, pid, fd));
        }
    }

    pub(super) fn unwatch_pidfd(&mut self, i: UnitId) {
        let ids: Vec<u64> = self
            .pidfds
            .iter()
            .filter(|(_, (u, _, _))| *u == i)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some((_, _, fd)) = self.pidfds.remove(&id) {
                self.events.unwatch(fd.as_fd());
            }
        }
    }

    /// A process that is not our child ended; if it was the main process, its exit status is
    /// not ours to know.
    pub(in crate::manager) fn on_pidfd(&mut self, id: u64) {
        let Some((i, pid, fd)) = self.pidfds.remove(&id) else {
            return;
        };
        self.events.unwatch(fd.as_fd());
        if !self.units.contains(i) {
            return;
        }
        let svc = &self.units[i].svc;
        let is_main = svc.main_pid.is_some_and(|p| p.pid == pid);
        // A control process adopted from a manager that died: not our child either.
        let is_control = svc
            .control_pid
            .is_some_and(|p| p.pid == pid && !p.is_alive());
        if is_main && svc.main_pid_alien {
            let exit = ExitInfo::exited(0);
            self.units[i].svc.exec_main.code = exit.code;
            self.units[i].svc.exec_main.exit_usec = now_stamp().0;
            self.main_exited(i, exit);
        } else if is_control {
            self.control_exited(i, ExitInfo::exited(0));
        }
        self.check_emptied_units();
    }

    /// After children died: units waiting for their processes to be gone move on.
    pub(in crate::manager) fn check_emptied_units(&mut self) {
        for i in self.units.ids() {
            if self.units[i].svc.control_pid.is_some() && !self.control_pending(i) {
                // An adopted control process ended and its pidfd said nothing (it was gone
                // before the watch began): its exit is delivered here, status unknown.
                self.control_exited(i, ExitInfo::exited(0));
            }
            self.service_emptied(i);
        }
    }

    /// The processes of unit `i`: its cgroup's (cgroup mode), else those carrying its marks or
    /// descending from `known`.
    pub(in crate::manager) fn unit_members(&self, i: UnitId, known: &[i32]) -> Vec<i32> {
        if let Some(pids) = self
            .cgroup_dir(i)
            .and_then(|d| crate::manager::cgroup::members(&d))
        {
            return pids;
        }
        let svc = &self.units[i].svc;
        self.processes()
            .unit_processes(&svc.invocation_id, &svc.session_ids(), known)
    }

    /// Does `pid` belong to unit `i` by marks no other process can fake: it runs in a session one
    /// of the unit's commands created, or descends from its main or control process.
    pub(in crate::manager) fn owns_process(&self, i: UnitId, pid: i32) -> bool {
        let svc = &self.units[i].svc;
        if crate::sys::proc::stat(pid).is_some_and(|s| svc.session_ids().contains(&s.session)) {
            return true;
        }
        svc.main_pid
            .iter()
            .chain(svc.control_pid.iter())
            .any(|p| p.pid == pid || descends_from(pid, p.pid))
    }

    /// The unit `pid` belongs to: a main or control process of one, the unit whose cgroup
    /// holds it (cgroup mode), or a process of one still running (its child, or in its
    /// session).
    pub(in crate::manager) fn unit_of_process(&self, pid: i32) -> Option<UnitId> {
        if pid <= 0 {
            return None;
        }
        let named =
            |p: &Option<crate::ipc::saved_state::TrackedPid>| p.is_some_and(|p| p.pid == pid);
        self.units
            .iter()
            .find(|(_, u)| named(&u.svc.main_pid) || named(&u.svc.control_pid))
            .map(|(i, _)| i)
            .or_else(|| self.unit_by_cgroup(pid))
            .or_else(|| {
                self.units
                    .ids()
                    .into_iter()
                    .find(|&i| !self.units[i].is_inactive() && self.owns_process(i, pid))
            })
    }

    pub(in crate::manager) fn kill_units(
        &mut self,
        names: &[String],
        whom: KillWhom,
        signal: i32,
    ) -> Reply {
        for name in names {
            // KillUnit() acts on loaded units only (bus_get_unit_by_name()): one that was
            // collected or never loaded is refused, a template without instance too.
            let Some(i) = self.units.lookup(name) else {
                return Reply::Error(format!("Unit {name} not loaded."));
            };
            let inactive = self.units[i].is_inactive();
            let svc = &self.units[i].svc;
            let main = svc.main_pid.filter(|p| p.is_alive()).map(|p| p.pid);
            let control = svc.control_pid.filter(|p| p.is_alive()).map(|p| p.pid);
            let targets: Vec<i32> = match whom {
                KillWhom::Main => match main {
                    Some(p) => vec![p],
                    None => return Reply::Error("No main process to kill".into()),
                },
                KillWhom::Control => match control {
                    Some(p) => vec![p],
                    None => return Reply::Error("No control process to kill".into()),
                },
                KillWhom::All => {
                    let known: Vec<i32> = main.iter().chain(control.iter()).copied().collect();
                    if svc.invocation_id.is_empty() || inactive {
                        known
                    } else {
                        crate::manager::process::unit_processes(
                            &svc.invocation_id,
                            &svc.session_ids(),
                            &known,
                        )
                    }
                }
            };
            // unit_kill_common(): the control and main processes are named in the log.
            let named = [(control, "control"), (main, "main")];
            let mut lines = Vec::new();
            for pid in targets {
                let role = named.iter().find(|(p, _)| *p == Some(pid)).map(|(_, r)| *r);
                let comm = role
                    .and_then(|_| crate::sys::proc::stat(pid))
                    .map(|p| p.comm);
                // SAFETY: kill(2) with plain integers.
                let sent = unsafe { libc::kill(pid, signal) } == 0;
                if let (Some(role), true) = (role, sent) {
                    lines.push(format!(
                        "Sent signal SIG{} to {role} process {pid} ({}) on client request.",
                        crate::sys::signal::signal_name(signal),
                        comm.as_deref().unwrap_or("n/a")
                    ));
                }
            }
            lines.sort_by_key(|l| !l.contains(" to control process "));
            for line in lines {
                self.unit_log(i, &line);
            }
        }
        Reply::Done
    }
}
