//! What systemctl prints about sockets (systemd 252, checked against a real systemd 252 booted
//! as PID 1): `list-sockets` with its columns, order, ACTIVATES and legend; the socket lines of
//! `status` (Triggers:, Listen:, Accepted:) and a service's TriggeredBy:; the warning of a stop
//! whose unit an active socket can start again. Each test starts its own manager in a sandbox
//! and compares whole outputs, with only timestamps and durations masked.

mod common;

use common::free_port;
use common::sandbox::Sandbox;

/// `status -n0` of `units` (no log lines), with the `since …` of `Active:` and the value of
/// `Duration:` masked, and its exit code.
fn status(sb: &Sandbox, units: &[&str]) -> (String, i32) {
    let mut args = vec!["status", "-n0"];
    args.extend_from_slice(units);
    let o = sb.systemctl(&args);
    assert_eq!(o.stderr, "", "{o:?}");
    let masked: Vec<String> = o
        .stdout
        .lines()
        .map(|l| {
            if let Some((head, _)) = l.split_once(" since ") {
                format!("{head} since TS")
            } else if l.starts_with("   Duration: ") {
                "   Duration: D".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    (masked.join("\n") + "\n", o.code)
}

/// Sockets with Accept=yes activate nothing until a connection comes (ACTIVATES is `-`, as
/// systemd prints for `echo.socket`), so these tables are the same with or without instances.
/// Abstract names, like ports, are shared by the parallel tests: v6.socket's has its port in it.
fn accepting_sockets(sb: &Sandbox, port: u16, port6: u16) {
    sb.unit(
        "echo.socket",
        &format!(
            "[Socket]\nListenStream=/run/echo.sock\nListenStream=127.0.0.1:{port}\nAccept=yes\n"
        ),
    );
    sb.unit(
        "echo@.service",
        "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n",
    );
    sb.unit(
        "v6.socket",
        &format!(
            "[Socket]\nListenStream={port6}\nListenSequentialPacket=@v6-{port6}\nAccept=yes\n"
        ),
    );
    sb.unit(
        "v6@.service",
        "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n",
    );
    sb.unit(
        "old.socket",
        "[Socket]\nListenStream=/run/old.sock\nAccept=yes\n",
    );
    sb.unit(
        "old@.service",
        "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n",
    );
}

#[test]
fn list_sockets_prints_a_row_per_listen_line_sorted_by_address() {
    let sb = Sandbox::new();
    let (port, port6) = (free_port(), free_port());
    accepting_sockets(&sb, port, port6);
    // Stopped, old.socket stays loaded only while a loaded unit names it (252 collects it).
    sb.keep_loaded("old.socket");
    let o = sb.systemctl(&["start", "echo.socket", "v6.socket", "old.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let o = sb.systemctl(&["stop", "old.socket"]);
    assert_eq!(o.code, 0, "{o:?}");

    // strcmp() order: '/' < '1' < '@' < '['; the inactive old.socket only with --all.
    let o = sb.systemctl(&["list-sockets"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (
            format!(
                "LISTEN          UNIT        ACTIVATES\n\
                 /run/echo.sock  echo.socket -\n\
                 127.0.0.1:{port} echo.socket -\n\
                 @v6-{port6}       v6.socket   -\n\
                 [::]:{port6}      v6.socket   -\n\
                 \n\
                 4 sockets listed.\n\
                 Pass --all to see loaded but inactive sockets, too.\n"
            )
            .as_str(),
            "",
            0
        )
    );

    // --all also lists the sockets of the host's sockets.target, which the default
    // dependencies load (as 252 holds every unit a held unit names): the patterns keep ours.
    let o = sb.systemctl(&[
        "list-sockets",
        "--all",
        "--show-types",
        "echo*",
        "v6*",
        "old*",
    ]);
    assert_eq!(
        o.stdout,
        format!(
            "LISTEN          TYPE             UNIT        ACTIVATES\n\
             /run/echo.sock  Stream           echo.socket -\n\
             /run/old.sock   Stream           old.socket  -\n\
             127.0.0.1:{port} Stream           echo.socket -\n\
             @v6-{port6}       SequentialPacket v6.socket   -\n\
             [::]:{port6}      Stream           v6.socket   -\n\
             \n\
             5 sockets listed.\n"
        ),
        "{o:?}"
    );
}

#[test]
fn list_sockets_patterns_name_sockets_and_the_legend_can_go() {
    let sb = Sandbox::new();
    let (port, port6) = (free_port(), free_port());
    accepting_sockets(&sb, port, port6);
    let o = sb.systemctl(&["start", "echo.socket", "v6.socket"]);
    assert_eq!(o.code, 0, "{o:?}");

    // A bare name is a socket; a glob matches loaded units; other types list nothing.
    let o = sb.systemctl(&["list-sockets", "--no-legend", "v6"]);
    assert_eq!(
        o.stdout,
        format!("@v6-{port6}  v6.socket -\n[::]:{port6} v6.socket -\n"),
        "{o:?}"
    );
    let o = sb.systemctl(&["list-sockets", "--legend=no", "e*"]);
    assert_eq!(
        o.stdout,
        format!("/run/echo.sock  echo.socket -\n127.0.0.1:{port} echo.socket -\n"),
        "{o:?}"
    );
    let o = sb.systemctl(&["list-sockets", "echo@.service"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (
            "LISTEN UNIT ACTIVATES\n\n0 sockets listed.\nPass --all to see loaded but inactive sockets, too.\n",
            0
        )
    );
    // --full changes nothing where output is not a terminal: nothing is ever cut.
    let full = sb.systemctl(&["list-sockets", "--full"]);
    let plain = sb.systemctl(&["list-sockets"]);
    assert_eq!(full, plain);
}

#[test]
fn status_of_a_socket_shows_its_listen_lines_and_counters() {
    let sb = Sandbox::new();
    let (port, port6) = (free_port(), free_port());
    accepting_sockets(&sb, port, port6);
    sb.keep_loaded("echo.socket");
    let o = sb.systemctl(&["start", "echo.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let (text, code) = status(&sb, &["echo.socket"]);
    assert_eq!(
        (text, code),
        (
            format!(
                "● echo.socket\n\
                 \x20    Loaded: loaded (/etc/systemd/system/echo.socket; static)\n\
                 \x20    Active: active (listening) since TS\n\
                 \x20    Listen: /run/echo.sock (Stream)\n\
                 \x20            127.0.0.1:{port} (Stream)\n\
                 \x20  Accepted: 0; Connected: 0;\n"
            ),
            0
        )
    );
    // Stopped, and never started: the addresses come from the unit file all the same.
    let o = sb.systemctl(&["stop", "echo.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let (text, code) = status(&sb, &["echo.socket", "v6.socket"]);
    assert_eq!(
        (text, code),
        (
            format!(
                "○ echo.socket\n\
                 \x20    Loaded: loaded (/etc/systemd/system/echo.socket; static)\n\
                 \x20    Active: inactive (dead) since TS\n\
                 \x20  Duration: D\n\
                 \x20    Listen: /run/echo.sock (Stream)\n\
                 \x20            127.0.0.1:{port} (Stream)\n\
                 \x20  Accepted: 0; Connected: 0;\n\
                 \n\
                 ○ v6.socket\n\
                 \x20    Loaded: loaded (/etc/systemd/system/v6.socket; static)\n\
                 \x20    Active: inactive (dead)\n\
                 \x20    Listen: [::]:{port6} (Stream)\n\
                 \x20            @v6-{port6} (SequentialPacket)\n\
                 \x20  Accepted: 0; Connected: 0;\n"
            ),
            3
        )
    );
}

#[test]
fn status_of_an_accept_no_socket_names_its_service_then_docs_then_listen_lines() {
    let sb = Sandbox::new();
    sb.unit(
        "docs.socket",
        "[Unit]\nDescription=Documented\nDocumentation=man:docs(8)\n\
         [Socket]\nListenFIFO=/run/docs.fifo\nListenDatagram=/run/docs.dgram\n",
    );
    sb.unit("docs.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    let o = sb.systemctl(&["start", "docs.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        status(&sb, &["docs.socket"]),
        (
            "● docs.socket - Documented\n\
             \x20    Loaded: loaded (/etc/systemd/system/docs.socket; static)\n\
             \x20    Active: active (listening) since TS\n\
             \x20  Triggers: ● docs.service\n\
             \x20      Docs: man:docs(8)\n\
             \x20    Listen: /run/docs.fifo (FIFO)\n\
             \x20            /run/docs.dgram (Datagram)\n"
                .to_string(),
            0
        )
    );
}

/// Connect to a unix socket inside and return the first line served.
fn request(sb: &Sandbox, path: &str) -> String {
    let script = format!(
        "import socket,sys\n\
         s = socket.socket(socket.AF_UNIX); s.connect({path:?}); s.settimeout(30)\n\
         sys.stdout.write(s.makefile().readline())\n"
    );
    let o = sb.run(&["python3", "-c", &script]);
    assert_eq!(o.code, 0, "client for {path}: {o:?}");
    o.stdout
}

/// single.socket and other.socket (Service=) both activate single.service, as in the oracle.
fn two_sockets_one_service(sb: &Sandbox, port: u16) {
    sb.unit(
        "single.socket",
        &format!("[Socket]\nListenDatagram=/run/single.dgram\nListenStream=127.0.0.1:{port}\n"),
    );
    sb.unit(
        "other.socket",
        "[Socket]\nListenStream=/run/other.sock\nService=single.service\n",
    );
    sb.unit(
        "single.service",
        &format!("[Service]\nExecStart={}\n", sb.daemon("listen-fds.py")),
    );
}

#[test]
fn list_sockets_shows_the_service_an_accept_no_socket_activates() {
    let sb = Sandbox::new();
    let port = free_port();
    two_sockets_one_service(&sb, port);
    sb.unit(
        "echo.socket",
        "[Socket]\nListenStream=/run/echo.sock\nAccept=yes\n",
    );
    sb.unit(
        "echo@.service",
        "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n",
    );
    let o = sb.systemctl(&["start", "single.socket", "other.socket", "echo.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let o = sb.systemctl(&["list-sockets"]);
    assert_eq!(
        o.stdout,
        format!(
            "LISTEN            UNIT          ACTIVATES\n\
             /run/echo.sock    echo.socket   -\n\
             /run/other.sock   other.socket  single.service\n\
             /run/single.dgram single.socket single.service\n\
             127.0.0.1:{port}   single.socket single.service\n\
             \n\
             4 sockets listed.\n\
             Pass --all to see loaded but inactive sockets, too.\n"
        ),
        "{o:?}"
    );
}

#[test]
fn status_shows_triggers_both_ways_and_a_stop_warns_of_active_sockets() {
    let sb = Sandbox::new();
    two_sockets_one_service(&sb, free_port());
    let o = sb.systemctl(&["start", "single.socket", "other.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    request(&sb, "/run/other.sock");
    let (text, code) = status(&sb, &["single.service"]);
    let head: Vec<&str> = text.lines().take(5).collect();
    assert_eq!(
        (head, code),
        (
            vec![
                "● single.service",
                "     Loaded: loaded (/etc/systemd/system/single.service; static)",
                "     Active: active (running) since TS",
                "TriggeredBy: ● single.socket",
                "             ● other.socket",
            ],
            0
        ),
        "{text}"
    );

    // Printed on stderr once the stop is done; the exit code stays 0.
    let o = sb.systemctl(&["stop", "single.service"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (
            "",
            "Warning: Stopping single.service, but it can still be activated by:\n  \
             single.socket\n  other.socket\n",
            0
        )
    );
    // Not with --quiet, nor without waiting for the job.
    for flag in ["--quiet", "--no-block"] {
        let o = sb.systemctl(&["stop", flag, "single.service"]);
        assert_eq!((o.stderr.as_str(), o.code), ("", 0), "{flag}");
    }
    // Only sockets still active count.
    let o = sb.systemctl(&["stop", "single.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let o = sb.systemctl(&["stop", "single.service"]);
    assert_eq!(
        o.stderr,
        "Warning: Stopping single.service, but it can still be activated by:\n  other.socket\n"
    );
    // The stopped socket is collected (nothing references it: the service's TriggeredBy= is
    // no reference in 252), so the service is triggered by the other one alone.
    let (text, _) = status(&sb, &["single.service"]);
    assert!(
        text.contains("\nTriggeredBy: ● other.socket\n") && !text.contains("single.socket"),
        "{text}"
    );
    let o = sb.systemctl(&["stop", "other.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let o = sb.systemctl(&["stop", "single.service"]);
    assert_eq!((o.stderr.as_str(), o.code), ("", 0));
}

#[test]
fn an_accept_yes_socket_triggers_its_instances_and_counts_refusals() {
    let sb = Sandbox::new();
    sb.unit(
        "lim.socket",
        "[Socket]\nListenStream=/run/lim.sock\nAccept=yes\nMaxConnections=1\n",
    );
    sb.unit("lim@.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    let o = sb.systemctl(&["start", "lim.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    // Three connections: the first gets an instance that holds it, the other two are refused
    // (closed at once by the manager, which the client waits for).
    let client = sb.run(&[
        "python3",
        "-c",
        "import os, socket\n\
         conns = []\n\
         for _ in range(3):\n    s = socket.socket(socket.AF_UNIX); s.connect('/run/lim.sock'); conns.append(s)\n\
         for s in conns[1:]:\n    s.settimeout(30); assert s.recv(1) == b''\n\
         print(os.getpid())\n",
    ]);
    assert_eq!(client.code, 0, "{client:?}");
    let instance = format!("lim@0-{}-0.service", client.stdout.trim());
    assert_eq!(
        status(&sb, &["lim.socket"]),
        (
            format!(
                "● lim.socket\n\
                 \x20    Loaded: loaded (/etc/systemd/system/lim.socket; static)\n\
                 \x20    Active: active (listening) since TS\n\
                 \x20  Triggers: ● {instance}\n\
                 \x20    Listen: /run/lim.sock (Stream)\n\
                 \x20  Accepted: 1; Connected: 1;   Refused: 2\n"
            ),
            0
        )
    );
    let o = sb.systemctl(&["list-sockets", "--no-legend"]);
    assert_eq!(o.stdout, format!("/run/lim.sock lim.socket {instance}\n"));
}
