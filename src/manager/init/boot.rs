//! The manager as PID 1 (systemd's src/core/main.c and the emergency actions of
//! src/core/emergency-action.c): the boot of the default target, the init signals, the shutdown
//! and the final sweep of every process left.

use super::super::daemon::Manager;
use super::super::event::after;
use super::super::tokens::SWEEP_DEADLINE;
use super::{
    Sweep, EARLY_BOOT_UNITS, SIGRTMIN_HALT, SIGRTMIN_POWEROFF, SIGRTMIN_REBOOT, SWEEP_GRACE,
};
use crate::ipc::protocol::JobMode;
use crate::unit::job::JobKind;
use crate::unit::name::UnitName;

impl Manager {
    /// Start what the system boots into: an isolate of the default target (or `unit`).
    pub(in crate::manager) fn boot(&mut self, unit: &str) {
        let Ok(name) = UnitName::parse(unit) else {
            self.log_manager(&format!(
                "Invalid unit name {unit}, starting default.target."
            ));
            return self.boot("default.target");
        };
        let Some(i) = self.loaded_index(&name) else {
            self.log_manager(&format!("Unit {unit} not found."));
            return;
        };
        if let Err((message, _)) = self.run_transaction(i, JobKind::Start, JobMode::Isolate, None) {
            self.log_manager(&format!("Failed to start {unit}: {message}"));
        }
    }

    /// A manager that is not the init arrives in a system that is already up (some other init
    /// started the container): the targets of early boot count as reached, so that starting a
    /// service does not start everything sysinit.target wants.
    pub(in crate::manager) fn assume_booted(&mut self) {
        for name in EARLY_BOOT_UNITS {
            let Ok(unit) = UnitName::parse(name) else {
                continue;
            };
            let Some(i) = self.loaded_index(&unit) else {
                continue;
            };
            if self.units[i].is_loaded() && self.is_inactive(i) && !self.jobs.has_job(i) {
                self.assume_active(i);
            }
        }
    }

    /// init.scope, the unit of the manager's own process, up from the start as systemd makes
    /// it (scope_enumerate_perpetual()), whether the manager is the init or not.
    pub(in crate::manager) fn make_init_scope(&mut self) {
        let Ok(name) = UnitName::parse(crate::unit::builtin::INIT_SCOPE) else {
            return;
        };
        let i = self.unit_index(&name);
        if self.units[i].is_loaded() && self.is_inactive(i) {
            self.assume_active(i);
        }
    }

    /// Unit `i` (a slice, target or scope) counts as up, its own state set without notifying
    /// anyone: nothing ran to get it there.
    fn assume_active(&mut self, i: crate::manager::unit_id::UnitId) {
        let stamp = crate::sys::time::now_stamp();
        let u = &mut self.units[i];
        let Some(state) = u.target_mut() else {
            return;
        };
        *state = crate::manager::types::target::TargetState::Active;
        u.stamps.active_enter = stamp;
        u.stamps.inactive_exit = stamp;
        u.stamps.state_change = stamp;
    }

    pub(in crate::manager) fn on_init_signal(&mut self, sig: i32) {
        let what = match sig {
            libc::SIGTERM | libc::SIGINT | SIGRTMIN_HALT => "halt",
            SIGRTMIN_POWEROFF => "poweroff",
            SIGRTMIN_REBOOT => "reboot",
            _ => {
                self.log_manager(&format!(
                    "Received {}, ignoring.",
                    crate::sys::signal::signal_name(sig)
                ));
                return;
            }
        };
        self.log_manager(&format!(
            "Received {} ({what}), shutting down.",
            crate::sys::signal::signal_name(sig)
        ));
        self.begin_shutdown();
    }

    /// Drive the sweep one step; true once nothing is left.
    pub(in crate::manager) fn sweep_finished(&mut self) -> bool {
        match self.sweep {
            Sweep::Done => true,
            Sweep::NotStarted => {
                if !self.has_children() {
                    self.sweep = Sweep::Done;
                    return true;
                }
                self.log_manager("Sending SIGTERM to remaining processes...");
                self.signal_remaining(libc::SIGTERM);
                self.sweep = Sweep::Terminating;
                self.events.set_deadline(after(SWEEP_GRACE), SWEEP_DEADLINE);
                false
            }
            Sweep::Terminating | Sweep::Killing => {
                // One broadcast, as systemd-shutdown does: a daemon may take a second SIGTERM
                // as "quit now"; what ignores the first gets SIGKILL at the deadline.
                if self.has_children() {
                    return false;
                }
                self.sweep = Sweep::Done;
                true
            }
        }
    }

    pub(in crate::manager) fn on_sweep_deadline(&mut self) {
        match self.sweep {
            Sweep::Terminating => {
                self.log_manager("Sending SIGKILL to remaining processes...");
                self.signal_remaining(libc::SIGKILL);
                self.sweep = Sweep::Killing;
                self.events.set_deadline(after(SWEEP_GRACE), SWEEP_DEADLINE);
            }
            Sweep::Killing => {
                // Processes that survive SIGKILL (uninterruptible sleep) are not waited for.
                self.sweep = Sweep::Done;
            }
            _ => {}
        }
    }

    /// As PID 1 every process of the namespace; otherwise (a subreaper under another init)
    /// every descendant of ours.
    fn signal_remaining(&self, sig: i32) {
        if self.my_pid == 1 {
            // SAFETY: kill(-1) as PID 1 signals every process of our namespace but us.
            unsafe { libc::kill(-1, sig) };
            return;
        }
        let procs = crate::sys::proc::all_processes();
        let mut ours = vec![self.my_pid];
        let mut k = 0;
        while k < ours.len() {
            let parent = ours[k];
            ours.extend(procs.iter().filter(|p| p.ppid == parent).map(|p| p.pid));
            k += 1;
        }
        for &pid in &ours[1..] {
            // SAFETY: plain kill() of a descendant.
            unsafe { libc::kill(pid, sig) };
        }
    }

    /// Whether any child (zombie or not) remains, without reaping it.
    fn has_children(&self) -> bool {
        // SAFETY: waitid with WNOWAIT only inspects; the siginfo is ours.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let r = libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            );
            r == 0
        }
    }
}
