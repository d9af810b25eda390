//! The exec seam end to end: unit text → ExecPlan → a real child, asserting on what the child
//! sees (environment, credentials, limits, streams, directories).

use super::*;
use crate::manager::config::ManagerConfig;
use crate::manager::spawn;
use crate::sys::accounts::Accounts;
use crate::sys::accounts::PasswdEntry;
use crate::sys::rlimit;
use crate::unit::load::load_unit;
use crate::unit::model::DirectoryPreserve;
use crate::unit::model::UnitConfig;
use crate::unit::paths::{LookupPaths, Scope};
use nix::sys::wait::{waitpid, WaitStatus};
use std::fs;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
    nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
    svc:x:4321:4321:service:/home/svc:/bin/bash\n";
const GROUP: &str = "root:x:0:\nnogroup:x:65534:\nsvc:x:4321:\nextra:x:5000:svc\nother:x:5001:\n";

struct Fixture {
    root: tempfile::TempDir,
    accounts: Accounts,
    manager: ManagerConfig,
    bases: DirectoryBases,
}

fn fixture() -> Fixture {
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc");
    fs::create_dir_all(etc.join("systemd/system")).unwrap();
    fs::write(etc.join("passwd"), PASSWD).unwrap();
    fs::write(etc.join("group"), GROUP).unwrap();
    let accounts = Accounts::load(root.path());
    let base = |n: &str| root.path().join("bases").join(n);
    let bases = DirectoryBases {
        runtime: base("run"),
        state: base("lib"),
        cache: base("cache"),
        logs: base("log"),
        configuration: base("etc"),
    };
    Fixture {
        root,
        accounts,
        manager: ManagerConfig::default(),
        bases,
    }
}

impl Fixture {
    fn path(&self, inside: &str) -> String {
        self.root.path().join(inside).to_string_lossy().into_owned()
    }

    fn unit(&self, name: &str, text: &str) -> UnitConfig {
        let file = self.root.path().join("etc/systemd/system").join(name);
        fs::write(file, text).unwrap();
        let lookup = LookupPaths::new(Scope::System, Some(self.root.path())).unwrap();
        load_unit(&lookup, name).unwrap()
    }

    fn ctx<'a>(&'a self, unit: &'a UnitConfig, env: &'a [(String, String)]) -> ExecContext<'a> {
        ExecContext {
            unit,
            manager: &self.manager,
            accounts: &self.accounts,
            invocation_id: "0123456789abcdef0123456789abcdef",
            notify_socket: None,
            main_pid: None,
            manager_is_root: true,
            directories: &self.bases,
            manager_env: env,
            client_environment: &[],
            sockets: &[],
            remote: None,
            result: None,
        }
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn is_root() -> bool {
    nix::unistd::getuid().is_root()
}

/// Prepare command `index` of `kind` with a log pipe, run it, and return what it wrote to
/// the log pipe and its exit status.
fn run(ctx: &ExecContext, kind: ExecKind, index: usize) -> (String, i32) {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let command = &ctx.unit.exec_commands(kind)[index];
    let prepared = prepare(ctx, command, kind, Some(w.as_fd())).unwrap();
    drop(w);
    let spawned = spawn::spawn(&prepared.plan).unwrap();
    drop(prepared);
    let mut text = String::new();
    fs::File::from(r).read_to_string(&mut text).unwrap();
    let code = match waitpid(spawned.pid, None).unwrap() {
        WaitStatus::Exited(_, c) => c,
        other => panic!("unexpected {other:?}"),
    };
    (text, code)
}

fn env_lines(text: &str) -> Vec<&str> {
    // what the shell adds itself
    let shell_own = ["PWD=", "SHLVL=", "_=", "OLDPWD="];
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|l| !shell_own.iter().any(|p| l.starts_with(p)))
        .collect();
    lines.sort();
    lines
}

