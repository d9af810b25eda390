//! The manager daemon (systemd's src/core/manager.c and main.c): what systemd's PID 1 does for
//! services when systemd itself cannot run. One event loop owns the unit table, the job queue,
//! the control socket and its clients, the notification socket, the services' output FIFOs and
//! every timer; children are reaped through SIGCHLD and, being a child subreaper, so are daemons
//! that double-fork. Requests are answered in `control/`; the loop only hands them over. State
//! is persisted after every batch of events so that a manager killed and started again adopts
//! what still runs.

use std::collections::HashMap;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::clients::Clients;
use super::config::ManagerConfig;
use super::event::{EventError, EventLoop, Wake};
use super::exec::DirectoryBases;
use super::notify::{NotifyError, NotifySocket};
use super::syslog::{JournalSockets, Protocol};
use super::table::UnitTable;
use super::tokens::*;
use crate::ipc::client::READY_FD_ENV;
use crate::ipc::context::{ContextError, RuntimeContext};
use crate::ipc::protocol::ManagerEvent;
use crate::ipc::saved_state::{current_boot_id, SavedState};
use crate::journal::{LineSplitter, LogStore};
use crate::manager::unit_id::UnitId;
use crate::sys::accounts::Accounts;
use crate::unit::load::{load_or_shipped, NameMap};
use crate::unit::name::UnitName;
use crate::unit::paths::{LookupPaths, Scope};

/// The marker systemd-aware scripts test (`sd_booted()`).
const BOOTED_MARKER: &str = "/run/systemd/system";

#[derive(Debug, Error)]
pub enum DaemonError {
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error("Failed to set up {what}: {source}")]
    Setup {
        what: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error("Failed to find the unit search paths: {0}")]
    Paths(String),
}

/// journald's sockets, watched by the loop. Without them the manager still runs: programs
/// that log through `/dev/log` lose their messages, as they would without journald, so a
/// failure only warns. The system manager links `/dev/log` to its socket when nothing is there
/// (systemd-journald-dev-log.socket's `Symlinks=`), and rsyslog, which sees systemd booted and
/// so listens on `/run/systemd/journal/syslog` instead, gets the messages forwarded.
fn open_journal_sockets(ctx: &RuntimeContext, events: &EventLoop) -> Option<JournalSockets> {
    let dir = ctx.journal_dir();
    let sockets = match JournalSockets::bind(&dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return None;
        }
    };
    let watched = events
        .watch(sockets.fd(Protocol::Syslog), TOKEN_DEV_LOG)
        .and_then(|()| events.watch(sockets.fd(Protocol::Native), TOKEN_JOURNAL_NATIVE));
    if let Err(e) = watched {
        eprintln!("{e}");
        return None;
    }
    if ctx.is_system() {
        let dev_log = Path::new("/dev/log");
        if std::fs::symlink_metadata(dev_log).is_err() {
            if let Err(e) = std::os::unix::fs::symlink(dir.join("dev-log"), dev_log) {
                eprintln!("Failed to link /dev/log to the journal: {e}");
            }
        }
    }
    Some(sockets)
}

/// The generators of the packages, into `/run/systemd/generator*`: only the machine's system
/// manager owns those directories (a test's or a non-root manager leaves them alone).
fn run_generators(ctx: &RuntimeContext, lookup: &LookupPaths) {
    if !ctx.is_system() {
        return;
    }
    let dirs: Vec<&Path> = super::generators::GENERATOR_DIRS
        .iter()
        .map(Path::new)
        .collect();
    let [a, b, c] = super::generators::OUTPUT_DIRS.map(Path::new);
    match super::generators::run(&dirs, &[a, b, c]) {
        Ok(report) => {
            let sysv = super::generators::write_sysv_units(lookup, c);
            for problem in report.problems.into_iter().chain(sysv.problems) {
                eprintln!("{problem}");
            }
        }
        Err(e) => eprintln!("{e}"),
    }
}

fn setup_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DaemonError {
    let what = what.into();
    move |source| DaemonError::Setup { what, source }
}

