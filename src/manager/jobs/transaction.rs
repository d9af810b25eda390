//! Transactions as systemd's transaction.c builds them, as a function of the unit table: a job
//! asked for pulls in the jobs its unit's dependencies imply (systemd.unit(5): Requires=,
//! Requisite=, Wants=, BindsTo=, Upholds= and Conflicts= for a start; the units that Require,
//! Requisite, BindsTo or are PartOf it for a stop or restart, PropagatesStopTo= for a stop;
//! PropagatesReloadTo= for a reload). Of two jobs for one unit that cannot merge, the one the
//! anchor does not need goes; ordering cycles among the new and the queued jobs are broken by
//! dropping a new job nobody required (with systemd's warnings); `--job-mode=fail` refuses to
//! replace queued jobs; `isolate` stops what it does not pull in, except slices,
//! IgnoreOnIsolate= units and what the runtime owns; `ignore-dependencies` and
//! `ignore-requirements` pull in nothing (the first also runs its job unordered);
//! `replace-irreversibly` is `replace`. Nothing here changes the table or the queue: the manager
//! loads what a transaction names first, installs the jobs built, and logs the notes.

use std::collections::BTreeMap;

use thiserror::Error;

use super::graph::{dependents, Graph};
use super::merge;
use super::queue::JobQueue;
use crate::ipc::protocol::JobMode;
use crate::ipc::saved_state::ActiveState;
use crate::manager::table::UnitTable;
use crate::manager::unit::Unit;
use crate::manager::unit_id::UnitId;
use crate::unit::job::JobKind;
use crate::unit::model::{Dependency, LoadState};
use crate::unit::name::UnitType;

/// Why a transaction could not be built: systemd's D-Bus error text and systemctl's exit code.
pub type Refusal = (String, u8);

/// A warning systemd logs while building a transaction, under and led by the unit it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub unit: String,
    pub text: String,
}

/// The jobs a request adds to the queue.
#[derive(Debug)]
pub struct Transaction {
    pub anchor: UnitId,
    /// One job per unit, in the order of the units' ids.
    pub jobs: Vec<(UnitId, JobKind)>,
    /// `--job-mode=ignore-dependencies`: the jobs run without waiting for ordering.
    pub ignore_order: bool,
    pub notes: Vec<Note>,
}

#[derive(Debug, Error)]
pub enum TransactionError {
    /// Dependencies name units the table does not have yet: load them (or learn they do not
    /// exist) and build again.
    #[error("units not loaded yet: {}", .0.join(", "))]
    NotLoaded(Vec<String>),
    #[error("{message}")]
    Refused {
        message: String,
        exit: u8,
        /// What was logged on the way to the refusal.
        notes: Vec<Note>,
    },
}

#[derive(Debug, Clone, Copy)]
struct TxJob {
    kind: JobKind,
    /// Required by the anchor through a chain of requirement dependencies: may not be dropped
    /// to break a cycle (systemd's `matters_to_anchor`).
    matters: bool,
}

/// Why adding a job stopped.
enum Halt {
    NotLoaded(Vec<String>),
    Refused(Refusal),
}

impl From<Refusal> for Halt {
    fn from(r: Refusal) -> Halt {
        Halt::Refused(r)
    }
}

/// Build the transaction for a `kind` job on `anchor` with `mode`, over the units of `table`
/// (their state and their queued jobs) and its `graph`.
pub fn build(
    table: &UnitTable,
    queue: &JobQueue,
    graph: &Graph,
    anchor: UnitId,
    kind: JobKind,
    mode: JobMode,
) -> Result<Transaction, TransactionError> {
    let mut b = Builder {
        table,
        queue,
        graph,
        anchor,
        mode,
        jobs: BTreeMap::new(),
        notes: Vec::new(),
    };
    let built = b.add_job(anchor, kind, true).and_then(|()| {
        if mode == JobMode::Isolate {
            b.add_isolate_stops()?;
        }
        b.drop_redundant();
        b.break_cycles()?;
        if mode == JobMode::Fail {
            b.check_destructive(kind)?;
        }
        Ok(())
    });
    match built {
        Ok(()) => Ok(Transaction {
            anchor,
            jobs: b.jobs.iter().map(|(&i, j)| (i, j.kind)).collect(),
            ignore_order: mode == JobMode::IgnoreDependencies,
            notes: b.notes,
        }),
        Err(Halt::NotLoaded(names)) => Err(TransactionError::NotLoaded(names)),
        Err(Halt::Refused((message, exit))) => Err(TransactionError::Refused {
            message,
            exit,
            notes: b.notes,
        }),
    }
}

