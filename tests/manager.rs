//! The service manager as a user meets it: runtime verbs of our systemctl inside a private PID and
//! mount namespace ([`Sandbox`]), against real processes (`unit-fixtures/daemons/`). Each test is
//! named after the behaviour of systemd 252 it proves (systemd.service(5), systemctl(1)) and
//! asserts what a user sees: stdout, stderr and exit codes of systemctl, properties via `show`,
//! logs via `journalctl`. No fixed sleeps: every wait is a deadline poll.

mod common;

use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, WAIT};
use common::Outcome;

/// The two lines systemctl 252 prints when a start job fails (bus-wait-for-jobs.c,
/// `log_job_error_with_service_result()`), for a service `Result=` that has an explanation.
fn job_failed(unit: &str, because: &str) -> String {
    format!(
        "Job for {unit} failed because {because}.\n\
         See \"systemctl status {unit}\" and \"journalctl -xeu {unit}\" for details.\n"
    )
}

fn assert_success(o: &Outcome, what: &str) {
    assert_eq!(o.code, 0, "{what} failed: {o:?}");
}

fn start(sb: &Sandbox, unit: &str) {
    let o = sb.systemctl(&["start", unit]);
    assert_success(&o, &format!("start {unit}"));
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str()),
        ("", ""),
        "start {unit}"
    );
}

fn stop(sb: &Sandbox, unit: &str) {
    let o = sb.systemctl(&["stop", unit]);
    assert_success(&o, &format!("stop {unit}"));
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str()),
        ("", ""),
        "stop {unit}"
    );
}

fn is_active(sb: &Sandbox, unit: &str) -> (String, i32) {
    let o = sb.systemctl(&["is-active", unit]);
    (o.stdout, o.code)
}

fn active(sb: &Sandbox, unit: &str) {
    assert_eq!(is_active(sb, unit), ("active\n".to_string(), 0), "{unit}");
}

fn inactive(sb: &Sandbox, unit: &str) {
    assert_eq!(is_active(sb, unit), ("inactive\n".to_string(), 3), "{unit}");
}

/// The sandbox itself: what is written inside stays inside, commands see only the sandbox's
/// processes and a clean environment, and dropping it ends every process in it.
#[test]
fn sandbox_is_hermetic() {
    let sb = Sandbox::new();
    sb.file("/run/hermetic-probe", "inside\n");
    sb.file("/etc/default/hermetic-probe", "inside\n");
    sb.unit("hermetic-probe.service", "[Service]\nExecStart=/bin/true\n");
    sb.file("/var/lib/hermetic-probe/x", "inside\n");
    for p in [
        "/run/hermetic-probe",
        "/etc/default/hermetic-probe",
        "/etc/systemd/system/hermetic-probe.service",
        "/var/lib/hermetic-probe",
    ] {
        assert!(!std::path::Path::new(p).exists(), "{p} leaked to the host");
    }
    let o = sb.sh("cat /run/hermetic-probe /etc/default/hermetic-probe; ls /etc/systemd/system");
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "inside\ninside\nhermetic-probe.service\n")
    );
    // The host's units and runtime state are not visible; the host's /etc otherwise is.
    assert!(!sb.exists("/run/systemd"));
    assert!(sb.exists("/etc/passwd"));
    // pid 1 is the sandbox's reaper; the environment is PATH (and what sh itself sets).
    let o = sb.sh("tr '\\0' ' ' < /proc/1/cmdline; echo; env");
    assert!(o.stdout.starts_with("python3 -c"), "{o:?}");
    assert!(o.stdout.contains("\nPATH=/usr/local/sbin:"), "{o:?}");
    assert!(
        !o.stdout.contains("CARGO"),
        "the caller's environment leaked: {o:?}"
    );
    // A process left running inside dies with the sandbox, and so does the holder.
    let o = sb.sh("setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!");
    let sleeper: i32 = o.stdout.trim().parse().expect("pid of the sleeper");
    assert!(sb.pid_alive(sleeper));
    let ns = std::fs::read_link(format!("/proc/{}/ns/pid", sb.pid1())).expect("ns link");
    let in_ns = || -> Vec<i32> {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok() == Some(ns.clone())
            })
            .collect()
    };
    assert!(in_ns().len() >= 2, "pid 1 and the sleeper: {:?}", in_ns());
    let holder = sb.holder_pid();
    drop(sb);
    // The kernel tears the namespace down after its pid 1 is gone: give it a deadline.
    let deadline = Instant::now() + WAIT;
    while !in_ns().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(in_ns(), Vec::<i32>::new(), "processes outlived the sandbox");
    assert!(
        !std::path::Path::new(&format!("/proc/{holder}")).exists(),
        "the holder outlived the sandbox"
    );
}

