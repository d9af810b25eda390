//! Facts about the machine that specifiers expand to (systemd.unit(5) and tmpfiles.d(5)
//! "Specifiers"): architecture as systemd names it, host name, kernel release, boot id, the
//! machine id and os-release of a root tree, the invoking user's home and temporary directory.
//! One place, so unit files and tmpfiles.d lines get the same answers.

use std::fs;
use std::path::Path;

/// Why `%m` has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineIdProblem {
    /// No /etc/machine-id (or "uninitialized"): usual in an image being built.
    Missing,
    /// Not 32 hex digits.
    Malformed,
}

fn first_line(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    Some(text.lines().next().unwrap_or("").trim().to_string())
}

/// `%a`: systemd's architecture name (architecture.h), which is not Rust's.
/// Whether capability number `cap` (capability.h) is in this process's effective set, from
/// /proc/self/status: root in a default container lacks several.
pub fn has_capability(cap: u32) -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << cap) != 0)
}

pub fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x86-64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64-le",
        other => other,
    }
}

/// `%H`: gethostname(), as systemd reads it.
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// `%l`: the host name up to its first dot.
pub fn short_hostname() -> String {
    hostname().split('.').next().unwrap_or_default().to_string()
}

/// `%v`: the running kernel's release.
pub fn kernel_release() -> String {
    nix::sys::utsname::uname()
        .ok()
        .and_then(|u| u.release().to_str().map(str::to_string))
        .unwrap_or_default()
}

/// `%b`: this boot's id, without dashes. Read once: it does not change while a process lives,
/// and a value with thousands of `%b` would otherwise read /proc for each.
pub fn boot_id() -> Option<String> {
    static BOOT_ID: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    BOOT_ID
        .get_or_init(|| {
            first_line(Path::new("/proc/sys/kernel/random/boot_id")).map(|b| b.replace('-', ""))
        })
        .clone()
}

/// `%m`: the machine id of the tree at `root`.
pub fn machine_id(root: &Path) -> Result<String, MachineIdProblem> {
    let id = first_line(&root.join("etc/machine-id"))
        .filter(|l| !l.is_empty() && l != "uninitialized")
        .ok_or(MachineIdProblem::Missing)?;
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(MachineIdProblem::Malformed)
    }
}

/// A field of the os-release of the tree at `root` (`%o %w %B %W %M %A`): `None` without an
/// os-release file, an empty string when the field is absent.
pub fn os_release_field(root: &Path, key: &str) -> Option<String> {
    let text = fs::read_to_string(root.join("etc/os-release"))
        .or_else(|_| fs::read_to_string(root.join("usr/lib/os-release")))
        .ok()?;
    Some(
        text.lines()
            .find_map(|l| {
                let value = l.trim().strip_prefix(key)?.strip_prefix('=')?;
                Some(value.trim_matches(|c| c == '"' || c == '\'').to_string())
            })
            .unwrap_or_default(),
    )
}

fn env_absolute(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| v.starts_with('/'))
}

/// `$HOME` if it is a normalised absolute path, else the password database entry, as
/// get_home_dir() does.
pub fn home_dir() -> String {
    if let Some(home) = env_absolute("HOME").filter(|h| !h.contains("/./") && !h.contains("/../")) {
        return home;
    }
    let uid = nix::unistd::getuid();
    if uid.is_root() {
        return "/root".into();
    }
    crate::sys::accounts::Accounts::host()
        .user_by_uid(uid.as_raw())
        .map(|u| u.home.clone())
        .unwrap_or_else(|| "/".into())
}

/// `%T`/`%V`: `$TMPDIR`, `$TEMP` or `$TMP` when set to an absolute path, else `fallback`
/// (tmp_dir()).
pub fn tmp_dir(fallback: &str) -> String {
    ["TMPDIR", "TEMP", "TMP"]
        .iter()
        .find_map(|v| env_absolute(v))
        .unwrap_or_else(|| fallback.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_id_and_os_release_come_from_the_root() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(machine_id(root.path()), Err(MachineIdProblem::Missing));
        assert_eq!(os_release_field(root.path(), "ID"), None);
        fs::create_dir_all(root.path().join("etc")).unwrap();
        fs::write(root.path().join("etc/machine-id"), "not-an-id\n").unwrap();
        assert_eq!(machine_id(root.path()), Err(MachineIdProblem::Malformed));
        fs::write(
            root.path().join("etc/machine-id"),
            "0123456789ABCDEF0123456789abcdef\n",
        )
        .unwrap();
        assert_eq!(
            machine_id(root.path()).unwrap(),
            "0123456789abcdef0123456789abcdef"
        );
        fs::write(
            root.path().join("etc/os-release"),
            "ID=debian\nVERSION_ID=\"12\"\n",
        )
        .unwrap();
        assert_eq!(
            os_release_field(root.path(), "VERSION_ID").as_deref(),
            Some("12")
        );
        assert_eq!(
            os_release_field(root.path(), "BUILD_ID").as_deref(),
            Some("")
        );
    }

    #[test]
    fn architecture_uses_systemds_names() {
        assert!(!architecture().contains('_'));
    }
}
