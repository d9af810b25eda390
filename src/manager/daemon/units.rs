//! The manager's units as loading, collecting and persisting see them (systemd's
//! manager_load_unit(), unit_add_to_gc_queue() and the serialization of src/core/manager.c): a
//! name resolved to its unit, loaded on first use, collected when nothing needs it, and its state
//! written to the state file a restarted manager takes over.

use super::super::unit::Unit;
use crate::ipc::saved_state::SavedState;
use crate::manager::unit_id::UnitId;
use crate::unit::load::{load_or_shipped, NameMap};
use crate::unit::model::{LoadState, UnitConfig};
use crate::unit::name::UnitName;
use std::collections::{BTreeMap, HashSet};

use crate::manager::process::ProcessTable;

use super::*;

impl Manager {
    /// The unit table's entry for `name`, loading it from disk the first time; `None` for a
    /// unit that does not exist, which is not kept (systemd collects such units at once), so
    /// queries for made-up names cannot grow the table.
    pub(in crate::manager) fn loaded_index(&mut self, name: &UnitName) -> Option<UnitId> {
        if let Some(i) = self.units.lookup(name.as_str()) {
            return Some(i);
        }
        let config = self.load_config(name)?;
        Some(self.insert_unit(name, config))
    }

    /// A request begins: the name map may be rebuilt once for it (see [`Manager::load_config`]).
    pub(in crate::manager) fn begin_request(&mut self) {
        self.map_rebuilt = false;
    }

    /// `name` read from disk (or made from what systemd ships); `None` when it does not exist.
    pub(in crate::manager) fn load_config(&mut self, name: &UnitName) -> Option<UnitConfig> {
        let mut config = load_or_shipped(&self.lookup, &self.name_map, name);
        if config.load_state == LoadState::NotFound && !self.map_rebuilt {
            // A file may have appeared since the map was built: systemd finds new files for
            // units it has not loaded without a daemon-reload. Once per request at most.
            self.name_map = NameMap::build(&self.lookup);
            self.map_rebuilt = true;
            config = load_or_shipped(&self.lookup, &self.name_map, name);
        }
        (config.load_state != LoadState::NotFound).then_some(config)
    }

    /// The table entry for `name` even if no file names it (a unit a previous manager ran).
    pub(in crate::manager) fn unit_index(&mut self, name: &UnitName) -> UnitId {
        if let Some(i) = self.loaded_index(name) {
            return i;
        }
        let config = load_or_shipped(&self.lookup, &self.name_map, name);
        self.insert_unit(name, config)
    }

    fn insert_unit(&mut self, name: &UnitName, config: crate::unit::model::UnitConfig) -> UnitId {
        // An alias of a unit already loaded under another name.
        if let Some(id) = self.units.lookup(&config.id) {
            self.units.add_name(name.as_str(), id);
            return id;
        }
        for w in &config.warnings {
            eprintln!("{w}");
        }
        self.ordering = None;
        let served = self.serves(&config);
        let mut unit = Unit::new(config, &self.config);
        unit.served = served;
        let id = self.units.insert(unit);
        self.units.add_name(name.as_str(), id);
        let unit = self.units[id].config.id.clone();
        self.announce(crate::ipc::protocol::ManagerEvent::UnitNew { unit });
        // Loaded for a query or a job: collected after this batch unless something needs it.
        self.units.collect_later(id);
        id
    }

    /// Look at unit `i` after this batch: collect it if nothing needs it any more (systemd's
    /// `unit_add_to_gc_queue()`).
    pub(in crate::manager) fn collect_later(&mut self, i: UnitId) {
        self.units.collect_later(i);
    }

    /// unit.c's `unit_may_gc()` without the references: unit `i` may go as far as it alone is
    /// concerned: down (failed only with CollectMode=inactive-or-failed), no job, no process
    /// of its own left, no connection it serves or counts.
    fn may_go_alone(&self, i: UnitId, processes: &mut Option<ProcessTable>) -> bool {
        let u = &self.units[i];
        if self.jobs.has_job(i)
            || self.bus_refs.contains_key(&u.config.id)
            || u.conn.is_some()
            || !u.may_be_collected()
            || u.svc.control_pid.is_some()
            || u.svc.main_pid.is_some_and(|p| p.is_alive())
            || u.socket().is_some_and(|s| s.n_connections > 0)
        {
            return false;
        }
        // A unit whose processes outlived it (KillMode=process, none) stays, as systemd keeps
        // a unit whose cgroup is not empty.
        let table = processes.get_or_insert_with(ProcessTable::scan);
        table
            .unit_processes(&u.svc.invocation_id, &u.svc.session_ids(), &[])
            .is_empty()
    }

