//! The manager's unit table, as systemd's `Manager.units` hashmap and unit.c's
//! `unit_add_name()`/`unit_free()` keep it: every loaded unit once, found under each of its
//! names (aliases included), and collected when it is down and nothing needs it (systemd's
//! `manager_dispatch_gc_unit_queue()`). Units are named by [`UnitId`]: a slot of the table with
//! the generation of the unit that holds it, so an id kept past its unit's collection (in a
//! deadline, a watch, a socket's link) resolves to nothing rather than to the next unit given
//! the slot.

use std::collections::HashMap;

use super::unit::Unit;
use super::unit_id::{UnitId, SLOT_BITS};

struct Slot {
    generation: u32,
    unit: Option<Unit>,
}

/// The units, their names and what waits to be collected.
#[derive(Default)]
pub struct UnitTable {
    slots: Vec<Slot>,
    names: HashMap<String, UnitId>,
    /// Slots of collected units, given to the next unit inserted.
    free: Vec<u32>,
    /// Units to collect once the batch of events that stopped them is handled.
    collect_queue: Vec<UnitId>,
}

impl UnitTable {
    pub fn get(&self, id: UnitId) -> Option<&Unit> {
        self.slots
            .get(id.slot as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.unit.as_ref())
    }

    pub fn get_mut(&mut self, id: UnitId) -> Option<&mut Unit> {
        self.slots
            .get_mut(id.slot as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.unit.as_mut())
    }

    /// Whether `id` still names a unit of the table.
    pub fn contains(&self, id: UnitId) -> bool {
        self.get(id).is_some()
    }

    /// The unit known by `name` (its id or an alias).
    pub fn lookup(&self, name: &str) -> Option<UnitId> {
        self.names.get(name).copied()
    }

    /// Put `unit` in the table under each of its names, in a free slot if there is one.
    pub fn insert(&mut self, unit: Unit) -> UnitId {
        let names = unit.config.names.clone();
        let id = match self.free.pop() {
            Some(slot) => {
                let s = &mut self.slots[slot as usize];
                // A new generation: ids of the slot's earlier units no longer resolve.
                s.generation = s.generation.wrapping_add(1);
                s.unit = Some(unit);
                UnitId {
                    slot,
                    generation: s.generation,
                }
            }
            None => {
                let slot = self.slots.len() as u32;
                debug_assert!(slot < 1 << SLOT_BITS, "unit table full");
                self.slots.push(Slot {
                    generation: 0,
                    unit: Some(unit),
                });
                UnitId {
                    slot,
                    generation: 0,
                }
            }
        };
        for n in names {
            self.names.insert(n, id);
        }
        id
    }

    /// Another name for unit `id` (an alias found by loading it under that name, or a name
    /// its reloaded configuration gives it).
    pub fn add_name(&mut self, name: &str, id: UnitId) {
        self.names.insert(name.to_string(), id);
    }

    /// The ids of the units, in slot order; a list, so the caller may change the table meanwhile.
    pub fn ids(&self) -> Vec<UnitId> {
        self.iter().map(|(id, _)| id).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (UnitId, &Unit)> {
        self.slots.iter().enumerate().filter_map(|(slot, s)| {
            s.unit.as_ref().map(|u| {
                let id = UnitId {
                    slot: slot as u32,
                    generation: s.generation,
                };
                (id, u)
            })
        })
    }

    pub fn values(&self) -> impl Iterator<Item = &Unit> {
        self.slots.iter().filter_map(|s| s.unit.as_ref())
    }

    /// How many slots the table has, units and free slots together.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Collect unit `id` after this batch (systemd's `unit_add_to_gc_queue()`).
    pub fn collect_later(&mut self, id: UnitId) {
        if !self.collect_queue.contains(&id) {
            self.collect_queue.push(id);
        }
    }

    /// Whether any unit waits to be looked at by [`UnitTable::collect`].
    pub fn has_queued(&self) -> bool {
        !self.collect_queue.is_empty()
    }

    pub fn is_queued(&self, id: UnitId) -> bool {
        self.collect_queue.contains(&id)
    }

    /// Drop the queued units `may_go` lets go: their names are forgotten and their slots freed
    /// for reuse. Returns the units dropped.
    pub fn collect(&mut self, may_go: impl Fn(UnitId, &Unit) -> bool) -> Vec<Unit> {
        let mut gone = Vec::new();
        for id in std::mem::take(&mut self.collect_queue) {
            if !self.get(id).is_some_and(|u| may_go(id, u)) {
                continue;
            }
            let Some(unit) = self.slots[id.slot as usize].unit.take() else {
                continue;
            };
            self.names.retain(|_, k| *k != id);
            self.free.push(id.slot);
            gone.push(unit);
        }
        gone
    }
}

impl std::ops::Index<UnitId> for UnitTable {
    type Output = Unit;

