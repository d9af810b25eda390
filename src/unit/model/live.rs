//! The properties a loaded unit takes at runtime (`systemctl set-property`, SetUnitProperties()):
//! systemd 252's src/core/dbus-unit.c `bus_unit_set_live_property()` (Description=) and
//! src/core/dbus-cgroup.c `bus_cgroup_set_property()` (the resource-control settings of the unit
//! types that have a cgroup), with their checks and the line each is written as by
//! src/core/unit.c `unit_write_setting()`: a drop-in `50-NAME.conf` under system.control (or the
//! runtime one), headed by 252's comment and the section.
//!
//! Values arrive typed, as the bus carries them ([`PropertyValue`]): systemctl's and systemd-run's
//! text (`MemoryMax=1G`) is turned into these by the client, as 252's bus-unit-util.c does, so the
//! manager sees one form whichever way the request came.

use serde::{Deserialize, Serialize};

use super::cgroup::{
    physical_memory_scale, valid_device_pattern, weight_range, CgroupSettings, CpuSet, LIMIT_MAX,
    WEIGHT_IDLE,
};
use crate::unit::name::UnitType;
use crate::unit::timespan::Usec;

/// A property's value, in the D-Bus type its property has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PropertyValue {
    Bool(bool),
    U32(u32),
    U64(u64),
    Str(String),
    /// `ay`
    Bytes(Vec<u8>),
    /// `a(ss)`
    Pairs(Vec<(String, String)>),
    /// `as`
    Strs(Vec<String>),
    /// A value of a type no live property takes (an `ExecStart=` command line): the property
    /// is refused by name.
    Other,
}

/// Why a property was not set: systemd's D-Bus error, named as 252 names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    #[error("Cannot set property {0}, or unknown property.")]
    ReadOnly(String),
    #[error("Value specified in {0} is out of range")]
    OutOfRange(String),
    #[error("{0}")]
    InvalidArgs(String),
    #[error("{0}")]
    BadSetting(String),
}

impl LiveError {
    /// The D-Bus error name 252 answers with.
    pub fn bus_name(&self) -> &'static str {
        match self {
            LiveError::ReadOnly(_) => "org.freedesktop.DBus.Error.PropertyReadOnly",
            LiveError::OutOfRange(_) | LiveError::InvalidArgs(_) => {
                "org.freedesktop.DBus.Error.InvalidArgs"
            }
            LiveError::BadSetting(_) => "org.freedesktop.systemd1.BadUnitSetting",
        }
    }
}

/// One property as unit_write_setting() writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The drop-in's name: `50-{name}.conf`.
    pub name: String,
    /// In the type's own section ([Service], [Slice], …) rather than [Unit].
    pub private: bool,
    /// The assignment lines.
    pub lines: String,
}

impl Written {
    pub fn file_name(&self) -> String {
        format!("50-{}.conf", self.name)
    }

    /// The whole drop-in, as unit_write_setting() wraps the lines.
    pub fn file_text(&self, t: UnitType) -> String {
        format!(
            "# This is a drop-in unit file extension, created via \"systemctl set-property\"\n\
             # or an equivalent operation. Do not edit.\n[{}]\n{}\n",
            self.section(t),
            self.lines
        )
    }

    pub fn section(&self, t: UnitType) -> &'static str {
        if self.private {
            private_section(t)
        } else {
            "Unit"
        }
    }
}

/// unit_vtable[]'s `private_section`.
pub fn private_section(t: UnitType) -> &'static str {
    match t {
        UnitType::Service => "Service",
        UnitType::Socket => "Socket",
        UnitType::Mount => "Mount",
        UnitType::Swap => "Swap",
        UnitType::Slice => "Slice",
        UnitType::Scope => "Scope",
        UnitType::Timer => "Timer",
        UnitType::Path => "Path",
        UnitType::Automount => "Automount",
        UnitType::Target | UnitType::Device => "Unit",
    }
}

/// The unit types with a cgroup context (unit_vtable[]'s `cgroup_context_offset`).
pub fn has_cgroup(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service
            | UnitType::Socket
            | UnitType::Mount
            | UnitType::Swap
            | UnitType::Slice
            | UnitType::Scope
    )
}

