//! Applying assignments in file order into a [`UnitConfig`], as load-fragment.c's parsers do, and
//! what systemd settles at the end of loading: implicit settings and dependencies
//! (`service_add_extras()`, `*_add_default_dependencies()`) and `service_verify()`.

use super::keys::known_unmodeled;
use super::*;
use crate::manager::limits;
use crate::unit::name::{self as unit_name, UnitName};
use crate::unit::paths::Scope;
use crate::unit::specifier::SpecifierContext;
use crate::unit::timespan;
use crate::unit::{calendar, command};

/// One assignment with where it came from, for warnings.
pub struct Assignment<'a> {
    pub section: &'a str,
    pub key: &'a str,
    pub value: &'a str,
    pub file: &'a str,
    pub line: usize,
}

/// Builds a [`UnitConfig`] from assignments applied in file order.
pub struct Builder {
    config: UnitConfig,
    spec: SpecifierContext,
    warned_unknown: std::collections::HashSet<(String, String)>,
    /// Whether a start timeout was configured: oneshot services default to none otherwise.
    start_timeout_set: bool,
    /// The first setting that makes systemd refuse the unit while parsing (ENOEXEC).
    fatal: Option<String>,
    // The type-specific sections, of which finish() keeps the one of the unit's type.
    service: ServiceSection,
    socket: SocketSection,
    timer: TimerSection,
    path: PathSection,
}

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
const KILL_MODES: &[&str] = &["control-group", "process", "mixed", "none"];
const NOTIFY_ACCESS: &[&str] = &["none", "main", "exec", "all"];
const EMERGENCY_ACTIONS: &[&str] = &[
    "none",
    "reboot",
    "reboot-force",
    "reboot-immediate",
    "poweroff",
    "poweroff-force",
    "poweroff-immediate",
    "exit",
    "exit-force",
    "kexec",
    "kexec-force",
    "halt",
    "halt-force",
    "halt-immediate",
];
const JOB_MODES: &[&str] = &[
    "fail",
    "replace",
    "replace-irreversibly",
    "isolate",
    "flush",
    "ignore-dependencies",
    "ignore-requirements",
];
const STD_INPUT: &[&str] = &["null", "tty", "tty-force", "tty-fail", "data", "socket"];
const STD_OUTPUT: &[&str] = &[
    "inherit",
    "null",
    "tty",
    "journal",
    "kmsg",
    "journal+console",
    "kmsg+console",
    "socket",
    "syslog",
    "syslog+console",
];

/// systemd's `parse_boolean()`.
fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

impl Builder {
    pub fn new(config: UnitConfig, spec: SpecifierContext) -> Builder {
        Builder {
            config,
            spec,
            warned_unknown: Default::default(),
            start_timeout_set: false,
            fatal: None,
            service: ServiceSection::default(),
            socket: SocketSection::default(),
            timer: TimerSection::default(),
            path: PathSection::default(),
        }
    }

    /// A dependency that does not come from a setting: a `.wants/`-style directory entry.
    pub fn add_dependency(&mut self, dependency: Dependency, name: String) {
        self.config.unit.add_dependency(dependency, name);
    }

    /// A warning about a line of a file, as systemd logs it while loading.
    pub fn warn_at(&mut self, file: &str, line: usize, message: &str) {
        self.config
            .warnings
            .push(format!("{file}:{line}: {message}"));
    }

    fn warn(&mut self, a: &Assignment, message: impl std::fmt::Display) {
        self.config
            .warnings
            .push(format!("{}:{}: {message}", a.file, a.line));
    }

    fn invalid(&mut self, a: &Assignment) {
        let msg = format!("Failed to parse {} value, ignoring: {}", a.key, a.value);
        self.warn(a, msg);
    }

    /// Specifier expansion as `unit_full_printf()`; a failure ignores the assignment.
    fn printf(&mut self, a: &Assignment, s: &str) -> Option<String> {
        match self.spec.expand(s) {
            Ok(v) => Some(v),
            Err(e) => {
                let msg = format!("Failed to resolve unit specifiers in '{s}', ignoring: {e}");
                self.warn(a, msg);
                None
            }
        }
    }

    fn unknown(&mut self, a: &Assignment) {
        self.keep_raw(a);
        if a.key.starts_with("X-") || a.section.starts_with("X-") {
            return;
        }
        if self
            .warned_unknown
            .insert((a.section.to_string(), a.key.to_string()))
        {
            let msg = format!(
                "Unknown key '{}' in section [{}], ignoring.",
                a.key, a.section
            );
            self.warn(a, msg);
        }
    }

    fn keep_raw(&mut self, a: &Assignment) {
        self.config.raw.push(RawSetting {
            section: a.section.to_string(),
            key: a.key.to_string(),
            value: a.value.to_string(),
        });
    }

    fn set_bool(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut bool) {
        match parse_bool(a.value) {
            Some(v) => *f(&mut self.config) = v,
            None => self.invalid(a),
        }
    }

    fn set_usec(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut Usec) {
        match timespan::parse_sec(a.value) {
            Ok(v) => *f(&mut self.config) = v,
            Err(_) => self.invalid(a),
        }
    }

    fn set_choice(
        &mut self,
        a: &Assignment,
        allowed: &[&str],
        f: fn(&mut UnitConfig) -> &mut String,
    ) {
        if allowed.contains(&a.value) {
            *f(&mut self.config) = a.value.to_string();
        } else {
            self.invalid(a);
        }
    }

    /// A space-separated list with specifiers; empty resets.
    fn list(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut Vec<String>) {
        if a.value.is_empty() {
            f(&mut self.config).clear();
            return;
        }
        let Some(v) = self.printf(a, a.value) else {
            return;
        };
        f(&mut self.config).extend(v.split_whitespace().map(str::to_string));
    }

    fn opt_string(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut Option<String>) {
        if a.value.is_empty() {
            *f(&mut self.config) = None;
            return;
        }
        if let Some(v) = self.printf(a, a.value) {
            *f(&mut self.config) = Some(v);
        }
    }

    pub fn apply(&mut self, a: &Assignment) {
        if !section_is_known(self.config.unit_type, a.section) {
            // the section itself was warned about; its settings are ignored silently
            self.keep_raw(a);
            return;
        }
        let handled = match a.section {
            "Unit" => self.unit_key(a),
            "Install" => self.install_key(a),
            "Service" if self.config.unit_type == UnitType::Service => {
                self.service_key(a) || self.exec_key(a) || self.service_compat_key(a)
            }
            "Socket" if self.config.unit_type == UnitType::Socket => {
                self.socket_key(a) || self.exec_key(a)
            }
            "Timer" if self.config.unit_type == UnitType::Timer => self.timer_key(a),
            "Path" if self.config.unit_type == UnitType::Path => self.path_key(a),
            _ => false,
        };
        if handled {
            return;
        }
        if known_unmodeled(self.config.unit_type, a.section, a.key) {
            self.keep_raw(a);
        } else {
            self.unknown(a);
        }
    }

