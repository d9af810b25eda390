//! systemd's `UnitVTable` in Rust (src/core/unit.h): the operations a job performs on a unit,
//! the states it reads of it and the deadlines it owns, one implementation per unit type.
//!
//! Each type keeps its own state and its own set-state function that ends in
//! `Manager::unit_notify()` (unit.c): services and sockets the service state machine
//! (`service/transitions.rs`, whose `SubState` lives in `Unit::svc`), timers their `TimerState`
//! (`timer/`), targets and the other types without processes their `TargetState` (`target.rs`).
//! Sockets stay on the service machine by choice: socket.c runs its ExecStartPre=/ExecStopPost=
//! control processes exactly as service.c runs a service's, and the machine already names a
//! socket's sub-states as socket.c does.

use crate::ipc::saved_state::ActiveState;
use crate::manager::daemon::Manager;
use crate::manager::unit::Unit;
use crate::manager::unit_id::UnitId;
use crate::unit::job::JobResult;

/// systemd's `UnitVTable`: what jobs (job_perform_on_unit()), the event loop and every reader
/// of a unit's state ask of it, per type. Child exits and sd_notify messages only ever reach
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
    /// active_state(): the unit's ActiveState=, from its type's state.
    fn active_state(&self, u: &Unit) -> ActiveState;
    /// sub_state_to_string(): the SubState= word.
    fn sub_state(&self, u: &Unit) -> &'static str;
    /// A deadline of the unit's own passed (timer_event); false when it is the state
    /// machine's timeout instead.
    fn timer_event(&self, _m: &mut Manager, _i: UnitId) -> bool {
        false
    }
}
