//! Finding a unit's processes without cgroups, for `KillMode=control-group` (systemd.kill(5)):
//! a process belongs to a unit invocation when it carries the invocation's `INVOCATION_ID` in its
//! environment (systemd sets that variable for every service, and daemons rarely clear it), when
//! it is in a session the unit's commands started (each command runs in a new session), or when it
//! descends from one of the unit's processes. Daemons that double-fork are reparented to the
//! manager (a child subreaper), so ancestry alone would lose them; the other two marks do not.
//!
//! Also: a process's start time, which the manager records with every pid so that a pid reused
//! by another process after a manager restart is not mistaken for the service.

use std::collections::{HashMap, HashSet};
use std::fs;

use nix::sys::signal::Signal;

/// What /proc/PID/stat says of a process, as far as the manager needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: i32,
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    /// In clock ticks since boot: with the pid, it names a process uniquely.
    pub start_time: u64,
    /// A kernel thread (PF_KTHREAD): no memory, no environment.
    pub kernel_thread: bool,
}

/// The `flags` bit of /proc/PID/stat that marks a kernel thread.
const PF_KTHREAD: u64 = 0x0020_0000;

pub fn stat(pid: i32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm may hold spaces and parentheses: it ends at the last ')'.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let fields: Vec<&str> = text.get(close + 2..)?.split(' ').collect();
    Some(ProcStat {
        pid,
        comm,
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        session: fields.get(3)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
        kernel_thread: fields
            .get(6)?
            .parse::<u64>()
            .is_ok_and(|f| f & PF_KTHREAD != 0),
    })
}

/// How far the boot clock (which /proc's start times count on) is ahead of the monotonic one:
/// the time the machine spent suspended.
pub fn suspended_usec() -> u64 {
    let read = |clock| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime into a timespec we own.
        unsafe { libc::clock_gettime(clock, &mut ts) };
        ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
    };
    read(libc::CLOCK_BOOTTIME).saturating_sub(read(libc::CLOCK_MONOTONIC))
}

/// When the process started, in microseconds since boot.
pub fn started_usec(stat: &ProcStat) -> u64 {
    // SAFETY: sysconf with a constant name.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    stat.start_time.saturating_mul(1_000_000) / ticks
}

/// Is `pid` still the process that started at `start_time` (and not a zombie)?
pub fn is_same_process(pid: i32, start_time: u64) -> bool {
    stat(pid).is_some_and(|s| s.start_time == start_time && s.state != 'Z')
}

#[cfg(test)]
fn environ_has(pid: i32, assignment: &[u8]) -> bool {
    fs::read(format!("/proc/{pid}/environ"))
        .map(|env| env.split(|&b| b == 0).any(|e| e == assignment))
        .unwrap_or(false)
}

pub fn all_processes() -> Vec<ProcStat> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat)
        .collect()
}

/// One look at /proc: every process with its parent, session and `INVOCATION_ID`, so that the
/// processes of many units are found at the cost of one scan (a shutdown asks for all of them at
/// once).
#[derive(Debug, Default)]
pub struct ProcessTable {
    procs: Vec<(ProcStat, Option<Vec<u8>>)>,
    children: HashMap<i32, Vec<i32>>,
}

const INVOCATION_PREFIX: &[u8] = b"INVOCATION_ID=";

/// How long a process whose environment reads empty is read again: a process in the middle of
/// execve() shows none (its old memory is going, the new one not yet set up), and a daemon caught
/// there would be missing from its unit, which then looks empty.
const EXEC_SETTLE: std::time::Duration = std::time::Duration::from_millis(2);

/// The `INVOCATION_ID` in the environment of `pid`, if it has one.
pub fn invocation_of(pid: i32) -> Option<Vec<u8>> {
    let path = format!("/proc/{pid}/environ");
    let mut env = fs::read(&path).ok()?;
    let began = std::time::Instant::now();
    while env.is_empty() && began.elapsed() < EXEC_SETTLE {
        std::thread::sleep(std::time::Duration::from_micros(50));
        env = fs::read(&path).ok()?;
    }
    env.split(|&b| b == 0)
        .find_map(|e| e.strip_prefix(INVOCATION_PREFIX))
        .map(<[u8]>::to_vec)
}

impl ProcessTable {
    pub fn scan() -> ProcessTable {
        let procs: Vec<(ProcStat, Option<Vec<u8>>)> = all_processes()
            .into_iter()
            .filter(|p| p.state != 'Z')
            .map(|p| {
                // Kernel threads have no environment to wait for.
                let id = (!p.kernel_thread).then(|| invocation_of(p.pid)).flatten();
                (p, id)
            })
            .collect();
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for (p, _) in &procs {
            children.entry(p.ppid).or_default().push(p.pid);
        }
        ProcessTable { procs, children }
    }

