//! Jobs as systemd's job engine knows them (job.c, unit.c `unit_process_job()`): at most one job
//! per unit; a new job of the same type merges with the queued one, another type replaces it
//! (the old one ends `canceled`); a job runs when its unit is in a state it can act on and
//! finishes when the unit reaches the state the job asked for. Clients waiting on a job get its
//! result, which `systemctl` turns into its message and exit code. A job waits for the jobs of
//! units ordered before it (`job_is_runnable()`: a stop waits only for the stops of units
//! ordered after it, so stopping runs in reverse); a start that fails fails the start jobs of
//! the units that require it (`Dependency failed for …`), which starts their OnFailure= units.
//! After each round of jobs, units bound to a unit that is down stop and upheld units start.
//! The transactions that queue jobs are built in `jobs/transaction.rs` and put into effect in
//! `enqueue.rs`; job types and their merging are in `jobs/mod.rs`; a client's job request is
//! turned into jobs (or refused) in `control/jobs.rs`.

use super::daemon::Manager;
use super::types::service::SubState;
use super::types::unit_vtable;
use crate::ipc::protocol::ManagerEvent;
use crate::ipc::protocol::{JobMode, JobOutcome};
use crate::ipc::saved_state::ActiveState;
use crate::manager::unit_id::UnitId;
use crate::unit::condition;
use crate::unit::job::{JobKind, JobResult};
use crate::unit::model::Dependency;
use crate::unit::name::UnitType;

/// What the checks before a start decided.
enum StartGate {
    Go,
    ConditionFailed,
    AssertFailed,
}

impl Manager {
    pub(super) fn can_reload(&self, i: UnitId) -> bool {
        self.units[i].can_reload()
    }

    /// Queue a transaction nobody waits for (boot, OnFailure=, BindsTo=, Upholds=): a refusal
    /// is logged on the unit that asked.
    pub(super) fn queue_internal(
        &mut self,
        asking: UnitId,
        target: UnitId,
        kind: JobKind,
        mode: JobMode,
    ) {
        if let Err((message, _)) = self.run_transaction(target, kind, mode, None) {
            let id = self.units[target].config.id.clone();
            let line = format!(
                "Failed to enqueue {} job for {id}: {message}",
                kind.as_str()
            );
            let asking = self.units[asking].config.id.clone();
            self.log_unit(&asking, &format!("{asking}: {line}"));
        }
    }

    pub(super) fn cancel_job(&mut self, i: UnitId, result: JobResult) {
        if self.jobs.has_job(i) {
            self.finish_job(i, result);
        }
    }

    /// End unit `i`'s job with `result` and tell whoever waits; a start that did not succeed
    /// fails the start jobs of the units that require this one (`job_fail_dependencies()`).
    pub(super) fn finish_job(&mut self, i: UnitId, result: JobResult) {
        let Some(job) = self.jobs.remove(i) else {
            return;
        };
        let unit = self.units[i].config.id.clone();
        self.announce(ManagerEvent::JobRemoved {
            id: job.id,
            unit: unit.clone(),
            result,
        });
        // manager_check_finished(): the boot is over once its job queue is empty.
        if self.jobs.is_empty() {
            if !self.boot_finished {
                let userspace_usec = super::types::timer::manager_uptime_usec();
                self.announce(ManagerEvent::StartupFinished { userspace_usec });
            }
            self.boot_finished = true;
        }
        self.dirty = true;
        self.collect_later(i);
        let service_result = Some(self.units[i].svc.result);
        let starting = matches!(job.kind, JobKind::Start | JobKind::VerifyActive);
        if result == JobResult::Dependency && starting {
            let desc = self.description(i);
            self.log(i, &format!("Dependency failed for {desc}."));
        }
        if result == JobResult::Done
            && job.kind == JobKind::Start
            && self.units[i].config.unit_type == UnitType::Target
            && !self.is_inactive(i)
        {
            let desc = self.description(i);
            self.log(i, &format!("Reached target {desc}."));
        }
        if job.kind == JobKind::Start && self.units[i].config.unit_type == UnitType::Timer {
            self.timer_job_done(i, result);
        }
        for (client, slot) in job.waiters {
            self.complete_waiter(
                client,
                slot,
                JobOutcome::Finished {
                    unit: unit.clone(),
                    result,
                    service_result,
                },
            );
        }
        if result == JobResult::Skipped && job.kind == JobKind::VerifyActive {
            // job_done_message_format(): names what the Requisite= pointed at.
            self.log(i, &format!("{unit} is inactive."));
        }
        // job_finish_and_invalidate(): a job that failed without its unit failing (a failed
        // requirement) still counts as the unit's failure.
        if result == JobResult::Dependency {
            self.unit_log(
                i,
                &format!(
                    "Job {unit}/{} failed with result 'dependency'.",
                    job.kind.as_str()
                ),
            );
            self.start_on_failure(i);
        }
        let mut failing: Vec<UnitId> = Vec::new();
        // job_install() cancels a replaced job without failing what depends on it.
        if starting && !matches!(result, JobResult::Done | JobResult::Canceled) {
            for dep in [
                Dependency::Requires,
                Dependency::BindsTo,
                Dependency::Requisite,
            ] {
                failing.extend(self.dependents(i, dep));
            }
        } else if result == JobResult::Done && job.kind == JobKind::Start && self.is_inactive(i) {
            // A start that ended inactive (a skipped condition, a oneshot) does not satisfy
            // Requisite=.
            failing.extend(self.dependents(i, Dependency::Requisite));
        }
        for k in failing {
            let waits_to_start = self
                .jobs
                .get(k)
                .is_some_and(|j| matches!(j.kind, JobKind::Start | JobKind::VerifyActive));
            if waits_to_start {
                self.finish_job(k, JobResult::Dependency);
            }
        }
        // job_finish_and_invalidate(): the sockets that trigger the unit look again.
        if self.units[i].config.unit_type == UnitType::Service {
            self.service_changed(i);
        }
    }

