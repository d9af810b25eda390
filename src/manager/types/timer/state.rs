//! A timer's own state (timer.c's `timer_set_state()`, `timer_start()`, `timer_stop()`,
//! `timer_reset_failed()`) and its entry in the table of unit types. The state is
//! `TimerRuntime.state`; its ActiveState= is timer.c's translation (waiting, running, elapsed:
//! active). Moves among the three active states are the schedule's own bookkeeping
//! (`run.rs`) and notify nobody; a move that changes the ActiveState= goes through
//! `unit_notify()`.

use crate::manager::daemon::Manager;
use crate::manager::types::unit_notify::NotifyFlags;
use crate::manager::types::vtable::UnitVTable;
use crate::manager::unit_id::UnitId;

use super::TimerState;

impl Manager {
    /// timer_set_state(): the timer's new state; one that goes down forgets its deadline and
    /// next elapse; a change of ActiveState= goes on to unit_notify().
    pub(in crate::manager) fn timer_set_state(&mut self, i: UnitId, new: TimerState) {
        let Some(rt) = self.units[i].timer_mut() else {
            return;
        };
        let old = std::mem::replace(&mut rt.state, new);
        if !new.is_active() {
            rt.next_mono = 0;
            rt.next_real = 0;
            self.cancel_timer_deadline(i);
        }
        self.dirty = true;
        let (was, now) = (old.active_state(), new.active_state());
        if was != now {
            self.unit_notify(i, was, now, NotifyFlags { changed: true });
        }
    }

    /// timer_start(): refused when the unit to trigger is not loaded or the start limit hits;
    /// else active (its start job done, `Started …`), then armed, which may find nothing to
    /// wait for (dead) or no unit to trigger (failed).
    fn timer_unit_start(&mut self, i: UnitId) -> bool {
        if !self.timer_may_start(i) {
            return false;
        }
        if !self.processless_start(i) {
            self.timer_set_state(i, TimerState::Failed);
            return false;
        }
        self.timer_set_state(i, TimerState::Waiting);
        self.timer_arm(i);
        true
    }

    /// timer_stop(): dead, with job.c's `Stopped …`.
    fn timer_unit_stop(&mut self, i: UnitId) {
        if !self.units[i].timer().is_some_and(|rt| rt.state.is_active()) {
            return;
        }
        let desc = self.description(i);
        // timer_enter_dead(): unit_log_success() on the way down, then job.c's done message.
        self.unit_log(i, "Deactivated successfully.");
        self.timer_set_state(i, TimerState::Dead);
        self.log(i, &format!("Stopped {desc}."));
    }
}

/// Timers in the table of unit types: no processes; their schedule runs on their own deadline.
pub(in crate::manager) struct TimerVTable;

pub(in crate::manager) static TIMER_VTABLE: TimerVTable = TimerVTable;

impl UnitVTable for TimerVTable {
    fn start(&self, m: &mut Manager, i: UnitId) -> bool {
        m.timer_unit_start(i)
    }

    fn stop(&self, m: &mut Manager, i: UnitId) {
        m.timer_unit_stop(i);
    }

    fn reset_failed(&self, m: &mut Manager, i: UnitId) {
        if m.units[i]
            .timer()
            .is_some_and(|rt| rt.state == TimerState::Failed)
        {
            m.timer_set_state(i, TimerState::Dead);
        }
    }

    fn timer_event(&self, m: &mut Manager, i: UnitId) -> bool {
        m.on_timer_deadline(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::saved_state::ActiveState;

    /// timer.c's state_translation_table, and the words `status` prints.
    #[test]
    fn a_timer_is_active_while_waiting_running_or_elapsed() {
        let cases = [
            (TimerState::Dead, ActiveState::Inactive, "dead"),
            (TimerState::Waiting, ActiveState::Active, "waiting"),
            (TimerState::Running, ActiveState::Active, "running"),
            (TimerState::Elapsed, ActiveState::Active, "elapsed"),
            (TimerState::Failed, ActiveState::Failed, "failed"),
        ];
        for (state, active, word) in cases {
            assert_eq!(state.active_state(), active, "{word}");
            assert_eq!(state.as_str(), word);
            assert_eq!(state.is_active(), active == ActiveState::Active);
        }
    }
}
