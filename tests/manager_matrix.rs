//! The service manager as a user meets it, second batch: the settings matrix of systemd.kill(5),
//! systemd.exec(5) and systemd.service(5) (kill modes, command prefixes and expansion, timeouts,
//! exit statuses and restarts, ExecCondition=, stdio, runtime directories, environment), the
//! job verbs of systemctl(1) around reload/restart/kill/reset-failed/mask/--no-block, and the
//! manager's life (daemon-reload, state left by another boot, adoption after a crash, a manager
//! run by an unprivileged user). Every assertion is what a user of systemd 252 sees: stdout,
//! stderr and exit codes of systemctl, properties via `show`, logs via `journalctl`, and the
//! processes and files the services leave. No fixed sleeps: every wait is a deadline poll.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
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
    sb.quiet_ok(&["start", unit]);
}

fn stop(sb: &Sandbox, unit: &str) {
    sb.quiet_ok(&["stop", unit]);
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

/// A pid written to a file inside (by a daemon fixture), waiting for the file.
fn pid_in(sb: &Sandbox, inside: &str) -> i32 {
    let text = sb.wait_for_file(inside);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{inside} does not hold a pid: {text:?}"))
}

/// `/run/argdump OUT ARGS…`: writes each argument as `[ARG]` on its own line to OUT (atomically),
/// so a test sees exactly the argv systemd built.
fn install_argdump(sb: &Sandbox) {
    sb.executable(
        "/run/argdump",
        "#!/bin/sh\nout=$1; shift\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > \"$out.tmp\"\n\
         mv \"$out.tmp\" \"$out\"\n",
    );
}

/// `/run/whoami OUT [CODE]`: writes `id -u` to OUT, then exits with CODE (default 0).
fn install_whoami(sb: &Sandbox) {
    sb.executable(
        "/run/whoami",
        "#!/bin/sh\nid -u > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\nexit \"${2:-0}\"\n",
    );
}

/// A service whose main process (killtree.py) has a child; both log a SIGTERM to
/// /run/kt/signals. Returns (main pid, child pid) once both are ready.
fn start_killtree(sb: &Sandbox, unit: &str, extra: &str, args: &str) -> (i32, i32) {
    sb.file("/run/kt/.keep", "");
    sb.unit(
        unit,
        &format!(
            "[Service]\n{extra}ExecStart={} /run/kt {args}\n",
            sb.daemon("killtree.py")
        ),
    );
    start(sb, unit);
    let main = pid_in(sb, "/run/kt/main.pid");
    let child = pid_in(sb, "/run/kt/child.pid");
    assert_eq!(sb.main_pid(unit), main, "MainPID of {unit}");
    assert!(sb.pid_alive(child), "the child {child} is not running");
    (main, child)
}

fn signals_logged(sb: &Sandbox) -> Vec<String> {
    let mut v: Vec<String> = sb
        .read("/run/kt/signals")
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// systemd.kill(5): KillMode=

/// KillMode=control-group (the default): SIGTERM to every process of the unit; stop returns only
/// once all of them are gone.
#[test]
fn kill_mode_control_group_terminates_main_and_child() {
    let sb = Sandbox::new();
    let (main, child) = start_killtree(&sb, "k.service", "", "");
    stop(&sb, "k.service");
    inactive(&sb, "k.service");
    assert!(!sb.pid_alive(main), "main {main} survived stop");
    assert!(!sb.pid_alive(child), "child {child} survived stop");
    assert_eq!(signals_logged(&sb), ["child TERM", "main TERM"]);
    assert_eq!(sb.prop("k.service", "Result"), "success");
}

/// KillMode=process: only the main process is signalled; the child survives and the unit is
/// inactive nonetheless.
#[test]
fn kill_mode_process_leaves_the_child_running() {
    let sb = Sandbox::new();
    let (main, child) = start_killtree(&sb, "k.service", "KillMode=process\n", "");
    stop(&sb, "k.service");
    inactive(&sb, "k.service");
    assert_eq!(sb.main_pid("k.service"), 0);
    assert!(!sb.pid_alive(main), "main {main} survived stop");
    assert!(sb.pid_alive(child), "KillMode=process killed the child");
    assert_eq!(signals_logged(&sb), ["main TERM"]);
}

/// KillMode=mixed: SIGTERM to the main process only, then SIGKILL to whatever remains, so the
/// child dies without ever seeing SIGTERM.
#[test]
fn kill_mode_mixed_terms_the_main_process_and_kills_the_rest() {
    let sb = Sandbox::new();
    // TimeoutStopSec= only bounds a failure: the SIGKILL phase follows the main process's exit
    // at once, long before the timeout (which would end in Result=timeout).
    let (main, child) = start_killtree(&sb, "k.service", "KillMode=mixed\nTimeoutStopSec=10\n", "");
    let began = Instant::now();
    stop(&sb, "k.service");
    let took = began.elapsed();
    assert_eq!(
        sb.prop("k.service", "Result"),
        "success",
        "stop took {took:?}"
    );
    inactive(&sb, "k.service");
    assert!(!sb.pid_alive(main), "main {main} survived stop");
    assert!(!sb.pid_alive(child), "child {child} survived stop");
    assert_eq!(
        signals_logged(&sb),
        ["main TERM"],
        "the child must get SIGKILL, not SIGTERM"
    );
}

/// KillMode=none: nothing is signalled, every process survives, the unit is inactive.
#[test]
fn kill_mode_none_leaves_every_process_running() {
    let sb = Sandbox::new();
    let (main, child) = start_killtree(&sb, "k.service", "KillMode=none\n", "");
    stop(&sb, "k.service");
    inactive(&sb, "k.service");
    assert_eq!(sb.main_pid("k.service"), 0);
    assert!(sb.pid_alive(main), "KillMode=none killed the main process");
    assert!(sb.pid_alive(child), "KillMode=none killed the child");
    assert_eq!(signals_logged(&sb), Vec::<String>::new());
}

/// A daemon that double-forks out of its session (setsid) is still one of the unit's processes
/// (systemd: it stays in the cgroup; here: it carries the unit's $INVOCATION_ID), so
/// KillMode=control-group stops it too.
#[test]
fn kill_mode_control_group_reaches_a_daemon_that_left_the_session() {
    let sb = Sandbox::new();
    let (main, child) = start_killtree(&sb, "k.service", "", "--daemonize-child");
    let sid = |pid: i32| -> Option<String> {
        let stat = sb.read(&format!("/proc/{pid}/stat"))?;
        stat[stat.rfind(')')? + 1..]
            .split_whitespace()
            .nth(3)
            .map(str::to_string)
    };
    assert_ne!(sid(main), sid(child), "the child did not leave the session");
    stop(&sb, "k.service");
    inactive(&sb, "k.service");
    assert!(!sb.pid_alive(main), "main {main} survived stop");
    assert!(
        !sb.pid_alive(child),
        "the escaped daemon {child} survived stop"
    );
    assert_eq!(signals_logged(&sb), ["child TERM", "main TERM"]);
}

// ---------------------------------------------------------------------------------------------
// systemd.service(5): command line prefixes and expansion

/// `@`: the second word is argv[0], the path is still what is executed.
#[test]
fn at_prefix_passes_a_separate_argv0() {
    let sb = Sandbox::new();
    sb.unit(
        "a.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\n\
         ExecStart=@/bin/sh custom-name -c 'echo \"$$0\" > /run/argv0'\n",
    );
    sb.unit(
        "s.service",
        "[Service]\nExecStart=@/bin/sleep fancy-sleeper infinity\n",
    );
    start(&sb, "a.service");
    assert_eq!(sb.read("/run/argv0").as_deref(), Some("custom-name\n"));
    start(&sb, "s.service");
    let pid = sb.main_pid("s.service");
    assert_eq!(sb.cmdline(pid).as_deref(), Some("fancy-sleeper infinity"));
}

/// `:`: no environment variable substitution; `$FOO` and `${FOO}` reach the program literally.
#[test]
fn colon_prefix_disables_variable_expansion() {
    let sb = Sandbox::new();
    install_argdump(&sb);
    sb.unit(
        "c.service",
        "[Service]\nType=oneshot\nEnvironment=FOO=bar\n\
         ExecStart=:/run/argdump /run/literal $FOO ${FOO}\n\
         ExecStart=/run/argdump /run/expanded $FOO ${FOO}\n",
    );
    start(&sb, "c.service");
    assert_eq!(
        sb.read("/run/literal").as_deref(),
        Some("[$FOO]\n[${FOO}]\n")
    );
    assert_eq!(sb.read("/run/expanded").as_deref(), Some("[bar]\n[bar]\n"));
}

/// `+` runs the command with full privileges and `!` without the User=/Group= switch: both as
/// root; an unprefixed command of the same unit runs as User=.
#[test]
fn plus_and_bang_prefixes_run_as_root_despite_user() {
    let sb = Sandbox::new();
    install_whoami(&sb);
    let nobody = sb.sh("id -u nobody").stdout.trim().to_string();
    sb.unit(
        "p.service",
        "[Service]\nType=oneshot\nUser=nobody\n\
         ExecStartPre=+/run/whoami /tmp/plus\nExecStartPre=!/run/whoami /tmp/bang\n\
         ExecStart=/run/whoami /tmp/plain\n",
    );
    start(&sb, "p.service");
    assert_eq!(sb.read("/tmp/plus").as_deref(), Some("0\n"), "`+` command");
    assert_eq!(sb.read("/tmp/bang").as_deref(), Some("0\n"), "`!` command");
    assert_eq!(
        sb.read("/tmp/plain"),
        Some(format!("{nobody}\n")),
        "unprefixed command"
    );
    assert_eq!(sb.prop("p.service", "Result"), "success");
}

/// Prefixes combine in either order: `-+` and `+-` both run as root and ignore the failure.
#[test]
fn dash_and_plus_prefixes_combine_in_either_order() {
    let sb = Sandbox::new();
    install_whoami(&sb);
    let nobody = sb.sh("id -u nobody").stdout.trim().to_string();
    sb.unit(
        "p.service",
        "[Service]\nUser=nobody\n\
         ExecStartPre=-+/run/whoami /tmp/dash-plus 1\nExecStartPre=+-/run/whoami /tmp/plus-dash 3\n\
         ExecStart=/bin/sh -c 'id -u > /tmp/main.tmp && mv /tmp/main.tmp /tmp/main; exec sleep infinity'\n",
    );
    start(&sb, "p.service");
    active(&sb, "p.service");
    assert_eq!(sb.read("/tmp/dash-plus").as_deref(), Some("0\n"));
    assert_eq!(sb.read("/tmp/plus-dash").as_deref(), Some("0\n"));
    assert_eq!(sb.wait_for_file("/tmp/main"), format!("{nobody}\n"));
}

/// systemd.service(5) "Command lines": `$X` as a word of its own is split at whitespace into
/// zero or more arguments; `${X}` is replaced as is, always one argument (also inside a word).
#[test]
fn braced_variables_stay_one_word_and_bare_ones_split() {
    let sb = Sandbox::new();
    install_argdump(&sb);
    sb.unit(
        "e.service",
        "[Service]\nType=oneshot\nEnvironment=\"X=a b\"\n\
         ExecStart=/run/argdump /run/args $X ${X} pre${X}post $UNSET ${UNSET} $$X\n",
    );
    start(&sb, "e.service");
    assert_eq!(
        sb.read("/run/args").as_deref(),
        Some("[a]\n[b]\n[a b]\n[prea bpost]\n[]\n[$X]\n")
    );
}

/// ExecStartPost= runs once the main process exists and gets it as $MAINPID (expanded on its
/// command line as well as in its environment).
#[test]
fn exec_start_post_sees_mainpid() {
    let sb = Sandbox::new();
    install_argdump(&sb);
    sb.unit(
        "m.service",
        "[Service]\nExecStart=/bin/sleep infinity\n\
         ExecStartPost=/run/argdump /run/post $MAINPID\n\
         ExecStartPost=/bin/sh -c 'echo \"$$MAINPID\" > /run/post-env'\n",
    );
    start(&sb, "m.service");
    let pid = sb.main_pid("m.service");
    assert!(pid > 0);
    assert_eq!(sb.read("/run/post"), Some(format!("[{pid}]\n")));
    assert_eq!(sb.read("/run/post-env"), Some(format!("{pid}\n")));
}

// ---------------------------------------------------------------------------------------------
// systemd.service(5): timeouts, exit statuses, restarts

/// TimeoutStartSec=: a Type=notify service that never sends READY=1 fails the start job with
/// Result=timeout, and its process is killed.
#[test]
fn timeout_start_sec_fails_a_notify_service_that_never_gets_ready() {
    let sb = Sandbox::new();
    sb.unit(
        "n.service",
        &format!(
            "[Service]\nType=notify\nTimeoutStartSec=2\nExecStart={} --touch /run/n.pid --then-sleep\n",
            sb.daemon("notify.py")
        ),
    );
    let began = Instant::now();
    let o = sb.systemctl(&["start", "n.service"]);
    let took = began.elapsed();
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (
            1,
            "",
            job_failed("n.service", "a timeout was exceeded").as_str()
        )
    );
    assert!(
        took >= Duration::from_millis(1500),
        "start failed after only {took:?}"
    );
    assert_eq!(sb.prop("n.service", "Result"), "timeout");
    assert_eq!(sb.prop("n.service", "ActiveState"), "failed");
    let pid = pid_in(&sb, "/run/n.pid");
    assert!(!sb.pid_alive(pid), "the service {pid} survived its timeout");
}

/// SuccessExitStatus=42: exit status 42 of the main process is a clean exit.
#[test]
fn success_exit_status_makes_an_exit_code_clean() {
    let sb = Sandbox::new();
    sb.keep_loaded("s.service");
    sb.unit(
        "s.service",
        &format!(
            "[Service]\nSuccessExitStatus=42\nExecStart={} 42\n",
            sb.daemon("exit-with.sh")
        ),
    );
    start(&sb, "s.service");
    sb.wait_for_prop("s.service", "ExecMainStatus", "42");
    sb.wait_for_prop("s.service", "ActiveState", "inactive");
    assert_eq!(sb.prop("s.service", "Result"), "success");
    assert_eq!(sb.prop("s.service", "SubState"), "dead");
    let o = sb.systemctl(&["is-failed", "s.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("inactive\n", 1));
}

/// RestartPreventExitStatus= wins over Restart=always: the unit fails and stays failed (a
/// restart would go through auto-restart, never through failed).
#[test]
fn restart_prevent_exit_status_stops_restart_always() {
    let sb = Sandbox::new();
    sb.unit(
        "r.service",
        &format!(
            "[Service]\nRestart=always\nRestartSec=100ms\nRestartPreventExitStatus=3\nExecStart={} 3\n",
            sb.daemon("exit-with.sh")
        ),
    );
    start(&sb, "r.service");
    sb.wait_for_prop("r.service", "ActiveState", "failed");
    assert_eq!(sb.prop("r.service", "Result"), "exit-code");
    assert_eq!(sb.prop("r.service", "NRestarts"), "0");
    assert_eq!(sb.prop("r.service", "ExecMainStatus"), "3");
}

/// A script that exits with $1 on its first run and stays up afterwards; runs are counted in
/// /run/count.
fn install_first_run_exits(sb: &Sandbox) {
    sb.executable(
        "/run/first-exits",
        "#!/bin/sh\nn=$(cat /run/count 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > /run/count\n\
         [ $n -ge 2 ] && exec sleep infinity\nexit \"$1\"\n",
    );
}

/// RestartForceExitStatus= restarts even with Restart=no.
#[test]
fn restart_force_exit_status_restarts_with_restart_no() {
    let sb = Sandbox::new();
    install_first_run_exits(&sb);
    sb.unit(
        "r.service",
        "[Service]\nRestart=no\nRestartSec=100ms\nRestartForceExitStatus=3\nExecStart=/run/first-exits 3\n",
    );
    start(&sb, "r.service");
    sb.wait_for_prop("r.service", "NRestarts", "1");
    sb.wait_for_prop("r.service", "SubState", "running");
    assert_eq!(sb.read("/run/count").as_deref(), Some("2\n"));
}

/// Restart=always restarts after a clean exit too.
#[test]
fn restart_always_restarts_after_a_clean_exit() {
    let sb = Sandbox::new();
    install_first_run_exits(&sb);
    sb.unit(
        "r.service",
        "[Service]\nRestart=always\nRestartSec=100ms\nExecStart=/run/first-exits 0\n",
    );
    start(&sb, "r.service");
    sb.wait_for_prop("r.service", "NRestarts", "1");
    sb.wait_for_prop("r.service", "SubState", "running");
    active(&sb, "r.service");
    assert_eq!(sb.read("/run/count").as_deref(), Some("2\n"));
}

/// Restart=on-abnormal does not restart on an exit code (only signals, timeouts, watchdog).
#[test]
fn restart_on_abnormal_does_not_restart_on_an_exit_code() {
    let sb = Sandbox::new();
    sb.unit(
        "r.service",
        &format!(
            "[Service]\nRestart=on-abnormal\nRestartSec=100ms\nExecStart={} 1\n",
            sb.daemon("exit-with.sh")
        ),
    );
    start(&sb, "r.service");
    sb.wait_for_prop("r.service", "ActiveState", "failed");
    assert_eq!(sb.prop("r.service", "Result"), "exit-code");
    assert_eq!(sb.prop("r.service", "NRestarts"), "0");
}

/// RestartSec=: the unit waits in auto-restart; NRestarts counts the restart only when it
/// happens, after the delay.
#[test]
fn restart_sec_delays_the_restart_and_its_count() {
    let sb = Sandbox::new();
    install_first_run_exits(&sb);
    sb.unit(
        "r.service",
        "[Service]\nRestart=on-failure\nRestartSec=3\nExecStart=/run/first-exits 1\n",
    );
    let began = Instant::now();
    start(&sb, "r.service");
    sb.wait_for_prop("r.service", "SubState", "auto-restart");
    assert_eq!(sb.prop("r.service", "ActiveState"), "activating");
    assert_eq!(
        sb.prop("r.service", "NRestarts"),
        "0",
        "counted before the delay"
    );
    sb.wait_for_prop("r.service", "NRestarts", "1");
    let took = began.elapsed();
    assert!(
        took >= Duration::from_millis(2500),
        "restarted after only {took:?} with RestartSec=3"
    );
    sb.wait_for_prop("r.service", "SubState", "running");
}

// ---------------------------------------------------------------------------------------------
// ExecCondition=

/// ExecCondition= exiting 1…254: the unit is skipped (not failed), the start job succeeds, and
/// nothing else runs. systemd records Result=exec-condition.
#[test]
fn exec_condition_exit_1_skips_the_unit() {
    let sb = Sandbox::new();
    sb.keep_loaded("c.service");
    sb.unit(
        "c.service",
        &format!(
            "[Service]\nExecCondition={} 1\n\
             ExecStart=/bin/sh -c 'touch /run/started; exec sleep infinity'\n",
            sb.daemon("exit-with.sh")
        ),
    );
    start(&sb, "c.service");
    inactive(&sb, "c.service");
    assert_eq!(sb.prop("c.service", "SubState"), "dead");
    assert!(!sb.exists("/run/started"), "ExecStart= ran");
    assert_eq!(sb.prop("c.service", "Result"), "exec-condition");
    let o = sb.systemctl(&["is-failed", "c.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("inactive\n", 1));
}

/// ExecCondition= exiting 255 (or dying of a signal) is a failure, not a skip.
#[test]
fn exec_condition_exit_255_fails_the_unit() {
    let sb = Sandbox::new();
    sb.unit(
        "c.service",
        &format!(
            "[Service]\nExecCondition={} 255\n\
             ExecStart=/bin/sh -c 'touch /run/started; exec sleep infinity'\n",
            sb.daemon("exit-with.sh")
        ),
    );
    let o = sb.systemctl(&["start", "c.service"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            1,
            job_failed("c.service", "the control process exited with error code").as_str()
        )
    );
    assert_eq!(sb.prop("c.service", "ActiveState"), "failed");
    assert_eq!(sb.prop("c.service", "Result"), "exit-code");
    assert!(!sb.exists("/run/started"), "ExecStart= ran");
}

// ---------------------------------------------------------------------------------------------
// kill, reset-failed

#[test]
fn kill_delivers_a_chosen_signal_to_the_main_process() {
    let sb = Sandbox::new();
    sb.executable(
        "/run/usr1-daemon",
        "#!/bin/sh\ntrap 'echo usr1 >> /run/usr1' USR1\necho $$ > /run/d.tmp && mv /run/d.tmp /run/d.pid\n\
         while :; do sleep 0.1; done\n",
    );
    sb.unit("u.service", "[Service]\nExecStart=/run/usr1-daemon\n");
    start(&sb, "u.service");
    let pid = pid_in(&sb, "/run/d.pid");
    sb.quiet_ok(&["kill", "--signal=USR1", "--kill-whom=main", "u.service"]);
    assert_eq!(sb.wait_for_file("/run/usr1"), "usr1\n");
    active(&sb, "u.service");
    assert_eq!(sb.main_pid("u.service"), pid);
}

/// `kill` without --signal sends SIGTERM to all processes; a daemon dying of SIGTERM exits
/// cleanly, so the unit ends inactive with Result=success.
#[test]
fn kill_defaults_to_sigterm_and_a_clean_death() {
    let sb = Sandbox::new();
    sb.keep_loaded("k.service");
    sb.unit("k.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    start(&sb, "k.service");
    let pid = sb.main_pid("k.service");
    sb.quiet_ok(&["kill", "k.service"]);
    sb.wait_for_prop("k.service", "ActiveState", "inactive");
    assert!(!sb.pid_alive(pid));
    assert_eq!(sb.prop("k.service", "Result"), "success");
    assert_eq!(sb.prop("k.service", "ExecMainCode"), "2", "CLD_KILLED");
    assert_eq!(sb.prop("k.service", "ExecMainStatus"), "15");
}

#[test]
fn reset_failed_turns_failed_into_inactive() {
    let sb = Sandbox::new();
    sb.unit(
        "f.service",
        &format!("[Service]\nExecStart={} 1\n", sb.daemon("exit-with.sh")),
    );
    start(&sb, "f.service");
    sb.wait_for_prop("f.service", "ActiveState", "failed");
    let o = sb.systemctl(&["is-failed", "f.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("failed\n", 0));
    sb.quiet_ok(&["reset-failed", "f.service"]);
    let o = sb.systemctl(&["is-failed", "f.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("inactive\n", 1));
    inactive(&sb, "f.service");
    assert_eq!(sb.prop("f.service", "Result"), "success");
}

// ---------------------------------------------------------------------------------------------
// reload and the conditional restart verbs

/// transaction.c: a reload job for a unit that cannot reload is refused before it is queued
/// (BUS_ERROR_JOB_TYPE_NOT_APPLICABLE → exit 3, and no "See system logs" line).
#[test]
fn reload_without_exec_reload_is_not_applicable() {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    start(&sb, "x.service");
    let pid = sb.main_pid("x.service");
    let o = sb.systemctl(&["reload", "x.service"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (
            3,
            "",
            "Failed to reload x.service: Job type reload is not applicable for unit x.service.\n"
        )
    );
    active(&sb, "x.service");
    assert_eq!(sb.main_pid("x.service"), pid);
}

/// A reload job on an inactive unit ends `invalid`: systemctl prints one line and exits 1.
#[test]
fn reload_of_an_inactive_unit_is_refused() {
    let sb = Sandbox::new();
    sb.unit(
        "x.service",
        "[Service]\nExecStart=/bin/sleep infinity\nExecReload=/bin/touch /run/reloaded\n",
    );
    let o = sb.systemctl(&["reload", "x.service"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (1, "", "x.service is not active, cannot reload.\n")
    );
    inactive(&sb, "x.service");
    assert!(!sb.exists("/run/reloaded"));
}

/// try-restart (and its alias condrestart) does nothing to an inactive unit and restarts an
/// active one.
#[test]
fn try_restart_and_condrestart_only_restart_active_units() {
    let sb = Sandbox::new();
    sb.unit(
        "x.service",
        "[Service]\nExecStart=/bin/sh -c 'echo run >> /run/runs; exec sleep infinity'\n",
    );
    for verb in ["try-restart", "condrestart"] {
        sb.quiet_ok(&[verb, "x.service"]);
        inactive(&sb, "x.service");
    }
    assert!(!sb.exists("/run/runs"), "an inactive unit was started");
    start(&sb, "x.service");
    let first = sb.main_pid("x.service");
    sb.quiet_ok(&["try-restart", "x.service"]);
    active(&sb, "x.service");
    let second = sb.main_pid("x.service");
    assert_ne!(first, second, "try-restart did not restart");
    sb.quiet_ok(&["condrestart", "x.service"]);
    active(&sb, "x.service");
    let third = sb.main_pid("x.service");
    assert_ne!(second, third, "condrestart did not restart");
    assert!(!sb.pid_alive(first) && !sb.pid_alive(second));
    assert_eq!(sb.wait_for_lines("/run/runs", 3).len(), 3);
}

/// reload-or-restart starts an inactive unit; force-reload (reload-or-try-restart) reloads an
/// active unit that can reload, keeping its main process, and leaves an inactive one alone.
#[test]
fn reload_or_restart_starts_and_force_reload_reloads() {
    let sb = Sandbox::new();
    sb.unit(
        "x.service",
        "[Service]\nExecStart=/bin/sleep infinity\nExecReload=/bin/sh -c 'echo reload >> /run/reloads'\n",
    );
    sb.quiet_ok(&["force-reload", "x.service"]);
    inactive(&sb, "x.service");
    sb.quiet_ok(&["reload-or-restart", "x.service"]);
    active(&sb, "x.service");
    assert!(!sb.exists("/run/reloads"), "reload-or-restart reloaded");
    let pid = sb.main_pid("x.service");
    sb.quiet_ok(&["force-reload", "x.service"]);
    assert_eq!(sb.read("/run/reloads").as_deref(), Some("reload\n"));
    active(&sb, "x.service");
    assert_eq!(sb.main_pid("x.service"), pid, "force-reload restarted");
}

// ---------------------------------------------------------------------------------------------
// masks, --no-block, several units

const MASKED: &str = "Failed to start x.service: Unit x.service is masked.\n";

/// `systemctl mask` of a unit in /run/systemd/system (a mask in /etc hides it): start is refused
/// without a "See system logs" line.
#[test]
fn starting_a_masked_unit_is_refused() {
    let sb = Sandbox::new();
    sb.file(
        "/run/systemd/system/x.service",
        "[Service]\nExecStart=/bin/sleep infinity\n",
    );
    assert_success(&sb.systemctl(&["mask", "x.service"]), "mask");
    let o = sb.systemctl(&["start", "x.service"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (1, "", MASKED)
    );
    assert_eq!(sb.prop("x.service", "LoadState"), "masked");
    inactive(&sb, "x.service");
}

/// The same with a manager that had the unit loaded: `systemctl mask` reloads the manager (as
/// systemctl does unless --no-reload), so the mask takes effect at once.
#[test]
fn masking_a_unit_the_manager_knows_takes_effect_at_once() {
    let sb = Sandbox::new();
    sb.file(
        "/run/systemd/system/x.service",
        "[Service]\nExecStart=/bin/sleep infinity\n",
    );
    start(&sb, "x.service");
    stop(&sb, "x.service");
    assert_success(&sb.systemctl(&["mask", "x.service"]), "mask");
    let o = sb.systemctl(&["start", "x.service"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (1, "", MASKED)
    );
    inactive(&sb, "x.service");
}

/// `--no-block`: start returns once the job is queued; the oneshot is still activating.
#[test]
fn no_block_start_returns_while_a_oneshot_still_runs() {
    let sb = Sandbox::new();
    sb.unit(
        "slow.service",
        "[Service]\nType=oneshot\n\
         ExecStart=/bin/sh -c 'touch /run/slow.running; while [ ! -e /run/slow.go ]; do sleep 0.05; done'\n",
    );
    // The oneshot cannot finish before /run/slow.go exists, so returning at all proves it.
    sb.quiet_ok(&["start", "--no-block", "slow.service"]);
    sb.wait_for_file("/run/slow.running");
    assert_eq!(sb.prop("slow.service", "ActiveState"), "activating");
    assert_eq!(sb.prop("slow.service", "SubState"), "start");
    let o = sb.systemctl(&["is-active", "slow.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("activating\n", 3));
    sb.file("/run/slow.go", "");
    sb.wait_for_prop("slow.service", "ActiveState", "inactive");
    assert_eq!(sb.prop("slow.service", "Result"), "success");
}

/// `start a b c` with b unknown: b is named on stderr, the exit status is 5, a and c run.
#[test]
fn starting_several_units_with_one_unknown_starts_the_others() {
    let sb = Sandbox::new();
    for u in ["a.service", "c.service"] {
        sb.unit(u, "[Service]\nExecStart=/bin/sleep infinity\n");
    }
    let o = sb.systemctl(&["start", "a.service", "nope.service", "c.service"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (
            5,
            "",
            "Failed to start nope.service: Unit nope.service not found.\n"
        )
    );
    active(&sb, "a.service");
    active(&sb, "c.service");
}

// ---------------------------------------------------------------------------------------------
// daemon-reload, state across managers

/// Editing a loaded unit's file sets NeedDaemonReload=yes; daemon-reload clears it without
/// touching the running process, and the next restart uses the new ExecStart=.
#[test]
fn daemon_reload_picks_up_an_edited_unit() {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nExecStart=/bin/sleep 1000\n");
    start(&sb, "x.service");
    let pid = sb.main_pid("x.service");
    assert_eq!(sb.prop("x.service", "NeedDaemonReload"), "no");
    sb.unit("x.service", "[Service]\nExecStart=/bin/sleep 2000\n");
    assert_eq!(sb.prop("x.service", "NeedDaemonReload"), "yes");
    sb.quiet_ok(&["daemon-reload"]);
    assert_eq!(sb.prop("x.service", "NeedDaemonReload"), "no");
    active(&sb, "x.service");
    assert_eq!(
        sb.main_pid("x.service"),
        pid,
        "daemon-reload touched the service"
    );
    assert_eq!(sb.cmdline(pid).as_deref(), Some("/bin/sleep 1000"));
    sb.quiet_ok(&["restart", "x.service"]);
    let new = sb.main_pid("x.service");
    assert_eq!(sb.cmdline(new).as_deref(), Some("/bin/sleep 2000"));
}

/// The start time of a live process as /proc/PID/stat field 22 (what TrackedPid records).
fn start_time(sb: &Sandbox, pid: i32) -> u64 {
    let stat = sb.read(&format!("/proc/{pid}/stat")).expect("stat");
    stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .nth(19)
        .and_then(|s| s.parse().ok())
        .expect("start time in stat")
}

/// A stale state file (another boot's id) is discarded, even when it names a live process: the
/// unit is inactive, without a manager and with one, and the process is not adopted.
#[test]
fn state_from_another_boot_is_discarded() {
    stale_state_is_discarded(|_| "x".to_string());
}

/// State an image build left behind carries this host's boot id but another PID 1: a container
/// started from the image does not take it for its own.
#[test]
fn state_from_an_image_build_on_the_same_host_is_discarded() {
    stale_state_is_discarded(|sb| {
        let boot = sb.read("/proc/sys/kernel/random/boot_id").expect("boot id");
        format!("{}/1", boot.trim())
    });
}

fn stale_state_is_discarded(boot_id: impl Fn(&Sandbox) -> String) {
    let sb = Sandbox::new();
    sb.unit("x.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    sb.unit("y.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    let o = sb.sh("setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!");
    let stranger: i32 = o.stdout.trim().parse().expect("pid of the stranger");
    sb.wait_until("the stranger runs", WAIT, || sb.pid_alive(stranger));
    let state = format!(
        r#"{{"boot_id":"{}","units":{{"x.service":{{"active_state":"active","sub_state":"running","result":"success","main_pid":{{"pid":{stranger},"start_time":{}}},"control_pid":null,"invocation_id":"0123456789abcdef0123456789abcdef","n_restarts":0,"status_text":null,"active_enter_usec":1,"inactive_enter_usec":0,"state_change_usec":1}}}}}}"#,
        boot_id(&sb),
        start_time(&sb, stranger)
    );
    sb.file("/run/systemctl-shim/state.json", &state);
    inactive(&sb, "x.service");
    start(&sb, "y.service");
    inactive(&sb, "x.service");
    assert_eq!(sb.prop("x.service", "ActiveState"), "inactive");
    assert_eq!(sb.main_pid("x.service"), 0);
    assert!(sb.pid_alive(stranger), "the manager killed a stranger");
    stop(&sb, "x.service");
    assert!(sb.pid_alive(stranger), "stopping x killed a stranger");
}

/// The manager dies while a service with a child runs; a new manager adopts the unit and its
/// `stop` ends the main process and the child (KillMode=control-group).
#[test]
fn a_new_manager_stops_an_adopted_service_with_its_child() {
    let sb = Sandbox::new();
    // TimeoutStopSec= only bounds a failure (a stop that waits for it ends in Result=timeout).
    let (main, child) = start_killtree(&sb, "k.service", "TimeoutStopSec=10\n", "");
    sb.kill_manager();
    assert!(sb.pid_alive(main) && sb.pid_alive(child));
    active(&sb, "k.service");
    let began = Instant::now();
    stop(&sb, "k.service");
    let took = began.elapsed();
    assert_eq!(
        sb.prop("k.service", "Result"),
        "success",
        "stop took {took:?}"
    );
    inactive(&sb, "k.service");
    assert!(
        !sb.pid_alive(main),
        "the adopted main process survived stop"
    );
    assert!(!sb.pid_alive(child), "the adopted child survived stop");
    assert_eq!(signals_logged(&sb), ["child TERM", "main TERM"]);
}

// ---------------------------------------------------------------------------------------------
// an unprivileged caller

/// `systemctl show -p PROP --value UNIT` as uid `uid`.
fn user_prop(sb: &Sandbox, uid: u32, unit: &str, prop: &str) -> String {
    let o = sb.as_user(uid, &["show", "-p", prop, "--value", unit]);
    assert_eq!(o.code, 0, "show -p {prop} {unit} as {uid}: {o:?}");
    o.stdout.trim_end_matches('\n').to_string()
}

/// With no root manager, a non-root `start` runs a manager of that uid (runtime directory
/// /tmp/systemctl-shim-UID) whose services run as that uid.
#[test]
fn a_non_root_caller_gets_its_own_manager() {
    let sb = Sandbox::new();
    sb.unit(
        "u.service",
        "[Service]\nExecStart=/bin/sh -c 'id -u > /tmp/u.tmp && mv /tmp/u.tmp /tmp/u.uid; exec sleep infinity'\n",
    );
    let o = sb.as_user(1000, &["start", "u.service"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (0, "", ""),
        "{o:?}"
    );
    assert_eq!(sb.wait_for_file("/tmp/u.uid"), "1000\n");
    let o = sb.as_user(1000, &["is-active", "u.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("active\n", 0));
    let socket = sb.host_path("/tmp/systemctl-shim-1000/control.sock");
    let meta = std::fs::metadata(&socket).expect("the user manager's control socket");
    assert_eq!(meta.uid(), 1000);
    assert!(!sb.exists("/run/systemctl-shim/control.sock"));
    let managers = sb.manager_pids();
    assert_eq!(managers.len(), 1, "{managers:?}");
    let status = sb
        .read(&format!("/proc/{}/status", managers[0]))
        .expect("manager status");
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert_eq!(
        uid_line.split_whitespace().nth(1),
        Some("1000"),
        "{uid_line}"
    );
    let pid: i32 = user_prop(&sb, 1000, "u.service", "MainPID")
        .parse()
        .unwrap();
    let o = sb.as_user(1000, &["stop", "u.service"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{o:?}");
    assert!(!sb.pid_alive(pid));
}

/// A manager without privileges cannot switch to User=root. systemd --user fails such a
/// command in exec_child() at the group step: get_supplementary_groups() skips gid 0, then
/// enforce_groups() → setresgid(0) → EPERM, "Failed at step GROUP", status 216/GROUP (before
/// the user step, 217/USER, is reached).
#[test]
fn a_non_root_manager_cannot_run_a_service_as_root() {
    let sb = Sandbox::new();
    sb.unit(
        "r.service",
        "[Service]\nType=oneshot\nUser=root\nExecStart=/bin/touch /tmp/ran-as-root\n",
    );
    let o = sb.as_user(1000, &["start", "r.service"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            1,
            job_failed("r.service", "the control process exited with error code").as_str()
        ),
        "{o:?}"
    );
    assert!(!sb.exists("/tmp/ran-as-root"));
    assert_eq!(user_prop(&sb, 1000, "r.service", "ActiveState"), "failed");
    assert_eq!(user_prop(&sb, 1000, "r.service", "Result"), "exit-code");
    // The start job has ended, so the status is final.
    assert_eq!(user_prop(&sb, 1000, "r.service", "ExecMainStatus"), "216");
}

// ---------------------------------------------------------------------------------------------
// environment

/// systemd-system.conf(5) DefaultEnvironment= (here from a system.conf.d drop-in, read when the
/// manager starts) reaches every service; the unit's Environment= overrides it.
#[test]
fn default_environment_reaches_services() {
    let sb = Sandbox::new();
    sb.file(
        "/etc/systemd/system.conf.d/x.conf",
        "[Manager]\nDefaultEnvironment=DEF_ONE=1 \"DEF_TWO=two words\" DEF_OVERRIDDEN=manager\n",
    );
    sb.unit(
        "e.service",
        "[Service]\nType=oneshot\nEnvironment=DEF_OVERRIDDEN=unit\n\
         ExecStart=/bin/sh -c 'env > /run/env.tmp && mv /run/env.tmp /run/env'\n",
    );
    start(&sb, "e.service");
    let env = sb
        .read("/run/env")
        .expect("the service wrote its environment");
    let vars: Vec<&str> = env.lines().collect();
    for want in ["DEF_ONE=1", "DEF_TWO=two words", "DEF_OVERRIDDEN=unit"] {
        assert!(vars.contains(&want), "{want} missing from\n{env}");
    }
}

/// EnvironmentFile= syntax (env-file.c): `#`/`;` comments, a line without `=` (an INI section
/// header) skipped, whitespace around the key and `=` dropped, quotes, text after a value kept
/// (no inline comments), escapes in double quotes, continuation lines.
#[test]
fn environment_file_syntax() {
    let sb = Sandbox::new();
    sb.file(
        "/etc/default/syntax",
        "[global]\n# a comment\n; another comment\n  SPACED_KEY = spaced value  \n\
         DQ=\"two words\"\nSQ='single $HOME'\nESC=\"a\\\"b\"\nINLINE=1 # not a comment\n\
         CONT=one\\\ntwo\nEMPTY=\n",
    );
    sb.unit(
        "e.service",
        "[Service]\nType=oneshot\nEnvironmentFile=/etc/default/syntax\n\
         ExecStart=/bin/sh -c 'env > /run/env.tmp && mv /run/env.tmp /run/env'\n",
    );
    start(&sb, "e.service");
    let env = sb
        .read("/run/env")
        .expect("the service wrote its environment");
    let vars: Vec<&str> = env.lines().collect();
    for want in [
        "SPACED_KEY=spaced value",
        "DQ=two words",
        "SQ=single $HOME",
        "ESC=a\"b",
        "INLINE=1 # not a comment",
        "CONT=onetwo",
        "EMPTY=",
    ] {
        assert!(vars.contains(&want), "{want} missing from\n{env}");
    }
    assert!(
        !env.contains("global"),
        "the [global] line became a variable:\n{env}"
    );
}

/// `export FOO=bar` lines, as shell-style environment files (Debian's /etc/default/*) write them,
/// set FOO: the issue's contract and compat.md ask for it, while systemd 252's env-file.c would
/// drop the line as an invalid name (a documented divergence).
#[test]
fn environment_file_export_lines_are_taken() {
    let sb = Sandbox::new();
    sb.file("/etc/default/exported", "export EXPORTED=1\nPLAIN=2\n");
    sb.unit(
        "e.service",
        "[Service]\nType=oneshot\nEnvironmentFile=/etc/default/exported\n\
         ExecStart=/bin/sh -c 'env > /run/env.tmp && mv /run/env.tmp /run/env'\n",
    );
    start(&sb, "e.service");
    let env = sb
        .read("/run/env")
        .expect("the service wrote its environment");
    assert!(env.lines().any(|l| l == "PLAIN=2"), "{env}");
    assert!(env.lines().any(|l| l == "EXPORTED=1"), "{env}");
}

// ---------------------------------------------------------------------------------------------
// stdio, runtime directories

/// systemd.exec(5): `file:` opens the file for writing at its beginning without truncating it,
/// `append:` appends, `truncate:` truncates.
#[test]
fn standard_output_file_append_and_truncate() {
    let sb = Sandbox::new();
    let old = "0123456789abcdef\n";
    for mode in ["file", "append", "truncate"] {
        sb.file(&format!("/run/{mode}.log"), old);
        sb.unit(
            &format!("{mode}.service"),
            &format!(
                "[Service]\nType=oneshot\nStandardOutput={mode}:/run/{mode}.log\nExecStart=/bin/echo hi\n"
            ),
        );
        start(&sb, &format!("{mode}.service"));
    }
    assert_eq!(
        sb.read("/run/file.log"),
        Some(format!("hi\n{}", &old[3..])),
        "file: must overwrite from offset 0 without truncating"
    );
    assert_eq!(sb.read("/run/append.log"), Some(format!("{old}hi\n")));
    assert_eq!(sb.read("/run/truncate.log").as_deref(), Some("hi\n"));
    // A file that does not exist is created.
    sb.unit(
        "new.service",
        "[Service]\nType=oneshot\nStandardOutput=file:/run/new.log\nExecStart=/bin/echo fresh\n",
    );
    start(&sb, "new.service");
    assert_eq!(sb.read("/run/new.log").as_deref(), Some("fresh\n"));
}

/// StandardOutput=null (StandardError= inherits it): nothing the service prints is logged.
#[test]
fn standard_output_null_keeps_output_out_of_the_journal() {
    let sb = Sandbox::new();
    sb.unit(
        "q.service",
        "[Service]\nType=oneshot\nStandardOutput=null\n\
         ExecStart=/bin/sh -c 'echo to-stdout-marker; echo to-stderr-marker >&2'\n",
    );
    sb.unit(
        "v.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo visible-marker'\n",
    );
    start(&sb, "q.service");
    start(&sb, "v.service");
    // The control: output of a journal-logged service of the same manager arrives.
    sb.wait_until("v.service's line is logged", WAIT, || {
        sb.journalctl(&["-u", "v.service", "-o", "cat", "--no-pager"])
            .stdout
            .contains("visible-marker")
    });
    let log = sb
        .journalctl(&["-u", "q.service", "-o", "cat", "--no-pager"])
        .stdout;
    assert!(!log.contains("to-stdout-marker"), "{log}");
    assert!(!log.contains("to-stderr-marker"), "{log}");
}

/// RuntimeDirectory= is created under /run at start (mode 0755, RuntimeDirectoryMode='s
/// default), exported as $RUNTIME_DIRECTORY, and removed when the unit stops.
#[test]
fn runtime_directory_lives_as_long_as_the_unit() {
    let sb = Sandbox::new();
    sb.unit(
        "r.service",
        "[Service]\nRuntimeDirectory=foo\n\
         ExecStart=/bin/sh -c 'echo \"$$RUNTIME_DIRECTORY\" > /run/foo/seen; exec sleep infinity'\n",
    );
    start(&sb, "r.service");
    let meta = std::fs::metadata(sb.host_path("/run/foo")).expect("/run/foo exists");
    assert!(meta.is_dir());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o755);
    assert_eq!(sb.wait_for_file("/run/foo/seen"), "/run/foo\n");
    stop(&sb, "r.service");
    assert!(!sb.exists("/run/foo"), "/run/foo outlived the unit");
}

/// OOMScoreAdjust= below the current score needs CAP_SYS_RESOURCE, which an unprivileged manager
/// (or root in a default container) lacks: systemd 252 starts the service anyway, as dbus's and
/// postgresql's units (OOMScoreAdjust=-900) need.
#[test]
fn an_oom_score_the_manager_may_not_set_does_not_fail_the_service() {
    let sb = Sandbox::new();
    sb.unit(
        "oom.service",
        "[Service]\nOOMScoreAdjust=-900\n\
         ExecStart=/bin/sh -c 'cat /proc/self/oom_score_adj > /tmp/oom.tmp && mv /tmp/oom.tmp /tmp/oom; exec sleep infinity'\n",
    );
    let o = sb.as_user(1000, &["start", "oom.service"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{o:?}");
    assert_eq!(sb.wait_for_file("/tmp/oom"), "0\n");
    assert_eq!(user_prop(&sb, 1000, "oom.service", "ActiveState"), "active");
}

/// A forking daemon that replaces itself (nginx's binary upgrade: the new master rewrites the PID
/// file, then the old one exits) stays active under its new main PID, as systemd re-reads the PID
/// file when the main process exits.
#[test]
fn a_forking_daemon_that_moves_to_a_new_pid_keeps_running() {
    let sb = Sandbox::new();
    sb.unit(
        "mover.service",
        "[Service]\nType=forking\nPIDFile=/run/mover.pid\n\
         ExecStart=/bin/sh -c 'sleep infinity & echo $! > /run/mover.pid'\n\
         ExecReload=/bin/sh -c 'sleep infinity & echo $! > /run/mover.pid; kill $MAINPID'\n",
    );
    let o = sb.systemctl(&["start", "mover.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let old = sb.main_pid("mover.service");
    let o = sb.systemctl(&["reload", "mover.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let new: i32 = sb
        .read("/run/mover.pid")
        .and_then(|s| s.trim().parse().ok())
        .expect("the new PID");
    assert_ne!(new, old);
    sb.wait_until(
        "the old main process is gone",
        common::sandbox::WAIT,
        || !sb.pid_alive(old),
    );
    assert_eq!(sb.prop("mover.service", "ActiveState"), "active");
    assert_eq!(sb.main_pid("mover.service"), new);
    assert!(sb.pid_alive(new));
}
