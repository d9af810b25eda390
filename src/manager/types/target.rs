//! Targets (target.c), and for now every other type without processes of its own (slices,
//! scopes, paths, devices, mounts as the manager sees them): a state that is active or dead,
//! changed by jobs without running anything.

use super::vtable::UnitVTable;
use crate::manager::daemon::Manager;
use crate::manager::unit_id::UnitId;

pub(super) struct TargetVTable;

pub(super) static TARGET_VTABLE: TargetVTable = TargetVTable;

impl UnitVTable for TargetVTable {
    fn start(&self, m: &mut Manager, i: UnitId) -> bool {
        m.service_start(i)
    }

    fn stop(&self, m: &mut Manager, i: UnitId) {
        m.service_stop(i);
    }

    fn reload(&self, m: &mut Manager, i: UnitId) {
        m.service_reload(i);
    }
}
