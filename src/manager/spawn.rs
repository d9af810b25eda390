//! Starting one command of a unit the way systemd's exec_child() does (systemd.exec(5)): a clean
//! environment, the unit's credentials, umask, working directory, nice level, OOM score, resource
//! limits, standard streams and passed file descriptors (sd_listen_fds(3): from fd 3 upward, with
//! `LISTEN_PID` naming the exec'd process itself), in a new session, with no inherited fds.
//!
//! Everything is prepared before fork(): between fork and exec the child makes only
//! async-signal-safe system calls and allocates nothing. A step that fails ends the child with
//! systemd's exit status for it (203/EXEC, 217/USER, 200/CHDIR …) and reports the step and errno
//! through a close-on-exec pipe, so the parent learns whether execve() succeeded (what
//! `Type=exec` waits for) without guessing.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::unistd::Pid;
use thiserror::Error;

use crate::sys::accounts::Credentials;

/// systemd's exit statuses for failures before execve() (exit-status.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExecStep {
    Chdir = 200,
    Nice = 201,
    Fds = 202,
    Exec = 203,
    Limits = 205,
    OomAdjust = 206,
    SignalMask = 207,
    Stdin = 208,
    Stdout = 209,
    Group = 216,
    User = 217,
    Cgroup = 219,
    Setsid = 220,
    Stderr = 222,
}

impl ExecStep {
    /// The name `status` prints after the number: `203/EXEC`.
    pub fn name(self) -> &'static str {
        match self {
            ExecStep::Chdir => "CHDIR",
            ExecStep::Nice => "NICE",
            ExecStep::Fds => "FDS",
            ExecStep::Exec => "EXEC",
            ExecStep::Limits => "LIMITS",
            ExecStep::OomAdjust => "OOM_ADJUST",
            ExecStep::SignalMask => "SIGNAL_MASK",
            ExecStep::Stdin => "STDIN",
            ExecStep::Stdout => "STDOUT",
            ExecStep::Group => "GROUP",
            ExecStep::User => "USER",
            ExecStep::Cgroup => "CGROUP",
            ExecStep::Setsid => "SETSID",
            ExecStep::Stderr => "STDERR",
        }
    }

    fn from_code(code: u8) -> Option<ExecStep> {
        [
            ExecStep::Chdir,
            ExecStep::Nice,
            ExecStep::Fds,
            ExecStep::Exec,
            ExecStep::Limits,
            ExecStep::OomAdjust,
            ExecStep::SignalMask,
            ExecStep::Stdin,
            ExecStep::Stdout,
            ExecStep::Group,
            ExecStep::User,
            ExecStep::Cgroup,
            ExecStep::Setsid,
            ExecStep::Stderr,
        ]
        .into_iter()
        .find(|s| *s as u8 == code)
    }
}

#[derive(Debug, Error)]
pub enum SpawnError {
    #[error("Argument contains a NUL byte: {0:?}")]
    Nul(String),
    #[error("Empty command line")]
    EmptyCommand,
    #[error("Failed to create the exec status pipe: {0}")]
    Pipe(Errno),
    #[error("Failed to fork: {0}")]
    Fork(Errno),
    #[error("Failed to prepare the fds to pass: {0}")]
    Fds(std::io::Error),
}

/// A command ready to run: every string converted, every fd opened.
#[derive(Debug)]
pub struct ExecPlan {
    program: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
    /// Index in `envp` of a `LISTEN_PID=` entry with room for a pid, filled in by the child.
    listen_pid_slot: Option<usize>,
    pub credentials: Option<Credentials>,
    pub umask: Option<libc::mode_t>,
    working_directory: Option<(CString, bool)>,
    pub nice: Option<i32>,
    oom_score_adjust: Option<Vec<u8>>,
    pub rlimits: Vec<(crate::sys::rlimit::Resource, libc::rlimit)>,
    /// stdin, stdout, stderr; `None` means /dev/null.
    pub stdio: [Option<OwnedFd>; 3],
    /// Become fds 3, 4, … in the child.
    pub pass_fds: Vec<OwnedFd>,
    /// `NonBlocking=`: the passed fds keep O_NONBLOCK; by default the child clears it
    /// (execute.c's flags_fds()), so a service's blocking accept() waits instead of failing
    /// with EAGAIN (the manager opens its listeners non-blocking).
    pub non_blocking: bool,
    /// `IgnoreSIGPIPE=` (systemd.exec(5), default yes): a service whose log reader went away
    /// gets EPIPE, not death.
    pub ignore_sigpipe: bool,
    /// A step the manager already knows fails (an unknown `User=`): the child reports it and
    /// exits at once, so the command is a process that failed, as systemd's child is.
    pub fails_at: Option<(ExecStep, Errno)>,
    /// The unit's cgroup (in cgroup mode): the child is made in it.
    pub cgroup: Option<crate::sys::cgroup::Cgroup>,
}

