//! The queries about units (dbus-unit.c's properties, dbus-manager.c's GetUnit/LoadUnit and
//! ListUnits): a unit's runtime status, its load and active state alone, and every unit loaded.
//! A query loads a unit it names without keeping it, so asking about every unit of an image
//! does not grow the manager.

use super::super::daemon::Manager;
use super::super::unit::Unit;
use crate::ipc::protocol::{LoadedConfig, UnitDetails, UnitStatus};
use crate::manager::unit_id::UnitId;
use crate::unit::load::load_or_shipped;
use crate::unit::model::UnitConfig;
use crate::unit::name::UnitName;
use crate::unit::state::{ActiveState, UnitLoadState};

impl Manager {
    /// What a query needs of `name`: its table entry, or the configuration alone of a unit
    /// nothing runs, which is not kept (systemd collects inactive, unreferenced units at once),
    /// so that asking about every unit of an image does not grow the manager.
    fn peek(&mut self, name: &UnitName) -> Option<Result<UnitId, Box<UnitConfig>>> {
        if let Some(i) = self.units.lookup(name.as_str()) {
            return Some(Ok(i));
        }
        let config = self.load_config(name)?;
        Some(match self.units.lookup(&config.id) {
            Some(i) => Ok(i),
            None => Err(Box::new(config)),
        })
    }

    pub(super) fn unit_status(&mut self, name: &str) -> UnitStatus {
        match UnitName::parse(name).ok().and_then(|n| self.peek(&n)) {
            Some(Ok(i)) => self.status_of(i),
            Some(Err(config)) => self.status_of_unloaded(*config),
            None => not_found(name),
        }
    }

    /// The status of a unit not in the table (so inactive): it triggers what its file says,
    /// and is triggered by the sockets in the table that name it.
    fn status_of_unloaded(&self, config: UnitConfig) -> UnitStatus {
        let unit = Unit::new(config, &self.config);
        let mut status = unit.status(&self.lookup, None);
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

    pub(super) fn list_units(&mut self) -> Vec<UnitStatus> {
        let mut out: Vec<UnitStatus> = self
            .units
            .ids()
            .into_iter()
            .map(|i| self.status_of(i))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Unit `i`'s status with what the manager knows beyond the unit itself.
    fn status_of(&self, i: UnitId) -> UnitStatus {
        let mut status = self.units[i].status(&self.lookup, self.jobs.get(i));
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
