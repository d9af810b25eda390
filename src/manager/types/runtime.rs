//! The runtime state only one unit type has, as systemd's `Unit` is the head of a per-type
//! object (`Socket`, `Timer`, …, see src/core/unit.h's `UNIT_VTABLE` casts): a unit carries its
//! own type's runtime and nothing of the others'. A timer's and a target's runtime hold the
//! type's state; services and sockets run the service state machine, whose runtime
//! (`ServiceRuntime`, with the fields unit.c keeps for every unit: the start limit, the
//! invocation id, the condition results) stays beside it on the unit.

use super::socket::ports::SocketRuntime;
use super::target::TargetState;
use super::timer::TimerRuntime;
use crate::unit::name::UnitType;

/// A unit's type-specific runtime, mirroring the configuration's `TypeSection`.
#[derive(Debug)]
pub enum TypeRuntime {
    Socket(SocketRuntime),
    Timer(TimerRuntime),
    /// Targets and the other types without processes: their state alone.
    Target(TargetState),
    /// Services: nothing beyond the service state machine.
    Service,
}

impl TypeRuntime {
    /// The empty runtime of a unit of this type, as it is when the unit is created.
    pub fn of(unit_type: UnitType) -> TypeRuntime {
        match unit_type {
            UnitType::Socket => TypeRuntime::Socket(SocketRuntime::default()),
            UnitType::Timer => TypeRuntime::Timer(TimerRuntime::default()),
            UnitType::Service => TypeRuntime::Service,
            _ => TypeRuntime::Target(TargetState::default()),
        }
    }

    /// Whether this runtime is the one a unit of this type carries.
    pub fn fits(&self, unit_type: UnitType) -> bool {
        match self {
            TypeRuntime::Socket(_) => unit_type == UnitType::Socket,
            TypeRuntime::Timer(_) => unit_type == UnitType::Timer,
            TypeRuntime::Service => unit_type == UnitType::Service,
            TypeRuntime::Target(_) => !matches!(
                unit_type,
                UnitType::Service | UnitType::Socket | UnitType::Timer
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_gets_its_own_runtime_and_fits_only_its_type() {
        let types = [
            UnitType::Service,
            UnitType::Socket,
            UnitType::Timer,
            UnitType::Target,
            UnitType::Slice,
        ];
        for t in types {
            let rt = TypeRuntime::of(t);
            for other in types {
                let own = |u: UnitType| {
                    matches!(u, UnitType::Service | UnitType::Socket | UnitType::Timer)
                };
                let same_kind = other == t || !own(t) && !own(other);
                assert_eq!(rt.fits(other), same_kind, "{t:?} runtime on a {other:?}");
            }
        }
        assert!(matches!(
            TypeRuntime::of(UnitType::Socket),
            TypeRuntime::Socket(_)
        ));
        assert!(matches!(
            TypeRuntime::of(UnitType::Timer),
            TypeRuntime::Timer(_)
        ));
        assert!(matches!(
            TypeRuntime::of(UnitType::Service),
            TypeRuntime::Service
        ));
        assert!(matches!(
            TypeRuntime::of(UnitType::Slice),
            TypeRuntime::Target(TargetState::Dead)
        ));
    }
}
