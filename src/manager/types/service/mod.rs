//! The service unit's runtime model of systemd.service(5) and systemd.kill(5), as service.c keeps
//! it: the sub-states and how they map to active states, the `Result=` values, the typed settings
//! the state machine acts on (type, restart policy, timeouts, kill mode and signals, exit status
//! sets, start limit), and the rules that decide whether an exit is a success and whether a
//! service is restarted. The state machine's transitions are in `transitions`, the commands it
//! runs in `exec`, its processes in `processes`, PID files in `pidfile`, sd_notify messages in
//! `notify`, BusName= on the system bus in `bus_name` (with what is known of the bus in
//! `system_bus`).

mod bus_name;
mod exec;
#[cfg(test)]
mod machine_tests;
mod notify;
mod pidfile;
mod processes;
mod seam;
mod system_bus;
mod transitions;
pub(in crate::manager) mod unit_seam;

pub(in crate::manager) use system_bus::SystemBus;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::ipc::saved_state::ActiveState;
use crate::manager::config::ManagerConfig;
use crate::sys::signal::parse_signal;
pub use crate::unit::model::KillMode;
use crate::unit::model::UnitConfig;
use crate::unit::state::ServiceResult;
use crate::unit::timespan::Usec;

/// service.c's `ServiceState`, named as `SubState=` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState {
    Dead,
    Condition,
    StartPre,
    Start,
    StartPost,
    Running,
    Exited,
    Reload,
    Stop,
    StopWatchdog,
    StopSigterm,
    StopSigkill,
    StopPost,
    FinalWatchdog,
    FinalSigterm,
    FinalSigkill,
    Failed,
    AutoRestart,
}

impl SubState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubState::Dead => "dead",
            SubState::Condition => "condition",
            SubState::StartPre => "start-pre",
            SubState::Start => "start",
            SubState::StartPost => "start-post",
            SubState::Running => "running",
            SubState::Exited => "exited",
            SubState::Reload => "reload",
            SubState::Stop => "stop",
            SubState::StopWatchdog => "stop-watchdog",
            SubState::StopSigterm => "stop-sigterm",
            SubState::StopSigkill => "stop-sigkill",
            SubState::StopPost => "stop-post",
            SubState::FinalWatchdog => "final-watchdog",
            SubState::FinalSigterm => "final-sigterm",
            SubState::FinalSigkill => "final-sigkill",
            SubState::Failed => "failed",
            SubState::AutoRestart => "auto-restart",
        }
    }

    pub fn parse(s: &str) -> Option<SubState> {
        ALL_SUB_STATES.iter().copied().find(|x| x.as_str() == s)
    }

    /// service.c's `state_translation_table`.
    pub fn active_state(self) -> ActiveState {
        match self {
            SubState::Dead => ActiveState::Inactive,
            SubState::Condition
            | SubState::StartPre
            | SubState::Start
            | SubState::StartPost
            | SubState::AutoRestart => ActiveState::Activating,
            SubState::Running | SubState::Exited => ActiveState::Active,
            SubState::Reload => ActiveState::Reloading,
            SubState::Stop
            | SubState::StopWatchdog
            | SubState::StopSigterm
            | SubState::StopSigkill
            | SubState::StopPost
            | SubState::FinalWatchdog
            | SubState::FinalSigterm
            | SubState::FinalSigkill => ActiveState::Deactivating,
            SubState::Failed => ActiveState::Failed,
        }
    }

    /// States in which the unit's processes are being signalled and the machine waits for them
    /// to be gone.
    pub fn is_signalling(self) -> bool {
        matches!(
            self,
            SubState::StopWatchdog
                | SubState::StopSigterm
                | SubState::StopSigkill
                | SubState::FinalWatchdog
                | SubState::FinalSigterm
                | SubState::FinalSigkill
        )
    }
}

const ALL_SUB_STATES: [SubState; 18] = [
    SubState::Dead,
    SubState::Condition,
    SubState::StartPre,
    SubState::Start,
    SubState::StartPost,
    SubState::Running,
    SubState::Exited,
    SubState::Reload,
    SubState::Stop,
    SubState::StopWatchdog,
    SubState::StopSigterm,
    SubState::StopSigkill,
    SubState::StopPost,
    SubState::FinalWatchdog,
    SubState::FinalSigterm,
    SubState::FinalSigkill,
    SubState::Failed,
    SubState::AutoRestart,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    Simple,
    Exec,
    Forking,
    Oneshot,
    Notify,
    NotifyReload,
    Dbus,
    Idle,
}

