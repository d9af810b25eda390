//! The manager's side of the control socket: accepting `systemctl` connections, reading their
//! requests and writing replies without ever blocking. The socket is everyone's (queries are
//! open to all local users, as systemd's D-Bus API is), so what one connection may cost is
//! bounded, as systemd bounds its private bus socket (src/core/dbus.c, bus_on_connection():
//! at most CONNECTIONS_MAX connections, "Too many concurrent connections, refusing") and
//! dbus-daemon bounds the system bus for unprivileged users (bus/config: max_message_size,
//! max_connections_per_user, auth_timeout, max_incoming_bytes):
//! - a request is at most [`REQUEST_MAX`] bytes, framed by [`FrameReader`] in linear time;
//! - a uid that may not change state holds at most [`CONNECTIONS_PER_UID`] connections and
//!   [`HELD_PER_UID`] bytes of unfinished requests, all such uids together
//!   [`UNPRIVILEGED_CONNECTIONS`] and [`HELD_UNPRIVILEGED`]; root and the manager's own uid are
//!   never refused;
//! - an unprivileged connection idle, holding a partial request, or not taking its reply for
//!   [`CLIENT_TIMEOUT`] is closed;
//! - one request is served at a time per connection: the next is not read while a reply waits
//!   to be taken, so a client that never reads holds one reply, not one per request sent;
//! - a query names at most [`UNITS_PER_REQUEST`] units, and one wake of the loop spends at most
//!   [`UNPRIVILEGED_WORK_PER_WAKE`] answering unprivileged uids: the rest is answered at the
//!   next wake, in turn, while root's requests, the units' events and the manager's children
//!   are seen to in between (sd-event's priorities do this for systemd: the bus is served after
//!   SIGCHLD and the units' own event sources).

use std::collections::{HashMap, VecDeque};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::ipc::frame::FrameReader;
use crate::ipc::protocol::JobOutcome;
use crate::ipc::{Peer, REQUEST_MAX};

mod io;

/// Connections one uid that may not change state may hold at once (dbus-daemon allows 256 per
/// user on the system bus; `systemctl` uses one connection per call, briefly).
pub(super) const CONNECTIONS_PER_UID: usize = 32;
/// Connections all unprivileged uids together may hold: far below the manager's fd limit, so
/// that root can always connect.
pub(super) const UNPRIVILEGED_CONNECTIONS: usize = 256;
/// Bytes of requests one unprivileged uid may have the manager hold: two maximal requests.
pub(super) const HELD_PER_UID: usize = 2 * REQUEST_MAX;
/// Bytes of requests all unprivileged uids together may have the manager hold.
pub(super) const HELD_UNPRIVILEGED: usize = 16 * REQUEST_MAX;
/// How long an unprivileged connection may sit idle, take to send a request, or leave its
/// reply untaken (dbus-daemon gives a system bus client 5 s to authenticate).
pub(super) const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Input taken from one connection per wake of the loop, so that one busy client cannot keep
/// the manager from the others and from its children.
const READ_PER_WAKE: usize = 64 * 1024;
/// Time one wake of the loop spends answering uids that may not change state. A query costs up
/// to a few hundred µs per unit it names (its file, its processes, its state), and one hostile
/// user can keep [`CONNECTIONS_PER_UID`] connections asking; past this share the rest waits for
/// the next wake, so that root's calls and the units' events wait behind at most this much.
const UNPRIVILEGED_WORK_PER_WAKE: Duration = Duration::from_millis(10);
/// Connections accepted per wake; the listener stays readable for the rest.
const ACCEPTS_PER_WAKE: usize = 64;
/// An output buffer larger than this is given back once its reply is sent.
const KEEP_OUTPUT: usize = 64 * 1024;
/// Lines about refused or closed connections: at most this many per interval, then one line
/// saying how many were left out (a flood must not flood the journal).
const LOG_BURST: u32 = 10;
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What a connection waits for, which decides its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing to do for the manager: between requests, or in the middle of one.
    Idle,
    /// A reply is written as the client takes it.
    Replying,
    /// A job request waits for its jobs, which have deadlines of their own.
    Waiting,
}

/// A connected `systemctl`.
pub(super) struct Client {
    stream: UnixStream,
    peer: Peer,
    /// Root or the manager's uid: may change state, is never refused nor timed out.
    privileged: bool,
    input: FrameReader,
    /// Reply bytes; `output[sent..]` is what the client has not taken yet.
    output: Vec<u8>,
    sent: usize,
    /// A job request waiting for its jobs: one slot per unit.
    waiting: Option<Vec<Option<JobOutcome>>>,
    /// The client will send nothing more.
    eof: bool,
    /// `None` until the phase is next worked out: just connected, or a request just taken.
    phase: Option<Phase>,
    deadline: Option<Instant>,
    /// What the loop wakes for now: (input, room to write).
    interest: (bool, bool),
}

impl Client {
    fn replying(&self) -> bool {
        self.sent < self.output.len()
    }
}

