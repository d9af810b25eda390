//! The `%` specifiers of systemd.unit(5) "Specifiers" that make sense in a container. Values that
//! come from the machine (host name, machine id, boot id, kernel release, OS release) are read from
//! the root the unit lives in where they are files, and from the running kernel otherwise.

use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::host;
use super::name::{self, UnitName};
use super::paths::Scope;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SpecifierError {
    #[error("unknown specifier '%{0}'")]
    Unknown(char),
    #[error("lone '%' at the end of the string")]
    Trailing,
    #[error("specifier '%{0}' cannot be resolved here")]
    Unavailable(char),
}

/// What specifiers are resolved against: the unit and the manager it belongs to.
#[derive(Debug, Clone)]
pub struct SpecifierContext {
    pub unit: UnitName,
    /// The fragment's path inside the root (`%f` is not this: it is the unescaped name).
    pub fragment: Option<PathBuf>,
    pub scope: Scope,
    pub root: PathBuf,
}

fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The user a manager of this scope runs its units as, by default.
fn manager_user(scope: Scope) -> (String, u32, String, u32, String, String) {
    if scope == Scope::System {
        return (
            "root".into(),
            0,
            "root".into(),
            0,
            "/root".into(),
            "/bin/sh".into(),
        );
    }
    let uid = nix::unistd::getuid();
    let gid = nix::unistd::getgid();
    let accounts = crate::sys::accounts::Accounts::host();
    let user = accounts.user_by_uid(uid.as_raw());
    let home = std::env::var("HOME")
        .ok()
        .or_else(|| user.map(|u| u.home.clone()))
        .unwrap_or_else(|| "/".into());
    let shell = user
        .map(|u| u.shell.clone())
        .unwrap_or_else(|| "/bin/sh".into());
    (
        accounts.user_name(uid.as_raw()),
        uid.as_raw(),
        accounts.group_name(gid.as_raw()),
        gid.as_raw(),
        home,
        shell,
    )
}

fn user_dir(var: &str, home_relative: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| v.starts_with('/'))
        .unwrap_or_else(|| {
            let home = std::env::var("HOME").unwrap_or_else(|_| "/".into());
            format!("{}/{}", home.trim_end_matches('/'), home_relative)
        })
}

fn unescape_lossy(s: &str) -> String {
    name::unescape(s).unwrap_or_else(|_| s.to_string())
}

impl SpecifierContext {
    fn os_release(&self, key: &str) -> String {
        host::os_release_field(&self.root, key).unwrap_or_default()
    }