#[test]
fn is_system_running_without_a_manager_is_offline() {
    let sb = Sandbox::new();
    let o = sb.systemctl(&["is-system-running"]);
    assert_eq!((o.stdout.as_str(), o.code), ("offline\n", 1), "{o:?}");
}

#[test]
fn is_system_running_with_a_manager_is_running_and_marks_run_systemd_system() {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    start(&sb, "x.service");
    let o = sb.systemctl(&["is-system-running"]);
    assert_eq!((o.stdout.as_str(), o.code), ("running\n", 0), "{o:?}");
    // sd_booted(): programs check this directory to see whether they run under systemd.
    assert!(sb.host_path("/run/systemd/system").is_dir());
}

#[test]
fn simple_service_starts_is_active_and_stops() {
    let sb = Sandbox::new();
    sb.unit(
        "x.service",
        "[Unit]\nDescription=Sleeper\n[Service]\nExecStart=/bin/sleep infinity\n",
    );
    start(&sb, "x.service");
    active(&sb, "x.service");
    assert_eq!(sb.prop("x.service", "ActiveState"), "active");
    assert_eq!(sb.prop("x.service", "SubState"), "running");
    let pid = sb.main_pid("x.service");
    assert!(sb.pid_alive(pid), "MainPID {pid} is not a live process");
    assert_eq!(sb.cmdline(pid).as_deref(), Some("/bin/sleep infinity"));

    stop(&sb, "x.service");
    inactive(&sb, "x.service");
    assert_eq!(sb.prop("x.service", "SubState"), "dead");
    assert_eq!(sb.main_pid("x.service"), 0);
    // A stop job finishes only once the processes are gone.
    assert!(!sb.pid_alive(pid), "{pid} survived stop");
}

#[test]
fn restart_replaces_the_main_process() {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    start(&sb, "x.service");
    let first = sb.main_pid("x.service");
    let o = sb.systemctl(&["restart", "x.service"]);
    assert_success(&o, "restart");
    active(&sb, "x.service");
    let second = sb.main_pid("x.service");
    assert_ne!(first, second);
    assert!(
        !sb.pid_alive(first),
        "the old main process survived restart"
    );
    assert!(sb.pid_alive(second));
}

/// systemd.service(5): for Type=simple, `systemctl start` succeeds even if the binary cannot be
/// executed; the unit fails afterwards with status 203/EXEC.
#[test]
fn simple_service_with_a_missing_binary_starts_then_fails_with_203() {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nExecStart=/nonexistent/daemon\n");
    start(&sb, "x.service");
    sb.wait_for_prop("x.service", "ActiveState", "failed");
    assert_eq!(sb.prop("x.service", "Result"), "exit-code");
    assert_eq!(sb.prop("x.service", "ExecMainStatus"), "203");
    assert_eq!(is_active(&sb, "x.service"), ("failed\n".to_string(), 3));
}