/// How a child ends whose manager died before releasing it (see [`spawn_recorded`]): nobody
/// is there to see it, so only its being distinct matters.
const GATE_ABANDONED: i32 = 255;

/// Room for the decimal digits of any pid.
const PID_DIGITS: usize = 20;

fn cstring(s: impl AsRef<[u8]>) -> Result<CString, SpawnError> {
    let bytes = s.as_ref();
    CString::new(bytes).map_err(|_| SpawnError::Nul(String::from_utf8_lossy(bytes).into_owned()))
}

impl ExecPlan {
    /// `program` is the file to execute (already resolved), `argv` includes argv[0].
    pub fn new(
        program: &Path,
        argv: &[String],
        env: &[(String, String)],
    ) -> Result<ExecPlan, SpawnError> {
        if argv.is_empty() {
            return Err(SpawnError::EmptyCommand);
        }
        Ok(ExecPlan {
            program: cstring(program.as_os_str().as_bytes())?,
            argv: argv.iter().map(cstring).collect::<Result<_, _>>()?,
            envp: env
                .iter()
                .map(|(k, v)| cstring(format!("{k}={v}")))
                .collect::<Result<_, _>>()?,
            listen_pid_slot: None,
            credentials: None,
            umask: None,
            working_directory: None,
            nice: None,
            oom_score_adjust: None,
            rlimits: Vec::new(),
            stdio: [None, None, None],
            pass_fds: Vec::new(),
            non_blocking: false,
            ignore_sigpipe: true,
            fails_at: None,
            cgroup: None,
        })
    }

    /// Pass `fds` as 3, 4, … with `LISTEN_FDS`, `LISTEN_FDNAMES` and a `LISTEN_PID` that the child
    /// fills in with its own pid.
    pub fn listen_fds(&mut self, fds: Vec<OwnedFd>, names: &[String]) -> Result<(), SpawnError> {
        self.envp
            .push(cstring(format!("LISTEN_FDS={}", fds.len()))?);
        self.envp
            .push(cstring(format!("LISTEN_FDNAMES={}", names.join(":")))?);
        self.envp
            .push(cstring(format!("LISTEN_PID={}", " ".repeat(PID_DIGITS)))?);
        self.listen_pid_slot = Some(self.envp.len() - 1);
        // Above 3 + n and the child's stdio copies, so that moving them to 3, 4, … in the
        // child cannot overwrite one not yet moved (and no fixed-size table is needed there).
        let floor = 3 + fds.len() as RawFd + 3;
        self.pass_fds = fds
            .into_iter()
            .map(|fd| {
                // SAFETY: fcntl(F_DUPFD_CLOEXEC) on an fd we own; the result is owned below.
                let high = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, floor) };
                if high < 0 {
                    return Err(SpawnError::Fds(std::io::Error::last_os_error()));
                }
                // SAFETY: a fresh fd nobody else owns.
                Ok(unsafe { OwnedFd::from_raw_fd(high) })
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// `WorkingDirectory=`; with `ignore_missing` (the `-` prefix) a missing one is not an error.
    pub fn working_directory(
        &mut self,
        dir: &Path,
        ignore_missing: bool,
    ) -> Result<(), SpawnError> {
        self.working_directory = Some((cstring(dir.as_os_str().as_bytes())?, ignore_missing));
        Ok(())
    }

    pub fn oom_score_adjust(&mut self, value: i32) {
        self.oom_score_adjust = Some(format!("{value}\n").into_bytes());
    }
}

/// A started process.
#[derive(Debug)]
pub struct Spawned {
    pub pid: Pid,
    /// `Ok` once execve() succeeded; otherwise the step that failed and its errno. The child has
    /// then exited with that step's status and must still be reaped.
    pub exec: Result<(), (ExecStep, Errno)>,
}

/// Child side: report `step` and `errno`, then exit with the step's status. Async-signal-safe.
fn child_fail(report_fd: RawFd, step: ExecStep, errno: i32) -> ! {
    let mut msg = [0u8; 5];
    msg[0] = step as u8;
    msg[1..].copy_from_slice(&errno.to_ne_bytes());
    // SAFETY: write(2) and _exit(2) are async-signal-safe; `msg` lives on this stack.
    unsafe {
        libc::write(report_fd, msg.as_ptr().cast(), msg.len());
        libc::_exit(step as i32)
    }
}

fn errno() -> i32 {
    Errno::last_raw()
}

/// Child side: write `n` as decimal into `buf` (space-padded room), returning nothing; no
/// allocation, so it may run between fork and exec.
fn write_decimal(buf: &mut [u8], mut n: u64) {
    let mut digits = [0u8; PID_DIGITS];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 || len == digits.len() {
            break;
        }
    }
    for (i, slot) in buf.iter_mut().enumerate() {
        *slot = if i < len { digits[len - 1 - i] } else { 0 };
    }
}

