//! sd_notify messages for a service, service.c's `service_notify_message()`: who may send them
//! (NotifyAccess=), and what READY=1, RELOADING=1, STOPPING=1, MAINPID=, STATUS=, ERRNO=,
//! EXTEND_TIMEOUT_USEC= and the WATCHDOG= messages do to the state machine.

use std::time::Duration;

use super::exec::Role;
use super::{NotifyAccess, SubState};
use crate::manager::daemon::Manager;
use crate::manager::event::after;
use crate::manager::tokens::state_timer;
use crate::manager::unit_id::UnitId;
use crate::unit::state::ServiceResult;

impl Manager {
    /// Which unit a notification from `pid` belongs to, and whether NotifyAccess= lets it in.
    pub(super) fn notification_unit(&mut self, pid: i32) -> Option<UnitId> {
        let mut owner = None;
        for (i, u) in self.units.iter() {
            if u.svc.main_pid.is_some_and(|p| p.pid == pid) {
                owner = Some((i, Role::Main));
                break;
            }
            if u.svc.control_pid.is_some_and(|p| p.pid == pid) {
                owner = Some((i, Role::Control));
                break;
            }
        }
        if owner.is_none() {
            // Not by INVOCATION_ID: anyone can read it with `show` and put it in an environment.
            owner = self.unit_of_process(pid).map(|i| (i, Role::Control));
            if let Some((i, _)) = owner {
                let access = self.units[i].settings.notify_access;
                if access != NotifyAccess::All {
                    let main = self.units[i].svc.main_pid.map(|p| p.pid).unwrap_or(0);
                    self.unit_log(
                        i,
                        &format!(
                            "Got notification message from PID {pid}, but reception only permitted for main PID {main}"
                        ),
                    );
                    return None;
                }
                return Some(i);
            }
            return None;
        }
        let (i, role) = owner?;
        let allowed = match self.units[i].settings.notify_access {
            NotifyAccess::None => false,
            NotifyAccess::Main => role == Role::Main,
            NotifyAccess::Exec | NotifyAccess::All => true,
        };
        if !allowed {
            let message = if self.units[i].settings.notify_access == NotifyAccess::None {
                format!("Got notification message from PID {pid}, but reception is disabled.")
            } else {
                let main = self.units[i].svc.main_pid.map(|p| p.pid).unwrap_or(0);
                format!(
                    "Got notification message from PID {pid}, but reception only permitted for main PID {main}"
                )
            };
            self.unit_log(i, &message);
            return None;
        }
        Some(i)
    }

    pub(in crate::manager) fn receive_notifications(&mut self) {
        // A bounded batch per wake: any local user may write to the socket (see notify.rs).
        for _ in 0..crate::manager::notify::MESSAGES_PER_WAKE {
            let received = match self.notify.receive() {
                Ok(Some(r)) => r,
                Ok(None) => return,
                Err(e) => {
                    eprintln!("{e}");
                    return;
                }
            };
            // manager_process_barrier_fd(): a BARRIER=1 message is answered by closing its fd,
            // from whoever sent it (systemd-notify sends it as itself, not as the service), and
            // nothing else in it counts. Earlier messages were handled in order before it.
            if received.message.barrier {
                drop(received.fds);
                continue;
            }
            let Some(pid) = received.sender_pid else {
                continue;
            };
            let Some(i) = self.notification_unit(pid) else {
                continue;
            };
            let privileged = received.sender_uid == Some(0);
            self.apply_notification(i, &received.message, privileged);
            self.receive_notified_fds(i, received.fds, &received.message);
        }
    }

    pub(super) fn apply_notification(
        &mut self,
        i: UnitId,
        m: &crate::manager::notify::NotifyMessage,
        privileged: bool,
    ) {
        if let Some(pid) = m.main_pid {
            // service_notify_message(): only root may point MAINPID= outside the service.
            let allowed = privileged || self.owns_process(i, pid);
            if !allowed {
                self.unit_log(
                    i,
                    &format!("New main PID {pid} does not belong to service, refusing."),
                );
            } else if pid != self.my_pid && crate::sys::proc::stat(pid).is_some() {
                self.unwatch_pidfd(i);
                self.set_main_pid(i, pid);
            }
        }
        if let Some(status) = &m.status {
            self.units[i].svc.status_text = status.clone();
            self.dirty = true;
        }
        if let Some(errno) = m.errno {
            self.units[i].svc.status_errno = errno;
        }
        if let Some(usec) = m.watchdog_usec {
            self.units[i].settings.watchdog = (usec > 0).then(|| Duration::from_micros(usec));
            self.reset_watchdog(i);
        }
        let state = self.units[i].svc.state;
        if m.reloading && state == SubState::Running {
            self.units[i].svc.reload_result = ServiceResult::Success;
            self.service_set_state(i, SubState::Reload);
            self.set_timer(i, self.units[i].settings.timeout_start);
        }
        if m.stopping && matches!(state, SubState::Running | SubState::Reload) {
            self.units[i].svc.forbid_restart = true;
            self.service_set_state(i, SubState::StopSigterm);
            self.set_timer(i, self.units[i].settings.timeout_stop);
        }
        if m.ready {
            self.service_ready(i);
        }
        if let Some(usec) = m.extend_timeout_usec {
            let extendable = matches!(
                self.units[i].svc.state,
                SubState::Condition
                    | SubState::StartPre
                    | SubState::Start
                    | SubState::StartPost
                    | SubState::Reload
                    | SubState::Stop
                    | SubState::StopSigterm
                    | SubState::StopPost
                    | SubState::FinalSigterm
            );
            if extendable {
                let wanted = after(Duration::from_micros(usec));
                if self.units[i].svc.timer.is_some_and(|at| at < wanted) {
                    let at = self.units[i].svc.timer.take();
                    if let Some(at) = at {
                        self.events.cancel_deadline(at, state_timer(i));
                    }
                    self.units[i].svc.timer = Some(wanted);
                    self.events.set_deadline(wanted, state_timer(i));
                }
            }
        }
        if m.watchdog_trigger {
            self.unit_log(i, "Watchdog request (last status: triggered)!");
            self.enter_signal(i, SubState::StopWatchdog, ServiceResult::Watchdog);
        } else if m.watchdog_ping {
            self.reset_watchdog(i);
        }
    }
}