    fn unit_key(&mut self, a: &Assignment) -> bool {
        if let Some(dep) = Dependency::from_key(a.key) {
            // config_parse_unit_deps(): no reset on an empty assignment
            for word in a.value.split_whitespace() {
                let Some(name) = self.printf(a, word) else {
                    continue;
                };
                if UnitName::parse(&name).is_err() {
                    let msg =
                        format!("Failed to add dependency on {name}, ignoring: Invalid argument");
                    self.warn(a, msg);
                    continue;
                }
                self.config.unit.add_dependency(dep, name);
            }
            return true;
        }
        if let Some(rest) = a.key.strip_prefix("Condition") {
            return self.condition(a, rest, false);
        }
        if let Some(rest) = a.key.strip_prefix("Assert") {
            return self.condition(a, rest, true);
        }
        match a.key {
            "Description" => {
                if let Some(v) = self.printf(a, a.value) {
                    self.config.unit.description = v;
                }
            }
            "Documentation" => {
                if a.value.is_empty() {
                    self.config.unit.documentation.clear();
                }
                for word in a.value.split_whitespace() {
                    let Some(url) = self.printf(a, word) else {
                        continue;
                    };
                    let valid = ["http://", "https://", "file:", "info:", "man:"]
                        .iter()
                        .any(|p| url.starts_with(p));
                    if valid {
                        self.config.unit.documentation.push(url);
                    } else {
                        let msg = format!("Invalid URL, ignoring: {url}");
                        self.warn(a, msg);
                    }
                }
            }
            "RequiresMountsFor" => self.list(a, |c| &mut c.unit.requires_mounts_for),
            "SourcePath" => self.opt_string(a, |c| &mut c.unit.source_path),
            "DefaultDependencies" => self.set_bool(a, |c| &mut c.unit.default_dependencies),
            "StopWhenUnneeded" => self.set_bool(a, |c| &mut c.unit.stop_when_unneeded),
            "RefuseManualStart" => self.set_bool(a, |c| &mut c.unit.refuse_manual_start),
            "RefuseManualStop" => self.set_bool(a, |c| &mut c.unit.refuse_manual_stop),
            "AllowIsolate" => self.set_bool(a, |c| &mut c.unit.allow_isolate),
            "IgnoreOnIsolate" => self.set_bool(a, |c| &mut c.unit.ignore_on_isolate),
            "JobTimeoutSec" => self.set_usec(a, |c| &mut c.unit.job_timeout),
            "JobRunningTimeoutSec" => self.set_usec(a, |c| &mut c.unit.job_running_timeout),
            "JobTimeoutAction" => {
                self.set_choice(a, EMERGENCY_ACTIONS, |c| &mut c.unit.job_timeout_action)
            }
            "StartLimitIntervalSec" | "StartLimitInterval" => {
                self.set_usec(a, |c| &mut c.unit.start_limit_interval)
            }
            "StartLimitBurst" => match a.value.parse() {
                Ok(v) => self.config.unit.start_limit_burst = v,
                Err(_) => self.invalid(a),
            },
            "StartLimitAction" => {
                self.set_choice(a, EMERGENCY_ACTIONS, |c| &mut c.unit.start_limit_action)
            }
            "FailureAction" => {
                self.set_choice(a, EMERGENCY_ACTIONS, |c| &mut c.unit.failure_action)
            }
            "SuccessAction" => {
                self.set_choice(a, EMERGENCY_ACTIONS, |c| &mut c.unit.success_action)
            }
            "OnFailureJobMode" => {
                self.set_choice(a, JOB_MODES, |c| &mut c.unit.on_failure_job_mode)
            }
            "OnSuccessJobMode" => {
                self.set_choice(a, JOB_MODES, |c| &mut c.unit.on_success_job_mode)
            }
            "CollectMode" => self.set_choice(a, &["inactive", "inactive-or-failed"], |c| {
                &mut c.unit.collect_mode
            }),
            _ => return false,
        }
        true
    }

    /// [Unit] settings systemd 252 still accepts in [Service] for compatibility.
    fn service_compat_key(&mut self, a: &Assignment) -> bool {
        matches!(
            a.key,
            "StartLimitInterval" | "StartLimitBurst" | "StartLimitAction" | "FailureAction"
        ) && self.unit_key(a)
    }

    fn condition(&mut self, a: &Assignment, kind: &str, assert: bool) -> bool {
        if !CONDITION_KINDS.contains(&kind) {
            return false;
        }
        fn list(c: &mut UnitConfig, assert: bool) -> &mut Vec<Condition> {
            if assert {
                &mut c.unit.asserts
            } else {
                &mut c.unit.conditions
            }
        }
        if a.value.is_empty() {
            list(&mut self.config, assert).clear();
            return true;
        }
        let mut rest = a.value;
        let trigger = rest.starts_with('|');
        if trigger {
            rest = rest[1..].trim_start();
        }
        let negate = rest.starts_with('!');
        if negate {
            rest = rest[1..].trim_start();
        }
        let Some(parameter) = self.printf(a, rest) else {
            return true;
        };
        list(&mut self.config, assert).push(Condition {
            name: a.key.to_string(),
            trigger,
            negate,
            parameter,
        });
        true
    }

    fn install_key(&mut self, a: &Assignment) -> bool {
        // [Install] is read by the install layer at enable time; specifiers stay unexpanded here.
        let target = match a.key {
            "WantedBy" => &mut self.config.install.wanted_by,
            "RequiredBy" => &mut self.config.install.required_by,
            "UpheldBy" => &mut self.config.install.upheld_by,
            "Alias" => &mut self.config.install.alias,
            "Also" => &mut self.config.install.also,
            "DefaultInstance" => {
                self.config.install.default_instance =
                    (!a.value.is_empty()).then(|| a.value.to_string());
                return true;
            }
            _ => return false,
        };
        if a.value.is_empty() {
            target.clear();
        }
        target.extend(a.value.split_whitespace().map(str::to_string));
        true
    }

