//! Transactions as systemd's transaction.c builds them: a job asked for pulls in the jobs its
//! unit's dependencies imply (systemd.unit(5): Requires=, Requisite=, Wants=, BindsTo=, Upholds=
//! and Conflicts= for a start; the units that Require, Requisite, BindsTo or are PartOf it for a
//! stop or restart, PropagatesStopTo= for a stop; PropagatesReloadTo= for a reload). Of two jobs
//! for one unit that cannot merge, the one the anchor does not need goes; ordering cycles among
//! the new and the queued jobs are broken by dropping a new job nobody required (with systemd's
//! warnings); `--job-mode=fail` refuses to replace queued jobs; `isolate` stops what it does not
//! pull in, except slices, IgnoreOnIsolate= units and what the runtime owns; once a shutdown
//! began, only stops are accepted. The result is merged into the queue.
//! Also the unit graph the transactions and the job runner read: ordering edges in both
//! directions, with the After= a target gets on what it pulls in (target.c).

use std::collections::{BTreeMap, HashMap};

use super::daemon::Manager;
use super::job::{Job, JobKind};
use super::state::ActiveState;
use super::table::UnitId;
use crate::ipc::protocol::JobMode;
use crate::unit::model::{Dependency, LoadState};
use crate::unit::name::UnitType;

/// Why a transaction could not be built: systemd's D-Bus error text and systemctl's exit code.
pub type Refusal = (String, u8);

/// Ordering edges of the unit table: for each unit, the units ordered before it and after it.
#[derive(Debug, Default)]
pub struct Ordering {
    before_me: HashMap<UnitId, Vec<UnitId>>,
    after_me: HashMap<UnitId, Vec<UnitId>>,
}

