//! The contexts services and sockets share, as `show` lists them after the type's own
//! properties: the cgroup properties (src/core/dbus-unit.c's cgroup vtable, then
//! src/core/dbus-cgroup.c), the exec context (src/core/dbus-execute.c) and the kill context
//! (src/core/dbus-kill.c), in the order of 252's vtables and with the defaults of 252's
//! execute.c, cgroup.c and kill.c where the unit sets nothing.
//!
//! Without a manager (`--root`) only the settings the unit files carry are listed: the rest is
//! what a running manager decides (its limits, its cgroup tree).

use crate::ipc::protocol::UnitStatus;
use crate::unit::model::cgroup::{CgroupSettings, WEIGHT_IDLE};
use crate::unit::model::{live, DirectoryPreserve, UnitConfig};
use crate::unit::name::UnitType;
use crate::unit::timespan::Usec;

use super::*;

/// systemd's `DEFAULT_RLIMIT_MEMLOCK` (8M) and `HIGH_RLIMIT_NOFILE` (512K).
const DEFAULT_RLIMIT_MEMLOCK: u64 = 8 << 20;
const HIGH_RLIMIT_NOFILE: u64 = 512 << 10;

/// The settings of the unit's own section that `show` prints as written (the last assignment).
struct Raw<'a>(&'a UnitConfig);

impl Raw<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .raw
            .iter()
            .rev()
            .find(|r| r.key == key && r.section != "Unit" && r.section != "Install")
            .map(|r| r.value.as_str())
    }

    fn text(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or(default).to_string()
    }

    fn yes_no(&self, key: &str, default: bool) -> &'static str {
        let v = self
            .get(key)
            .and_then(crate::unit::syntax::parse_boolean)
            .unwrap_or(default);
        if v {
            "yes"
        } else {
            "no"
        }
    }
}

/// `{prefix}LimitX=` (hard) and `{prefix}LimitXSoft=` for every resource, in systemd's order:
/// the last of `set` (resource, soft, hard) that names it, else what a unit gets by default.
pub(super) fn limit_properties(
    p: &mut Properties,
    prefix: &str,
    set: &[(crate::sys::rlimit::Resource, u64, u64)],
) {
    for &(key, resource, _) in crate::sys::rlimit::RESOURCES {
        let (soft, hard) = set
            .iter()
            .rev()
            .find(|(r, _, _)| *r == resource)
            .map_or_else(|| default_limit(resource), |&(_, s, h)| (s, h));
        p.lines(vec![
            (format!("{prefix}{key}"), limit_value(hard)),
            (format!("{prefix}{key}Soft"), limit_value(soft)),
        ]);
    }
}

fn limit_value(v: u64) -> String {
    if v == libc::RLIM_INFINITY {
        "infinity".into()
    } else {
        v.to_string()
    }
}

/// What a unit that sets no `Limit*=` gets: systemd's DefaultLimit*=, which 252 takes from its
/// own limits at boot (those of this process's environment), with the hard limit of open files
/// raised to 512K (up to fs.nr_open) and its soft limit kept at 1024 (for select()), and 8M of
/// lockable memory at least (main.c's fallback_rlimit_nofile() and fallback_rlimit_memlock()).
fn default_limit(resource: crate::sys::rlimit::Resource) -> (u64, u64) {
    let mut rl = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: getrlimit writes into an rlimit we own; a failure leaves infinity.
    unsafe { libc::getrlimit(resource as _, &mut rl) };
    let (soft, hard) = (rl.rlim_cur, rl.rlim_max);
    if resource == libc::RLIMIT_NOFILE as crate::sys::rlimit::Resource {
        let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(1024 * 1024);
        (soft.min(1024), nr_open.min(hard.max(HIGH_RLIMIT_NOFILE)))
    } else if resource == libc::RLIMIT_MEMLOCK as crate::sys::rlimit::Resource {
        (
            soft.max(DEFAULT_RLIMIT_MEMLOCK),
            hard.max(DEFAULT_RLIMIT_MEMLOCK),
        )
    } else {
        (soft, hard)
    }
}

