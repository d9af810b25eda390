//! The Manager object /org/freedesktop/login1 (src/login/logind-dbus.c's manager_vtable): its
//! methods, handed to `sessions`, `users` and `inhibitors` where they are about those, the
//! shutdown verbs (a shutdown of our manager through the control socket, root only, delayed by
//! delay inhibitors as manager_delay_action() delays it), and its properties with systemd 252's
//! defaults for what a container has no use for (logind.conf's keys, no seats, VTs or lid).

use std::time::Instant;

use zbus::zvariant::Value;

use super::inhibitors::{self, Mode, SHUTDOWN};
use super::sessions::{self, combined_idle};
use super::users::{self, runtime_dir_size};
use super::watch::{Delayed, INHIBIT_DELAY_MAX};
use super::{errors, is_root, value, Ctx, Event, State, INHIBITORS_MAX, SESSIONS_MAX};
use crate::bus::MethodError;
use crate::ipc::protocol::{Request, ShutdownAction};

/// SD_LOGIND_ROOT_CHECK_INHIBITORS and SD_LOGIND_REBOOT_VIA_KEXEC (src/basic/login-util.h):
/// the flags a caller may pass.
const ROOT_CHECK_INHIBITORS: u64 = 1;
const REBOOT_VIA_KEXEC: u64 = 1 << 1;
/// The longest wall message taken (logind-dbus.c's WALL_MESSAGE_MAX).
const WALL_MESSAGE_MAX: usize = 4096;
const USEC_PER_SEC: u64 = 1_000_000;

pub(super) fn call(ctx: &mut Ctx) -> Result<(), MethodError> {
    let call = ctx.call;
    let member = call.member.as_str();
    match member {
        "GetSession"
        | "GetSessionByPID"
        | "ListSessions"
        | "CreateSession"
        | "ReleaseSession"
        | "ActivateSession"
        | "ActivateSessionOnSeat"
        | "LockSession"
        | "UnlockSession"
        | "LockSessions"
        | "UnlockSessions"
        | "KillSession"
        | "TerminateSession" => sessions::manager_call(ctx),
        "GetUser" | "GetUserByPID" | "ListUsers" | "SetUserLinger" | "KillUser"
        | "TerminateUser" => users::manager_call(ctx),
        "Inhibit" => inhibitors::inhibit(ctx),
        "ListInhibitors" => inhibitors::list(ctx),
        "GetSeat" | "TerminateSeat" => {
            let (name,): (String,) = call.args()?;
            Err(sessions::no_seat(&name))
        }
        "ListSeats" => call.reply(&(Vec::<(String, zbus::zvariant::ObjectPath)>::new(),)),
        "PowerOff" | "Reboot" | "Halt" => shutdown(ctx, action_of(member), false),
        "PowerOffWithFlags" | "RebootWithFlags" | "HaltWithFlags" => {
            shutdown(ctx, action_of(member), true)
        }
        "Suspend" | "Hibernate" | "HybridSleep" | "SuspendThenHibernate" => {
            let (_interactive,): (bool,) = call.args()?;
            Err(sleep_not_supported(member))
        }
        "SuspendWithFlags"
        | "HibernateWithFlags"
        | "HybridSleepWithFlags"
        | "SuspendThenHibernateWithFlags" => {
            let (_flags,): (u64,) = call.args()?;
            Err(sleep_not_supported(member))
        }
        "CanPowerOff" | "CanReboot" | "CanHalt" => {
            // polkit's power-off and friends need an admin's password for anyone but root
            let answer = if is_root(&ctx.caller()) { "yes" } else { "no" };
            call.reply(&(answer,))
        }
        // can_sleep() in a container, and what a container cannot set for the next boot
        "CanSuspend"
        | "CanHibernate"
        | "CanHybridSleep"
        | "CanSuspendThenHibernate"
        | "CanRebootParameter"
        | "CanRebootToFirmwareSetup"
        | "CanRebootToBootLoaderMenu"
        | "CanRebootToBootLoaderEntry" => call.reply(&("na",)),
        "SetRebootParameter"
        | "SetRebootToFirmwareSetup"
        | "SetRebootToBootLoaderMenu"
        | "SetRebootToBootLoaderEntry"
        | "ScheduleShutdown"
        | "AttachDevice"
        | "FlushDevices" => {
            if !is_root(&ctx.caller()) {
                return Err(MethodError::access_denied());
            }
            Err(MethodError::new(
                errors::NOT_SUPPORTED,
                format!("{member} is not supported in a container, refusing."),
            ))
        }
        "CancelScheduledShutdown" => {
            if !is_root(&ctx.caller()) {
                return Err(MethodError::access_denied());
            }
            // nothing is ever scheduled
            call.reply(&(false,))
        }
        "SetWallMessage" => {
            let (message, enable): (String, bool) = call.args()?;
            set_wall_message(ctx, message, enable)?;
            call.reply(&())
        }
        _ => Err(MethodError::unknown_method(&call.interface, member)),
    }
}

