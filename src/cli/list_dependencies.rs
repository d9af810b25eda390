//! `systemctl list-dependencies [UNIT…]` as systemd 252 prints it (systemctl(1),
//! systemctl-list-dependencies.c): the root name as given, then a tree of the units it pulls in
//! (`Requires=`, `Requisite=`, `Wants=`, `ConsistsOf=`, `BindsTo=`, `Upholds=`), or with
//! `--reverse` the units pulling it in (`RequiredBy=`, `RequisiteOf=`, `WantedBy=`, `PartOf=`,
//! `BoundBy=`, `UpheldBy=`), with `--after`/`--before` the ordering. Children sort with targets
//! last, then by name ignoring case; targets are expanded, other units only with `--all`; a unit
//! already on the path from the root is not followed again but marked by a `...` line after its
//! siblings. Each line starts with the unit's state glyph (coloured on a terminal), then the
//! `├─`/`└─`/`│ ` tree, names ellipsized to the terminal width unless `--full`. `--plain` drops
//! glyphs and tree for a flat two-space list in which every expanded unit appears once.
//!
//! systemctl asks the manager for the dependencies of the units it holds in memory. Here the
//! graph is made from the unit files the way the manager would load them: from `default.target`,
//! the units named, and the units a running manager holds, following every dependency, so that
//! reverse dependencies come from loaded units only, as the man page says of systemd's. The
//! inverse properties are derived as the manager derives them, and a target's ordering after
//! what it pulls in is added as the manager adds it once both are loaded (the unit loader cannot:
//! it sees one unit at a time). States come from our manager when one runs; otherwise, and
//! always with `--root=`, every unit is inactive.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::Write;

use super::status::{glyph, Colors};
use super::{Ctx, Exit, Failed, VerbResult};
use crate::unit::load::{load_or_shipped, NameMap};
use crate::unit::model::{Dependency, LoadState};
use crate::unit::name::{mangle, UnitName, UnitType};
use crate::unit::paths::Scope;

/// Which relation the tree follows (`arg_dependency` of systemctl).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Reverse,
    After,
    Before,
}

impl Direction {
    fn of(ctx: &Ctx) -> Direction {
        let from_switch = |s: &str| match s {
            "--reverse" => Some(Direction::Reverse),
            "--after" => Some(Direction::After),
            "--before" => Some(Direction::Before),
            _ => None,
        };
        // systemctl keeps the last of these switches. The parsed options only say which were
        // given, so the command line decides (this binary's argv is the one parsed).
        let last = std::env::args_os()
            .skip(1)
            .take_while(|a| a != "--")
            .filter_map(|a| a.to_str().and_then(from_switch))
            .last();
        let given = |d: Direction| match d {
            Direction::Reverse => ctx.opts.reverse,
            Direction::After => ctx.opts.after,
            Direction::Before => ctx.opts.before,
            Direction::Forward => true,
        };
        match last {
            Some(d) if given(d) => d,
            _ if ctx.opts.reverse => Direction::Reverse,
            _ if ctx.opts.before => Direction::Before,
            _ if ctx.opts.after => Direction::After,
            _ => Direction::Forward,
        }
    }
}

/// The dependency settings a node keeps: those the four directions read, directly or inverted.
const KEPT: [Dependency; 8] = [
    Dependency::Requires,
    Dependency::Requisite,
    Dependency::Wants,
    Dependency::BindsTo,
    Dependency::PartOf,
    Dependency::Upholds,
    Dependency::After,
    Dependency::Before,
];

/// One unit as the manager holds it in memory.
struct Node {
    unit_type: UnitType,
    loaded: bool,
    default_dependencies: bool,
    /// Per kept setting, the ids of the other units (aliases resolved, self-references dropped).
    deps: BTreeMap<Dependency, BTreeSet<String>>,
}

impl Node {
    fn get(&self, dep: Dependency) -> impl Iterator<Item = &String> {
        self.deps.get(&dep).into_iter().flatten()
    }

