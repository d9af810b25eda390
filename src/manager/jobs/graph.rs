//! The unit graph the job engine reads, over one state of the unit table: the units a unit
//! names under a dependency and the units that name it (systemd's inverse dependencies, which
//! unit.c keeps as atoms of both units), the ordering edges in both directions with the After=
//! a target gets on what it pulls in (target.c's `target_add_default_dependencies()`), and the
//! search for an ordering cycle that transaction.c's `transaction_verify_order_one()` makes.

use std::collections::{BTreeMap, HashMap};

use crate::ipc::protocol::UnitDependency;
use crate::manager::table::UnitTable;
use crate::manager::unit_id::UnitId;
use crate::unit::model::{Dependency, LoadState, UnitConfig};
use crate::unit::name::UnitType;

/// Ordering edges of the unit table: for each unit, the units ordered before it and after it.
#[derive(Debug, Default)]
pub struct Ordering {
    before_me: HashMap<UnitId, Vec<UnitId>>,
    after_me: HashMap<UnitId, Vec<UnitId>>,
}

impl Ordering {
    /// The edges of the units in `table`: After=, Before=, and a target's default ordering
    /// after what it pulls in.
    pub fn of(table: &UnitTable) -> Ordering {
        let mut o = Ordering::default();
        for (j, u) in table.iter() {
            let unit = &u.config.unit;
            for name in unit.dependency(Dependency::After) {
                if let Some(k) = table.lookup(name) {
                    o.edge(k, j);
                }
            }
            for name in unit.dependency(Dependency::Before) {
                if let Some(k) = table.lookup(name) {
                    o.edge(j, k);
                }
            }
        }
        // target.c: a target is ordered after what it pulls in, unless either side opts out
        // of default dependencies or the unit is ordered after the target already.
        for (j, u) in table.iter() {
            let target = &u.config;
            if target.unit_type != UnitType::Target
                || !target.unit.default_dependencies
                || target.load_state != LoadState::Loaded
            {
                continue;
            }
            for dep in Dependency::TARGET_ORDERED_AFTER {
                for name in target.unit.dependency(dep) {
                    let Some(k) = table.lookup(name) else {
                        continue;
                    };
                    let other = &table[k].config;
                    if other.load_state == LoadState::Loaded
                        && other.unit.default_dependencies
                        && !o.before(k).contains(&j)
                    {
                        o.edge(k, j);
                    }
                }
            }
        }
        o
    }

    /// The units ordered before `i` (its After= and the Before= of others).
    pub fn before(&self, i: UnitId) -> &[UnitId] {
        self.before_me.get(&i).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The units ordered after `i`.
    pub fn after(&self, i: UnitId) -> &[UnitId] {
        self.after_me.get(&i).map(Vec::as_slice).unwrap_or(&[])
    }

    fn edge(&mut self, first: UnitId, then: UnitId) {
        if first != then && !self.before(then).contains(&first) {
            self.before_me.entry(then).or_default().push(first);
            self.after_me.entry(first).or_default().push(then);
        }
    }

    /// A cycle of "ordered after" edges among the units `member` accepts, searched from each
    /// unit of `order` in turn: the units from where the cycle was entered to the one that
    /// leads back to it.
    pub fn find_cycle(
        &self,
        order: &[UnitId],
        member: impl Fn(UnitId) -> bool,
    ) -> Option<Vec<UnitId>> {
        find_cycle(order, |i| self.before(i), member)
    }
}

/// A unit a dependency names, as the table knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Unit(UnitId),
    /// No unit exists under the name.
    Absent,
    /// The name was not looked for yet: the manager loads it (or learns it is absent) first.
    NotLoaded,
}

/// The graph of the table as the manager last loaded it: its ordering edges, and what the
/// manager found for names the table does not list: no unit (systemd does not keep a unit that
/// does not exist, so neither does the table), or the unit loaded under another spelling.
pub struct Graph<'a> {
    pub ordering: &'a Ordering,
    pub looked_up: &'a HashMap<String, Option<UnitId>>,
}

impl Graph<'_> {
    pub fn resolve(&self, table: &UnitTable, name: &str) -> Named {
        match table.lookup(name) {
            Some(id) => Named::Unit(id),
            None => match self.looked_up.get(name) {
                Some(Some(id)) => Named::Unit(*id),
                Some(None) => Named::Absent,
                None => Named::NotLoaded,
            },
        }
    }

    /// The units `i` names under `dep`, each with its name, `None` for a unit that does not
    /// exist; or, when some were not looked for yet, those names.
    pub fn dependencies(
        &self,
        table: &UnitTable,
        i: UnitId,
        dep: Dependency,
    ) -> Result<Vec<(String, Option<UnitId>)>, Vec<String>> {
        let mut found = Vec::new();
        let mut unknown = Vec::new();
        for name in table[i].config.unit.dependency(dep) {
            match self.resolve(table, name) {
                Named::Unit(k) => found.push((name.clone(), Some(k))),
                Named::Absent => found.push((name.clone(), None)),
                Named::NotLoaded => unknown.push(name.clone()),
            }
        }
        if unknown.is_empty() {
            Ok(found)
        } else {
            Err(unknown)
        }
    }
}

