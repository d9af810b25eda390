//! What preparing a command takes and what it can fail with: systemd 252's `ExecParameters` and
//! `ExecContext` as one borrowed view (src/core/execute.h), and the exit statuses its child would
//! die with (src/basic/exit-status.h).

use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::bases::{DirectoryBases, DirectoryKind};

use crate::manager::config::ManagerConfig;
use crate::manager::spawn::{ExecPlan, ExecStep, SpawnError};
use crate::sys::accounts::{Accounts, AccountsError};
use crate::unit::envfile::EnvFileError;
use crate::unit::model::UnitConfig;

/// systemd 252's `DEFAULT_PATH` as Debian builds it (split /usr): the `$PATH` every command
/// starts with, and where a command given by bare name is looked up.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// systemd's `exec_context_tty_path()` default.
pub(super) const DEFAULT_TTY: &str = "/dev/console";

/// CAP_SYS_RESOURCE, which lets a process raise hard resource limits.
pub(super) const CAP_SYS_RESOURCE: u32 = 24;

/// Everything besides the command that decides how it runs.
pub struct ExecContext<'a> {
    pub unit: &'a UnitConfig,
    /// `DefaultEnvironment=`, `DefaultLimit*=`.
    pub manager: &'a ManagerConfig,
    /// The image's /etc/passwd and /etc/group.
    pub accounts: &'a Accounts,
    pub invocation_id: &'a str,
    /// Exported as `$NOTIFY_SOCKET` to the processes systemd would give it (see
    /// [`prepare`]); pass it whenever the manager has one.
    pub notify_socket: Option<&'a Path>,
    /// The service's main pid once known: `$MAINPID`.
    pub main_pid: Option<i32>,
    /// false: a manager that cannot change credentials (systemd --user); `User=` of another uid
    /// fails there with 217/USER as it does under systemd --user.
    pub manager_is_root: bool,
    pub directories: &'a DirectoryBases,
    /// The manager's own environment: the source of `PassEnvironment=`, `$TERM` for the console
    /// and, for a non-root manager, `$HOME`.
    pub manager_env: &'a [(String, String)],
    /// What `set-environment` added, after DefaultEnvironment=.
    pub client_environment: &'a [(String, String)],
    /// The socket fds a command with StandardInput/Output/Error=socket may use (an Accept=yes
    /// instance's connection, else the listeners of the sockets that trigger the service).
    pub sockets: &'a [OwnedFd],
    /// The peer of an Accept=yes instance's IP connection: `$REMOTE_ADDR`/`$REMOTE_PORT`.
    pub remote: Option<std::net::SocketAddr>,
    /// For `ExecStop=` and `ExecStopPost=` (service_spawn()'s EXEC_SETENV_RESULT): the service's
    /// result so far, and how its main process ended once it has; for `ExecStartPre=` and
    /// `ExecStart=` of a service another one names in `OnFailure=`/`OnSuccess=`
    /// (EXEC_SETENV_MONITOR_RESULT), the same of that one.
    pub result: Option<ResultEnv<'a>>,
}

/// `$SERVICE_RESULT`, `$EXIT_CODE` and `$EXIT_STATUS`, or with `MONITOR_` before them (and
/// `$MONITOR_INVOCATION_ID`, `$MONITOR_UNIT`) those of the service that triggers this one.
#[derive(Clone, Copy)]
pub struct ResultEnv<'a> {
    /// `exit-code`, `signal`, `success` …
    pub result: &'a str,
    /// waitid()'s si_code and si_status of the main process, when it ran and has exited.
    pub main_exit: Option<(i32, i32)>,
    /// The triggering service's invocation id and name; `None` for the service's own result.
    pub monitored: Option<(&'a str, &'a str)>,
}

/// A command ready for [`spawn::spawn`], and what the unit asked for that could not be done
/// exactly (clamped limits, unsupported inputs), for the unit's log.
#[derive(Debug)]
pub struct Prepared {
    pub plan: ExecPlan,
    pub warnings: Vec<String>,
}

