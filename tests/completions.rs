//! The shell completions in packaging/completions: they offer exactly the verbs our systemctl
//! accepts (the verb table in src/cli/mod.rs, plus `init`) and only options it accepts (its
//! `--help`, plus the few it takes without listing them); every file passes its shell's syntax
//! check; and the bash and fish completions, driven for real with our binary as `systemctl` on
//! PATH, complete verbs, option values and unit names from a `--root` tree. A shell that is not
//! installed is skipped with a note (zsh's completion needs a terminal to drive: it gets the
//! syntax check only).

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{RootTree, OUR_SYSTEMCTL};

fn repo_file(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn completion(name: &str) -> String {
    repo_file(&format!("packaging/completions/{name}"))
}

/// The string literals that open each `verb(…)` entry of `VERBS` in src/cli/mod.rs, and `init`,
/// which main.rs hands to the manager before the table is consulted.
fn accepted_verbs() -> BTreeSet<String> {
    let source = repo_file("src/cli/mod.rs");
    let table = &source[source.find("const VERBS").expect("the verb table")..];
    let table = &table[..table.find("];").expect("the end of the verb table")];
    let mut verbs: BTreeSet<String> = table
        .split("verb(")
        .skip(1)
        .map(|entry| {
            let start = entry.find('"').expect("a verb name") + 1;
            let len = entry[start..].find('"').expect("the name's end");
            entry[start..start + len].to_string()
        })
        .collect();
    assert!(verbs.len() > 40, "verb table not parsed: {verbs:?}");
    assert!(
        repo_file("src/manager/init/mod.rs").contains(r#"["init", units @ ..]"#),
        "`systemctl init` is no longer accepted: drop it from the completions and here"
    );
    verbs.insert("init".to_string());
    verbs
}

/// The long options `--help` lists, and those that are accepted without being listed: `--init`
/// and `--unit=` (taken by the init entry point) and `--kill-who` (clap alias of --kill-whom).
fn accepted_options() -> BTreeSet<String> {
    let help = Command::new(OUR_SYSTEMCTL)
        .arg("--help")
        .output()
        .expect("run systemctl --help");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let mut options = long_options(&help);
    assert!(options.len() > 40, "--help not parsed: {options:?}");
    for extra in ["--init", "--unit", "--kill-who"] {
        options.insert(extra.to_string());
    }
    options
}

/// Every `--name` in `text` (an option of the command line or of a query the completion runs).
fn long_options(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("--") {
        let after = &rest[i + 2..];
        let len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
            .unwrap_or(after.len());
        if after.starts_with(|c: char| c.is_ascii_lowercase()) {
            out.insert(format!("--{}", after[..len].trim_end_matches('-')));
        }
        rest = &after[len..];
    }
    out
}

/// The long options of fish's `complete … -l NAME` lines, which name them without dashes.
fn fish_long_options(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("complete "))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words
                .windows(2)
                .filter(|pair| pair[0] == "-l")
                .map(|pair| format!("--{}", pair[1]))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The verbs a completion file offers, read the way each file lists them.
fn offered_verbs(file: &str) -> BTreeSet<String> {
    let text = completion(file);
    match file {
        "systemctl.bash" => {
            let start = text.find("_systemctl_shim_verbs='").expect("the verb list") + 23;
            let len = text[start..].find('\'').expect("the list's end");
            text[start..start + len]
                .split_whitespace()
                .map(str::to_string)
                .collect()
        }
        "_systemctl" => text
            .lines()
            .filter_map(|l| {
                let item = l.trim().strip_prefix('\'')?;
                let (name, _) = item.split_once(':')?;
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-')
                    .then(|| name.to_string())
            })
            .collect(),
        "systemctl.fish" => text
            .lines()
            .filter_map(|l| {
                let rest =
                    l.strip_prefix("complete -c systemctl -n __systemctl_shim_no_verb -a ")?;
                rest.split_whitespace().next().map(str::to_string)
            })
            .collect(),
        _ => unreachable!("no such completion file: {file}"),
    }
}

const SYSTEMCTL_FILES: [&str; 3] = ["systemctl.bash", "_systemctl", "systemctl.fish"];

#[test]
fn each_completion_offers_exactly_the_verbs_we_accept() {
    let accepted = accepted_verbs();
    for file in SYSTEMCTL_FILES {
        let offered = offered_verbs(file);
        let missing: Vec<_> = accepted.difference(&offered).collect();
        let unknown: Vec<_> = offered.difference(&accepted).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "{file}: verbs not offered: {missing:?}; offered but not accepted: {unknown:?}"
        );
    }
}

#[test]
fn each_completion_offers_every_option_and_no_other() {
    let accepted = accepted_options();
    for file in SYSTEMCTL_FILES {
        let text = completion(file);
        let mut offered = long_options(&text);
        offered.extend(fish_long_options(&text));
        let missing: Vec<_> = accepted
            .iter()
            .filter(|o| *o != "--kill-who" && !offered.contains(*o))
            .collect();
        let unknown: Vec<_> = offered.difference(&accepted).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "{file}: options not offered: {missing:?}; offered but not accepted: {unknown:?}"
        );
    }
}

#[test]
fn journalctl_completions_offer_only_options_journalctl_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journalctl = dir.path().join("journalctl");
    symlink(OUR_SYSTEMCTL, &journalctl).expect("symlink journalctl");
    let help = Command::new(&journalctl)
        .arg("--help")
        .output()
        .expect("run journalctl --help");
    let accepted = long_options(&String::from_utf8_lossy(&help.stdout));
    assert!(accepted.contains("--unit"), "journalctl --help not parsed");
    for file in ["journalctl.bash", "_journalctl", "journalctl.fish"] {
        let text = completion(file);
        let mut offered = long_options(&text);
        offered.extend(fish_long_options(&text));
        // the unit query asks systemctl, whose options these are
        for systemctl_option in ["--full", "--legend", "--plain"] {
            offered.remove(systemctl_option);
        }
        let missing: Vec<_> = accepted.difference(&offered).collect();
        let unknown: Vec<_> = offered.difference(&accepted).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "{file}: options not offered: {missing:?}; offered but not accepted: {unknown:?}"
        );
    }
}

