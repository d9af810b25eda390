//! Socket activation as a user meets it (systemd.socket(5), sd_listen_fds(3)), first part:
//! Accept=no listeners on unix paths and TCP ports, the first connection starting the service
//! with the listening fds, listening again after the service stopped, and a socket that cannot
//! bind failing alone. Real clients and a real server (`unit-fixtures/daemons/listen-fds.py`,
//! which checks LISTEN_PID as client libraries do), each test in its own sandbox.

mod common;

use common::sandbox::Sandbox;

/// Connect to `address` (a unix path or `host:port`) from inside and return the line served.
fn request(sb: &Sandbox, address: &str) -> String {
    let script = format!(
        "import socket,sys\n\
         a = {address:?}\n\
         if a.startswith('/'):\n    s = socket.socket(socket.AF_UNIX); s.connect(a)\n\
         else:\n    h, p = a.rsplit(':', 1); s = socket.create_connection((h, int(p)), timeout=30)\n\
         s.settimeout(30)\n\
         sys.stdout.write(s.makefile().readline())\n"
    );
    let o = sb.run(&["python3", "-c", &script]);
    assert_eq!(o.code, 0, "client for {address}: {o:?}");
    o.stdout
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

#[test]
fn the_first_connection_starts_the_service_with_the_listening_fds() {
    let sb = Sandbox::new();
    sb.unit(
        "echo.socket",
        "[Socket]\nListenStream=/run/echo/echo.sock\nSocketMode=0600\n",
    );
    sb.unit(
        "echo.service",
        &format!("[Service]\nExecStart={}\n", sb.daemon("listen-fds.py")),
    );
    let o = sb.systemctl(&["start", "echo.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(sb.prop("echo.socket", "ActiveState"), "active");
    assert_eq!(sb.prop("echo.socket", "SubState"), "listening");
    assert_eq!(sb.prop("echo.service", "ActiveState"), "inactive");
    let mode = sb.run(&["stat", "-c", "%a %F", "/run/echo/echo.sock"]);
    assert_eq!(mode.stdout, "600 socket\n");
    let line = request(&sb, "/run/echo/echo.sock");
    let pid = sb.main_pid("echo.service");
    assert_eq!(line, format!("pid={pid} fds=1 names=echo.socket\n"));
    assert_eq!(sb.prop("echo.service", "ActiveState"), "active");
    // Stopped, the service comes back with the next connection; the socket never stopped.
    let o = sb.systemctl(&["stop", "echo.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let again = request(&sb, "/run/echo/echo.sock");
    let new_pid = sb.main_pid("echo.service");
    assert_ne!(new_pid, pid);
    assert_eq!(again, format!("pid={new_pid} fds=1 names=echo.socket\n"));
    // Stopping the socket closes the listener.
    let o = sb.systemctl(&["stop", "echo.socket", "echo.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let refused = sb.run(&[
        "python3",
        "-c",
        "import socket; socket.socket(socket.AF_UNIX).connect('/run/echo/echo.sock')",
    ]);
    assert_ne!(refused.code, 0, "{refused:?}");
}

#[test]
fn a_tcp_socket_and_a_named_fd_reach_the_service_from_several_listen_lines() {
    let sb = Sandbox::new();
    let port = free_port();
    sb.unit(
        "web.socket",
        &format!(
            "[Socket]\nListenStream=127.0.0.1:{port}\nListenStream=/run/web.sock\n\
             FileDescriptorName=web\n"
        ),
    );
    sb.unit(
        "web.service",
        &format!("[Service]\nExecStart={}\n", sb.daemon("listen-fds.py")),
    );
    let o = sb.systemctl(&["start", "web.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let line = request(&sb, &format!("127.0.0.1:{port}"));
    let pid = sb.main_pid("web.service");
    assert_eq!(line, format!("pid={pid} fds=2 names=web:web\n"));
    assert_eq!(request(&sb, "/run/web.sock"), line);
}

#[test]
fn a_port_already_in_use_fails_that_socket_alone() {
    let sb = Sandbox::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("its address").port();
    sb.unit(
        "busy.socket",
        &format!("[Socket]\nListenStream=127.0.0.1:{port}\n"),
    );
    sb.unit("busy.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    sb.unit("fine.socket", "[Socket]\nListenStream=/run/fine.sock\n");
    sb.unit("fine.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    let o = sb.systemctl(&["start", "busy.socket"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (1, "Job failed. See \"journalctl -xe\" for details.\n")
    );
    assert_eq!(sb.prop("busy.socket", "ActiveState"), "failed");
    let log = sb.journalctl(&["-u", "busy.socket"]);
    assert!(
        log.stdout.contains(&format!(
            "Failed to create listening socket (127.0.0.1:{port}): Address already in use"
        )),
        "{log:?}"
    );
    let o = sb.systemctl(&["start", "fine.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(sb.prop("fine.socket", "SubState"), "listening");
    drop(taken);
}

#[test]
fn a_manager_killed_and_started_again_listens_again() {
    let sb = Sandbox::new();
    sb.unit("echo.socket", "[Socket]\nListenStream=/run/echo.sock\n");
    sb.unit(
        "echo.service",
        &format!("[Service]\nExecStart={}\n", sb.daemon("listen-fds.py")),
    );
    let o = sb.systemctl(&["start", "echo.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.kill_manager();
    // The next state-changing call starts a manager, which adopts the socket and reopens it.
    let o = sb.systemctl(&["start", "echo.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(sb.prop("echo.socket", "SubState"), "listening");
    let line = request(&sb, "/run/echo.sock");
    let pid = sb.main_pid("echo.service");
    assert_eq!(line, format!("pid={pid} fds=1 names=echo.socket\n"));
}

/// A client of an Accept=yes service: connect, read the greeting, say `hello`, read the echo.
/// Prints `pid=CLIENT_PID port=LOCAL_PORT`, the greeting and the echo, one per line.
fn converse(sb: &Sandbox, address: &str) -> Vec<String> {
    let script = format!(
        "import os,socket,sys\n\
         a = {address:?}\n\
         if a.startswith('/') or a.startswith('@'):\n    s = socket.socket(socket.AF_UNIX); s.connect(a.replace('@', '\\0', 1))\n\
         else:\n    h, p = a.rsplit(':', 1); s = socket.create_connection((h.strip('[]'), int(p)), timeout=30)\n\
         s.settimeout(30)\n\
         f = s.makefile('rw')\n\
         port = s.getsockname()[1] if s.family != socket.AF_UNIX else 0\n\
         greeting = f.readline()\n\
         f.write('hello\\n'); f.flush()\n\
         echo = f.readline()\n\
         sys.stdout.write(f'pid={{os.getpid()}} port={{port}}\\n' + greeting + echo)\n"
    );
    let o = sb.run(&["python3", "-c", &script]);
    assert_eq!(o.code, 0, "client for {address}: {o:?}");
    o.stdout.lines().map(str::to_string).collect()
}

/// The connection instances `list-units --all` shows for template `prefix@`.
fn instances(sb: &Sandbox, prefix: &str) -> Vec<String> {
    let o = sb.systemctl(&[
        "list-units",
        "--all",
        "--plain",
        "--no-legend",
        &format!("{prefix}@*"),
    ]);
    o.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn accept_yes_runs_one_instance_per_unix_connection_named_after_the_peer() {
    let sb = Sandbox::new();
    sb.unit(
        "greet.socket",
        "[Socket]\nListenStream=/run/greet.sock\nAccept=yes\n",
    );
    sb.unit(
        "greet@.service",
        &format!(
            "[Unit]\nDescription=Greeter\n[Service]\nExecStart={} %i\n",
            sb.daemon("per-connection.py")
        ),
    );
    let o = sb.systemctl(&["start", "greet.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let first = converse(&sb, "/run/greet.sock");
    let client_pid = first[0]
        .strip_prefix("pid=")
        .and_then(|s| s.split(' ').next())
        .expect("client pid")
        .to_string();
    // Named `N-PID-UID` after the peer's credentials, with the connection as fd 3.
    assert_eq!(
        first[1],
        format!("instance=0-{client_pid}-0 remote=-:- fds=1 names=connection")
    );
    assert_eq!(first[2], "got hello");
    let second = converse(&sb, "/run/greet.sock");
    assert!(second[1].starts_with("instance=1-"), "{second:?}");
    // Each instance is gone once its connection ended; the socket goes on listening.
    sb.wait_until(
        "the instances are collected",
        std::time::Duration::from_secs(30),
        || instances(&sb, "greet").is_empty(),
    );
    assert_eq!(sb.prop("greet.socket", "SubState"), "listening");
    let log = sb.journalctl(&["-u", &format!("greet@0-{client_pid}-0.service")]);
    assert!(
        log.stdout.contains(&format!(
            "Started greet@0-{client_pid}-0.service - Greeter (PID {client_pid}/UID 0)."
        )),
        "{log:?}"
    );
}

#[test]
fn accept_yes_over_tcp_serves_stdin_and_stdout_with_the_remote_address() {
    let sb = Sandbox::new();
    let port = free_port();
    sb.unit(
        "inetd.socket",
        &format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\n"),
    );
    sb.unit(
        "inetd@.service",
        &format!(
            "[Service]\nExecStart={} %i\nStandardInput=socket\n",
            sb.daemon("per-connection.py")
        ),
    );
    let o = sb.systemctl(&["start", "inetd.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    let lines = converse(&sb, &format!("127.0.0.1:{port}"));
    let client_port = lines[0].rsplit('=').next().expect("client port");
    // StandardInput=socket: the connection is stdin and stdout, no LISTEN_FDS.
    assert_eq!(
        lines[1],
        format!(
            "instance=0-127.0.0.1:{port}-127.0.0.1:{client_port} remote=127.0.0.1:{client_port} fds=none names=-"
        )
    );
    assert_eq!(lines[2], "got hello");
}