/// Property `name` set to `value` on a unit of type `t` whose settings are `current`: what is
/// written (nothing for `Markers`, which 252 keeps in memory only), or why it cannot be set.
pub fn live_setting(
    t: UnitType,
    current: &CgroupSettings,
    name: &str,
    value: &PropertyValue,
) -> Result<Option<Written>, LiveError> {
    if name == "Markers" {
        return markers(value).map(|()| None);
    }
    cgroup_or_description(t, current, name, value).map(Some)
}

/// bus_unit_set_live_property()'s Markers: `needs-reload`/`needs-restart`, each with `+` or `-`,
/// or all without. Checked and accepted; this manager keeps no markers, so `--marked` finds
/// none (see README).
fn markers(value: &PropertyValue) -> Result<(), LiveError> {
    let PropertyValue::Strs(words) = value else {
        return Err(LiveError::InvalidArgs(
            "Invalid value for property Markers.".into(),
        ));
    };
    let (mut relative, mut absolute) = (false, false);
    for word in words {
        let bare = match word.strip_prefix(['+', '-']) {
            Some(bare) => {
                relative = true;
                bare
            }
            None => {
                absolute = true;
                word.as_str()
            }
        };
        if !["needs-reload", "needs-restart"].contains(&bare) {
            return Err(LiveError::BadSetting(format!("Unknown marker \"{bare}\".")));
        }
    }
    if relative && absolute {
        return Err(LiveError::BadSetting("Bad marker syntax.".into()));
    }
    Ok(())
}

