//! The manager's own settings, systemd-system.conf(5): `[Manager]` in `/etc/systemd/system.conf`
//! and the `system.conf.d/*.conf` drop-ins of `/etc`, `/run`, `/usr/local/lib`, `/usr/lib` and,
//! on split-/usr Debian, `/lib` (the first directory wins for a file name; all are applied in file-name order, after the main
//! file). `user.conf` for a `--user` manager. Only the defaults images rely on are acted on:
//! DefaultEnvironment, DefaultLimit*, DefaultTimeoutStartSec, DefaultTimeoutStopSec,
//! DefaultTimeoutAbortSec, DefaultRestartSec, DefaultStartLimitIntervalSec and
//! DefaultStartLimitBurst; other keys are read and ignored, as a systemd without that feature
//! would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::sys::rlimit::{self, Limit};
use crate::unit::command;
use crate::unit::envfile::is_valid_name;
use crate::unit::paths::Scope;
use crate::unit::syntax;
use crate::unit::timespan::{self, Usec};

/// The settings, with systemd 252's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerConfig {
    pub default_environment: Vec<(String, String)>,
    pub default_limits: Vec<Limit>,
    pub timeout_start: Usec,
    pub timeout_stop: Usec,
    pub timeout_abort: Option<Usec>,
    pub restart: Usec,
    pub start_limit_interval: Usec,
    pub start_limit_burst: u32,
    /// `file:line: message` for what could not be used.
    pub warnings: Vec<String>,
}

impl Default for ManagerConfig {
    fn default() -> ManagerConfig {
        ManagerConfig {
            default_environment: Vec::new(),
            default_limits: Vec::new(),
            timeout_start: Usec::secs(90),
            timeout_stop: Usec::secs(90),
            timeout_abort: None,
            restart: Usec::millis(100),
            start_limit_interval: Usec::secs(10),
            start_limit_burst: 5,
            warnings: Vec::new(),
        }
    }
}

/// The files to read, inside `root`, in the order they apply.
pub fn config_files(root: &Path, scope: Scope) -> Vec<PathBuf> {
    let base = match scope {
        Scope::System => "system.conf",
        Scope::User | Scope::Global => "user.conf",
    };
    let real = |p: &str| root.join(p.trim_start_matches('/'));
    let mut files = vec![real(&format!("/etc/systemd/{base}"))];
    let mut dropins: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in [
        "/etc/systemd",
        "/run/systemd",
        "/usr/local/lib/systemd",
        "/usr/lib/systemd",
        "/lib/systemd",
    ] {
        let Ok(entries) = std::fs::read_dir(real(&format!("{dir}/{base}.d"))) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".conf") {
                dropins.entry(name).or_insert_with(|| e.path());
            }
        }
    }
    files.extend(dropins.into_values());
    files
}

/// The variables locale.conf(5) sets, in locale-setup.c's order.
const LOCALE_VARIABLES: &[&str] = &[
    "LANG",
    "LANGUAGE",
    "LC_CTYPE",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_MESSAGES",
    "LC_PAPER",
    "LC_NAME",
    "LC_ADDRESS",
    "LC_TELEPHONE",
    "LC_MEASUREMENT",
    "LC_IDENTIFICATION",
];

/// SYSTEMD_DEFAULT_LOCALE as Debian builds systemd 252.
const DEFAULT_LOCALE: &str = "C.UTF-8";

impl ManagerConfig {
    /// Read the configuration of a manager of `scope` below `root`; missing files are fine.
    pub fn load(root: &Path, scope: Scope) -> ManagerConfig {
        let mut config = ManagerConfig::default();
        for file in config_files(root, scope) {
            if !file.exists() {
                continue;
            }
            match syntax::parse_file(&file) {
                Ok(doc) => {
                    for section in doc.sections.iter().filter(|s| s.name == "Manager") {
                        for entry in &section.entries {
                            let at = format!("{}:{}", file.display(), entry.line);
                            config.apply(&at, &entry.key, &entry.value);
                        }
                    }
                }
                Err(e) => config.warnings.push(e.to_string()),
            }
        }
        if scope == Scope::System {
            config.add_locale(root);
        }
        config
    }

