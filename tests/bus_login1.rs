//! org.freedesktop.login1 served by our manager (src/bus/login1), driven by the real clients a
//! container runs: `loginctl`, `systemd-inhibit`, pam_systemd (through `runuser -l` and `su -`,
//! whose PAM stacks have it), `busctl` and python3-dbus. Each test boots our manager as PID 1 of
//! an image sandbox and starts dbus.service; logind's name is then owned at once, and nothing
//! waits dbus-daemon's 25 s for it.
//!
//! Differential where systemd 252 can do the same here: systemd 252 as PID 1 of the same kind of
//! sandbox runs its own `/lib/systemd/systemd-logind` (the sandbox gives it a cgroup namespace),
//! and the commands whose answers must agree are run in both worlds and compared. Where they
//! differ by design, ours alone is checked (see src/bus/login1/mod.rs): sessions end when
//! released (252 keeps them `closing` while their scope has processes, and a user 10 s longer),
//! no user@.service, no seat0, polkit's interactive answers ("challenge", "Interactive
//! authentication required.") are plain refusals, and each user's inhibitors are bounded.

mod common;

use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, PATH};
use common::Outcome;

/// How long a login may take with logind answering (without it, dbus-daemon's 25 s).
const QUICK: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Init {
    Systemd,
    Ours,
}

struct World {
    sb: Sandbox,
    init: Init,
    path: String,
}

impl World {
    /// Boot `init`, start dbus (and, under systemd 252, logind) and wait until logind's name
    /// has an owner.
    fn boot(init: Init) -> World {
        let sb = Sandbox::for_image();
        sb.file(
            "/run/systemd/system/login1-test.target",
            "[Unit]\nDescription=login1 test\nDefaultDependencies=no\n",
        );
        let path = match init {
            Init::Systemd => PATH.to_string(),
            Init::Ours => format!("/run/sandbox-bin:{PATH}"),
        };
        let world = World { sb, init, path };
        let binary = match init {
            Init::Systemd => "/lib/systemd/systemd",
            Init::Ours => "systemd",
        };
        world
            .sb
            .boot_image(binary, &["--unit=login1-test.target"], &world.env());
        world.ok("systemctl start dbus.service");
        if init == Init::Systemd {
            world.ok("systemctl start systemd-logind.service");
        }
        world.wait(
            "busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
             NameHasOwner s org.freedesktop.login1 | grep -qx 'b true'",
        );
        world
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("PATH", self.path.as_str()),
            ("SYSTEMD_PAGER", "cat"),
            ("SYSTEMD_COLORS", "0"),
            ("LC_ALL", "C"),
        ]
    }

    fn sh(&self, script: &str) -> Outcome {
        self.sb.run_env(&self.env(), &["/bin/sh", "-c", script])
    }

    fn ok(&self, script: &str) -> String {
        let o = self.sh(script);
        assert_eq!(o.code, 0, "{:?}: {script}: {o:?}", self.init);
        o.stdout
    }

    /// Poll `script` until it exits 0.
    fn wait(&self, script: &str) {
        self.sb.wait_until(script, Duration::from_secs(30), || {
            self.sh(script).code == 0
        });
    }

    /// `script` and how long it took.
    fn timed(&self, script: &str) -> (Outcome, Duration) {
        let start = Instant::now();
        let o = self.sh(script);
        (o, start.elapsed())
    }
}

/// Run each step in both worlds and compare what they print; a step `@wait SCRIPT` polls SCRIPT
/// in each until it succeeds.
fn compare(steps: &[&str]) -> (World, World) {
    let real = World::boot(Init::Systemd);
    let ours = World::boot(Init::Ours);
    for step in steps {
        if let Some(script) = step.strip_prefix("@wait ") {
            real.wait(script);
            ours.wait(script);
            continue;
        }
        let theirs = real.sh(step);
        let mine = ours.sh(step);
        assert_eq!(
            mine, theirs,
            "ours differs from systemd 252's logind: {step}"
        );
    }
    (real, ours)
}

