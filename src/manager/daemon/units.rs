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
use std::collections::BTreeMap;

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
        let unit = Unit::new(config, &self.config);
        let id = self.units.insert(unit);
        self.units.add_name(name.as_str(), id);
        id
    }

    /// Collect unit `i` after this batch (systemd's garbage collection of a per-connection
    /// instance that is down).
    pub(in crate::manager) fn collect_later(&mut self, i: UnitId) {
        self.units.collect_later(i);
    }

    /// Drop the queued units that are still down and unreferenced: their names are forgotten,
    /// their log FIFO closed and removed, and the slot is reused. Their journal stays.
    pub(super) fn collect_units(&mut self) {
        let jobs = &self.jobs;
        let gone = self.units.collect(|i, u| {
            !jobs.has_job(i)
                && u.conn.is_none()
                && u.may_be_collected()
                && u.svc.control_pid.is_none()
        });
        for u in gone {
            self.close_log(&u.config.id);
            self.ordering = None;
        }
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
