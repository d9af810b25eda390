//! Jobs as systemd's job engine knows them (job.c, unit.c `unit_process_job()`): at most one job
//! per unit; a new job of the same type merges with the queued one, another type replaces it
//! (the old one ends `canceled`); a job runs when its unit is in a state it can act on and
//! finishes when the unit reaches the state the job asked for. Clients waiting on a job get its
//! result, which `systemctl` turns into its message and exit code. Ordering between units
//! (After=/Before=) slots in here as a condition on when a job may run.

use super::daemon::Manager;
use super::service::SubState;
use super::state::ActiveState;
use crate::ipc::protocol::{JobOutcome, JobVerb, Reply};
use crate::unit::model::{ExecKind, LoadState};
use crate::unit::name::{UnitName, UnitType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Start,
    Stop,
    Restart,
    Reload,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Start => "start",
            JobKind::Stop => "stop",
            JobKind::Restart => "restart",
            JobKind::Reload => "reload",
        }
    }
}

#[derive(Debug)]
pub struct Job {
    pub kind: JobKind,
    /// The unit has acted on the job; it finishes with the unit's next settled state.
    pub running: bool,
    /// (client, slot in that client's reply).
    pub waiters: Vec<(u64, usize)>,
}

/// The D-Bus errors systemd answers before a job is queued, with systemctl's exit codes.
fn refusal(unit: &str, load_state: LoadState, verb: JobVerb) -> Option<(String, u8)> {
    let stopping = verb == JobVerb::Stop;
    match load_state {
        LoadState::Loaded => None,
        LoadState::NotFound if stopping => None,
        LoadState::NotFound => Some((format!("Unit {unit} not found."), 5)),
        LoadState::BadSetting if stopping => None,
        LoadState::BadSetting => Some((format!("Unit {unit} has a bad unit file setting."), 1)),
        LoadState::Masked if stopping => None,
        LoadState::Masked => Some((format!("Unit {unit} is masked."), 1)),
        LoadState::Error(e) if !stopping => Some((
            format!(
                "Unit {unit} failed to load properly, please adjust/correct and reload service manager: {}",
                e.strerror()
            ),
            6,
        )),
        LoadState::Error(_) => None,
    }
}

impl Manager {
    fn can_reload(&self, i: usize) -> bool {
        let u = &self.units[i];
        !u.config.exec_commands(ExecKind::Reload).is_empty()
            || u.settings.kind == super::service::ServiceType::NotifyReload
    }

