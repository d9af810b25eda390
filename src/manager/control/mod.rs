//! The one place requests are answered (systemd's src/core/dbus-manager.c and dbus-unit.c): every
//! operation of [`Request`] turned into its [`Reply`], for a [`Caller`] the front end vouches
//! for. The front end (the control socket in `clients.rs` today; the D-Bus system bus or a user
//! manager's socket could sit beside it) only reads requests, learns who sent them and writes
//! replies; what a request may do and what it answers is decided here, once. Queries are in
//! `units.rs`, jobs in `jobs.rs`, transient units in `transient.rs`, SetUnitProperties() in `set_property.rs`, the manager's own operations (system state, reload, shutdown)
//! in `manager.rs`.

mod jobs;
mod manager;
mod set_property;
mod transient;
mod units;

use super::daemon::Manager;
use crate::ipc::protocol::{Reply, Request};
use crate::ipc::Peer;

/// Who sent a request: the credentials the kernel gives for the connection (SO_PEERCRED), and
/// the connection a reply that comes later (a job's result) goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Caller {
    pub peer: Peer,
    pub connection: u64,
}

impl Caller {
    /// systemd's D-Bus policy without polkit: anyone may ask, only root or the uid the manager
    /// runs as may change state.
    fn may_change_state(&self, manager_uid: u32) -> bool {
        self.peer.may_change_state(manager_uid)
    }
}

impl Manager {
    /// Answer `request` from `caller`; `None` when the reply comes later, once the jobs it
    /// queued have finished (see [`Manager::complete_waiter`]).
    pub(super) fn answer(&mut self, caller: Caller, request: Request) -> Option<Reply> {
        self.begin_request();
        if request.changes_state() && !caller.may_change_state(self.ctx.uid) {
            return Some(Reply::AccessDenied);
        }
        match request {
            Request::Job {
                verb,
                units,
                no_block,
                mode,
            } => {
                let reply = self.queue_jobs(caller.connection, verb, &units, no_block, mode);
                // A job accepted is on file before the client hears of it.
                self.save_state();
                reply
            }
            Request::Kill {
                units,
                whom,
                signal,
            } => Some(self.kill_units(&units, whom, signal)),
            Request::ResetFailed { units } => Some(self.reset_failed(&units)),
            Request::Units { units, from_others } => {
                let mut named = units::NamedUnits::default();
                Some(Reply::Units(
                    units
                        .iter()
                        .map(|u| self.unit_status(u, from_others.then_some(&mut named)))
                        .collect(),
                ))
            }
            Request::Properties { units, asked } => {
                let mut named = units::NamedUnits::default();
                let trigger_files = crate::ipc::properties::TriggerFiles::default();
                Some(Reply::Properties(
                    units
                        .iter()
                        .map(|u| self.unit_properties(u, &asked, &mut named, &trigger_files))
                        .collect(),
                ))
            }
            Request::States { units } => Some(Reply::States(
                units.iter().map(|u| self.unit_state(u)).collect(),
            )),
            Request::UnitDetails { units } => Some(Reply::Details(
                units.iter().map(|u| self.unit_details(u)).collect(),
            )),
            Request::ListUnits => Some(Reply::Units(self.list_units())),
            Request::SystemState => Some(Reply::SystemState(self.system_state().into())),
            Request::DaemonReload => {
                self.daemon_reload();
                Some(Reply::Done)
            }
            Request::Exit => {
                self.begin_shutdown();
                Some(Reply::Done)
            }
            Request::Shutdown { action, exit_code } => {
                self.shutdown_request(action, exit_code);
                Some(Reply::Done)
            }
            Request::ListJobs => Some(Reply::JobList(self.list_jobs())),
            Request::ManagerProperties => Some(Reply::Properties(vec![self.manager_properties()])),
            Request::UnitOfPid { pid } => Some(Reply::UnitOfPid(self.unit_name_of_pid(pid))),
            Request::Subscribe => {
                self.subscribe(caller.connection);
                Some(Reply::Done)
            }
            Request::CancelJob { id } => Some(self.cancel_job_by_id(id)),
            Request::SetEnvironment { unset, set } => Some(self.set_environment(&unset, &set)),
            Request::BusUp { owners } => {
                self.bus_up(owners);
                Some(Reply::Done)
            }
            Request::BusNameOwner { name, owner, pid } => {
                self.bus_name_owner(&name, owner.as_deref(), pid);
                Some(Reply::Done)
            }
            Request::BusGone => {
                self.bus_gone();
                Some(Reply::Done)
            }
            Request::StartTransient {
                mode,
                units,
                add_ref,
            } => {
                let reply = self.start_transient(caller.connection, mode, &units, add_ref);
                self.save_state();
                reply
            }
            Request::UnitUnref { unit } => {
                self.unit_unref(&unit);
                Some(Reply::Done)
            }
            Request::SetUnitProperties {
                unit,
                runtime,
                properties,
            } => Some(self.set_unit_properties(&unit, runtime, &properties)),
        }
    }
}
