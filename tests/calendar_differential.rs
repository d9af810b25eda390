//! Differential test of `OnCalendar=` specs: a matrix of valid and invalid specs (edge values of
//! every field combined, weekdays, `~`, repetitions, fractional seconds, `@TIMESTAMP`, time
//! zones, the shorthands and systemd.time(7)'s examples) through systemd 252's
//! `systemd-analyze calendar` and through our calendar.rs: the same ones refused with the same
//! error, the same normalized form (what `systemctl show` prints in `TimersCalendar=`), and the
//! same next three elapses after three base times (run with `TZ=Europe/Berlin` and the like for
//! local zones with daylight saving time: both sides follow `$TZ`). And a timer unit holding
//! invalid specs loaded by systemd's own loader (`systemd-analyze verify`) and by ours.
//!
//! Skipped, with a note, when the machine has no `systemd-analyze` of systemd 252.

mod common;

use std::collections::HashMap;
use std::process::Command;

use systemctl_shim::unit::calendar::{CalendarError, CalendarSpec};
use systemctl_shim::unit::load::load_unit;
use systemctl_shim::unit::paths::{LookupPaths, Scope};

/// What `systemd-analyze calendar` says of one spec.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// The error text of "Failed to parse calendar specification 'SPEC': TEXT".
    Refused(String),
    /// The normalized form and the next elapses it printed ("never" when none).
    Accepted(String, Vec<String>),
    /// Parsed, but computing an elapse failed.
    NextFailed(String),
}

const ITERATIONS: usize = 3;
/// Any day; a leap day's eve; just before Europe's switch to summer time.
const BASES: [&str; 3] = [
    "2026-11-22 15:07:30 UTC",
    "2028-02-28 23:59:59 UTC",
    "2027-03-28 00:30:00 UTC",
];

fn analyzer_is_252() -> bool {
    let ok = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|v| v.starts_with("systemd 252 "));
    if !ok {
        eprintln!("note: skipping calendar differential test, no systemd-analyze of systemd 252");
    }
    ok
}

/// The verdicts of systemd-analyze for `specs`, computed from `base`.
fn oracle(specs: &[String], base: &str) -> HashMap<String, Verdict> {
    let mut verdicts = HashMap::new();
    for chunk in specs.chunks(200) {
        let out = Command::new("systemd-analyze")
            .arg("calendar")
            .arg(format!("--iterations={ITERATIONS}"))
            .arg(format!("--base-time={base}"))
            .arg("--")
            .args(chunk)
            .output()
            .expect("systemd-analyze runs");
        // One block per accepted spec, blank lines between; "Original form:" is left out
        // when the spec is already normalized.
        for block in String::from_utf8_lossy(&out.stdout).split("\n\n") {
            let (mut original, mut normalized, mut nexts) = (None, None, Vec::new());
            for line in block.lines().map(str::trim_start) {
                let Some((key, value)) = line.split_once(": ") else {
                    continue;
                };
                match key {
                    "Original form" => original = Some(value.to_string()),
                    "Normalized form" => normalized = Some(value.to_string()),
                    "Next elapse" => nexts.push(value.to_string()),
                    k if k.starts_with("Iter. #") => nexts.push(value.to_string()),
                    _ => {}
                }
            }
            if let Some(normalized) = normalized {
                let spec = original.unwrap_or_else(|| normalized.clone());
                verdicts.insert(spec, Verdict::Accepted(normalized, nexts));
            }
        }
        for line in String::from_utf8_lossy(&out.stderr).lines() {
            if let Some(rest) = line.strip_prefix("Failed to parse calendar specification '") {
                if let Some((spec, error)) = rest.rsplit_once("': ") {
                    verdicts.insert(spec.to_string(), Verdict::Refused(error.to_string()));
                }
            } else if let Some(spec) = chunk.iter().find(|s| line.contains(&format!("'{s}'"))) {
                verdicts.insert(spec.clone(), Verdict::NextFailed(line.to_string()));
            }
        }
    }
    verdicts
}

