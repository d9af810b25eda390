//! `systemd-notify` (systemd-notify(1)) as systemd 252's notify.c, reached through the multi-call
//! binary: one sd_notify(3) datagram to `$NOTIFY_SOCKET` (a path, or `@name` in the abstract
//! namespace), sent as from the calling shell (our parent) with SCM_CREDENTIALS where the kernel
//! allows it, and by default followed by a `BARRIER=1` that waits until the manager has read it.
//! `--booted` is sd_booted(3). Beyond 252, `--stopping` and `--reloading` (systemd 253) are taken.
//!
//! Also here, for every tool of this multi-call binary that mirrors one of systemd's small
//! programs: the end of their `main()`, which on failure sends `ERRNO=` to `$NOTIFY_SOCKET`
//! before exiting 1 (systemd's DEFINE_MAIN_FUNCTION), so a script's failing call is reported to
//! the service manager as systemd's would be.

use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{
    self, sendmsg, setsockopt, sockopt, AddressFamily, ControlMessage, MsgFlags, SockFlag,
    SockType, UnixAddr, UnixCredentials,
};
use nix::unistd::{getegid, geteuid, getgid, getpid, getppid, getuid};

use super::getopt::{argv_strings, Getopt, HasArg, OptSpec};

/// How long the barrier waits for the manager to take the message (notify.c: 5 s).
const BARRIER_TIMEOUT: Duration = Duration::from_secs(5);
/// sd-daemon's send buffer, so a long STATUS= still fits in one datagram.
const SEND_BUFFER_SIZE: usize = 8 * 1024 * 1024;
/// Where sd_booted(3) looks; the manager creates it while it runs. The trailing slash makes a
/// file that is not a directory count as "not booted", as in sd-daemon.c.
const BOOTED_MARKER: &str = "/run/systemd/system/";

/// How one of these tools failed: what it prints (if anything) and the errno its `main()`
/// reports as `ERRNO=` before exiting 1.
#[derive(Debug)]
pub(super) struct ToolError {
    pub message: Option<String>,
    pub errno: Errno,
}

impl ToolError {
    pub fn new(errno: Errno, message: impl Into<String>) -> ToolError {
        ToolError {
            message: Some(message.into()),
            errno,
        }
    }

    /// A failure whose words were printed already (getopt's, or the help text).
    pub fn quiet(errno: Errno) -> ToolError {
        ToolError {
            message: None,
            errno,
        }
    }
}

