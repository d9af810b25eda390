//! The service state machine on synthetic events: a fake seam records what the machine asks
//! for (spawns, signals, timers, states) and plays the processes, without fork or epoll.

use std::collections::BTreeMap;
use std::time::Duration;

use super::exec::{NotRun, Role};
use super::seam::ServiceSeam;
use super::transitions;
use super::{ExitInfo, KillMode, Restart, ServiceSettings, ServiceType, SubState, CLD_KILLED};
use crate::ipc::saved_state::TrackedPid;
use crate::manager::config::ManagerConfig;
use crate::manager::unit::ServiceRuntime;
use crate::unit::model::{ExecKind, LoadState, UnitConfig};
use crate::unit::name::UnitType;
use crate::unit::state::ServiceResult;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    Spawn(ExecKind, usize, bool),
    Kill(SubState),
    SignalMain(i32),
    SignalControl(i32),
    WatchPidFile,
}

struct Fake {
    svc: ServiceRuntime,
    settings: ServiceSettings,
    unit_type: UnitType,
    /// Commands per kind; true for a `-` command.
    commands: BTreeMap<ExecKind, Vec<bool>>,
    states: Vec<SubState>,
    effects: Vec<Effect>,
    lines: Vec<String>,
    timer: Option<Duration>,
    next_pid: i32,
    /// Processes of the unit other than its main and control process.
    others: bool,
    /// What a PID file names, once there is one.
    pid_file: Option<i32>,
    /// The unit has a start job.
    start_job: bool,
    job_failed: bool,
    /// A system bus runs; the unit's BusName= has an owner; the no-bus line was logged.
    bus: bool,
    name_owned: bool,
    told_no_bus: bool,
}

impl Fake {
    fn new(kind: ServiceType) -> Fake {
        let unit = UnitConfig::empty("t.service", UnitType::Service, LoadState::Loaded);
        let mut settings = ServiceSettings::of(&unit, &ManagerConfig::default());
        settings.kind = kind;
        settings.timeout_start = Some(Duration::from_secs(90));
        settings.timeout_stop = Some(Duration::from_secs(90));
        Fake {
            svc: ServiceRuntime::default(),
            settings,
            unit_type: UnitType::Service,
            commands: BTreeMap::from([(ExecKind::Start, vec![false])]),
            states: Vec::new(),
            effects: Vec::new(),
            lines: Vec::new(),
            timer: None,
            next_pid: 100,
            others: false,
            pid_file: None,
            start_job: true,
            job_failed: false,
            bus: false,
            name_owned: false,
            told_no_bus: false,
        }
    }

    fn with(mut self, kind: ExecKind, n: usize) -> Fake {
        self.commands.insert(kind, vec![false; n]);
        self
    }

    fn state(&self) -> SubState {
        self.svc.state
    }

    fn start(&mut self) -> bool {
        transitions::start(self)
    }

    /// The main process exits with `exit`, and is reaped.
    fn main_exits(&mut self, exit: ExitInfo) {
        transitions::main_exited(self, exit);
        transitions::emptied(self);
    }

    /// The control process exits with status `status`, and is reaped.
    fn control_exits(&mut self, status: i32) {
        transitions::control_exited(self, ExitInfo::exited(status));
        transitions::emptied(self);
    }

    fn timeout(&mut self) {
        assert!(self.timer.is_some(), "no timer armed in {:?}", self.state());
        transitions::timeout(self);
    }

    fn kills(&self) -> Vec<SubState> {
        self.effects
            .iter()
            .filter_map(|e| match e {
                Effect::Kill(s) => Some(*s),
                _ => None,
            })
            .collect()
    }

    fn spawned(&self, kind: ExecKind) -> usize {
        self.effects
            .iter()
            .filter(|e| matches!(e, Effect::Spawn(k, _, _) if *k == kind))
            .count()
    }

    fn logged(&self, line: &str) -> bool {
        self.lines.iter().any(|l| l.contains(line))
    }
}

