//! org.freedesktop.systemd1.Manager's properties as `systemctl show` without a unit prints them
//! (src/core/dbus-manager.c's vtable order), for those this manager keeps as systemd does: its
//! identity, counters, environment, state and the defaults units get. The manager fills in
//! [`ManagerFacts`]; without a manager (`--root`) only the identity and defaults of the files
//! are known, and the state is `offline`.

use super::contexts::limit_properties;
use super::{Properties, Property};
use crate::unit::model::cgroup::system_tasks_max;
use crate::unit::paths::LookupPaths;
use crate::unit::timespan::Usec;

/// What the running manager knows of itself.
#[derive(Debug, Clone)]
pub struct ManagerFacts {
    pub virtualization: String,
    pub n_failed_units: usize,
    pub n_jobs: usize,
    /// The environment every unit's processes start from (`KEY=value`).
    pub environment: Vec<String>,
    pub system_state: String,
    pub timeout_start: Usec,
    pub timeout_stop: Usec,
    pub timeout_abort: Usec,
    pub restart: Usec,
    pub start_limit_interval: Usec,
    pub start_limit_burst: u32,
    /// DefaultLimit*= set in system.conf: (resource, soft, hard).
    pub limits: Vec<(crate::sys::rlimit::Resource, u64, u64)>,
}

impl ManagerFacts {
    /// What is known with no manager running: the defaults systemd 252 starts with.
    pub fn offline() -> ManagerFacts {
        ManagerFacts {
            virtualization: String::new(),
            n_failed_units: 0,
            n_jobs: 0,
            environment: Vec::new(),
            system_state: "offline".into(),
            timeout_start: Usec::secs(90),
            timeout_stop: Usec::secs(90),
            timeout_abort: Usec::secs(90),
            restart: Usec::millis(100),
            start_limit_interval: Usec::secs(10),
            start_limit_burst: 5,
            limits: Vec::new(),
        }
    }
}

/// The Manager's properties; `managed` when a manager answers (offline, only what the files
/// and systemd's defaults say).
pub fn manager_properties(
    facts: &ManagerFacts,
    lookup: &LookupPaths,
    managed: bool,
) -> Vec<Property> {
    let mut p = Properties::default();
    p.add("Version", "252");
    if managed {
        p.add("Virtualization", facts.virtualization.clone());
    }
    p.add("Architecture", std::env::consts::ARCH.replace('_', "-"));
    if managed {
        for stamp in [
            "FirmwareTimestampMonotonic",
            "LoaderTimestampMonotonic",
            "KernelTimestampMonotonic",
            "InitRDTimestampMonotonic",
        ] {
            p.add(stamp, "0");
        }
        p.add("LogLevel", "info");
        p.add("LogTarget", "journal");
        p.add("NFailedUnits", facts.n_failed_units.to_string());
        p.add("NJobs", facts.n_jobs.to_string());
        p.list("Environment", &facts.environment);
        p.yes_no("ConfirmSpawn", false);
        p.yes_no("ShowStatus", true);
    }
    let search: Vec<String> = lookup
        .search
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    p.list("UnitPath", &search);
    if managed {
        p.add("DefaultStandardOutput", "journal");
        p.add("DefaultStandardError", "inherit");
        p.add("RuntimeWatchdogUSec", "0");
        p.add("RuntimeWatchdogPreUSec", "0");
        p.usec("RebootWatchdogUSec", Usec::secs(600));
        p.add("KExecWatchdogUSec", "0");
        p.yes_no("ServiceWatchdogs", true);
    }
    p.add("SystemState", facts.system_state.clone());
    if managed {
        p.usec("DefaultTimerAccuracyUSec", Usec::secs(60));
    }
    p.usec("DefaultTimeoutStartUSec", facts.timeout_start);
    p.usec("DefaultTimeoutStopUSec", facts.timeout_stop);
    if managed {
        p.usec("DefaultTimeoutAbortUSec", facts.timeout_abort);
        p.usec("DefaultDeviceTimeoutUSec", Usec::secs(90));
    }
    p.usec("DefaultRestartUSec", facts.restart);
    if !managed {
        return p.into_vec();
    }
    p.usec("DefaultStartLimitIntervalUSec", facts.start_limit_interval);
    p.add(
        "DefaultStartLimitBurst",
        facts.start_limit_burst.to_string(),
    );
    p.yes_no("DefaultCPUAccounting", true);
    p.yes_no("DefaultBlockIOAccounting", false);
    p.yes_no("DefaultMemoryAccounting", true);
    p.yes_no("DefaultTasksAccounting", true);
    limit_properties(&mut p, "Default", &facts.limits);
    p.add(
        "DefaultTasksMax",
        (system_tasks_max() * 15 / 100).to_string(),
    );
    p.add("TimerSlackNSec", "50000");
    p.add("DefaultOOMPolicy", "stop");
    p.add("DefaultOOMScoreAdjust", "0");
    p.add("CtrlAltDelBurstAction", "reboot-force");
    p.into_vec()
}
