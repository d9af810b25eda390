//! systemd.unit(5) dependencies as a user of systemd 252 meets them: Requires=, Requisite=,
//! Wants=, BindsTo=, PartOf=, Conflicts=, Upholds=, OnFailure=/OnSuccess=, the reload and stop
//! propagation pairs, `.wants/`/`.requires/` directories, After=/Before= ordering of starts and
//! stops, `--job-mode=`, `isolate`, ordering cycles and targets. Each test is named after what a
//! user sees and asserts systemctl's stdout, stderr and exit code, `show` properties and journal
//! lines. The expected texts were taken from systemd 252 itself, booted as PID 1 in a private
//! namespace with the same units and commands. Every wait is a deadline poll, never a fixed sleep.

mod common;

use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, WAIT};
use common::Outcome;

/// systemctl's line for a start job that failed with result `dependency` (bus-wait-for-jobs.c).
fn dependency_failed(unit: &str) -> String {
    format!("A dependency job for {unit} failed. See 'journalctl -xe' for details.\n")
}

/// What systemctl 252 prints when the manager refuses a job (systemctl-start-unit.c,
/// `start_unit_one()`): the error, then a pointer to the logs.
fn refused(verb: &str, unit: &str, message: &str) -> String {
    format!(
        "Failed to {verb} {unit}: {message}\n\
         See system logs and 'systemctl status {unit}' for details.\n"
    )
}

fn start(sb: &Sandbox, units: &[&str]) {
    let mut args = vec!["start"];
    args.extend_from_slice(units);
    sb.quiet_ok(&args);
}

fn stop(sb: &Sandbox, units: &[&str]) {
    let mut args = vec!["stop"];
    args.extend_from_slice(units);
    sb.quiet_ok(&args);
}

fn state(sb: &Sandbox, unit: &str) -> String {
    sb.prop(unit, "ActiveState")
}

/// ActiveState of each unit, in order, for one assertion over several units.
fn states(sb: &Sandbox, units: &[&str]) -> Vec<String> {
    units.iter().map(|u| state(sb, u)).collect()
}

fn wait_state(sb: &Sandbox, unit: &str, value: &str) {
    sb.wait_for_prop(unit, "ActiveState", value);
}

