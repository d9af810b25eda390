//! The resource-control settings of systemd.resource-control(5) as systemd 252 reads them into a
//! unit's `CGroupContext` (src/core/cgroup.h): load-fragment.c's config_parse_memory_limit(),
//! config_parse_tasks_max(), config_parse_cpu_quota(), config_parse_cg_cpu_weight(),
//! config_parse_cg_weight(), config_parse_cpu_shares(), config_parse_blockio_weight(),
//! config_parse_allowed_cpuset(), config_parse_device_policy(), config_parse_device_allow() and
//! config_parse_delegate(), with cgroup.c's cgroup_context_init() defaults for a system manager
//! (CPU, memory and tasks accounting on).
//!
//! The settings are read from the unit's raw assignments of its own section, in file order: the
//! last valid one wins, an empty one resets, an invalid one is ignored (systemd logs it and
//! goes on). Percentages of memory are resolved against the memory the container has at the
//! time of reading, as 252 resolves them at load time (limits-util.c's physical_memory_scale()).

use std::collections::BTreeSet;

use super::RawSetting;
use crate::unit::size::{parse_iec_size, parse_permyriad, parse_permyriad_unbounded};
use crate::unit::timespan::{parse_sec, Usec};

/// cgroup.h's CGROUP_LIMIT_MAX: no limit.
pub const LIMIT_MAX: u64 = u64::MAX;
/// The CPU weight of `CPUWeight=idle` (CGROUP_WEIGHT_IDLE).
pub const WEIGHT_IDLE: u64 = 0;

/// `TasksMax=`: unset (the manager's DefaultTasksMax=, 15% of the system's tasks), a number
/// (`LIMIT_MAX` for infinity), or a fraction `value/scale` of the system's tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TasksMax {
    Default,
    Value(u64),
    Scale { value: u64, scale: u64 },
}

impl TasksMax {
    /// cgroup.c's tasks_max_resolve(): the number of tasks it allows.
    pub fn resolve(self) -> u64 {
        let scaled = |value: u64, scale: u64| {
            let all = u128::from(system_tasks_max());
            u64::try_from(all * u128::from(value) / u128::from(scale.max(1))).unwrap_or(LIMIT_MAX)
        };
        match self {
            TasksMax::Default => scaled(15, 100),
            TasksMax::Value(v) => v,
            TasksMax::Scale { value, scale } => scaled(value, scale),
        }
    }
}

fn read_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// limits-util.c's system_tasks_max(): the most tasks the kernel allows (kernel.threads-max,
/// kernel.pid_max less one, the root cgroup's pids.max).
pub fn system_tasks_max() -> u64 {
    let threads = read_number("/proc/sys/kernel/threads-max");
    let pids = read_number("/proc/sys/kernel/pid_max").map(|n| n.saturating_sub(1));
    let cgroup = read_number("/sys/fs/cgroup/pids.max");
    [threads, pids, cgroup]
        .into_iter()
        .flatten()
        .filter(|n| *n > 0)
        .min()
        .unwrap_or(LIMIT_MAX)
}

/// limits-util.c's physical_memory_scale(v, max): that fraction of the memory, in whole pages.
pub fn physical_memory_scale(v: u64, max: u64) -> u64 {
    const PAGE: u64 = 4096;
    let memory = crate::unit::condition::physical_memory().unwrap_or(LIMIT_MAX);
    if v == 0 {
        return 0;
    }
    if v == max {
        return memory;
    }
    let pages = u128::from(memory / PAGE) * u128::from(v) / u128::from(max.max(1));
    u64::try_from(pages * u128::from(PAGE)).unwrap_or(LIMIT_MAX)
}

/// cpu-set-util.c's CPUSet: the CPUs (or memory nodes) of `AllowedCPUs=` and friends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuSet(pub BTreeSet<u32>);