/// systemd's DEFINE_MAIN_FUNCTION_WITH_POSITIVE_FAILURE: a failure is printed, reported to the
/// service manager as `ERRNO=` (if we run under one) and ends with 1; otherwise the tool's own
/// exit status.
pub(super) fn exit_status(result: Result<u8, ToolError>) -> u8 {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    match result {
        Ok(code) => code,
        Err(e) => {
            if let Some(message) = e.message {
                eprintln!("{message}");
            }
            let _ = pid_notify(0, format!("ERRNO={}", e.errno as i32).as_bytes(), &[]);
            1
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Help,
    Version,
    Ready,
    Reloading,
    Stopping,
    Pid,
    Status,
    Booted,
    Uid,
    NoBlock,
}

/// notify.c's options, in its order (glibc lists ambiguous abbreviations so).
const OPTIONS: &[OptSpec<Opt>] = &[
    OptSpec::both('h', "help", HasArg::No, Opt::Help),
    OptSpec::long("version", HasArg::No, Opt::Version),
    OptSpec::long("ready", HasArg::No, Opt::Ready),
    // Newer than 252: only spelled out, so that `--re` and `--s` keep meaning --ready and
    // --status as they do in 252.
    OptSpec::long("reloading", HasArg::No, Opt::Reloading).spelled_out(),
    OptSpec::long("stopping", HasArg::No, Opt::Stopping).spelled_out(),
    OptSpec::long("pid", HasArg::Optional, Opt::Pid),
    OptSpec::long("status", HasArg::Required, Opt::Status),
    OptSpec::long("booted", HasArg::No, Opt::Booted),
    OptSpec::long("uid", HasArg::Required, Opt::Uid),
    OptSpec::long("no-block", HasArg::No, Opt::NoBlock),
];

fn help_text(program: &str) -> String {
    format!(
        "{program} [OPTIONS...] [VARIABLE=VALUE...]\n\
         \n\
         Notify the init system about service status updates.\n\
         \n\
         \x20 -h --help            Show this help\n\
         \x20    --version         Show package version\n\
         \x20    --ready           Inform the init system about service start-up completion\n\
         \x20    --reloading       Inform the service manager about configuration reloading\n\
         \x20    --stopping        Inform the service manager about service shutdown\n\
         \x20    --pid[=PID]       Set main PID of daemon\n\
         \x20    --uid=USER        Set user to send from\n\
         \x20    --status=TEXT     Set status text\n\
         \x20    --booted          Check if the system was booted up with systemd\n\
         \x20    --no-block        Do not wait until operation finished\n\
         \n\
         See the systemd-notify(1) man page for details."
    )
}

#[derive(Debug, Default)]
struct Args {
    ready: bool,
    reloading: bool,
    stopping: bool,
    /// `MAINPID=`, resolved when the option was read (as notify.c does).
    main_pid: Option<i32>,
    status: Option<String>,
    booted: bool,
    /// Real uid (and gid, when the user is known) to send as.
    sender: Option<(u32, Option<u32>)>,
    no_block: bool,
    assignments: Vec<String>,
}

/// What the command line asks for.
enum Request {
    /// Help or version was printed; nothing else to do.
    Done,
    Notify(Args),
}

/// `$MANAGERPID`, which a `systemd --user` sets for its services: its pid is as wrong a sender as
/// PID 1's.
fn manager_pid() -> Option<i32> {
    let value = std::env::var("MANAGERPID").ok()?;
    match parse_pid(&value) {
        Ok(pid) => Some(pid),
        Err(_) => {
            eprintln!("$MANAGERPID is set to an invalid PID, ignoring: {value}");
            None
        }
    }
}

/// Our parent, unless that is PID 1 or the service manager, whose name it would be confusing to
/// send in.
fn parent_unless_manager() -> Option<i32> {
    let parent = getppid().as_raw();
    (parent > 1 && manager_pid() != Some(parent)).then_some(parent)
}

/// systemd's `parse_pid()`: decimal as strtoul() reads it (leading blanks and a sign allowed,
/// a negative number out of range), positive, an int.
fn parse_pid(s: &str) -> Result<i32, Errno> {
    let unsigned = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match unsigned.as_bytes().first() {
        Some(b'-') => (true, &unsigned[1..]),
        Some(b'+') => (false, &unsigned[1..]),
        _ => (false, unsigned),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Errno::EINVAL);
    }
    match digits.parse::<u64>() {
        Ok(n) if !negative && n > 0 && n <= i32::MAX as u64 => Ok(n as i32),
        _ => Err(Errno::ERANGE),
    }
}

/// systemd's `parse_uid()`: strictly decimal, no sign, blank or leading zero; not -1 or 65535.
fn parse_uid(s: &str) -> Result<u32, Errno> {
    let well_formed = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && !(s.starts_with('0') && s.len() > 1);
    if !well_formed {
        return Err(Errno::EINVAL);
    }
    match s.parse::<u32>() {
        Ok(u32::MAX) | Ok(65535) => Err(Errno::ENXIO),
        Ok(uid) => Ok(uid),
        Err(_) => Err(Errno::ERANGE),
    }
}

/// systemd's `get_user_creds()` as notify.c calls it: root and nobody without a lookup, a user
/// name or a numeric uid from the user database, and an unknown number accepted as a bare uid.
fn resolve_sender(user: &str) -> Result<(u32, Option<u32>), Errno> {
    if user == "root" || user == "0" {
        return Ok((0, Some(0)));
    }
    if (user == "nobody" || user == "65534")
        && !std::path::Path::new("/etc/systemd/dont-synthesize-nobody").exists()
    {
        return Ok((65534, Some(65534)));
    }
    let accounts = crate::sys::accounts::Accounts::host();
    let entry = match parse_uid(user) {
        Ok(uid) => accounts.user_by_uid(uid),
        Err(_) => accounts.users.iter().find(|u| u.name == user),
    };
    match entry {
        Some(u) => Ok((u.uid, Some(u.gid))),
        None => parse_uid(user).map(|uid| (uid, None)),
    }
}

fn parse_args(argv: Vec<String>) -> Result<Request, ToolError> {
    let program = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
        .unwrap_or_default();
    let mut args = Args::default();
    let mut getopt = Getopt::new(argv, OPTIONS);
    for item in getopt.by_ref() {
        let (opt, value) = item.map_err(|message| ToolError::new(Errno::EINVAL, message))?;
        match opt {
            Opt::Help => {
                println!("{}", help_text(&program));
                return Ok(Request::Done);
            }
            Opt::Version => {
                println!("{}", super::VERSION_TEXT);
                return Ok(Request::Done);
            }
            Opt::Ready => args.ready = true,
            Opt::Reloading => args.reloading = true,
            Opt::Stopping => args.stopping = true,
            Opt::Pid => {
                let pid = match value.as_deref() {
                    None | Some("") | Some("auto") => {
                        parent_unless_manager().unwrap_or_else(|| getpid().as_raw())
                    }
                    Some("parent") => getppid().as_raw(),
                    Some("self") => getpid().as_raw(),
                    Some(v) => parse_pid(v)
                        .map_err(|e| ToolError::new(e, format!("Failed to parse PID {v}.")))?,
                };
                args.main_pid = Some(pid);
            }
            Opt::Status => args.status = value,
            Opt::Booted => args.booted = true,
            Opt::Uid => {
                let user = value.unwrap_or_default();
                let sender = resolve_sender(&user).map_err(|e| {
                    ToolError::new(
                        e,
                        format!(
                            "Can't resolve user {user}: {}",
                            crate::errno::text(&e.into())
                        ),
                    )
                })?;
                args.sender = Some(sender);
            }
            Opt::NoBlock => args.no_block = true,
        }
    }
    args.assignments = getopt.into_operands();
    let something_to_do = args.ready
        || args.reloading
        || args.stopping
        || args.status.is_some()
        || args.main_pid.is_some()
        || args.booted
        || !args.assignments.is_empty();
    if !something_to_do {
        println!("{}", help_text(&program));
        return Err(ToolError::quiet(Errno::EINVAL));
    }
    Ok(Request::Notify(args))
}

/// strv_env_merge() of notify.c: each assignment replaces an earlier one of the same variable in
/// place, or is appended. An entry's key is everything up to and including its first `=` (the
/// whole entry if it has none), and replaces the first earlier entry starting with that key —
/// so a bare `A` replaces `A=1`, but `A=1` does not replace a bare `A`.
fn merge_assignments(ours: Vec<String>, given: &[String]) -> Vec<String> {
    let mut merged: Vec<String> = Vec::new();
    for entry in ours.into_iter().chain(given.iter().cloned()) {
        let key_len = entry.find('=').map_or(entry.len(), |i| i + 1);
        match merged.iter_mut().find(|m| m.starts_with(&entry[..key_len])) {
            Some(slot) => *slot = entry,
            None => merged.push(entry),
        }
    }
    merged
}

/// `MONOTONIC_USEC=` of a reload: CLOCK_MONOTONIC now, which the manager compares with its own.
fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime into a timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

/// The datagram's lines, in notify.c's order, then the command line's assignments.
fn message_lines(args: &Args) -> Vec<String> {
    let mut ours = Vec::new();
    if args.reloading {
        ours.push("RELOADING=1".to_string());
        ours.push(format!("MONOTONIC_USEC={}", monotonic_usec()));
    }
    if args.ready {
        ours.push("READY=1".to_string());
    }
    if args.stopping {
        ours.push("STOPPING=1".to_string());
    }
    if let Some(status) = &args.status {
        ours.push(format!("STATUS={status}"));
    }
    if let Some(pid) = args.main_pid {
        ours.push(format!("MAINPID={pid}"));
    }
    merge_assignments(ours, &args.assignments)
}

/// `$NOTIFY_SOCKET` as an address: an absolute path or `@name`, which must fit sun_path with
/// room for a terminating NUL.
fn notify_address(value: &str) -> Result<UnixAddr, Errno> {
    const SUN_PATH_MAX: usize = 108;
    if value.len() < 2 {
        return Err(Errno::EINVAL);
    }
    if let Some(name) = value.strip_prefix('@') {
        if value.len() >= SUN_PATH_MAX {
            return Err(Errno::EINVAL);
        }
        return UnixAddr::new_abstract(name.as_bytes());
    }
    if !value.starts_with('/') {
        return Err(Errno::EINVAL);
    }
    if value.len() >= SUN_PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    UnixAddr::new(value)
}

/// sd-daemon's fd_inc_sndbuf(): ask for a large send buffer, by force if we may; failing that,
/// the default one is used.
fn enlarge_send_buffer(fd: &OwnedFd) {
    let _ = setsockopt(fd, sockopt::SndBuf, &SEND_BUFFER_SIZE);
    let large_enough =
        socket::getsockopt(fd, sockopt::SndBuf).is_ok_and(|size| size >= 2 * SEND_BUFFER_SIZE);
    if !large_enough {
        let _ = setsockopt(fd, sockopt::SndBufForce, &SEND_BUFFER_SIZE);
    }
}

/// sd_pid_notify_with_fds(): send `message` (and `fds`) to `$NOTIFY_SOCKET` as coming from `pid`
/// (0: ourselves). Ok(false) when there is no `$NOTIFY_SOCKET`. Credentials naming another pid
/// (or a changed real uid) are attached where the kernel allows it (CAP_SYS_ADMIN for a pid not
/// ours); where it does not, the message goes out with our own, as sd-daemon does.
fn pid_notify(pid: i32, message: &[u8], fds: &[i32]) -> Result<bool, Errno> {
    let Some(value) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(false);
    };
    let address = notify_address(&value.to_string_lossy())?;
    let fd = socket::socket(
        AddressFamily::Unix,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    enlarge_send_buffer(&fd);
    let own_pid = getpid().as_raw();
    let send_credentials =
        (pid != 0 && pid != own_pid) || getuid() != geteuid() || getgid() != getegid();
    let credentials = UnixCredentials::from(libc::ucred {
        pid: if pid != 0 { pid } else { own_pid },
        uid: getuid().as_raw(),
        gid: getgid().as_raw(),
    });
    let iov = [IoSlice::new(message)];
    let mut control = Vec::new();
    if !fds.is_empty() {
        control.push(ControlMessage::ScmRights(fds));
    }
    if send_credentials {
        control.push(ControlMessage::ScmCredentials(&credentials));
    }
    let send = |control: &[ControlMessage]| {
        sendmsg(
            fd.as_raw_fd(),
            &iov,
            control,
            MsgFlags::MSG_NOSIGNAL,
            Some(&address),
        )
    };
    match send(&control) {
        Ok(_) => Ok(true),
        Err(_) if send_credentials => {
            control.pop();
            send(&control).map(|_| true)
        }
        Err(e) => Err(e),
    }
}

/// sd_notify_barrier(): send `BARRIER=1` with the write end of a pipe and wait until the manager
/// has read (and so closed) it.
fn notify_barrier(timeout: Duration) -> Result<bool, Errno> {
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    if !pid_notify(0, b"BARRIER=1", &[write_end.as_raw_fd()])? {
        return Ok(false);
    }
    drop(write_end);
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut poll = [nix::poll::PollFd::new(
            read_end.as_fd(),
            nix::poll::PollFlags::empty(),
        )];
        // Rounded up, so that a timeout is only reported once the deadline has passed.
        let millis = u16::try_from(left.as_micros().div_ceil(1000)).unwrap_or(u16::MAX);
        // POLLHUP, which poll() always reports, is the manager closing its copy.
        match nix::poll::poll(&mut poll, millis) {
            Ok(0) if Instant::now() >= deadline => return Err(Errno::ETIMEDOUT),
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => return Ok(true),
            Err(e) => return Err(e),
        }
    }
}

