//! The job queue, as systemd's manager keeps `Manager.jobs` (by id) and each unit its `Unit.job`:
//! at most one job per unit, numbered in the order they were queued. A job installed where one
//! is queued merges with it when job.c's `job_type_merge()` says the two combine (a merged
//! job that changed type acts again), else replaces it (`job_install()`); ending the replaced
//! job (`canceled`) is the manager's. The queue runs nothing: `manager/job.rs` does.

use std::collections::{BTreeMap, HashMap};

use super::{merge, Job};
use crate::manager::unit_id::UnitId;
use crate::unit::job::JobKind;

#[derive(Debug, Default)]
pub struct JobQueue {
    by_unit: HashMap<UnitId, Job>,
    /// The units with a job, by the job's id.
    by_id: BTreeMap<u32, UnitId>,
    /// The id of the last job queued; ids are never reused while the manager runs.
    last_id: u32,
}

impl JobQueue {
    /// Unit `unit`'s job.
    pub fn get(&self, unit: UnitId) -> Option<&Job> {
        self.by_unit.get(&unit)
    }

    pub fn get_mut(&mut self, unit: UnitId) -> Option<&mut Job> {
        self.by_unit.get_mut(&unit)
    }

    /// The type of unit `unit`'s job.
    pub fn kind(&self, unit: UnitId) -> Option<JobKind> {
        self.get(unit).map(|j| j.kind)
    }

    pub fn has_job(&self, unit: UnitId) -> bool {
        self.by_unit.contains_key(&unit)
    }

    pub fn is_empty(&self) -> bool {
        self.by_unit.is_empty()
    }

    /// The jobs with their units, in the order they were queued.
    pub fn iter(&self) -> impl Iterator<Item = (UnitId, &Job)> {
        self.by_id
            .values()
            .filter_map(|&u| self.by_unit.get(&u).map(|j| (u, j)))
    }

    /// The id of the last job queued: it changes whenever a job is queued.
    pub fn last_id(&self) -> u32 {
        self.last_id
    }

    /// A number for a job that is done as it is made (job.c's JOB_NOP: a try-restart of an
    /// inactive unit, a start of an active one), which the bus still names to its caller.
    pub fn nop_id(&mut self) -> u32 {
        self.next_id()
    }

    fn next_id(&mut self) -> u32 {
        self.last_id += 1;
        self.last_id
    }

    /// Queue a `kind` job for `unit`, merged with the job queued there if the two combine, else
    /// a new job in its place; `waiter` hears of the job's end. Returns the job replaced.
    pub fn install(
        &mut self,
        unit: UnitId,
        kind: JobKind,
        ignore_order: bool,
        waiter: Option<(u64, usize)>,
    ) -> Option<Job> {
        let mut replaced = None;
        let merged = self.kind(unit).and_then(|queued| merge(queued, kind));
        match (merged, self.by_unit.get_mut(&unit)) {
            (Some(merged), Some(job)) => {
                if job.kind != merged {
                    job.kind = merged;
                    job.running = false;
                }
                job.ignore_order |= ignore_order;
            }
            _ => {
                replaced = self.remove(unit);
                self.add(unit, kind, false, ignore_order);
            }
        }
        if let (Some(job), Some(w)) = (self.by_unit.get_mut(&unit), waiter) {
            job.waiters.push(w);
        }
        replaced
    }

    /// Queue a job a previous manager left (job.c's `job_coldplug()`): a new id, nobody
    /// waiting.
    pub fn restore(&mut self, unit: UnitId, kind: JobKind, running: bool, ignore_order: bool) {
        self.remove(unit);
        self.add(unit, kind, running, ignore_order);
    }

    fn add(&mut self, unit: UnitId, kind: JobKind, running: bool, ignore_order: bool) {
        let id = self.next_id();
        self.by_id.insert(id, unit);
        self.by_unit.insert(
            unit,
            Job {
                id,
                kind,
                ignore_order,
                running,
                waiters: Vec::new(),
            },
        );
    }

