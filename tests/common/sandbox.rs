//! A private machine for manager tests: every `Sandbox` is its own PID and mount namespace, so a
//! test's manager, services and files never touch the host's `/run`, `/etc` or processes, and all
//! of them die with the sandbox.
//!
//! Layout inside (set up by `unshare --pid --fork --mount-proc --mount --propagation private`):
//! - `/run`, `/etc/systemd/system`, `/tmp`, `/var/tmp`, `/var/lib`, `/var/log`, `/var/cache`:
//!   fresh tmpfs (a directory holding the repository or the binary under test is left alone);
//! - `/etc`: a copy-on-write overlay of the host's (`sb.file("/etc/default/x", …)` or a new
//!   `/etc/passwd` line stay inside);
//! - `/proc`: the namespace's own, so `ps`/`pgrep` inside see only the sandbox;
//! - `/dev`: a tmpfs with the host's null, zero, full, random, urandom and tty, a devpts and a
//!   /dev/shm of its own, as a container runtime makes it;
//! - everything else (`/usr`, the repository, the built binary) is the host's, read as is.
//!
//! PID 1 is a tiny reaper (python3) so that orphans, such as a daemon whose manager was killed,
//! are reaped as under a real init. Commands run with `nsenter` into both namespaces, with a clean
//! environment (`PATH` only), stdin from /dev/null and output captured in files (a daemon keeping
//! an inherited descriptor cannot stall a test). Every command has a deadline.
//!
//! Tests need root (`unshare`, `mount`), which CI and the development container have.

use std::fs;
use std::io::{BufRead, BufReader, Read, Seek};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Outcome, OUR_SYSTEMCTL};

/// The `PATH` every command inside gets (systemd's default for services).
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// How long one command may run before the test fails (generous: CI machines are slow).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// The default deadline of [`Sandbox::wait_for_file`] and friends.
pub const WAIT: Duration = Duration::from_secs(30);
/// Where the multi-call links (`journalctl` → our binary) live inside.
const BIN_DIR: &str = "/run/sandbox-bin";
/// The names our binary answers to that an init sandbox links in [`BIN_DIR`].
const MULTI_CALL_NAMES: [&str; 8] = [
    "journalctl",
    "init",
    "systemd",
    "systemctl",
    "systemd-notify",
    "systemd-run",
    "systemd-escape",
    "systemd-detect-virt",
];

/// Directories that get an empty tmpfs inside, unless they hold the repository or the binary.
const TMPFS_DIRS: &[&str] = &["/tmp", "/var/tmp", "/var/lib", "/var/log", "/var/cache"];

/// Runs inside the new namespaces as `sh -c SETUP sh INIT DIR…`, before anything else.
const SETUP: &str = r#"
set -eu
init=$1; shift
# /etc becomes a copy-on-write overlay whose upper layer lives on a scratch tmpfs. The scratch
# mount is then detached (the overlay keeps its own reference) so nothing of it shows in /run.
mount -t tmpfs -o mode=0755 sandbox-scratch /run
mkdir /run/etc-upper /run/etc-work
mount -t overlay sandbox-etc -o lowerdir=/etc,upperdir=/run/etc-upper,workdir=/run/etc-work /etc
umount -l /run
mount -t tmpfs -o mode=0755 sandbox-run /run
mkdir -p /etc/systemd/system  # on the overlay: a host without systemd lacks it
mount -t tmpfs -o mode=0755 sandbox-units /etc/systemd/system
# A /dev of its own, as container runtimes make it: the manager links /dev/log to its journal
# socket when nothing is there, which must not reach the host's /dev.
mkdir /run/sandbox-hostdev
# (recursive: in a user namespace the host's /dev and its submounts are locked together)
mount --rbind /dev /run/sandbox-hostdev
mount -t tmpfs -o mode=0755,nosuid sandbox-dev /dev
for n in null zero full random urandom tty; do
    : >"/dev/$n"
    mount --bind "/run/sandbox-hostdev/$n" "/dev/$n"