impl CpuSet {
    /// parse_cpu_set_extend(): `0-3 5,7` adds to the set; `None` for a bad word.
    pub fn parse(s: &str) -> Option<CpuSet> {
        let mut set = BTreeSet::new();
        for word in s.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
            if word.is_empty() {
                continue;
            }
            let (lo, hi) = match word.split_once('-') {
                Some((lo, hi)) => (lo.parse::<u32>().ok()?, hi.parse::<u32>().ok()?),
                None => {
                    let one = word.parse::<u32>().ok()?;
                    (one, one)
                }
            };
            // cpu_set_add_all(): at most 8192 CPUs
            if hi < lo || hi >= 8192 {
                return None;
            }
            set.extend(lo..=hi);
        }
        Some(CpuSet(set))
    }

    /// cpu_set_to_range_string(): `0-1 3`.
    pub fn to_range_string(&self) -> String {
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for &cpu in &self.0 {
            match ranges.last_mut() {
                Some((_, hi)) if *hi + 1 == cpu => *hi = cpu,
                _ => ranges.push((cpu, cpu)),
            }
        }
        ranges
            .iter()
            .map(|&(lo, hi)| {
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// cpu_set_to_dbus(): a bit per CPU, in bytes of a whole number of longs (CPU_ALLOC_SIZE).
    pub fn to_bytes(&self) -> Vec<u8> {
        let Some(&max) = self.0.last() else {
            return Vec::new();
        };
        let len = (max as usize / 64 + 1) * 8;
        let mut bytes = vec![0u8; len];
        for &cpu in &self.0 {
            bytes[cpu as usize / 8] |= 1 << (cpu % 8);
        }
        bytes
    }

    /// cpu_set_from_dbus().
    pub fn from_bytes(bytes: &[u8]) -> CpuSet {
        let mut set = BTreeSet::new();
        for (i, byte) in bytes.iter().enumerate() {
            for bit in 0..8u32 {
                if byte & (1 << bit) != 0 {
                    set.insert(i as u32 * 8 + bit);
                }
            }
        }
        CpuSet(set)
    }
}

/// One `DeviceAllow=` entry: a device node or pattern and its `rwm` access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAllow {
    pub path: String,
    pub access: String,
}

/// A unit's resource-control settings (its `CGroupContext`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupSettings {
    pub cpu_accounting: bool,
    pub io_accounting: bool,
    pub blockio_accounting: bool,
    pub memory_accounting: bool,
    pub tasks_accounting: bool,
    pub ip_accounting: bool,
    /// The weights: `None` when not set (CGROUP_WEIGHT_INVALID and friends).
    pub cpu_weight: Option<u64>,
    pub startup_cpu_weight: Option<u64>,
    pub cpu_shares: Option<u64>,
    pub startup_cpu_shares: Option<u64>,
    pub io_weight: Option<u64>,
    pub startup_io_weight: Option<u64>,
    pub blockio_weight: Option<u64>,
    pub startup_blockio_weight: Option<u64>,
    /// `CPUQuota=` as µs of CPU time per second; `None` for no quota.
    pub cpu_quota_per_sec: Option<u64>,
    pub cpu_quota_period: Option<u64>,
    pub allowed_cpus: CpuSet,
    pub startup_allowed_cpus: CpuSet,
    pub allowed_memory_nodes: CpuSet,
    pub startup_allowed_memory_nodes: CpuSet,
    /// Bytes; `LIMIT_MAX` for none.
    pub default_memory_low: u64,
    pub default_memory_min: u64,
    pub memory_min: u64,
    pub memory_low: u64,
    pub memory_high: u64,
    pub memory_max: u64,
    pub memory_swap_max: u64,
    pub memory_limit: u64,
    pub device_policy: String,
    /// Newest first, as cgroup_add_device_allow() prepends.
    pub device_allow: Vec<DeviceAllow>,
    pub tasks_max: TasksMax,
    pub delegate: bool,
    /// The controllers `Delegate=` names (all of them for `yes`); empty when not delegated.
    pub delegate_controllers: Vec<String>,
}

