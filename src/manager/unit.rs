//! One unit in the manager's table: its configuration (swapped by daemon-reload) beside its
//! runtime state (kept across reloads), as systemd's `Unit`/`Service` objects hold them, and the
//! views of that state the rest of the system reads: the `UnitStatus` a client prints and the
//! record persisted for a manager that comes back.
//!
//! The unit's state is its type's: [`Unit::active_state`] and [`Unit::sub_state`] (the data
//! half of systemd's `UnitVTable`) read the service machine's `SubState` of a service or
//! socket, a timer's `TimerState`, a target's `TargetState`. Nothing outside the service machine reads
//! `svc.state` of a unit of another type; [`Unit::machine_state`] is that state where it
//! exists.

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

use super::config::ManagerConfig;
use super::jobs::Job;
use super::types::runtime::TypeRuntime;
use super::types::service::{ExitInfo, ServiceSettings, StartLimit, SubState};
use super::types::socket::ports::SocketRuntime;
use super::types::target::TargetState;
use super::types::timer::TimerRuntime;
use crate::ipc::protocol::{ExecRun, SocketCounters, UnitStatus};
use crate::ipc::saved_state::{ActiveState, JobRecord, TrackedPid, UnitRecord};
use crate::sys::time::Stamp;
use crate::unit::model::{CollectMode, ExecKind, LoadState, UnitConfig};
use crate::unit::name::UnitType;
use crate::unit::paths::LookupPaths;
use crate::unit::state::ServiceResult;

#[derive(Debug, Clone, Copy, Default)]
pub struct Timestamps {
    pub active_enter: Stamp,
    pub active_exit: Stamp,
    pub inactive_enter: Stamp,
    pub inactive_exit: Stamp,
    pub state_change: Stamp,
}

/// The runtime state of a service, service.c's `Service` minus its configuration; `state` is
/// the state machine's, which services and sockets run. The result, the invocation id, the
/// start limit and the condition and assert results are unit.c's, which every type uses and
/// which stay here for now.
#[derive(Debug)]
pub struct ServiceRuntime {
    pub state: SubState,
    pub result: ServiceResult,
    pub reload_result: ServiceResult,
    pub main_pid: Option<TrackedPid>,
    /// The main process is not our child (adopted, or named by a PID file): watched by pidfd.
    pub main_pid_alien: bool,
    pub control_pid: Option<TrackedPid>,
    /// The command the control process runs: which list, which entry.
    pub control: Option<(ExecKind, usize)>,
    /// Index of the ExecStart= command the main process runs (oneshot runs them in turn).
    pub main_command: usize,
    pub exec_main: ExecRun,
    pub exec_runs: BTreeMap<ExecKind, Vec<ExecRun>>,
    pub invocation_id: String,
    /// The command spawned last, which names output that drains after its writer exited.
    pub last_spawned: Option<(ExecKind, usize)>,
    /// Sessions our commands started (each command runs in its own session), by their leader
    /// with its start time: see [`ServiceRuntime::session_ids`].
    pub sessions: Vec<TrackedPid>,
    pub n_restarts: u32,
    pub start_limit: StartLimit,
    pub status_text: String,
    pub status_errno: i32,
    pub timer: Option<Instant>,
    pub watchdog_timer: Option<Instant>,
    /// A stop was asked for: no automatic restart.
    pub forbid_restart: bool,
    /// The stop is the first half of a restart (RestartKillSignal=).
    pub restarting: bool,
    /// The last exit of the main process, for RestartPreventExitStatus= and friends.
    pub last_main_exit: Option<ExitInfo>,
    pub condition_result: bool,
    pub condition_stamp: Stamp,
    /// Realtime µs at which the current invocation began (its start).
    pub invocation_usec: u64,
    pub failed_conditions: Vec<String>,
    pub assert_result: bool,
    pub assert_stamp: Stamp,
    pub failed_assert: Option<String>,
    /// READY=1 arrived while the start was still being set up.
    pub notified_ready: bool,
    /// This invocation of a Type=dbus service follows its BusName= (a system bus ran or was
    /// coming up when it started; see `types/service/bus_name.rs`).
    pub bus_name_watched: bool,
}