/// Check that `cond` holds on every poll for `span`: that something does not happen.
fn holds_for(what: &str, span: Duration, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + span;
    while Instant::now() < until {
        assert!(cond(), "{what} stopped holding");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The journal of one unit, messages only.
fn journal(sb: &Sandbox, unit: &str) -> String {
    sb.journalctl(&["-u", unit, "-o", "cat", "--no-pager"])
        .stdout
}

fn assert_logged(sb: &Sandbox, unit: &str, line: &str) {
    let log = journal(sb, unit);
    assert!(
        log.lines().any(|l| l.ends_with(line)),
        "journal of {unit} lacks {line:?}:\n{log}"
    );
}

/// Lines of a log file the test's services append to.
fn log_lines(sb: &Sandbox, path: &str) -> Vec<String> {
    sb.read(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A long-running service; `unit` is the text of its [Unit] section.
fn daemon(unit: &str) -> String {
    format!("[Unit]\n{unit}\n[Service]\nExecStart=/bin/sleep infinity\n")
}

/// A long-running service that appends `start-NAME` to /run/log before it starts and `stop-NAME`
/// after it stopped; both steps take a moment, so a unit that does not wait shows up out of order.
fn logged_daemon(name: &str, unit: &str) -> String {
    format!(
        "[Unit]\n{unit}\n[Service]\n\
         ExecStartPre=/bin/sh -c 'sleep 0.2; echo start-{name} >> /run/log'\n\
         ExecStart=/bin/sleep infinity\n\
         ExecStopPost=/bin/sh -c 'sleep 0.2; echo stop-{name} >> /run/log'\n"
    )
}

fn assert_outcome(o: &Outcome, code: i32, stderr: &str, what: &str) {
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (code, "", stderr),
        "{what}"
    );
}

// ---------------------------------------------------------------------------------------------
// Requires=

#[test]
fn requires_with_after_starts_the_dependency_first_and_waits_for_it() {
    let sb = Sandbox::new();
    sb.unit(
        "a.service",
        "[Unit]\nRequires=b.service\nAfter=b.service\n[Service]\n\
         ExecStartPre=/bin/sh -c 'echo a >> /run/log'\nExecStart=/bin/sleep infinity\n",
    );
    sb.unit(
        "b.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\n\
         ExecStart=/bin/sh -c 'sleep 0.3; echo b >> /run/log'\n",
    );
    start(&sb, &["a.service"]);
    assert_eq!(log_lines(&sb, "/run/log"), ["b", "a"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["active", "active"]
    );
    // Beside the default dependencies (sysinit.target …), in no particular order.
    let requires = sb.prop("a.service", "Requires");
    assert!(requires.split(' ').any(|u| u == "b.service"), "{requires}");
}

#[test]
fn requires_with_after_on_a_failing_dependency_leaves_the_dependent_unstarted() {
    let sb = Sandbox::new();
    sb.unit("c.service", &daemon("Requires=f.service\nAfter=f.service"));
    sb.unit(
        "f.service",
        "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    let o = sb.systemctl(&["start", "c.service"]);
    assert_outcome(&o, 1, &dependency_failed("c.service"), "start c.service");
    assert_eq!(
        states(&sb, &["c.service", "f.service"]),
        ["inactive", "failed"]
    );
    assert_eq!(sb.prop("c.service", "Result"), "success");
    assert_eq!(sb.prop("f.service", "Result"), "exit-code");
    assert_logged(&sb, "c.service", "Dependency failed for c.service.");
    assert_logged(
        &sb,
        "c.service",
        "Job c.service/start failed with result 'dependency'.",
    );
}

/// Without After= the two start at the same time: the dependency is still running when the
/// dependent has started, and its failure afterwards does not take the dependent down.
#[test]
fn requires_without_after_starts_both_at_once_and_the_dependent_survives_a_later_failure() {
    let sb = Sandbox::new();
    sb.unit(
        "a.service",
        "[Unit]\nRequires=b.service\n[Service]\n\
         ExecStartPre=/bin/touch /run/a-starting\nExecStart=/bin/sleep infinity\n",
    );
    // b finishes (with an error) only once a has begun to start: were a to wait for b, b would
    // give up after 20 s and succeed.
    sb.unit(
        "b.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'for i in $(seq 200); do \
         [ -e /run/a-starting ] && exit 1; sleep 0.1; done'\n",
    );
    start(&sb, &["a.service"]);
    wait_state(&sb, "b.service", "failed");
    assert_eq!(state(&sb, "a.service"), "active");
    assert_eq!(sb.prop("b.service", "Result"), "exit-code");
}

// ---------------------------------------------------------------------------------------------
// Requisite=

#[test]
fn requisite_on_an_inactive_unit_fails_the_start_and_starts_neither() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("Requisite=b.service\nAfter=b.service"));
    sb.unit("n.service", &daemon("Requisite=b.service"));
    sb.unit("b.service", &daemon(""));
    for unit in ["a.service", "n.service"] {
        let o = sb.systemctl(&["start", unit]);
        assert_outcome(&o, 1, &dependency_failed(unit), unit);
        assert_eq!(states(&sb, &[unit, "b.service"]), ["inactive", "inactive"]);
        assert_eq!(sb.prop(unit, "Result"), "success");
        assert_logged(&sb, unit, &format!("Dependency failed for {unit}."));
    }
    let log = sb.journalctl(&["-o", "cat", "--no-pager"]).stdout;
    assert!(log.contains("b.service is inactive.\n"), "{log}");
}

/// The Requisite= check is a job of its own; without After= nothing orders it before the
/// unit's start, and systemd runs such jobs in name order: a unit named before its requisite
/// starts anyway, and the failed check only shows in the journal.
#[test]
fn requisite_without_after_does_not_stop_a_unit_named_before_its_requisite() {
    let sb = Sandbox::new();
    sb.unit("c.service", &daemon("Requisite=d.service"));
    sb.unit("d.service", &daemon(""));
    start(&sb, &["c.service"]);
    assert_eq!(
        states(&sb, &["c.service", "d.service"]),
        ["active", "inactive"]
    );
    let log = sb.journalctl(&["-o", "cat", "--no-pager"]).stdout;
    assert!(log.contains("d.service is inactive.\n"), "{log}");
}

#[test]
fn requisite_on_an_active_unit_starts_and_goes_down_with_it() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("Requisite=b.service\nAfter=b.service"));
    sb.unit("b.service", &daemon(""));
    start(&sb, &["b.service"]);
    start(&sb, &["a.service"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["active", "active"]
    );
    stop(&sb, &["b.service"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["inactive", "inactive"]
    );
}

// ---------------------------------------------------------------------------------------------
// Wants=

#[test]
fn wants_on_a_missing_or_failing_unit_does_not_stop_the_start() {
    let sb = Sandbox::new();
    sb.unit(
        "a.service",
        &daemon("Wants=missing.service f.service\nAfter=f.service"),
    );
    sb.unit(
        "f.service",
        "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    start(&sb, &["a.service"]);
    assert_eq!(
        states(&sb, &["a.service", "f.service", "missing.service"]),
        ["active", "failed", "inactive"]
    );
    assert_eq!(sb.prop("missing.service", "LoadState"), "not-found");
}

// ---------------------------------------------------------------------------------------------
// BindsTo=

#[test]
fn bindsto_stops_the_binder_when_the_bound_unit_is_stopped() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("BindsTo=b.service\nAfter=b.service"));
    sb.unit("b.service", &daemon(""));
    start(&sb, &["a.service"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["active", "active"]
    );
    stop(&sb, &["b.service"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["inactive", "inactive"]
    );
}

#[test]
fn bindsto_stops_the_binder_when_the_bound_units_main_process_is_killed() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("BindsTo=b.service\nAfter=b.service"));
    sb.unit(
        "b.service",
        "[Service]\nExecStart=/bin/sleep infinity\nRestart=no\n",
    );
    start(&sb, &["a.service"]);
    let pid = sb.main_pid("b.service");
    let o = sb.sh(&format!("kill -9 {pid}"));
    assert_eq!(o.code, 0, "{o:?}");
    wait_state(&sb, "a.service", "inactive");
    assert_eq!(state(&sb, "b.service"), "failed");
    assert_eq!(sb.prop("b.service", "Result"), "signal");
    // The binder was stopped, it did not fail; what the journal says matches systemd 252, which
    // logs no reason for the stop (its "bound to inactive unit" line is debug level).
    assert_eq!(sb.prop("a.service", "Result"), "success");
    let log = journal(&sb, "a.service");
    let tail: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.starts_with("Stopping"))
        .collect();
    assert_eq!(
        tail,
        [
            "Stopping a.service...",
            "a.service: Deactivated successfully.",
            "Stopped a.service."
        ],
        "{log}"
    );
    let log = journal(&sb, "b.service");
    assert!(
        log.ends_with(
            "b.service: Main process exited, code=killed, status=9/KILL\nb.service: Failed with result 'signal'.\n"
        ),
        "{log}"
    );
}

/// A bound unit that ends without ever having been active (a oneshot) takes the binder down too.
#[test]
fn bindsto_without_after_stops_the_binder_when_a_oneshot_bound_unit_finishes() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("BindsTo=b.service"));
    sb.unit(
        "b.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'until [ -e /run/go ]; do sleep 0.05; done'\n",
    );
    start(&sb, &["a.service"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["active", "activating"]
    );
    sb.file("/run/go", "");
    wait_state(&sb, "a.service", "inactive");
    assert_eq!(state(&sb, "b.service"), "inactive");
}

