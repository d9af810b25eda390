//! The command line as a user meets it: verbs, options anywhere, errors worded as systemctl's.

mod common;

use common::{run_as, RootTree};

#[test]
fn unknown_verb_is_refused_with_systemctls_words() {
    let t = RootTree::new();
    let o = t.ours(&["frobnicate"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.stderr, "Unknown command verb frobnicate.\n");
}

#[test]
fn online_verb_with_root_is_refused() {
    let t = RootTree::new();
    let o = t.ours(&["start", "x.service"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        "Verb 'start' cannot be used with --root= or --image=.\n"
    );
}

#[test]
fn bad_legend_value_is_refused() {
    let t = RootTree::new();
    let o = t.ours(&["--legend=maybe", "list-unit-files"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        "Failed to parse boolean argument to --legend: maybe.\n"
    );
}

#[test]
fn daemon_reload_without_a_manager_succeeds() {
    let t = RootTree::new();
    assert_eq!(t.ours(&["daemon-reload"]).code, 0);
}

#[test]
fn systemd_escape_multicall_escapes_paths_and_templates() {
    let o = run_as(
        "systemd-escape",
        &["-p", "--template=mount@.service", "/var/lib/my dir"],
    );
    assert_eq!(o.stdout, "mount@var-lib-my\\x20dir.service\n");
    let o = run_as("systemd-escape", &["-u", "-p", "var-lib-my\\x20dir"]);
    assert_eq!(o.stdout, "/var/lib/my dir\n");
}
