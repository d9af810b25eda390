//! What the manager stands in for besides PID 1 on a Debian host, as a user meets it in a private
//! sandbox: journald's `/dev/log` (a `logger` line lands in the journal of the unit that logged
//! it, and reaches rsyslog through `/run/systemd/journal/syslog`, as journald forwards on Debian;
//! in an image with systemd's units, journald's units are that journal), and the unit generators
//! packages ship (postgresql-generator makes `postgresql@15-main`).

mod common;

use common::sandbox::{Sandbox, WAIT};

/// A stand-in for rsyslog's imuxsock on the socket journald forwards to: every datagram becomes a
/// line of /tmp/syslog.txt.
const SYSLOG_DAEMON: &str = r#"#!/usr/bin/python3
import os, socket
path = "/run/systemd/journal/syslog"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open("/tmp/syslog.txt", "a", buffering=1) as out:
    while True:
        out.write(s.recv(65536).decode(errors="replace") + "\n")
"#;

#[test]
fn logger_in_a_service_lands_in_its_journal_and_dev_log_links_to_the_socket() {
    let sb = Sandbox::new();
    sb.unit(
        "tells.service",
        "[Service]\nType=oneshot\nExecStart=/usr/bin/logger -t tells-tag hello from a unit\n",
    );
    sb.quiet_ok(&["start", "tells.service"]);
    sb.wait_until("the logger line in the unit's journal", WAIT, || {
        sb.journalctl(&["-u", "tells.service", "-o", "cat"])
            .stdout
            .contains("hello from a unit")
    });
    let o = sb.journalctl(&["-u", "tells.service", "--no-hostname"]);
    assert!(
        o.stdout
            .lines()
            .any(|l| l.contains(" tells-tag[") && l.ends_with("]: hello from a unit")),
        "journalctl -u shows the tag and pid logger sent: {o:?}"
    );
    assert_eq!(
        sb.run(&["readlink", "/dev/log"]).stdout.trim(),
        "/run/systemd/journal/dev-log",
        "/dev/log is journald's socket, as systemd-journald-dev-log.socket links it"
    );

    // From outside any unit (a maintainer script run by apt): in the journal, under no unit.
    let o = sb.run(&["logger", "-t", "outside", "from a shell"]);
    assert_eq!(o.code, 0, "logger succeeds: {o:?}");
    sb.wait_until("the shell's line in the journal", WAIT, || {
        sb.journalctl(&["-t", "outside", "-o", "cat"]).stdout == "from a shell\n"
    });
    assert!(
        !sb.journalctl(&["-u", "tells.service", "-o", "cat"])
            .stdout
            .contains("from a shell"),
        "a line from outside is nobody's unit's"
    );
    let o = sb.journalctl(&["-t", "outside", "-o", "json"]);
    assert!(
        !o.stdout.contains("_SYSTEMD_UNIT"),
        "no unit field for it, as journald has none: {o:?}"
    );
}

#[test]
fn a_syslog_daemon_on_the_forward_socket_gets_service_output_and_logger_lines() {
    let sb = Sandbox::new();
    sb.executable("/usr/local/bin/fake-rsyslog", SYSLOG_DAEMON);
    sb.unit(
        "fake-rsyslog.service",
        "[Service]\nExecStart=/usr/local/bin/fake-rsyslog\n",
    );
    sb.unit(
        "talks.service",
        "[Service]\nType=oneshot\nExecStart=/bin/echo said on stdout\n\
         ExecStart=/usr/bin/logger -p mail.err -t talks-tag said to syslog\n",
    );
    sb.quiet_ok(&["start", "fake-rsyslog.service"]);
    sb.wait_until("the syslog daemon listens", WAIT, || {
        sb.exists("/run/systemd/journal/syslog")
    });
    sb.quiet_ok(&["start", "talks.service"]);
    sb.wait_until("both lines and the manager's forwarded", WAIT, || {
        let got = sb.read("/tmp/syslog.txt").unwrap_or_default();
        ["said on stdout", "said to syslog", "Finished talks.service"]
            .iter()
            .all(|l| got.contains(l))
    });
    let got = sb.read("/tmp/syslog.txt").unwrap_or_default();
    let line = |needle: &str| {
        got.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_default()
            .to_string()
    };
    let stdout = line("said on stdout");
    assert!(
        stdout.starts_with("<30>") && stdout.contains(" echo["),
        "a service's output goes as daemon.info under its identifier: {stdout}"
    );
    let logged = line("said to syslog");
    assert!(
        logged.starts_with("<19>") && logged.contains(" talks-tag["),
        "a syslog line keeps its priority (mail.err) and tag: {logged}"
    );
    assert!(
        line("Finished talks.service").contains(" systemd["),
        "the manager's own lines too, as journald forwards systemd[1]'s: {got}"
    );
}

