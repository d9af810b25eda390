//! Job requests (dbus-unit.c's `bus_unit_queue_job()`, dbus-manager.c's ListJobs): a verb of
//! systemctl turned into a job per unit, or refused before anything is queued with systemd's
//! D-Bus error and systemctl's exit code; and the list of queued jobs.

use super::super::daemon::Manager;
use crate::ipc::protocol::{JobInfo, JobMode, JobOutcome, JobVerb, ManagerEvent, Reply};
use crate::ipc::saved_state::ActiveState;
use crate::unit::job::{JobKind, JobResult, JobState};
use crate::unit::model::LoadState;
use crate::unit::name::{UnitName, UnitType};

/// The D-Bus error systemd answers before a job is queued, with systemctl's exit code: a unit
/// that cannot be loaded may still be stopped.
fn refusal(unit: &str, load_state: LoadState, verb: JobVerb) -> Option<(String, u8)> {
    if verb == JobVerb::Stop {
        return None;
    }
    super::super::jobs::transaction::load_refusal(unit, load_state)
}

impl Manager {
    /// Queue the jobs of one request. Returns the reply when nothing needs waiting for.
    pub(super) fn queue_jobs(
        &mut self,
        client: u64,
        verb: JobVerb,
        names: &[String],
        no_block: bool,
        mode: JobMode,
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
            if unit_name.is_template() {
                // manager_load_unit_prepare(): a template names no unit until instantiated.
                immediate[slot] = Some(JobOutcome::Refused {
                    unit: name.clone(),
                    message: format!("Unit name {name} is missing the instance name."),
                    exit: 1,
                });
                continue;
            }
            let i = self.loaded_index(&unit_name);
            // manager_add_job_full() refuses isolation before the transaction looks at the
            // unit's load state: a unit not found (AllowIsolate=no) may not be isolated either.
            if mode == JobMode::Isolate
                && !i.is_some_and(|i| self.units[i].config.unit.allow_isolate)
            {
                immediate[slot] = Some(JobOutcome::Refused {
                    unit: name.clone(),
                    message: "Operation refused, unit may not be isolated.".into(),
                    // BusError.NoIsolation: systemctl's EXIT_NOPERMISSION
                    exit: 4,
                });
                continue;
            }
            let Some(i) = i else {
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
            let has_runtime = self.units[i].active_state() != ActiveState::Inactive;
            if let Some((message, exit)) = refusal(&id, self.units[i].config.load_state, verb) {
                immediate[slot] = Some(JobOutcome::Refused {
                    unit: name.clone(),
                    message,
                    exit,
                });
                continue;
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
            // job_type_is_applicable(): a perpetual unit never stops, and a scope, which starts
            // once only, cannot restart
            let config = &self.units[i].config;
            let not_applicable = match verb {
                JobVerb::Stop if config.perpetual => Some("stop"),
                JobVerb::Restart
                | JobVerb::TryRestart
                | JobVerb::ReloadOrRestart
                | JobVerb::ReloadOrTryRestart
                    if config.unit_type == UnitType::Scope =>
                {
                    Some("restart")
                }
                _ => None,
            };
            if let Some(kind) = not_applicable {
                immediate[slot] = Some(JobOutcome::Refused {
                    unit: name.clone(),
                    message: format!("Job type {kind} is not applicable for unit {id}."),
                    exit: 3,
                });
                continue;
            }
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
                None if no_block => {
                    let job = self.nop_job(&id);
                    immediate[slot] = Some(JobOutcome::Queued {
                        unit: id,
                        job,
                        kind: None,
                    })
                }
                None => {
                    immediate[slot] = Some(JobOutcome::Finished {
                        unit: id,
                        result: JobResult::Done,
                        service_result: None,
                    })
                }
                Some(kind) => installs.push((slot, i, kind)),
            }
        }
        let waiting = !no_block && !installs.is_empty();
        if waiting {
            self.begin_waiting(client, names.len());
        }
        for (slot, i, kind) in installs {
            let waiter = waiting.then_some((client, slot));
            let outcome = match self.run_transaction(i, kind, mode, waiter) {
                Err((message, exit)) => Some(JobOutcome::Refused {
                    unit: names[slot].clone(),
                    message,
                    exit,
                }),
                Ok(()) if !waiting => {
                    let unit = self.units[i].config.id.clone();
                    let (job, kind) = match self.jobs.get(i) {
                        Some(j) => (j.id, Some(j.kind)),
                        None => (self.nop_job(&unit), None),
                    };
                    Some(JobOutcome::Queued { unit, job, kind })
                }
                Ok(()) => None,
            };
            if outcome.is_some() {
                immediate[slot] = outcome;
            }
        }
        if !waiting {
            return Some(Reply::Jobs(immediate.into_iter().flatten().collect()));
        }
        for (slot, outcome) in immediate.into_iter().enumerate() {
            if let Some(o) = outcome {
                self.complete_waiter(client, slot, o);
            }
        }
        None
    }

    /// A job that is done as it is made: numbered, and announced as queued and finished, so that
    /// a bus caller waiting for its JobRemoved hears of it.
    fn nop_job(&mut self, unit: &str) -> u32 {
        let id = self.jobs.nop_id();
        let unit = unit.to_string();
        self.announce(ManagerEvent::JobNew {
            id,
            unit: unit.clone(),
        });
        self.announce(ManagerEvent::JobRemoved {
            id,
            unit,
            result: JobResult::Done,
        });
        id
    }

    /// CancelJob(): the job with number `id` ends `canceled`.
    pub(super) fn cancel_job_by_id(&mut self, id: u32) -> Reply {
        let Some(i) = self
            .jobs
            .iter()
            .find(|(_, job)| job.id == id)
            .map(|(i, _)| i)
        else {
            return Reply::Error(format!("Job {id} does not exist."));
        };
        self.cancel_job(i, JobResult::Canceled);
        self.save_state();
        Reply::Done
    }

    pub(super) fn list_jobs(&self) -> Vec<JobInfo> {
        self.jobs
            .iter()
            .map(|(i, job)| JobInfo {
                id: job.id,
                unit: self.units[i].config.id.clone(),
                kind: job.kind,
                state: if job.running {
                    JobState::Running
                } else {
                    JobState::Waiting
                },
            })
            .collect()
    }
}