    fn service_key(&mut self, a: &Assignment) -> bool {
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
            "RemainAfterExit" | "GuessMainPID" => match parse_bool(value) {
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

    /// Settings of systemd.exec(5)/systemd.kill(5) and the `Exec…=` lines, shared by services
    /// and sockets.
    fn exec_key(&mut self, a: &Assignment) -> bool {
        if let Some(kind) = ExecKind::from_key(a.key, self.config.unit_type) {
            if a.value.is_empty() {
                self.config.exec.remove(&kind);
                return true;
            }
            match command::parse_exec(a.value, &self.spec) {
                Ok(cmds) => self.config.exec.entry(kind).or_default().extend(cmds),
                Err(rejected) if rejected.fatal => {
                    let message = format!("{}:{}: {}", a.file, a.line, rejected.error);
                    self.warn(a, &rejected.error);
                    self.fatal.get_or_insert(message);
                }
                Err(rejected) => self.warn(a, format!("{}, ignoring.", rejected.error)),
            }
            return true;
        }
        let value = a.value;
        match a.key {
            "User" => self.opt_string(a, |c| &mut c.settings.user),
            "Group" => self.opt_string(a, |c| &mut c.settings.group),
            "SupplementaryGroups" => self.list(a, |c| &mut c.settings.supplementary_groups),
            "WorkingDirectory" => self.opt_string(a, |c| &mut c.settings.working_directory),
            "RootDirectory" => self.opt_string(a, |c| &mut c.settings.root_directory),
            "SyslogIdentifier" => self.opt_string(a, |c| &mut c.settings.syslog_identifier),
            "RuntimeDirectory" => self.directories(a, |c| &mut c.settings.runtime_directory),
            "Slice" => {
                let Some(name) = self.printf(a, value) else {
                    return true;
                };
                let is_slice = UnitName::parse(&name)
                    .is_ok_and(|n| n.unit_type() == UnitType::Slice && !n.is_template());
                if is_slice {
                    self.config.settings.slice = Some(name);
                } else {
                    self.invalid(a);
                }
            }
            "StateDirectory" => self.directories(a, |c| &mut c.settings.state_directory),
            "Environment" => {
                if value.is_empty() {
                    self.config.settings.environment.clear();
                    return true;
                }
                // config_parse_environ(): unquote first, then expand specifiers per word
                let Some(words) = self.words(a, value) else {
                    return true;
                };
                for word in words {
                    let Some(word) = self.printf(a, &word) else {
                        continue;
                    };
                    let key = match word.split_once('=') {
                        Some((k, _)) if is_env_name(k) => k.to_string(),
                        _ => {
                            let msg = format!("Invalid environment assignment, ignoring: {word}");
                            self.warn(a, msg);
                            continue;
                        }
                    };
                    // strv_env_replace_consume(): a key set again keeps its place
                    let env = &mut self.config.settings.environment;
                    match env
                        .iter_mut()
                        .find(|e| e.split('=').next() == Some(key.as_str()))
                    {
                        Some(existing) => *existing = word,
                        None => env.push(word),
                    }
                }
            }
            "EnvironmentFile" => {
                if value.is_empty() {
                    self.config.settings.environment_files.clear();
                    return true;
                }
                let (optional, path) = match value.strip_prefix('-') {
                    Some(p) => (true, p),
                    None => (false, value),
                };
                let Some(path) = self.printf(a, path) else {
                    return true;
                };
                if !path.starts_with('/') {
                    let msg = format!("Path '{path}' is not absolute, ignoring.");
                    self.warn(a, msg);
                    return true;
                }
                self.config
                    .settings
                    .environment_files
                    .push((path, optional));
            }
            "UMask" => match u32::from_str_radix(value, 8) {
                Ok(m) if m <= 0o777 => self.config.settings.umask = format!("{m:04o}"),
                _ => self.invalid(a),
            },
            "StandardInput" => {
                // config_parse_exec_input() also takes `file:PATH` (an absolute path)
                let file_ok = value
                    .strip_prefix("file:")
                    .is_some_and(|p| p.starts_with('/'));
                if file_ok || STD_INPUT.contains(&value) {
                    self.config.settings.standard_input = value.to_string();
                } else {
                    self.invalid(a);
                }
            }
            "StandardOutput" | "StandardError" => {
                let ok = STD_OUTPUT.contains(&value)
                    || ["file:", "append:", "truncate:", "fd:"]
                        .iter()
                        .any(|p| value.starts_with(p));
                if !ok {
                    self.invalid(a);
                } else if a.key == "StandardOutput" {
                    self.config.settings.standard_output = value.to_string();
                } else {
                    self.config.settings.standard_error = value.to_string();
                }
            }
            "KillMode" => self.set_choice(a, KILL_MODES, |c| &mut c.settings.kill_mode),
            "KillSignal" | "FinalKillSignal" => match parse_signal(value) {
                Some(sig) if a.key == "KillSignal" => self.config.settings.kill_signal = sig,
                Some(sig) => self.config.settings.final_kill_signal = sig,
                None => self.invalid(a),
            },
            "SendSIGKILL" => self.set_bool(a, |c| &mut c.settings.send_sigkill),
            "SendSIGHUP" => self.set_bool(a, |c| &mut c.settings.send_sighup),
            _ => {
                if !self.exec_typed_key(a) {
                    return false;
                }
                // `show` prints these as written, as it did before they were typed; systemd's own
                // formatting of them is not modelled there yet.
                self.keep_raw(a);
            }
        }
        true
    }

    /// The systemd.exec(5)/systemd.kill(5) settings the manager acts on that `show` still prints
    /// raw: parsed as load-fragment.c does, a bad value warned about and ignored.
    fn exec_typed_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        match a.key {
            "CacheDirectory" => self.directories(a, |c| &mut c.settings.cache_directory),
            "LogsDirectory" => self.directories(a, |c| &mut c.settings.logs_directory),
            "ConfigurationDirectory" => {
                self.directories(a, |c| &mut c.settings.configuration_directory)
            }
            "RuntimeDirectoryMode" => self.mode(a, |c| &mut c.settings.runtime_directory_mode),
            "StateDirectoryMode" => self.mode(a, |c| &mut c.settings.state_directory_mode),
            "CacheDirectoryMode" => self.mode(a, |c| &mut c.settings.cache_directory_mode),
            "LogsDirectoryMode" => self.mode(a, |c| &mut c.settings.logs_directory_mode),
            "ConfigurationDirectoryMode" => {
                self.mode(a, |c| &mut c.settings.configuration_directory_mode)
            }
            "RuntimeDirectoryPreserve" => {
                // exec_preserve_mode_from_string_with_boolean()
                let mode = match (value, parse_bool(value)) {
                    ("restart", _) => Some(DirectoryPreserve::Restart),
                    (_, Some(true)) => Some(DirectoryPreserve::Yes),
                    (_, Some(false)) => Some(DirectoryPreserve::No),
                    _ => None,
                };
                match mode {
                    Some(m) => self.config.settings.runtime_directory_preserve = m,
                    None => self.invalid(a),
                }
            }
            "PassEnvironment" | "UnsetEnvironment" => self.env_names(a),
            "Nice" => match value.parse::<i32>() {
                // parse_nice(): the range of setpriority(2)
                Ok(n) if (-20..=19).contains(&n) => self.config.settings.nice = Some(n),
                _ => self.invalid(a),
            },
            "OOMScoreAdjust" => match value.parse::<i32>() {
                Ok(n) if (-1000..=1000).contains(&n) => {
                    self.config.settings.oom_score_adjust = Some(n)
                }
                _ => self.invalid(a),
            },
            "RestartKillSignal" => match parse_signal(value) {
                Some(sig) => self.config.settings.restart_kill_signal = Some(sig),
                None => self.invalid(a),
            },
            "TTYPath" => {
                if value.is_empty() {
                    self.config.settings.tty_path = None;
                    return true;
                }
                let Some(path) = self.printf(a, value) else {
                    return true;
                };
                if path.starts_with('/') {
                    self.config.settings.tty_path = Some(path);
                } else {
                    let msg = format!("Path '{path}' is not absolute, ignoring.");
                    self.warn(a, msg);
                }
            }
            key if key.starts_with("Limit") => match limits::parse(key, value) {
                Ok(limit) => {
                    let all = &mut self.config.settings.limits;
                    all.retain(|l| l.resource != limit.resource);
                    all.push(limit);
                }
                // a `Limit…` systemd does not have stays with the unknown-key handling
                Err(limits::LimitError::UnknownKey(_)) => return false,
                Err(_) => {
                    let msg = format!("Failed to parse resource value, ignoring: {value}");
                    self.warn(a, msg);
                }
            },
            _ => return false,
        }
        true
    }

    /// The words of a list setting (`extract_first_word()` with quotes); a line that cannot be
    /// split is warned about and ignored as a whole.
    fn words(&mut self, a: &Assignment, value: &str) -> Option<Vec<String>> {
        match command::split_words(value) {
            Ok(words) => Some(words),
            Err(e) => {
                self.warn(a, format!("{e}, ignoring."));
                None
            }
        }
    }

    /// `CacheDirectory=` and the like (config_parse_exec_directories()): relative, normalized
    /// paths below the type's base directory; empty resets.
    fn directories(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut Vec<String>) {
        if a.value.is_empty() {
            f(&mut self.config).clear();
            return;
        }
        let Some(words) = self.words(a, a.value) else {
            return;
        };
        for word in words {
            let Some(path) = self.printf(a, &word) else {
                continue;
            };
            let normalized = !path.is_empty()
                && !path.starts_with('/')
                && !path.ends_with('/')
                && path
                    .split('/')
                    .all(|c| !c.is_empty() && c != "." && c != "..");
            if !normalized {
                let msg = format!("{}= path is not valid, ignoring assignment: {path}", a.key);
                self.warn(a, msg);
                continue;
            }
            let list = f(&mut self.config);
            if !list.contains(&path) {
                list.push(path);
            }
        }
    }

    /// config_parse_mode(): octal, at most 07777.
    fn mode(&mut self, a: &Assignment, f: fn(&mut UnitConfig) -> &mut u32) {
        match u32::from_str_radix(a.value, 8) {
            Ok(m) if m <= 0o7777 => *f(&mut self.config) = m,
            _ => self.invalid(a),
        }
    }

    /// `PassEnvironment=` (names) and `UnsetEnvironment=` (names or assignments), as
    /// config_parse_pass_environ()/config_parse_unset_environ(): unquoted words with
    /// specifiers, duplicates dropped, empty resets.
    fn env_names(&mut self, a: &Assignment) {
        let pass = a.key == "PassEnvironment";
        fn list(c: &mut UnitConfig, pass: bool) -> &mut Vec<String> {
            if pass {
                &mut c.settings.pass_environment
            } else {
                &mut c.settings.unset_environment
            }
        }
        if a.value.is_empty() {
            list(&mut self.config, pass).clear();
            return;
        }
        let Some(words) = self.words(a, a.value) else {
            return;
        };
        for word in words {
            let Some(word) = self.printf(a, &word) else {
                continue;
            };
            let valid = is_env_name(&word)
                || (!pass && word.split_once('=').is_some_and(|(k, _)| is_env_name(k)));
            if !valid {
                let msg = if pass {
                    format!("Invalid environment name for {}, ignoring: {word}", a.key)
                } else {
                    format!(
                        "Invalid environment name or assignment {}, ignoring: {word}",
                        a.key
                    )
                };
                self.warn(a, msg);
                continue;
            }
            let names = list(&mut self.config, pass);
            if !names.contains(&word) {
                names.push(word);
            }
        }
    }

    fn socket_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let listen_kind = match a.key {
            "ListenStream" => Some("Stream"),
            "ListenDatagram" => Some("Datagram"),
            "ListenSequentialPacket" => Some("SequentialPacket"),
            "ListenFIFO" => Some("FIFO"),
            "ListenSpecial" => Some("Special"),
            "ListenNetlink" => Some("Netlink"),
            "ListenMessageQueue" => Some("MessageQueue"),
            "ListenUSBFunction" => Some("USBFunction"),
            _ => None,
        };
        if let Some(kind) = listen_kind {
            if value.is_empty() {
                self.socket.listen.clear();
                return true;
            }
            if let Some(address) = self.printf(a, value) {
                if let Some(address) = self.listen_address(a, kind, address) {
                    self.socket.listen.push(Listen { kind, address });
                }
            }
            return true;
        }
        if self.socket_bool(a) || self.socket_number(a) {
            return true;
        }
        match a.key {
            "Service" => self.socket_service(a),
            "SocketMode" | "DirectoryMode" => match u32::from_str_radix(value, 8) {
                Ok(m) if m <= 0o7777 => {
                    let mode = format!("{m:04o}");
                    if a.key == "SocketMode" {
                        self.socket.socket_mode = mode;
                    } else {
                        self.socket.directory_mode = mode;
                    }
                }
                _ => self.invalid(a),
            },
            "SocketUser" | "SocketGroup" => {
                let v = if value.is_empty() {
                    None
                } else {
                    match self.printf(a, value) {
                        Some(v) => Some(v),
                        None => return true,
                    }
                };
                if a.key == "SocketUser" {
                    self.socket.socket_user = v;
                } else {
                    self.socket.socket_group = v;
                }
            }
            "FileDescriptorName" => {
                // config_parse_fdname(): what sd_listen_fds_with_names() can hand over
                if value.is_empty() {
                    self.socket.file_descriptor_name = None;
                    return true;
                }
                let Some(name) = self.printf(a, value) else {
                    return true;
                };
                let valid = name.len() <= 255
                    && name.bytes().all(|b| (b' '..0x7f).contains(&b) && b != b':');
                if valid {
                    self.socket.file_descriptor_name = Some(name);
                } else {
                    self.warn(a, format!("Invalid file descriptor name, ignoring: {name}"));
                }
            }
            "BindIPv6Only" => {
                // config_parse_socket_bind(): a boolean means ipv6-only or both
                let mode = match (value, parse_bool(value)) {
                    ("default" | "both" | "ipv6-only", _) => value,
                    (_, Some(true)) => "ipv6-only",
                    (_, Some(false)) => "both",
                    (_, None) => {
                        let msg =
                            format!("Failed to parse bind IPv6 only value, ignoring: {value}");
                        self.warn(a, msg);
                        return true;
                    }
                };
                self.socket.bind_ipv6_only = mode.to_string();
            }
            "BindToDevice" => {
                if value.is_empty() || value == "*" {
                    self.socket.bind_to_device = None;
                } else if ifname_valid(value, false) {
                    self.socket.bind_to_device = Some(value.to_string());
                } else {
                    self.warn(a, format!("Invalid interface name, ignoring: {value}"));
                }
            }
            "ReceiveBuffer" | "SendBuffer" | "PipeSize" => {
                match crate::unit::size::parse_iec_size(value) {
                    Ok(size) => {
                        let s = &mut self.socket;
                        match a.key {
                            "ReceiveBuffer" => s.receive_buffer = Some(size),
                            "SendBuffer" => s.send_buffer = Some(size),
                            _ => s.pipe_size = size,
                        }
                    }
                    Err(e) => {
                        let msg = format!(
                            "Failed to parse size value '{value}', ignoring: {}",
                            crate::errno::text(&e)
                        );
                        self.warn(a, msg);
                    }
                }
            }
            "IPTOS" => match parse_ip_tos(value) {
                Some(tos) => self.socket.ip_tos = tos,
                None => self.warn(
                    a,
                    format!("Failed to parse IP TOS value, ignoring: {value}"),
                ),
            },
            "Timestamping" => {
                // socket_timestamping_from_string_harder(): a boolean yes means nanoseconds
                let precision = match (value, parse_bool(value)) {
                    ("off" | "us" | "ns", _) => value,
                    ("usec" | "µs" | "μs", _) => "us",
                    ("nsec", _) | (_, Some(true)) => "ns",
                    (_, Some(false)) => "off",
                    (_, None) => {
                        let msg =
                            format!("Failed to parse timestamping precision, ignoring: {value}");
                        self.warn(a, msg);
                        return true;
                    }
                };
                self.socket.timestamping = precision.to_string();
            }
            "SocketProtocol" => match socket_protocol(value) {
                Some(protocol) => self.socket.socket_protocol = protocol,
                None => {
                    let msg = format!("Failed to parse socket protocol, ignoring: {value}");
                    self.warn(a, msg);
                }
            },
            "TCPCongestion" | "SmackLabel" | "SmackLabelIPIn" | "SmackLabelIPOut" => {
                let v = (!value.is_empty()).then(|| value.to_string());
                let s = &mut self.socket;
                match a.key {
                    "TCPCongestion" => s.tcp_congestion = v,
                    "SmackLabel" => s.smack_label = v,
                    "SmackLabelIPIn" => s.smack_label_ip_in = v,
                    _ => s.smack_label_ip_out = v,
                }
            }
            "Symlinks" => self.symlinks(a),
            "SELinuxContextFromNet" => {
                // checked as systemd does, then dropped: there is no SELinux policy to label with
                if parse_bool(value).is_none() {
                    self.invalid(a);
                }
            }
            _ => return false,
        }
        true
    }

