//! The queries about units (dbus-unit.c's properties, dbus-manager.c's GetUnit/LoadUnit and
//! ListUnits): a unit's runtime status, its load and active state alone, and every unit loaded.
//! A query loads a unit it names without keeping it, so asking about every unit of an image
//! does not grow the manager. `show` gets the dependencies other loaded units record on a unit
//! too (unit.c keeps each dependency on both units).

use std::collections::HashSet;

use super::super::daemon::Manager;
use super::super::unit::Unit;
use crate::ipc::properties::{
    properties_of, wants_dependencies_from_others, Asking, Property, TriggerFiles,
};
use crate::ipc::protocol::{LoadedConfig, UnitDependency, UnitDetails, UnitStatus};
use crate::manager::jobs::graph::dependencies_from_others;
use crate::manager::unit_id::UnitId;
use crate::unit::load::load_or_shipped;
use crate::unit::model::UnitConfig;
use crate::unit::name::UnitName;
use crate::unit::state::{ActiveState, UnitLoadState};

/// Where a query found a unit: in the table, or only in the files (read for this answer).
type Peeked = Result<UnitId, Box<UnitConfig>>;

impl Manager {
    /// What a query needs of `name`: its table entry, or the configuration alone of a unit
    /// nothing runs, which is not kept (systemd collects inactive, unreferenced units at once),
    /// so that asking about every unit of an image does not grow the manager.
    fn peek(&mut self, name: &UnitName) -> Option<Peeked> {
        if let Some(i) = self.units.lookup(name.as_str()) {
            return Some(Ok(i));
        }
        let config = self.load_config(name)?;
        Some(match self.units.lookup(&config.id) {
            Some(i) => Ok(i),
            None => Err(Box::new(config)),
        })
    }

    /// What `show` asks of `name`: its status, and with `named` the dependencies the units
    /// systemd would hold record on it (not part of [`Manager::status_of`], which `list-units`
    /// asks of every unit). `named` keeps what was read of the files for the request's other
    /// units.
    pub(super) fn unit_status(&mut self, name: &str, named: Option<&mut NamedUnits>) -> UnitStatus {
        self.status_and_config(name, named).0
    }

    /// The properties `show` prints of `name` (those in `asked`, all when empty), as GetAll() on
    /// its unit object answers: from the configuration the table holds for a unit in it (so a
    /// file edited since counts only after daemon-reload, as in systemd), else from the files.
    pub(super) fn unit_properties(
        &mut self,
        name: &str,
        asked: &[String],
        named: &mut NamedUnits,
        trigger_files: &TriggerFiles,
    ) -> Vec<Property> {
        let named = wants_dependencies_from_others(asked).then_some(named);
        let (status, config) = self.status_and_config(name, named);
        let read;
        let config = match config {
            Some(Ok(i)) => &self.units[i].config,
            Some(Err(config)) => {
                read = config;
                &*read
            }
            None => match UnitName::parse(name) {
                Ok(n) => {
                    read = Box::new(load_or_shipped(&self.lookup, &self.name_map, &n));
                    &*read
                }
                Err(_) => return Vec::new(),
            },
        };
        let asking = Asking {
            lookup: &self.lookup,
            map: &self.name_map,
            trigger_files,
            managed: true,
            asked,
        };
        properties_of(&asking, config, &status)
    }

    /// `name`'s status (see [`Manager::unit_status`]) and where its configuration is: in the
    /// table, read from the files for this answer, or nowhere (not found).
    fn status_and_config(
        &mut self,
        name: &str,
        named: Option<&mut NamedUnits>,
    ) -> (UnitStatus, Option<Peeked>) {
        match UnitName::parse(name).ok().and_then(|n| self.peek(&n)) {
            Some(Ok(i)) => {
                let mut status = self.status_of(i);
                if let Some(named) = named {
                    self.load_named(named, None);
                    let config = &self.units[i].config;
                    status.dependencies_from_others = self.dependencies_from_others(config, named);
                }
                (status, Some(Ok(i)))
            }
            Some(Err(config)) => {
                // systemd loads the unit to answer, and with it the units it names
                let from_others = named.map(|named| {
                    self.load_named(named, Some(&config));
                    self.dependencies_from_others(&config, named)
                });
                let mut status = self.status_of_unloaded((*config).clone());
                status.dependencies_from_others = from_others.unwrap_or_default();
                (status, Some(Err(config)))
            }
            None => {
                // A unit no file gives still has what loaded units record on it (WantedBy= of
                // a Wants= that names it).
                let mut status = not_found(name);
                if let (Some(named), Ok(n)) = (named, UnitName::parse(name)) {
                    let config = load_or_shipped(&self.lookup, &self.name_map, &n);
                    self.load_named(named, None);
                    status.dependencies_from_others = self.dependencies_from_others(&config, named);
                }
                (status, None)
            }
        }
    }

