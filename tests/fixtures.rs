//! The unit-file fixtures of `unit-fixtures/`: each case is a `root/` tree, a `cmd` (the
//! arguments after `--root`, split on whitespace), the exact expected stdout in `expected`, and
//! optionally the exit status in `exit` and the exact stderr in `stderr`. Set
//! `UPDATE_FIXTURES=1` to rewrite `expected` from the current output (then review the diff).

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Outcome, RootTree, OUR_SYSTEMCTL};
use systemctl_shim::unit::load::load_unit;
use systemctl_shim::unit::model::{LoadFailure, LoadState};
use systemctl_shim::unit::paths::{LookupPaths, Scope};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("unit-fixtures")
}

/// Copy a fixture's tree into a fresh root, symlinks verbatim, modes kept (init scripts must stay
/// executable).
fn lay_out(from: &Path, tree: &RootTree, inside: &str) {
    let Ok(entries) = fs::read_dir(from) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = format!("{inside}/{name}");
        let meta = fs::symlink_metadata(&path).expect("stat fixture file");
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).expect("read fixture link");
            let real = tree.real(&child);
            fs::create_dir_all(real.parent().expect("parent")).expect("mkdir");
            symlink(target, real).expect("symlink");
        } else if meta.is_dir() {
            fs::create_dir_all(tree.real(&child)).expect("mkdir");
            lay_out(&path, tree, &child);
        } else {
            let content = fs::read_to_string(&path).expect("read fixture file");
            tree.write(&child, &content);
            fs::set_permissions(tree.real(&child), meta.permissions()).expect("chmod");
        }
    }
}

/// Run our binary on the tree with an environment that does not depend on the machine.
fn run(tree: &RootTree, args: &[&str]) -> Outcome {
    Command::new(OUR_SYSTEMCTL)
        .arg(format!("--root={}", tree.path().display()))
        .args(args)
        .env_remove("SYSTEMD_UNIT_PATH")
        .env_remove("TMPDIR")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("run systemctl")
        .into()
}

