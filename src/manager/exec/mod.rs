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
//! (the pid of the exec'd process is only known in the child), and a controlling terminal for
//! `StandardInput=tty`. The locale of /etc/locale.conf comes from the manager's configuration.

use std::collections::HashMap;
use std::os::fd::BorrowedFd;

use crate::manager::spawn::ExecPlan;
use crate::unit::command::{self, ExecCommand};
use crate::unit::model::ExecKind;

use environment::*;
use identity::*;
use stdio::*;

pub use bases::{DirectoryBases, DirectoryKind};
pub use context::{ExecContext, ExecEnvError, Prepared, ResultEnv, DEFAULT_PATH};
pub use directories::{create_directories, remove_runtime_directories};
pub use stdio::stdio_is_socket;

mod bases;
mod context;
mod directories;
mod environment;
mod identity;
mod stdio;
#[cfg(test)]
mod tests;

/// What systemd's exec_spawn() does in the manager before it forks and may fail at: reading
/// the `EnvironmentFile=`s.
pub fn check_before_fork(ctx: &ExecContext) -> Result<(), ExecEnvError> {
    environment_files(&ctx.unit.settings).map(drop)
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
    let home = command_home(ctx, user.as_ref());
    let env = environment(ctx, kind, user.as_ref(), home.as_deref())?;
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
    let (dir, missing_ok) = working_directory(ctx, home.as_deref())?;
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