/// python3-dbus on the system bus: `m` is logind's Manager interface.
fn python(body: &str) -> String {
    format!(
        "python3 - <<'EOF'\nimport dbus, os, sys, time\nbus = dbus.SystemBus()\n\
         o = bus.get_object('org.freedesktop.login1', '/org/freedesktop/login1')\n\
         m = dbus.Interface(o, 'org.freedesktop.login1.Manager')\n\
         def prop(name):\n    return o.Get('org.freedesktop.login1.Manager', name, \
         dbus_interface='org.freedesktop.DBus.Properties')\n\
         def error(f, *a):\n    try:\n        f(*a)\n        return 'no error'\n    \
         except dbus.DBusException as e:\n        return '%s: %s' % (e.get_dbus_name(), \
         e.get_dbus_message())\n{body}\nEOF"
    )
}

/// As `nobody`, outside any session.
fn as_nobody(script: &str) -> String {
    as_user(65534, script)
}

/// As `uid` (gid the same, no other groups), outside any session.
fn as_user(uid: u32, script: &str) -> String {
    format!("setpriv --reuid={uid} --regid={uid} --clear-groups -- sh -c '{script}'")
}

#[test]
fn loginctl_lists_and_lingers_as_systemd_252_does() {
    let (real, ours) = compare(&[
        "loginctl list-sessions",
        "loginctl list-users",
        "loginctl show-user root",
        "loginctl show-session nope",
        "busctl introspect --xml-interface org.freedesktop.login1 /org/freedesktop/login1",
        "loginctl show-session -p NAutoVTs -p KillUserProcesses -p InhibitDelayMaxUSec \
         -p UserStopDelayUSec -p HandlePowerKey -p HandleLidSwitch -p HoldoffTimeoutUSec \
         -p IdleAction -p IdleActionUSec -p BlockInhibited -p DelayInhibited -p SessionsMax \
         -p InhibitorsMax -p NCurrentSessions -p RuntimeDirectorySize -p RemoveIPC",
        "busctl call org.freedesktop.login1 /org/freedesktop/login1 \
         org.freedesktop.login1.Manager CanPowerOff",
        "loginctl enable-linger nobody; echo $?; ls /var/lib/systemd/linger",
        "loginctl list-users",
        "loginctl show-user nobody -p UID -p GID -p Name -p RuntimePath -p Linger -p Sessions",
        "busctl call org.freedesktop.login1 /org/freedesktop/login1 \
         org.freedesktop.login1.Manager GetUser u 65534",
    ]);
    // the runtime directory of a user who lingers: user-runtime-dir@.service's in 252
    for world in [&real, &ours] {
        world.wait("test -d /run/user/65534");
        assert_eq!(
            world.ok("stat -c '%U %G %a' /run/user/65534"),
            "nobody nogroup 700\n",
            "{:?}",
            world.init
        );
    }
    assert_eq!(
        ours.ok("findmnt -n -o FSTYPE /run/user/65534"),
        "tmpfs\n",
        "a tmpfs of its own, as user-runtime-dir mounts it"
    );
    assert_eq!(
        ours.ok("loginctl show-user nobody -p State --value"),
        "lingering\n"
    );
    // disabled: the file goes, and with no session the user and its directory go
    assert_eq!(
        ours.ok("loginctl disable-linger nobody; ls /var/lib/systemd/linger; loginctl list-users"),
        "No users.\n"
    );
    assert!(!ours.sb.exists("/run/user/65534"));
}