    /// The boolean settings of [Socket] (config_parse_bool()).
    fn socket_bool(&mut self, a: &Assignment) -> bool {
        let field: fn(&mut SocketSection) -> &mut bool = match a.key {
            "Accept" => |s| &mut s.accept,
            "RemoveOnStop" => |s| &mut s.remove_on_stop,
            "PassCredentials" => |s| &mut s.pass_credentials,
            "PassSecurity" => |s| &mut s.pass_security,
            "PassPacketInfo" => |s| &mut s.pass_packet_info,
            "KeepAlive" => |s| &mut s.keep_alive,
            "NoDelay" => |s| &mut s.no_delay,
            "ReusePort" => |s| &mut s.reuse_port,
            "FreeBind" => |s| &mut s.free_bind,
            "Transparent" => |s| &mut s.transparent,
            "Broadcast" => |s| &mut s.broadcast,
            "Writable" => |s| &mut s.writable,
            "FlushPending" => |s| &mut s.flush_pending,
            _ => return false,
        };
        match parse_bool(a.value) {
            Some(v) => *field(&mut self.socket) = v,
            None => self.invalid(a),
        }
        true
    }

    /// The numeric and time settings of [Socket]: config_parse_unsigned(), config_parse_int(),
    /// config_parse_long(), config_parse_sec(); none takes an empty value to mean a reset.
    fn socket_number(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let s = &mut self.socket;
        let ok = match a.key {
            "Backlog" => value.parse().map(|n| s.backlog = n).is_ok(),
            "MaxConnections" => value.parse().map(|n| s.max_connections = n).is_ok(),
            "MaxConnectionsPerSource" => value
                .parse()
                .map(|n| s.max_connections_per_source = n)
                .is_ok(),
            "KeepAliveProbes" => value.parse().map(|n| s.keep_alive_probes = Some(n)).is_ok(),
            // socket_add_extras() takes UINT_MAX for "not set"
            "TriggerLimitBurst" => value
                .parse()
                .map(|n| s.trigger_limit_burst = (n != u32::MAX).then_some(n))
                .is_ok(),
            "Priority" => value.parse().map(|n| s.priority = Some(n)).is_ok(),
            "Mark" => value.parse().map(|n| s.mark = Some(n)).is_ok(),
            "IPTTL" => value.parse().map(|n| s.ip_ttl = n).is_ok(),
            "MessageQueueMaxMessages" => value
                .parse()
                .map(|n| s.message_queue_max_messages = n)
                .is_ok(),
            "MessageQueueMessageSize" => value
                .parse()
                .map(|n| s.message_queue_message_size = n)
                .is_ok(),
            "KeepAliveTimeSec"
            | "KeepAliveIntervalSec"
            | "DeferAcceptSec"
            | "TriggerLimitIntervalSec" => match timespan::parse_sec(value) {
                Ok(v) => {
                    match a.key {
                        "KeepAliveTimeSec" => s.keep_alive_time = Some(v),
                        "KeepAliveIntervalSec" => s.keep_alive_interval = Some(v),
                        "DeferAcceptSec" => s.defer_accept = v,
                        // socket_add_extras() takes infinity for "not set"
                        _ => s.trigger_limit_interval = (v != Usec::INFINITY).then_some(v),
                    }
                    true
                }
                Err(_) => false,
            },
            "TimeoutSec" => match timespan::parse_sec(value) {
                // config_parse_sec_fix_0(): 0 means no timeout
                Ok(v) => {
                    s.timeout = if v == Usec::ZERO { Usec::INFINITY } else { v };
                    true
                }
                Err(_) => false,
            },
            _ => return false,
        };
        if !ok {
            self.invalid(a);
        }
        true
    }