impl ServiceType {
    fn parse(s: &str) -> ServiceType {
        match s {
            "exec" => ServiceType::Exec,
            "forking" => ServiceType::Forking,
            "oneshot" => ServiceType::Oneshot,
            "notify" => ServiceType::Notify,
            "notify-reload" => ServiceType::NotifyReload,
            "dbus" => ServiceType::Dbus,
            "idle" => ServiceType::Idle,
            _ => ServiceType::Simple,
        }
    }

    pub fn is_notify(self) -> bool {
        matches!(self, ServiceType::Notify | ServiceType::NotifyReload)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    No,
    OnSuccess,
    OnFailure,
    OnAbnormal,
    OnWatchdog,
    OnAbort,
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyAccess {
    None,
    Main,
    Exec,
    All,
}

/// How a process ended, as waitid() reports it: `code` is CLD_EXITED (1), CLD_KILLED (2) or
/// CLD_DUMPED (3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInfo {
    pub code: i32,
    pub status: i32,
}

pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;

impl ExitInfo {
    pub fn from_wait(status: nix::sys::wait::WaitStatus) -> Option<ExitInfo> {
        use nix::sys::wait::WaitStatus;
        match status {
            WaitStatus::Exited(_, code) => Some(ExitInfo {
                code: CLD_EXITED,
                status: code,
            }),
            WaitStatus::Signaled(_, sig, dumped) => Some(ExitInfo {
                code: if dumped { CLD_DUMPED } else { CLD_KILLED },
                status: sig as i32,
            }),
            _ => None,
        }
    }

    pub fn exited(status: i32) -> ExitInfo {
        ExitInfo {
            code: CLD_EXITED,
            status,
        }
    }

    /// The `Result=` this exit gives, before `SuccessExitStatus=` is considered.
    pub fn failure_result(self) -> ServiceResult {
        match self.code {
            CLD_EXITED => ServiceResult::ExitCode,
            CLD_DUMPED => ServiceResult::CoreDump,
            _ => ServiceResult::Signal,
        }
    }
}

/// `SuccessExitStatus=`-style lists: exit codes and signal names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusSet {
    pub codes: Vec<i32>,
    pub signals: Vec<i32>,
}

impl StatusSet {
    fn parse(words: &[String]) -> StatusSet {
        let (codes, signals) = crate::sys::exit_status::parse_status_set(words);
        StatusSet { codes, signals }
    }

    pub fn contains(&self, e: ExitInfo) -> bool {
        match e.code {
            CLD_EXITED => self.codes.contains(&e.status),
            _ => self.signals.contains(&e.status),
        }
    }
}

/// What the state machine needs from a service unit's configuration, typed and with the
/// manager's defaults applied.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    pub kind: ServiceType,
    pub restart: Restart,
    pub restart_sec: Duration,
    /// `None`: no timeout (0 or infinity).
    pub timeout_start: Option<Duration>,
    pub timeout_stop: Option<Duration>,
    pub timeout_abort: Option<Duration>,
    pub runtime_max: Option<Duration>,
    pub watchdog: Option<Duration>,
    pub remain_after_exit: bool,
    pub guess_main_pid: bool,
    pub pid_file: Option<PathBuf>,
    pub bus_name: Option<String>,
    pub notify_access: NotifyAccess,
    pub kill_mode: KillMode,
    pub kill_signal: i32,
    pub restart_kill_signal: i32,
    pub final_kill_signal: i32,
    pub watchdog_signal: i32,
    pub send_sigkill: bool,
    pub send_sighup: bool,
    pub success_status: StatusSet,
    pub restart_prevent: StatusSet,
    pub restart_force: StatusSet,
    pub start_limit_interval: Duration,
    pub start_limit_burst: u32,
}

fn span(u: Usec) -> Option<Duration> {
    (u.0 != 0 && !u.is_infinity()).then(|| Duration::from_micros(u.0))
}

fn raw_value<'a>(unit: &'a UnitConfig, key: &str) -> Option<&'a str> {
    unit.raw
        .iter()
        .rev()
        .find(|r| r.key == key && (r.section == "Service" || r.section == "Unit"))
        .map(|r| r.value.as_str())
}