impl ServiceRuntime {
    /// The session ids that still mark this unit's processes. A session outlives its leader (a
    /// daemon keeps it), but once the leader's pid belongs to another process that number may be
    /// that process's own new session: then it no longer says anything about this unit.
    pub fn session_ids(&self) -> Vec<i32> {
        self.sessions
            .iter()
            .filter(|s| crate::sys::proc::stat(s.pid).is_none_or(|p| p.start_time == s.start_time))
            .map(|s| s.pid)
            .collect()
    }

    /// The main and control processes' pids: where the marks' ancestry starts.
    pub fn known_pids(&self) -> Vec<i32> {
        self.main_pid
            .iter()
            .chain(self.control_pid.iter())
            .map(|p| p.pid)
            .collect()
    }
}

impl Default for ServiceRuntime {
    fn default() -> Self {
        ServiceRuntime {
            state: SubState::Dead,
            result: ServiceResult::Success,
            reload_result: ServiceResult::Success,
            main_pid: None,
            main_pid_alien: false,
            control_pid: None,
            control: None,
            main_command: 0,
            exec_main: ExecRun::default(),
            exec_runs: BTreeMap::new(),
            invocation_id: String::new(),
            sessions: Vec::new(),
            last_spawned: None,
            n_restarts: 0,
            start_limit: StartLimit::default(),
            status_text: String::new(),
            status_errno: 0,
            timer: None,
            watchdog_timer: None,
            forbid_restart: false,
            restarting: false,
            last_main_exit: None,
            condition_result: true,
            condition_stamp: (0, 0),
            invocation_usec: 0,
            failed_conditions: Vec::new(),
            assert_result: true,
            assert_stamp: (0, 0),
            failed_assert: None,
            notified_ready: false,
            bus_name_watched: false,
        }
    }
}

pub struct Unit {
    pub config: UnitConfig,
    pub settings: ServiceSettings,
    pub svc: ServiceRuntime,
    pub stamps: Timestamps,
    /// What only this unit's type holds: a socket's listeners and counters, a timer's schedule
    /// and last trigger.
    pub kind: TypeRuntime,
    /// The connection an Accept=yes instance serves.
    pub conn: Option<super::types::socket::ports::Connection>,
    /// FDSTORE=1 fds kept for the service.
    pub fd_store: Vec<super::fdstore::StoredFd>,
    /// Started for a connection (Accept=yes): collected once it is down.
    pub was_connection: bool,
    /// The manager does this unit's work itself (systemd-journald's service and sockets while
    /// its journal serves, systemd-logind.service, see `types/served.rs`): a job on it changes
    /// its state and runs nothing.
    pub served: bool,
    /// Modification times of the files loaded, to tell when a daemon-reload is due.
    loaded_mtimes: Vec<(std::path::PathBuf, Option<SystemTime>)>,
    /// The drop-ins are listed as a load lists them (see [`Unit::add_live_dropin`]).
    dropins_as_loaded: bool,
}

fn mtimes(config: &UnitConfig) -> Vec<(std::path::PathBuf, Option<SystemTime>)> {
    config
        .fragment_path
        .iter()
        .chain(config.dropin_paths.iter())
        .map(|p| {
            (
                p.clone(),
                std::fs::metadata(p).and_then(|m| m.modified()).ok(),
            )
        })
        .collect()
}

/// What the manager keeps of a loaded unit: what it acts on and what `show` and `status` print
/// of it (the settings it does not model included, which `show` prints as written); the
/// load-time text no one asks of a loaded unit again (its warnings, a generated fragment's
/// text, its [Install] section, which `enable` reads from the files) is dropped, which keeps a
/// table of hundreds of units small.
fn slim(mut config: UnitConfig) -> UnitConfig {
    config.raw.shrink_to_fit();
    config.warnings = Vec::new();
    // Whether a generator made the fragment is kept (`status` shows UnitFileState=generated);
    // its text is not.
    if let Some(text) = config.generated_fragment.as_mut() {
        *text = String::new();
    }
    config.install = Default::default();
    config
}