#[test]
fn environment_merges_in_systemd_order_and_unsets_last() {
    let mut fx = fixture();
    fx.manager.default_environment = pairs(&[("DEF", "d"), ("A", "0")]);
    let env_file = fx.path("env");
    fs::write(&env_file, "B=from-file\nC=3\n").unwrap();
    let missing = fx.path("missing");
    let unit = fx.unit(
        "web.service",
        &format!(
            "[Service]\nType=notify\nExecStart=/bin/true\n\
             Environment=A=1 \"B=two words\" DROP=exact DROP2=kept\n\
             EnvironmentFile=-{missing}\nEnvironmentFile={env_file}\n\
             PassEnvironment=PASSED NOT_SET\n\
             UnsetEnvironment=C DROP=exact DROP2=other\n\
             RuntimeDirectory=app app/sub\nStateDirectory=st\n"
        ),
    );
    assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
    let manager_env = pairs(&[("PASSED", "p"), ("SECRET", "s")]);
    let mut ctx = fx.ctx(&unit, &manager_env);
    ctx.notify_socket = Some(Path::new("/run/shim/notify"));
    ctx.main_pid = Some(42);
    let env = environment(&ctx, ExecKind::Start, None, None).unwrap();
    let run = fx.bases.runtime.display().to_string();
    let state = fx.bases.state.display().to_string();
    let expected = pairs(&[
        ("PATH", DEFAULT_PATH),
        ("DEF", "d"),
        ("A", "1"),
        ("NOTIFY_SOCKET", "/run/shim/notify"),
        ("MAINPID", "42"),
        ("INVOCATION_ID", "0123456789abcdef0123456789abcdef"),
        ("RUNTIME_DIRECTORY", &format!("{run}/app:{run}/app/sub")),
        ("STATE_DIRECTORY", &format!("{state}/st")),
        ("PASSED", "p"),
        ("B", "from-file"),
        ("DROP2", "kept"),
    ]);
    assert_eq!(env, expected);

    // control processes of a Type=notify (NotifyAccess=main) service get no socket
    let env = environment(&ctx, ExecKind::StartPre, None, None).unwrap();
    assert!(env.iter().all(|(k, _)| k != "NOTIFY_SOCKET"));
}

#[test]
fn stop_commands_see_the_result_and_a_forking_service_its_pid_file() {
    let fx = fixture();
    let unit = fx.unit(
        "fork.service",
        "[Service]\nType=forking\nPIDFile=/run/fork.pid\nExecStart=/bin/true\n",
    );
    let mut ctx = fx.ctx(&unit, &[]);
    let get = |env: &[(String, String)], k: &str| {
        env.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    };
    let env = environment(&ctx, ExecKind::Start, None, None).unwrap();
    assert_eq!(get(&env, "PIDFILE").as_deref(), Some("/run/fork.pid"));
    assert_eq!(get(&env, "SERVICE_RESULT"), None);
    // the main process still runs: no EXIT_CODE/EXIT_STATUS yet
    ctx.result = Some(ResultEnv {
        result: "success",
        main_exit: None,
        monitored: None,
    });
    let env = environment(&ctx, ExecKind::Stop, None, None).unwrap();
    assert_eq!(get(&env, "SERVICE_RESULT").as_deref(), Some("success"));
    assert_eq!(get(&env, "EXIT_CODE"), None);
    ctx.result = Some(ResultEnv {
        result: "signal",
        main_exit: Some((libc::CLD_KILLED, libc::SIGKILL)),
        monitored: None,
    });
    let env = environment(&ctx, ExecKind::StopPost, None, None).unwrap();
    assert_eq!(get(&env, "EXIT_CODE").as_deref(), Some("killed"));
    assert_eq!(get(&env, "EXIT_STATUS").as_deref(), Some("KILL"));
    ctx.result = Some(ResultEnv {
        result: "exit-code",
        main_exit: Some((libc::CLD_EXITED, 3)),
        monitored: None,
    });
    let env = environment(&ctx, ExecKind::StopPost, None, None).unwrap();
    assert_eq!(get(&env, "EXIT_CODE").as_deref(), Some("exited"));
    assert_eq!(get(&env, "EXIT_STATUS").as_deref(), Some("3"));
    // an OnFailure= handler's start sees the failed service's
    ctx.result = Some(ResultEnv {
        result: "exit-code",
        main_exit: Some((libc::CLD_EXITED, 3)),
        monitored: Some(("0123", "failed.service")),
    });
    let env = environment(&ctx, ExecKind::Start, None, None).unwrap();
    assert_eq!(get(&env, "SERVICE_RESULT"), None);
    assert_eq!(
        get(&env, "MONITOR_SERVICE_RESULT").as_deref(),
        Some("exit-code")
    );
    assert_eq!(get(&env, "MONITOR_EXIT_STATUS").as_deref(), Some("3"));
    assert_eq!(get(&env, "MONITOR_INVOCATION_ID").as_deref(), Some("0123"));
    assert_eq!(get(&env, "MONITOR_UNIT").as_deref(), Some("failed.service"));
}

