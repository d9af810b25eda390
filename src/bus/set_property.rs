//! SetUnitProperties() and the Unit object's SetProperties() (systemd 252's
//! src/core/dbus-manager.c `method_set_unit_properties()`, dbus-unit.c
//! `bus_unit_method_set_properties()`): the `a(sv)` turned into typed values the manager checks
//! and writes (src/manager/control/set_property.rs); and, for the clients, the resource-control
//! assignments `systemctl set-property` and `systemd-run -p` take as text turned into the `(sv)`
//! pairs 252's src/shared/bus-unit-util.c `bus_append_cgroup_property()` sends.

use zbus::zvariant::{OwnedValue, Value};

use super::dispatch::{Call, Session};
use super::MethodError;
use crate::ipc::protocol::{Reply, Request};
use crate::unit::model::cgroup::{weight_range, CpuSet, LIMIT_MAX, WEIGHT_IDLE};
use crate::unit::model::live::{scale_from_permyriad, PropertyValue};
use crate::unit::size::{parse_iec_size, parse_permyriad, parse_permyriad_unbounded};
use crate::unit::timespan::parse_sec;

/// SetUnitProperties(name, runtime, properties).
pub fn set(
    call: &Call,
    session: &mut Session,
    unit: &str,
    runtime: bool,
    properties: Vec<(String, OwnedValue)>,
) -> Result<(), MethodError> {
    let properties = typed(&properties);
    let request = Request::SetUnitProperties {
        unit: unit.to_string(),
        runtime,
        properties,
    };
    match session.link.ask(call.caller(), &request)? {
        Reply::Done => call.reply(&()),
        _ => Err(MethodError::failed("Unexpected answer from the manager.")),
    }
}

/// Each `(sv)` as the manager takes it.
fn typed(properties: &[(String, OwnedValue)]) -> Vec<(String, PropertyValue)> {
    properties
        .iter()
        .map(|(name, value)| (name.clone(), property_value(value)))
        .collect()
}

/// A value in the form the manager checks; one of a shape no live property has is `Other`,
/// which the manager refuses by the property's name, as 252 does.
pub fn property_value(value: &Value<'_>) -> PropertyValue {
    let other = PropertyValue::Other;
    match value {
        Value::Value(inner) => property_value(inner),
        Value::Bool(b) => PropertyValue::Bool(*b),
        Value::U32(n) => PropertyValue::U32(*n),
        Value::U64(n) => PropertyValue::U64(*n),
        Value::Str(s) => PropertyValue::Str(s.to_string()),
        Value::Array(a) if a.element_signature().to_string() == "y" => {
            let bytes = a.inner().iter().map(|v| match v {
                Value::U8(b) => Some(*b),
                _ => None,
            });
            bytes
                .collect::<Option<Vec<u8>>>()
                .map_or(other, PropertyValue::Bytes)
        }
        Value::Array(a) if a.element_signature().to_string() == "s" => {
            let words = a.inner().iter().map(|v| match v {
                Value::Str(s) => Some(s.to_string()),
                _ => None,
            });
            words
                .collect::<Option<Vec<_>>>()
                .map_or(other, PropertyValue::Strs)
        }
        Value::Array(a) if a.element_signature().to_string() == "(ss)" => {
            let pairs = a.inner().iter().map(|v| match v {
                Value::Structure(s) => match s.fields() {
                    [Value::Str(a), Value::Str(b)] => Some((a.to_string(), b.to_string())),
                    _ => None,
                },
                _ => None,
            });
            pairs
                .collect::<Option<Vec<_>>>()
                .map_or(other, PropertyValue::Pairs)
        }
        _ => other,
    }
}