impl Default for CgroupSettings {
    fn default() -> Self {
        CgroupSettings {
            cpu_accounting: true,
            io_accounting: false,
            blockio_accounting: false,
            memory_accounting: true,
            tasks_accounting: true,
            ip_accounting: false,
            cpu_weight: None,
            startup_cpu_weight: None,
            cpu_shares: None,
            startup_cpu_shares: None,
            io_weight: None,
            startup_io_weight: None,
            blockio_weight: None,
            startup_blockio_weight: None,
            cpu_quota_per_sec: None,
            cpu_quota_period: None,
            allowed_cpus: CpuSet::default(),
            startup_allowed_cpus: CpuSet::default(),
            allowed_memory_nodes: CpuSet::default(),
            startup_allowed_memory_nodes: CpuSet::default(),
            default_memory_low: 0,
            default_memory_min: 0,
            memory_min: 0,
            memory_low: 0,
            memory_high: LIMIT_MAX,
            memory_max: LIMIT_MAX,
            memory_swap_max: LIMIT_MAX,
            memory_limit: LIMIT_MAX,
            device_policy: "auto".into(),
            device_allow: Vec::new(),
            tasks_max: TasksMax::Default,
            delegate: false,
            delegate_controllers: Vec::new(),
        }
    }
}

/// The controllers a unit may be delegated (cgroup-util.h's CGROUP_MASK_DELEGATE), in
/// cgroup_mask_to_string()'s order.
pub const DELEGATE_CONTROLLERS: &[&str] = &["cpu", "cpuset", "io", "memory", "pids"];

/// The weight ranges of cgroup-util.h (CGROUP_WEIGHT_MIN/MAX, CGROUP_CPU_SHARES_MIN/MAX,
/// CGROUP_BLKIO_WEIGHT_MIN/MAX).
pub const WEIGHT_RANGE: (u64, u64) = (1, 10_000);
pub const CPU_SHARES_RANGE: (u64, u64) = (2, 262_144);
pub const BLKIO_WEIGHT_RANGE: (u64, u64) = (10, 1_000);

/// The range of the weight setting `name` (CPUShares=, BlockIOWeight=, the others 1…10000).
pub fn weight_range(name: &str) -> (u64, u64) {
    match name {
        "CPUShares" | "StartupCPUShares" => CPU_SHARES_RANGE,
        "BlockIOWeight" | "StartupBlockIOWeight" => BLKIO_WEIGHT_RANGE,
        _ => WEIGHT_RANGE,
    }
}

fn weight(value: &str, (min, max): (u64, u64)) -> Option<Option<u64>> {
    if value.is_empty() {
        return Some(None);
    }
    let n: u64 = value.parse().ok()?;
    (min..=max).contains(&n).then_some(Some(n))
}

/// config_parse_memory_limit(): bytes, a percentage of the memory, `infinity`; empty is 0 for
/// the protections and no limit for the rest. `None` for a value systemd ignores.
fn memory_limit(key: &str, value: &str) -> Option<u64> {
    let protection = matches!(
        key,
        "DefaultMemoryLow" | "DefaultMemoryMin" | "MemoryLow" | "MemoryMin"
    );
    if value.is_empty() {
        return Some(if protection { 0 } else { LIMIT_MAX });
    }
    if value == "infinity" {
        return Some(LIMIT_MAX);
    }
    let bytes = match parse_permyriad(value) {
        Some(p) => physical_memory_scale(u64::from(p), 10_000),
        None => parse_iec_size(value).ok()?,
    };
    let may_be_zero = protection || key == "MemorySwapMax";
    (bytes < LIMIT_MAX && (bytes > 0 || may_be_zero)).then_some(bytes)
}

/// config_parse_tasks_max().
fn tasks_max(value: &str) -> Option<TasksMax> {
    if value.is_empty() {
        return Some(TasksMax::Default);
    }
    if value == "infinity" {
        return Some(TasksMax::Value(LIMIT_MAX));
    }
    if let Some(p) = parse_permyriad(value) {
        return Some(TasksMax::Scale {
            value: u64::from(p),
            scale: 10_000,
        });
    }
    let n: u64 = value.parse().ok()?;
    (1..LIMIT_MAX).contains(&n).then_some(TasksMax::Value(n))
}

impl CgroupSettings {
    /// The settings of `section` among `raw`, applied in order over the defaults.
    pub fn of(raw: &[RawSetting], section: &str) -> CgroupSettings {
        let mut c = CgroupSettings::default();
        for r in raw.iter().filter(|r| r.section == section) {
            c.apply(&r.key, r.value.trim());
        }
        c
    }