#[test]
fn a_missing_environment_file_fails_before_forking() {
    let fx = fixture();
    let unit = fx.unit(
        "web.service",
        &format!(
            "[Service]\nExecStart=/bin/true\nEnvironmentFile={}\n",
            fx.path("nope")
        ),
    );
    let ctx = fx.ctx(&unit, &[]);
    let err = prepare(
        &ctx,
        &unit.exec_commands(ExecKind::Start)[0],
        ExecKind::Start,
        None,
    )
    .unwrap_err();
    assert!(matches!(err, ExecEnvError::EnvironmentFile(_)), "{err}");
    assert!(err.fails_before_fork());
    // a glob that matches nothing is the same
    let unit = fx.unit(
        "glob.service",
        &format!(
            "[Service]\nExecStart=/bin/true\nEnvironmentFile={}\n",
            fx.path("nope*.env")
        ),
    );
    let ctx = fx.ctx(&unit, &[]);
    let err = prepare(
        &ctx,
        &unit.exec_commands(ExecKind::Start)[0],
        ExecKind::Start,
        None,
    )
    .unwrap_err();
    assert!(err.fails_before_fork());
    fs::write(fx.path("a.env"), "G=1\n").unwrap();
    let unit = fx.unit(
        "glob2.service",
        &format!(
            "[Service]\nExecStart=/bin/true\nEnvironmentFile={}\n",
            fx.path("*.env")
        ),
    );
    let ctx = fx.ctx(&unit, &[]);
    let env = environment(&ctx, ExecKind::Start, None, None).unwrap();
    assert!(env.contains(&("G".to_string(), "1".to_string())));
}

#[test]
fn child_sees_a_clean_environment_expanded_argv_umask_and_working_directory() {
    std::env::set_var("SHIM_EXEC_ENV_LEAK", "manager");
    let fx = fixture();
    let wd = fx.path("wd");
    fs::create_dir(&wd).unwrap();
    let unit = fx.unit(
        "job.service",
        &format!(
            "[Service]\nType=oneshot\nEnvironment=X=hello \"Y=a  b\"\nUMask=0027\n\
             WorkingDirectory={wd}\n\
             ExecStart=/bin/sh -c 'env; umask; pwd'\n\
             ExecStart=/bin/sh -c 'for a; do echo \"[$a]\"; done' sh ${{X}} $Y \"${{Y}}\" $NOT_SET\n\
             ExecStart=:/bin/echo $X ${{X}}\n\
             ExecStart=echo bare\n"
        ),
    );
    assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
    let ctx = fx.ctx(&unit, &[]);

    let (text, code) = run(&ctx, ExecKind::Start, 0);
    assert_eq!(code, 0);
    let lines = env_lines(&text);
    let expected = [
        "0027".to_string(),
        "INVOCATION_ID=0123456789abcdef0123456789abcdef".to_string(),
        format!("PATH={DEFAULT_PATH}"),
        "X=hello".to_string(),
        "Y=a  b".to_string(),
        wd.clone(),
    ];
    let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(lines, expected, "{text}");

    let (text, _) = run(&ctx, ExecKind::Start, 1);
    assert_eq!(text, "[hello]\n[a]\n[b]\n[a  b]\n");
    let (text, _) = run(&ctx, ExecKind::Start, 2);
    assert_eq!(text, "$X ${X}\n");
    let (text, _) = run(&ctx, ExecKind::Start, 3);
    assert_eq!(text, "bare\n");
}

#[test]
fn a_missing_program_is_left_to_the_child_203_exec() {
    let fx = fixture();
    let unit = fx.unit(
        "gone.service",
        "[Service]\nExecStart=no-such-program-anywhere x\n",
    );
    let ctx = fx.ctx(&unit, &[]);
    let command = &unit.exec_commands(ExecKind::Start)[0];
    let prepared = prepare(&ctx, command, ExecKind::Start, None).unwrap();
    let spawned = spawn::spawn(&prepared.plan).unwrap();
    assert_eq!(spawned.exec.map_err(|(step, _)| step as i32), Err(203));
    assert_eq!(
        waitpid(spawned.pid, None).unwrap(),
        WaitStatus::Exited(spawned.pid, 203)
    );
}

