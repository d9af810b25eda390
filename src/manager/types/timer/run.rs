//! A timer unit run by the manager (systemd's src/core/timer.c): arming it from its calendar and
//! monotonic settings, firing its unit, the persistent stamp files of `Persistent=true`, and
//! looking again when the unit it triggers changes state. Its state, start, stop and entry in
//! the table of unit types are in `state.rs`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::ipc::protocol::JobMode;
use crate::ipc::saved_state::ActiveState;
use crate::manager::daemon::Manager;
use crate::manager::tokens::state_timer;
use crate::manager::unit_id::UnitId;
use crate::sys::time::now_stamp;
use crate::unit::job::{JobKind, JobResult};
use crate::unit::name::UnitName;

use super::*;

/// `/var/lib/systemd/timers/stamp-NAME` for the machine's system manager (as systemd), else
/// under the manager's own runtime directory.
fn stamp_path(m: &Manager, id: &str) -> PathBuf {
    let dir = if m.ctx.is_system() && nix::unistd::geteuid().is_root() {
        PathBuf::from("/var/lib/systemd/timers")
    } else {
        m.ctx.state_file().with_file_name("timers")
    };
    dir.join(format!("stamp-{id}"))
}

impl Manager {
    fn trigger_of(&mut self, i: UnitId) -> Option<UnitId> {
        let name = timer_section(&self.units[i].config)?.unit.clone()?;
        let name = UnitName::parse(&name).ok()?;
        self.loaded_index(&name)
    }

    /// unit_test_trigger_loaded(): a timer whose unit is not loaded refuses to start.
    pub(super) fn timer_may_start(&mut self, i: UnitId) -> bool {
        match self.trigger_of(i) {
            Some(k) if self.units[k].is_loaded() => true,
            _ => {
                let name = timer_section(&self.units[i].config)
                    .and_then(|t| t.unit.clone())
                    .unwrap_or_default();
                self.unit_log(
                    i,
                    &format!("Refusing to start, unit {name} to trigger not loaded."),
                );
                false
            }
        }
    }

    /// timer_trigger_notify(): unit `i` changed state (to `new`); the timers that trigger it
    /// look again.
    pub(in crate::manager) fn timer_trigger_notify(&mut self, i: UnitId, new: ActiveState) {
        let timers: Vec<UnitId> = self
            .units
            .ids()
            .into_iter()
            .filter(|&t| {
                let u = &self.units[t];
                timer_section(&u.config).is_some_and(|s| {
                    s.unit.as_ref().is_some_and(|n| {
                        *n == self.units[i].config.id || self.units[i].config.names.contains(n)
                    })
                })
            })
            .collect();
        let inactive = matches!(new, ActiveState::Inactive | ActiveState::Failed);
        for t in timers {
            if t == i {
                continue;
            }
            let n = self.units[t].timer().map_or(0, |rt| rt.mono_disabled.len());
            let values: Vec<&'static str> = timer_section(&self.units[t].config)
                .map(|s| s.monotonic.iter().map(|(b, _)| *b).collect())
                .unwrap_or_default();
            // Re-enable the values that depend on the unit's state.
            if let Some(rt) = self.units[t].timer_mut() {
                for (v, base) in values.iter().enumerate().take(n) {
                    if matches!(*base, "OnUnitActiveUSec" | "OnUnitInactiveUSec") {
                        rt.mono_disabled[v] = false;
                    }
                }
            }
            match self.units[t].timer().map(|rt| rt.state) {
                Some(TimerState::Waiting | TimerState::Elapsed) => {
                    self.timer_enter_waiting(t, false)
                }
                Some(TimerState::Running) if inactive => self.timer_enter_waiting(t, false),
                _ => {}
            }
        }
    }