#[test]
fn pam_systemd_logins_get_a_session_at_once() {
    let session = "runuser -l nobody -s /bin/sh -c 'echo id=$XDG_SESSION_ID \
         dir=$XDG_RUNTIME_DIR class=$XDG_SESSION_CLASS type=$XDG_SESSION_TYPE; \
         stat -c \"%U %a\" \"$XDG_RUNTIME_DIR\"; loginctl list-sessions; \
         loginctl show-session \"$XDG_SESSION_ID\" -p Id -p Name -p User -p Service -p Type \
         -p Class -p Remote -p RemoteUser -p TTY -p Active -p State -p Seat -p VTNr; \
         busctl call org.freedesktop.login1 /org/freedesktop/login1 \
         org.freedesktop.login1.Manager GetSessionByPID u $$; \
         loginctl show-user nobody -p Sessions -p State -p Linger'";
    // su - as root: pam_systemd of common-session
    let su = "su - -c 'echo $XDG_SESSION_ID $XDG_RUNTIME_DIR; loginctl list-sessions'";
    let (real, ours) = compare(&[
        "busctl monitor --match \"type='signal',interface='org.freedesktop.login1.Manager'\" \
         >/tmp/signals 2>&1 & echo $! >/tmp/monitor",
        "@wait grep -q Monitoring /tmp/signals",
        session,
        su,
        // the Manager's signals of the first session: UserNew, SessionNew, SessionRemoved
        "@wait grep -q SessionRemoved /tmp/signals",
        "kill $(cat /tmp/monitor); grep -E 'Member=|STRING|UINT32|OBJECT_PATH' /tmp/signals \
         | sed 's/Sender=[^ ]* *//' | head -9",
    ]);
    // gone with the login (252: UserStopDelaySec= later)
    for world in [&real, &ours] {
        world.wait("! test -e /run/user/65534");
        assert_eq!(world.ok("loginctl list-sessions"), "No sessions.\n");
    }
    for script in [session, su] {
        let (o, took) = ours.timed(script);
        assert_eq!(o.code, 0, "{o:?}");
        assert!(took < QUICK, "{script} took {took:?}");
        assert!(o.stdout.contains("/run/user/"), "{o:?}");
    }
    // pam_systemd is in the stack being measured
    assert!(ours
        .ok("cat /etc/pam.d/common-session /etc/pam.d/runuser-l")
        .contains("pam_systemd.so"));
}

#[test]
fn inhibitors_hold_until_their_fd_is_closed() {
    let script = python(
        "fd = m.Inhibit('shutdown', 'apt', 'installing', 'block').take()\n\
         print([(str(w), str(who), str(why), str(mode), int(uid), int(pid) == os.getpid()) \
         for (w, who, why, mode, uid, pid) in m.ListInhibitors()])\n\
         print(prop('BlockInhibited'), prop('DelayInhibited'), prop('NCurrentInhibitors'))\n\
         os.close(fd)\n\
         for i in range(500):\n    if not m.ListInhibitors(): break\n    time.sleep(0.02)\n\
         print('released', list(m.ListInhibitors()), repr(str(prop('BlockInhibited'))))\n\
         fd = m.Inhibit('sleep:shutdown', 'me', 'because', 'delay').take()\n\
         print(prop('DelayInhibited'))\n\
         print(error(m.Inhibit, 'bogus', 'a', 'b', 'block'))\n\
         print(error(m.Inhibit, 'idle', 'a', 'b', 'delay'))\n\
         print(error(m.Inhibit, 'shutdown', 'a', 'b', 'maybe'))",
    );
    let (_real, ours) = compare(&[
        &script,
        "systemd-inhibit --what=shutdown --who=apt --why=x true; echo $?",
        "systemd-inhibit --list",
        &as_nobody("systemd-inhibit --what=shutdown true"),
    ]);
    // apt's call, which waited 25 s for a logind that never came
    let (o, took) = ours.timed("systemd-inhibit --what=shutdown true");
    assert_eq!(o.code, 0, "{o:?}");
    assert!(took < QUICK, "systemd-inhibit took {took:?}");
}

