//! How the manager names a unit of its table: a slot with the generation of the unit that holds
//! it (systemd names units by pointer and never reuses a freed one while referenced; a slot is
//! reused, so the generation tells a stale id from the unit that took the slot).

/// A unit of the table: its slot and which of the units that held the slot it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitId {
    // Slot first: ids order as their slots do, which is the order units were loaded in (until
    // a slot is reused), and the order jobs of a transaction are installed in.
    pub(super) slot: u32,
    pub(super) generation: u32,
}

/// Bits of a packed id that hold the slot: a table of 16 million units is beyond any machine.
pub(super) const SLOT_BITS: u32 = 24;

impl UnitId {
    /// The id as the number event tokens carry (56 bits: see `tokens::token`).
    pub fn pack(self) -> u64 {
        (u64::from(self.generation) << SLOT_BITS) | u64::from(self.slot)
    }

    /// The id [`UnitId::pack`] made; whether it still names a unit is the table's to say.
    pub fn unpack(packed: u64) -> UnitId {
        UnitId {
            slot: (packed & ((1 << SLOT_BITS) - 1)) as u32,
            generation: (packed >> SLOT_BITS) as u32,
        }
    }
}
