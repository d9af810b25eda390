//! The manager SIGKILLed at random moments while it starts, stops and restarts services of every
//! type (issue 13, defect 3): a manager started again must find and adopt whatever still runs of
//! each unit, finish the job that was in progress, and tell the truth about it. After every kill
//! the test counts the real processes of each unit through /proc (by a marker in their
//! environment, `KL=unit`), and checks them against what `systemctl show` says: exactly one
//! daemon, the unit's MainPID, after a start or restart; none after a stop; and a plain `start`
//! and `stop` afterwards still leave one and none.
//!
//! The delays are drawn from a seeded PRNG (`KILL_LOOP_SEED`, printed on failure) and span the
//! jobs' durations: the units sleep in ExecStartPre=, in the forking parent, before the PID file
//! and before READY=1. `KILL_LOOP_KILLS` raises the number of kills per test for a long run.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::rng::Rng;
use common::sandbox::Sandbox;

/// The seed of the default run (issue 13, defect 3).
const DEFAULT_SEED: u64 = 0x5eed_1303;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The kinds of service under test, each one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Exec,
    Idle,
    /// Type=forking, PIDFile=; the parent sleeps, forks, and waits for the daemon's PID file.
    ForkingPidFile,
    /// Type=forking, PIDFile=; the parent exits at once, the daemon writes its file later.
    ForkingLatePidFile,
    /// Type=forking without PIDFile=: the manager guesses the main process.
    ForkingGuess,
    Oneshot,
    OneshotRemain,
    Notify,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Simple => "kl-simple.service",
            Kind::Exec => "kl-exec.service",
            Kind::Idle => "kl-idle.service",
            Kind::ForkingPidFile => "kl-forking.service",
            Kind::ForkingLatePidFile => "kl-forking-late.service",
            Kind::ForkingGuess => "kl-forking-guess.service",
            Kind::Oneshot => "kl-oneshot.service",
            Kind::OneshotRemain => "kl-oneshot-remain.service",
            Kind::Notify => "kl-notify.service",
        }
    }

    /// Does a finished start leave a daemon running?
    fn has_daemon(self) -> bool {
        !matches!(self, Kind::Oneshot | Kind::OneshotRemain)
    }

    /// Is the unit active once its start finished?
    fn stays_active(self) -> bool {
        self != Kind::Oneshot
    }

    fn unit_file(self, sb: &Sandbox) -> String {
        let name = self.name();
        let pid_file = format!("/run/kl/{name}.pid");
        let forking = sb.daemon("forking.sh");
        let (kind, start, extra) = match self {
            Kind::Simple => ("simple", "/bin/sleep infinity".to_string(), String::new()),
            Kind::Exec => ("exec", "/bin/sleep infinity".to_string(), String::new()),
            Kind::Idle => ("idle", "/bin/sleep infinity".to_string(), String::new()),
            Kind::ForkingPidFile => (
                "forking",
                format!("/bin/sh -c 'sleep 0.1; exec {forking} --pidfile {pid_file}'"),
                format!("PIDFile={pid_file}\nExecStartPre=/bin/rm -f {pid_file}\n"),
            ),
            Kind::ForkingLatePidFile => (
                "forking",
                format!("{forking} --pidfile {pid_file} --delay 0.15"),
                format!("PIDFile={pid_file}\nExecStartPre=/bin/rm -f {pid_file}\n"),
            ),
            Kind::ForkingGuess => (
                "forking",
                format!("/bin/sh -c 'sleep 0.1; exec {forking}'"),
                String::new(),
            ),
            Kind::Oneshot | Kind::OneshotRemain => (
                "oneshot",
                format!(
                    "/bin/sh -c 'echo begin >> /run/kl/{name}.runs; sleep 0.2; \
                     echo end >> /run/kl/{name}.runs'"
                ),
                if self == Kind::OneshotRemain {
                    "RemainAfterExit=yes\n".to_string()
                } else {
                    String::new()
                },
            ),
            Kind::Notify => (
                "notify",
                format!(
                    "{} --delay 0.15 --append /run/kl/{name}.ready try-{{monotonic}} READY=1 \
                     --append /run/kl/{name}.ready sent-{{monotonic}} --then-sleep",
                    sb.daemon("notify.py")
                ),
                // A READY=1 lost with a manager costs this long (see notify_ready_lost()).
                "TimeoutStartSec=3\n".to_string(),
            ),
        };
        format!(
            "[Service]\nType={kind}\nEnvironment=KL={name}\nTimeoutSec=20\n{extra}\
             ExecStartPre=/bin/sleep 0.1\nExecStart={start}\nExecStartPost=/bin/sleep 0.05\n\
             ExecStop=/bin/sleep 0.05\nExecStopPost=/bin/sleep 0.05\n"
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Start,
    Stop,
    Restart,
}

impl Job {
    fn verb(self) -> &'static str {
        match self {
            Job::Start => "start",
            Job::Stop => "stop",
            Job::Restart => "restart",
        }
    }
}