struct Builder<'a> {
    table: &'a UnitTable,
    queue: &'a JobQueue,
    graph: &'a Graph<'a>,
    anchor: UnitId,
    mode: JobMode,
    jobs: BTreeMap<UnitId, TxJob>,
    notes: Vec<Note>,
}

impl Builder<'_> {
    fn note(&mut self, unit: &str, text: String) {
        self.notes.push(Note {
            unit: unit.to_string(),
            text,
        });
    }

    fn dependencies(
        &self,
        i: UnitId,
        dep: Dependency,
    ) -> Result<Vec<(String, Option<UnitId>)>, Halt> {
        self.graph
            .dependencies(self.table, i, dep)
            .map_err(Halt::NotLoaded)
    }

    /// The units `i` names under `dep` that exist.
    fn existing(&self, i: UnitId, dep: Dependency) -> Result<Vec<UnitId>, Halt> {
        Ok(self
            .dependencies(i, dep)?
            .into_iter()
            .filter_map(|(_, k)| k)
            .collect())
    }

    fn queued(&self, i: UnitId) -> Option<JobKind> {
        self.queue.kind(i)
    }

    /// Try adding a job nobody requires (a wanted unit, an isolate's stop): a failure is
    /// ignored, and the jobs added on the way stay, as transaction.c has no undo (a wanted unit
    /// whose Requires= names a missing unit still starts; only the missing one has no job).
    /// The failure is logged, except for a wanted unit that is missing, masked or has a bad
    /// setting, or a job that does not apply, which 252 leaves out of the journal (debug
    /// level).
    fn add_optional(
        &mut self,
        k: UnitId,
        kind: JobKind,
        matters: bool,
        what: &str,
    ) -> Result<(), Halt> {
        match self.add_job(k, kind, matters) {
            Err(Halt::Refused((message, _))) => {
                let quiet = what == "dependency"
                    && [
                        " not found.",
                        " is masked.",
                        " has a bad unit file setting.",
                        " is not applicable for unit",
                    ]
                    .iter()
                    .any(|w| message.contains(w));
                if !quiet {
                    let id = self.table[k].config.id.clone();
                    self.note(&id, format!("Cannot add {what} job, ignoring: {message}"));
                }
                Ok(())
            }
            other => other,
        }
    }

    /// systemd's `transaction_add_job_and_dependencies()`.
    fn add_job(&mut self, i: UnitId, kind: JobKind, matters: bool) -> Result<(), Halt> {
        let table = self.table;
        let unit = &table[i];
        if kind != JobKind::Stop {
            if let Some(refusal) = load_refusal(&unit.config.id, unit.config.load_state) {
                return Err(refusal.into());
            }
        }
        if let Some(existing) = self.jobs.get_mut(&i) {
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
                    return Err((
                        format!(
                            "Transaction contains conflicting jobs '{}' and '{}' for {}. \
                             Probably contradicting requirement dependencies configured.",
                            existing.kind.as_str(),
                            kind.as_str(),
                            unit.config.id
                        ),
                        1,
                    )
                        .into());
                }
            }
        } else {
            self.jobs.insert(i, TxJob { kind, matters });
        }
        if matches!(
            self.mode,
            JobMode::IgnoreDependencies | JobMode::IgnoreRequirements
        ) {
            return Ok(());
        }
        let kind = self.jobs.get(&i).map(|j| j.kind).unwrap_or(kind);
        // A unit that is already up satisfies a start that only passes through it: what it
        // wants was pulled in when it started (systemd would pull it in again, and start the
        // units of sysinit.target a container skipped or lacks on every start). An isolate
        // needs the whole tree: what it leaves out, it stops.
        let satisfied = kind == JobKind::Start
            && self.mode != JobMode::Isolate
            && i != self.anchor
            && !self.queue.has_job(i)
            && matches!(
                unit.active_state(),
                ActiveState::Active | ActiveState::Reloading
            );
        if satisfied {
            return Ok(());
        }
        if matches!(kind, JobKind::Start | JobKind::Restart) {
            self.add_start_dependencies(i, matters)?;
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
                affected.extend(dependents(self.table, i, dep));
            }
            if kind == JobKind::Stop {
                affected.extend(dependents(self.table, i, Dependency::StopPropagatedFrom));
                affected.extend(self.existing(i, Dependency::PropagatesStopTo)?);
            }
            for k in affected {
                if kind == JobKind::Stop {
                    self.add_job(k, JobKind::Stop, matters)?;
                } else if !self.table[k].is_inactive() {
                    // JOB_TRY_RESTART collapses to nothing on a unit that is not running
                    self.add_job(k, JobKind::Restart, matters)?;
                }
            }
        }
        if kind == JobKind::Reload {
            let mut affected = self.existing(i, Dependency::PropagatesReloadTo)?;
            affected.extend(dependents(self.table, i, Dependency::ReloadPropagatedFrom));
            for k in affected {
                if !self.table[k].is_inactive() && self.table[k].can_reload() {
                    self.add_job(k, JobKind::Reload, false)?;
                }
            }
        }
        Ok(())
    }

    /// What a start or restart of `i` pulls in: its requirements (which must exist), the
    /// units it wants (which may fail to be added), and stops of what conflicts with it.
    fn add_start_dependencies(&mut self, i: UnitId, matters: bool) -> Result<(), Halt> {
        for dep in [Dependency::Requires, Dependency::BindsTo] {
            for (name, index) in self.dependencies(i, dep)? {
                let Some(k) = index else {
                    return Err((format!("Unit {name} not found."), 5).into());
                };
                if !is_stand_in(&self.table[k]) {
                    self.add_job(k, JobKind::Start, matters)?;
                }
            }
        }
        for (name, index) in self.dependencies(i, Dependency::Requisite)? {
            let Some(k) = index else {
                return Err((format!("Unit {name} not found."), 5).into());
            };
            self.add_job(k, JobKind::VerifyActive, matters)?;
        }
        for dep in [Dependency::Wants, Dependency::Upholds] {
            for k in self.existing(i, dep)? {
                if !is_stand_in(&self.table[k]) {
                    self.add_optional(k, JobKind::Start, false, "dependency")?;
                }
            }
        }
        let mut conflicting = self.existing(i, Dependency::Conflicts)?;
        conflicting.extend(dependents(self.table, i, Dependency::Conflicts));
        for k in conflicting {
            self.add_job(k, JobKind::Stop, matters)?;
        }
        Ok(())
    }

    /// `transaction_isolate()`: everything running that the transaction does not keep stops.
    fn add_isolate_stops(&mut self) -> Result<(), Halt> {
        for (k, u) in self.table.iter() {
            // slice.c: slices are IgnoreOnIsolate=yes; so are the units the runtime owns
            let keep = self.jobs.contains_key(&k)
                || u.config.unit.ignore_on_isolate
                || u.config.unit_type == UnitType::Slice
                || is_stand_in(u)
                || (u.is_inactive() && !self.queue.has_job(k));
            if !keep {
                self.add_optional(k, JobKind::Stop, true, "isolate")?;
            }
        }
        Ok(())
    }

    /// `transaction_drop_redundant()`, simplified: a job its unit already satisfies, with no
    /// job queued there, changes nothing and only makes others wait.
    fn drop_redundant(&mut self) {
        let (anchor, table, queue) = (self.anchor, self.table, self.queue);
        self.jobs.retain(|&i, job| {
            let u = &table[i];
            if i == anchor || queue.has_job(i) {
                return true;
            }
            let active = matches!(
                u.active_state(),
                ActiveState::Active | ActiveState::Reloading
            );
            match job.kind {
                JobKind::Start | JobKind::VerifyActive => !active,
                JobKind::Stop => !u.is_inactive(),
                _ => true,
            }
        });
    }

    /// `transaction_verify_order()`: walk After= among the transaction's jobs and the jobs
    /// already queued (a unit started by an earlier request of the same call is ordered too); a
    /// cycle loses its first job (from the far end back) that belongs to the transaction and
    /// that the anchor does not require, else the transaction fails. Units are visited in name
    /// order, so the same cycle always breaks the same way.
    fn break_cycles(&mut self) -> Result<(), Halt> {
        let table = self.table;
        loop {
            let mut order: Vec<UnitId> = self.jobs.keys().copied().collect();
            order.sort_by(|a, b| table[*a].config.id.cmp(&table[*b].config.id));
            let queued: Vec<UnitId> = table
                .ids()
                .into_iter()
                .filter(|i| self.queue.has_job(*i) && !self.jobs.contains_key(i))
                .collect();
            let member = |i: UnitId| self.jobs.contains_key(&i) || queued.contains(&i);
            let Some(cycle) = self.graph.ordering.find_cycle(&order, member) else {
                return Ok(());
            };
            // cycle: [start, …, from], each after the next one's predecessor
            let start = cycle[0];
            let walk: Vec<UnitId> = cycle.iter().rev().copied().collect();
            let kind_of = |i: UnitId| {
                self.jobs
                    .get(&i)
                    .map(|j| j.kind)
                    .or_else(|| self.queued(i))
                    .unwrap_or(JobKind::Start)
                    .as_str()
            };
            let start_id = table[start].config.id.clone();
            let mut lines = Vec::new();
            for (n, &k) in walk.iter().enumerate() {
                let what = if n == 0 {
                    "ordering cycle"
                } else {
                    "dependency"
                };
                let id = table[k].config.id.clone();
                let text = format!("Found {what} on {id}/{}", kind_of(k));
                lines.push(Note { unit: id, text });
            }
            // A queued job is not the transaction's to drop.
            let victim = walk
                .iter()
                .copied()
                .find(|&k| k != self.anchor && self.jobs.get(&k).is_some_and(|j| !j.matters));
            let outcome = match victim {
                None => {
                    lines.push(Note {
                        unit: start_id.clone(),
                        text: format!(
                            "Unable to break cycle starting with {start_id}/{}",
                            kind_of(start)
                        ),
                    });
                    Err((
                        "Transaction order is cyclic. See system logs for details.".to_string(),
                        1,
                    ))
                }
                Some(victim) => {
                    let id = table[victim].config.id.clone();
                    let text = format!(
                        "Job {id}/{} deleted to break ordering cycle starting with {start_id}/{}",
                        kind_of(victim),
                        kind_of(start)
                    );
                    lines.push(Note { unit: id, text });
                    Ok(victim)
                }
            };
            self.notes.extend(lines);
            let victim = outcome?;
            self.jobs.remove(&victim);
        }
    }

    /// `--job-mode=fail`: a job that would replace a queued one of another kind refuses the
    /// whole transaction (BusError.TransactionIsDestructive, which systemctl exits 4 on).
    fn check_destructive(&self, kind: JobKind) -> Result<(), Halt> {
        for (&i, job) in &self.jobs {
            let Some(queued) = self.queued(i) else {
                continue;
            };
            if merge(queued, job.kind).is_none() {
                return Err((
                    format!(
                        "Transaction for {}/{} is destructive ({} has '{}' job queued, but '{}' is included in transaction).",
                        self.table[self.anchor].config.id,
                        kind.as_str(),
                        self.table[i].config.id,
                        queued.as_str(),
                        job.kind.as_str()
                    ),
                    // systemctl's translate_bus_error_to_exit_status(): EXIT_NOPERMISSION
                    4,
                )
                    .into());
            }
        }
        Ok(())
    }
}

