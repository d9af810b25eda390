//! The file descriptor store of a service (sd_notify(3) `FDSTORE=1`, `FDNAME=`,
//! `FDSTOREREMOVE=1`, `FDPOLL=0`; `FileDescriptorStoreMax=` of systemd.service(5)): a service
//! hands fds to the manager, which keeps up to FileDescriptorStoreMax= of them (an fd already
//! stored is not stored twice), drops one whose other end hung up, and passes them back after
//! the socket fds, named, at the next start of the main process (sd_listen_fds_with_names(3)).
//! The store survives restarts and is released once the service is down with nothing queued.

use std::os::fd::{AsFd, OwnedFd};

use super::daemon::{token, Manager, KIND_FDSTORE};
use super::notify::NotifyMessage;
use super::table::UnitId;
use super::types::service::SubState;

/// One stored fd, with its name and the token its hangup watch wakes under.
#[derive(Debug)]
pub struct StoredFd {
    pub fd: OwnedFd,
    pub name: String,
    watch: Option<u64>,
}

/// The name sd_notify(3) gives a stored fd sent without FDNAME=.
const DEFAULT_NAME: &str = "stored";

/// Same file: same device and inode (systemd's `same_fd()` for what matters here).
fn same_file(a: &OwnedFd, b: &OwnedFd) -> bool {
    let stat = |fd: &OwnedFd| {
        nix::sys::stat::fstat(fd.as_fd())
            .ok()
            .map(|s| (s.st_dev, s.st_ino))
    };
    matches!((stat(a), stat(b)), (Some(x), Some(y)) if x == y)
}

/// sd-daemon's `fdname_is_valid()`: printable ASCII without `:`, at most 255 bytes.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b':')
}

impl Manager {
    /// `service_notify_message()`'s part about fds sent along with a notification.
    pub(super) fn receive_notified_fds(&mut self, i: UnitId, fds: Vec<OwnedFd>, m: &NotifyMessage) {
        if m.fdstore_remove {
            if !m.fd_name.as_deref().is_some_and(valid_name) {
                self.unit_log(
                    i,
                    "FDSTOREREMOVE=1 requested, but no valid file descriptor name passed, ignoring.",
                );
            } else if let Some(name) = &m.fd_name {
                let (gone, kept): (Vec<StoredFd>, Vec<StoredFd>) =
                    std::mem::take(&mut self.units[i].fd_store)
                        .into_iter()
                        .partition(|s| &s.name == name);
                self.units[i].fd_store = kept;
                for s in gone {
                    self.unwatch_stored(&s);
                }
            }
        }
        if !m.fdstore || fds.is_empty() {
            return;
        }
        if m.fd_name.as_deref().is_some_and(|n| !valid_name(n)) {
            self.unit_log(i, "Passed FDNAME= name is invalid, ignoring.");
        }
        let name = m
            .fd_name
            .clone()
            .filter(|n| valid_name(n))
            .unwrap_or_else(|| DEFAULT_NAME.to_string());
        let max = self.units[i]
            .config
            .service()
            .map_or(0, |s| s.file_descriptor_store_max) as usize;
        for fd in fds {
            if self.units[i].fd_store.iter().any(|s| same_file(&s.fd, &fd)) {
                continue;
            }
            if self.units[i].fd_store.len() >= max {
                self.unit_log(
                    i,
                    &format!(
                        "Cannot store more fds than FileDescriptorStoreMax={max}, closing remaining."
                    ),
                );
                return;
            }
            let watch = (!m.fd_no_poll).then(|| {
                let id = self.next_id();
                self.events
                    .watch_hangup(fd.as_fd(), token(KIND_FDSTORE, id))
                    .is_ok()
                    .then_some(id)
            });
            self.units[i].fd_store.push(StoredFd {
                fd,
                name: name.clone(),
                watch: watch.flatten(),
            });
        }
    }

    fn unwatch_stored(&self, stored: &StoredFd) {
        if stored.watch.is_some() {
            self.events.unwatch(stored.fd.as_fd());
        }
    }

    /// A stored fd's other end hung up: it is of no use any more.
    pub(super) fn on_stored_fd_hangup(&mut self, id: u64) {
        for i in self.units.ids() {
            if let Some(k) = self.units[i]
                .fd_store
                .iter()
                .position(|s| s.watch == Some(id))
            {
                let stored = self.units[i].fd_store.remove(k);
                self.unwatch_stored(&stored);
                return;
            }
        }
    }

    /// Copies of the stored fds with their names, for the main process.
    pub(super) fn stored_fds(&self, i: UnitId) -> Vec<(OwnedFd, String)> {
        self.units[i]
            .fd_store
            .iter()
            .filter_map(|s| s.fd.try_clone().ok().map(|fd| (fd, s.name.clone())))
            .collect()
    }

    /// `service_release_fd_store()` once the service is down for good: not restarting, nothing
    /// queued for it.
    pub(super) fn release_fd_store_when_done(&mut self, i: UnitId) {
        let u = &self.units[i];
        if u.fd_store.is_empty()
            || self.jobs.has_job(i)
            || !matches!(u.svc.state, SubState::Dead | SubState::Failed)
        {
            return;
        }
        for stored in std::mem::take(&mut self.units[i].fd_store) {
            self.unwatch_stored(&stored);
        }
    }
}