/// What `show` says of a unit, and the processes that carry its marker.
#[derive(Debug, Default, Clone)]
struct Seen {
    active: String,
    sub: String,
    result: String,
    main_pid: i32,
    control_pid: i32,
    processes: Vec<i32>,
}

impl Seen {
    fn settled(&self) -> bool {
        matches!(self.active.as_str(), "active" | "inactive" | "failed") && self.control_pid == 0
    }
}

/// Live processes inside whose environment holds `KL=unit`.
fn marked_processes(sb: &Sandbox, unit: &str) -> Vec<i32> {
    let marker = format!("KL={unit}");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(sb.host_path("/proc")) else {
        return out;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(env) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        if env.split(|b| *b == 0).any(|v| v == marker.as_bytes()) && sb.pid_alive(pid) {
            out.push(pid);
        }
    }
    out.sort();
    out
}

fn observe(sb: &Sandbox, units: &[Kind]) -> BTreeMap<&'static str, Seen> {
    let mut args = vec![
        "show",
        "-p",
        "ActiveState,SubState,Result,MainPID,ControlPID",
    ];
    args.extend(units.iter().map(|k| k.name()));
    let o = sb.systemctl(&args);
    let mut seen: BTreeMap<&'static str, Seen> = BTreeMap::new();
    for (block, kind) in o.stdout.split("\n\n").zip(units) {
        let mut s = Seen::default();
        for line in block.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k {
                "ActiveState" => s.active = v.to_string(),
                "SubState" => s.sub = v.to_string(),
                "Result" => s.result = v.to_string(),
                "MainPID" => s.main_pid = v.parse().unwrap_or(-1),
                "ControlPID" => s.control_pid = v.parse().unwrap_or(-1),
                _ => {}
            }
        }
        s.processes = marked_processes(sb, kind.name());
        seen.insert(kind.name(), s);
    }
    seen
}

/// CLOCK_MONOTONIC in microseconds, the clock notify.py's `{monotonic}` reads.
fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime into a timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

/// The notify daemon's last READY=1 went out before the new manager listened (`listening`,
/// monotonic µs): into the socket of the manager that was killed, or to no socket at all (then
/// notify.py exits). Nobody can hear it again: the start fails, by its timeout or by the
/// daemon's exit, with nothing left running (a difference from systemd, which keeps its notify
/// socket across a re-exec).
fn notify_ready_lost(sb: &Sandbox, kind: Kind, listening: u64) -> bool {
    let log = sb
        .read(&format!("/run/kl/{}.ready", kind.name()))
        .unwrap_or_default();
    let last_try = log
        .lines()
        .filter_map(|l| l.strip_prefix("try-")?.parse::<u64>().ok())
        .next_back();
    last_try.is_some_and(|t| t < listening)
}

/// The oneshot's runs never overlapped and the last one finished.
fn oneshot_runs_ok(sb: &Sandbox, kind: Kind) -> Result<(), String> {
    let runs = sb
        .read(&format!("/run/kl/{}.runs", kind.name()))
        .unwrap_or_default();
    let lines: Vec<&str> = runs.lines().collect();
    for (n, pair) in lines.chunks(2).enumerate() {
        if pair != ["begin", "end"] {
            return Err(format!(
                "run {n} of the oneshot: {pair:?} (runs overlapped)"
            ));
        }
    }
    Ok(())
}