fn action_of(member: &str) -> ShutdownAction {
    if member.starts_with("Reboot") {
        ShutdownAction::Reboot
    } else if member.starts_with("Halt") {
        ShutdownAction::Halt
    } else {
        ShutdownAction::Poweroff
    }
}

/// The sleep verbs: there is no sleeping in a container.
fn sleep_not_supported(member: &str) -> MethodError {
    let verb = match member.trim_end_matches("WithFlags") {
        "Hibernate" => "hibernate",
        "HybridSleep" => "hybrid-sleep",
        "SuspendThenHibernate" => "suspend-then-hibernate",
        _ => "suspend",
    };
    MethodError::new(
        errors::SLEEP_VERB_NOT_SUPPORTED,
        format!("Sleep verb \"{verb}\" not supported"),
    )
}

/// method_do_shutdown_or_sleep() for PowerOff, Reboot, Halt (and their WithFlags forms): root
/// only; refused to root when asked to respect others' block inhibitors and one holds;
/// PrepareForShutdown(true) to all; then our manager's shutdown, now or once the delay
/// inhibitors are gone (at most InhibitDelayMaxSec= later).
fn shutdown(ctx: &mut Ctx, action: ShutdownAction, with_flags: bool) -> Result<(), MethodError> {
    let flags = if with_flags {
        let (flags,): (u64,) = ctx.call.args()?;
        if flags & !(ROOT_CHECK_INHIBITORS | REBOOT_VIA_KEXEC) != 0 {
            return Err(MethodError::invalid_args("Invalid flags parameter"));
        }
        if action != ShutdownAction::Reboot && flags & REBOOT_VIA_KEXEC != 0 {
            return Err(MethodError::invalid_args(
                "Reboot via kexec is only applicable with reboot operations",
            ));
        }
        flags
    } else {
        let (_interactive,): (bool,) = ctx.call.args()?;
        0
    };
    let caller = ctx.caller();
    if !is_root(&caller) {
        return Err(MethodError::access_denied());
    }
    let delayed = {
        let mut state = ctx.shared.lock();
        if state.delayed.is_some() {
            return Err(MethodError::new(
                errors::OPERATION_IN_PROGRESS,
                "There's already a shutdown or sleep operation in progress",
            ));
        }
        if flags & ROOT_CHECK_INHIBITORS != 0
            && state.inhibited(SHUTDOWN, Mode::Block, Some(caller.uid))
        {
            return Err(MethodError::new(
                "org.freedesktop.DBus.Error.AccessDenied",
                "Access denied to root due to active block inhibitor",
            ));
        }
        let delayed = state.inhibited(SHUTDOWN, Mode::Delay, None);
        if delayed {
            state.delayed = Some(Delayed {
                action,
                deadline: Instant::now() + INHIBIT_DELAY_MAX,
            });
        }
        delayed
    };
    ctx.emit(vec![Event::PrepareForShutdown(true)]);
    if delayed {
        ctx.shared.wake();
        return ctx.call.reply(&());
    }
    let request = Request::Shutdown {
        action,
        exit_code: None,
    };
    if let Err(e) = ctx.link.ask(caller, &request) {
        ctx.emit(vec![Event::PrepareForShutdown(false)]);
        return Err(e);
    }
    ctx.call.reply(&())
}

/// SetWallMessage (org.freedesktop.login1.set-wall-message: an admin's).
fn set_wall_message(ctx: &Ctx, message: String, enable: bool) -> Result<(), MethodError> {
    if !is_root(&ctx.caller()) {
        return Err(MethodError::access_denied());
    }
    if message.len() > WALL_MESSAGE_MAX {
        return Err(MethodError::invalid_args(format!(
            "Wall message too long, maximum permitted length is {WALL_MESSAGE_MAX} characters."
        )));
    }
    let mut state = ctx.shared.lock();
    state.wall_message = message;
    state.enable_wall_messages = enable;
    Ok(())
}

