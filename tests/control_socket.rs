//! The control socket under attack by a local user. `control.sock` is open to every uid
//! (queries are for everyone, as systemd's D-Bus API is), so hostile clients run as uid 65534
//! against a real manager in a sandbox: one connection streaming 16 MiB without a newline, 50
//! connections holding partial requests, a flood of 2,000 connections, a client that sends
//! requests and never reads the replies, and 32 connections asking costly queries back to back. While each attack is on, root's `is-active`, `status`
//! and a `start`/`stop` answer within [`LATENCY_BOUND`] (their normal time, measured first in
//! the same test, is printed beside), the manager's CPU time and resident memory stay bounded,
//! and the hostile connections are closed within the manager's deadline.
//!
//! Before the fix (a reader that rescanned its buffer on every read, 16 MiB allowed per request,
//! no connection limit, unbounded reply buffers): one 16 MiB stream cost 9.9 s of manager CPU
//! and held root's `is-active` for 21.8 s; 48 connections holding 8 MiB took the manager from
//! 4.5 MB to 398 MB. Run with `--nocapture` to see the figures of a run.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, PATH, WAIT};

/// What root's calls may take while an attack is on (they take some 10-50 ms normally).
const LATENCY_BOUND: Duration = Duration::from_secs(2);
/// What the manager's resident memory may grow by over its size before the attack.
const RSS_GROWTH_BOUND_KIB: u64 = 24 * 1024;
/// Manager CPU time an attack may cost.
const CPU_BOUND_SECS: f64 = 2.0;
/// The manager closes an unprivileged connection idle or stalled this long (clients.rs).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
const HOSTILE_UID: &str = "65534";
const CONTROL_SOCKET: &str = "/run/systemctl-shim/control.sock";

/// The hostile client, as uid 65534: `MODE SOCKET STATUS-FILE ARGS…`. It writes its progress
/// as JSON to STATUS-FILE: `phase` is `attacking`, then `holding` once it sent what the manager
/// would take, then `over` once the manager closed every connection it holds.
const HOSTILE: &str = r#"
import json, os, select, socket, sys, time

mode, path, status = sys.argv[1:4]
args = [int(a) for a in sys.argv[4:]]
started = time.monotonic()

def report(phase, socks, **kw):
    kw.update(phase=phase, open=len(socks) - len(hung_up(socks)),
              elapsed=round(time.monotonic() - started, 3))
    with open(status + ".tmp", "w") as f:
        json.dump(kw, f)
    os.rename(status + ".tmp", status)

def hung_up(socks):
    p = select.poll()
    for s in socks:
        p.register(s.fileno(), 0)  # hangup and errors are always reported
    return {fd for fd, ev in p.poll(0) if ev & (select.POLLHUP | select.POLLERR)}

def connect_all(n):
    socks, failed = [], 0
    for _ in range(n):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            failed += 1
    return socks, failed

def pump(socks, size, payload):
    """Send up to `size` bytes of `payload` repeated on each socket, until the manager stops
    taking them for a second; returns the bytes sent."""
    sent = {s: 0 for s in socks}
    dead = set()
    last = time.monotonic()
    while time.monotonic() - last < 1.0:
        for s in socks:
            if s in dead or sent[s] >= size:
                continue
            try:
                n = s.send(payload[: size - sent[s]])
                sent[s] += n
                last = time.monotonic()
            except BlockingIOError:
                pass
            except OSError:
                dead.add(s)
        if all(s in dead or sent[s] >= size for s in socks):
            break
        time.sleep(0.002)
    return sum(sent.values())

