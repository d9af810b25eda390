//! Putting a transaction into effect, as systemd's `manager_add_job()` does around
//! transaction.c: the units a transaction names are loaded first (the builder in
//! `jobs/transaction.rs` only reads the table, and says which names it lacks), its warnings are
//! logged, and its jobs installed in the queue, each merged with its unit's queued job when
//! the two combine, else replacing it (the old one ends `canceled`). Once a shutdown began,
//! only stops are accepted. Also the manager's view of the unit graph (`jobs/graph.rs`): the
//! ordering edges, kept until the table changes, and dependencies loaded on first use.

use std::collections::HashMap;

use super::daemon::Manager;
use super::jobs::graph::{self, Graph, Ordering};
use super::jobs::merge;
use super::jobs::transaction::{self, Note, Refusal, TransactionError};
use crate::ipc::protocol::JobMode;
use crate::manager::unit_id::UnitId;
use crate::unit::job::JobKind;
use crate::unit::model::Dependency;
use crate::unit::name::UnitName;

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
                let index = UnitName::parse(&name)
                    .ok()
                    .and_then(|n| self.loaded_index(&n));
                (name, index)
            })
            .collect()
    }

    /// Units of the table that name `i` under `dep` (systemd's inverse dependencies: RequiredBy=
    /// for Requires=, ConsistsOf= for PartOf= …).
    pub(super) fn dependents(&self, i: UnitId, dep: Dependency) -> Vec<UnitId> {
        graph::dependents(&self.units, i, dep)
    }

    /// The ordering edges, rebuilt after the table changed.
    pub(super) fn ordering(&mut self) -> &Ordering {
        self.ordering
            .get_or_insert_with(|| Ordering::of(&self.units))
    }

    /// Build the transaction for `kind` on unit `anchor` and queue its jobs. The anchor's job
    /// gets `waiter`. Refused transactions change nothing but the units loaded for them.
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
        // Names the table does not list, as loading them turned out.
        let mut looked_up: HashMap<String, Option<UnitId>> = HashMap::new();
        let tx = loop {
            let ordering = self
                .ordering
                .get_or_insert_with(|| Ordering::of(&self.units));
            let graph = Graph {
                ordering,
                looked_up: &looked_up,
            };
            match transaction::build(&self.units, &self.jobs, &graph, anchor, kind, mode) {
                Ok(tx) => break tx,
                // Loaded in the order the builder met them, as systemd loads a unit's
                // dependencies when it loads the unit; then the transaction is built again.
                Err(TransactionError::NotLoaded(names)) => {
                    for name in names {
                        let found = UnitName::parse(&name)
                            .ok()
                            .and_then(|n| self.loaded_index(&n));
                        if self.units.lookup(&name).is_none() {
                            looked_up.insert(name, found);
                        }
                    }
                }
                Err(TransactionError::Refused {
                    message,
                    exit,
                    notes,
                }) => {
                    self.log_notes(notes);
                    return Err((message, exit));
                }
            }
        };
        self.log_notes(tx.notes);
        for (i, kind) in tx.jobs {
            let w = if i == tx.anchor { waiter } else { None };
            self.install_job(i, kind, tx.ignore_order, w);
        }
        Ok(())
    }

    /// log_unit_warning(): each line under, and led by, the unit it names.
    fn log_notes(&mut self, notes: Vec<Note>) {
        for Note { unit, text } in notes {
            self.log_unit(&unit, &format!("{unit}: {text}"));
        }
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
        self.units[i].is_inactive()
    }

    /// Put one job of a transaction in the queue: merged with the unit's queued job when the
    /// two combine, else replacing it (the old one ends `canceled` first, as `job_install()`
    /// cancels it before the new job gets its number).
    pub(super) fn install_job(
        &mut self,
        i: UnitId,
        kind: JobKind,
        ignore_order: bool,
        waiter: Option<(u64, usize)>,
    ) {
        if self
            .jobs
            .kind(i)
            .is_some_and(|queued| merge(queued, kind).is_none())
        {
            self.cancel_job(i, crate::unit::job::JobResult::Canceled);
        }
        // What canceling set off may have queued a job for the unit again: as the unit's one
        // job, it is replaced without a word, as it always was.
        let before = self.jobs.get(i).map(|j| j.id);
        drop(self.jobs.install(i, kind, ignore_order, waiter));
        self.dirty = true;
        let now = self.jobs.get(i).map(|j| j.id);
        if let Some(id) = now.filter(|id| before != Some(*id)) {
            let unit = self.units[i].config.id.clone();
            self.announce(crate::ipc::protocol::ManagerEvent::JobNew { id, unit });
        }
    }
}
