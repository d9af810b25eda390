//! The multi-call tools besides systemctl, run as users run them (our binary under the tool's
//! name): systemd-notify, systemd-detect-virt and systemd-escape. Where this machine has systemd
//! 252's own tools they are the oracle: the same command line must give the same stdout, stderr
//! and exit status (skipped with a note where a tool is missing). What only a socket or a private
//! mount namespace can show is checked directly: the datagrams systemd-notify sends to a socket
//! the test binds, `--booted` with and without a running manager, and detect-virt's answers with
//! /run staged as container managers leave it. No fixed sleeps: every wait has a deadline.

mod common;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::symlink;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::sandbox::Sandbox;
use common::{Outcome, OUR_SYSTEMCTL};

/// How long a datagram or a process exit may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(20);

/// Variables that change what these tools do; neither ours nor the real ones may see the test
/// runner's.
const TOOL_VARIABLES: &[&str] = &[
    "NOTIFY_SOCKET",
    "MANAGERPID",
    "SYSTEMD_IGNORE_CHROOT",
    "POSIXLY_CORRECT",
];

/// Our binary under a tool's name, in a temporary directory of its own.
struct Ours {
    _dir: tempfile::TempDir,
    path: PathBuf,
    name: &'static str,
}

impl Ours {
    fn new(name: &'static str) -> Ours {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        symlink(OUR_SYSTEMCTL, &path).expect("symlink multi-call name");
        Ours {
            _dir: dir,
            path,
            name,
        }
    }

    /// A command for it with argv[0] as a shell running it from PATH would give, so getopt's
    /// messages (which start with argv[0]) compare with the real tool's.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.path);
        cmd.arg0(self.name).args(args);
        clean_environment(&mut cmd);
        cmd
    }

    fn run(&self, args: &[&str]) -> Outcome {
        self.command(args).output().expect("run our tool").into()
    }
}

fn clean_environment(cmd: &mut Command) {
    for v in TOOL_VARIABLES {
        cmd.env_remove(v);
    }
}

/// The machine's real tool, or `None` (with a note) where it is not installed.
fn real_tool(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin").join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("note: {name} is not installed; skipping the comparison with it");
        None
    }
}

fn run_real(path: &PathBuf, name: &str, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(path);
    cmd.arg0(name).args(args);
    clean_environment(&mut cmd);
    cmd.output().expect("run the real tool").into()
}

/// Each command line must give the same stdout, stderr and exit status from both tools.
fn assert_same_as_real(name: &'static str, cases: &[&[&str]]) {
    let Some(real) = real_tool(name) else {
        return;
    };
    let ours = Ours::new(name);
    for args in cases {
        assert_eq!(
            ours.run(args),
            run_real(&real, name, args),
            "{name} {args:?}: ours (left) and systemd's (right) differ"
        );
    }
}

/// One datagram as the manager would receive it.
#[derive(Debug)]
struct Datagram {
    text: String,
    /// The pid the kernel vouches for (SCM_CREDENTIALS with SO_PASSCRED).
    sender_pid: Option<i32>,
    fds: Vec<OwnedFd>,
}

/// A notification socket the test binds, as the manager does: SO_PASSCRED on, fds accepted.
struct Receiver {
    socket: UnixDatagram,
    /// What `$NOTIFY_SOCKET` says to reach it.
    address: String,
    _dir: Option<tempfile::TempDir>,
}

impl Receiver {
    fn with_socket(socket: UnixDatagram, address: String, dir: Option<tempfile::TempDir>) -> Self {
        nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::PassCred, &true)
            .expect("SO_PASSCRED");
        socket
            .set_read_timeout(Some(DEADLINE))
            .expect("receive deadline");
        Receiver {
            socket,
            address,
            _dir: dir,
        }
    }

    fn bind_path() -> Receiver {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&path).expect("bind notify socket");
        Receiver::with_socket(socket, path.display().to_string(), Some(dir))
    }

    fn bind_abstract() -> Receiver {
        use std::os::linux::net::SocketAddrExt;
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "systemctl-shim-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
            .expect("abstract address");
        let socket = UnixDatagram::bind_addr(&addr).expect("bind abstract notify socket");
        Receiver::with_socket(socket, format!("@{name}"), None)
    }

    /// The next datagram; fails the test if none comes before the deadline.
    fn receive(&self) -> Datagram {
        use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, UnixAddr, UnixCredentials};
        let mut buf = vec![0u8; 65536];
        let mut iov = [std::io::IoSliceMut::new(&mut buf)];
        let mut cmsg = nix::cmsg_space!(UnixCredentials, [i32; 8]);
        let msg = recvmsg::<UnixAddr>(
            self.socket.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .unwrap_or_else(|e| panic!("no datagram within {DEADLINE:?}: {e}"));
        let mut sender_pid = None;
        let mut fds = Vec::new();
        for c in msg.cmsgs().expect("control messages") {
            match c {
                ControlMessageOwned::ScmCredentials(cred) => sender_pid = Some(cred.pid()),
                ControlMessageOwned::ScmRights(raw) => {
                    // SAFETY: the kernel just installed these descriptors for us.
                    fds.extend(
                        raw.into_iter()
                            .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                    )
                }
                _ => {}
            }
        }
        let len = msg.bytes;
        Datagram {
            text: String::from_utf8_lossy(&buf[..len]).into_owned(),
            sender_pid,
            fds,
        }
    }
}

