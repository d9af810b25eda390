//! Type=dbus on the system bus (issue 16): a start job ends only once the service's BusName=
//! has an owner, as systemd 252's does (service.c `service_enter_start()` for SERVICE_DBUS,
//! `service_bus_name_owner_change()`), so a call to the name right after `systemctl start`
//! or `restart` returns never fails; a name that never appears fails the start with
//! TimeoutStartSec= (`Result: timeout`); and, where we differ on purpose, without a running
//! bus the service is started as Type=simple and the journal says so once.
//!
//! Each world is an image-shaped sandbox whose PID 1 is our manager or systemd 252, with
//! dbus-daemon started by `systemctl start dbus.service` and a policy that lets root own the
//! test's names. The service is python3-dbus (Debian's /usr/bin/python3) taking its name after a
//! delay. The runtime differential's `type-dbus` scenario compares status, show and the
//! journal of these cases with 252's.

mod common;

use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, PATH};
use common::Outcome;

const POLICY: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <allow own_prefix="org.example"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.example.Late"/>
  </policy>
</busconfig>
"#;

/// `bus-server NAME DELAY`: connects to the system bus, sleeps DELAY seconds, then owns NAME
/// and answers org.example.Echo.Hello on /org/example.
const SERVER: &str = r#"#!/usr/bin/python3
import sys, time
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
name, delay = sys.argv[1], float(sys.argv[2])
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
time.sleep(delay)
class Echo(dbus.service.Object):
    @dbus.service.method("org.example.Echo", in_signature="", out_signature="s")
    def Hello(self):
        return "hello"
Echo(dbus.service.BusName(name, bus), "/org/example")
GLib.MainLoop().run()
"#;

/// The call a client such as FreeIPA's installer makes right after the start.
const HELLO: &str = "dbus-send --system --print-reply=literal --dest=org.example.Late \
                     /org/example org.example.Echo.Hello";

/// Whether this machine has dbus-daemon, dbus-send and python3-dbus with GLib (Debian's
/// dbus, python3-dbus and python3-gi, which `.ci/run` installs).
fn tools_present() -> bool {
    let ok = common::command_succeeds;
    let present = ok(&["dbus-daemon", "--version"])
        // (dbus-send without arguments prints its usage and fails: that it runs is enough)
        && std::process::Command::new("dbus-send").output().is_ok()
        && ok(&["/usr/bin/python3", "-c", "import dbus, gi"]);
    if !present {
        eprintln!("dbus-daemon, dbus-send or python3-dbus missing: skipped");
    }
    present
}

struct World {
    sb: Sandbox,
    path: String,
}

impl World {
    /// Boot our manager (`real`: systemd 252) with the policy, the server and the units
    /// written; dbus is not started.
    fn boot(real: bool, units: &[(&str, &str)]) -> World {
        let sb = Sandbox::for_image();
        sb.file(
            "/run/systemd/system/t.target",
            "[Unit]\nDescription=T\nDefaultDependencies=no\n",
        );
        sb.file("/etc/dbus-1/system.d/org.example.conf", POLICY);
        sb.executable("/usr/local/bin/bus-server", SERVER);
        for (name, text) in units {
            sb.unit(name, text);
        }
        let path = if real {
            PATH.to_string()
        } else {
            format!("/run/sandbox-bin:{PATH}")
        };
        let init = if real {
            "/lib/systemd/systemd"
        } else {
            "systemd"
        };
        sb.boot_image(init, &["--unit=t.target"], &[("PATH", path.as_str())]);
        World { sb, path }
    }

    /// `sh -c SCRIPT` inside, with this world's systemctl and journalctl first in PATH.
    fn sh(&self, script: &str) -> Outcome {
        self.sb.run_env(
            &[("PATH", self.path.as_str()), ("SYSTEMD_PAGER", "cat")],
            &["/bin/sh", "-c", script],
        )
    }

    fn ok(&self, script: &str) -> String {
        let o = self.sh(script);
        assert_eq!(o.code, 0, "{script}: {o:?}");
        o.stdout
    }

    fn start_dbus(&self) {
        self.ok("systemctl start dbus.service");
    }
}

fn late_unit(delay: &str) -> String {
    format!(
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=dbus\nBusName=org.example.Late\n\
         ExecStart=/usr/local/bin/bus-server org.example.Late {delay}\n"
    )
}

/// `systemctl restart` then the call, `tries` times in a row: the number of calls that failed.
fn failed_calls(w: &World, tries: u32) -> String {
    w.ok(&format!(
        "failed=0
         for i in $(seq {tries}); do
             systemctl restart late.service || exit 1
             {HELLO} >/dev/null 2>&1 || failed=$((failed + 1))
         done
         echo $failed"
    ))
}

#[test]
fn a_call_to_the_name_right_after_start_or_restart_never_fails() {
    if !tools_present() {
        return;
    }
    let late = late_unit("0.3");
    let ours = World::boot(false, &[("late.service", &late)]);
    ours.start_dbus();
    ours.ok("systemctl start late.service");
    assert_eq!(ours.ok(HELLO).trim(), "hello");
    assert_eq!(
        ours.ok("systemctl show -p Type,BusName,SubState late.service"),
        "Type=dbus\nBusName=org.example.Late\nSubState=running\n"
    );
    assert_eq!(
        failed_calls(&ours, 30).trim(),
        "0",
        "calls failed after restart"
    );
    // The same loop holds with systemd 252 (what makes it a test of the start job's end).
    let real = World::boot(true, &[("late.service", &late)]);
    real.start_dbus();
    assert_eq!(failed_calls(&real, 10).trim(), "0", "with systemd 252");
}