#[test]
fn user_credentials_apply_except_for_privileged_commands() {
    if !is_root() {
        eprintln!("skipped: credentials need a root manager");
        return;
    }
    let fx = fixture();
    let unit = fx.unit(
        "svc.service",
        "[Service]\nType=oneshot\nUser=svc\nSupplementaryGroups=other\n\
         PermissionsStartOnly=yes\n\
         ExecStartPre=/bin/sh -c 'id -u; id -G; echo $USER'\n\
         ExecStart=/bin/sh -c 'id -u; id -g; id -G; env; pwd'\n\
         ExecStart=+/bin/sh -c 'id -u; echo $USER'\n\
         ExecStart=!/bin/sh -c 'id -u'\n\
         ExecStart=!!/bin/sh -c 'id -u'\n",
    );
    assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
    let ctx = fx.ctx(&unit, &[]);
    let (text, code) = run(&ctx, ExecKind::Start, 0);
    assert_eq!(code, 0, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(&lines[..3], &["4321", "4321", "4321 5000 5001"]);
    for var in [
        "HOME=/home/svc",
        "USER=svc",
        "LOGNAME=svc",
        "SHELL=/bin/bash",
    ] {
        assert!(lines.contains(&var), "{var} missing in {text}");
    }
    assert_eq!(lines.last(), Some(&"/"));
    // `+` keeps root but still describes the user
    assert_eq!(run(&ctx, ExecKind::Start, 1).0, "0\nsvc\n");
    assert_eq!(run(&ctx, ExecKind::Start, 2).0, "0\n");
    assert_eq!(run(&ctx, ExecKind::Start, 3).0, "0\n");
    // PermissionsStartOnly=yes: control commands keep the manager's credentials
    assert_eq!(run(&ctx, ExecKind::StartPre, 0).0, "0\n0\nsvc\n");

    // nobody: synthesized, with neither home nor shell (whatever /etc/passwd says)
    let unit = fx.unit(
        "nobody.service",
        "[Service]\nUser=nobody\nExecStart=/bin/sh -c 'id -u; id -g; env'\n",
    );
    let ctx = fx.ctx(&unit, &[]);
    let (text, code) = run(&ctx, ExecKind::Start, 0);
    assert_eq!(code, 0, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(&lines[..2], &["65534", "65534"]);
    assert!(!lines.iter().any(|l| l.starts_with("HOME=")));
    assert!(!lines.iter().any(|l| l.starts_with("SHELL=")));
}

#[test]
fn credential_failures_carry_systemds_exit_statuses() {
    let fx = fixture();
    let status = |text: &str, is_root: bool| {
        let unit = fx.unit("x.service", text);
        let mut ctx = fx.ctx(&unit, &[]);
        ctx.manager_is_root = is_root;
        let command = &unit.exec_commands(ExecKind::Start)[0];
        prepare(&ctx, command, ExecKind::Start, None)
            .err()
            .map(|e| e.exit_status())
    };
    assert_eq!(
        status("[Service]\nUser=nosuch\nExecStart=/bin/true\n", true),
        Some(217)
    );
    // even a `+` command needs the user to exist
    assert_eq!(
        status("[Service]\nUser=nosuch\nExecStart=+/bin/true\n", true),
        Some(217)
    );
    assert_eq!(
        status("[Service]\nGroup=nosuch\nExecStart=/bin/true\n", true),
        Some(216)
    );
    assert_eq!(
        status(
            "[Service]\nUser=svc\nSupplementaryGroups=nosuch\nExecStart=/bin/true\n",
            true
        ),
        Some(216)
    );
    // a manager without privileges can only run services as itself; the group change
    // comes first, so another user's group is what fails
    let me = nix::unistd::getuid().as_raw();
    let other = if me == 4321 { "nobody" } else { "svc" };
    assert_eq!(
        status(
            &format!("[Service]\nUser={other}\nExecStart=/bin/true\n"),
            false
        ),
        Some(216)
    );
    assert_eq!(
        status(
            &format!("[Service]\nUser={me}\nExecStart=/bin/true\n"),
            false
        ),
        None
    );
    let unit = fx.unit(
        "me.service",
        &format!("[Service]\nUser={me}\nExecStart=/bin/true\n"),
    );
    let mut ctx = fx.ctx(&unit, &[]);
    ctx.manager_is_root = false;
    let prepared = prepare(
        &ctx,
        &unit.exec_commands(ExecKind::Start)[0],
        ExecKind::Start,
        None,
    )
    .unwrap();
    assert_eq!(prepared.plan.credentials, None);
}

#[test]
fn working_directory_defaults_home_and_missing_ok() {
    let fx = fixture();
    let svc = fx.accounts.user("svc").ok();
    let nobody_root = PasswdEntry {
        home: "/".into(),
        ..fx.accounts.user("root").unwrap()
    };
    let wd = |setting: &str, user: Option<&PasswdEntry>, root: bool| {
        let text = if setting.is_empty() {
            "[Service]\nExecStart=/bin/true\n".to_string()
        } else {
            format!("[Service]\nWorkingDirectory={setting}\nExecStart=/bin/true\n")
        };
        let unit = fx.unit("wd.service", &text);
        let env = pairs(&[("HOME", "/home/manager")]);
        let mut ctx = fx.ctx(&unit, &env);
        ctx.manager_is_root = root;
        let home = command_home(&ctx, user);
        working_directory(&ctx, home.as_deref())
            .map(|(p, ok)| (p.display().to_string(), ok))
            .map_err(|e| e.exit_status())
    };
    assert_eq!(wd("", None, true), Ok(("/".into(), false)));
    assert_eq!(wd("", None, false), Ok(("/home/manager".into(), true)));
    assert_eq!(wd("/srv", None, true), Ok(("/srv".into(), false)));
    assert_eq!(wd("-/srv", None, true), Ok(("/srv".into(), true)));
    assert_eq!(wd("~", svc.as_ref(), true), Ok(("/home/svc".into(), false)));
    assert_eq!(wd("-~", svc.as_ref(), true), Ok(("/home/svc".into(), true)));
    // no home of the user's: the manager's own $HOME (acquire_home())
    assert_eq!(wd("~", None, true), Ok(("/home/manager".into(), false)));
    // root is synthesized: /root whatever /etc/passwd says
    assert_eq!(
        wd("~", Some(&nobody_root), true),
        Ok(("/root".into(), false))
    );
}

#[test]
fn limits_nice_and_oom_score_reach_the_child() {
    let mut fx = fixture();
    fx.manager.default_limits = vec![
        rlimit::parse("LimitNOFILE", "50").unwrap(),
        rlimit::parse("LimitCORE", "0").unwrap(),
    ];
    let unit = fx.unit(
        "lim.service",
        "[Service]\nLimitNOFILE=100:200\nNice=5\nOOMScoreAdjust=500\n\
         ExecStart=/bin/sh -c 'ulimit -n; ulimit -H -n; ulimit -c; cut -d\" \" -f19 /proc/$$$$/stat; cat /proc/self/oom_score_adj'\n",
    );
    assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
    let ctx = fx.ctx(&unit, &[]);
    let (text, code) = run(&ctx, ExecKind::Start, 0);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text, "100\n200\n0\n5\n500\n");

    // above the container's hard limit: clamped with a warning unless we may raise it
    let unit = fx.unit(
        "inf.service",
        "[Service]\nLimitNOFILE=infinity\nExecStart=/bin/true\n",
    );
    let ctx = fx.ctx(&unit, &[]);
    let prepared = prepare(
        &ctx,
        &unit.exec_commands(ExecKind::Start)[0],
        ExecKind::Start,
        None,
    )
    .unwrap();
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut current) };
    let clamped = current.rlim_max != libc::RLIM_INFINITY && !may_raise_hard_limits();
    assert_eq!(
        prepared.warnings.len(),
        usize::from(clamped),
        "{:?}",
        prepared.warnings
    );
}

