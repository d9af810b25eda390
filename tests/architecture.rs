//! The layers of src/, read from the sources as a reviewer would read them: every `crate::…`,
//! `super::…` and `self::…` path of every module (its tests left out) resolved to the module it
//! names. Each layer imports only from the layers below it, and no two files of the manager
//! import each other in a circle. Run with `--nocapture` to print the manager's import graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The layer of each top-level module: a module may import from layers below its own, and from
/// its own layer only at layer 0 (sys/ and errno.rs are the leaf).
fn layer(top: &str) -> Option<u32> {
    Some(match top {
        "sys" | "errno" => 0,
        "unit" => 1,
        "install" | "tmpfiles" | "journal" => 2,
        "ipc" => 3,
        "bus" => 4,
        "manager" | "cli" => 5,
        _ => return None,
    })
}

struct Module {
    /// The module's path from the crate root (a folder's `mod.rs` is the folder).
    path: Vec<String>,
    text: String,
}

fn modules(dir: &Path, prefix: &[String], out: &mut Vec<Module>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read src/")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            let mut sub = prefix.to_vec();
            sub.push(name);
            modules(&p, &sub, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let mut path = prefix.to_vec();
            if name != "mod" {
                path.push(name.clone());
            }
            // Test-only files (`tests.rs`, `machine_tests.rs`) are not part of the layering.
            if name.ends_with("tests") || (prefix.is_empty() && (name == "main" || name == "lib")) {
                continue;
            }
            let text = fs::read_to_string(&p).expect("read a source file");
            out.push(Module {
                path,
                text: without_tests(&text),
            });
        }
    }
}

/// The text before the module's `#[cfg(test)] mod …`.
fn without_tests(text: &str) -> String {
    let mut kept = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            // `mod tests;` names a file of its own (left out too); `mod tests {` ends the file.
            if lines
                .peek()
                .is_some_and(|next| next.trim_end().ends_with(';'))
            {
                lines.next();
                continue;
            }
            break;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path a module names that starts at `crate`, `super` or `self`, resolved to absolute
/// module paths (a `{a, b}` group gives one path per member).
fn references(m: &Module) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let text = &m.text;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let starts = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|s| rest.starts_with(s));
        let boundary = i == 0 || !is_ident(bytes[i - 1] as char) && bytes[i - 1] != b':';
        let (Some(start), true) = (starts, boundary) else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        // The module this path starts from.
        let mut base: Vec<String> = match start {
            "crate::" => Vec::new(),
            "self::" => m.path.clone(),
            _ => m.path[..m.path.len().saturating_sub(1)].to_vec(),
        };
        let mut j = i + start.len();
        // Further `super::` steps.
        while text[j..].starts_with("super::") {
            base.pop();
            j += "super::".len();
        }
        if text[j..].starts_with('{') {
            let end = text[j..].find('}').map_or(text.len(), |e| j + e);
            for member in text[j + 1..end].split(',') {
                let first: String = member.trim().chars().take_while(|&c| is_ident(c)).collect();
                if !first.is_empty() && first != "self" {
                    let mut p = base.clone();
                    p.push(first);
                    found.insert(p);
                }
            }
            i = end;
            continue;
        }
        let mut p = base;
        for segment in text[j..].split("::") {
            let ident: String = segment.chars().take_while(|&c| is_ident(c)).collect();
            if ident.is_empty() {
                break;
            }
            p.push(ident.clone());
            if ident.len() != segment.len() {
                break;
            }
        }
        found.insert(p);
        i = j;
    }
    found
}

fn sources() -> Vec<Module> {
    let mut out = Vec::new();
    modules(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let mut wrong = Vec::new();
    for m in sources() {
        let Some(own) = m.path.first().and_then(|t| layer(t)) else {
            continue;
        };
        for target in references(&m) {
            let Some(top) = target.first() else { continue };
            let Some(theirs) = layer(top) else { continue };
            let same_top = m.path.first() == Some(top);
            if !same_top && (theirs > own || (theirs == own && own > 0)) {
                wrong.push(format!("{} → {}", m.path.join("/"), target.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

/// The strongly connected components (of more than one part) of a graph, by Tarjan.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for next in w.graph.get(v).into_iter().flatten() {
            let next = next.as_str();
            if !w.index.contains_key(next) {
                visit(w, next);
                let l = w.low[next].min(w.low[v]);
                w.low.insert(v, l);
            } else if w.stack.contains(&next) {
                let l = w.index[next].min(w.low[v]);
                w.low.insert(v, l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(top) = w.stack.pop() {
                component.push(top.to_string());
                if top == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.found.push(component);
            }
        }
    }
    let mut w = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.found
}

/// The module a referenced path lands in: its longest prefix that is a module of the crate.
fn module_of<'a>(target: &[String], known: &'a BTreeSet<Vec<String>>) -> Option<&'a Vec<String>> {
    (1..=target.len())
        .rev()
        .find_map(|n| known.get(&target[..n].to_vec()))
}

/// The child modules a file declares (`mod NAME;`) and names by a relative path (`NAME::…`).
fn children_named(m: &Module) -> Vec<Vec<String>> {
    let declared: Vec<String> = m
        .text
        .lines()
        .filter_map(|l| {
            let l = l
                .trim_start()
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ");
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect();
    declared
        .into_iter()
        .filter(|child| {
            m.text.match_indices(&format!("{child}::")).any(|(i, _)| {
                i == 0 || {
                    let before = m.text.as_bytes()[i - 1] as char;
                    !is_ident(before) && before != ':'
                }
            })
        })
        .map(|child| {
            let mut p = m.path.clone();
            p.push(child);
            p
        })
        .collect()
}

#[test]
fn no_two_files_of_the_manager_import_each_other_in_a_circle() {
    let sources = sources();
    let known: BTreeSet<Vec<String>> = sources.iter().map(|m| m.path.clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in &sources {
        if m.path.first().map(String::as_str) != Some("manager") {
            continue;
        }
        let own = m.path[1..].join("/");
        let mut targets: Vec<Vec<String>> = references(m).into_iter().collect();
        targets.extend(children_named(m));
        for target in targets {
            let Some(module) = module_of(&target, &known) else {
                continue;
            };
            // The manager's own mod.rs only declares its parts.
            if module.len() > 1 && module[0] == "manager" && *module != m.path {
                graph
                    .entry(own.clone())
                    .or_default()
                    .insert(module[1..].join("/"));
            }
        }
        graph.entry(own).or_default();
    }
    for (file, imports) in &graph {
        let names: Vec<&str> = imports.iter().map(String::as_str).collect();
        println!("manager/{file} → {}", names.join(", "));
    }
    let found = circles(&graph);
    assert!(
        found.is_empty(),
        "files of manager/ that import each other in a circle: {found:?}"
    );
}

#[test]
fn every_module_names_what_it_follows_in_a_header() {
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|m| !m.text.trim_start().starts_with("//!"))
        .map(|m| m.path.join("/"))
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a //! header: {missing:?}"
    );
}