/// Units of the table that name `i` under `dep` (systemd's inverse dependencies: RequiredBy=
/// for Requires=, ConsistsOf= for PartOf= …).
pub fn dependents(table: &UnitTable, i: UnitId, dep: Dependency) -> Vec<UnitId> {
    table
        .iter()
        .filter(|&(j, u)| {
            j != i
                && u.config
                    .unit
                    .dependency(dep)
                    .iter()
                    .any(|n| table.lookup(n) == Some(i))
        })
        .map(|(j, _)| j)
        .collect()
}

/// unit.c's inverse table: what a unit's dependency records on the unit it names. 252 lists
/// nothing on the unit a JoinsNamespaceOf= names.
pub fn inverse(dep: Dependency) -> Option<UnitDependency> {
    use Dependency as D;
    use UnitDependency as U;
    Some(match dep {
        D::Requires => U::RequiredBy,
        D::Requisite => U::RequisiteOf,
        D::Wants => U::WantedBy,
        D::BindsTo => U::BoundBy,
        D::PartOf => U::ConsistsOf,
        D::Upholds => U::UpheldBy,
        D::Conflicts => U::ConflictedBy,
        D::Before => U::After,
        D::After => U::Before,
        D::OnSuccess => U::OnSuccessOf,
        D::OnFailure => U::OnFailureOf,
        D::PropagatesReloadTo => U::ReloadPropagatedFrom,
        D::ReloadPropagatedFrom => U::PropagatesReloadTo,
        D::PropagatesStopTo => U::StopPropagatedFrom,
        D::StopPropagatedFrom => U::PropagatesStopTo,
        D::JoinsNamespaceOf => return None,
    })
}

/// Whether target.c orders `target` after `unit`, which it pulls in under `dep`: both keep
/// their default dependencies and are loaded, and `unit` is not ordered after the target
/// already (`unit_names_target` tells whether a name is one of the target's).
fn target_ordered_after(
    target: &UnitConfig,
    dep: Dependency,
    unit: &UnitConfig,
    unit_names_target: bool,
) -> bool {
    Dependency::TARGET_ORDERED_AFTER.contains(&dep)
        && target.unit_type == UnitType::Target
        && [target, unit]
            .iter()
            .all(|c| c.load_state == LoadState::Loaded && c.unit.default_dependencies)
        && !unit_names_target
        && !target
            .unit
            .dependency(Dependency::Before)
            .iter()
            .any(|n| unit.names.contains(n) || *n == unit.id)
}

/// The dependencies the loaded units `others` record on `me` by naming it (`names_me` tells
/// whether a name is one of `me`'s), per property, each unit once in the order found: the
/// inverse of each of their dependencies, and Before= on what a target is ordered after by
/// target.c. For `me` a target, also the After= target.c gives it on the units it pulls in,
/// which `find` gives by name.
pub fn dependencies_from_others<'a>(
    me: &UnitConfig,
    others: impl IntoIterator<Item = &'a UnitConfig>,
    names_me: impl Fn(&str) -> bool,
    find: impl Fn(&str) -> Option<&'a UnitConfig>,
) -> Vec<(UnitDependency, Vec<String>)> {
    let mut out: Vec<(UnitDependency, Vec<String>)> = Vec::new();
    let mut add = |dep: UnitDependency, unit: &str| match out.iter_mut().find(|(d, _)| *d == dep) {
        Some((_, units)) if units.iter().any(|u| u == unit) => {}
        Some((_, units)) => units.push(unit.to_string()),
        None => out.push((dep, vec![unit.to_string()])),
    };
    let me_after = me.unit.dependency(Dependency::After);
    for other in others {
        // systemd refuses a dependency of a unit on itself
        if names_me(&other.id) {
            continue;
        }
        let other_names = |n: &String| *n == other.id || other.names.contains(n);
        for (dep, names) in &other.unit.dependencies {
            if !names.iter().any(|n| names_me(n)) {
                continue;
            }
            if let Some(inverse) = inverse(*dep) {
                add(inverse, &other.id);
            }
            if target_ordered_after(other, *dep, me, me_after.iter().any(other_names)) {
                add(UnitDependency::Before, &other.id);
            }
        }
    }
    for (dep, names) in &me.unit.dependencies {
        for name in names {
            let Some(unit) = find(name).filter(|u| !names_me(&u.id)) else {
                continue;
            };
            let names_target = unit
                .unit
                .dependency(Dependency::After)
                .iter()
                .any(|n| names_me(n));
            if !me_after.contains(name) && target_ordered_after(me, *dep, unit, names_target) {
                add(UnitDependency::After, &unit.id);
            }
        }
    }
    out
}

