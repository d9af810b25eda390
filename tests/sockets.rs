//! Socket activation as a user meets it (systemd.socket(5), sd_listen_fds(3)), first part:
//! Accept=no listeners on unix paths and TCP ports, the first connection starting the service
//! with the listening fds, listening again after the service stopped, and a socket that cannot
//! bind failing alone. Real clients and a real server (`unit-fixtures/daemons/listen-fds.py`,
//! which checks LISTEN_PID as client libraries do), each test in its own sandbox.

mod common;

use common::free_port;
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
    sb.quiet_ok(&["start", "echo.socket"]);
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
    sb.quiet_ok(&["start", "web.socket"]);
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
    sb.quiet_ok(&["start", "fine.socket"]);
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
    sb.quiet_ok(&["start", "echo.socket"]);
    sb.kill_manager();
    // The next state-changing call starts a manager, which adopts the socket and reopens it.
    sb.quiet_ok(&["start", "echo.socket"]);
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
    sb.quiet_ok(&["start", "greet.socket"]);
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
    sb.quiet_ok(&["start", "inetd.socket"]);
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

/// The fds the manager holds open.
fn manager_fds(sb: &Sandbox) -> usize {
    let pids = sb.manager_pids();
    assert_eq!(pids.len(), 1, "one manager: {pids:?}");
    std::fs::read_dir(sb.host_path(&format!("/proc/{}/fd", pids[0])))
        .expect("the manager's fd directory")
        .count()
}