#[test]
fn bindsto_with_after_on_a_unit_skipped_by_its_condition_fails_the_start() {
    let sb = Sandbox::new();
    sb.unit("c.service", &daemon("BindsTo=d.service\nAfter=d.service"));
    sb.unit("d.service", &daemon("ConditionPathExists=/nonexistent"));
    let o = sb.systemctl(&["start", "c.service"]);
    assert_outcome(&o, 1, &dependency_failed("c.service"), "start c.service");
    assert_eq!(
        states(&sb, &["c.service", "d.service"]),
        ["inactive", "inactive"]
    );
    assert_logged(
        &sb,
        "c.service",
        "Bound to unit d.service, but unit isn't active.",
    );
    assert_logged(&sb, "c.service", "Dependency failed for c.service.");
}

// ---------------------------------------------------------------------------------------------
// PartOf=

#[test]
fn partof_stopping_the_parent_stops_the_part_but_not_the_reverse() {
    let sb = Sandbox::new();
    sb.unit("p.service", &daemon(""));
    sb.unit("a.service", &daemon("PartOf=p.service"));
    start(&sb, &["p.service", "a.service"]);
    stop(&sb, &["a.service"]);
    assert_eq!(
        states(&sb, &["p.service", "a.service"]),
        ["active", "inactive"]
    );
    start(&sb, &["a.service"]);
    stop(&sb, &["p.service"]);
    assert_eq!(
        states(&sb, &["p.service", "a.service"]),
        ["inactive", "inactive"]
    );
}

#[test]
fn partof_restarting_the_parent_restarts_the_part_but_not_the_reverse() {
    let sb = Sandbox::new();
    sb.unit("p.service", &daemon(""));
    sb.unit("a.service", &daemon("PartOf=p.service"));
    start(&sb, &["p.service", "a.service"]);
    let (p1, a1) = (sb.main_pid("p.service"), sb.main_pid("a.service"));
    sb.quiet_ok(&["restart", "a.service"]);
    let a2 = sb.main_pid("a.service");
    assert_ne!(a2, a1, "a.service was not restarted");
    assert_eq!(
        sb.main_pid("p.service"),
        p1,
        "restarting the part restarted p"
    );
    sb.quiet_ok(&["restart", "p.service"]);
    assert_ne!(sb.main_pid("p.service"), p1);
    sb.wait_until("a.service runs again", WAIT, || {
        let pid = sb.main_pid("a.service");
        pid != 0 && pid != a2 && state(&sb, "a.service") == "active"
    });
    // try-restart semantics: a part that is not running stays down.
    stop(&sb, &["a.service"]);
    sb.quiet_ok(&["restart", "p.service"]);
    holds_for(
        "a.service stays inactive",
        Duration::from_millis(500),
        || state(&sb, "a.service") == "inactive",
    );
}

// ---------------------------------------------------------------------------------------------
// Conflicts=

