//! FDSTORE=1 of sd_notify(3): a service's descriptors kept by the manager across its restarts,
//! FDSTOREREMOVE=1 and FDNAME=, closed when a stored descriptor hangs up (systemd's
//! service_add_fd_store() in src/core/service.c).

use super::super::daemon::Manager;
use super::super::notify::NotifyMessage;
use super::super::tokens::{token, KIND_FDSTORE};
use super::{same_file, valid_name, StoredFd, DEFAULT_NAME};
use crate::manager::unit_id::UnitId;
use std::os::fd::{AsFd, OwnedFd};

impl Manager {
    /// `service_notify_message()`'s part about fds sent along with a notification.
    pub(in crate::manager) fn receive_notified_fds(
        &mut self,
        i: UnitId,
        fds: Vec<OwnedFd>,
        m: &NotifyMessage,
    ) {
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
    pub(in crate::manager) fn on_stored_fd_hangup(&mut self, id: u64) {
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
    pub(in crate::manager) fn stored_fds(&self, i: UnitId) -> Vec<(OwnedFd, String)> {
        self.units[i]
            .fd_store
            .iter()
            .filter_map(|s| s.fd.try_clone().ok().map(|fd| (fd, s.name.clone())))
            .collect()
    }

    /// `service_release_fd_store()` once the service is down for good: not restarting, nothing
    /// queued for it.
    pub(in crate::manager) fn release_fd_store_when_done(&mut self, i: UnitId) {
        let u = &self.units[i];
        if u.fd_store.is_empty() || self.jobs.has_job(i) || !u.is_inactive() {
            return;
        }
        for stored in std::mem::take(&mut self.units[i].fd_store) {
            self.unwatch_stored(&stored);
        }
    }
}