/// sd_booted(): the marker directory the manager creates while it runs.
fn booted() -> bool {
    nix::unistd::access(BOOTED_MARKER, nix::unistd::AccessFlags::F_OK).is_ok()
}

/// Switch the real uid/gid only, keeping root's effective ids: the kernel then lets us claim
/// the new ids in SCM_CREDENTIALS, which sd-daemon fills from the real ones.
fn become_sender(uid: u32, gid: Option<u32>) -> Result<(), ToolError> {
    const UNCHANGED: u32 = u32::MAX;
    if let Some(gid) = gid {
        // SAFETY: plain system call, no memory is shared with it.
        if unsafe { libc::setregid(gid, UNCHANGED) } < 0 {
            let e = Errno::last();
            return Err(ToolError::new(
                e,
                format!("Failed to change GID: {}", crate::errno::text(&e.into())),
            ));
        }
    }
    // SAFETY: as above.
    if unsafe { libc::setreuid(uid, UNCHANGED) } < 0 {
        let e = Errno::last();
        return Err(ToolError::new(
            e,
            format!("Failed to change UID: {}", crate::errno::text(&e.into())),
        ));
    }
    Ok(())
}

fn not_set() -> ToolError {
    ToolError::new(
        Errno::EOPNOTSUPP,
        "No status data could be sent: $NOTIFY_SOCKET was not set",
    )
}

