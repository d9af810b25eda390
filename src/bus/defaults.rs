//! What systemd 252 answers for a property our property tables do not give: its value for a
//! unit of each type that sets nothing (and for the manager), captured from systemd 252 itself
//! with `systemctl show --all` (the files in `defaults/`, with what names the captured unit
//! or its run left out) and read with the property's type like any `show` value.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::unit::name::UnitType;

type Defaults = HashMap<&'static str, &'static str>;

fn parse(text: &'static str) -> Defaults {
    text.lines().filter_map(|l| l.split_once('=')).collect()
}

const UNIT_DEFAULTS: [(UnitType, &str); 11] = [
    (UnitType::Service, include_str!("defaults/service.txt")),
    (UnitType::Socket, include_str!("defaults/socket.txt")),
    (UnitType::Timer, include_str!("defaults/timer.txt")),
    (UnitType::Path, include_str!("defaults/path.txt")),
    (UnitType::Target, include_str!("defaults/target.txt")),
    (UnitType::Scope, include_str!("defaults/scope.txt")),
    (UnitType::Slice, include_str!("defaults/slice.txt")),
    (UnitType::Mount, include_str!("defaults/mount.txt")),
    (UnitType::Device, include_str!("defaults/device.txt")),
    (UnitType::Automount, include_str!("defaults/automount.txt")),
    (UnitType::Swap, include_str!("defaults/swap.txt")),
];

/// The defaults of a unit of type `kind`.
pub fn unit(kind: UnitType) -> &'static Defaults {
    static ALL: OnceLock<HashMap<UnitType, Defaults>> = OnceLock::new();
    static NONE: OnceLock<Defaults> = OnceLock::new();
    ALL.get_or_init(|| {
        UNIT_DEFAULTS
            .iter()
            .map(|(kind, text)| (*kind, parse(text)))
            .collect()
    })
    .get(&kind)
    .unwrap_or_else(|| NONE.get_or_init(Defaults::new))
}

/// The manager's.
pub fn manager() -> &'static Defaults {
    static MANAGER: OnceLock<Defaults> = OnceLock::new();
    MANAGER.get_or_init(|| parse(include_str!("defaults/manager.txt")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_has_systemds_values_for_a_unit_that_sets_nothing() {
        assert_eq!(unit(UnitType::Service).get("MountFlags"), Some(&""));
        assert_eq!(
            unit(UnitType::Service).get("KillMode"),
            Some(&"control-group")
        );
        assert_eq!(
            unit(UnitType::Scope).get("RuntimeMaxUSec"),
            Some(&"infinity")
        );
        assert_eq!(manager().get("LogLevel"), Some(&"info"));
        // what names the captured unit is not a default
        assert!(unit(UnitType::Service).get("Id").is_none());
    }
}