/// A weight as dbus-cgroup.c shows it: `[not set]`, `idle` for a CPU weight of 0, a number.
fn weight(p: &mut Properties, name: &'static str, w: Option<u64>) {
    let shown = match w {
        None => "[not set]".to_string(),
        Some(WEIGHT_IDLE) if name.ends_with("CPUWeight") => "idle".to_string(),
        Some(n) => n.to_string(),
    };
    p.typed(name, shown, Some(BusValue::U(w.unwrap_or(u64::MAX))));
}

/// Whether the manager made the unit a cgroup: a unit in a state other than inactive or failed
/// has one (its path); one that ran a process has had it created.
fn has_cgroup(rt: &UnitStatus) -> bool {
    !matches!(
        rt.active_state,
        crate::unit::state::ActiveState::Inactive | crate::unit::state::ActiveState::Failed
    )
}

fn ran_process(rt: &UnitStatus) -> bool {
    rt.main_pid != 0 || rt.control_pid != 0 || rt.exec_main.pid != 0
}

/// The CPU time of the unit's main process (its cgroup's, in systemd): utime and stime of
/// /proc/PID/stat, in nanoseconds.
fn cpu_usage_nsec(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the fields after the command name, which may hold spaces and parentheses
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    Some((utime + stime) * 1_000_000_000 / ticks.max(1))
}