    /// The unit `id` names. The manager indexes only with ids it holds for units it has not
    /// collected; ids kept across events (deadlines, watches) are checked with [`UnitTable::get`].
    fn index(&self, id: UnitId) -> &Unit {
        self.get(id)
            .unwrap_or_else(|| panic!("unit {id:?} is no longer in the table"))
    }
}

impl std::ops::IndexMut<UnitId> for UnitTable {
    fn index_mut(&mut self, id: UnitId) -> &mut Unit {
        self.get_mut(id)
            .unwrap_or_else(|| panic!("unit {id:?} is no longer in the table"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manager::config::ManagerConfig;
    use crate::unit::model::{LoadState, UnitConfig};
    use crate::unit::name::UnitType;

    fn unit(id: &str, aliases: &[&str]) -> Unit {
        let mut config = UnitConfig::empty(id, UnitType::Service, LoadState::Loaded);
        config.names.extend(aliases.iter().map(|a| a.to_string()));
        Unit::new(config, &ManagerConfig::default())
    }

    #[test]
    fn units_are_found_by_every_name() {
        let mut table = UnitTable::default();
        let a = table.insert(unit("a.service", &["alias.service"]));
        let b = table.insert(unit("b.service", &[]));
        table.add_name("other.service", b);
        assert_eq!(table.lookup("a.service"), Some(a));
        assert_eq!(table.lookup("alias.service"), Some(a));
        assert_eq!(table.lookup("other.service"), Some(b));
        assert_eq!(table.lookup("c.service"), None);
        assert_eq!(table[b].config.id, "b.service");
        assert_eq!(table.ids(), vec![a, b]);
    }

    #[test]
    fn a_collected_slot_is_reused_and_the_old_id_is_stale() {
        let mut table = UnitTable::default();
        let a = table.insert(unit("a.service", &["alias.service"]));
        let b = table.insert(unit("b.service", &[]));
        table.collect_later(a);
        let gone = table.collect(|_, _| true);
        assert_eq!(gone.len(), 1);
        assert!(table.get(a).is_none());
        assert_eq!(table.lookup("a.service"), None);
        assert_eq!(table.lookup("alias.service"), None);
        assert_eq!(table.ids(), vec![b]);

        let c = table.insert(unit("c.service", &[]));
        assert_eq!(table.slots(), 2, "the free slot is reused");
        assert_ne!(a, c);
        assert!(table.get(a).is_none(), "a stale id resolves to nothing");
        assert!(table.get_mut(a).is_none());
        assert_eq!(table[c].config.id, "c.service");
        assert_eq!(UnitId::unpack(c.pack()), c);
        assert!(table.get(UnitId::unpack(a.pack())).is_none());
    }

    #[test]
    fn collection_keeps_what_may_not_go() {
        let mut table = UnitTable::default();
        let a = table.insert(unit("a.service", &[]));
        table.collect_later(a);
        table.collect_later(a);
        assert!(table.collect(|_, _| false).is_empty());
        assert!(table.contains(a));
        // The queue was emptied: a unit is collected only when asked for again.
        assert!(table.collect(|_, _| true).is_empty());
        assert!(table.contains(a));
    }
}
