//! A target's state changes, start and stop (target.c's `target_set_state()`,
//! `target_start()`, `target_stop()`), and its entry in the table of unit types.

use super::TargetState;
use crate::manager::daemon::Manager;
use crate::manager::types::unit_notify::NotifyFlags;
use crate::manager::types::vtable::UnitVTable;
use crate::manager::unit_id::UnitId;
use crate::unit::name::UnitType;

impl Manager {
    /// target_set_state(): the unit's new state, then unit_notify().
    pub(in crate::manager) fn target_set_state(&mut self, i: UnitId, new: TargetState) {
        let Some(state) = self.units[i].target_mut() else {
            return;
        };
        let old = std::mem::replace(state, new);
        self.unit_notify(
            i,
            old.active_state(),
            new.active_state(),
            NotifyFlags {
                changed: old != new,
            },
        );
    }

    /// target_start(): active at once, unless the start limit refuses.
    fn target_start(&mut self, i: UnitId) -> bool {
        if !self.processless_start(i) {
            self.target_set_state(i, TargetState::Failed);
            return false;
        }
        self.target_set_state(i, TargetState::Active);
        true
    }

    /// target_stop(): dead at once, with job.c's done message (`Stopped target …` for a
    /// target).
    fn target_stop(&mut self, i: UnitId) {
        if self.units[i].target() != Some(TargetState::Active) {
            return;
        }
        let desc = self.description(i);
        self.target_set_state(i, TargetState::Dead);
        let what = if self.units[i].config.unit_type == UnitType::Target {
            "Stopped target"
        } else {
            "Stopped"
        };
        self.log(i, &format!("{what} {desc}."));
    }
}

pub(in crate::manager) struct TargetVTable;

pub(in crate::manager) static TARGET_VTABLE: TargetVTable = TargetVTable;

impl UnitVTable for TargetVTable {
    fn start(&self, m: &mut Manager, i: UnitId) -> bool {
        m.target_start(i)
    }

    fn stop(&self, m: &mut Manager, i: UnitId) {
        m.target_stop(i);
    }

    fn reset_failed(&self, m: &mut Manager, i: UnitId) {
        if m.units[i].target() == Some(TargetState::Failed) {
            m.target_set_state(i, TargetState::Dead);
        }
    }
}