/// bus_append_cgroup_property(): `KEY=VALUE` of a resource-control setting as the `(sv)` pairs
/// a client sends; `None` when `key` is not one.
pub fn cgroup_assignment(
    key: &str,
    value: &str,
) -> Option<Result<(String, Value<'static>), String>> {
    let failed =
        |e: std::io::Error| format!("Failed to parse {key}={value}: {}", crate::errno::text(&e));
    let range = || format!("Failed to parse {key}={value}: Numerical result out of range");
    let invalid = || format!("Failed to parse {key}={value}: Invalid argument");
    let pair = |v: Value<'static>| Ok((key.to_string(), v));
    Some(match key {
        "DevicePolicy" | "ManagedOOMSwap" | "ManagedOOMMemoryPressure" | "ManagedOOMPreference" => {
            pair(Value::from(value.to_string()))
        }
        "CPUAccounting" | "MemoryAccounting" | "IOAccounting" | "BlockIOAccounting"
        | "TasksAccounting" | "IPAccounting" => match crate::unit::syntax::parse_boolean(value) {
            Some(b) => pair(Value::from(b)),
            None => Err(invalid()),
        },
        "CPUWeight"
        | "StartupCPUWeight"
        | "IOWeight"
        | "StartupIOWeight"
        | "CPUShares"
        | "StartupCPUShares"
        | "BlockIOWeight"
        | "StartupBlockIOWeight" => {
            let (min, max) = weight_range(key);
            if value.is_empty() {
                pair(Value::from(u64::MAX))
            } else if value == "idle" && key.ends_with("CPUWeight") {
                pair(Value::from(WEIGHT_IDLE))
            } else {
                match value.parse::<u64>() {
                    Ok(n) if (min..=max).contains(&n) => pair(Value::from(n)),
                    Ok(_) => Err(range()),
                    Err(_) => Err(invalid()),
                }
            }
        }
        "AllowedCPUs"
        | "StartupAllowedCPUs"
        | "AllowedMemoryNodes"
        | "StartupAllowedMemoryNodes" => match CpuSet::parse(value) {
            Some(set) => pair(Value::from(set.to_bytes())),
            None => Err(format!("Failed to parse {key} value: {value}")),
        },
        "MemoryMin" | "DefaultMemoryLow" | "DefaultMemoryMin" | "MemoryLow" | "MemoryHigh"
        | "MemoryMax" | "MemorySwapMax" | "MemoryLimit" | "TasksMax" => {
            let protection = matches!(
                key,
                "DefaultMemoryLow" | "DefaultMemoryMin" | "MemoryLow" | "MemoryMin"
            );
            if value == "infinity" {
                pair(Value::from(LIMIT_MAX))
            } else if value.is_empty() {
                pair(Value::from(if protection { 0 } else { LIMIT_MAX }))
            } else if let Some(p) = parse_permyriad(value) {
                Ok((format!("{key}Scale"), Value::from(scale_from_permyriad(p))))
            } else if key == "TasksMax" {
                match value.parse::<u64>() {
                    Ok(n) => pair(Value::from(n)),
                    Err(_) => Err(invalid()),
                }
            } else {
                match parse_iec_size(value) {
                    Ok(n) => pair(Value::from(n)),
                    Err(e) => Err(failed(e)),
                }
            }
        }
        "CPUQuota" => {
            let usec = if value.is_empty() {
                Ok(u64::MAX)
            } else {
                match parse_permyriad_unbounded(value) {
                    Some(0) => Err("CPU quota too small.".to_string()),
                    Some(p) => Ok(u64::from(p) * 1_000_000 / 10_000),
                    None => Err(format!("CPU quota '{value}' invalid.")),
                }
            };
            usec.map(|u| ("CPUQuotaPerSecUSec".to_string(), Value::from(u)))
        }
        "CPUQuotaPeriodSec" => {
            let usec = if value.is_empty() {
                Ok(u64::MAX)
            } else {
                parse_sec(value).map(|u| u.0)
            };
            match usec {
                Ok(u) => Ok(("CPUQuotaPeriodUSec".to_string(), Value::from(u))),
                Err(_) => Err(format!("CPU quota period '{value}' invalid.")),
            }
        }
        "Delegate" => match crate::unit::syntax::parse_boolean(value) {
            Some(b) => pair(Value::from(b)),
            None => {
                let controllers: Vec<String> = value.split_whitespace().map(String::from).collect();
                Ok(("DelegateControllers".to_string(), Value::from(controllers)))
            }
        },
        "DisableControllers" => {
            let controllers: Vec<String> = value.split_whitespace().map(String::from).collect();
            pair(Value::from(controllers))
        }
        "DeviceAllow" => {
            let entries: Vec<(String, String)> = if value.is_empty() {
                Vec::new()
            } else {
                let (path, access) = value.split_once(' ').unwrap_or((value, ""));
                vec![(path.to_string(), access.to_string())]
            };
            pair(Value::from(entries))
        }
        _ => return None,
    })
}
