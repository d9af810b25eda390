//! What woke the event loop: every descriptor and deadline the manager watches carries a 64-bit
//! token, a kind in the top byte and an id (a client, a packed [`UnitId`] …) below it, as
//! systemd's sd-event sources carry their userdata (src/libsystemd/sd-event).

use crate::manager::unit_id::UnitId;

pub const TOKEN_CONTROL: u64 = 1;
pub const TOKEN_NOTIFY: u64 = 2;
pub const TOKEN_DEV_LOG: u64 = 3;
pub const TOKEN_JOURNAL_NATIVE: u64 = 4;
/// Kinds in the top byte, ids (a packed [`UnitId`] among them) in the 56 bits below.
pub const KIND_SHIFT: u64 = 56;
pub const KIND_CLIENT: u64 = 1;
pub const KIND_LOG: u64 = 2;
pub const KIND_PIDFD: u64 = 3;
pub const KIND_PIDFILE: u64 = 4;
pub const KIND_SOCKET: u64 = 5;
pub const KIND_FDSTORE: u64 = 6;
/// Deadline tokens of a unit's state timer and watchdog.
pub const KIND_STATE_TIMER: u64 = 7;
pub const KIND_WATCHDOG: u64 = 8;

pub const fn token(kind: u64, id: u64) -> u64 {
    (kind << KIND_SHIFT) | id
}

pub fn split_token(t: u64) -> (u64, u64) {
    (t >> KIND_SHIFT, t & ((1 << KIND_SHIFT) - 1))
}

/// Deadline token of the idle trim; unit timers use kinds far below it.
pub const TRIM_DEADLINE: u64 = u64::MAX;

/// Deadline tokens: one state timer and one watchdog timer per unit.
pub fn state_timer(unit: UnitId) -> u64 {
    token(KIND_STATE_TIMER, unit.pack())
}

pub fn watchdog_timer(unit: UnitId) -> u64 {
    token(KIND_WATCHDOG, unit.pack())
}

/// The unit whose state timer (false) or watchdog (true) a deadline token names.
pub fn unit_timer(t: u64) -> Option<(UnitId, bool)> {
    match split_token(t) {
        (KIND_STATE_TIMER, id) => Some((UnitId::unpack(id), false)),
        (KIND_WATCHDOG, id) => Some((UnitId::unpack(id), true)),
        _ => None,
    }
}

/// Deadline token of the sweep that closes connections past their deadline (one timer for all
/// connections; unit timers' tokens are far below it).
pub const CLIENT_SWEEP_DEADLINE: u64 = token(KIND_CLIENT, 0);
/// Deadline token for watching the control socket again after running out of fds.
pub const ACCEPT_RETRY_DEADLINE: u64 = u64::MAX - 1;
/// Deadline token, due at once, that brings the loop back for the connections left waiting
/// when a wake's share of unprivileged work was spent.
pub const DEFERRED_CLIENTS_DEADLINE: u64 = u64::MAX - 3;

/// Deadline token of the final sweep.
pub const SWEEP_DEADLINE: u64 = u64::MAX - 2;