impl ServiceSeam for Fake {
    fn svc(&mut self) -> &mut ServiceRuntime {
        &mut self.svc
    }
    fn settings(&self) -> &ServiceSettings {
        &self.settings
    }
    fn unit_type(&self) -> UnitType {
        self.unit_type
    }
    fn n_commands(&self, kind: ExecKind) -> usize {
        self.commands.get(&kind).map_or(0, Vec::len)
    }
    fn ignores_failure(&self, kind: ExecKind, idx: usize) -> bool {
        self.commands
            .get(&kind)
            .and_then(|c| c.get(idx))
            .copied()
            .unwrap_or(false)
    }
    fn set_state(&mut self, state: SubState) {
        self.svc.state = state;
        self.states.push(state);
    }
    fn arm_timer(&mut self, timeout: Option<Duration>) {
        self.timer = timeout;
    }
    fn reset_watchdog(&mut self) {}
    fn log(&mut self, line: &str) {
        self.lines.push(line.to_string());
    }
    fn unit_log(&mut self, line: &str) {
        self.lines.push(format!("t.service: {line}"));
    }
    fn description(&self) -> String {
        "t.service".into()
    }
    fn active_for(&self) -> Duration {
        Duration::ZERO
    }
    fn ever_active(&self) -> bool {
        self.states.contains(&SubState::Running)
    }
    fn may_start(&mut self) -> bool {
        true
    }
    fn create_directories(&mut self) -> Result<(), (String, i32)> {
        Ok(())
    }
    fn remove_runtime_directories(&mut self, _restarting: bool) {}
    fn spawn(&mut self, kind: ExecKind, idx: usize, role: Role) -> Result<bool, NotRun> {
        self.effects
            .push(Effect::Spawn(kind, idx, role == Role::Main));
        self.next_pid += 1;
        let pid = Some(TrackedPid {
            pid: self.next_pid,
            start_time: 0,
        });
        match role {
            Role::Main => self.svc.main_pid = pid,
            Role::Control => self.svc.control_pid = pid,
        }
        Ok(true)
    }
    fn kill(&mut self, state: SubState) -> bool {
        self.effects.push(Effect::Kill(state));
        let cgroup = self.settings.kill_mode == KillMode::ControlGroup;
        self.settings.kill_mode != KillMode::None && self.processes_left(cgroup)
    }
    fn signal_control(&mut self, signal: i32) {
        self.effects.push(Effect::SignalControl(signal));
    }
    fn signal_main(&mut self, signal: i32) {
        self.effects.push(Effect::SignalMain(signal));
    }
    fn log_leftover_processes(&mut self) {}
    fn fails_before_fork(&mut self, _kind: ExecKind, _idx: usize, _role: Role) -> bool {
        false
    }
    fn warn_leftover_processes(&mut self) {}
    fn leftover_sessions(&self) -> Vec<TrackedPid> {
        Vec::new()
    }
    fn has_processes(&self) -> bool {
        self.svc.main_pid.is_some() || self.svc.control_pid.is_some() || self.others
    }
    fn has_processes_rescanned(&self) -> bool {
        self.has_processes()
    }
    fn processes_left(&self, cgroup: bool) -> bool {
        self.svc.main_pid.is_some() || self.svc.control_pid.is_some() || (cgroup && self.others)
    }
    fn guess_main_pid(&mut self) -> bool {
        false
    }
    fn load_pid_file(&mut self, _may_warn: bool) -> bool {
        match self.pid_file {
            Some(pid) => {
                self.svc.main_pid = Some(TrackedPid { pid, start_time: 0 });
                true
            }
            None => false,
        }
    }
    fn watch_pid_file(&mut self) {
        self.effects.push(Effect::WatchPidFile);
    }
    fn unwatch_pid_file(&mut self) {}
    fn remove_pid_file(&mut self) {}
    fn unwatch_pidfd(&mut self) {}
    fn socket_open(&mut self) -> bool {
        true
    }
    fn socket_enter_listening(&mut self) {}
    fn socket_close(&mut self) {}
    fn start_job_pending(&self) -> bool {
        self.start_job
    }
    fn has_job(&self) -> bool {
        self.start_job
    }
    fn fail_job(&mut self) {
        self.job_failed = true;
    }
    fn shutting_down(&self) -> bool {
        false
    }
    fn system_bus(&self) -> bool {
        self.bus
    }
    fn bus_name_good(&self) -> bool {
        self.name_owned
    }
    fn bus_name_taken(&self) -> bool {
        self.name_owned
    }
    fn first_start_without_bus(&mut self) -> bool {
        !std::mem::replace(&mut self.told_no_bus, true)
    }
}