    /// The value of one specifier letter.
    pub fn resolve(&self, c: char) -> Result<String, SpecifierError> {
        let u = &self.unit;
        let system = self.scope == Scope::System;
        Ok(match c {
            'n' => u.as_str().to_string(),
            'N' => u.stem().to_string(),
            'p' => u.prefix().to_string(),
            'P' => unescape_lossy(u.prefix()),
            'i' => u.instance().unwrap_or("").to_string(),
            'I' => unescape_lossy(u.instance().unwrap_or("")),
            'j' => last_dash_component(u.prefix()).to_string(),
            'J' => unescape_lossy(last_dash_component(u.prefix())),
            'f' => {
                let body = match u.instance() {
                    Some(i) if !i.is_empty() => i,
                    _ => u.prefix(),
                };
                name::unescape_path(body).unwrap_or_else(|_| {
                    format!("/{}", unescape_lossy(body).trim_start_matches('/'))
                })
            }
            'y' => self
                .fragment
                .as_ref()
                .map(|f| f.display().to_string())
                .ok_or(SpecifierError::Unavailable(c))?,
            'Y' => self
                .fragment
                .as_ref()
                .and_then(|f| f.parent())
                .map(|f| f.display().to_string())
                .ok_or(SpecifierError::Unavailable(c))?,
            't' if system => "/run".into(),
            // a user manager always has one; without a session it is pam_systemd's default
            't' => std::env::var("XDG_RUNTIME_DIR")
                .ok()
                .filter(|d| d.starts_with('/'))
                .unwrap_or_else(|| format!("/run/user/{}", nix::unistd::getuid())),
            'S' if system => "/var/lib".into(),
            'S' => user_dir("XDG_STATE_HOME", ".local/state"),
            'C' if system => "/var/cache".into(),
            'C' => user_dir("XDG_CACHE_HOME", ".cache"),
            'L' if system => "/var/log".into(),
            'L' => format!("{}/log", user_dir("XDG_STATE_HOME", ".local/state")),
            'E' if system => "/etc".into(),
            'E' => user_dir("XDG_CONFIG_HOME", ".config"),
            'T' => host::tmp_dir("/tmp"),
            'V' => host::tmp_dir("/var/tmp"),
            'u' => manager_user(self.scope).0,
            'U' => manager_user(self.scope).1.to_string(),
            'g' => manager_user(self.scope).2,
            'G' => manager_user(self.scope).3.to_string(),
            'h' => manager_user(self.scope).4,
            's' => manager_user(self.scope).5,
            'H' => host::hostname(),
            'l' => host::short_hostname(),
            'q' => read_trimmed(&self.root.join("etc/machine-info"))
                .and_then(|t| {
                    t.lines()
                        .find_map(|l| l.strip_prefix("PRETTY_HOSTNAME=").map(str::to_string))
                })
                .unwrap_or_else(host::hostname),
            'm' => host::machine_id(&self.root).map_err(|_| SpecifierError::Unavailable(c))?,
            'b' => host::boot_id().ok_or(SpecifierError::Unavailable(c))?,
            'v' => host::kernel_release(),
            'a' => host::architecture().to_string(),
            'o' => self.os_release("ID"),
            'w' => self.os_release("VERSION_ID"),
            'B' => self.os_release("BUILD_ID"),
            'W' => self.os_release("VARIANT_ID"),
            'M' => self.os_release("IMAGE_ID"),
            'A' => self.os_release("IMAGE_VERSION"),
            '%' => "%".into(),
            other => return Err(SpecifierError::Unknown(other)),
        })
    }

    /// Replace every `%x` in `s`.
    pub fn expand(&self, s: &str) -> Result<String, SpecifierError> {
        let mut out = String::with_capacity(s.len());
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let spec = chars.next().ok_or(SpecifierError::Trailing)?;
            out.push_str(&self.resolve(spec)?);
        }
        Ok(out)
    }
}

/// `%j`: the part of the prefix after its last dash.
fn last_dash_component(prefix: &str) -> &str {
    prefix.rsplit('-').next().unwrap_or(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(name: &str) -> SpecifierContext {
        SpecifierContext {
            unit: UnitName::parse(name).unwrap(),
            fragment: Some(PathBuf::from("/lib/systemd/system/x@.service")),
            scope: Scope::System,
            root: PathBuf::from("/"),
        }
    }

    #[test]
    fn name_specifiers_of_an_instance() {
        let c = ctx("foo-bar@var-lib-x\\x2dy.service");
        assert_eq!(
            c.expand("%n|%N|%p|%i").unwrap(),
            "foo-bar@var-lib-x\\x2dy.service|foo-bar@var-lib-x\\x2dy|foo-bar|var-lib-x\\x2dy"
        );
        assert_eq!(
            c.expand("%I|%f|%j").unwrap(),
            "var/lib/x-y|/var/lib/x-y|bar"
        );
        assert_eq!(c.expand("100%%").unwrap(), "100%");
    }

    #[test]
    fn plain_unit_specifiers_and_errors() {
        let c = ctx("sshd.service");
        assert_eq!(
            c.expand("%f %t %S %C %L %E %u %U %h").unwrap(),
            "/sshd /run /var/lib /var/cache /var/log /etc root 0 /root"
        );
        assert_eq!(c.expand("%i").unwrap(), "");
        assert_eq!(c.expand("%Z"), Err(SpecifierError::Unknown('Z')));
        assert_eq!(c.expand("x%"), Err(SpecifierError::Trailing));
    }
}