    /// config_parse_socket_service(): a service by name, not a template. A bad value only warns,
    /// and leaves the socket's own name.
    fn socket_service(&mut self, a: &Assignment) {
        let Some(name) = self.printf(a, a.value) else {
            return;
        };
        if !name.ends_with(".service") {
            let msg = format!("Unit must be of type service, ignoring: {}", a.value);
            self.warn(a, msg);
            return;
        }
        let problem = match UnitName::parse(&name) {
            Ok(n) if !n.is_template() => {
                self.socket.service = Some(name);
                return;
            }
            Ok(_) => format!("Unit name {name} is missing the instance name."),
            Err(_) => format!("Unit name {name} is not valid."),
        };
        let msg = format!("Failed to load unit {}, ignoring: {problem}", a.value);
        self.warn(a, msg);
    }

    /// `Symlinks=` (config_parse_unit_path_strv_printf()): absolute paths, accumulating; empty
    /// resets. A bad word drops the rest of the line, as systemd stops there.
    fn symlinks(&mut self, a: &Assignment) {
        if a.value.is_empty() {
            self.socket.symlinks.clear();
            return;
        }
        let Some(words) = self.words(a, a.value) else {
            return;
        };
        for word in words {
            let Some(path) = self.printf(a, &word) else {
                return;
            };
            let Some(path) = self.absolute_path(a, &path) else {
                return;
            };
            self.socket.symlinks.push(path);
        }
    }

