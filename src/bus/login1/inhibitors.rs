//! Inhibitors (src/login/logind-inhibit.c and logind-dbus.c's method_inhibit(),
//! method_list_inhibitors()): Inhibit() answers the write end of a pipe whose read end we keep;
//! the lock is held until every copy of the caller's end is closed.

use std::os::fd::OwnedFd;
use std::sync::Arc;

use zbus::zvariant::Fd;

use super::{errors, is_root, limits_exceeded, Ctx, State, INHIBITORS_MAX, INHIBITORS_PER_USER};
use crate::bus::MethodError;
use crate::sys::time::{now_stamp, Stamp};

/// InhibitWhat's bits, in inhibit_what_to_string()'s order.
const WHATS: [&str; 8] = [
    "shutdown",
    "sleep",
    "idle",
    "handle-power-key",
    "handle-suspend-key",
    "handle-hibernate-key",
    "handle-lid-switch",
    "handle-reboot-key",
];
pub(super) const SHUTDOWN: u32 = 1;
const SLEEP: u32 = 1 << 1;
const IDLE: u32 = 1 << 2;
/// The longest `who` and `why` taken: each inhibitor is kept in the manager's memory.
const TEXT_MAX: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Block,
    Delay,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Block => "block",
            Mode::Delay => "delay",
        }
    }
}

/// One inhibitor lock.
pub(super) struct Inhibitor {
    what: u32,
    who: String,
    why: String,
    mode: Mode,
    uid: u32,
    pid: u32,
    since: Stamp,
    /// Our end of the pipe: when the caller's end is closed, the lock is gone.
    pub fifo: Arc<OwnedFd>,
}

/// inhibit_what_from_string(): words joined by `:`; `None` for an unknown word or none.
fn what_from_string(s: &str) -> Option<u32> {
    let mut what = 0;
    for word in s.split(':').filter(|w| !w.is_empty()) {
        let bit = WHATS.iter().position(|w| *w == word)?;
        what |= 1 << bit;
    }
    (what != 0).then_some(what)
}

/// inhibit_what_to_string().
pub(super) fn what_to_string(what: u32) -> String {
    WHATS
        .iter()
        .enumerate()
        .filter(|(bit, _)| what & (1 << bit) != 0)
        .map(|(_, w)| *w)
        .collect::<Vec<_>>()
        .join(":")
}

impl State {
    /// manager_inhibit_what(): what the locks of `mode` hold.
    pub(super) fn inhibit_what(&self, mode: Mode) -> u32 {
        self.inhibitors
            .values()
            .filter(|i| i.mode == mode)
            .fold(0, |w, i| w | i.what)
    }

    /// manager_is_inhibited(): whether a lock of `mode` holds any of `what`, those of uid
    /// `except` left out.
    pub(super) fn inhibited(&self, what: u32, mode: Mode, except: Option<u32>) -> bool {
        self.inhibitors
            .values()
            .any(|i| i.what & what != 0 && i.mode == mode && Some(i.uid) != except)
    }

    /// Whether an idle lock holds, and since when (the earliest).
    pub(super) fn idle_inhibited(&self) -> Option<Stamp> {
        self.inhibitors
            .values()
            .filter(|i| i.what & IDLE != 0 && i.mode == Mode::Block)
            .map(|i| i.since)
            .min_by_key(|s| s.1)
    }
}

/// Inhibit(what, who, why, mode) → the fd.
pub(super) fn inhibit(ctx: &mut Ctx) -> Result<(), MethodError> {
    let (what_text, who, why, mode_text): (String, String, String, String) = ctx.call.args()?;
    let what = what_from_string(&what_text).ok_or_else(|| {
        MethodError::invalid_args(format!("Invalid what specification {what_text}"))
    })?;
    let mode = match mode_text.as_str() {
        "block" => Mode::Block,
        "delay" => Mode::Delay,
        _ => {
            return Err(MethodError::invalid_args(format!(
                "Invalid mode specification {mode_text}"
            )))
        }
    };
    if mode == Mode::Delay && what & !(SHUTDOWN | SLEEP) != 0 {
        return Err(MethodError::invalid_args(
            "Delay inhibitors only supported for shutdown and sleep",
        ));
    }
    if who.len() > TEXT_MAX || why.len() > TEXT_MAX {
        return Err(MethodError::invalid_args(format!(
            "Inhibitor who and why are limited to {TEXT_MAX} bytes"
        )));
    }
    let caller = ctx.caller();
    // org.freedesktop.login1.policy: a delay lock, or a block of idle, is allowed to anyone
    // (allow_any=yes); the other blocks only to a user of a local session (allow_any=no), and
    // polkit counts only a session on a seat as local, which no session here has
    let anyone = mode == Mode::Delay || what == IDLE;
    if !is_root(&caller) && !anyone {
        return Err(MethodError::access_denied());
    }
    let (ours, theirs) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
            .map_err(|e| MethodError::failed(format!("Failed to create inhibitor pipe: {e}")))?;
    {
        let mut state = ctx.shared.lock();
        if state.delayed.is_some() && what & SHUTDOWN != 0 {
            return Err(MethodError::new(
                errors::OPERATION_IN_PROGRESS,
                "The operation inhibition has been requested for is already running",
            ));
        }
        if state.inhibitors.len() >= INHIBITORS_MAX {
            return Err(limits_exceeded("inhibitors", INHIBITORS_MAX, ""));
        }
        if state
            .inhibitors
            .values()
            .filter(|i| i.uid == caller.uid)
            .count()
            >= INHIBITORS_PER_USER
        {
            return Err(limits_exceeded(
                "inhibitors",
                INHIBITORS_PER_USER,
                " of a user",
            ));
        }
        state.inhibitor_counter += 1;
        let id = state.inhibitor_counter;
        state.inhibitors.insert(
            id,
            Inhibitor {
                what,
                who,
                why,
                mode,
                uid: caller.uid,
                pid: u32::try_from(caller.pid).unwrap_or(0),
                since: now_stamp(),
                fifo: Arc::new(ours),
            },
        );
    }
    ctx.shared.wake();
    ctx.call.reply(&(Fd::from(&theirs),))
}

/// ListInhibitors → a(ssssuu): what, who, why, mode, uid, pid.
pub(super) fn list(ctx: &Ctx) -> Result<(), MethodError> {
    let list: Vec<(String, String, String, String, u32, u32)> = ctx
        .shared
        .lock()
        .inhibitors
        .values()
        .map(|i| {
            (
                what_to_string(i.what),
                i.who.clone(),
                i.why.clone(),
                i.mode.as_str().to_string(),
                i.uid,
                i.pid,
            )
        })
        .collect();
    ctx.call.reply(&(list,))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_a_list_of_words_in_systemd_s_order() {
        assert_eq!(what_from_string("sleep:shutdown"), Some(SHUTDOWN | SLEEP));
        assert_eq!(what_to_string(SHUTDOWN | SLEEP), "shutdown:sleep");
        assert_eq!(what_from_string("bogus"), None);
        assert_eq!(what_from_string(""), None);
        assert_eq!(
            what_to_string(what_from_string("handle-reboot-key:idle").unwrap()),
            "idle:handle-reboot-key"
        );
    }
}
