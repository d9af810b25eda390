//! The seam between the service state machine (`transitions.rs`) and the world it acts on:
//! what service.c does through `unit_*()`, `service_spawn()`, `unit_kill_context()`,
//! `service_arm_timer()` and friends is asked of a [`ServiceSeam`], so that the decisions run
//! without fork, epoll or sockets. The manager's side, [`UnitSeam`], performs them on one unit
//! of its table; the unit tests' side records them.

use std::time::Duration;

use super::exec::{NotRun, Role};
use super::{ServiceSettings, SubState};
use crate::ipc::saved_state::TrackedPid;
use crate::manager::unit::ServiceRuntime;
use crate::unit::model::ExecKind;
use crate::unit::name::UnitType;

/// What the state machine needs of the unit it runs and of the manager around it.
pub(in crate::manager) trait ServiceSeam {
    /// The unit's runtime state, which the machine owns.
    fn svc(&mut self) -> &mut ServiceRuntime;
    fn settings(&self) -> &ServiceSettings;
    fn unit_type(&self) -> UnitType;
    /// How many commands of `kind` the unit has.
    fn n_commands(&self, kind: ExecKind) -> usize;
    /// Whether command `idx` of `kind` has the `-` prefix.
    fn ignores_failure(&self, kind: ExecKind, idx: usize) -> bool;

    /// service_set_state(): enter sub-state `state`, then unit_notify() with its timestamps,
    /// job and reactions.
    fn set_state(&mut self, state: SubState);
    /// service_arm_timer(): (re)arm the state's timeout, or none.
    fn arm_timer(&mut self, timeout: Option<Duration>);
    fn reset_watchdog(&mut self);
    /// A status line (`Started …`).
    fn log(&mut self, line: &str);
    /// A line of the unit's own (`unit: Main process exited …`).
    fn unit_log(&mut self, line: &str);
    /// The unit as its status lines name it.
    fn description(&self) -> String;
    /// Monotonic time since the unit last became active.
    fn active_for(&self) -> Duration;
    /// Whether the unit was ever active (its active-enter stamp is set).
    fn ever_active(&self) -> bool;

    /// Type-specific gates before a start: a socket's service.
    fn may_start(&mut self) -> bool;
    /// exec.c's directories (RuntimeDirectory= …): Err with the message and the exit status
    /// the child would have had.
    fn create_directories(&mut self) -> Result<(), (String, i32)>;
    fn remove_runtime_directories(&mut self, restarting: bool);
    /// Whether command `idx` of `kind` cannot even be set up (a missing EnvironmentFile=),
    /// which is then logged as service.c logs a failed service_spawn(): the caller goes on
    /// as after one (`Result=resources`) without entering the command's state.
    fn fails_before_fork(&mut self, kind: ExecKind, idx: usize, role: Role) -> bool;
    /// Run command `idx` of `kind` as the `role` process; Ok(whether execve() succeeded).
    fn spawn(&mut self, kind: ExecKind, idx: usize, role: Role) -> Result<bool, NotRun>;
    /// Signal the unit's processes as `state` says; whether anything is left to wait for.
    fn kill(&mut self, state: SubState) -> bool;
    /// Signal the control process alone.
    fn signal_control(&mut self, signal: i32);
    /// Signal the main process alone.
    fn signal_main(&mut self, signal: i32);
    /// Whether any process of the unit is left.
    fn has_processes(&self) -> bool;
    /// Whether the unit's cgroup holds a process, where the manager keeps cgroups (an exact
    /// answer); `None` where only the marks tell.
    fn cgroup_populated(&self) -> Option<bool> {
        None
    }
    /// A line of the unit's log for each of its processes left as it stops.
    fn log_leftover_processes(&mut self);
    /// A warning for each process of the unit already there as a command starts.
    fn warn_leftover_processes(&mut self);
    /// The sessions of the unit's commands in which a process still runs.
    fn leftover_sessions(&self) -> Vec<TrackedPid>;
    /// [`ServiceSeam::has_processes`] from a scan of its own, taken now: for a verdict that
    /// must not rest on one scan, which can miss a process caught inside execve() (its
    /// environment, the unit's mark, reads empty then).
    fn has_processes_rescanned(&self) -> bool;
    /// Whether the main or control process is still to be seen exiting, or (`cgroup`) any
    /// process of the unit is left.
    fn processes_left(&self, cgroup: bool) -> bool;
    /// GuessMainPID=: whether one was found (and made the main process).
    fn guess_main_pid(&mut self) -> bool;
    /// Read the PID file: whether it named a suitable main process (now the main process).
    /// `may_warn`: a file that cannot be opened is logged ("Can't open PID file … (yet?)").
    fn load_pid_file(&mut self, may_warn: bool) -> bool;
    fn watch_pid_file(&mut self);
    fn unwatch_pid_file(&mut self);
    fn remove_pid_file(&mut self);
    /// Stop watching processes that are not our children.
    fn unwatch_pidfd(&mut self);
    /// A socket's listeners: open (false on failure), listen, close.
    fn socket_open(&mut self) -> bool;
    fn socket_enter_listening(&mut self);
    fn socket_close(&mut self);
    /// Whether a start job waits on the unit.
    fn start_job_pending(&self) -> bool;
    /// Whether the unit has a job at all.
    fn has_job(&self) -> bool;
    /// The unit's job failed.
    fn fail_job(&mut self);
    fn shutting_down(&self) -> bool;
    /// Whether a system bus runs or is coming up, for a Type=dbus start to wait for its name.
    fn system_bus(&self) -> bool;
    /// service.c's `bus_name_good`: BusName= has an owner.
    fn bus_name_good(&self) -> bool;
    /// BusName= has an owner whose process runs (not one that is gone, whose release is still
    /// on its way).
    fn bus_name_taken(&self) -> bool;
    /// Whether this is the manager's first Type=dbus start without a bus.
    fn first_start_without_bus(&mut self) -> bool;
}