impl Ordering {
    /// The units ordered before `i` (its After= and the Before= of others).
    pub fn before(&self, i: UnitId) -> &[UnitId] {
        self.before_me.get(&i).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The units ordered after `i`.
    pub fn after(&self, i: UnitId) -> &[UnitId] {
        self.after_me.get(&i).map(Vec::as_slice).unwrap_or(&[])
    }

    fn edge(&mut self, first: UnitId, then: UnitId) {
        if first != then && !self.before(then).contains(&first) {
            self.before_me.entry(then).or_default().push(first);
            self.after_me.entry(first).or_default().push(then);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct TxJob {
    kind: JobKind,
    /// Required by the anchor through a chain of requirement dependencies: may not be dropped
    /// to break a cycle (systemd's `matters_to_anchor`).
    matters: bool,
}

struct Transaction {
    anchor: UnitId,
    jobs: BTreeMap<UnitId, TxJob>,
    mode: JobMode,
}

/// systemd's `job_type_merge()`: the job that does both, if there is one.
fn merge(a: JobKind, b: JobKind) -> Option<JobKind> {
    use JobKind::*;
    match (a, b) {
        _ if a == b => Some(a),
        (Stop, _) | (_, Stop) => None,
        (VerifyActive, other) | (other, VerifyActive) => Some(other),
        (Restart, _) | (_, Restart) => Some(Restart),
        (Start, Reload) | (Reload, Start) => Some(Restart),
        _ => None,
    }
}

impl Manager {
    /// The table's units `i` names under `dep`, each with its name; `None` for a unit that
    /// does not exist. Units named for the first time are loaded.
    pub(super) fn dependency_units(
        &mut self,
        i: UnitId,
        dep: Dependency,
    ) -> Vec<(String, Option<UnitId>)> {
        let names: Vec<String> = self.units[i].config.unit.dependency(dep).to_vec();
        names
            .into_iter()
            .map(|name| {
                let index = crate::unit::name::UnitName::parse(&name)
                    .ok()
                    .and_then(|n| self.loaded_index(&n));
                (name, index)
            })
            .collect()
    }

    /// Units of the table that name `i` under `dep` (systemd's inverse dependencies: RequiredBy=
    /// for Requires=, ConsistsOf= for PartOf= …).
    pub(super) fn dependents(&self, i: UnitId, dep: Dependency) -> Vec<UnitId> {
        self.units
            .ids()
            .into_iter()
            .filter(|&j| {
                j != i
                    && self.units[j]
                        .config
                        .unit
                        .dependency(dep)
                        .iter()
                        .any(|n| self.units.lookup(n) == Some(i))
            })
            .collect()
    }

    /// The ordering edges, rebuilt after the table changed.
    pub(super) fn ordering(&mut self) -> &Ordering {
        if self.ordering.is_none() {
            self.ordering = Some(self.build_ordering());
        }
        self.ordering.get_or_insert_with(Ordering::default)
    }

    fn build_ordering(&self) -> Ordering {
        let mut o = Ordering::default();
        for (j, u) in self.units.iter() {
            let unit = &u.config.unit;
            for name in unit.dependency(Dependency::After) {
                if let Some(k) = self.units.lookup(name) {
                    o.edge(k, j);
                }
            }
            for name in unit.dependency(Dependency::Before) {
                if let Some(k) = self.units.lookup(name) {
                    o.edge(j, k);
                }
            }
        }
        // target.c: a target is ordered after what it pulls in, unless either side opts out
        // of default dependencies or the unit is ordered after the target already.
        for (j, u) in self.units.iter() {
            let target = &u.config;
            if target.unit_type != UnitType::Target
                || !target.unit.default_dependencies
                || target.load_state != LoadState::Loaded
            {
                continue;
            }
            for dep in Dependency::TARGET_ORDERED_AFTER {
                for name in target.unit.dependency(dep) {
                    let Some(k) = self.units.lookup(name) else {
                        continue;
                    };
                    let other = &self.units[k].config;
                    if other.load_state == LoadState::Loaded
                        && other.unit.default_dependencies
                        && !o.before(k).contains(&j)
                    {
                        o.edge(k, j);
                    }
                }
            }
        }
        o
    }

    /// Build the transaction for `kind` on unit `anchor` and queue its jobs. The anchor's job
    /// gets `waiter`. Refused transactions change nothing.
    pub(super) fn run_transaction(
        &mut self,
        anchor: UnitId,
        kind: JobKind,
        mode: JobMode,
        waiter: Option<(u64, usize)>,
    ) -> Result<(), Refusal> {
        // The shutdown's stop jobs are irreversible: nothing starts once it began (a unit
        // started then would never be stopped, and the manager would never end).
        if self.shutting_down && kind != JobKind::Stop {
            return Err((
                format!(
                    "Transaction for {}/{} is destructive (shutdown is in progress).",
                    self.units[anchor].config.id,
                    kind.as_str()
                ),
                4,
            ));
        }
        let mut tx = Transaction {
            anchor,
            jobs: BTreeMap::new(),
            mode,
        };
        self.add_job(&mut tx, anchor, kind, true)?;
        if mode == JobMode::Isolate {
            self.add_isolate_stops(&mut tx)?;
        }
        self.drop_redundant(&mut tx);
        self.break_cycles(&mut tx)?;
        if matches!(mode, JobMode::Fail) {
            self.check_destructive(&tx, kind)?;
        }
        let ignore_order = mode == JobMode::IgnoreDependencies;
        for (&i, job) in &tx.jobs {
            let w = if i == anchor { waiter } else { None };
            self.install_job(i, job.kind, ignore_order, w);
        }
        Ok(())
    }

    /// systemd's `transaction_add_job_and_dependencies()`.
    fn add_job(
        &mut self,
        tx: &mut Transaction,
        i: UnitId,
        kind: JobKind,
        matters: bool,
    ) -> Result<(), Refusal> {
        if kind != JobKind::Stop {
            if let Some(refusal) =
                load_refusal(&self.units[i].config.id, self.units[i].config.load_state)
            {
                return Err(refusal);
            }
        }
        if let Some(existing) = tx.jobs.get_mut(&i) {
            match merge(existing.kind, kind) {
                Some(k) if k == existing.kind && (existing.matters || !matters) => return Ok(()),
                Some(k) => {
                    existing.kind = k;
                    existing.matters |= matters;
                }
                // transaction_merge_jobs(): of two jobs that cannot merge, the one the anchor
                // does not need goes
                None if !matters => return Ok(()),
                None if !existing.matters => {
                    existing.kind = kind;
                    existing.matters = true;
                }
                None => {
                    let id = &self.units[i].config.id;
                    return Err((
                        format!(
                            "Transaction contains conflicting jobs '{}' and '{}' for {id}. \
                             Probably contradicting requirement dependencies configured.",
                            existing.kind.as_str(),
                            kind.as_str()
                        ),
                        1,
                    ));
                }
            }
        } else {
            tx.jobs.insert(i, TxJob { kind, matters });
        }
        if matches!(
            tx.mode,
            JobMode::IgnoreDependencies | JobMode::IgnoreRequirements
        ) {
            return Ok(());
        }
        let kind = tx.jobs.get(&i).map(|j| j.kind).unwrap_or(kind);
        // A unit that is already up satisfies a start that only passes through it: what it
        // wants was pulled in when it started (systemd would pull it in again, and start the
        // units of sysinit.target a container skipped or lacks on every start). An isolate
        // needs the whole tree: what it leaves out, it stops.
        let satisfied = kind == JobKind::Start
            && tx.mode != JobMode::Isolate
            && i != tx.anchor
            && self.units[i].job.is_none()
            && matches!(
                self.units[i].active_state(),
                ActiveState::Active | ActiveState::Reloading
            );
        if satisfied {
            return Ok(());
        }
        if matches!(kind, JobKind::Start | JobKind::Restart) {
            for dep in [Dependency::Requires, Dependency::BindsTo] {
                for (name, index) in self.dependency_units(i, dep) {
                    let Some(k) = index else {
                        return Err((format!("Unit {name} not found."), 5));
                    };
                    if !self.is_stand_in(k) {
                        self.add_job(tx, k, JobKind::Start, matters)?;
                    }
                }
            }
            for (name, index) in self.dependency_units(i, Dependency::Requisite) {
                let Some(k) = index else {
                    return Err((format!("Unit {name} not found."), 5));
                };
                self.add_job(tx, k, JobKind::VerifyActive, matters)?;
            }
            for dep in [Dependency::Wants, Dependency::Upholds] {
                for (_, index) in self.dependency_units(i, dep) {
                    let Some(k) = index else { continue };
                    if self.is_stand_in(k) {
                        continue;
                    }
                    // A wanted unit that cannot start is left out, with what it pulled in.
                    let saved = tx.jobs.clone();
                    if let Err((message, _)) = self.add_job(tx, k, JobKind::Start, false) {
                        tx.jobs = saved;
                        let id = self.units[k].config.id.clone();
                        self.log_unit(
                            &id,
                            &format!("{id}: Cannot add dependency job, ignoring: {message}"),
                        );
                    }
                }
            }
            let mut conflicting: Vec<UnitId> = self
                .dependency_units(i, Dependency::Conflicts)
                .into_iter()
                .filter_map(|(_, k)| k)
                .collect();
            conflicting.extend(self.dependents(i, Dependency::Conflicts));
            for k in conflicting {
                self.add_job(tx, k, JobKind::Stop, matters)?;
            }
        }
        if matches!(kind, JobKind::Stop | JobKind::Restart) {
            // unit-dependency-atom.c: RequiredBy=, RequisiteOf=, BoundBy= and ConsistsOf= carry
            // both a stop and a restart; PropagatesStopTo= only a stop.
            let mut affected: Vec<UnitId> = Vec::new();
            for dep in [
                Dependency::Requires,
                Dependency::Requisite,
                Dependency::BindsTo,
                Dependency::PartOf,
            ] {
                affected.extend(self.dependents(i, dep));
            }
            if kind == JobKind::Stop {
                affected.extend(self.stop_propagation(i));
            }
            for k in affected {
                if kind == JobKind::Stop {
                    self.add_job(tx, k, JobKind::Stop, matters)?;
                } else if !self.is_inactive(k) {
                    // JOB_TRY_RESTART collapses to nothing on a unit that is not running
                    self.add_job(tx, k, JobKind::Restart, matters)?;
                }
            }
        }
        if kind == JobKind::Reload {
            let mut affected: Vec<UnitId> = self
                .dependency_units(i, Dependency::PropagatesReloadTo)
                .into_iter()
                .filter_map(|(_, k)| k)
                .collect();
            affected.extend(self.dependents(i, Dependency::ReloadPropagatedFrom));
            for k in affected {
                if !self.is_inactive(k) && self.can_reload(k) {
                    self.add_job(tx, k, JobKind::Reload, false)?;
                }
            }
        }
        Ok(())
    }

    /// The units a stop of `i` carries to through PropagatesStopTo=/StopPropagatedFrom=.
    pub(super) fn stop_propagation(&mut self, i: UnitId) -> Vec<UnitId> {
        let mut units = self.dependents(i, Dependency::StopPropagatedFrom);
        units.extend(
            self.dependency_units(i, Dependency::PropagatesStopTo)
                .into_iter()
                .filter_map(|(_, k)| k),
        );
        units
    }

    pub(super) fn is_inactive(&self, i: UnitId) -> bool {
        matches!(
            self.units[i].active_state(),
            ActiveState::Inactive | ActiveState::Failed
        )
    }

    /// `transaction_isolate()`: everything running that the transaction does not keep stops.
    fn add_isolate_stops(&mut self, tx: &mut Transaction) -> Result<(), Refusal> {
        for k in self.units.ids() {
            // slice.c: slices are IgnoreOnIsolate=yes; so are the units the runtime owns
            let keep = tx.jobs.contains_key(&k)
                || self.units[k].config.unit.ignore_on_isolate
                || self.units[k].config.unit_type == UnitType::Slice
                || self.is_stand_in(k)
                || (self.is_inactive(k) && self.units[k].job.is_none());
            if !keep {
                let saved = tx.jobs.clone();
                if let Err((message, _)) = self.add_job(tx, k, JobKind::Stop, true) {
                    tx.jobs = saved;
                    let id = self.units[k].config.id.clone();
                    self.log_unit(
                        &id,
                        &format!("{id}: Cannot add isolate job, ignoring: {message}"),
                    );
                }
            }
        }
        Ok(())
    }

    /// `transaction_drop_redundant()`, simplified: a job its unit already satisfies, with no
    /// job queued there, changes nothing and only makes others wait.
    fn drop_redundant(&self, tx: &mut Transaction) {
        let anchor = tx.anchor;
        tx.jobs.retain(|&i, job| {
            if i == anchor || self.units[i].job.is_some() {
                return true;
            }
            let active = matches!(
                self.units[i].active_state(),
                ActiveState::Active | ActiveState::Reloading
            );
            match job.kind {
                JobKind::Start | JobKind::VerifyActive => !active,
                JobKind::Stop => !self.is_inactive(i),
                _ => true,
            }
        });
    }

    /// `transaction_verify_order()`: walk After= among the transaction's jobs and the jobs
    /// already queued (a unit started by an earlier request of the same call is ordered too); a
    /// cycle loses its first job (from the far end back) that belongs to the transaction and that
    /// the anchor does not require, else the transaction fails. Units are visited in name order,
    /// so the same cycle always breaks the same way.
    fn break_cycles(&mut self, tx: &mut Transaction) -> Result<(), Refusal> {
        loop {
            let mut order: Vec<UnitId> = tx.jobs.keys().copied().collect();
            order.sort_by(|a, b| self.units[*a].config.id.cmp(&self.units[*b].config.id));
            let queued: Vec<UnitId> = self
                .units
                .ids()
                .into_iter()
                .filter(|&i| self.units[i].job.is_some() && !tx.jobs.contains_key(&i))
                .collect();
            let before: BTreeMap<UnitId, Vec<UnitId>> = {
                let o = self.ordering();
                order
                    .iter()
                    .chain(&queued)
                    .map(|&i| (i, o.before(i).to_vec()))
                    .collect()
            };
            let member = |i: UnitId| tx.jobs.contains_key(&i) || queued.contains(&i);
            let Some(cycle) = find_cycle(&order, &before, member) else {
                return Ok(());
            };
            // cycle: [start, …, from], each after the next one's predecessor
            let start = cycle[0];
            let walk: Vec<UnitId> = cycle.iter().rev().copied().collect();
            let kind_of = |i: UnitId| {
                tx.jobs
                    .get(&i)
                    .map(|j| j.kind)
                    .or_else(|| self.units[i].job.as_ref().map(|j| j.kind))
                    .unwrap_or(JobKind::Start)
                    .as_str()
            };
            let start_id = self.units[start].config.id.clone();
            let mut lines = Vec::new();
            for (n, &k) in walk.iter().enumerate() {
                let what = if n == 0 {
                    "ordering cycle"
                } else {
                    "dependency"
                };
                let id = self.units[k].config.id.clone();
                lines.push((id.clone(), format!("Found {what} on {id}/{}", kind_of(k))));
            }
            // A queued job is not the transaction's to drop.
            let victim = walk
                .iter()
                .copied()
                .find(|&k| k != tx.anchor && tx.jobs.get(&k).is_some_and(|j| !j.matters));
            let outcome = match victim {
                None => {
                    lines.push((
                        start_id.clone(),
                        format!(
                            "Unable to break cycle starting with {start_id}/{}",
                            kind_of(start)
                        ),
                    ));
                    Err((
                        "Transaction order is cyclic. See system logs for details.".into(),
                        1,
                    ))
                }
                Some(victim) => {
                    let id = self.units[victim].config.id.clone();
                    lines.push((
                        id.clone(),
                        format!(
                            "Job {id}/{} deleted to break ordering cycle starting with {start_id}/{}",
                            kind_of(victim),
                            kind_of(start)
                        ),
                    ));
                    Ok(victim)
                }
            };
            // log_unit_warning(): each line under, and led by, the unit it names first.
            for (id, line) in lines {
                self.log_unit(&id, &format!("{id}: {line}"));
            }
            tx.jobs.remove(&outcome?);
        }
    }

    /// `--job-mode=fail`: a job that would replace a queued one of another kind refuses the
    /// whole transaction (BusError.TransactionIsDestructive, which systemctl exits 4 on).
    fn check_destructive(&self, tx: &Transaction, kind: JobKind) -> Result<(), Refusal> {
        for (&i, job) in &tx.jobs {
            let Some(queued) = self.units[i].job.as_ref() else {
                continue;
            };
            if merge(queued.kind, job.kind).is_none() {
                return Err((
                    format!(
                        "Transaction for {}/{} is destructive ({} has '{}' job queued, but '{}' is included in transaction).",
                        self.units[tx.anchor].config.id,
                        kind.as_str(),
                        self.units[i].config.id,
                        queued.kind.as_str(),
                        job.kind.as_str()
                    ),
                    // systemctl's translate_bus_error_to_exit_status(): EXIT_NOPERMISSION
                    4,
                ));
            }
        }
        Ok(())
    }

    /// Put one job of a transaction in the queue: merged with the unit's queued job when the
    /// two combine, else replacing it (the old one ends `canceled`).
    pub(super) fn install_job(
        &mut self,
        i: UnitId,
        kind: JobKind,
        ignore_order: bool,
        waiter: Option<(u64, usize)>,
    ) {
        let merged = self.units[i].job.as_ref().and_then(|j| merge(j.kind, kind));
        match merged {
            Some(k) => {
                if let Some(job) = self.units[i].job.as_mut() {
                    if job.kind != k {
                        job.kind = k;
                        job.running = false;
                    }
                    job.ignore_order |= ignore_order;
                }
            }
            None => {
                self.cancel_job(i, "canceled");
                let id = self.next_job_id();
                self.units[i].job = Some(Job {
                    id,
                    kind,
                    running: false,
                    ignore_order,
                    waiters: Vec::new(),
                });
            }
        }
        if let (Some(job), Some(w)) = (self.units[i].job.as_mut(), waiter) {
            job.waiters.push(w);
        }
        self.dirty = true;
    }

    /// Units that are part of systemd itself or of the machine rather than the container:
    /// systemd's own services, sockets, paths and timers (`systemd-journald.service`,
    /// `systemd-tmpfiles-clean.timer` …: the manager does their work or they need systemd as
    /// PID 1), and mounts, automounts, swaps and devices, which the container runtime owns. A
    /// dependency on one is left out; started by name, it is started.
    pub(super) fn is_stand_in(&self, i: UnitId) -> bool {
        let config = &self.units[i].config;
        config.id.starts_with("systemd-")
            || matches!(
                config.unit_type,
                UnitType::Mount | UnitType::Automount | UnitType::Swap | UnitType::Device
            )
    }
}

/// The D-Bus errors systemd answers when a unit cannot be started.
pub(super) fn load_refusal(unit: &str, load_state: LoadState) -> Option<Refusal> {
    match load_state {
        LoadState::Loaded => None,
        LoadState::NotFound => Some((format!("Unit {unit} not found."), 5)),
        LoadState::BadSetting => Some((format!("Unit {unit} has a bad unit file setting."), 1)),
        LoadState::Masked => Some((format!("Unit {unit} is masked."), 1)),
        LoadState::Error(e) => Some((
            format!(
                "Unit {unit} failed to load properly, please adjust/correct and reload service manager: {}",
                e.strerror()
            ),
            6,
        )),
    }
}

/// A cycle of "ordered after" edges among the units `member` accepts, found by depth-first
/// search from each unit of `order` in turn: the units from where the cycle was entered to the
/// one that leads back to it.
fn find_cycle<T: Copy + Ord>(
    order: &[T],
    before: &BTreeMap<T, Vec<T>>,
    member: impl Fn(T) -> bool,
) -> Option<Vec<T>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut marks: BTreeMap<T, Mark> = order.iter().map(|&i| (i, Mark::New)).collect();
    for &root in order {
        if marks.get(&root) != Some(&Mark::New) {
            continue;
        }
        // iterative DFS: (unit, next edge index)
        let mut path: Vec<(T, usize)> = vec![(root, 0)];
        marks.insert(root, Mark::OnPath);
        while let Some(&mut (unit, ref mut next)) = path.last_mut() {
            let edges = before.get(&unit).map(Vec::as_slice).unwrap_or(&[]);
            if *next >= edges.len() {
                marks.insert(unit, Mark::Done);
                path.pop();
                continue;
            }
            let to = edges[*next];
            *next += 1;
            if !member(to) {
                continue;
            }
            match marks.get(&to).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let from = path.iter().position(|(u, _)| *u == to).unwrap_or(0);
                    return Some(path[from..].iter().map(|(u, _)| *u).collect());
                }
                Mark::New => {
                    marks.insert(to, Mark::OnPath);
                    path.push((to, 0));
                }
                Mark::Done => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_follows_systemd_job_type_merge() {
        use JobKind::*;
        assert_eq!(merge(Start, VerifyActive), Some(Start));
        assert_eq!(merge(Start, Restart), Some(Restart));
        assert_eq!(merge(Start, Stop), None);
        assert_eq!(merge(Stop, Stop), Some(Stop));
        assert_eq!(merge(Reload, VerifyActive), Some(Reload));
    }

    #[test]
    fn a_three_unit_cycle_is_found_from_its_first_unit() {
        // 0 after 1, 1 after 2, 2 after 0
        let before: BTreeMap<usize, Vec<usize>> = [(0, vec![1]), (1, vec![2]), (2, vec![0])]
            .into_iter()
            .collect();
        let cycle = find_cycle(&[0, 1, 2], &before, |_| true).expect("cycle");
        assert_eq!(cycle, vec![0, 1, 2]);
        let acyclic: BTreeMap<usize, Vec<usize>> =
            [(0, vec![1]), (1, vec![2])].into_iter().collect();
        assert!(find_cycle(&[0, 1, 2], &acyclic, |_| true).is_none());
    }
}