fn killed(signal: i32) -> ExitInfo {
    ExitInfo {
        code: CLD_KILLED,
        status: signal,
    }
}

#[test]
fn simple_start_is_running_once_the_main_process_is_forked() {
    let mut f = Fake::new(ServiceType::Simple);
    assert!(f.start());
    assert_eq!(f.states, [SubState::Start, SubState::Running]);
    assert_eq!(f.effects, [Effect::Spawn(ExecKind::Start, 0, true)]);
    assert!(f.logged("Started t.service."));
    assert_eq!(f.timer, None);
}

#[test]
fn simple_main_process_exiting_cleanly_leaves_the_unit_dead() {
    let mut f = Fake::new(ServiceType::Simple);
    f.start();
    f.main_exits(ExitInfo::exited(0));
    assert_eq!(f.state(), SubState::Dead);
    assert_eq!(f.svc.result, ServiceResult::Success);
    assert!(f.logged("Deactivated successfully."));
}

#[test]
fn forking_with_pid_file_runs_the_daemon_the_file_names() {
    let mut f = Fake::new(ServiceType::Forking);
    f.settings.pid_file = Some("/run/t.pid".into());
    f.start();
    assert_eq!(f.state(), SubState::Start);
    assert_eq!(f.effects, [Effect::Spawn(ExecKind::Start, 0, false)]);
    f.pid_file = Some(4242);
    f.others = true;
    f.control_exits(0);
    assert_eq!(f.state(), SubState::Running);
    assert_eq!(f.svc.main_pid.map(|p| p.pid), Some(4242));
}

#[test]
fn forking_waits_for_a_missing_pid_file_while_the_daemon_lives() {
    let mut f = Fake::new(ServiceType::Forking);
    f.settings.pid_file = Some("/run/t.pid".into());
    f.start();
    f.others = true;
    f.control_exits(0);
    assert_eq!(f.state(), SubState::Start);
    assert!(f.effects.contains(&Effect::WatchPidFile));
    // The daemon went away without writing it: a protocol failure.
    f.others = false;
    transitions::emptied(&mut f);
    assert_eq!(f.state(), SubState::Failed);
    assert_eq!(f.svc.result, ServiceResult::Protocol);
}

#[test]
fn forking_pid_file_written_by_exec_start_post() {
    let mut f = Fake::new(ServiceType::Forking).with(ExecKind::StartPost, 1);
    f.settings.pid_file = Some("/run/t.pid".into());
    f.start();
    f.others = true;
    // no file yet: ExecStartPost= runs, nothing is watched
    f.control_exits(0);
    assert_eq!(f.state(), SubState::StartPost);
    assert!(!f.effects.contains(&Effect::WatchPidFile));
    f.pid_file = Some(4242);
    f.control_exits(0);
    assert_eq!(f.state(), SubState::Running);
    assert_eq!(f.svc.main_pid.map(|p| p.pid), Some(4242));

    // still none after ExecStartPost=: waited for while the daemon lives, then a protocol
    // failure
    let mut f = Fake::new(ServiceType::Forking).with(ExecKind::StartPost, 1);
    f.settings.pid_file = Some("/run/t.pid".into());
    f.start();
    f.others = true;
    f.control_exits(0);
    f.control_exits(0);
    assert_eq!(f.state(), SubState::StartPost);
    assert!(f.effects.contains(&Effect::WatchPidFile));
    f.others = false;
    f.pid_file = None;
    transitions::emptied(&mut f);
    f.control_exits(0);
    assert_eq!(f.svc.result, ServiceResult::Protocol);
}

#[test]
fn notify_waits_for_ready_before_running() {
    let mut f = Fake::new(ServiceType::Notify);
    f.start();
    assert_eq!(f.state(), SubState::Start);
    assert_eq!(f.timer, Some(Duration::from_secs(90)));
    transitions::ready(&mut f);
    assert_eq!(f.state(), SubState::Running);
    assert!(f.logged("Started t.service."));
}

