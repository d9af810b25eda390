//! Transient units (StartTransientUnit(), systemd 252's dbus-manager.c) made by `systemd-run`:
//! the REAL systemd-run 252 and ours, each against our manager booted in a sandbox, and the
//! real one against systemd 252 booted the same way as the oracle for the file written, the
//! messages and the `--wait` summary.
//!
//! What is compared is normalised: unit names made up per run (`run-r<random>`, `run-u<N>`) and
//! the service's runtime; the "CPU time consumed:" line 252 adds is dropped, as our manager
//! keeps no CPU accounting (no cgroups).

mod common;

use std::time::Duration;

use common::sandbox::Sandbox;
use common::Outcome;

const REAL_SYSTEMD: &str = "/lib/systemd/systemd";
const REAL_RUN: &str = "/usr/bin/systemd-run";
const OUR_RUN: &str = "/run/sandbox-bin/systemd-run";
const WAIT: Duration = Duration::from_secs(30);

/// Whether this machine has systemd 252's systemd-run and manager, busctl and dbus-daemon.
fn tools_present() -> bool {
    let ok = common::command_succeeds;
    let present = ok(&[REAL_RUN, "--version"])
        && std::path::Path::new(REAL_SYSTEMD).exists()
        && ok(&["busctl", "--version"])
        && ok(&["dbus-daemon", "--version"]);
    if !present {
        eprintln!("systemd 252's systemd-run or systemd, busctl or dbus-daemon missing: skipped");
    }
    present
}

fn boot(init: &str) -> Sandbox {
    let sb = Sandbox::for_image();
    sb.file(
        "/run/systemd/system/run-test.target",
        "[Unit]\nDescription=systemd-run test target\n",
    );
    sb.boot_image(init, &["--unit=run-test.target"], &[]);
    sb
}

/// A client's name in test file names.
fn tag(client: &str) -> &'static str {
    if client == REAL_RUN {
        "real"
    } else {
        "ours"
    }
}