/// Units that are part of systemd itself or of the machine rather than the container:
/// systemd's own services, sockets, paths and timers (`systemd-tmpfiles-clean.timer` …: they
/// need systemd as PID 1), and mounts, automounts, swaps and devices, which the container
/// runtime owns. A dependency on one is left out; started by name, it is started. The units
/// the manager serves itself (systemd-journald's and logind's, [`Unit::served`]) are not among
/// them: their jobs run, and change only their state.
pub fn is_stand_in(u: &Unit) -> bool {
    let config = &u.config;
    (config.id.starts_with("systemd-") && !u.served)
        || matches!(
            config.unit_type,
            UnitType::Mount | UnitType::Automount | UnitType::Swap | UnitType::Device
        )
}

/// The D-Bus errors systemd answers when a unit cannot be started.
pub fn load_refusal(unit: &str, load_state: LoadState) -> Option<Refusal> {
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::manager::jobs::graph::tests::{config, table};
    use crate::manager::jobs::graph::Ordering;
    use crate::manager::types::service::SubState;
    use crate::manager::types::target::TargetState;
    use crate::manager::unit::Unit;
    use Dependency::*;
    use JobKind::*;

    /// Unit `u` is up, in its type's own state.
    fn activate(u: &mut Unit) {
        match u.target_mut() {
            Some(state) => *state = TargetState::Active,
            None => u.svc.state = SubState::Running,
        }
    }

    fn run(
        t: &UnitTable,
        q: &JobQueue,
        looked_up: &HashMap<String, Option<UnitId>>,
        anchor: UnitId,
        kind: JobKind,
        mode: JobMode,
    ) -> Result<Transaction, TransactionError> {
        let ordering = Ordering::of(t);
        let graph = Graph {
            ordering: &ordering,
            looked_up,
        };
        build(t, q, &graph, anchor, kind, mode)
    }

    /// [`run`] with no job queued and no name looked up yet.
    fn fresh(
        t: &UnitTable,
        anchor: UnitId,
        kind: JobKind,
        mode: JobMode,
    ) -> Result<Transaction, TransactionError> {
        run(t, &JobQueue::default(), &HashMap::new(), anchor, kind, mode)
    }

    fn jobs(t: &UnitTable, tx: &Transaction) -> Vec<(String, JobKind)> {
        tx.jobs
            .iter()
            .map(|&(i, k)| (t[i].config.id.clone(), k))
            .collect()
    }

    fn owned(list: &[(&str, JobKind)]) -> Vec<(String, JobKind)> {
        list.iter().map(|&(n, k)| (n.to_string(), k)).collect()
    }

    #[test]
    fn a_start_pulls_in_what_it_requires_and_wants_in_unit_order() {
        let (t, ids) = table(vec![
            config(
                "a.service",
                &[(Requires, &["b.service"]), (Wants, &["c.service"])],
            ),
            config("b.service", &[(BindsTo, &["d.service"])]),
            config("c.service", &[]),
            config("d.service", &[]),
            config("unrelated.service", &[]),
        ]);
        let tx = fresh(&t, ids[0], Start, JobMode::Replace).expect("built");
        assert_eq!(
            jobs(&t, &tx),
            owned(&[
                ("a.service", Start),
                ("b.service", Start),
                ("c.service", Start),
                ("d.service", Start)
            ])
        );
        assert!(!tx.ignore_order);
        assert!(tx.notes.is_empty());
    }

    #[test]
    fn names_not_looked_for_are_asked_for_and_a_missing_requirement_refuses() {
        let (t, ids) = table(vec![config(
            "a.service",
            &[
                (Requires, &["gone.service"]),
                (Wants, &["gone-too.service"]),
            ],
        )]);
        match fresh(&t, ids[0], Start, JobMode::Replace) {
            Err(TransactionError::NotLoaded(names)) => assert_eq!(names, vec!["gone.service"]),
            other => panic!("{other:?}"),
        }
        let looked_up: HashMap<_, _> = [("gone.service".to_string(), None)].into();
        match run(
            &t,
            &JobQueue::default(),
            &looked_up,
            ids[0],
            Start,
            JobMode::Replace,
        ) {
            Err(TransactionError::Refused { message, exit, .. }) => {
                assert_eq!(message, "Unit gone.service not found.");
                assert_eq!(exit, 5);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_wanted_unit_that_cannot_start_is_left_out_with_a_note() {
        let mut masked = config("masked.service", &[]);
        masked.load_state = LoadState::Masked;
        let mut bad = config("bad.service", &[]);
        bad.load_state = LoadState::BadSetting;
        let (t, ids) = table(vec![
            config("a.service", &[(Wants, &["masked.service", "bad.service"])]),
            masked,
            bad,
        ]);
        let tx = fresh(&t, ids[0], Start, JobMode::Replace).expect("built");
        assert_eq!(jobs(&t, &tx), owned(&[("a.service", Start)]));
        // Neither is logged (252 does so at debug level).
        assert!(tx.notes.is_empty(), "{:?}", tx.notes);
    }

    #[test]
    fn a_wanted_unit_whose_requirement_is_missing_still_starts() {
        let (t, ids) = table(vec![
            config("a.service", &[(Wants, &["b.service"])]),
            config("b.service", &[(Requires, &["gone.service"])]),
        ]);
        let looked_up: HashMap<_, _> = [("gone.service".to_string(), None)].into();
        let tx = run(
            &t,
            &JobQueue::default(),
            &looked_up,
            ids[0],
            Start,
            JobMode::Replace,
        )
        .expect("built");
        assert_eq!(
            jobs(&t, &tx),
            owned(&[("a.service", Start), ("b.service", Start)])
        );
        assert!(tx.notes.is_empty(), "{:?}", tx.notes);
    }

    #[test]
    fn requisite_verifies_and_fails_on_what_cannot_be_there() {
        let (t, ids) = table(vec![
            config(
                "a.service",
                &[(Requisite, &["b.service"]), (After, &["b.service"])],
            ),
            config("b.service", &[]),
            config("c.service", &[(Requisite, &["gone.service"])]),
        ]);
        let tx = fresh(&t, ids[0], Start, JobMode::Replace).expect("built");
        assert_eq!(
            jobs(&t, &tx),
            owned(&[("a.service", Start), ("b.service", VerifyActive)])
        );
        let looked_up: HashMap<_, _> = [("gone.service".to_string(), None)].into();
        match run(
            &t,
            &JobQueue::default(),
            &looked_up,
            ids[2],
            Start,
            JobMode::Replace,
        ) {
            Err(TransactionError::Refused { message, exit, .. }) => {
                assert_eq!(
                    (message.as_str(), exit),
                    ("Unit gone.service not found.", 5)
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn conflicts_either_way_stop_the_other_unit() {
        let (mut t, ids) = table(vec![
            config("a.service", &[(Conflicts, &["b.service"])]),
            config("b.service", &[]),
            config("c.service", &[(Conflicts, &["a.service"])]),
            config("d.service", &[(Conflicts, &["a.service"])]),
        ]);
        activate(&mut t[ids[1]]);
        activate(&mut t[ids[2]]);
        let tx = fresh(&t, ids[0], Start, JobMode::Replace).expect("built");
        // d is down already: its stop is redundant and dropped.
        assert_eq!(
            jobs(&t, &tx),
            owned(&[
                ("a.service", Start),
                ("b.service", Stop),
                ("c.service", Stop)
            ])
        );
    }

    #[test]
    fn a_stop_carries_to_what_requires_or_is_part_of_the_unit() {
        let (mut t, ids) = table(vec![
            config("a.service", &[]),
            config("b.service", &[(Requires, &["a.service"])]),
            config("c.service", &[(PartOf, &["a.service"])]),
            config("d.service", &[(Wants, &["a.service"])]),
        ]);
        for &i in &ids {
            activate(&mut t[i]);
        }
        let tx = fresh(&t, ids[0], Stop, JobMode::Replace).expect("built");
        assert_eq!(
            jobs(&t, &tx),
            owned(&[
                ("a.service", Stop),
                ("b.service", Stop),
                ("c.service", Stop)
            ])
        );
    }

    #[test]
    fn isolate_stops_what_it_does_not_pull_in() {
        let mut target = config("rescue.target", &[(Wants, &["a.service"])]);
        target.unit.allow_isolate = true;
        let mut kept = config("kept.service", &[]);
        kept.unit.ignore_on_isolate = true;
        let (mut t, ids) = table(vec![
            target,
            config("a.service", &[]),
            config("b.service", &[]),
            config("c.service", &[]),
            config("user.slice", &[]),
            kept,
        ]);
        for &i in &ids[2..] {
            activate(&mut t[i]);
        }
        let tx = fresh(&t, ids[0], Start, JobMode::Isolate).expect("built");
        assert_eq!(
            jobs(&t, &tx),
            owned(&[
                ("rescue.target", Start),
                ("a.service", Start),
                ("b.service", Stop),
                ("c.service", Stop)
            ])
        );
    }

    #[test]
    fn an_ordering_cycle_loses_a_wanted_job_with_systemds_warnings() {
        let (t, ids) = table(vec![
            config(
                "a.service",
                &[(Wants, &["b.service"]), (After, &["b.service"])],
            ),
            config("b.service", &[(After, &["a.service"])]),
        ]);
        let tx = fresh(&t, ids[0], Start, JobMode::Replace).expect("built");
        assert_eq!(jobs(&t, &tx), owned(&[("a.service", Start)]));
        let texts: Vec<&str> = tx.notes.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Found ordering cycle on b.service/start",
                "Found dependency on a.service/start",
                "Job b.service/start deleted to break ordering cycle starting with a.service/start"
            ]
        );
    }

    #[test]
    fn a_cycle_among_requirements_is_reported_and_refused() {
        let (t, ids) = table(vec![
            config(
                "a.service",
                &[(Requires, &["b.service"]), (After, &["b.service"])],
            ),
            config("b.service", &[(After, &["a.service"])]),
        ]);
        match fresh(&t, ids[0], Start, JobMode::Replace) {
            Err(TransactionError::Refused {
                message,
                exit,
                notes,
            }) => {
                assert_eq!(
                    message,
                    "Transaction order is cyclic. See system logs for details."
                );
                assert_eq!(exit, 1);
                assert_eq!(
                    notes.last().map(|n| n.text.as_str()),
                    Some("Unable to break cycle starting with a.service/start")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fail_mode_refuses_to_replace_a_queued_job_and_replace_does_not() {
        let (t, ids) = table(vec![
            config("a.service", &[(Requires, &["b.service"])]),
            config("b.service", &[]),
        ]);
        let mut q = JobQueue::default();
        q.install(ids[1], Stop, false, None);
        match run(&t, &q, &HashMap::new(), ids[0], Start, JobMode::Fail) {
            Err(TransactionError::Refused { message, exit, .. }) => {
                assert_eq!(exit, 4);
                assert!(
                    message.contains("b.service has 'stop' job queued"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        let tx = run(&t, &q, &HashMap::new(), ids[0], Start, JobMode::Replace).expect("built");
        assert_eq!(
            jobs(&t, &tx),
            owned(&[("a.service", Start), ("b.service", Start)])
        );
    }

    #[test]
    fn ignore_dependencies_queues_the_anchor_alone_and_unordered() {
        let (t, ids) = table(vec![
            config("a.service", &[(Requires, &["b.service"])]),
            config("b.service", &[]),
        ]);
        let tx = fresh(&t, ids[0], Start, JobMode::IgnoreDependencies).expect("built");
        assert_eq!(jobs(&t, &tx), owned(&[("a.service", Start)]));
        assert!(tx.ignore_order);
    }

    #[test]
    fn jobs_for_one_unit_merge_and_unmergeable_requirements_conflict() {
        let (t, ids) = table(vec![
            config(
                "a.service",
                &[(Requires, &["b.service"]), (Requisite, &["b.service"])],
            ),
            config("b.service", &[]),
            config(
                "c.service",
                &[(Requires, &["b.service"]), (Conflicts, &["b.service"])],
            ),
        ]);
        let looked_up: HashMap<_, _> = [("gone.service".to_string(), None)].into();
        let tx = run(
            &t,
            &JobQueue::default(),
            &looked_up,
            ids[0],
            Start,
            JobMode::Replace,
        )
        .expect("built");
        assert_eq!(
            jobs(&t, &tx),
            owned(&[("a.service", Start), ("b.service", Start)])
        );
        match fresh(&t, ids[2], Start, JobMode::Replace) {
            Err(TransactionError::Refused { message, .. }) => {
                assert!(
                    message.contains("conflicting jobs 'start' and 'stop'"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
