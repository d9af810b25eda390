//! The conditions on the kernel, the manager's credentials and environment, and the host, as
//! systemd 252's condition.c tests them in `condition_test_kernel_command_line()`,
//! `condition_test_kernel_version()`, `condition_test_credential()`, `condition_test_host()`,
//! `condition_test_environment()` and `condition_test_osrelease()`, with the helpers they call:
//! proc-cmdline.c's `proc_cmdline()`, creds-util.c's `credential_name_valid()`,
//! id128-util.c's `sd_id128_from_string()`, env-util.c's `env_name_is_valid()`, os-util.c's
//! `parse_os_release()`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::compare::{next_word, version_compare, Order, WHITESPACE};
use super::HostFacts;
use crate::sys::glob::glob_match;
use crate::unit::host;
use crate::unit::virt::Virtualization;

/// `proc_cmdline()`: `$SYSTEMD_PROC_CMDLINE` if set; in a container PID 1's arguments joined by
/// spaces (the container's "kernel command line"); else /proc/cmdline.
pub(super) fn read_kernel_command_line(env: &[String], virt: Virtualization) -> Option<String> {
    if let Some(v) = env
        .iter()
        .find_map(|e| e.strip_prefix("SYSTEMD_PROC_CMDLINE="))
    {
        return Some(v.to_string());
    }
    if virt.is_container() {
        let raw = fs::read("/proc/1/cmdline").ok()?;
        let args: Vec<String> = raw
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        return Some(args.join(" "));
    }
    fs::read_to_string("/proc/cmdline")
        .ok()
        .map(|s| s.trim_end().to_string())
}

pub(super) fn kernel_command_line(p: &str, f: &HostFacts) -> Result<bool, String> {
    let line = f
        .kernel_command_line
        .as_deref()
        .ok_or("Failed to read the kernel command line")?;
    let equal = p.contains('=');
    let mut rest = line;
    while let Some(word) = next_word(&mut rest, true, true)? {
        let found = if equal {
            word == p
        } else {
            word.strip_prefix(p)
                .is_some_and(|tail| tail.is_empty() || tail.starts_with('='))
        };
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

/// systemd.unit(5)'s `ConditionKernelVersion=`: space-separated expressions that must all hold,
/// each an operator and a version, or a glob without one.
pub(super) fn kernel_version(p: &str, release: &str) -> Result<bool, String> {
    let mut rest = p;
    let mut first = true;
    while let Some(word) = next_word(&mut rest, true, false)? {
        let s = word.trim_matches(WHITESPACE);
        let holds = match Order::parse(s) {
            Some((op, value)) => {
                let mut value = value.trim_start_matches(WHITESPACE).to_string();
                if value.is_empty() {
                    // ">= 5.10" unquoted: allowed for the first expression only, for old units.
                    if !first {
                        return Err(format!("Unexpected end of expression: {p}"));
                    }
                    value = next_word(&mut rest, false, false)?
                        .ok_or_else(|| format!("Unexpected end of expression: {p}"))?;
                }
                op.test(version_compare(release, &value))
            }
            None => glob_match(s, release),
        };
        if !holds {
            return Ok(false);
        }
        first = false;
    }
    Ok(true)
}

/// `credential_name_valid()`: a valid file name that is also a valid fd name.
fn credential_name_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains('/')
        && name.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b':')
}

/// Credentials the manager was given: `$CREDENTIALS_DIRECTORY` and
/// `$ENCRYPTED_CREDENTIALS_DIRECTORY` of the manager. Without the former, the directory where
/// systemd PID 1 keeps system credentials (and points that variable at) stands in.
pub(super) fn credential(p: &str, f: &HostFacts) -> Result<bool, String> {
    if !credential_name_valid(p) {
        return Ok(false);
    }
    let mut dirs = Vec::new();
    for var in ["CREDENTIALS_DIRECTORY", "ENCRYPTED_CREDENTIALS_DIRECTORY"] {
        match f.env(var) {
            Some(d) if d.starts_with('/') && !d.split('/').any(|c| c == "." || c == "..") => {
                dirs.push(PathBuf::from(d))
            }
            Some(d) => return Err(format!("${var} is not a normalized absolute path: {d}")),
            None if var == "CREDENTIALS_DIRECTORY" => dirs.push(f.path("/run/credentials/@system")),
            None => {}
        }
    }
    for dir in dirs {
        match fs::symlink_metadata(dir.join(p)) {
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", dir.join(p).display())),
        }
    }
    Ok(false)
}

