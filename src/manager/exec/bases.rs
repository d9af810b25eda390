//! Where the `RuntimeDirectory=` family goes: each setting with its base directory, variable and
//! exit status, and the bases of a system or user manager (systemd 252's
//! exec_directory_type_to_string() and the prefixes of src/core/execute.c; systemd.exec(5)).

use std::fs;
use std::path::{Path, PathBuf};

use crate::unit::model::ExecSettings;

/// The `…Directory=` settings, each with its base directory, variable and exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryKind {
    Runtime,
    State,
    Cache,
    Logs,
    Configuration,
}

impl DirectoryKind {
    pub(super) const ALL: [DirectoryKind; 5] = [
        DirectoryKind::Runtime,
        DirectoryKind::State,
        DirectoryKind::Cache,
        DirectoryKind::Logs,
        DirectoryKind::Configuration,
    ];

    /// The variable `build_environment()` exports the full paths in.
    pub(super) fn env_name(self) -> &'static str {
        match self {
            DirectoryKind::Runtime => "RUNTIME_DIRECTORY",
            DirectoryKind::State => "STATE_DIRECTORY",
            DirectoryKind::Cache => "CACHE_DIRECTORY",
            DirectoryKind::Logs => "LOGS_DIRECTORY",
            DirectoryKind::Configuration => "CONFIGURATION_DIRECTORY",
        }
    }

    /// exit-status.h: EXIT_RUNTIME_DIRECTORY … EXIT_CONFIGURATION_DIRECTORY.
    pub(super) fn exit_status(self) -> i32 {
        match self {
            DirectoryKind::Runtime => 233,
            DirectoryKind::State => 238,
            DirectoryKind::Cache => 239,
            DirectoryKind::Logs => 240,
            DirectoryKind::Configuration => 241,
        }
    }

    pub(super) fn base(self, bases: &DirectoryBases) -> &Path {
        match self {
            DirectoryKind::Runtime => &bases.runtime,
            DirectoryKind::State => &bases.state,
            DirectoryKind::Cache => &bases.cache,
            DirectoryKind::Logs => &bases.logs,
            DirectoryKind::Configuration => &bases.configuration,
        }
    }

    /// The unit's directories of this kind and their mode.
    pub(super) fn of(self, s: &ExecSettings) -> (&[String], u32) {
        match self {
            DirectoryKind::Runtime => (&s.runtime_directory, s.runtime_directory_mode),
            DirectoryKind::State => (&s.state_directory, s.state_directory_mode),
            DirectoryKind::Cache => (&s.cache_directory, s.cache_directory_mode),
            DirectoryKind::Logs => (&s.logs_directory, s.logs_directory_mode),
            DirectoryKind::Configuration => {
                (&s.configuration_directory, s.configuration_directory_mode)
            }
        }
    }
}

/// Where the `…Directory=` settings live (systemd.exec(5) table "Automatic directory creation").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryBases {
    pub runtime: PathBuf,
    pub state: PathBuf,
    pub cache: PathBuf,
    pub logs: PathBuf,
    pub configuration: PathBuf,
}

impl DirectoryBases {
    /// A system manager's: /run, /var/lib, /var/cache, /var/log, /etc.
    pub fn system() -> DirectoryBases {
        DirectoryBases {
            runtime: "/run".into(),
            state: "/var/lib".into(),
            cache: "/var/cache".into(),
            logs: "/var/log".into(),
            configuration: "/etc".into(),
        }
    }

    /// The bases of this manager: a system manager's when it runs as root, otherwise a user
    /// manager's from its own environment (`$HOME`, `$XDG_…`).
    ///
    /// systemd --user refuses to run without `$XDG_RUNTIME_DIR`; a container started as an
    /// arbitrary uid has none, and no `/run/user/UID` either (/run belongs to root). There the
    /// runtime base is `runtime/` in the manager's own directory (`$TMPDIR/systemctl-shim-UID`),
    /// which follows the uid as `$XDG_RUNTIME_DIR` would.
    pub fn for_manager(is_root: bool) -> DirectoryBases {
        if is_root {
            return DirectoryBases::system();
        }
        let env: Vec<(String, String)> = std::env::vars().collect();
        let home = env
            .iter()
            .find(|(k, v)| k == "HOME" && v.starts_with('/'))
            .map_or_else(|| PathBuf::from("/"), |(_, v)| PathBuf::from(v));
        let uid = nix::unistd::getuid().as_raw();
        let mut bases = DirectoryBases::user(&env, &home, uid);
        let has_xdg = env
            .iter()
            .any(|(k, v)| k == "XDG_RUNTIME_DIR" && v.starts_with('/'));
        if !has_xdg && !writable_dir_of(&bases.runtime, uid) {
            if let Ok(ctx) = crate::ipc::context::RuntimeContext::for_manager() {
                bases.runtime = ctx.runtime_dir.join("runtime");
            }
        }
        bases
    }

    /// A user manager's, as systemd 252 has them: `$XDG_RUNTIME_DIR`, `$XDG_CONFIG_HOME` for
    /// state and configuration, `$XDG_CACHE_HOME`, `$XDG_CONFIG_HOME/log` (systemd 254 moved
    /// state and logs to `$XDG_STATE_HOME`). Unset or relative variables take the XDG defaults
    /// below `home`; `$XDG_RUNTIME_DIR` falls back to `/run/user/UID` as pam_systemd sets it.
    pub fn user(manager_env: &[(String, String)], home: &Path, uid: u32) -> DirectoryBases {
        let var = |name: &str| {
            manager_env
                .iter()
                .find(|(k, v)| k == name && v.starts_with('/'))
                .map(|(_, v)| PathBuf::from(v))
        };
        let config = var("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config"));
        DirectoryBases {
            runtime: var("XDG_RUNTIME_DIR").unwrap_or_else(|| format!("/run/user/{uid}").into()),
            state: config.clone(),
            cache: var("XDG_CACHE_HOME").unwrap_or_else(|| home.join(".cache")),
            logs: config.join("log"),
            configuration: config,
        }
    }
}

/// Whether `dir` is a directory of `uid`'s that it may write (`/run/user/UID` as pam_systemd
/// makes it).
fn writable_dir_of(dir: &Path, uid: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = fs::metadata(dir) else {
        return false;
    };
    let writable = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())
        // SAFETY: access(2) on a NUL-terminated path.
        .map(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0)
        .unwrap_or(false);
    meta.is_dir() && meta.uid() == uid && writable
}
