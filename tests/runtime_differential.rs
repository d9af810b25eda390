//! The runtime differential (issue 15): every scenario of `unit-fixtures/runtime-differential/`
//! runs twice, once with systemd 252 (`/lib/systemd/systemd`) as PID 1 of an image-shaped
//! sandbox and the real `systemctl`/`journalctl` talking to it, once with our binary as PID 1
//! over the same files and our binary as `systemctl`/`journalctl`. Each command's stdout,
//! stderr and exit code are compared after [`normalise`] has taken out only what must differ
//! between two runs (times, PIDs, invocation ids, the cgroup lines of `status`, the counters and
//! id of a unit's cgroup in `show`).
//!
//! A scenario file (`NAME.scenario`):
//! ```text
//! # what it checks
//! === file /etc/systemd/system/a.service
//! [Service]
//! ExecStart=/bin/sleep infinity
//! === file 0755 /var/lib/diff/helper
//! #!/bin/sh
//! === run
//! systemctl start a.service
//! @wait systemctl is-active -q a.service
//! systemctl status a.service
//! ```
//! Each `run` line is a `sh -c` command compared between the two managers; `@wait CMD` polls
//! CMD until it exits 0 (in each world, not compared); `@do CMD` runs CMD without comparing.
//! Both managers boot `diff.target` (`/run/systemd/system/diff.target`, no default dependencies).
//!
//! The test prints one line per command, MATCH or DIFF (with both sides of a DIFF), and a total.
//! The same command run again in a scenario is named `COMMAND #2`, `#3`, ….
//! It fails on a DIFF that `unit-fixtures/runtime-differential/known-differences` does not list;
//! a listed difference that now matches is printed so the list can shrink
//! (`DIFF_UPDATE_KNOWN=1` rewrites the list from a run, for review in the diff). Run it alone with
//! `cargo test --release --test runtime_differential -- --nocapture`; `DIFF_ONLY=NAME` runs one
//! scenario; `DIFF_CLIENT=real` asks our manager with the real systemctl 252 (through our
//! D-Bus API) instead of ours; `DIFF_SELF=1` boots systemd 252 on both sides, to check that a scenario is
//! deterministic; `DIFF_VERBOSE=1` also prints the output of each command that matches.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, PATH};
use common::Outcome;

const REAL_SYSTEMD: &str = "/lib/systemd/systemd";

/// The target both managers boot: nothing but what the scenario starts.
const DIFF_TARGET: &str = "[Unit]\nDescription=Differential\nDefaultDependencies=no\n";

/// One step of a scenario.
#[derive(Debug, Clone)]
enum Step {
    /// A command whose outcome is compared.
    Compare(String),
    /// Poll until the command exits 0.
    Wait(String),
    /// Run without comparing.
    Do(String),
}

#[derive(Debug)]
struct Scenario {
    name: String,
    /// (path inside, mode, content)
    files: Vec<(String, u32, String)>,
    steps: Vec<Step>,
}

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("unit-fixtures/runtime-differential")
}

fn parse_scenario(name: &str, text: &str) -> Scenario {
    let mut files: Vec<(String, u32, String)> = Vec::new();
    let mut steps = Vec::new();
    let mut in_run = false;
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("=== ") {
            let words: Vec<&str> = header.split_whitespace().collect();
            match words.as_slice() {
                ["file", path] => files.push((path.to_string(), 0o644, String::new())),
                ["file", mode, path] => {
                    let mode = u32::from_str_radix(mode, 8)
                        .unwrap_or_else(|_| panic!("{name}: bad mode in `{line}`"));
                    files.push((path.to_string(), mode, String::new()));
                }
                ["run"] => in_run = true,
                _ => panic!("{name}: unknown section `{line}`"),
            }
            continue;
        }
        if in_run {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            steps.push(if let Some(cmd) = line.strip_prefix("@wait ") {
                Step::Wait(cmd.to_string())
            } else if let Some(cmd) = line.strip_prefix("@do ") {
                Step::Do(cmd.to_string())
            } else {
                Step::Compare(line.to_string())
            });
        } else if let Some((_, _, content)) = files.last_mut() {
            content.push_str(line);
            content.push('\n');
        }
    }
    Scenario {
        name: name.to_string(),
        files,
        steps,
    }
}