/// Set() of the two writable properties, EnableWallMessages and WallMessage.
pub(super) fn set_property(ctx: &mut Ctx) -> Result<(), MethodError> {
    let (_interface, property, value): (String, String, zbus::zvariant::OwnedValue) =
        ctx.call.args()?;
    let (message, enable) = {
        let state = ctx.shared.lock();
        (state.wall_message.clone(), state.enable_wall_messages)
    };
    let wrong = || MethodError::invalid_args(format!("Invalid value for {property}"));
    match property.as_str() {
        "EnableWallMessages" => {
            let enable = bool::try_from(value).map_err(|_| wrong())?;
            set_wall_message(ctx, message, enable)?;
        }
        "WallMessage" => {
            let message = String::try_from(value).map_err(|_| wrong())?;
            set_wall_message(ctx, message, enable)?;
        }
        _ => {
            return Err(MethodError::new(
                "org.freedesktop.DBus.Error.PropertyReadOnly",
                format!("Property '{property}' is not writable."),
            ))
        }
    }
    ctx.call.reply(&())
}

/// The Manager's properties in the order of manager_vtable, with logind.conf's defaults.
pub(super) fn properties(state: &State) -> Vec<(String, Value<'static>)> {
    // manager_get_idle_hint(): idle unless an idle lock holds, then the sessions'
    let (idle, since) = match state.idle_inhibited() {
        Some(since) => combined_idle(state.sessions.values(), false, since),
        None => combined_idle(state.sessions.values(), true, (0, 0)),
    };
    let (dir_size, dir_inodes) = runtime_dir_size();
    let none: Vec<String> = Vec::new();
    let preparing = state.delayed.is_some();
    vec![
        value("EnableWallMessages", state.enable_wall_messages),
        value("WallMessage", state.wall_message.clone()),
        value("NAutoVTs", 6u32),
        value("KillOnlyUsers", none.clone()),
        value("KillExcludeUsers", none.clone()),
        // Debian builds with -Ddefault-kill-user-processes=false
        value("KillUserProcesses", false),
        value("RebootParameter", String::new()),
        value("RebootToFirmwareSetup", false),
        value("RebootToBootLoaderMenu", u64::MAX),
        value("RebootToBootLoaderEntry", String::new()),
        value("BootLoaderEntries", none),
        value("IdleHint", idle),
        value("IdleSinceHint", since.0),
        value("IdleSinceHintMonotonic", since.1),
        value(
            "BlockInhibited",
            inhibitors::what_to_string(state.inhibit_what(Mode::Block)),
        ),
        value(
            "DelayInhibited",
            inhibitors::what_to_string(state.inhibit_what(Mode::Delay)),
        ),
        value(
            "InhibitDelayMaxUSec",
            INHIBIT_DELAY_MAX.as_secs() * USEC_PER_SEC,
        ),
        value("UserStopDelayUSec", 10 * USEC_PER_SEC),
        value("HandlePowerKey", "poweroff".to_string()),
        value("HandlePowerKeyLongPress", "ignore".to_string()),
        value("HandleRebootKey", "reboot".to_string()),
        value("HandleRebootKeyLongPress", "poweroff".to_string()),
        value("HandleSuspendKey", "suspend".to_string()),
        value("HandleSuspendKeyLongPress", "hibernate".to_string()),
        value("HandleHibernateKey", "hibernate".to_string()),
        value("HandleHibernateKeyLongPress", "ignore".to_string()),
        value("HandleLidSwitch", "suspend".to_string()),
        // unset: HandleLidSwitch= applies
        value("HandleLidSwitchExternalPower", String::new()),
        value("HandleLidSwitchDocked", "ignore".to_string()),
        value("HoldoffTimeoutUSec", 30 * USEC_PER_SEC),
        value("IdleAction", "ignore".to_string()),
        value("IdleActionUSec", sessions::IDLE_ACTION_USEC),
        value("PreparingForShutdown", preparing),
        value("PreparingForSleep", false),
        value("ScheduledShutdown", (String::new(), 0u64)),
        value("Docked", false),
        value("LidClosed", false),
        value("OnExternalPower", true),
        value("RemoveIPC", true),
        value("RuntimeDirectorySize", dir_size),
        value("RuntimeDirectoryInodesMax", dir_inodes),
        value("InhibitorsMax", INHIBITORS_MAX as u64),
        value("NCurrentInhibitors", state.inhibitors.len() as u64),
        value("SessionsMax", SESSIONS_MAX as u64),
        value("NCurrentSessions", state.sessions.len() as u64),
        value("StopIdleSessionUSec", u64::MAX),
    ]
}
