//! The settings of systemd.exec(5) and systemd.kill(5) and the `Exec…=` command lines, shared by
//! services and sockets as load-fragment-gperf.gperf.in shares them (`EXEC_CONTEXT_CONFIG_ITEMS`,
//! `KILL_CONTEXT_CONFIG_ITEMS`): systemd 252's load-fragment.c's `config_parse_exec()`,
//! `config_parse_exec_input()`, `config_parse_exec_output()`, `config_parse_environ()`,
//! `config_parse_pass_environ()`, `config_parse_unset_environ()`,
//! `config_parse_exec_directories()`, `config_parse_mode()`, `config_parse_rlimit()` and their
//! neighbours.

use super::*;
use crate::sys::rlimit;
use crate::unit::command;
use crate::unit::name::UnitName;

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

impl Builder {
    /// Settings of systemd.exec(5)/systemd.kill(5) and the `Exec…=` lines, shared by services
    /// and sockets.
    pub(super) fn exec_key(&mut self, a: &Assignment) -> bool {
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
            "NonBlocking" => match parse_boolean(value) {
                Some(v) => self.config.settings.non_blocking = v,
                None => self.invalid(a),
            },
            "StandardInput" => {
                self.set_word(a, StandardInput::parse, |c| &mut c.settings.standard_input)
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
            "KillMode" => self.set_word(a, KillMode::parse, |c| &mut c.settings.kill_mode),
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
                let mode = match (value, parse_boolean(value)) {
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
            key if key.starts_with("Limit") => match rlimit::parse(key, value) {
                Ok(limit) => {
                    let all = &mut self.config.settings.limits;
                    all.retain(|l| l.resource != limit.resource);
                    all.push(limit);
                }
                // a `Limit…` systemd does not have stays with the unknown-key handling
                Err(rlimit::LimitError::UnknownKey(_)) => return false,
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
    pub(super) fn words(&mut self, a: &Assignment, value: &str) -> Option<Vec<String>> {
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
