//! What systemctl prints about sockets (systemd 252, checked against a real systemd 252 booted
//! as PID 1): `list-sockets` with its columns, order and legend, and the socket lines of
//! `status` (Listen:, Accepted:). Each test starts its own manager in a sandbox and compares
//! whole outputs, with only timestamps and durations masked.

mod common;

use std::sync::Mutex;

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

/// A TCP port nothing listens on, with five digits so that the tables below line up. The tests
/// run in parallel in one network namespace: no port is handed out twice.
fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = l.local_addr().expect("its address").port();
        if port >= 10000 && !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
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

    let o = sb.systemctl(&["list-sockets", "--all", "--show-types"]);
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
fn status_lists_listen_lines_after_the_docs_and_no_counters_without_accept() {
    let sb = Sandbox::new();
    sb.unit(
        "docs.socket",
        "[Unit]\nDescription=Documented\nDocumentation=man:docs(8)\n\
         [Socket]\nListenFIFO=/run/docs.fifo\nListenDatagram=/run/docs.dgram\n",
    );
    sb.unit("docs.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    let o = sb.systemctl(&["start", "docs.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let (text, _) = status(&sb, &["docs.socket"]);
    let lines: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("       Docs:"))
        .collect();
    assert_eq!(
        lines,
        [
            "       Docs: man:docs(8)",
            "     Listen: /run/docs.fifo (FIFO)",
            "             /run/docs.dgram (Datagram)",
        ],
        "{text}"
    );
}