fn check_case(case: &Path) -> Result<(), String> {
    let tree = RootTree::new();
    lay_out(&case.join("root"), &tree, "");
    let cmd = fs::read_to_string(case.join("cmd")).map_err(|e| format!("cmd: {e}"))?;
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let out = run(&tree, &args);
    let expected_path = case.join("expected");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        fs::write(&expected_path, &out.stdout).map_err(|e| e.to_string())?;
        let stderr_path = case.join("stderr");
        if out.stderr.is_empty() {
            let _ = fs::remove_file(&stderr_path);
        } else {
            fs::write(&stderr_path, &out.stderr).map_err(|e| e.to_string())?;
        }
    }
    let expected = fs::read_to_string(&expected_path).map_err(|e| format!("expected: {e}"))?;
    let mut problems = Vec::new();
    if out.stdout != expected {
        problems.push(format!(
            "stdout differs\n--- expected\n{expected}--- got\n{}",
            out.stdout
        ));
    }
    let exit: i32 = fs::read_to_string(case.join("exit"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if out.code != exit {
        problems.push(format!("exit {} (expected {exit})", out.code));
    }
    match fs::read_to_string(case.join("stderr")) {
        Ok(stderr) if stderr != out.stderr => problems.push(format!(
            "stderr differs\n--- expected\n{stderr}--- got\n{}",
            out.stderr
        )),
        Err(_) if !out.stderr.is_empty() => {
            problems.push(format!("unexpected stderr: {}", out.stderr))
        }
        _ => {}
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn every_fixture_shows_exactly_what_is_expected() {
    let mut cases: Vec<PathBuf> = fs::read_dir(fixtures_dir())
        .expect("unit-fixtures/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("cmd").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "fixtures missing: {cases:?}");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check_case(case)
                .err()
                .map(|e| format!("=== {}\n{e}", case.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn lookup_for(tree: &RootTree) -> LookupPaths {
    LookupPaths::new(Scope::System, Some(tree.path())).expect("lookup paths")
}

#[test]
fn unknown_keys_warn_once_with_systemds_wording_and_x_keys_are_silent() {
    let tree = RootTree::new();
    lay_out(&fixtures_dir().join("unknown-key/root"), &tree, "");
    let unit = load_unit(&lookup_for(&tree), "odd.service").expect("valid name");
    assert_eq!(unit.load_state, LoadState::Loaded);
    assert_eq!(
        unit.warnings,
        vec![
            "/lib/systemd/system/odd.service:3: Unknown key 'Frobnicate' in section [Unit], ignoring.",
            "/lib/systemd/system/odd.service:7: Unknown key 'NoSuchSetting' in section [Service], ignoring.",
        ]
    );
}

#[test]
fn a_bad_command_line_with_the_dash_prefix_only_warns() {
    let tree = RootTree::new();
    lay_out(&fixtures_dir().join("quoting/root"), &tree, "");
    let unit = load_unit(&lookup_for(&tree), "quote.service").expect("valid name");
    assert_eq!(unit.load_state, LoadState::Loaded);
    assert_eq!(
        unit.warnings,
        vec![
            "/lib/systemd/system/quote.service:6: Invalid syntax: -/bin/echo \"unterminated, ignoring."
        ]
    );
}

#[test]
fn an_invalid_name_is_an_error_and_an_unreadable_file_fails_only_its_unit() {
    let tree = RootTree::new();
    tree.write("/lib/systemd/system/huge.service", "[Unit]\n");
    let huge = tree.real("/lib/systemd/system/huge.service");
    let file = fs::OpenOptions::new()
        .write(true)
        .open(&huge)
        .expect("open");
    file.set_len(17 * 1024 * 1024).expect("grow sparse file");
    tree.write(
        "/lib/systemd/system/ok.service",
        "[Service]\nExecStart=/bin/true\n",
    );
    let lookup = lookup_for(&tree);
    assert!(load_unit(&lookup, "not a unit").is_err());
    let unit = load_unit(&lookup, "huge.service").expect("valid name");
    assert_eq!(unit.load_state, LoadState::Error(LoadFailure::TooLarge));
    assert!(unit
        .load_error
        .as_deref()
        .is_some_and(|e| e.contains("huge.service") && e.contains("too large")));
    let ok = load_unit(&lookup, "ok.service").expect("valid name");
    assert_eq!(ok.load_state, LoadState::Loaded);
}

#[test]
fn show_without_units_prints_the_managers_properties_and_templates_are_refused() {
    let tree = RootTree::new();
    let out = tree.ours(&["show", "-p", "Version,SystemState"]);
    assert_eq!(out.stdout, "Version=252\nSystemState=offline\n");
    let out = tree.ours(&["show", "foo@.service"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Failed to get properties: Unit name foo@.service is neither a valid invocation ID nor \
         unit name.\n"
    );
}

#[test]
fn conditions_keep_trigger_and_negation_and_an_empty_assignment_resets_them() {
    let tree = RootTree::new();
    lay_out(&fixtures_dir().join("conditions/root"), &tree, "");
    let unit = load_unit(&lookup_for(&tree), "cond.service").expect("valid name");
    let conditions: Vec<(String, bool, bool, String)> = unit
        .unit
        .conditions
        .iter()
        .map(|c| (c.name.clone(), c.trigger, c.negate, c.parameter.clone()))
        .collect();
    assert_eq!(
        conditions,
        vec![(
            "ConditionFileNotEmpty".to_string(),
            true,
            false,
            "/etc/three".to_string()
        )]
    );
    let asserts = &unit.unit.asserts;
    assert_eq!(asserts.len(), 1);
    assert!(asserts[0].negate && !asserts[0].trigger);
    assert_eq!(asserts[0].parameter, "/var/lib/cond");
    assert_eq!(
        unit.warnings,
        vec![
            "/lib/systemd/system/cond.service:7: Unknown key 'ConditionNoSuchThing' in section [Unit], ignoring."
        ]
    );
}

#[test]
fn legacy_pidfile_paths_and_bad_environment_names_warn_as_systemd_does() {
    let tree = RootTree::new();
    lay_out(&fixtures_dir().join("reset/root"), &tree, "");
    let unit = load_unit(&lookup_for(&tree), "reset.service").expect("valid name");
    let conf = "/lib/systemd/system/reset.service.d/pidfile.conf";
    assert_eq!(
        unit.warnings,
        vec![
            format!("{conf}:2: PIDFile= references a path below legacy directory /var/run/, updating /var/run/reset.pid \u{2192} /run/reset.pid; please update the unit file accordingly."),
            format!("{conf}:3: Invalid environment assignment, ignoring: BAD-NAME=x"),
        ]
    );
}

#[test]
fn service_settings_derived_at_load_time_follow_service_add_extras() {
    let tree = RootTree::new();
    let dir = "/lib/systemd/system";
    tree.write(
        &format!("{dir}/notify.service"),
        "[Service]\nType=notify\nExecStart=/bin/d\nTimeoutSec=0\nKillSignal=HUP\n",
    );
    tree.write(
        &format!("{dir}/inferred.service"),
        "[Service]\nExecStart=/bin/d\n",
    );
    tree.write(
        &format!("{dir}/once.service"),
        "[Service]\nRemainAfterExit=yes\nExecStop=/bin/d\n",
    );
    tree.write(
        &format!("{dir}/bus.service"),
        "[Service]\nBusName=org.example.Bus\nExecStart=/bin/d\n",
    );
    let lookup = lookup_for(&tree);
    let service = |name: &str| {
        let unit = load_unit(&lookup, name).expect("valid name");
        assert_eq!(
            unit.load_state,
            LoadState::Loaded,
            "{name}: {:?}",
            unit.load_error
        );
        let s = unit.service().expect("a service").clone();
        (unit, s)
    };
    let (unit, s) = service("notify.service");
    assert_eq!(s.notify_access.as_deref(), Some("main"));
    assert!(s.timeout_start.is_infinity() && s.timeout_stop.is_infinity());
    assert_eq!(unit.settings.kill_signal, "SIGHUP");
    let (_, s) = service("inferred.service");
    assert_eq!(s.service_type.as_deref(), Some("simple"));
    assert!(!s.timeout_start.is_infinity());
    let (_, s) = service("once.service");
    assert_eq!(s.service_type.as_deref(), Some("oneshot"));
    assert!(s.timeout_start.is_infinity());
    let (_, s) = service("bus.service");
    assert_eq!(s.service_type.as_deref(), Some("dbus"));
}

#[test]
fn a_fifo_is_never_opened_as_a_unit_file_or_drop_in() {
    let tree = RootTree::new();
    let dir = "/lib/systemd/system";
    tree.write(
        &format!("{dir}/piped.service.d/ok.conf"),
        "[Unit]\nDescription=ok\n",
    );
    tree.write(
        &format!("{dir}/fine.service"),
        "[Service]\nExecStart=/bin/true\n",
    );
    let fifo = |inside: &str| {
        let real = tree.real(inside);
        fs::create_dir_all(real.parent().expect("parent")).expect("mkdir");
        nix::unistd::mkfifo(
            &tree.real(inside),
            nix::sys::stat::Mode::from_bits_truncate(0o644),
        )
        .expect("mkfifo");
    };
    fifo("/srv/piped.service");
    tree.link(&format!("{dir}/piped.service"), "/srv/piped.service");
    fifo(&format!("{dir}/fine.service.d/fifo.conf"));
    let lookup = lookup_for(&tree);
    let piped = load_unit(&lookup, "piped.service").expect("valid name");
    assert_eq!(piped.load_state, LoadState::Error(LoadFailure::Io));
    let fine = load_unit(&lookup, "fine.service").expect("valid name");
    assert_eq!(fine.load_state, LoadState::Loaded);
    assert!(fine.dropin_paths.is_empty());
    let out = tree.ours(&["cat", "piped.service"]);
    assert_eq!(out.code, 1);
}