fn run(argv: Vec<String>) -> Result<u8, ToolError> {
    let args = match parse_args(argv)? {
        Request::Done => return Ok(0),
        Request::Notify(args) => args,
    };
    if args.booted {
        return Ok(if booted() { 0 } else { 1 });
    }
    let lines = message_lines(&args);
    if lines.is_empty() {
        return Ok(0);
    }
    let message = lines.join("\n");
    if let Some((uid, gid)) = args.sender {
        become_sender(uid, gid)?;
    }
    // Sent as from the shell script that called us, the service's process, not from us: we may be
    // gone before the manager looks at who sent it.
    let source_pid = args.main_pid.or_else(parent_unless_manager).unwrap_or(0);
    let failed = |e: Errno, what: &str| {
        ToolError::new(e, format!("{what}: {}", crate::errno::text(&e.into())))
    };
    if !pid_notify(source_pid, message.as_bytes(), &[])
        .map_err(|e| failed(e, "Failed to notify init system"))?
    {
        return Err(not_set());
    }
    if !args.no_block
        && !notify_barrier(BARRIER_TIMEOUT).map_err(|e| failed(e, "Failed to invoke barrier"))?
    {
        return Err(not_set());
    }
    Ok(0)
}

/// Run `systemd-notify` with the given argv (including argv[0]); returns the exit status.
pub fn systemd_notify_main<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    exit_status(run(argv_strings(argv)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn assignments_merge_like_strv_env_merge() {
        let merge =
            |ours: &[&str], given: &[&str]| merge_assignments(strings(ours), &strings(given));
        assert_eq!(merge(&["READY=1"], &["READY=0"]), ["READY=0"]);
        assert_eq!(merge(&[], &["A=1", "A=2"]), ["A=2"]);
        assert_eq!(merge(&[], &["foo", "A=1", "foo"]), ["foo", "A=1"]);
        assert_eq!(merge(&[], &["A=1", "A"]), ["A"]);
        assert_eq!(merge(&[], &["A", "A=1"]), ["A", "A=1"]);
        assert_eq!(
            merge(&["STATUS=x"], &["STATUS=y", "B=2"]),
            ["STATUS=y", "B=2"]
        );
    }

    #[test]
    fn pids_and_uids_parse_as_systemd_parses_them() {
        assert_eq!(parse_pid("42"), Ok(42));
        assert_eq!(parse_pid(" +42"), Ok(42));
        assert_eq!(parse_pid("0"), Err(Errno::ERANGE));
        assert_eq!(parse_pid("abc"), Err(Errno::EINVAL));
        assert_eq!(parse_pid("-5"), Err(Errno::ERANGE));
        assert_eq!(parse_pid("-x"), Err(Errno::EINVAL));
        assert_eq!(parse_pid("4294967296"), Err(Errno::ERANGE));
        assert_eq!(parse_uid("1000"), Ok(1000));
        assert_eq!(parse_uid("01000"), Err(Errno::EINVAL));
        assert_eq!(parse_uid("65535"), Err(Errno::ENXIO));
        assert_eq!(parse_uid("4294967296"), Err(Errno::ERANGE));
    }

    #[test]
    fn socket_addresses_are_checked_as_sd_daemon_checks_them() {
        assert_eq!(notify_address("relative").err(), Some(Errno::EINVAL));
        assert_eq!(notify_address("@").err(), Some(Errno::EINVAL));
        assert!(notify_address("@x").is_ok());
        let long_path = format!("/{}", "a".repeat(107));
        assert_eq!(notify_address(&long_path).err(), Some(Errno::ENAMETOOLONG));
        assert!(notify_address(&long_path[..107]).is_ok());
        let long_name = format!("@{}", "a".repeat(107));
        assert_eq!(notify_address(&long_name).err(), Some(Errno::EINVAL));
    }
}
