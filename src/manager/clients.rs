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
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::control::Caller;
use super::daemon::{token, Manager, KIND_CLIENT, TOKEN_CONTROL};
use crate::ipc::frame::FrameReader;
use crate::ipc::protocol::{JobOutcome, Reply, Request};
use crate::ipc::{self, Peer, REQUEST_MAX, UNITS_PER_REQUEST};

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

/// Deadline token of the sweep that closes connections past their deadline (one timer for all
/// connections; unit timers' tokens are far below it).
pub(super) const CLIENT_SWEEP_DEADLINE: u64 = token(KIND_CLIENT, 0);
/// Deadline token for watching the control socket again after running out of fds.
pub(super) const ACCEPT_RETRY_DEADLINE: u64 = u64::MAX - 1;
/// Deadline token, due at once, that brings the loop back for the connections left waiting
/// when a wake's share of unprivileged work was spent.
pub(super) const DEFERRED_CLIENTS_DEADLINE: u64 = u64::MAX - 3;

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

impl Manager {
    /// A line about the control socket, rate-limited per `kind` of event.
    fn log_client_event(&mut self, kind: &'static str, message: &str) {
        let limiter = self.clients.log.entry(kind).or_default();
        let (log, suppressed) = limiter.admit(Instant::now());
        if !log {
            return;
        }
        if suppressed > 0 {
            self.log_manager(&format!(
                "Suppressed {suppressed} similar messages about control connections."
            ));
        }
        self.log_manager(message);
    }

