//! What a unit's change of state sets off beyond its own job, as unit.c's `unit_notify()` does:
//! units that BindsTo= a unit that went down stop too; entering `failed` starts the OnFailure=
//! units and runs FailureAction=; going inactive after running starts the OnSuccess= units and
//! runs SuccessAction= (systemd.unit(5)). The emergency actions end the manager the way they
//! end a container run by systemd: `exit` with FailureActionExitStatus= (or the main process's
//! exit status), `poweroff`/`halt`/`reboot` after an orderly stop, the `-force`/`-immediate`
//! variants at once.

use super::daemon::Manager;
use super::job::JobKind;
use super::state::ActiveState;
use crate::ipc::protocol::{JobMode, ShutdownAction};
use crate::unit::model::Dependency;

impl Manager {
    pub(super) fn unit_state_changed(&mut self, i: usize, old: ActiveState, new: ActiveState) {
        use ActiveState::*;
        if old == new {
            return;
        }
        let was_up = !matches!(old, Inactive | Failed);
        let now_down = matches!(new, Inactive | Failed);
        if was_up && now_down && !self.shutting_down {
            self.stop_bound_units(i);
        }
        if new == Failed && old != Failed {
            let triggered = self.dependency_units(i, Dependency::OnFailure);
            if !triggered.is_empty() {
                self.log(i, "Triggering OnFailure= dependencies.");
            }
            let mode = job_mode(&self.units[i].config.unit.on_failure_job_mode);
            for k in triggered.into_iter().filter_map(|(_, k)| k) {
                self.queue_internal(i, k, JobKind::Start, mode);
            }
            let action = self.units[i].config.unit.failure_action.clone();
            let status = self.action_exit_status(i, "FailureActionExitStatus");
            self.emergency_action(i, &action, status, "failed");
        }
        if new == Inactive && was_up {
            let triggered = self.dependency_units(i, Dependency::OnSuccess);
            if !triggered.is_empty() {
                self.log(i, "Triggering OnSuccess= dependencies.");
            }
            let mode = job_mode(&self.units[i].config.unit.on_success_job_mode);
            for k in triggered.into_iter().filter_map(|(_, k)| k) {
                self.queue_internal(i, k, JobKind::Start, mode);
            }
            let action = self.units[i].config.unit.success_action.clone();
            let status = self.action_exit_status(i, "SuccessActionExitStatus");
            self.emergency_action(i, &action, status, "succeeded");
        }
    }

    /// `retroactively_stop_dependencies()`: what is bound to a unit that went down goes too.
    fn stop_bound_units(&mut self, i: usize) {
        for k in self.dependents(i, Dependency::BindsTo) {
            let stopping = self.units[k]
                .job
                .as_ref()
                .is_some_and(|j| j.kind == JobKind::Stop);
            if self.is_inactive(k) || stopping {
                continue;
            }
            let line = format!(
                "Unit {} is bound to inactive unit {}. Stopping, too.",
                self.units[k].config.id, self.units[i].config.id
            );
            self.log(k, &line);
            self.queue_internal(i, k, JobKind::Stop, JobMode::Replace);
        }
    }

    /// `…ActionExitStatus=` if set, else the main process's exit status when it exited.
    fn action_exit_status(&self, i: usize, key: &str) -> Option<u8> {
        let configured = self.units[i]
            .config
            .raw
            .iter()
            .rev()
            .find(|r| r.key == key)
            .map(|r| r.value.trim().to_string());
        match configured.as_deref() {
            Some("") | None => {
                let main = &self.units[i].svc.exec_main;
                (main.code == libc::CLD_EXITED).then_some(main.status as u8)
            }
            Some(v) => v.parse::<u8>().ok(),
        }
    }

    /// emergency-action.c, for a manager whose machine is a container: every action ends it.
    fn emergency_action(&mut self, i: usize, action: &str, exit_status: Option<u8>, what: &str) {
        let (kind, immediate) = match action {
            "none" | "" => return,
            "exit" => (ShutdownAction::Exit, false),
            "exit-force" => (ShutdownAction::Exit, true),
            a if a.starts_with("poweroff") => (ShutdownAction::Poweroff, a != "poweroff"),
            a if a.starts_with("reboot") || a.starts_with("kexec") || a == "soft-reboot" => (
                ShutdownAction::Reboot,
                a.ends_with("-force") || a.ends_with("-immediate"),
            ),
            a => (ShutdownAction::Halt, a != "halt"),
        };
        let setting = if what == "failed" {
            "FailureAction"
        } else {
            "SuccessAction"
        };
        let verb = match kind {
            ShutdownAction::Exit => "Exiting",
            ShutdownAction::Poweroff => "Powering off",
            ShutdownAction::Reboot => "Rebooting",
            ShutdownAction::Halt => "Halting",
        };
        let desc = self.description(i);
        self.log(i, &format!("{desc} {what}, {setting}={action}: {verb}."));
        if kind == ShutdownAction::Exit {
            if let Some(status) = exit_status {
                self.exit_code = status;
            }
        }
        if immediate {
            self.force_exit = true;
        }
        self.begin_shutdown();
    }
}

fn job_mode(setting: &str) -> JobMode {
    JobMode::parse(setting).unwrap_or(JobMode::Replace)
}
