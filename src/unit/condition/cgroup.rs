//! The conditions on cgroups, memory, CPUs and pressure, as systemd 252's condition.c tests them
//! in `condition_test_control_group_controller()`, `condition_test_memory()`,
//! `condition_test_cpus()` and `condition_test_psi()`, with the helpers they call:
//! cgroup-util.c's `cg_all_unified()`, `cg_get_root_path()` and `cg_mask_supported()` (the
//! path rules in sys/cgroup.rs), limits-util.c's `physical_memory()`, cpu-set-util.c's
//! `cpus_in_affinity_mask()`, parse-util.c's `parse_permyriad()`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::compare::WHITESPACE;
use crate::sys::cgroup::{root_of, slice_to_path, CONTROLLERS};
use crate::unit::size::parse_permyriad;

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// `cg_all_unified()`: /sys/fs/cgroup is cgroup2 (yes), a tmpfs of v1 hierarchies (no), or
/// something we cannot tell.
fn cgroup_unified() -> Result<bool, String> {
    use nix::sys::statfs::{statfs, CGROUP2_SUPER_MAGIC, TMPFS_MAGIC};
    let st = statfs(CGROUP_ROOT).map_err(|e| format!("Failed to statfs {CGROUP_ROOT}: {e}"))?;
    match st.filesystem_type() {
        t if t == CGROUP2_SUPER_MAGIC => Ok(true),
        t if t == TMPFS_MAGIC => Ok(false),
        _ => Err(format!("{CGROUP_ROOT} is neither cgroup2 nor tmpfs")),
    }
}

/// The cgroup of `pid` in systemd's hierarchy (the unified one on cgroup v2, else v1's
/// `name=systemd`), with a trailing `/init.scope` (or legacy `/system.slice`, `/system`) dropped as
/// `cg_get_root_path()` does; "/" when unknown.
fn cgroup_of(pid: &str) -> String {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    let unified = || text.lines().find_map(|l| l.strip_prefix("0::"));
    let named = || {
        text.lines()
            .find_map(|l| l.split_once(":name=systemd:").map(|(_, p)| p))
    };
    let path = if cgroup_unified() == Ok(true) {
        unified().or_else(named)
    } else {
        named().or_else(unified)
    }
    .unwrap_or("/");
    root_of(path)
}

/// The directory of the root cgroup (PID 1's) under `hierarchy`. Without a cgroup namespace a
/// container sees the host's path of its cgroup but has only its own subtree mounted; the mount's
/// top then stands in.
fn cgroup_root_dir(hierarchy: &str) -> PathBuf {
    let base = Path::new(CGROUP_ROOT).join(hierarchy);
    let dir = base.join(cgroup_of("1").trim_start_matches('/'));
    if dir.is_dir() {
        dir
    } else {
        base
    }
}

/// `cg_mask_supported()`: on cgroup v2 the root cgroup's `cgroup.controllers` (of those v2 has);
/// on v1 the hierarchies that are mounted.
fn supported_controllers() -> Result<Vec<&'static str>, String> {
    if cgroup_unified()? {
        let path = cgroup_root_dir("").join("cgroup.controllers");
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("Failed to read {}: {e}", path.display()))?;
        Ok(CONTROLLERS
            .iter()
            .copied()
            .filter(|c| matches!(*c, "cpu" | "cpuset" | "io" | "memory" | "pids"))
            .filter(|c| text.split_whitespace().any(|w| w == *c))
            .collect())
    } else {
        Ok(CONTROLLERS
            .iter()
            .copied()
            .filter(|c| {
                matches!(
                    *c,
                    "cpu" | "cpuacct" | "cpuset" | "blkio" | "memory" | "devices" | "pids"
                )
            })
            .filter(|c| Path::new(CGROUP_ROOT).join(c).exists())
            .collect())
    }
}

/// `ConditionControlGroupController=`: `v1`, `v2`, or controllers that must all be available. A
/// list without any controller systemd knows is met, as in systemd.
pub(super) fn control_group_controller(p: &str) -> Result<bool, String> {
    match p {
        "v2" => return cgroup_unified(),
        "v1" => return cgroup_unified().map(|u| !u),
        _ => {}
    }
    let supported = supported_controllers()?;
    let wanted: Vec<&str> = p
        .split_whitespace()
        .filter(|w| CONTROLLERS.contains(w))
        .collect();
    Ok(wanted.iter().all(|w| supported.contains(w)))
}

/// `physical_memory()`: the RAM of the machine, or the memory limit of the root cgroup (the
/// container's) when that is lower.
pub(crate) fn physical_memory() -> Option<u64> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    let total = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?
        .checked_mul(1024)?;
    // The kernel keeps these limits in whole pages, so no rounding is needed.
    let limit = match cgroup_unified() {
        Ok(true) => fs::read_to_string(cgroup_root_dir("").join("memory.max")).ok(),
        Ok(false) => {
            fs::read_to_string(cgroup_root_dir("memory").join("memory.limit_in_bytes")).ok()
        }
        Err(_) => None,
    }
    .and_then(|v| v.trim().parse::<u64>().ok());
    Some(limit.map_or(total, |l| l.min(total)))
}

