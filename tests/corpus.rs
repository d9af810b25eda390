//! The Debian bookworm unit corpus: every unit file of 130 packages laid into one root, with the
//! symlinks MANIFEST.txt lists, must load (loaded or masked, never error or bad-setting) without a
//! single warning: the settings systemd 252 knows but we do not act on are listed in
//! `unit::model` (`known_unmodeled`) and kept raw silently, so any warning here is either a key
//! missing from those lists or a parsing mistake of ours.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::RootTree;
use systemctl_shim::unit::load::{load_with_map, NameMap};
use systemctl_shim::unit::model::LoadState;
use systemctl_shim::unit::name::UnitName;
use systemctl_shim::unit::paths::{LookupPaths, Scope};

fn copy_tree(from: &Path, tree: &RootTree, inside: &str) {
    let Ok(entries) = fs::read_dir(from) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let child = format!("{inside}/{}", entry.file_name().to_string_lossy());
        if path.is_dir() {
            copy_tree(&path, tree, &child);
        } else if let Ok(content) = fs::read(&path) {
            let real = tree.real(&child);
            fs::create_dir_all(real.parent().expect("parent")).expect("mkdir");
            fs::write(real, content).expect("write");
        }
    }
}

/// Lay the corpus into a root; returns the unit files' paths inside it.
fn lay_out_corpus(corpus: &Path, tree: &RootTree) -> Vec<PathBuf> {
    let mut packages: Vec<PathBuf> = fs::read_dir(corpus)
        .expect("read corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    packages.sort();
    for package in &packages {
        copy_tree(package, tree, "");
    }
    let manifest = fs::read_to_string(corpus.join("MANIFEST.txt")).expect("MANIFEST.txt");
    for line in manifest.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        if let [_, _, path, link] = fields[..] {
            if let Some(target) = link.strip_prefix("-> ") {
                let inside = format!("/{path}");
                if fs::symlink_metadata(tree.real(&inside)).is_err() {
                    tree.link(&inside, target);
                }
            }
        }
    }
    let mut units = Vec::new();
    for dir in ["/lib/systemd/system", "/usr/lib/systemd/user"] {
        let Ok(entries) = fs::read_dir(tree.real(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if UnitName::is_valid(&name) {
                units.push(Path::new(dir).join(name));
            }
        }
    }
    units.sort();
    units
}

/// The name to load for a unit file: templates are loaded as an instance.
fn loadable(file_name: &str) -> UnitName {
    let name = UnitName::parse(file_name).expect("valid unit name");
    if name.is_template() {
        name.with_instance("corpus").expect("instance of template")
    } else {
        name
    }
}

#[test]
fn every_corpus_unit_loads_without_warnings() {
    let Some(corpus) = common::corpus_dir() else {
        eprintln!("note: unit corpus not found next to the repository; skipping");
        return;
    };
    let tree = RootTree::new();
    let units = lay_out_corpus(&corpus, &tree);
    assert!(units.len() > 250, "corpus too small: {}", units.len());

    let mut failures = Vec::new();
    let mut warnings = BTreeSet::new();
    for scope in [Scope::System, Scope::Global] {
        let lookup = LookupPaths::new(scope, Some(tree.path())).expect("lookup");
        let map = NameMap::build(&lookup);
        let dir = match scope {
            Scope::System => "/lib/systemd/system",
            _ => "/usr/lib/systemd/user",
        };
        for unit in units.iter().filter(|u| u.starts_with(dir)) {
            let file_name = unit.file_name().and_then(|n| n.to_str()).expect("name");
            let config = load_with_map(&lookup, &map, &loadable(file_name));
            match config.load_state {
                LoadState::Loaded | LoadState::Masked => {}
                other => failures.push(format!(
                    "{}: {} {}",
                    unit.display(),
                    other.as_str(),
                    config.load_error.unwrap_or_default()
                )),
            }
            warnings.extend(config.warnings);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(warnings.is_empty(), "unexpected warnings:\n{warnings:#?}");
}

#[test]
fn show_prints_a_load_state_for_every_corpus_system_unit() {
    let Some(corpus) = common::corpus_dir() else {
        eprintln!("note: unit corpus not found next to the repository; skipping");
        return;
    };
    let tree = RootTree::new();
    let units = lay_out_corpus(&corpus, &tree);
    let names: Vec<String> = units
        .iter()
        .filter(|u| u.starts_with("/lib/systemd/system"))
        .filter_map(|u| u.file_name().and_then(|n| n.to_str()))
        .map(|n| loadable(n).to_string())
        .collect();
    let mut args = vec!["show", "-p", "LoadState", "--value"];
    args.extend(names.iter().map(String::as_str));
    let out = tree.ours(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let states: Vec<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(states.len(), names.len());
    for (name, state) in names.iter().zip(&states) {
        assert!(
            *state == "loaded" || *state == "masked",
            "{name}: LoadState={state}"
        );
    }
}