    /// `path_simplify_and_warn(…, PATH_CHECK_ABSOLUTE)`: the path simplified, or a warning.
    fn absolute_path(&mut self, a: &Assignment, path: &str) -> Option<String> {
        let key = a.key;
        if !path.starts_with('/') {
            self.warn(a, format!("{key}= path is not absolute, ignoring: {path}"));
            return None;
        }
        let simplified = simplify_path(path);
        let components_fit = simplified.split('/').all(|c| c.len() <= 255);
        if simplified.len() >= 4096 || !components_fit {
            let n = simplified.len();
            self.warn(
                a,
                format!("{key}= path has invalid length ({n} bytes), ignoring."),
            );
            return None;
        }
        if simplified.split('/').any(|c| c == "..") {
            let msg = format!("{key}= path is not normalized, ignoring: {simplified}");
            self.warn(a, msg);
            return None;
        }
        Some(simplified)
    }

    /// The address a `Listen…=` line keeps (config_parse_socket_listen()), or a warning.
    fn listen_address(&mut self, a: &Assignment, kind: &str, address: String) -> Option<String> {
        match kind {
            "FIFO" | "Special" | "MessageQueue" | "USBFunction" => {
                let path = self.absolute_path(a, &address)?;
                Some(if kind == "FIFO" {
                    below_run(path)
                } else {
                    path
                })
            }
            "Netlink" => match SocketAddress::parse_netlink(&address) {
                Ok(_) => Some(address),
                Err(e) => {
                    self.bad_address(a, &address, &e);
                    None
                }
            },
            _ => {
                let address = if address.starts_with('/') {
                    below_run(address)
                } else {
                    address
                };
                let parsed = match SocketAddress::parse(&address) {
                    Ok(parsed) => parsed,
                    Err(e) => {
                        self.bad_address(a, &address, &e);
                        return None;
                    }
                };
                // socket_address_parse_and_warn()
                if matches!(parsed, SocketAddress::Inet(std::net::SocketAddr::V6(_)))
                    && !ipv6_supported()
                {
                    let msg =
                        "Binding to IPv6 address not available since kernel does not support IPv6.";
                    self.warn(a, msg);
                    return None;
                }
                if kind == "SequentialPacket" && !parsed.is_unix() {
                    let msg = format!("Address family not supported, ignoring: {}", a.value);
                    self.warn(a, msg);
                    return None;
                }
                Some(address)
            }
        }
    }

    fn bad_address(&mut self, a: &Assignment, address: &str, e: &std::io::Error) {
        let msg = format!(
            "Failed to parse address value in '{address}', ignoring: {}",
            crate::errno::text(e)
        );
        self.warn(a, msg);
    }