/// `Slice=` and what follows it: the unit's cgroup and its counters, then dbus-cgroup.c's
/// settings. Only with a running manager (see the module header).
pub(super) fn cgroup_properties(p: &mut Properties, config: &UnitConfig, rt: &UnitStatus) {
    let raw = Raw(config);
    let path = config.control_group();
    let cgroup = has_cgroup(rt) && !path.is_empty();
    p.add("ControlGroup", if cgroup { path } else { String::new() });
    // There are no cgroups of ours (issue 17): an id and CPU time are only there for a unit
    // that ran a process, as systemd creates the cgroup then.
    let realized = cgroup && ran_process(rt);
    p.add("ControlGroupId", if realized { "1" } else { "0" });
    p.add("MemoryCurrent", "[not set]");
    p.add("MemoryAvailable", "infinity");
    let c = CgroupSettings::of(&config.raw, live::private_section(config.unit_type));
    let counted = realized && c.cpu_accounting;
    let cpu = counted
        .then(|| cpu_usage_nsec(rt.main_pid))
        .flatten()
        .or(counted.then_some(0));
    p.add(
        "CPUUsageNSec",
        cpu.map_or_else(|| "[not set]".to_string(), |n| n.to_string()),
    );
    p.add("TasksCurrent", "[not set]");
    for name in [
        "IPIngressBytes",
        "IPIngressPackets",
        "IPEgressBytes",
        "IPEgressPackets",
    ] {
        p.add(name, "[no data]");
    }
    for name in [
        "IOReadBytes",
        "IOReadOperations",
        "IOWriteBytes",
        "IOWriteOperations",
    ] {
        p.add(name, u64::MAX.to_string());
    }
    p.yes_no("Delegate", c.delegate);
    p.typed(
        "DelegateControllers",
        c.delegate_controllers.join(" "),
        Some(BusValue::strings(&c.delegate_controllers)),
    );
    p.yes_no("CPUAccounting", c.cpu_accounting);
    for (name, w) in [
        ("CPUWeight", c.cpu_weight),
        ("StartupCPUWeight", c.startup_cpu_weight),
        ("CPUShares", c.cpu_shares),
        ("StartupCPUShares", c.startup_cpu_shares),
    ] {
        weight(p, name, w);
    }
    for (name, quota) in [
        ("CPUQuotaPerSecUSec", c.cpu_quota_per_sec),
        ("CPUQuotaPeriodUSec", c.cpu_quota_period),
    ] {
        p.usec(name, Usec(quota.unwrap_or(u64::MAX)));
    }
    for (name, set) in [
        ("AllowedCPUs", &c.allowed_cpus),
        ("StartupAllowedCPUs", &c.startup_allowed_cpus),
        ("AllowedMemoryNodes", &c.allowed_memory_nodes),
        ("StartupAllowedMemoryNodes", &c.startup_allowed_memory_nodes),
    ] {
        let bytes = set.to_bytes().into_iter().map(|b| BusValue::U(b.into()));
        p.typed(
            name,
            set.to_range_string(),
            Some(BusValue::List(bytes.collect())),
        );
    }
    p.yes_no("IOAccounting", c.io_accounting);
    weight(p, "IOWeight", c.io_weight);
    weight(p, "StartupIOWeight", c.startup_io_weight);
    p.yes_no("BlockIOAccounting", c.blockio_accounting);
    weight(p, "BlockIOWeight", c.blockio_weight);
    weight(p, "StartupBlockIOWeight", c.startup_blockio_weight);
    p.yes_no("MemoryAccounting", c.memory_accounting);
    for (name, bytes) in [
        ("DefaultMemoryLow", c.default_memory_low),
        ("DefaultMemoryMin", c.default_memory_min),
        ("MemoryMin", c.memory_min),
        ("MemoryLow", c.memory_low),
        ("MemoryHigh", c.memory_high),
        ("MemoryMax", c.memory_max),
        ("MemorySwapMax", c.memory_swap_max),
        ("MemoryLimit", c.memory_limit),
    ] {
        p.add(name, limit_value(bytes));
    }
    p.add("DevicePolicy", c.device_policy.clone());
    let devices = c
        .device_allow
        .iter()
        .map(|d| {
            let bus = BusValue::Record(vec![
                BusValue::S(d.path.clone()),
                BusValue::S(d.access.clone()),
            ]);
            (
                "DeviceAllow".to_string(),
                format!("{} {}", d.path, d.access),
                Some(bus),
            )
        })
        .collect();
    p.typed_lines(devices);
    p.yes_no("TasksAccounting", c.tasks_accounting);
    p.add("TasksMax", limit_value(c.tasks_max.resolve()));
    p.add("IPAccounting", raw.yes_no("IPAccounting", false));
    for (name, default) in [
        ("ManagedOOMSwap", "auto"),
        ("ManagedOOMMemoryPressure", "auto"),
        ("ManagedOOMMemoryPressureLimit", "0"),
        ("ManagedOOMPreference", "none"),
    ] {
        p.add(name, raw.text(name, default));
    }
}

fn mode(m: u32) -> String {
    format!("{m:04o}")
}