if mode == "costly":
    # args: connections, units per query, seconds. First one query naming 80,000 units (1 MiB),
    # which must be refused at once; then every connection asks for `names` units (half of them
    # x.service, half not found) again as soon as it is answered.
    count, names, seconds = args
    big = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    big.connect(path)
    t = time.monotonic()
    big.sendall((json.dumps({"Units": {"units": ["x.service"] * 80000}}) + "\n").encode())
    reply = big.makefile("rb").readline()
    big_refused = reply.startswith(b'{"Error":"Too many units')
    big_seconds = round(time.monotonic() - t, 3)
    big.close()
    units = ["x.service"] * (names // 2) + ["costly-%d.service" % i for i in range(names - names // 2)]
    request = (json.dumps({"Units": {"units": units}}) + "\n").encode()
    socks, failed = connect_all(count)
    for s in socks:
        s.setblocking(True)
        s.sendall(request)
    report("attacking", socks, failed=failed)
    answered, pending, end = 0, {s: b"" for s in socks}, time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select(list(pending), [], [], 0.5)
        for s in ready:
            data = s.recv(1 << 20)
            if not data:
                del pending[s]
                continue
            pending[s] += data
            while b"\n" in pending[s]:
                _, pending[s] = pending[s].split(b"\n", 1)
                answered += 1
                s.sendall(request)
    report("holding", socks, sent=answered, failed=failed, big_refused=big_refused,
           big_seconds=big_seconds)
    time.sleep(3600)
elif mode == "noread":
    # args: requests, names per request: each reply is a status per name, never read.
    count, names = args
    units = ["hostile-%d.service" % i for i in range(names)]
    request = (json.dumps({"Units": {"units": units}}) + "\n").encode()
    socks, failed = connect_all(1)
    report("attacking", socks)
    sent = pump(socks, count * len(request), request * 16)
else:
    # args: connections, bytes without a newline on each
    count, size = args
    socks, failed = connect_all(count)
    report("attacking", socks, failed=failed)
    sent = pump(socks, size, b"x" * 65536)
report("holding", socks, sent=sent, failed=failed)
deadline = time.monotonic() + 60
while len(hung_up(socks)) < len(socks) and time.monotonic() < deadline:
    time.sleep(0.05)
    report("holding", socks, sent=sent, failed=failed)
report("over", socks, sent=sent, failed=failed)
time.sleep(3600)
"#;

/// A hostile client running in the sandbox as uid 65534; killed with the sandbox.
struct Hostile<'a> {
    sb: &'a Sandbox,
    child: Child,
    status: String,
}

impl<'a> Hostile<'a> {
    fn start(sb: &'a Sandbox, mode: &str, args: &[usize]) -> Hostile<'a> {
        let status = format!("/tmp/hostile-{mode}.json");
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--target={}", sb.pid1()))
            .args(["--pid", "--mount", "--", "setpriv"])
            .args([
                format!("--reuid={HOSTILE_UID}"),
                format!("--regid={HOSTILE_UID}"),
            ])
            .args(["--clear-groups", "--", "python3", "-c", HOSTILE, mode])
            .args([CONTROL_SOCKET, &status])
            .args(args.iter().map(|a| a.to_string()))
            .env_clear()
            .env("PATH", PATH)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = cmd.spawn().expect("spawn the hostile client");
        Hostile { sb, child, status }
    }

    /// Its last report (`phase`, `open`, `sent`, `elapsed`…).
    fn report(&self) -> Option<serde_json::Value> {
        let text = self.sb.read(&self.status)?;
        serde_json::from_str(&text).ok()
    }

    fn phase(&self) -> String {
        self.report()
            .and_then(|r| r["phase"].as_str().map(str::to_string))
            .unwrap_or_default()
    }

    fn wait_phase(&self, phase: &str, timeout: Duration) -> serde_json::Value {
        self.sb
            .wait_until(&format!("the hostile client is {phase}"), timeout, || {
                self.phase() == phase
            });
        self.report().unwrap_or_default()
    }
}

impl Drop for Hostile<'_> {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The manager's pid (inside), with no client of ours running.
fn manager_pid(sb: &Sandbox) -> i32 {
    let pids = sb.manager_pids();
    assert_eq!(pids.len(), 1, "one manager: {pids:?}");
    pids[0]
}

/// VmRSS of `pid`, in KiB.
fn rss_kib(sb: &Sandbox, pid: i32) -> u64 {
    let status = sb
        .read(&format!("/proc/{pid}/status"))
        .expect("the manager's /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// User and system CPU time of `pid`, in seconds.
fn cpu_secs(sb: &Sandbox, pid: i32) -> f64 {
    let stat = sb
        .read(&format!("/proc/{pid}/stat"))
        .expect("the manager's /proc stat");
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5), 11 and 12 after the state.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf with a valid name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks as f64 / hz
}

/// Root's calls, each timed: `is-active`, `status`, `start` and `stop`. Each must succeed.
fn root_calls(sb: &Sandbox) -> Vec<(&'static str, Duration)> {
    let calls: [(&str, &[&str], i32); 4] = [
        ("is-active", &["is-active", "x.service"], 0),
        ("status", &["status", "x.service"], 0),
        ("start", &["start", "job.service"], 0),
        ("stop", &["stop", "job.service"], 0),
    ];
    calls
        .iter()
        .map(|(name, args, code)| {
            let t = Instant::now();
            let o = sb.systemctl(args);
            let took = t.elapsed();
            assert_eq!(o.code, *code, "root's {args:?}: {o:?}");
            (*name, took)
        })
        .collect()
}

/// A sandbox with a manager running x.service (active) and a oneshot to start and stop.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    sb.unit(
        "job.service",
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    sb.quiet_ok(&["start", "x.service"]);
    sb
}

/// Root's normal times: the slowest of three rounds, before any attack.
fn normal_times(sb: &Sandbox) -> Vec<(&'static str, Duration)> {
    let rounds: Vec<_> = (0..3).map(|_| root_calls(sb)).collect();
    rounds[0]
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (*name, rounds.iter().map(|r| r[i].1).max().unwrap()))
        .collect()
}