/// A unit's output FIFO, read by the manager.
pub(super) struct LogReader {
    pub unit: String,
    pub fd: OwnedFd,
    pub splitter: LineSplitter,
}

pub struct Manager {
    pub(super) ctx: RuntimeContext,
    pub(super) lookup: LookupPaths,
    pub(super) name_map: NameMap,
    pub(super) config: ManagerConfig,
    pub(super) accounts: Accounts,
    pub(super) directories: DirectoryBases,
    pub(super) manager_env: Vec<(String, String)>,
    pub(super) events: EventLoop,
    pub(super) control: UnixListener,
    pub(super) notify: NotifySocket,
    pub(super) logs: LogStore,
    /// journald's sockets (`/dev/log` and the native one), when they could be set up.
    journal_sockets: Option<JournalSockets>,
    pub(super) units: UnitTable,
    pub(super) clients: Clients,
    next_id: u64,
    pub(super) log_readers: HashMap<u64, LogReader>,
    /// Pidfds of processes that are not our children (adopted after a restart): unit, pid, fd.
    pub(super) pidfds: HashMap<u64, (UnitId, i32, OwnedFd)>,
    /// Inotify watches waiting for a PID file, per unit.
    pub(super) pidfile_watches: HashMap<u64, (UnitId, nix::sys::inotify::Inotify)>,
    pub(super) dirty: bool,
    /// The name map was rebuilt for the request being handled.
    map_rebuilt: bool,
    /// Units bus clients hold (StartTransientUnit()'s AddRef=yes, systemd's `bus_track`): not
    /// collected while held, so `systemd-run --wait` can read how its unit ended.
    pub(super) bus_refs: HashMap<String, u32>,
    idle_trim: Option<std::time::Instant>,
    pub(super) shutting_down: bool,
    /// The boot's jobs have all ended once (MANAGER_IS_FINISHED()): from then on the system is
    /// no longer `starting`, whatever jobs come later.
    pub(super) boot_finished: bool,
    /// An emergency action asked to end at once, without stopping units in order.
    pub(super) force_exit: bool,
    /// The system's init (PID 1, or started with `--init`): boots a target, answers the init
    /// signals, sweeps every process left when it ends.
    pub(super) init: bool,
    /// What the manager exits with: `systemctl exit N`, or an ExitStatus= of an action.
    pub(super) exit_code: u8,
    pub(super) sweep: super::init::Sweep,
    pub(super) ordering: Option<super::jobs::graph::Ordering>,
    /// The processes as last scanned, shared by every unit asked about until processes were
    /// started or reaped (see [`Manager::processes`]).
    process_table: std::cell::RefCell<Option<std::rc::Rc<super::process::ProcessTable>>>,
    /// The jobs queued, one per unit at most.
    pub(super) jobs: super::jobs::queue::JobQueue,
    pub(super) echo: bool,
    created_marker: bool,
    pub(super) my_pid: i32,
    boot_id: String,
    /// How many full saves of the state this run of managers made (see [`SavedState`]).
    pub(super) state_generation: u64,
    /// Connections subscribed to the manager's events, and the events of this wake not yet
    /// written to them (see `announce.rs`).
    pub(super) subscribers: Vec<u64>,
    /// What `set-environment` (SetEnvironment()) added for every process the manager spawns,
    /// after DefaultEnvironment= (systemd's client environment); kept across daemon-reload.
    pub(super) client_environment: Vec<(String, String)>,
    pub(super) announcements: Vec<crate::ipc::protocol::ManagerEvent>,
    /// The system bus's well-known names and their owners, for BusName=.
    pub(super) system_bus: super::types::service::SystemBus,
    /// The cgroup mode detected at start (issue 17; nothing acts on it yet).
    pub(super) cgroup: super::cgroup::detect::Detection,
}