    /// Adds to `named` the units that the table's units (and `also`) name, and those they name
    /// in turn, that the table does not hold: systemd loads every unit a loaded unit names and
    /// keeps it while it is named, where the table holds the units that run or ran. They are
    /// read from the files, not kept.
    fn load_named(&mut self, named: &mut NamedUnits, also: Option<&UnitConfig>) {
        let mut queue: Vec<String> = Vec::new();
        if !named.table_seen {
            named.table_seen = true;
            for (_, u) in self.units.iter() {
                queue.extend(named_by(&u.config));
            }
        }
        if let Some(config) = also {
            named.looked_for.extend(config.names.iter().cloned());
            named.looked_for.insert(config.id.clone());
            queue.extend(named_by(config));
        }
        while let Some(name) = queue.pop() {
            if self.units.lookup(&name).is_some() || !named.looked_for.insert(name.clone()) {
                continue;
            }
            let Some(unit_name) = UnitName::parse(&name).ok().filter(|n| !n.is_template()) else {
                continue;
            };
            let Some(config) = self.load_config(&unit_name) else {
                named.missing.push(name);
                continue;
            };
            if self.units.lookup(&config.id).is_some() {
                continue;
            }
            named.looked_for.extend(config.names.iter().cloned());
            queue.extend(named_by(&config));
            named.configs.push(config);
        }
    }

    /// What the table's units and `named` record on `config` by naming it.
    fn dependencies_from_others(
        &self,
        config: &UnitConfig,
        named: &NamedUnits,
    ) -> Vec<(UnitDependency, Vec<String>)> {
        let table_id = self.units.lookup(&config.id);
        let names_it = |n: &str| {
            n == config.id
                || config.names.iter().any(|m| m == n)
                || (table_id.is_some() && self.units.lookup(n) == table_id)
        };
        let find = |n: &str| match self.units.lookup(n) {
            Some(k) => Some(&self.units[k].config),
            None => named
                .configs
                .iter()
                .find(|c| c.id == n || c.names.iter().any(|m| m == n)),
        };
        dependencies_from_others(
            config,
            self.units
                .iter()
                .map(|(_, u)| &u.config)
                .chain(named.configs.iter()),
            names_it,
            find,
        )
    }

    /// The status of a unit not in the table (so inactive): it triggers what its file says,
    /// and is triggered by the sockets in the table that name it.
    fn status_of_unloaded(&self, config: UnitConfig) -> UnitStatus {
        let unit = Unit::new(config, &self.config);
        let mut status = unit.status(&self.lookup, None, None);
        status.triggers = super::super::types::socket::static_triggers(&unit.config);
        status
            .triggers
            .extend(super::super::types::timer::timer_triggers(&unit.config));
        status.triggered_by = self.sockets_naming(&unit.config);
        status
    }

    /// GetUnitByPID(): the manager itself (PID 1, or our own pid) is init.scope, as systemd's
    /// own process is; any other process belongs to the unit that runs it, if one does.
    pub(super) fn unit_name_of_pid(&self, pid: u32) -> Option<String> {
        let pid = i32::try_from(pid).ok()?;
        if pid == 1 || pid == std::process::id() as i32 {
            return Some("init.scope".to_string());
        }
        self.unit_of_process(pid)
            .map(|i| self.units[i].config.id.clone())
    }