    /// Take unit `unit`'s job off the queue.
    pub fn remove(&mut self, unit: UnitId) -> Option<Job> {
        let job = self.by_unit.remove(&unit)?;
        self.by_id.remove(&job.id);
        Some(job)
    }

    /// A client went away: its jobs go on, nobody hears of them.
    pub fn forget_waiter(&mut self, client: u64) {
        for job in self.by_unit.values_mut() {
            job.waiters.retain(|(c, _)| *c != client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manager::jobs::graph::tests::{config, table};
    use JobKind::*;

    fn units(n: usize) -> Vec<UnitId> {
        let configs = (0..n)
            .map(|k| config(&format!("u{k}.service"), &[]))
            .collect();
        table(configs).1
    }

    #[test]
    fn jobs_are_numbered_in_order_one_per_unit() {
        let u = units(2);
        let mut q = JobQueue::default();
        assert!(q.install(u[1], Start, false, Some((7, 0))).is_none());
        assert!(q.install(u[0], Stop, false, None).is_none());
        let listed: Vec<(UnitId, u32, JobKind)> =
            q.iter().map(|(unit, j)| (unit, j.id, j.kind)).collect();
        assert_eq!(listed, vec![(u[1], 1, Start), (u[0], 2, Stop)]);
        assert_eq!(q.last_id(), 2);
        assert_eq!(q.get(u[1]).map(|j| j.waiters.clone()), Some(vec![(7, 0)]));
        assert!(q.has_job(u[0]));
    }

    #[test]
    fn a_job_that_combines_merges_and_acts_again_if_its_type_changed() {
        let u = units(1);
        let mut q = JobQueue::default();
        q.install(u[0], Start, false, Some((1, 0)));
        if let Some(j) = q.get_mut(u[0]) {
            j.running = true;
        }
        // Same type: the running job goes on, with one more waiter.
        assert!(q.install(u[0], VerifyActive, true, Some((2, 0))).is_none());
        let job = q.get(u[0]).expect("job");
        assert_eq!(
            (job.id, job.kind, job.running, job.ignore_order),
            (1, Start, true, true)
        );
        assert_eq!(job.waiters, vec![(1, 0), (2, 0)]);
        // start + reload is a restart: it must act again.
        assert!(q.install(u[0], Reload, false, None).is_none());
        let job = q.get(u[0]).expect("job");
        assert_eq!((job.id, job.kind, job.running), (1, Restart, false));
        assert_eq!(q.last_id(), 1, "merging queues no new job");
    }

    #[test]
    fn a_job_that_does_not_combine_replaces_the_queued_one() {
        let u = units(1);
        let mut q = JobQueue::default();
        q.install(u[0], Start, false, Some((1, 0)));
        let replaced = q.install(u[0], Stop, false, None).expect("replaced");
        assert_eq!((replaced.id, replaced.kind), (1, Start));
        assert_eq!(replaced.waiters, vec![(1, 0)]);
        let job = q.get(u[0]).expect("job");
        assert_eq!((job.id, job.kind), (2, Stop));
        assert!(job.waiters.is_empty());
        assert_eq!(q.iter().count(), 1);
    }

    #[test]
    fn removing_and_forgetting_waiters() {
        let u = units(2);
        let mut q = JobQueue::default();
        q.install(u[0], Start, false, Some((1, 0)));
        q.install(u[1], Start, false, Some((2, 0)));
        q.forget_waiter(1);
        assert!(q.get(u[0]).is_some_and(|j| j.waiters.is_empty()));
        assert_eq!(q.get(u[1]).map(|j| j.waiters.len()), Some(1));
        assert_eq!(q.remove(u[0]).map(|j| j.id), Some(1));
        assert!(q.remove(u[0]).is_none());
        q.restore(u[0], Stop, true, false);
        assert_eq!(q.get(u[0]).map(|j| (j.id, j.running)), Some((3, true)));
        assert_eq!(
            q.iter().map(|(unit, _)| unit).collect::<Vec<_>>(),
            vec![u[1], u[0]]
        );
        assert_eq!(q.kind(u[0]), Some(Stop));
        assert!(!q.is_empty());
    }
}
