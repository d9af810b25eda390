//! `systemctl list-dependencies` (systemctl(1), systemctl-list-dependencies.c of systemd 252)
//! against unit files in a `--root` tree. The expected trees were checked line by line against
//! systemd 252 run as PID 1 in a private namespace over the same unit files
//! (`SYSTEMD_UNIT_PATH=` that directory, `systemctl list-dependencies` over its private bus): the
//! same lines in the same order, the state glyphs apart, since with `--root` every unit is
//! inactive (`○`) while the real manager had started them. The glyphs and colours of running
//! units are checked with our manager in a sandbox.

mod common;

use common::sandbox::Sandbox;
use common::{Outcome, RootTree, OUR_SYSTEMCTL};

/// The units of every test: a default target wanting services (one through a `.wants/`
/// symlink), one requiring another, a unit `PartOf=` the target (loaded through another unit's
/// `OnFailure=`), the other pulling settings (`BindsTo=`, `Requisite=`, `Upholds=`), a cycle of
/// targets, and the targets the services' default dependencies name.
fn tree() -> RootTree {
    let t = RootTree::new();
    let unit = |name: &str, text: &str| {
        t.write(&format!("/etc/systemd/system/{name}"), text);
    };
    t.link("/etc/systemd/system/default.target", "test.target");
    unit(
        "test.target",
        "[Unit]\nDescription=Test\nWants=a.service b.service cyc1.target x.service\n",
    );
    t.link(
        "/etc/systemd/system/test.target.wants/w.service",
        "../w.service",
    );
    let oneshot = "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n";
    unit("a.service", oneshot);
    unit(
        "b.service",
        "[Unit]\nRequires=c.service\n[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    unit("c.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    unit(
        "d.service",
        "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=/bin/sleep infinity\n",
    );
    unit("w.service", oneshot);
    unit(
        "p.service",
        &format!("[Unit]\nPartOf=test.target\nDefaultDependencies=no\n{oneshot}"),
    );
    unit(
        "x.service",
        "[Unit]\nOnFailure=p.service\nBindsTo=d.service\nRequisite=a.service\n\
         Upholds=c.service\nAfter=a.service\n[Service]\nExecStart=/bin/sleep infinity\n",
    );
    unit("cyc1.target", "[Unit]\nWants=cyc2.target\n");
    unit(
        "cyc2.target",
        "[Unit]\nWants=cyc1.target d.service zz.target\n",
    );
    unit("zz.target", "[Unit]\n");
    unit(
        "up.target",
        "[Unit]\nUpholds=u1.service\nWants=lp2.service\n",
    );
    unit("u1.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    unit(
        "lp2.service",
        "[Unit]\nAfter=up.target\n[Service]\nExecStart=/bin/true\n",
    );
    unit(
        "sysinit.target",
        "[Unit]\nDescription=System Initialization\n",
    );
    unit("basic.target", "[Unit]\nDescription=Basic System\n");
    unit(
        "shutdown.target",
        "[Unit]\nDescription=Shutdown\nDefaultDependencies=no\n",
    );
    let long = "a-very-long-service-name-for-testing-the-ellipsis-of-list-dependencies.service";
    for i in 1..=11 {
        unit(
            &format!("deep{i}.target"),
            &format!("[Unit]\nWants=deep{}.target {long}\n", i + 1),
        );
    }
    unit("deep12.target", "[Unit]\n");
    unit(
        long,
        "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=/bin/true\n",
    );
    t
}

/// Our systemctl with `--root`, as a pipe sees it (80 columns unless `columns` says otherwise).
fn deps(t: &RootTree, columns: Option<&str>, args: &[&str]) -> Outcome {
    let mut cmd = std::process::Command::new(OUR_SYSTEMCTL);
    cmd.arg(format!("--root={}", t.path().display()))
        .arg("list-dependencies")
        .args(args)
        .env_remove("SYSTEMD_UNIT_PATH")
        .env_remove("SYSTEMD_COLORS")
        .env_remove("COLUMNS");
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    cmd.output().expect("run systemctl").into()
}

fn assert_output(o: &Outcome, expected: &str) {
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (expected, "", 0),
        "{o:?}"
    );
}

