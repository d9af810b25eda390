//! What the manager tells its subscribers as it happens: systemd's bus signals (src/core/
//! dbus-job.c `bus_job_send_change_signal()`/`bus_job_send_removed_signal()`, dbus-unit.c
//! `bus_unit_send_change_signal()`/`bus_unit_send_removed_signal()`, dbus-manager.c
//! `bus_manager_send_reloading()`/`bus_manager_send_finished()`). The events are gathered while a
//! wake of the loop runs and written to every subscribed connection once it is over, in order;
//! nothing is gathered while nobody listens.

use super::daemon::Manager;
use crate::ipc::protocol::{ManagerEvent, Reply};

/// Output a subscriber may leave untaken before it is dropped: it is our own bus front end,
/// which takes events as they come; one that stopped reading must not grow the manager.
const SUBSCRIBER_BACKLOG_MAX: usize = 64 * 1024 * 1024;

impl Manager {
    /// Make connection `id` a subscriber.
    pub(super) fn subscribe(&mut self, id: u64) {
        if !self.subscribers.contains(&id) {
            self.subscribers.push(id);
        }
    }

    pub(super) fn announce(&mut self, event: ManagerEvent) {
        if !self.subscribers.is_empty() {
            self.announcements.push(event);
        }
    }

    pub(super) fn announce_unit_changed(&mut self, unit: &str) {
        if self.subscribers.is_empty() {
            return;
        }
        // one change of a unit is as good as several within the same wake
        let already = self
            .announcements
            .last()
            .is_some_and(|e| matches!(e, ManagerEvent::UnitChanged { unit: u } if u == unit));
        if !already {
            self.announcements.push(ManagerEvent::UnitChanged {
                unit: unit.to_string(),
            });
        }
    }

    /// Write what this wake gathered to every subscriber still connected.
    pub(super) fn flush_announcements(&mut self) {
        if self.announcements.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.announcements);
        let subscribers = self.subscribers.clone();
        self.subscribers.retain(|id| {
            self.clients
                .backlog(*id)
                .is_some_and(|held| held < SUBSCRIBER_BACKLOG_MAX)
        });
        for id in subscribers {
            if !self.subscribers.contains(&id) {
                self.drop_subscriber(id);
                continue;
            }
            for event in &events {
                self.send(id, &Reply::Event(event.clone()));
            }
        }
    }
}