#[test]
fn notify_start_timeout_terminates_kills_and_fails_with_timeout() {
    let mut f = Fake::new(ServiceType::Notify);
    f.start();
    // The main process ignores every signal.
    f.timeout();
    assert_eq!(f.state(), SubState::StopSigterm);
    assert!(f.logged("start operation timed out. Terminating."));
    f.timeout();
    assert_eq!(f.state(), SubState::StopSigkill);
    f.timeout();
    assert_eq!(f.state(), SubState::FinalSigterm);
    f.timeout();
    assert_eq!(f.state(), SubState::FinalSigkill);
    f.timeout();
    assert_eq!(f.state(), SubState::Failed);
    assert_eq!(f.svc.result, ServiceResult::Timeout);
    assert_eq!(
        f.kills(),
        [
            SubState::StopSigterm,
            SubState::StopSigkill,
            SubState::FinalSigterm,
            SubState::FinalSigkill
        ]
    );
    assert!(f.logged("Failed with result 'timeout'."));
    assert!(f.logged("Failed to start t.service."));
}

#[test]
fn start_pre_failure_fails_with_exit_code_without_running_the_main_process() {
    let mut f = Fake::new(ServiceType::Simple).with(ExecKind::StartPre, 1);
    f.start();
    assert_eq!(f.state(), SubState::StartPre);
    f.control_exits(1);
    assert_eq!(f.state(), SubState::Failed);
    assert_eq!(f.svc.result, ServiceResult::ExitCode);
    assert_eq!(f.spawned(ExecKind::Start), 0);
    assert!(f.logged("Control process exited, code=exited, status=1/FAILURE"));
}

#[test]
fn start_pre_with_dash_prefix_ignores_its_failure() {
    let mut f = Fake::new(ServiceType::Simple);
    f.commands.insert(ExecKind::StartPre, vec![true]);
    f.start();
    f.control_exits(1);
    assert_eq!(f.state(), SubState::Running);
    assert_eq!(f.svc.result, ServiceResult::Success);
}

#[test]
fn restart_on_failure_waits_restart_sec_then_starts_again() {
    let mut f = Fake::new(ServiceType::Simple);
    f.settings.restart = Restart::OnFailure;
    f.settings.restart_sec = Duration::from_secs(5);
    f.start();
    f.start_job = false;
    f.main_exits(ExitInfo::exited(3));
    assert_eq!(f.state(), SubState::AutoRestart);
    assert!(f.states.contains(&SubState::Failed));
    assert_eq!(f.timer, Some(Duration::from_secs(5)));
    f.timeout();
    assert_eq!(f.state(), SubState::Running);
    assert_eq!(f.svc.n_restarts, 1);
    assert_eq!(f.spawned(ExecKind::Start), 2);
}

#[test]
fn restart_on_failure_stops_at_the_start_limit_burst() {
    let mut f = Fake::new(ServiceType::Simple);
    f.settings.restart = Restart::OnFailure;
    f.settings.start_limit_burst = 2;
    f.settings.start_limit_interval = Duration::from_secs(10);
    f.start();
    f.main_exits(ExitInfo::exited(1));
    f.timeout();
    assert_eq!(f.state(), SubState::Running);
    f.main_exits(ExitInfo::exited(1));
    f.timeout();
    assert_eq!(f.state(), SubState::Failed);
    // 252 keeps the result of the run that made it restart (service_enter_dead()).
    assert_eq!(f.svc.result, ServiceResult::ExitCode);
    assert!(f.job_failed);
    assert!(f.logged("Start request repeated too quickly."));
    assert!(f.logged("Failed with result 'exit-code'."));
}

#[test]
fn clean_exit_is_not_restarted_on_failure() {
    let mut f = Fake::new(ServiceType::Simple);
    f.settings.restart = Restart::OnFailure;
    f.start();
    f.main_exits(ExitInfo::exited(0));
    assert_eq!(f.state(), SubState::Dead);
    assert!(!f.states.contains(&SubState::AutoRestart));
}

#[test]
fn stop_runs_exec_stop_then_signals_the_main_process() {
    let mut f = Fake::new(ServiceType::Simple).with(ExecKind::Stop, 1);
    f.start();
    transitions::stop(&mut f);
    assert_eq!(f.state(), SubState::Stop);
    assert!(f.effects.contains(&Effect::Spawn(ExecKind::Stop, 0, false)));
    f.control_exits(0);
    assert_eq!(f.state(), SubState::StopSigterm);
    f.main_exits(killed(libc::SIGTERM));
    assert_eq!(f.state(), SubState::Dead);
    assert_eq!(f.svc.result, ServiceResult::Success);
    // The final signals go out to whatever is left, though nothing is.
    assert_eq!(
        f.kills(),
        [
            SubState::StopSigterm,
            SubState::FinalSigterm,
            SubState::FinalSigkill
        ]
    );
    assert!(f.logged("Stopped t.service."));
}

