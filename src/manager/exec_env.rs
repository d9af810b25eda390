//! From a unit's exec settings to a ready-to-fork [`ExecPlan`], as systemd 252's `exec_spawn()`,
//! `exec_child()` and `build_environment()` (src/core/execute.c) and `service_spawn()` do it
//! (systemd.exec(5)): the environment built from scratch, `$VAR` expansion of the command line,
//! the program looked up in the default search path, `User=`/`Group=`/`SupplementaryGroups=`
//! (not for `+`/`!`/`!!` commands, nor for control commands with `PermissionsStartOnly=yes`),
//! `UMask=`, `WorkingDirectory=`, `Nice=`, `OOMScoreAdjust=`, `Limit*=` (the manager's
//! `DefaultLimit*=` first), the standard streams, and the `RuntimeDirectory=` family (created
//! before a start with their mode and owner, removed on stop as `RuntimeDirectoryPreserve=` says).
//!
//! A failure is reported with the exit status systemd's child would have died with (217/USER,
//! 200/CHDIR, 209/STDOUT, 233/RUNTIME_DIRECTORY …), so the manager can record it as if the
//! command had run. A program that does not exist is not a failure here: the child's execve()
//! reports it as 203/EXEC, as in systemd.
//!
//! Not done, on purpose: `$JOURNAL_STREAM` (the log pipe is not journald's socket, and a program
//! that saw it would log to a journald that does not exist), `$SYSTEMD_EXEC_PID`/`$WATCHDOG_PID`
//! (the pid of the exec'd process is only known in the child), the locale from
//! /etc/locale.conf, and a controlling terminal for `StandardInput=tty`.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::{fstat, Mode};
use thiserror::Error;

use super::config::ManagerConfig;
use super::spawn::{self, ExecPlan, SpawnError};
use crate::sys::accounts::{Accounts, AccountsError, Credentials, PasswdEntry};
use crate::sys::chase::{chase, chase_from, ChaseError, ChaseFlags, Chased};
use crate::sys::chown::chown_tree;
use crate::sys::rlimit::{self, Limit};
use crate::sys::walk::remove_tree_at;
use crate::unit::command::{self, ExecCommand};
use crate::unit::envfile::{self, EnvFileError};
use crate::unit::model::{DirectoryPreserve, ExecKind, ExecSettings, UnitConfig};

/// systemd 252's `DEFAULT_PATH` as Debian builds it (split /usr): the `$PATH` every command
/// starts with, and where a command given by bare name is looked up.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// systemd's `exec_context_tty_path()` default.
const DEFAULT_TTY: &str = "/dev/console";

/// CAP_SYS_RESOURCE, which lets a process raise hard resource limits.
const CAP_SYS_RESOURCE: u32 = 24;

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
    const ALL: [DirectoryKind; 5] = [
        DirectoryKind::Runtime,
        DirectoryKind::State,
        DirectoryKind::Cache,
        DirectoryKind::Logs,
        DirectoryKind::Configuration,
    ];

    /// The variable `build_environment()` exports the full paths in.
    fn env_name(self) -> &'static str {
        match self {
            DirectoryKind::Runtime => "RUNTIME_DIRECTORY",
            DirectoryKind::State => "STATE_DIRECTORY",
            DirectoryKind::Cache => "CACHE_DIRECTORY",
            DirectoryKind::Logs => "LOGS_DIRECTORY",
            DirectoryKind::Configuration => "CONFIGURATION_DIRECTORY",
        }
    }

    /// exit-status.h: EXIT_RUNTIME_DIRECTORY … EXIT_CONFIGURATION_DIRECTORY.
    fn exit_status(self) -> i32 {
        match self {
            DirectoryKind::Runtime => 233,
            DirectoryKind::State => 238,
            DirectoryKind::Cache => 239,
            DirectoryKind::Logs => 240,
            DirectoryKind::Configuration => 241,
        }
    }

    fn base(self, bases: &DirectoryBases) -> &Path {
        match self {
            DirectoryKind::Runtime => &bases.runtime,
            DirectoryKind::State => &bases.state,
            DirectoryKind::Cache => &bases.cache,
            DirectoryKind::Logs => &bases.logs,
            DirectoryKind::Configuration => &bases.configuration,
        }
    }

    /// The unit's directories of this kind and their mode.
    fn of(self, s: &ExecSettings) -> (&[String], u32) {
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
    /// The socket fds a command with StandardInput/Output/Error=socket may use (an Accept=yes
    /// instance's connection, else the listeners of the sockets that trigger the service).
    pub sockets: &'a [OwnedFd],
    /// The peer of an Accept=yes instance's IP connection: `$REMOTE_ADDR`/`$REMOTE_PORT`.
    pub remote: Option<std::net::SocketAddr>,
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
    #[error(transparent)]
    EnvironmentFile(#[from] EnvFileError),
    #[error("Failed to load environment file {pattern}: No such file or directory")]
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
    #[error("Changing to the requested working directory failed: No such device or address (WorkingDirectory=~ without a home directory)")]
    NoHome,
    /// StandardInput/Output/Error=socket needs exactly one socket (exec_spawn()).
    #[error("Got no socket.")]
    NoSocket,
    #[error("Got more than one socket.")]
    TooManySockets,
    /// `fd` is 0, 1 or 2.
    #[error("Failed to set up standard {} from {}: {source}", ["input", "output", "error"][*fd], path.display())]
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

    /// The step systemd's child names in "Failed at step GROUP spawning …: Operation not
    /// permitted" for a credential change this manager may not make.
    pub fn not_permitted_step(&self) -> Option<&'static str> {
        match self {
            ExecEnvError::UserNotPermitted { .. } => Some("USER"),
            ExecEnvError::GroupNotPermitted { .. }
            | ExecEnvError::SupplementaryGroupsNotPermitted { .. } => Some("GROUP"),
            _ => None,
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

/// An ordered environment where setting a name again replaces it in place, as
/// `strv_env_replace()` does.
#[derive(Default)]
struct Env(Vec<(String, String)>);

impl Env {
    fn set(&mut self, name: &str, value: &str) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => value.clone_into(v),
            None => self.0.push((name.to_string(), value.to_string())),
        }
    }
}

/// `USER_CREDS_CLEAN`: a home of `/` and a placeholder shell are not worth exporting.
fn clean_home(user: &PasswdEntry) -> Option<&str> {
    (!user.home.trim_end_matches('/').is_empty()).then_some(&user.home)
}

fn clean_shell(user: &PasswdEntry) -> Option<&str> {
    const PLACEHOLDERS: &[&str] = &[
        "/sbin/nologin",
        "/usr/sbin/nologin",
        "/bin/nologin",
        "/usr/bin/nologin",
        "/bin/false",
        "/usr/bin/false",
        "/bin/true",
        "/usr/bin/true",
    ];
    (!user.shell.is_empty() && !PLACEHOLDERS.contains(&user.shell.as_str())).then_some(&user.shell)
}

fn manager_var<'a>(ctx: &'a ExecContext, name: &str) -> Option<&'a str> {
    ctx.manager_env
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `service_exec_needs_notify_socket()`: the main process when the service accepts any
/// notification, control processes only with `NotifyAccess=exec` or `all`.
fn gets_notify_socket(unit: &UnitConfig, kind: ExecKind) -> bool {
    let Some(service) = unit.service() else {
        return false;
    };
    let access = service.notify_access.as_deref().unwrap_or("none");
    if kind == ExecKind::Start {
        access != "none"
    } else {
        matches!(access, "exec" | "all")
    }
}