#[test]
fn a_packages_generator_makes_units_at_start_and_again_at_daemon_reload() {
    let sb = Sandbox::new();
    // What postgresql-generator does: a wants link of the cluster's instance, per cluster.
    sb.executable(
        "/etc/systemd/system-generators/clusters-generator",
        "#!/bin/sh\nset -e\necho run >>/tmp/generator-runs\n\
         mkdir -p \"$1/db.service.wants\"\n\
         for c in $(cat /etc/clusters); do\n\
           ln -s /etc/systemd/system/db@.service \"$1/db.service.wants/db@$c.service\"\n\
         done\n",
    );
    sb.executable(
        "/etc/systemd/system-generators/broken-generator",
        "#!/bin/sh\nexit 4\n",
    );
    sb.file("/etc/clusters", "main\n");
    sb.unit(
        "db.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    );
    sb.unit("db@.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    sb.quiet_ok(&["start", "db.service"]);
    assert_eq!(
        sb.systemctl(&["is-active", "db@main.service"]).stdout,
        "active\n",
        "the generated wants link pulled the instance in"
    );
    assert_eq!(
        sb.systemctl(&["is-enabled", "db@main.service"]).stdout,
        "enabled-runtime\n",
        "a link in a generator directory, as systemctl 252 reports it"
    );

    sb.file("/etc/clusters", "main\nsecond\n");
    sb.quiet_ok(&["daemon-reload"]);
    assert_eq!(
        sb.read("/tmp/generator-runs").unwrap_or_default(),
        "run\nrun\n",
        "run at start and at the reload"
    );
    sb.quiet_ok(&["restart", "db.service"]);
    assert_eq!(
        sb.systemctl(&["is-active", "db@second.service"]).stdout,
        "active\n",
        "the reload's output is used"
    );
}

/// In an image with systemd's units, booted by our manager: journald's units are the manager's
/// journal. Pulled in by sysinit.target they are up; a restart (Ansible's handler after editing
/// journald.conf) and a stop run no systemd-journald and leave the journal serving, and the next
/// message activates the stopped service again.
#[test]
fn journald_units_in_an_image_are_the_managers_journal_and_a_restart_runs_nothing() {
    if !std::path::Path::new("/lib/systemd/system/systemd-journald.service").exists() {
        eprintln!("skipped: the host has no systemd-journald.service");
        return;
    }
    let sb = Sandbox::for_image();
    sb.file(
        "/run/systemd/system/t.target",
        "[Unit]\nDefaultDependencies=no\n",
    );
    sb.file(
        "/etc/systemd/system/a.service",
        "[Service]\nExecStart=/bin/sleep infinity\n",
    );
    let path = format!("/run/sandbox-bin:{}", common::sandbox::PATH);
    let env = [("PATH", path.as_str())];
    sb.boot_image("systemd", &["--unit=t.target"], &env);
    let units = [
        "systemd-journald.service",
        "systemd-journald.socket",
        "systemd-journald-dev-log.socket",
    ];
    let is_active = |sb: &Sandbox| {
        let mut argv = vec!["systemctl", "is-active"];
        argv.extend(units);
        sb.run_env(&env, &argv).stdout
    };
    assert_eq!(is_active(&sb), "inactive\ninactive\ninactive\n");
    let o = sb.run_env(&env, &["systemctl", "start", "a.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(is_active(&sb), "active\nactive\nactive\n");
    for verb in ["restart", "reload-or-restart"] {
        let o = sb.run_env(&env, &["systemctl", verb, "systemd-journald.service"]);
        assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{verb}: {o:?}");
    }
    let o = sb.run_env(&env, &["systemctl", "restart", "systemd-journald.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(is_active(&sb), "active\nactive\nactive\n");
    let o = sb.run_env(&env, &["systemctl", "stop", "systemd-journald.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(is_active(&sb), "inactive\nactive\nactive\n");
    let o = sb.run_env(&env, &["logger", "-t", "after-stop", "still logged"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.wait_until("journald activated by the message", WAIT, || {
        is_active(&sb) == "active\nactive\nactive\n"
    });
    let o = sb.run_env(&env, &["journalctl", "-t", "after-stop", "-o", "cat"]);
    assert_eq!(o.stdout, "still logged\n", "{o:?}");
    // No systemd-journald ran (its comm is cut to 15 characters), and the sockets are ours.
    let o = sb.run_env(&env, &["pgrep", "-x", "systemd-journal"]);
    assert_eq!(o.code, 1, "a systemd-journald runs: {o:?}");
    let o = sb.run_env(&env, &["systemctl", "show", "-p", "MainPID", units[0]]);
    assert_eq!(o.stdout, "MainPID=0\n", "{o:?}");
}
