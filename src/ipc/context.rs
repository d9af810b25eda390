//! Where the manager keeps its runtime state: one writable directory holding the control socket,
//! the notification socket, the persisted state and the per-unit logs (volatile, as journald's
//! are in a container: `/run/log/journal`). Everything that touches the outside world takes its
//! paths from here, so tests run hermetically and the non-root, read-only-root mode is the same
//! code.
//!
//! The directory is the first usable of: `$SYSTEMCTL_SHIM_RUNTIME_DIR`; `/run/systemctl-shim`
//! (root, or any uid that may write there); `$XDG_RUNTIME_DIR/systemctl-shim`;
//! `$TMPDIR/systemctl-shim-UID` (or `/tmp/…`). A client looks through the same list for a control
//! socket, so both ends agree without configuration; failing that, through the list PID 1 would
//! have made (its uid, and its environment when readable), so that `docker exec -u root` finds
//! the init of a container that runs as another uid (OpenShift's arbitrary uids).

use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

pub const RUNTIME_DIR_ENV: &str = "SYSTEMCTL_SHIM_RUNTIME_DIR";
/// The directory of the machine's system manager.
pub const SYSTEM_RUNTIME_DIR: &str = "/run/systemctl-shim";

#[derive(Debug, Error)]
pub enum ContextError {
    #[error("No writable runtime directory: tried {tried}")]
    NoRuntimeDir { tried: String },
    #[error("Runtime directory {} belongs to uid {owner}, not to us ({uid})", path.display())]
    NotOurs { path: PathBuf, owner: u32, uid: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeContext {
    pub runtime_dir: PathBuf,
    pub uid: u32,
}

fn candidates(uid: u32) -> Vec<PathBuf> {
    candidates_with(uid, &|var| std::env::var(var).ok())
}

/// The candidate directories of a process with `uid` whose environment `getenv` reads.
fn candidates_with(uid: u32, getenv: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let env_dir = |var: &str| {
        getenv(var)
            .filter(|v| v.starts_with('/'))
            .map(PathBuf::from)
    };
    if let Some(dir) = env_dir(RUNTIME_DIR_ENV) {
        return vec![dir];
    }
    let mut out = vec![PathBuf::from(SYSTEM_RUNTIME_DIR)];
    if let Some(xdg) = env_dir("XDG_RUNTIME_DIR") {
        out.push(xdg.join("systemctl-shim"));
    }
    let tmp = env_dir("TMPDIR").unwrap_or_else(|| PathBuf::from("/tmp"));
    out.push(tmp.join(format!("systemctl-shim-{uid}")));
    out
}

/// A directory the manager may keep its state in: ours, not a symlink, and writable by nobody
/// else (a root manager falling back to a shared /tmp must not use a directory someone planted).
fn usable_by(dir: &Path, uid: u32) -> bool {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return false;
    };
    if meta.mode() & 0o022 != 0 {
        return false;
    }
    // SAFETY: access(2) on a NUL-terminated path we built.
    let writable = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())
        .map(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0)
        .unwrap_or(false);
    meta.is_dir() && writable && meta.uid() == uid
}