/// What an attack cost and how root fared while it was on.
struct Figures {
    normal: Vec<(&'static str, Duration)>,
    during: Vec<(&'static str, Duration)>,
    rss_before: u64,
    rss_peak: u64,
    cpu: f64,
}

impl Figures {
    fn check(&self, attack: &str) {
        self.check_root_and_memory(attack);
        assert!(
            self.cpu < CPU_BOUND_SECS,
            "{attack}: the attack cost the manager {:.2} s of CPU",
            self.cpu
        );
    }

    /// Root's calls in time and the manager's memory bounded, whatever CPU the attack cost.
    fn check_root_and_memory(&self, attack: &str) {
        eprintln!(
            "{attack}: root normal {:?}; during the attack {:?}; manager RSS {} KiB -> peak {} \
             KiB; manager CPU {:.2} s",
            self.normal, self.during, self.rss_before, self.rss_peak, self.cpu
        );
        for (name, took) in &self.during {
            assert!(
                *took < LATENCY_BOUND,
                "{attack}: root's {name} took {took:?} (normally {:?})",
                self.normal
            );
        }
        assert!(
            self.rss_peak < self.rss_before + RSS_GROWTH_BOUND_KIB,
            "{attack}: the manager grew from {} KiB to {} KiB",
            self.rss_before,
            self.rss_peak
        );
    }
}

/// Run the attack `mode` with `args`; while it is on (until its client reports `holding`, and
/// for at least three rounds of root's calls), time root's calls and sample the manager.
fn attack<'a>(sb: &'a Sandbox, mode: &str, args: &[usize]) -> (Figures, Hostile<'a>) {
    let normal = normal_times(sb);
    let pid = manager_pid(sb);
    let rss_before = rss_kib(sb, pid);
    let cpu_before = cpu_secs(sb, pid);
    let hostile = Hostile::start(sb, mode, args);
    sb.wait_until("the hostile client is connected", WAIT, || {
        !hostile.phase().is_empty()
    });
    let mut during: Vec<(&'static str, Duration)> = Vec::new();
    let mut rss_peak = rss_before;
    let mut rounds = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    while rounds < 3 || hostile.phase() == "attacking" {
        assert!(Instant::now() < deadline, "{mode}: the attack did not end");
        for (name, took) in root_calls(sb) {
            match during.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = slot.1.max(took),
                None => during.push((name, took)),
            }
        }
        rss_peak = rss_peak.max(rss_kib(sb, pid));
        rounds += 1;
    }
    let figures = Figures {
        normal,
        during,
        rss_before,
        rss_peak,
        cpu: cpu_secs(sb, pid) - cpu_before,
    };
    (figures, hostile)
}

/// The manager's own log lines (systemd[1]'s, in the journal of no unit).
fn manager_log(sb: &Sandbox) -> String {
    sb.journalctl(&["-t", "systemd", "-o", "cat", "--no-pager"])
        .stdout
}

/// One connection sends 17 MiB without a newline: the manager closes it once it is past the
/// 1 MiB request limit, with a line in its log, and spends next to nothing on it.
#[test]
fn a_request_without_end_is_cut_off_at_the_limit() {
    let sb = sandbox();
    let (figures, hostile) = attack(&sb, "stream", &[1, 17 << 20]);
    figures.check("one 17 MiB stream");
    let report = hostile.wait_phase("over", WAIT);
    let sent = report["sent"].as_u64().unwrap_or(0);
    assert!(
        sent < 4 << 20,
        "the manager took {sent} bytes of one request before closing it"
    );
    let log = manager_log(&sb);
    assert!(
        log.contains(&format!(
            "(UID {HOSTILE_UID}): request larger than 1048576 bytes."
        )),
        "{log}"
    );
}

/// 50 connections each send 8 MiB of one request (the issue's 48 × 8 MiB took the manager to
/// 398 MB): the uid gets 32 connections and 2 MiB held, the rest are refused or cut off, each
/// with a line in the manager's log.
#[test]
fn fifty_connections_sending_8_mib_each_neither_stall_nor_grow_the_manager() {
    let sb = sandbox();
    let (figures, hostile) = attack(&sb, "hold", &[50, 8 << 20]);
    figures.check("50 connections sending 8 MiB");
    hostile.wait_phase("over", CLIENT_TIMEOUT + WAIT);
    let log = manager_log(&sb);
    assert!(
        log.contains("(UID 65534): too many concurrent connections from this UID."),
        "{log}"
    );
    assert!(
        log.contains("(UID 65534): too much unfinished request data from this UID."),
        "{log}"
    );
}

/// 50 connections each hold 16 KiB of a request they never finish: the uid keeps 32 of them
/// (the rest are refused), root is served meanwhile, and the 32 are closed after 10 s.
#[test]
fn connections_holding_partial_requests_are_closed_at_their_deadline() {
    let sb = sandbox();
    let (figures, hostile) = attack(&sb, "hold", &[50, 16 << 10]);
    figures.check("50 connections holding 16 KiB");
    let holding = hostile.report().unwrap_or_default();
    assert_eq!(holding["open"], 32, "one uid's share is 32: {holding}");
    let started = Instant::now();
    hostile.wait_phase("over", CLIENT_TIMEOUT + WAIT);
    eprintln!(
        "the held connections were all closed {:?} after the attack",
        started.elapsed()
    );
    let log = manager_log(&sb);
    assert!(
        log.contains("(UID 65534): no complete request within 10s."),
        "{log}"
    );
}

/// 2,000 connections at once, each with 64 KiB of a request: root still gets its answers, the
/// manager refuses all but its share for the uid and stays small. Root itself is never refused:
/// 100 more connections of root's, opened while the flood holds its share, are all answered.
#[test]
fn a_flood_of_connections_does_not_lock_out_root() {
    let sb = sandbox();
    let (figures, hostile) = attack(&sb, "flood", &[2000, 64 << 10]);
    figures.check("2,000 connections");
    let report = hostile.report().unwrap_or_default();
    assert!(
        report["open"].as_u64().unwrap_or(9999) <= 32,
        "the manager holds more than 32 connections of one uid: {report}"
    );
    let socket = sb.host_path(CONTROL_SOCKET);
    let conns: Vec<UnixStream> = (0..100)
        .map(|_| UnixStream::connect(&socket).expect("root connects"))
        .collect();
    for mut c in &conns {
        c.set_read_timeout(Some(WAIT)).unwrap();
        c.write_all(b"\"SystemState\"\n").unwrap();
    }
    for c in &conns {
        let mut line = String::new();
        BufReader::new(c).read_line(&mut line).unwrap();
        assert_eq!(line, "{\"SystemState\":\"running\"}\n");
    }
}

/// A client pipelines 5,000 requests (each answered by some 100 KB) and never reads: the
/// manager answers one, stops reading until it is taken, and closes the connection after 10 s.
#[test]
fn a_client_that_never_reads_its_replies_is_held_to_one_and_closed() {
    let sb = sandbox();
    let (figures, hostile) = attack(&sb, "noread", &[5000, 100]);
    figures.check("a client not reading its replies");
    let started = Instant::now();
    hostile.wait_phase("over", CLIENT_TIMEOUT + WAIT);
    eprintln!(
        "the non-reading client was closed after {:?}",
        started.elapsed()
    );
    assert!(
        manager_log(&sb).contains("(UID 65534): reply not taken within 10s."),
        "{}",
        manager_log(&sb)
    );
}

/// Queries that cost the manager work to answer (a review measured one 1 MiB query naming
/// 80,000 units at 14.8 s of manager CPU, holding root's `is-active` for 21.9 s): a query naming
/// more than 64 units is refused at once, and 32 connections asking for 64 units each, again as
/// soon as answered, for 5 s, are answered in turn, a share of each wake, while root's calls
/// answer in their normal time. The CPU the queries cost is theirs to spend, not root's.
#[test]
fn costly_queries_are_answered_in_turn_behind_roots_calls() {
    let sb = sandbox();
    let (figures, hostile) = attack(&sb, "costly", &[32, 64, 5]);
    figures.check_root_and_memory("32 connections asking for 64 units each");
    let report = hostile.report().unwrap_or_default();
    eprintln!("hostile client: {report}");
    assert_eq!(report["big_refused"], true, "{report}");
    assert!(
        report["big_seconds"].as_f64().unwrap_or(99.0) < 1.0,
        "refusing the 80,000-unit query took long: {report}"
    );
    assert!(
        report["sent"].as_u64().unwrap_or(0) > 32,
        "the hostile user's queries were not answered at all: {report}"
    );
}