/// `sd_id128_from_string()`: 32 hex digits, bare or as a UUID; lowercase without dashes.
fn parse_id128(s: &str) -> Option<String> {
    let hex = match s.len() {
        32 => s.to_string(),
        36 => {
            let dashes = [8, 13, 18, 23];
            if !dashes.iter().all(|&i| s.as_bytes()[i] == b'-') {
                return None;
            }
            s.replace('-', "")
        }
        _ => return None,
    };
    (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// `ConditionHost=`: a machine id compares with /etc/machine-id, anything else is a
/// case-insensitive glob against the host name.
pub(super) fn host_matches(p: &str, f: &HostFacts) -> Result<bool, String> {
    if let Some(id) = parse_id128(p) {
        let ours = host::machine_id(&f.root)
            .map_err(|e| format!("Failed to read the machine id: {e:?}"))?;
        return Ok(id == ours);
    }
    Ok(glob_match(
        &p.to_ascii_lowercase(),
        &f.hostname.to_ascii_lowercase(),
    ))
}

/// `ConditionEnvironment=`: `NAME` is set, or `NAME=VALUE` is set exactly so.
pub(super) fn environment(p: &str, f: &HostFacts) -> bool {
    let equal = p.contains('=');
    f.environment.iter().any(|e| {
        if equal {
            e == p
        } else {
            e.strip_prefix(p)
                .is_some_and(|tail| tail.is_empty() || tail.starts_with('='))
        }
    })
}

/// `env_name_is_valid()`.
fn env_name_is_valid(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The fields of the os-release of the tree at `root` (etc/, else usr/lib/), unquoted; an error
/// without either file.
fn read_os_release(root: &Path) -> Result<Vec<(String, String)>, String> {
    let text = fs::read_to_string(root.join("etc/os-release"))
        .or_else(|_| fs::read_to_string(root.join("usr/lib/os-release")))
        .map_err(|e| format!("Failed to parse os-release: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.trim().split_once('=')?;
            let v = v.trim();
            let v = match v.as_bytes().first() {
                Some(q @ (b'"' | b'\'')) if v.len() >= 2 && v.as_bytes()[v.len() - 1] == *q => {
                    let inner = &v[1..v.len() - 1];
                    if *q == b'"' {
                        let mut out = String::new();
                        let mut chars = inner.chars();
                        while let Some(c) = chars.next() {
                            match c {
                                '\\' => out.extend(chars.next()),
                                c => out.push(c),
                            }
                        }
                        out
                    } else {
                        inner.to_string()
                    }
                }
                _ => v.to_string(),
            };
            Some((k.trim().to_string(), v))
        })
        .collect())
}

/// systemd 252's `ConditionOSRelease=`: `KEY=VALUE` and `KEY!=VALUE` compare strings exactly,
/// `< <= >= >` compare versions; every expression must hold.
pub(super) fn os_release(p: &str, root: &Path) -> Result<bool, String> {
    let bad = || format!("Failed to parse parameter, key/value format expected: {p}");
    let mut rest = p;
    while let Some(expr) = next_word(&mut rest, true, false)? {
        let split = expr.find(['!', '<', '=', '>']).ok_or_else(bad)?;
        let (key, op_value) = expr.split_at(split);
        if !env_name_is_valid(key) {
            return Err(bad());
        }
        let (op, value) = Order::parse(op_value).ok_or_else(bad)?;
        if value.is_empty() || value.starts_with(WHITESPACE) {
            return Err(bad());
        }
        let fields = read_os_release(root)?;
        let actual = fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
        let holds = match op {
            Order::Equal => actual.is_some_and(|a| a == value),
            Order::Unequal => actual.is_none_or(|a| a != value),
            // A missing key is older than any version.
            _ => op.test(match actual {
                Some(a) => version_compare(a, value),
                None => std::cmp::Ordering::Less,
            }),
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use crate::unit::condition::fixtures::{cond, facts, met, tree};
    use crate::unit::condition::{check, ConditionResult};
    use std::fs;

    #[test]
    fn environment_host_kernel() {
        let root = tree();
        let f = facts(root.path());
        for (p, expected) in [
            ("LANG", true),
            ("LANG=C.UTF-8", true),
            ("LANG=C", false),
            ("LAN", false),
            ("DEBUG", true),
            ("DEBUG=", true),
            ("HOME", false),
        ] {
            assert_eq!(met(cond("ConditionEnvironment", p), &f), expected, "{p}");
        }
        assert!(met(cond("ConditionHost", "WEB-0?.example.com"), &f));
        assert!(met(cond("ConditionHost", "web-*"), &f));
        assert!(!met(cond("ConditionHost", "db-*"), &f));
        assert!(met(
            cond("ConditionHost", "01234567-89AB-CDEF-0123-456789ABCDEF"),
            &f
        ));
        assert!(!met(
            cond("ConditionHost", "ffffffffffffffffffffffffffffffff"),
            &f
        ));
        for (p, expected) in [
            ("quiet", true),
            ("splash", true),
            ("splash=no", true),
            ("splash=yes", false),
            ("opt=a b", true),
            ("qui", false),
        ] {
            assert_eq!(
                met(cond("ConditionKernelCommandLine", p), &f),
                expected,
                "{p}"
            );
        }
    }

    #[test]
    fn os_release_compares_strings_and_versions() {
        let root = tree();
        let f = facts(root.path());
        for (p, expected) in [
            ("ID=debian", true),
            ("ID!=debian", false),
            ("ID=deb*", false),
            ("VERSION_ID>=11", true),
            ("VERSION_ID<12", false),
            ("ID=debian VERSION_ID=12", true),
            ("\"PRETTY_NAME=Debian GNU/Linux 12 (bookworm)\"", true),
            ("BUILD_ID!=x", true),
            ("BUILD_ID=x", false),
        ] {
            assert_eq!(met(cond("ConditionOSRelease", p), &f), expected, "{p}");
        }
        let r = check(&[cond("ConditionOSRelease", "ID")], &f);
        assert_eq!(r.outcomes[0].result, ConditionResult::Error);
    }

    #[test]
    fn credentials_by_name() {
        let root = tree();
        let mut f = facts(root.path());
        assert!(!met(cond("ConditionCredential", "token"), &f));
        let creds = root.path().join("creds");
        fs::create_dir_all(&creds).unwrap();
        fs::write(creds.join("token"), "s3cret").unwrap();
        f.environment
            .push(format!("CREDENTIALS_DIRECTORY={}", creds.display()));
        assert!(met(cond("ConditionCredential", "token"), &f));
        assert!(!met(cond("ConditionCredential", "other"), &f));
        assert!(!met(cond("ConditionCredential", "../creds/token"), &f));
    }
}