    /// timer_start() past the checks and the change of state: the last trigger from the stamp
    /// file, every value in use, the first schedule.
    pub(super) fn timer_arm(&mut self, i: UnitId) {
        let Some(t) = timer_section(&self.units[i].config).cloned() else {
            return;
        };
        let mut last_trigger = (0, 0);
        if t.persistent {
            let path = stamp_path(self, &self.units[i].config.id);
            match std::fs::metadata(&path).and_then(|m| m.modified()) {
                Ok(mtime) => {
                    let real = mtime
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_micros() as u64)
                        .unwrap_or(0);
                    // A stamp in the future means a clock that was wrong: ignored, as systemd.
                    if real < now_stamp().0 {
                        last_trigger.0 = real;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if let Err(e) = touch_stamp(&path, now_stamp().0) {
                        self.unit_log(i, &e.to_string());
                    }
                }
                Err(_) => {}
            }
        }
        let Some(rt) = self.units[i].timer_mut() else {
            return;
        };
        rt.last_trigger = last_trigger;
        rt.failed_resources = false;
        rt.mono_disabled = vec![false; t.monotonic.len()];
        rt.mono_next = vec![0; t.monotonic.len()];
        rt.calendar_next = vec![0; t.calendar.len()];
        self.timer_enter_waiting(i, true);
    }

    /// timer_enter_waiting(): compute every value's next elapse and wait for the first. A timer
    /// that is being started (`starting`) counts OnActiveSec= from now, as one not yet active.
    fn timer_enter_waiting(&mut self, i: UnitId, starting: bool) {
        let Some(t) = timer_section(&self.units[i].config).cloned() else {
            return;
        };
        let Some(k) = self.trigger_of(i) else {
            self.unit_log(i, "Unit to trigger vanished.");
            self.timer_enter_dead(i, true);
            return;
        };
        let Some((state, last)) = self.units[i].timer().map(|rt| (rt.state, rt.last_trigger))
        else {
            return;
        };
        let now = now_stamp();
        let active = !starting && state.is_active();
        let activated = self.units[i].stamps.inactive_exit;
        let (trigger_up, trigger_down) = {
            let s = &self.units[k].stamps;
            (s.inactive_exit.1, s.inactive_enter.1)
        };
        let started = manager_start();
        let mut next_mono: Option<u64> = None;
        let mut next_real: Option<u64> = None;
        let mut leave_around = false;
        // Checked above: unit `i` is a timer.
        let Some(rt) = self.units[i].timer_mut() else {
            return;
        };
        let n = t.monotonic.len();
        rt.mono_disabled.resize(n, false);
        rt.mono_next.resize(n, 0);
        for (v, (base_name, span)) in t.monotonic.iter().enumerate() {
            // A value not computed keeps its last next elapse, which `show` prints, as systemd.
            if rt.mono_disabled[v] {
                continue;
            }
            let base = match *base_name {
                "OnActiveUSec" if active => activated.1,
                "OnActiveUSec" => now.1,
                "OnBootUSec" | "OnStartupUSec" => started.1,
                "OnUnitActiveUSec" => {
                    leave_around = true;
                    trigger_up.max(last.1)
                }
                _ => {
                    leave_around = true;
                    trigger_down.max(last.1)
                }
            };
            if base == 0 && matches!(*base_name, "OnUnitActiveUSec" | "OnUnitInactiveUSec") {
                continue;
            }
            let at = base.saturating_add(span.0);
            rt.mono_next[v] = at;
            let one_shot = matches!(*base_name, "OnActiveUSec" | "OnBootUSec" | "OnStartupUSec");
            if (last.0 != 0 || last.1 != 0) && at < now.1 && one_shot {
                // A one-time value that already elapsed: used up.
                rt.mono_disabled[v] = true;
                continue;
            }
            next_mono = Some(next_mono.map_or(at, |m| m.min(at)));
        }
        // When the manager started, in realtime: a calendar time already past at boot is
        // moved there (so that RandomizedDelaySec= spreads the catch-up runs too).
        let rebased = now.0.saturating_sub(now.1.saturating_sub(started.1));
        rt.calendar_next.resize(t.calendar.len(), 0);
        for (v, spec) in t.calendar.iter().enumerate() {
            let base = if last.0 > 0 {
                last.0
            } else if active {
                activated.0
            } else {
                now.0
            };
            let Some(at) = crate::unit::calendar::next_elapse(spec, base) else {
                rt.calendar_next[v] = 0;
                continue;
            };
            let at = at.max(rebased);
            rt.calendar_next[v] = at;
            next_real = Some(next_real.map_or(at, |r| r.min(at)));
        }
        self.cancel_timer_deadline(i);
        let id = self.units[i].config.id.clone();
        let Some(rt) = self.units[i].timer_mut() else {
            return;
        };
        if next_mono.is_none() && next_real.is_none() {
            rt.next_mono = 0;
            rt.next_real = 0;
            if t.remain_after_elapse || leave_around {
                rt.state = TimerState::Elapsed;
                self.dirty = true;
            } else {
                self.timer_enter_dead(i, false);
            }
            return;
        }
        let mut deadline: Option<Instant> = None;
        let clock_now = Instant::now();
        let delayed = |at: u64| {
            at.saturating_add(random_delay(
                t.randomized_delay.0,
                t.fixed_random_delay,
                &id,
            ))
        };
        if let Some(m) = next_mono {
            let m = delayed(m);
            rt.next_mono = m;
            let at = clock_now + Duration::from_micros(m.saturating_sub(now.1));
            deadline = Some(at);
        } else {
            rt.next_mono = 0;
        }
        if let Some(r) = next_real {
            let r = delayed(r);
            rt.next_real = r;
            let at = clock_now + Duration::from_micros(r.saturating_sub(now.0));
            deadline = Some(deadline.map_or(at, |d| d.min(at)));
        } else {
            rt.next_real = 0;
        }
        rt.state = TimerState::Waiting;
        if let Some(at) = deadline {
            rt.deadline = Some(at);
            self.events.set_deadline(at, state_timer(i));
        }
        self.dirty = true;
    }

