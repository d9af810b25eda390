//! What /proc says of a process: its stat line (parent, session, state, start time), whether a pid
//! still names the process that started at a recorded time, and the `INVOCATION_ID` in its
//! environment (systemd's src/basic/process-util.c, get_process_environ()).

use std::fs;

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

/// Whether the environment of `pid` holds `assignment` (`NAME=value`).
pub fn environ_has(pid: i32, assignment: &[u8]) -> bool {
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

/// Name the calling process (its `comm`, /proc/self/comm) `name`, cut to the kernel's 15 bytes:
/// prctl(PR_SET_NAME).
pub fn set_own_name(name: &str) {
    let mut buf = [0u8; 16];
    let n = name.len().min(15);
    buf[..n].copy_from_slice(&name.as_bytes()[..n]);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes from a buffer we own.
    unsafe {
        libc::prctl(libc::PR_SET_NAME, buf.as_ptr() as libc::c_ulong, 0, 0, 0);
    }
}

/// This process's nice value (getpriority(PRIO_PROCESS, 0)); 0 where it cannot be read.
pub fn own_nice() -> i32 {
    // getpriority() may return -1 as a value: only errno tells a failure
    nix::errno::Errno::clear();
    // SAFETY: getpriority with integer arguments.
    let n = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    if nix::errno::Errno::last_raw() != 0 {
        0
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_reads_our_own_process() {
        let me = stat(std::process::id() as i32).unwrap();
        assert!(me.start_time > 0);
        assert!(is_same_process(me.pid, me.start_time));
        assert!(!is_same_process(me.pid, me.start_time + 1));
    }
}
