//! The manager's own settings, systemd-system.conf(5): `[Manager]` in `/etc/systemd/system.conf`
//! and the `system.conf.d/*.conf` drop-ins of `/etc`, `/run`, `/usr/local/lib`, `/usr/lib` and,
//! on split-/usr Debian, `/lib` (the first directory wins for a file name; all are applied in file-name order, after the main
//! file). `user.conf` for a `--user` manager. Only the defaults images rely on are acted on:
//! DefaultEnvironment, DefaultLimit*, DefaultTimeoutStartSec, DefaultTimeoutStopSec,
//! DefaultTimeoutAbortSec, DefaultRestartSec, DefaultStartLimitIntervalSec and
//! DefaultStartLimitBurst; other keys are read and ignored, as a systemd without that feature
//! would. A system manager also passes the locale of `/etc/locale.conf` (else `LANG=C.UTF-8`)
//! to every command, as locale-setup.c's locale_setup() makes it.

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
    /// What a system manager gives every command before DefaultEnvironment=: the locale of
    /// /etc/locale.conf, else `LANG=C.UTF-8` (manager_default_environment() → locale_setup()).
    pub locale_environment: Vec<(String, String)>,
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
            locale_environment: Vec::new(),
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

/// locale-setup.c's variables, in its order.
const LOCALE_VARIABLES: [&str; 14] = [
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

/// locale_setup(): the non-empty locale variables of `/etc/locale.conf` below `root`, or
/// SYSTEMD_DEFAULT_LOCALE (`LANG=C.UTF-8`) when it sets none.
fn locale_environment(root: &Path) -> Vec<(String, String)> {
    let set = crate::unit::envfile::load(&root.join("etc/locale.conf")).unwrap_or_default();
    let found: Vec<(String, String)> = LOCALE_VARIABLES
        .iter()
        .filter_map(|name| {
            set.iter()
                .rev()
                .find(|(k, v)| k == name && !v.is_empty())
                .cloned()
        })
        .collect();
    if found.is_empty() {
        return vec![("LANG".to_string(), "C.UTF-8".to_string())];
    }
    found
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

impl ManagerConfig {
    /// Read the configuration of a manager of `scope` below `root`; missing files are fine.
    pub fn load(root: &Path, scope: Scope) -> ManagerConfig {
        let mut config = ManagerConfig::default();
        if scope == Scope::System {
            config.locale_environment = locale_environment(root);
        }
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
        config
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
        assert!(c.default_environment.is_empty());
        assert_eq!(
            c.locale_environment,
            vec![("LANG".to_string(), "C.UTF-8".to_string())]
        );
        write(
            root.path(),
            "/etc/locale.conf",
            "LANG=de_DE.UTF-8\nLC_TIME=C\nLC_PAPER=\nOTHER=x\n",
        );
        let c = ManagerConfig::load(root.path(), Scope::System);
        assert_eq!(
            c.locale_environment,
            vec![
                ("LANG".to_string(), "de_DE.UTF-8".to_string()),
                ("LC_TIME".to_string(), "C".to_string())
            ]
        );
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
                ("A".to_string(), "3".to_string())
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