/// The real uid of PID 1 (as /proc/1/status says; anyone may read it) and its environment, when
/// this process may read it (root, or the same uid).
fn pid1_identity() -> Option<(u32, Vec<(String, String)>)> {
    let status = fs::read_to_string("/proc/1/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let env = fs::read("/proc/1/environ")
        .map(|raw| {
            raw.split(|b| *b == 0)
                .filter_map(|kv| {
                    let kv = String::from_utf8_lossy(kv);
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    Some((uid, env))
}

/// The first candidate directory holding `entry`: ours, then PID 1's. A directory of PID 1's
/// list must belong to PID 1's uid and be writable by nobody else (as the manager made it), so
/// that a root client is not sent to a socket someone else planted in a shared /tmp.
fn find_with(entry: &str) -> Option<RuntimeContext> {
    let found = |dir: PathBuf| {
        let meta = fs::metadata(dir.join(entry)).ok()?;
        Some(RuntimeContext {
            runtime_dir: dir,
            uid: meta.uid(),
        })
    };
    let uid = nix::unistd::geteuid().as_raw();
    let ours = candidates(uid);
    if let Some(ctx) = ours.iter().cloned().find_map(found) {
        return Some(ctx);
    }
    let (init_uid, env) = pid1_identity()?;
    let getenv = |var: &str| env.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone());
    candidates_with(init_uid, &getenv)
        .into_iter()
        .filter(|dir| !ours.contains(dir))
        .filter(|dir| {
            fs::symlink_metadata(dir)
                .is_ok_and(|m| m.is_dir() && m.uid() == init_uid && m.mode() & 0o022 == 0)
        })
        .find_map(found)
}

impl RuntimeContext {
    /// For the manager: the first candidate directory it can create or write, made 0755.
    pub fn for_manager() -> Result<RuntimeContext, ContextError> {
        let uid = nix::unistd::geteuid().as_raw();
        let list = candidates(uid);
        for dir in &list {
            if !dir.exists() {
                let _ = fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(dir);
            }
            if usable_by(dir, uid) {
                return Ok(RuntimeContext {
                    runtime_dir: dir.clone(),
                    uid,
                });
            }
        }
        Err(ContextError::NoRuntimeDir {
            tried: list
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// For a client: the directory of a running manager, if there is one. Any uid may look.
    pub fn find_running() -> Option<RuntimeContext> {
        find_with("control.sock")
    }

    /// For `journalctl`: the directory holding logs, whether or not a manager still runs.
    pub fn find_logs() -> Option<RuntimeContext> {
        find_with("log")
    }

    /// Whether the manager that wrote `manager.pid` is dying: its process is gone or its
    /// thread-group leader a zombie. A killed manager's bus threads outlive its main thread for
    /// a moment and keep its control socket open; a client connecting then would be reset.
    pub fn manager_dying(&self) -> bool {
        let Some(pid) = fs::read_to_string(self.runtime_dir.join("manager.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        else {
            return false;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return true;
        };
        // the state follows the command name, which may hold spaces and parentheses
        let state = stat
            .rfind(')')
            .and_then(|at| stat[at + 1..].trim_start().chars().next());
        matches!(state, Some('Z') | Some('X'))
    }

    pub fn control_socket(&self) -> PathBuf {
        self.runtime_dir.join("control.sock")
    }

    pub fn notify_socket(&self) -> PathBuf {
        self.runtime_dir.join("notify.sock")
    }

    pub fn state_file(&self) -> PathBuf {
        self.runtime_dir.join("state.json")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.runtime_dir.join("log")
    }

    /// The machine's system manager, which owns `/run/systemd` (generators, journal sockets);
    /// a manager in any other directory (a test's, a non-root one) keeps to its own.
    pub fn is_system(&self) -> bool {
        self.runtime_dir == Path::new(SYSTEM_RUNTIME_DIR)
    }

    /// Where the journal's sockets are: journald's `/run/systemd/journal` for the system
    /// manager, else a directory of its own.
    pub fn journal_dir(&self) -> PathBuf {
        if self.is_system() {
            PathBuf::from("/run/systemd/journal")
        } else {
            self.runtime_dir.join("journal")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_process_candidates_follow_its_uid_and_environment() {
        let xdg = |var: &str| match var {
            "XDG_RUNTIME_DIR" => Some("/run/user/42".to_string()),
            "TMPDIR" => Some("relative/ignored".to_string()),
            _ => None,
        };
        assert_eq!(
            candidates_with(42, &xdg),
            [
                "/run/systemctl-shim",
                "/run/user/42/systemctl-shim",
                "/tmp/systemctl-shim-42"
            ]
            .map(PathBuf::from)
        );
        let explicit = |var: &str| (var == RUNTIME_DIR_ENV).then(|| "/srv/rt".to_string());
        assert_eq!(candidates_with(7, &explicit), [PathBuf::from("/srv/rt")]);
    }

    #[test]
    fn explicit_directory_wins_and_clients_find_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let rt = dir.path().join("rt");
        std::env::set_var(RUNTIME_DIR_ENV, &rt);
        let ctx = RuntimeContext::for_manager().unwrap();
        assert_eq!(ctx.runtime_dir, rt);
        assert!(rt.is_dir());
        assert!(RuntimeContext::find_running().is_none());
        let _listener = std::os::unix::net::UnixListener::bind(ctx.control_socket()).unwrap();
        assert_eq!(RuntimeContext::find_running().unwrap().runtime_dir, rt);
        std::env::remove_var(RUNTIME_DIR_ENV);
    }
}