    /// locale-setup.c's locale_setup() for the system manager: the locale of
    /// /etc/locale.conf, else systemd's compiled-in `LANG=C.UTF-8`, in every unit's
    /// environment (over DefaultEnvironment=, as 252 merges it).
    fn add_locale(&mut self, root: &Path) {
        let conf = root.join("etc/locale.conf");
        let mut locale: Vec<(String, String)> = crate::unit::envfile::load(&conf)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, v)| !v.is_empty() && LOCALE_VARIABLES.contains(&k.as_str()))
            .collect();
        if locale.is_empty() {
            locale.push(("LANG".into(), DEFAULT_LOCALE.into()));
        }
        for (k, v) in locale {
            self.default_environment.retain(|(old, _)| *old != k);
            self.default_environment.push((k, v));
        }
    }

    fn apply(&mut self, at: &str, key: &str, value: &str) {
        let mut warn = |what: &str| {
            self.warnings
                .push(format!("{at}: Failed to parse {what}, ignoring: {value}"))
        };
        match key {
            "DefaultEnvironment" => match command::split_words(value) {
                Ok(words) if !value.is_empty() => {
                    for word in words {
                        match word.split_once('=') {
                            Some((k, v)) if is_valid_name(k) => {
                                self.default_environment.retain(|(old, _)| old != k);
                                self.default_environment
                                    .push((k.to_string(), v.to_string()));
                            }
                            _ => self.warnings.push(format!(
                                "{at}: Invalid environment assignment, ignoring: {word}"
                            )),
                        }
                    }
                }
                Ok(_) => self.default_environment.clear(),
                Err(_) => warn("DefaultEnvironment="),
            },
            "DefaultTimeoutStartSec"
            | "DefaultTimeoutStopSec"
            | "DefaultTimeoutAbortSec"
            | "DefaultRestartSec"
            | "DefaultStartLimitIntervalSec" => {
                let Ok(v) = timespan::parse_sec(value) else {
                    warn(key);
                    return;
                };
                match key {
                    "DefaultTimeoutStartSec" => self.timeout_start = v,
                    "DefaultTimeoutStopSec" => self.timeout_stop = v,
                    "DefaultTimeoutAbortSec" => self.timeout_abort = Some(v),
                    "DefaultRestartSec" => self.restart = v,
                    _ => self.start_limit_interval = v,
                }
            }
            "DefaultStartLimitBurst" => match value.parse() {
                Ok(n) => self.start_limit_burst = n,
                Err(_) => warn(key),
            },
            _ if key.starts_with("DefaultLimit") => {
                let unit_key = &key["Default".len()..];
                match rlimit::parse(unit_key, value) {
                    Ok(limit) => {
                        self.default_limits.retain(|l| l.resource != limit.resource);
                        self.default_limits.push(limit);
                    }
                    Err(e) => self.warnings.push(format!("{at}: {e}, ignoring.")),
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, inside: &str, text: &str) {
        let p = root.join(inside.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn defaults_without_any_file() {
        let root = tempfile::tempdir().unwrap();
        let c = ManagerConfig::load(root.path(), Scope::System);
        assert_eq!(c.timeout_start, Usec::secs(90));
        assert_eq!(c.restart, Usec::millis(100));
        // no /etc/locale.conf: systemd's compiled-in locale
        assert_eq!(
            c.default_environment,
            [("LANG".to_string(), "C.UTF-8".to_string())]
        );
        assert_eq!(
            ManagerConfig::load(root.path(), Scope::User).default_environment,
            []
        );
    }

    #[test]
    fn locale_conf_gives_the_locale_over_default_environment() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        write(
            r,
            "/etc/locale.conf",
            "LANG=de_DE.UTF-8\nLC_TIME=C\nFOO=bar\n",
        );
        write(
            r,
            "/etc/systemd/system.conf",
            "[Manager]\nDefaultEnvironment=LANG=fr_FR.UTF-8 A=1\n",
        );
        let c = ManagerConfig::load(r, Scope::System);
        let env: Vec<String> = c
            .default_environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(env, ["A=1", "LANG=de_DE.UTF-8", "LC_TIME=C"]);
    }

    #[test]
    fn drop_ins_apply_after_the_main_file_in_name_order() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        write(
            r,
            "/etc/systemd/system.conf",
            "[Manager]\nDefaultTimeoutStartSec=10s\nDefaultEnvironment=A=1 \"B=two words\"\n",
        );
        write(
            r,
            "/usr/lib/systemd/system.conf.d/10-vendor.conf",
            "[Manager]\nDefaultTimeoutStartSec=20s\nDefaultLimitNOFILE=1024:4096\n",
        );
        write(
            r,
            "/etc/systemd/system.conf.d/20-admin.conf",
            "[Manager]\nDefaultTimeoutStopSec=5s\nDefaultEnvironment=A=3\nDefaultStartLimitBurst=x\n",
        );
        // Same name in /usr/lib: hidden by /etc's.
        write(
            r,
            "/usr/lib/systemd/system.conf.d/20-admin.conf",
            "[Manager]\nDefaultTimeoutStopSec=99s\n",
        );
        let c = ManagerConfig::load(r, Scope::System);
        assert_eq!(c.timeout_start, Usec::secs(20));
        assert_eq!(c.timeout_stop, Usec::secs(5));
        assert_eq!(
            c.default_environment,
            vec![
                ("B".to_string(), "two words".to_string()),
                ("A".to_string(), "3".to_string()),
                ("LANG".to_string(), "C.UTF-8".to_string())
            ]
        );
        assert_eq!(c.default_limits.len(), 1);
        assert_eq!(
            (c.default_limits[0].soft, c.default_limits[0].hard),
            (1024, 4096)
        );
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("20-admin.conf:4"));
    }
}