impl Manager {
    pub fn new(
        init: bool,
        cgroup: super::cgroup::detect::Detection,
    ) -> Result<Manager, DaemonError> {
        super::types::timer::note_manager_start();
        let ctx = RuntimeContext::for_manager()?;
        let lookup =
            LookupPaths::new(Scope::System, None).map_err(|e| DaemonError::Paths(e.to_string()))?;
        let config = ManagerConfig::load(Path::new("/"), Scope::System);
        let mut signals = vec![libc::SIGCHLD, libc::SIGTERM, libc::SIGINT, libc::SIGHUP];
        if init {
            signals.extend(super::init::INIT_SIGNALS);
        }
        let events = EventLoop::new(&signals)?;
        let control_path = ctx.control_socket();
        let _ = std::fs::remove_file(&control_path);
        let control = UnixListener::bind(&control_path).map_err(setup_error("control socket"))?;
        control
            .set_nonblocking(true)
            .map_err(setup_error("control socket"))?;
        std::fs::set_permissions(&control_path, std::fs::Permissions::from_mode(0o666))
            .map_err(setup_error("control socket"))?;
        let notify = NotifySocket::bind(&ctx.notify_socket())?;
        events.watch(control.as_fd(), TOKEN_CONTROL)?;
        // SAFETY: the socket lives as long as the manager and its loop.
        events.watch(
            unsafe { std::os::fd::BorrowedFd::borrow_raw(notify.as_raw_fd()) },
            TOKEN_NOTIFY,
        )?;
        std::fs::create_dir_all(fifo_dir(&ctx)).map_err(setup_error("FIFO directory"))?;
        let logs = LogStore::new(&ctx.log_dir());
        let journal_sockets = open_journal_sockets(&ctx, &events);
        run_generators(&ctx, &lookup);
        let is_root = nix::unistd::geteuid().is_root();
        Ok(Manager {
            name_map: NameMap::build(&lookup),
            lookup,
            accounts: Accounts::load(Path::new("/")),
            directories: DirectoryBases::for_manager(is_root),
            manager_env: std::env::vars().collect(),
            config,
            events,
            control,
            notify,
            logs,
            journal_sockets,
            units: UnitTable::default(),
            clients: Clients::default(),
            next_id: 1,
            log_readers: HashMap::new(),
            pidfds: HashMap::new(),
            pidfile_watches: HashMap::new(),
            dirty: false,
            map_rebuilt: false,
            bus_refs: HashMap::new(),
            idle_trim: None,
            shutting_down: false,
            boot_finished: false,
            force_exit: false,
            init,
            exit_code: 0,
            sweep: super::init::Sweep::default(),
            ordering: None,
            process_table: Default::default(),
            jobs: Default::default(),
            echo: std::env::var_os("SYSTEMCTL_SHIM_QUIET").is_none(),
            created_marker: false,
            my_pid: std::process::id() as i32,
            boot_id: current_boot_id(),
            state_generation: 0,
            subscribers: Vec::new(),
            announcements: Vec::new(),
            client_environment: Vec::new(),
            system_bus: Default::default(),
            cgroup,
            ctx,
        })
    }

    /// Whether the manager's journal serves journald's own sockets (in /run/systemd/journal,
    /// as the machine's system manager).
    pub(in crate::manager) fn journal_serves_journald(&self) -> bool {
        self.ctx.is_system() && self.journal_sockets.is_some()
    }

    pub(super) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Serve systemd's D-Bus API beside the control socket (see `crate::bus`): the system's
    /// manager on /run/systemd/private and, once dbus runs, on the system bus.
    fn start_bus(&self) {
        let system = self.ctx.is_system();
        let settings = crate::bus::BusSettings {
            control_socket: self.ctx.control_socket(),
            private_socket: system.then(|| PathBuf::from(crate::bus::PRIVATE_SOCKET)),
            system_bus: system.then(|| PathBuf::from(crate::bus::SYSTEM_BUS_SOCKET)),
            manager_uid: self.ctx.uid,
        };
        if let Err(e) = crate::bus::start(settings) {
            eprintln!("{e}");
        }
    }

    /// Bring back what a previous manager left: see `coldplug.rs`.
    fn adopt(&mut self) {
        let (saved, notes) = SavedState::read(&self.ctx.state_file(), &self.boot_id);
        for note in notes {
            eprintln!("{note}");
        }
        // Counting on from it: a record left over from before the next save can never match.
        self.state_generation = saved.generation;
        self.coldplug(saved);
    }