#[test]
fn default_target_tree_expands_targets_and_marks_a_cycle_after_its_siblings() {
    let t = tree();
    // ConsistsOf= (p.service PartOf=), the .wants/ entry, targets sorted last; cyc1 → cyc2 →
    // cyc1 is not followed again but shown as "..." below cyc2's other children.
    assert_output(
        &deps(&t, None, &[]),
        "default.target\n\
         ○ ├─a.service\n\
         ○ ├─b.service\n\
         ○ ├─p.service\n\
         ○ ├─w.service\n\
         ○ ├─x.service\n\
         ○ └─cyc1.target\n\
         ○   └─cyc2.target\n\
         ○     ├─d.service\n\
         ○     ├─zz.target\n\
         \x20     └─...\n",
    );
}

#[test]
fn plain_is_a_flat_list_without_glyphs_or_cycle_marks() {
    let t = tree();
    assert_output(
        &deps(&t, None, &["--plain"]),
        "default.target\n  a.service\n  b.service\n  p.service\n  w.service\n  x.service\n  \
         cyc1.target\n  cyc2.target\n  d.service\n  zz.target\n",
    );
}

#[test]
fn all_expands_services_too_with_their_implicit_slice_and_sysinit_dependencies() {
    let t = tree();
    // Requisite=, Upholds=, BindsTo= are followed; OnFailure= and After= are not.
    assert_output(
        &deps(&t, None, &["--all", "x.service"]),
        "x.service\n\
         ○ ├─a.service\n\
         ○ │ ├─system.slice\n\
         ○ │ │ └─-.slice\n\
         ○ │ └─sysinit.target\n\
         ○ ├─c.service\n\
         ○ │ ├─system.slice\n\
         ○ │ │ └─-.slice\n\
         ○ │ └─sysinit.target\n\
         ○ ├─d.service\n\
         ○ │ └─system.slice\n\
         ○ │   └─-.slice\n\
         ○ ├─system.slice\n\
         ○ │ └─-.slice\n\
         ○ └─sysinit.target\n",
    );
}

#[test]
fn a_cycle_below_other_children_keeps_the_vertical_line() {
    let t = tree();
    assert_output(
        &deps(&t, None, &["--all", "cyc2.target"]),
        "cyc2.target\n\
         ○ ├─d.service\n\
         ○ │ └─system.slice\n\
         ○ │   └─-.slice\n\
         ○ ├─cyc1.target\n\
         \x20 │ └─...\n\
         ○ └─zz.target\n",
    );
}

#[test]
fn reverse_follows_required_wanted_upheld_bound_by_and_part_of() {
    let t = tree();
    assert_output(
        &deps(&t, None, &["--reverse", "--all", "c.service"]),
        "c.service\n\
         ○ ├─b.service\n\
         ○ │ └─test.target\n\
         ○ └─x.service\n\
         ○   └─test.target\n",
    );
    assert_output(
        &deps(&t, None, &["--reverse", "p.service"]),
        "p.service\n○ └─test.target\n",
    );
    // BoundBy= (x.service) and WantedBy= (cyc2.target, a target, so expanded up to the cycle)
    assert_output(
        &deps(&t, None, &["--reverse", "d.service"]),
        "d.service\n\
         ○ ├─x.service\n\
         ○ └─cyc2.target\n\
         ○   └─cyc1.target\n\
         ○     ├─test.target\n\
         \x20     └─...\n",
    );
}

