//! Our binary as the container's PID 1 (`ENTRYPOINT ["/usr/sbin/init"]`), in a private PID and
//! mount namespace whose image has no systemd units of its own ([`Sandbox::for_init`]): boot in
//! dependency order, conditions, reaping, the signals of systemd(1), shutdown in reverse order,
//! the sweep of what is left, and the container's exit code. Each test is named after what a user
//! of systemd would see. Waits are deadline polls, never fixed sleeps.

mod common;

use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, WAIT};

const SIGRTMIN: i32 = 34;

/// A service that appends its name to `log` when it starts and when it stops, then runs.
fn logging_service(name: &str, log: &str, unit_extra: &str, service_extra: &str) -> String {
    format!(
        "[Unit]\nDescription=Service {name}\n{unit_extra}\n\
         [Service]\nExecStartPre=/bin/sh -c 'echo start {name} >> {log}'\n\
         ExecStart=/bin/sleep infinity\n\
         ExecStopPost=/bin/sh -c 'echo stop {name} >> {log}'\n{service_extra}\n\
         [Install]\nWantedBy=multi-user.target\n"
    )
}

/// Enable units as an image build does (`systemctl enable` before the container runs).
fn enable(sb: &Sandbox, units: &[&str]) {
    let mut args = vec!["enable"];
    args.extend_from_slice(units);
    let o = sb.systemctl(&args);
    assert_eq!(o.code, 0, "enable {units:?}: {o:?}");
}

fn wait_running(sb: &Sandbox) -> String {
    let mut last = String::new();
    sb.wait_until("boot finished", WAIT, || {
        last = sb.systemctl(&["is-system-running"]).stdout;
        !matches!(last.trim(), "starting" | "offline" | "")
    });
    last.trim().to_string()
}

/// A directory on the host that the sandbox sees too (the build tree is not hidden), for what
/// must outlive the container's tmpfs.
fn shared_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("init-test.")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir under the target directory")
}

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn boot_starts_enabled_units_in_dependency_order_with_first_boot_setup_first() {
    let sb = Sandbox::for_init();
    let log = "/run/order";
    sb.unit(
        "setup.service",
        "[Unit]\nDescription=First boot setup\nBefore=app1.service\n\
         [Service]\nType=oneshot\nRemainAfterExit=yes\n\
         ExecStart=/bin/sh -c 'sleep 0.2; echo start setup >> /run/order'\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    sb.unit(
        "app1.service",
        &logging_service("app1", log, "Requires=db.service\nAfter=db.service", ""),
    );
    sb.unit(
        "db.service",
        &format!(
            "[Service]\nType=notify\nExecStartPre=/bin/sh -c 'echo start db >> {log}'\n\
             ExecStart={} READY=1 --then-sleep\n",
            sb.daemon("notify.py")
        ),
    );
    sb.unit(
        "web.service",
        &logging_service("web", log, "Wants=app1.service\nAfter=app1.service", ""),
    );
    enable(&sb, &["setup.service", "app1.service", "web.service"]);
    sb.boot(&[]);
    assert_eq!(wait_running(&sb), "running");
    let order = sb.read(log).unwrap_or_default();
    let position = |what: &str| {
        order
            .lines()
            .position(|l| l == what)
            .unwrap_or_else(|| panic!("{what} missing from {order}"))
    };
    assert!(position("start setup") < position("start app1"), "{order}");
    assert!(position("start db") < position("start app1"), "{order}");
    assert!(position("start app1") < position("start web"), "{order}");
    for unit in ["setup.service", "app1.service", "db.service", "web.service"] {
        assert_eq!(sb.prop(unit, "ActiveState"), "active", "{unit}");
    }
    assert_eq!(sb.prop("multi-user.target", "ActiveState"), "active");
    assert_eq!(sb.prop("multi-user.target", "SubState"), "active");
    // The manager is PID 1 inside, named as systemd is (started as `init`).
    let pid1 = sb.run(&["cat", "/proc/1/comm"]);
    assert_eq!(pid1.stdout.trim(), "systemd");
    // `systemctl status`: the machine's overview, PID 1 in init.scope, the services' processes.
    let o = sb.systemctl(&["status"]);
    assert_eq!(o.code, 0, "{o:?}");
    for part in [
        "    State: running\n",
        "     Jobs: 0 queued\n",
        "   Failed: 0 units\n",
        "   CGroup: /\n",
        "           ├─init.scope\n           │ └─1 /run/sandbox-bin/init\n",
        "           └─system.slice\n",
        "├─app1.service\n",
    ] {
        assert!(o.stdout.contains(part), "{part:?} in {}", o.stdout);
    }
    // A target the image lacks is the one systemd ships, with no file to point at.
    let o = sb.systemctl(&["status", "multi-user.target"]);
    assert!(
        o.stdout
            .starts_with("● multi-user.target - Multi-User System\n     Loaded: loaded\n     Active: active since"),
        "{o:?}"
    );
}