/// Type=exec: start waits for execve() to succeed, so a missing binary fails the start job.
#[test]
fn exec_service_with_a_missing_binary_fails_to_start() {
    let sb = Sandbox::new();
    sb.unit(
        "x.service",
        "[Service]\nType=exec\nExecStart=/nonexistent/daemon\n",
    );
    let o = sb.systemctl(&["start", "x.service"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert_eq!(
        o.stderr,
        job_failed("x.service", "the control process exited with error code")
    );
    assert_eq!(sb.prop("x.service", "Result"), "exit-code");
    assert_eq!(sb.prop("x.service", "ExecMainStatus"), "203");
    assert_eq!(sb.prop("x.service", "ActiveState"), "failed");
}

#[test]
fn forking_service_with_pidfile_has_the_daemon_as_main_pid() {
    let sb = Sandbox::new();
    sb.unit(
        "fork.service",
        &format!(
            "[Service]\nType=forking\nPIDFile=/run/fork.pid\nExecStart={} --pidfile /run/fork.pid\n",
            sb.daemon("forking.sh")
        ),
    );
    start(&sb, "fork.service");
    active(&sb, "fork.service");
    let daemon: i32 = sb.read("/run/fork.pid").unwrap().trim().parse().unwrap();
    assert_eq!(sb.main_pid("fork.service"), daemon);
    assert_eq!(sb.cmdline(daemon).as_deref(), Some("sleep infinity"));
    stop(&sb, "fork.service");
    inactive(&sb, "fork.service");
    assert!(!sb.pid_alive(daemon));
}

/// The PID file may appear after the starting process exited: start waits for it.
#[test]
fn forking_service_waits_for_a_late_pidfile() {
    let sb = Sandbox::new();
    sb.unit(
        "fork.service",
        &format!(
            "[Service]\nType=forking\nPIDFile=/run/fork.pid\n\
             ExecStart={} --pidfile /run/fork.pid --delay 1\n",
            sb.daemon("forking.sh")
        ),
    );
    start(&sb, "fork.service");
    let daemon: i32 = sb
        .read("/run/fork.pid")
        .expect("start returned before the PID file existed")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(sb.main_pid("fork.service"), daemon);
    active(&sb, "fork.service");
}

/// Without PIDFile= the manager guesses the main pid (GuessMainPID=yes): the one daemon left.
#[test]
fn forking_service_without_pidfile_guesses_the_daemon() {
    let sb = Sandbox::new();
    sb.unit(
        "fork.service",
        &format!(
            "[Service]\nType=forking\nExecStart={}\n",
            sb.daemon("forking.sh")
        ),
    );
    start(&sb, "fork.service");
    active(&sb, "fork.service");
    let o = sb.sh("pgrep -x sleep");
    let daemon: i32 = o.stdout.trim().parse().expect("one daemon running");
    assert_eq!(sb.main_pid("fork.service"), daemon);
    stop(&sb, "fork.service");
    assert!(!sb.pid_alive(daemon), "stop left the daemon running");
}

#[test]
fn oneshot_start_returns_after_exec_start_finished() {
    let sb = Sandbox::new();
    sb.unit(
        "once.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 1; echo done > /run/once.done'\n",
    );
    start(&sb, "once.service");
    assert_eq!(sb.read("/run/once.done").as_deref(), Some("done\n"));
    inactive(&sb, "once.service");
    assert_eq!(sb.prop("once.service", "Result"), "success");
}

#[test]
fn oneshot_with_remain_after_exit_stays_active_exited() {
    let sb = Sandbox::new();
    sb.unit(
        "once.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    start(&sb, "once.service");
    active(&sb, "once.service");
    assert_eq!(sb.prop("once.service", "SubState"), "exited");
    let o = sb.systemctl(&["status", "once.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.contains("     Active: active (exited) since "),
        "{}",
        o.stdout
    );
    stop(&sb, "once.service");
    inactive(&sb, "once.service");
}

#[test]
fn notify_service_start_returns_only_after_ready() {
    let sb = Sandbox::new();
    sb.unit(
        "n.service",
        &format!(
            "[Service]\nType=notify\n\
             ExecStart={} STATUS=starting --delay 1 --touch /run/n.ready READY=1 STATUS=serving --then-sleep\n",
            sb.daemon("notify.py")
        ),
    );
    start(&sb, "n.service");
    let pid = sb
        .read("/run/n.ready")
        .expect("start returned before the service sent READY=1");
    active(&sb, "n.service");
    assert_eq!(sb.main_pid("n.service").to_string(), pid.trim());
    assert_eq!(sb.prop("n.service", "StatusText"), "serving");
}

/// NotifyAccess=main (the default of Type=notify): READY=1 from another process is ignored, so
/// the start times out.
#[test]
fn notify_ready_from_a_child_is_ignored_with_notify_access_main() {
    let sb = Sandbox::new();
    sb.unit(
        "n.service",
        &format!(
            "[Service]\nType=notify\nNotifyAccess=main\nTimeoutStartSec=2\n\
             ExecStart={} --from-child READY=1 --then-sleep\n",
            sb.daemon("notify.py")
        ),
    );
    let o = sb.systemctl(&["start", "n.service"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert_eq!(o.stderr, job_failed("n.service", "a timeout was exceeded"));
    assert_eq!(sb.prop("n.service", "Result"), "timeout");
    assert_eq!(sb.prop("n.service", "ActiveState"), "failed");
}

#[test]
fn notify_ready_from_a_child_is_accepted_with_notify_access_all() {
    let sb = Sandbox::new();
    sb.unit(
        "n.service",
        &format!(
            "[Service]\nType=notify\nNotifyAccess=all\nTimeoutStartSec=30\n\
             ExecStart={} --from-child READY=1 --then-sleep\n",
            sb.daemon("notify.py")
        ),
    );
    start(&sb, "n.service");
    active(&sb, "n.service");
}

/// MAINPID= moves the main process to another process of the service.
#[test]
fn notify_mainpid_moves_the_main_process() {
    let sb = Sandbox::new();
    sb.unit(
        "n.service",
        &format!(
            "[Service]\nType=notify\nNotifyAccess=all\n\
             ExecStart={} --fork-child --append /run/child '{{child}}' READY=1 MAINPID={{child}} --then-sleep\n",
            sb.daemon("notify.py")
        ),
    );
    start(&sb, "n.service");
    let child = sb.read("/run/child").expect("child pid written");
    assert_eq!(sb.main_pid("n.service").to_string(), child.trim());
}

/// Type=notify-reload (systemd 253; here as the lead plans it): `reload` sends SIGHUP and waits
/// for RELOADING=1 … READY=1.
#[test]
fn notify_reload_service_reloads_with_sighup_and_waits_for_ready() {
    let sb = Sandbox::new();
    sb.unit(
        "n.service",
        &format!(
            "[Service]\nType=notify-reload\n\
             ExecStart={} --reload-on-hup --reload-log /run/reloads READY=1 --then-sleep\n",
            sb.daemon("notify.py")
        ),
    );
    start(&sb, "n.service");
    let pid = sb.main_pid("n.service");
    let o = sb.systemctl(&["reload", "n.service"]);
    assert_success(&o, "reload");
    assert_eq!(sb.read("/run/reloads").as_deref(), Some("reload\n"));
    active(&sb, "n.service");
    assert_eq!(sb.main_pid("n.service"), pid);
}

#[test]
fn watchdog_without_pings_fails_the_service() {
    let sb = Sandbox::new();
    sb.unit(
        "w.service",
        &format!(
            "[Service]\nType=notify\nWatchdogSec=1\nWatchdogSignal=SIGTERM\n\
             ExecStart={} READY=1 --then-sleep\n",
            sb.daemon("notify.py")
        ),
    );
    start(&sb, "w.service");
    sb.wait_for_prop("w.service", "Result", "watchdog");
    sb.wait_for_prop("w.service", "ActiveState", "failed");
}

#[test]
fn exec_hooks_run_in_order() {
    let sb = Sandbox::new();
    sb.executable("/run/hook", "#!/bin/sh\necho \"$1\" >> /run/order\n");
    sb.unit(
        "h.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\n\
         ExecStartPre=/run/hook pre\nExecStart=/run/hook start\nExecStartPost=/run/hook post\n\
         ExecStop=/run/hook stop\nExecStopPost=/run/hook stop-post\n",
    );
    start(&sb, "h.service");
    assert_eq!(sb.read("/run/order").as_deref(), Some("pre\nstart\npost\n"));
    stop(&sb, "h.service");
    assert_eq!(
        sb.read("/run/order").as_deref(),
        Some("pre\nstart\npost\nstop\nstop-post\n")
    );
}

/// A `-` prefix makes a command's failure count as success.
#[test]
fn dash_prefixed_command_failures_are_ignored() {
    let sb = Sandbox::new();
    sb.executable("/run/hook", "#!/bin/sh\necho \"$1\" >> /run/order\n");
    sb.unit(
        "d.service",
        &format!(
            "[Service]\nExecStartPre=-{}\nExecStartPre=/run/hook pre\nExecStart=/bin/sleep infinity\n",
            sb.daemon("exit-with.sh")
        ),
    );
    start(&sb, "d.service");
    active(&sb, "d.service");
    assert_eq!(sb.read("/run/order").as_deref(), Some("pre\n"));
}

#[test]
fn failing_exec_start_pre_fails_the_start_and_skips_exec_start() {
    let sb = Sandbox::new();
    sb.unit(
        "d.service",
        &format!(
            "[Service]\nExecStartPre={} 3\nExecStart=/bin/sh -c 'touch /run/started; exec sleep infinity'\n",
            sb.daemon("exit-with.sh")
        ),
    );
    let o = sb.systemctl(&["start", "d.service"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert_eq!(
        o.stderr,
        job_failed("d.service", "the control process exited with error code")
    );
    assert_eq!(sb.prop("d.service", "Result"), "exit-code");
    assert_eq!(sb.prop("d.service", "ActiveState"), "failed");
    assert!(!sb.exists("/run/started"));
}

/// ExecReload= and ExecStop= see the main process as $MAINPID.
#[test]
fn exec_reload_and_exec_stop_get_mainpid() {
    let sb = Sandbox::new();
    sb.executable(
        "/run/hook",
        "#!/bin/sh\necho \"$1 $MAINPID\" >> /run/mainpid\n",
    );
    sb.unit(
        "m.service",
        "[Service]\nExecStart=/bin/sleep infinity\nExecReload=/run/hook reload\n\
         ExecStop=/run/hook stop\n",
    );
    start(&sb, "m.service");
    let pid = sb.main_pid("m.service");
    assert_success(&sb.systemctl(&["reload", "m.service"]), "reload");
    stop(&sb, "m.service");
    assert_eq!(
        sb.read("/run/mainpid"),
        Some(format!("reload {pid}\nstop {pid}\n"))
    );
    assert!(!sb.pid_alive(pid));
}

/// Environment= and EnvironmentFile= reach the service; the caller's environment does not (the
/// manager runs services in its own clean environment, even when this call started it).
#[test]
fn service_environment_comes_from_the_unit_not_the_caller() {
    let sb = Sandbox::new();
    sb.file("/etc/default/envtest", "A=1\n# comment\nB=\"two words\"\n");
    sb.unit(
        "e.service",
        "[Service]\nEnvironment=FOO=bar \"SPACED=a b\"\n\
         EnvironmentFile=/etc/default/envtest\nEnvironmentFile=-/etc/default/missing\n\
         ExecStart=/bin/sh -c 'env > /run/env.tmp && mv /run/env.tmp /run/env; exec sleep infinity'\n",
    );
    let o = sb.systemctl_env(&[("LEAKED_FROM_CALLER", "1")], &["start", "e.service"]);
    assert_success(&o, "start");
    let env = sb.wait_for_file("/run/env");
    let vars: Vec<&str> = env.lines().collect();
    for want in ["FOO=bar", "SPACED=a b", "A=1", "B=two words"] {
        assert!(vars.contains(&want), "{want} missing from\n{env}");
    }
    assert!(
        vars.iter().any(|v| v.starts_with("PATH=")),
        "no PATH in\n{env}"
    );
    assert!(
        !env.contains("LEAKED_FROM_CALLER"),
        "the caller's environment reached the service:\n{env}"
    );
}

/// TimeoutStopSec=: a service ignoring SIGTERM is killed with SIGKILL when the timeout passes,
/// and ends with Result=timeout.
#[test]
fn timeout_stop_sec_kills_a_service_ignoring_sigterm() {
    let sb = Sandbox::new();
    sb.unit(
        "t.service",
        &format!(
            "[Service]\nTimeoutStopSec=2\nExecStart={} /run/t.ready\n",
            sb.daemon("ignore-term.py")
        ),
    );
    start(&sb, "t.service");
    sb.wait_for_file("/run/t.ready");
    let pid = sb.main_pid("t.service");
    let began = Instant::now();
    let o = sb.systemctl(&["stop", "t.service"]);
    let took = began.elapsed();
    assert_success(&o, "stop");
    assert!(
        took >= Duration::from_millis(1500),
        "stop took only {took:?}"
    );
    assert!(!sb.pid_alive(pid), "the service survived SIGKILL");
    assert_eq!(sb.prop("t.service", "Result"), "timeout");
    assert_eq!(is_active(&sb, "t.service"), ("failed\n".to_string(), 3));
}

/// Restart=on-failure restarts a failing service; NRestarts counts the restarts.
#[test]
fn restart_on_failure_restarts_and_counts() {
    let sb = Sandbox::new();
    // Fails twice, then stays up.
    sb.executable(
        "/run/flaky",
        "#!/bin/sh\nn=$(cat /run/count 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > /run/count\n\
         [ $n -ge 3 ] && exec sleep infinity\nexit 1\n",
    );
    sb.unit(
        "r.service",
        "[Service]\nRestart=on-failure\nRestartSec=100ms\nExecStart=/run/flaky\n",
    );
    start(&sb, "r.service");
    sb.wait_for_prop("r.service", "NRestarts", "2");
    sb.wait_for_prop("r.service", "SubState", "running");
    active(&sb, "r.service");
    let pid = sb.main_pid("r.service");
    assert_eq!(sb.cmdline(pid).as_deref(), Some("sleep infinity"));
}

/// StartLimitBurst=/StartLimitIntervalSec=: too many starts in the interval fail the unit, and a
/// further start is refused. Reached through restarts, Result= stays the failure that made it
/// restart (exit-code), as in 252.
#[test]
fn start_limit_hit_stops_restarting() {
    let sb = Sandbox::new();
    sb.unit(
        "c.service",
        &format!(
            "[Unit]\nStartLimitBurst=3\nStartLimitIntervalSec=10\n\
             [Service]\nRestart=always\nRestartSec=100ms\nExecStart={} 1\n",
            sb.daemon("exit-with.sh")
        ),
    );
    start(&sb, "c.service");
    sb.wait_for_prop("c.service", "ActiveState", "failed");
    assert_eq!(sb.prop("c.service", "Result"), "exit-code");
    assert_eq!(sb.prop("c.service", "NRestarts"), "3");
    let o = sb.systemctl(&["start", "c.service"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.starts_with("Job for c.service failed"), "{o:?}");
    let log = sb.journalctl(&["-u", "c.service"]);
    assert!(
        log.stdout
            .contains("c.service: Start request repeated too quickly."),
        "{log:?}"
    );
}

#[test]
fn crashing_service_fails_with_result_signal() {
    let sb = Sandbox::new();
    sb.unit(
        "c.service",
        &format!(
            "[Service]\nType=exec\nExecStart={} SEGV\n",
            sb.daemon("crash.py")
        ),
    );
    start(&sb, "c.service");
    sb.wait_for_prop("c.service", "ActiveState", "failed");
    assert_eq!(sb.prop("c.service", "Result"), "signal");
    assert_eq!(sb.prop("c.service", "ExecMainStatus"), "11");
}

#[test]
fn starting_an_unknown_unit_fails_with_not_found() {
    let sb = Sandbox::new();
    let o = sb.systemctl(&["start", "nope.service"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (
            5,
            "",
            "Failed to start nope.service: Unit nope.service not found.\n"
        )
    );
}

#[test]
fn starting_a_unit_with_a_bad_setting_is_refused() {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nType=simple\n");
    let o = sb.systemctl(&["start", "x.service"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (
            1,
            "",
            "Failed to start x.service: Unit x.service has a bad unit file setting.\n\
             See system logs and 'systemctl status x.service' for details.\n"
        )
    );
}

/// Only root may change units; anyone may query them.
#[test]
fn non_root_cannot_stop_but_can_query() {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    start(&sb, "x.service");
    let o = sb.as_user(1000, &["stop", "x.service"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            4,
            "Failed to stop x.service: Access denied\n\
             See system logs and 'systemctl status x.service' for details.\n"
        ),
        "{o:?}"
    );
    active(&sb, "x.service");
    let o = sb.as_user(1000, &["is-active", "x.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("active\n", 0), "{o:?}");
    let o = sb.as_user(1000, &["show", "-p", "ActiveState", "x.service"]);
    assert_eq!(o.stdout, "ActiveState=active\n", "{o:?}");
}

/// What a service writes to stdout and stderr goes to its log (StandardOutput=journal,
/// StandardError=inherit: one stream, in order), shown by `journalctl -u` and `status`.
#[test]
fn service_output_is_in_journalctl_and_status() {
    let sb = Sandbox::new();
    sb.unit(
        "l.service",
        &format!(
            "[Service]\nExecStart={} 3 hello\n",
            sb.daemon("log-lines.sh")
        ),
    );
    start(&sb, "l.service");
    let mut log = String::new();
    sb.wait_until("the last line is logged", WAIT, || {
        log = sb
            .journalctl(&["-u", "l.service", "-o", "cat", "--no-pager"])
            .stdout;
        log.contains("hello err 3")
    });
    let want = [
        "hello out 1",
        "hello err 1",
        "hello out 2",
        "hello err 2",
        "hello out 3",
        "hello err 3",
    ];
    let got: Vec<&str> = log.lines().filter(|l| l.starts_with("hello ")).collect();
    assert_eq!(got, want, "log:\n{log}");
    let o = sb.systemctl(&["status", "l.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    for line in want {
        assert!(
            o.stdout.contains(line),
            "status lacks {line:?}:\n{}",
            o.stdout
        );
    }
}

/// A service may itself call systemctl (a oneshot starting another unit): no deadlock.
#[test]
fn nested_systemctl_call_from_a_service_completes() {
    let sb = Sandbox::new();
    sb.unit(
        "inner.service",
        "[Service]\nExecStart=/bin/sleep infinity\n",
    );
    sb.unit(
        "outer.service",
        &format!(
            "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart={} start inner.service\n",
            sb.systemctl_path()
        ),
    );
    start(&sb, "outer.service");
    active(&sb, "outer.service");
    active(&sb, "inner.service");
}

/// The manager can die (OOM killer, `kill -9`): services keep running and are still known.
#[test]
fn services_survive_the_manager_being_killed() {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    start(&sb, "x.service");
    let pid = sb.main_pid("x.service");
    let killed = sb.kill_manager();
    assert!(!killed.contains(&pid));
    assert!(sb.pid_alive(pid), "the service died with the manager");
    active(&sb, "x.service");
    assert_eq!(sb.main_pid("x.service"), pid);
    stop(&sb, "x.service");
    assert!(
        !sb.pid_alive(pid),
        "a new manager could not stop the adopted service"
    );
}

/// 100 calls from 10 threads on 10 units leave every unit in a consistent state: active with a
/// live main process, or inactive with none, and no stray processes.
#[test]
fn parallel_calls_leave_consistent_state() {
    let sb = Sandbox::new();
    let units: Vec<String> = (0..10).map(|i| format!("p{i}.service")).collect();
    for u in &units {
        sb.unit(u, "[Service]\nExecStart=/bin/sleep infinity\n");
    }
    std::thread::scope(|s| {
        for t in 0..10usize {
            let (sb, units) = (&sb, &units);
            s.spawn(move || {
                for j in 0..10usize {
                    let unit = &units[(t + j) % 10];
                    let verb = ["start", "stop", "is-active"][(t * 7 + j * 3) % 3];
                    let o = sb.systemctl(&[verb, unit]);
                    let ok = match verb {
                        "is-active" => {
                            (o.code == 0 && o.stdout == "active\n")
                                || (o.code == 3 && o.stdout != "active\n")
                        }
                        // A start and a stop of one unit racing: the later job may
                        // cancel the earlier one, which systemctl reports so (exit 1).
                        _ => {
                            (o.code == 0 && o.stderr.is_empty())
                                || (o.code == 1
                                    && o.stderr == format!("Job for {unit} canceled.\n"))
                        }
                    };
                    assert!(ok, "{verb} {unit}: {o:?}");
                }
            });
        }
    });
    let mut running = 0;
    for u in &units {
        let state = sb.prop(u, "ActiveState");
        let pid = sb.main_pid(u);
        match state.as_str() {
            "active" => {
                active(&sb, u);
                assert!(sb.pid_alive(pid), "{u} is active but MainPID {pid} is dead");
                running += 1;
            }
            "inactive" => {
                inactive(&sb, u);
                assert_eq!(pid, 0, "{u} is inactive but has MainPID {pid}");
            }
            other => panic!("{u} ended {other}"),
        }
    }
    let o = sb.sh("pgrep -c -x sleep");
    assert_eq!(
        o.stdout.trim(),
        running.to_string(),
        "sleep processes vs active units"
    );
}

/// `status` shows the unit as the manager loaded it, as systemd does: after the file is edited,
/// the old Description=, Documentation= and commands, with the warning that a daemon-reload is
/// due; after daemon-reload, the new ones.
#[test]
fn status_shows_the_loaded_configuration_until_daemon_reload() {
    let sb = Sandbox::new();
    sb.unit(
        "edited.service",
        "[Unit]\nDescription=Old description\nDocumentation=man:old(1)\n\
         [Service]\nExecStartPre=/bin/true old\nExecStart=/bin/sleep infinity\n",
    );
    start(&sb, "edited.service");
    sb.unit(
        "edited.service",
        "[Unit]\nDescription=New description\nDocumentation=man:new(1)\n\
         [Service]\nExecStartPre=/bin/true new\nExecStart=/bin/sleep infinity\n",
    );
    let warning = "Warning: The unit file, source configuration file or drop-ins of \
                   edited.service changed on disk. Run 'systemctl daemon-reload' to reload units.\n";
    let o = sb.systemctl(&["status", "edited.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let first = o.stdout.lines().next().unwrap_or_default();
    assert_eq!(first, "● edited.service - Old description", "{o:?}");
    for old in ["Docs: man:old(1)", "ExecStartPre=/bin/true old"] {
        assert!(o.stdout.contains(old), "status lacks {old:?}: {o:?}");
    }
    assert!(!o.stdout.contains("new"), "{o:?}");
    assert_eq!(o.stderr, warning);
    sb.quiet_ok(&["daemon-reload"]);
    let o = sb.systemctl(&["status", "edited.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let first = o.stdout.lines().next().unwrap_or_default();
    assert_eq!(first, "● edited.service - New description", "{o:?}");
    assert!(o.stdout.contains("Docs: man:new(1)"), "{o:?}");
    assert_eq!(o.stderr, "");
}

/// unit_gc_sweep(): a unit that went down and that nothing names is dropped, so the next query
/// sees it afresh (no past run), as under systemd 252; one a loaded unit names keeps its past run.
#[test]
fn a_stopped_unit_is_collected_unless_a_loaded_unit_names_it() {
    let sb = Sandbox::new();
    for name in ["alone.service", "named.service"] {
        sb.unit(name, "[Service]\nExecStart=/bin/sleep infinity\n");
    }
    sb.keep_loaded("named.service");
    sb.quiet_ok(&["start", "alone.service", "named.service"]);
    sb.quiet_ok(&["stop", "alone.service", "named.service"]);
    // Collected: as fresh as a unit never started.
    assert_eq!(sb.prop("alone.service", "ExecMainCode"), "0");
    assert_eq!(
        sb.prop("alone.service", "InactiveEnterTimestampMonotonic"),
        "0"
    );
    let o = sb.systemctl(&["list-units", "--all", "--no-legend", "alone.service"]);
    assert_eq!(o.stdout, "", "{o:?}");
    // Kept: how its main process ended, and when.
    assert_eq!(sb.prop("named.service", "ExecMainCode"), "2");
    assert_ne!(
        sb.prop("named.service", "InactiveEnterTimestampMonotonic"),
        "0"
    );
    // The journal of the collected unit stays.
    let log = sb.journalctl(&["-u", "alone.service"]);
    assert!(log.stdout.contains("Stopped alone.service."), "{log:?}");
}