fn is_tty_input(input: &str) -> bool {
    matches!(input, "tty" | "tty-force" | "tty-fail")
}

fn is_console_output(output: &str) -> bool {
    matches!(
        output,
        "tty" | "journal+console" | "syslog+console" | "kmsg+console"
    )
}

/// `exec_context_needs_term()`: a unit on a terminal gets `$TERM`.
fn needs_term(s: &ExecSettings) -> bool {
    is_tty_input(&s.standard_input)
        || is_console_output(&s.standard_output)
        || is_console_output(&s.standard_error)
        || s.tty_path.is_some()
}

/// The full environment, in systemd's merge order: the manager's (`PATH`, `DefaultEnvironment=`,
/// then what `service_spawn()` adds), `build_environment()`'s, `PassEnvironment=`,
/// `Environment=`, `EnvironmentFile=`; a later one replaces an earlier one of the same name; then
/// `UnsetEnvironment=` removes.
fn environment(
    ctx: &ExecContext,
    kind: ExecKind,
    user: Option<&PasswdEntry>,
) -> Result<Vec<(String, String)>, ExecEnvError> {
    let s = &ctx.unit.settings;
    let mut env = Env::default();
    env.set("PATH", DEFAULT_PATH);
    for (k, v) in &ctx.manager.default_environment {
        env.set(k, v);
    }
    if let Some(socket) = ctx.notify_socket {
        if gets_notify_socket(ctx.unit, kind) {
            env.set("NOTIFY_SOCKET", &socket.to_string_lossy());
        }
    }
    if let Some(pid) = ctx.main_pid {
        env.set("MAINPID", &pid.to_string());
    }
    if !ctx.manager_is_root {
        // a user manager tells its services who it is
        env.set("MANAGERPID", &std::process::id().to_string());
    }
    if let Some(service) = ctx.unit.service() {
        let watchdog = service.watchdog;
        if kind == ExecKind::Start && watchdog.0 > 0 && !watchdog.is_infinity() {
            env.set("WATCHDOG_USEC", &watchdog.0.to_string());
        }
    }
    if let Some(user) = user {
        if let Some(home) = clean_home(user) {
            env.set("HOME", home);
        }
        env.set("LOGNAME", &user.name);
        env.set("USER", &user.name);
        if let Some(shell) = clean_shell(user) {
            env.set("SHELL", shell);
        }
    }
    if !ctx.invocation_id.is_empty() {
        env.set("INVOCATION_ID", ctx.invocation_id);
    }
    if let Some(remote) = ctx.remote {
        // service_spawn_internal(): a v4-mapped peer as plain IPv4.
        let ip = super::socket::ports::unmapped(remote.ip());
        env.set("REMOTE_ADDR", &ip.to_string());
        env.set("REMOTE_PORT", &remote.port().to_string());
    }
    if needs_term(s) {
        let tty = s.tty_path.as_deref().unwrap_or(DEFAULT_TTY);
        // the console keeps the terminal type the manager was started with
        let inherited = (tty == DEFAULT_TTY)
            .then(|| manager_var(ctx, "TERM"))
            .flatten();
        env.set("TERM", inherited.unwrap_or("vt220"));
    }
    for kind in DirectoryKind::ALL {
        let (names, _) = kind.of(s);
        if names.is_empty() {
            continue;
        }
        let base = kind.base(ctx.directories);
        let joined: Vec<String> = names
            .iter()
            .map(|n| base.join(n).to_string_lossy().into_owned())
            .collect();
        env.set(kind.env_name(), &joined.join(":"));
    }
    for name in &s.pass_environment {
        if let Some(value) = manager_var(ctx, name) {
            env.set(name, value);
        }
    }
    for assignment in &s.environment {
        if let Some((k, v)) = assignment.split_once('=') {
            env.set(k, v);
        }
    }
    for (k, v) in environment_files(s)? {
        env.set(&k, &v);
    }
    let mut env = env.0;
    env.retain(|(k, v)| {
        !s.unset_environment.iter().any(|u| match u.split_once('=') {
            Some((uk, uv)) => uk == k && uv == v,
            None => u == k,
        })
    });
    Ok(env)
}