    fn has(&self, dep: Dependency, id: &str) -> bool {
        self.deps.get(&dep).is_some_and(|s| s.contains(id))
    }
}

/// The units loaded from `seeds` on, and every unit they name, transitively.
struct Graph {
    nodes: HashMap<String, Node>,
    /// Ids in the order they were loaded (the order the manager applies implicit dependencies).
    order: Vec<String>,
    /// Every name seen, to the id of the unit it loads.
    ids: HashMap<String, String>,
}

impl Graph {
    fn load(ctx: &Ctx, seeds: Vec<String>) -> Graph {
        let map = NameMap::build(&ctx.lookup);
        let mut nodes = HashMap::new();
        let mut order = Vec::new();
        let mut ids: HashMap<String, String> = HashMap::new();
        // raw names per node until every name is known
        let mut raw: HashMap<String, Vec<(Dependency, String)>> = HashMap::new();
        let mut queue: VecDeque<String> = seeds.into();
        while let Some(name) = queue.pop_front() {
            if ids.contains_key(&name) {
                continue;
            }
            // A template is no unit: systemd refuses a dependency on one.
            let Ok(parsed) = UnitName::parse(&name) else {
                continue;
            };
            if parsed.is_template() {
                continue;
            }
            let config = load_or_shipped(&ctx.lookup, &map, &parsed);
            let id = config.id.clone();
            ids.insert(name, id.clone());
            if nodes.contains_key(&id) {
                continue;
            }
            for alias in &config.names {
                ids.entry(alias.clone()).or_insert_with(|| id.clone());
            }
            ids.entry(id.clone()).or_insert_with(|| id.clone());
            let mut edges: Vec<(Dependency, String)> = Vec::new();
            // Every dependency loads the other unit, not only those the tree shows.
            for dep in Dependency::ALL {
                for other in config.unit.dependency(dep) {
                    queue.push_back(other.clone());
                    if KEPT.contains(&dep) {
                        edges.push((dep, other.clone()));
                    }
                }
            }
            raw.insert(id.clone(), edges);
            nodes.insert(
                id.clone(),
                Node {
                    unit_type: config.unit_type,
                    loaded: config.load_state == LoadState::Loaded,
                    default_dependencies: config.unit.default_dependencies,
                    deps: BTreeMap::new(),
                },
            );
            order.push(id);
        }
        for (id, edges) in raw {
            let Some(node) = nodes.get_mut(&id) else {
                continue;
            };
            for (dep, name) in edges {
                match ids.get(&name) {
                    Some(other) if *other != id => {
                        node.deps.entry(dep).or_default().insert(other.clone());
                    }
                    _ => {}
                }
            }
        }
        let mut graph = Graph { nodes, order, ids };
        graph.add_target_orderings();
        graph
    }

    /// `unit_add_default_target_dependency()`: a target is ordered after the units it pulls in,
    /// when both are loaded, both keep default dependencies, and the target is not ordered
    /// before that unit already (which would make a loop). Which side of a loop wins depends on
    /// when the manager looks at the pair: when the target loads if the unit was loaded before
    /// it, else once the unit has loaded. Pairs are taken in that order.
    fn add_target_orderings(&mut self) {
        let index: HashMap<&String, usize> = self
            .order
            .iter()
            .enumerate()
            .map(|(i, id)| (id, i))
            .collect();
        // (when, whether at the unit's load rather than the target's, target, unit)
        let mut pairs: Vec<(usize, bool, usize, usize)> = Vec::new();
        for (t, node) in &self.nodes {
            if node.unit_type != UnitType::Target || !node.loaded || !node.default_dependencies {
                continue;
            }
            for dep in Dependency::TARGET_ORDERED_AFTER {
                for u in node.get(dep) {
                    let eligible = self
                        .nodes
                        .get(u)
                        .is_some_and(|n| n.loaded && n.default_dependencies);
                    let (Some(&ti), Some(&ui)) = (index.get(t), index.get(u)) else {
                        continue;
                    };
                    if eligible {
                        // the target's own load comes before the queue of units loaded with it
                        pairs.push((ti.max(ui), ui > ti, ti, ui));
                    }
                }
            }
        }
        pairs.sort();
        pairs.dedup();
        for (_, _, ti, ui) in pairs {
            let (t, u) = (&self.order[ti], &self.order[ui]);
            if self.ordered_before(t, u) {
                continue;
            }
            let u = u.clone();
            if let Some(n) = self.nodes.get_mut(&self.order[ti]) {
                n.deps.entry(Dependency::After).or_default().insert(u);
            }
        }
    }