    /// Queue the jobs of one request. Returns the reply when nothing needs waiting for.
    pub(super) fn queue_jobs(
        &mut self,
        client: u64,
        verb: JobVerb,
        names: &[String],
        no_block: bool,
    ) -> Option<Reply> {
        let mut immediate: Vec<Option<JobOutcome>> = vec![None; names.len()];
        let mut installs = Vec::new();
        for (slot, name) in names.iter().enumerate() {
            let Ok(unit_name) = UnitName::parse(name) else {
                immediate[slot] = Some(JobOutcome::Refused {
                    unit: name.clone(),
                    message: format!("Unit name {name} is not valid."),
                    exit: 1,
                });
                continue;
            };
            let Some(i) = self.loaded_index(&unit_name) else {
                let message = if verb == JobVerb::Stop {
                    format!("Unit {unit_name} not loaded.")
                } else {
                    format!("Unit {unit_name} not found.")
                };
                immediate[slot] = Some(JobOutcome::Refused {
                    unit: name.clone(),
                    message,
                    exit: 5,
                });
                continue;
            };
            let id = self.units[i].config.id.clone();
            let has_runtime = self.units[i].svc.state != SubState::Dead;
            if let Some((message, exit)) = refusal(&id, self.units[i].config.load_state, verb) {
                if !(has_runtime && verb == JobVerb::Stop) {
                    immediate[slot] = Some(JobOutcome::Refused {
                        unit: name.clone(),
                        message,
                        exit,
                    });
                    continue;
                }
            }
            if verb == JobVerb::Stop
                && self.units[i].config.load_state == LoadState::NotFound
                && !has_runtime
            {
                immediate[slot] = Some(JobOutcome::Refused {
                    unit: name.clone(),
                    message: format!("Unit {id} not loaded."),
                    exit: 5,
                });
                continue;
            }
            let inactive = matches!(
                self.units[i].active_state(),
                ActiveState::Inactive | ActiveState::Failed
            );
            let kind = match verb {
                JobVerb::Start => Some(JobKind::Start),
                JobVerb::Stop => Some(JobKind::Stop),
                JobVerb::Restart => Some(JobKind::Restart),
                JobVerb::Reload if !self.can_reload(i) => {
                    immediate[slot] = Some(JobOutcome::Refused {
                        unit: name.clone(),
                        message: format!("Job type reload is not applicable for unit {id}."),
                        exit: 3,
                    });
                    continue;
                }
                JobVerb::Reload => Some(JobKind::Reload),
                JobVerb::TryRestart if inactive => None,
                JobVerb::TryRestart => Some(JobKind::Restart),
                JobVerb::ReloadOrRestart if self.can_reload(i) && !inactive => {
                    Some(JobKind::Reload)
                }
                JobVerb::ReloadOrRestart => Some(JobKind::Restart),
                JobVerb::ReloadOrTryRestart if inactive => None,
                JobVerb::ReloadOrTryRestart if self.can_reload(i) => Some(JobKind::Reload),
                JobVerb::ReloadOrTryRestart => Some(JobKind::Restart),
            };
            match kind {
                None => {
                    immediate[slot] = Some(JobOutcome::Finished {
                        unit: id,
                        result: "done".into(),
                        service_result: String::new(),
                    })
                }
                Some(kind) => installs.push((slot, i, kind)),
            }
        }
        if no_block {
            for (slot, i, kind) in installs {
                self.install_job(i, kind, None);
                immediate[slot] = Some(JobOutcome::Queued {
                    unit: self.units[i].config.id.clone(),
                });
            }
            return Some(Reply::Jobs(immediate.into_iter().flatten().collect()));
        }
        if installs.is_empty() {
            return Some(Reply::Jobs(immediate.into_iter().flatten().collect()));
        }
        self.begin_waiting(client, names.len());
        for (slot, outcome) in immediate.into_iter().enumerate() {
            if let Some(o) = outcome {
                self.complete_waiter(client, slot, o);
            }
        }
        for (slot, i, kind) in installs {
            self.install_job(i, kind, Some((client, slot)));
        }
        None
    }

    fn install_job(&mut self, i: usize, kind: JobKind, waiter: Option<(u64, usize)>) {
        let same = self.units[i].job.as_ref().is_some_and(|j| j.kind == kind);
        if !same {
            self.cancel_job(i, "canceled");
            self.units[i].job = Some(Job {
                kind,
                running: false,
                waiters: Vec::new(),
            });
        }
        if let (Some(job), Some(w)) = (self.units[i].job.as_mut(), waiter) {
            job.waiters.push(w);
        }
        self.dirty = true;
    }

    pub(super) fn cancel_job(&mut self, i: usize, result: &str) {
        if self.units[i].job.is_some() {
            self.finish_job(i, result);
        }
    }

    /// End unit `i`'s job with `result` and tell whoever waits.
    pub(super) fn finish_job(&mut self, i: usize, result: &str) {
        let Some(job) = self.units[i].job.take() else {
            return;
        };
        let unit = self.units[i].config.id.clone();
        let service_result = self.units[i].svc.result.as_str().to_string();
        for (client, slot) in job.waiters {
            self.complete_waiter(
                client,
                slot,
                JobOutcome::Finished {
                    unit: unit.clone(),
                    result: result.to_string(),
                    service_result: service_result.clone(),
                },
            );
        }
    }

    /// A client went away: its jobs go on, nobody hears of them.
    pub(super) fn forget_waiter(&mut self, client: u64) {
        for u in &mut self.units {
            if let Some(job) = u.job.as_mut() {
                job.waiters.retain(|(c, _)| *c != client);
            }
        }
    }