    /// manager.c's `unit_gc_sweep()` over the queued units: a unit goes when it may go alone and
    /// no unit that stays names it under any dependency (Wants=, After=, Triggers=, a target's
    /// `.wants/` …), nor any unit systemd would hold because a unit that stays names it. Its names are forgotten, its log FIFO closed and removed, its slot reused;
    /// its journal stays. A later query loads it afresh, as systemd does: `status` after a stop
    /// shows an inactive unit with no past run. The units it named are looked at in turn.
    pub(super) fn collect_units(&mut self) {
        if !self.units.has_queued() {
            return;
        }
        let mut processes = None;
        // The units that stay by themselves, then everything they name, transitively.
        let mut kept: HashSet<UnitId> = HashSet::new();
        let mut stack: Vec<UnitId> = Vec::new();
        for i in self.units.ids() {
            if !self.units.is_queued(i) && !self.may_go_cheaply(i) {
                stack.push(i);
            }
        }
        for i in self.units.ids() {
            if self.units.is_queued(i) && !self.may_go_alone(i, &mut processes) {
                stack.push(i);
            }
        }
        self.keep_referenced(&mut kept, stack);
        // systemd also holds every unit a held unit names (multi-user.target, named by some
        // unit's After=, with the `.wants/` of an enabled service): what those name stays too.
        let candidates: Vec<UnitId> = self
            .units
            .ids()
            .into_iter()
            .filter(|i| self.units.is_queued(*i) && !kept.contains(i))
            .collect();
        if !candidates.is_empty() {
            let named = self.named_by_held_files(&kept);
            let stack: Vec<UnitId> = candidates
                .into_iter()
                .filter(|&i| {
                    let config = &self.units[i].config;
                    named.contains(&config.id) || config.names.iter().any(|n| named.contains(n))
                })
                .collect();
            self.keep_referenced(&mut kept, stack);
        }
        let going: Vec<String> = self
            .units
            .ids()
            .into_iter()
            .filter(|i| self.units.is_queued(*i) && !kept.contains(i))
            .map(|i| self.units[i].config.id.clone())
            .collect();
        for id in &going {
            self.drain_log(id);
            let unit = id.clone();
            self.announce(crate::ipc::protocol::ManagerEvent::UnitRemoved { unit });
        }
        let gone_refs: Vec<String> = self
            .units
            .ids()
            .into_iter()
            .filter(|i| self.units.is_queued(*i) && !kept.contains(i))
            .flat_map(|i| self.references(i))
            .collect();
        let gone = self.units.collect(|i, _| !kept.contains(&i));
        for u in gone {
            self.close_log(&u.config.id);
            if u.config.transient {
                if let Some(fragment) = &u.config.fragment_path {
                    self.remove_transient(fragment);
                }
            }
            self.ordering = None;
        }
        // What they named may be free to go now.
        for name in gone_refs {
            if let Some(k) = self.units.lookup(&name) {
                self.units.collect_later(k);
            }
        }
    }

    /// Adds to `kept` the units of `stack` and everything they reference, transitively.
    fn keep_referenced(&self, kept: &mut HashSet<UnitId>, mut stack: Vec<UnitId>) {
        while let Some(i) = stack.pop() {
            if !kept.insert(i) {
                continue;
            }
            for name in self.references(i) {
                if let Some(k) = self.units.lookup(&name) {
                    if !kept.contains(&k) {
                        stack.push(k);
                    }
                }
            }
        }
    }

    /// The names named by the units systemd would hold beyond the table: those the `kept`
    /// units name, and those they name in turn, read from the files (not kept).
    fn named_by_held_files(&mut self, kept: &HashSet<UnitId>) -> HashSet<String> {
        let mut queue: Vec<String> = kept.iter().flat_map(|&i| self.references(i)).collect();
        let mut looked_for: HashSet<String> = HashSet::new();
        let mut named: HashSet<String> = HashSet::new();
        while let Some(name) = queue.pop() {
            if self.units.lookup(&name).is_some() || !looked_for.insert(name.clone()) {
                continue;
            }
            let Some(unit) = UnitName::parse(&name).ok().filter(|n| !n.is_template()) else {
                continue;
            };
            let Some(config) = self.load_config(&unit) else {
                continue;
            };
            looked_for.extend(config.names.iter().cloned());
            for (_, names) in &config.unit.dependencies {
                named.extend(names.iter().cloned());
                queue.extend(names.iter().cloned());
            }
        }
        named
    }

    /// The units unit `i` references (unit.c's UNIT_REFERENCES): every dependency it names, and
    /// what a socket or a timer triggers. The reference goes one way: a service does not
    /// reference the sockets and timers that trigger it, so a stopped socket goes even while
    /// its service runs.
    fn references(&self, i: UnitId) -> Vec<String> {
        let config = &self.units[i].config;
        let mut names: Vec<String> = config
            .unit
            .dependencies
            .iter()
            .flat_map(|(_, names)| names.iter().cloned())
            .collect();
        names.extend(self.triggers(i));
        names.extend(crate::manager::types::timer::timer_triggers(config));
        names
    }

    /// [`Manager::may_go_alone`] for a unit not queued, without the process scan: such a unit
    /// counts as staying unless it is plainly down and idle.
    fn may_go_cheaply(&self, i: UnitId) -> bool {
        let u = &self.units[i];
        !self.jobs.has_job(i)
            && u.conn.is_none()
            && u.may_be_collected()
            && u.svc.control_pid.is_none()
            && u.svc.main_pid.is_none()
    }

    /// Unit `i`'s record alone, laid over the last full save: what a spawn must have on file.
    pub(in crate::manager) fn save_unit_state(&mut self, i: UnitId) {
        let Some(record) = self.units[i].record(self.jobs.get(i)) else {
            return;
        };
        let unit = &self.units[i].config.id;
        let path = self.ctx.state_file();
        let generation = self.state_generation;
        if let Err(e) = SavedState::save_unit(&path, &self.boot_id, generation, unit, &record) {
            eprintln!("{e}");
        }
    }

    pub(in crate::manager) fn save_state(&mut self) {
        self.state_generation += 1;
        let mut saved = SavedState {
            boot_id: self.boot_id.clone(),
            units: BTreeMap::new(),
            generation: self.state_generation,
        };
        for (i, u) in self.units.iter() {
            if let Some(record) = u.record(self.jobs.get(i)) {
                saved.units.insert(u.config.id.clone(), record);
            }
        }
        if let Err(e) = saved.save(&self.ctx.state_file()) {
            eprintln!("{e}");
        }
        self.dirty = false;
    }
}