#[test]
fn conflicts_starting_either_unit_stops_the_other() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("Conflicts=b.service"));
    sb.unit("b.service", &daemon(""));
    start(&sb, &["a.service"]);
    start(&sb, &["b.service"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["inactive", "active"]
    );
    start(&sb, &["a.service"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["active", "inactive"]
    );
    // Both in one call: b's transaction stops a, which replaces a's pending start job. systemd
    // prints the same when the second request arrives before the first job ran (when it ran
    // already, nothing is printed and the exit code is 0); the units end up the same either way.
    let o = sb.systemctl(&["start", "a.service", "b.service"]);
    assert_outcome(&o, 1, "Job for a.service canceled.\n", "start a b");
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["inactive", "active"]
    );
    let conflicts = sb.prop("a.service", "Conflicts");
    assert!(
        conflicts.split(' ').any(|u| u == "b.service"),
        "{conflicts}"
    );
}

// ---------------------------------------------------------------------------------------------
// Upholds=

#[test]
fn upholds_starts_an_upheld_unit_again_each_time_it_exits_while_the_upholder_is_active() {
    let sb = Sandbox::new();
    sb.unit("u.service", &daemon("Upholds=x.service"));
    sb.unit(
        "x.service",
        "[Service]\nExecStart=/bin/sh -c 'echo run >> /run/xlog; sleep 0.3'\n",
    );
    start(&sb, &["u.service"]);
    assert_eq!(
        states(&sb, &["u.service", "x.service"]),
        ["active", "active"]
    );
    sb.wait_until("x.service ran three times", WAIT, || {
        log_lines(&sb, "/run/xlog").len() >= 3
    });
    assert_eq!(sb.prop("u.service", "Upholds"), "x.service");
    stop(&sb, &["u.service"]);
    wait_state(&sb, "x.service", "inactive");
    let runs = log_lines(&sb, "/run/xlog").len();
    holds_for("x.service stays down", Duration::from_secs(1), || {
        state(&sb, "x.service") == "inactive"
    });
    assert_eq!(log_lines(&sb, "/run/xlog").len(), runs);
}

// ---------------------------------------------------------------------------------------------
// OnFailure=, OnSuccess=

#[test]
fn onfailure_starts_a_template_handler_named_after_the_failed_unit() {
    let sb = Sandbox::new();
    sb.unit(
        "f.service",
        "[Unit]\nOnFailure=handler@%n.service\n[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    sb.unit(
        "handler@.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo %i >> /run/handled'\n",
    );
    let o = sb.systemctl(&["start", "f.service"]);
    assert_outcome(
        &o,
        1,
        "Job for f.service failed because the control process exited with error code.\n\
         See \"systemctl status f.service\" and \"journalctl -xeu f.service\" for details.\n",
        "start f.service",
    );
    assert_eq!(sb.wait_for_file("/run/handled"), "f.service\n");
    assert_eq!(
        sb.prop("f.service", "OnFailure"),
        "handler@f.service.service"
    );
    assert_logged(&sb, "f.service", "Triggering OnFailure= dependencies.");
    wait_state(&sb, "handler@f.service.service", "inactive");
    assert_eq!(sb.prop("handler@f.service.service", "Result"), "success");
}

#[test]
fn onsuccess_starts_its_unit_after_a_clean_finish_and_onfailure_stays_quiet() {
    let sb = Sandbox::new();
    sb.unit(
        "s.service",
        "[Unit]\nOnSuccess=ok.service\nOnFailure=bad.service\n\
         [Service]\nType=oneshot\nExecStart=/bin/true\n",
    );
    for name in ["ok", "bad"] {
        sb.unit(
            &format!("{name}.service"),
            &format!(
                "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo {name} >> /run/handled'\n"
            ),
        );
    }
    start(&sb, &["s.service"]);
    assert_eq!(sb.wait_for_file("/run/handled"), "ok\n");
    assert_logged(&sb, "s.service", "Triggering OnSuccess= dependencies.");
    wait_state(&sb, "ok.service", "inactive");
    assert_eq!(sb.prop("ok.service", "Result"), "success");
    assert_eq!(state(&sb, "bad.service"), "inactive");
    assert_eq!(log_lines(&sb, "/run/handled"), ["ok"]);
}

/// A start that fails because a requirement failed counts as a failure of the unit: its
/// OnFailure= units start, although the unit itself never ran (job.c, JOB_DEPENDENCY).
#[test]
fn onfailure_also_runs_when_the_start_failed_for_a_dependency() {
    let sb = Sandbox::new();
    sb.unit(
        "c.service",
        &daemon("Requires=f.service\nAfter=f.service\nOnFailure=h.service"),
    );
    sb.unit(
        "f.service",
        "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    sb.unit(
        "h.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo handled >> /run/handled'\n",
    );
    let o = sb.systemctl(&["start", "c.service"]);
    assert_outcome(&o, 1, &dependency_failed("c.service"), "start c.service");
    assert_eq!(sb.wait_for_file("/run/handled"), "handled\n");
    assert_eq!(state(&sb, "c.service"), "inactive");
    assert_logged(&sb, "c.service", "Triggering OnFailure= dependencies.");
}

