//! Which sections a unit of each type reads, and the settings systemd 252 knows that we keep raw
//! without acting on them (so they are not "unknown").

use crate::unit::name::UnitType;

/// The sections a unit of this type reads; others get one "Unknown section" warning.
pub fn section_is_known(unit_type: UnitType, section: &str) -> bool {
    let own = match unit_type {
        UnitType::Service => "Service",
        UnitType::Socket => "Socket",
        UnitType::Timer => "Timer",
        UnitType::Path => "Path",
        UnitType::Mount => "Mount",
        UnitType::Automount => "Automount",
        UnitType::Swap => "Swap",
        UnitType::Slice => "Slice",
        UnitType::Scope => "Scope",
        UnitType::Target | UnitType::Device => "Unit",
    };
    section == "Unit" || section == "Install" || section == own
}

/// Settings of systemd 252 that we keep raw without acting on them: no warning for these.
pub(super) fn known_unmodeled(unit_type: UnitType, section: &str, key: &str) -> bool {
    let exec_like = matches!(
        (unit_type, section),
        (UnitType::Service, "Service")
            | (UnitType::Socket, "Socket")
            | (UnitType::Mount, "Mount")
            | (UnitType::Swap, "Swap")
            | (UnitType::Slice, "Slice")
            | (UnitType::Scope, "Scope")
    );
    if exec_like && (EXEC_KEYS.contains(&key) || key.starts_with("Limit")) {
        return true;
    }
    let own = match (unit_type, section) {
        (_, "Unit") => UNIT_KEYS,
        (_, "Install") => &[][..],
        (UnitType::Service, "Service") => SERVICE_KEYS,
        (UnitType::Timer, "Timer") => TIMER_KEYS,
        (UnitType::Path, "Path") => PATH_KEYS,
        (UnitType::Mount, "Mount") => MOUNT_KEYS,
        (UnitType::Automount, "Automount") => AUTOMOUNT_KEYS,
        (UnitType::Swap, "Swap") => SWAP_KEYS,
        _ => &[][..],
    };
    own.contains(&key)
}

/// Also: the settings systemd 252 still parses only to say they are gone are not listed, so they
/// warn as unknown (systemd words those differently).
const UNIT_KEYS: &[&str] = &[
    "Names",
    "OnFailureIsolate",
    "IgnoreDependencyFailure",
    "JobTimeoutRebootArgument",
    "StartLimitIntervalSec",
    "FailureActionExitStatus",
    "SuccessActionExitStatus",
    "RebootArgument",
];

const SERVICE_KEYS: &[&str] = &[
    "PermissionsStartOnly",
    "RootDirectoryStartOnly",
    "TimeoutStartFailureMode",
    "TimeoutStopFailureMode",
    "RuntimeRandomizedExtraSec",
    "RebootArgument",
    "SysVStartPriority",
    "USBFunctionDescriptors",
    "USBFunctionStrings",
];

const TIMER_KEYS: &[&str] = &["OnClockChange", "OnTimezoneChange"];

const PATH_KEYS: &[&str] = &["TriggerLimitIntervalSec", "TriggerLimitBurst"];

const MOUNT_KEYS: &[&str] = &[
    "What",
    "Where",
    "Type",
    "Options",
    "SloppyOptions",
    "LazyUnmount",
    "ReadWriteOnly",
    "ForceUnmount",
    "DirectoryMode",
    "TimeoutSec",
];

const AUTOMOUNT_KEYS: &[&str] = &["Where", "ExtraOptions", "DirectoryMode", "TimeoutIdleSec"];

const SWAP_KEYS: &[&str] = &["What", "Priority", "Options", "TimeoutSec"];