/// `cpus_in_affinity_mask()`: the CPUs this process may run on (the kernel's rendering of
/// sched_getaffinity() in /proc/self/status, which a container's cpuset narrows).
pub(super) fn cpus_in_affinity_mask() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?
        .trim();
    let mut n = 0u32;
    for range in list.split(',').filter(|r| !r.is_empty()) {
        let (lo, hi) = match range.split_once('-') {
            Some((lo, hi)) => (lo.parse::<u32>().ok()?, hi.parse::<u32>().ok()?),
            None => {
                let one = range.parse::<u32>().ok()?;
                (one, one)
            }
        };
        n += hi.checked_sub(lo)? + 1;
    }
    Some(n)
}

/// One `avgN=` figure of a pressure file in hundredths of a percent.
fn parse_avg(s: &str) -> Option<u32> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac = format!("{frac:0<2}");
    Some(whole.parse::<u32>().ok()? * 100 + frac.get(..2)?.parse::<u32>().ok()?)
}

/// systemd's `Condition{Memory,CPU,IO}Pressure=`: the `full` (else `some`) pressure average over
/// 5 minutes (or `/10sec`, `/1min`, `/5min`) is at most the limit, for the system or, with
/// `SLICE:`, for that slice under our cgroup. Met whenever PSI, the controller or the cgroup is
/// missing.
pub(super) fn pressure(kind: &str, p: &str) -> Result<bool, String> {
    let bad = || format!("Failed to parse condition parameter {p}");
    // The files exist even where PSI is disabled; reading them then fails with EOPNOTSUPP.
    let unsupported = ["cpu", "io", "memory"].iter().any(|r| {
        fs::read(format!("/proc/pressure/{r}")).is_err_and(|e| {
            e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::EOPNOTSUPP)
        })
    });
    if unsupported {
        return Ok(true);
    }
    let mut words = p.splitn(3, ':');
    let first = words.next().filter(|w| !w.is_empty()).ok_or_else(bad)?;
    let (file, value) = match words.next() {
        None => (PathBuf::from(format!("/proc/pressure/{kind}")), first),
        Some(value) => {
            let slice = first.trim_matches(WHITESPACE);
            if !cgroup_unified()? {
                return Ok(true);
            }
            if !supported_controllers()?.contains(&kind) {
                return Ok(true);
            }
            let slice_path = slice_to_path(slice)
                .ok_or_else(|| format!("Cannot determine slice \"{slice}\" cgroup path"))?;
            let own = cgroup_of("self");
            let dir = Path::new(CGROUP_ROOT)
                .join(own.trim_start_matches('/'))
                .join(slice_path);
            (dir.join(format!("{kind}.pressure")), value)
        }
    };
    let (limit, window) = match value.split_once('/') {
        Some((limit, window)) => (limit, window.trim_start_matches(WHITESPACE)),
        None => (value, "5min"),
    };
    let key = if window.starts_with("10sec") {
        "avg10="
    } else if window.starts_with("1min") {
        "avg60="
    } else if window.starts_with("5min") {
        "avg300="
    } else {
        return Err(bad());
    };
    let limit = parse_permyriad(limit.trim_matches(WHITESPACE))
        .ok_or_else(|| format!("Failed to parse permyriad: {p}"))?;
    let text = match fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
        Err(e) => {
            return Err(format!(
                "Error parsing pressure from {}: {e}",
                file.display()
            ))
        }
    };
    let line = text
        .lines()
        .find(|l| l.starts_with("full "))
        .or_else(|| text.lines().find(|l| l.starts_with("some ")))
        .ok_or_else(|| format!("No pressure data in {}", file.display()))?;
    let current = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(key))
        .and_then(parse_avg)
        .ok_or_else(|| format!("Error parsing pressure from {}", file.display()))?;
    Ok(current <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::condition::fixtures::{cond, met};
    use crate::unit::condition::{check, ConditionResult, HostFacts};

    #[test]
    fn live_checks_answer_without_errors() {
        let f = HostFacts::current();
        for (name, p) in [
            ("ConditionSecurity", "selinux"),
            ("ConditionSecurity", "tpm2"),
            ("ConditionACPower", "true"),
            ("ConditionFirmware", "device-tree"),
            ("ConditionCPUFeature", "sse2"),
            ("ConditionMemoryPressure", "100%"),
            ("ConditionCPUPressure", "100%/10sec"),
            ("ConditionCapability", "cap_chown"),
            ("ConditionCapability", "40"),
        ] {
            let r = check(&[cond(name, p)], &f);
            assert_ne!(r.outcomes[0].result, ConditionResult::Error, "{name}={p}");
        }
        // Pressure can never exceed 100%.
        assert!(met(cond("ConditionMemoryPressure", "100%"), &f));
        assert!(!met(cond("ConditionCPUPressure", "100%/2min"), &f));
        assert!(!met(cond("ConditionCapability", "41"), &f));
        assert!(!met(cond("ConditionSecurity", "cvm"), &f));
        assert!(!met(cond("ConditionFirmware", "smbios-field(a=b)"), &f));
        assert_eq!(parse_permyriad("12.5%"), Some(1250));
        assert_eq!(parse_permyriad("5‰"), Some(50));
        assert_eq!(parse_permyriad("12"), None);
    }
}
