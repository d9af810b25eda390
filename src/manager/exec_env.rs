//! Placeholder until the exec-env branch lands: the environment and stdio systemd.exec(5) gives a
//! command, reduced to what the manager needs to run.

use std::collections::HashMap;
use std::os::fd::BorrowedFd;
use std::path::Path;

use thiserror::Error;

use super::config::ManagerConfig;
use super::credentials::Accounts;
use super::spawn::{ExecPlan, SpawnError};
use crate::unit::command::{expand_variables, ExecCommand};
use crate::unit::model::{ExecKind, UnitConfig};

#[derive(Debug, Error)]
pub enum ExecEnvError {
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    #[error("Failed to duplicate the log pipe: {0}")]
    Pipe(std::io::Error),
}

impl ExecEnvError {
    pub fn exit_status(&self) -> i32 {
        203
    }
}

#[derive(Debug, Clone, Default)]
pub struct DirectoryBases;

impl DirectoryBases {
    pub fn for_manager(_is_root: bool) -> DirectoryBases {
        DirectoryBases
    }
}

pub struct ExecContext<'a> {
    pub unit: &'a UnitConfig,
    pub manager: &'a ManagerConfig,
    pub accounts: &'a Accounts,
    pub invocation_id: &'a str,
    pub notify_socket: Option<&'a Path>,
    pub main_pid: Option<i32>,
    pub manager_is_root: bool,
    pub directories: &'a DirectoryBases,
    pub manager_env: &'a [(String, String)],
}

pub struct Prepared {
    pub plan: ExecPlan,
    pub warnings: Vec<String>,
}

pub fn prepare(
    ctx: &ExecContext,
    command: &ExecCommand,
    _kind: ExecKind,
    log_pipe: Option<BorrowedFd>,
) -> Result<Prepared, ExecEnvError> {
    let mut env: Vec<(String, String)> = vec![(
        "PATH".into(),
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
    )];
    let mut set = |k: &str, v: &str| {
        env.retain(|(key, _)| key != k);
        env.push((k.to_string(), v.to_string()));
    };
    for (k, v) in &ctx.manager.default_environment {
        set(k, v);
    }
    for e in &ctx.unit.settings.environment {
        if let Some((k, v)) = e.split_once('=') {
            set(k, v);
        }
    }
    set("INVOCATION_ID", ctx.invocation_id);
    if let Some(n) = ctx.notify_socket {
        set("NOTIFY_SOCKET", &n.display().to_string());
    }
    if let Some(p) = ctx.main_pid {
        set("MAINPID", &p.to_string());
    }
    let map: HashMap<String, String> = env.iter().cloned().collect();
    let argv = if command.flags.no_env_expand {
        command.argv.clone()
    } else {
        expand_variables(&command.argv, &map)
    };
    let mut plan = ExecPlan::new(Path::new(&command.path), &argv, &env)?;
    if let Some(fd) = log_pipe {
        let out = fd.try_clone_to_owned().map_err(ExecEnvError::Pipe)?;
        let err = fd.try_clone_to_owned().map_err(ExecEnvError::Pipe)?;
        plan.stdio[1] = Some(out);
        plan.stdio[2] = Some(err);
    }
    Ok(Prepared {
        plan,
        warnings: Vec::new(),
    })
}

pub fn create_directories(_ctx: &ExecContext) -> Result<(), ExecEnvError> {
    Ok(())
}

pub fn remove_runtime_directories(_ctx: &ExecContext, _restarting: bool) {}