#[test]
fn a_unit_whose_condition_fails_is_skipped_and_an_assert_fails_the_job() {
    let sb = Sandbox::for_init();
    sb.unit(
        "cond.service",
        "[Unit]\nConditionPathExists=/nonexistent\nConditionPathExists=!/etc/hostname-missing\n\
         [Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
    );
    sb.unit(
        "assert.service",
        "[Unit]\nAssertPathIsDirectory=/nonexistent\n\
         [Service]\nExecStart=/bin/sleep infinity\n",
    );
    sb.unit(
        "container.service",
        "[Unit]\nConditionVirtualization=container\n\
         [Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
    );
    enable(&sb, &["cond.service", "container.service"]);
    sb.boot(&[]);
    assert_eq!(
        wait_running(&sb),
        "running",
        "a skipped unit does not degrade"
    );
    assert_eq!(sb.prop("cond.service", "ActiveState"), "inactive");
    assert_eq!(sb.prop("cond.service", "ConditionResult"), "no");
    assert_eq!(sb.prop("container.service", "ActiveState"), "active");
    let status = sb.systemctl(&["status", "cond.service"]);
    assert!(
        status.stdout.contains("start condition failed at")
            && status
                .stdout
                .contains("└─ ConditionPathExists=/nonexistent was not met"),
        "{status:?}"
    );
    let log = sb.journalctl(&["-u", "cond.service"]);
    assert!(
        log.stdout
            .contains("cond.service was skipped because of an unmet condition check (ConditionPathExists=/nonexistent)."),
        "{log:?}"
    );
    let o = sb.systemctl(&["start", "assert.service"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (1, "Assertion failed on job for assert.service.\n")
    );
    assert_eq!(sb.prop("assert.service", "ActiveState"), "inactive");
    assert_eq!(sb.prop("assert.service", "AssertResult"), "no");
}

#[test]
fn a_missing_wanted_unit_is_ignored_and_a_missing_required_unit_refuses_the_start() {
    let sb = Sandbox::for_init();
    sb.unit(
        "wants.service",
        "[Unit]\nWants=missing.service\nAfter=missing.service\n\
         [Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
    );
    sb.unit(
        "requires.service",
        "[Unit]\nRequires=missing.service\n[Service]\nExecStart=/bin/sleep infinity\n",
    );
    enable(&sb, &["wants.service"]);
    sb.boot(&[]);
    wait_running(&sb);
    assert_eq!(sb.prop("wants.service", "ActiveState"), "active");
    let o = sb.systemctl(&["start", "requires.service"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            5,
            "Failed to start requires.service: Unit missing.service not found.\n"
        )
    );
}

#[test]
fn a_failed_requirement_fails_the_dependent_with_dependency_failed() {
    let sb = Sandbox::for_init();
    sb.unit(
        "broken.service",
        "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    sb.unit(
        "needs-broken.service",
        "[Unit]\nDescription=Needs broken\nRequires=broken.service\nAfter=broken.service\n\
         [Service]\nExecStart=/bin/sleep infinity\n",
    );
    sb.boot(&[]);
    wait_running(&sb);
    let o = sb.systemctl(&["start", "needs-broken.service"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            1,
            "A dependency job for needs-broken.service failed. See 'journalctl -xe' for details.\n"
        )
    );
    assert_eq!(sb.prop("needs-broken.service", "ActiveState"), "inactive");
    assert_eq!(sb.prop("broken.service", "ActiveState"), "failed");
    let log = sb.journalctl(&["-u", "needs-broken.service"]);
    assert!(
        log.stdout
            .contains("Dependency failed for needs-broken.service - Needs broken."),
        "{log:?}"
    );
    assert_eq!(sb.systemctl(&["is-system-running"]).stdout, "degraded\n");
}

#[test]
fn an_ordering_cycle_is_broken_with_a_warning_naming_it_and_boot_goes_on() {
    let sb = Sandbox::for_init();
    for (name, after) in [("a", "b"), ("b", "c"), ("c", "a")] {
        sb.unit(
            &format!("{name}.service"),
            &format!(
                "[Unit]\nAfter={after}.service\n[Service]\nExecStart=/bin/sleep infinity\n\
                 [Install]\nWantedBy=multi-user.target\n"
            ),
        );
    }
    enable(&sb, &["a.service", "b.service", "c.service"]);
    sb.boot(&[]);
    wait_running(&sb);
    let console = sb.console();
    assert!(
        console.contains("Found ordering cycle on") && console.contains("Found dependency on"),
        "{console}"
    );
    assert!(
        console.contains("deleted to break ordering cycle starting with"),
        "{console}"
    );
    let active: Vec<&str> = ["a.service", "b.service", "c.service"]
        .into_iter()
        .filter(|u| sb.prop(u, "ActiveState") == "active")
        .collect();
    assert_eq!(
        active.len(),
        2,
        "one job of the cycle is dropped: {active:?}"
    );
}

#[test]
fn sigterm_stops_units_in_reverse_order_and_the_container_exits_0() {
    let sb = Sandbox::for_init();
    let shared = shared_dir();
    let log = shared.path().join("order");
    let log_s = log.display().to_string();
    sb.unit("db.service", &logging_service("db", &log_s, "", ""));
    sb.unit(
        "app.service",
        &logging_service("app", &log_s, "Requires=db.service\nAfter=db.service", ""),
    );
    sb.unit(
        "web.service",
        &logging_service("web", &log_s, "After=app.service", ""),
    );
    enable(&sb, &["db.service", "app.service", "web.service"]);
    sb.boot(&[]);
    assert_eq!(wait_running(&sb), "running");
    sb.signal_init(libc::SIGTERM);
    assert_eq!(sb.wait_exit(WAIT), 0, "{}", sb.console());
    let stops: Vec<String> = lines(&log)
        .into_iter()
        .filter(|l| l.starts_with("stop "))
        .collect();
    assert_eq!(stops, ["stop web", "stop app", "stop db"]);
}

/// The e2e suite's hang: systemd-timesyncd came into an ordering cycle after boot, and the
/// shutdown's stop jobs, which no transaction checks, waited for each other for ever.
#[test]
fn an_ordering_cycle_made_after_boot_does_not_hang_the_shutdown() {
    let sb = Sandbox::for_init();
    let shared = shared_dir();
    let log = shared.path().join("order");
    let log_s = log.display().to_string();
    sb.unit("one.service", &logging_service("one", &log_s, "", ""));
    sb.unit("two.service", &logging_service("two", &log_s, "", ""));
    enable(&sb, &["one.service", "two.service"]);
    sb.boot(&[]);
    assert_eq!(wait_running(&sb), "running");
    sb.file(
        "/etc/systemd/system/one.service.d/cycle.conf",
        "[Unit]\nAfter=two.service\n",
    );
    sb.file(
        "/etc/systemd/system/two.service.d/cycle.conf",
        "[Unit]\nAfter=one.service\n",
    );
    sb.quiet_ok(&["daemon-reload"]);
    sb.signal_init(libc::SIGTERM);
    assert_eq!(sb.wait_exit(WAIT), 0, "{}", sb.console());
    let mut stops: Vec<String> = lines(&log)
        .into_iter()
        .filter(|l| l.starts_with("stop "))
        .collect();
    stops.sort();
    assert_eq!(
        stops,
        ["stop one", "stop two"],
        "both stopped by their units"
    );
    assert!(
        sb.console()
            .contains("runs out of order to break an ordering cycle"),
        "the cycle is reported: {}",
        sb.console()
    );
}

#[test]
fn systemctl_and_systemd_as_pid_1_boot_like_init() {
    for name in ["systemctl", "systemd"] {
        let sb = Sandbox::for_init();
        sb.unit(
            "x.service",
            "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
        );
        enable(&sb, &["x.service"]);
        sb.boot_as(name, &[]);
        assert!(sb.exit_status().is_none(), "{name}: {}", sb.console());
        assert_eq!(wait_running(&sb), "running", "{name}");
        assert_eq!(sb.prop("x.service", "ActiveState"), "active", "{name}");
        // Ansible's service_facts believes systemd runs only when /proc/1/comm says so.
        let comm = sb.run(&["cat", "/proc/1/comm"]);
        assert_eq!(comm.stdout, "systemd\n", "{name}");
        sb.signal_init(libc::SIGTERM);
        assert_eq!(sb.wait_exit(WAIT), 0, "{name}: {}", sb.console());
    }
}

#[test]
fn systemctl_exit_n_ends_the_container_with_n() {
    for code in [0, 3, 255] {
        let sb = Sandbox::for_init();
        sb.unit(
            "x.service",
            "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
        );
        enable(&sb, &["x.service"]);
        sb.boot(&[]);
        wait_running(&sb);
        let o = sb.systemctl(&["exit", &code.to_string()]);
        // The client may be gone with the namespace before it exits by itself.
        assert!(o.code == 0 || o.code == -1, "{o:?}");
        assert_eq!(sb.wait_exit(WAIT), code);
    }
}

#[test]
fn the_init_signals_end_the_container_and_sighup_usr1_usr2_do_not() {
    for sig in [libc::SIGINT, SIGRTMIN + 3, SIGRTMIN + 4, SIGRTMIN + 5] {
        let sb = Sandbox::for_init();
        sb.unit(
            "x.service",
            "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
        );
        enable(&sb, &["x.service"]);
        sb.boot(&[]);
        wait_running(&sb);
        for harmless in [libc::SIGUSR1, libc::SIGUSR2] {
            sb.signal_init(harmless);
        }
        sb.unit(
            "x.service",
            "[Unit]\nDescription=Reloaded\n[Service]\nExecStart=/bin/sleep infinity\n",
        );
        assert_eq!(sb.prop("x.service", "NeedDaemonReload"), "yes");
        sb.signal_init(libc::SIGHUP);
        sb.wait_for_prop("x.service", "NeedDaemonReload", "no");
        assert_eq!(sb.prop("x.service", "ActiveState"), "active");
        assert!(sb.exit_status().is_none(), "USR1/USR2/HUP must not end it");
        sb.signal_init(sig);
        assert_eq!(sb.wait_exit(WAIT), 0, "signal {sig}: {}", sb.console());
    }
}

#[test]
fn orphans_and_double_forked_daemons_are_reaped_and_memory_stays_flat() {
    let sb = Sandbox::for_init();
    sb.file(
        "/etc/forker.py",
        "import os\nfor i in range(10000):\n    if os.fork() == 0:\n        os._exit(0)\n",
    );
    sb.unit(
        "forker.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/bin/python3 /etc/forker.py\n",
    );
    sb.unit(
        "daemonizer.service",
        &format!(
            "[Service]\nType=forking\nPIDFile=/run/forking.pid\n\
             ExecStart={} --pidfile /run/forking.pid\n\
             [Install]\nWantedBy=multi-user.target\n",
            sb.daemon("forking.sh")
        ),
    );
    enable(&sb, &["daemonizer.service"]);
    sb.boot(&[]);
    wait_running(&sb);
    let rss = |sb: &Sandbox| -> u64 {
        let status = sb.read("/proc/1/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(0)
    };
    let before = rss(&sb);
    let o = sb.systemctl(&["start", "forker.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let zombies = |sb: &Sandbox| {
        sb.run(&["ps", "-eo", "stat="])
            .stdout
            .lines()
            .filter(|s| s.starts_with('Z'))
            .count()
    };
    sb.wait_until("every orphan is reaped", WAIT, || zombies(&sb) == 0);
    let after = rss(&sb);
    assert!(
        after < before + 4096,
        "PID 1 grew from {before} kB to {after} kB reaping 10,000 orphans"
    );
    assert_eq!(sb.prop("daemonizer.service", "ActiveState"), "active");
}

#[test]
fn shutdown_kills_a_unit_ignoring_sigterm_after_its_stop_timeout_and_sweeps_setsid_escapees() {
    let sb = Sandbox::for_init();
    sb.unit(
        "stubborn.service",
        &format!(
            "[Service]\nExecStart={}\nTimeoutStopSec=1\n[Install]\nWantedBy=multi-user.target\n",
            sb.daemon("ignore-term.py")
        ),
    );
    sb.unit(
        "escapee.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nKillMode=none\n\
         ExecStart=/bin/sh -c 'setsid sleep 1000 >/dev/null 2>&1 < /dev/null &'\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    enable(&sb, &["stubborn.service", "escapee.service"]);
    sb.boot(&[]);
    wait_running(&sb);
    sb.wait_until("the escapee runs", WAIT, || {
        sb.run(&["pgrep", "-x", "sleep"]).code == 0
    });
    let started = Instant::now();
    sb.signal_init(libc::SIGTERM);
    assert_eq!(sb.wait_exit(WAIT), 0, "{}", sb.console());
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(8),
        "shutdown took {took:?}, beyond TimeoutStopSec=1 and Docker's 10 s"
    );
    let console = sb.console();
    assert!(
        console.contains("Sending SIGTERM to remaining processes"),
        "{console}"
    );
}

#[test]
fn failure_action_exit_and_systemctl_exit_from_a_first_boot_oneshot_set_the_exit_code() {
    let sb = Sandbox::for_init();
    sb.unit(
        "first-boot.service",
        "[Unit]\nFailureAction=exit\nFailureActionExitStatus=7\n\
         [Service]\nType=oneshot\nExecStart=/bin/false\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    enable(&sb, &["first-boot.service"]);
    sb.boot(&[]);
    assert_eq!(sb.wait_exit(WAIT), 7, "{}", sb.console());

    // freeipa-container: the oneshot says `systemctl exit $code`, then fails; poweroff keeps it.
    let sb = Sandbox::for_init();
    sb.unit(
        "ipa-setup.service",
        &format!(
            "[Unit]\nFailureAction=poweroff\n\
             [Service]\nType=oneshot\nExecStart=/bin/sh -c '{} exit 3; exit 1'\n\
             [Install]\nWantedBy=multi-user.target\n",
            sb.systemctl_path()
        ),
    );
    enable(&sb, &["ipa-setup.service"]);
    sb.boot(&[]);
    assert_eq!(sb.wait_exit(WAIT), 3, "{}", sb.console());
}

#[test]
fn sigterm_during_boot_stops_boot_and_what_already_started() {
    let sb = Sandbox::for_init();
    sb.unit(
        "fast.service",
        "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
    );
    sb.unit(
        "slow.service",
        "[Unit]\nAfter=fast.service\n[Service]\nExecStartPre=/bin/sleep 60\n\
         ExecStart=/bin/sleep infinity\nTimeoutStartSec=120\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    sb.unit(
        "late.service",
        "[Unit]\nAfter=slow.service\n[Service]\nExecStart=/bin/sleep infinity\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    enable(&sb, &["fast.service", "slow.service", "late.service"]);
    sb.boot(&[]);
    sb.wait_for_prop("slow.service", "ActiveState", "activating");
    assert_eq!(sb.prop("fast.service", "ActiveState"), "active");
    let jobs = sb.systemctl(&["list-jobs"]);
    assert!(
        jobs.stdout.contains("late.service") && jobs.stdout.contains("jobs listed."),
        "{jobs:?}"
    );
    assert_eq!(sb.systemctl(&["is-system-running"]).stdout, "starting\n");
    let started = Instant::now();
    sb.signal_init(libc::SIGTERM);
    assert_eq!(sb.wait_exit(WAIT), 0, "{}", sb.console());
    assert!(started.elapsed() < Duration::from_secs(10));
    let console = sb.console();
    assert!(!console.contains("Starting late.service"), "{console}");
}

#[test]
fn a_unit_that_never_becomes_ready_times_out_and_boot_goes_on_without_it() {
    let sb = Sandbox::for_init();
    sb.unit(
        "never-ready.service",
        "[Service]\nType=notify\nExecStart=/bin/sleep infinity\nTimeoutStartSec=1\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    sb.unit(
        "after.service",
        "[Unit]\nAfter=never-ready.service\n[Service]\nExecStart=/bin/sleep infinity\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    enable(&sb, &["never-ready.service", "after.service"]);
    sb.boot(&[]);
    assert_eq!(wait_running(&sb), "degraded");
    assert_eq!(sb.prop("never-ready.service", "Result"), "timeout");
    assert_eq!(sb.prop("after.service", "ActiveState"), "active");
}

#[test]
fn the_unit_on_the_command_line_is_booted_instead_of_default_target() {
    let sb = Sandbox::for_init();
    sb.unit(
        "app.target",
        "[Unit]\nDescription=App\nWants=one.service\nAllowIsolate=yes\n",
    );
    sb.unit("one.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    sb.unit(
        "other.service",
        "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
    );
    sb.unit(
        "two.service",
        "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
    );
    enable(&sb, &["other.service", "two.service"]);
    sb.boot(&["--unit=app.target"]);
    wait_running(&sb);
    assert_eq!(sb.prop("one.service", "ActiveState"), "active");
    assert_eq!(sb.prop("other.service", "ActiveState"), "inactive");
    // `systemctl default` isolates default.target: app.target's units stop, the others start.
    let o = sb.systemctl(&["default"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(sb.prop("other.service", "ActiveState"), "active");
    assert_eq!(sb.prop("two.service", "ActiveState"), "active");
    assert_eq!(sb.prop("one.service", "ActiveState"), "inactive");
    let o = sb.systemctl(&["isolate", "one.service"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            4,
            "Failed to start one.service: Operation refused, unit may not be isolated.\n\
             See system logs and 'systemctl status one.service' for details.\n"
        )
    );
}

#[test]
fn the_same_image_runs_under_another_init_with_the_on_demand_manager() {
    // A shell entrypoint (here the sandbox's reaper) is PID 1; `systemctl default` brings up
    // what is enabled, in order, through the manager started on demand.
    let sb = Sandbox::new();
    let log = "/run/order";
    sb.unit("db.service", &logging_service("db", log, "", ""));
    sb.unit(
        "app.service",
        &logging_service("app", log, "Requires=db.service\nAfter=db.service", ""),
    );
    enable(&sb, &["db.service", "app.service"]);
    let o = sb.systemctl(&["start", "multi-user.target"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        sb.read(log).unwrap_or_default(),
        "start db\nstart app\n",
        "db before app"
    );
    let o = sb.systemctl(&["stop", "db.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        sb.prop("app.service", "ActiveState"),
        "inactive",
        "stopping a required unit stops its dependents"
    );
    let stops: Vec<String> = sb
        .read(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("stop"))
        .map(str::to_string)
        .collect();
    assert_eq!(stops, ["stop app", "stop db"]);
}

#[test]
fn nothing_starts_once_shutdown_began_so_an_on_success_unit_cannot_keep_the_container_up() {
    let sb = Sandbox::for_init();
    sb.unit(
        "app.service",
        "[Unit]\nOnSuccess=after-app.service\n[Service]\nExecStart=/bin/sleep infinity\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    sb.unit(
        "after-app.service",
        "[Service]\nExecStart=/bin/sleep infinity\n",
    );
    enable(&sb, &["app.service"]);
    sb.boot(&[]);
    wait_running(&sb);
    sb.signal_init(libc::SIGTERM);
    assert_eq!(sb.wait_exit(WAIT), 0, "{}", sb.console());
    assert!(
        !sb.console().contains("Started after-app.service"),
        "{}",
        sb.console()
    );
}

/// In an image without systemd's files, the targets our manager supplies are known to every
/// verb: `enable` does not call multi-user.target non-existent, and `cat` shows the target our
/// manager uses. Below `--root=` the image's files alone count, as for systemctl.
#[test]
fn targets_supplied_by_the_manager_are_known_to_enable_and_cat() {
    let sb = Sandbox::for_init();
    sb.unit(
        "x.service",
        "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
    );
    let o = sb.systemctl(&["enable", "x.service"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            0,
            "Created symlink /etc/systemd/system/multi-user.target.wants/x.service \u{2192} \
             /etc/systemd/system/x.service.\n"
        ),
        "{o:?}"
    );
    let o = sb.systemctl(&["cat", "multi-user.target"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.starts_with(
            "# multi-user.target as systemd 252 ships it (built in: this image has no file for \
             it)\n[Unit]\nDescription=Multi-User System\n"
        ),
        "{o:?}"
    );
    // An image below --root= without the target: both systemctls warn.
    let image = || {
        let t = common::RootTree::new();
        t.write(
            "/etc/systemd/system/x.service",
            "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
        );
        t
    };
    let (ours_tree, real_tree) = (image(), image());
    let ours = ours_tree.ours(&["enable", "x.service"]);
    let real = real_tree.real_systemctl(&["enable", "x.service"]);
    assert!(
        ours.stderr
            .contains("is added as a dependency to a non-existent unit multi-user.target"),
        "{ours:?}"
    );
    let strip = |o: &common::Outcome, t: &common::RootTree| {
        o.stderr.replace(&t.path().display().to_string(), "ROOT")
    };
    assert_eq!(strip(&ours, &ours_tree), strip(&real, &real_tree));
}

/// An init script enabled with `update-rc.d NAME defaults` (a SysV-only package's postinst) is
/// started at the next boot, after the scripts its `Required-Start:` names, as
/// systemd-sysv-generator makes multi-user.target want it; one without start links is not. The
/// units and links the manager writes to /run/systemd/generator.late are the real generator's
/// for the same tree, byte for byte.
#[test]
fn sysv_scripts_enabled_by_update_rc_d_start_at_boot_as_the_real_generator_says() {
    let real = "/lib/systemd/system-generators/systemd-sysv-generator";
    let sb = Sandbox::for_init();
    let script = |name: &str, requires: &str| {
        format!(
            "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {name}\n\
             # Required-Start: $local_fs $remote_fs {requires}\n# Required-Stop:\n\
             # Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n\
             # Short-Description: {name} daemon\n### END INIT INFO\n\
             case \"$1\" in\n  start) echo \"start {name}\" >> /run/sysv.order\n\
             /bin/sleep 1000 & ;;\n  stop) ;;\nesac\nexit 0\n"
        )
    };
    sb.executable("/etc/init.d/legacydb", &script("legacydb", ""));
    sb.executable("/etc/init.d/legacyweb", &script("legacyweb", "legacydb"));
    sb.executable("/etc/init.d/notenabled", &script("notenabled", ""));
    for name in ["legacydb", "legacyweb"] {
        let o = sb.run(&["update-rc.d", name, "defaults"]);
        assert_eq!(o.code, 0, "update-rc.d {name} defaults: {o:?}");
    }
    sb.boot(&[]);
    assert_eq!(wait_running(&sb), "running");
    sb.wait_for_lines("/run/sysv.order", 2);
    assert_eq!(
        sb.read("/run/sysv.order").unwrap_or_default(),
        "start legacydb\nstart legacyweb\n"
    );
    for (unit, state) in [
        ("legacydb.service", "active"),
        ("legacyweb.service", "active"),
        ("notenabled.service", "inactive"),
    ] {
        assert_eq!(sb.prop(unit, "ActiveState"), state, "{unit}");
    }
    if std::path::Path::new(real).exists() {
        let o = sb.sh(&format!(
            "mkdir -p /run/real-gen/a /run/real-gen/b /run/real-gen/c && \
             {real} /run/real-gen/a /run/real-gen/b /run/real-gen/c && \
             diff -r --no-dereference /run/real-gen/c /run/systemd/generator.late"
        ));
        assert_eq!(o.code, 0, "ours differs from the real generator: {o:?}");
    }
}
