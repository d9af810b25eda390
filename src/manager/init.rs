//! The manager as the container's init, as systemd(1) is PID 1: it starts fresh (state left in
//! the image is discarded), creates what tmpfiles.d asks for (systemd-tmpfiles-setup.service's
//! `--create --remove --boot`), starts `default.target` (or the unit named with `--unit=`),
//! reaps every orphan, and answers the signals of systemd(1) "Signals" the way a container
//! needs: SIGTERM, SIGINT and SIGRTMIN+3 halt, SIGRTMIN+4 powers off, SIGRTMIN+5 reboots (all
//! three end the container), SIGHUP reloads, SIGUSR1/SIGUSR2 are ignored. Shutting down stops
//! the units in reverse order, then sweeps what is left (SIGTERM, then SIGKILL after
//! [`SWEEP_GRACE`]), as systemd-shutdown does, and exits with the manager's exit code.

use std::time::Duration;

use super::daemon::Manager;
use super::event::after;
use super::jobs::JobKind;
use crate::ipc::protocol::JobMode;
use crate::unit::name::UnitName;

use crate::sys::signal::SIGRTMIN;

pub const SIGRTMIN_HALT: i32 = SIGRTMIN + 3;
pub const SIGRTMIN_POWEROFF: i32 = SIGRTMIN + 4;
pub const SIGRTMIN_REBOOT: i32 = SIGRTMIN + 5;

/// Signals an init takes through its loop besides the manager's own.
pub const INIT_SIGNALS: [i32; 5] = [
    libc::SIGUSR1,
    libc::SIGUSR2,
    SIGRTMIN_HALT,
    SIGRTMIN_POWEROFF,
    SIGRTMIN_REBOOT,
];

/// What a booted system has reached before anyone asks for a service: the targets of
/// systemd.special(7)'s early boot and the slices services go in.
const EARLY_BOOT_UNITS: [&str; 9] = [
    "-.slice",
    "system.slice",
    "local-fs.target",
    "swap.target",
    "sysinit.target",
    "sockets.target",
    "paths.target",
    "slices.target",
    "basic.target",
];

/// Deadline token of the final sweep.
pub(super) const SWEEP_DEADLINE: u64 = u64::MAX - 2;

/// How long processes left after every unit stopped get between SIGTERM and SIGKILL.
pub const SWEEP_GRACE: Duration = Duration::from_secs(5);

/// The final sweep of processes no unit accounted for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    #[default]
    NotStarted,
    Terminating,
    Killing,
    Done,
}

/// How the init was asked to run.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// `--unit=`/`systemd.unit=`: what to start instead of default.target.
    pub unit: Option<String>,
}

impl Manager {
    /// Start what the system boots into: an isolate of the default target (or `unit`).
    pub(super) fn boot(&mut self, unit: &str) {
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
    pub(super) fn assume_booted(&mut self) {
        for name in EARLY_BOOT_UNITS {
            let Ok(unit) = UnitName::parse(name) else {
                continue;
            };
            let Some(i) = self.loaded_index(&unit) else {
                continue;
            };
            if self.units[i].is_loaded() && self.is_inactive(i) && !self.jobs.has_job(i) {
                let stamp = super::unit::now_stamp();
                let u = &mut self.units[i];
                u.svc.state = super::types::service::SubState::Running;
                u.stamps.active_enter = stamp;
                u.stamps.inactive_exit = stamp;
                u.stamps.state_change = stamp;
            }
        }
    }

    pub(super) fn on_init_signal(&mut self, sig: i32) {
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
    pub(super) fn sweep_finished(&mut self) -> bool {
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

    pub(super) fn on_sweep_deadline(&mut self) {
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

/// The program names and arguments that make the binary an init: `init`/`systemd` as PID 1
/// (or with `--init`/`--system`), `systemctl` as PID 1 with no verb, or `systemctl init`
/// (the docker-systemctl-replacement spelling), each with an optional unit to boot.
pub fn init_invocation(program: &str, args: &[String], pid: u32) -> Option<InitOptions> {
    let mut opts = InitOptions::default();
    let mut explicit = false;
    let mut rest: Vec<&str> = Vec::new();
    let is_init_name = matches!(program, "init" | "systemd");
    for a in args {
        match a.as_str() {
            "--init" => explicit = true,
            "--system" if is_init_name => {}
            a if a.starts_with("--unit=") => opts.unit = Some(a["--unit=".len()..].to_string()),
            a if a.starts_with("systemd.unit=") => {
                opts.unit = Some(a["systemd.unit=".len()..].to_string())
            }
            // systemd's own switches an image's entrypoint may carry
            "--log-target=console" | "--log-level=info" | "--show-status=yes" => {}
            a => rest.push(a),
        }
    }
    match (program, rest.as_slice()) {
        (_, ["init", units @ ..]) if program == "systemctl" => {
            opts.unit = opts.unit.or_else(|| units.first().map(|u| u.to_string()));
            Some(opts)
        }
        (_, []) if explicit || (pid == 1 && (is_init_name || program == "systemctl")) => Some(opts),
        (_, [unit]) if (explicit || is_init_name) && UnitName::parse(unit).is_ok() => {
            opts.unit = Some(unit.to_string());
            Some(opts)
        }
        _ if is_init_name && pid == 1 => Some(opts),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pid_1_names_become_init() {
        assert!(init_invocation("init", &[], 1).is_some());
        assert!(init_invocation("systemd", &[], 1).is_some());
        assert!(init_invocation("systemctl", &[], 1).is_some());
        assert!(init_invocation("systemctl", &[], 42).is_none());
        assert!(init_invocation("systemctl", &args(&["status"]), 1).is_none());
    }

    #[test]
    fn the_unit_to_boot_comes_from_unit_switch_or_init_verb() {
        let o = init_invocation("systemd", &args(&["--unit=rescue.target"]), 1).unwrap();
        assert_eq!(o.unit.as_deref(), Some("rescue.target"));
        let o = init_invocation("systemctl", &args(&["init", "app.service"]), 7).unwrap();
        assert_eq!(o.unit.as_deref(), Some("app.service"));
        let o = init_invocation("systemctl", &args(&["--init"]), 7).unwrap();
        assert!(o.unit.is_none());
    }
}