    pub(super) fn unit_state(&mut self, name: &str) -> (UnitLoadState, ActiveState) {
        match UnitName::parse(name).ok().and_then(|n| self.peek(&n)) {
            Some(Ok(i)) => {
                let u = &self.units[i];
                (u.config.load_state.state(), u.active_state())
            }
            Some(Err(config)) => (config.load_state.state(), ActiveState::Inactive),
            None => (UnitLoadState::NotFound, ActiveState::Inactive),
        }
    }

    /// ListUnits(): the table's units, and those systemd holds beside them because a unit it
    /// holds names them (loaded as a dependency, kept while named), not-found ones included.
    pub(super) fn list_units(&mut self) -> Vec<UnitStatus> {
        let mut out: Vec<UnitStatus> = self
            .units
            .ids()
            .into_iter()
            .map(|i| self.status_of(i))
            .collect();
        let mut named = NamedUnits::default();
        self.load_named(&mut named, None);
        let NamedUnits {
            configs, missing, ..
        } = named;
        for config in configs {
            out.push(self.status_of_unloaded(config));
        }
        out.extend(missing.iter().map(|n| not_found(n)));
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Unit `i`'s status with what the manager knows beyond the unit itself.
    fn status_of(&self, i: UnitId) -> UnitStatus {
        let members = self
            .cgroup_dir(i)
            .and_then(|d| crate::manager::cgroup::members(&d));
        let mut status = self.units[i].status(&self.lookup, self.jobs.get(i), members);
        status.triggers = self.triggers(i);
        status
            .triggers
            .extend(super::super::types::timer::timer_triggers(
                &self.units[i].config,
            ));
        status.triggered_by = self.triggered_by(i);
        status.triggered_by.extend(self.timers_triggering(i));
        status
    }

    /// What `status` shows of `name`: its status, the configuration the manager loaded (for a
    /// unit it does not hold, what the files say now, as systemd loads it to answer), and the
    /// active state of the units it triggers or is triggered by.
    pub(super) fn unit_details(&mut self, name: &str) -> UnitDetails {
        let parsed = UnitName::parse(name).ok();
        let (status, config) = match parsed.as_ref().and_then(|n| self.peek(n)) {
            Some(Ok(i)) => (
                self.status_of(i),
                LoadedConfig::of(&self.units[i].config, &self.lookup),
            ),
            Some(Err(config)) => {
                let loaded = LoadedConfig::of(&config, &self.lookup);
                (self.status_of_unloaded(*config), loaded)
            }
            // Not found, but drop-ins may exist: `status` shows them.
            None => {
                let loaded = parsed
                    .map(|n| {
                        let config = load_or_shipped(&self.lookup, &self.name_map, &n);
                        LoadedConfig::of(&config, &self.lookup)
                    })
                    .unwrap_or_default();
                (not_found(name), loaded)
            }
        };
        let mut related: Vec<String> = status
            .triggers
            .iter()
            .chain(status.triggered_by.iter())
            .cloned()
            .collect();
        related.sort();
        related.dedup();
        let related = related
            .into_iter()
            .map(|u| {
                let (_, active) = self.unit_state(&u);
                (u, active)
            })
            .collect();
        UnitDetails {
            status,
            config,
            related,
        }
    }
}

/// The units systemd would hold beside those of the table, as one request read them.
#[derive(Default)]
pub(super) struct NamedUnits {
    configs: Vec<UnitConfig>,
    /// Every name looked for already, found or not.
    looked_for: HashSet<String>,
    /// The names looked for that no file gives (systemd holds them as not-found units).
    missing: Vec<String>,
    /// Whether the names the table's units give were followed.
    table_seen: bool,
}

/// The units `config` names under any dependency.
fn named_by(config: &UnitConfig) -> impl Iterator<Item = String> + '_ {
    config
        .unit
        .dependencies
        .iter()
        .flat_map(|(_, names)| names.iter().cloned())
}

/// The status of a unit no file names and nothing runs.
fn not_found(name: &str) -> UnitStatus {
    UnitStatus {
        id: name.to_string(),
        load_state: Some(UnitLoadState::NotFound),
        active_state: ActiveState::Inactive,
        sub_state: "dead".into(),
        ..UnitStatus::default()
    }
}
