//! The client side of the control channel: find the running manager, or start one and wait until
//! it says it serves (the readiness byte on an inherited pipe, as sd_notify's READY=1 would be),
//! and ask it in queries of bounded size. systemctl's bus_connect_system_systemd() finds PID 1's
//! private socket; a container without systemd may have no manager yet, so the first state change
//! starts one.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use thiserror::Error;

use super::context::{RuntimeContext, RUNTIME_DIR_ENV};
use super::protocol::{Reply, Request};
use super::{query_chunks, Connection};

/// The first argument that runs the binary as the manager.
pub const MANAGER_FLAG: &str = "--manager-daemon";

/// The manager lives long and allocates little: mimalloc's default of committing whole arenas up
/// front would be most of its memory. Commit on demand and return at once. (mimalloc reads these
/// when it first needs each option; an init sets them itself before anything else runs.)
pub const MANAGER_ALLOCATOR_ENV: [(&str, &str); 4] = [
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
    ("MIMALLOC_EAGER_COMMIT", "0"),
    ("MIMALLOC_PURGE_DELAY", "0"),
    ("MIMALLOC_ARENA_RESERVE", "1024"),
];

/// Environment variable naming the fd on which a freshly started manager says it is ready.
pub const READY_FD_ENV: &str = "SYSTEMCTL_SHIM_READY_FD";

#[derive(Debug, Error)]
pub enum ClientError {
    #[error("Failed to start the service manager: {0}")]
    Start(String),
    #[error("Failed to connect to the service manager.")]
    Connect,
}

/// A connection to the running manager, if one answers.
pub fn connect_running() -> Option<Connection> {
    let ctx = RuntimeContext::find_running()?;
    if ctx.manager_dying() {
        return None;
    }
    let stream = UnixStream::connect(ctx.control_socket()).ok()?;
    Connection::new(stream).ok()
}

/// Start a manager in the background and wait until it serves.
fn start_manager() -> Result<(), ClientError> {
    let failed = ClientError::Start;
    let exe = std::env::current_exe().map_err(|e| failed(e.to_string()))?;
    let (ready_read, ready_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| failed(e.to_string()))?;
    let child_fd = ready_write.as_raw_fd();
    let mut command = Command::new(exe);
    command
        .arg(MANAGER_FLAG)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env(READY_FD_ENV, child_fd.to_string())
        .env("SYSTEMCTL_SHIM_QUIET", "1")
        .envs(MANAGER_ALLOCATOR_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for keep in [RUNTIME_DIR_ENV, "XDG_RUNTIME_DIR", "TMPDIR", "LANG", "TZ"] {
        if let Some(v) = std::env::var_os(keep) {
            command.env(keep, v);
        }
    }
    // SAFETY: only async-signal-safe calls (setsid, fcntl) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::setsid();
            let flags = libc::fcntl(child_fd, libc::F_GETFD);
            libc::fcntl(child_fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            Ok(())
        });
    }
    command.spawn().map_err(|e| failed(e.to_string()))?;
    drop(ready_write);
    let mut answer = [0u8; 1];
    let mut file = std::fs::File::from(ready_read);
    match file.read(&mut answer) {
        Ok(1) if answer[0] == b'1' => Ok(()),
        _ => Err(failed("it did not come up".into())),
    }
}

/// The running manager, started if needed.
pub fn connect_or_start() -> Result<Connection, ClientError> {
    if let Some(c) = connect_running() {
        return Ok(c);
    }
    start_manager()?;
    connect_running().ok_or(ClientError::Connect)
}

/// One query per [`query_chunks`] slice of `units` on `conn`, the answers joined in order;
/// `None` if any query fails.
pub fn ask_in_chunks<T>(
    conn: &mut Connection,
    units: &[String],
    query: impl Fn(Vec<String>) -> Request,
    answer: fn(Reply) -> Option<Vec<T>>,
) -> Option<Vec<T>> {
    let mut answers = Vec::with_capacity(units.len());
    for chunk in query_chunks(units) {
        answers.extend(answer(conn.call(&query(chunk.to_vec())).ok()?)?);
    }
    Some(answers)
}