    /// One assignment; an invalid value leaves the setting as it was.
    pub fn apply(&mut self, key: &str, value: &str) {
        let boolean = || crate::unit::syntax::parse_boolean(value);
        match key {
            "CPUAccounting" => set(&mut self.cpu_accounting, boolean()),
            "IOAccounting" => set(&mut self.io_accounting, boolean()),
            "BlockIOAccounting" => set(&mut self.blockio_accounting, boolean()),
            "MemoryAccounting" => set(&mut self.memory_accounting, boolean()),
            "TasksAccounting" => set(&mut self.tasks_accounting, boolean()),
            "IPAccounting" => set(&mut self.ip_accounting, boolean()),
            "CPUWeight" | "StartupCPUWeight" => {
                let w = if value == "idle" {
                    Some(Some(WEIGHT_IDLE))
                } else {
                    weight(value, WEIGHT_RANGE)
                };
                let field = if key == "CPUWeight" {
                    &mut self.cpu_weight
                } else {
                    &mut self.startup_cpu_weight
                };
                set(field, w);
            }
            "CPUShares" => set(&mut self.cpu_shares, weight(value, CPU_SHARES_RANGE)),
            "StartupCPUShares" => set(
                &mut self.startup_cpu_shares,
                weight(value, CPU_SHARES_RANGE),
            ),
            "IOWeight" => set(&mut self.io_weight, weight(value, WEIGHT_RANGE)),
            "StartupIOWeight" => set(&mut self.startup_io_weight, weight(value, WEIGHT_RANGE)),
            "BlockIOWeight" => set(&mut self.blockio_weight, weight(value, BLKIO_WEIGHT_RANGE)),
            "StartupBlockIOWeight" => set(
                &mut self.startup_blockio_weight,
                weight(value, BLKIO_WEIGHT_RANGE),
            ),
            "CPUQuota" => {
                let quota = if value.is_empty() {
                    Some(None)
                } else {
                    parse_permyriad_unbounded(value)
                        .filter(|p| *p > 0)
                        .map(|p| Some(u64::from(p) * 1_000_000 / 10_000))
                };
                set(&mut self.cpu_quota_per_sec, quota);
            }
            "CPUQuotaPeriodSec" => {
                let period = if value.is_empty() {
                    Some(None)
                } else {
                    parse_sec(value)
                        .ok()
                        .map(|Usec(us)| (us != u64::MAX).then_some(us))
                };
                set(&mut self.cpu_quota_period, period);
            }
            "AllowedCPUs"
            | "StartupAllowedCPUs"
            | "AllowedMemoryNodes"
            | "StartupAllowedMemoryNodes" => {
                let field = match key {
                    "AllowedCPUs" => &mut self.allowed_cpus,
                    "StartupAllowedCPUs" => &mut self.startup_allowed_cpus,
                    "AllowedMemoryNodes" => &mut self.allowed_memory_nodes,
                    _ => &mut self.startup_allowed_memory_nodes,
                };
                if value.is_empty() {
                    *field = CpuSet::default();
                } else if let Some(more) = CpuSet::parse(value) {
                    field.0.extend(more.0);
                }
            }
            "DefaultMemoryLow" => set(&mut self.default_memory_low, memory_limit(key, value)),
            "DefaultMemoryMin" => set(&mut self.default_memory_min, memory_limit(key, value)),
            "MemoryMin" => set(&mut self.memory_min, memory_limit(key, value)),
            "MemoryLow" => set(&mut self.memory_low, memory_limit(key, value)),
            "MemoryHigh" => set(&mut self.memory_high, memory_limit(key, value)),
            "MemoryMax" => set(&mut self.memory_max, memory_limit(key, value)),
            "MemorySwapMax" => set(&mut self.memory_swap_max, memory_limit(key, value)),
            "MemoryLimit" => set(&mut self.memory_limit, memory_limit(key, value)),
            "DevicePolicy" if ["auto", "closed", "strict"].contains(&value) => {
                self.device_policy = value.to_string();
            }
            "DeviceAllow" => self.allow_device(value),
            "TasksMax" => set(&mut self.tasks_max, tasks_max(value)),
            "Delegate" => match boolean() {
                Some(yes) => {
                    self.delegate = yes;
                    self.delegate_controllers = if yes {
                        DELEGATE_CONTROLLERS.iter().map(|c| c.to_string()).collect()
                    } else {
                        Vec::new()
                    };
                }
                None => {
                    // a list of controllers adds to those delegated so far
                    let named: Vec<&str> = value.split_whitespace().collect();
                    if named.iter().all(|c| DELEGATE_CONTROLLERS.contains(c)) {
                        self.delegate = true;
                        for c in named {
                            if !self.delegate_controllers.iter().any(|d| d == c) {
                                self.delegate_controllers.push(c.to_string());
                            }
                        }
                        self.delegate_controllers
                            .sort_by_key(|c| DELEGATE_CONTROLLERS.iter().position(|d| d == c));
                    }
                }
            },
            _ => {}
        }
    }