    fn timer_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let monotonic = match a.key {
            "OnActiveSec" => Some("OnActiveUSec"),
            "OnBootSec" => Some("OnBootUSec"),
            "OnStartupSec" => Some("OnStartupUSec"),
            "OnUnitActiveSec" => Some("OnUnitActiveUSec"),
            "OnUnitInactiveSec" => Some("OnUnitInactiveUSec"),
            _ => None,
        };
        if let Some(base) = monotonic {
            if value.is_empty() {
                self.timer.monotonic.clear();
                return true;
            }
            match timespan::parse_sec(value) {
                Ok(v) => self.timer.monotonic.push((base, v)),
                Err(_) => self.invalid(a),
            }
            return true;
        }
        match a.key {
            "OnCalendar" => {
                if value.is_empty() {
                    self.timer.calendar.clear();
                } else if let Some(v) = self.printf(a, value) {
                    // systemd keeps the parsed spec and prints it normalized. One in a named
                    // time zone, whose next elapse we do not compute, would never elapse: it is
                    // dropped with systemd's line for an invalid one (README, "Where we differ").
                    match calendar::CalendarSpec::parse(&v) {
                        Ok(spec) if !spec.has_named_time_zone() => {
                            self.timer.calendar.push(spec.to_string())
                        }
                        _ => self.warn(
                            a,
                            format!("Failed to parse calendar specification, ignoring: {v}"),
                        ),
                    }
                }
            }
            "Unit" => {
                let Some(name) = self.printf(a, value) else {
                    return true;
                };
                match UnitName::parse(&name) {
                    Ok(n) if n.unit_type() != UnitType::Timer => self.timer.unit = Some(name),
                    _ => self.invalid(a),
                }
            }
            "Persistent" | "WakeSystem" | "RemainAfterElapse" | "FixedRandomDelay" => {
                match parse_bool(value) {
                    Some(v) => {
                        let t = &mut self.timer;
                        match a.key {
                            "Persistent" => t.persistent = v,
                            "WakeSystem" => t.wake_system = v,
                            "RemainAfterElapse" => t.remain_after_elapse = v,
                            _ => t.fixed_random_delay = v,
                        }
                    }
                    None => self.invalid(a),
                }
            }
            "AccuracySec" | "RandomizedDelaySec" => match timespan::parse_sec(value) {
                Ok(v) if a.key == "AccuracySec" => self.timer.accuracy = v,
                Ok(v) => self.timer.randomized_delay = v,
                Err(_) => self.invalid(a),
            },
            _ => return false,
        }
        true
    }

    fn path_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let kind = match a.key {
            "PathExists" => Some("PathExists"),
            "PathExistsGlob" => Some("PathExistsGlob"),
            "PathChanged" => Some("PathChanged"),
            "PathModified" => Some("PathModified"),
            "DirectoryNotEmpty" => Some("DirectoryNotEmpty"),
            _ => None,
        };
        if let Some(kind) = kind {
            if value.is_empty() {
                self.path.paths.clear();
            } else if let Some(p) = self.printf(a, value) {
                if p.starts_with('/') {
                    self.path.paths.push((kind, p));
                } else {
                    let msg = format!("Path '{p}' is not absolute, ignoring.");
                    self.warn(a, msg);
                }
            }
            return true;
        }
        match a.key {
            "Unit" => {
                let Some(name) = self.printf(a, value) else {
                    return true;
                };
                match UnitName::parse(&name) {
                    Ok(n) if n.unit_type() != UnitType::Path => self.path.unit = Some(name),
                    _ => self.invalid(a),
                }
            }
            "MakeDirectory" => match parse_bool(value) {
                Some(v) => self.path.make_directory = v,
                None => self.invalid(a),
            },
            "DirectoryMode" => match u32::from_str_radix(value, 8) {
                Ok(m) if m <= 0o7777 => self.path.directory_mode = format!("{m:04o}"),
                _ => self.invalid(a),
            },
            _ => return false,
        }
        true
    }

    /// The end of loading: implicit settings (`service_add_extras()`) and `service_verify()`.
    pub fn finish(mut self) -> UnitConfig {
        self.config.kind = match self.config.unit_type {
            UnitType::Service => TypeSection::Service(std::mem::take(&mut self.service)),
            UnitType::Socket => TypeSection::Socket(std::mem::take(&mut self.socket)),
            UnitType::Timer => TypeSection::Timer(std::mem::take(&mut self.timer)),
            UnitType::Path => TypeSection::Path(std::mem::take(&mut self.path)),
            _ => TypeSection::None,
        };
        if let Some(message) = self.fatal.take() {
            // systemd stops loading at the failing setting: no implicit settings, no checks
            self.config.load_state = LoadState::BadSetting;
            self.config.load_error = Some(message);
            return self.config;
        }
        let id = self.config.id.clone();
        let stem = id
            .rsplit_once('.')
            .map(|(s, _)| s)
            .unwrap_or(&id)
            .to_string();
        let has_start = !self.config.exec_commands(ExecKind::Start).is_empty();
        let has_stop = !self.config.exec_commands(ExecKind::Stop).is_empty();
        let start_count = self.config.exec_commands(ExecKind::Start).len();
        let success_action = self.config.unit.success_action.clone();
        let start_timeout_set = self.start_timeout_set;
        let mut refusal = None;
        match &mut self.config.kind {
            TypeSection::Service(s) => {
                let ty = s.service_type.clone().unwrap_or_else(|| {
                    if s.bus_name.is_some() {
                        "dbus".into()
                    } else if has_start {
                        "simple".into()
                    } else {
                        "oneshot".into()
                    }
                });
                if ty == "oneshot" && !start_timeout_set {
                    // service_add_extras(): oneshot services wait for their start forever
                    s.timeout_start = Usec::INFINITY;
                }
                // the fd store is filled by notification messages
                let needs_notify = matches!(ty.as_str(), "notify" | "notify-reload")
                    || s.watchdog != Usec::ZERO
                    || s.file_descriptor_store_max > 0;
                if s.notify_access.is_none() && needs_notify {
                    s.notify_access = Some("main".into());
                }
                refusal = verify_service(s, &ty, has_start, has_stop, start_count, &success_action);
                s.service_type = Some(ty);
            }
            TypeSection::Socket(s) => {
                // PAMName= is kept raw: the manager opens no PAM sessions
                let pam_enabled = self
                    .config
                    .raw
                    .iter()
                    .rev()
                    .find(|r| r.section == "Socket" && r.key == "PAMName")
                    .is_some_and(|r| !r.value.is_empty());
                let pam_without_cgroup_kill =
                    pam_enabled && self.config.settings.kill_mode != "control-group";
                refusal = verify_socket(s, pam_without_cgroup_kill);
            }
            TypeSection::Timer(t) => {
                if t.unit.is_none() {
                    t.unit = Some(format!("{stem}.service"));
                }
                if t.monotonic.is_empty() && t.calendar.is_empty() {
                    refusal = Some("Timer unit lacks value setting. Refusing.".to_string());
                }
            }
            TypeSection::Path(p) => {
                if p.unit.is_none() {
                    p.unit = Some(format!("{stem}.service"));
                }
                if p.paths.is_empty() {
                    refusal = Some("Path unit lacks path setting. Refusing.".to_string());
                }
            }
            TypeSection::None => {}
        }
        self.fix_stdio();
        // the manager adds these before it verifies the unit, so a refused unit has them too
        // (all but the slice's)
        self.add_implicit_dependencies(refusal.is_none());
        if let Some(message) = refusal {
            self.config.load_state = LoadState::BadSetting;
            self.config.load_error = Some(message);
        }
        self.config
    }

    /// service.c's `service_fix_stdio()`: a service whose input is a terminal or a socket, a
    /// stream both ways, writes to it too unless StandardOutput= says otherwise.
    fn fix_stdio(&mut self) {
        let settings = &mut self.config.settings;
        let bidirectional = matches!(
            settings.standard_input.as_str(),
            "tty" | "tty-force" | "tty-fail" | "socket"
        );
        let output_set = self.config.raw.iter().any(|r| r.key == "StandardOutput");
        if self.config.unit_type == UnitType::Service && bidirectional && !output_set {
            settings.standard_output = "inherit".into();
        }
    }

    /// The dependencies systemd 252 adds at load time: the slice of units with processes and
    /// the parent of a slice, journald for units that log to it, D-Bus for bus names, triggered units, and with
    /// `DefaultDependencies=yes` the type's default ones (`*_add_default_dependencies()`).
    /// Not added: mount units for paths (no mount units exist here) and a target's ordering
    /// after the units it pulls in (that needs the other units loaded).
    /// The slice's dependencies come only with a `verified` unit: unit_load() adds them after
    /// the type's checks passed.
    fn add_implicit_dependencies(&mut self, verified: bool) {
        use Dependency::{After, Before, Conflicts, Requires};
        let system = self.spec.scope == Scope::System;
        let unit_type = self.config.unit_type;
        let defaults = self.config.unit.default_dependencies;
        let mut deps: Vec<(Dependency, String)> = Vec::new();
        let mut add = |dep: Dependency, name: &str| deps.push((dep, name.to_string()));
        let has_exec = !self.config.exec.is_empty();
        if matches!(unit_type, UnitType::Service | UnitType::Socket) {
            let slice = self
                .config
                .settings
                .slice
                .clone()
                .unwrap_or_else(|| default_slice(&self.spec.unit, system));
            if verified {
                add(After, &slice);
                add(Requires, &slice);
            }
            self.config.settings.slice = Some(slice);
            let logs_to_journal = [
                &self.config.settings.standard_output,
                &self.config.settings.standard_error,
            ]
            .iter()
            .any(|o| JOURNAL_OUTPUTS.contains(&o.as_str()));
            let exec_deps = unit_type == UnitType::Service || has_exec;
            if system && exec_deps && logs_to_journal {
                add(After, "systemd-journald.socket");
            }
        }
        let (type_target, trigger) = match &self.config.kind {
            TypeSection::Service(s) => {
                // service_setup_bus_name(): only Type=dbus (BusName= alone makes it so) needs
                // the bus; a Type=notify unit with BusName= (systemd-timesyncd) gets nothing,
                // which matters, as dbus.socket is ordered after sysinit.target.
                let dbus = match s.service_type.as_deref() {
                    Some(ty) => ty == "dbus",
                    None => s.bus_name.is_some(),
                };
                if dbus && s.bus_name.is_some() {
                    add(Requires, "dbus.socket");
                    add(After, "dbus.socket");
                }
                (None, None)
            }
            TypeSection::Socket(s) => {
                (Some("sockets.target"), s.triggered_service(&self.config.id))
            }
            TypeSection::Timer(t) => {
                if defaults && system && !t.calendar.is_empty() {
                    add(After, "time-set.target");
                    add(After, "time-sync.target");
                }
                (Some("timers.target"), t.unit.clone())
            }
            TypeSection::Path(p) => (Some("paths.target"), p.unit.clone()),
            TypeSection::None => (None, None),
        };
        if let Some(unit) = &trigger {
            add(Before, unit);
        }
        // unit_add_slice_dependencies(): a slice lives in its parent, whatever its settings
        if unit_type == UnitType::Slice {
            if let Some(parent) = parent_slice(&self.config.id) {
                add(After, &parent);
                add(Requires, &parent);
            }
        }
        if defaults {
            if let Some(target) = type_target {
                add(Before, target);
            }
            // Only these types start after early boot; slices, scopes, mounts and the like
            // have default dependencies of their own kind.
            match (unit_type, system) {
                (UnitType::Service, false) => add(Requires, "basic.target"),
                (UnitType::Service | UnitType::Socket | UnitType::Timer | UnitType::Path, true) => {
                    add(After, "sysinit.target");
                    add(Requires, "sysinit.target");
                }
                _ => {}
            }
            if unit_type == UnitType::Service {
                add(After, "basic.target");
            }
            if self.config.id != "shutdown.target" {
                add(Before, "shutdown.target");
                add(Conflicts, "shutdown.target");
            }
        }
        for (dep, name) in deps {
            self.config.unit.add_dependency(dep, name);
        }
        self.add_implicit_mounts(system);
    }

    /// `RequiresMountsFor=` systemd adds for the paths a unit needs.
    fn add_implicit_mounts(&mut self, system: bool) {
        let mut paths: Vec<String> = Vec::new();
        match &self.config.kind {
            TypeSection::Timer(t) if t.persistent && system => {
                paths.push("/var/lib/systemd/timers".into())
            }
            TypeSection::Path(p) => paths.extend(p.paths.iter().map(|(_, path)| path.clone())),
            // socket_add_mount_dependencies(); a unix socket's path is kept as written, but the
            // mount it needs is that of the simplified path
            TypeSection::Socket(s) => paths.extend(
                s.listen
                    .iter()
                    .filter_map(Listen::mount_path)
                    .map(simplify_path),
            ),
            _ => {}
        }
        let mounts = &mut self.config.unit.requires_mounts_for;
        for path in paths {
            if !mounts.contains(&path) {
                mounts.push(path);
            }
        }
    }
}

