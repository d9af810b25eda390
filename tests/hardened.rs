//! Hardened runs of one image (issue 6): our binary as PID 1 where a container platform takes
//! privileges away, checked as a user of that platform would check it.
//!
//! - OpenShift's restricted profile: PID 1 runs as an arbitrary uid (100123, gid 100123, no
//!   supplementary groups) with no capabilities at all (`setpriv --inh-caps=-all
//!   --ambient-caps=-all --bounding-set=-all`) and `no_new_privs`, on a read-only root with
//!   tmpfs `/run` (root's, 0755) and `/tmp`;
//! - a read-only root with PID 1 as root;
//! - a rootless user-namespace container (`unshare --user --map-root-user` run by an ordinary
//!   uid): root inside, nobody outside.
//!
//! What can run there does (services with no `User=`, or `User=` of the uid PID 1 already has);
//! what cannot fails with systemd's own one-line reason in `systemctl status`, never a hang.
//! The manager's directory follows the uid: `$XDG_RUNTIME_DIR/systemctl-shim` when set, else
//! `$TMPDIR/systemctl-shim-UID`, never `/run/systemctl-shim` that it cannot write.
//!
//! Each test boots its own [`Sandbox::for_init`]: PID 1 is a small script that remounts every
//! file system but /proc, /sys, /dev, /run and /tmp read-only in the private mount namespace,
//! then execs setpriv, which execs our init. The tests need root, `unshare` and `setpriv`; they
//! say so and pass without checking anything where those are missing.

mod common;

use std::path::Path;
use std::time::Duration;

use common::sandbox::{Sandbox, PATH, WAIT};
use common::OUR_SYSTEMCTL;

/// OpenShift's "restricted" SCC hands out uids from a high per-project range.
const UID: u32 = 100123;

/// Why this machine cannot run the hardened tests, if it cannot.
fn missing_prerequisite() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("the hardened tests need root (namespaces, mounts, setpriv)".into());
    }
    for tool in ["unshare", "setpriv", "nsenter"] {
        let found = PATH
            .split(':')
            .any(|dir| Path::new(dir).join(tool).is_file());
        if !found {
            return Some(format!("the hardened tests need {tool} (util-linux)"));
        }
    }
    None
}