/// Wait for a child to exit, up to [`DEADLINE`]; its exit code.
fn wait_with_deadline(child: &mut Child) -> i32 {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child did not exit within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Run our systemd-notify with `$NOTIFY_SOCKET` pointing at `receiver`, which must not block on
/// the barrier (the test reads after the tool has exited).
fn notify_no_block(receiver: &Receiver, args: &[&str]) -> (Outcome, i32) {
    let ours = Ours::new("systemd-notify");
    let mut cmd = ours.command(args);
    cmd.arg("--no-block")
        .env("NOTIFY_SOCKET", &receiver.address)
        .stdin(Stdio::null());
    let child = cmd.spawn().expect("spawn systemd-notify");
    let pid = child.id() as i32;
    let out = child.wait_with_output().expect("wait for systemd-notify");
    (out.into(), pid)
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[test]
fn notify_sends_its_options_and_assignments_in_one_datagram() {
    let receiver = Receiver::bind_path();
    // A pid that cannot exist (above any pid_max): the kernel refuses it as the sender, so the
    // message goes out with the tool's own credentials, as sd-daemon falls back.
    let (out, pid) = notify_no_block(
        &receiver,
        &[
            "--ready",
            "--status=Up and running",
            "--pid=2147483647",
            "X_CUSTOM=yes",
            "STATUS=Overridden",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    let d = receiver.receive();
    assert_eq!(
        d.text,
        "READY=1\nSTATUS=Overridden\nMAINPID=2147483647\nX_CUSTOM=yes"
    );
    assert_eq!(d.sender_pid, Some(pid));
}

/// Sent as from the calling shell (our parent), so the manager attributes it to the service's
/// process rather than to a short-lived helper; this needs CAP_SYS_ADMIN, as root has.
#[test]
fn notify_speaks_for_its_parent_and_waits_on_a_barrier() {
    let receiver = Receiver::bind_path();
    let ours = Ours::new("systemd-notify");
    let mut child = ours
        .command(&["--ready", "--status=Serving"])
        .env("NOTIFY_SOCKET", &receiver.address)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn systemd-notify");
    let first = receiver.receive();
    assert_eq!(first.text, "READY=1\nSTATUS=Serving");
    let expected_sender = if is_root() {
        std::process::id() as i32
    } else {
        child.id() as i32
    };
    assert_eq!(first.sender_pid, Some(expected_sender));
    // Not done until the manager has taken the message: BARRIER=1 carries a pipe's write end,
    // and the tool waits until it is closed.
    let barrier = receiver.receive();
    assert_eq!(barrier.text, "BARRIER=1");
    assert_eq!(barrier.fds.len(), 1);
    assert_eq!(barrier.sender_pid, Some(child.id() as i32));
    drop(barrier);
    assert_eq!(wait_with_deadline(&mut child), 0);
}

#[test]
fn notify_stopping_and_reloading() {
    let receiver = Receiver::bind_path();
    let (out, _) = notify_no_block(&receiver, &["--stopping"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(receiver.receive().text, "STOPPING=1");

    let (out, _) = notify_no_block(&receiver, &["--reloading"]);
    assert_eq!(out.code, 0, "{out:?}");
    let text = receiver.receive().text;
    let usec = text
        .strip_prefix("RELOADING=1\nMONOTONIC_USEC=")
        .unwrap_or_else(|| panic!("unexpected reload message {text:?}"));
    assert!(usec.parse::<u64>().is_ok_and(|u| u > 0), "{text:?}");
}

#[test]
fn notify_reaches_an_abstract_socket() {
    let receiver = Receiver::bind_abstract();
    let (out, _) = notify_no_block(&receiver, &["--status=abstract", "--pid=self"]);
    assert_eq!(out.code, 0, "{out:?}");
    let d = receiver.receive();
    assert!(
        d.text.starts_with("STATUS=abstract\nMAINPID="),
        "{:?}",
        d.text
    );
}

/// A failing tool tells the service manager why (systemd's main(): `ERRNO=`), then exits 1.
#[test]
fn failing_tools_report_errno_to_the_manager() {
    let receiver = Receiver::bind_path();
    for (name, args, stderr) in [
        (
            "systemd-notify",
            &["--pid=abc"][..],
            "Failed to parse PID abc.\n",
        ),
        (
            "systemd-detect-virt",
            &["x"][..],
            "systemd-detect-virt takes no arguments.\n",
        ),
        ("systemd-escape", &[][..], "Not enough arguments.\n"),
    ] {
        let o: Outcome = Ours::new(name)
            .command(args)
            .env("NOTIFY_SOCKET", &receiver.address)
            .output()
            .expect("run tool")
            .into();
        assert_eq!((o.code, o.stderr.as_str()), (1, stderr), "{name} {args:?}");
        assert_eq!(receiver.receive().text, "ERRNO=22", "{name} {args:?}");
    }
}

#[test]
fn notify_without_a_socket_fails_as_systemds() {
    let ours = Ours::new("systemd-notify");
    let o = ours.run(&["--ready"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (
            1,
            "",
            "No status data could be sent: $NOTIFY_SOCKET was not set\n"
        )
    );
    // Nothing to send is a usage error: the help, exit 1.
    let o = ours.run(&[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout
            .starts_with("systemd-notify [OPTIONS...] [VARIABLE=VALUE...]\n"),
        "{o:?}"
    );
    assert_same_as_real(
        "systemd-notify",
        &[
            &["--ready"],
            &["--status=x", "A=1"],
            &["--pid"],
            &["--pid=abc"],
            &["--pid=0"],
            &["--pid=-5"],
            &["--uid=nosuchuser", "--ready"],
            &["--uid=65535", "--ready"],
            &["--status"],
            &["--ready=1"],
            &["-x"],
            &["--bogus"],
            &["--re"],
            &["--s=x"],
            &["--", "--ready"],
            &["--booted"],
        ],
    );
}

/// sd_booted(): a marker directory the manager creates while it runs.
#[test]
fn notify_booted_follows_the_managers_marker() {
    let ours = Ours::new("systemd-notify");
    let host = ours.run(&["--booted"]);
    let booted = std::path::Path::new("/run/systemd/system").is_dir();
    assert_eq!(
        (host.code, host.stdout.as_str(), host.stderr.as_str()),
        (i32::from(!booted), "", "")
    );

    let sb = Sandbox::new();
    let notify = "/run/multicall-bin/systemd-notify";
    std::fs::create_dir_all(sb.host_path("/run/multicall-bin")).expect("mkdir bin dir");
    symlink(OUR_SYSTEMCTL, sb.host_path(notify)).expect("link systemd-notify");
    assert_eq!(sb.run(&[notify, "--booted"]).code, 1, "no manager yet");

    // A Type=notify service whose shell script reports through our systemd-notify: accepted
    // under NotifyAccess=main because the message names the script, the main process.
    sb.unit(
        "scripted.service",
        &format!(
            "[Service]\nType=notify\nTimeoutStartSec=30\n\
             ExecStart=/bin/sh -c '{notify} --status=Serving --ready && exec sleep 1000'\n"
        ),
    );
    let o = sb.systemctl(&["start", "scripted.service"]);
    assert_eq!(o.code, 0, "start: {o:?}");
    assert_eq!(sb.prop("scripted.service", "ActiveState"), "active");
    assert_eq!(sb.prop("scripted.service", "StatusText"), "Serving");
    assert_eq!(sb.run(&[notify, "--booted"]).code, 0, "manager running");
}

#[test]
fn detect_virt_matches_the_real_one_here() {
    assert_same_as_real(
        "systemd-detect-virt",
        &[
            &[],
            &["-c"],
            &["--container", "-q"],
            &["-v"],
            &["--vm"],
            &["-r"],
            &["--private-users"],
            &["-cv"],
            &["--list"],
            &["--list", "--bogus"],
            &["x"],
            &["--c"],
            &["--cont"],
            &["--vm=1"],
            &["-h"],
        ],
    );
}

/// Inside a private mount namespace /run can be staged as container managers leave it, and the
/// answers compared with systemd-detect-virt 252's there.
#[test]
fn detect_virt_in_staged_containers_matches_the_real_one() {
    let Some(real) = real_tool("systemd-detect-virt") else {
        return;
    };
    let real = real.display().to_string();
    let sb = Sandbox::new();
    let ours = "/run/multicall-bin/systemd-detect-virt";
    std::fs::create_dir_all(sb.host_path("/run/multicall-bin")).expect("mkdir bin dir");
    symlink(OUR_SYSTEMCTL, sb.host_path(ours)).expect("link systemd-detect-virt");
    let compare = |scenario: &str| {
        for args in [
            &["-c"][..],
            &[][..],
            &["-q", "--container"][..],
            &["-r"][..],
        ] {
            let run = |tool: &str| {
                let mut argv = vec![tool];
                argv.extend_from_slice(args);
                sb.run(&argv)
            };
            assert_eq!(run(ours), run(&real), "{scenario}: {args:?}");
        }
    };
    compare("nothing staged");
    for manager in ["lxc", "oci", "systemd-nspawn", "docker ", "", "podman"] {
        sb.file("/run/host/container-manager", &format!("{manager}\n"));
        compare(&format!("/run/host/container-manager says {manager:?}"));
    }
    sb.file("/run/host/container-manager", "");
    compare("an empty /run/host/container-manager");
    std::fs::remove_file(sb.host_path("/run/host/container-manager")).expect("rm");
    std::fs::create_dir(sb.host_path("/run/host/container-manager")).expect("mkdir");
    compare("an unreadable /run/host/container-manager");
    std::fs::remove_dir(sb.host_path("/run/host/container-manager")).expect("rmdir");
    sb.file("/run/systemd/container", "lxc-libvirt\n");
    compare("/run/systemd/container");
    std::fs::remove_file(sb.host_path("/run/systemd/container")).expect("rm");
    sb.file("/run/.containerenv", "");
    compare("podman's /run/.containerenv");

    // In a chroot: PID 1's root (readable here, in the sandbox's pid namespace) is not ours.
    let o = sb.sh(&format!(
        "set -e; mkdir -p /run/chroot/usr /run/chroot/proc /run/chroot/shim
         for l in bin lib lib64 sbin; do [ -e /$l ] && ln -s usr/$l /run/chroot/$l; done
         mount --bind /usr /run/chroot/usr; mount --bind /proc /run/chroot/proc
         cp {OUR_SYSTEMCTL} /run/chroot/shim/systemd-detect-virt
         for tool in {real} /shim/systemd-detect-virt; do
             chroot /run/chroot $tool --chroot && echo yes || echo no
             SYSTEMD_IGNORE_CHROOT=1 chroot /run/chroot $tool --chroot && echo yes || echo no
         done"
    ));
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "yes\nno\nyes\nno\n"),
        "{o:?}"
    );
}

#[test]
fn escape_matches_the_real_one() {
    let long = |n: usize| "a".repeat(n);
    let (a250, a255, a256, a300) = (
        format!("/{}", long(250)),
        format!("/{}", long(255)),
        format!("/{}", long(256)),
        long(300),
    );
    assert_same_as_real(
        "systemd-escape",
        &[
            // Option parsing as glibc's getopt_long: errors, abbreviations, permutation, `--`.
            &[],
            &["-u"],
            &["-x"],
            &["--bogus=1"],
            &["--help=3"],
            &["--template"],
            &["--=x"],
            &["---x"],
            &["-ux"],
            &["--temp=foo@.service", "x"],
            &["--u", "x"],
            &["--in", "-u", "a@b.service"],
            &["a", "-p", "/b"],
            &["x", "--", "-y"],
            &["-"],
            // The last of -u and -m wins; combinations refused in systemd's order.
            &["-m", "-u", "foo"],
            &["-u", "-m", "foo"],
            &["--suffix", "foo"],
            &["--suffix=", "foo"],
            &["--template=foo@.service", "--suffix=service", "x"],
            &["--template=a@.service", "--suffix=mount", "-m", "x"],
            &["--suffix=mount", "-m", "-u", "x"],
            &["-p", "-m", "--instance", "x"],
            &["--instance", "--template=a@.service", "-u", "x"],
            &["--instance", "--template=a@.service", "x"],
            &["--suffix=bogus", "--template=x"],
            &["--template=x", "--suffix=bogus"],
            &["a", "--template=bad", "b"],
            // Escaping, paths, templates, suffixes.
            &["foo bar", "baz/qux", ".hidden", "ü"],
            &["-p", "/", "", "//", "/a//b/", "/a/./b"],
            &["-p", "a/b"],
            &["-p", "/a/../b"],
            &["-p", "/a", "/b/../c"],
            &["-p", &a255],
            &["-p", &a256],
            &["--suffix=mount", "-p", "/mnt/data"],
            &["--template=foo@.service", "a b", "c/d"],
            &["--template=foo@.service", ""],
            &["--template=foo@.service", &a300],
            &["--template=foo@.socket", "-p", "/var/lib"],
            // Unescaping, with instances and templates.
            &["-u", "foo\\x20bar-baz"],
            &["-u", "a\\x2db", "bad\\"],
            &["-u", "-p", "a-b", "c--d"],
            &["-u", "-p", "-"],
            &["--instance", "-u", "foo@a\\x20b.service"],
            &["--instance", "-u", "foo.service"],
            &["--instance", "-u", "notaunit"],
            &["--template=foo@.service", "-u", "foo@bar.service"],
            &["--template=foo@.service", "-u", "bar@baz.service"],
            &["--template=foo@.service", "-u", "-p", "foo@var-lib.service"],
            // Mangling: names, paths to device and mount units (hashed when too long), globs.
            &[
                "-m",
                "nginx",
                "foo.bar",
                "a@b",
                "foo*",
                "/dev/sda",
                "/sys/foo",
                "//dev/sda",
            ],
            &["-m", "/", "/dev", "/dev/", "/mnt/x/", "/a/../b", ".service"],
            &["-m", "@foo.service"],
            &["-m", "a b", ""],
            &["-m", &a250],
        ],
    );
}

/// `runlevel`, which Debian's systemd-sysv links to systemctl and invoke-rc.d reads in maintainer
/// scripts: one line, `unknown` (exit 1) until a runlevel target is active, then `N 3` for
/// multi-user.target.
#[test]
fn runlevel_answers_with_the_active_target_as_invoke_rc_d_expects() {
    let sb = Sandbox::new();
    let link = sb.run(&["ln", "-s", sb.systemctl_path(), "/run/runlevel"]);
    assert_eq!(link.code, 0, "{link:?}");
    let o = sb.run(&["/run/runlevel"]);
    assert_eq!((o.stdout.as_str(), o.code), ("unknown\n", 1), "{o:?}");
    let o = sb.systemctl(&["start", "multi-user.target"]);
    assert_eq!(o.code, 0, "{o:?}");
    let o = sb.run(&["/run/runlevel"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        ("N 3\n", "", 0)
    );
    let o = sb.run(&["/run/runlevel", "5"]);
    assert_eq!((o.stderr.as_str(), o.code), ("Too many arguments.\n", 1));
}

/// The other names systemd-sysv links to systemctl: `telinit`, `shutdown`, `halt`, `poweroff`
/// and `reboot` do what the systemctl verb they stand for does.
#[test]
fn telinit_shutdown_and_reboot_stand_for_their_systemctl_verbs() {
    let sb = Sandbox::new();
    for name in ["telinit", "shutdown", "halt", "reboot"] {
        let link = sb.run(&["ln", "-s", sb.systemctl_path(), &format!("/run/{name}")]);
        assert_eq!(link.code, 0, "{link:?}");
    }
    sb.unit("app.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    let o = sb.systemctl(&["start", "app.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    // `telinit q` is a daemon-reload; `halt -w` would only write wtmp, which is not here.
    let o = sb.run(&["/run/telinit", "q"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{o:?}");
    let o = sb.run(&["/run/halt", "-w"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{o:?}");
    let o = sb.run(&["/run/shutdown", "-r", "+5"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            1,
            "shutdown: Scheduled shutdowns need systemd-logind, which does not run here; use \"shutdown now\".\n"
        )
    );
    assert_eq!(sb.prop("app.service", "ActiveState"), "active");
    // `reboot` stops every unit and ends the manager, as `systemctl reboot` does.
    let o = sb.run(&["/run/reboot"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.wait_until("the manager is gone", DEADLINE, || {
        sb.manager_pids().is_empty()
    });
    let o = sb.systemctl(&["is-active", "app.service"]);
    assert_eq!(o.stdout, "inactive\n");
}
