//! The manager's one event loop, as sd-event is systemd's: epoll over every fd the manager owns
//! (signalfd for SIGCHLD and the shutdown signals, the control socket and its clients, the
//! notification socket, service output pipes, listening sockets), plus a heap of deadlines
//! (start/stop timeouts, restart delays, watchdogs) that sets how long epoll may sleep. One thread
//! owns all runtime state, so there are no locks and no race between "child exited" and "child
//! registered": events are handled one at a time, in order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::signal::SigSet;
use nix::sys::signalfd::{SfdFlags, SignalFd};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EventError {
    #[error("Failed to set up the event loop: {0}")]
    Setup(nix::errno::Errno),
    #[error("Failed to watch fd {fd}: {source}")]
    Watch {
        fd: RawFd,
        source: nix::errno::Errno,
    },
    #[error("Failed to wait for events: {0}")]
    Wait(nix::errno::Errno),
}

/// What woke the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// A registered fd is ready; the token given at registration.
    Ready {
        token: u64,
        readable: bool,
        writable: bool,
        hangup: bool,
    },
    /// A signal from the blocked set arrived.
    Signal(i32),
    /// A deadline passed; the token given when it was set.
    Deadline(u64),
}

/// Token reserved for the signalfd.
const SIGNAL_TOKEN: u64 = u64::MAX;

pub struct EventLoop {
    epoll: Epoll,
    signals: SignalFd,
    deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    /// Deadlines cancelled but still in the heap; skipped when they come up.
    cancelled: std::collections::HashSet<(Instant, u64)>,
}