#[test]
fn the_start_is_activating_until_the_name_appears() {
    if !tools_present() {
        return;
    }
    let late = late_unit("3");
    let w = World::boot(false, &[("late.service", &late)]);
    w.start_dbus();
    w.ok("systemctl start --no-block late.service");
    w.sb.wait_for_prop("late.service", "SubState", "start");
    let seen = w.ok("systemctl show -p ActiveState,MainPID late.service");
    assert!(
        seen.contains("ActiveState=activating") && !seen.contains("MainPID=0\n"),
        "activating, with the main process running from the start: {seen}"
    );
    let status = w.ok("systemctl status late.service || true");
    assert!(status.contains("Active: activating (start)"), "{status}");
    w.sb.wait_for_prop("late.service", "SubState", "running");
    assert_eq!(w.ok(HELLO).trim(), "hello");
}

#[test]
fn a_name_that_never_appears_fails_the_start_with_timeout_as_252() {
    if !tools_present() {
        return;
    }
    let never = "[Service]\nType=dbus\nBusName=org.example.Late\nTimeoutStartSec=2\n\
                 ExecStart=/bin/sleep infinity\n";
    let mut answers = Vec::new();
    for real in [true, false] {
        let w = World::boot(real, &[("never.service", never)]);
        w.start_dbus();
        let begun = Instant::now();
        let start = w.sh("systemctl start never.service");
        let took = begun.elapsed();
        assert!(
            took >= Duration::from_millis(1900) && took < Duration::from_secs(10),
            "the start ends with TimeoutStartSec=2 (real: {real}): {took:?}"
        );
        let show = w.ok(
            "systemctl show -p ActiveState,SubState,Result,ExecMainCode,ExecMainStatus \
             never.service",
        );
        let journal = w.ok("journalctl -u never.service -o cat --no-pager");
        answers.push((start, show, journal));
    }
    let (real, ours) = (&answers[0], &answers[1]);
    assert_eq!(ours, real);
    assert_eq!(real.0.code, 1);
    assert!(real.1.contains("Result=timeout"), "{}", real.1);
}

#[test]
fn without_a_bus_type_dbus_is_simple_and_the_journal_says_so_once() {
    if !tools_present() {
        return;
    }
    let unit = |name: &str| {
        format!(
            "[Service]\nType=dbus\nBusName=org.example.{name}\nTimeoutStartSec=2\n\
             ExecStart=/bin/sleep infinity\n"
        )
    };
    let (one, two) = (unit("One"), unit("Two"));
    let units = [("one.service", one.as_str()), ("two.service", two.as_str())];
    let ours = World::boot(false, &units);
    let begun = Instant::now();
    ours.ok("systemctl start one.service two.service");
    assert!(
        begun.elapsed() < Duration::from_secs(2),
        "no wait for a name"
    );
    assert_eq!(
        ours.ok("systemctl is-active one.service two.service dbus.service || true"),
        "active\nactive\ninactive\n"
    );
    let line = "No D-Bus system bus to watch for BusName=; treating Type=dbus as Type=simple.";
    let journal = ours.ok("journalctl -o cat --no-pager");
    assert_eq!(journal.matches(line).count(), 1, "{journal}");
    // systemd 252 waits for the name whether or not a bus runs: here, until the timeout.
    let real = World::boot(true, &units[..1]);
    let start = real.sh("systemctl start one.service");
    assert_eq!(start.code, 1, "{start:?}");
    assert_eq!(
        real.ok("systemctl show -p Result --value one.service"),
        "timeout\n"
    );
}

/// A name someone else owns as the start runs counts. systemd 252 learns the owner when it
/// loads the unit (GetNameOwner()): for a unit loaded by the start, as here, the answer usually
/// comes once the unit is in `start` and counts; when it comes first, the start waits for a
/// change of owner and times out. That race is why this is not compared with 252.
#[test]
fn a_name_owned_as_the_start_runs_counts() {
    if !tools_present() {
        return;
    }
    let held = "[Service]\nType=dbus\nBusName=org.example.Late\nTimeoutStartSec=5\n\
                ExecStart=/bin/sleep infinity\n";
    let w = World::boot(false, &[("held.service", held)]);
    w.start_dbus();
    w.ok("setsid /usr/local/bin/bus-server org.example.Late 0 </dev/null >/dev/null 2>&1 &");
    w.sb.wait_until("the name is owned", Duration::from_secs(20), || {
        w.sh(HELLO).code == 0
    });
    let begun = Instant::now();
    w.ok("systemctl start held.service");
    assert!(
        begun.elapsed() < Duration::from_secs(4),
        "{:?}",
        begun.elapsed()
    );
    assert_eq!(w.ok("systemctl is-active held.service"), "active\n");
}

/// dbus-daemon restarted: the names are watched again on the new bus (the start of a Type=dbus
/// service still ends once its name is owned), and the service that lost its connection with
/// the old bus ends as under 252 (libdbus exits the process: failed, exit-code).
#[test]
fn after_dbus_restarts_the_names_are_watched_again() {
    if !tools_present() {
        return;
    }
    let late = late_unit("0.3");
    let mut answers = Vec::new();
    for real in [true, false] {
        let w = World::boot(real, &[("late.service", &late)]);
        w.start_dbus();
        w.ok("systemctl start late.service");
        w.ok("systemctl restart dbus.service");
        // the service's connection is gone with the old bus: it ends (libdbus exits on it)
        w.sb.wait_until("late.service has settled", Duration::from_secs(20), || {
            let state = w.ok("systemctl show -p ActiveState --value late.service");
            !matches!(state.trim(), "active" | "activating" | "deactivating")
        });
        let after = w.ok("systemctl show -p ActiveState,SubState,Result late.service");
        answers.push(after);
        assert_eq!(failed_calls(&w, 5).trim(), "0", "real: {real}");
    }
    assert_eq!(answers[1], answers[0]);
}
