//! The manager's own operations (dbus-manager.c): the system state `is-system-running`
//! prints, and the shutdown requests of `halt`, `poweroff`, `reboot` and `exit`.

use super::super::daemon::Manager;
use crate::ipc::protocol::ShutdownAction;

impl Manager {
    /// `is-system-running`'s word (manager_state()): `starting` only until the boot's jobs
    /// have ended.
    pub(super) fn system_state(&self) -> &'static str {
        if self.shutting_down {
            return "stopping";
        }
        if !self.boot_finished && !self.jobs.is_empty() {
            return "starting";
        }
        if self.units.values().any(|u| u.is_failed()) {
            return "degraded";
        }
        "running"
    }

    /// `halt`, `poweroff`, `reboot`, `exit [N]`: logged, then every unit stopped in order; the
    /// manager ends with N, or what `exit N` or a unit's action set before.
    pub(super) fn shutdown_request(&mut self, action: ShutdownAction, exit_code: Option<u8>) {
        if let Some(code) = exit_code {
            self.exit_code = code;
        }
        self.log_manager(&format!("Received {} request.", action_word(action)));
        self.begin_shutdown();
    }
}

fn action_word(action: ShutdownAction) -> &'static str {
    match action {
        ShutdownAction::Halt => "halt",
        ShutdownAction::Poweroff => "poweroff",
        ShutdownAction::Reboot => "reboot",
        ShutdownAction::Exit => "exit",
    }
}
