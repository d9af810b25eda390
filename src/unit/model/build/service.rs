//! The [Service] section, as systemd 252's load-fragment.c parses it (`config_parse_service_type()`,
//! `config_parse_service_restart()`, `config_parse_service_timeout()`,
//! `config_parse_service_sockets()` and the other parsers load-fragment-gperf.gperf.in lists under
//! `Service.`), and service.c's `service_verify()`.

use super::*;
use crate::unit::name::UnitName;
use crate::unit::timespan;

const SERVICE_TYPES: &[&str] = &[
    "simple",
    "exec",
    "forking",
    "oneshot",
    "dbus",
    "notify",
    "notify-reload",
    "idle",
];
const RESTART_VALUES: &[&str] = &[
    "no",
    "on-success",
    "on-failure",
    "on-abnormal",
    "on-watchdog",
    "on-abort",
    "always",
];
const NOTIFY_ACCESS: &[&str] = &["none", "main", "exec", "all"];

impl Builder {
    pub(super) fn service_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        match a.key {
            "Type" => {
                if SERVICE_TYPES.contains(&value) {
                    self.service.service_type = Some(value.to_string());
                } else {
                    self.invalid(a);
                }
            }
            "ExitType" => {
                if ["main", "cgroup"].contains(&value) {
                    self.service.exit_type = value.to_string();
                } else {
                    self.invalid(a);
                }
            }
            "Restart" => {
                if RESTART_VALUES.contains(&value) {
                    self.service.restart = value.to_string();
                } else {
                    self.invalid(a);
                }
            }
            "NotifyAccess" => {
                if NOTIFY_ACCESS.contains(&value) {
                    self.service.notify_access = Some(value.to_string());
                } else {
                    self.invalid(a);
                }
            }
            "OOMPolicy" => {
                if ["continue", "stop", "kill"].contains(&value) {
                    self.service.oom_policy = value.to_string();
                } else {
                    self.invalid(a);
                }
            }
            "RestartSec" | "TimeoutStartSec" | "TimeoutStopSec" | "TimeoutSec"
            | "TimeoutAbortSec" | "RuntimeMaxSec" | "WatchdogSec" => {
                let Ok(mut v) = timespan::parse_sec(value) else {
                    self.invalid(a);
                    return true;
                };
                // config_parse_service_timeout(): 0 means "no timeout" for start/stop
                if v == Usec::ZERO && a.key.starts_with("Timeout") && a.key != "TimeoutAbortSec" {
                    v = Usec::INFINITY;
                }
                if a.key == "TimeoutStartSec" || a.key == "TimeoutSec" {
                    self.start_timeout_set = true;
                }
                let s = &mut self.service;
                match a.key {
                    "RestartSec" => s.restart_sec = v,
                    "TimeoutStartSec" => s.timeout_start = v,
                    "TimeoutStopSec" => s.timeout_stop = v,
                    "TimeoutSec" => {
                        s.timeout_start = v;
                        s.timeout_stop = v;
                    }
                    "TimeoutAbortSec" => s.timeout_abort = Some(v),
                    "RuntimeMaxSec" => s.runtime_max = v,
                    _ => s.watchdog = v,
                }
            }
            "PermissionsStartOnly" => {
                self.set_bool(a, |c| &mut c.settings.permissions_start_only);
                // printed raw by `show`, as before it was typed
                self.keep_raw(a);
            }
            "RemainAfterExit" | "GuessMainPID" => match parse_boolean(value) {
                Some(v) if a.key == "RemainAfterExit" => self.service.remain_after_exit = v,
                Some(v) => self.service.guess_main_pid = v,
                None => self.invalid(a),
            },
            "PIDFile" | "BusName" => {
                let v = if value.is_empty() {
                    None
                } else {
                    match self.printf(a, value) {
                        Some(v) => Some(v),
                        None => return true,
                    }
                };
                let v = match (a.key, v) {
                    ("PIDFile", Some(p)) if !p.starts_with('/') => {
                        Some(format!("/run/{}", p.trim_start_matches("./")))
                    }
                    ("PIDFile", Some(p)) if p.starts_with("/var/run/") => {
                        let updated = format!("/run/{}", &p["/var/run/".len()..]);
                        let msg = format!("PIDFile= references a path below legacy directory /var/run/, updating {p} \u{2192} {updated}; please update the unit file accordingly.");
                        self.warn(a, msg);
                        Some(updated)
                    }
                    (_, v) => v,
                };
                if a.key == "PIDFile" {
                    self.service.pid_file = v;
                } else {
                    self.service.bus_name = v;
                }
            }
            "SuccessExitStatus" | "RestartPreventExitStatus" | "RestartForceExitStatus" => {
                let s = &mut self.service;
                let list = match a.key {
                    "SuccessExitStatus" => &mut s.success_exit_status,
                    "RestartPreventExitStatus" => &mut s.restart_prevent_exit_status,
                    _ => &mut s.restart_force_exit_status,
                };
                if value.is_empty() {
                    list.clear();
                }
                list.extend(value.split_whitespace().map(str::to_string));
            }
            "Sockets" => self.service_sockets(a),
            "FileDescriptorStoreMax" => match value.parse() {
                Ok(n) => self.service.file_descriptor_store_max = n,
                Err(_) => self.invalid(a),
            },
            _ => return false,
        }
        true
    }

    /// `Sockets=` (config_parse_service_sockets()): socket units whose listeners the service
    /// gets too; each is wanted, ordered before it and triggers it. Words are taken as written
    /// (no unquoting), and an empty value resets nothing: systemd adds the dependencies as it
    /// reads them.
    fn service_sockets(&mut self, a: &Assignment) {
        for word in a.value.split_whitespace() {
            let Some(name) = self.printf(a, word) else {
                continue;
            };
            if !name.ends_with(".socket") {
                self.warn(a, format!("Unit must be of type socket, ignoring: {name}"));
                continue;
            }
            if !UnitName::parse(&name).is_ok_and(|n| !n.is_template()) {
                // systemd fails twice: adding Wants=/After=, then adding TriggeredBy=
                let msg = format!("Failed to add dependency on {name}, ignoring: Invalid argument");
                self.warn(a, &msg);
                self.warn(a, msg);
                continue;
            }
            self.config
                .unit
                .add_dependency(Dependency::Wants, name.clone());
            self.config
                .unit
                .add_dependency(Dependency::After, name.clone());
            if !self.service.sockets.contains(&name) {
                self.service.sockets.push(name);
            }
        }
    }
}

/// The refusals of systemd 252's `service_verify()`, in its order.
pub(super) fn verify_service(
    s: &ServiceSection,
    ty: &str,
    has_start: bool,
    has_stop: bool,
    start_count: usize,
    success_action: EmergencyAction,
) -> Option<String> {
    let no_success_action = success_action == EmergencyAction::None;
    let msg = if !has_start && !has_stop && no_success_action {
        "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing."
    } else if ty != "oneshot" && !has_start {
        "Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."
    } else if !s.remain_after_exit && !has_start && no_success_action {
        "Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing."
    } else if ty != "oneshot" && start_count > 1 {
        "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."
    } else if ty == "oneshot" && (s.restart == "always" || s.restart == "on-success") {
        "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing."
    } else if ty == "oneshot" && s.exit_type == "cgroup" {
        "Service has ExitType=cgroup set, which isn't allowed for Type=oneshot services. Refusing."
    } else if ty == "dbus" && s.bus_name.is_none() {
        "Service is of type D-Bus but no D-Bus service name has been specified. Refusing."
    } else {
        return None;
    };
    Some(msg.to_string())
}
