//! systemd's D-Bus API as our manager serves it, asked by clients nobody here wrote: the real
//! systemctl 252 (as root it talks to /run/systemd/private), busctl and python3-dbus on the
//! system bus (dbus-daemon from Debian's dbus package, started by our manager as the image's
//! dbus.service), and dbus-daemon's own bus activation. Property types are held against systemd
//! 252 booted the same way.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, PATH};
use common::Outcome;

const REAL_SYSTEMD: &str = "/lib/systemd/systemd";
const REAL_SYSTEMCTL: &str = "/usr/bin/systemctl";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/unit-fixtures/bus");
const TARGET: &str = "[Unit]\nDescription=Bus test target\n";

/// Whether this machine has what the tests need: systemd 252's tools, dbus-daemon, python3-dbus.
fn tools_present() -> bool {
    let ok = common::command_succeeds;
    let present = ok(&[REAL_SYSTEMCTL, "--version"])
        && ok(&["dbus-daemon", "--version"])
        && ok(&["busctl", "--version"])
        && ok(&["/usr/bin/python3", "-c", "import dbus, gi"]);
    if !present {
        eprintln!("systemctl 252, busctl, dbus-daemon or python3-dbus missing: skipped");
    }
    present
}

fn boot(init: &str, units: &[(&str, &str)]) -> Sandbox {
    let sb = Sandbox::for_image();
    sb.file("/run/systemd/system/bus-test.target", TARGET);
    for (name, text) in units {
        sb.unit(name, text);
    }
    sb.boot_image(init, &["--unit=bus-test.target"], &[]);
    sb
}

const WAIT: Duration = Duration::from_secs(30);

fn real(sb: &Sandbox, args: &[&str]) -> Outcome {
    let mut argv = vec![REAL_SYSTEMCTL];
    argv.extend_from_slice(args);
    sb.run_env(&[("SYSTEMD_PAGER", "cat")], &argv)
}

/// What differs from one run to the next: times ("3ms ago", timestamps, durations) and process
/// ids; and the cgroup and accounting lines of `status`, which ours does not print yet (issue
/// 17) while the real systemctl prints what the properties say.
fn normalized(o: &Outcome) -> String {
    let kept: Vec<&str> = o
        .stdout
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !["CGroup:", "CPU:", "Memory:", "Tasks:", "└─", "├─"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .collect();
    let kept: Vec<&str> = kept
        .into_iter()
        .map(|l| match (l.rfind("; "), l.ends_with(" ago")) {
            (Some(at), true) => &l[..at],
            _ if l.starts_with("InvocationID=") => "InvocationID=",
            // how long a process ran differs between two runs (`1ms`, `812us`)
            _ if l.trim_start().starts_with("Duration: ") => "Duration:",
            _ => l,
        })
        .collect();
    let text = format!("exit {}\n{}\n{}", o.code, kept.join("\n"), o.stderr);
    let mut out = String::with_capacity(text.len());
    let mut digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('N');
            }
            digits = true;
        } else {
            digits = false;
            out.push(c);
        }
    }
    out
}

/// The lines only one of two outputs has, marked `<` (systemctl 252 through our bus) and `>`
/// (ours).
fn line_differences(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut out = String::new();
    for l in la.iter().filter(|l| !lb.contains(l)) {
        out.push_str(&format!("< {l}\n"));
    }
    for l in lb.iter().filter(|l| !la.contains(l)) {
        out.push_str(&format!("> {l}\n"));
    }
    if out.is_empty() {
        out.push_str("(the same lines in another order)\n");
    }
    out
}

const SERVICE: &str = "[Unit]\nDescription=Sleeper\n[Service]\nExecStart=/bin/sleep 1000\n\
                       [Install]\nWantedBy=multi-user.target\n";
const FAILING: &str = "[Service]\nExecStart=/bin/false\n";
const SOCKET: &str = "[Socket]\nListenStream=/run/bus-test.sock\n";
const SOCKET_SERVICE: &str = "[Service]\nExecStart=/bin/true\n";
const TIMER: &str = "[Timer]\nOnActiveSec=1h\n[Install]\nWantedBy=timers.target\n";