    /// Run every job whose unit can act on it now.
    pub(super) fn dispatch_jobs(&mut self) {
        // A job that finishes may make another runnable (a restart's stop half); a bounded
        // number of passes settles that without looping forever on a unit that cannot move.
        for _ in 0..4 {
            let mut progressed = false;
            for i in 0..self.units.len() {
                if self.units[i].job.as_ref().is_some_and(|j| !j.running) {
                    progressed |= self.try_run_job(i);
                }
            }
            if !progressed {
                break;
            }
        }
    }

    /// Returns whether the job moved (ran or finished).
    fn try_run_job(&mut self, i: usize) -> bool {
        let Some(kind) = self.units[i].job.as_ref().map(|j| j.kind) else {
            return false;
        };
        let state = self.units[i].active_state();
        let sub = self.units[i].svc.state;
        let set_running = |m: &mut Manager| {
            if let Some(j) = m.units[i].job.as_mut() {
                j.running = true;
            }
        };
        match kind {
            JobKind::Start => match state {
                ActiveState::Active | ActiveState::Reloading => {
                    self.finish_job(i, "done");
                    true
                }
                ActiveState::Activating if sub != SubState::AutoRestart => {
                    set_running(self);
                    true
                }
                ActiveState::Activating | ActiveState::Deactivating => false,
                ActiveState::Inactive | ActiveState::Failed => {
                    set_running(self);
                    if !self.service_start(i) {
                        self.finish_job(i, "failed");
                    }
                    true
                }
            },
            JobKind::Stop | JobKind::Restart => match state {
                ActiveState::Inactive | ActiveState::Failed => {
                    if kind == JobKind::Stop {
                        self.finish_job(i, "done");
                    } else if let Some(j) = self.units[i].job.as_mut() {
                        j.kind = JobKind::Start;
                    }
                    true
                }
                ActiveState::Deactivating => {
                    set_running(self);
                    true
                }
                _ => {
                    set_running(self);
                    self.units[i].svc.restarting = kind == JobKind::Restart;
                    self.service_stop(i);
                    true
                }
            },
            JobKind::Reload => match state {
                ActiveState::Active => {
                    set_running(self);
                    self.service_reload(i);
                    true
                }
                ActiveState::Inactive | ActiveState::Failed => {
                    self.finish_job(i, "invalid");
                    true
                }
                _ => false,
            },
        }
    }

    /// unit.c's `unit_process_job()`: the unit moved from `old` to `new`; does its job end?
    pub(super) fn job_on_state_change(&mut self, i: usize, old: ActiveState, new: ActiveState) {
        use ActiveState::*;
        let Some((kind, running)) = self.units[i].job.as_ref().map(|j| (j.kind, j.running)) else {
            return;
        };
        if old == new || !running {
            return;
        }
        match kind {
            JobKind::Start => match new {
                Active | Reloading => self.finish_job(i, "done"),
                Failed => self.finish_job(i, "failed"),
                Inactive => self.finish_job(i, "done"),
                _ => {}
            },
            JobKind::Stop => {
                if matches!(new, Inactive | Failed) {
                    self.finish_job(i, "done");
                }
            }
            JobKind::Restart => {
                if matches!(new, Inactive | Failed) {
                    if let Some(j) = self.units[i].job.as_mut() {
                        j.kind = JobKind::Start;
                        j.running = false;
                    }
                }
            }
            JobKind::Reload => match new {
                Active => {
                    let ok =
                        self.units[i].svc.reload_result == super::service::ServiceResult::Success;
                    self.finish_job(i, if ok { "done" } else { "failed" });
                }
                Activating | Reloading => {}
                _ => self.finish_job(i, "failed"),
            },
        }
    }

    /// Units of types that have no processes (targets, for now) only change state.
    pub(super) fn is_processless(&self, i: usize) -> bool {
        self.units[i].config.unit_type != UnitType::Service
    }
}