    pub(super) fn accept_clients(&mut self) {
        for _ in 0..ACCEPTS_PER_WAKE {
            match self.control.accept() {
                Ok((stream, _)) => self.admit_client(stream),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                    // Out of fds: the listener stays readable, so stop watching it for a
                    // moment instead of spinning; clients wait in the backlog meanwhile.
                    self.events.unwatch(self.control.as_fd());
                    let at = super::event::after(Duration::from_millis(100));
                    self.events.set_deadline(at, ACCEPT_RETRY_DEADLINE);
                    return;
                }
                Err(_) => return,
            }
        }
    }

    /// The accept retry deadline: watch the listener again and take what waits.
    pub(super) fn retry_accept(&mut self) {
        if self
            .events
            .watch(self.control.as_fd(), TOKEN_CONTROL)
            .is_ok()
        {
            self.accept_clients();
        }
    }

    fn admit_client(&mut self, stream: UnixStream) {
        let Ok(peer) = ipc::peer_of(&stream) else {
            return;
        };
        let privileged = peer.may_change_state(self.ctx.uid);
        if !privileged {
            if let Some(why) = self.clients.refusal(peer.uid) {
                // Dropping the stream closes it: the client reads end of file.
                drop(stream);
                self.log_client_event(
                    why,
                    &format!(
                        "Refusing control connection from {}: {why}.",
                        describe(&peer)
                    ),
                );
                return;
            }
        }
        if stream.set_nonblocking(true).is_err() {
            return;
        }
        let id = self.next_id();
        if self
            .events
            .watch(stream.as_fd(), token(KIND_CLIENT, id))
            .is_err()
        {
            return;
        }
        let client = Client {
            stream,
            peer,
            privileged,
            input: FrameReader::new(REQUEST_MAX),
            output: Vec::new(),
            sent: 0,
            waiting: None,
            eof: false,
            phase: None,
            deadline: None,
            interest: (true, false),
        };
        self.clients.by_id.insert(id, client);
        self.refresh_client(id);
    }

    pub(super) fn drop_client(&mut self, id: u64) {
        if let Some(c) = self.clients.by_id.remove(&id) {
            self.events.unwatch(c.stream.as_fd());
        }
        self.forget_waiter(id);
    }

    /// The connection is readable, writable or hung up.
    pub(super) fn on_client_ready(&mut self, id: u64, writable: bool, hangup: bool) {
        if writable {
            self.flush_client(id);
        }
        if let Some(trouble) = self.read_client(id) {
            if let Some(c) = self.clients.by_id.get(&id) {
                let line = format!(
                    "Closing control connection from {}: {trouble}.",
                    describe(&c.peer)
                );
                self.drop_client(id);
                self.log_client_event(trouble.kind(), &line);
            }
            return;
        }
        self.serve_client(id);
        if hangup {
            self.drop_client(id);
        }
    }

    /// Take what the client sent (a share per wake, and nothing while a reply waits); why the
    /// connection must close, if it must.
    fn read_client(&mut self, id: u64) -> Option<Trouble> {
        let (uid, privileged) = {
            let c = self.clients.by_id.get(&id)?;
            if c.eof || c.replying() {
                return None;
            }
            (c.peer.uid, c.privileged)
        };
        let room = if privileged {
            usize::MAX
        } else {
            self.clients.room(uid)
        };
        let c = self.clients.by_id.get_mut(&id)?;
        let held_before = c.input.buffered();
        let mut buf = [0u8; 16 * 1024];
        let mut budget = READ_PER_WAKE;
        while budget > 0 {
            let want = budget.min(buf.len());
            match c.stream.read(&mut buf[..want]) {
                Ok(0) => {
                    c.eof = true;
                    break;
                }
                Ok(n) => {
                    budget -= n;
                    if let Err(e) = c.input.feed(&buf[..n]) {
                        return Some(Trouble::TooLarge(e));
                    }
                    if c.input.buffered().saturating_sub(held_before) > room {
                        return Some(Trouble::OverBudget);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Some(Trouble::Failed(e)),
            }
        }
        None
    }

    /// Answer the requests received, one at a time: the next only once the last reply is
    /// taken. Then close a connection with nothing left to do, or wait for it.
    fn serve_client(&mut self, id: u64) {
        loop {
            let Some(c) = self.clients.by_id.get_mut(&id) else {
                return;
            };
            if c.replying() || !c.input.has_frame() {
                break;
            }
            let privileged = c.privileged;
            if !privileged && self.clients.unprivileged_work >= UNPRIVILEGED_WORK_PER_WAKE {
                self.defer_client(id);
                break;
            }
            let Some(frame) = c.input.next_frame() else {
                break;
            };
            // A request taken starts the connection's next deadline afresh.
            c.phase = None;
            let started = Instant::now();
            let reply = match ipc::decode::<Request>(&frame) {
                Ok(request) if request.units_asked() > UNITS_PER_REQUEST => Some(Reply::Error(
                    format!("Too many units in one request (at most {UNITS_PER_REQUEST})."),
                )),
                Ok(request) => self.answer_request(id, request),
                Err(e) => Some(Reply::Error(e.to_string())),
            };
            if !privileged {
                self.clients.unprivileged_work += started.elapsed();
            }
            if let Some(reply) = reply {
                self.send(id, &reply);
            }
        }
        let finished =
            self.clients.by_id.get(&id).is_some_and(|c| {
                c.eof && !c.replying() && !c.input.has_frame() && c.waiting.is_none()
            });
        if finished {
            self.drop_client(id);
        } else {
            self.refresh_client(id);
        }
    }

    /// A request read from connection `id`, handed to the request layer with who sent it.
    fn answer_request(&mut self, id: u64, request: Request) -> Option<Reply> {
        let peer = self.clients.peer(id)?;
        // One job request at a time per connection: its reply is the next thing written.
        if matches!(request, Request::Job { .. }) && self.clients.is_waiting(id) {
            return Some(Reply::Error(
                "A job request is already pending on this connection.".into(),
            ));
        }
        let caller = Caller {
            peer,
            connection: id,
        };
        self.answer(caller, request)
    }

    pub(super) fn send(&mut self, id: u64, reply: &Reply) {
        let Some(client) = self.clients.by_id.get_mut(&id) else {
            return;
        };
        let Ok(bytes) = ipc::encode(reply) else {
            return;
        };
        client.output.extend_from_slice(&bytes);
        self.flush_client(id);
    }

    /// Write what the client will take now; wait for it to become writable for the rest.
    fn flush_client(&mut self, id: u64) {
        let Some(client) = self.clients.by_id.get_mut(&id) else {
            return;
        };
        while client.replying() {
            match client.stream.write(&client.output[client.sent..]) {
                Ok(0) => {
                    self.drop_client(id);
                    return;
                }
                Ok(n) => client.sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.drop_client(id);
                    return;
                }
            }
        }
        if !client.replying() {
            client.sent = 0;
            if client.output.capacity() > KEEP_OUTPUT {
                client.output = Vec::new();
            } else {
                client.output.clear();
            }
        }
        self.refresh_client(id);
    }

    /// Wake for what the connection needs next, and give an unprivileged one a deadline when
    /// it enters a phase that has one.
    fn refresh_client(&mut self, id: u64) {
        let Some(c) = self.clients.by_id.get_mut(&id) else {
            return;
        };
        let interest = (!c.eof && !c.replying(), c.replying());
        if interest != c.interest {
            self.events.set_interest(
                c.stream.as_fd(),
                token(KIND_CLIENT, id),
                interest.0,
                interest.1,
            );
            c.interest = interest;
        }
        let phase = if c.replying() {
            Phase::Replying
        } else if c.waiting.is_some() {
            Phase::Waiting
        } else {
            Phase::Idle
        };
        if c.phase == Some(phase) {
            return;
        }
        c.phase = Some(phase);
        c.deadline =
            (!c.privileged && phase != Phase::Waiting).then(|| super::event::after(CLIENT_TIMEOUT));
        if let Some(at) = c.deadline {
            self.arm_client_sweep(at);
        }
    }

    fn arm_client_sweep(&mut self, at: Instant) {
        if self.clients.sweep_at.is_some_and(|due| due <= at) {
            return;
        }
        if let Some(due) = self.clients.sweep_at.take() {
            self.events.cancel_deadline(due, CLIENT_SWEEP_DEADLINE);
        }
        self.events.set_deadline(at, CLIENT_SWEEP_DEADLINE);
        self.clients.sweep_at = Some(at);
    }

    /// Close the connections past their deadline; wake again for the next one due.
    pub(super) fn sweep_clients(&mut self) {
        self.clients.sweep_at = None;
        let now = Instant::now();
        let expired: Vec<(u64, Peer, Option<Phase>)> = self
            .clients
            .by_id
            .iter()
            .filter(|(_, c)| c.deadline.is_some_and(|at| at <= now))
            .map(|(&id, c)| (id, c.peer, c.phase))
            .collect();
        for (id, peer, phase) in expired {
            let phase = phase.unwrap_or(Phase::Idle);
            self.drop_client(id);
            let why = match phase {
                Phase::Replying => "reply not taken",
                _ => "no complete request",
            };
            self.log_client_event(
                why,
                &format!(
                    "Closing control connection from {}: {why} within {}s.",
                    describe(&peer),
                    CLIENT_TIMEOUT.as_secs()
                ),
            );
        }
        let next = self.clients.by_id.values().filter_map(|c| c.deadline).min();
        if let Some(at) = next {
            self.arm_client_sweep(at);
        }
    }

    /// Record a job outcome for a waiting client; reply once all its slots are filled.
    pub(super) fn complete_waiter(&mut self, client: u64, slot: usize, outcome: JobOutcome) {
        let Some(c) = self.clients.by_id.get_mut(&client) else {
            return;
        };
        let Some(waiting) = c.waiting.as_mut() else {
            return;
        };
        if let Some(s) = waiting.get_mut(slot) {
            *s = Some(outcome);
        }
        if !waiting.iter().all(Option::is_some) {
            return;
        }
        let outcomes = c.waiting.take().unwrap_or_default();
        let reply = Reply::Jobs(outcomes.into_iter().flatten().collect());
        self.send(client, &reply);
        // Requests the client sent meanwhile, or its end of file, are seen to once the loop is
        // back (this runs inside the handling of a request, possibly of this client).
        self.clients.to_serve.push(client);
    }

    /// Leave `id`'s request for the next wake, and make sure the loop comes straight back.
    fn defer_client(&mut self, id: u64) {
        if self.clients.deferred.contains(&id) {
            return;
        }
        if self.clients.deferred.is_empty() {
            self.events
                .set_deadline(Instant::now(), DEFERRED_CLIENTS_DEADLINE);
        }
        self.clients.deferred.push_back(id);
    }

    /// The connections left waiting by the last wake, before anything new.
    pub(super) fn serve_deferred_clients(&mut self) {
        let waiting = std::mem::take(&mut self.clients.deferred);
        for id in waiting {
            self.serve_client(id);
        }
    }

    /// The connections whose job reply was just sent, served again (see
    /// [`Manager::complete_waiter`]).
    pub(super) fn serve_queued_clients(&mut self) {
        for id in std::mem::take(&mut self.clients.to_serve) {
            self.serve_client(id);
        }
    }

    pub(super) fn begin_waiting(&mut self, client: u64, slots: usize) {
        if let Some(c) = self.clients.by_id.get_mut(&client) {
            c.waiting = Some(vec![None; slots]);
        }
        self.refresh_client(client);
    }
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