impl Unit {
    pub fn new(config: UnitConfig, manager: &ManagerConfig) -> Unit {
        let config = slim(config);
        Unit {
            settings: ServiceSettings::of(&config, manager),
            loaded_mtimes: mtimes(&config),
            dropins_as_loaded: true,
            kind: TypeRuntime::of(config.unit_type),
            config,
            svc: ServiceRuntime::default(),
            stamps: Timestamps::default(),
            conn: None,
            fd_store: Vec::new(),
            was_connection: false,
            served: false,
        }
    }

    pub fn reconfigure(&mut self, config: UnitConfig, manager: &ManagerConfig) {
        let config = slim(config);
        self.settings = ServiceSettings::of(&config, manager);
        self.loaded_mtimes = mtimes(&config);
        self.dropins_as_loaded = true;
        // The runtime is kept across a reload; only a unit whose type the new configuration
        // changes (which its name fixes, so never in practice) starts from an empty one.
        if !self.kind.fits(config.unit_type) {
            self.kind = TypeRuntime::of(config.unit_type);
        }
        // Not each command's last run: service.c serializes which command runs, not the exec
        // status of every command, so after a reload 252 shows them as never run (ExecMain*
        // stays) and `status` loses their `Process:` lines.
        self.svc.exec_runs.clear();
        self.config = config;
    }

    /// A drop-in SetUnitProperties() wrote: its settings apply at once, as 252 applies them
    /// without a reload, and the file joins the unit's (`DropInPaths=`, in the order they were
    /// written). As in 252, a daemon-reload is then due when that list is not the one a load
    /// would make (ordered by file name, one file per name).
    pub fn add_live_dropin(&mut self, path: std::path::PathBuf, section: &str, lines: &str) {
        let mut assignments: Vec<(&str, &str)> =
            lines.lines().filter_map(|l| l.split_once('=')).collect();
        // 252 prepends each DeviceAllow= it is sent to the list it writes out whole; the list
        // in memory is the one written, which loading the lines (each prepended) would reverse
        if let Some((("DeviceAllow", ""), entries)) = assignments.split_first_mut() {
            entries.reverse();
        }
        for (key, value) in assignments {
            if key == "Description" {
                // written with its specifiers escaped (unit_escape_setting())
                self.config.unit.description = value.replace("%%", "%");
            }
            self.config.raw.push(crate::unit::model::RawSetting {
                section: section.to_string(),
                key: key.to_string(),
                value: value.to_string(),
            });
        }
        if !self.config.dropin_paths.contains(&path) {
            self.config.dropin_paths.push(path.clone());
        }
        let names: Vec<_> = self
            .config
            .dropin_paths
            .iter()
            .map(|p| p.file_name())
            .collect();
        self.dropins_as_loaded &= names.windows(2).all(|w| w[0] < w[1]);
        let before = std::mem::take(&mut self.loaded_mtimes);
        self.loaded_mtimes = mtimes(&self.config)
            .into_iter()
            .map(|(p, now)| match before.iter().find(|(q, _)| *q == p) {
                Some((_, then)) if p != path => (p, *then),
                _ => (p, now),
            })
            .collect();
    }

    /// A socket unit's runtime; `None` for a unit of another type.
    pub fn socket(&self) -> Option<&SocketRuntime> {
        match &self.kind {
            TypeRuntime::Socket(s) => Some(s),
            _ => None,
        }
    }

    pub fn socket_mut(&mut self) -> Option<&mut SocketRuntime> {
        match &mut self.kind {
            TypeRuntime::Socket(s) => Some(s),
            _ => None,
        }
    }

    /// A timer unit's runtime; `None` for a unit of another type.
    pub fn timer(&self) -> Option<&TimerRuntime> {
        match &self.kind {
            TypeRuntime::Timer(t) => Some(t),
            _ => None,
        }
    }

    pub fn timer_mut(&mut self) -> Option<&mut TimerRuntime> {
        match &mut self.kind {
            TypeRuntime::Timer(t) => Some(t),
            _ => None,
        }
    }

    /// A target's (or other processless unit's) state; `None` for a unit of another type.
    pub fn target(&self) -> Option<TargetState> {
        match &self.kind {
            TypeRuntime::Target(t) => Some(*t),
            _ => None,
        }
    }

    pub fn target_mut(&mut self) -> Option<&mut TargetState> {
        match &mut self.kind {
            TypeRuntime::Target(t) => Some(t),
            _ => None,
        }
    }