    /// A client went away: its jobs go on, nobody hears of them.
    pub(super) fn forget_waiter(&mut self, client: u64) {
        self.jobs.forget_waiter(client);
    }

    /// Run every job whose unit can act on it now and whose ordering allows it.
    pub(super) fn dispatch_jobs(&mut self) {
        // A job that finishes may make others runnable (the next layer of a boot, a restart's
        // start half); passes go on until nothing moves. Each pass that moves runs or ends a
        // job, and a job moves at most twice (a restart's halves) plus its dependents' waits,
        // so the bound is only a guard against a bug looping forever.
        for _ in 0..=4 * (self.units.slots() + 1) {
            let mut progressed = false;
            for i in self.run_queue() {
                if self.jobs.get(i).is_some_and(|j| !j.running) && self.job_is_runnable(i) {
                    progressed |= self.try_run_job(i);
                }
            }
            if progressed {
                continue;
            }
            // Once the queue has settled, as systemd's stop-when-bound and start-when-upheld
            // queues do; what they queue runs in the next pass rather than at the next wake.
            let queued = self.jobs.last_id();
            self.stop_units_bound_to_inactive();
            self.check_upholds();
            if self.jobs.last_id() == queued && !self.break_job_deadlock() {
                break;
            }
        }
    }

    /// Jobs left waiting with none running and none runnable can only be waiting for each
    /// other: an ordering cycle among jobs no transaction could order (a shutdown's stops of
    /// units put in a cycle after boot). The first in run-queue order runs without its
    /// ordering, so the shutdown goes on instead of hanging.
    fn break_job_deadlock(&mut self) -> bool {
        if self.jobs.iter().any(|(_, j)| j.running) {
            return false;
        }
        let queue = self.run_queue();
        let Some(&i) = queue.first() else {
            return false;
        };
        if queue.iter().any(|&k| self.job_is_runnable(k)) {
            return false;
        }
        let Some(kind) = self.jobs.get(i).map(|j| j.kind) else {
            return false;
        };
        let id = self.units[i].config.id.clone();
        self.unit_log(
            i,
            &format!(
                "Job {id}/{} runs out of order to break an ordering cycle",
                kind.as_str()
            ),
        );
        if let Some(job) = self.jobs.get_mut(i) {
            job.ignore_order = true;
        }
        true
    }

    /// The units with a job waiting, in the order systemd's run queue hands them out
    /// (`unit_compare_priority()`: unit types from the end of the type list first, then by
    /// name). Jobs that no ordering separates run in this order, which decides, for example,
    /// whether a Requisite= without After= is checked before the unit starts.
    fn run_queue(&self) -> Vec<UnitId> {
        let mut queue: Vec<UnitId> = self
            .units
            .ids()
            .into_iter()
            .filter(|&i| self.jobs.get(i).is_some_and(|j| !j.running))
            .collect();
        queue.sort_by(|&a, &b| {
            let (a, b) = (&self.units[a].config, &self.units[b].config);
            b.unit_type.cmp(&a.unit_type).then_with(|| a.id.cmp(&b.id))
        });
        queue
    }

