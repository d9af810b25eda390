//! What `show`, `status` and `list-units` print while our manager runs services, checked against
//! the output of systemctl 252 with systemd 252 as the service manager (the expected layouts
//! below were taken from it, for the same unit files). Each test runs real services in a private
//! [`Sandbox`]; where a value varies (pids, times), the test checks its form and, for pids and
//! times, that it is the right one.

mod common;

use common::sandbox::Sandbox;
use common::Outcome;

const SLEEPER: &str =
    "[Unit]\nDescription=Sleeper\n[Service]\nExecStartPre=/bin/true\nExecStart=/bin/sleep 1000\n";
const FAILER: &str =
    "[Service]\nType=oneshot\nExecStart=/bin/sh -c \"echo hello; echo bad >&2; exit 3\"\n";

fn ok(o: &Outcome, what: &str) {
    assert_eq!(o.code, 0, "{what}: {o:?}");
}

/// Seconds since the epoch inside the sandbox.
fn now(sb: &Sandbox) -> i64 {
    let o = sb.run(&["date", "+%s"]);
    o.stdout.trim().parse().expect("date +%s")
}

/// Checks that `ts` has systemd's form `Sun 2026-11-22 02:05:35 UTC` and returns it as seconds
/// since the epoch (parsed by date(1) inside the sandbox, in the same time zone).
fn timestamp(sb: &Sandbox, ts: &str) -> i64 {
    let parts: Vec<&str> = ts.split(' ').collect();
    assert!((3..=4).contains(&parts.len()), "not a timestamp: {ts:?}");
    assert!(
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].contains(&parts[0]),
        "weekday of {ts:?}"
    );
    let digits = |s: &str, form: &str| {
        s.len() == form.len()
            && s.chars()
                .zip(form.chars())
                .all(|(c, f)| if f == '9' { c.is_ascii_digit() } else { c == f })
    };
    assert!(digits(parts[1], "9999-99-99"), "date of {ts:?}");
    assert!(digits(parts[2], "99:99:99"), "time of {ts:?}");
    let o = sb.run(&["date", "-d", &parts[1..].join(" "), "+%s"]);
    assert_eq!(o.code, 0, "date(1) cannot read {ts:?}: {o:?}");
    o.stdout.trim().parse().expect("seconds")
}

/// `ts` is a timestamp between `before` and `after` (seconds).
fn stamped_between(sb: &Sandbox, ts: &str, before: i64, after: i64) {
    let t = timestamp(sb, ts);
    assert!(
        before <= t && t <= after,
        "{ts:?} ({t}) is not between {before} and {after}"
    );
}

/// Replace each of `pairs` (value → placeholder) in `text`.
fn mask(text: &str, pairs: &[(String, &str)]) -> String {
    let mut out = text.to_string();
    for (value, placeholder) in pairs {
        out = out.replace(value.as_str(), placeholder);
    }
    out
}

/// The part of `line` after `prefix` up to `"; "`, and what follows, for `… since TS; 5s ago`.
fn since(line: &str, prefix: &str) -> (String, String) {
    let rest = line
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"));
    let (ts, rel) = rest
        .split_once("; ")
        .unwrap_or_else(|| panic!("no relative time in {line:?}"));
    (ts.to_string(), rel.to_string())
}

/// A relative time as format_timestamp_relative() words a recent past: `52ms ago`, `3s ago`.
fn assert_recent(rel: &str) {
    let number = rel
        .strip_suffix(" ago")
        .unwrap_or_else(|| panic!("{rel:?} is not in the past"));
    let digits = number.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &number[digits.len()..];
    assert!(
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()),
        "{rel:?}"
    );
    assert!(["us", "ms", "s"].contains(&unit), "{rel:?}");
}

fn start_sleeper(sb: &Sandbox) -> (i64, i64) {
    sb.unit("sleeper.service", SLEEPER);
    let before = now(sb);
    ok(
        &sb.systemctl(&["start", "sleeper.service"]),
        "start sleeper",
    );
    (before, now(sb))
}

fn fail_failer(sb: &Sandbox) -> (i64, i64) {
    sb.unit("failer.service", FAILER);
    let before = now(sb);
    let o = sb.systemctl(&["start", "failer.service"]);
    assert_eq!(o.code, 1, "{o:?}");
    (before, now(sb))
}

