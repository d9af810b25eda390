//! The `%` specifiers of tmpfiles.d(5) "Specifiers", as systemd-tmpfiles 252 resolves them: machine
//! values from the running kernel or from the `--root` tree, directories of the system or `--user`
//! scope, and the same quirks (the directory specifiers `%t %S %C %L` already carry the `--root`
//! prefix; `%E`, `%q` and the unit specifiers are not known to tmpfiles at all).

use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

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

fn read_first_line(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let line = text.lines().next().unwrap_or("").trim().to_string();
    Some(line)
}

fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x86-64",
        "x86" => "x86",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" => "ppc64-le",
        "riscv64" => "riscv64",
        "s390x" => "s390x",
        other => other,
    }
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn env_absolute(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| v.starts_with('/'))
}

/// `$HOME` if it is a normalised absolute path, else the password database entry, as
/// get_home_dir() does.
fn home_dir() -> String {
    if let Some(home) = env_absolute("HOME").filter(|h| !h.contains("/./") && !h.contains("/../")) {
        return home;
    }
    let uid = nix::unistd::getuid();
    if uid.is_root() {
        return "/root".into();
    }
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.dir.display().to_string())
        .unwrap_or_else(|| "/".into())
}

/// `$TMPDIR`, `$TEMP` or `$TMP` when set to an absolute path, else the fallback (tmp_dir()).
fn tmp_dir(fallback: &str) -> String {
    ["TMPDIR", "TEMP", "TMP"]
        .iter()
        .find_map(|v| env_absolute(v))
        .unwrap_or_else(|| fallback.to_string())
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
        let text = fs::read_to_string(self.in_root("/etc/os-release"))
            .or_else(|_| fs::read_to_string(self.in_root("/usr/lib/os-release")))
            .map_err(|_| SpecifierError::Unresolvable(spec))?;
        Ok(text
            .lines()
            .find_map(|l| {
                let value = l.trim().strip_prefix(key)?.strip_prefix('=')?;
                Some(value.trim_matches(|c| c == '"' || c == '\'').to_string())
            })
            .unwrap_or_default())
    }

    fn machine_id(&self) -> Result<String, SpecifierError> {
        let id = read_first_line(&self.in_root("/etc/machine-id"))
            .filter(|l| !l.is_empty() && l != "uninitialized")
            .ok_or(SpecifierError::Unresolvable('m'))?;
        if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(id.to_ascii_lowercase())
        } else {
            Err(SpecifierError::Malformed('m'))
        }
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
            'u' => nix::unistd::User::from_uid(uid)
                .ok()
                .flatten()
                .map(|u| u.name)
                .unwrap_or_else(|| uid.to_string()),
            'U' => uid.to_string(),
            'g' => nix::unistd::Group::from_gid(gid)
                .ok()
                .flatten()
                .map(|g| g.name)
                .unwrap_or_else(|| gid.to_string()),
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
            'a' => architecture().to_string(),
            'b' => read_first_line(Path::new("/proc/sys/kernel/random/boot_id"))
                .map(|b| b.replace('-', ""))
                .ok_or(SpecifierError::Unresolvable(spec))?,
            'B' => self.os_release(spec, "BUILD_ID")?,
            'H' => hostname(),
            'l' => hostname().split('.').next().unwrap_or_default().to_string(),
            'm' => self.machine_id()?,
            'o' => self.os_release(spec, "ID")?,
            'v' => nix::sys::utsname::uname()
                .ok()
                .and_then(|u| u.release().to_str().map(str::to_string))
                .unwrap_or_default(),
            'w' => self.os_release(spec, "VERSION_ID")?,
            'W' => self.os_release(spec, "VARIANT_ID")?,
            'h' => home_dir(),
            't' | 'S' | 'C' | 'L' => self.directory(spec)?,
            'u' | 'U' | 'g' | 'G' => self.user_identity(spec),
            'T' => tmp_dir("/tmp"),
            'V' => tmp_dir("/var/tmp"),
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