impl EventLoop {
    /// Block `signals` (numbers, so realtime ones can be among them) for this thread and
    /// deliver them through the loop instead.
    pub fn new(signals: &[i32]) -> Result<EventLoop, EventError> {
        // SAFETY: sigemptyset/sigaddset fill a sigset_t we own; invalid numbers are refused.
        let set = unsafe {
            let mut raw: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut raw);
            for &s in signals {
                if libc::sigaddset(&mut raw, s) < 0 {
                    return Err(EventError::Setup(nix::errno::Errno::EINVAL));
                }
            }
            SigSet::from_sigset_t_unchecked(raw)
        };
        set.thread_block().map_err(EventError::Setup)?;
        let signalfd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(EventError::Setup)?;
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(EventError::Setup)?;
        epoll
            .add(
                &signalfd,
                EpollEvent::new(EpollFlags::EPOLLIN, SIGNAL_TOKEN),
            )
            .map_err(EventError::Setup)?;
        Ok(EventLoop {
            epoll,
            signals: signalfd,
            deadlines: BinaryHeap::new(),
            cancelled: Default::default(),
        })
    }

    /// Watch `fd` for input (and hangup) under `token`.
    pub fn watch(&self, fd: BorrowedFd<'_>, token: u64) -> Result<(), EventError> {
        self.epoll
            .add(fd, EpollEvent::new(EpollFlags::EPOLLIN, token))
            .map_err(|source| EventError::Watch {
                fd: std::os::fd::AsRawFd::as_raw_fd(&fd),
                source,
            })
    }

    /// Wake under `token` only when `fd` hangs up or fails (epoll reports those always).
    pub fn watch_hangup(&self, fd: BorrowedFd<'_>, token: u64) -> Result<(), EventError> {
        self.epoll
            .add(fd, EpollEvent::new(EpollFlags::empty(), token))
            .map_err(|source| EventError::Watch {
                fd: std::os::fd::AsRawFd::as_raw_fd(&fd),
                source,
            })
    }

    /// What `fd` (already watched under `token`) wakes the loop for: input, room to write, both,
    /// or neither (hangup and errors only). A reader that stops taking input while its peer
    /// still sends must drop `readable`, or the level-triggered loop would spin on it.
    pub fn set_interest(&self, fd: BorrowedFd<'_>, token: u64, readable: bool, writable: bool) {
        let mut flags = EpollFlags::empty();
        if readable {
            flags |= EpollFlags::EPOLLIN;
        }
        if writable {
            flags |= EpollFlags::EPOLLOUT;
        }
        let mut event = EpollEvent::new(flags, token);
        let _ = self.epoll.modify(fd, &mut event);
    }

    /// Stop watching `fd` (before it is closed).
    pub fn unwatch(&self, fd: impl AsFd) {
        let _ = self.epoll.delete(fd);
    }

    /// Wake with `Deadline(token)` at `at`.
    pub fn set_deadline(&mut self, at: Instant, token: u64) {
        self.cancelled.remove(&(at, token));
        self.deadlines.push(Reverse((at, token)));
    }

    pub fn cancel_deadline(&mut self, at: Instant, token: u64) {
        self.cancelled.insert((at, token));
        // A service flooding WATCHDOG=1 or EXTEND_TIMEOUT_USEC= cancels far-away deadlines:
        // drop them now rather than when they would have come up.
        if self.cancelled.len() > 64 && self.cancelled.len() * 2 > self.deadlines.len() {
            let cancelled = std::mem::take(&mut self.cancelled);
            self.deadlines
                .retain(|Reverse(entry)| !cancelled.contains(entry));
        }
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, token))) = self.deadlines.peek().copied() {
            if self.cancelled.remove(&(at, token)) {
                self.deadlines.pop();
                continue;
            }
            return Some(at);
        }
        None
    }

    /// Wait for the next batch of events (signals first, then fds, then due deadlines).
    pub fn wait(&mut self) -> Result<Vec<Wake>, EventError> {
        let timeout = match self.next_deadline() {
            None => EpollTimeout::NONE,
            Some(at) => {
                let ms = at
                    .saturating_duration_since(Instant::now())
                    .as_millis()
                    .min(i32::MAX as u128 - 1);
                // Round up so we never wake a hair early and spin.
                let ms = if at > Instant::now() && ms == 0 {
                    1
                } else {
                    ms
                };
                EpollTimeout::try_from(ms as i32).unwrap_or(EpollTimeout::NONE)
            }
        };
        let mut events = [EpollEvent::empty(); 64];
        let n = match self.epoll.wait(&mut events, timeout) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => 0,
            Err(e) => return Err(EventError::Wait(e)),
        };
        let mut wakes = Vec::new();
        for ev in &events[..n] {
            if ev.data() == SIGNAL_TOKEN {
                while let Ok(Some(info)) = self.signals.read_signal() {
                    wakes.push(Wake::Signal(info.ssi_signo as i32));
                }
            } else {
                let flags = ev.events();
                wakes.push(Wake::Ready {
                    token: ev.data(),
                    readable: flags.contains(EpollFlags::EPOLLIN),
                    writable: flags.contains(EpollFlags::EPOLLOUT),
                    hangup: flags.intersects(EpollFlags::EPOLLHUP | EpollFlags::EPOLLERR),
                });
            }
        }
        let now = Instant::now();
        while let Some(at) = self.next_deadline() {
            if at > now {
                break;
            }
            if let Some(Reverse((_, token))) = self.deadlines.pop() {
                wakes.push(Wake::Deadline(token));
            }
        }
        Ok(wakes)
    }
}

/// A deadline `d` from now, saturating instead of overflowing for `infinity`-like spans.
pub fn after(d: Duration) -> Instant {
    Instant::now()
        .checked_add(d)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    #[test]
    fn fds_deadlines_and_signals_wake_the_loop() {
        let mut lp = EventLoop::new(&[libc::SIGUSR2]).unwrap();
        let (mut a, b) = UnixStream::pair().unwrap();
        lp.watch(b.as_fd(), 7).unwrap();

        lp.set_deadline(after(Duration::from_millis(20)), 1);
        let cancelled = after(Duration::from_millis(10));
        lp.set_deadline(cancelled, 2);
        lp.cancel_deadline(cancelled, 2);
        let start = Instant::now();
        let mut got = Vec::new();
        while !got.contains(&Wake::Deadline(1)) {
            got.extend(lp.wait().unwrap());
        }
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(
            !got.contains(&Wake::Deadline(2)),
            "cancelled deadline fired"
        );

        a.write_all(b"x").unwrap();
        let wakes = lp.wait().unwrap();
        assert!(matches!(
            wakes[0],
            Wake::Ready {
                token: 7,
                readable: true,
                ..
            }
        ));

        nix::sys::signal::raise(nix::sys::signal::Signal::SIGUSR2).unwrap();
        let mut wakes = Vec::new();
        while !wakes.contains(&Wake::Signal(libc::SIGUSR2)) {
            wakes.extend(lp.wait().unwrap());
        }
    }
}