    pub(super) fn cancel_timer_deadline(&mut self, i: UnitId) {
        if let Some(at) = self.units[i].timer_mut().and_then(|rt| rt.deadline.take()) {
            self.events.cancel_deadline(at, state_timer(i));
        }
    }

    /// timer_enter_dead(): down, failed with `resources` when `failed`; unit_log_result() says
    /// which.
    fn timer_enter_dead(&mut self, i: UnitId, failed: bool) {
        if let Some(rt) = self.units[i].timer_mut() {
            rt.failed_resources = failed;
        }
        if failed {
            self.unit_log(i, "Failed with result 'resources'.");
        } else {
            self.unit_log(i, "Deactivated successfully.");
        }
        let state = if failed {
            TimerState::Failed
        } else {
            TimerState::Dead
        };
        self.timer_set_state(i, state);
    }

    /// The hook of `on_deadline()`: true when unit `i` is a timer (whose deadline this is).
    pub(super) fn on_timer_deadline(&mut self, i: UnitId) -> bool {
        let Some(rt) = self.units[i].timer_mut() else {
            return false;
        };
        if rt.deadline.is_none_or(|at| at > Instant::now()) {
            return true;
        }
        rt.deadline = None;
        self.timer_enter_running(i);
        true
    }

    /// timer_enter_running(): queue the start job of the unit to trigger.
    fn timer_enter_running(&mut self, i: UnitId) {
        // Not when the timer is about to go down.
        if self.jobs.get(i).is_some_and(|j| j.kind == JobKind::Stop) {
            return;
        }
        let Some(k) = self.trigger_of(i) else {
            self.unit_log(i, "Unit to trigger vanished.");
            self.timer_enter_dead(i, true);
            return;
        };
        if let Err((message, _)) = self.run_transaction(k, JobKind::Start, JobMode::Replace, None) {
            self.unit_log(i, &format!("Failed to queue unit startup job: {message}"));
            self.timer_enter_dead(i, true);
            return;
        }
        let now = now_stamp();
        if let Some(rt) = self.units[i].timer_mut() {
            rt.last_trigger = now;
        }
        let persistent = timer_section(&self.units[i].config).is_some_and(|t| t.persistent);
        if persistent {
            let path = stamp_path(self, &self.units[i].config.id);
            if let Err(e) = touch_stamp(&path, now.0) {
                self.unit_log(i, &e.to_string());
            }
        }
        if let Some(rt) = self.units[i].timer_mut() {
            rt.state = TimerState::Running;
            rt.next_mono = 0;
            rt.next_real = 0;
        }
        self.dirty = true;
    }