    /// Whether `a` is ordered before `b`, from either side's settings.
    fn ordered_before(&self, a: &str, b: &str) -> bool {
        self.nodes
            .get(a)
            .is_some_and(|n| n.has(Dependency::Before, b))
            || self
                .nodes
                .get(b)
                .is_some_and(|n| n.has(Dependency::After, a))
    }

    /// `unit_get_dependencies()` for every unit at once: per id, the union of the properties
    /// `direction` follows, each unit once, sorted as systemctl sorts them.
    fn children(&self, direction: Direction) -> HashMap<String, Vec<String>> {
        use Dependency::*;
        let pulls: &[Dependency] = &[Requires, Requisite, Wants, BindsTo, Upholds];
        // The properties read on the unit itself, and those whose inverse the manager keeps
        // (`WantedBy=` of `Wants=`, `ConsistsOf=` of `PartOf=`, `Before=` of `After=`, …).
        let (own, inverted): (&[Dependency], &[Dependency]) = match direction {
            Direction::Forward => (pulls, &[PartOf]),
            Direction::Reverse => (&[PartOf], pulls),
            Direction::After => (&[After], &[Before]),
            Direction::Before => (&[Before], &[After]),
        };
        let mut sets: HashMap<&String, BTreeSet<&String>> = HashMap::new();
        for (id, node) in &self.nodes {
            for dep in own {
                sets.entry(id).or_default().extend(node.get(*dep));
            }
            for dep in inverted {
                for other in node.get(*dep) {
                    sets.entry(other).or_default().insert(id);
                }
            }
        }
        sets.into_iter()
            .map(|(id, set)| {
                let mut deps: Vec<String> = set.into_iter().cloned().collect();
                sort_dependencies(&mut deps);
                (id.clone(), deps)
            })
            .collect()
    }
}

fn is_target(name: &str) -> bool {
    name.ends_with(".target")
}

/// `list_dependencies_compare()`: targets last, then by name ignoring case (strcasecmp).
fn sort_dependencies(deps: &mut [String]) {
    deps.sort_by(|a, b| {
        is_target(a)
            .cmp(&is_target(b))
            .then_with(|| a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()))
    });
}

/// What systemd's `columns()` answers: `$COLUMNS`, else the terminal's width, else 80.
fn columns() -> usize {
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim_start().parse::<i64>().ok())
        .filter(|c| (1..=i64::from(u16::MAX)).contains(c))
    {
        return c as usize;
    }
    // SAFETY: TIOCGWINSZ only fills in the winsize it is given.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        usize::from(ws.ws_col)
    } else {
        80
    }
}

/// `ellipsize(s, width, 100)` for an ASCII name in a UTF-8 locale: cut to `width` cells with
/// `…` as the last one.
fn ellipsize(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// The printer: systemctl's `list_dependencies_one()` and `list_dependencies_print()`.
struct Printer<'a> {
    graph: &'a Graph,
    /// Per unit id, what the tree shows below it.
    children: HashMap<String, Vec<String>>,
    all: bool,
    plain: bool,
    full: bool,
    max_len: usize,
    colors: Colors,
    states: HashMap<String, String>,
    out: String,
}