#[test]
fn after_and_before_include_the_implicit_ordering_of_targets() {
    let t = tree();
    // A target is ordered after what it pulls in unless a side has DefaultDependencies=no
    // (p.service, cyc2 ordered after cyc1 already) or it is ordered before that unit itself.
    assert_output(
        &deps(&t, None, &["--after"]),
        "default.target\n\
         ○ ├─a.service\n\
         ○ ├─b.service\n\
         ○ ├─w.service\n\
         ○ ├─x.service\n\
         ○ └─cyc1.target\n",
    );
    assert_output(
        &deps(&t, None, &["--before", "a.service"]),
        "a.service\n\
         ○ ├─x.service\n\
         ○ ├─shutdown.target\n\
         ○ └─test.target\n\
         ○   └─shutdown.target\n",
    );
    // Upholds= counts; lp2.service is ordered after the target, so no ordering is added.
    assert_output(
        &deps(&t, None, &["--after", "up.target"]),
        "up.target\n○ └─u1.service\n",
    );
    // The last of --reverse/--after/--before wins.
    assert_output(
        &deps(&t, None, &["--reverse", "--after", "a.service"]),
        &deps(&t, None, &["--after", "a.service"]).stdout,
    );
    assert_output(
        &deps(&t, None, &["--after", "--reverse", "a.service"]),
        "a.service\n○ ├─x.service\n○ └─test.target\n",
    );
}

#[test]
fn several_units_missing_ones_and_bare_names() {
    let t = tree();
    assert_output(
        &deps(&t, None, &["a", "b.service", "nope"]),
        "a.service\n\
         ○ ├─system.slice\n\
         ○ └─sysinit.target\n\
         \n\
         b.service\n\
         ○ ├─c.service\n\
         ○ ├─system.slice\n\
         ○ └─sysinit.target\n\
         \n\
         nope.service\n",
    );
    // With --plain what was expanded for one unit is not listed again for the next.
    assert_output(
        &deps(&t, None, &["--plain", "cyc1.target", "cyc2.target"]),
        "cyc1.target\n  cyc2.target\n  d.service\n  zz.target\n\ncyc2.target\n  d.service\n",
    );
}

#[test]
fn names_are_ellipsized_to_the_width_and_deep_trees_cut() {
    let t = tree();
    let o = deps(&t, Some("30"), &["deep5.target"]);
    assert_output(
        &o,
        "deep5.target\n\
         ○ ├─a-very-long-service-name-fo…\n\
         ○ └─deep6.target\n\
         ○   ├─a-very-long-service-name-…\n\
         ○   └─deep7.target\n\
         ○     ├─a-very-long-service-nam…\n\
         ○     └─deep8.target\n\
         ○       ├─a-very-long-service-n…\n\
         ○       └─deep9.target\n\
         ○         ├─a-very-long-service…\n\
         ○         └─deep10.target\n\
         ○           ├─a-very-long-servi…\n\
         ○           └─deep11.target\n\
         ○             ├─a-very-long-ser…\n\
         ○             └─deep12.target\n",
    );
    // The tree alone would not fit: "..." (after a space, the width being even).
    let o = deps(&t, Some("20"), &["deep1.target"]);
    assert!(o.stdout.ends_with("○                  ...\n"), "{o:?}");
    assert!(o.stdout.contains("○ ├─a-very-long-servi…\n"), "{o:?}");
    // --full prints whole names at any depth.
    let o = deps(&t, Some("20"), &["--full", "deep10.target"]);
    assert_output(
        &o,
        "deep10.target\n\
         ○ ├─a-very-long-service-name-for-testing-the-ellipsis-of-list-dependencies.service\n\
         ○ └─deep11.target\n\
         ○   ├─a-very-long-service-name-for-testing-the-ellipsis-of-list-dependencies.service\n\
         ○   └─deep12.target\n",
    );
}

#[test]
fn patterns_match_loaded_units_that_are_not_inactive_unless_all() {
    let t = tree();
    // Offline everything is inactive: a pattern matches nothing…
    assert_output(&deps(&t, None, &["te*"]), "");
    // …unless --all, which also expands the services.
    let o = deps(&t, None, &["--all", "--plain", "cyc*"]);
    assert_output(
        &o,
        "cyc1.target\n  cyc2.target\n  d.service\n  system.slice\n  -.slice\n  zz.target\n\n\
         cyc2.target\n",
    );
}