#[test]
fn create_session_makes_the_runtime_directory_and_release_removes_it() {
    let create = "m.CreateSession(dbus.UInt32(1), dbus.UInt32(os.getpid()), 'test', '', '', \
                  '', '', dbus.UInt32(0), '', '', False, '', '', dbus.Array([], \
                  signature='(sv)'))";
    let script = python(&format!(
        "r = {create}\n\
         fd = r[3].take()\n\
         print([str(r[0]), str(r[1]), str(r[2]), fd >= 0, int(r[4]), str(r[5]), int(r[6]), \
         bool(r[7])])\n\
         st = os.stat('/run/user/1')\n\
         print(st.st_uid, st.st_gid, oct(st.st_mode & 0o7777))\n\
         print(error(m.CreateSession, dbus.UInt32(1), dbus.UInt32(0), 'test', '', '', '', \
         '', dbus.UInt32(0), '', '', False, '', '', dbus.Array([], signature='(sv)')))\n\
         print(error(m.CreateSession, dbus.UInt32(1), dbus.UInt32(os.getppid()), 'test', \
         'bogus', '', '', '', dbus.UInt32(0), '', '', False, '', '', \
         dbus.Array([], signature='(sv)')))\n\
         sys.stdout.flush()\n\
         os.system('loginctl list-sessions')\n\
         m.ReleaseSession(str(r[0]))\n\
         print('after release', os.path.exists('/run/user/1'))\n\
         sys.stdout.flush()\n\
         os.system('loginctl list-sessions; loginctl list-users')\n\
         r = {create}\n\
         fd = r[3].take()\n\
         print('again', str(r[0]), os.path.exists('/run/user/1'))\n\
         os.close(fd)\n\
         for i in range(500):\n    if not os.path.exists('/run/user/1'): break\n    \
         time.sleep(0.02)\n\
         print('after close', os.path.exists('/run/user/1'), list(m.ListSessions()))"
    ));
    // systemd 252 answers a creation the same (its release then leaves the session closing
    // while the caller lives, the difference checked below)
    let first = python(&format!(
        "r = {create}\nprint([str(r[0]), str(r[1]), str(r[2]), int(r[4]), str(r[5]), \
         int(r[6]), bool(r[7])])\nst = os.stat('/run/user/1')\n\
         print(st.st_uid, st.st_gid, oct(st.st_mode & 0o7777))"
    ));
    let (_real, ours) = compare(&[&first]);
    // the caller's exit closed its fifo
    ours.wait("loginctl list-sessions | grep -qx 'No sessions.'");
    let o = ours.sh(&script);
    assert_eq!(
        o.stdout,
        "['c2', '/org/freedesktop/login1/session/c2', '/run/user/1', True, 1, '', 0, False]\n\
         1 1 0o700\n\
         org.freedesktop.login1.SessionBusy: Already running in a session or user slice\n\
         org.freedesktop.DBus.Error.InvalidArgs: Invalid session type bogus\n\
         SESSION UID USER   SEAT TTY\n     c2   1 daemon      \n\n1 sessions listed.\n\
         after release False\n\
         No sessions.\nNo users.\n\
         again c3 True\n\
         after close False []\n",
        "{o:?}"
    );
}

#[test]
fn unprivileged_callers_get_what_polkit_allows_a_user() {
    let in_session = |script: &str| format!("runuser -l nobody -s /bin/sh -c '{script}' 2>&1");
    let create = "busctl call org.freedesktop.login1 /org/freedesktop/login1 \
                  org.freedesktop.login1.Manager CreateSession 'uusssssussbssa(sv)' 65534 0 x \
                  '' '' '' '' 0 '' '' false '' '' 0";
    let (_real, ours) = compare(&[
        &as_nobody("loginctl list-sessions; loginctl list-users"),
        &as_nobody(&create.replace('\'', "\"")),
        &as_nobody("systemd-inhibit --what=shutdown true"),
        // a user in a session may linger themself, and take delay locks but no blocks
        &in_session(
            "loginctl enable-linger; echo $?; ls /var/lib/systemd/linger; \
             systemd-inhibit --what=shutdown --mode=delay --who=me --why=x true; echo $?; \
             systemd-inhibit --what=shutdown --who=me --why=x true; echo $?",
        ),
    ]);
    // what needs an administrator: refused (252 asks polkit, which wants a password)
    for (script, expected) in [
        (
            "loginctl enable-linger daemon",
            "Could not enable linger: Access denied\n",
        ),
        (
            "busctl call org.freedesktop.login1 /org/freedesktop/login1 \
             org.freedesktop.login1.Manager PowerOff b false",
            "Call failed: Access denied\n",
        ),
    ] {
        let o = ours.sh(&as_nobody(script));
        assert_eq!((o.code, o.stderr.as_str()), (1, expected), "{script}");
    }
    assert_eq!(
        ours.ok(&as_nobody(
            "busctl call org.freedesktop.login1 /org/freedesktop/login1 \
             org.freedesktop.login1.Manager CanPowerOff"
        )),
        "s \"no\"\n"
    );
    // a user cannot exhaust the manager's fds with inhibitors
    let flood = python(
        "fds = []\nfor i in range(70):\n    try:\n        \
         fds.append(m.Inhibit('shutdown', 'x', 'y', 'delay').take())\n    \
         except dbus.DBusException as e:\n        print(len(fds), e.get_dbus_name(), \
         e.get_dbus_message())\n        break",
    );
    ours.sb.file("/tmp/flood.sh", &flood);
    let o = ours.sh(&in_session("sh /tmp/flood.sh"));
    assert_eq!(
        o.stdout.lines().last().unwrap_or_default(),
        "64 org.freedesktop.DBus.Error.LimitsExceeded Maximum number of inhibitors of a user \
         (64) reached, refusing further inhibitors.",
        "{o:?}"
    );
}