fn cgroup_or_description(
    t: UnitType,
    current: &CgroupSettings,
    name: &str,
    value: &PropertyValue,
) -> Result<Written, LiveError> {
    let bad_type = || LiveError::InvalidArgs(format!("Invalid value for property {name}."));
    let write = |file: &str, lines: String| {
        Ok(Written {
            name: file.to_string(),
            private: true,
            lines,
        })
    };
    if name == "Description" {
        let PropertyValue::Str(d) = value else {
            return Err(bad_type());
        };
        // a newline would end the setting and start another (252 writes it as is)
        if d.contains(['\n', '\r']) {
            return Err(bad_type());
        }
        return Ok(Written {
            name: name.into(),
            private: false,
            lines: format!("Description={}", d.replace('%', "%%")),
        });
    }
    if !has_cgroup(t) {
        return Err(LiveError::ReadOnly(name.into()));
    }
    let out_of_range = || LiveError::OutOfRange(name.into());
    let u64_value = || match value {
        PropertyValue::U64(v) => Ok(*v),
        _ => Err(bad_type()),
    };
    let u32_value = || match value {
        PropertyValue::U32(v) => Ok(*v),
        _ => Err(bad_type()),
    };
    match name {
        "CPUAccounting" | "IOAccounting" | "BlockIOAccounting" | "MemoryAccounting"
        | "TasksAccounting" | "IPAccounting" => {
            let PropertyValue::Bool(b) = value else {
                return Err(bad_type());
            };
            write(name, format!("{name}={}", if *b { "yes" } else { "no" }))
        }
        "CPUWeight"
        | "StartupCPUWeight"
        | "IOWeight"
        | "StartupIOWeight"
        | "CPUShares"
        | "StartupCPUShares"
        | "BlockIOWeight"
        | "StartupBlockIOWeight" => {
            let v = u64_value()?;
            let (min, max) = weight_range(name);
            let idle = v == WEIGHT_IDLE && name.ends_with("CPUWeight");
            if v != u64::MAX && !(min..=max).contains(&v) && !idle {
                return Err(out_of_range());
            }
            let shown = match v {
                u64::MAX => String::new(),
                _ if idle => "idle".into(),
                v => v.to_string(),
            };
            write(name, format!("{name}={shown}"))
        }
        "MemoryMin" | "MemoryLow" | "DefaultMemoryMin" | "DefaultMemoryLow" | "MemoryHigh"
        | "MemoryMax" | "MemorySwapMax" | "MemoryLimit" => {
            let v = u64_value()?;
            if v < memory_minimum(name) {
                return Err(out_of_range());
            }
            let shown = if v == LIMIT_MAX {
                "infinity".to_string()
            } else {
                v.to_string()
            };
            write(name, format!("{name}={shown}"))
        }
        "MemoryMinScale"
        | "MemoryLowScale"
        | "DefaultMemoryMinScale"
        | "DefaultMemoryLowScale"
        | "MemoryHighScale"
        | "MemoryMaxScale"
        | "MemorySwapMaxScale"
        | "MemoryLimitScale" => {
            let raw = u32_value()?;
            let key = &name[..name.len() - "Scale".len()];
            let bytes = physical_memory_scale(u64::from(raw), u64::from(u32::MAX));
            if bytes < memory_minimum(key) || bytes == LIMIT_MAX {
                return Err(out_of_range());
            }
            let p = scale_to_permyriad(raw);
            write(name, format!("{key}={}.{:02}%", p / 100, p % 100))
        }
        "TasksMax" => {
            let v = u64_value()?;
            if v < 1 {
                return Err(out_of_range());
            }
            let shown = if v == LIMIT_MAX {
                "infinity".to_string()
            } else {
                v.to_string()
            };
            write(name, format!("TasksMax={shown}"))
        }
        "TasksMaxScale" => {
            let v = u32_value()?;
            if v < 1 || v == u32::MAX {
                return Err(out_of_range());
            }
            // as the memory percentages are written: 252 writes a tenth of the value asked
            // here (percent printed as permille: "TasksMax=1.1%" for 10%), which a reload
            // would then apply; see README's "Where we differ"
            let p = scale_to_permyriad(v);
            write(name, format!("TasksMax={}.{:02}%", p / 100, p % 100))
        }
        "CPUQuotaPerSecUSec" => {
            let v = u64_value()?;
            if v == 0 {
                return Err(LiveError::InvalidArgs(
                    "CPUQuotaPerSecUSec= value out of range".into(),
                ));
            }
            let shown = if v == u64::MAX {
                String::new()
            } else {
                format!("{}%", v / 10_000)
            };
            write("CPUQuota", format!("CPUQuota={shown}"))
        }
        "CPUQuotaPeriodUSec" => {
            let v = u64_value()?;
            let shown = if v == u64::MAX {
                String::new()
            } else {
                Usec(v).to_string()
            };
            write("CPUQuotaPeriodSec", format!("CPUQuotaPeriodSec={shown}"))
        }
        "AllowedCPUs"
        | "StartupAllowedCPUs"
        | "AllowedMemoryNodes"
        | "StartupAllowedMemoryNodes" => {
            let PropertyValue::Bytes(bytes) = value else {
                return Err(bad_type());
            };
            let set = CpuSet::from_bytes(bytes).to_range_string();
            write(name, format!("{name}=\n{name}={set}"))
        }
        "DevicePolicy" => {
            let PropertyValue::Str(policy) = value else {
                return Err(bad_type());
            };
            if !["auto", "closed", "strict"].contains(&policy.as_str()) {
                return Err(LiveError::InvalidArgs("Invalid argument".into()));
            }
            write(name, format!("DevicePolicy={policy}"))
        }
        "DeviceAllow" => {
            let PropertyValue::Pairs(entries) = value else {
                return Err(bad_type());
            };
            let mut list = current.clone();
            if entries.is_empty() {
                list.device_allow.clear();
            }
            for (path, access) in entries {
                if !valid_device_pattern(path) {
                    return Err(LiveError::InvalidArgs(
                        "DeviceAllow= requires device node or pattern".into(),
                    ));
                }
                if !access.chars().all(|c| "rwm".contains(c)) {
                    return Err(LiveError::InvalidArgs(
                        "DeviceAllow= requires combination of rwm flags".into(),
                    ));
                }
                list.apply("DeviceAllow", &format!("{path} {access}"));
            }
            let mut lines = "DeviceAllow=\n".to_string();
            for d in &list.device_allow {
                lines.push_str(&format!("DeviceAllow={} {}\n", d.path, d.access));
            }
            write(name, lines)
        }
        "ManagedOOMSwap" | "ManagedOOMMemoryPressure" | "ManagedOOMPreference" => {
            let PropertyValue::Str(mode) = value else {
                return Err(bad_type());
            };
            let words: &[&str] = if name == "ManagedOOMPreference" {
                &["none", "avoid", "omit"]
            } else {
                &["auto", "kill"]
            };
            if !words.contains(&mode.as_str()) {
                return Err(LiveError::InvalidArgs("Invalid argument".into()));
            }
            write(name, format!("{name}={mode}"))
        }
        _ => Err(LiveError::ReadOnly(name.into())),
    }
}