/// `exec_context_load_environment()`: each `EnvironmentFile=` is a path or a glob pattern, read
/// in order; with `-` any failure is ignored.
fn environment_files(s: &ExecSettings) -> Result<Vec<(String, String)>, ExecEnvError> {
    let mut out = Vec::new();
    for (pattern, optional) in &s.environment_files {
        let paths = if pattern.contains(['*', '?', '[']) {
            let found = crate::tmpfiles::apply::glob(pattern);
            if found.is_empty() && !optional {
                return Err(ExecEnvError::EnvironmentGlob {
                    pattern: pattern.clone(),
                });
            }
            found
        } else {
            vec![pattern.clone()]
        };
        for path in paths {
            match envfile::load(Path::new(&path)) {
                Ok(pairs) => out.extend(pairs),
                Err(_) if *optional => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(out)
}

/// A bare command name is looked up in systemd's default search path, not the unit's `$PATH`
/// (252's `find_executable_full()` without `ExecSearchPath=`). When nothing is found the plan
/// names a path that does not exist in the first search directory, so the child's execve()
/// fails with ENOENT and 203/EXEC as systemd's does — never a file relative to the working
/// directory.
fn program_path(path: &str) -> PathBuf {
    spawn::resolve_program(path, DEFAULT_PATH)
        .unwrap_or_else(|| Path::new("/usr/local/sbin").join(path))
}

/// Whether this command runs with the unit's credentials: `exec_child()`'s `needs_setuid`.
/// `!!` is treated like `!`: it exists for systems where the service cannot be given its
/// `AmbientCapabilities=`, which is the situation here (capabilities are not applied), so the
/// service drops its privileges itself.
fn applies_credentials(ctx: &ExecContext, command: &ExecCommand, kind: ExecKind) -> bool {
    let f = command.flags;
    if f.full_privileges || f.no_setuid || f.ambient_magic {
        return false;
    }
    // service_spawn(): PermissionsStartOnly= drops the sandboxing of control commands
    !(ctx.unit.settings.permissions_start_only && kind != ExecKind::Start)
}

/// The user and groups, resolved whether or not this command applies them (systemd fails a
/// command with an unknown `User=` even when it has `+`), and what to change to.
fn credentials(
    ctx: &ExecContext,
    command: &ExecCommand,
    kind: ExecKind,
) -> Result<(Option<PasswdEntry>, Option<Credentials>), ExecEnvError> {
    let s = &ctx.unit.settings;
    let resolved = ctx.accounts.resolve(
        s.user.as_deref(),
        s.group.as_deref(),
        &s.supplementary_groups,
    )?;
    let Some((creds, entry)) = resolved else {
        return Ok((None, None));
    };
    if !applies_credentials(ctx, command, kind) {
        return Ok((entry, None));
    }
    if ctx.manager_is_root {
        return Ok((entry, Some(creds)));
    }
    // A manager without privileges can only "change" to what it already is, which it skips
    // (systemd ≥ 256 goes on when initgroups() is refused and the gid is already the one asked
    // for; setresgid()/setresuid() to the current ids succeed anyway).
    let uid = nix::unistd::getuid().as_raw();
    let gid = nix::unistd::getgid().as_raw();
    // execute.c changes the group before the user, so that is the step that fails first:
    // initgroups() for a User= of a non-root primary group, else setresgid().
    if creds.gid != gid {
        if s.user.is_some() && creds.gid != 0 {
            return Err(ExecEnvError::SupplementaryGroupsNotPermitted { gid: creds.gid });
        }
        return Err(ExecEnvError::GroupNotPermitted { gid: creds.gid });
    }
    if creds.uid != uid {
        return Err(ExecEnvError::UserNotPermitted { uid: creds.uid });
    }
    let own: Vec<u32> = nix::unistd::getgroups()
        .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
        .unwrap_or_default();
    for name in &s.supplementary_groups {
        let g = ctx.accounts.group(name)?;
        if g != gid && !own.contains(&g) {
            return Err(ExecEnvError::GroupNotPermitted { gid: g });
        }
    }
    Ok((entry, None))
}

/// `WorkingDirectory=`: `-` tolerates a missing one, `~` is the user's home; without the setting
/// a system service runs in `/` and a user service in the manager's home (missing tolerated).
fn working_directory(
    ctx: &ExecContext,
    user: Option<&PasswdEntry>,
) -> Result<(PathBuf, bool), ExecEnvError> {
    let manager_home = || {
        (!ctx.manager_is_root)
            .then(|| manager_var(ctx, "HOME"))
            .flatten()
    };
    let Some(setting) = ctx.unit.settings.working_directory.as_deref() else {
        return Ok(match manager_home() {
            Some(home) => (PathBuf::from(home), true),
            None => (PathBuf::from("/"), false),
        });
    };
    let (missing_ok, path) = match setting.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, setting),
    };
    if path == "~" {
        let home = user.and_then(clean_home).or_else(manager_home);
        return home
            .map(|h| (PathBuf::from(h), missing_ok))
            .ok_or(ExecEnvError::NoHome);
    }
    Ok((PathBuf::from(path), missing_ok))
}

/// Whether this process may raise hard limits: CAP_SYS_RESOURCE in its effective set (which root
/// in a default container does not have).
fn may_raise_hard_limits() -> bool {
    // The manager's capabilities do not change while it runs: read them once, not per spawn.
    static MAY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MAY.get_or_init(|| crate::unit::host::has_capability(CAP_SYS_RESOURCE))
}

/// The manager's `DefaultLimit*=` with the unit's `Limit*=` over them, clamped to what this
/// container allows.
fn resource_limits(ctx: &ExecContext, warnings: &mut Vec<String>) -> Vec<Limit> {
    let mut all: Vec<Limit> = ctx.manager.default_limits.clone();
    for limit in &ctx.unit.settings.limits {
        all.retain(|l| l.resource != limit.resource);
        all.push(*limit);
    }
    let can_raise = may_raise_hard_limits();
    all.into_iter()
        .map(|l| {
            let (limit, warning) = rlimit::clamp(l, can_raise);
            warnings.extend(warning);
            limit
        })
        .collect()
}

fn stdio_error(fd: usize, path: &Path, source: io::Error) -> ExecEnvError {
    ExecEnvError::Stdio {
        fd,
        path: path.to_path_buf(),
        source,
    }
}

fn dup(fd: usize, source: &OwnedFd, what: &str) -> Result<OwnedFd, ExecEnvError> {
    source
        .try_clone()
        .map_err(|e| stdio_error(fd, Path::new(what), e))
}

/// `file:PATH`, `append:PATH`, `truncate:PATH`: the path and the open flag they add.
fn output_file(o: &str) -> Option<(&Path, i32)> {
    if let Some(p) = o.strip_prefix("file:") {
        Some((Path::new(p), 0))
    } else if let Some(p) = o.strip_prefix("append:") {
        Some((Path::new(p), libc::O_APPEND))
    } else {
        o.strip_prefix("truncate:")
            .map(|p| (Path::new(p), libc::O_TRUNC))
    }
}

/// What the outputs are set up against: the input already opened, the terminal, the log pipe.
struct Outputs<'a> {
    stdin: Option<&'a OwnedFd>,
    socket: Option<&'a OwnedFd>,
    stdin_is_tty: bool,
    tty: &'a Path,
    umask: u32,
    log_pipe: Option<BorrowedFd<'a>>,
}

impl Outputs<'_> {
    /// `setup_output()` for `fd` 1 or 2 with setting `o`; `None` is /dev/null.
    fn open(
        &self,
        fd: usize,
        o: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Option<OwnedFd>, ExecEnvError> {
        Ok(match o {
            "null" => None,
            // The input's descriptor unless that is /dev/null.
            "inherit" => match self.stdin {
                Some(input) => Some(dup(fd, input, "stdin")?),
                None => None,
            },
            "socket" => match self.socket {
                Some(socket) => Some(dup(fd, socket, "socket")?),
                None => None,
            },
            "journal" | "syslog" | "kmsg" | "journal+console" | "syslog+console"
            | "kmsg+console" => match self.log_pipe {
                Some(pipe) => Some(
                    pipe.try_clone_to_owned()
                        .map_err(|e| stdio_error(fd, Path::new("log pipe"), e))?,
                ),
                None => None,
            },
            "tty" => match self.stdin {
                Some(input) if self.stdin_is_tty => Some(dup(fd, input, "stdin")?),
                _ => {
                    let f = fs::OpenOptions::new()
                        .write(true)
                        .custom_flags(libc::O_NOCTTY)
                        .open(self.tty)
                        .map_err(|e| stdio_error(fd, self.tty, e))?;
                    Some(f.into())
                }
            },
            _ => match output_file(o) {
                // Created by the manager, so owned by it and not by User= (as in systemd:
                // systemd#14385), with mode 0666 minus UMask=.
                Some((path, flag)) => Some(
                    fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .mode(0o666 & !self.umask)
                        .custom_flags(libc::O_NOCTTY | flag)
                        .open(path)
                        .map_err(|e| stdio_error(fd, path, e))?
                        .into(),
                ),
                None => {
                    let setting = if fd == 1 {
                        "StandardOutput"
                    } else {
                        "StandardError"
                    };
                    warnings.push(format!(
                        "{setting}={o} is not supported here; using /dev/null."
                    ));
                    None
                }
            },
        })
    }
}

/// Whether StandardInput=, StandardOutput= or StandardError= is `socket`.
pub fn stdio_is_socket(s: &ExecSettings) -> bool {
    [&s.standard_input, &s.standard_output, &s.standard_error]
        .iter()
        .any(|v| v.as_str() == "socket")
}

/// The one socket StandardInput/Output/Error=socket use: exec_spawn() refuses the command
/// with none or several.
fn stdio_socket<'a>(ctx: &ExecContext<'a>) -> Result<Option<&'a OwnedFd>, ExecEnvError> {
    match ctx.sockets {
        _ if !stdio_is_socket(&ctx.unit.settings) => Ok(None),
        [one] => Ok(Some(one)),
        [] => Err(ExecEnvError::NoSocket),
        _ => Err(ExecEnvError::TooManySockets),
    }
}