#[test]
fn names_no_unit_can_have_fail_after_printing_them() {
    let t = tree();
    let o = deps(&t, None, &["a.service", "foo@.service"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(
        o.stdout.ends_with("\nfoo@.service\n"),
        "the name is printed first: {o:?}"
    );
    assert_eq!(
        o.stderr,
        "Failed to get properties of foo@.service: Unit name foo@.service is neither a valid \
         invocation ID nor unit name.\n"
    );
    let o = deps(&t, None, &[""]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (
            "",
            "Failed to mangle name: Invalid argument\nFailed to expand names: Invalid argument\n",
            1
        )
    );
    let o = deps(&t, None, &["a b"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (
            "a\\x20b.service\n",
            "Invalid unit name \"a b\" escaped as \"a\\x20b\" (maybe you should use systemd-escape?).\n",
            0
        )
    );
}

#[test]
fn a_root_without_default_target_uses_the_targets_systemd_ships() {
    let t = RootTree::new();
    t.write(
        "/etc/systemd/system/app.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
    );
    t.link(
        "/etc/systemd/system/multi-user.target.wants/app.service",
        "../app.service",
    );
    let o = deps(&t, None, &[]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout
            .starts_with("default.target\n○ ├─app.service\n○ └─basic.target\n"),
        "{o:?}"
    );
    // The cycle guard works on the real path: sysinit.target is reached once per branch.
    assert!(o.stdout.contains("○   ├─sysinit.target\n"), "{o:?}");
}

/// With our manager running, each line shows the unit's state: `●` active, `×` failed, `○`
/// inactive, in green, red and plain on a terminal (forced here with SYSTEMD_COLORS=1).
#[test]
fn states_come_from_the_running_manager() {
    let sb = Sandbox::new();
    let unit = |name: &str, service: &str| {
        sb.unit(
            name,
            &format!("[Unit]\nDefaultDependencies=no\n[Service]\n{service}"),
        );
    };
    unit(
        "ok.service",
        "Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    unit("bad.service", "Type=oneshot\nExecStart=/bin/false\n");
    unit("idle.service", "ExecStart=/bin/true\n");
    sb.unit(
        "u.target",
        "[Unit]\nDefaultDependencies=no\nWants=ok.service bad.service idle.service\n",
    );
    let o = sb.systemctl(&["start", "ok.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let o = sb.systemctl(&["start", "bad.service"]);
    assert_ne!(o.code, 0, "{o:?}");

    let o = sb.systemctl(&["list-dependencies", "u.target"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (
            "u.target\n× ├─bad.service\n○ ├─idle.service\n● └─ok.service\n",
            0
        ),
        "{o:?}"
    );
    let o = sb.systemctl_env(
        &[("SYSTEMD_COLORS", "1")],
        &["list-dependencies", "u.target"],
    );
    assert_eq!(
        o.stdout,
        "u.target\n\
         \x1b[0;1;31m×\x1b[0m ├─bad.service\n\
         \x1b[0m○\x1b[0m ├─idle.service\n\
         \x1b[0;1;32m●\x1b[0m └─ok.service\n",
        "{o:?}"
    );
    // --plain has no glyphs, whatever the state.
    let o = sb.systemctl(&["list-dependencies", "--plain", "u.target"]);
    assert_eq!(
        o.stdout,
        "u.target\n  bad.service\n  idle.service\n  ok.service\n"
    );
}

/// A slice lives in its parent slice whatever its settings, and its default dependencies are
/// only the shutdown ones (no sysinit.target, unlike services) — what systemd 252 shows for a
/// `foo-bar.slice` file, in `show` as in the tree.
#[test]
fn slices_require_their_parent_slice_and_not_sysinit() {
    let t = tree();
    t.write(
        "/etc/systemd/system/foo-bar.slice",
        "[Unit]\nDescription=Foo bar\n",
    );
    assert_output(
        &deps(&t, None, &["--all", "foo-bar.slice"]),
        "foo-bar.slice\n○ └─foo.slice\n○   └─-.slice\n",
    );
    let o = t.ours(&[
        "show",
        "-p",
        "Requires,After,Before,Conflicts",
        "foo-bar.slice",
    ]);
    assert_output(
        &o,
        "Requires=foo.slice\nConflicts=shutdown.target\nBefore=shutdown.target\nAfter=foo.slice\n",
    );
}