// ---------------------------------------------------------------------------------------------
// PropagatesReloadTo=, ReloadPropagatedFrom=

#[test]
fn reload_propagates_to_active_units_only_and_not_back() {
    let sb = Sandbox::new();
    let reloading = |name: &str, unit: &str| {
        format!(
            "[Unit]\n{unit}\n[Service]\nExecStart=/bin/sleep infinity\n\
             ExecReload=/bin/sh -c 'echo reload-{name} >> /run/log'\n"
        )
    };
    sb.unit("a.service", &reloading("a", "PropagatesReloadTo=b.service"));
    sb.unit("b.service", &reloading("b", ""));
    sb.unit(
        "c.service",
        &reloading("c", "ReloadPropagatedFrom=a.service"),
    );
    start(&sb, &["a.service"]);
    sb.quiet_ok(&["reload", "a.service"]);
    assert_eq!(log_lines(&sb, "/run/log"), ["reload-a"]);
    assert_eq!(
        states(&sb, &["b.service", "c.service"]),
        ["inactive", "inactive"]
    );
    start(&sb, &["b.service", "c.service"]);
    sb.file("/run/log", "");
    sb.quiet_ok(&["reload", "a.service"]);
    sb.wait_until("b and c reloaded", WAIT, || {
        log_lines(&sb, "/run/log").len() == 3
    });
    let mut lines = log_lines(&sb, "/run/log");
    lines.sort();
    assert_eq!(lines, ["reload-a", "reload-b", "reload-c"]);
    sb.file("/run/log", "");
    sb.quiet_ok(&["reload", "b.service"]);
    sb.quiet_ok(&["reload", "c.service"]);
    assert_eq!(log_lines(&sb, "/run/log"), ["reload-b", "reload-c"]);
}

// ---------------------------------------------------------------------------------------------
// PropagatesStopTo=, StopPropagatedFrom=

#[test]
fn propagates_stop_to_stops_the_other_unit_but_not_the_reverse() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("PropagatesStopTo=b.service"));
    sb.unit("b.service", &daemon(""));
    sb.unit("c.service", &daemon("StopPropagatedFrom=a.service"));
    let all = ["a.service", "b.service", "c.service"];
    start(&sb, &all);
    stop(&sb, &["a.service"]);
    assert_eq!(states(&sb, &all), ["inactive", "inactive", "inactive"]);
    start(&sb, &all);
    stop(&sb, &["b.service", "c.service"]);
    assert_eq!(states(&sb, &all), ["active", "inactive", "inactive"]);
}

/// The stop follows the unit going down by itself too; a restart is not a stop.
#[test]
fn propagates_stop_to_follows_a_crash_but_not_a_restart() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("PropagatesStopTo=b.service"));
    sb.unit("b.service", &daemon(""));
    sb.unit("c.service", &daemon("StopPropagatedFrom=a.service"));
    let all = ["a.service", "b.service", "c.service"];
    start(&sb, &all);
    let (b1, c1) = (sb.main_pid("b.service"), sb.main_pid("c.service"));
    sb.quiet_ok(&["restart", "a.service"]);
    holds_for("b and c keep running", Duration::from_millis(500), || {
        sb.main_pid("b.service") == b1 && sb.main_pid("c.service") == c1
    });
    let pid = sb.main_pid("a.service");
    assert_eq!(sb.sh(&format!("kill -9 {pid}")).code, 0);
    wait_state(&sb, "b.service", "inactive");
    wait_state(&sb, "c.service", "inactive");
    assert_eq!(state(&sb, "a.service"), "failed");
}

// ---------------------------------------------------------------------------------------------
// Restart propagation

#[test]
fn restarting_a_unit_restarts_the_units_that_require_requisite_or_bind_to_it() {
    let sb = Sandbox::new();
    sb.unit("b.service", &daemon(""));
    sb.unit("a.service", &daemon("Requires=b.service\nAfter=b.service"));
    sb.unit("r.service", &daemon("Requisite=b.service\nAfter=b.service"));
    sb.unit("k.service", &daemon("BindsTo=b.service\nAfter=b.service"));
    sb.unit("i.service", &daemon("Requires=b.service"));
    let dependents = ["a.service", "r.service", "k.service"];
    start(&sb, &dependents);
    let before: Vec<i32> = dependents.iter().map(|u| sb.main_pid(u)).collect();
    sb.quiet_ok(&["restart", "b.service"]);
    for (unit, old) in dependents.iter().zip(&before) {
        sb.wait_until(&format!("{unit} restarted"), WAIT, || {
            let pid = sb.main_pid(unit);
            pid != 0 && pid != *old && state(&sb, unit) == "active"
        });
    }
    assert_eq!(state(&sb, "i.service"), "inactive");
    stop(&sb, &["b.service"]);
    assert_eq!(
        states(&sb, &dependents),
        ["inactive", "inactive", "inactive"]
    );
}

