//! Timer units as timer.c of systemd 252 runs them (systemd.timer(5)): a started timer computes
//! when its monotonic (`OnActiveSec=`, `OnBootSec=`, `OnStartupSec=`, `OnUnitActiveSec=`,
//! `OnUnitInactiveSec=`) and calendar (`OnCalendar=`) values next elapse (`waiting`), queues a
//! start job (JOB_REPLACE) for its `Unit=` when the first one does (`running`), and computes again
//! once that unit is down; with nothing left to wait for it is `elapsed` (RemainAfterElapse=yes,
//! or a value based on the unit's activity) or `dead`. `Persistent=` keeps a stamp file whose
//! mtime is the last trigger, so that a run missed while the manager was down happens at start.
//!
//! Where this differs: the wakeup is at the exact elapse time (systemd lets sd-event coalesce it
//! anywhere within `AccuracySec=`); calendar deadlines follow the monotonic clock from the
//! moment they were computed (a change of the wall clock or time zone is noticed at the next
//! computation, not at once); `OnBootSec=` counts, as in a container under systemd, from the
//! manager's start, as `OnStartupSec=` does.
//!
//! The timer's state is its own, [`TimerState`] in [`TimerRuntime`] (its ActiveState= is
//! timer.c's translation of it), changed by `state.rs` (start, stop, `timer_set_state()` into
//! unit.c's `unit_notify()`) and by the schedule in `run.rs`; the service machine's state of a
//! timer unit stays dead.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::ipc::protocol::TimerInfo;
use crate::ipc::saved_state::ActiveState;
use crate::sys::time::{now_stamp, Stamp};
use crate::unit::model::{TimerSection, TypeSection};
use crate::unit::state::TimerResult;

pub(in crate::manager) mod run;
pub(in crate::manager) mod state;

#[derive(Debug, Error)]
pub enum TimerError {
    #[error("Failed to update timer stamp file {path}: {source}")]
    Stamp {
        path: String,
        source: std::io::Error,
    },
}

/// timer.c's `TimerState`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimerState {
    #[default]
    Dead,
    Waiting,
    Running,
    Elapsed,
    Failed,
}

impl TimerState {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerState::Dead => "dead",
            TimerState::Waiting => "waiting",
            TimerState::Running => "running",
            TimerState::Elapsed => "elapsed",
            TimerState::Failed => "failed",
        }
    }

    /// timer.c's `state_translation_table`.
    pub fn active_state(self) -> ActiveState {
        match self {
            TimerState::Dead => ActiveState::Inactive,
            TimerState::Waiting | TimerState::Running | TimerState::Elapsed => ActiveState::Active,
            TimerState::Failed => ActiveState::Failed,
        }
    }

    /// Whether the timer is up (waiting, running or elapsed).
    pub fn is_active(self) -> bool {
        self.active_state() == ActiveState::Active
    }
}

/// A timer's runtime state, timer.c's `Timer` minus its configuration.
#[derive(Debug, Default)]
pub struct TimerRuntime {
    pub state: TimerState,
    /// `success`, or `resources` when the unit to trigger vanished or its job was refused.
    pub failed_resources: bool,
    pub last_trigger: Stamp,
    /// Absolute CLOCK_MONOTONIC / CLOCK_REALTIME µs of the next elapse; 0 for none.
    pub next_mono: u64,
    pub next_real: u64,
    /// Per monotonic value: its next elapse (0 when it has none) and whether it is used up.
    pub mono_next: Vec<u64>,
    pub mono_disabled: Vec<bool>,
    /// Per calendar value, its next elapse.
    pub calendar_next: Vec<u64>,
    pub deadline: Option<Instant>,
}

impl TimerRuntime {
    pub fn info(&self) -> TimerInfo {
        TimerInfo {
            next_elapse_realtime: self.next_real,
            next_elapse_monotonic: self.next_mono,
            last_trigger: self.last_trigger,
            result: if self.failed_resources {
                TimerResult::Resources
            } else {
                TimerResult::Success
            },
            monotonic_next: self.mono_next.clone(),
            calendar_next: self.calendar_next.clone(),
        }
    }
}

/// The manager's start (systemd's userspace timestamp): the base of OnBootSec=/OnStartupSec=.
static MANAGER_START: OnceLock<Stamp> = OnceLock::new();

/// Note the manager's start; the first call counts.
pub fn note_manager_start() {
    MANAGER_START.get_or_init(now_stamp);
}

/// Monotonic µs since the manager started: StartupFinished()'s userspace time.
pub fn manager_uptime_usec() -> u64 {
    now_stamp().1.saturating_sub(manager_start().1)
}

fn manager_start() -> Stamp {
    *MANAGER_START.get_or_init(now_stamp)
}

fn timer_section(config: &crate::unit::model::UnitConfig) -> Option<&TimerSection> {
    match &config.kind {
        TypeSection::Timer(t) => Some(t),
        _ => None,
    }
}

/// A random (or, with FixedRandomDelay=, per machine and unit fixed) delay below `max` µs.
fn random_delay(max: u64, fixed: bool, id: &str) -> u64 {
    if max == 0 {
        return 0;
    }
    let value = if fixed {
        // systemd hashes the machine id with the unit's name (siphash); any stable hash of the
        // two keeps the property that matters: the same delay on every start.
        let machine = std::fs::read_to_string("/etc/machine-id").unwrap_or_default();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in machine.trim().bytes().chain(id.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    } else {
        let mut buf = [0u8; 8];
        // The system call itself: the static musl build has no getrandom() wrapper to link,
        // and calling the unresolved symbol crashed PID 1 at the first RandomizedDelaySec=
        // timer (apt-daily.timer).
        // SAFETY: getrandom(2) into a buffer we own; a short read leaves zeros, still a delay.
        unsafe {
            libc::syscall(libc::SYS_getrandom, buf.as_mut_ptr(), buf.len(), 0);
        }
        u64::from_ne_bytes(buf)
    };
    value % max
}

/// touch_file(): create the stamp (and its directory), its mtime `realtime` µs.
fn touch_stamp(path: &std::path::Path, realtime: u64) -> Result<(), TimerError> {
    let err = |source| TimerError::Stamp {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    let at = std::time::UNIX_EPOCH + Duration::from_micros(realtime);
    file.set_modified(at).map_err(err)
}

/// A timer's Triggers=: its Unit=.
pub fn timer_triggers(config: &crate::unit::model::UnitConfig) -> Vec<String> {
    timer_section(config)
        .and_then(|t| t.unit.clone())
        .into_iter()
        .collect()
}