#[test]
fn output_files_inherit_and_unsupported_inputs() {
    let fx = fixture();
    let out = fx.path("out.log");
    let err = fx.path("err.log");
    let input = fx.path("in.txt");
    fs::write(&out, "0123456789\n").unwrap();
    fs::write(&input, "from the file\n").unwrap();
    // as root, with a User= the files must still be the manager's
    let user = if is_root() { "User=nobody\n" } else { "" };
    let unit = fx.unit(
        "io.service",
        &format!(
            "[Service]\nType=oneshot\n{user}StandardInput=file:{input}\n\
             StandardOutput=file:{out}\nStandardError=append:{err}\n\
             ExecStart=/bin/sh -c 'cat; echo oops >&2'\n"
        ),
    );
    assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
    let ctx = fx.ctx(&unit, &[]);
    for _ in 0..2 {
        let (_, code) = run(&ctx, ExecKind::Start, 0);
        assert_eq!(code, 0);
    }
    // file: neither truncates nor appends; append: appends
    assert_eq!(fs::read_to_string(&out).unwrap(), "from the file\n");
    assert_eq!(fs::read_to_string(&err).unwrap(), "oops\noops\n");
    // created by the manager, as systemd does, whatever User= says
    assert_eq!(
        fs::metadata(&err).unwrap().uid(),
        nix::unistd::getuid().as_raw()
    );

    let unit = fx.unit(
        "trunc.service",
        &format!(
            "[Service]\nStandardInput=data\nStandardOutput=truncate:{out}\n\
             StandardError=inherit\nExecStart=/bin/sh -c 'echo one; echo two >&2'\n"
        ),
    );
    let ctx = fx.ctx(&unit, &[]);
    let prepared = prepare(
        &ctx,
        &unit.exec_commands(ExecKind::Start)[0],
        ExecKind::Start,
        None,
    )
    .unwrap();
    assert_eq!(
        prepared.warnings,
        vec!["StandardInput=data is not supported here; using /dev/null.".to_string()]
    );
    drop(prepared);
    run(&ctx, ExecKind::Start, 0);
    assert_eq!(fs::read_to_string(&out).unwrap(), "one\ntwo\n");

    // journal without a log pipe, and null: /dev/null
    let unit = fx.unit(
        "quiet.service",
        "[Service]\nStandardError=null\nExecStart=/bin/true\n",
    );
    let ctx = fx.ctx(&unit, &[]);
    let prepared = prepare(
        &ctx,
        &unit.exec_commands(ExecKind::Start)[0],
        ExecKind::Start,
        None,
    )
    .unwrap();
    assert!(prepared.plan.stdio.iter().all(Option::is_none));
}