    /// The service state machine's state of a service or socket; `None` for the types that
    /// keep a state of their own.
    pub fn machine_state(&self) -> Option<SubState> {
        match self.kind {
            TypeRuntime::Service | TypeRuntime::Socket(_) => Some(self.svc.state),
            TypeRuntime::Timer(_) | TypeRuntime::Target(_) => None,
        }
    }

    /// ActiveState=, as the unit's type derives it from its state (each type's
    /// `state_translation_table`).
    pub fn active_state(&self) -> ActiveState {
        match &self.kind {
            TypeRuntime::Service | TypeRuntime::Socket(_) => self.svc.state.active_state(),
            TypeRuntime::Timer(rt) => rt.state.active_state(),
            TypeRuntime::Target(state) => state.active_state(),
        }
    }

    /// The SubState= word, as the unit's type names it.
    pub fn sub_state(&self) -> &'static str {
        match &self.kind {
            TypeRuntime::Service => self.svc.state.as_str(),
            TypeRuntime::Socket(sock) => {
                super::types::socket::ports::socket_sub_state(self.svc.state, sock.triggered)
            }
            TypeRuntime::Timer(rt) => rt.state.as_str(),
            TypeRuntime::Target(state) if self.config.unit_type == UnitType::Scope => {
                state.scope_sub_state()
            }
            TypeRuntime::Target(state) => state.as_str(),
        }
    }

    /// The state word of the persisted record: the service machine's word for every type, as
    /// managers have always written it and an offline `status` prints it (an active target
    /// or timer is `running`), so that a record outlives a change of this manager.
    fn record_sub_state(&self) -> &'static str {
        match self.machine_state() {
            Some(state) => state.as_str(),
            None => match self.active_state() {
                ActiveState::Inactive => SubState::Dead.as_str(),
                ActiveState::Failed => SubState::Failed.as_str(),
                _ => SubState::Running.as_str(),
            },
        }
    }

    /// unit.c's `unit_may_gc()` for what the manager collects (connection instances): down,
    /// and failed only with CollectMode=inactive-or-failed.
    pub fn may_be_collected(&self) -> bool {
        match self.active_state() {
            ActiveState::Inactive => true,
            ActiveState::Failed => self.config.unit.collect_mode == CollectMode::InactiveOrFailed,
            _ => false,
        }
    }

    pub fn is_inactive(&self) -> bool {
        matches!(
            self.active_state(),
            ActiveState::Inactive | ActiveState::Failed
        )
    }

    /// Whether a reload job applies: the unit has a command for it, or reloads through sd_notify.
    pub fn can_reload(&self) -> bool {
        !self.config.exec_commands(ExecKind::Reload).is_empty()
            || self.settings.kind == super::types::service::ServiceType::NotifyReload
    }

    pub fn is_failed(&self) -> bool {
        self.active_state() == ActiveState::Failed
    }

    pub fn is_loaded(&self) -> bool {
        self.config.load_state == LoadState::Loaded
    }

    /// Who the unit's output lines are attributed to: the main (or control) process and the
    /// identifier journald would use.
    pub fn log_identity(&self) -> (i32, String) {
        // Output may still drain after its writer exited: the last process we ran wrote it.
        let pid = self
            .svc
            .main_pid
            .or(self.svc.control_pid)
            .map(|p| p.pid)
            .or_else(|| self.svc.sessions.last().map(|s| s.pid))
            .unwrap_or(0);
        // exec_spawn() names each command's stream after that command (`sh` for an
        // `ExecStartPre=/bin/sh …`): the control command while one runs, else the main one,
        // else the one that ran last.
        let (kind, idx) = self
            .svc
            .control
            .or_else(|| {
                self.svc
                    .main_pid
                    .map(|_| (ExecKind::Start, self.svc.main_command))
            })
            .or(self.svc.last_spawned)
            .unwrap_or((ExecKind::Start, 0));
        let identifier = self
            .config
            .settings
            .syslog_identifier
            .clone()
            .unwrap_or_else(|| {
                self.config
                    .exec_commands(kind)
                    .get(idx)
                    .and_then(|c| c.argv.first())
                    .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
                    .unwrap_or_else(|| self.config.id.clone())
            });
        (pid, identifier)
    }

    fn need_daemon_reload(&self) -> bool {
        !self.dropins_as_loaded || mtimes(&self.config) != self.loaded_mtimes
    }

    /// The status a client prints, with the unit's job if it has one.
    /// `members`: the processes of the unit's cgroup, in cgroup mode (also those left after
    /// it stopped, which 252's status shows); else the processes carrying its marks count.
    pub fn status(
        &self,
        _lookup: &LookupPaths,
        job: Option<&Job>,
        members: Option<Vec<i32>>,
    ) -> UnitStatus {
        let svc = &self.svc;
        let mut processes = Vec::new();
        let exact = members.is_some();
        let pids = match members {
            Some(pids) => Some(pids),
            None if !self.is_inactive() => Some(super::process::unit_processes(
                &svc.invocation_id,
                &svc.session_ids(),
                &svc.known_pids(),
            )),
            None => None,
        };
        if let Some(mut pids) = pids {
            // the main process first (in cgroup mode only while it is in the cgroup)
            if let Some(main) = svc.main_pid.filter(|m| !exact || pids.contains(&m.pid)) {
                pids.retain(|p| *p != main.pid);
                pids.insert(0, main.pid);
            }
            for pid in pids {
                processes.push((pid, command_line(pid)));
            }
        }
        UnitStatus {
            id: self.config.id.clone(),
            load_state: Some(self.config.load_state.state()),
            description: self.config.unit.description.clone(),
            active_state: self.active_state(),
            sub_state: self.sub_state().to_string(),
            result: Some(svc.result),
            reload_result: Some(svc.reload_result),
            main_pid: svc.main_pid.map(|p| p.pid).unwrap_or(0),
            control_pid: svc.control_pid.map(|p| p.pid).unwrap_or(0),
            exec_main: svc.exec_main.clone(),
            exec_runs: svc.exec_runs.iter().map(|(k, v)| (*k, v.clone())).collect(),
            n_restarts: svc.n_restarts,
            status_text: svc.status_text.clone(),
            status_errno: svc.status_errno,
            invocation_id: svc.invocation_id.clone(),
            active_enter: self.stamps.active_enter,
            active_exit: self.stamps.active_exit,
            inactive_enter: self.stamps.inactive_enter,
            inactive_exit: self.stamps.inactive_exit,
            state_change: self.stamps.state_change,
            condition_result: svc.condition_result,
            condition_timestamp: svc.condition_stamp,
            invocation_usec: svc.invocation_usec,
            failed_conditions: svc.failed_conditions.clone(),
            assert_result: svc.assert_result,
            assert_timestamp: svc.assert_stamp,
            failed_assert: svc.failed_assert.clone(),
            need_daemon_reload: self.need_daemon_reload(),
            processes,
            job: job.map(|j| j.kind),
            job_id: job.map_or(0, |j| j.id),
            socket: self.socket().map(|sock| SocketCounters {
                n_accepted: sock.n_accepted,
                n_connections: sock.n_connections,
                n_refused: sock.n_refused,
            }),
            timer: self.timer().map(TimerRuntime::info),
            ..UnitStatus::default()
        }
    }

    /// What to persist, with the unit's job if it has one: nothing for a unit that is simply
    /// inactive, which is what a manager started again assumes of every unit it has no record of.
    pub fn record(&self, job: Option<&Job>) -> Option<UnitRecord> {
        if self.active_state() == ActiveState::Inactive && job.is_none() {
            return None;
        }
        Some(UnitRecord {
            active_state: self.active_state(),
            sub_state: self.record_sub_state().to_string(),
            result: self.svc.result,
            main_pid: self.svc.main_pid,
            control_pid: self.svc.control_pid,
            invocation_id: self.svc.invocation_id.clone(),
            n_restarts: self.svc.n_restarts,
            status_text: (!self.svc.status_text.is_empty()).then(|| self.svc.status_text.clone()),
            active_enter_usec: self.stamps.active_enter.0,
            inactive_enter_usec: self.stamps.inactive_enter.0,
            state_change_usec: self.stamps.state_change.0,
            socket_counts: self
                .socket()
                .map_or((0, 0), |sock| (sock.n_accepted, sock.n_refused)),
            connection: self.conn.is_some() || self.was_connection,
            timer: self
                .timer()
                .map(|tmr| (tmr.state.as_str().to_string(), tmr.last_trigger.0)),
            control_command: self
                .svc
                .control
                .map(|(kind, idx)| (kind.property().to_string(), idx)),
            main_command: self.svc.main_command,
            sessions: self.svc.sessions.clone(),
            forbid_restart: self.svc.forbid_restart,
            restarting: self.svc.restarting,
            bus_name_watched: self.svc.bus_name_watched,
            job: job.map(|j| JobRecord {
                kind: j.kind,
                running: j.running,
                ignore_order: j.ignore_order,
            }),
        })
    }
}

