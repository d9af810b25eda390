//! The control socket's connections served by the manager: accepting within the limits of
//! clients/mod.rs, reading requests, handing them to control/, writing replies and job results,
//! closing connections past their deadline (systemd's bus connections in src/core/dbus.c).

use super::super::control::Caller;
use super::super::daemon::Manager;
use super::super::tokens::{
    token, ACCEPT_RETRY_DEADLINE, CLIENT_SWEEP_DEADLINE, DEFERRED_CLIENTS_DEADLINE, KIND_CLIENT,
    TOKEN_CONTROL,
};
use super::{
    describe, Client, Phase, Trouble, ACCEPTS_PER_WAKE, CLIENT_TIMEOUT, KEEP_OUTPUT, READ_PER_WAKE,
    UNPRIVILEGED_WORK_PER_WAKE,
};
use crate::ipc::frame::FrameReader;
use crate::ipc::protocol::{JobOutcome, Reply, Request};
use crate::ipc::{self, Peer, REQUEST_MAX, UNITS_PER_REQUEST};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

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

    pub(in crate::manager) fn accept_clients(&mut self) {
        for _ in 0..ACCEPTS_PER_WAKE {
            match self.control.accept() {
                Ok((stream, _)) => self.admit_client(stream),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                    // Out of fds: the listener stays readable, so stop watching it for a
                    // moment instead of spinning; clients wait in the backlog meanwhile.
                    self.events.unwatch(self.control.as_fd());
                    let at = super::super::event::after(Duration::from_millis(100));
                    self.events.set_deadline(at, ACCEPT_RETRY_DEADLINE);
                    return;
                }
                Err(_) => return,
            }
        }
    }

    /// The accept retry deadline: watch the listener again and take what waits.
    pub(in crate::manager) fn retry_accept(&mut self) {
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

    fn drop_client(&mut self, id: u64) {
        if let Some(c) = self.clients.by_id.remove(&id) {
            self.events.unwatch(c.stream.as_fd());
        }
        self.forget_waiter(id);
        self.subscribers.retain(|s| *s != id);
    }

    /// A subscriber that stopped taking its events (see `announce.rs`).
    pub(in crate::manager) fn drop_subscriber(&mut self, id: u64) {
        self.log_client_event(
            "backlog",
            "Dropping a subscriber that stopped taking events.",
        );
        self.drop_client(id);
    }

    /// The connection is readable, writable or hung up.
    pub(in crate::manager) fn on_client_ready(&mut self, id: u64, writable: bool, hangup: bool) {
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

    pub(in crate::manager) fn send(&mut self, id: u64, reply: &Reply) {
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
        c.deadline = (!c.privileged && phase != Phase::Waiting)
            .then(|| super::super::event::after(CLIENT_TIMEOUT));
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
    pub(in crate::manager) fn sweep_clients(&mut self) {
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
    pub(in crate::manager) fn complete_waiter(
        &mut self,
        client: u64,
        slot: usize,
        outcome: JobOutcome,
    ) {
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
    pub(in crate::manager) fn serve_deferred_clients(&mut self) {
        let waiting = std::mem::take(&mut self.clients.deferred);
        for id in waiting {
            self.serve_client(id);
        }
    }

    /// The connections whose job reply was just sent, served again (see
    /// [`Manager::complete_waiter`]).
    pub(in crate::manager) fn serve_queued_clients(&mut self) {
        for id in std::mem::take(&mut self.clients.to_serve) {
            self.serve_client(id);
        }
    }

    pub(in crate::manager) fn begin_waiting(&mut self, client: u64, slots: usize) {
        if let Some(c) = self.clients.by_id.get_mut(&client) {
            c.waiting = Some(vec![None; slots]);
        }
        self.refresh_client(client);
    }
}