#[test]
fn show_of_a_running_service_carries_its_pids_timestamps_and_command_runs() {
    let sb = Sandbox::new();
    let (before, after) = start_sleeper(&sb);
    let u = "sleeper.service";
    assert_eq!(sb.prop(u, "ActiveState"), "active");
    assert_eq!(sb.prop(u, "SubState"), "running");
    assert_eq!(sb.prop(u, "Result"), "success");
    assert_eq!(sb.prop(u, "NRestarts"), "0");
    assert_eq!(sb.prop(u, "ConditionResult"), "yes");
    let pid = sb.main_pid(u);
    assert!(sb.pid_alive(pid), "MainPID {pid} is not alive");
    assert_eq!(sb.cmdline(pid).as_deref(), Some("/bin/sleep 1000"));
    assert_eq!(sb.prop(u, "ExecMainPID"), pid.to_string());
    assert_eq!(sb.prop(u, "ExecMainCode"), "0");
    assert_eq!(sb.prop(u, "ExecMainStatus"), "0");
    assert_eq!(sb.prop(u, "ControlPID"), "0");
    let invocation = sb.prop(u, "InvocationID");
    assert!(
        invocation.len() == 32 && invocation.chars().all(|c| c.is_ascii_hexdigit()),
        "{invocation:?}"
    );
    for p in [
        "ExecMainStartTimestamp",
        "ActiveEnterTimestamp",
        "InactiveExitTimestamp",
        "StateChangeTimestamp",
    ] {
        let value = sb.prop(u, p);
        assert!(!value.is_empty(), "{p} is empty");
        stamped_between(&sb, &value, before, after);
        let mono: u64 = sb
            .prop(u, &format!("{p}Monotonic"))
            .parse()
            .expect("a monotonic timestamp is a number");
        assert!(mono > 0, "{p}Monotonic");
    }
    // Unset timestamps are empty, their monotonic twins 0.
    assert_eq!(sb.prop(u, "ExecMainExitTimestamp"), "");
    assert_eq!(sb.prop(u, "ActiveExitTimestampMonotonic"), "0");

    let o = sb.systemctl(&["show", "-p", "ExecStartPre,ExecStart,ExecStartEx", u]);
    ok(&o, "show -p Exec…");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", o.stdout);
    let start_time = |line: &str| {
        let from = line.find("start_time=[").expect("start_time") + "start_time=[".len();
        line[from..]
            .split(']')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let pre_start = start_time(lines[0]);
    stamped_between(&sb, &pre_start, before, after);
    let pre_pid = lines[0]
        .split(" ; pid=")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .expect("pid of ExecStartPre");
    let stop_from = lines[0].find("stop_time=[").expect("stop_time") + "stop_time=[".len();
    let pre_stop = lines[0][stop_from..].split(']').next().unwrap_or_default();
    stamped_between(&sb, pre_stop, before, after);
    assert_eq!(
        mask(
            lines[0],
            &[
                (format!("start_time=[{pre_start}]"), "start_time=[START]"),
                (format!("stop_time=[{pre_stop}]"), "stop_time=[STOP]"),
                (format!("pid={pre_pid} "), "pid=PID ")
            ]
        ),
        "ExecStartPre={ path=/bin/true ; argv[]=/bin/true ; ignore_errors=no ; start_time=[START] ; stop_time=[STOP] ; pid=PID ; code=exited ; status=0 }"
    );
    let main_start = start_time(lines[1]);
    stamped_between(&sb, &main_start, before, after);
    let masked = [
        (format!("start_time=[{main_start}]"), "start_time=[START]"),
        (format!("pid={pid} "), "pid=PID "),
    ];
    assert_eq!(
        mask(lines[1], &masked),
        "ExecStart={ path=/bin/sleep ; argv[]=/bin/sleep 1000 ; ignore_errors=no ; start_time=[START] ; stop_time=[n/a] ; pid=PID ; code=(null) ; status=0/0 }"
    );
    assert_eq!(
        mask(lines[2], &masked),
        "ExecStartEx={ path=/bin/sleep ; argv[]=/bin/sleep 1000 ; flags= ; start_time=[START] ; stop_time=[n/a] ; pid=PID ; code=(null) ; status=0/0 }"
    );
}

#[test]
fn show_of_a_failed_oneshot_has_its_exit_code_and_status() {
    let sb = Sandbox::new();
    let (before, after) = fail_failer(&sb);
    let u = "failer.service";
    assert_eq!(sb.prop(u, "ActiveState"), "failed");
    assert_eq!(sb.prop(u, "SubState"), "failed");
    assert_eq!(sb.prop(u, "Result"), "exit-code");
    assert_eq!(sb.prop(u, "MainPID"), "0");
    assert_eq!(sb.prop(u, "ExecMainCode"), "1");
    assert_eq!(sb.prop(u, "ExecMainStatus"), "3");
    let pid: i32 = sb.prop(u, "ExecMainPID").parse().expect("ExecMainPID");
    assert!(pid > 0);
    for p in [
        "ExecMainStartTimestamp",
        "ExecMainExitTimestamp",
        "InactiveEnterTimestamp",
    ] {
        stamped_between(&sb, &sb.prop(u, p), before, after);
    }
    // It never became active.
    assert_eq!(sb.prop(u, "ActiveEnterTimestamp"), "");
    let line = sb.prop(u, "ExecStart");
    let ts = timestamp_in(&line, "start_time=[");
    let te = timestamp_in(&line, "stop_time=[");
    assert_eq!(
        mask(
            &line,
            &[
                (format!("start_time=[{ts}]"), "start_time=[START]"),
                (format!("stop_time=[{te}]"), "stop_time=[STOP]"),
                (format!("pid={pid} "), "pid=PID ")
            ]
        ),
        "{ path=/bin/sh ; argv[]=/bin/sh -c echo hello; echo bad >&2; exit 3 ; ignore_errors=no ; start_time=[START] ; stop_time=[STOP] ; pid=PID ; code=exited ; status=3 }"
    );
}

fn timestamp_in(line: &str, key: &str) -> String {
    let from = line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len();
    line[from..]
        .split(']')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn status_of_a_running_service_in_systemds_layout() {
    let sb = Sandbox::new();
    let (before, after) = start_sleeper(&sb);
    let pid = sb.main_pid("sleeper.service");
    let o = sb.systemctl(&["status", "sleeper.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines.len() >= 7, "{}", o.stdout);
    let (ts, rel) = since(lines[2], "     Active: active (running) since ");
    stamped_between(&sb, &ts, before, after);
    assert_recent(&rel);
    let pre_pid = lines[3]
        .strip_prefix("    Process: ")
        .and_then(|r| r.split(' ').next())
        .unwrap_or_else(|| panic!("no Process: line: {}", o.stdout));
    let head = mask(
        &lines[..7].join("\n"),
        &[
            (format!("since {ts}; {rel}"), "since TS; REL"),
            (format!("Process: {pre_pid} "), "Process: P0 "),
            (pid.to_string(), "P1"),
        ],
    );
    assert_eq!(
        head,
        "● sleeper.service - Sleeper\n     Loaded: loaded (/etc/systemd/system/sleeper.service; static)\n     Active: active (running) since TS; REL\n    Process: P0 ExecStartPre=/bin/true (code=exited, status=0/SUCCESS)\n   Main PID: P1 (sleep)\n     CGroup: /system.slice/sleeper.service\n             └─P1 /bin/sleep 1000"
    );
}

#[test]
fn status_of_a_failed_oneshot_shows_the_exit_and_the_log_tail() {
    let sb = Sandbox::new();
    let (before, after) = fail_failer(&sb);
    let pid: i32 = sb
        .prop("failer.service", "ExecMainPID")
        .parse()
        .expect("pid");
    let o = sb.systemctl(&["status", "failer.service"]);
    assert_eq!(o.code, 3, "{o:?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines.len() >= 5, "{}", o.stdout);
    let (ts, rel) = since(lines[2], "     Active: failed (Result: exit-code) since ");
    stamped_between(&sb, &ts, before, after);
    assert_recent(&rel);
    // The Active line is masked first: pids in a fresh namespace are small numbers that may
    // also appear in its timestamp.
    assert_eq!(
        mask(
            &lines[..5].join("\n"),
            &[
                (lines[2]["     Active: ".len()..].to_string(), "LINE"),
                (pid.to_string(), "P")
            ]
        ),
        "× failer.service\n     Loaded: loaded (/etc/systemd/system/failer.service; static)\n     Active: LINE\n    Process: P ExecStart=/bin/sh -c echo hello; echo bad >&2; exit 3 (code=exited, status=3)\n   Main PID: P (code=exited, status=3)"
    );
    // Then a blank line and the log, in journalctl's short format.
    assert_eq!(lines[5], "", "{}", o.stdout);
    let host = sb.run(&["hostname"]).stdout.trim().to_string();
    let log: Vec<&str> = lines[6..].to_vec();
    for message in ["hello", "bad"] {
        // The pid is the shell's, which the manager knows only while the shell runs (a line read
        // after its exit may carry 0), so only its form is checked.
        let line = log
            .iter()
            .find(|l| l.ends_with(&format!("]: {message}")))
            .unwrap_or_else(|| panic!("no log line {message:?} in:\n{}", o.stdout));
        let (head, _) = line.rsplit_once("]: ").expect("a journal line");
        let (head, pid_text) = head.rsplit_once(" sh[").expect("identifier sh");
        assert!(pid_text.parse::<i32>().is_ok(), "{line:?}");
        // "Nov 22 06:23:49 HOST"
        let stamp = head
            .strip_suffix(&format!(" {host}"))
            .unwrap_or_else(|| panic!("no host in {line:?}"));
        assert_eq!(stamp.len(), 15, "{line:?}");
        assert_eq!(&stamp[3..4], " ", "{line:?}");
        assert_eq!(&stamp[9..10], ":", "{line:?}");
    }
}

#[test]
fn status_after_stop_says_since_when_and_for_how_long_it_ran() {
    let sb = Sandbox::new();
    start_sleeper(&sb);
    sb.keep_loaded("sleeper.service");
    ok(&sb.systemctl(&["stop", "sleeper.service"]), "stop");
    let o = sb.systemctl(&["status", "sleeper.service"]);
    assert_eq!(o.code, 3, "{o:?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines.len() >= 5, "{}", o.stdout);
    assert_eq!(lines[0], "○ sleeper.service - Sleeper");
    let (_, rel) = since(lines[2], "     Active: inactive (dead) since ");
    assert_recent(&rel);
    let duration = lines[3]
        .strip_prefix("   Duration: ")
        .unwrap_or_else(|| panic!("no Duration: line:\n{}", o.stdout));
    assert!(
        duration.ends_with("ms") || duration.ends_with('s'),
        "{duration:?}"
    );
    assert!(
        lines[4].starts_with("    Process: ")
            && lines[4].ends_with(" ExecStartPre=/bin/true (code=exited, status=0/SUCCESS)"),
        "{}",
        o.stdout
    );
    assert!(
        !o.stdout.contains("CGroup:"),
        "no processes are left: {}",
        o.stdout
    );
}

/// systemd 252 after `stop`: `Process: N ExecStart=/bin/sleep 1000 (code=killed, signal=TERM)`
/// and `Main PID: N (code=killed, signal=TERM)`.
#[test]
fn status_after_stop_shows_how_the_main_process_ended() {
    let sb = Sandbox::new();
    start_sleeper(&sb);
    sb.keep_loaded("sleeper.service");
    let pid = sb.main_pid("sleeper.service");
    ok(&sb.systemctl(&["stop", "sleeper.service"]), "stop");
    assert_eq!(sb.prop("sleeper.service", "ExecMainCode"), "2");
    assert_eq!(sb.prop("sleeper.service", "ExecMainStatus"), "15");
    let o = sb.systemctl(&["status", "sleeper.service"]);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines.len() >= 7, "{}", o.stdout);
    assert_eq!(
        lines[5],
        format!("    Process: {pid} ExecStart=/bin/sleep 1000 (code=killed, signal=TERM)")
    );
    assert_eq!(
        lines[6],
        format!("   Main PID: {pid} (code=killed, signal=TERM)")
    );
}

#[test]
fn status_log_tail_is_the_last_ten_lines_or_as_many_as_asked() {
    let sb = Sandbox::new();
    let daemon = sb.daemon("log-lines.sh");
    sb.unit(
        "chatty.service",
        &format!("[Service]\nExecStart=/bin/sh {daemon} 8 chat\n"),
    );
    ok(&sb.systemctl(&["start", "chatty.service"]), "start chatty");
    sb.wait_until("all 16 lines are logged", common::sandbox::WAIT, || {
        sb.journalctl(&["-u", "chatty.service"])
            .stdout
            .contains("chat err 8")
    });
    let tail = |args: &[&str]| -> Vec<String> {
        let o = sb.systemctl(args);
        assert_eq!(o.code, 0, "{o:?}");
        let (_, log) = o
            .stdout
            .split_once("\n\n")
            .unwrap_or_else(|| panic!("no log after a blank line:\n{}", o.stdout));
        log.lines()
            .map(|l| l.rsplit(": ").next().unwrap_or_default().to_string())
            .collect()
    };
    let ten = tail(&["status", "chatty.service"]);
    assert_eq!(ten.len(), 10, "{ten:?}");
    assert_eq!(ten.last().map(String::as_str), Some("chat err 8"));
    assert_eq!(
        tail(&["status", "-n", "3", "chatty.service"]),
        ["chat err 7", "chat out 8", "chat err 8"]
    );
}

#[test]
fn status_exit_code_is_that_of_the_first_unit_not_active() {
    let sb = Sandbox::new();
    start_sleeper(&sb);
    fail_failer(&sb);
    let code = |args: &[&str]| {
        let mut argv = vec!["status"];
        argv.extend_from_slice(args);
        sb.systemctl(&argv).code
    };
    assert_eq!(code(&["sleeper.service"]), 0);
    assert_eq!(code(&["sleeper.service", "failer.service"]), 3);
    assert_eq!(code(&["failer.service", "sleeper.service"]), 3);
    assert_eq!(code(&["sleeper.service", "nope.service"]), 4);
    assert_eq!(code(&["nope.service", "sleeper.service"]), 4);
    let o = sb.systemctl(&["status", "nope.service", "sleeper.service"]);
    assert_eq!(o.stderr, "Unit nope.service could not be found.\n");
    assert!(
        o.stdout.starts_with("● sleeper.service - Sleeper\n"),
        "{o:?}"
    );
}

const LEGEND: &str = "\nLOAD   = Reflects whether the unit definition was properly loaded.\nACTIVE = The high-level unit activation state, i.e. generalization of SUB.\nSUB    = The low-level unit activation state, values depend on unit type.\n";
const LIST_FILES: &str = "To show all installed unit files use 'systemctl list-unit-files'.\n";

#[test]
fn list_units_prints_systemds_table_marks_and_footers() {
    let sb = Sandbox::new();
    start_sleeper(&sb);
    fail_failer(&sb);
    let list = |args: &[&str]| {
        let mut argv = vec!["list-units"];
        argv.extend_from_slice(args);
        let o = sb.systemctl(&argv);
        assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{o:?}");
        o.stdout
    };
    let rows = "● failer.service  loaded failed failed  failer.service\n  sleeper.service loaded active running Sleeper\n";
    assert_eq!(
        list(&["--type=service"]),
        format!("  UNIT            LOAD   ACTIVE SUB     DESCRIPTION\n{rows}{LEGEND}2 loaded units listed. Pass --all to see loaded but inactive units, too.\n{LIST_FILES}")
    );
    assert_eq!(
        list(&["*.service"]),
        format!("  UNIT            LOAD   ACTIVE SUB     DESCRIPTION\n{rows}{LEGEND}2 loaded units listed. Pass --all to see loaded but inactive units, too.\n{LIST_FILES}")
    );
    assert_eq!(
        list(&["--failed"]),
        format!("  UNIT           LOAD   ACTIVE SUB    DESCRIPTION\n● failer.service loaded failed failed failer.service\n{LEGEND}1 loaded units listed.\n")
    );
    assert_eq!(
        list(&["--state=failed", "--all"]),
        format!("  UNIT           LOAD   ACTIVE SUB    DESCRIPTION\n● failer.service loaded failed failed failer.service\n{LEGEND}1 loaded units listed.\n{LIST_FILES}")
    );
    assert_eq!(
        list(&["--state=running", "--no-legend"]),
        "  init.scope      loaded active running System and Service Manager\n  sleeper.service loaded active running Sleeper\n"
    );
    assert_eq!(
        list(&["--type=service", "--plain", "--no-legend"]),
        "failer.service  loaded failed failed  failer.service\nsleeper.service loaded active running Sleeper\n"
    );
    // Patterns are globs over full names, not mangled.
    assert_eq!(
        list(&["sleeper"]),
        format!("  UNIT LOAD ACTIVE SUB DESCRIPTION\n0 loaded units listed. Pass --all to see loaded but inactive units, too.\n{LIST_FILES}")
    );
}

#[test]
fn list_units_shows_inactive_units_with_all_or_state_inactive() {
    let sb = Sandbox::new();
    start_sleeper(&sb);
    sb.keep_loaded("sleeper.service");
    ok(&sb.systemctl(&["stop", "sleeper.service"]), "stop");
    let o = sb.systemctl(&["list-units", "--type=service"]);
    assert_eq!(
        o.stdout,
        format!("  UNIT LOAD ACTIVE SUB DESCRIPTION\n0 loaded units listed. Pass --all to see loaded but inactive units, too.\n{LIST_FILES}")
    );
    let o = sb.systemctl(&["list-units", "--state=inactive", "sleeper.service"]);
    assert_eq!(
        o.stdout,
        format!("  UNIT            LOAD   ACTIVE   SUB  DESCRIPTION\n  sleeper.service loaded inactive dead Sleeper\n{LEGEND}1 loaded units listed.\n{LIST_FILES}")
    );
}
