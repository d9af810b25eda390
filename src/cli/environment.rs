//! `show-environment`, `set-environment`, `unset-environment` and `import-environment`
//! (systemd 252's src/systemctl/systemctl-set-environment.c): the manager's environment for the
//! processes it spawns, read from its `Environment=` property and changed with
//! SetEnvironment()/UnsetEnvironment(), whose checks are the manager's.

use super::queries::call;
use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::client::connect_running;
use crate::ipc::properties::{shell_maybe_quote_posix, BusValue};
use crate::ipc::protocol::{Reply, Request};
use crate::ipc::Connection;

fn manager(ctx: &Ctx, args: &[String]) -> Result<Connection, Failed> {
    match connect_running() {
        Some(conn) => Ok(conn),
        None => match super::online::needs_manager(ctx, args) {
            Err(e) => Err(e),
            Ok(_) => Err(Failed::new(Exit::Failure, "No service manager runs.")),
        },
    }
}

/// Each `NAME=VALUE` of the manager's environment, the value quoted as a POSIX shell reads it.
pub fn show_environment(ctx: &Ctx, args: &[String]) -> VerbResult {
    let mut conn = manager(ctx, args)?;
    let failed = |e: String| Failed::new(Exit::Failure, format!("Failed to get environment: {e}"));
    let props = match call(&mut conn, &Request::ManagerProperties)? {
        Reply::Properties(mut p) if p.len() == 1 => p.pop().unwrap_or_default(),
        Reply::Error(e) => return Err(failed(e)),
        _ => return Err(failed("Unexpected answer from the manager.".into())),
    };
    let entries = props
        .iter()
        .find(|p| p.name == "Environment")
        .and_then(|p| match &p.bus {
            Some(BusValue::List(items)) => Some(items.as_slice()),
            _ => None,
        })
        .unwrap_or_default();
    let mut out = String::new();
    for entry in entries {
        let BusValue::S(assignment) = entry else {
            continue;
        };
        let Some((name, value)) = assignment.split_once('=') else {
            return Err(Failed::new(Exit::Failure, "Invalid environment block"));
        };
        out.push_str(&format!("{name}={}\n", shell_maybe_quote_posix(value)));
    }
    print!("{out}");
    Ok(Exit::Success)
}

/// `set-environment NAME=VALUE…`: the manager checks the assignments.
pub fn set_environment(ctx: &Ctx, args: &[String]) -> VerbResult {
    let request = Request::SetEnvironment {
        unset: Vec::new(),
        set: args.to_vec(),
    };
    send(ctx, args, &request, "set")
}

/// `unset-environment NAME…` (or `NAME=VALUE`, unset only with that value: the manager's
/// strv_env_unset_many()).
pub fn unset_environment(ctx: &Ctx, args: &[String]) -> VerbResult {
    let request = Request::SetEnvironment {
        unset: args.to_vec(),
        set: Vec::new(),
    };
    send(ctx, args, &request, "set")
}

/// `import-environment [NAME…]`: the named variables of this process's environment (all of
/// them, with 252's warning, when none is named).
pub fn import_environment(ctx: &Ctx, args: &[String]) -> VerbResult {
    let mut set = Vec::new();
    if args.is_empty() {
        eprintln!("Calling import-environment without a list of variable names is deprecated.");
        for (name, value) in std::env::vars_os() {
            // strv_env_clean(): what is not a valid assignment is left out
            if let (Some(name), Some(value)) = (name.to_str(), value.to_str()) {
                if crate::unit::envfile::is_valid_name(name) {
                    set.push(format!("{name}={value}"));
                }
            }
        }
    } else {
        for name in args {
            if !crate::unit::envfile::is_valid_name(name) {
                return Err(Failed::new(
                    Exit::Failure,
                    format!("Not a valid environment variable name: {name}"),
                ));
            }
            match std::env::var(name) {
                Ok(value) => set.push(format!("{name}={value}")),
                Err(_) => eprintln!("Environment variable ${name} not set, ignoring."),
            }
        }
    }
    let request = Request::SetEnvironment {
        unset: Vec::new(),
        set,
    };
    send(ctx, args, &request, "import")
}

fn send(ctx: &Ctx, args: &[String], request: &Request, what: &str) -> VerbResult {
    let mut conn = manager(ctx, args)?;
    let error = match call(&mut conn, request)? {
        Reply::Done => return Ok(Exit::Success),
        Reply::AccessDenied => "Access denied".to_string(),
        Reply::Error(e) | Reply::BusError { message: e, .. } => e,
        _ => "Unexpected answer from the manager.".to_string(),
    };
    Err(Failed::new(
        Exit::Failure,
        format!("Failed to {what} environment: {error}"),
    ))
}
