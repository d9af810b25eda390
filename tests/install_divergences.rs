//! Where we differ from systemctl 252 on purpose: SysV scripts handled through `/etc/rcN.d`
//! links when the root has no systemd-sysv-install, `ignore` lines in preset files, and
//! `is-enabled --full` looking below `--root`.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::RootTree;

fn sysv_tree() -> RootTree {
    let t = RootTree::new();
    t.write("/etc/init.d/legacy", "#!/bin/sh\nexit 0\n")
        .write(
            "/lib/systemd/system/both.service",
            "[Install]\nWantedBy=multi-user.target\n",
        )
        .write("/etc/init.d/both", "#!/bin/sh\nexit 0\n");
    t
}

#[test]
fn sysv_script_without_helper_is_managed_through_rc_links() {
    let t = sysv_tree();
    let o = t.ours(&["is-enabled", "legacy"]);
    assert_eq!(o.stdout, "disabled\n");
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        "legacy.service is not a native service, redirecting to systemd-sysv-install.\n"
    );

    let o = t.ours(&["enable", "legacy"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let links = t.symlinks();
    assert!(links.contains(&("/etc/rc2.d/S01legacy".into(), "../init.d/legacy".into())));
    assert!(links.contains(&("/etc/rc0.d/K01legacy".into(), "../init.d/legacy".into())));
    let o = t.ours(&["-q", "is-enabled", "legacy.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("", 0));

    let o = t.ours(&["disable", "legacy"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(t
        .symlinks()
        .contains(&("/etc/rc2.d/K01legacy".into(), "../init.d/legacy".into())));
    assert_eq!(t.ours(&["is-enabled", "legacy"]).stdout, "disabled\n");
}

#[test]
fn native_unit_with_a_script_is_synchronized_and_enabled_natively() {
    let t = sysv_tree();
    let o = t.ours(&["enable", "both.service"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let root = t.path().display().to_string();
    assert_eq!(
        o.stderr.replace(&root, "ROOT"),
        "Synchronizing state of both.service with SysV service script with /lib/systemd/systemd-sysv-install.\n\
         Created symlink ROOT/etc/systemd/system/multi-user.target.wants/both.service \u{2192} /lib/systemd/system/both.service.\n\
         Unit ROOT/lib/systemd/system/both.service is added as a dependency to a non-existent unit multi-user.target.\n"
    );
    assert!(t
        .symlinks()
        .contains(&("/etc/rc3.d/S01both".into(), "../init.d/both".into())));
    // is-enabled prefers the native unit.
    assert_eq!(t.ours(&["is-enabled", "both"]).stdout, "enabled\n");
}

#[test]
fn a_helper_in_the_root_is_run_like_systemd_runs_it() {
    let t = sysv_tree();
    let log = t.real("/helper.log");
    t.write(
        "/lib/systemd/systemd-sysv-install",
        &format!("#!/bin/sh\necho \"$@\" >> {}\nexit 0\n", log.display()),
    );
    let helper = t.real("/lib/systemd/systemd-sysv-install");
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let o = t.ours(&["is-enabled", "legacy"]);
    assert_eq!((o.stdout.as_str(), o.code), ("enabled\n", 0));
    let root = t.path().display().to_string();
    assert!(o.stderr.ends_with(&format!(
        "Executing: /lib/systemd/systemd-sysv-install --root={root} is-enabled legacy\n"
    )));
    let logged = std::fs::read_to_string(&log).expect("helper ran");
    assert_eq!(logged, format!("--root={root} is-enabled legacy\n"));
}

#[test]
fn preset_ignore_lines_leave_units_alone() {
    let t = RootTree::new();
    t.write(
        "/lib/systemd/system/keep.service",
        "[Install]\nWantedBy=multi-user.target\n",
    )
    .write(
        "/lib/systemd/system/drop.service",
        "[Install]\nWantedBy=multi-user.target\n",
    )
    .write("/lib/systemd/system/multi-user.target", "[Unit]\n")
    .write(
        "/etc/systemd/system-preset/10-test.preset",
        "ignore keep.service\ndisable *\n",
    )
    .link(
        "/etc/systemd/system/multi-user.target.wants/keep.service",
        "/lib/systemd/system/keep.service",
    )
    .link(
        "/etc/systemd/system/multi-user.target.wants/drop.service",
        "/lib/systemd/system/drop.service",
    );
    let o = t.ours(&["preset-all"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let links: Vec<String> = t.symlinks().into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        links,
        vec!["/etc/systemd/system/multi-user.target.wants/keep.service".to_string()]
    );
    let o = t.ours(&["list-unit-files", "--no-legend", "*.service"]);
    assert_eq!(
        o.stdout,
        "drop.service disabled disabled\nkeep.service enabled  ignored\n"
    );
}

#[test]
fn is_enabled_full_lists_the_links_below_the_root() {
    let t = RootTree::new();
    t.write(
        "/lib/systemd/system/x.service",
        "[Install]\nWantedBy=multi-user.target\nAlias=y.service\n",
    )
    .write("/lib/systemd/system/multi-user.target", "[Unit]\n");
    assert_eq!(t.ours(&["enable", "x.service"]).code, 0);
    let o = t.ours(&["--full", "is-enabled", "x.service"]);
    let root = t.path().display().to_string();
    let mut lines: Vec<String> = o
        .stdout
        .replace(&root, "ROOT")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.remove(0), "enabled");
    lines.sort();
    assert_eq!(
        lines,
        vec![
            "  ROOT/etc/systemd/system/multi-user.target.wants/x.service",
            "  ROOT/etc/systemd/system/y.service",
        ]
    );
}