#[test]
fn directories_are_created_with_mode_and_owner_and_removed_on_stop() {
    let fx = fixture();
    fs::create_dir_all(fx.bases.configuration.join("conf")).unwrap();
    fs::set_permissions(
        fx.bases.configuration.join("conf"),
        fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    let user = if is_root() { "User=nobody\n" } else { "" };
    let unit = fx.unit(
        "dirs.service",
        &format!(
            "[Service]\n{user}ExecStart=/bin/true\nRuntimeDirectory=app/sub\n\
             RuntimeDirectoryMode=0700\nStateDirectory=st\nCacheDirectory=c\n\
             LogsDirectory=l\nConfigurationDirectory=conf\n\
             RuntimeDirectoryPreserve=restart\n"
        ),
    );
    assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
    let ctx = fx.ctx(&unit, &[]);
    fs::create_dir_all(fx.bases.state.join("st/old")).unwrap();
    create_directories(&ctx).unwrap();
    let meta = |p: PathBuf| fs::metadata(p).unwrap();
    let run_dir = meta(fx.bases.runtime.join("app/sub"));
    assert_eq!(run_dir.mode() & 0o7777, 0o700);
    assert_eq!(meta(fx.bases.runtime.join("app")).mode() & 0o7777, 0o755);
    assert_eq!(meta(fx.bases.state.join("st")).mode() & 0o7777, 0o755);
    assert!(fx.bases.cache.join("c").is_dir() && fx.bases.logs.join("l").is_dir());
    // an existing configuration directory is left as it is
    assert_eq!(
        meta(fx.bases.configuration.join("conf")).mode() & 0o7777,
        0o700
    );
    if is_root() {
        assert_eq!((run_dir.uid(), run_dir.gid()), (65534, 65534));
        // the whole tree goes to the service's user
        assert_eq!(meta(fx.bases.state.join("st/old")).uid(), 65534);
        // but not the parents, nor the configuration
        assert_eq!(meta(fx.bases.runtime.join("app")).uid(), 0);
        assert_eq!(meta(fx.bases.configuration.join("conf")).uid(), 0);
    }

    remove_runtime_directories(&ctx, true);
    assert!(fx.bases.runtime.join("app/sub").is_dir());
    remove_runtime_directories(&ctx, false);
    assert!(!fx.bases.runtime.join("app/sub").exists());
    assert!(fx.bases.runtime.join("app").is_dir());
    assert!(fx.bases.state.join("st").is_dir());

    // a base that cannot hold directories fails with the type's status
    let mut bases = fx.bases.clone();
    bases.logs = PathBuf::from(fx.path("etc/passwd"));
    let mut ctx = fx.ctx(&unit, &[]);
    ctx.directories = &bases;
    assert_eq!(create_directories(&ctx).unwrap_err().exit_status(), 240);
}

#[test]
fn user_manager_bases_follow_systemd_252() {
    let env = pairs(&[
        ("XDG_RUNTIME_DIR", "/run/user/1000"),
        ("XDG_CACHE_HOME", "rel"),
    ]);
    let b = DirectoryBases::user(&env, Path::new("/home/u"), 1000);
    assert_eq!(b.runtime, PathBuf::from("/run/user/1000"));
    assert_eq!(b.state, PathBuf::from("/home/u/.config"));
    assert_eq!(b.cache, PathBuf::from("/home/u/.cache"));
    assert_eq!(b.logs, PathBuf::from("/home/u/.config/log"));
    assert_eq!(b.configuration, PathBuf::from("/home/u/.config"));
    assert_eq!(DirectoryBases::for_manager(true), DirectoryBases::system());
}

#[test]
fn unit_settings_parse_as_load_fragment_does() {
    let fx = fixture();
    let unit = fx.unit(
        "parse.service",
        "[Service]\nExecStart=/bin/true\n\
         Nice=99\nNice=-3\nOOMScoreAdjust=-2000\nOOMScoreAdjust=100\n\
         LimitNOFILE=lots\nLimitNOFILE=1024:4096\nLimitCORE=infinity\n\
         CacheDirectory=ok ../escape /abs\nCacheDirectoryMode=0750\nLogsDirectoryMode=9\n\
         RuntimeDirectoryPreserve=restart\nRuntimeDirectoryPreserve=sometimes\n\
         PassEnvironment=GOOD 1BAD\nUnsetEnvironment=X\nUnsetEnvironment=\nUnsetEnvironment=Y=1\n\
         PermissionsStartOnly=yes\nRestartKillSignal=HUP\nTTYPath=/dev/tty1\n",
    );
    let s = &unit.settings;
    assert_eq!(s.nice, Some(-3));
    assert_eq!(s.oom_score_adjust, Some(100));
    let limits: Vec<(u64, u64)> = s.limits.iter().map(|l| (l.soft, l.hard)).collect();
    assert_eq!(
        limits,
        vec![(1024, 4096), (libc::RLIM_INFINITY, libc::RLIM_INFINITY)]
    );
    assert_eq!(s.cache_directory, vec!["ok"]);
    assert_eq!(s.cache_directory_mode, 0o750);
    assert_eq!(s.logs_directory_mode, 0o755);
    assert_eq!(s.runtime_directory_preserve, DirectoryPreserve::Restart);
    assert_eq!(s.pass_environment, vec!["GOOD"]);
    assert_eq!(s.unset_environment, vec!["Y=1"]);
    assert!(s.permissions_start_only);
    assert_eq!(s.restart_kill_signal.as_deref(), Some("SIGHUP"));
    assert_eq!(s.tty_path.as_deref(), Some("/dev/tty1"));
    // warnings name the file as it is inside the root
    let at = |line: usize, msg: &str| format!("/etc/systemd/system/parse.service:{line}: {msg}");
    assert_eq!(
        unit.warnings,
        vec![
            at(3, "Failed to parse Nice value, ignoring: 99"),
            at(5, "Failed to parse OOMScoreAdjust value, ignoring: -2000"),
            at(7, "Failed to parse resource value, ignoring: lots"),
            at(
                10,
                "CacheDirectory= path is not valid, ignoring assignment: ../escape"
            ),
            at(
                10,
                "CacheDirectory= path is not valid, ignoring assignment: /abs"
            ),
            at(12, "Failed to parse LogsDirectoryMode value, ignoring: 9"),
            at(
                14,
                "Failed to parse RuntimeDirectoryPreserve value, ignoring: sometimes"
            ),
            at(
                15,
                "Invalid environment name for PassEnvironment, ignoring: 1BAD"
            ),
        ]
    );
}