    /// A manager started again finds a timer it ran active: with its last trigger and its
    /// activation it computes the same schedule again (a one-time value that elapsed stays
    /// used up); an elapsed one stays elapsed until its unit changes.
    pub(in crate::manager) fn timer_adopted(
        &mut self,
        i: UnitId,
        record: &crate::ipc::saved_state::UnitRecord,
    ) {
        if !self.units[i].timer().is_some_and(|rt| rt.state.is_active()) {
            return;
        }
        let Some(t) = timer_section(&self.units[i].config).cloned() else {
            return;
        };
        let now = now_stamp();
        // Realtime µs of the previous manager to this boot's monotonic clock.
        let mono = |real: u64| now.1.saturating_sub(now.0.saturating_sub(real));
        let (sub, last) = record.timer.clone().unwrap_or_default();
        let u = &mut self.units[i];
        if u.stamps.inactive_exit == (0, 0) && record.active_enter_usec != 0 {
            u.stamps.inactive_exit = (record.active_enter_usec, mono(record.active_enter_usec));
        }
        let Some(rt) = u.timer_mut() else {
            return;
        };
        rt.last_trigger = if last != 0 {
            (last, mono(last))
        } else {
            (0, 0)
        };
        rt.mono_disabled = vec![false; t.monotonic.len()];
        rt.mono_next = vec![0; t.monotonic.len()];
        rt.calendar_next = vec![0; t.calendar.len()];
        if sub == "elapsed" {
            rt.state = TimerState::Elapsed;
            return;
        }
        rt.state = TimerState::Waiting;
        self.timer_enter_waiting(i, false);
    }

    /// job.c's done messages for a timer's start job (a service logs its own from its state
    /// machine): `Started …` or `Failed to start …`.
    pub(in crate::manager) fn timer_job_done(&mut self, i: UnitId, result: JobResult) {
        let desc = self.description(i);
        match result {
            JobResult::Done if !self.is_inactive(i) => self.log(i, &format!("Started {desc}.")),
            JobResult::Failed => self.log(i, &format!("Failed to start {desc}.")),
            _ => {}
        }
    }

    /// daemon-reload: the timers that wait compute their schedule from the new settings, as
    /// systemd's coldplug after a reload does.
    pub(in crate::manager) fn timers_reloaded(&mut self) {
        for i in self.units.ids() {
            if self.units[i]
                .timer()
                .is_some_and(|rt| rt.state == TimerState::Waiting)
            {
                self.timer_enter_waiting(i, false);
            }
        }
    }

    /// The timers in the table whose Unit= is unit `i` (its TriggeredBy=).
    pub(in crate::manager) fn timers_triggering(&self, i: UnitId) -> Vec<String> {
        let target = &self.units[i].config;
        self.units
            .values()
            .filter(|u| {
                timer_section(&u.config)
                    .and_then(|t| t.unit.as_ref())
                    .is_some_and(|n| *n == target.id || target.names.contains(n))
            })
            .map(|u| u.config.id.clone())
            .collect()
    }
}
