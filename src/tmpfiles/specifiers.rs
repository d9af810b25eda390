//! The `%` specifiers of tmpfiles.d(5) "Specifiers", as systemd-tmpfiles 252 resolves them: machine
//! values from the running kernel or from the `--root` tree, directories of the system or `--user`
//! scope, and the same quirks (the directory specifiers `%t %S %C %L` already carry the `--root`
//! prefix; `%E`, `%q` and the unit specifiers are not known to tmpfiles at all).

use crate::sys::accounts::Accounts;
use std::path::PathBuf;

use thiserror::Error;

use crate::unit::host::{self, MachineIdProblem};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SpecifierError {
    /// The value does not exist here (no machine-id or os-release in the root, `$XDG_RUNTIME_DIR`
    /// unset): systemd skips such lines quietly.
    #[error("specifier '%{0}' cannot be resolved")]
    Unresolvable(char),
    /// EBADSLT in systemd, which counts the line as invalid.
    #[error("Invalid slot")]
    Unknown(char),
    /// A malformed value file (a machine-id that is not 32 hex digits).
    #[error("Invalid argument")]
    Malformed(char),
}

/// What specifiers are resolved against.
#[derive(Debug, Clone)]
pub struct Specifiers {
    /// `--root`, or `None` when operating on `/`.
    pub root: Option<PathBuf>,
    /// `--user`: the directory and credential specifiers describe the invoking user.
    pub user: bool,
}

fn env_absolute(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| v.starts_with('/'))
}

impl Specifiers {
    fn in_root(&self, inside: &str) -> PathBuf {
        match &self.root {
            Some(r) => r.join(inside.trim_start_matches('/')),
            None => PathBuf::from(inside),
        }
    }

    fn with_root_prefix(&self, path: &str) -> String {
        self.in_root(path).display().to_string()
    }

    fn os_release(&self, spec: char, key: &str) -> Result<String, SpecifierError> {
        host::os_release_field(&self.in_root("/"), key).ok_or(SpecifierError::Unresolvable(spec))
    }

    fn machine_id(&self) -> Result<String, SpecifierError> {
        host::machine_id(&self.in_root("/")).map_err(|problem| match problem {
            MachineIdProblem::Missing => SpecifierError::Unresolvable('m'),
            MachineIdProblem::Malformed => SpecifierError::Malformed('m'),
        })
    }

    fn user_identity(&self, spec: char) -> String {
        if !self.user {
            return match spec {
                'u' | 'g' => "root".into(),
                _ => "0".into(),
            };
        }
        let uid = nix::unistd::getuid();
        let gid = nix::unistd::getgid();
        match spec {
            'u' => Accounts::host().user_name(uid.as_raw()),
            'U' => uid.to_string(),
            'g' => Accounts::host().group_name(gid.as_raw()),
            _ => gid.to_string(),
        }
    }

    fn user_config_dir(&self) -> Result<String, SpecifierError> {
        env_absolute("XDG_CONFIG_HOME")
            .or_else(|| {
                env_absolute("HOME").map(|h| format!("{}/.config", h.trim_end_matches('/')))
            })
            .ok_or(SpecifierError::Unresolvable('S'))
    }

    fn directory(&self, spec: char) -> Result<String, SpecifierError> {
        if !self.user {
            let dir = match spec {
                't' => "/run",
                'S' => "/var/lib",
                'C' => "/var/cache",
                _ => "/var/log",
            };
            return Ok(self.with_root_prefix(dir));
        }
        match spec {
            't' => env_absolute("XDG_RUNTIME_DIR").ok_or(SpecifierError::Unresolvable(spec)),
            'S' => self.user_config_dir(),
            'C' => env_absolute("XDG_CACHE_HOME")
                .or_else(|| {
                    env_absolute("HOME").map(|h| format!("{}/.cache", h.trim_end_matches('/')))
                })
                .ok_or(SpecifierError::Unresolvable(spec)),
            _ => Ok(format!("{}/log", self.user_config_dir()?)),
        }
    }

    /// The value of one specifier letter.
    pub fn resolve(&self, spec: char) -> Result<String, SpecifierError> {
        Ok(match spec {
            'a' => host::architecture().to_string(),
            'b' => host::boot_id().ok_or(SpecifierError::Unresolvable(spec))?,
            'B' => self.os_release(spec, "BUILD_ID")?,
            'H' => host::hostname(),
            'l' => host::short_hostname(),
            'm' => self.machine_id()?,
            'o' => self.os_release(spec, "ID")?,
            'v' => host::kernel_release(),
            'w' => self.os_release(spec, "VERSION_ID")?,
            'W' => self.os_release(spec, "VARIANT_ID")?,
            'h' => host::home_dir(),
            't' | 'S' | 'C' | 'L' => self.directory(spec)?,
            'u' | 'U' | 'g' | 'G' => self.user_identity(spec),
            'T' => host::tmp_dir("/tmp"),
            'V' => host::tmp_dir("/var/tmp"),
            '%' => "%".into(),
            other => return Err(SpecifierError::Unknown(other)),
        })
    }

    /// Replace every `%x` in `s`; a lone `%` at the end stays, as in specifier_printf().
    pub fn expand(&self, s: &[u8]) -> Result<Vec<u8>, SpecifierError> {
        let mut out = Vec::with_capacity(s.len());
        let mut bytes = s.iter().copied();
        while let Some(b) = bytes.next() {
            if b != b'%' {
                out.push(b);
                continue;
            }
            match bytes.next() {
                Some(spec) => out.extend_from_slice(self.resolve(char::from(spec))?.as_bytes()),
                None => out.push(b'%'),
            }
        }
        Ok(out)
    }

    pub fn expand_str(&self, s: &str) -> Result<String, SpecifierError> {
        self.expand(s.as_bytes())
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    fn system(root: &Path) -> Specifiers {
        Specifiers {
            root: Some(root.to_path_buf()),
            user: false,
        }
    }

    #[test]
    fn system_directories_carry_the_root_prefix_like_systemd_252() {
        let s = system(Path::new("/r"));
        assert_eq!(
            s.expand_str("%t/x %S %C %L").unwrap(),
            "/r/run/x /r/var/lib /r/var/cache /r/var/log"
        );
        assert_eq!(
            s.expand_str("%u:%U:%g:%G 100%% 5%").unwrap(),
            "root:0:root:0 100% 5%"
        );
    }

    #[test]
    fn missing_values_are_unresolvable_and_unknown_letters_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let s = system(dir.path());
        assert_eq!(s.expand_str("%m"), Err(SpecifierError::Unresolvable('m')));
        assert_eq!(s.expand_str("%o"), Err(SpecifierError::Unresolvable('o')));
        assert_eq!(s.expand_str("%E"), Err(SpecifierError::Unknown('E')));
        fs::create_dir_all(dir.path().join("etc")).unwrap();
        fs::write(
            dir.path().join("etc/os-release"),
            "ID=debian\nVERSION_ID=\"12\"\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("etc/machine-id"),
            "0123456789ABCDEF0123456789abcdef\n",
        )
        .unwrap();
        assert_eq!(
            s.expand_str("%o-%w-%W-%m").unwrap(),
            "debian-12--0123456789abcdef0123456789abcdef"
        );
        fs::write(dir.path().join("etc/machine-id"), "uninitialized\n").unwrap();
        assert_eq!(s.expand_str("%m"), Err(SpecifierError::Unresolvable('m')));
        fs::write(dir.path().join("etc/machine-id"), "xyz\n").unwrap();
        assert_eq!(s.expand_str("%m"), Err(SpecifierError::Malformed('m')));
    }
}
