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

#[test]
fn online_verb_with_systemd_offline_is_a_successful_no_op() {
    let o = std::process::Command::new(common::OUR_SYSTEMCTL)
        .args(["start", "x.service"])
        .env("SYSTEMD_OFFLINE", "1")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "Running in chroot, ignoring command 'start'\n"
    );
}

#[test]
fn online_verb_without_a_manager_says_so_and_fails() {
    let o = std::process::Command::new(common::OUR_SYSTEMCTL)
        .args(["restart", "x.service"])
        .env_remove("SYSTEMD_OFFLINE")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr)
        .starts_with("System has not been booted with systemd as init system (PID 1)."));
}

#[test]
fn options_may_follow_the_verb_and_too_many_arguments_are_refused() {
    let t = RootTree::new();
    let o = t.ours(&["get-default", "--no-pager", "extra"]);
    assert_eq!((o.code, o.stderr.as_str()), (1, "Too many arguments.\n"));
}