fn scenarios() -> Vec<Scenario> {
    let only = std::env::var("DIFF_ONLY").ok();
    let mut out = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(scenario_dir())
        .expect("unit-fixtures/runtime-differential")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "scenario"))
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if only.as_ref().is_some_and(|o| *o != name) {
            continue;
        }
        let text = fs::read_to_string(&path).expect("read scenario");
        out.push(parse_scenario(&name, &text));
    }
    out
}

/// Which manager a world runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Manager {
    Systemd,
    Ours,
    /// Our manager asked by the real systemctl 252, through our D-Bus API (`DIFF_CLIENT=real`).
    OursViaBus,
}

struct World {
    sb: Sandbox,
    env: Vec<(&'static str, String)>,
}

impl World {
    fn boot(manager: Manager, scenario: &Scenario) -> World {
        let sb = Sandbox::for_image();
        sb.file("/run/systemd/system/diff.target", DIFF_TARGET);
        // Where helpers and the files services write live, even in a scenario with no helper.
        fs::create_dir_all(sb.host_path("/var/lib/diff")).expect("mkdir /var/lib/diff");
        for (path, mode, content) in &scenario.files {
            sb.file(path, content);
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(sb.host_path(path), fs::Permissions::from_mode(*mode))
                .expect("chmod in sandbox");
        }
        // Our binary answers as systemctl and journalctl from the sandbox's link directory.
        let path = match manager {
            Manager::Systemd => PATH.to_string(),
            Manager::Ours => format!("/run/sandbox-bin:{PATH}"),
            Manager::OursViaBus => {
                // our journalctl (the real one cannot read our journal), the real systemctl
                let dir = sb.host_path("/run/sandbox-client");
                fs::create_dir_all(&dir).expect("mkdir /run/sandbox-client");
                std::os::unix::fs::symlink("/run/sandbox-bin/journalctl", dir.join("journalctl"))
                    .expect("link journalctl");
                format!("/run/sandbox-client:{PATH}")
            }
        };
        let env = vec![("PATH", path), ("SYSTEMD_PAGER", "cat".to_string())];
        let borrowed: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        match manager {
            Manager::Systemd => sb.boot_image(REAL_SYSTEMD, &["--unit=diff.target"], &borrowed),
            Manager::Ours | Manager::OursViaBus => {
                sb.boot_image("systemd", &["--unit=diff.target"], &borrowed)
            }
        }
        World { sb, env }
    }

    fn sh(&self, script: &str) -> Outcome {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.sb.run_env(&env, &["/bin/sh", "-c", script])
    }

