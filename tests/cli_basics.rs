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
fn options_may_follow_the_verb_and_too_many_arguments_are_refused() {
    let t = RootTree::new();
    let o = t.ours(&["get-default", "--no-pager", "extra"]);
    assert_eq!((o.code, o.stderr.as_str()), (1, "Too many arguments.\n"));
}

#[test]
fn is_system_running_without_a_manager_says_offline() {
    let o = std::process::Command::new(common::OUR_SYSTEMCTL)
        .arg("is-system-running")
        .env("SYSTEMD_OFFLINE", "1")
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "offline\n");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn unknown_option_is_worded_as_getopt_does() {
    let t = RootTree::new();
    let o = t.ours(&["--frobnicate", "list-unit-files"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (1, "systemctl: unrecognized option '--frobnicate'\n")
    );
}

#[test]
fn image_is_refused_rather_than_acting_on_the_host() {
    let t = RootTree::new();
    let o = t.ours(&["--image=/nonexistent.raw", "enable", "x.service"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("--image="), "{}", o.stderr);
}

#[test]
fn a_missing_root_is_an_error_and_is_not_created() {
    let parent = tempfile::tempdir().expect("tempdir");
    let root = parent.path().join("nonexistent");
    let o = std::process::Command::new(common::OUR_SYSTEMCTL)
        .arg(format!("--root={}", root.display()))
        .args(["mask", "foo.service"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(!root.exists(), "the root was created");
}

#[test]
fn the_last_scope_option_wins() {
    let t = RootTree::new();
    t.write(
        "/lib/systemd/system/dd.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
    );
    let o = t.ours(&["--user", "--system", "is-enabled", "dd.service"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, "disabled\n"));
}

#[test]
fn enable_now_enables_then_says_the_start_needs_a_manager() {
    let t = RootTree::new();
    t.write(
        "/lib/systemd/system/dd.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
    );
    let o = t.ours(&["enable", "--now", "dd.service"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("System has not been booted with systemd"));
    assert!(t
        .real("/etc/systemd/system/multi-user.target.wants/dd.service")
        .symlink_metadata()
        .is_ok());
}

#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let t = RootTree::new();
    // Far more output than a pipe buffer holds, so the writer is still writing when we go.
    let long = "x".repeat(100);
    for i in 0..2000 {
        t.write(
            &format!("/lib/systemd/system/unit-{long}-{i}.service"),
            "[Service]\nExecStart=/bin/true\n",
        );
    }
    let mut child = Command::new(common::OUR_SYSTEMCTL)
        .arg(format!("--root={}", t.path().display()))
        .arg("list-unit-files")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 1];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("read one byte");
    // The reader is gone now: the next write gets EPIPE.
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

/// The real systemd-escape, where this machine has it, and ours give the same answers.
#[test]
fn systemd_escape_matches_the_real_one() {
    let Ok(real) = std::process::Command::new("systemd-escape")
        .arg("x")
        .output()
    else {
        eprintln!("note: no systemd-escape here; skipping the comparison");
        return;
    };
    assert!(real.status.success());
    let cases: &[&[&str]] = &[
        &["--template=foo@.service", "--unescape", "foo@a-b.service"],
        &["-u", "-p", "a--b"],
        &["-u", "-p", ""],
        &["-p", "."],
        &["--instance", "x"],
        &["--mangle", "--suffix=mount", "/x"],
        &["-p", "a//b"],
        &["-p", "../x"],
        &["-p", "/a/../b"],
        &["--template=foo.service", "x"],
        &["-u", "--instance", "foo.service"],
        &["-u", "--instance", "foo@a-b.service"],
        &["--template=foo@.service", "-u", "-p", "foo@a-b.service"],
        &["-u", "a-b\\x2dc"],
        &["-p", ""],
        &["-p", "/"],
        &["-m", "a/b"],
        &["a b/c", ".x"],
        &["--suffix=service", "/var/lib/x y"],
    ];
    for args in cases {
        let theirs: common::Outcome = std::process::Command::new("systemd-escape")
            .args(*args)
            .output()
            .expect("run systemd-escape")
            .into();
        let ours = run_as("systemd-escape", args);
        assert_eq!(ours, theirs, "systemd-escape {args:?}");
    }
}

#[test]
fn with_no_manager_every_unit_is_inactive() {
    let t = RootTree::new();
    t.write(
        "/lib/systemd/system/web.service",
        "[Service]\nExecStart=/bin/true\n",
    );
    let o = t.ours(&["is-active", "web.service", "nope.service"]);
    assert_eq!((o.code, o.stdout.as_str()), (3, "inactive\ninactive\n"));
    let o = t.ours(&["is-active", "nope.service"]);
    assert_eq!((o.code, o.stdout.as_str()), (4, "inactive\n"));
    let o = t.ours(&["-q", "is-active", "web"]);
    assert_eq!((o.code, o.stdout.as_str()), (3, ""));
    let o = t.ours(&["is-failed", "web.service"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, "inactive\n"));
}

/// `status` reads the real search path (systemctl refuses it with --root), so this runs in a
/// private mount namespace with a tmpfs over /etc/systemd/system; it needs root and unshare.
#[test]
fn status_without_a_manager_shows_the_unit_inactive_in_systemds_layout() {
    let usable = nix::unistd::geteuid().is_root()
        && std::path::Path::new("/etc/systemd/system").is_dir()
        && std::process::Command::new("unshare")
            .args(["--mount", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !usable {
        eprintln!("note: needs root, unshare and /etc/systemd/system; skipping");
        return;
    }
    let script = format!(
        "mount -t tmpfs tmpfs /etc/systemd/system && \
         mkdir /etc/systemd/system/web.service.d && \
         printf '[Unit]\\nDescription=Web server\\nDocumentation=man:web(8) https://example.org\\n[Service]\\nExecStart=/bin/true\\n' > /etc/systemd/system/web.service && \
         printf '[Service]\\nNice=1\\n' > /etc/systemd/system/web.service.d/override.conf && \
         exec {} status web nope.service",
        common::OUR_SYSTEMCTL
    );
    let o: common::Outcome = std::process::Command::new("unshare")
        .args(["--mount", "sh", "-c", &script])
        .env_remove("SYSTEMD_OFFLINE")
        .output()
        .expect("run unshare")
        .into();
    assert_eq!(
        o.stdout,
        "○ web.service - Web server\n     Loaded: loaded (/etc/systemd/system/web.service; static)\n    Drop-In: /etc/systemd/system/web.service.d\n             └─override.conf\n     Active: inactive (dead)\n       Docs: man:web(8)\n             https://example.org\n"
    );
    assert_eq!(o.stderr, "Unit nope.service could not be found.\n");
    assert_eq!(o.code, 4);
}