// ---------------------------------------------------------------------------------------------
// .wants/ and .requires/ directories

#[test]
fn wants_and_requires_directories_made_by_enable_and_add_wants_pull_units_into_a_target() {
    let sb = Sandbox::new();
    sb.unit("t.target", "[Unit]\n");
    sb.unit(
        "w.service",
        "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=t.target\n",
    );
    sb.unit("r.service", &daemon(""));
    sb.unit(
        "q.service",
        "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    let link = |dir: &str, unit: &str| {
        format!(
            "Created symlink /etc/systemd/system/t.target.{dir}/{unit} \u{2192} \
             /etc/systemd/system/{unit}.\n"
        )
    };
    for (args, text) in [
        (vec!["enable", "w.service"], link("wants", "w.service")),
        (
            vec!["add-requires", "t.target", "r.service"],
            link("requires", "r.service"),
        ),
        (
            vec!["add-wants", "t.target", "q.service"],
            link("wants", "q.service"),
        ),
    ] {
        let o = sb.systemctl(&args);
        assert_eq!((o.code, o.stderr.as_str()), (0, text.as_str()), "{args:?}");
    }
    assert_eq!(sb.prop("t.target", "Requires"), "r.service");
    let mut wants: Vec<String> = sb
        .prop("t.target", "Wants")
        .split(' ')
        .map(str::to_string)
        .collect();
    wants.sort();
    assert_eq!(wants, ["q.service", "w.service"]);
    start(&sb, &["t.target"]);
    assert_eq!(
        states(&sb, &["t.target", "w.service", "r.service", "q.service"]),
        ["active", "active", "active", "failed"]
    );
    assert_logged(&sb, "t.target", "Reached target t.target.");
    // A required unit that stops takes the target with it.
    stop(&sb, &["r.service"]);
    assert_eq!(state(&sb, "t.target"), "inactive");
    assert_eq!(state(&sb, "w.service"), "active");
}

// ---------------------------------------------------------------------------------------------
// Ordering

/// One call, the unit ordered first named first (systemctl queues the jobs one by one, so only
/// this order is deterministic under systemd too): the second waits for the first to have
/// started; stopping in the opposite order waits the other way round.
#[test]
fn after_and_before_order_the_units_of_one_start_call_and_stop_runs_in_reverse() {
    let sb = Sandbox::new();
    sb.unit("x.service", &logged_daemon("x", "Before=y.service"));
    sb.unit("y.service", &logged_daemon("y", ""));
    sb.unit("z.service", &logged_daemon("z", "After=y.service"));
    start(&sb, &["x.service", "y.service", "z.service"]);
    assert_eq!(
        log_lines(&sb, "/run/log"),
        ["start-x", "start-y", "start-z"]
    );
    sb.file("/run/log", "");
    stop(&sb, &["z.service", "y.service", "x.service"]);
    assert_eq!(log_lines(&sb, "/run/log"), ["stop-z", "stop-y", "stop-x"]);
}

#[test]
fn a_target_starts_its_wants_in_after_order_and_stops_its_parts_in_reverse() {
    let sb = Sandbox::new();
    sb.unit(
        "first.service",
        &logged_daemon("first", "PartOf=chain.target"),
    );
    sb.unit(
        "second.service",
        &logged_daemon("second", "PartOf=chain.target\nAfter=first.service"),
    );
    sb.unit(
        "third.service",
        &logged_daemon("third", "PartOf=chain.target\nAfter=second.service"),
    );
    sb.unit(
        "chain.target",
        "[Unit]\nWants=third.service second.service first.service\n",
    );
    start(&sb, &["chain.target"]);
    assert_eq!(
        log_lines(&sb, "/run/log"),
        ["start-first", "start-second", "start-third"]
    );
    assert_eq!(
        (
            sb.prop("chain.target", "ActiveState"),
            sb.prop("chain.target", "SubState")
        ),
        ("active".to_string(), "active".to_string())
    );
    sb.file("/run/log", "");
    // The target is ordered after its wants, so its own stop goes first and systemctl returns
    // before the parts are down.
    stop(&sb, &["chain.target"]);
    sb.wait_until("the parts stopped", WAIT, || {
        log_lines(&sb, "/run/log").len() == 3
    });
    assert_eq!(
        log_lines(&sb, "/run/log"),
        ["stop-third", "stop-second", "stop-first"]
    );
}

// ---------------------------------------------------------------------------------------------
// Targets