/// `/proc/PID/cmdline` as `status` shows it.
pub fn command_line(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manager::types::timer::TimerState;
    use crate::unit::model::LoadState;
    use crate::unit::name::UnitType;

    fn unit(name: &str, unit_type: UnitType) -> Unit {
        let config = UnitConfig::empty(name, unit_type, LoadState::Loaded);
        Unit::new(config, &ManagerConfig::default())
    }

    /// Each type's state is its own: a target's and a timer's, not the service machine's,
    /// which they leave dead; the record keeps the service machine's words for all of them.
    #[test]
    fn the_state_of_a_unit_is_its_types() {
        let mut target = unit("a.target", UnitType::Target);
        assert_eq!(target.machine_state(), None);
        assert_eq!(
            (target.active_state(), target.sub_state()),
            (ActiveState::Inactive, "dead")
        );
        assert_eq!(target.record(None), None);
        if let Some(state) = target.target_mut() {
            *state = TargetState::Active;
        }
        assert_eq!(
            (target.active_state(), target.sub_state()),
            (ActiveState::Active, "active")
        );
        assert_eq!(target.svc.state, SubState::Dead);
        let record = target.record(None).expect("an active unit is recorded");
        assert_eq!(
            (record.active_state, record.sub_state.as_str()),
            (ActiveState::Active, "running")
        );

        let mut timer = unit("a.timer", UnitType::Timer);
        for (state, active, word, recorded) in [
            (
                TimerState::Waiting,
                ActiveState::Active,
                "waiting",
                "running",
            ),
            (
                TimerState::Elapsed,
                ActiveState::Active,
                "elapsed",
                "running",
            ),
            (TimerState::Failed, ActiveState::Failed, "failed", "failed"),
        ] {
            if let Some(rt) = timer.timer_mut() {
                rt.state = state;
            }
            assert_eq!((timer.active_state(), timer.sub_state()), (active, word));
            assert_eq!(timer.is_failed(), active == ActiveState::Failed);
            let record = timer.record(None).expect("recorded");
            assert_eq!(record.sub_state, recorded);
            assert_eq!(record.timer.map(|(w, _)| w).as_deref(), Some(word));
        }
        assert_eq!(timer.svc.state, SubState::Dead);

        let mut service = unit("a.service", UnitType::Service);
        service.svc.state = SubState::AutoRestart;
        assert_eq!(service.machine_state(), Some(SubState::AutoRestart));
        assert_eq!(
            (service.active_state(), service.sub_state()),
            (ActiveState::Activating, "auto-restart")
        );
        let mut socket = unit("a.socket", UnitType::Socket);
        socket.svc.state = SubState::Running;
        assert_eq!(
            (socket.active_state(), socket.sub_state()),
            (ActiveState::Active, "listening")
        );
    }

    /// daemon-reload swaps the configuration but keeps what the socket counted.
    #[test]
    fn reload_keeps_the_type_runtime() {
        let manager = ManagerConfig::default();
        let config = || UnitConfig::empty("a.socket", UnitType::Socket, LoadState::Loaded);
        let mut unit = Unit::new(config(), &manager);
        assert!(unit.timer().is_none());
        if let Some(sock) = unit.socket_mut() {
            sock.n_accepted = 3;
        }
        unit.reconfigure(config(), &manager);
        assert_eq!(unit.socket().map(|s| s.n_accepted), Some(3));
        let service = Unit::new(
            UnitConfig::empty("a.service", UnitType::Service, LoadState::Loaded),
            &manager,
        );
        assert!(service.socket().is_none() && service.timer().is_none());
        assert_eq!(service.record(None), None);
    }
}
