//! systemd's `UnitVTable` in Rust (src/core/unit.h): the operations a job performs on a unit and
//! the deadlines it owns, one implementation per unit type. The types' states themselves are data
//! on the unit (`Unit::sub_state()` reads each type's runtime), so the table of units needs
//! nothing from here.

use crate::manager::daemon::Manager;
use crate::manager::unit_id::UnitId;

/// systemd's `UnitVTable`: what jobs (job_perform_on_unit()) and the event loop ask of a unit,
/// per type. Services and sockets run the service state machine (`service/transitions.rs`);
/// timers and targets have no processes and only change state. Every type still enters it
/// through the one start/stop/reload path of the service machine, which checks the start limit
/// and each type's own conditions (a socket's service, a timer's unit): those are the defaults,
/// and a type overrides what it does differently.
pub(in crate::manager) trait UnitVTable: Sync {
    /// unit_start(): false when the unit refuses (its start limit, a socket's service, a
    /// timer's unit), and the start job fails.
    fn start(&self, m: &mut Manager, i: UnitId) -> bool {
        m.service_start(i)
    }
    fn stop(&self, m: &mut Manager, i: UnitId) {
        m.service_stop(i);
    }
    fn reload(&self, m: &mut Manager, i: UnitId) {
        m.service_reload(i);
    }
    /// A deadline of the unit's own passed (timer_event); false when it is the state
    /// machine's timeout instead.
    fn timer_event(&self, _m: &mut Manager, _i: UnitId) -> bool {
        false
    }
}