#[test]
fn stopping_a_target_leaves_its_wants_running_and_stops_its_partof_units() {
    let sb = Sandbox::new();
    sb.unit("t.target", "[Unit]\nWants=w.service\n");
    sb.unit("w.service", &daemon(""));
    sb.unit("p.service", &daemon("PartOf=t.target"));
    start(&sb, &["t.target", "p.service"]);
    assert_eq!(
        states(&sb, &["t.target", "w.service", "p.service"]),
        ["active", "active", "active"]
    );
    assert_eq!(sb.prop("t.target", "SubState"), "active");
    stop(&sb, &["t.target"]);
    wait_state(&sb, "p.service", "inactive");
    assert_eq!(
        states(&sb, &["t.target", "w.service"]),
        ["inactive", "active"]
    );
    assert_eq!(sb.prop("t.target", "SubState"), "dead");
    assert_logged(&sb, "t.target", "Stopped target t.target.");
    // Starting the target again does not start a part, which nothing pulls in.
    start(&sb, &["t.target"]);
    assert_eq!(state(&sb, "p.service"), "inactive");
}

// ---------------------------------------------------------------------------------------------
// --job-mode=

/// A service whose start stays pending until /run/go exists.
fn gated_service() -> &'static str {
    "[Service]\nExecStartPre=/bin/sh -c 'until [ -e /run/go ]; do sleep 0.05; done'\n\
     ExecStart=/bin/sleep infinity\n"
}

#[test]
fn job_mode_fail_refuses_to_replace_a_pending_start_with_a_stop() {
    let sb = Sandbox::new();
    sb.unit("slow.service", gated_service());
    sb.quiet_ok(&["--no-block", "start", "slow.service"]);
    let o = sb.systemctl(&["--job-mode=fail", "stop", "slow.service"]);
    assert_outcome(
        &o,
        4,
        &refused(
            "stop",
            "slow.service",
            "Transaction for slow.service/stop is destructive (slow.service has 'start' job \
             queued, but 'stop' is included in transaction).",
        ),
        "--job-mode=fail stop",
    );
    let jobs = sb.systemctl(&["list-jobs", "--no-legend"]);
    let fields: Vec<&str> = jobs.stdout.split_whitespace().collect();
    assert_eq!(
        fields.get(1..4),
        Some(&["slow.service", "start", "running"][..]),
        "{jobs:?}"
    );
    // A job of the same kind merges with the pending one: nothing is destroyed.
    sb.quiet_ok(&["--no-block", "--job-mode=fail", "start", "slow.service"]);
    assert_eq!(
        sb.systemctl(&["list-jobs", "--no-legend"]).stdout,
        jobs.stdout
    );
    sb.file("/run/go", "");
    wait_state(&sb, "slow.service", "active");
}

#[test]
fn job_mode_fail_stops_what_requires_a_unit_when_no_job_is_pending() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("Requires=b.service\nAfter=b.service"));
    sb.unit("b.service", &daemon(""));
    start(&sb, &["a.service"]);
    sb.quiet_ok(&["--job-mode=fail", "stop", "b.service"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["inactive", "inactive"]
    );
}

#[test]
fn ignore_dependencies_starts_a_unit_without_its_requirements_or_its_ordering() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("Requires=b.service\nAfter=b.service"));
    sb.unit("b.service", &daemon(""));
    sb.unit("slow.service", gated_service());
    sb.unit("n.service", &daemon("After=slow.service"));
    for flag in ["--ignore-dependencies", "--job-mode=ignore-dependencies"] {
        sb.quiet_ok(&[flag, "start", "a.service"]);
        assert_eq!(
            states(&sb, &["a.service", "b.service"]),
            ["active", "inactive"],
            "{flag}"
        );
        stop(&sb, &["a.service"]);
    }
    // Ordering is ignored too: n starts while slow is still starting.
    sb.quiet_ok(&["--no-block", "start", "slow.service"]);
    sb.quiet_ok(&["--job-mode=ignore-dependencies", "start", "n.service"]);
    assert_eq!(
        states(&sb, &["n.service", "slow.service"]),
        ["active", "activating"]
    );
}

#[test]
fn ignore_requirements_skips_requirements_but_keeps_the_ordering() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("Requires=b.service\nAfter=b.service"));
    sb.unit("b.service", &daemon(""));
    sb.unit("slow.service", gated_service());
    sb.unit("n.service", &daemon("After=slow.service"));
    sb.quiet_ok(&["--job-mode=ignore-requirements", "start", "a.service"]);
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["active", "inactive"]
    );
    // n waits for slow's pending start.
    sb.quiet_ok(&["--no-block", "start", "slow.service"]);
    sb.quiet_ok(&[
        "--no-block",
        "--job-mode=ignore-requirements",
        "start",
        "n.service",
    ]);
    holds_for(
        "n.service waits for slow.service",
        Duration::from_millis(500),
        || state(&sb, "n.service") == "inactive",
    );
    sb.file("/run/go", "");
    wait_state(&sb, "n.service", "active");
    assert_eq!(state(&sb, "slow.service"), "active");
}

// ---------------------------------------------------------------------------------------------
// isolate

