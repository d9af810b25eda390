//! The cgroup mode our manager picks at start (issue 17, `manager/cgroup/detect.rs`), as its
//! one log line says, in the shapes of container this machine can make: an image with a
//! writable cgroup2 in its own cgroup namespace (Tracking here, where the host's cgroup2 has no
//! controllers to give; Full where it has), the same with the cgroup2 bind-mounted read-only as
//! Docker does without privileges (Fallback), and an init sandbox with no cgroup namespace
//! (Fallback: the host's hierarchy is never ours). Only the sandboxes' cgroups are written.

mod common;

use common::sandbox::{Sandbox, PATH, WAIT};

const LINE: &str = "Control group mode: ";

/// The manager's mode line on the console (`systemd[1]: Control group mode: …`), once it is
/// there.
fn mode_line(sb: &Sandbox) -> String {
    let find = |sb: &Sandbox| {
        sb.console()
            .lines()
            .find_map(|l| l.split_once(LINE).map(|(_, rest)| rest.to_string()))
    };
    sb.wait_until("the mode is logged", WAIT, || find(sb).is_some());
    find(sb).unwrap_or_default()
}

/// PID 1's cgroup2 line as the sandbox sees it (in its cgroup namespace, if it has one).
fn own_cgroup(sb: &Sandbox) -> String {
    sb.run(&["grep", "^0::", "/proc/1/cgroup"]).stdout
}

/// Our manager booted as PID 1 of an image sandbox (`ro`: its cgroup2 remounted read-only
/// first).
fn boot_image(ro: bool) -> (Sandbox, [(&'static str, String); 1]) {
    let sb = Sandbox::for_image();
    sb.file(
        "/run/systemd/system/t.target",
        "[Unit]\nDefaultDependencies=no\n",
    );
    if ro {
        let o = sb.sh("mount --bind /sys/fs/cgroup /sys/fs/cgroup && \
             mount -o remount,bind,ro /sys/fs/cgroup");
        assert_eq!(o.code, 0, "{o:?}");
    }
    let env = [("PATH", format!("/run/sandbox-bin:{PATH}"))];
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sb.boot_image("systemd", &["--unit=t.target"], &env_ref);
    (sb, env)
}

#[test]
fn an_image_with_a_writable_cgroup2_gets_a_cgroup_per_unit() {
    let (sb, env) = boot_image(false);
    let controllers = sb.run(&["cat", "/sys/fs/cgroup/cgroup.controllers"]).stdout;
    let wanted = ["cpu", "cpuset", "io", "memory", "pids"];
    let offered: Vec<&str> = wanted
        .into_iter()
        .filter(|c| controllers.split_whitespace().any(|w| w == *c))
        .collect();
    let expected = if offered.is_empty() {
        "tracking (cgroup2 at /sys/fs/cgroup is writable, root /, no controllers to enable).".into()
    } else {
        format!(
            "full (cgroup2 at /sys/fs/cgroup is writable, root /, controllers {}).",
            offered.join(" ")
        )
    };
    assert_eq!(mode_line(&sb), expected, "console:\n{}", sb.console());
    // As systemd 252 does at start: the manager is in init.scope.
    assert_eq!(own_cgroup(&sb), "0::/init.scope\n");
    // The same line is in the journal.
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = sb.run_env(&env_ref, &["journalctl", "-o", "cat", "--no-pager"]);
    assert!(
        o.stdout.lines().any(|l| l == format!("{LINE}{expected}")),
        "{o:?}"
    );
}

#[test]
fn an_image_with_a_read_only_cgroup2_falls_back() {
    let (sb, _) = boot_image(true);
    assert_eq!(
        mode_line(&sb),
        "fallback (cgroup2 at /sys/fs/cgroup is read-only).",
        "console:\n{}",
        sb.console()
    );
    assert_eq!(own_cgroup(&sb), "0::/\n");
}

#[test]
fn an_init_without_a_cgroup_namespace_falls_back() {
    let sb = Sandbox::for_init();
    sb.unit(
        "t.target",
        "[Unit]\nDescription=Test\nDefaultDependencies=no\n",
    );
    let before = own_cgroup(&sb);
    sb.boot(&["--unit=t.target"]);
    let line = mode_line(&sb);
    // A hybrid host has a v1 tmpfs there; a unified one is the host's hierarchy, shared with
    // the processes outside the sandbox's PID namespace.
    assert!(
        line == "fallback (/sys/fs/cgroup is not a cgroup2 mount)."
            || line.starts_with("fallback (our cgroup ")
                && line.ends_with(" is shared with processes outside our PID namespace)."),
        "{line}"
    );
    // Nothing moved: PID 1 is where the sandbox put it.
    assert_eq!(own_cgroup(&sb), before);
}