#[test]
fn stop_with_kill_mode_control_group_waits_for_every_process() {
    let mut f = Fake::new(ServiceType::Simple);
    f.others = true;
    f.start();
    transitions::stop(&mut f);
    f.main_exits(killed(libc::SIGTERM));
    assert_eq!(f.state(), SubState::StopSigterm);
    f.others = false;
    transitions::emptied(&mut f);
    assert_eq!(f.state(), SubState::Dead);
}

#[test]
fn stop_with_kill_mode_process_leaves_the_other_processes_alone() {
    let mut f = Fake::new(ServiceType::Simple);
    f.settings.kill_mode = KillMode::Process;
    f.others = true;
    f.start();
    transitions::stop(&mut f);
    f.main_exits(killed(libc::SIGTERM));
    assert_eq!(f.state(), SubState::Dead);
    assert!(!f.states.contains(&SubState::StopSigkill));
}

#[test]
fn oneshot_with_remain_after_exit_stays_exited() {
    let mut f = Fake::new(ServiceType::Oneshot).with(ExecKind::Start, 2);
    f.settings.remain_after_exit = true;
    f.start();
    assert_eq!(f.state(), SubState::Start);
    f.main_exits(ExitInfo::exited(0));
    assert_eq!(f.state(), SubState::Start);
    f.main_exits(ExitInfo::exited(0));
    assert_eq!(f.state(), SubState::Exited);
    assert_eq!(f.spawned(ExecKind::Start), 2);
    assert!(f.logged("Finished t.service."));
}

#[test]
fn oneshot_without_remain_after_exit_ends_dead_when_done() {
    let mut f = Fake::new(ServiceType::Oneshot);
    f.start();
    f.main_exits(ExitInfo::exited(0));
    assert_eq!(f.state(), SubState::Dead);
    assert_eq!(f.svc.result, ServiceResult::Success);
    assert!(f.logged("Finished t.service."));
}

#[test]
fn reload_runs_exec_reload_and_returns_to_running() {
    let mut f = Fake::new(ServiceType::Simple).with(ExecKind::Reload, 1);
    f.start();
    transitions::reload(&mut f);
    assert_eq!(f.state(), SubState::Reload);
    f.control_exits(0);
    assert_eq!(f.state(), SubState::Running);
    assert_eq!(f.svc.reload_result, ServiceResult::Success);
    assert!(f.logged("Reloaded t.service."));
}

#[test]
fn failed_reload_keeps_the_service_running_with_its_reload_result() {
    let mut f = Fake::new(ServiceType::Simple).with(ExecKind::Reload, 1);
    f.start();
    transitions::reload(&mut f);
    f.control_exits(1);
    assert_eq!(f.state(), SubState::Running);
    assert_eq!(f.svc.reload_result, ServiceResult::ExitCode);
    assert_eq!(f.svc.result, ServiceResult::Success);
    assert!(f.logged("Reload failed for t.service."));
}

#[test]
fn reload_without_exec_reload_sends_sighup_to_a_notify_reload_service() {
    let mut f = Fake::new(ServiceType::NotifyReload);
    f.start();
    transitions::ready(&mut f);
    transitions::reload(&mut f);
    assert!(f.effects.contains(&Effect::SignalMain(libc::SIGHUP)));
    assert_eq!(f.state(), SubState::Reload);
    transitions::ready(&mut f);
    assert_eq!(f.state(), SubState::Running);
}

#[test]
fn exec_condition_exit_1_skips_the_unit_without_failing_it() {
    let mut f = Fake::new(ServiceType::Simple).with(ExecKind::Condition, 1);
    f.start();
    assert_eq!(f.state(), SubState::Condition);
    f.control_exits(1);
    assert_eq!(f.state(), SubState::Dead);
    assert_eq!(f.svc.result, ServiceResult::SkipCondition);
    assert!(!f.svc.condition_result);
    assert_eq!(f.spawned(ExecKind::Start), 0);
}