fn have(shell: &str) -> bool {
    Command::new(shell)
        .args(["-c", "exit 0"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn completion_files_pass_their_shells_syntax_check() {
    let checks: [(&str, &[&str], &[&str]); 3] = [
        ("bash", &["-n"], &["systemctl.bash", "journalctl.bash"]),
        ("zsh", &["-n"], &["_systemctl", "_journalctl"]),
        (
            "fish",
            &["--no-execute"],
            &["systemctl.fish", "journalctl.fish"],
        ),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/completions");
    for (shell, flags, files) in checks {
        if !have(shell) {
            eprintln!("SKIP {shell} syntax check: {shell} is not installed");
            continue;
        }
        for file in files {
            let out = Command::new(shell)
                .args(flags)
                .arg(dir.join(file))
                .output()
                .expect("run the syntax check");
            assert!(
                out.status.success(),
                "{shell} {flags:?} {file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// A PATH whose `systemctl` is our binary, first.
struct OurPath {
    _dir: tempfile::TempDir,
    path: String,
}

impl OurPath {
    fn new() -> OurPath {
        let dir = tempfile::tempdir().expect("tempdir");
        symlink(OUR_SYSTEMCTL, dir.path().join("systemctl")).expect("symlink systemctl");
        let path = format!(
            "{}:{}",
            dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        OurPath { _dir: dir, path }
    }
}

/// A root with two services to enable and a target, one service with an escaped name.
fn unit_tree() -> RootTree {
    let service = "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n";
    let tree = RootTree::new();
    tree.write("/etc/systemd/system/nginx.service", service)
        .write("/usr/lib/systemd/system/redis-server.service", service)
        .write(r"/usr/lib/systemd/system/web\x2dproxy.service", service)
        .write(
            "/usr/lib/systemd/system/multi-user.target",
            "[Unit]\nDescription=Multi-User System\n",
        );
    tree
}

fn completion_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("packaging/completions")
        .join(file)
}

/// What bash's completion puts in COMPREPLY for `words`, the last being the word under the
/// cursor: COMP_WORDS as bash fills it, `--opt=value` split into `--opt`, `=`, `value`.
fn bash_complete(path: &OurPath, words: &[&str]) -> Vec<String> {
    let script = r#"
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
        _systemctl_shim
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script, "bash"])
        .arg(completion_path("systemctl.bash"))
        .args(words)
        .env("PATH", &path.path)
        .env_remove("SYSTEMD_UNIT_PATH")
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash completion of {words:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_verbs_values_and_units_from_our_systemctl() {
    if !have("bash") {
        eprintln!("SKIP bash completion: bash is not installed");
        return;
    }
    let path = OurPath::new();
    let tree = unit_tree();
    let root = tree.path().to_str().expect("a UTF-8 temp path");

    assert_eq!(
        bash_complete(&path, &["systemctl", "sta"]),
        ["start", "status"]
    );
    assert_eq!(
        bash_complete(&path, &["systemctl", "--no-bl"]),
        ["--no-block"]
    );
    assert_eq!(
        bash_complete(&path, &["systemctl", "--type", "=", "se"]),
        ["service"]
    );
    // options and their values before the verb are not the verb
    assert_eq!(
        bash_complete(
            &path,
            &["systemctl", "-t", "service", "--legend", "=", "no", "sto"]
        ),
        ["stop"]
    );
    assert_eq!(
        bash_complete(&path, &["systemctl", "--root", "=", root, "start", "ng"]),
        ["nginx.service"]
    );
    assert_eq!(
        bash_complete(&path, &["systemctl", "--root", root, "status", "web"]),
        [r"web\x2dproxy.service"]
    );
    let mut enable = bash_complete(&path, &["systemctl", "--root", "=", root, "enable", ""]);
    enable.sort();
    assert_eq!(
        enable,
        [
            "nginx.service",
            "redis-server.service",
            r"web\x2dproxy.service"
        ]
    );
    assert_eq!(
        bash_complete(&path, &["systemctl", "--root", "=", root, "isolate", ""]),
        ["multi-user.target"]
    );
    // enabled units only for disable: enable one and ask again
    let enabled = tree.ours(&["enable", "redis-server.service"]);
    assert_eq!(enabled.code, 0, "{enabled:?}");
    assert_eq!(
        bash_complete(&path, &["systemctl", "--root", "=", root, "disable", ""]),
        ["redis-server.service"]
    );
}

#[test]
fn fish_completes_verbs_and_units_from_our_systemctl() {
    if !have("fish") {
        eprintln!("SKIP fish completion: fish is not installed");
        return;
    }
    let path = OurPath::new();
    let tree = unit_tree();
    let complete = |line: &str| -> Vec<String> {
        let out = Command::new("fish")
            .args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"])
            .arg(completion_path("systemctl.fish"))
            .arg(line)
            .env("PATH", &path.path)
            .env_remove("SYSTEMD_UNIT_PATH")
            .output()
            .expect("run fish");
        assert!(
            out.status.success(),
            "fish completion of {line:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // each candidate, without the tab and description fish prints after it
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(complete("systemctl sta"), ["start", "status"]);
    assert_eq!(
        complete(&format!(
            "systemctl --root={} start ng",
            tree.path().display()
        )),
        ["nginx.service"]
    );
}