macro_rules! require_prerequisites {
    () => {
        if let Some(why) = missing_prerequisite() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// Why `uid` cannot make a rootless container here, if it cannot: user namespaces disabled for
/// unprivileged users, or the binary under test out of its reach.
fn rootless_unavailable(uid: u32) -> Option<String> {
    let o = std::process::Command::new("setpriv")
        .args([
            &format!("--reuid={uid}"),
            &format!("--regid={uid}"),
            "--clear-groups",
            "--",
            "unshare",
            "--user",
            "--map-root-user",
            "--pid",
            "--fork",
            "--mount",
            "--",
            "test",
            "-x",
            OUR_SYSTEMCTL,
        ])
        .env_clear()
        .env("PATH", PATH)
        .output();
    match o {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "uid {uid} cannot run {OUR_SYSTEMCTL} in a user namespace of its own: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Some(format!("setpriv: {e}")),
    }
}

/// PID 1's first program: make the root read-only, then become our init as `uid` (when given)
/// with no capabilities and no_new_privs, with `env` as its whole environment besides PATH.
fn hardened_entrypoint(uid: Option<u32>, env: &[(&str, &str)]) -> String {
    entrypoint(uid.map(|u| (u, u)), env, "/run|/tmp")
}

/// [`hardened_entrypoint`] with a uid and gid of their own (OpenShift puts its arbitrary uid in
/// group 0), leaving only `writable` (a `case` pattern) writable.
fn entrypoint(ids: Option<(u32, u32)>, env: &[(&str, &str)], writable: &str) -> String {
    let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let drop = match ids {
        Some((uid, gid)) => format!(
            "setpriv --reuid={uid} --regid={gid} --clear-groups --inh-caps=-all \
             --ambient-caps=-all --bounding-set=-all --no-new-privs --"
        ),
        None => String::new(),
    };
    format!(
        "#!/bin/sh\nset -eu\n\
         # Read-only everything but the kernel's file systems and the tmpfs /run and /tmp.\n\
         awk '{{print $2}}' /proc/self/mounts | sort -u | while read -r mp; do\n\
         \x20   case \"$mp\" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|{writable}) continue ;; esac\n\
         \x20   mount -o remount,ro,bind \"$mp\" || echo \"could not make $mp read-only\" >&2\n\
         done\n\
         exec {drop} /usr/bin/env -i PATH={PATH} {env} /run/sandbox-bin/init\n",
        env = env.join(" ")
    )
}

/// Boot the sandbox's image hardened (see [`hardened_entrypoint`]).
fn boot_hardened(sb: &Sandbox, uid: Option<u32>, env: &[(&str, &str)]) {
    sb.executable("/run/sandbox-bin/hardened", &hardened_entrypoint(uid, env));
    sb.boot_as("hardened", &[]);
}

/// A service wanted by multi-user.target.
fn service(sb: &Sandbox, name: &str, body: &str) {
    sb.unit(
        name,
        &format!("[Service]\n{body}\n[Install]\nWantedBy=multi-user.target\n"),
    );
}

/// A Type=simple and a Type=notify service with no User=: they run in every mode.
fn services_that_need_nothing(sb: &Sandbox) {
    service(sb, "simple.service", "ExecStart=/bin/sleep infinity");
    let notify = sb.daemon("notify.py");
    service(
        sb,
        "ready.service",
        &format!("Type=notify\nExecStart={notify} READY=1 --then-sleep"),
    );
}

fn enable(sb: &Sandbox, units: &[&str]) {
    let mut args = vec!["enable"];
    args.extend_from_slice(units);
    let o = sb.systemctl(&args);
    assert_eq!(o.code, 0, "enable {units:?}: {o:?}");
}

/// `is-system-running` once the boot is over.
fn wait_booted(sb: &Sandbox) -> String {
    let mut last = String::new();
    sb.wait_until("boot finished", WAIT, || {
        if let Some(code) = sb.exit_status() {
            panic!("PID 1 exited with {code}; console:\n{}", sb.console());
        }
        last = sb.systemctl(&["is-system-running"]).stdout;
        !matches!(last.trim(), "starting" | "offline" | "")
    });
    last.trim().to_string()
}

/// `systemctl status UNIT` with its whole log.
fn status(sb: &Sandbox, unit: &str) -> String {
    sb.systemctl(&["status", "-n", "50", unit]).stdout
}

fn assert_failed_with(sb: &Sandbox, unit: &str, lines: &[&str]) {
    // A Type=simple service is started before its process fails: wait for the failure.
    sb.wait_for_prop(unit, "ActiveState", "failed");
    // The service's own output reaches the log through a pipe: give it a moment.
    let deadline = std::time::Instant::now() + WAIT;
    let mut text = status(sb, unit);
    while !lines.iter().all(|l| text.contains(l)) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        text = status(sb, unit);
    }
    for line in lines {
        assert!(
            text.contains(line),
            "{line:?} not in the status of {unit}:\n{text}"
        );
    }
}

/// A field of `/proc/1/status` as seen inside the sandbox (ids as its user namespace maps them).
fn pid1_status(sb: &Sandbox, field: &str) -> String {
    let text = sb.run(&["cat", "/proc/1/status"]).stdout;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// SIGTERM, as `docker stop` sends it: every unit stops and PID 1 exits 0.
fn stop_container(sb: &Sandbox) {
    sb.signal_init(libc::SIGTERM);
    let code = sb.wait_exit(Duration::from_secs(60));
    assert_eq!(
        code,
        0,
        "exit code after SIGTERM; console:\n{}",
        sb.console()
    );
}

/// The lowest port an unprivileged process may not bind, if the machine has one.
fn privileged_port() -> Option<u16> {
    let start: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (start > 1).then(|| start - 1)
}

#[test]
fn openshift_restricted_uid_runs_what_it_can_and_says_why_not_for_the_rest() {
    require_prerequisites!();
    let sb = Sandbox::for_init();
    services_that_need_nothing(&sb);
    // User= of the uid PID 1 already has: nothing to switch, it runs (systemd skips it too).
    service(
        &sb,
        "self.service",
        &format!("User={UID}\nExecStart=/bin/sh -c 'id -u > /tmp/u.tmp && mv /tmp/u.tmp /tmp/self-uid; exec sleep infinity'"),
    );
    // What a package's unit asks for and a restricted pod cannot give: ignored or clamped.
    service(
        &sb,
        "limits.service",
        "LimitNOFILE=1048576\nOOMScoreAdjust=-900\nPrivateTmp=yes\nProtectSystem=strict\n\
         ExecStart=/bin/sleep infinity",
    );
    service(
        &sb,
        "runtime.service",
        "RuntimeDirectory=web\n\
         ExecStart=/bin/sh -c 'echo \"$RUNTIME_DIRECTORY\" > /tmp/w.tmp && mv /tmp/w.tmp $RUNTIME_DIRECTORY/where; exec sleep infinity'",
    );
    // A uid switch it cannot do: systemd's reasons, 216/GROUP (the group step comes first).
    service(
        &sb,
        "root.service",
        "User=root\nExecStart=/bin/sleep infinity",
    );
    service(
        &sb,
        "nobody.service",
        "User=nobody\nExecStart=/bin/sleep infinity",
    );
    service(
        &sb,
        "state.service",
        "StateDirectory=app\nExecStart=/bin/sleep infinity",
    );
    let port = privileged_port();
    if let Some(port) = port {
        service(
            &sb,
            "port.service",
            &format!(
                "ExecStart=/usr/bin/python3 -c 'import socket; socket.socket().bind((\"127.0.0.1\", {port}))'"
            ),
        );
    }
    if let Some(port) = port {
        sb.unit(
            "web.socket",
            &format!(
                "[Socket]\nListenStream=127.0.0.1:{port}\n[Install]\nWantedBy=sockets.target\n"
            ),
        );
        sb.unit("web.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    }
    let mut units = vec![
        "simple.service",
        "ready.service",
        "self.service",
        "limits.service",
        "runtime.service",
        "root.service",
        "nobody.service",
        "state.service",
    ];
    if port.is_some() {
        units.extend(["port.service", "web.socket"]);
    }
    enable(&sb, &units);
    boot_hardened(&sb, Some(UID), &[]);
    assert_eq!(wait_booted(&sb), "degraded", "console:\n{}", sb.console());

    // PID 1 is ours, as the uid, with nothing to escalate with.
    assert_eq!(
        pid1_status(&sb, "Uid"),
        format!("{UID}\t{UID}\t{UID}\t{UID}")
    );
    assert_eq!(pid1_status(&sb, "Groups"), "");
    assert_eq!(pid1_status(&sb, "CapEff"), "0000000000000000");
    assert_eq!(pid1_status(&sb, "CapBnd"), "0000000000000000");
    assert_eq!(pid1_status(&sb, "NoNewPrivs"), "1");
    // The root really is read-only (for root too).
    let o = sb.sh("touch /etc/x /usr/x /var/lib/x 2>&1");
    assert_eq!(
        o.stdout.matches("Read-only file system").count(),
        3,
        "{o:?}"
    );

    for unit in [
        "simple.service",
        "ready.service",
        "self.service",
        "limits.service",
        "runtime.service",
    ] {
        assert_eq!(
            sb.prop(unit, "ActiveState"),
            "active",
            "{}",
            status(&sb, unit)
        );
    }
    assert_eq!(
        Some(sb.wait_for_file("/tmp/self-uid").as_str()),
        Some(&*format!("{UID}\n"))
    );
    // The OOM score stays where it was; the open files limit is the pod's own.
    let pid = sb.main_pid("limits.service");
    assert_eq!(
        sb.read(&format!("/proc/{pid}/oom_score_adj")).as_deref(),
        Some("0\n")
    );
    assert!(
        status(&sb, "limits.service").contains("LimitNOFILE"),
        "the clamped limit is logged: {}",
        status(&sb, "limits.service")
    );

    assert_failed_with(
        &sb,
        "root.service",
        &[
            "root.service: Changing group credentials failed: Operation not permitted\n",
            "root.service: Failed at step GROUP spawning /bin/sleep: Operation not permitted\n",
            "root.service: Main process exited, code=exited, status=216/GROUP\n",
        ],
    );
    assert_eq!(sb.prop("root.service", "ExecMainStatus"), "216");
    assert_failed_with(
        &sb,
        "nobody.service",
        &[
            "nobody.service: Failed to determine supplementary groups: Operation not permitted\n",
            "status=216/GROUP\n",
        ],
    );
    // No $HOME, so a user manager's state base is /.config, on the read-only root.
    assert_failed_with(
        &sb,
        "state.service",
        &[
            "state.service: Failed to set up special execution directory in /.config/app: \
           Read-only file system\n",
        ],
    );
    if let Some(port) = port {
        // The service's own words about the port, in its status.
        assert_failed_with(
            &sb,
            "port.service",
            &[
                "PermissionError: [Errno 13] Permission denied\n",
                "status=1/FAILURE",
            ],
        );
        // A listener of the manager's own: socket.c's words.
        assert_failed_with(
            &sb,
            "web.socket",
            &[&format!(
                "web.socket: Failed to create listening socket (127.0.0.1:{port}): Permission denied\n"
            )],
        );
    }

    // The manager's directory follows the uid: /run is root's.
    let dir = format!("/tmp/systemctl-shim-{UID}");
    assert!(!sb.exists("/run/systemctl-shim"));
    assert!(sb.exists(&format!("{dir}/control.sock")));
    assert_eq!(
        Some(
            sb.wait_for_file(&format!("{dir}/runtime/web/where"))
                .as_str()
        ),
        Some(&*format!("{dir}/runtime/web\n")),
        "RuntimeDirectory= goes below the manager's directory (no $XDG_RUNTIME_DIR)"
    );
    // No boot-time tmpfiles noise about root's directories.
    let console = sb.console();
    for noise in [
        "Failed to create directory",
        "fchownat",
        "Failed to open/create",
    ] {
        assert!(
            !console.contains(noise),
            "{noise:?} on the console:\n{console}"
        );
    }

    // `oc exec` runs as the pod's uid: it queries and controls.
    let o = sb.as_user(UID, &["is-system-running"]);
    assert_eq!(o.stdout, "degraded\n", "{o:?}");
    let o = sb.as_user(UID, &["stop", "simple.service"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{o:?}");
    assert_eq!(sb.prop("simple.service", "ActiveState"), "inactive");
    let o = sb.as_user(UID, &["start", "simple.service"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{o:?}");
    assert_eq!(sb.prop("simple.service", "ActiveState"), "active");
    // A simple service is started once forked (252's job is done then); its child fails at
    // the group step after that, and the unit is failed again.
    let o = sb.as_user(UID, &["restart", "root.service"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{o:?}");
    sb.wait_for_prop("root.service", "ActiveState", "failed");
    // Another uid may look, not touch.
    let o = sb.as_user(UID + 1, &["is-active", "simple.service"]);
    assert_eq!(o.stdout, "active\n", "{o:?}");
    let o = sb.as_user(UID + 1, &["stop", "simple.service"]);
    assert_eq!(o.code, 4, "{o:?}");

    stop_container(&sb);
}

#[test]
fn xdg_runtime_dir_and_home_of_a_non_root_init_are_honoured() {
    require_prerequisites!();
    let sb = Sandbox::for_init();
    service(
        &sb,
        "dirs.service",
        "RuntimeDirectory=app\nStateDirectory=app\nCacheDirectory=app\n\
         ExecStart=/bin/sh -c 'env > /tmp/env.tmp && mv /tmp/env.tmp $RUNTIME_DIRECTORY/env; exec sleep infinity'",
    );
    enable(&sb, &["dirs.service"]);
    let xdg = format!("/tmp/run-{UID}");
    let env = [("XDG_RUNTIME_DIR", xdg.as_str()), ("HOME", "/tmp/home")];
    boot_hardened(&sb, Some(UID), &env);
    // A root client (`docker exec -u 0`) finds the manager through PID 1's environment.
    assert_eq!(wait_booted(&sb), "running", "console:\n{}", sb.console());
    assert!(sb.exists(&format!("{xdg}/systemctl-shim/control.sock")));
    assert!(!sb.exists(&format!("/tmp/systemctl-shim-{UID}")));
    assert!(!sb.exists("/run/systemctl-shim"));
    let env = sb.wait_for_file(&format!("{xdg}/app/env"));
    for want in [
        format!("RUNTIME_DIRECTORY={xdg}/app"),
        "STATE_DIRECTORY=/tmp/home/.config/app".to_string(),
        "CACHE_DIRECTORY=/tmp/home/.cache/app".to_string(),
    ] {
        assert!(env.lines().any(|l| l == want), "{want} not in\n{env}");
    }
    // The uid's own client, with the same environment, finds it as well.
    let o = sb.run_env(
        &[("XDG_RUNTIME_DIR", xdg.as_str())],
        &[
            "setpriv",
            &format!("--reuid={UID}"),
            &format!("--regid={UID}"),
            "--clear-groups",
            "--",
            OUR_SYSTEMCTL,
            "is-active",
            "dirs.service",
        ],
    );
    assert_eq!(o.stdout, "active\n", "{o:?}");
    stop_container(&sb);
}

#[test]
fn a_read_only_root_runs_services_as_root_and_names_what_cannot_be_written() {
    require_prerequisites!();
    let sb = Sandbox::for_init();
    service(&sb, "simple.service", "ExecStart=/bin/sleep infinity");
    service(
        &sb,
        "runtime.service",
        "RuntimeDirectory=app\nExecStart=/bin/sh -c 'touch /run/app/ok; exec sleep infinity'",
    );
    service(
        &sb,
        "state.service",
        "StateDirectory=app\nExecStart=/bin/sleep infinity",
    );
    enable(&sb, &["simple.service", "runtime.service", "state.service"]);
    boot_hardened(&sb, None, &[]);
    assert_eq!(wait_booted(&sb), "degraded", "console:\n{}", sb.console());
    assert_eq!(sb.prop("simple.service", "ActiveState"), "active");
    assert_eq!(sb.prop("runtime.service", "ActiveState"), "active");
    sb.wait_for_file("/run/app/ok");
    assert!(sb.exists("/run/systemctl-shim/control.sock"));
    assert_failed_with(
        &sb,
        "state.service",
        &[
            "state.service: Failed to set up special execution directory in /var/lib/app: \
           Read-only file system\n",
        ],
    );
    stop_container(&sb);
}

#[test]
fn a_rootless_user_namespace_container_runs_services_and_skips_what_needs_real_root() {
    require_prerequisites!();
    if let Some(why) = rootless_unavailable(UID) {
        eprintln!("skipped: {why}");
        return;
    }
    let sb = Sandbox::for_init_rootless(UID);
    services_that_need_nothing(&sb);
    // Root inside may be root: no setgroups() where the namespace denies it.
    service(
        &sb,
        "root.service",
        "User=root\nRuntimeDirectory=app\n\
         ExecStart=/bin/sh -c 'touch /run/app/ok; exec sleep infinity'",
    );
    // Lowering the OOM score and raising a hard limit need the host's root: ignored, clamped.
    service(
        &sb,
        "privileged.service",
        "OOMScoreAdjust=-900\nLimitNOFILE=infinity\nExecStart=/bin/sleep infinity",
    );
    // Only root is mapped: another user cannot be become, nor given a directory.
    service(
        &sb,
        "nobody.service",
        "User=nobody\nExecStart=/bin/sleep infinity",
    );
    service(
        &sb,
        "nobodydir.service",
        "User=nobody\nRuntimeDirectory=nd\nExecStart=/bin/sleep infinity",
    );
    enable(
        &sb,
        &[
            "simple.service",
            "ready.service",
            "root.service",
            "privileged.service",
            "nobody.service",
            "nobodydir.service",
        ],
    );
    sb.boot(&[]);
    assert_eq!(wait_booted(&sb), "degraded", "console:\n{}", sb.console());
    // Root inside, the ordinary uid outside.
    assert_eq!(pid1_status(&sb, "Uid"), "0\t0\t0\t0");
    let host = std::fs::read_to_string(format!("/proc/{}/status", sb.pid1())).unwrap_or_default();
    assert!(
        host.lines()
            .any(|l| l == format!("Uid:\t{UID}\t{UID}\t{UID}\t{UID}")),
        "{host}"
    );
    for unit in [
        "simple.service",
        "ready.service",
        "root.service",
        "privileged.service",
    ] {
        assert_eq!(
            sb.prop(unit, "ActiveState"),
            "active",
            "{}",
            status(&sb, unit)
        );
    }
    sb.wait_for_file("/run/app/ok");
    let pid = sb.main_pid("privileged.service");
    assert_eq!(
        sb.read(&format!("/proc/{pid}/oom_score_adj")).as_deref(),
        Some("0\n")
    );
    assert_failed_with(
        &sb,
        "nobody.service",
        &[
            "nobody.service: Failed at step GROUP spawning /bin/sleep: Invalid argument \
             (the user or group is not mapped in this user namespace)\n",
            "status=216/GROUP\n",
        ],
    );
    assert_failed_with(
        &sb,
        "nobodydir.service",
        &[
            "nobodydir.service: Failed to set up special execution directory in /run/nd: \
           Invalid argument (uid 65534 or gid 65534 is not mapped in this user namespace)\n",
        ],
    );
    assert!(sb.exists("/run/systemctl-shim/control.sock"));
    stop_container(&sb);
}

#[test]
fn a_non_root_init_with_nowhere_to_write_says_so_and_exits() {
    require_prerequisites!();
    let sb = Sandbox::for_init();
    service(&sb, "simple.service", "ExecStart=/bin/sleep infinity");
    enable(&sb, &["simple.service"]);
    // Only /run is writable, and it is root's.
    sb.executable(
        "/run/sandbox-bin/hardened",
        &entrypoint(Some((UID, UID)), &[], "/run"),
    );
    sb.boot_as("hardened", &[]);
    assert_eq!(sb.wait_exit(WAIT), 1, "console:\n{}", sb.console());
    // (the console is collected by a thread that reads to the end of the pipe)
    sb.wait_until("the console is read", WAIT, || !sb.console().is_empty());
    assert_eq!(
        sb.console(),
        format!(
            "No writable runtime directory: tried /run/systemctl-shim, /tmp/systemctl-shim-{UID}\n"
        )
    );
}

/// OpenShift's real default: the arbitrary uid's group is 0. The group step then has nothing to
/// change, and `User=root` fails at the user step, as exec_child() does: 217/USER.
#[test]
fn an_arbitrary_uid_in_the_root_group_fails_user_root_at_the_user_step() {
    require_prerequisites!();
    let sb = Sandbox::for_init();
    service(
        &sb,
        "root.service",
        "User=root\nExecStart=/bin/sleep infinity",
    );
    service(&sb, "simple.service", "ExecStart=/bin/sleep infinity");
    enable(&sb, &["root.service", "simple.service"]);
    sb.executable(
        "/run/sandbox-bin/hardened",
        &entrypoint(Some((UID, 0)), &[], "/run|/tmp"),
    );
    sb.boot_as("hardened", &[]);
    assert_eq!(wait_booted(&sb), "degraded", "console:\n{}", sb.console());
    assert_eq!(pid1_status(&sb, "Gid"), "0\t0\t0\t0");
    assert_eq!(sb.prop("simple.service", "ActiveState"), "active");
    assert_failed_with(
        &sb,
        "root.service",
        &[
            "root.service: Failed to change UID to 0: Operation not permitted\n",
            "root.service: Failed at step USER spawning /bin/sleep: Operation not permitted\n",
            "root.service: Main process exited, code=exited, status=217/USER\n",
        ],
    );
    assert_eq!(sb.prop("root.service", "ExecMainStatus"), "217");
    stop_container(&sb);
}