impl ServiceSettings {
    /// The unit's settings; where the unit kept systemd's built-in default, the manager's
    /// `Default…=` from system.conf applies instead.
    pub fn of(unit: &UnitConfig, manager: &ManagerConfig) -> ServiceSettings {
        let default_service = Default::default();
        let s = unit.service().unwrap_or(&default_service);
        let builtin = crate::unit::model::ServiceSection::default();
        let or_manager = |value: Usec, builtin: Usec, manager: Usec| {
            if value == builtin {
                manager
            } else {
                value
            }
        };
        let signal = |value: &str, fallback: i32| parse_signal(value).unwrap_or(fallback);
        let kind = ServiceType::parse(s.service_type.as_deref().unwrap_or("simple"));
        let notify_access = match s.notify_access.as_deref() {
            Some("none") => NotifyAccess::None,
            Some("main") => NotifyAccess::Main,
            Some("exec") => NotifyAccess::Exec,
            Some("all") => NotifyAccess::All,
            _ if kind.is_notify() || s.watchdog.0 != 0 => NotifyAccess::Main,
            _ => NotifyAccess::None,
        };
        let unit_section = crate::unit::model::UnitSection::default();
        let start_limit_interval = or_manager(
            unit.unit.start_limit_interval,
            unit_section.start_limit_interval,
            manager.start_limit_interval,
        );
        let start_limit_burst = if unit.unit.start_limit_burst == unit_section.start_limit_burst {
            manager.start_limit_burst
        } else {
            unit.unit.start_limit_burst
        };
        let kill_signal = signal(&unit.settings.kill_signal, libc::SIGTERM);
        // A socket's TimeoutSec= bounds each of its commands, starting and stopping alike.
        let (timeout_start, timeout_stop) = match &unit.kind {
            crate::unit::model::TypeSection::Socket(sock) => {
                let t = or_manager(sock.timeout, builtin.timeout_start, manager.timeout_start);
                (t, t)
            }
            _ => (
                or_manager(
                    s.timeout_start,
                    builtin.timeout_start,
                    manager.timeout_start,
                ),
                or_manager(s.timeout_stop, builtin.timeout_stop, manager.timeout_stop),
            ),
        };
        ServiceSettings {
            kind,
            restart: match s.restart.as_str() {
                "on-success" => Restart::OnSuccess,
                "on-failure" => Restart::OnFailure,
                "on-abnormal" => Restart::OnAbnormal,
                "on-watchdog" => Restart::OnWatchdog,
                "on-abort" => Restart::OnAbort,
                "always" => Restart::Always,
                _ => Restart::No,
            },
            restart_sec: Duration::from_micros(
                or_manager(s.restart_sec, builtin.restart_sec, manager.restart).0,
            ),
            timeout_start: span(timeout_start),
            timeout_stop: span(timeout_stop),
            timeout_abort: s
                .timeout_abort
                .or(manager.timeout_abort)
                .map(span)
                .unwrap_or(None),
            runtime_max: span(s.runtime_max),
            watchdog: span(s.watchdog),
            remain_after_exit: s.remain_after_exit,
            guess_main_pid: s.guess_main_pid,
            pid_file: s.pid_file.as_ref().map(PathBuf::from),
            bus_name: s.bus_name.clone(),
            notify_access,
            kill_mode: unit.settings.kill_mode,
            kill_signal,
            restart_kill_signal: unit
                .settings
                .restart_kill_signal
                .as_deref()
                .and_then(parse_signal)
                .unwrap_or(kill_signal),
            final_kill_signal: signal(&unit.settings.final_kill_signal, libc::SIGKILL),
            watchdog_signal: raw_value(unit, "WatchdogSignal")
                .and_then(parse_signal)
                .unwrap_or(libc::SIGABRT),
            send_sigkill: unit.settings.send_sigkill,
            send_sighup: unit.settings.send_sighup,
            success_status: StatusSet::parse(&s.success_exit_status),
            restart_prevent: StatusSet::parse(&s.restart_prevent_exit_status),
            restart_force: StatusSet::parse(&s.restart_force_exit_status),
            start_limit_interval: Duration::from_micros(start_limit_interval.0),
            start_limit_burst,
        }
    }

    /// Is this exit of the main process (or a control command) a clean one? Exit 0, the
    /// signals systemd treats as a clean stop for the main process, or a listed status.
    pub fn is_clean(&self, e: ExitInfo, main: bool) -> bool {
        if e.code == CLD_EXITED && e.status == 0 {
            return true;
        }
        if main
            && e.code == CLD_KILLED
            && [libc::SIGHUP, libc::SIGINT, libc::SIGTERM, libc::SIGPIPE].contains(&e.status)
        {
            return true;
        }
        self.success_status.contains(e)
    }