#[test]
fn max_connections_refuses_the_excess_and_serves_the_rest() {
    let sb = Sandbox::new();
    sb.unit(
        "two.socket",
        "[Socket]\nListenStream=/run/two.sock\nAccept=yes\nMaxConnections=2\n",
    );
    sb.unit(
        "two@.service",
        &format!(
            "[Service]\nExecStart={} %i\n",
            sb.daemon("per-connection.py")
        ),
    );
    sb.quiet_ok(&["start", "two.socket"]);
    // Four clients at once, each holding its connection until all four know their fate.
    let script = "import socket,time\n\
        conns = []\n\
        for _ in range(4):\n    s = socket.socket(socket.AF_UNIX); s.connect('/run/two.sock'); s.settimeout(30); conns.append(s)\n\
        fates = []\n\
        for s in conns:\n    try:\n        fates.append('served' if s.recv(4096).startswith(b'instance=') else 'closed')\n    except ConnectionResetError:\n        fates.append('closed')\n\
        print(' '.join(sorted(fates)))\n";
    let o = sb.run(&["python3", "-c", script]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(o.stdout, "closed closed served served\n");
    let log = sb.journalctl(&["-u", "two.socket"]);
    assert_eq!(
        log.stdout
            .matches("Too many incoming connections (2), dropping connection.")
            .count(),
        2,
        "{log:?}"
    );
    sb.wait_until(
        "the instances are collected",
        std::time::Duration::from_secs(30),
        || instances(&sb, "two").is_empty(),
    );
}

#[test]
fn a_burst_of_ten_thousand_connections_leaves_no_fd_zombie_or_instance_behind() {
    let sb = Sandbox::new();
    // The default trigger limit (200 in 2 s with Accept=yes) would fail the socket in such a
    // burst, under systemd as here: lifted, as a server meant for bursts must do.
    sb.unit(
        "burst.socket",
        "[Socket]\nListenStream=/run/burst.sock\nAccept=yes\nTriggerLimitIntervalSec=0\n",
    );
    // cat ends when its client hangs up.
    sb.unit(
        "burst@.service",
        "[Service]\nExecStart=/bin/cat\nStandardInput=socket\nStandardOutput=null\n",
    );
    sb.quiet_ok(&["start", "burst.socket"]);
    let baseline = manager_fds(&sb);
    let script = "import socket\n\
        for _ in range(10000):\n    s = socket.socket(socket.AF_UNIX); s.connect('/run/burst.sock'); s.close()\n";
    let o = sb.run(&["python3", "-c", script]);
    assert_eq!(o.code, 0, "{o:?}");
    let long = std::time::Duration::from_secs(120);
    sb.wait_until("every connection is accepted or refused", long, || {
        let accepted: u32 = sb.prop("burst.socket", "NAccepted").parse().unwrap_or(0);
        let refused: u32 = sb.prop("burst.socket", "NRefused").parse().unwrap_or(0);
        accepted + refused == 10000
    });
    sb.wait_until("every instance is collected", long, || {
        instances(&sb, "burst").is_empty()
    });
    assert_eq!(sb.prop("burst.socket", "NConnections"), "0");
    assert_eq!(sb.prop("burst.socket", "SubState"), "listening");
    // Not equal: the baseline may still count the `start` client's connection, which the
    // manager closes a moment later.
    sb.wait_until(
        "the manager holds no more fds than before the burst",
        long,
        || manager_fds(&sb) <= baseline,
    );
    let zombies = sb.sh("grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l");
    assert_eq!(zombies.stdout.trim(), "0", "{zombies:?}");
}

#[test]
fn fds_stored_by_a_service_come_back_after_a_restart_and_go_when_it_stops() {
    let sb = Sandbox::new();
    let unit = |max: u32| {
        format!(
            "[Service]\nType=notify\nExecStart={} remembered /run/report\nFileDescriptorStoreMax={max}\n",
            sb.daemon("fdstore.py")
        )
    };
    sb.unit("keeper.service", &unit(4));
    sb.quiet_ok(&["start", "keeper.service"]);
    let o = sb.systemctl(&["restart", "keeper.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        sb.wait_for_file("/run/report"),
        "fds=1 names=state state=remembered\n"
    );
    // Stopped, the store is released: the next start begins with nothing.
    sb.run(&["rm", "/run/report"]);
    let o = sb.systemctl(&["stop", "keeper.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.quiet_ok(&["start", "keeper.service"]);
    assert!(!sb.exists("/run/report"));
    // Without FileDescriptorStoreMax= there is no store: nothing comes back.
    let o = sb.systemctl(&["stop", "keeper.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.unit("keeper.service", &unit(0));
    let o = sb.systemctl(&["daemon-reload"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.quiet_ok(&["start", "keeper.service"]);
    let o = sb.systemctl(&["restart", "keeper.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(!sb.exists("/run/report"));
    let log = sb.journalctl(&["-u", "keeper.service"]);
    assert!(
        log.stdout.contains(
            "keeper.service: Cannot store more fds than FileDescriptorStoreMax=0, closing remaining."
        ),
        "{log:?}"
    );
}

#[test]
fn a_socket_runs_its_own_commands_around_opening_and_closing_its_listeners() {
    let sb = Sandbox::new();
    let step = |name: &str| {
        format!("/bin/sh -c 'echo {name} >> /run/steps; test -S /run/cmd.sock && echo open >> /run/steps || true'")
    };
    sb.unit(
        "cmd.socket",
        &format!(
            "[Unit]\nDescription=Commanded socket\n[Socket]\nListenStream=/run/cmd.sock\nRemoveOnStop=yes\n\
             ExecStartPre={}\nExecStartPost={}\nExecStopPre={}\nExecStopPost={}\n",
            step("start-pre"),
            step("start-post"),
            step("stop-pre"),
            step("stop-post")
        ),
    );
    sb.unit("cmd.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    sb.quiet_ok(&["start", "cmd.socket"]);
    assert_eq!(sb.prop("cmd.socket", "SubState"), "listening");
    let o = sb.systemctl(&["stop", "cmd.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    // ExecStopPost= runs once the listener is closed and (RemoveOnStop=) its file gone.
    assert_eq!(
        sb.read("/run/steps").unwrap_or_default(),
        "start-pre\nstart-post\nopen\nstop-pre\nopen\nstop-post\n"
    );
    let log = sb.journalctl(&["-u", "cmd.socket"]);
    for line in [
        "Starting cmd.socket - Commanded socket...",
        "Listening on cmd.socket - Commanded socket.",
        "Stopping cmd.socket - Commanded socket...",
        "cmd.socket: Deactivated successfully.",
        "Closed cmd.socket - Commanded socket.",
    ] {
        assert!(log.stdout.contains(line), "{line:?} in {log:?}");
    }
}

#[test]
fn a_failing_start_command_fails_the_socket_before_it_listens() {
    let sb = Sandbox::new();
    sb.unit(
        "pre.socket",
        "[Socket]\nListenStream=/run/pre.sock\nExecStartPre=/bin/false\n",
    );
    sb.unit("pre.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    let o = sb.systemctl(&["start", "pre.socket"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert_eq!(sb.prop("pre.socket", "ActiveState"), "failed");
    assert_eq!(sb.prop("pre.socket", "Result"), "exit-code");
    assert!(!sb.exists("/run/pre.sock"));
    let log = sb.journalctl(&["-u", "pre.socket"]);
    assert!(
        log.stdout.contains("Failed to listen on pre.socket."),
        "{log:?}"
    );
}

#[test]
fn datagram_abstract_seqpacket_and_fifo_listeners_start_their_service() {
    let sb = Sandbox::new();
    sb.unit(
        "many.socket",
        "[Socket]\nListenDatagram=/run/many.dgram\nListenStream=@many-abstract\n\
         ListenSequentialPacket=/run/many.seqpacket\nListenFIFO=/run/many.fifo\nSocketMode=0640\n",
    );
    sb.unit(
        "many.service",
        &format!(
            "[Service]\nExecStart={} /run/got\n",
            sb.daemon("report-fds.py")
        ),
    );
    sb.quiet_ok(&["start", "many.socket"]);
    let modes = sb.run(&[
        "stat",
        "-c",
        "%a %F",
        "/run/many.dgram",
        "/run/many.seqpacket",
        "/run/many.fifo",
    ]);
    assert_eq!(modes.stdout, "640 socket\n640 socket\n640 fifo\n");
    let o = sb.run(&[
        "python3",
        "-c",
        "import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'ping', '/run/many.dgram')",
    ]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        sb.wait_for_file("/run/got"),
        "4 many.socket:many.socket:many.socket:many.socket SOCK_DGRAM SOCK_STREAM SOCK_SEQPACKET FIFO ping\n"
    );
    assert_eq!(sb.prop("many.socket", "SubState"), "running");
}

#[test]
fn a_service_that_never_accepts_ends_in_the_start_limit_then_the_trigger_limit() {
    let sb = Sandbox::new();
    sb.unit("lazy.socket", "[Socket]\nListenStream=/run/lazy.sock\n");
    sb.unit("lazy.service", "[Service]\nExecStart=/bin/true\n");
    sb.quiet_ok(&["start", "lazy.socket"]);
    let connect = "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/lazy.sock')";
    let o = sb.run(&["python3", "-c", connect]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.wait_for_prop("lazy.socket", "ActiveState", "failed");
    assert_eq!(sb.prop("lazy.socket", "Result"), "service-start-limit-hit");
    // With a start limit out of reach, the socket's own trigger limit stops the loop.
    sb.unit(
        "lazy.service",
        "[Unit]\nStartLimitBurst=10000\n[Service]\nExecStart=/bin/true\n",
    );
    let o = sb.systemctl(&["daemon-reload"]);
    assert_eq!(o.code, 0, "{o:?}");
    let o = sb.systemctl(&["reset-failed"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.quiet_ok(&["start", "lazy.socket"]);
    let o = sb.run(&["python3", "-c", connect]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.wait_for_prop("lazy.socket", "ActiveState", "failed");
    assert_eq!(sb.prop("lazy.socket", "Result"), "trigger-limit-hit");
    let log = sb.journalctl(&["-u", "lazy.socket"]);
    assert!(
        log.stdout
            .contains("Trigger limit hit, refusing further activation."),
        "{log:?}"
    );
}

#[test]
fn a_socket_whose_service_already_runs_is_refused() {
    let sb = Sandbox::new();
    sb.unit("early.socket", "[Socket]\nListenStream=/run/early.sock\n");
    sb.unit(
        "early.service",
        "[Service]\nExecStart=/bin/sleep infinity\n",
    );
    sb.quiet_ok(&["start", "early.service"]);
    let o = sb.systemctl(&["start", "early.socket"]);
    assert_eq!(o.code, 1, "{o:?}");
    let log = sb.journalctl(&["-u", "early.socket"]);
    assert!(
        log.stdout
            .contains("Socket service early.service already active, refusing."),
        "{log:?}"
    );
    // Stopping a socket leaves the service it started running.
    let o = sb.systemctl(&["stop", "early.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.quiet_ok(&["start", "early.socket"]);
    let o = sb.run(&[
        "python3",
        "-c",
        "import socket; socket.socket(socket.AF_UNIX).connect('/run/early.sock')",
    ]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.wait_for_prop("early.service", "ActiveState", "active");
    let o = sb.systemctl(&["stop", "early.socket"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(sb.prop("early.service", "ActiveState"), "active");
}

#[test]
fn a_service_gets_the_fds_of_its_sockets_setting_after_its_own_sockets() {
    let sb = Sandbox::new();
    sb.unit(
        "single.socket",
        "[Socket]\nListenStream=/run/single.sock\nListenDatagram=/run/single.dgram\n",
    );
    sb.unit(
        "other.socket",
        "[Socket]\nListenStream=/run/other.sock\nService=single.service\nFileDescriptorName=otherfd\n",
    );
    sb.unit(
        "single.service",
        &format!(
            "[Service]\nSockets=other.socket\nExecStart={}\n",
            sb.daemon("listen-fds.py")
        ),
    );
    sb.quiet_ok(&["start", "single.socket", "other.socket"]);
    assert_eq!(
        sb.prop("single.service", "TriggeredBy"),
        "single.socket other.socket"
    );
    let line = request(&sb, "/run/other.sock");
    let pid = sb.main_pid("single.service");
    assert_eq!(
        line,
        format!("pid={pid} fds=3 names=single.socket:single.socket:otherfd\n")
    );
    assert_eq!(request(&sb, "/run/single.sock"), line);
}

#[test]
fn an_enabled_socket_listens_before_the_services_of_the_boot_start() {
    let sb = Sandbox::for_init();
    sb.unit(
        "api.socket",
        "[Socket]\nListenStream=/run/api.sock\n[Install]\nWantedBy=sockets.target\n",
    );
    sb.unit(
        "api.service",
        &format!("[Service]\nExecStart={}\n", sb.daemon("listen-fds.py")),
    );
    // A client enabled for the boot, not ordered after the socket: sockets.target is.
    sb.unit(
        "client.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\n\
         ExecStart=/usr/bin/python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); \
         s.connect('/run/api.sock'); open('/run/answer', 'w').write(s.makefile().readline())\"\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    let o = sb.systemctl(&["enable", "api.socket", "client.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let link = sb.run(&[
        "test",
        "-L",
        "/etc/systemd/system/sockets.target.wants/api.socket",
    ]);
    assert_eq!(link.code, 0, "{o:?}");
    sb.boot(&[]);
    sb.wait_for_prop("client.service", "ActiveState", "active");
    let pid = sb.main_pid("api.service");
    assert_eq!(
        sb.read("/run/answer").unwrap_or_default(),
        format!("pid={pid} fds=1 names=api.socket\n")
    );
}

#[test]
fn a_path_that_cannot_be_made_fails_the_socket_with_its_errno_and_a_stale_file_is_replaced() {
    let sb = Sandbox::new();
    sb.unit("nodir.socket", "[Socket]\nListenStream=/proc/nope/x.sock\n");
    sb.unit(
        "nodir.service",
        "[Service]\nExecStart=/bin/sleep infinity\n",
    );
    sb.unit("stale.socket", "[Socket]\nListenStream=/run/stale.sock\n");
    sb.unit(
        "stale.service",
        "[Service]\nExecStart=/bin/sleep infinity\n",
    );
    sb.file("/run/stale.sock", "left by an earlier run\n");
    let o = sb.systemctl(&["start", "nodir.socket"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert_eq!(sb.prop("nodir.socket", "Result"), "resources");
    let status = sb.systemctl(&["status", "nodir.socket"]);
    assert_eq!(status.code, 3, "{status:?}");
    for line in [
        "Active: failed (Result: resources)",
        "nodir.socket: Failed to create listening socket (/proc/nope/x.sock): No such file or directory",
        "nodir.socket: Failed to listen on sockets: No such file or directory",
        "nodir.socket: Failed with result 'resources'.",
        "Failed to listen on nodir.socket.",
    ] {
        assert!(status.stdout.contains(line), "{line:?} in {status:?}");
    }
    sb.quiet_ok(&["start", "stale.socket"]);
    let kind = sb.run(&["stat", "-c", "%F", "/run/stale.sock"]);
    assert_eq!(kind.stdout, "socket\n");
}

#[test]
fn standard_input_socket_is_the_listener_with_accept_no_and_needs_exactly_one_socket() {
    let sb = Sandbox::new();
    sb.unit("wait.socket", "[Socket]\nListenStream=/run/wait.sock\n");
    // inetd's "wait" style: the service accepts on its stdin.
    sb.unit(
        "wait.service",
        "[Service]\nStandardInput=socket\nStandardOutput=journal\n\
         ExecStart=/usr/bin/python3 -c \"import os,socket; l = socket.socket(fileno=0); \
         c, _ = l.accept(); c.sendall(('fds=' + os.environ.get('LISTEN_FDS', 'none') + '\\\\n').encode())\"\n",
    );
    sb.quiet_ok(&["start", "wait.socket"]);
    assert_eq!(request(&sb, "/run/wait.sock"), "fds=none\n");
    // Started without its socket, there is nothing to put on stdin: the command is refused.
    sb.unit(
        "alone.service",
        "[Service]\nStandardInput=socket\nExecStart=/bin/cat\n",
    );
    let o = sb.systemctl(&["start", "alone.service"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert_eq!(sb.prop("alone.service", "Result"), "resources");
    let log = sb.journalctl(&["-u", "alone.service"]);
    assert!(
        log.stdout.contains("alone.service: Got no socket."),
        "{log:?}"
    );
}

#[test]
fn a_manager_killed_while_the_service_serves_leaves_its_listener_alone_until_it_stops() {
    let sb = Sandbox::new();
    sb.unit("keep.socket", "[Socket]\nListenStream=/run/keep.sock\n");
    sb.unit(
        "keep.service",
        &format!("[Service]\nExecStart={}\n", sb.daemon("listen-fds.py")),
    );
    sb.quiet_ok(&["start", "keep.socket"]);
    let first = request(&sb, "/run/keep.sock");
    let pid = sb.main_pid("keep.service");
    sb.kill_manager();
    sb.quiet_ok(&["start", "keep.socket"]);
    // The service still owns the path: it goes on serving on it.
    assert_eq!(sb.prop("keep.socket", "SubState"), "running");
    assert_eq!(request(&sb, "/run/keep.sock"), first);
    // Once it stops, the socket listens again and the next connection starts it anew.
    let o = sb.systemctl(&["stop", "keep.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.wait_for_prop("keep.socket", "SubState", "listening");
    let again = request(&sb, "/run/keep.sock");
    let new_pid = sb.main_pid("keep.service");
    assert_ne!(new_pid, pid);
    assert_eq!(again, format!("pid={new_pid} fds=1 names=keep.socket\n"));
}

#[test]
fn a_hundred_concurrent_connections_each_get_their_own_running_instance() {
    let sb = Sandbox::new();
    sb.unit(
        "many.socket",
        "[Socket]\nListenStream=/run/many.sock\nAccept=yes\nMaxConnections=128\n",
    );
    sb.unit(
        "many@.service",
        "[Service]\nStandardInput=socket\nExecStart=/bin/sh -c 'echo %i; exec cat'\n",
    );
    sb.quiet_ok(&["start", "many.socket"]);
    // All connected and greeted before any hangs up: a hundred instances run at once.
    let script = "import socket, sys\n\
        conns = []\n\
        for _ in range(100):\n    s = socket.socket(socket.AF_UNIX); s.connect('/run/many.sock'); s.settimeout(60); conns.append(s)\n\
        names = {s.makefile().readline().strip() for s in conns}\n\
        print(len(names))\n\
        sys.stdout.flush()\n\
        sys.stdin.readline()\n";
    let mut client = std::process::Command::new("nsenter")
        .arg(format!("--target={}", sb.pid1()))
        .args(["--pid", "--mount", "--", "python3", "-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("client");
    let mut out = std::io::BufReader::new(client.stdout.take().expect("client stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).expect("client's count");
    assert_eq!(line, "100\n", "distinct instance names");
    assert_eq!(instances(&sb, "many").len(), 100);
    assert_eq!(sb.prop("many.socket", "NConnections"), "100");
    drop(client.stdin.take());
    assert!(client.wait().expect("client exit").success());
    sb.wait_until(
        "the instances are collected",
        std::time::Duration::from_secs(60),
        || instances(&sb, "many").is_empty(),
    );
    assert_eq!(sb.prop("many.socket", "NAccepted"), "100");
}

/// execute.c's flags_fds(): the listener reaches the service blocking, so a blocking accept()
/// waits for the next connection instead of failing with EAGAIN once the first is served;
/// NonBlocking=yes keeps O_NONBLOCK.
#[test]
fn passed_listeners_are_blocking_unless_non_blocking_is_set() {
    let sb = Sandbox::new();
    let server = "ExecStart=/usr/bin/python3 -c \"import os,socket; \
                  l = socket.socket(fileno=3); \
                  nb = 'yes' if os.get_blocking(3) is False else 'no'; \
                  [l.accept()[0].sendall(('nonblock=' + nb + '\\\\n').encode()) for _ in range(2)]\"\n";
    for (name, extra, want) in [("blk", "", "no"), ("nb", "NonBlocking=yes\n", "yes")] {
        sb.unit(
            &format!("{name}.socket"),
            &format!("[Socket]\nListenStream=/run/{name}.sock\n"),
        );
        sb.unit(
            &format!("{name}.service"),
            &format!("[Service]\n{extra}{server}"),
        );
        sb.quiet_ok(&["start", &format!("{name}.socket")]);
        let address = format!("/run/{name}.sock");
        // Twice: the second accept() is the one a non-blocking listener could fail.
        assert_eq!(
            request(&sb, &address),
            format!("nonblock={want}\n"),
            "{name}"
        );
        if want == "no" {
            assert_eq!(request(&sb, &address), "nonblock=no\n", "{name}");
        }
    }
}
