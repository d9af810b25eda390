//! Targets (target.c), and for now every other type without processes of its own (slices,
//! scopes, paths, devices, mounts as the manager sees them): a state that is active or dead,
//! changed by jobs without running anything.

use super::vtable::UnitVTable;

pub(super) struct TargetVTable;

pub(super) static TARGET_VTABLE: TargetVTable = TargetVTable;

impl UnitVTable for TargetVTable {}