/// Depth-first search for a cycle through the edges `before` gives, from each node of `order`
/// in turn.
fn find_cycle<'e, T: Copy + Ord + 'e>(
    order: &[T],
    before: impl Fn(T) -> &'e [T],
    member: impl Fn(T) -> bool,
) -> Option<Vec<T>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut marks: BTreeMap<T, Mark> = order.iter().map(|&i| (i, Mark::New)).collect();
    for &root in order {
        if marks.get(&root) != Some(&Mark::New) {
            continue;
        }
        // iterative DFS: (unit, next edge index)
        let mut path: Vec<(T, usize)> = vec![(root, 0)];
        marks.insert(root, Mark::OnPath);
        while let Some(&mut (unit, ref mut next)) = path.last_mut() {
            let edges = before(unit);
            if *next >= edges.len() {
                marks.insert(unit, Mark::Done);
                path.pop();
                continue;
            }
            let to = edges[*next];
            *next += 1;
            if !member(to) {
                continue;
            }
            match marks.get(&to).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let from = path.iter().position(|(u, _)| *u == to).unwrap_or(0);
                    return Some(path[from..].iter().map(|(u, _)| *u).collect());
                }
                Mark::New => {
                    marks.insert(to, Mark::OnPath);
                    path.push((to, 0));
                }
                Mark::Done => {}
            }
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::manager::config::ManagerConfig;
    use crate::manager::unit::Unit;
    use crate::unit::model::UnitConfig;

    /// A loaded unit named `id` (its type from its suffix) with the dependencies given.
    pub(crate) fn config(id: &str, deps: &[(Dependency, &[&str])]) -> UnitConfig {
        let unit_type = crate::unit::name::UnitName::parse(id)
            .map(|n| n.unit_type())
            .unwrap_or(UnitType::Service);
        let mut c = UnitConfig::empty(id, unit_type, LoadState::Loaded);
        for (dep, names) in deps {
            c.unit
                .dependencies
                .push((*dep, names.iter().map(|n| n.to_string()).collect()));
        }
        c.unit.dependencies.sort_by_key(|(d, _)| *d);
        c
    }

    /// A table of the units given, in that order.
    pub(crate) fn table(configs: Vec<UnitConfig>) -> (UnitTable, Vec<UnitId>) {
        let mut table = UnitTable::default();
        let ids = configs
            .into_iter()
            .map(|c| table.insert(Unit::new(c, &ManagerConfig::default())))
            .collect();
        (table, ids)
    }

    #[test]
    fn after_and_before_make_edges_both_ways() {
        use Dependency::*;
        let (t, ids) = table(vec![
            config("a.service", &[(After, &["b.service"])]),
            config("b.service", &[]),
            config("c.service", &[(Before, &["a.service"])]),
        ]);
        let o = Ordering::of(&t);
        assert_eq!(o.before(ids[0]), &[ids[1], ids[2]]);
        assert_eq!(o.after(ids[1]), &[ids[0]]);
        assert_eq!(o.after(ids[2]), &[ids[0]]);
        assert!(o.before(ids[1]).is_empty());
    }

    #[test]
    fn a_target_is_ordered_after_what_it_pulls_in() {
        use Dependency::*;
        let mut plain = config("plain.service", &[]);
        plain.unit.default_dependencies = false;
        let (t, ids) = table(vec![
            config("multi.target", &[(Wants, &["a.service", "plain.service"])]),
            config("a.service", &[]),
            plain,
        ]);
        let o = Ordering::of(&t);
        assert_eq!(o.before(ids[0]), &[ids[1]], "not the unit that opted out");
    }

    #[test]
    fn dependencies_tell_absent_names_from_names_not_looked_for() {
        use Dependency::*;
        let (t, ids) = table(vec![
            config("a.service", &[(Requires, &["b.service", "gone.service"])]),
            config("b.service", &[(Requires, &["a.service"])]),
        ]);
        let ordering = Ordering::of(&t);
        let mut looked_up = HashMap::new();
        let graph = Graph {
            ordering: &ordering,
            looked_up: &looked_up,
        };
        assert_eq!(
            graph.dependencies(&t, ids[0], Requires),
            Err(vec!["gone.service".to_string()])
        );
        looked_up.insert("gone.service".to_string(), None);
        let graph = Graph {
            ordering: &ordering,
            looked_up: &looked_up,
        };
        assert_eq!(
            graph.dependencies(&t, ids[0], Requires),
            Ok(vec![
                ("b.service".to_string(), Some(ids[1])),
                ("gone.service".to_string(), None)
            ])
        );
        assert_eq!(dependents(&t, ids[0], Requires), vec![ids[1]]);
        assert_eq!(dependents(&t, ids[1], Requires), vec![ids[0]]);
        assert!(dependents(&t, ids[0], Wants).is_empty());
    }

    /// [`dependencies_from_others`] of `configs[me]` among `configs`, by id.
    fn from_others(configs: &[UnitConfig], me: usize) -> Vec<(UnitDependency, Vec<String>)> {
        let mine = &configs[me];
        dependencies_from_others(
            mine,
            configs,
            |n| n == mine.id,
            |n| configs.iter().find(|c| c.id == n),
        )
    }

    #[test]
    fn each_dependency_is_recorded_inverted_on_the_unit_it_names() {
        use Dependency::*;
        use UnitDependency as U;
        let configs = vec![
            config(
                "app.service",
                &[
                    (Requires, &["db.service"]),
                    (After, &["db.service"]),
                    (Conflicts, &["db.service"]),
                    (PropagatesReloadTo, &["db.service"]),
                    (JoinsNamespaceOf, &["db.service"]),
                ],
            ),
            config(
                "web.service",
                &[(Wants, &["db.service"]), (Before, &["db.service"])],
            ),
            config("other.service", &[(Requires, &["app.service"])]),
            config("db.service", &[(OnFailure, &["app.service"])]),
        ];
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            from_others(&configs, 3),
            vec![
                (U::RequiredBy, owned(&["app.service"])),
                (U::ConflictedBy, owned(&["app.service"])),
                (U::Before, owned(&["app.service"])),
                (U::ReloadPropagatedFrom, owned(&["app.service"])),
                (U::WantedBy, owned(&["web.service"])),
                (U::After, owned(&["web.service"])),
            ],
            "Conflicts= gives ConflictedBy= alone, JoinsNamespaceOf= nothing"
        );
        assert_eq!(
            from_others(&configs, 0),
            vec![
                (U::RequiredBy, owned(&["other.service"])),
                (U::OnFailureOf, owned(&["db.service"])),
            ]
        );
    }

    #[test]
    fn a_target_is_ordered_after_what_it_pulls_in_on_both_units() {
        use Dependency::*;
        use UnitDependency as U;
        let mut plain = config("plain.service", &[]);
        plain.unit.default_dependencies = false;
        let configs = vec![
            config(
                "multi.target",
                &[(Wants, &["a.service", "plain.service", "late.service"])],
            ),
            config("a.service", &[]),
            plain,
            config("late.service", &[(After, &["multi.target"])]),
        ];
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            from_others(&configs, 0),
            vec![
                (U::Before, owned(&["late.service"])),
                (U::After, owned(&["a.service"])),
            ],
            "not the unit that opted out, nor the one ordered after the target"
        );
        assert_eq!(
            from_others(&configs, 1),
            vec![
                (U::WantedBy, owned(&["multi.target"])),
                (U::Before, owned(&["multi.target"])),
            ]
        );
        assert_eq!(
            from_others(&configs, 2),
            vec![(U::WantedBy, owned(&["multi.target"]))]
        );
    }

    #[test]
    fn a_unit_naming_itself_records_nothing() {
        let configs = vec![config(
            "self.service",
            &[(Dependency::Wants, &["self.service"])],
        )];
        assert!(from_others(&configs, 0).is_empty());
    }

    #[test]
    fn an_ordering_cycle_is_found_from_its_first_unit() {
        use Dependency::*;
        let (t, ids) = table(vec![
            config("a.service", &[(After, &["b.service"])]),
            config("b.service", &[(After, &["c.service"])]),
            config("c.service", &[(After, &["a.service"])]),
            config("d.service", &[(After, &["a.service"])]),
        ]);
        let o = Ordering::of(&t);
        let cycle = o.find_cycle(&ids, |_| true).expect("cycle");
        assert_eq!(cycle, vec![ids[0], ids[1], ids[2]]);
        // Without c in the transaction, there is none.
        assert!(o.find_cycle(&ids, |i| i != ids[2]).is_none());
    }

    #[test]
    fn a_three_node_cycle_is_found_and_an_acyclic_graph_has_none() {
        let before: BTreeMap<usize, Vec<usize>> = [(0, vec![1]), (1, vec![2]), (2, vec![0])]
            .into_iter()
            .collect();
        assert_eq!(
            find_cycle(&[0, 1, 2], |i| &before[&i][..], |_| true),
            Some(vec![0, 1, 2])
        );
        let acyclic: BTreeMap<usize, Vec<usize>> = [(0, vec![1]), (1, vec![2]), (2, vec![])]
            .into_iter()
            .collect();
        assert!(find_cycle(&[0, 1, 2], |i| &acyclic[&i][..], |_| true).is_none());
    }
}