fn units() -> Vec<(&'static str, &'static str)> {
    vec![
        ("sleeper.service", SERVICE),
        ("failing.service", FAILING),
        ("listener.socket", SOCKET),
        ("listener.service", SOCKET_SERVICE),
        ("ticker.timer", TIMER),
        ("ticker.service", SOCKET_SERVICE),
    ]
}

#[test]
fn the_real_systemctl_gets_the_same_answers_through_our_bus_as_our_own() {
    if !tools_present() {
        return;
    }
    // two managers booted alike: one asked by the real systemctl, one by ours, step by step
    let (bus_side, our_side) = std::thread::scope(|s| {
        let a = s.spawn(|| boot("systemd", &units()));
        let b = s.spawn(|| boot("systemd", &units()));
        (a.join().expect("boot"), b.join().expect("boot"))
    });
    let steps: &[&[&str]] = &[
        &["start", "sleeper.service"],
        &["is-active", "sleeper.service"],
        &["start", "failing.service"],
        &["is-failed", "failing.service"],
        &["start", "listener.socket", "ticker.timer"],
        &["status", "-n0", "sleeper.service"],
        &["status", "-n0", "failing.service"],
        &["status", "-n0", "listener.socket"],
        &["status", "-n0", "nonexistent.service"],
        &["show", "sleeper.service"],
        &[
            "show",
            "listener.socket",
            "-p",
            "Listen,Accept,NConnections,ActiveState",
        ],
        &[
            "show",
            "ticker.timer",
            "-p",
            "TimersMonotonic,Unit,ActiveState",
        ],
        &["show", "-p", "SystemState,NFailedUnits,Version"],
        &["list-units", "--all"],
        &["list-units", "--state=failed"],
        &["list-unit-files", "sleeper.service", "ticker.timer"],
        &["list-jobs"],
        &["enable", "sleeper.service"],
        &["is-enabled", "sleeper.service"],
        &["disable", "sleeper.service"],
        &["get-default"],
        &["start", "nonexistent.service"],
        &["stop", "sleeper.service"],
        &["reset-failed", "failing.service"],
        &["is-failed", "failing.service"],
    ];
    let mut differ = Vec::new();
    for args in steps {
        let theirs = real(&bus_side, args);
        let ours = our_side.systemctl(args);
        let (a, b) = (normalized(&theirs), normalized(&ours));
        if a != b {
            differ.push(format!(
                "systemctl {}\n{}",
                args.join(" "),
                line_differences(&a, &b)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn busctl_introspects_reads_and_calls_on_the_system_bus() {
    if !tools_present() {
        return;
    }
    let sb = boot("systemd", &units());
    sb.start_dbus();
    let o = sb.run(&[
        "busctl",
        "introspect",
        "org.freedesktop.systemd1",
        "/org/freedesktop/systemd1",
    ]);
    assert_eq!(o.code, 0, "{o:?}");
    for member in [
        "org.freedesktop.systemd1.Manager",
        ".StartUnit",
        ".JobRemoved",
        ".ListUnits",
        "org.freedesktop.DBus.Properties",
    ] {
        assert!(o.stdout.contains(member), "{member} missing:\n{}", o.stdout);
    }
    let o = sb.run(&[
        "busctl",
        "get-property",
        "org.freedesktop.systemd1",
        "/org/freedesktop/systemd1",
        "org.freedesktop.systemd1.Manager",
        "Version",
    ]);
    assert_eq!(o.stdout.trim(), "s \"252\"", "{o:?}");
    let o = sb.run(&[
        "busctl",
        "call",
        "org.freedesktop.systemd1",
        "/org/freedesktop/systemd1",
        "org.freedesktop.systemd1.Manager",
        "LoadUnit",
        "s",
        "sleeper.service",
    ]);
    assert_eq!(
        o.stdout.trim(),
        "o \"/org/freedesktop/systemd1/unit/sleeper_2eservice\"",
        "{o:?}"
    );
    let o = sb.run(&[
        "busctl",
        "get-property",
        "org.freedesktop.systemd1",
        "/org/freedesktop/systemd1/unit/sleeper_2eservice",
        "org.freedesktop.systemd1.Service",
        "ExecStart",
    ]);
    assert!(
        o.stdout
            .contains("\"/bin/sleep\" 2 \"/bin/sleep\" \"1000\""),
        "ExecStart as a(sasbttttuii): {o:?}"
    );
    let o = sb.run(&[
        "busctl",
        "call",
        "org.freedesktop.systemd1",
        "/org/freedesktop/systemd1",
        "org.freedesktop.systemd1.Manager",
        "GetUnit",
        "s",
        "never-loaded.service",
    ]);
    assert_ne!(o.code, 0);
    assert!(
        o.stderr.contains("Unit never-loaded.service not loaded."),
        "{o:?}"
    );
    // the real systemctl as a user has only the bus
    let o = sb.run(&[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        REAL_SYSTEMCTL,
        "is-active",
        "sleeper.service",
    ]);
    assert_eq!(o.stdout.trim(), "inactive", "{o:?}");
    let o = sb.run(&[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        REAL_SYSTEMCTL,
        "start",
        "sleeper.service",
    ]);
    assert_ne!(o.code, 0, "an unprivileged start is refused: {o:?}");
    assert_eq!(sb.prop("sleeper.service", "ActiveState"), "inactive");
}

#[test]
fn the_manager_takes_its_name_again_when_dbus_restarts() {
    if !tools_present() {
        return;
    }
    let sb = boot("systemd", &units());
    sb.start_dbus();
    let o = sb.systemctl(&["restart", "dbus.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.wait_until("org.freedesktop.systemd1 back on the bus", WAIT, || {
        sb.run(&[
            "busctl",
            "get-property",
            "org.freedesktop.systemd1",
            "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager",
            "Version",
        ])
        .code
            == 0
    });
}

#[test]
fn a_python_client_waits_for_its_job_through_job_removed() {
    if !tools_present() {
        return;
    }
    let sb = boot("systemd", &units());
    sb.start_dbus();
    let script = format!("{FIXTURES}/start_and_wait.py");
    let o = sb.run(&["/usr/bin/python3", &script, "sleeper.service"]);
    assert_eq!((o.code, o.stdout.trim()), (0, "done"), "{o:?}");
    assert_eq!(sb.prop("sleeper.service", "ActiveState"), "active");
    let o = sb.run(&["/usr/bin/python3", &script, "nonexistent.service"]);
    assert!(
        o.stdout.contains("org.freedesktop.systemd1.NoSuchUnit"),
        "{o:?}"
    );
    // a start of an active unit is a job too, done at once (systemd's JOB_NOP)
    let o = sb.run(&["/usr/bin/python3", &script, "sleeper.service"]);
    assert_eq!((o.code, o.stdout.trim()), (0, "done"), "{o:?}");
}

/// dbus-daemon hands activation to the unit its service file names (a Type=dbus service, as a
/// real package's); a unit that cannot be started, or whose start fails, fails the caller at
/// once instead of after dbus-daemon's 25 s.
#[test]
fn bus_activation_starts_the_named_unit_and_fails_fast() {
    if !tools_present() {
        return;
    }
    let own = format!("/usr/bin/python3 {FIXTURES}/own_name.py org.example.Act");
    let activated = format!("[Service]\nType=dbus\nBusName=org.example.Act\nExecStart={own}\n");
    // a daemon that dies before it takes its name: its start job fails
    let dying = "[Service]\nType=dbus\nBusName=org.example.Dies\nExecStart=/bin/false\n";
    let sb = boot(
        "systemd",
        &[("act.service", activated.as_str()), ("dies.service", dying)],
    );
    sb.file(
        "/etc/dbus-1/system.d/bus-test.conf",
        &std::fs::read_to_string(format!("{FIXTURES}/activation.conf")).expect("fixture"),
    );
    sb.file(
        "/etc/dbus-1/test-services/org.example.Act.service",
        "[D-BUS Service]\nName=org.example.Act\nExec=/bin/false\nUser=root\n\
         SystemdService=act.service\n",
    );
    sb.file(
        "/etc/dbus-1/test-services/org.example.Missing.service",
        "[D-BUS Service]\nName=org.example.Missing\nExec=/bin/false\nUser=root\n\
         SystemdService=missing.service\n",
    );
    sb.file(
        "/etc/dbus-1/test-services/org.example.Dies.service",
        "[D-BUS Service]\nName=org.example.Dies\nExec=/bin/false\nUser=root\n\
         SystemdService=dies.service\n",
    );
    sb.start_dbus();
    let ping = |name: &str| {
        sb.run(&[
            "busctl",
            "call",
            "--timeout=60",
            name,
            "/",
            "org.freedesktop.DBus.Peer",
            "Ping",
        ])
    };
    let o = ping("org.example.Act");
    assert_eq!(o.code, 0, "the activated daemon answers: {o:?}");
    assert_eq!(sb.prop("act.service", "ActiveState"), "active");
    let started = Instant::now();
    let o = ping("org.example.Missing");
    assert_ne!(o.code, 0, "{o:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the failure came after {:?}: {o:?}",
        started.elapsed()
    );
    assert!(o.stderr.contains("missing.service"), "{o:?}");
    let started = Instant::now();
    let o = ping("org.example.Dies");
    assert_ne!(o.code, 0, "{o:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the failure came after {:?}: {o:?}",
        started.elapsed()
    );
}

#[test]
fn the_private_socket_is_roots_only() {
    if !tools_present() {
        return;
    }
    let sb = boot("systemd", &[]);
    let o = sb.run(&["stat", "-c", "%a %U", "/run/systemd/private"]);
    assert_eq!(o.stdout.trim(), "600 root", "{o:?}");
    let o = sb.run(&[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "/usr/bin/python3",
        "-c",
        "import dbus; dbus.connection.Connection('unix:path=/run/systemd/private')",
    ]);
    assert_ne!(o.code, 0, "nobody may connect: {o:?}");
}

/// (unit, property) → (signature, value) as python3-dbus reads them from /run/systemd/private.
fn properties(sb: &Sandbox, units: &[&str]) -> BTreeMap<(String, String), (String, String)> {
    let mut argv = vec![
        "/usr/bin/python3".to_string(),
        format!("{FIXTURES}/properties.py"),
        "unix:path=/run/systemd/private".to_string(),
    ];
    argv.extend(units.iter().map(|u| u.to_string()));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let o = sb.run(&argv);
    assert_eq!(o.code, 0, "{o:?}");
    o.stdout
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(4, ' ');
            let (unit, name, sig, value) = (f.next()?, f.next()?, f.next()?, f.next()?);
            Some(((unit.into(), name.into()), (sig.into(), value.into())))
        })
        .collect()
}

/// Every property systemd 252 publishes on a unit of each type, we publish too, with its type;
/// the values of a unit's configuration (not its run) are the same.
#[test]
fn unit_properties_have_systemd_252s_names_types_and_values() {
    if !tools_present() {
        return;
    }
    let asked = [
        "sleeper.service",
        "failing.service",
        "listener.socket",
        "ticker.timer",
        "bus-test.target",
        "system.slice",
    ];
    let (theirs, ours) = std::thread::scope(|s| {
        let theirs = s.spawn(|| {
            let sb = boot(REAL_SYSTEMD, &units());
            properties(&sb, &asked)
        });
        let ours = s.spawn(|| {
            let sb = boot("systemd", &units());
            properties(&sb, &asked)
        });
        (theirs.join().expect("252"), ours.join().expect("ours"))
    });
    let mut missing = Vec::new();
    let mut mistyped = Vec::new();
    for ((unit, name), (sig, _)) in &theirs {
        match ours.get(&(unit.clone(), name.clone())) {
            None => missing.push(format!("{unit} {name}")),
            Some((s, _)) if s != sig && !(sig.starts_with('a') && s.starts_with('a')) => {
                mistyped.push(format!("{unit} {name}: 252 {sig}, ours {s}"))
            }
            _ => {}
        }
    }
    assert!(missing.is_empty(), "not published:\n{}", missing.join("\n"));
    assert!(mistyped.is_empty(), "other types:\n{}", mistyped.join("\n"));
    // configuration, not the run: the same values
    let same = [
        "Type",
        "Restart",
        "TimeoutStartUSec",
        "TimeoutStopUSec",
        "KillMode",
        "KillSignal",
        "LoadState",
        "ActiveState",
        "SubState",
        "Description",
        "Names",
        "FragmentPath",
        "UnitFileState",
        "Accept",
        "Backlog",
        "SocketMode",
        "DirectoryMode",
        "Listen",
        "TimersMonotonic",
        "Unit",
        "LimitNOFILE",
        "LimitNOFILESoft",
        "UMask",
        "CapabilityBoundingSet",
        "AmbientCapabilities",
        "MountFlags",
        "NUMAPolicy",
        "RuntimeMaxUSec",
        "DefaultDependencies",
        "CanStart",
        "CanStop",
        "CanReload",
        "RefuseManualStart",
    ];
    let mut differ = Vec::new();
    for ((unit, name), (_, value)) in &theirs {
        // a slice is active while units run in it under 252's cgroups; ours has none (issue 17)
        if !same.contains(&name.as_str()) || unit.ends_with(".slice") {
            continue;
        }
        let mine = ours
            .get(&(unit.clone(), name.clone()))
            .map(|(_, v)| v.as_str());
        if mine != Some(value.as_str()) {
            differ.push(format!("{unit} {name}: 252 {value}, ours {mine:?}"));
        }
    }
    assert!(differ.is_empty(), "other values:\n{}", differ.join("\n"));
}

#[test]
fn no_client_waits_for_a_bus_that_is_not_there() {
    if !tools_present() {
        return;
    }
    // without dbus the real systemctl still has the private socket, as root
    let sb = boot("systemd", &units());
    let started = Instant::now();
    let o = real(&sb, &["is-system-running"]);
    assert!(started.elapsed() < Duration::from_secs(5), "{o:?}");
    assert!(
        matches!(o.stdout.trim(), "running" | "degraded"),
        "{o:?} (PATH {PATH})"
    );
}

/// systemd's own bus services as a package ships them, activated on the first call by name:
/// hostnamectl asks org.freedesktop.hostname1, which dbus-daemon hands to our manager as
/// dbus-org.freedesktop.hostname1.service (an alias of systemd-hostnamed.service); the call is
/// answered by the real daemon, at once.
#[test]
fn hostnamectl_and_timedatectl_activate_their_daemons() {
    if !tools_present() {
        return;
    }
    let sb = boot("systemd", &[]);
    sb.start_dbus();
    for (tool, daemon, line) in [
        (
            "hostnamectl",
            "systemd-hostnamed.service",
            "Static hostname:",
        ),
        ("timedatectl", "systemd-timedated.service", "Local time:"),
    ] {
        let started = Instant::now();
        let o = sb.run(&[tool]);
        assert_eq!(o.code, 0, "{tool}: {o:?}");
        assert!(o.stdout.contains(line), "{tool}: {o:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{tool} took {:?}",
            started.elapsed()
        );
        assert_eq!(sb.prop(daemon, "ActiveState"), "active", "{daemon}");
    }
}

/// SetEnvironment()/UnsetEnvironment(): what the manager spawns next gets it, after
/// DefaultEnvironment=; the Manager's Environment shows it; a bad assignment changes nothing.
#[test]
fn set_environment_reaches_what_the_manager_spawns_next() {
    if !tools_present() {
        return;
    }
    let printer =
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \"$GREETING\" > /run/greeting'\n";
    let sb = boot("systemd", &[("printer.service", printer)]);
    sb.start_dbus();
    let call = |method: &str, sig: &str, args: &[&str]| {
        let mut argv = vec![
            "busctl",
            "call",
            "org.freedesktop.systemd1",
            "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager",
            method,
            sig,
        ];
        argv.extend_from_slice(args);
        sb.run(&argv)
    };
    let o = call("SetEnvironment", "as", &["1", "GREETING=hello there"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.quiet_ok(&["start", "printer.service"]);
    assert_eq!(sb.read("/run/greeting").as_deref(), Some("hello there\n"));
    let env = sb
        .systemctl(&["show", "-p", "Environment", "--value"])
        .stdout;
    assert!(env.contains("\"GREETING=hello there\""), "{env}");
    let o = call("SetEnvironment", "as", &["1", "1BAD=x"]);
    assert_ne!(o.code, 0, "{o:?}");
    assert!(
        o.stderr.contains("Invalid environment assignments"),
        "{o:?}"
    );
    let o = call("UnsetEnvironment", "as", &["1", "GREETING"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.quiet_ok(&["restart", "printer.service"]);
    assert_eq!(sb.read("/run/greeting").as_deref(), Some("\n"));
}