/// Every connection, and what limits them.
#[derive(Default)]
pub(super) struct Clients {
    by_id: HashMap<u64, Client>,
    /// When the sweep timer is due, if set.
    sweep_at: Option<Instant>,
    /// Connections to serve again once the loop is back (see [`Manager::complete_waiter`]).
    to_serve: Vec<u64>,
    /// Per kind of event, so that a flood of one kind hides no other.
    log: HashMap<&'static str, LogLimiter>,
    /// Unprivileged connections with a request not yet answered because this wake's share of
    /// work for them was spent; answered first at the next wake, in this order.
    deferred: VecDeque<u64>,
    /// Time this wake has spent answering unprivileged connections.
    unprivileged_work: Duration,
}

impl Clients {
    pub(super) fn peer(&self, id: u64) -> Option<Peer> {
        self.by_id.get(&id).map(|c| c.peer)
    }

    /// A new wake of the loop: unprivileged connections get a fresh share of it.
    /// Reply bytes connection `id` has not taken yet.
    pub(super) fn backlog(&self, id: u64) -> Option<usize> {
        self.by_id.get(&id).map(|c| c.output.len() - c.sent)
    }

    pub(super) fn begin_wake(&mut self) {
        self.unprivileged_work = Duration::ZERO;
    }

    pub(super) fn is_waiting(&self, id: u64) -> bool {
        self.by_id.get(&id).is_some_and(|c| c.waiting.is_some())
    }

    /// Why a new connection from unprivileged `uid` is refused, if it is.
    fn refusal(&self, uid: u32) -> Option<&'static str> {
        let unprivileged = self.by_id.values().filter(|c| !c.privileged);
        let (mut all, mut same) = (0, 0);
        for c in unprivileged {
            all += 1;
            same += usize::from(c.peer.uid == uid);
        }
        admission(same, all)
    }

    /// Request bytes unprivileged `uid` may still have the manager hold.
    fn room(&self, uid: u32) -> usize {
        let (mut all, mut same) = (0, 0);
        for c in self.by_id.values().filter(|c| !c.privileged) {
            let held = c.input.buffered();
            all += held;
            if c.peer.uid == uid {
                same += held;
            }
        }
        HELD_PER_UID
            .saturating_sub(same)
            .min(HELD_UNPRIVILEGED.saturating_sub(all))
    }
}

/// Whether another unprivileged connection may be accepted, given how many its uid and all
/// unprivileged uids hold: `None` if so, else why not.
fn admission(same_uid: usize, all_unprivileged: usize) -> Option<&'static str> {
    if same_uid >= CONNECTIONS_PER_UID {
        Some("too many concurrent connections from this UID")
    } else if all_unprivileged >= UNPRIVILEGED_CONNECTIONS {
        Some("too many concurrent unprivileged connections")
    } else {
        None
    }
}

/// At most [`LOG_BURST`] lines per [`LOG_INTERVAL`]; the first line after a quiet spell says
/// how many were left out.
#[derive(Debug, Default)]
struct LogLimiter {
    window_start: Option<Instant>,
    logged: u32,
    suppressed: u32,
}

impl LogLimiter {
    /// Whether to log a line now, and how many lines were left out before it.
    fn admit(&mut self, now: Instant) -> (bool, u32) {
        let expired = self
            .window_start
            .is_none_or(|start| now.duration_since(start) >= LOG_INTERVAL);
        if expired {
            self.window_start = Some(now);
            self.logged = 0;
        }
        if self.logged >= LOG_BURST {
            self.suppressed += 1;
            return (false, 0);
        }
        self.logged += 1;
        (true, std::mem::take(&mut self.suppressed))
    }
}

/// Why a connection is closed while reading from it.
#[derive(Debug)]
enum Trouble {
    TooLarge(crate::ipc::frame::FrameError),
    OverBudget,
    Failed(std::io::Error),
}

impl Trouble {
    /// The kind of event, for rate-limiting the log.
    fn kind(&self) -> &'static str {
        match self {
            Trouble::TooLarge(_) => "too large",
            Trouble::OverBudget => "over budget",
            Trouble::Failed(_) => "failed",
        }
    }
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trouble::TooLarge(e) => write!(f, "{e}"),
            Trouble::OverBudget => f.write_str("too much unfinished request data from this UID"),
            Trouble::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// Who a log line is about.
fn describe(peer: &Peer) -> String {
    format!("PID {} (UID {})", peer.pid, peer.uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unprivileged_uid_is_refused_past_its_share() {
        assert_eq!(admission(0, 0), None);
        assert_eq!(admission(CONNECTIONS_PER_UID - 1, 100), None);
        assert!(admission(CONNECTIONS_PER_UID, 100).is_some());
        assert!(admission(0, UNPRIVILEGED_CONNECTIONS).is_some());
    }

    #[test]
    fn log_lines_are_limited_per_interval_and_the_rest_counted() {
        let mut limiter = LogLimiter::default();
        let t = Instant::now();
        for _ in 0..LOG_BURST {
            assert_eq!(limiter.admit(t), (true, 0));
        }
        for _ in 0..5 {
            assert_eq!(limiter.admit(t), (false, 0));
        }
        assert_eq!(limiter.admit(t + LOG_INTERVAL), (true, 5));
        assert_eq!(limiter.admit(t + LOG_INTERVAL), (true, 0));
    }
}