    fn create_marker(&mut self) {
        let marker = Path::new(BOOTED_MARKER);
        if !marker.is_dir() && std::fs::create_dir_all(marker).is_ok() {
            self.created_marker = true;
        }
    }

    /// Serve until told to exit; returns the exit status.
    pub fn run(&mut self) -> i32 {
        // Jobs queued before the loop (the boot transaction) run now, not at the first event.
        self.dispatch_jobs();
        if self.dirty {
            self.save_state();
        }
        loop {
            let wakes = match self.events.wait() {
                Ok(w) => w,
                Err(e) => {
                    eprintln!("{e}");
                    return 1;
                }
            };
            let worked = wakes.iter().any(|w| *w != Wake::Deadline(TRIM_DEADLINE));
            self.clients.begin_wake();
            self.processes_changed();
            self.serve_deferred_clients();
            for wake in wakes {
                self.dispatch(wake);
            }
            self.dispatch_jobs();
            self.serve_queued_clients();
            self.collect_units();
            self.flush_announcements();
            if self.dirty {
                self.save_state();
            }
            if worked {
                self.schedule_idle_trim();
            }
            if self.force_exit || (self.shutting_down && self.all_stopped()) {
                if self.init && !self.sweep_finished() {
                    continue;
                }
                self.finish_shutdown();
                return i32::from(self.exit_code);
            }
        }
    }

    /// Once the manager has been idle for a second, give back what the last burst of work left
    /// resident: the allocator's free pages and the code pages it ran (see [`crate::sys::memory::trim_code_pages`]).
    fn schedule_idle_trim(&mut self) {
        if let Some(at) = self.idle_trim.take() {
            self.events.cancel_deadline(at, TRIM_DEADLINE);
        }
        let at = super::event::after(std::time::Duration::from_secs(1));
        self.idle_trim = Some(at);
        self.events.set_deadline(at, TRIM_DEADLINE);
    }

    fn dispatch(&mut self, wake: Wake) {
        match wake {
            Wake::Deadline(TRIM_DEADLINE) => {
                self.idle_trim = None;
                crate::sys::memory::release_free_memory();
                crate::sys::memory::trim_code_pages();
            }
            Wake::Deadline(ACCEPT_RETRY_DEADLINE) => self.retry_accept(),
            Wake::Deadline(CLIENT_SWEEP_DEADLINE) => self.sweep_clients(),
            // Served at the top of the wake (serve_deferred_clients()): it only ends the wait.
            Wake::Deadline(DEFERRED_CLIENTS_DEADLINE) => {}
            Wake::Signal(sig) if sig == libc::SIGCHLD => {
                // systemd gives the notify socket a higher priority than SIGCHLD: what a
                // service said (RELOADING=1, READY=1, STATUS=) before its process or a control
                // process ended counts first.
                self.receive_notifications();
                self.reap();
            }
            Wake::Signal(sig) if sig == libc::SIGHUP => self.daemon_reload(),
            Wake::Signal(sig) if self.init => self.on_init_signal(sig),
            Wake::Signal(_) => self.begin_shutdown(),
            Wake::Deadline(super::tokens::SWEEP_DEADLINE) => self.on_sweep_deadline(),
            Wake::Deadline(t) => self.on_deadline(t),
            Wake::Ready { token, .. } if token == TOKEN_CONTROL => self.accept_clients(),
            Wake::Ready { token, .. } if token == TOKEN_NOTIFY => self.receive_notifications(),
            Wake::Ready { token, .. } if token == TOKEN_DEV_LOG => {
                self.receive_log_messages(Protocol::Syslog)
            }
            Wake::Ready { token, .. } if token == TOKEN_JOURNAL_NATIVE => {
                self.receive_log_messages(Protocol::Native)
            }
            Wake::Ready {
                token,
                hangup,
                writable,
                ..
            } => match split_token(token) {
                (KIND_CLIENT, id) => self.on_client_ready(id, writable, hangup),
                (KIND_LOG, id) => self.read_log(id),
                (KIND_PIDFD, id) => self.on_pidfd(id),
                (KIND_PIDFILE, id) => self.on_pidfile_event(id),
                (KIND_SOCKET, id) => self.on_socket_ready(UnitId::unpack(id), hangup),
                (KIND_FDSTORE, id) if hangup => self.on_stored_fd_hangup(id),
                _ => {}
            },
        }
    }

