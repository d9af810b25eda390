//! Every state-changing verb of the runtime, run by a user who may not change the manager's
//! state, is refused with what systemctl 252 prints and exits with. The expected texts were taken
//! from systemd 252 booted as PID 1 in a private namespace, with dbus-daemon running and polkit
//! absent (as in a container: the manager's polkit check fails closed, "Access denied") and
//! logind running, for a failed `f.service` and an active `s.service`, each verb run as uid 65534
//! with `setpriv --reuid=65534 --regid=65534 --clear-groups`.

mod common;

use common::sandbox::Sandbox;

const UID: u32 = 65534;

/// start_unit_one()'s two lines for a job the manager refused.
macro_rules! job_refused {
    ($verb:literal, $unit:literal) => {
        concat!(
            "Failed to ",
            $verb,
            " ",
            $unit,
            ": Access denied\nSee system logs and 'systemctl status ",
            $unit,
            "' for details.\n"
        )
    };
}

/// `systemctl ARGS` as uid 65534, and what systemd 252 printed on stderr and exited with.
/// Nothing is printed on stdout by any of them.
const REFUSALS: &[(&str, &str, i32)] = &[
    (
        "reset-failed",
        "Failed to execute operation: Access denied\n",
        1,
    ),
    (
        "reset-failed f.service",
        "Failed to reset failed state of unit f.service: Access denied\n",
        1,
    ),
    (
        "reset-failed f.service s.service",
        "Failed to reset failed state of unit f.service: Access denied\n\
         Failed to reset failed state of unit s.service: Access denied\n",
        1,
    ),
    ("start s.service", job_refused!("start", "s.service"), 4),
    ("stop s.service", job_refused!("stop", "s.service"), 4),
    ("restart s.service", job_refused!("restart", "s.service"), 4),
    ("reload s.service", job_refused!("reload", "s.service"), 4),
    (
        "try-restart s.service",
        job_refused!("try-restart", "s.service"),
        4,
    ),
    (
        "condrestart s.service",
        job_refused!("try-restart", "s.service"),
        4,
    ),
    (
        "reload-or-restart s.service",
        job_refused!("reload-or-restart", "s.service"),
        4,
    ),
    (
        "try-reload-or-restart s.service",
        job_refused!("reload-or-try-restart", "s.service"),
        4,
    ),
    (
        "force-reload s.service",
        job_refused!("reload-or-try-restart", "s.service"),
        4,
    ),
    (
        "start s.service f.service",
        concat!(
            job_refused!("start", "s.service"),
            job_refused!("start", "f.service")
        ),
        4,
    ),
    (
        "isolate multi-user.target",
        job_refused!("start", "multi-user.target"),
        4,
    ),
    ("default", job_refused!("start", "default.target"), 4),
    (
        "kill s.service",
        "Failed to kill unit s.service: Access denied\n",
        1,
    ),
    (
        "kill s.service f.service",
        "Failed to kill unit s.service: Access denied\n\
         Failed to kill unit f.service: Access denied\n",
        1,
    ),
    ("daemon-reload", "Reload daemon failed: Access denied\n", 1),
    (
        "daemon-reexec",
        "Reexecute daemon failed: Access denied\n",
        1,
    ),
    ("halt", "Call to Halt failed: Access denied\n", 1),
    ("poweroff", "Call to PowerOff failed: Access denied\n", 1),
    ("reboot", "Call to Reboot failed: Access denied\n", 1),
    (
        "reboot --force",
        "Failed to execute operation: Access denied\n",
        1,
    ),
    ("exit", job_refused!("start", "exit.target"), 4),
    ("exit 3", "Failed to set exit code: Access denied\n", 1),
];

#[test]
fn every_state_change_by_an_unprivileged_user_is_refused_in_systemds_words() {
    let sb = Sandbox::new();
    sb.unit(
        "f.service",
        "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    sb.unit("s.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    sb.quiet_ok(&["start", "s.service"]);
    assert_eq!(sb.systemctl(&["start", "f.service"]).code, 1);
    let mut wrong = Vec::new();
    for (args, stderr, code) in REFUSALS {
        let argv: Vec<&str> = args.split(' ').collect();
        let o = sb.as_user(UID, &argv);
        if (o.stdout.as_str(), o.stderr.as_str(), o.code) != ("", *stderr, *code) {
            wrong.push(format!(
                "systemctl {args}: got {:?} {:?} exit {}, systemd 252 prints {stderr:?} exit {code}",
                o.stdout, o.stderr, o.code
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Nothing changed.
    let o = sb.systemctl(&["is-active", "s.service", "f.service"]);
    assert_eq!(o.stdout, "active\nfailed\n", "{o:?}");
}