    /// config_parse_device_allow(): `PATH [rwm]`; empty clears the list. An entry for a path
    /// already listed takes the new access in place.
    fn allow_device(&mut self, value: &str) {
        if value.is_empty() {
            self.device_allow.clear();
            return;
        }
        let (path, access) = match value.split_once(char::is_whitespace) {
            Some((p, a)) => (p, a.trim()),
            None => (value, ""),
        };
        let access = if access.is_empty() { "rwm" } else { access };
        if !valid_device_pattern(path) || !access.chars().all(|c| "rwm".contains(c)) {
            return;
        }
        let access = ["r", "w", "m"]
            .iter()
            .filter(|c| access.contains(**c))
            .copied()
            .collect::<String>();
        match self.device_allow.iter_mut().find(|d| d.path == path) {
            Some(d) => d.access = access,
            None => self.device_allow.insert(
                0,
                DeviceAllow {
                    path: path.to_string(),
                    access,
                },
            ),
        }
    }
}

/// valid_device_allow_pattern(): a path under /dev/, or `block-…`/`char-…`.
pub fn valid_device_pattern(path: &str) -> bool {
    if path.starts_with("block-") || path.starts_with("char-") {
        return true;
    }
    path.starts_with("/dev/") && !path.contains(char::is_whitespace)
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(lines: &[(&str, &str)]) -> CgroupSettings {
        let raw: Vec<RawSetting> = lines
            .iter()
            .map(|(k, v)| RawSetting {
                section: "Service".into(),
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect();
        CgroupSettings::of(&raw, "Service")
    }

    #[test]
    fn settings_are_read_as_load_fragment_reads_them() {
        let c = of(&[
            ("MemoryMax", "1G"),
            ("MemoryHigh", "bogus"),
            ("MemoryLow", "10M"),
            ("CPUQuota", "50%"),
            ("CPUWeight", "idle"),
            ("IOWeight", "300"),
            ("IOWeight", "0"),
            ("TasksMax", "10%"),
            ("AllowedCPUs", "0-1"),
            ("AllowedCPUs", "3"),
            ("DeviceAllow", "/dev/null rw"),
            ("DeviceAllow", "/dev/zero"),
            ("Delegate", "memory pids"),
        ]);
        assert_eq!(c.memory_max, 1 << 30);
        assert_eq!(c.memory_high, LIMIT_MAX);
        assert_eq!(c.memory_low, 10 << 20);
        assert_eq!(c.cpu_quota_per_sec, Some(500_000));
        assert_eq!(c.cpu_weight, Some(WEIGHT_IDLE));
        assert_eq!(c.io_weight, Some(300));
        assert_eq!(
            c.tasks_max,
            TasksMax::Scale {
                value: 1000,
                scale: 10_000
            }
        );
        assert_eq!(c.allowed_cpus.to_range_string(), "0-1 3");
        assert_eq!(c.allowed_cpus.to_bytes(), vec![0b1011, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            CpuSet::from_bytes(&c.allowed_cpus.to_bytes()),
            c.allowed_cpus
        );
        assert_eq!(c.device_allow[0].path, "/dev/zero");
        assert_eq!(c.device_allow[0].access, "rwm");
        assert_eq!(c.device_allow[1].access, "rw");
        assert!(c.delegate);
        assert_eq!(c.delegate_controllers, ["memory", "pids"]);
        let reset = of(&[("MemoryMax", "1G"), ("MemoryMax", ""), ("CPUQuota", "")]);
        assert_eq!(reset.memory_max, LIMIT_MAX);
        assert_eq!(reset.cpu_quota_per_sec, None);
    }
}
