//! A service user against the root manager through `PIDFile=` (issue 13.1): the PID file sits in
//! a directory the service's user owns, so that user decides what the manager finds there. As
//! service_load_pid_file() of systemd 252 does, the path is chased with CHASE_SAFE: a symlink from
//! the user's directory into root's may only name a process of the unit itself; the manager and
//! PID 1 are never a main PID; a FIFO or a huge file in place of the PID file is not read; the
//! file is removed once the service is dead, but never through the user's symlink. The texts are
//! systemd's (src/core/service.c).

mod common;

use common::sandbox::{Sandbox, WAIT};

const USER_DIR: &str = "/run/evil";

/// `/run/evil` owned by nobody, holding `link -> /run` made by that user, and a root service
/// `victim.service` whose main process the attack aims at, with a root-owned PID file for it.
fn sandbox_with_a_hostile_directory() -> (Sandbox, i32) {
    let sb = Sandbox::new();
    let o = sb.sh(&format!(
        "mkdir {USER_DIR} && chown nobody:nogroup {USER_DIR} && \
         setpriv --reuid=nobody --regid=nogroup --clear-groups ln -s /run {USER_DIR}/link"
    ));
    assert_eq!(o.code, 0, "{o:?}");
    sb.unit(
        "victim.service",
        "[Service]\nExecStart=/bin/sleep infinity\n",
    );
    sb.quiet_ok(&["start", "victim.service"]);
    let victim = sb.main_pid("victim.service");
    assert!(victim > 1);
    sb.file("/run/victim.pid", &format!("{victim}\n"));
    (sb, victim)
}

/// A forking service of nobody whose daemon is a `sleep` and whose PID file is `pid_file`.
fn hostile_unit(sb: &Sandbox, pid_file: &str) {
    sb.unit(
        "evil.service",
        &format!(
            "[Service]\nType=forking\nUser=nobody\nPIDFile={pid_file}\nTimeoutStartSec=infinity\n\
             ExecStart=/bin/sh -c 'sleep infinity & exit 0'\n"
        ),
    );
}

fn wait_for_log(sb: &Sandbox, unit: &str, line: &str) {
    sb.wait_until(&format!("{unit} logs {line:?}"), WAIT, || {
        sb.journalctl(&["-u", unit, "-o", "cat"])
            .stdout
            .contains(line)
    });
}

/// Stopping the refused unit must not touch the victim, and the manager lives on.
fn stop_leaves_victim_and_manager(sb: &Sandbox, victim: i32) {
    let manager = sb.manager_pids();
    sb.quiet_ok(&["stop", "evil.service"]);
    assert!(
        sb.pid_alive(victim),
        "stopping evil.service killed the victim"
    );
    assert_eq!(sb.main_pid("victim.service"), victim);
    assert_eq!(sb.manager_pids(), manager, "the manager went away");
    // service_enter_dead() removes the PID file, but not through the user's link.
    assert!(
        sb.exists("/run/victim.pid"),
        "stopping evil.service removed root's file through the user's link"
    );
    let o = sb.systemctl(&["is-active", "victim.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("active\n", 0));
}

#[test]
fn a_symlink_from_the_users_directory_cannot_name_another_units_process() {
    let (sb, victim) = sandbox_with_a_hostile_directory();
    hostile_unit(&sb, "/run/evil/link/victim.pid");
    sb.quiet_ok(&["start", "--no-block", "evil.service"]);
    wait_for_log(
        &sb,
        "evil.service",
        "Refusing to accept PID outside of service control group, acquired through unsafe symlink chain: /run/evil/link/victim.pid",
    );
    assert_ne!(sb.main_pid("evil.service"), victim);
    assert_eq!(sb.prop("evil.service", "ActiveState"), "activating");
    stop_leaves_victim_and_manager(&sb, victim);
}

#[test]
fn the_managers_own_pid_is_never_a_main_pid() {
    let (sb, victim) = sandbox_with_a_hostile_directory();
    // The manager's own PID file, root-owned, reached through the user's link.
    let manager = sb.manager_pids();
    assert_eq!(manager.len(), 1, "{manager:?}");
    hostile_unit(&sb, "/run/evil/link/systemctl-shim/manager.pid");
    sb.quiet_ok(&["start", "--no-block", "evil.service"]);
    wait_for_log(&sb, "evil.service", "is the manager, refusing.");
    stop_leaves_victim_and_manager(&sb, victim);

    // Not even a root service with a root-owned path may name the manager or PID 1.
    sb.unit(
        "pid1.service",
        "[Service]\nType=forking\nPIDFile=/run/one.pid\nTimeoutStartSec=infinity\n\
         ExecStart=/bin/sh -c 'echo 1 > /run/one.pid; sleep infinity & exit 0'\n",
    );
    sb.quiet_ok(&["start", "--no-block", "pid1.service"]);
    wait_for_log(
        &sb,
        "pid1.service",
        "New main PID 1 is the manager, refusing.",
    );
    sb.quiet_ok(&["stop", "pid1.service"]);
    assert_eq!(sb.manager_pids(), manager, "the manager went away");
}

#[test]
fn a_fifo_in_place_of_the_pid_file_does_not_block_the_manager() {
    let (sb, victim) = sandbox_with_a_hostile_directory();
    let o = sb.sh(&format!(
        "setpriv --reuid=nobody --regid=nogroup --clear-groups mkfifo {USER_DIR}/fifo.pid"
    ));
    assert_eq!(o.code, 0, "{o:?}");
    hostile_unit(&sb, "/run/evil/fifo.pid");
    sb.quiet_ok(&["start", "--no-block", "evil.service"]);
    sb.wait_for_prop("evil.service", "ActiveState", "activating");
    // The forking parent has exited by the time its daemon runs; the manager must then still
    // answer (it blocked forever in open() of the FIFO before).
    sb.wait_until("the daemon of evil.service runs", WAIT, || {
        sb.sh("pgrep -u nobody -x sleep").code == 0
    });
    stop_leaves_victim_and_manager(&sb, victim);
}

#[test]
fn the_users_own_pid_file_in_the_users_directory_still_works() {
    let (sb, victim) = sandbox_with_a_hostile_directory();
    sb.unit(
        "own.service",
        &format!(
            "[Service]\nType=forking\nUser=nobody\nPIDFile={USER_DIR}/own.pid\n\
             ExecStart=/bin/sh -c 'sleep infinity & echo $! > {USER_DIR}/own.pid'\n"
        ),
    );
    sb.quiet_ok(&["start", "own.service"]);
    let daemon: i32 = sb
        .read("/run/evil/own.pid")
        .and_then(|t| t.trim().parse().ok())
        .expect("own.pid holds a pid");
    assert_eq!(sb.main_pid("own.service"), daemon);
    sb.quiet_ok(&["stop", "own.service"]);
    assert!(!sb.pid_alive(daemon));
    assert!(
        !sb.exists("/run/evil/own.pid"),
        "a stopped service's PID file is removed, as service_enter_dead() does"
    );
    assert!(sb.pid_alive(victim));
}