    pub(super) fn daemon_reload(&mut self) {
        self.announce(ManagerEvent::Reloading { active: true });
        self.ordering = None;
        self.config = ManagerConfig::load(Path::new("/"), Scope::System);
        self.accounts = Accounts::load(Path::new("/"));
        run_generators(&self.ctx, &self.lookup);
        self.name_map = NameMap::build(&self.lookup);
        for i in self.units.ids() {
            let Ok(name) = UnitName::parse(&self.units[i].config.id) else {
                continue;
            };
            let config = load_or_shipped(&self.lookup, &self.name_map, &name);
            for n in &config.names {
                self.units.add_name(n, i);
            }
            // Its file may have come, gone or been masked since.
            self.units[i].served = self.serves(&config);
            self.units[i].reconfigure(config, &self.config);
            // what names a unit may have changed (a link gone from a `.wants/`): systemd's
            // reload leaves every unit to the collector
            self.units.collect_later(i);
        }
        self.timers_reloaded();
        self.announce(ManagerEvent::Reloading { active: false });
    }

    /// Stop every unit, in reverse order of how they started (each stop job waits for the
    /// stops of the units ordered after its unit), then end.
    pub(super) fn begin_shutdown(&mut self) {
        if self.shutting_down {
            return;
        }
        self.shutting_down = true;
        for i in self.units.ids() {
            let stopping = self
                .jobs
                .get(i)
                .is_some_and(|j| j.kind == crate::unit::job::JobKind::Stop);
            if !stopping {
                self.cancel_job(i, crate::unit::job::JobResult::Canceled);
            }
        }
        for i in self.units.ids() {
            // a perpetual unit (-.slice, init.scope) is up until the manager ends
            let perpetual = self.units[i].config.perpetual;
            if !perpetual && !self.is_inactive(i) && !self.jobs.has_job(i) {
                let refused = self
                    .run_transaction(
                        i,
                        crate::unit::job::JobKind::Stop,
                        crate::ipc::protocol::JobMode::Replace,
                        None,
                    )
                    .err();
                // An ordering cycle no job can be dropped from (units put in a cycle after
                // boot): systemd leaves such a unit to the final killing spree. Its stop is
                // queued as it is, and the job queue breaks the cycle when it is all that is
                // left (`break_job_deadlock`), so that the shutdown neither hangs nor skips it.
                if let Some((message, _)) = refused {
                    self.unit_log(i, &format!("Failed to enqueue stop job: {message}"));
                    self.install_job(i, crate::unit::job::JobKind::Stop, false, None);
                }
            }
        }
    }

    fn finish_shutdown(&mut self) {
        self.save_state();
        if self.created_marker {
            let _ = std::fs::remove_dir(BOOTED_MARKER);
        }
        let _ = std::fs::remove_file(self.ctx.control_socket());
    }

    /// The process table of this moment: scanned once, then reused until
    /// [`Manager::processes_changed`].
    pub(super) fn processes(&self) -> std::rc::Rc<super::process::ProcessTable> {
        let mut cached = self.process_table.borrow_mut();
        cached
            .get_or_insert_with(|| std::rc::Rc::new(super::process::ProcessTable::scan()))
            .clone()
    }

    /// Processes were started, died or may have: the next question scans again.
    pub(super) fn processes_changed(&self) {
        self.process_table.borrow_mut().take();
    }

    fn reap(&mut self) {
        // What a dying process logged last still names it: attribute it while its unit still
        // knows its pid.
        self.receive_log_messages(Protocol::Syslog);
        self.receive_log_messages(Protocol::Native);
        self.processes_changed();
        loop {
            use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(status) => {
                    if let Some(pid) = status.pid() {
                        if let Some(exit) = super::types::service::ExitInfo::from_wait(status) {
                            self.on_process_exit(pid.as_raw(), exit);
                        }
                    }
                }
            }
        }
        self.check_emptied_units();
    }
}