/// `systemd-analyze`'s timestamp: "Sun 2026-11-22 15:07:30 UTC", in local time.
// libc marks time_t deprecated on musl (its width changed in musl 1.2); the value is passed
// straight to libc, whose width it has.
#[allow(deprecated)]
fn format_timestamp(usec: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let t = (usec / 1_000_000) as libc::time_t;
    // SAFETY: localtime_r fills a tm we own; tm_zone points at a name libc keeps.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        assert!(!libc::localtime_r(&t, &mut tm).is_null());
        tm
    };
    let zone = unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }.to_string_lossy();
    format!(
        "{} {:04}-{:02}-{:02} {:02}:{:02}:{:02} {zone}",
        DAYS[tm.tm_wday as usize],
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// `--base-time=` for BASES, as µs since the epoch.
fn base_usec(base: &str) -> u64 {
    let out = Command::new("date")
        .args(["-u", "-d", base, "+%s"])
        .output()
        .expect("date runs");
    let seconds: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a number of seconds");
    seconds * 1_000_000
}

/// Our verdict on `spec` from `base`, in the oracle's words.
fn ours(spec: &str, base: u64) -> Verdict {
    let parsed = match CalendarSpec::parse(spec) {
        Ok(parsed) => parsed,
        Err(e) => return Verdict::Refused(e.to_string()),
    };
    let mut nexts = Vec::new();
    let mut after = base;
    for i in 0..ITERATIONS {
        match parsed.next_usec(after) {
            Ok(next) => {
                nexts.push(format_timestamp(next));
                after = next;
            }
            Err(CalendarError::NeverElapses) => {
                if i == 0 {
                    nexts.push("never".to_string());
                }
                break;
            }
            Err(e) => return Verdict::NextFailed(e.to_string()),
        }
    }
    Verdict::Accepted(parsed.to_string(), nexts)
}

/// Every combination of the items of `parts`, joined.
fn combine(parts: &[&[&str]], join: &str) -> Vec<String> {
    parts.iter().fold(vec![String::new()], |acc, items| {
        acc.iter()
            .flat_map(|head| {
                items.iter().map(move |item| {
                    if head.is_empty() {
                        item.to_string()
                    } else {
                        format!("{head}{join}{item}")
                    }
                })
            })
            .collect()
    })
}

fn matrix() -> Vec<String> {
    let hours: &[&str] = &[
        "0", "00", "9", "23", "24", "25", "99", "*", "0/1", "0/23", "0/24", "23..1", "8..17/2",
        "6,18", "1..23/22", "007",
    ];
    let minutes: &[&str] = &[
        "0",
        "59",
        "60",
        "*",
        "0/15",
        "0/59",
        "0/60",
        "58/1",
        "59/1",
        "15..45/15",
    ];
    let seconds: &[&str] = &[
        "0",
        "59",
        "60",
        "61",
        "59.999999",
        "59.9999995",
        "1.5",
        "*",
        "0/15",
        "0/0.5",
        "5..10",
        "10..5",
        "1..1.5",
        "1.2..1.5/0.1",
        "0.000001",
        "1.",
        "0..5",
        "1.1234564",
        "0/60",
        "0/59",
    ];
    let years: &[&str] = &[
        "1969",
        "1970",
        "69",
        "70",
        "99",
        "100",
        "2199",
        "2200",
        "*",
        "2000..2100/50",
        "0",
        "1",
        "2026..2030",
    ];
    let months: &[&str] = &[
        "0", "1", "2", "12", "13", "*", "1..12/3", "12..1", "1/12", "02,04",
    ];
    let days: &[&str] = &[
        "0", "1", "28", "29", "30", "31", "32", "*", "1..7", "1/2", "31/1", "1/30",
    ];
    let tilde_days: &[&str] = &[
        "0", "1", "7", "28", "29", "5/4", "5/5", "1..7", "*", "3..1", "1/27",
    ];
    let weekdays: &[&str] = &[
        "Mon",
        "mon",
        "MONDAY",
        "Mo",
        "Sun..Mon",
        "Mon..Sun",
        "Mon-Fri",
        "Mon..Wed,Fri",
        "Mon,",
        "Mon..",
        "Mon,Tue",
        "Sat,Sun",
        "Fri..Mon",
        "Wed-Wed",
        "Tue..Thu,Sat..Sun",
        "Mon.Tue",
        "Mon,,Tue",
        "Fri,Mon",
    ];
    let mut specs = Vec::new();
    specs.extend(combine(&[hours, minutes], ":"));
    specs.extend(combine(&[&["*", "12"], &["*", "30"], seconds], ":"));
    specs.extend(combine(&[years, months, &["1"]], "-"));
    specs.extend(combine(&[&["*"], months, days], "-"));
    specs.extend(combine(&[&["*", "2", "1..12"], tilde_days], "~"));
    specs.extend(tilde_days.iter().map(|d| format!("2027-2~{d}")));
    specs.extend(combine(
        &[weekdays, &["", " 12:00", " *-*-1..7", " *-*-1..7 18:00:00"]],
        "",
    ));
    for shorthand in [
        "minutely",
        "hourly",
        "daily",
        "weekly",
        "monthly",
        "yearly",
        "annually",
        "anually",
        "quarterly",
        "semiannually",
        "semi-annually",
        "biannually",
        "bi-annually",
        "DAILY",
        "Weekly",
        "dayly",
        "fortnightly",
    ] {
        specs.push(shorthand.to_string());
        specs.push(format!("{shorthand} UTC"));
        specs.push(format!("{shorthand} "));
    }
    for other in [
        // systemd.time(7)'s examples.
        "Sat,Thu,Mon..Wed,Sat..Sun",
        "Mon,Sun 12-*-* 2,1:23",
        "Wed *-1",
        "Wed..Wed,Wed *-1",
        "Wed, 17:48",
        "Wed..Sat,Tue 12-10-15 1:2:3",
        "*-*-7 0:0:0",
        "10-15",
        "monday *-12-* 17:00",
        "Mon,Fri *-*-3,1,2 *:30:45",
        "12,14,13,12:20,10,30",
        "12..14:10,20,30",
        "mon,fri *-1/2-1,3 *:30:45",
        "03-05 08:05:40",
        "08:05:40",
        "05:40",
        "Sat,Sun 12-05 08:05:40",
        "Sat,Sun 08:05:40",
        "2003-03-05 05:40",
        "05:40:23.4200004/3.1700005",
        "2003-02..04-05",
        "2003-03-05 05:40 UTC",
        "2003-03-05",
        "03-05",
        "daily UTC",
        "weekly Pacific/Auckland",
        "*:2/3",
        "*-02~03",
        "Mon *-05~07/1",
        "*-*-* *:*:*",
        "Sat *-*-1..7 18:00:00",
        // Timestamps.
        "@0",
        "@-0",
        "@1700000000",
        "@-1",
        "@7258118399",
        "@7258118400",
        "@ 5",
        "@+5",
        "@5 ",
        "@",
        "@1.5",
        "Mon @5",
        "@1700000000 UTC",
        "@99999999999999999999",
        // Time zones.
        "daily utc",
        "daily Etc/UTC",
        "daily UTC UTC",
        "Etc/UTC daily",
        "daily UTC0",
        "daily Europe/../UTC",
        "daily Europe/Berlin",
        "daily CET",
        "02:30 CEST",
        "Sun 2:*",
        "12:00 Europe//Berlin",
        "UTC",
        " UTC",
        "daily /etc/localtime",
        // Garbage.
        "",
        " ",
        "*",
        "**",
        ":",
        "-",
        "~",
        "1-",
        "1:",
        "1::",
        "::",
        "*:*:*:*",
        "1,,2:00",
        "1..:00",
        "..1:00",
        "1/:00",
        "1e3:00",
        "0x10:00",
        "+1:00",
        "-1:00",
        "12:00 ",
        " 12:00",
        "12 :00",
        "12: 00",
        "1-2-3-4",
        "1~2~3",
        "1~2-3",
        "*-*-*-",
        "*-*-* *",
        "*-*-* *:",
        "\u{663}:00",
        "12\u{ff1a}00",
        "2147483647:00",
        "2147483648:00",
        "4294967296:00",
        "0/0:00",
        "00:00:2147.483647",
        "00:00:2148",
        "18446744073709551616:00",
    ] {
        specs.push(other.to_string());
    }
    let list_of = |n: usize| vec!["1"; n].join(",");
    specs.push(format!("{}:00", list_of(241)));
    specs.push(format!("{}:00", list_of(242)));
    specs.sort();
    specs.dedup();
    specs
}

#[test]
fn calendar_specs_are_refused_normalized_and_computed_as_systemd_analyze_does() {
    if !analyzer_is_252() {
        return;
    }
    let specs = matrix();
    assert!(specs.len() > 600, "{}", specs.len());
    let mut mismatches = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for base in BASES {
        let theirs = oracle(&specs, base);
        let base_usec = base_usec(base);
        for spec in &specs {
            let Some(expected) = theirs.get(spec) else {
                mismatches.push(format!("{spec:?}: no verdict from systemd-analyze"));
                continue;
            };
            let mut got = ours(spec, base_usec);
            // We do not compute the elapses of a spec in a named time zone (README, "Where we
            // differ"): its normalized form is compared, not its elapses.
            if let (Verdict::Accepted(_, theirs_next), Ok(parsed)) =
                (expected, CalendarSpec::parse(spec))
            {
                if parsed.has_named_time_zone() {
                    got = Verdict::Accepted(parsed.to_string(), theirs_next.clone());
                }
            }
            match expected {
                Verdict::Accepted(..) => accepted += 1,
                _ => refused += 1,
            }
            if &got != expected {
                mismatches.push(format!(
                    "{spec:?} from {base}:\n  systemd: {expected:?}\n  ours:    {got:?}"
                ));
            }
        }
    }
    eprintln!(
        "{} specs, from {} bases: {accepted} accepted, {refused} refused",
        specs.len(),
        BASES.len()
    );
    assert!(accepted > 200 && refused > 200, "{accepted} {refused}");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Issue 13: a timer unit with invalid specs, loaded by systemd 252's own unit loader
/// (`systemd-analyze verify`: config_parse_timer(), timer_verify()) and by ours: each invalid
/// value is ignored with the same "FILE:LINE: Failed to parse calendar specification, ignoring:"
/// line, the valid ones are kept, and a timer left with none is refused with systemd's reason.
#[test]
fn a_timer_with_invalid_specs_loads_as_systemds_unit_loader_loads_it() {
    if !analyzer_is_252() {
        return;
    }
    const DIR: &str = "/etc/systemd/system";
    let tree = common::RootTree::new();
    let service = "[Service]\nType=oneshot\nExecStart=/bin/true\n";
    tree.write(&format!("{DIR}/invalid.service"), service);
    tree.write(&format!("{DIR}/mixed.service"), service);
    tree.write(
        &format!("{DIR}/invalid.timer"),
        "[Timer]\nOnCalendar=25:00\nOnCalendar=*-13-01\nOnCalendar=23:59:61\n",
    );
    tree.write(
        &format!("{DIR}/mixed.timer"),
        "[Timer]\nOnCalendar=24:00\nOnCalendar=daily\nOnCalendar=00:60\n",
    );
    let files: Vec<String> = ["invalid.timer", "mixed.timer"]
        .iter()
        .map(|u| tree.real(&format!("{DIR}/{u}")).display().to_string())
        .collect();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&files)
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .expect("systemd-analyze runs");
    let theirs: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("calendar") || l.contains("Refusing"))
        .map(|l| l.replace(&tree.real(DIR).display().to_string(), DIR))
        .collect();

    let lookup = LookupPaths::new(Scope::System, Some(tree.path())).expect("lookup paths");
    let mut ours = Vec::new();
    for unit in ["invalid.timer", "mixed.timer"] {
        let config = load_unit(&lookup, unit).expect("a valid name");
        ours.extend(
            config
                .warnings
                .iter()
                .filter(|w| w.contains("calendar"))
                .cloned(),
        );
        if let Some(reason) = &config.load_error {
            ours.push(format!("{unit}: {reason}"));
        }
    }
    assert_eq!(ours, theirs);
    assert_eq!(
        theirs[..4],
        [
            format!(
                "{DIR}/invalid.timer:2: Failed to parse calendar specification, ignoring: 25:00"
            ),
            format!(
                "{DIR}/invalid.timer:3: Failed to parse calendar specification, ignoring: *-13-01"
            ),
            format!(
                "{DIR}/invalid.timer:4: Failed to parse calendar specification, ignoring: 23:59:61"
            ),
            "invalid.timer: Timer unit lacks value setting. Refusing.".to_string(),
        ]
    );
    // What a user sees of them: the refused timer is a bad setting, the other keeps `daily`.
    let show = |unit: &str, property: &str| tree.ours(&["show", unit, "-p", property]).stdout;
    assert_eq!(
        show("invalid.timer", "LoadState"),
        "LoadState=bad-setting\n"
    );
    let calendar = show("mixed.timer", "TimersCalendar");
    assert_eq!(calendar.lines().count(), 1, "{calendar}");
    assert!(
        calendar.starts_with("TimersCalendar={ OnCalendar=*-*-* 00:00:00 ; next_elapse="),
        "{calendar}"
    );
}