/// systemd.exec(5), systemd.kill(5) and systemd.resource-control(5) settings we keep raw.
const EXEC_KEYS: &[&str] = &[
    "AmbientCapabilities",
    "AppArmorProfile",
    "BindPaths",
    "BindReadOnlyPaths",
    "BlockIOAccounting",
    "BlockIODeviceWeight",
    "BlockIOReadBandwidth",
    "BlockIOWeight",
    "BlockIOWriteBandwidth",
    "CPUAccounting",
    "CPUAffinity",
    "CPUQuota",
    "CPUQuotaPeriodSec",
    "CPUSchedulingPolicy",
    "CPUSchedulingPriority",
    "CPUSchedulingResetOnFork",
    "CPUShares",
    "CPUWeight",
    "CacheDirectory",
    "CacheDirectoryMode",
    "CapabilityBoundingSet",
    "ConfigurationDirectory",
    "ConfigurationDirectoryMode",
    "CoredumpFilter",
    "Delegate",
    "DeviceAllow",
    "DevicePolicy",
    "DynamicUser",
    "ExecPaths",
    "IOAccounting",
    "IODeviceLatencyTargetSec",
    "IODeviceWeight",
    "IOReadBandwidthMax",
    "IOReadIOPSMax",
    "IOSchedulingClass",
    "IOSchedulingPriority",
    "IOWeight",
    "IOWriteBandwidthMax",
    "IOWriteIOPSMax",
    "IPAccounting",
    "IPAddressAllow",
    "IPAddressDeny",
    "IgnoreSIGPIPE",
    "InaccessibleDirectories",
    "InaccessiblePaths",
    "KeyringMode",
    "LoadCredential",
    "LoadCredentialEncrypted",
    "LockPersonality",
    "LogExtraFields",
    "LogLevelMax",
    "LogNamespace",
    "LogRateLimitBurst",
    "LogRateLimitIntervalSec",
    "LogsDirectory",
    "LogsDirectoryMode",
    "ManagedOOMMemoryPressure",
    "ManagedOOMMemoryPressureLimit",
    "ManagedOOMPreference",
    "ManagedOOMSwap",
    "MemoryAccounting",
    "MemoryDenyWriteExecute",
    "MemoryHigh",
    "MemoryLimit",
    "MemoryLow",
    "MemoryMax",
    "MemoryMin",
    "MemorySwapMax",
    "MountAPIVFS",
    "MountFlags",
    "NUMAMask",
    "NUMAPolicy",
    "NetworkNamespacePath",
    "Nice",
    "NoExecPaths",
    "NoNewPrivileges",
    "NonBlocking",
    "OOMScoreAdjust",
    "PAMName",
    "PassEnvironment",
    "Personality",
    "PrivateDevices",
    "PrivateIPC",
    "PrivateMounts",
    "PrivateNetwork",
    "PrivateTmp",
    "PrivateUsers",
    "ProcSubset",
    "ProtectClock",
    "ProtectControlGroups",
    "ProtectHome",
    "ProtectHostname",
    "ProtectKernelLogs",
    "ProtectKernelModules",
    "ProtectKernelTunables",
    "ProtectProc",
    "ProtectSystem",
    "ReadOnlyDirectories",
    "ReadOnlyPaths",
    "ReadWriteDirectories",
    "ReadWritePaths",
    "RemoveIPC",
    "RestartKillSignal",
    "RestrictAddressFamilies",
    "RestrictFileSystems",
    "RestrictNamespaces",
    "RestrictNetworkInterfaces",
    "RestrictRealtime",
    "RestrictSUIDSGID",
    "RootImage",
    "RootImageOptions",
    "RuntimeDirectoryMode",
    "RuntimeDirectoryPreserve",
    "SELinuxContext",
    "SecureBits",
    "SetCredential",
    "SetCredentialEncrypted",
    "SmackProcessLabel",
    "StandardInputData",
    "StandardInputText",
    "StartupCPUShares",
    "StartupCPUWeight",
    "StartupIOWeight",
    "StateDirectoryMode",
    "SyslogFacility",
    "SyslogLevel",
    "SyslogLevelPrefix",
    "SystemCallArchitectures",
    "SystemCallErrorNumber",
    "SystemCallFilter",
    "SystemCallLog",
    "TTYPath",
    "TTYReset",
    "TTYVHangup",
    "TTYVTDisallocate",
    "TasksAccounting",
    "TasksMax",
    "TemporaryFileSystem",
    "TimerSlackNSec",
    "UnsetEnvironment",
    "UtmpIdentifier",
    "UtmpMode",
    "WatchdogSignal",
    "CPUSchedulingResetOnFork",
    "ProtectKernelTunables",
    "AllowedCPUs",
    "AllowedMemoryNodes",
    "DisableControllers",
    "ExtensionImages",
    "ExtensionDirectories",
    "MountImages",
    "BPFProgram",
    "SocketBindAllow",
    "SocketBindDeny",
];