/// `run-r<32 hex>` and `run-u<N>` as `run-X`; the runtime as `T`; no CPU time line.
fn normalized(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("CPU time consumed:") {
            continue;
        }
        let line = if line.starts_with("Service runtime: ") {
            "Service runtime: T".to_string()
        } else {
            made_up_names(line)
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn made_up_names(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("run-") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let (kind, tail) = after.split_at(after.len().min(1));
        let len = tail
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(tail.len());
        if (kind == "r" || kind == "u") && len > 0 {
            out.push_str("run-X");
            rest = &tail[len..];
        } else {
            out.push_str("run-");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn run(sb: &Sandbox, client: &str, args: &[&str]) -> Outcome {
    let mut argv = vec![client];
    argv.extend_from_slice(args);
    sb.run(&argv)
}

fn show(sb: &Sandbox, unit: &str, props: &str) -> String {
    sb.systemctl(&["show", "-p", props, unit]).stdout
}

#[test]
fn a_transient_service_runs_is_transient_and_its_name_is_taken() {
    if !tools_present() {
        return;
    }
    let sb = boot("systemd");
    let mut files = Vec::new();
    for client in [REAL_RUN, OUR_RUN] {
        let unit = format!("t1-{}", tag(client));
        let target = format!("/tmp/touched-{}", tag(client));
        let o = run(
            &sb,
            client,
            &[
                &format!("--unit={unit}"),
                "--remain-after-exit",
                "--description=touch a file",
                "/bin/touch",
                &target,
            ],
        );
        assert_eq!(o.code, 0, "{client}: {o:?}");
        assert_eq!(o.stderr, format!("Running as unit: {unit}.service\n"));
        sb.wait_for_file(&target);
        assert_eq!(
            show(
                &sb,
                &format!("{unit}.service"),
                "Transient,LoadState,ActiveState"
            ),
            "LoadState=loaded\nActiveState=active\nTransient=yes\n",
            "{client}"
        );
        let status = sb.systemctl(&["status", &format!("{unit}.service")]);
        assert!(status.stdout.contains("Transient: yes"), "{status:?}");
        // a reload keeps it transient: its file is in the transient directory
        sb.quiet_ok(&["daemon-reload"]);
        assert_eq!(
            show(&sb, &format!("{unit}.service"), "Transient,UnitFileState"),
            "UnitFileState=transient\nTransient=yes\n"
        );
        let path = format!("/run/systemd/transient/{unit}.service");
        files.push(sb.read(&path).expect("transient file"));

        // the name is taken now: refused as 252 refuses it
        let again = run(&sb, client, &[&format!("--unit={unit}"), "/bin/true"]);
        assert_eq!(again.code, 1, "{again:?}");
        assert_eq!(
            again.stderr,
            format!(
                "Failed to start transient service unit: Unit {unit}.service was already \
                 loaded or has a fragment file.\n"
            )
        );
        // stopped, the unit is collected and its file goes with it
        sb.quiet_ok(&["stop", &format!("{unit}.service")]);
        sb.wait_until("transient file removed", WAIT, || !sb.exists(&path));
        assert_eq!(
            show(&sb, &format!("{unit}.service"), "LoadState"),
            "LoadState=not-found\n"
        );
    }
    // both clients send the same properties: the same file (but for the file touched)
    assert_eq!(files[0], files[1].replace("touched-ours", "touched-real"));

    // and it is the file systemd 252 writes for them
    let oracle = boot(REAL_SYSTEMD);
    let o = run(
        &oracle,
        REAL_RUN,
        &[
            "--unit=t1-real",
            "--remain-after-exit",
            "--description=touch a file",
            "/bin/touch",
            "/tmp/touched-real",
        ],
    );
    assert_eq!(o.code, 0, "{o:?}");
    let theirs = oracle
        .read("/run/systemd/transient/t1-real.service")
        .expect("252's transient file");
    assert_eq!(files[0], theirs);
}

#[test]
fn wait_reports_how_the_service_ended_as_252_does() {
    if !tools_present() {
        return;
    }
    let mut outputs: Vec<(String, Vec<(i32, String)>)> = Vec::new();
    for (init, clients) in [
        ("systemd", vec![REAL_RUN, OUR_RUN]),
        (REAL_SYSTEMD, vec![REAL_RUN, OUR_RUN]),
    ] {
        let sb = boot(init);
        sb.start_dbus();
        for client in clients {
            let mut results = Vec::new();
            for args in [
                &["--wait", "/bin/sh", "-c", "exit 3"][..],
                &["--wait", "true"][..],
                &["--wait", "-q", "/bin/sh", "-c", "exit 4"][..],
            ] {
                let o = run(&sb, client, args);
                results.push((o.code, normalized(&o.stderr)));
            }
            outputs.push((format!("{init} {client}"), results));
        }
    }
    let expected = vec![
        (
            3,
            "Running as unit: run-X.service\nFinished with result: exit-code\n\
             Main processes terminated with: code=exited/status=3\nService runtime: T\n"
                .to_string(),
        ),
        (
            0,
            "Running as unit: run-X.service\nFinished with result: success\n\
             Main processes terminated with: code=exited/status=0\nService runtime: T\n"
                .to_string(),
        ),
        (4, String::new()),
    ];
    for (who, results) in &outputs {
        assert_eq!(results, &expected, "{who}");
    }
}

#[test]
fn environment_user_and_a_timer_reach_the_command() {
    if !tools_present() {
        return;
    }
    let sb = boot("systemd");
    for client in [REAL_RUN, OUR_RUN] {
        let out = format!("/tmp/env-{}", tag(client));
        let script = format!("echo \"$A $X $(id -u)\" > {out}");
        let o = run(
            &sb,
            client,
            &[
                "-p",
                "Environment=A=b",
                "--setenv=X=y",
                "--uid=nobody",
                "-q",
                "/bin/sh",
                "-c",
                &script,
            ],
        );
        assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{client}: {o:?}");
        assert_eq!(sb.wait_for_file(&out), "b y 65534\n", "{client}");

        let touched = format!("/tmp/timer-{}", tag(client));
        let o = run(&sb, client, &["--on-active=1s", "/bin/touch", &touched]);
        assert_eq!(o.code, 0, "{client}: {o:?}");
        assert_eq!(
            normalized(&o.stderr),
            "Running timer as unit: run-X.timer\nWill run service as unit: run-X.service\n"
        );
        let timer = o
            .stderr
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("Running timer as unit: "))
            .expect("timer name")
            .to_string();
        // not yet: the timer elapses a second after it started
        assert_eq!(
            show(&sb, &timer, "Transient,ActiveState"),
            "ActiveState=active\nTransient=yes\n"
        );
        sb.wait_for_file(&touched);
        // RemainAfterElapse=no: the timer and its service go, with their files
        let file = format!("/run/systemd/transient/{timer}");
        sb.wait_until("the timer collected", WAIT, || !sb.exists(&file));
    }
}

#[test]
fn collect_unloads_a_failed_unit_which_otherwise_stays() {
    if !tools_present() {
        return;
    }
    let sb = boot("systemd");
    for client in [REAL_RUN, OUR_RUN] {
        let kept = format!("kept-{}.service", tag(client));
        let gone = format!("gone-{}.service", tag(client));
        assert_eq!(
            run(&sb, client, &["-q", "--unit", &kept, "/bin/false"]).code,
            0
        );
        assert_eq!(
            run(
                &sb,
                client,
                &["-q", "--collect", "--unit", &gone, "/bin/false"]
            )
            .code,
            0
        );
        sb.wait_for_prop(&kept, "ActiveState", "failed");
        sb.wait_until("the --collect unit collected", WAIT, || {
            show(&sb, &gone, "LoadState") == "LoadState=not-found\n"
        });
        assert!(!sb.exists(&format!("/run/systemd/transient/{gone}")));
        assert!(sb.exists(&format!("/run/systemd/transient/{kept}")));
        assert_eq!(
            show(&sb, &kept, "Transient,LoadState"),
            "LoadState=loaded\nTransient=yes\n"
        );
    }
}

/// What the bus refuses, asked with busctl of both managers: an unknown property, a name in use
/// by a unit file, a name that is not a unit's.
#[test]
fn refusals_match_252() {
    if !tools_present() {
        return;
    }
    let ask = |sb: &Sandbox, name: &str, property: &[&str]| {
        let mut argv = vec![
            "busctl",
            "call",
            "org.freedesktop.systemd1",
            "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager",
            "StartTransientUnit",
            "ssa(sv)a(sa(sv))",
            name,
            "fail",
        ];
        argv.extend_from_slice(property);
        argv.push("0");
        let o = sb.run(&argv);
        (o.code, o.stderr)
    };
    let mut answers = Vec::new();
    for init in ["systemd", REAL_SYSTEMD] {
        let sb = boot(init);
        sb.start_dbus();
        let exec = ["2", "Bogus", "s", "x", "Description", "s", "d"];
        let plain = ["1", "Description", "s", "d"];
        answers.push(vec![
            ask(&sb, "x.service", &exec),
            ask(&sb, "run-test.target", &plain),
            ask(&sb, "dbus.service", &plain),
            ask(&sb, "not a name", &plain),
        ]);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(
        answers[0][0],
        (
            1,
            "Call failed: Cannot set property Bogus, or unknown property.\n".to_string()
        )
    );
}

/// `--scope`: ours runs the command in place, with the user and environment asked for; the real
/// one asks for a scope, which our manager refuses (no cgroups to move the caller into).
#[test]
fn scope_runs_in_place() {
    if !tools_present() {
        return;
    }
    let sb = boot("systemd");
    let o = run(
        &sb,
        OUR_RUN,
        &[
            "--scope",
            "--uid=nobody",
            "--setenv=X=y",
            "/bin/sh",
            "-c",
            "echo \"$X $(id -u)\"; exit 7",
        ],
    );
    assert_eq!((o.code, o.stdout.as_str()), (7, "y 65534\n"), "{o:?}");
    let o = run(&sb, REAL_RUN, &["--scope", "/bin/true"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(
        o.stderr.contains("Transient scopes need control groups"),
        "{o:?}"
    );
}

#[test]
fn normalizing_hides_made_up_names_and_times() {
    assert_eq!(
        normalized(
            "Running as unit: run-r0123456789abcdef0123456789abcdef.service\n\
             Running as unit: run-u12.timer\nService runtime: 5ms\nCPU time consumed: 1ms\n"
        ),
        "Running as unit: run-X.service\nRunning as unit: run-X.timer\nService runtime: T\n"
    );
}

/// The transient files of many settings, as 252 writes them: the real systemd-run against our
/// manager and against 252, and ours against our manager.
#[test]
fn files_are_written_as_252_writes_them() {
    if !tools_present() {
        return;
    }
    let cases: &[(&str, &[&str])] = &[
        (
            "f1",
            &[
                "-p",
                "LimitNOFILE=100:200",
                "-p",
                "TimeoutStartSec=7",
                "-p",
                "KillSignal=SIGINT",
                "-p",
                "After=run-test.target",
                "--nice=5",
                "--service-type=oneshot",
                "-r",
                "/bin/true",
            ],
        ),
        (
            "f2",
            &[
                "--uid=nobody",
                "--gid=nogroup",
                "--working-directory=/tmp",
                "-E",
                "A=b c",
                "-p",
                "Environment=D=e",
                "-p",
                "StandardOutput=null",
                "-p",
                "KillMode=mixed",
                "-p",
                "RuntimeMaxSec=1h",
                "-p",
                "DefaultDependencies=no",
                "-r",
                "/bin/echo",
                "100%",
                "quote\"d",
            ],
        ),
        (
            "f3",
            &[
                "--on-calendar=*-*-* 00:00:00",
                "--timer-property=AccuracySec=1h",
                "/bin/true",
            ],
        ),
    ];
    let files = |sb: &Sandbox, client: &str| -> Vec<String> {
        let mut out = Vec::new();
        for (unit, args) in cases {
            let mut argv = vec![format!("--unit={unit}")];
            argv.extend(args.iter().map(|a| a.to_string()));
            let argv: Vec<&str> = argv.iter().map(|s| s.as_str()).collect();
            let o = run(sb, client, &argv);
            assert_eq!(o.code, 0, "{client} {unit}: {o:?}");
            for suffix in ["service", "timer"] {
                if let Some(text) = sb.read(&format!("/run/systemd/transient/{unit}.{suffix}")) {
                    out.push(text);
                }
            }
        }
        out
    };
    let ours = boot("systemd");
    let real_on_ours = files(&ours, REAL_RUN);
    let oracle = boot(REAL_SYSTEMD);
    let real_on_252 = files(&oracle, REAL_RUN);
    assert_eq!(real_on_ours.len(), 4, "{real_on_ours:?}");
    assert_eq!(real_on_ours, real_on_252);
    let again = boot("systemd");
    assert_eq!(files(&again, OUR_RUN), real_on_252);
}

/// Failures as 252 words them: a start job that fails, options that do not go together, a
/// unit type with no transient units; the real and our client against both managers.
#[test]
fn failures_are_worded_as_252_words_them() {
    if !tools_present() {
        return;
    }
    let cases: &[&[&str]] = &[
        &["--unit=fail1", "--service-type=oneshot", "/bin/false"],
        &["-q", "--unit=fail2", "--service-type=oneshot", "/bin/false"],
        &["--on-calendar=bogus", "/bin/true"],
        &["--wait", "--no-block", "/bin/true"],
        &["--wait", "--on-active=5", "/bin/true"],
        &["--unit=x"],
        &["--timer-property=AccuracySec=1s", "/bin/true"],
        &["--unit=run-test.target", "/bin/true"],
    ];
    let mut answers = Vec::new();
    for init in ["systemd", REAL_SYSTEMD] {
        let sb = boot(init);
        sb.start_dbus();
        for client in [REAL_RUN, OUR_RUN] {
            let got: Vec<(i32, String)> = cases
                .iter()
                .map(|args| {
                    let o = run(&sb, client, args);
                    (o.code, o.stderr)
                })
                .collect();
            // the failed units go, so the next client can take their names
            sb.run(&["/bin/systemctl", "reset-failed"]);
            answers.push((format!("{init} {client}"), got));
        }
    }
    for (who, got) in &answers[1..] {
        assert_eq!(got, &answers[0].1, "{who} differs from {}", answers[0].0);
    }
    assert_eq!(
        answers[0].1[0],
        (
            1,
            "Job for fail1.service failed because the control process exited with error code.\n\
             See \"systemctl status fail1.service\" and \"journalctl -xeu fail1.service\" for \
             details.\n"
                .to_string()
        )
    );
}