/// Outputs that make a unit wait for journald (`unit_add_exec_dependencies()`).
const JOURNAL_OUTPUTS: &[&str] = &[
    "journal",
    "journal+console",
    "kmsg",
    "kmsg+console",
    "syslog",
    "syslog+console",
];

/// The slice a slice lives in (`slice_build_parent_slice()`): `a-b.slice` in `a.slice`, a
/// top-level slice in `-.slice`, the root slice in none.
fn parent_slice(id: &str) -> Option<String> {
    let stem = id.strip_suffix(".slice")?;
    if stem == "-" {
        return None;
    }
    Some(match stem.rfind('-') {
        Some(dash) => format!("{}.slice", &stem[..dash]),
        None => "-.slice".to_string(),
    })
}

/// `unit_set_default_slice()`: instances get a slice per template (`system-getty.slice`).
fn default_slice(unit: &UnitName, system: bool) -> String {
    let base = if system { "system" } else { "app" };
    match unit.instance() {
        Some(_) => format!("{base}-{}.slice", unit_name::escape(unit.prefix())),
        None => format!("{base}.slice"),
    }
}

/// The refusals of systemd 252's `service_verify()`, in its order.
fn verify_service(
    s: &ServiceSection,
    ty: &str,
    has_start: bool,
    has_stop: bool,
    start_count: usize,
    success_action: &str,
) -> Option<String> {
    let no_success_action = success_action == "none";
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

/// `SIGTERM`, `TERM` or `15` → `SIGTERM`.
fn parse_signal(s: &str) -> Option<String> {
    use nix::sys::signal::Signal;
    if let Ok(n) = s.parse::<i32>() {
        return Signal::try_from(n).ok().map(|sig| sig.as_str().to_string());
    }
    let name = if s.starts_with("SIG") {
        s.to_string()
    } else {
        format!("SIG{s}")
    };
    name.parse::<Signal>()
        .ok()
        .map(|sig| sig.as_str().to_string())
}

/// `env_name_is_valid()`: what may stand left of `=` in an environment assignment.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `path_simplify()`: no doubled slashes, no `.` components, no trailing slash.
fn simplify_path(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// config_parse_socket_listen()'s `patch_var_run()`: a path below the legacy `/var/run/` is
/// taken to be below `/run/`. systemd logs a notice for it; a unit shipped by a distribution
/// cannot change, so that notice is left out here, where warnings are for the admin to act on.
fn below_run(path: String) -> String {
    match path.strip_prefix("/var/run/") {
        Some(rest) => format!("/run/{rest}"),
        None => path,
    }
}

/// `ip_tos_from_string()`: a name from ip(7) or a number up to 255.
fn parse_ip_tos(s: &str) -> Option<i32> {
    match s {
        "low-delay" => Some(0x10),
        "throughput" => Some(0x08),
        "reliability" => Some(0x04),
        "low-cost" => Some(0x02),
        _ => s.parse::<u8>().ok().map(i32::from),
    }
}

/// config_parse_socket_protocol(): IPPROTO_SCTP or IPPROTO_UDPLITE, by name (in any case) or
/// number; systemd 252 refuses every other protocol as unparsable.
fn socket_protocol(s: &str) -> Option<i32> {
    match s.to_ascii_lowercase().as_str() {
        "sctp" | "132" => Some(132),
        "udplite" | "136" => Some(136),
        _ => None,
    }
}

/// The refusals of systemd 252's `socket_verify()`, in its order.
fn verify_socket(s: &SocketSection, pam_without_cgroup_kill: bool) -> Option<String> {
    let non_accepting = s.listen.iter().any(|l| !l.can_accept());
    let msg = if s.listen.is_empty() {
        "Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing."
    } else if s.accept && non_accepting {
        "Unit configured for accepting sockets, but sockets are non-accepting. Refusing."
    } else if s.accept && s.max_connections == 0 {
        "MaxConnection= setting too small. Refusing."
    } else if s.accept && s.service.is_some() {
        "Explicit service configuration for accepting socket units not supported. Refusing."
    } else if pam_without_cgroup_kill {
        "Unit has PAM enabled. Kill mode must be set to 'control-group'. Refusing."
    } else if !s.symlinks.is_empty() && s.listen.iter().filter_map(Listen::node_path).count() != 1 {
        "Unit has symlinks set but none or more than one node in the file system. Refusing."
    } else {
        return None;
    };
    Some(msg.to_string())
}