/// `setup_input()`/`setup_output()`: stdin, stdout, stderr; `None` is /dev/null.
fn standard_streams(
    s: &ExecSettings,
    socket: Option<&OwnedFd>,
    umask: u32,
    log_pipe: Option<BorrowedFd>,
    warnings: &mut Vec<String>,
) -> Result<[Option<OwnedFd>; 3], ExecEnvError> {
    let tty = Path::new(s.tty_path.as_deref().unwrap_or(DEFAULT_TTY));
    let input = s.standard_input.as_str();
    let input_file = input.strip_prefix("file:").map(Path::new);
    // an input file that is also stdout's `file:` is opened once, read-write, and shared
    let shared_rw = input_file.is_some()
        && input_file == s.standard_output.strip_prefix("file:").map(Path::new);
    let stdin: Option<OwnedFd> = if is_tty_input(input) {
        let f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(tty)
            .map_err(|e| stdio_error(0, tty, e))?;
        Some(f.into())
    } else if let Some(path) = input_file {
        let f = fs::OpenOptions::new()
            .read(true)
            .write(shared_rw)
            .create(shared_rw)
            .mode(0o666 & !umask)
            .custom_flags(libc::O_NOCTTY)
            .open(path)
            .map_err(|e| stdio_error(0, path, e))?;
        Some(f.into())
    } else if input == "socket" {
        match socket {
            Some(c) => Some(dup(0, c, "socket")?),
            None => None,
        }
    } else {
        if input != "null" {
            warnings.push(format!(
                "StandardInput={input} is not supported here; using /dev/null."
            ));
        }
        None
    };
    let outputs = Outputs {
        stdin: stdin.as_ref(),
        socket,
        stdin_is_tty: is_tty_input(input),
        tty,
        umask,
        log_pipe,
    };
    let stdout = match (&stdin, shared_rw) {
        (Some(fd), true) => Some(dup(1, fd, "stdin")?),
        _ => outputs.open(1, &s.standard_output, warnings)?,
    };
    // stderr's `inherit`, and a file it shares with stdout, are stdout's descriptor
    let same_file =
        output_file(&s.standard_error).is_some_and(|e| Some(e) == output_file(&s.standard_output));
    let stderr = if s.standard_error == "inherit" || same_file {
        match &stdout {
            Some(fd) => Some(dup(2, fd, "stdout")?),
            None => None,
        }
    } else {
        outputs.open(2, &s.standard_error, warnings)?
    };
    Ok([stdin, stdout, stderr])
}

/// Everything systemd's child would do before execve(), done here in the manager: the result is
/// forked with [`spawn::spawn`]. `log_pipe` is where `journal`/`syslog`/`kmsg` (and their
/// `+console` forms) go: the write end of a pipe the manager reads; without one they go to
/// /dev/null.
pub fn prepare(
    ctx: &ExecContext,
    command: &ExecCommand,
    kind: ExecKind,
    log_pipe: Option<BorrowedFd>,
) -> Result<Prepared, ExecEnvError> {
    let s = &ctx.unit.settings;
    let mut warnings = Vec::new();
    let (user, creds) = credentials(ctx, command, kind)?;
    let env = environment(ctx, kind, user.as_ref())?;
    let argv = if command.flags.no_env_expand {
        command.argv.clone()
    } else {
        let map: HashMap<String, String> = env.iter().cloned().collect();
        command::expand_variables(&command.argv, &map)
    };
    let mut plan = ExecPlan::new(&program_path(&command.path), &argv, &env)?;
    plan.credentials = creds;
    // the model only keeps valid octal masks; 0022 is systemd's default
    let umask = u32::from_str_radix(&s.umask, 8).unwrap_or(0o022);
    plan.umask = Some(umask);
    let (dir, missing_ok) = working_directory(ctx, user.as_ref())?;
    plan.working_directory(&dir, missing_ok)?;
    plan.nice = s.nice;
    if let Some(score) = s.oom_score_adjust {
        plan.oom_score_adjust(score);
    }
    plan.rlimits = resource_limits(ctx, &mut warnings)
        .into_iter()
        .map(|l| (l.resource, l.as_rlimit()))
        .collect();
    plan.stdio = standard_streams(s, stdio_socket(ctx)?, umask, log_pipe, &mut warnings)?;
    Ok(Prepared { plan, warnings })
}