/// Is `seen` what `job` must leave behind for `kind`? `None` when it is, else why not.
/// `listening`: when the manager that finishes the job began to listen (monotonic µs).
fn check(sb: &Sandbox, kind: Kind, job: Job, s: &Seen, listening: u64) -> Option<String> {
    let n = s.processes.len();
    let state = (s.active.as_str(), s.sub.as_str());
    let bad = |why: &str| Some(format!("{why}: {s:?}"));
    if job == Job::Stop {
        if state != ("inactive", "dead") || n != 0 || s.main_pid != 0 {
            return bad("after a stop the unit must be inactive with no process");
        }
        return None;
    }
    if kind.has_daemon() {
        if kind == Kind::Notify
            && notify_ready_lost(sb, kind, listening)
            && matches!(s.active.as_str(), "failed" | "inactive")
            && n == 0
        {
            // The daemon's READY=1 found no manager to hear it and the daemon exited: the
            // start failed, truthfully, and nothing is left behind.
            return None;
        }
        if state != ("active", "running") || n != 1 || s.main_pid != s.processes[0] {
            return bad("after a start the unit must run exactly one daemon, its MainPID");
        }
        return None;
    }
    if let Err(e) = oneshot_runs_ok(sb, kind) {
        return bad(&e);
    }
    let want = if kind.stays_active() {
        ("active", "exited")
    } else {
        ("inactive", "dead")
    };
    if state != want || n != 0 || s.result != "success" {
        return bad(&format!("after a start the oneshot must be {want:?}"));
    }
    None
}