/// The least a memory setting takes: 1 byte for the limits, 0 for the protections and swap.
fn memory_minimum(name: &str) -> u64 {
    u64::from(matches!(name, "MemoryHigh" | "MemoryMax" | "MemoryLimit"))
}

/// UINT32_SCALE_TO_PERMYRIAD(), rounded to nearest.
fn scale_to_permyriad(scale: u32) -> u64 {
    (u64::from(scale) * 10_000 + u64::from(u32::MAX / 2)) / u64::from(u32::MAX)
}

/// UINT32_SCALE_FROM_PERMYRIAD(): what a client sends for a percentage.
pub fn scale_from_permyriad(permyriad: u32) -> u32 {
    let p = u64::from(permyriad.min(10_000));
    u32::try_from((p * u64::from(u32::MAX) + 5000) / 10_000).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(name: &str, value: PropertyValue) -> String {
        live_setting(UnitType::Service, &CgroupSettings::default(), name, &value)
            .expect("settable")
            .expect("written")
            .lines
    }

    #[test]
    fn properties_are_written_as_252_writes_them() {
        use PropertyValue::*;
        assert_eq!(lines("MemoryMax", U64(1 << 30)), "MemoryMax=1073741824");
        assert_eq!(lines("MemoryMax", U64(u64::MAX)), "MemoryMax=infinity");
        assert_eq!(
            lines("MemoryHighScale", U32(scale_from_permyriad(2500))),
            "MemoryHigh=25.00%"
        );
        assert_eq!(lines("CPUQuotaPerSecUSec", U64(200_000)), "CPUQuota=20%");
        assert_eq!(lines("CPUQuotaPerSecUSec", U64(u64::MAX)), "CPUQuota=");
        assert_eq!(
            lines("CPUQuotaPeriodUSec", U64(10_000)),
            "CPUQuotaPeriodSec=10ms"
        );
        assert_eq!(lines("CPUWeight", U64(0)), "CPUWeight=idle");
        assert_eq!(lines("IOWeight", U64(u64::MAX)), "IOWeight=");
        assert_eq!(
            lines("AllowedCPUs", Bytes(vec![1, 0, 0, 0, 0, 0, 0, 0])),
            "AllowedCPUs=\nAllowedCPUs=0"
        );
        assert_eq!(
            lines("TasksMaxScale", U32(scale_from_permyriad(1000))),
            "TasksMax=10.00%"
        );
        assert_eq!(
            lines(
                "DeviceAllow",
                Pairs(vec![("/dev/null".into(), "rw".into())])
            ),
            "DeviceAllow=\nDeviceAllow=/dev/null rw\n"
        );
        assert_eq!(
            lines("Description", Str("hi %i".into())),
            "Description=hi %%i"
        );
    }

    #[test]
    fn what_cannot_be_set_says_why() {
        let c = CgroupSettings::default();
        let err = |t, name: &str, v| live_setting(t, &c, name, &v).unwrap_err().to_string();
        assert_eq!(
            err(UnitType::Service, "ExecStart", PropertyValue::U64(1)),
            "Cannot set property ExecStart, or unknown property."
        );
        assert_eq!(
            err(UnitType::Target, "TasksMax", PropertyValue::U64(5)),
            "Cannot set property TasksMax, or unknown property."
        );
        assert_eq!(
            err(UnitType::Service, "TasksMax", PropertyValue::U64(0)),
            "Value specified in TasksMax is out of range"
        );
        assert_eq!(
            err(UnitType::Service, "CPUShares", PropertyValue::U64(1)),
            "Value specified in CPUShares is out of range"
        );
        assert_eq!(lines("CPUWeight", PropertyValue::U64(0)), "CPUWeight=idle");
    }
}