/// `setup_exec_directory()`: every `…Directory=` made (parents with 0755), given its mode even
/// when it exists, and, for a root manager with `User=`/`Group=`, handed with its contents to the
/// service's user — except `ConfigurationDirectory=`, which stays as it is once it exists and is
/// never chowned (a service should not write its configuration).
pub fn create_directories(ctx: &ExecContext) -> Result<(), ExecEnvError> {
    let s = &ctx.unit.settings;
    let owner = if ctx.manager_is_root && (s.user.is_some() || s.group.is_some()) {
        ctx.accounts
            .resolve(s.user.as_deref(), s.group.as_deref(), &[])?
            .map(|(c, _)| (c.uid, c.gid))
    } else {
        None
    };
    for kind in DirectoryKind::ALL {
        let (names, mode) = kind.of(s);
        for name in names {
            let path = kind.base(ctx.directories).join(name);
            let owner = if kind == DirectoryKind::Configuration {
                None
            } else {
                owner
            };
            let base = kind.base(ctx.directories);
            make_directory(
                base,
                &path,
                mode,
                kind == DirectoryKind::Configuration,
                owner,
            )
            .map_err(|source| ExecEnvError::Directory {
                kind,
                path: path.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

fn make_directory(
    base: &Path,
    path: &Path,
    mode: u32,
    keep_existing: bool,
    owner: Option<(u32, u32)>,
) -> io::Result<()> {
    // The parents may lie in a directory the service's user owns (`StateDirectory=app
    // app/cache`): resolved as chase_symlinks(CHASE_SAFE) does, so a symlink that user planted
    // into a directory of root's is refused, and the missing ones are made as they are met
    // (CHASE_MKDIR_0755), each from the descriptor of the one before: a parent swapped for a
    // symlink meanwhile cannot make root create directories elsewhere.
    let make_parents = ChaseFlags {
        mkdir_0755: true,
        ..ChaseFlags::SAFE
    };
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    };
    let parent = chase_below(base, parent, make_parents).map_err(chase_error)?;
    let parent_fd = parent
        .fd
        .as_ref()
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
    let created = match nix::sys::stat::mkdirat(parent_fd, name, Mode::from_bits_truncate(mode)) {
        Ok(()) => true,
        Err(nix::Error::EEXIST) => false,
        Err(e) => return Err(e.into()),
    };
    // Everything from here on goes through one descriptor of the directory: its owner may swap
    // the path for a symlink at any moment. The directory itself is the user's to own; a
    // symlink in its place (an image keeping its state on a volume) is followed only where
    // CHASE_SAFE allows, never from the user's directory into another owner's.
    let entry = openat(
        parent_fd,
        name,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let is_symlink = fstat(&entry)
        .map(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK)
        .map_err(io::Error::from)?;
    let chased = if is_symlink {
        chase_from(&parent, Path::new(name), Path::new("/"), ChaseFlags::SAFE)
            .map_err(chase_error)?
    } else {
        Chased {
            path: path.to_path_buf(),
            fd: Some(entry),
        }
    };
    let dir = chased
        .reopen(OFlag::O_RDONLY | OFlag::O_DIRECTORY)
        .map_err(chase_error)?;
    if keep_existing && !created {
        return Ok(());
    }
    // mkdir() applied the manager's umask; the setting's mode is exact
    dir.set_permissions(fs::Permissions::from_mode(mode))?;
    if let Some((uid, gid)) = owner {
        chown_tree(&dir, uid, gid).map_err(|e| {
            // A rootless container's user namespace maps few ids (often only root): say so, the
            // bare errno reads like a bad setting.
            if e.raw_os_error() == Some(libc::EINVAL) {
                let why = format!(
                    "Invalid argument (uid {uid} or gid {gid} is not mapped in this user namespace)"
                );
                io::Error::new(io::ErrorKind::InvalidInput, why)
            } else {
                e
            }
        })?;
    }
    Ok(())
}

/// chase_symlinks() with `flags` (CHASE_SAFE) where only a step below `base` may be refused:
/// `/var/lib` and its ancestors are the administrator's, and in a user namespace `/` belongs to
/// an unmapped uid, which would make every path unsafe. So the base is opened unchecked (an
/// image may link it to a volume) and the rest resolved from its descriptor with `flags`.
fn chase_below(base: &Path, path: &Path, flags: ChaseFlags) -> Result<Chased, ChaseError> {
    let rest = path.strip_prefix(base).map_err(|_| ChaseError::Os {
        path: path.to_path_buf(),
        errno: nix::Error::EINVAL,
    })?;
    let base_flags = ChaseFlags {
        mkdir_0755: flags.mkdir_0755,
        ..ChaseFlags::default()
    };
    let base = chase(base, Path::new("/"), base_flags)?;
    chase_from(&base, rest, Path::new("/"), flags)
}

/// A refused or failed resolution as the error the directory's setting reports.
fn chase_error(e: ChaseError) -> io::Error {
    match e {
        ChaseError::Os { errno, .. } => io::Error::from(errno),
        unsafe_path => io::Error::other(unsafe_path.to_string()),
    }
}

/// On stop: remove the `RuntimeDirectory=` directories unless `RuntimeDirectoryPreserve=yes`,
/// or `restart` while `restarting`. Failures are ignored, as systemd only logs them: a stop
/// does not fail over a leftover directory.
pub fn remove_runtime_directories(ctx: &ExecContext, restarting: bool) {
    let s = &ctx.unit.settings;
    let remove = match s.runtime_directory_preserve {
        DirectoryPreserve::No => true,
        DirectoryPreserve::Yes => false,
        DirectoryPreserve::Restart => !restarting,
    };
    if !remove {
        return;
    }
    for name in &s.runtime_directory {
        let path = ctx.directories.runtime.join(name);
        // The path may pass through a directory of the service's user (`RuntimeDirectory=app
        // app/sub`): not through a symlink of theirs into root's files. The tree is removed
        // relative to the descriptor of the parent that was checked, never by path again.
        let (Some(parent), Some(last)) = (path.parent(), path.file_name()) else {
            continue;
        };
        if let Ok(chased) = chase_below(&ctx.directories.runtime, parent, ChaseFlags::SAFE) {
            if let Some(parent_fd) = &chased.fd {
                // A symlink there is removed itself, never what it points to.
                let _ = remove_tree_at(parent_fd.as_fd(), last, &path, false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::load::load_unit;
    use crate::unit::paths::{LookupPaths, Scope};
    use nix::sys::wait::{waitpid, WaitStatus};
    use std::io::Read;
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
        svc:x:4321:4321:service:/home/svc:/bin/bash\n";
    const GROUP: &str =
        "root:x:0:\nnogroup:x:65534:\nsvc:x:4321:\nextra:x:5000:svc\nother:x:5001:\n";

    struct Fixture {
        root: tempfile::TempDir,
        accounts: Accounts,
        manager: ManagerConfig,
        bases: DirectoryBases,
    }

    fn fixture() -> Fixture {
        let root = tempfile::tempdir().unwrap();
        let etc = root.path().join("etc");
        fs::create_dir_all(etc.join("systemd/system")).unwrap();
        fs::write(etc.join("passwd"), PASSWD).unwrap();
        fs::write(etc.join("group"), GROUP).unwrap();
        let accounts = Accounts::load(root.path());
        let base = |n: &str| root.path().join("bases").join(n);
        let bases = DirectoryBases {
            runtime: base("run"),
            state: base("lib"),
            cache: base("cache"),
            logs: base("log"),
            configuration: base("etc"),
        };
        Fixture {
            root,
            accounts,
            manager: ManagerConfig::default(),
            bases,
        }
    }

    impl Fixture {
        fn path(&self, inside: &str) -> String {
            self.root.path().join(inside).to_string_lossy().into_owned()
        }

        fn unit(&self, name: &str, text: &str) -> UnitConfig {
            let file = self.root.path().join("etc/systemd/system").join(name);
            fs::write(file, text).unwrap();
            let lookup = LookupPaths::new(Scope::System, Some(self.root.path())).unwrap();
            load_unit(&lookup, name).unwrap()
        }

        fn ctx<'a>(&'a self, unit: &'a UnitConfig, env: &'a [(String, String)]) -> ExecContext<'a> {
            ExecContext {
                unit,
                manager: &self.manager,
                accounts: &self.accounts,
                invocation_id: "0123456789abcdef0123456789abcdef",
                notify_socket: None,
                main_pid: None,
                manager_is_root: true,
                directories: &self.bases,
                manager_env: env,
                sockets: &[],
                remote: None,
            }
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn is_root() -> bool {
        nix::unistd::getuid().is_root()
    }

    /// Prepare command `index` of `kind` with a log pipe, run it, and return what it wrote to
    /// the log pipe and its exit status.
    fn run(ctx: &ExecContext, kind: ExecKind, index: usize) -> (String, i32) {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let command = &ctx.unit.exec_commands(kind)[index];
        let prepared = prepare(ctx, command, kind, Some(w.as_fd())).unwrap();
        drop(w);
        let spawned = spawn::spawn(&prepared.plan).unwrap();
        drop(prepared);
        let mut text = String::new();
        fs::File::from(r).read_to_string(&mut text).unwrap();
        let code = match waitpid(spawned.pid, None).unwrap() {
            WaitStatus::Exited(_, c) => c,
            other => panic!("unexpected {other:?}"),
        };
        (text, code)
    }

    fn env_lines(text: &str) -> Vec<&str> {
        // what the shell adds itself
        let shell_own = ["PWD=", "SHLVL=", "_=", "OLDPWD="];
        let mut lines: Vec<&str> = text
            .lines()
            .filter(|l| !shell_own.iter().any(|p| l.starts_with(p)))
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn environment_merges_in_systemd_order_and_unsets_last() {
        let mut fx = fixture();
        fx.manager.default_environment = pairs(&[("DEF", "d"), ("A", "0")]);
        let env_file = fx.path("env");
        fs::write(&env_file, "B=from-file\nC=3\n").unwrap();
        let missing = fx.path("missing");
        let unit = fx.unit(
            "web.service",
            &format!(
                "[Service]\nType=notify\nExecStart=/bin/true\n\
                 Environment=A=1 \"B=two words\" DROP=exact DROP2=kept\n\
                 EnvironmentFile=-{missing}\nEnvironmentFile={env_file}\n\
                 PassEnvironment=PASSED NOT_SET\n\
                 UnsetEnvironment=C DROP=exact DROP2=other\n\
                 RuntimeDirectory=app app/sub\nStateDirectory=st\n"
            ),
        );
        assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
        let manager_env = pairs(&[("PASSED", "p"), ("SECRET", "s")]);
        let mut ctx = fx.ctx(&unit, &manager_env);
        ctx.notify_socket = Some(Path::new("/run/shim/notify"));
        ctx.main_pid = Some(42);
        let env = environment(&ctx, ExecKind::Start, None).unwrap();
        let run = fx.bases.runtime.display().to_string();
        let state = fx.bases.state.display().to_string();
        let expected = pairs(&[
            ("PATH", DEFAULT_PATH),
            ("DEF", "d"),
            ("A", "1"),
            ("NOTIFY_SOCKET", "/run/shim/notify"),
            ("MAINPID", "42"),
            ("INVOCATION_ID", "0123456789abcdef0123456789abcdef"),
            ("RUNTIME_DIRECTORY", &format!("{run}/app:{run}/app/sub")),
            ("STATE_DIRECTORY", &format!("{state}/st")),
            ("PASSED", "p"),
            ("B", "from-file"),
            ("DROP2", "kept"),
        ]);
        assert_eq!(env, expected);

        // control processes of a Type=notify (NotifyAccess=main) service get no socket
        let env = environment(&ctx, ExecKind::StartPre, None).unwrap();
        assert!(env.iter().all(|(k, _)| k != "NOTIFY_SOCKET"));
    }

    #[test]
    fn a_missing_environment_file_fails_before_forking() {
        let fx = fixture();
        let unit = fx.unit(
            "web.service",
            &format!(
                "[Service]\nExecStart=/bin/true\nEnvironmentFile={}\n",
                fx.path("nope")
            ),
        );
        let ctx = fx.ctx(&unit, &[]);
        let err = prepare(
            &ctx,
            &unit.exec_commands(ExecKind::Start)[0],
            ExecKind::Start,
            None,
        )
        .unwrap_err();
        assert!(matches!(err, ExecEnvError::EnvironmentFile(_)), "{err}");
        assert!(err.fails_before_fork());
        // a glob that matches nothing is the same
        let unit = fx.unit(
            "glob.service",
            &format!(
                "[Service]\nExecStart=/bin/true\nEnvironmentFile={}\n",
                fx.path("nope*.env")
            ),
        );
        let ctx = fx.ctx(&unit, &[]);
        let err = prepare(
            &ctx,
            &unit.exec_commands(ExecKind::Start)[0],
            ExecKind::Start,
            None,
        )
        .unwrap_err();
        assert!(err.fails_before_fork());
        fs::write(fx.path("a.env"), "G=1\n").unwrap();
        let unit = fx.unit(
            "glob2.service",
            &format!(
                "[Service]\nExecStart=/bin/true\nEnvironmentFile={}\n",
                fx.path("*.env")
            ),
        );
        let ctx = fx.ctx(&unit, &[]);
        let env = environment(&ctx, ExecKind::Start, None).unwrap();
        assert!(env.contains(&("G".to_string(), "1".to_string())));
    }

    #[test]
    fn child_sees_a_clean_environment_expanded_argv_umask_and_working_directory() {
        std::env::set_var("SHIM_EXEC_ENV_LEAK", "manager");
        let fx = fixture();
        let wd = fx.path("wd");
        fs::create_dir(&wd).unwrap();
        let unit = fx.unit(
            "job.service",
            &format!(
                "[Service]\nType=oneshot\nEnvironment=X=hello \"Y=a  b\"\nUMask=0027\n\
                 WorkingDirectory={wd}\n\
                 ExecStart=/bin/sh -c 'env; umask; pwd'\n\
                 ExecStart=/bin/sh -c 'for a; do echo \"[$a]\"; done' sh ${{X}} $Y \"${{Y}}\" $NOT_SET\n\
                 ExecStart=:/bin/echo $X ${{X}}\n\
                 ExecStart=echo bare\n"
            ),
        );
        assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
        let ctx = fx.ctx(&unit, &[]);

        let (text, code) = run(&ctx, ExecKind::Start, 0);
        assert_eq!(code, 0);
        let lines = env_lines(&text);
        let expected = [
            "0027".to_string(),
            "INVOCATION_ID=0123456789abcdef0123456789abcdef".to_string(),
            format!("PATH={DEFAULT_PATH}"),
            "X=hello".to_string(),
            "Y=a  b".to_string(),
            wd.clone(),
        ];
        let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        expected.sort();
        assert_eq!(lines, expected, "{text}");

        let (text, _) = run(&ctx, ExecKind::Start, 1);
        assert_eq!(text, "[hello]\n[a]\n[b]\n[a  b]\n");
        let (text, _) = run(&ctx, ExecKind::Start, 2);
        assert_eq!(text, "$X ${X}\n");
        let (text, _) = run(&ctx, ExecKind::Start, 3);
        assert_eq!(text, "bare\n");
    }

    #[test]
    fn a_missing_program_is_left_to_the_child_203_exec() {
        let fx = fixture();
        let unit = fx.unit(
            "gone.service",
            "[Service]\nExecStart=no-such-program-anywhere x\n",
        );
        let ctx = fx.ctx(&unit, &[]);
        let command = &unit.exec_commands(ExecKind::Start)[0];
        let prepared = prepare(&ctx, command, ExecKind::Start, None).unwrap();
        let spawned = spawn::spawn(&prepared.plan).unwrap();
        assert_eq!(spawned.exec.map_err(|(step, _)| step as i32), Err(203));
        assert_eq!(
            waitpid(spawned.pid, None).unwrap(),
            WaitStatus::Exited(spawned.pid, 203)
        );
    }

    #[test]
    fn user_credentials_apply_except_for_privileged_commands() {
        if !is_root() {
            eprintln!("skipped: credentials need a root manager");
            return;
        }
        let fx = fixture();
        let unit = fx.unit(
            "svc.service",
            "[Service]\nType=oneshot\nUser=svc\nSupplementaryGroups=other\n\
             PermissionsStartOnly=yes\n\
             ExecStartPre=/bin/sh -c 'id -u; id -G; echo $USER'\n\
             ExecStart=/bin/sh -c 'id -u; id -g; id -G; env; pwd'\n\
             ExecStart=+/bin/sh -c 'id -u; echo $USER'\n\
             ExecStart=!/bin/sh -c 'id -u'\n\
             ExecStart=!!/bin/sh -c 'id -u'\n",
        );
        assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
        let ctx = fx.ctx(&unit, &[]);
        let (text, code) = run(&ctx, ExecKind::Start, 0);
        assert_eq!(code, 0, "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(&lines[..3], &["4321", "4321", "4321 5000 5001"]);
        for var in [
            "HOME=/home/svc",
            "USER=svc",
            "LOGNAME=svc",
            "SHELL=/bin/bash",
        ] {
            assert!(lines.contains(&var), "{var} missing in {text}");
        }
        assert_eq!(lines.last(), Some(&"/"));
        // `+` keeps root but still describes the user
        assert_eq!(run(&ctx, ExecKind::Start, 1).0, "0\nsvc\n");
        assert_eq!(run(&ctx, ExecKind::Start, 2).0, "0\n");
        assert_eq!(run(&ctx, ExecKind::Start, 3).0, "0\n");
        // PermissionsStartOnly=yes: control commands keep the manager's credentials
        assert_eq!(run(&ctx, ExecKind::StartPre, 0).0, "0\n0\nsvc\n");

        // nobody: a home worth exporting, a placeholder shell that is not
        let unit = fx.unit(
            "nobody.service",
            "[Service]\nUser=nobody\nExecStart=/bin/sh -c 'id -u; id -g; env'\n",
        );
        let ctx = fx.ctx(&unit, &[]);
        let (text, code) = run(&ctx, ExecKind::Start, 0);
        assert_eq!(code, 0, "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(&lines[..2], &["65534", "65534"]);
        assert!(lines.contains(&"HOME=/nonexistent"));
        assert!(!lines.iter().any(|l| l.starts_with("SHELL=")));
    }

    #[test]
    fn credential_failures_carry_systemds_exit_statuses() {
        let fx = fixture();
        let status = |text: &str, is_root: bool| {
            let unit = fx.unit("x.service", text);
            let mut ctx = fx.ctx(&unit, &[]);
            ctx.manager_is_root = is_root;
            let command = &unit.exec_commands(ExecKind::Start)[0];
            prepare(&ctx, command, ExecKind::Start, None)
                .err()
                .map(|e| e.exit_status())
        };
        assert_eq!(
            status("[Service]\nUser=nosuch\nExecStart=/bin/true\n", true),
            Some(217)
        );
        // even a `+` command needs the user to exist
        assert_eq!(
            status("[Service]\nUser=nosuch\nExecStart=+/bin/true\n", true),
            Some(217)
        );
        assert_eq!(
            status("[Service]\nGroup=nosuch\nExecStart=/bin/true\n", true),
            Some(216)
        );
        assert_eq!(
            status(
                "[Service]\nUser=svc\nSupplementaryGroups=nosuch\nExecStart=/bin/true\n",
                true
            ),
            Some(216)
        );
        // a manager without privileges can only run services as itself; the group change
        // comes first, so another user's group is what fails
        let me = nix::unistd::getuid().as_raw();
        let other = if me == 4321 { "nobody" } else { "svc" };
        assert_eq!(
            status(
                &format!("[Service]\nUser={other}\nExecStart=/bin/true\n"),
                false
            ),
            Some(216)
        );
        assert_eq!(
            status(
                &format!("[Service]\nUser={me}\nExecStart=/bin/true\n"),
                false
            ),
            None
        );
        let unit = fx.unit(
            "me.service",
            &format!("[Service]\nUser={me}\nExecStart=/bin/true\n"),
        );
        let mut ctx = fx.ctx(&unit, &[]);
        ctx.manager_is_root = false;
        let prepared = prepare(
            &ctx,
            &unit.exec_commands(ExecKind::Start)[0],
            ExecKind::Start,
            None,
        )
        .unwrap();
        assert_eq!(prepared.plan.credentials, None);
    }

    #[test]
    fn working_directory_defaults_home_and_missing_ok() {
        let fx = fixture();
        let svc = fx.accounts.user("svc").ok();
        let nobody_root = PasswdEntry {
            home: "/".into(),
            ..fx.accounts.user("root").unwrap()
        };
        let wd = |setting: &str, user: Option<&PasswdEntry>, root: bool| {
            let text = if setting.is_empty() {
                "[Service]\nExecStart=/bin/true\n".to_string()
            } else {
                format!("[Service]\nWorkingDirectory={setting}\nExecStart=/bin/true\n")
            };
            let unit = fx.unit("wd.service", &text);
            let env = pairs(&[("HOME", "/home/manager")]);
            let mut ctx = fx.ctx(&unit, &env);
            ctx.manager_is_root = root;
            working_directory(&ctx, user)
                .map(|(p, ok)| (p.display().to_string(), ok))
                .map_err(|e| e.exit_status())
        };
        assert_eq!(wd("", None, true), Ok(("/".into(), false)));
        assert_eq!(wd("", None, false), Ok(("/home/manager".into(), true)));
        assert_eq!(wd("/srv", None, true), Ok(("/srv".into(), false)));
        assert_eq!(wd("-/srv", None, true), Ok(("/srv".into(), true)));
        assert_eq!(wd("~", svc.as_ref(), true), Ok(("/home/svc".into(), false)));
        assert_eq!(wd("-~", svc.as_ref(), true), Ok(("/home/svc".into(), true)));
        assert_eq!(wd("~", None, true), Err(200));
        assert_eq!(wd("~", Some(&nobody_root), true), Err(200));
    }

    #[test]
    fn limits_nice_and_oom_score_reach_the_child() {
        let mut fx = fixture();
        fx.manager.default_limits = vec![
            rlimit::parse("LimitNOFILE", "50").unwrap(),
            rlimit::parse("LimitCORE", "0").unwrap(),
        ];
        let unit = fx.unit(
            "lim.service",
            "[Service]\nLimitNOFILE=100:200\nNice=5\nOOMScoreAdjust=500\n\
             ExecStart=/bin/sh -c 'ulimit -n; ulimit -H -n; ulimit -c; cut -d\" \" -f19 /proc/$$$$/stat; cat /proc/self/oom_score_adj'\n",
        );
        assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
        let ctx = fx.ctx(&unit, &[]);
        let (text, code) = run(&ctx, ExecKind::Start, 0);
        assert_eq!(code, 0, "{text}");
        assert_eq!(text, "100\n200\n0\n5\n500\n");

        // above the container's hard limit: clamped with a warning unless we may raise it
        let unit = fx.unit(
            "inf.service",
            "[Service]\nLimitNOFILE=infinity\nExecStart=/bin/true\n",
        );
        let ctx = fx.ctx(&unit, &[]);
        let prepared = prepare(
            &ctx,
            &unit.exec_commands(ExecKind::Start)[0],
            ExecKind::Start,
            None,
        )
        .unwrap();
        let mut current = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut current) };
        let clamped = current.rlim_max != libc::RLIM_INFINITY && !may_raise_hard_limits();
        assert_eq!(
            prepared.warnings.len(),
            usize::from(clamped),
            "{:?}",
            prepared.warnings
        );
    }

    #[test]
    fn output_files_inherit_and_unsupported_inputs() {
        let fx = fixture();
        let out = fx.path("out.log");
        let err = fx.path("err.log");
        let input = fx.path("in.txt");
        fs::write(&out, "0123456789\n").unwrap();
        fs::write(&input, "from the file\n").unwrap();
        // as root, with a User= the files must still be the manager's
        let user = if is_root() { "User=nobody\n" } else { "" };
        let unit = fx.unit(
            "io.service",
            &format!(
                "[Service]\nType=oneshot\n{user}StandardInput=file:{input}\n\
                 StandardOutput=file:{out}\nStandardError=append:{err}\n\
                 ExecStart=/bin/sh -c 'cat; echo oops >&2'\n"
            ),
        );
        assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
        let ctx = fx.ctx(&unit, &[]);
        for _ in 0..2 {
            let (_, code) = run(&ctx, ExecKind::Start, 0);
            assert_eq!(code, 0);
        }
        // file: neither truncates nor appends; append: appends
        assert_eq!(fs::read_to_string(&out).unwrap(), "from the file\n");
        assert_eq!(fs::read_to_string(&err).unwrap(), "oops\noops\n");
        // created by the manager, as systemd does, whatever User= says
        assert_eq!(
            fs::metadata(&err).unwrap().uid(),
            nix::unistd::getuid().as_raw()
        );

        let unit = fx.unit(
            "trunc.service",
            &format!(
                "[Service]\nStandardInput=data\nStandardOutput=truncate:{out}\n\
                 StandardError=inherit\nExecStart=/bin/sh -c 'echo one; echo two >&2'\n"
            ),
        );
        let ctx = fx.ctx(&unit, &[]);
        let prepared = prepare(
            &ctx,
            &unit.exec_commands(ExecKind::Start)[0],
            ExecKind::Start,
            None,
        )
        .unwrap();
        assert_eq!(
            prepared.warnings,
            vec!["StandardInput=data is not supported here; using /dev/null.".to_string()]
        );
        drop(prepared);
        run(&ctx, ExecKind::Start, 0);
        assert_eq!(fs::read_to_string(&out).unwrap(), "one\ntwo\n");

        // journal without a log pipe, and null: /dev/null
        let unit = fx.unit(
            "quiet.service",
            "[Service]\nStandardError=null\nExecStart=/bin/true\n",
        );
        let ctx = fx.ctx(&unit, &[]);
        let prepared = prepare(
            &ctx,
            &unit.exec_commands(ExecKind::Start)[0],
            ExecKind::Start,
            None,
        )
        .unwrap();
        assert!(prepared.plan.stdio.iter().all(Option::is_none));
    }

    #[test]
    fn directories_are_created_with_mode_and_owner_and_removed_on_stop() {
        let fx = fixture();
        fs::create_dir_all(fx.bases.configuration.join("conf")).unwrap();
        fs::set_permissions(
            fx.bases.configuration.join("conf"),
            fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        let user = if is_root() { "User=nobody\n" } else { "" };
        let unit = fx.unit(
            "dirs.service",
            &format!(
                "[Service]\n{user}ExecStart=/bin/true\nRuntimeDirectory=app/sub\n\
                 RuntimeDirectoryMode=0700\nStateDirectory=st\nCacheDirectory=c\n\
                 LogsDirectory=l\nConfigurationDirectory=conf\n\
                 RuntimeDirectoryPreserve=restart\n"
            ),
        );
        assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
        let ctx = fx.ctx(&unit, &[]);
        fs::create_dir_all(fx.bases.state.join("st/old")).unwrap();
        create_directories(&ctx).unwrap();
        let meta = |p: PathBuf| fs::metadata(p).unwrap();
        let run_dir = meta(fx.bases.runtime.join("app/sub"));
        assert_eq!(run_dir.mode() & 0o7777, 0o700);
        assert_eq!(meta(fx.bases.runtime.join("app")).mode() & 0o7777, 0o755);
        assert_eq!(meta(fx.bases.state.join("st")).mode() & 0o7777, 0o755);
        assert!(fx.bases.cache.join("c").is_dir() && fx.bases.logs.join("l").is_dir());
        // an existing configuration directory is left as it is
        assert_eq!(
            meta(fx.bases.configuration.join("conf")).mode() & 0o7777,
            0o700
        );
        if is_root() {
            assert_eq!((run_dir.uid(), run_dir.gid()), (65534, 65534));
            // the whole tree goes to the service's user
            assert_eq!(meta(fx.bases.state.join("st/old")).uid(), 65534);
            // but not the parents, nor the configuration
            assert_eq!(meta(fx.bases.runtime.join("app")).uid(), 0);
            assert_eq!(meta(fx.bases.configuration.join("conf")).uid(), 0);
        }

        remove_runtime_directories(&ctx, true);
        assert!(fx.bases.runtime.join("app/sub").is_dir());
        remove_runtime_directories(&ctx, false);
        assert!(!fx.bases.runtime.join("app/sub").exists());
        assert!(fx.bases.runtime.join("app").is_dir());
        assert!(fx.bases.state.join("st").is_dir());

        // a base that cannot hold directories fails with the type's status
        let mut bases = fx.bases.clone();
        bases.logs = PathBuf::from(fx.path("etc/passwd"));
        let mut ctx = fx.ctx(&unit, &[]);
        ctx.directories = &bases;
        assert_eq!(create_directories(&ctx).unwrap_err().exit_status(), 240);
    }

    #[test]
    fn user_manager_bases_follow_systemd_252() {
        let env = pairs(&[
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ("XDG_CACHE_HOME", "rel"),
        ]);
        let b = DirectoryBases::user(&env, Path::new("/home/u"), 1000);
        assert_eq!(b.runtime, PathBuf::from("/run/user/1000"));
        assert_eq!(b.state, PathBuf::from("/home/u/.config"));
        assert_eq!(b.cache, PathBuf::from("/home/u/.cache"));
        assert_eq!(b.logs, PathBuf::from("/home/u/.config/log"));
        assert_eq!(b.configuration, PathBuf::from("/home/u/.config"));
        assert_eq!(DirectoryBases::for_manager(true), DirectoryBases::system());
    }

    #[test]
    fn unit_settings_parse_as_load_fragment_does() {
        let fx = fixture();
        let unit = fx.unit(
            "parse.service",
            "[Service]\nExecStart=/bin/true\n\
             Nice=99\nNice=-3\nOOMScoreAdjust=-2000\nOOMScoreAdjust=100\n\
             LimitNOFILE=lots\nLimitNOFILE=1024:4096\nLimitCORE=infinity\n\
             CacheDirectory=ok ../escape /abs\nCacheDirectoryMode=0750\nLogsDirectoryMode=9\n\
             RuntimeDirectoryPreserve=restart\nRuntimeDirectoryPreserve=sometimes\n\
             PassEnvironment=GOOD 1BAD\nUnsetEnvironment=X\nUnsetEnvironment=\nUnsetEnvironment=Y=1\n\
             PermissionsStartOnly=yes\nRestartKillSignal=HUP\nTTYPath=/dev/tty1\n",
        );
        let s = &unit.settings;
        assert_eq!(s.nice, Some(-3));
        assert_eq!(s.oom_score_adjust, Some(100));
        let limits: Vec<(u64, u64)> = s.limits.iter().map(|l| (l.soft, l.hard)).collect();
        assert_eq!(
            limits,
            vec![(1024, 4096), (libc::RLIM_INFINITY, libc::RLIM_INFINITY)]
        );
        assert_eq!(s.cache_directory, vec!["ok"]);
        assert_eq!(s.cache_directory_mode, 0o750);
        assert_eq!(s.logs_directory_mode, 0o755);
        assert_eq!(s.runtime_directory_preserve, DirectoryPreserve::Restart);
        assert_eq!(s.pass_environment, vec!["GOOD"]);
        assert_eq!(s.unset_environment, vec!["Y=1"]);
        assert!(s.permissions_start_only);
        assert_eq!(s.restart_kill_signal.as_deref(), Some("SIGHUP"));
        assert_eq!(s.tty_path.as_deref(), Some("/dev/tty1"));
        // warnings name the file as it is inside the root
        let at =
            |line: usize, msg: &str| format!("/etc/systemd/system/parse.service:{line}: {msg}");
        assert_eq!(
            unit.warnings,
            vec![
                at(3, "Failed to parse Nice value, ignoring: 99"),
                at(5, "Failed to parse OOMScoreAdjust value, ignoring: -2000"),
                at(7, "Failed to parse resource value, ignoring: lots"),
                at(
                    10,
                    "CacheDirectory= path is not valid, ignoring assignment: ../escape"
                ),
                at(
                    10,
                    "CacheDirectory= path is not valid, ignoring assignment: /abs"
                ),
                at(12, "Failed to parse LogsDirectoryMode value, ignoring: 9"),
                at(
                    14,
                    "Failed to parse RuntimeDirectoryPreserve value, ignoring: sometimes"
                ),
                at(
                    15,
                    "Invalid environment name for PassEnvironment, ignoring: 1BAD"
                ),
            ]
        );
    }
}
