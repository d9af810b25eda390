//! The manager's own operations (dbus-manager.c): its properties, the system state
//! `is-system-running` prints, and the shutdown requests of `halt`, `poweroff`, `reboot` and
//! `exit`.

use super::super::daemon::Manager;
use crate::ipc::properties::{manager_properties, ManagerFacts, Property};
use crate::ipc::protocol::{Reply, ShutdownAction};
use crate::manager::exec::DEFAULT_PATH;
use crate::unit::virt::{detect_virtualization, Virtualization};

impl Manager {
    /// The Manager object's properties, for `show` without a unit.
    pub(super) fn manager_properties(&self) -> Vec<Property> {
        let virtualization = match detect_virtualization() {
            Ok(Virtualization::None) | Err(_) => String::new(),
            Ok(v) => v.as_str().to_string(),
        };
        // manager_get_effective_environment(): the manager's own environment
        // (manager_sanitize_environment(): sorted), then the clients' (kept sorted by
        // manager_client_environment_modify()), a name set in both keeping its first place
        let config = &self.config;
        let mut own: Vec<(String, String)> = Vec::new();
        let defaults = std::iter::once(("PATH".to_string(), DEFAULT_PATH.to_string()))
            .chain(config.locale_environment.iter().cloned())
            .chain(config.default_environment.iter().cloned());
        for (k, v) in defaults {
            own.retain(|(name, _)| *name != k);
            own.push((k, v));
        }
        own.sort();
        let mut clients = self.client_environment.clone();
        clients.sort();
        for (k, v) in clients {
            match own.iter_mut().find(|(name, _)| *name == k) {
                Some(entry) => entry.1 = v,
                None => own.push((k, v)),
            }
        }
        let environment: Vec<String> = own.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        let facts = ManagerFacts {
            virtualization,
            n_failed_units: self.units.values().filter(|u| u.is_failed()).count(),
            n_jobs: self.jobs.iter().count(),
            environment,
            system_state: self.system_state().to_string(),
            timeout_start: self.config.timeout_start,
            timeout_stop: self.config.timeout_stop,
            timeout_abort: self
                .config
                .timeout_abort
                .unwrap_or(self.config.timeout_stop),
            restart: self.config.restart,
            start_limit_interval: self.config.start_limit_interval,
            start_limit_burst: self.config.start_limit_burst,
            limits: self
                .config
                .default_limits
                .iter()
                .map(|l| (l.resource, l.soft, l.hard))
                .collect(),
        };
        manager_properties(&facts, &self.lookup, true)
    }

    /// UnsetAndSetEnvironment() (dbus-manager.c method_unset_and_set_environment()): every
    /// name and assignment checked before anything changes.
    pub(super) fn set_environment(&mut self, unset: &[String], set: &[String]) -> Reply {
        let names: Vec<&str> = unset
            .iter()
            .map(|u| u.split_once('=').map_or(u.as_str(), |(n, _)| n))
            .collect();
        if !names.iter().all(|n| env_name_is_valid(n)) {
            return Reply::Error("Invalid environment variable names or assignments".into());
        }
        let mut assignments = Vec::with_capacity(set.len());
        for a in set {
            match a.split_once('=') {
                Some((n, v)) if env_name_is_valid(n) && env_value_is_valid(v) => {
                    assignments.push((n.to_string(), v.to_string()))
                }
                _ => return Reply::Error("Invalid environment assignments".into()),
            }
        }
        self.client_environment
            .retain(|(n, _)| !names.contains(&n.as_str()));
        for (n, v) in assignments {
            self.client_environment.retain(|(k, _)| *k != n);
            self.client_environment.push((n, v));
        }
        Reply::Done
    }

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

/// env_name_is_valid(): a C identifier, not too long.
fn env_name_is_valid(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 4096
}

/// env_value_is_valid(): UTF-8 without control characters other than tab and newline.
fn env_value_is_valid(value: &str) -> bool {
    value.len() <= 128 * 1024
        && value
            .chars()
            .all(|c| !c.is_control() || c == '\t' || c == '\n')
}