    /// job.c's `job_is_runnable()` with `job_compare()`: a job other than a stop waits for
    /// every job of a unit ordered before it; any job waits for the stop of a unit ordered
    /// after it.
    fn job_is_runnable(&mut self, i: UnitId) -> bool {
        let Some((kind, ignore_order)) = self.jobs.get(i).map(|j| (j.kind, j.ignore_order)) else {
            return false;
        };
        if ignore_order {
            return true;
        }
        let (before_me, after_me) = {
            let o = self.ordering();
            (o.before(i).to_vec(), o.after(i).to_vec())
        };
        let job_of = |k: UnitId| self.jobs.get(k).filter(|j| !j.ignore_order);
        if kind != JobKind::Stop && before_me.iter().any(|&k| job_of(k).is_some()) {
            return false;
        }
        !after_me
            .iter()
            .any(|&k| job_of(k).is_some_and(|j| j.kind == JobKind::Stop))
    }

    /// `unit_check_uphold()`: an active unit starts the units it Upholds= whenever they are
    /// down and have no job.
    fn check_upholds(&mut self) {
        for i in self.units.ids() {
            if self.units[i]
                .config
                .unit
                .dependency(Dependency::Upholds)
                .is_empty()
                || !matches!(self.units[i].active_state(), ActiveState::Active)
            {
                continue;
            }
            for (_, k) in self.dependency_units(i, Dependency::Upholds) {
                let Some(k) = k else { continue };
                // systemd logs this at debug level only.
                if !self.jobs.has_job(k) && self.is_inactive(k) && !self.shutting_down {
                    self.queue_internal(i, k, JobKind::Start, JobMode::Replace);
                }
            }
        }
    }

    /// Returns whether the job moved (ran or finished).
    fn try_run_job(&mut self, i: UnitId) -> bool {
        let Some(kind) = self.jobs.get(i).map(|j| j.kind) else {
            return false;
        };
        let state = self.units[i].active_state();
        let auto_restart = self.units[i].machine_state() == Some(SubState::AutoRestart);
        let set_running = |m: &mut Manager| {
            if let Some(j) = m.jobs.get_mut(i) {
                j.running = true;
            }
        };
        match kind {
            JobKind::VerifyActive => match state {
                ActiveState::Active | ActiveState::Reloading => {
                    self.finish_job(i, JobResult::Done);
                    true
                }
                ActiveState::Activating => false,
                _ => {
                    self.finish_job(i, JobResult::Skipped);
                    true
                }
            },
            JobKind::Start => match state {
                ActiveState::Active | ActiveState::Reloading => {
                    self.finish_job(i, JobResult::Done);
                    true
                }
                ActiveState::Activating if !auto_restart => {
                    set_running(self);
                    true
                }
                ActiveState::Activating | ActiveState::Deactivating => false,
                ActiveState::Inactive | ActiveState::Failed => {
                    match self.test_start_conditions(i) {
                        StartGate::Go => {}
                        StartGate::ConditionFailed => {
                            self.finish_job(i, JobResult::Done);
                            return true;
                        }
                        StartGate::AssertFailed => {
                            self.finish_job(i, JobResult::Assert);
                            return true;
                        }
                    }
                    if !self.bound_units_active(i) {
                        self.finish_job(i, JobResult::Dependency);
                        return true;
                    }
                    set_running(self);
                    if unit_vtable(&self.units[i]).start(self, i) {
                        self.announce_start(i);
                    } else {
                        self.finish_job(i, JobResult::Failed);
                    }
                    true
                }
            },
            JobKind::Stop | JobKind::Restart => match state {
                ActiveState::Inactive | ActiveState::Failed => {
                    if kind == JobKind::Stop {
                        self.finish_job(i, JobResult::Done);
                    } else if let Some(j) = self.jobs.get_mut(i) {
                        j.kind = JobKind::Start;
                    }
                    true
                }
                ActiveState::Deactivating => {
                    set_running(self);
                    true
                }
                // A unit the manager serves stays up through a restart: nothing of it runs.
                _ if kind == JobKind::Restart && self.units[i].served => {
                    self.finish_job(i, JobResult::Done);
                    true
                }
                _ => {
                    set_running(self);
                    self.units[i].svc.restarting = kind == JobKind::Restart;
                    unit_vtable(&self.units[i]).stop(self, i);
                    // job_perform_on_unit(): "Stopping …" for the job still there after the
                    // unit's stop call. A restart whose stop ended at once (a socket without
                    // stop commands, a target, a timer) is now its start: its "Stopping …"
                    // follows the stop's done message.
                    if kind == JobKind::Restart
                        && self.jobs.get(i).is_some_and(|j| j.kind == JobKind::Start)
                    {
                        let desc = self.description(i);
                        self.log(i, &format!("Stopping {desc}..."));
                    }
                    true
                }
            },
            JobKind::Reload => match state {
                ActiveState::Active => {
                    set_running(self);
                    unit_vtable(&self.units[i]).reload(self, i);
                    true
                }
                ActiveState::Inactive | ActiveState::Failed => {
                    self.finish_job(i, JobResult::Invalid);
                    true
                }
                _ => false,
            },
        }
    }