use std::os::unix::fs::OpenOptionsExt;

mod logs;
mod units;

fn fifo_dir(ctx: &RuntimeContext) -> PathBuf {
    ctx.runtime_dir.join("fifo")
}

/// Write to the readiness fd a client gave us (if any) and close it.
fn signal_ready(byte: u8) {
    let Some(fd) = std::env::var(READY_FD_ENV)
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
    else {
        return;
    };
    std::env::remove_var(READY_FD_ENV);
    // SAFETY: the client passed us this fd for exactly this; we own it from here.
    let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
    let _ = f.write_all(&[byte]);
}

/// Take the lock that says who serves the runtime directory. Another manager holds it: false.
/// A manager that was killed may still hold it for a moment through a child it had forked and
/// not yet exec'd (an flock belongs to the open file, which fork shares): while no manager
/// answers on the control socket, wait for that.
fn take_manager_lock(lock: &std::fs::File, ctx: &RuntimeContext) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        // SAFETY: flock on an fd we own.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return true;
        }
        let serving = !ctx.manager_dying()
            && std::os::unix::net::UnixStream::connect(ctx.control_socket()).is_ok();
        if serving || std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The manager mode of the binary: take the lock, serve, exit. With `init`, the manager is the
/// system's init: it starts from a clean runtime state and boots a target (see `init.rs`).
pub fn manager_main(init: Option<super::init::InitOptions>) -> u8 {
    // Tools tell whether systemd runs by PID 1's name (Ansible's service_facts reads
    // /proc/1/comm), whichever name the image started us under.
    if init.is_some() && std::process::id() == 1 {
        crate::sys::proc::set_own_name("systemd");
    }
    // A second manager for the same directory must not start: the lock says who serves.
    let ctx = match RuntimeContext::for_manager() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            signal_ready(b'0');
            return 1;
        }
    };
    let lock_path = ctx.runtime_dir.join("manager.lock");
    let lock = match std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(&lock_path)
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("Failed to open {}: {e}", lock_path.display());
            signal_ready(b'0');
            return 1;
        }
    };
    if !take_manager_lock(&lock, &ctx) {
        if init.is_some() {
            eprintln!(
                "Another manager is running in {}; refusing to boot a second one.",
                ctx.runtime_dir.display()
            );
            return 1;
        }
        // Another manager serves; the client will find it.
        signal_ready(b'1');
        return 0;
    }
    if init.is_some() {
        // A fresh boot: what the image (or a previous run) left is not ours to adopt.
        let _ = std::fs::remove_file(ctx.state_file());
        let _ = std::fs::remove_dir_all(fifo_dir(&ctx));
    }
    // systemd-tmpfiles-setup.service, only for the init of a container: it empties /tmp, which
    // an `--init` under another PID 1 may share with processes it does not own.
    if init.is_some() && std::process::id() == 1 {
        let mut log = std::io::stderr();
        let opts = crate::tmpfiles::Options::boot_setup(None);
        if let Err(e) = crate::tmpfiles::run(&opts, &mut std::io::empty(), &mut log) {
            eprintln!("{e}");
        }
    }
    let _ = std::fs::write(
        ctx.runtime_dir.join("manager.pid"),
        format!("{}\n", std::process::id()),
    );
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    // before any child: as PID 1 with a writable cgroup this moves us into init.scope
    let cgroup = super::cgroup::detect::detect();
    let mut manager = match Manager::new(init.is_some(), cgroup) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            signal_ready(b'0');
            return 1;
        }
    };
    let line = manager.cgroup.log_line();
    manager.log_manager(&line);
    crate::sys::memory::trim_code_pages();
    manager.create_marker();
    manager.make_init_scope();
    match &init {
        Some(opts) => {
            let unit = opts.unit.as_deref().unwrap_or("default.target");
            manager.boot(unit);
        }
        None => {
            manager.adopt();
            manager.assume_booted();
        }
    }
    manager.save_state();
    signal_ready(b'1');
    // after the last change to the environment: the bus runs threads
    manager.start_bus();
    let code = manager.run();
    drop(lock);
    code as u8
}