impl Printer<'_> {
    /// One line: the state glyph (blank for the `...` marker), the tree, the name.
    fn line(&mut self, name: &str, state: Option<&str>, level: usize, branches: u64, last: bool) {
        match (self.plain, state) {
            (false, Some(state)) => {
                // green for units up or going up, red for failed (and maintenance), else plain
                let code = match state {
                    "active" | "reloading" | "activating" => "\x1b[0;1;32m",
                    "inactive" | "deactivating" => "\x1b[0m",
                    _ => "\x1b[0;1;31m",
                };
                let (on, off) = self.colors.paint(code);
                self.out.push_str(&format!("{on}{}{off} ", glyph(state)));
            }
            _ => self.out.push_str("  "),
        }
        // A tree as wide as the terminal leaves no room for the name: systemd ends the line with
        // `...` instead (after a space when the width is even).
        let elided = if self.max_len % 2 == 1 {
            "...\n"
        } else {
            " ...\n"
        };
        let mut len = 0;
        if !self.plain {
            for i in (0..level).rev() {
                len += 2;
                if len > self.max_len - 3 && !self.full {
                    self.out.push_str(elided);
                    return;
                }
                let bit = i < 64 && branches & (1u64 << i) != 0;
                self.out.push_str(if bit { "│ " } else { "  " });
            }
            len += 2;
            if len > self.max_len - 3 && !self.full {
                self.out.push_str(elided);
                return;
            }
            self.out.push_str(if last { "└─" } else { "├─" });
        }
        if self.full {
            self.out.push_str(name);
        } else {
            self.out.push_str(&ellipsize(name, self.max_len - len));
        }
        self.out.push('\n');
    }

    /// The children of `name`; `stack` holds the units on the path from the root (and, with
    /// `--plain`, every unit expanded so far, which is never printed again).
    fn one(&mut self, name: &str, level: usize, stack: &mut Vec<String>, branches: u64) {
        stack.push(name.to_string());
        let deps = self
            .graph
            .ids
            .get(name)
            .and_then(|id| self.children.get(id))
            .cloned()
            .unwrap_or_default();
        let mut circular = false;
        let n = deps.len();
        for (i, dep) in deps.iter().enumerate() {
            let last = i + 1 == n;
            if stack.contains(dep) {
                circular = true;
                continue;
            }
            let state = self
                .states
                .get(dep)
                .cloned()
                .unwrap_or_else(|| "inactive".to_string());
            self.line(dep, Some(&state), level, branches, last && !circular);
            if self.all || is_target(dep) {
                let child_branches = (branches << 1) | u64::from(!last);
                self.one(dep, level + 1, stack, child_branches);
            }
        }
        if circular && !self.plain {
            self.line("...", None, level, branches, true);
        }
        if !self.plain {
            stack.retain(|s| s != name);
        }
    }
}

/// `string_is_glob()`.
fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// A command-line argument: a unit name, or a pattern over the loaded units.
enum Arg {
    Name(String),
    Pattern(String),
}

/// `unit_name_mangle_with_suffix()` with `UNIT_NAME_MANGLE_GLOB`: a valid name or glob as it
/// is, a path as a device or mount name, anything else escaped (glob characters kept, with
/// systemctl's notice) and, unless a glob, given `.service` when it has no type. The result may
/// still be no valid name (too long): systemctl finds that out only when it asks for the unit.
fn mangle_arg(ctx: &Ctx, arg: &str) -> Result<Arg, Failed> {
    if arg.is_empty() {
        return Err(Failed::new(
            Exit::Failure,
            "Failed to mangle name: Invalid argument\nFailed to expand names: Invalid argument",
        ));
    }
    if UnitName::is_valid(arg) {
        return Ok(Arg::Name(arg.to_string()));
    }
    let glob_byte = |b: u8| b.is_ascii_alphanumeric() || b":-_.\\@[]!*?".contains(&b);
    if is_glob(arg) && arg.bytes().all(glob_byte) {
        return Ok(Arg::Pattern(arg.to_string()));
    }
    if arg.starts_with('/') {
        if let Ok(name) = mangle(arg, UnitType::Service) {
            return Ok(Arg::Name(name.to_string()));
        }
    }
    let mut escaped = String::with_capacity(arg.len());
    for &b in arg.as_bytes() {
        match b {
            b'/' => escaped.push('-'),
            b if glob_byte(b) => escaped.push(b as char),
            b => escaped.push_str(&format!("\\x{b:02x}")),
        }
    }
    if escaped != arg && !ctx.opts.quiet {
        eprintln!(
            "Invalid unit name \"{arg}\" escaped as \"{escaped}\" (maybe you should use systemd-escape?)."
        );
    }
    if is_glob(&escaped) {
        return Ok(Arg::Pattern(escaped));
    }
    let typed = escaped
        .rsplit_once('.')
        .is_some_and(|(_, suffix)| UnitType::parse(suffix).is_some());
    if !typed {
        escaped.push_str(".service");
    }
    Ok(Arg::Name(escaped))
}

