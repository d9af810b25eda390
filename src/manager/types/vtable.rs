//! systemd's `UnitVTable` in Rust (src/core/unit.h): the operations a job performs on a unit
//! and the deadlines it owns, one implementation per unit type. The other half of systemd's
//! table, `active_state()` and `sub_state_to_string()`, reads data: `Unit::active_state()` and
//! `Unit::sub_state()` ask the unit's type runtime (`runtime.rs`), so that the table of units
//! needs nothing from here (these operations act on the manager, which holds that table).
//!
//! Each type keeps its own state and its own set-state function that ends in
//! `Manager::unit_notify()` (unit.c): services and sockets the service state machine
//! (`service/transitions.rs`, whose `SubState` lives in `Unit::svc`), timers their `TimerState`
//! (`timer/`), targets and the other types without processes their `TargetState` (`target/`).
//! Sockets stay on the service machine by choice: socket.c runs its ExecStartPre=/ExecStopPost=
//! control processes exactly as service.c runs a service's, and the machine already names a
//! socket's sub-states as socket.c does.

use crate::manager::daemon::Manager;
use crate::manager::unit_id::UnitId;
use crate::unit::job::JobResult;

/// systemd's `UnitVTable`: what jobs (job_perform_on_unit()) and the event loop ask of a
/// unit, per type. Child exits and sd_notify messages only ever reach
/// units with processes, services and sockets, which the service machine dispatches itself
/// (`service/processes.rs`, `service/notify.rs`).
pub(in crate::manager) trait UnitVTable: Sync {
    /// unit_start(): false when the unit refuses (its start limit, a socket's service, a
    /// timer's unit), and the start job fails.
    fn start(&self, m: &mut Manager, i: UnitId) -> bool;
    fn stop(&self, m: &mut Manager, i: UnitId);
    /// A reload job on an active unit. Only units that can reload get one
    /// (`Unit::can_reload()` refuses the others first, as unit_reload() does for a type
    /// without a reload); for those the job is invalid.
    fn reload(&self, m: &mut Manager, i: UnitId) {
        m.finish_job(i, JobResult::Invalid);
    }
    /// reset_failed(): a failed unit goes back to its dead state.
    fn reset_failed(&self, m: &mut Manager, i: UnitId);
    /// A deadline of the unit's own passed (timer_event); false when it is the state
    /// machine's timeout instead.
    fn timer_event(&self, _m: &mut Manager, _i: UnitId) -> bool {
        false
    }
}