#[derive(Debug, Error)]
pub enum ExecEnvError {
    /// A missing `EnvironmentFile=` without `-`: systemd fails the start before forking.
    /// exec_spawn()'s words name no file.
    #[error("Failed to load environment files: {}", env_file_errno(.0))]
    EnvironmentFile(#[from] EnvFileError),
    /// A pattern that matches nothing: safe_glob()'s ENOENT.
    #[error("Failed to load environment files: No such file or directory")]
    EnvironmentGlob { pattern: String },
    #[error(transparent)]
    Credentials(#[from] AccountsError),
    /// A manager without CAP_SETUID (not root: systemd --user, an arbitrary uid) cannot become
    /// another user: enforce_user()'s failure, in exec_child()'s words.
    #[error("Failed to change UID to {uid}: Operation not permitted")]
    UserNotPermitted { uid: u32 },
    /// … nor change its group (setresgid()/setgroups() in enforce_groups()).
    #[error("Changing group credentials failed: Operation not permitted")]
    GroupNotPermitted { gid: u32 },
    /// … nor initgroups() the `User=` of another primary group (get_supplementary_groups()).
    #[error("Failed to determine supplementary groups: Operation not permitted")]
    SupplementaryGroupsNotPermitted { gid: u32 },
    /// `WorkingDirectory=~` without a home directory.
    #[error("Changing to the requested working directory failed: No such device or address")]
    NoHome,
    /// StandardInput/Output/Error=socket needs exactly one socket (exec_spawn()).
    #[error("Got no socket.")]
    NoSocket,
    #[error("Got more than one socket.")]
    TooManySockets,
    /// `fd` is 0, 1 or 2; exec_child()'s words name no file.
    #[error("Failed to set up standard {}: {}", ["input", "output", "error output"][*fd], crate::errno::text(source))]
    Stdio {
        fd: usize,
        path: PathBuf,
        source: io::Error,
    },
    #[error("Failed to set up special execution directory in {}: {}", path.display(), crate::errno::text(source))]
    Directory {
        kind: DirectoryKind,
        path: PathBuf,
        source: io::Error,
    },
    #[error(transparent)]
    Command(#[from] SpawnError),
}

/// The errno text of an environment file that could not be read: a file too large is
/// read_full_stream()'s E2BIG.
fn env_file_errno(e: &EnvFileError) -> String {
    match e {
        EnvFileError::Io { source, .. } => crate::errno::text(source),
        EnvFileError::TooLarge { .. } => {
            crate::errno::text(&io::Error::from_raw_os_error(libc::E2BIG))
        }
    }
}

impl ExecEnvError {
    /// The exit status systemd's child would have died with (exit-status.h), which the unit
    /// records as `status=…`. For the failures of [`fails_before_fork`](Self::fails_before_fork)
    /// systemd has none; 1 (EXIT_FAILURE) stands in for them.
    pub fn exit_status(&self) -> i32 {
        match self {
            ExecEnvError::EnvironmentFile(_)
            | ExecEnvError::EnvironmentGlob { .. }
            | ExecEnvError::NoSocket
            | ExecEnvError::TooManySockets => 1,
            ExecEnvError::Credentials(AccountsError::NoUser(..))
            | ExecEnvError::UserNotPermitted { .. } => 217,
            ExecEnvError::Credentials(AccountsError::NoGroup(..))
            | ExecEnvError::GroupNotPermitted { .. }
            | ExecEnvError::SupplementaryGroupsNotPermitted { .. } => 216,
            ExecEnvError::NoHome => 200,
            ExecEnvError::Stdio { fd: 0, .. } => 208,
            ExecEnvError::Stdio { fd: 1, .. } => 209,
            ExecEnvError::Stdio { .. } => 222,
            ExecEnvError::Directory { kind, .. } => kind.exit_status(),
            ExecEnvError::Command(_) => 203,
        }
    }

    /// The step at which systemd's child fails for this, and the errno it logs: systemd finds
    /// these out in the forked child (exec_child()), so the command still becomes a process
    /// (`Started` for a simple service) that exits with the step's status.
    pub fn child_failure(&self) -> Option<(ExecStep, nix::errno::Errno)> {
        use nix::errno::Errno;
        Some(match self {
            ExecEnvError::Credentials(AccountsError::NoUser(..)) => (ExecStep::User, Errno::ESRCH),
            ExecEnvError::Credentials(AccountsError::NoGroup(..)) => {
                (ExecStep::Group, Errno::ESRCH)
            }
            ExecEnvError::UserNotPermitted { .. } => (ExecStep::User, Errno::EPERM),
            ExecEnvError::GroupNotPermitted { .. }
            | ExecEnvError::SupplementaryGroupsNotPermitted { .. } => {
                (ExecStep::Group, Errno::EPERM)
            }
            ExecEnvError::NoHome => (ExecStep::Chdir, Errno::ENXIO),
            ExecEnvError::Stdio { fd, source, .. } => (
                [ExecStep::Stdin, ExecStep::Stdout, ExecStep::Stderr][(*fd).min(2)],
                Errno::from_raw(source.raw_os_error().unwrap_or(libc::EIO)),
            ),
            _ => return None,
        })
    }

    /// The errno text of a [`fails_before_fork`](Self::fails_before_fork) failure, which
    /// service.c repeats in "Failed to run 'start' task: …".
    pub fn errno_text(&self) -> String {
        match self {
            ExecEnvError::EnvironmentFile(e) => env_file_errno(e),
            ExecEnvError::EnvironmentGlob { .. } => {
                crate::errno::text(&io::Error::from_raw_os_error(libc::ENOENT))
            }
            _ => crate::errno::text(&io::Error::from_raw_os_error(libc::EINVAL)),
        }
    }

    /// systemd reads environment files in the manager, before it forks (`exec_spawn()`): a
    /// failure there fails the start with `Result=resources` and no exit status at all.
    pub fn fails_before_fork(&self) -> bool {
        matches!(
            self,
            ExecEnvError::EnvironmentFile(_)
                | ExecEnvError::EnvironmentGlob { .. }
                | ExecEnvError::NoSocket
                | ExecEnvError::TooManySockets
        )
    }
}
