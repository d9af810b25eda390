//! What a unit's change of state sets off beyond its own job, as unit.c's `unit_notify()` does:
//! a unit that went down by itself takes down the units that BindsTo= it and those it
//! PropagatesStopTo=, and an active unit bound to a unit that is down is stopped; entering
//! `failed` (or a start job failing for a dependency, see `job.rs`) starts the OnFailure= units;
//! entering `failed` runs FailureAction=; going inactive after running starts the OnSuccess= units and
//! runs SuccessAction= (systemd.unit(5)). The emergency actions end the manager the way they
//! end a container run by systemd: `exit` with FailureActionExitStatus= (or the main process's
//! exit status), `poweroff`/`halt`/`reboot` after an orderly stop, the `-force`/`-immediate`
//! variants at once.

use super::daemon::Manager;
use crate::ipc::protocol::{JobMode, ShutdownAction};
use crate::ipc::saved_state::ActiveState;
use crate::manager::unit_id::UnitId;
use crate::unit::job::JobKind;
use crate::unit::model::{Dependency, EmergencyAction};

impl Manager {
    /// `unexpected`: no job asked for the change (see `job_on_state_change()`).
    pub(super) fn unit_state_changed(
        &mut self,
        i: UnitId,
        old: ActiveState,
        new: ActiveState,
        unexpected: bool,
    ) {
        use ActiveState::*;
        if old == new {
            return;
        }
        let unit = self.units[i].config.id.clone();
        self.announce_unit_changed(&unit);
        let was_up = !matches!(old, Inactive | Failed);
        let going_down = matches!(new, Inactive | Failed | Deactivating);
        if unexpected && was_up && old != Deactivating && going_down && !self.shutting_down {
            self.retroactively_stop_dependencies(i);
        }
        if new == Failed && old != Failed {
            self.start_on_failure(i);
            let action = self.units[i].config.unit.failure_action;
            let status = self.action_exit_status(i, "FailureActionExitStatus");
            self.emergency_action(i, action, status, "failed");
        }
        if new == Inactive && was_up {
            let triggered = self.dependency_units(i, Dependency::OnSuccess);
            if !triggered.is_empty() {
                self.unit_log(i, "Triggering OnSuccess= dependencies.");
            }
            let mode = self.units[i].config.unit.on_success_job_mode;
            for k in triggered.into_iter().filter_map(|(_, k)| k) {
                self.queue_internal(i, k, JobKind::Start, mode);
            }
            let action = self.units[i].config.unit.success_action;
            let status = self.action_exit_status(i, "SuccessActionExitStatus");
            self.emergency_action(i, action, status, "succeeded");
        }
    }

    /// A service changed state or lost its job: the sockets that trigger it look again
    /// (`unit_trigger_notify()`), and a service down for good lets its fd store go.
    pub(super) fn service_changed(&mut self, i: UnitId) {
        self.socket_trigger_notify(i);
        self.release_fd_store_when_done(i);
    }

    /// `unit_start_on_failure()`: start the OnFailure= units with OnFailureJobMode=.
    pub(super) fn start_on_failure(&mut self, i: UnitId) {
        let triggered = self.dependency_units(i, Dependency::OnFailure);
        if !triggered.is_empty() {
            self.unit_log(i, "Triggering OnFailure= dependencies.");
        }
        let mode = self.units[i].config.unit.on_failure_job_mode;
        for k in triggered.into_iter().filter_map(|(_, k)| k) {
            self.queue_internal(i, k, JobKind::Start, mode);
        }
    }

    /// `retroactively_stop_dependencies()`: a unit that went down by itself (it crashed, exited,
    /// or a oneshot finished) takes down the units that BindsTo= it and those it PropagatesStopTo=.
    /// A stop asked for propagates through the transaction instead.
    fn retroactively_stop_dependencies(&mut self, i: UnitId) {
        let mut affected = self.dependents(i, Dependency::BindsTo);
        affected.extend(self.stop_propagation(i));
        for k in affected {
            if !matches!(
                self.units[k].active_state(),
                ActiveState::Inactive | ActiveState::Failed | ActiveState::Deactivating
            ) {
                self.queue_internal(i, k, JobKind::Stop, JobMode::Replace);
            }
        }
    }

    /// manager.c's stop-when-bound queue, checked after every round of jobs: an active unit with
    /// no job whose BindsTo= unit is down with no job of its own (skipped by a condition, or a
    /// oneshot that finished before the binder was up) is stopped. systemd logs this at debug
    /// level only.
    pub(super) fn stop_units_bound_to_inactive(&mut self) {
        if self.shutting_down {
            return;
        }
        for k in self.units.ids() {
            if self.jobs.has_job(k)
                || self.units[k].active_state() != ActiveState::Active
                || self.units[k]
                    .config
                    .unit
                    .dependency(Dependency::BindsTo)
                    .is_empty()
            {
                continue;
            }
            let bound_down = self
                .dependency_units(k, Dependency::BindsTo)
                .into_iter()
                .filter_map(|(_, b)| b)
                .any(|b| !self.jobs.has_job(b) && self.is_inactive(b));
            if bound_down {
                self.queue_internal(k, k, JobKind::Stop, JobMode::Fail);
            }
        }
    }

    /// `…ActionExitStatus=` if set, else the main process's exit status when it exited.
    fn action_exit_status(&self, i: UnitId, key: &str) -> Option<u8> {
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
    fn emergency_action(
        &mut self,
        i: UnitId,
        action: EmergencyAction,
        exit_status: Option<u8>,
        what: &str,
    ) {
        use EmergencyAction as A;
        // (what the manager does, whether it skips stopping the units first)
        let (kind, immediate) = match action {
            A::None => return,
            A::Exit => (ShutdownAction::Exit, false),
            A::ExitForce => (ShutdownAction::Exit, true),
            A::Poweroff => (ShutdownAction::Poweroff, false),
            A::PoweroffForce | A::PoweroffImmediate => (ShutdownAction::Poweroff, true),
            A::Reboot | A::Kexec => (ShutdownAction::Reboot, false),
            A::RebootForce | A::RebootImmediate | A::KexecForce => (ShutdownAction::Reboot, true),
            A::Halt => (ShutdownAction::Halt, false),
            A::HaltForce | A::HaltImmediate => (ShutdownAction::Halt, true),
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
