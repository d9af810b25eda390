//! The thread that sees what logind's event loop sees in systemd (session_dispatch_fifo(),
//! inhibitor_dispatch_fifo(), manager_dispatch_delayed()): a session's or an inhibitor's pipe
//! closed by its holder, which ends it, and a shutdown waiting for delay inhibitors, which runs
//! when the last of them is gone or InhibitDelayMaxSec= has passed.
//!
//! It polls our ends of the pipes and a wake pipe the bus thread writes to whenever it adds or
//! ends one or delays a shutdown. Each pipe's fd is shared (`Arc`) between the state and the
//! poll, so that a session ended meanwhile cannot have its fd number reused under the poll.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};

use super::inhibitors::{Mode, SHUTDOWN};
use super::{emit, Event, Shared};
use crate::bus::link::ManagerLink;
use crate::ipc::protocol::{Request, ShutdownAction};

/// systemd's InhibitDelayMaxSec= default.
pub(super) const INHIBIT_DELAY_MAX: Duration = Duration::from_secs(5);

/// A shutdown that waits for delay inhibitors.
pub(super) struct Delayed {
    pub action: ShutdownAction,
    pub deadline: Instant,
}

enum Key {
    Session(String),
    Inhibitor(u64),
}

pub(super) fn spawn(shared: Arc<Shared>, wake: OwnedFd, link: ManagerLink) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("sd-login-watch".into())
        .stack_size(256 * 1024)
        .spawn(move || run(&shared, &wake, link))
        .map(|_| ())
}

/// Whether a pipe's read end says its writers are gone: hung up, or at end of file (what a
/// writer wrote meanwhile is read and dropped).
fn closed(fd: &OwnedFd, events: PollFlags) -> bool {
    if events.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL) {
        return true;
    }
    if !events.contains(PollFlags::POLLIN) {
        return false;
    }
    let mut buf = [0u8; 256];
    loop {
        match nix::unistd::read(fd, &mut buf) {
            Ok(0) => return true,
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(_) => return false,
        }
    }
}

fn run(shared: &Shared, wake: &OwnedFd, mut link: ManagerLink) {
    loop {
        let (watched, deadline) = {
            let state = shared.lock();
            let watched: Vec<(Key, Arc<OwnedFd>)> = state
                .sessions
                .values()
                .map(|s| (Key::Session(s.id.clone()), s.fifo.clone()))
                .chain(
                    state
                        .inhibitors
                        .iter()
                        .map(|(id, i)| (Key::Inhibitor(*id), i.fifo.clone())),
                )
                .collect();
            (watched, state.delayed.as_ref().map(|d| d.deadline))
        };
        let timeout = match deadline {
            None => PollTimeout::NONE,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                // rounded up, so that the deadline has passed when the poll ends
                PollTimeout::try_from(left + Duration::from_millis(1)).unwrap_or(PollTimeout::MAX)
            }
        };
        let mut fds: Vec<PollFd> = std::iter::once(PollFd::new(wake.as_fd(), PollFlags::POLLIN))
            .chain(
                watched
                    .iter()
                    .map(|(_, fd)| PollFd::new(fd.as_fd(), PollFlags::POLLIN)),
            )
            .collect();
        match nix::poll::poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => {
                // nothing to wait on would be wrong; don't spin
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        }
        let revents: Vec<PollFlags> = fds
            .iter()
            .map(|p| p.revents().unwrap_or(PollFlags::empty()))
            .collect();
        drop(fds);
        if !revents[0].is_empty() {
            let mut buf = [0u8; 64];
            while matches!(nix::unistd::read(wake, &mut buf), Ok(n) if n > 0) {}
        }
        let gone: Vec<&(Key, Arc<OwnedFd>)> = watched
            .iter()
            .zip(&revents[1..])
            .filter(|((_, fd), events)| closed(fd, **events))
            .map(|(entry, _)| entry)
            .collect();
        let mut events = Vec::new();
        let (bus, due) = {
            let mut state = shared.lock();
            for (key, fd) in gone {
                match key {
                    // only if it is still the session this fd was polled for
                    Key::Session(id) => {
                        if state
                            .sessions
                            .get(id)
                            .is_some_and(|s| Arc::ptr_eq(&s.fifo, fd))
                        {
                            state.end_session(id, &mut events);
                        }
                    }
                    Key::Inhibitor(id) => {
                        if state
                            .inhibitors
                            .get(id)
                            .is_some_and(|i| Arc::ptr_eq(&i.fifo, fd))
                        {
                            state.inhibitors.remove(id);
                        }
                    }
                }
            }
            let due = state.delayed.as_ref().is_some_and(|d| {
                Instant::now() >= d.deadline || !state.inhibited(SHUTDOWN, Mode::Delay, None)
            });
            let due = if due {
                state.delayed.take().map(|d| d.action)
            } else {
                None
            };
            (state.bus.clone(), due)
        };
        if let Some(action) = due {
            let request = Request::Shutdown {
                action,
                exit_code: None,
            };
            // the caller was told yes already; on failure, they may take locks again
            if link.call(&request).is_err() {
                events.push(Event::PrepareForShutdown(false));
            }
        }
        if let Some(bus) = bus {
            emit(&bus, events);
        }
    }
}