/// systemd.exec(5) and systemd.kill(5) settings, for services and sockets; `full` (a manager
/// runs) adds what the manager decides for a unit that sets nothing.
pub(super) fn exec_context_properties(p: &mut Properties, config: &UnitConfig, full: bool) {
    let s = &config.settings;
    let raw = Raw(config);
    p.list("Environment", &s.environment);
    let files = s
        .environment_files
        .iter()
        .map(|(path, optional)| {
            let bus = BusValue::Record(vec![BusValue::S(path.to_string()), BusValue::B(*optional)]);
            (
                "EnvironmentFiles".to_string(),
                format!(
                    "{path} (ignore_errors={})",
                    if *optional { "yes" } else { "no" }
                ),
                Some(bus),
            )
        })
        .collect();
    p.typed_lines(files);
    if full {
        p.list("PassEnvironment", &s.pass_environment);
        p.list("UnsetEnvironment", &s.unset_environment);
    }
    p.add("UMask", s.umask.clone());
    if full {
        let set: Vec<_> = s
            .limits
            .iter()
            .map(|l| (l.resource, l.soft, l.hard))
            .collect();
        limit_properties(p, "", &set);
    }
    // The D-Bus property marks a directory whose absence is tolerated (`-`) with `!`.
    let working_directory = s.working_directory.clone().unwrap_or_default();
    p.add(
        "WorkingDirectory",
        match working_directory.strip_prefix('-') {
            Some(path) => format!("!{path}"),
            None => working_directory,
        },
    );
    p.add(
        "RootDirectory",
        s.root_directory.clone().unwrap_or_default(),
    );
    if full {
        p.add(
            "OOMScoreAdjust",
            s.oom_score_adjust.unwrap_or(0).to_string(),
        );
        p.add("CoredumpFilter", raw.text("CoredumpFilter", "0x33"));
        // property_get_nice(): unset, it is the manager's own, which its children inherit
        let nice = s.nice.unwrap_or_else(crate::sys::proc::own_nice);
        p.add("Nice", nice.to_string());
        // the manager's own I/O priority (best-effort, level 4) and scheduling
        p.add("IOSchedulingClass", "2");
        p.add(
            "IOSchedulingPriority",
            raw.text("IOSchedulingPriority", "4"),
        );
        p.add("CPUSchedulingPolicy", "0");
        p.add(
            "CPUSchedulingPriority",
            raw.text("CPUSchedulingPriority", "0"),
        );
        p.add("CPUAffinityFromNUMA", "no");
        p.add("NUMAPolicy", "n/a");
        p.add("TimerSlackNSec", "50000");
        p.add(
            "CPUSchedulingResetOnFork",
            raw.yes_no("CPUSchedulingResetOnFork", false),
        );
        p.yes_no("NonBlocking", s.non_blocking);
    }
    p.add("StandardInput", s.standard_input.as_str());
    // exec_output_to_string(): `file:PATH`, `append:PATH`, `truncate:PATH` and `fd:NAME` are
    // their kind's word alone on the bus.
    let word = |setting: &str| setting.split(':').next().unwrap_or_default().to_string();
    p.add("StandardOutput", word(&s.standard_output));
    p.add("StandardError", word(&s.standard_error));
    if full {
        p.add("TTYPath", s.tty_path.clone().unwrap_or_default());
        for name in ["TTYReset", "TTYVHangup", "TTYVTDisallocate"] {
            p.add(name, raw.yes_no(name, false));
        }
        p.add("SyslogPriority", "30");
    }
    p.add(
        "SyslogIdentifier",
        s.syslog_identifier.clone().unwrap_or_default(),
    );
    if full {
        p.add("SyslogLevelPrefix", raw.yes_no("SyslogLevelPrefix", true));
        p.add("SyslogLevel", "6");
        p.add("SyslogFacility", "3");
        p.add("LogLevelMax", "-1");
        p.add("LogRateLimitIntervalUSec", "0");
        p.add("LogRateLimitBurst", raw.text("LogRateLimitBurst", "0"));
        p.add("SecureBits", "0");
        p.add(
            "CapabilityBoundingSet",
            crate::sys::capability::NAMES.join(" "),
        );
    }
    p.add("User", s.user.clone().unwrap_or_default());
    p.add("Group", s.group.clone().unwrap_or_default());
    if full {
        p.add("DynamicUser", raw.yes_no("DynamicUser", false));
        p.add("RemoveIPC", raw.yes_no("RemoveIPC", false));
    }
    p.list("SupplementaryGroups", &s.supplementary_groups);
    if full {
        for name in [
            "PrivateTmp",
            "PrivateDevices",
            "ProtectClock",
            "ProtectKernelTunables",
            "ProtectKernelModules",
            "ProtectKernelLogs",
            "ProtectControlGroups",
            "PrivateNetwork",
            "PrivateUsers",
            "PrivateMounts",
            "PrivateIPC",
        ] {
            p.add(name, raw.yes_no(name, false));
        }
        // yes/no or a level (read-only, strict, tmpfs, full)
        let level = |key: &str| match raw
            .get(key)
            .map(|v| (v, crate::unit::syntax::parse_boolean(v)))
        {
            Some((_, Some(b))) => if b { "yes" } else { "no" }.to_string(),
            Some((v, None)) => v.to_string(),
            None => "no".to_string(),
        };
        p.add("ProtectHome", level("ProtectHome"));
        p.add("ProtectSystem", level("ProtectSystem"));
        p.add("SameProcessGroup", raw.yes_no("SameProcessGroup", false));
        p.add("UtmpMode", raw.text("UtmpMode", "init"));
        p.add("IgnoreSIGPIPE", raw.yes_no("IgnoreSIGPIPE", true));
        p.add("NoNewPrivileges", raw.yes_no("NoNewPrivileges", false));
        // seccomp's "no error number" (SECCOMP_ERROR_NUMBER_KILL is INT_MAX - 1)
        p.add("SystemCallErrorNumber", "2147483646");
        p.add("LockPersonality", raw.yes_no("LockPersonality", false));
        p.add(
            "RuntimeDirectoryPreserve",
            match s.runtime_directory_preserve {
                DirectoryPreserve::No => "no",
                DirectoryPreserve::Yes => "yes",
                DirectoryPreserve::Restart => "restart",
            },
        );
        p.add("RuntimeDirectoryMode", mode(s.runtime_directory_mode));
    }
    p.list("RuntimeDirectory", &s.runtime_directory);
    if full {
        p.add("StateDirectoryMode", mode(s.state_directory_mode));
    }
    p.list("StateDirectory", &s.state_directory);
    if full {
        p.add("CacheDirectoryMode", mode(s.cache_directory_mode));
        p.list("CacheDirectory", &s.cache_directory);
        p.add("LogsDirectoryMode", mode(s.logs_directory_mode));
        p.list("LogsDirectory", &s.logs_directory);
        p.add(
            "ConfigurationDirectoryMode",
            mode(s.configuration_directory_mode),
        );
        p.list("ConfigurationDirectory", &s.configuration_directory);
        p.add("TimeoutCleanUSec", raw.text("TimeoutCleanSec", "infinity"));
        for name in [
            "MemoryDenyWriteExecute",
            "RestrictRealtime",
            "RestrictSUIDSGID",
        ] {
            p.add(name, raw.yes_no(name, false));
        }
        p.add(
            "RestrictNamespaces",
            raw.yes_no("RestrictNamespaces", false),
        );
        p.add("MountAPIVFS", raw.yes_no("MountAPIVFS", false));
        // execute.c: a system service gets a keyring of its own, other units share the
        // manager's
        let keyring = if config.unit_type == UnitType::Service {
            "private"
        } else {
            "shared"
        };
        p.add("KeyringMode", raw.text("KeyringMode", keyring));
        p.add("ProtectProc", raw.text("ProtectProc", "default"));
        p.add("ProcSubset", raw.text("ProcSubset", "all"));
        p.add("ProtectHostname", raw.yes_no("ProtectHostname", false));
    }
    kill_context_properties(p, config, full);
}

/// dbus-kill.c.
fn kill_context_properties(p: &mut Properties, config: &UnitConfig, full: bool) {
    let s = &config.settings;
    p.add("KillMode", s.kill_mode.as_str());
    p.add("KillSignal", signal_number(&s.kill_signal));
    if full {
        p.add(
            "RestartKillSignal",
            signal_number(s.restart_kill_signal.as_ref().unwrap_or(&s.kill_signal)),
        );
    }
    p.add("FinalKillSignal", signal_number(&s.final_kill_signal));
    p.yes_no("SendSIGKILL", s.send_sigkill);
    p.yes_no("SendSIGHUP", s.send_sighup);
    if full {
        p.add(
            "WatchdogSignal",
            signal_number(&raw_or(config, "WatchdogSignal", "SIGABRT")),
        );
    }
}

fn raw_or(config: &UnitConfig, key: &str, default: &str) -> String {
    Raw(config).text(key, default)
}