#[test]
fn isolate_stops_what_the_target_does_not_want_and_keeps_ignore_on_isolate_units() {
    let sb = Sandbox::new();
    sb.unit("iso.target", "[Unit]\nAllowIsolate=yes\nWants=a.service\n");
    sb.unit("a.service", &daemon(""));
    sb.unit("b.service", &daemon(""));
    sb.unit("keep.service", &daemon("IgnoreOnIsolate=yes"));
    start(&sb, &["b.service", "keep.service"]);
    sb.quiet_ok(&["isolate", "iso.target"]);
    assert_eq!(
        states(
            &sb,
            &["iso.target", "a.service", "b.service", "keep.service"]
        ),
        ["active", "active", "inactive", "active"]
    );
}

#[test]
fn isolate_is_refused_for_a_unit_without_allow_isolate() {
    let sb = Sandbox::new();
    sb.unit("plain.target", "[Unit]\nWants=a.service\n");
    sb.unit("a.service", &daemon(""));
    sb.unit("b.service", &daemon(""));
    start(&sb, &["b.service"]);
    let message = "Operation refused, unit may not be isolated.";
    let o = sb.systemctl(&["isolate", "plain.target"]);
    assert_outcome(&o, 4, &refused("start", "plain.target", message), "isolate");
    let o = sb.systemctl(&["start", "--job-mode=isolate", "plain.target"]);
    assert_outcome(
        &o,
        4,
        &refused("start", "plain.target", message),
        "--job-mode",
    );
    let o = sb.systemctl(&["isolate", "a.service"]);
    assert_outcome(&o, 4, &refused("start", "a.service", message), "isolate a");
    assert_eq!(
        states(&sb, &["plain.target", "a.service", "b.service"]),
        ["inactive", "inactive", "active"]
    );
}

// ---------------------------------------------------------------------------------------------
// Ordering cycles

#[test]
fn an_ordering_cycle_among_wanted_units_is_broken_by_dropping_one_job_with_a_warning() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("After=b.service"));
    sb.unit("b.service", &daemon("After=a.service"));
    sb.unit("both.target", "[Unit]\nWants=a.service b.service\n");
    start(&sb, &["both.target"]);
    assert_eq!(
        states(&sb, &["both.target", "a.service", "b.service"]),
        ["active", "active", "inactive"]
    );
    let log = sb.journalctl(&["-o", "cat", "--no-pager"]).stdout;
    let cycle: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("cycle") || l.contains("Found dependency"))
        .collect();
    assert_eq!(
        cycle,
        [
            "b.service: Found ordering cycle on b.service/start",
            "a.service: Found dependency on a.service/start",
            "b.service: Job b.service/start deleted to break ordering cycle starting with a.service/start",
        ],
        "{log}"
    );
}

/// Two units ordered after each other, named in one call: the second one's transaction finds
/// the first one's queued job in a cycle it may not break (systemd counts queued jobs in its
/// cycle check), so the second is refused and the first starts; nothing waits forever. systemd
/// answers the same when the first job is still queued as the second request arrives; when it
/// has run already, there is no cycle to find and both start.
#[test]
fn an_ordering_cycle_between_units_of_one_start_call_refuses_the_second_without_hanging() {
    let sb = Sandbox::new();
    sb.unit("a.service", &daemon("After=b.service"));
    sb.unit("b.service", &daemon("After=a.service"));
    let o = sb.systemctl(&["start", "a.service", "b.service"]);
    assert_outcome(
        &o,
        1,
        &refused(
            "start",
            "b.service",
            "Transaction order is cyclic. See system logs for details.",
        ),
        "start a b",
    );
    assert_eq!(
        states(&sb, &["a.service", "b.service"]),
        ["active", "inactive"]
    );
    assert_logged(
        &sb,
        "b.service",
        "Unable to break cycle starting with b.service/start",
    );
}

#[test]
fn an_ordering_cycle_among_required_units_fails_the_transaction() {
    let sb = Sandbox::new();
    sb.unit("x.service", &daemon("Requires=y.service\nAfter=y.service"));
    sb.unit("y.service", &daemon("Requires=x.service\nAfter=x.service"));
    let o = sb.systemctl(&["start", "x.service"]);
    assert_outcome(
        &o,
        1,
        &refused(
            "start",
            "x.service",
            "Transaction order is cyclic. See system logs for details.",
        ),
        "start x",
    );
    assert_eq!(
        states(&sb, &["x.service", "y.service"]),
        ["inactive", "inactive"]
    );
    let log = sb.journalctl(&["-o", "cat", "--no-pager"]).stdout;
    let cycle: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("cycle") || l.contains("Found dependency"))
        .collect();
    assert_eq!(
        cycle,
        [
            "y.service: Found ordering cycle on y.service/start",
            "x.service: Found dependency on x.service/start",
            "x.service: Unable to break cycle starting with x.service/start",
        ],
        "{log}"
    );
}