/// Child side: wait until the parent has recorded us. End of file instead of its byte means the
/// parent died first: end without running anything. Async-signal-safe.
///
/// # Safety
/// Must only be called in the child of fork(), with the two ends of the gate pipe.
unsafe fn wait_at_gate(gate_read: RawFd, gate_write: RawFd) {
    // Our copy of the write end would keep the pipe open after the parent died.
    libc::close(gate_write);
    let mut byte = 0u8;
    loop {
        match libc::read(gate_read, (&mut byte as *mut u8).cast(), 1) {
            1 => break,
            n if n < 0 && errno() == libc::EINTR => continue,
            _ => libc::_exit(GATE_ABANDONED),
        }
    }
    libc::close(gate_read);
}

/// Child side: everything between fork and exec. Only raw system calls on prepared data.
///
/// # Safety
/// Must only be called in the child of fork(); `envp_ptrs` must point into `plan.envp`.
unsafe fn exec_child(
    plan: &ExecPlan,
    report_fd: RawFd,
    argv_ptrs: &[*const libc::c_char],
    envp_ptrs: &[*const libc::c_char],
    sig_max: libc::c_int,
    setgroups_allowed: bool,
) -> ! {
    if let Some((step, errno)) = plan.fails_at {
        child_fail(report_fd, step, errno as i32);
    }
    let dev_null = b"/dev/null\0";
    // Signals: nothing blocked, everything default, as a freshly booted service expects.
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    if libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) < 0 {
        child_fail(report_fd, ExecStep::SignalMask, errno());
    }
    for sig in 1..=sig_max {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
    if plan.ignore_sigpipe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    if libc::setsid() < 0 {
        child_fail(report_fd, ExecStep::Setsid, errno());
    }

    // Move every fd we keep above the range it will land in, so dup2() never clobbers a source.
    let n_pass = plan.pass_fds.len() as RawFd;
    let floor = 3 + n_pass + 3;
    let report_fd = match libc::fcntl(report_fd, libc::F_DUPFD_CLOEXEC, floor) {
        fd if fd >= 0 => fd,
        _ => child_fail(report_fd, ExecStep::Fds, errno()),
    };
    let mut high = [-1 as RawFd; 3];
    for (i, src) in plan.stdio.iter().enumerate() {
        let fd = match src {
            Some(fd) => fd.as_raw_fd(),
            None => {
                let flags = if i == 0 {
                    libc::O_RDONLY
                } else {
                    libc::O_WRONLY
                };
                libc::open(dev_null.as_ptr().cast(), flags | libc::O_CLOEXEC)
            }
        };
        let step = [ExecStep::Stdin, ExecStep::Stdout, ExecStep::Stderr][i];
        if fd < 0 {
            child_fail(report_fd, step, errno());
        }
        high[i] = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, floor);
        if high[i] < 0 {
            child_fail(report_fd, step, errno());
        }
    }
    for (i, &fd) in high.iter().enumerate() {
        let step = [ExecStep::Stdin, ExecStep::Stdout, ExecStep::Stderr][i];
        if libc::dup2(fd, i as RawFd) < 0 {
            child_fail(report_fd, step, errno());
        }
    }
    // listen_fds() placed them above every target, so no dup2() here clobbers one.
    for (i, fd) in plan.pass_fds.iter().enumerate() {
        let target = 3 + i as RawFd;
        if libc::dup2(fd.as_raw_fd(), target) < 0 {
            child_fail(report_fd, ExecStep::Fds, errno());
        }
        let flags = libc::fcntl(target, libc::F_GETFL);
        let wanted = if plan.non_blocking {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        if flags < 0 || (wanted != flags && libc::fcntl(target, libc::F_SETFL, wanted) < 0) {
            child_fail(report_fd, ExecStep::Fds, errno());
        }
    }
    // Nothing else crosses exec: every other fd gets close-on-exec.
    if libc::syscall(
        libc::SYS_close_range,
        (3 + n_pass) as libc::c_uint,
        libc::c_uint::MAX,
        libc::CLOSE_RANGE_CLOEXEC,
    ) < 0
    {
        let mut limit: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        for fd in (3 + n_pass)..(limit.rlim_cur.min(65536) as RawFd) {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }

    for (resource, limit) in &plan.rlimits {
        if libc::setrlimit(*resource as _, limit) < 0 {
            // setrlimit_closest(): a hard limit this process may not raise (a user namespace
            // has CAP_SYS_RESOURCE only over itself) becomes the closest one it may set.
            let e = errno();
            let mut highest: libc::rlimit = std::mem::zeroed();
            if e != libc::EPERM || libc::getrlimit(*resource as _, &mut highest) < 0 {
                child_fail(report_fd, ExecStep::Limits, e);
            }
            let closest = libc::rlimit {
                rlim_cur: limit.rlim_cur.min(highest.rlim_max),
                rlim_max: limit.rlim_max.min(highest.rlim_max),
            };
            if libc::setrlimit(*resource as _, &closest) < 0 {
                child_fail(report_fd, ExecStep::Limits, errno());
            }
        }
    }
    if let Some(value) = &plan.oom_score_adjust {
        let path = b"/proc/self/oom_score_adj\0";
        let fd = libc::open(path.as_ptr().cast(), libc::O_WRONLY | libc::O_CLOEXEC);
        let failed = fd < 0 || libc::write(fd, value.as_ptr().cast(), value.len()) < 0;
        let e = errno();
        // ERRNO_IS_PRIVILEGE(): a container without CAP_SYS_RESOURCE may not lower the score;
        // exec_child() of 252 goes on ("assuming containerized execution, ignoring").
        if failed && e != libc::EPERM && e != libc::EACCES {
            child_fail(report_fd, ExecStep::OomAdjust, e);
        }
        if fd >= 0 {
            libc::close(fd);
        }
    }
    if let Some(nice) = plan.nice {
        if libc::setpriority(libc::PRIO_PROCESS, 0, nice) < 0 {
            child_fail(report_fd, ExecStep::Nice, errno());
        }
    }
    if let Some(mask) = plan.umask {
        libc::umask(mask);
    }
    if let Some(c) = &plan.credentials {
        // Where setgroups() is denied (a user namespace whose gid map was written without
        // CAP_SETGID, `unshare --map-root-user`), a list that adds nothing to the primary group
        // is not set, as systemd calls setgroups() only through initgroups() for a user of a
        // non-root group or for SupplementaryGroups= (and maybe_setgroups() skips dropping all).
        let skip_setgroups = !setgroups_allowed && c.groups.iter().all(|g| *g == c.gid);
        if (!skip_setgroups && libc::setgroups(c.groups.len(), c.groups.as_ptr()) < 0)
            || libc::setresgid(c.gid, c.gid, c.gid) < 0
        {
            child_fail(report_fd, ExecStep::Group, errno());
        }
        if libc::setresuid(c.uid, c.uid, c.uid) < 0 {
            child_fail(report_fd, ExecStep::User, errno());
        }
    }
    // After the user switch, so the directory is checked with the service's own permissions.
    if let Some((dir, ignore_missing)) = &plan.working_directory {
        if libc::chdir(dir.as_ptr()) < 0 && !ignore_missing {
            child_fail(report_fd, ExecStep::Chdir, errno());
        }
    }
    if let Some(slot) = plan.listen_pid_slot {
        // The entry was allocated with room for the digits; write them in place.
        let entry = envp_ptrs[slot] as *mut u8;
        let value = std::slice::from_raw_parts_mut(entry.add("LISTEN_PID=".len()), PID_DIGITS);
        write_decimal(value, libc::getpid() as u64);
    }
    libc::execve(
        plan.program.as_ptr(),
        argv_ptrs.as_ptr(),
        envp_ptrs.as_ptr(),
    );
    child_fail(report_fd, ExecStep::Exec, errno())
}

/// Whether this process may call setgroups(2) at all: not in a user namespace whose
/// `/proc/self/setgroups` says `deny` (`unshare --map-root-user`, rootless podman's default).
fn setgroups_allowed() -> bool {
    // Fixed for the life of the process (a namespace's setting cannot change once its gid map
    // is written): read it once.
    static ALLOWED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ALLOWED.get_or_init(|| {
        std::fs::read_to_string("/proc/self/setgroups").map_or(true, |s| s.trim() != "deny")
    })
}

/// Fork and exec `plan`. Returns once the child has exec'd or failed trying.
pub fn spawn(plan: &ExecPlan) -> Result<Spawned, SpawnError> {
    spawn_recorded(plan, |_| ())
}

/// [`spawn`], with the child held before it does anything until `record` (given its pid) has
/// returned: the manager writes down the process before it can run, so a manager killed at any
/// moment never leaves a command running that its state does not name. A child whose manager
/// died before releasing it ends without running anything (its gate reads end of file).
pub fn spawn_recorded(plan: &ExecPlan, record: impl FnOnce(Pid)) -> Result<Spawned, SpawnError> {
    let mut argv_ptrs: Vec<*const libc::c_char> = plan.argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut envp_ptrs: Vec<*const libc::c_char> = plan.envp.iter().map(|e| e.as_ptr()).collect();
    envp_ptrs.push(std::ptr::null());
    let sig_max = libc::SIGRTMAX();
    let setgroups_allowed = plan.credentials.is_none() || setgroups_allowed();

    let (report_read, report_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(SpawnError::Pipe)?;
    let (gate_read, gate_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(SpawnError::Pipe)?;

    // In cgroup mode the child is born in its unit's cgroup; where clone3() is refused (an old
    // kernel, a seccomp filter) it is forked and moves itself in, as 252's child does.
    let mut move_in: Option<Result<OwnedFd, Errno>> = None;
    // SAFETY (both): the child runs only exec_child(), which makes async-signal-safe calls on
    // data prepared above and never returns.
    let pid = match &plan.cgroup {
        Some(cgroup) => match unsafe { crate::sys::clone::fork_into_cgroup(cgroup.fd()) } {
            Ok(pid) => pid,
            Err(_) => {
                move_in = Some(cgroup.procs_for_writing());
                unsafe { libc::fork() }
            }
        },
        None => unsafe { libc::fork() },
    };
    if pid < 0 {
        return Err(SpawnError::Fork(Errno::last()));
    }
    if pid == 0 {
        // SAFETY: we are the child of fork(); the pointers point into `plan`.
        unsafe {
            wait_at_gate(gate_read.as_raw_fd(), gate_write.as_raw_fd());
            match &move_in {
                // cg_attach(…, 0): "0" is the writer itself
                Some(Ok(procs)) if libc::write(procs.as_raw_fd(), b"0".as_ptr().cast(), 1) < 0 => {
                    child_fail(report_write.as_raw_fd(), ExecStep::Cgroup, errno())
                }
                Some(Err(e)) => child_fail(report_write.as_raw_fd(), ExecStep::Cgroup, *e as i32),
                _ => {}
            }
            exec_child(
                plan,
                report_write.as_raw_fd(),
                &argv_ptrs,
                &envp_ptrs,
                sig_max,
                setgroups_allowed,
            )
        }
    }
    drop(report_write);
    drop(gate_read);
    record(Pid::from_raw(pid));
    // SAFETY: write(2) of one byte from our stack to a pipe we own.
    unsafe { libc::write(gate_write.as_raw_fd(), b"1".as_ptr().cast(), 1) };
    drop(gate_write);
    Ok(Spawned {
        pid: Pid::from_raw(pid),
        exec: read_exec_report(report_read),
    })
}

/// Parent side: EOF means execve() succeeded (the pipe closed on exec).
fn read_exec_report(fd: OwnedFd) -> Result<(), (ExecStep, Errno)> {
    let mut file = std::fs::File::from(fd);
    let mut msg = [0u8; 5];
    let mut got = 0;
    while got < msg.len() {
        match std::io::Read::read(&mut file, &mut msg[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if got < msg.len() {
        return Ok(());
    }
    let step = ExecStep::from_code(msg[0]).unwrap_or(ExecStep::Exec);
    let errno = i32::from_ne_bytes([msg[1], msg[2], msg[3], msg[4]]);
    Err((step, Errno::from_raw(errno)))
}

/// Resolve a command's file as systemd does for a name without a slash: the first executable in
/// the default search path.
pub fn resolve_program(name: &str, search_path: &str) -> Option<std::path::PathBuf> {
    if name.contains('/') {
        return Some(Path::new(name).to_path_buf());
    }
    search_path
        .split(':')
        .filter(|d| d.starts_with('/'))
        .map(|d| Path::new(d).join(name))
        .find(|p| {
            let c = CString::new(p.as_os_str().as_bytes()).ok();
            // SAFETY: access(2) on a valid NUL-terminated path.
            c.is_some_and(|c| unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::wait::{waitpid, WaitStatus};
    use std::io::Read;

    fn pipe() -> (std::fs::File, OwnedFd) {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        (std::fs::File::from(r), w)
    }

    fn run_sh(script: &str, env: &[(&str, &str)]) -> (ExecPlan, std::fs::File) {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let argv = vec!["sh".to_string(), "-c".to_string(), script.to_string()];
        let mut plan = ExecPlan::new(Path::new("/bin/sh"), &argv, &env).unwrap();
        let (r, w) = pipe();
        plan.stdio[1] = Some(w);
        (plan, r)
    }

    fn finish(spawned: &Spawned, out: std::fs::File, plan: ExecPlan) -> (String, i32) {
        drop(plan);
        let mut text = String::new();
        let mut out = out;
        out.read_to_string(&mut text).unwrap();
        let code = match waitpid(spawned.pid, None).unwrap() {
            WaitStatus::Exited(_, c) => c,
            other => panic!("unexpected {other:?}"),
        };
        (text, code)
    }

    #[test]
    fn child_sees_only_the_given_environment() {
        std::env::set_var("SHIM_SPAWN_LEAK", "caller");
        let (plan, out) = run_sh("echo \"[$SHIM_SPAWN_LEAK][$A]\"", &[("A", "1 2")]);
        let s = spawn(&plan).unwrap();
        assert!(s.exec.is_ok());
        assert_eq!(finish(&s, out, plan), ("[][1 2]\n".to_string(), 0));
    }

    #[test]
    fn missing_program_reports_203_exec() {
        let argv = vec!["nope".to_string()];
        let plan = ExecPlan::new(Path::new("/nonexistent/nope"), &argv, &[]).unwrap();
        let s = spawn(&plan).unwrap();
        assert_eq!(s.exec, Err((ExecStep::Exec, Errno::ENOENT)));
        assert_eq!(
            waitpid(s.pid, None).unwrap(),
            WaitStatus::Exited(s.pid, 203)
        );
    }

    #[test]
    fn missing_working_directory_reports_200_chdir_unless_ignored() {
        let (mut plan, _out) = run_sh("true", &[]);
        plan.working_directory(Path::new("/nonexistent"), false)
            .unwrap();
        let s = spawn(&plan).unwrap();
        assert_eq!(s.exec, Err((ExecStep::Chdir, Errno::ENOENT)));
        assert_eq!(
            waitpid(s.pid, None).unwrap(),
            WaitStatus::Exited(s.pid, 200)
        );

        let (mut plan, out) = run_sh("pwd", &[]);
        plan.working_directory(Path::new("/nonexistent"), true)
            .unwrap();
        let s = spawn(&plan).unwrap();
        assert!(s.exec.is_ok());
        assert_eq!(finish(&s, out, plan).1, 0);
    }

    #[test]
    fn listen_fds_start_at_3_and_listen_pid_is_the_child() {
        let (r, w) = pipe();
        let (mut plan, out) = run_sh(
            "echo \"$LISTEN_FDS $LISTEN_FDNAMES $LISTEN_PID $$\"; echo passed >&3",
            &[],
        );
        plan.listen_fds(vec![w], &["x.socket".to_string()]).unwrap();
        let s = spawn(&plan).unwrap();
        let (text, code) = finish(&s, out, plan);
        assert_eq!(code, 0);
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(&words[..2], &["1", "x.socket"]);
        assert_eq!(words[2], words[3], "LISTEN_PID must be the exec'd process");
        assert_eq!(words[2], s.pid.to_string());
        let mut passed = String::new();
        let mut r = r;
        r.read_to_string(&mut passed).unwrap();
        assert_eq!(passed, "passed\n");
    }

    #[test]
    fn no_other_fd_crosses_exec() {
        // A non-CLOEXEC fd of the parent must not reach the service.
        let (_r, w) = nix::unistd::pipe().unwrap();
        let leaked = w.as_raw_fd();
        let (plan, out) = run_sh(
            &format!("[ -e /proc/self/fd/{leaked} ] && echo leaked || echo clean"),
            &[],
        );
        let s = spawn(&plan).unwrap();
        assert_eq!(finish(&s, out, plan).0, "clean\n");
    }

    #[test]
    fn child_runs_in_a_new_session() {
        let (plan, out) = run_sh("cut -d' ' -f6 /proc/$$/stat", &[]);
        let s = spawn(&plan).unwrap();
        let (text, _) = finish(&s, out, plan);
        assert_eq!(text.trim(), s.pid.to_string());
    }

    #[test]
    fn a_child_that_cannot_be_born_in_its_cgroup_moves_itself_in() {
        // a directory that is no cgroup: clone3() refuses it, so the child is forked and
        // writes "0" to the cgroup.procs it was given, as 252's child does
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cgroup.procs"), "").unwrap();
        let (mut plan, out) = run_sh("echo ran", &[]);
        plan.cgroup = Some(crate::sys::cgroup::Cgroup::open(dir.path()).unwrap());
        let spawned = spawn(&plan).unwrap();
        let (text, status) = finish(&spawned, out, plan);
        assert_eq!((text.as_str(), status), ("ran\n", 0));
        let written = std::fs::read_to_string(dir.path().join("cgroup.procs")).unwrap();
        assert_eq!(written, "0");
    }

    #[test]
    fn a_child_without_its_cgroup_fails_at_step_cgroup() {
        let dir = tempfile::tempdir().unwrap();
        let (mut plan, _out) = run_sh("echo ran", &[]);
        plan.cgroup = Some(crate::sys::cgroup::Cgroup::open(dir.path()).unwrap());
        let spawned = spawn(&plan).unwrap();
        assert!(matches!(
            spawned.exec,
            Err((ExecStep::Cgroup, Errno::ENOENT))
        ));
        let status = nix::sys::wait::waitpid(spawned.pid, None).unwrap();
        assert_eq!(status, nix::sys::wait::WaitStatus::Exited(spawned.pid, 219));
    }
}