    /// service.c's `service_shall_restart()`.
    pub fn shall_restart(&self, result: ServiceResult, exit: Option<ExitInfo>) -> bool {
        if let Some(e) = exit {
            if self.restart_prevent.contains(e) {
                return false;
            }
            if self.restart_force.contains(e) {
                return true;
            }
        }
        if result == ServiceResult::SkipCondition {
            return false;
        }
        match self.restart {
            Restart::No => false,
            Restart::Always => result != ServiceResult::StartLimitHit,
            Restart::OnSuccess => result == ServiceResult::Success,
            Restart::OnFailure => !matches!(
                result,
                ServiceResult::Success | ServiceResult::StartLimitHit
            ),
            Restart::OnAbnormal => !matches!(
                result,
                ServiceResult::Success | ServiceResult::ExitCode | ServiceResult::StartLimitHit
            ),
            Restart::OnWatchdog => result == ServiceResult::Watchdog,
            Restart::OnAbort => {
                matches!(result, ServiceResult::Signal | ServiceResult::CoreDump)
            }
        }
    }
}

/// systemd's start rate limit (`StartLimitIntervalSec=`, `StartLimitBurst=`).
#[derive(Debug, Clone, Default)]
pub struct StartLimit {
    starts: VecDeque<Instant>,
    /// unit.c's `start_limit_hit`: the last start was refused (until one is allowed, or
    /// reset-failed); a socket whose service this happens to fails with
    /// `service-start-limit-hit`.
    hit: bool,
}

impl StartLimit {
    /// Count one start; false when it is one too many within the interval.
    pub fn allow(&mut self, interval: Duration, burst: u32) -> bool {
        let allowed = self.count(interval, burst);
        self.hit = !allowed;
        allowed
    }

    pub fn hit(&self) -> bool {
        self.hit
    }

    fn count(&mut self, interval: Duration, burst: u32) -> bool {
        if interval.is_zero() || burst == 0 {
            return true;
        }
        let now = Instant::now();
        while self
            .starts
            .front()
            .is_some_and(|t| now.duration_since(*t) >= interval)
        {
            self.starts.pop_front();
        }
        if self.starts.len() >= burst as usize {
            return false;
        }
        self.starts.push_back(now);
        true
    }

    pub fn reset(&mut self) {
        self.starts.clear();
        self.hit = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(restart: Restart) -> ServiceSettings {
        let unit = UnitConfig::empty(
            "x.service",
            crate::unit::name::UnitType::Service,
            crate::unit::model::LoadState::Loaded,
        );
        let mut s = ServiceSettings::of(&unit, &ManagerConfig::default());
        s.restart = restart;
        s
    }

    #[test]
    fn restart_policies_follow_the_table_of_systemd_service() {
        use ServiceResult::*;
        let table = [
            (Restart::OnSuccess, [true, false, false, false, false]),
            (Restart::OnFailure, [false, true, true, true, true]),
            (Restart::OnAbnormal, [false, false, true, true, true]),
            (Restart::OnAbort, [false, false, true, false, false]),
            (Restart::OnWatchdog, [false, false, false, false, true]),
            (Restart::Always, [true, true, true, true, true]),
        ];
        for (policy, expected) in table {
            let s = settings(policy);
            let got =
                [Success, ExitCode, Signal, Timeout, Watchdog].map(|r| s.shall_restart(r, None));
            assert_eq!(got, expected, "{policy:?}");
        }
    }

    #[test]
    fn exit_status_lists_take_numbers_and_signal_names() {
        let mut s = settings(Restart::OnFailure);
        s.success_status = StatusSet::parse(&["75 SIGUSR1".to_string()]);
        s.restart_prevent = StatusSet::parse(&["23".to_string()]);
        assert!(s.is_clean(ExitInfo::exited(75), true));
        assert!(s.is_clean(
            ExitInfo {
                code: CLD_KILLED,
                status: libc::SIGUSR1
            },
            true
        ));
        assert!(!s.is_clean(ExitInfo::exited(1), true));
        assert!(!s.shall_restart(ServiceResult::ExitCode, Some(ExitInfo::exited(23))));
        assert!(s.shall_restart(ServiceResult::ExitCode, Some(ExitInfo::exited(1))));
    }

    #[test]
    fn start_limit_refuses_the_burst_plus_first_start() {
        let mut limit = StartLimit::default();
        let interval = Duration::from_secs(10);
        assert!((0..3).all(|_| limit.allow(interval, 3)));
        assert!(!limit.allow(interval, 3));
        limit.reset();
        assert!(limit.allow(interval, 3));
    }
}