/// Wait until every unit settled where `expect` says it must be; on a deadline (or a settled
/// mismatch that lasts), the mismatches.
fn settle(
    sb: &Sandbox,
    units: &[Kind],
    expect: &BTreeMap<&'static str, Job>,
    listening: u64,
) -> Vec<(Kind, String)> {
    let deadline = Instant::now() + Duration::from_secs(25);
    let mut stable_since: Option<Instant> = None;
    loop {
        let seen = observe(sb, units);
        let settled = seen.values().all(Seen::settled);
        let wrong: Vec<(Kind, String)> = units
            .iter()
            .filter_map(|k| {
                let s = &seen[k.name()];
                if !s.settled() {
                    return Some((*k, format!("not settled: {s:?}")));
                }
                check(sb, *k, expect[k.name()], s, listening).map(|why| (*k, why))
            })
            .collect();
        if wrong.is_empty() {
            return wrong;
        }
        // A settled unit changes only on its own timers: a mismatch that stays is the answer.
        if settled {
            let since = *stable_since.get_or_insert_with(Instant::now);
            if since.elapsed() > Duration::from_secs(2) {
                return wrong;
            }
        } else {
            stable_since = None;
        }
        if Instant::now() > deadline {
            return wrong;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// The last lines the manager logged for the unit, to tell what it did.
fn log_tail(sb: &Sandbox, kind: Kind) -> String {
    let log = sb
        .read(&format!("/run/systemctl-shim/log/{}.log", kind.name()))
        .unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let from = lines.len().saturating_sub(14);
    lines[from..]
        .iter()
        .map(|l| format!("    | {l}\n"))
        .collect()
}

/// After a failure, a clean slate for the unit: every marked process killed, the unit reset.
fn reset_unit(sb: &Sandbox, kind: Kind) {
    sb.systemctl(&["stop", kind.name()]);
    let pids: Vec<String> = marked_processes(sb, kind.name())
        .iter()
        .map(|p| p.to_string())
        .collect();
    if !pids.is_empty() {
        sb.sh(&format!("kill -KILL {}", pids.join(" ")));
    }
    sb.wait_until(
        "the unit's processes are gone",
        Duration::from_secs(10),
        || marked_processes(sb, kind.name()).is_empty(),
    );
    sb.systemctl(&["reset-failed", kind.name()]);
}

/// Run the jobs of `plan` (unit → job) at once, without waiting for them.
fn queue(sb: &Sandbox, plan: &BTreeMap<&'static str, Job>) {
    for job in [Job::Start, Job::Stop, Job::Restart] {
        let units: Vec<&str> = plan
            .iter()
            .filter(|(_, j)| **j == job)
            .map(|(u, _)| *u)
            .collect();
        if units.is_empty() {
            continue;
        }
        let mut args = vec!["--no-block", job.verb()];
        args.extend(units);
        let o = sb.systemctl(&args);
        assert_eq!(o.code, 0, "{args:?}: {o:?}");
    }
}

/// The figures of one loop, printed and checked at the end.
#[derive(Default)]
struct Figures {
    kills: u64,
    /// (unit, job) → (kills, failures)
    per_case: BTreeMap<(&'static str, &'static str), (u64, u64)>,
    failures: Vec<String>,
    notify_ready_lost: u64,
}

/// A sandbox with the kill loop's directory and its witness target.
fn kill_loop_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.file("/run/kl/.keep", "");
    sb.unit(
        "kl-settle.target",
        "[Unit]\nDescription=kill loop witness\n",
    );
    sb
}

fn kill_loop(label: &str, units: &[Kind], default_kills: u64) {
    let seed = env_number("KILL_LOOP_SEED", DEFAULT_SEED) ^ label.len() as u64;
    let kills = env_number("KILL_LOOP_KILLS", default_kills);
    let mut rng = Rng(seed);
    let sb = kill_loop_sandbox();
    for k in units {
        sb.unit(k.name(), &k.unit_file(&sb));
    }
    let names: Vec<&str> = units.iter().map(|k| k.name()).collect();
    let mut figures = Figures::default();
    let mut active: BTreeMap<&'static str, bool> =
        units.iter().map(|k| (k.name(), false)).collect();
    let began = Instant::now();
    for round in 0..kills {
        let mut plan = BTreeMap::new();
        for k in units {
            let job = if active[k.name()] {
                if rng.below(2) == 0 {
                    Job::Stop
                } else {
                    Job::Restart
                }
            } else {
                Job::Start
            };
            plan.insert(k.name(), job);
        }
        queue(&sb, &plan);
        // The fault: the manager dies at a random moment of the jobs (they take 0.15–0.5 s).
        let delay = Duration::from_millis(rng.below(550) as u64);
        std::thread::sleep(delay);
        sb.kill_manager();
        figures.kills += 1;
        // Any job verb starts a manager again, which adopts what runs.
        let o = sb.systemctl(&["start", "kl-settle.target"]);
        assert_eq!(o.code, 0, "a new manager: {o:?}");
        let listening = monotonic_usec();
        let wrong = settle(&sb, units, &plan, listening);
        for k in units {
            let job = plan[k.name()];
            let case = figures.per_case.entry((k.name(), job.verb())).or_default();
            case.0 += 1;
            if let Some((_, why)) = wrong.iter().find(|(w, _)| w == k) {
                case.1 += 1;
                figures.failures.push(format!(
                    "round {round}, {} {} killed after {delay:?}: {why}\n{}",
                    job.verb(),
                    k.name(),
                    log_tail(&sb, *k)
                ));
                reset_unit(&sb, *k);
            } else if *k == Kind::Notify
                && job != Job::Stop
                && notify_ready_lost(&sb, *k, listening)
                && sb.main_pid(k.name()) == 0
            {
                figures.notify_ready_lost += 1;
                sb.systemctl(&["reset-failed", k.name()]);
            }
        }
        // Then a plain start leaves exactly one daemon, and (every other round) a stop none.
        let mut start_args = vec!["start"];
        start_args.extend(&names);
        let o = sb.systemctl(&start_args);
        let all_start: BTreeMap<&'static str, Job> =
            units.iter().map(|k| (k.name(), Job::Start)).collect();
        let mut after = settle(&sb, units, &all_start, 0);
        if o.code != 0 {
            after.push((units[0], format!("start after the kill failed: {o:?}")));
        }
        let stop_now = round % 2 == 1;
        if stop_now && after.is_empty() {
            let mut stop_args = vec!["stop"];
            stop_args.extend(&names);
            sb.systemctl(&stop_args);
            let all_stop: BTreeMap<&'static str, Job> =
                units.iter().map(|k| (k.name(), Job::Stop)).collect();
            after = settle(&sb, units, &all_stop, 0);
        }
        for (k, why) in &after {
            figures.failures.push(format!(
                "round {round}, the plain start/stop after the kill of {}: {why}",
                k.name()
            ));
            reset_unit(&sb, *k);
        }
        for k in units {
            let up = !stop_now && after.is_empty() && k.stays_active();
            active.insert(k.name(), up);
        }
        if !after.is_empty() {
            for k in units {
                active.insert(k.name(), false);
            }
            let mut stop_args = vec!["stop"];
            stop_args.extend(&names);
            sb.systemctl(&stop_args);
        }
    }
    let mut report = format!(
        "{label}: {} kills in {:?} (seed {seed:#x}); READY=1 lost while no manager listened: {}\n",
        figures.kills,
        began.elapsed(),
        figures.notify_ready_lost
    );
    for ((unit, job), (n, failed)) in &figures.per_case {
        report.push_str(&format!("  {unit} {job}: {n} kills, {failed} failed\n"));
    }
    eprintln!("{report}");
    assert!(
        figures.failures.is_empty(),
        "{report}{} failures:\n{}",
        figures.failures.len(),
        figures.failures.join("\n")
    );
}

/// Services that keep a daemon running, of every Type= that has one except notify.
#[test]
fn daemons_survive_manager_kills() {
    kill_loop(
        "daemons",
        &[
            Kind::Simple,
            Kind::Exec,
            Kind::Idle,
            Kind::ForkingPidFile,
            Kind::ForkingLatePidFile,
            Kind::ForkingGuess,
        ],
        45,
    );
}

/// Oneshot services (with and without RemainAfterExit=) and a notify service.
#[test]
fn oneshot_and_notify_survive_manager_kills() {
    kill_loop(
        "oneshot+notify",
        &[Kind::Oneshot, Kind::OneshotRemain, Kind::Notify],
        45,
    );
}

/// Live processes of `unit`, waited for until there are `n` of them.
fn wait_for_processes(sb: &Sandbox, unit: &str, n: usize) -> Vec<i32> {
    let mut last = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        last = marked_processes(sb, unit);
        if last.len() == n {
            return last;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    last
}

/// A socket-activated service whose start a connection set off, and a timer's oneshot, with the
/// manager killed during them: after the kill the service runs once (a second connection starts
/// no second daemon), the timer's runs never overlap, and both stop to nothing.
#[test]
fn socket_activation_and_timer_survive_manager_kills() {
    let seed = env_number("KILL_LOOP_SEED", DEFAULT_SEED) ^ 0x50c;
    let kills = env_number("KILL_LOOP_KILLS", 12);
    let mut rng = Rng(seed);
    let sb = kill_loop_sandbox();
    sb.unit("kl-sock.socket", "[Socket]\nListenStream=/run/kl/sock\n");
    sb.unit(
        "kl-sock.service",
        &format!(
            "[Service]\nEnvironment=KL=kl-sock.service\nExecStartPre=/bin/sleep 0.1\n\
             ExecStart={}\nExecStartPost=/bin/sleep 0.05\n",
            sb.daemon("listen-fds.py")
        ),
    );
    sb.unit(
        "kl-tick.timer",
        "[Timer]\nOnActiveSec=0.1\nOnUnitInactiveSec=0.3\nAccuracySec=1ms\n",
    );
    sb.unit(
        "kl-tick.service",
        "[Service]\nType=oneshot\nEnvironment=KL=kl-tick.service\n\
         ExecStart=/bin/sh -c 'echo begin >> /run/kl/tick.runs; sleep 0.2; \
         echo end >> /run/kl/tick.runs'\n",
    );
    sb.quiet_ok(&["start", "kl-sock.socket", "kl-tick.timer"]);
    let socket = sb.host_path("/run/kl/sock");
    let connect = |what: &str| {
        // The answer comes once the service runs; the connection only has to set it off.
        std::os::unix::net::UnixStream::connect(&socket)
            .unwrap_or_else(|e| panic!("connect to the socket {what}: {e}"))
    };
    let mut failures = Vec::new();
    let began = Instant::now();
    for round in 0..kills {
        let _first = connect("to start the service");
        let delay = Duration::from_millis(rng.below(450) as u64);
        std::thread::sleep(delay);
        sb.kill_manager();
        let o = sb.systemctl(&["start", "kl-settle.target"]);
        assert_eq!(o.code, 0, "a new manager: {o:?}");
        sb.wait_until("kl-sock.service settles", Duration::from_secs(15), || {
            !matches!(
                sb.prop("kl-sock.service", "ActiveState").as_str(),
                "activating" | "deactivating"
            )
        });
        let daemons = wait_for_processes(&sb, "kl-sock.service", 1);
        let state = (
            sb.prop("kl-sock.service", "ActiveState"),
            sb.main_pid("kl-sock.service"),
        );
        if daemons.len() != 1 || state != ("active".to_string(), daemons[0]) {
            failures.push(format!(
                "round {round}, killed after {delay:?}: the socket's service {state:?} with \
                 processes {daemons:?}"
            ));
        }
        if !failures.is_empty() {
            let log = sb
                .read("/run/systemctl-shim/log/kl-sock.service.log")
                .unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            failures.push(lines[lines.len().saturating_sub(16)..].join("\n"));
            failures.push(sb.sh("ps -eo pid,ppid,sid,args").stdout);
            break;
        }
        // A second connection starts no second daemon.
        let _second = connect("again");
        let again = (
            sb.prop("kl-sock.service", "ActiveState"),
            marked_processes(&sb, "kl-sock.service"),
        );
        if again != ("active".to_string(), daemons.clone()) {
            failures.push(format!(
                "round {round}: after a second connection {again:?}"
            ));
        }
        // The timer's runs never overlap: at most the last one is still going.
        let runs = sb.read("/run/kl/tick.runs").unwrap_or_default();
        let lines: Vec<&str> = runs.lines().collect();
        if !lines
            .chunks(2)
            .enumerate()
            .all(|(n, p)| p == ["begin", "end"] || (p == ["begin"] && 2 * n + 1 == lines.len()))
        {
            failures.push(format!(
                "round {round}, killed after {delay:?}: the timer's runs overlapped: {lines:?}"
            ));
        }
        if sb.prop("kl-tick.timer", "ActiveState") != "active" {
            failures.push(format!("round {round}: the timer is not active"));
        }
        let o = sb.systemctl(&["stop", "kl-sock.service"]);
        assert_eq!(o.code, 0, "stop the socket's service: {o:?}");
        let left = wait_for_processes(&sb, "kl-sock.service", 0);
        if !left.is_empty() {
            failures.push(format!("round {round}: stop left {left:?}"));
        }
        sb.wait_until("the socket listens again", Duration::from_secs(15), || {
            sb.prop("kl-sock.socket", "SubState") == "listening"
        });
    }
    sb.quiet_ok(&["stop", "kl-tick.timer"]);
    sb.wait_until("the timer's last run ends", Duration::from_secs(15), || {
        sb.prop("kl-tick.service", "ActiveState") != "activating"
    });
    let runs = sb.read("/run/kl/tick.runs").unwrap_or_default();
    let lines: Vec<&str> = runs.lines().collect();
    let report = format!(
        "socket+timer: {kills} kills in {:?} (seed {seed:#x}), {} timer runs",
        began.elapsed(),
        lines.len() / 2
    );
    eprintln!("{report}");
    assert!(
        lines.chunks(2).all(|p| p == ["begin", "end"]),
        "{report}: the timer's runs overlapped or one never finished: {lines:?}"
    );
    assert!(marked_processes(&sb, "kl-tick.service").is_empty());
    assert!(failures.is_empty(), "{report}\n{}", failures.join("\n"));
}

/// Issue 13's defect 3, made certain: the manager dies while a forking service's parent runs
/// (before the daemon exists). The next manager waits for the parent as the one before would
/// have, takes the daemon from its PID file, and a second start runs no second daemon.
#[test]
fn a_forking_start_interrupted_by_a_kill_completes() {
    let sb = Sandbox::new();
    sb.file("/run/kl/.keep", "");
    sb.unit(
        "kl-settle.target",
        "[Unit]\nDescription=kill loop witness\n",
    );
    let unit = "kl-held.service";
    sb.unit(
        unit,
        &format!(
            "[Service]\nType=forking\nEnvironment=KL={unit}\nPIDFile=/run/kl/held.pid\n\
             ExecStart=/bin/sh -c 'while [ ! -e /run/kl/go ]; do sleep 0.02; done; \
             exec {} --pidfile /run/kl/held.pid'\n",
            sb.daemon("forking.sh")
        ),
    );
    sb.quiet_ok(&["--no-block", "start", unit]);
    sb.wait_until("the forking parent runs", Duration::from_secs(15), || {
        sb.prop(unit, "SubState") == "start" && sb.prop(unit, "ControlPID") != "0"
    });
    sb.kill_manager();
    sb.file("/run/kl/go", "");
    sb.quiet_ok(&["start", "kl-settle.target"]);
    sb.wait_for_prop(unit, "ActiveState", "active");
    let daemons = wait_for_processes(&sb, unit, 1);
    assert_eq!(daemons.len(), 1, "{daemons:?}");
    assert_eq!(sb.main_pid(unit), daemons[0]);
    assert_eq!(sb.prop(unit, "SubState"), "running");
    sb.quiet_ok(&["start", unit]);
    assert_eq!(
        marked_processes(&sb, unit),
        daemons,
        "a second start ran another daemon"
    );
    sb.quiet_ok(&["stop", unit]);
    assert_eq!(sb.prop(unit, "ActiveState"), "inactive");
    assert!(wait_for_processes(&sb, unit, 0).is_empty());
}