    /// Every live process of a unit invocation: those with its `INVOCATION_ID`, in one of
    /// `sessions`, or descended from `known`. The manager itself is never part of it.
    pub fn unit_processes(&self, invocation_id: &str, sessions: &[i32], known: &[i32]) -> Vec<i32> {
        let me = std::process::id() as i32;
        let id = invocation_id.as_bytes();
        let mut members: HashSet<i32> = self
            .procs
            .iter()
            .filter(|(p, _)| p.pid != me)
            .filter(|(p, env_id)| {
                known.contains(&p.pid)
                    || sessions.contains(&p.session)
                    || (!id.is_empty() && env_id.as_deref() == Some(id))
            })
            .map(|(p, _)| p.pid)
            .collect();
        let mut stack: Vec<i32> = members.iter().copied().collect();
        while let Some(pid) = stack.pop() {
            for &child in self.children.get(&pid).into_iter().flatten() {
                if child != me && members.insert(child) {
                    stack.push(child);
                }
            }
        }
        let mut out: Vec<i32> = members.into_iter().collect();
        out.sort_unstable();
        out
    }
}

/// [`ProcessTable::unit_processes`] on a fresh scan.
pub fn unit_processes(invocation_id: &str, sessions: &[i32], known: &[i32]) -> Vec<i32> {
    ProcessTable::scan().unit_processes(invocation_id, sessions, known)
}

/// glibc's SIGRTMIN, from which systemd, Docker's STOPSIGNAL, `kill -s RTMIN+3` and the
/// services in the image count realtime signals (musl's own SIGRTMIN is 35: it keeps one more).
pub const SIGRTMIN: i32 = 34;

/// A signal as unit files and `--signal=` name it: `SIGTERM`, `TERM`, `15`, `RTMIN+3`.
pub fn parse_signal(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=libc::SIGRTMAX()).contains(&n).then_some(n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    if let Some(rest) = name.strip_prefix("RTMIN") {
        let offset: i32 = match rest.strip_prefix('+') {
            Some(n) => n.parse().ok()?,
            None if rest.is_empty() => 0,
            None => return None,
        };
        let n = SIGRTMIN + offset;
        return (n <= libc::SIGRTMAX()).then_some(n);
    }
    if let Some(rest) = name.strip_prefix("RTMAX") {
        let offset: i32 = match rest.strip_prefix('-') {
            Some(n) => n.parse().ok()?,
            None if rest.is_empty() => 0,
            None => return None,
        };
        let n = libc::SIGRTMAX() - offset;
        return (n >= SIGRTMIN).then_some(n);
    }
    format!("SIG{name}")
        .parse::<Signal>()
        .ok()
        .map(|s| s as i32)
}

/// The short name systemd prints (`TERM`, `KILL`, `RTMIN+3`).
pub fn signal_name(n: i32) -> String {
    if let Ok(s) = Signal::try_from(n) {
        return s.as_str().trim_start_matches("SIG").to_string();
    }
    if (SIGRTMIN..=libc::SIGRTMAX()).contains(&n) {
        return match n - SIGRTMIN {
            0 => "RTMIN".to_string(),
            k => format!("RTMIN+{k}"),
        };
    }
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn stat_reads_our_own_process() {
        let me = stat(std::process::id() as i32).unwrap();
        assert!(me.start_time > 0);
        assert!(is_same_process(me.pid, me.start_time));
        assert!(!is_same_process(me.pid, me.start_time + 1));
    }

    #[test]
    fn signals_by_every_name_systemd_accepts() {
        assert_eq!(parse_signal("SIGTERM"), Some(libc::SIGTERM));
        assert_eq!(parse_signal("KILL"), Some(libc::SIGKILL));
        assert_eq!(parse_signal("1"), Some(libc::SIGHUP));
        assert_eq!(parse_signal("RTMIN+3"), Some(37));
        assert_eq!(parse_signal("SIGNOPE"), None);
        assert_eq!(parse_signal("0"), None);
        assert_eq!(signal_name(libc::SIGTERM), "TERM");
        assert_eq!(signal_name(38), "RTMIN+4");
    }

    #[test]
    fn a_daemon_that_left_its_session_is_found_by_its_invocation_id() {
        let id = format!("test{}", std::process::id());
        // setsid + background: the survivor is in a new session and no longer our descendant's
        // child once the shell exits.
        let out = Command::new("sh")
            .arg("-c")
            .arg("setsid sleep 30 >/dev/null 2>&1 & echo $!")
            .env("INVOCATION_ID", &id)
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        let daemon: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        // Mid-execve a process's environ reads empty (comm changes before the new environment
        // is in place): wait until the exec'd daemon shows its environment.
        let marker = format!("INVOCATION_ID={id}").into_bytes();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !(stat(daemon).is_some_and(|s| s.comm == "sleep") && environ_has(daemon, &marker)) {
            assert!(
                std::time::Instant::now() < deadline,
                "daemon never exec'd sleep"
            );
            std::thread::yield_now();
        }
        let found = unit_processes(&id, &[], &[]);
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(daemon),
            nix::sys::signal::SIGKILL,
        )
        .ok();
        assert!(found.contains(&daemon), "{found:?} lacks {daemon}");
        assert!(!found.contains(&(std::process::id() as i32)));
    }
}