pub fn list_dependencies(ctx: &Ctx, args: &[String]) -> VerbResult {
    // Our manager answers for the system scope of the real root only.
    let live = ctx.opts.root.is_none() && ctx.lookup.scope == Scope::System;
    let manager_units: Vec<String> = if live {
        super::queries::loaded_units()
            .into_iter()
            .map(|u| u.id)
            .collect()
    } else {
        Vec::new()
    };

    // expand_unit_names(): the names as given first, then what the patterns match.
    let mut names: Vec<String> = Vec::new();
    let mut patterns: Vec<String> = Vec::new();
    if args.is_empty() {
        names.push("default.target".to_string());
    }
    for arg in args {
        match mangle_arg(ctx, arg)? {
            Arg::Name(name) => names.push(name),
            Arg::Pattern(pattern) => patterns.push(pattern),
        }
    }

    let mut seeds = vec!["default.target".to_string()];
    seeds.extend(names.iter().cloned());
    seeds.extend(manager_units);
    let graph = Graph::load(ctx, seeds);

    let states: HashMap<String, String> = if live {
        let ids: Vec<String> = graph.order.clone();
        match super::queries::query_states(&ids) {
            Some(states) => ids
                .into_iter()
                .zip(states)
                .map(|(id, (_, active))| (id, active.to_string()))
                .collect(),
            None => HashMap::new(),
        }
    } else {
        HashMap::new()
    };
    let state_of = |id: &str| states.get(id).map_or("inactive", String::as_str);

    // Patterns match loaded units, and without `--all` only those not inactive (systemctl's
    // output_show_unit()). The manager lists them in hash order; here they come sorted.
    let all = ctx.opts.all > 0;
    let mut matched: Vec<&String> = graph
        .nodes
        .keys()
        .filter(|id| patterns.iter().any(|p| crate::sys::glob::glob_match(p, id)))
        .filter(|id| all || state_of(id) != "inactive")
        .collect();
    matched.sort();
    names.extend(matched.into_iter().cloned());

    let mut printer = Printer {
        graph: &graph,
        children: graph.children(Direction::of(ctx)),
        all,
        plain: ctx.opts.plain,
        full: ctx.opts.full,
        max_len: columns().max(20),
        colors: Colors::detect(),
        states,
        out: String::new(),
    };
    let mut done: Vec<String> = Vec::new();
    let mut result = Ok(Exit::Success);
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            printer.out.push('\n');
        }
        printer.out.push_str(name);
        printer.out.push('\n');
        // The manager refuses to look up what is no unit name (a template, an overlong name),
        // which ends the listing.
        if !UnitName::parse(name).is_ok_and(|n| !n.is_template()) {
            result = Err(Failed::new(
                Exit::Failure,
                format!(
                    "Failed to get properties of {name}: Unit name {name} is neither a valid \
                     invocation ID nor unit name."
                ),
            ));
            break;
        }
        printer.one(name, 0, &mut done, 0);
    }
    // A reader that went away (`| head`) is no error of ours.
    let _ = std::io::stdout().lock().write_all(printer.out.as_bytes());
    result
}
