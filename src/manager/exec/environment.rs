//! The environment and command line of a command: systemd 252's `build_environment()` and
//! `exec_context_load_environment()` (src/core/execute.c): the variables every command gets, the
//! manager's own, `Environment=`/`EnvironmentFile=`/`PassEnvironment=`/`UnsetEnvironment=` in
//! systemd's order, and the program looked up in the default search path.

use std::path::{Path, PathBuf};

use crate::manager::spawn::{self};
use crate::sys::accounts::PasswdEntry;
use crate::unit::envfile::{self};
use crate::unit::model::{ExecKind, ExecSettings, UnitConfig};

use super::bases::*;
use super::context::*;

/// An ordered environment where setting a name again replaces it in place, as
/// `strv_env_replace()` does.
#[derive(Default)]
struct Env(Vec<(String, String)>);

impl Env {
    pub(super) fn set(&mut self, name: &str, value: &str) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => value.clone_into(v),
            None => self.0.push((name.to_string(), value.to_string())),
        }
    }
}

/// `get_user_creds()` with `USER_CREDS_CLEAN`: the home and shell worth exporting. root and
/// nobody are synthesized without a look at /etc/passwd (root's home is /root and its shell
/// `default_root_shell()`; nobody has neither); for another user a home of `/` or a relative
/// one, and a placeholder shell, are not exported.
pub(super) fn clean_home(user: &PasswdEntry) -> Option<String> {
    if is_root(user) {
        return Some("/root".into());
    }
    if is_nobody(user) {
        return None;
    }
    let home = user.home.as_str();
    (home.starts_with('/') && !home.trim_end_matches('/').is_empty()).then(|| home.to_string())
}

fn clean_shell(user: &PasswdEntry) -> Option<String> {
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
    if is_root(user) {
        // default_root_shell(): DEFAULT_USER_SHELL (/bin/bash) where it exists, else /bin/sh
        return Some(if Path::new("/bin/bash").exists() {
            "/bin/bash".into()
        } else {
            "/bin/sh".into()
        });
    }
    if is_nobody(user) {
        return None;
    }
    let shell = user.shell.as_str();
    (shell.starts_with('/') && !PLACEHOLDERS.contains(&shell)).then(|| shell.to_string())
}

/// synthesize_user_creds(): the users systemd never looks up.
fn is_root(user: &PasswdEntry) -> bool {
    user.uid == 0 && user.name == "root"
}

fn is_nobody(user: &PasswdEntry) -> bool {
    user.uid == 65534 && user.name == "nobody"
}

/// The home a command gets: the user's ([`clean_home`]), else, for `WorkingDirectory=~` only,
/// the manager's own (`acquire_home()` → `get_home_dir()`: its `$HOME` when absolute, else
/// /root for root, / for nobody, else its /etc/passwd entry). It is both `$HOME` and where `~`
/// leads.
pub(super) fn command_home(ctx: &ExecContext, user: Option<&PasswdEntry>) -> Option<String> {
    if let Some(home) = user.and_then(clean_home) {
        return Some(home);
    }
    let setting = ctx.unit.settings.working_directory.as_deref()?;
    if setting.trim_start_matches('-') != "~" {
        return None;
    }
    if let Some(home) = manager_var(ctx, "HOME").filter(|h| h.starts_with('/')) {
        return Some(home.to_string());
    }
    match nix::unistd::getuid().as_raw() {
        0 => Some("/root".into()),
        65534 => Some("/".into()),
        uid => ctx
            .accounts
            .user(&uid.to_string())
            .ok()
            .map(|u| u.home)
            .filter(|h| h.starts_with('/')),
    }
}

pub(super) fn manager_var<'a>(ctx: &'a ExecContext, name: &str) -> Option<&'a str> {
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

fn is_console_output(output: &str) -> bool {
    matches!(
        output,
        "tty" | "journal+console" | "syslog+console" | "kmsg+console"
    )
}

/// `exec_context_needs_term()`: a unit on a terminal gets `$TERM`.
fn needs_term(s: &ExecSettings) -> bool {
    s.standard_input.is_tty()
        || is_console_output(&s.standard_output)
        || is_console_output(&s.standard_error)
        || s.tty_path.is_some()
}

/// The full environment, in systemd's merge order: the manager's (`PATH`, `DefaultEnvironment=`,
/// then what `service_spawn()` adds), `build_environment()`'s, `PassEnvironment=`,
/// `Environment=`, `EnvironmentFile=`; a later one replaces an earlier one of the same name; then
/// `UnsetEnvironment=` removes.
pub(super) fn environment(
    ctx: &ExecContext,
    kind: ExecKind,
    user: Option<&PasswdEntry>,
    home: Option<&str>,
) -> Result<Vec<(String, String)>, ExecEnvError> {
    let s = &ctx.unit.settings;
    let mut env = Env::default();
    env.set("PATH", DEFAULT_PATH);
    if ctx.manager_is_root {
        for (k, v) in &ctx.manager.locale_environment {
            env.set(k, v);
        }
    }
    for (k, v) in ctx
        .manager
        .default_environment
        .iter()
        .chain(ctx.client_environment)
    {
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
    if let Some(pid_file) = ctx.unit.service().and_then(|s| s.pid_file.as_deref()) {
        env.set("PIDFILE", pid_file);
    }
    if let Some(result) = ctx.result {
        let prefix = if result.monitored.is_some() {
            "MONITOR_"
        } else {
            ""
        };
        env.set(&format!("{prefix}SERVICE_RESULT"), result.result);
        if let Some((code, status)) = result.main_exit {
            env.set(
                &format!("{prefix}EXIT_CODE"),
                crate::sys::exit_status::sigchld_code(code).unwrap_or_default(),
            );
            let status = if code == libc::CLD_EXITED {
                status.to_string()
            } else {
                // signal_to_string(): the name without SIG
                crate::sys::signal::signal_name(status)
            };
            env.set(&format!("{prefix}EXIT_STATUS"), &status);
        }
        if let Some((invocation_id, unit)) = result.monitored {
            if !invocation_id.is_empty() {
                env.set("MONITOR_INVOCATION_ID", invocation_id);
            }
            env.set("MONITOR_UNIT", unit);
        }
    }
    if let Some(service) = ctx.unit.service() {
        let watchdog = service.watchdog;
        if kind == ExecKind::Start && watchdog.0 > 0 && !watchdog.is_infinity() {
            env.set("WATCHDOG_USEC", &watchdog.0.to_string());
        }
    }
    if let Some(home) = home {
        env.set("HOME", home);
    }
    if let Some(user) = user {
        env.set("LOGNAME", &user.name);
        env.set("USER", &user.name);
        if let Some(shell) = clean_shell(user) {
            env.set("SHELL", &shell);
        }
    }
    if !ctx.invocation_id.is_empty() {
        env.set("INVOCATION_ID", ctx.invocation_id);
    }
    if let Some(remote) = ctx.remote {
        // service_spawn_internal(): a v4-mapped peer as plain IPv4.
        let ip = crate::manager::types::socket::ports::unmapped(remote.ip());
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
pub(super) fn environment_files(s: &ExecSettings) -> Result<Vec<(String, String)>, ExecEnvError> {
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
pub(super) fn program_path(path: &str) -> PathBuf {
    spawn::resolve_program(path, DEFAULT_PATH)
        .unwrap_or_else(|| Path::new("/usr/local/sbin").join(path))
}