#[test]
fn logind_s_unit_is_served_and_poweroff_waits_for_delay_inhibitors() {
    let ours = World::boot(Init::Ours);
    // started by hand (or by bus activation): active, and the real binary never runs
    ours.ok("systemctl start systemd-logind.service");
    assert_eq!(
        ours.ok("systemctl is-active systemd-logind.service dbus-org.freedesktop.login1.service"),
        "active\nactive\n"
    );
    assert_eq!(
        ours.ok("systemctl show -p MainPID --value systemd-logind.service"),
        "0\n"
    );
    assert_ne!(ours.sh("pgrep -x systemd-logind").code, 0);
    let call = |member: &str, args: &str| {
        format!(
            "busctl call org.freedesktop.login1 /org/freedesktop/login1 \
             org.freedesktop.login1.Manager {member} {args}"
        )
    };
    assert_eq!(ours.ok(&call("CanPowerOff", "")), "s \"yes\"\n");
    assert_eq!(ours.ok(&call("CanSuspend", "")), "s \"na\"\n");
    assert_eq!(
        ours.sh(&call("Suspend", "b false")).stderr,
        "Call failed: Sleep verb \"suspend\" not supported\n"
    );
    assert_eq!(
        ours.sh(&call("PowerOffWithFlags", "t 4")).stderr,
        "Call failed: Invalid flags parameter\n"
    );
    // a delay lock holds the shutdown until it is released
    ours.ok(
        "systemd-inhibit --what=shutdown --mode=delay --who=t --why=t sleep 1000 \
         >/dev/null 2>&1 </dev/null & echo $! >/tmp/holder",
    );
    ours.wait("systemd-inhibit --list --no-legend | grep -q delay");
    ours.ok(&call("PowerOff", "b false"));
    assert_eq!(
        ours.ok(
            "busctl get-property org.freedesktop.login1 /org/freedesktop/login1 \
             org.freedesktop.login1.Manager PreparingForShutdown"
        ),
        "b true\n"
    );
    assert!(
        ours.sb.exit_status().is_none(),
        "shut down before the lock went"
    );
    ours.sh("kill $(pgrep -x sleep)");
    ours.sb.wait_exit(Duration::from_secs(30));
}

#[test]
fn terminate_session_ends_the_login_and_its_processes() {
    let (_real, ours) = compare(&[
        "runuser -l nobody -s /bin/sh -c 'sleep 1000' >/dev/null 2>&1 &",
        "@wait pgrep -x sleep",
        "loginctl list-sessions",
        // another user (daemon) may not
        &as_user(1, "loginctl terminate-session c1 2>/dev/null; echo $?"),
        "loginctl terminate-session c1; echo $?",
        "@wait ! pgrep -x sleep",
        "@wait loginctl list-sessions | grep -qx 'No sessions.'",
        "loginctl terminate-session c1",
    ]);
    assert!(!ours.sb.exists("/run/user/65534"));
}