    /// unit.c's `unit_test_condition()` and `unit_test_assert()` before a start: an unmet
    /// condition skips the unit (it stays as it is, the job is done), an unmet assert fails the
    /// job. The results stay for `status` and `show`.
    fn test_start_conditions(&mut self, i: UnitId) -> StartGate {
        let (conditions, asserts) = {
            let u = &self.units[i].config.unit;
            (u.conditions.clone(), u.asserts.clone())
        };
        if conditions.is_empty() && asserts.is_empty() {
            return StartGate::Go;
        }
        let mut facts = condition::HostFacts::current();
        facts.environment = self
            .manager_env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let stamp = crate::sys::time::now_stamp();
        let tested = condition::check(&conditions, &facts);
        {
            let svc = &mut self.units[i].svc;
            svc.condition_result = tested.met;
            svc.condition_stamp = stamp;
            svc.failed_conditions = tested.status_condition_lines();
        }
        if !tested.met {
            let desc = self.description(i);
            self.log(i, &condition::skipped_message(&desc, tested.first_failed()));
            return StartGate::ConditionFailed;
        }
        let tested = condition::check(&asserts, &facts);
        {
            let svc = &mut self.units[i].svc;
            svc.assert_result = tested.met;
            svc.assert_stamp = stamp;
            svc.failed_assert = tested.status_assert_line();
        }
        if !tested.met {
            // unit_start()'s notice, then job.c's done message.
            self.unit_log(i, "Starting requested but asserts failed.");
            let desc = self.description(i);
            self.log(i, &condition::assert_failed_message(&desc));
            return StartGate::AssertFailed;
        }
        StartGate::Go
    }

    /// `unit_verify_deps()`: a unit ordered after a unit it BindsTo= starts only if that one
    /// is active (it may have been skipped by a condition).
    fn bound_units_active(&mut self, i: UnitId) -> bool {
        let before_me = self.ordering().before(i).to_vec();
        let down = self
            .dependency_units(i, Dependency::BindsTo)
            .into_iter()
            .filter_map(|(_, k)| k)
            .filter(|k| before_me.contains(k))
            .find(|&k| {
                !matches!(
                    self.units[k].active_state(),
                    ActiveState::Active | ActiveState::Reloading
                )
            });
        let Some(k) = down else {
            return true;
        };
        let line = format!(
            "Bound to unit {}, but unit isn't active.",
            self.units[k].config.id
        );
        self.unit_log(i, &line);
        false
    }

    /// unit.c's `unit_process_job()`: the unit moved from `old` to `new`; does its job end?
    /// Returns whether the move was unexpected: no job asked for it, or it contradicts the
    /// running job (a start that ended inactive, a stop that came back up).
    pub(super) fn job_on_state_change(
        &mut self,
        i: UnitId,
        old: ActiveState,
        new: ActiveState,
    ) -> bool {
        use ActiveState::*;
        let Some((kind, running)) = self.jobs.get(i).map(|j| (j.kind, j.running)) else {
            return true;
        };
        // A reload that could not even begin ends in the state it began in: unit.c's
        // unit_process_job() looks at the new state alone.
        if !running || (old == new && kind != JobKind::Reload) {
            return false;
        }
        match kind {
            JobKind::VerifyActive => false,
            JobKind::Start => match new {
                Active | Reloading => {
                    self.finish_job(i, JobResult::Done);
                    false
                }
                Failed => {
                    self.finish_job(i, JobResult::Failed);
                    true
                }
                Inactive => {
                    self.finish_job(i, JobResult::Done);
                    true
                }
                Deactivating => true,
                Activating => false,
            },
            JobKind::Stop => {
                if matches!(new, Inactive | Failed) {
                    self.finish_job(i, JobResult::Done);
                }
                new != Deactivating && !matches!(new, Inactive | Failed)
            }
            JobKind::Restart => {
                if matches!(new, Inactive | Failed) {
                    if let Some(j) = self.jobs.get_mut(i) {
                        j.kind = JobKind::Start;
                        j.running = false;
                    }
                }
                new != Deactivating && !matches!(new, Inactive | Failed)
            }
            JobKind::Reload => match new {
                Active => {
                    let ok = self.units[i].svc.reload_result
                        == crate::unit::state::ServiceResult::Success;
                    self.finish_job(
                        i,
                        if ok {
                            JobResult::Done
                        } else {
                            JobResult::Failed
                        },
                    );
                    false
                }
                Activating | Reloading => false,
                _ => {
                    self.finish_job(i, JobResult::Failed);
                    true
                }
            },
        }
    }
}