done
umount -l /run/sandbox-hostdev
rmdir /run/sandbox-hostdev
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev sandbox-shm /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
# The code under test may live below a directory that gets a tmpfs (a checkout in /tmp): it is
# bind-mounted aside first and moved back on top, so the sandbox never shares the host's /tmp
# (an init's boot-time tmpfiles would empty it).
mkdir /run/sandbox-keep
for dir in "$@"; do
    [ -d "$dir" ] || continue  # never create directories on the host
    kept=""
    n=0
    for keep in $SANDBOX_KEEP; do
        case "$keep" in "$dir"/*)
            n=$((n + 1))
            mkdir "/run/sandbox-keep/$n"
            mount --bind "$keep" "/run/sandbox-keep/$n"
            kept="$kept $n:$keep" ;;
        esac
    done
    case "$dir" in
        /tmp|/var/tmp) mount -t tmpfs -o mode=1777 sandbox-tmp "$dir" ;;
        *) mount -t tmpfs -o mode=0755 sandbox-var "$dir" ;;
    esac
    for pair in $kept; do
        mkdir -p "${pair#*:}"
        mount --move "/run/sandbox-keep/${pair%%:*}" "${pair#*:}"
    done
done
rm -rf /run/sandbox-keep
# mount(8) leaves /run/mount (its utab) behind; the sandbox's /run starts empty.
rm -rf /run/mount
if [ "$init" = IMAGE ]; then
    # A container image with systemd installed, as systemd 252 itself runs in one: the host's
    # unit directories and helpers are the image's; /var is the image's own (empty) tree; the
    # cgroup2 hierarchy of the sandbox's own cgroup namespace is mounted where systemd wants it.
    mount -t tmpfs -o mode=0755 sandbox-var /var
    mkdir -p /var/lib /var/log /var/cache /var/spool
    mkdir -m 1777 /var/tmp
    ln -s ../run/lock /var/lock
    ln -s ../run /var/run
    umount -l /sys/fs/cgroup 2>/dev/null || true
    mount -t cgroup2 sandbox-cgroup /sys/fs/cgroup
    echo ready
    read -r name args
    case "$name" in
        /*) exec "$name" $args ;;
        *) exec /run/sandbox-bin/$name $args ;;
    esac
fi
if [ "$init" = BOOT ]; then
    # An image without systemd: the host's own units are not part of it, nor are the host's
    # packages' SysV start links (the scripts stay, as an image's would, but none is enabled).
    for dir in /usr/lib/systemd/system /lib/systemd/system; do
        [ -d "$dir" ] && ! mountpoint -q "$dir" && mount -t tmpfs -o mode=0755 sandbox-lib "$dir"
    done
    for dir in /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc6.d /etc/rcS.d; do
        [ -d "$dir" ] && mount -t tmpfs -o mode=0755 sandbox-rc "$dir"
    done
    echo ready
    # The test lays out the image, then says which name (argv[0]) and arguments PID 1 runs with.
    read -r name args
    exec /run/sandbox-bin/$name $args
fi
echo ready
exec python3 -c "$init"
"#;

/// PID 1 of the sandbox: reaps every child (orphans are reparented to it) until killed.
const INIT: &str = r#"
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
sys.stdout.close()
while True:
    signal.sigwait({signal.SIGCHLD})
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
"#;

/// What a sandbox's PID 1 is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A tiny reaper; the test starts our manager on demand.
    Reaper,
    /// Our init, in an image without systemd.
    Init,
    /// Our init or systemd 252, in an image with systemd installed.
    Image,
}

pub struct Sandbox {
    /// The `unshare` process (in the host's namespaces).
    holder: Mutex<Child>,
    /// For a sandbox booted by our init: where the boot command line is written.
    boot_line: Mutex<Option<std::process::ChildStdin>>,
    /// The exit status of the sandbox's PID 1, once it ended.
    exit: Mutex<Option<i32>>,
    holder_stdout: Arc<Mutex<String>>,
    /// Host pid of the namespace's pid 1.
    pid1: i32,
    holder_stderr: Arc<Mutex<String>>,
    /// A rootless sandbox: commands also enter its user namespace.
    user_ns: bool,
    /// An image sandbox: commands also enter its cgroup and UTS namespaces.
    image: bool,
    /// An image sandbox's own cgroup (host path), the root of its cgroup namespace: removed
    /// with the sandbox.
    cgroup: Option<PathBuf>,
}

impl Sandbox {
    /// A fresh sandbox with its tmpfs mounts in place. Panics with the reason if it cannot be
    /// made (not root, no `unshare`, no overlayfs).
    pub fn new() -> Sandbox {
        Sandbox::create(false)
    }

    /// A sandbox whose PID 1 will be our binary as `init` (`/run/sandbox-bin/init`), with an
    /// image that has no systemd units of its own: write the units, then [`Sandbox::boot`].
    /// Until then a shell holds PID 1.
    pub fn for_init() -> Sandbox {
        Sandbox::create(true)
    }

    /// [`Sandbox::for_init`] in a rootless container: the namespaces are made by `uid` (with
    /// gid `uid` and no supplementary groups) with `unshare --user --map-root-user`, so PID 1 is
    /// root inside and `uid` outside, with no privilege over anything the namespace does not
    /// own. Commands run as root inside (`nsenter --user`). `uid` must be able to reach the
    /// repository and the binary.
    pub fn for_init_rootless(uid: u32) -> Sandbox {
        Sandbox::create_with(true, Some(uid))
    }

    /// A sandbox shaped as a container image that has systemd 252 installed (the host's
    /// `/lib/systemd`, its units and generators), with its own cgroup and UTS namespaces, a
    /// cgroup2 mount, an empty tmpfs `/var` and `container=docker` for PID 1, whose PID 1 will
    /// be either the real manager or ours: [`Sandbox::boot_image`]. This is where the two are
    /// compared at runtime.
    pub fn for_image() -> Sandbox {
        Sandbox::create_shaped(Shape::Image, None)
    }

    fn create(init: bool) -> Sandbox {
        Sandbox::create_with(init, None)
    }

    fn create_with(init: bool, rootless_uid: Option<u32>) -> Sandbox {
        let shape = if init { Shape::Init } else { Shape::Reaper };
        Sandbox::create_shaped(shape, rootless_uid)
    }

    fn create_shaped(shape: Shape, rootless_uid: Option<u32>) -> Sandbox {
        let init = shape != Shape::Reaper;
        // What must stay visible inside: the repository (fixtures, daemons) and the binary's
        // directory, each named once (not below another).
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let bin_dir = Path::new(OUR_SYSTEMCTL)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| manifest.clone());
        let mut keep = vec![manifest.display().to_string()];
        if !bin_dir.starts_with(&manifest) {
            keep.push(bin_dir.display().to_string());
        }
        let mut holder = match rootless_uid {
            None => Command::new("unshare"),
            Some(uid) => {
                let mut c = Command::new("setpriv");
                c.args([
                    format!("--reuid={uid}"),
                    format!("--regid={uid}"),
                    "--clear-groups".into(),
                    "--".into(),
                    "unshare".into(),
                    "--user".into(),
                    "--map-root-user".into(),
                ]);
                c
            }
        };
        // An image sandbox's cgroup namespace gets a cgroup of its own as root: two sandboxes
        // created from the same test process would otherwise share one cgroup tree, and two
        // managers would make, kill and remove each other's /system.slice/NAME.service.
        let cgroup = (shape == Shape::Image).then(own_cgroup).flatten();
        if let Some(dir) = &cgroup {
            use std::os::unix::process::CommandExt;
            let procs = std::ffi::CString::new(format!("{}/cgroup.procs", dir.display()))
                .expect("cgroup path without NUL");
            // SAFETY: between fork and exec only open(2), write(2) and close(2) run, on memory
            // prepared before the fork.
            unsafe {
                holder.pre_exec(move || {
                    let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                    if fd < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    let written = libc::write(fd, b"0".as_ptr().cast(), 1);
                    libc::close(fd);
                    if written != 1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut holder = holder
            .args([
                "--pid",
                "--fork",
                "--mount-proc",
                "--mount",
                "--propagation",
                "private",
            ])
            .args(match shape {
                Shape::Image => &["--cgroup", "--uts"][..],
                _ => &[],
            })
            .args([
                "--",
                "/bin/sh",
                "-c",
                SETUP,
                "sh",
                match shape {
                    Shape::Reaper => INIT,
                    Shape::Init => "BOOT",
                    Shape::Image => "IMAGE",
                },
            ])
            .args(match shape {
                Shape::Image => &["/tmp"][..],
                _ => TMPFS_DIRS,
            })
            .env_clear()
            .env("PATH", PATH)
            .envs(match shape {
                Shape::Image => vec![("container", "docker")],
                _ => vec![],
            })
            .env("SANDBOX_KEEP", keep.join(" "))
            .current_dir("/")
            .stdin(if init { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn unshare (util-linux) for the sandbox");

        let holder_stderr = Arc::new(Mutex::new(String::new()));
        let mut err = holder.stderr.take().expect("holder stderr");
        let sink = Arc::clone(&holder_stderr);
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = err.read_to_string(&mut buf);
            sink.lock().unwrap().push_str(&buf);
        });
        let out = holder.stdout.take().expect("holder stdout");
        let (tx, rx) = mpsc::channel();
        let holder_stdout = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&holder_stdout);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(out);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // What an init prints after that (its console) is kept for the test.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let ready = rx.recv_timeout(WAIT).unwrap_or_default();
        if ready.trim() != "ready" {
            let _ = holder.kill();
            let status = holder.wait();
            std::thread::sleep(Duration::from_millis(100));
            panic!(
                "the sandbox did not come up (tests need root, unshare and overlayfs): \
                 {status:?}\n{}",
                holder_stderr.lock().unwrap()
            );
        }
        let holder_pid = holder.id() as i32;
        let pid1 = children_of(holder_pid)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no namespace pid 1 below unshare ({holder_pid})"));
        let boot_line = holder.stdin.take();
        let sb = Sandbox {
            boot_line: Mutex::new(boot_line),
            holder_stdout,
            exit: Mutex::new(None),
            holder: Mutex::new(holder),
            pid1,
            holder_stderr,
            user_ns: rootless_uid.is_some(),
            image: shape == Shape::Image,
            cgroup,
        };
        assert_ne!(
            fs::read_link(format!("/proc/{pid1}/ns/pid")).ok(),
            fs::read_link("/proc/self/ns/pid").ok(),
            "the sandbox's pid 1 must be in a new pid namespace"
        );
        if sb.user_ns {
            // The namespace's tmpfs takes no inode from a uid it does not map (the host's root):
            // its own root makes them.
            let mut script = format!("mkdir -p {BIN_DIR}");
            for name in MULTI_CALL_NAMES {
                script.push_str(&format!(" && ln -s {OUR_SYSTEMCTL} {BIN_DIR}/{name}"));
            }
            let o = sb.sh(&script);
            assert_eq!(o.code, 0, "link the multi-call names: {o:?}");
            return sb;
        }
        fs::create_dir_all(sb.host_path(BIN_DIR)).expect("mkdir sandbox bin dir");
        for name in MULTI_CALL_NAMES {
            symlink(OUR_SYSTEMCTL, sb.host_path(&format!("{BIN_DIR}/{name}")))
                .unwrap_or_else(|e| panic!("link {name}: {e}"));
        }
        sb
    }

    /// Make our init PID 1 with `args` (for example `--unit=x.target`), and wait until its
    /// control socket answers.
    pub fn boot(&self, args: &[&str]) {
        self.boot_as("init", args)
    }

    /// [`Sandbox::boot`] with PID 1 running under another name: `systemctl` (an
    /// `ENTRYPOINT ["/usr/bin/systemctl"]`) or `systemd`.
    pub fn boot_as(&self, name: &str, args: &[&str]) {
        use std::io::Write;
        let mut line = self
            .boot_line
            .lock()
            .unwrap()
            .take()
            .expect("boot() needs Sandbox::for_init() and runs once");
        writeln!(line, "{name} {}", args.join(" ")).expect("write the boot line");
        drop(line);
        self.wait_until("the init answers", WAIT, || {
            self.exit_status().is_some()
                || self
                    .run(&[OUR_SYSTEMCTL, "is-system-running"])
                    .stdout
                    .trim()
                    != "offline"
        });
    }

    /// Make `init` PID 1 of a [`Sandbox::for_image`] sandbox (a path such as
    /// `/lib/systemd/systemd`, or `init` for ours) with `args`, and wait until `systemctl` (the
    /// one `env` puts first in `PATH`) says the boot is over.
    pub fn boot_image(&self, init: &str, args: &[&str], env: &[(&str, &str)]) {
        use std::io::Write;
        let mut line = self
            .boot_line
            .lock()
            .unwrap()
            .take()
            .expect("boot_image() needs Sandbox::for_image() and runs once");
        writeln!(line, "{init} {}", args.join(" ")).expect("write the boot line");
        drop(line);
        self.wait_until("the boot is over", WAIT, || {
            self.exit_status().is_some()
                || matches!(
                    self.run_env(env, &["systemctl", "is-system-running"])
                        .stdout
                        .trim(),
                    "running" | "degraded"
                )
        });
        if let Some(code) = self.exit_status() {
            panic!("PID 1 ({init}) ended with {code}:\n{}", self.console());
        }
    }

    /// Send `sig` to the sandbox's PID 1 from outside, as `docker stop`/`docker kill` do.
    pub fn signal_init(&self, sig: i32) {
        // SAFETY: kill(2) of the namespace's pid 1, which we started.
        unsafe {
            libc::kill(self.pid1, sig);
        }
    }

    /// The exit status of PID 1 once it has ended (`unshare --fork` passes it on).
    pub fn exit_status(&self) -> Option<i32> {
        let mut exit = self.exit.lock().unwrap();
        if exit.is_none() {
            let mut holder = self.holder.lock().unwrap_or_else(|e| e.into_inner());
            if let Ok(Some(status)) = holder.try_wait() {
                use std::os::unix::process::ExitStatusExt;
                *exit = Some(
                    status
                        .code()
                        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
                );
            }
        }
        *exit
    }

    /// Wait until PID 1 ends, and return its exit status.
    pub fn wait_exit(&self, timeout: Duration) -> i32 {
        self.wait_until("PID 1 ends", timeout, || self.exit_status().is_some());
        self.exit_status().unwrap_or(-1)
    }

    /// What the init printed (its console: stdout, then stderr).
    pub fn console(&self) -> String {
        format!(
            "{}{}",
            self.holder_stdout.lock().unwrap(),
            self.holder_stderr.lock().unwrap()
        )
    }

    /// Host pid of the sandbox's pid 1 (everything inside descends from it or from `nsenter`).
    pub fn pid1(&self) -> i32 {
        self.pid1
    }

    /// Host pid of the `unshare` process holding the namespaces.
    pub fn holder_pid(&self) -> i32 {
        self.holder.lock().unwrap().id() as i32
    }

    /// The host path under which `inside` (absolute) is seen with the sandbox's mounts.
    pub fn host_path(&self, inside: &str) -> PathBuf {
        assert!(inside.starts_with('/'), "{inside}: not an absolute path");
        PathBuf::from(format!("/proc/{}/root{inside}", self.pid1))
    }

    /// Write `/etc/systemd/system/NAME`.
    pub fn unit(&self, name: &str, content: &str) -> &Sandbox {
        self.file(&format!("/etc/systemd/system/{name}"), content)
    }

    /// Keep `unit` loaded once it is down, as an enabled service is (multi-user.target names
    /// it): a started target that names it. Without one, the manager collects a unit that went
    /// down, as systemd 252 does, and a later query sees it afresh, with no past run.
    pub fn keep_loaded(&self, unit: &str) {
        let holder = format!("hold-{unit}.target");
        self.unit(&holder, &format!("[Unit]\nAfter={unit}\n"));
        self.quiet_ok(&["start", &holder]);
    }

    /// Write any file inside (creating its directories), mode 0644.
    pub fn file(&self, inside: &str, content: &str) -> &Sandbox {
        if self.user_ns {
            // Written by the namespace's root (see create_with()).
            let o = self.run(&[
                "/bin/sh",
                "-c",
                "mkdir -p \"$(dirname \"$1\")\" && printf %s \"$2\" > \"$1\"",
                "sh",
                inside,
                content,
            ]);
            assert_eq!(o.code, 0, "write {inside} in sandbox: {o:?}");
            return self;
        }
        let p = self.host_path(inside);
        fs::create_dir_all(p.parent().expect("file has a parent")).expect("mkdir in sandbox");
        fs::write(&p, content).unwrap_or_else(|e| panic!("write {inside} in sandbox: {e}"));
        self
    }

    /// Write an executable file (mode 0755) inside, e.g. a small `#!/bin/sh` script.
    pub fn executable(&self, inside: &str, content: &str) -> &Sandbox {
        self.file(inside, content);
        fs::set_permissions(self.host_path(inside), fs::Permissions::from_mode(0o755))
            .expect("chmod in sandbox");
        self
    }

    /// Content of a file inside, if it exists.
    pub fn read(&self, inside: &str) -> Option<String> {
        fs::read_to_string(self.host_path(inside)).ok()
    }

    pub fn exists(&self, inside: &str) -> bool {
        self.host_path(inside).exists()
    }

    /// Absolute path of `unit-fixtures/daemons/NAME` (the repository is visible inside).
    pub fn daemon(&self, name: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("unit-fixtures/daemons")
            .join(name);
        assert!(p.is_file(), "no daemon fixture {}", p.display());
        p.display().to_string()
    }

    /// Absolute path of the binary under test (as an `ExecStart=` of a nested call would name it).
    pub fn systemctl_path(&self) -> &'static str {
        OUR_SYSTEMCTL
    }

    /// Run `argv` inside with `PATH` as the only environment variable plus `env`.
    pub fn run_env(&self, env: &[(&str, &str)], argv: &[&str]) -> Outcome {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--target={}", self.pid1));
        if self.user_ns {
            cmd.arg("--user");
        }
        if self.image {
            cmd.args(["--cgroup", "--uts"]);
        }
        cmd.args(["--pid", "--mount", "--"])
            .args(argv)
            .env_clear()
            .env("PATH", PATH);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_with_deadline(cmd, &argv.join(" "))
    }

    /// Run `argv` inside with `PATH` as the only environment variable.
    pub fn run(&self, argv: &[&str]) -> Outcome {
        self.run_env(&[], argv)
    }

    /// Our systemctl, as root, inside.
    pub fn systemctl(&self, args: &[&str]) -> Outcome {
        let mut argv = vec![OUR_SYSTEMCTL];
        argv.extend_from_slice(args);
        self.run(&argv)
    }

    /// Our systemctl with extra environment variables (on top of `PATH`).
    pub fn systemctl_env(&self, env: &[(&str, &str)], args: &[&str]) -> Outcome {
        let mut argv = vec![OUR_SYSTEMCTL];
        argv.extend_from_slice(args);
        self.run_env(env, &argv)
    }

    /// Our binary as `journalctl` (argv[0] is a link named `journalctl`).
    pub fn journalctl(&self, args: &[&str]) -> Outcome {
        let link = format!("{BIN_DIR}/journalctl");
        let mut argv = vec![link.as_str()];
        argv.extend_from_slice(args);
        self.run(&argv)
    }

    /// `/bin/sh -c SCRIPT` inside.
    pub fn sh(&self, script: &str) -> Outcome {
        self.run(&["/bin/sh", "-c", script])
    }

    /// Our systemctl run by a non-root uid (gid = uid, no supplementary groups), via setpriv.
    pub fn as_user(&self, uid: u32, args: &[&str]) -> Outcome {
        let reuid = format!("--reuid={uid}");
        let regid = format!("--regid={uid}");
        let mut argv = vec![
            "setpriv",
            reuid.as_str(),
            regid.as_str(),
            "--clear-groups",
            "--",
            OUR_SYSTEMCTL,
        ];
        argv.extend_from_slice(args);
        self.run(&argv)
    }

    /// `systemctl show -p PROP --value UNIT`, which must succeed; the value without its newline.
    pub fn prop(&self, unit: &str, prop: &str) -> String {
        let o = self.systemctl(&["show", "-p", prop, "--value", unit]);
        assert_eq!(o.code, 0, "show -p {prop} {unit} failed: {o:?}");
        o.stdout.strip_suffix('\n').unwrap_or(&o.stdout).to_string()
    }

    /// MainPID of a unit as a number (0 when it has none).
    pub fn main_pid(&self, unit: &str) -> i32 {
        let v = self.prop(unit, "MainPID");
        v.parse()
            .unwrap_or_else(|_| panic!("MainPID of {unit} is not a number: {v:?}"))
    }

    /// Whether the process `pid` (a pid as seen inside) exists and is not a zombie.
    pub fn pid_alive(&self, pid: i32) -> bool {
        if pid <= 0 {
            return false;
        }
        let Some(stat) = self.read(&format!("/proc/{pid}/stat")) else {
            return false;
        };
        !matches!(stat_state(&stat), Some('Z') | Some('X') | None)
    }

    /// The command line of process `pid` inside, arguments joined by spaces.
    pub fn cmdline(&self, pid: i32) -> Option<String> {
        let raw = fs::read(self.host_path(&format!("/proc/{pid}/cmdline"))).ok()?;
        let parts: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        Some(parts.join(" "))
    }

    /// Pids (inside) of the live processes running our binary: the manager, and any client that
    /// happens to run. With no command of ours in flight, that is the manager.
    pub fn manager_pids(&self) -> Vec<i32> {
        let ours = fs::canonicalize(OUR_SYSTEMCTL).expect("canonical path of our binary");
        let mut out = Vec::new();
        let Ok(entries) = fs::read_dir(self.host_path("/proc")) else {
            return out;
        };
        for e in entries.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            let exe = fs::read_link(e.path().join("exe")).ok();
            if exe.as_deref() == Some(ours.as_path()) && self.pid_alive(pid) {
                out.push(pid);
            }
        }
        out.sort();
        out
    }

    /// SIGKILL every process running our binary (the manager), as an OOM killer or a careless
    /// admin would, and wait until they are gone. Returns the pids killed. A child the manager
    /// forked that has not exec'd yet runs our binary too, but is not the manager: killing it
    /// would kill, a moment later, the service it has become.
    pub fn kill_manager(&self) -> Vec<i32> {
        let all = self.manager_pids();
        let parent = |pid: i32| {
            self.read(&format!("/proc/{pid}/stat"))
                .and_then(|s| s.get(s.rfind(')')? + 2..)?.split(' ').nth(1)?.parse().ok())
                .unwrap_or(0)
        };
        let pids: Vec<i32> = all
            .iter()
            .copied()
            .filter(|p| !all.contains(&parent(*p)))
            .collect();
        assert!(!pids.is_empty(), "no manager process to kill");
        let list: Vec<String> = pids.iter().map(|p| p.to_string()).collect();
        let o = self.sh(&format!("kill -KILL {}", list.join(" ")));
        assert_eq!(o.code, 0, "kill the manager: {o:?}");
        self.wait_until(&format!("the manager ({list:?}) is gone"), WAIT, || {
            pids.iter().all(|p| !self.pid_alive(*p))
        });
        pids
    }

    /// Start the image's dbus.service and wait until the manager owns org.freedesktop.systemd1
    /// on the system bus (dbus-daemon from Debian's dbus package).
    pub fn start_dbus(&self) {
        let o = self.run(&["/bin/systemctl", "start", "dbus.service"]);
        assert_eq!(o.code, 0, "start dbus.service: {o:?}");
        self.wait_until("org.freedesktop.systemd1 on the system bus", WAIT, || {
            self.run(&["busctl", "status", "org.freedesktop.systemd1"])
                .code
                == 0
        });
    }

    /// A systemctl call that must succeed silently, as systemctl's job verbs do.
    pub fn quiet_ok(&self, args: &[&str]) {
        let o = self.systemctl(args);
        assert_eq!(
            (o.code, o.stdout.as_str(), o.stderr.as_str()),
            (0, "", ""),
            "{args:?}"
        );
    }

    /// Poll `cond` every 20 ms until it holds; panic naming `what` after `timeout`.
    pub fn wait_until(&self, what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
        wait_until(what, timeout, &mut cond)
    }

    /// Wait (up to [`WAIT`]) until a file exists inside, and return its content.
    pub fn wait_for_file(&self, inside: &str) -> String {
        self.wait_until(&format!("{inside} exists"), WAIT, || self.exists(inside));
        self.read(inside).unwrap_or_default()
    }

    /// Wait until a file inside has exactly `lines` lines (then return them).
    pub fn wait_for_lines(&self, inside: &str, lines: usize) -> Vec<String> {
        let mut last = Vec::new();
        self.wait_until(&format!("{inside} has {lines} lines"), WAIT, || {
            last = self
                .read(inside)
                .map(|s| s.lines().map(str::to_string).collect())
                .unwrap_or_default();
            last.len() >= lines
        });
        last
    }

    /// Wait until `systemctl show -p PROP --value UNIT` prints `value`.
    pub fn wait_for_prop(&self, unit: &str, prop: &str, value: &str) {
        let mut last = String::new();
        let what = format!("{unit} has {prop}={value}");
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            last = self.prop(unit, prop);
            if last == value {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out after {WAIT:?} waiting until {what} (last: {prop}={last})");
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Drop for Sandbox {
    /// Killing pid 1 of a pid namespace kills everything in it; `unshare` then exits.
    fn drop(&mut self) {
        // SAFETY: kill(2) on the pid of a process we created (unshare's child, not yet reaped
        // because unshare waits for it).
        unsafe {
            libc::kill(self.pid1, libc::SIGKILL);
        }
        let holder = self.holder.get_mut().unwrap_or_else(|e| e.into_inner());
        let deadline = Instant::now() + WAIT;
        loop {
            match holder.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    let _ = holder.kill();
                    let _ = holder.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        if let Some(dir) = &self.cgroup {
            // The killed processes leave their cgroups a moment after they are reaped.
            let deadline = Instant::now() + WAIT;
            while remove_cgroup_tree(dir).is_err() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// A new, empty cgroup below this process's own in the cgroup2 hierarchy (a hybrid host's
/// `unified` mount or a pure cgroup2 one), or None if there is no cgroup2 hierarchy.
fn own_cgroup() -> Option<PathBuf> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").ok()?;
    // `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPER`
    let mount = mountinfo.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        right
            .starts_with("cgroup2 ")
            .then(|| left.split_whitespace().nth(4).map(str::to_string))
            .flatten()
    })?;
    let own = fs::read_to_string("/proc/self/cgroup")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("0::").map(str::to_string))?;
    let dir = PathBuf::from(format!(
        "{mount}{}/diff-sandbox-{}-{}",
        own.trim_end_matches('/'),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir(&dir).ok()?;
    Some(dir)
}

/// rmdir a cgroup and every cgroup below it, deepest first.
fn remove_cgroup_tree(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)?.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_cgroup_tree(&entry.path())?;
        }
    }
    fs::remove_dir(dir)
}

fn wait_until(what: &str, timeout: Duration, cond: &mut dyn FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting until {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The state letter of a `/proc/PID/stat` line (after the parenthesised command name).
fn stat_state(stat: &str) -> Option<char> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().next()?.chars().next()
}

/// Host pids whose parent is `ppid`.
fn children_of(ppid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let parent = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<i32>().ok());
        if parent == Some(ppid) {
            out.push(pid);
        }
    }
    out.sort();
    out
}

/// Run `cmd` with stdin from /dev/null and stdout/stderr into unnamed temp files; kill it (and the
/// process nsenter forked) if it runs past [`COMMAND_TIMEOUT`].
fn run_with_deadline(mut cmd: Command, what: &str) -> Outcome {
    let mut out = tempfile::tempfile().expect("temp file for stdout");
    let mut err = tempfile::tempfile().expect("temp file for stderr");
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup stdout file"))
        .stderr(err.try_clone().expect("dup stderr file"));
    let mut child = cmd.spawn().expect("spawn nsenter (util-linux)");
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for command") {
            break status;
        }
        if Instant::now() > deadline {
            for pid in children_of(child.id() as i32) {
                // SAFETY: kill(2) on a pid that was just listed as a child of our child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`{what}` did not finish within {COMMAND_TIMEOUT:?}; stdout so far:\n{}\nstderr \
                 so far:\n{}",
                read_all(&mut out),
                read_all(&mut err)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Outcome {
        stdout: read_all(&mut out),
        stderr: read_all(&mut err),
        code: status.code().unwrap_or(-1),
    }
}

fn read_all(f: &mut fs::File) -> String {
    let mut buf = Vec::new();
    let _ = f.rewind();
    let _ = f.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}