#[test]
fn watchdog_timeout_sends_the_watchdog_signal_and_fails_with_watchdog() {
    let mut f = Fake::new(ServiceType::Notify);
    f.start();
    transitions::ready(&mut f);
    transitions::watchdog_timeout(&mut f);
    assert_eq!(f.state(), SubState::StopWatchdog);
    f.main_exits(killed(libc::SIGABRT));
    assert_eq!(f.state(), SubState::Failed);
    assert_eq!(f.svc.result, ServiceResult::Watchdog);
    assert_eq!(f.kills()[0], SubState::StopWatchdog);
}

/// A Type=dbus service with a system bus, as the bus front end reports its name.
fn dbus_with_bus() -> Fake {
    let mut f = Fake::new(ServiceType::Dbus);
    f.bus = true;
    f
}

fn name_owned(f: &mut Fake, owned: bool) {
    f.name_owned = owned;
    transitions::bus_name_changed(f, owned);
}

#[test]
fn dbus_waits_in_start_for_its_name_under_the_start_timeout() {
    let mut f = dbus_with_bus();
    f.start();
    assert_eq!(f.state(), SubState::Start);
    assert_eq!(f.timer, Some(Duration::from_secs(90)));
    assert!(!f.logged("No D-Bus system bus"));
    // a report that the name has no owner changes nothing
    name_owned(&mut f, false);
    assert_eq!(f.state(), SubState::Start);
    name_owned(&mut f, true);
    assert_eq!(f.state(), SubState::Running);
    assert!(f.logged("Started t.service."));
}

#[test]
fn dbus_name_owned_as_the_start_runs_counts() {
    let mut f = dbus_with_bus();
    f.name_owned = true;
    f.start();
    assert_eq!(f.state(), SubState::Running);
    assert!(f.logged("Started t.service."));
}

#[test]
fn dbus_name_never_owned_times_out_with_result_timeout() {
    let mut f = dbus_with_bus();
    f.start();
    f.timeout();
    assert!(f.logged("start operation timed out. Terminating."));
    f.main_exits(killed(libc::SIGTERM));
    assert_eq!(f.state(), SubState::Failed);
    assert_eq!(f.svc.result, ServiceResult::Timeout);
}

#[test]
fn dbus_running_that_loses_its_name_is_stopped_successfully() {
    let mut f = dbus_with_bus();
    f.start();
    name_owned(&mut f, true);
    name_owned(&mut f, false);
    assert_eq!(f.state(), SubState::StopSigterm);
    f.main_exits(killed(libc::SIGTERM));
    assert_eq!(f.state(), SubState::Dead);
    assert_eq!(f.svc.result, ServiceResult::Success);
    assert!(f.logged("Deactivated successfully."));
}

#[test]
fn dbus_with_remain_after_exit_that_loses_its_name_is_exited() {
    let mut f = dbus_with_bus();
    f.settings.remain_after_exit = true;
    f.start();
    name_owned(&mut f, true);
    name_owned(&mut f, false);
    assert_eq!(f.state(), SubState::Exited);
}

#[test]
fn dbus_main_process_ending_before_the_name_leaves_the_unit_dead() {
    let mut f = dbus_with_bus();
    f.start();
    f.main_exits(ExitInfo::exited(0));
    assert_eq!(f.state(), SubState::Dead);
    assert_eq!(f.svc.result, ServiceResult::Success);
    let mut f = dbus_with_bus();
    f.start();
    f.main_exits(ExitInfo::exited(3));
    assert_eq!(f.state(), SubState::Failed);
    assert_eq!(f.svc.result, ServiceResult::ExitCode);
}

#[test]
fn dbus_without_a_bus_is_simple_and_says_so_once() {
    let mut f = Fake::new(ServiceType::Dbus);
    f.start();
    assert_eq!(f.state(), SubState::Running);
    assert!(
        f.logged("No D-Bus system bus to watch for BusName=; treating Type=dbus as Type=simple.")
    );
    // its name's owner means nothing to it, even once a bus runs
    f.bus = true;
    name_owned(&mut f, false);
    assert_eq!(f.state(), SubState::Running);
    transitions::stop(&mut f);
    f.main_exits(killed(libc::SIGTERM));
    f.lines.clear();
    f.bus = false;
    f.start();
    assert_eq!(f.state(), SubState::Running);
    assert!(!f.logged("No D-Bus system bus"));
}