    fn wait(&self, script: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.sh(script).code == 0 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

/// `Www YYYY-MM-DD HH:MM:SS ZZZ` and friends, where `A` is an upper-case letter, `a` a lower-case
/// one, `9` a digit and anything else itself.
fn matches_at(s: &[u8], at: usize, pattern: &str) -> bool {
    let p = pattern.as_bytes();
    if at + p.len() > s.len() {
        return false;
    }
    p.iter().zip(&s[at..]).all(|(p, c)| match p {
        b'A' => c.is_ascii_uppercase(),
        b'a' => c.is_ascii_lowercase(),
        b'9' => c.is_ascii_digit(),
        _ => p == c,
    })
}

fn replace_pattern(line: &str, pattern: &str, with: &str) -> String {
    let s = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        if line.is_char_boundary(i) && matches_at(s, i, pattern) {
            out.push_str(with);
            i += pattern.len();
        } else {
            let ch = line[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8().max(1);
        }
    }
    out
}

/// Replace the run of digits right after each `prefix` with `N` (a zero stays, it means none).
fn replace_number_after(line: &str, prefix: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(pos) = rest.find(prefix) {
        let after = pos + prefix.len();
        out.push_str(&rest[..after]);
        let digits = rest[after..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - after);
        let number = &rest[after..after + digits];
        out.push_str(if number.is_empty() || number == "0" {
            number
        } else {
            "N"
        });
        rest = &rest[after + digits..];
    }
    out.push_str(rest);
    out
}

/// The counters of a unit's cgroup that `show` prints (`CPUUsageNSec=1424000` →
/// `CPUUsageNSec=N`, zero included: how much CPU a start took is not the same twice).
fn replace_counter(line: &str) -> String {
    const COUNTERS: &[&str] = &[
        "CPUUsageNSec=",
        "MemoryCurrent=",
        "TasksCurrent=",
        "IPIngressBytes=",
        "IPIngressPackets=",
        "IPEgressBytes=",
        "IPEgressPackets=",
    ];
    match COUNTERS.iter().find(|c| line.starts_with(**c)) {
        Some(key)
            if line[key.len()..].bytes().all(|b| b.is_ascii_digit()) && line.len() > key.len() =>
        {
            format!("{key}N")
        }
        _ => line.to_string(),
    }
}

/// When a monotonic timer elapses next, a span since boot (`next_elapse=13h 51min 40.9s` of
/// `TimersMonotonic=`, `NextElapseUSecMonotonic=13h 51min 40.9s`) → `SPAN`: it counts from the
/// moment the timer started.
fn replace_monotonic_span(line: &str) -> String {
    if let Some(value) = line.strip_prefix("NextElapseUSecMonotonic=") {
        if value.starts_with(|c: char| c.is_ascii_digit()) && value != "0" {
            return "NextElapseUSecMonotonic=SPAN".to_string();
        }
    }
    match line.find("next_elapse=") {
        Some(at) => {
            let start = at + "next_elapse=".len();
            let rest = &line[start..];
            let end = rest.find(" }").unwrap_or(rest.len());
            if rest.starts_with(|c: char| c.is_ascii_digit()) && &rest[..end] != "0" {
                format!("{}SPAN{}", &line[..start], &rest[end..])
            } else {
                line.to_string()
            }
        }
        None => line.to_string(),
    }
}

/// `; 9ms ago`, `; 1min 2s ago` → `; AGO`.
fn replace_ago(line: &str) -> String {
    match (line.find("; "), line.find(" ago")) {
        (Some(start), Some(end)) if start < end => {
            format!("{}; AGO{}", &line[..start], &line[end + 4..])
        }
        _ => line.to_string(),
    }
}

/// A process id in brackets after a name (`sleep[55]`), but not PID 1's.
fn replace_bracket_pids(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(pos) = rest.find('[') {
        out.push_str(&rest[..=pos]);
        rest = &rest[pos + 1..];
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
        if digits > 0 && rest[digits..].starts_with(']') && &rest[..digits] != "1" {
            out.push('N');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The `show` properties that list units (and RequiresMountsFor=, a list of paths): systemd 252
/// prints them in the order of a hash table seeded at random on each boot, so their words are
/// compared as a set.
const UNIT_LIST_PROPERTIES: &[&str] = &[
    "Names",
    "Requires",
    "Requisite",
    "Wants",
    "BindsTo",
    "PartOf",
    "Upholds",
    "RequiredBy",
    "RequisiteOf",
    "WantedBy",
    "BoundBy",
    "UpheldBy",
    "ConsistsOf",
    "Conflicts",
    "ConflictedBy",
    "Before",
    "After",
    "OnFailure",
    "OnFailureOf",
    "OnSuccess",
    "OnSuccessOf",
    "Triggers",
    "TriggeredBy",
    "PropagatesReloadTo",
    "ReloadPropagatedFrom",
    "PropagatesStopTo",
    "StopPropagatedFrom",
    "JoinsNamespaceOf",
    "References",
    "ReferencedBy",
    "RequiresMountsFor",
];

/// `After=b.service a.service` → `After=a.service b.service` for a [`UNIT_LIST_PROPERTIES`] line.
fn sort_unit_list(line: &str) -> String {
    match line.split_once('=') {
        Some((key, value)) if UNIT_LIST_PROPERTIES.contains(&key) => {
            let mut words: Vec<&str> = value.split_whitespace().collect();
            words.sort_unstable();
            format!("{key}={}", words.join(" "))
        }
        _ => line.to_string(),
    }
}

/// Sort each run of consecutive journal lines (`TIME host ident[pid]: …` once normalised):
/// journald stores the lines of a service and the manager's in the order it reads its sockets.
fn sort_journal_runs(lines: &mut [String]) {
    let mut start = 0;
    while start < lines.len() {
        let len = lines[start..]
            .iter()
            .take_while(|l| l.starts_with("TIME "))
            .count();
        lines[start..start + len].sort();
        start += len.max(1);
    }
}

/// What must differ between two runs of the same scenario, taken out of one output.
/// `sort_lines` (for commands that print journal lines) compares each run of journal lines as
/// a set.
fn normalise(text: &str, sort_lines: bool) -> String {
    let mut lines = Vec::new();
    let mut in_cgroup_tree = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        // The cgroup and accounting lines of `status` (ours has no cgroups yet: issue 17).
        if ["CGroup:", "Memory:", "Tasks:", "CPU:"]
            .iter()
            .any(|k| trimmed.starts_with(k))
        {
            in_cgroup_tree = trimmed.starts_with("CGroup:");
            continue;
        }
        if in_cgroup_tree && (trimmed.starts_with(['├', '└', '│']) || trimmed.is_empty()) {
            if trimmed.is_empty() {
                in_cgroup_tree = false;
                lines.push(String::new());
            }
            continue;
        }
        in_cgroup_tree = false;
        let mut l = replace_pattern(line, "Aaa 9999-99-99 99:99:99 AAA", "TIME");
        l = replace_counter(&l);
        l = replace_monotonic_span(&l);
        l = replace_pattern(&l, "Aaa 99 99:99:99", "TIME");
        l = replace_ago(&l);
        l = replace_bracket_pids(&l);
        for prefix in [
            "Main PID: ",
            "MainPID=",
            "ExecMainPID=",
            "ControlPID=",
            "ControlGroupId=",
            "pid=",
            "Process: ",
            "Monotonic=",
            "status ",
            "Killing process ",
            "main process ",
            "PID ",
        ] {
            l = replace_number_after(&l, prefix);
        }
        // How long a unit ran (`Duration: 11ms` in `status`).
        if let Some(at) = l.find("Duration: ") {
            l.truncate(at + "Duration: ".len());
            l.push_str("DURATION");
        }
        if let Some(eq) = l.find("InvocationID=") {
            l.truncate(eq + "InvocationID=".len());
            l.push_str("ID");
        }
        lines.push(sort_unit_list(&l));
    }
    if sort_lines {
        sort_journal_runs(&mut lines);
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn known_differences() -> Vec<String> {
    fs::read_to_string(scenario_dir().join("known-differences"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

struct Tally {
    matched: usize,
    differed: Vec<String>,
    report: String,
}

fn describe(o: &Outcome) -> String {
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        o.code, o.stdout, o.stderr
    )
}

fn run_scenario(scenario: &Scenario, tally: &mut Tally) {
    // DIFF_SELF=1 boots systemd 252 on both sides: what differs then is systemd's own
    // nondeterminism, which a scenario must be restructured (or the normaliser extended) to avoid.
    let other = if std::env::var("DIFF_SELF").is_ok() {
        Manager::Systemd
    } else if std::env::var("DIFF_CLIENT").is_ok_and(|c| c == "real") {
        Manager::OursViaBus
    } else {
        Manager::Ours
    };
    let (real, ours) = std::thread::scope(|s| {
        let real = s.spawn(|| World::boot(Manager::Systemd, scenario));
        let ours = s.spawn(|| World::boot(other, scenario));
        (
            real.join().expect("boot systemd 252"),
            ours.join().expect("boot ours"),
        )
    });
    let mut seen: Vec<&str> = Vec::new();
    for step in &scenario.steps {
        match step {
            Step::Do(cmd) => {
                real.sh(cmd);
                ours.sh(cmd);
            }
            Step::Wait(cmd) => {
                let (a, b) = (real.wait(cmd), ours.wait(cmd));
                if !(a && b) {
                    tally.report.push_str(&format!(
                        "WAIT {}: `{cmd}` never held (systemd {a}, ours {b})\n",
                        scenario.name
                    ));
                }
            }
            Step::Compare(cmd) => {
                // Journald stores what the manager sent asynchronously: both worlds flush it
                // before a command that prints journal lines.
                if cmd.contains("journalctl") || cmd.contains("status") {
                    real.sh("journalctl --sync");
                    ours.sh("journalctl --sync");
                }
                let sort = cmd.contains("journalctl") || cmd.contains("status");
                let norm = |o: Outcome| Outcome {
                    stdout: normalise(&o.stdout, sort),
                    stderr: normalise(&o.stderr, sort),
                    code: o.code,
                };
                let mut a = norm(real.sh(cmd));
                let mut b = norm(ours.sh(cmd));
                // Journald attributes a line from a process that has already exited, or one
                // still in a stream's buffer, a moment late, even after `--sync`: a reading
                // command that differs runs again on both sides once the journal settled.
                let reads_journal =
                    cmd.starts_with("journalctl") || cmd.starts_with("systemctl status");
                if a != b && reads_journal {
                    std::thread::sleep(Duration::from_millis(300));
                    a = norm(real.sh(cmd));
                    b = norm(ours.sh(cmd));
                }
                // The second run of the same command in a scenario is named `COMMAND #2`.
                seen.push(cmd);
                let nth = seen.iter().filter(|c| **c == cmd).count();
                let key = match nth {
                    1 => format!("{}: {cmd}", scenario.name),
                    n => format!("{}: {cmd} #{n}", scenario.name),
                };
                if a == b {
                    tally.matched += 1;
                    tally.report.push_str(&format!("MATCH {key}\n"));
                    if std::env::var("DIFF_VERBOSE").is_ok() {
                        tally.report.push_str(&describe(&a));
                    }
                } else {
                    tally.report.push_str(&format!(
                        "DIFF  {key}\n=== systemd 252\n{}=== ours\n{}",
                        describe(&a),
                        describe(&b)
                    ));
                    tally.differed.push(key);
                }
            }
        }
    }
}

#[test]
fn runtime_answers_match_systemd_252() {
    // The oracle is systemd 252 itself: another version answers differently on purpose.
    let version = std::process::Command::new(REAL_SYSTEMD)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !version.starts_with("systemd 252 ") {
        eprintln!("{REAL_SYSTEMD} is not systemd 252: the runtime differential is skipped");
        return;
    }
    let mut tally = Tally {
        matched: 0,
        differed: Vec::new(),
        report: String::new(),
    };
    for scenario in scenarios() {
        run_scenario(&scenario, &mut tally);
        print!("{}", tally.report);
        tally.report.clear();
    }
    let known = known_differences();
    let total = tally.matched + tally.differed.len();
    println!(
        "runtime differential: {} of {total} commands match systemd 252, {} differ",
        tally.matched,
        tally.differed.len()
    );
    if std::env::var("DIFF_UPDATE_KNOWN").is_ok() && std::env::var("DIFF_ONLY").is_err() {
        // Rewrite the list as this run found it (for review in the diff, as UPDATE_FIXTURES=1).
        let path = scenario_dir().join("known-differences");
        let text = fs::read_to_string(&path).unwrap_or_default();
        let mut out: String = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        for d in &tally.differed {
            out.push_str(d);
            out.push('\n');
        }
        fs::write(&path, out).expect("write known-differences");
        return;
    }
    for k in &known {
        if !tally.differed.contains(k) && std::env::var("DIFF_ONLY").is_err() {
            println!("known difference no longer seen (remove it from the list): {k}");
        }
    }
    let unexpected: Vec<&String> = tally
        .differed
        .iter()
        .filter(|d| !known.contains(d))
        .collect();
    assert!(
        unexpected.is_empty(),
        "differences from systemd 252 not in known-differences:\n{}",
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[cfg(test)]
mod normalise_tests {
    use super::normalise;

    #[test]
    fn times_pids_and_cgroup_lines_are_taken_out() {
        let status = "● a.service\n     Loaded: loaded (/etc/systemd/system/a.service; static)\n     Active: active (running) since Mon 2026-12-07 15:45:43 UTC; 9ms ago\n   Main PID: 55 (sleep)\n        CPU: 1ms\n     CGroup: /system.slice/a.service\n             └─55 /bin/sleep 1000\n\nDec 07 15:45:48 vm systemd[1]: Started a.service.\nDec 07 15:45:48 vm sleep[55]: hi\n";
        assert_eq!(
            normalise(status, false),
            "● a.service\n     Loaded: loaded (/etc/systemd/system/a.service; static)\n     Active: active (running) since TIME; AGO\n   Main PID: N (sleep)\n\nTIME vm systemd[1]: Started a.service.\nTIME vm sleep[N]: hi\n"
        );
        assert_eq!(
            normalise("MainPID=0\nExecMainPID=77\nInvocationID=abc\n", false),
            "MainPID=0\nExecMainPID=N\nInvocationID=ID\n"
        );
        assert_eq!(
            normalise("     Active: failed (Result: exit-code) since Mon 2026-12-07 15:45:43 UTC; 9ms ago\n   Duration: 606us\n", false),
            "     Active: failed (Result: exit-code) since TIME; AGO\n   Duration: DURATION\n"
        );
    }

    #[test]
    fn cgroup_counters_and_monotonic_elapse_spans_are_taken_out() {
        assert_eq!(
            normalise("CPUUsageNSec=1424000\nCPUUsageNSec=[not set]\nTasksCurrent=0\nIPIngressBytes=[no data]\nControlGroupId=560126\nControlGroupId=0\n", false),
            "CPUUsageNSec=N\nCPUUsageNSec=[not set]\nTasksCurrent=N\nIPIngressBytes=[no data]\nControlGroupId=N\nControlGroupId=0\n"
        );
        assert_eq!(
            normalise("TimersMonotonic={ OnActiveUSec=1h ; next_elapse=13h 51min 40.918538s }\nNextElapseUSecMonotonic=13h 51min 40.918538s\nNextElapseUSecMonotonic=0\nTimersMonotonic={ OnActiveUSec=1h ; next_elapse=0 }\n", false),
            "TimersMonotonic={ OnActiveUSec=1h ; next_elapse=SPAN }\nNextElapseUSecMonotonic=SPAN\nNextElapseUSecMonotonic=0\nTimersMonotonic={ OnActiveUSec=1h ; next_elapse=0 }\n"
        );
    }

    #[test]
    fn unit_lists_and_journal_runs_are_compared_as_sets() {
        assert_eq!(
            normalise(
                "a.service: Killing process 86 (dog) with signal SIGKILL.\n",
                false
            ),
            "a.service: Killing process N (dog) with signal SIGKILL.\n"
        );
        assert_eq!(
            normalise("Got notification message from PID 48, but reception only permitted for main PID 47\nSent signal SIGUSR1 to main process 86 (catcher)\n", false),
            "Got notification message from PID N, but reception only permitted for main PID N\nSent signal SIGUSR1 to main process N (catcher)\n"
        );
        assert_eq!(
            normalise("After=b.service a.service\nExecStart=b a\n", false),
            "After=a.service b.service\nExecStart=b a\n"
        );
        let status = "● a.service\n   Main PID: 5 (sh)\n\nDec 07 15:45:48 vm sh[5]: hi\nDec 07 15:45:48 vm systemd[1]: Started a.service.\n";
        assert_eq!(
            normalise(status, true),
            "● a.service\n   Main PID: N (sh)\n\nTIME vm sh[N]: hi\nTIME vm systemd[1]: Started a.service.\n"
        );
    }
}
