//! Where the manager keeps its runtime state: one writable directory holding the control socket,
//! the notification socket, the persisted state and the per-unit logs (volatile, as journald's
//! are in a container: `/run/log/journal`). Everything that touches the outside world takes its
//! paths from here, so tests run hermetically and the non-root, read-only-root mode is the same
//! code.
//!
//! The directory is the first usable of: `$SYSTEMCTL_SHIM_RUNTIME_DIR`; `/run/systemctl-shim`
//! (root, or any uid that may write there); `$XDG_RUNTIME_DIR/systemctl-shim`;
//! `$TMPDIR/systemctl-shim-UID` (or `/tmp/…`). A client looks through the same list for a control
//! socket, so both ends agree without configuration.

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
    let env_dir = |var: &str| {
        std::env::var(var)
            .ok()
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
        let uid = nix::unistd::geteuid().as_raw();
        candidates(uid).into_iter().find_map(|dir| {
            let meta = fs::metadata(dir.join("control.sock")).ok()?;
            Some(RuntimeContext {
                runtime_dir: dir,
                uid: meta.uid(),
            })
        })
    }

    /// For `journalctl`: the directory holding logs, whether or not a manager still runs.
    pub fn find_logs() -> Option<RuntimeContext> {
        let uid = nix::unistd::geteuid().as_raw();
        candidates(uid).into_iter().find_map(|dir| {
            let meta = fs::metadata(dir.join("log")).ok()?;
            Some(RuntimeContext {
                runtime_dir: dir,
                uid: meta.uid(),
            })
        })
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
