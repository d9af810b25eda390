//! Timer units as a user meets them (systemd.timer(5)): monotonic timers firing their service
//! once or repeatedly, a timer going `elapsed` as systemd 252's, stopping a timer ending its
//! runs, a timer pulled in by timers.target at PID 1's boot, `OnCalendar=` with `Persistent=`
//! catching up a missed run, and `list-timers`. Real services counting their runs in a file;
//! waits are deadline polls, never fixed sleeps: that nothing more happens over a span is seen
//! through a witness timer of that span firing in the same manager ([`let_the_manager_run`]).

mod common;

use common::sandbox::{Sandbox, WAIT};

/// Returns once the manager has fired a timer of `ms` started now: whatever the sandbox's
/// timers would have done within that span (on a loaded machine too), they have done.
fn let_the_manager_run(sb: &Sandbox, ms: u64) {
    let name = format!("witness-{ms}-{}", std::process::id());
    let log = format!("/run/{name}.log");
    sb.unit(&format!("{name}.service"), &counting_service(&log));
    sb.unit(
        &format!("{name}.timer"),
        &format!("[Timer]\nOnActiveSec={ms}ms\nAccuracySec=1us\n"),
    );
    sb.quiet_ok(&["start", &format!("{name}.timer")]);
    sb.wait_for_lines(&log, 1);
}

/// A oneshot that appends a line to `log` each time it runs.
fn counting_service(log: &str) -> String {
    format!("[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo run >> {log}'\n")
}

fn runs(sb: &Sandbox, log: &str) -> usize {
    sb.read(log).map(|s| s.lines().count()).unwrap_or(0)
}

#[test]
fn on_active_sec_fires_the_service_once_and_the_timer_is_elapsed() {
    let sb = Sandbox::new();
    sb.unit("once.service", &counting_service("/run/once.log"));
    sb.unit(
        "once.timer",
        "[Unit]\nDescription=Once\n[Timer]\nOnActiveSec=3s\nAccuracySec=1us\n",
    );
    sb.quiet_ok(&["start", "once.timer"]);
    assert_eq!(sb.prop("once.timer", "ActiveState"), "active");
    assert_eq!(sb.prop("once.timer", "SubState"), "waiting");
    // Before it elapses (3 s: a loaded machine still asks in time), the service has not run.
    assert_eq!(runs(&sb, "/run/once.log"), 0);
    sb.wait_for_lines("/run/once.log", 1);
    // The oneshot finished: nothing is left to wait for, and RemainAfterElapse=yes keeps the
    // timer active.
    sb.wait_for_prop("once.timer", "SubState", "elapsed");
    assert_eq!(sb.prop("once.timer", "ActiveState"), "active");
    assert_eq!(sb.prop("once.service", "ActiveState"), "inactive");
    assert_ne!(sb.prop("once.timer", "LastTriggerUSecMonotonic"), "0");
    // timer_set_state() out of waiting forgets the next elapse (USEC_INFINITY).
    assert_eq!(sb.prop("once.timer", "NextElapseUSecMonotonic"), "infinity");
    let_the_manager_run(&sb, 1500);
    assert_eq!(runs(&sb, "/run/once.log"), 1);
    let log = sb.journalctl(&["-u", "once.timer", "--no-pager"]);
    assert!(
        log.stdout.contains("Started once.timer - Once.\n"),
        "{log:?}"
    );
}

#[test]
fn remain_after_elapse_no_takes_the_timer_down_once_elapsed() {
    let sb = Sandbox::new();
    sb.unit("gone.service", &counting_service("/run/gone.log"));
    sb.unit(
        "gone.timer",
        "[Timer]\nOnActiveSec=200ms\nAccuracySec=1us\nRemainAfterElapse=no\n",
    );
    sb.quiet_ok(&["start", "gone.timer"]);
    sb.wait_for_lines("/run/gone.log", 1);
    sb.wait_for_prop("gone.timer", "ActiveState", "inactive");
    assert_eq!(sb.prop("gone.timer", "SubState"), "dead");
}

#[test]
fn on_unit_active_sec_repeats_until_the_timer_is_stopped() {
    let sb = Sandbox::new();
    sb.unit("tick.service", &counting_service("/run/tick.log"));
    sb.unit(
        "tick.timer",
        "[Timer]\nOnActiveSec=100ms\nOnUnitActiveSec=300ms\nAccuracySec=1us\n",
    );
    sb.quiet_ok(&["start", "tick.timer"]);
    sb.wait_for_lines("/run/tick.log", 3);
    assert_eq!(sb.prop("tick.timer", "ActiveState"), "active");
    let o = sb.systemctl(&["show", "-p", "TimersMonotonic", "tick.timer"]);
    assert!(
        o.stdout
            .contains("TimersMonotonic={ OnActiveUSec=100ms ; next_elapse=")
            && o.stdout
                .contains("TimersMonotonic={ OnUnitActiveUSec=300ms ; next_elapse="),
        "{o:?}"
    );
    sb.quiet_ok(&["stop", "tick.timer"]);
    assert_eq!(sb.prop("tick.timer", "ActiveState"), "inactive");
    assert_eq!(sb.prop("tick.timer", "SubState"), "dead");
    // A run already queued may still finish; none starts after that.
    sb.wait_until("tick.service down", WAIT, || {
        sb.prop("tick.service", "ActiveState") == "inactive"
    });
    let after_stop = runs(&sb, "/run/tick.log");
    let_the_manager_run(&sb, 1000);
    assert_eq!(runs(&sb, "/run/tick.log"), after_stop);
}

#[test]
fn a_timer_whose_unit_is_missing_does_not_start() {
    let sb = Sandbox::new();
    sb.unit("orphan.timer", "[Timer]\nOnActiveSec=1h\n");
    let o = sb.systemctl(&["start", "orphan.timer"]);
    assert_ne!(o.code, 0, "{o:?}");
    assert_eq!(sb.prop("orphan.timer", "ActiveState"), "inactive");
    let log = sb.journalctl(&["-u", "orphan.timer", "--no-pager"]);
    assert!(
        log.stdout.contains(
            "orphan.timer: Refusing to start, unit orphan.service to trigger not loaded."
        ),
        "{log:?}"
    );
    assert!(
        log.stdout.contains("Failed to start orphan.timer.\n"),
        "{log:?}"
    );
    // Without a time, the timer does not load at all.
    sb.unit("empty.timer", "[Timer]\nUnit=orphan.service\n");
    let o = sb.systemctl(&["start", "empty.timer"]);
    assert_ne!(o.code, 0, "{o:?}");
    assert_eq!(sb.prop("empty.timer", "LoadState"), "bad-setting");
}

#[test]
fn on_calendar_fires_at_each_matching_second() {
    let sb = Sandbox::new();
    sb.unit("cal.service", &counting_service("/run/cal.log"));
    sb.unit(
        "cal.timer",
        "[Timer]\nOnCalendar=*-*-* *:*:*\nAccuracySec=1us\n",
    );
    sb.quiet_ok(&["start", "cal.timer"]);
    assert_eq!(sb.prop("cal.timer", "ActiveState"), "active");
    sb.wait_for_lines("/run/cal.log", 2);
    let o = sb.systemctl(&["show", "-p", "TimersCalendar", "cal.timer"]);
    assert!(
        o.stdout
            .starts_with("TimersCalendar={ OnCalendar=*-*-* *:*:* ; next_elapse="),
        "{o:?}"
    );
    assert_ne!(sb.prop("cal.timer", "LastTriggerUSec"), "");
    sb.quiet_ok(&["stop", "cal.timer"]);
    assert_eq!(sb.prop("cal.timer", "NextElapseUSecRealtime"), "");
}

#[test]
fn persistent_catches_up_a_run_missed_while_the_manager_was_down() {
    let sb = Sandbox::new();
    sb.unit("catchup.service", &counting_service("/run/catchup.log"));
    sb.unit(
        "catchup.timer",
        "[Timer]\nOnCalendar=daily\nPersistent=yes\nAccuracySec=1us\n",
    );
    sb.unit("nopersist.service", &counting_service("/run/nopersist.log"));
    sb.unit(
        "nopersist.timer",
        "[Timer]\nOnCalendar=daily\nAccuracySec=1us\n",
    );
    // The last run was three days ago, as the stamp file's mtime says.
    let o = sb.sh("mkdir -p /var/lib/systemd/timers && \
         touch -d '3 days ago' /var/lib/systemd/timers/stamp-catchup.timer");
    assert_eq!(o.code, 0, "{o:?}");
    sb.quiet_ok(&["start", "catchup.timer", "nopersist.timer"]);
    sb.wait_for_lines("/run/catchup.log", 1);
    sb.wait_for_prop("catchup.timer", "SubState", "waiting");
    // The stamp now says today, and the next run is the next midnight.
    let age = sb
        .sh("echo $(( $(date +%s) - $(stat -c %Y /var/lib/systemd/timers/stamp-catchup.timer) ))");
    let age: i64 = age.stdout.trim().parse().unwrap_or(i64::MAX);
    assert!(age < 60, "stamp {age}s old");
    assert_eq!(
        sb.prop("catchup.timer", "NextElapseUSecRealtime"),
        sb.prop("nopersist.timer", "NextElapseUSecRealtime")
    );
    let_the_manager_run(&sb, 500);
    assert_eq!(runs(&sb, "/run/catchup.log"), 1);
    assert_eq!(runs(&sb, "/run/nopersist.log"), 0);
    assert!(!sb.exists("/var/lib/systemd/timers/stamp-nopersist.timer"));
}

#[test]
fn list_timers_and_status_show_the_schedule_as_systemd_252() {
    let sb = Sandbox::new();
    sb.unit("daily.service", &counting_service("/run/daily.log"));
    // daily at an hour 6 to 7 hours from now, so that it always comes after the 1-hour timer
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let daily_at = format!(" {:02}:00:00 UTC", (now / 3600 + 7) % 24);
    sb.unit(
        "daily.timer",
        &format!("[Unit]\nDescription=Daily job\n[Timer]\nOnCalendar=*-*-*{daily_at}\n"),
    );
    sb.unit("soon.service", &counting_service("/run/soon.log"));
    sb.unit("soon.timer", "[Timer]\nOnActiveSec=1h\n");
    sb.unit("idle.service", &counting_service("/run/idle.log"));
    sb.unit("idle.timer", "[Timer]\nOnActiveSec=1h\n");
    // A stopped unit stays loaded (and listed by --all) only while a loaded unit names it;
    // otherwise 252 collects it.
    sb.unit("holder.target", "[Unit]\nAfter=idle.timer\n");
    // No manager yet: an empty table, as list-sockets prints it.
    let o = sb.systemctl(&["list-timers"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (
            0,
            "NEXT LEFT LAST PASSED UNIT ACTIVATES\n\n0 timers listed.\n\
             Pass --all to see loaded but inactive timers, too.\n"
        ),
        "{o:?}"
    );
    sb.quiet_ok(&[
        "start",
        "daily.timer",
        "soon.timer",
        "idle.timer",
        "holder.target",
    ]);
    sb.quiet_ok(&["stop", "idle.timer"]);
    let o = sb.systemctl(&["list-timers"]);
    assert_eq!(o.code, 0, "{o:?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", o.stdout);
    // Column starts line up under the header; the sooner timer comes first.
    let header = lines[0];
    for column in ["NEXT", "LEFT", "LAST", "PASSED", "UNIT", "ACTIVATES"] {
        assert!(header.contains(column), "{header}");
    }
    let unit_at = header.find("UNIT").unwrap_or(0);
    assert!(
        lines[1][unit_at..].starts_with("soon.timer "),
        "{}",
        o.stdout
    );
    assert!(lines[1].contains(" 59min left "), "{}", o.stdout);
    assert!(lines[1].ends_with(" soon.service"), "{}", o.stdout);
    assert!(
        lines[2][unit_at..].starts_with("daily.timer "),
        "{}",
        o.stdout
    );
    assert!(lines[2].contains(&format!("{daily_at} ")), "{}", o.stdout);
    // Never triggered: LAST and PASSED are dashes.
    let last_at = header.find("LAST").unwrap_or(0);
    assert!(lines[2][last_at..].starts_with("- "), "{}", o.stdout);
    assert_eq!(
        &lines[3..],
        [
            "",
            "2 timers listed.",
            "Pass --all to see loaded but inactive timers, too."
        ]
    );
    // --all adds the stopped one (never elapsing: first), a pattern narrows. (The patterns
    // leave out the host's timers of timers.target, which the default dependencies load.)
    let o = sb.systemctl(&[
        "list-timers",
        "--all",
        "--no-legend",
        "idle*",
        "soon*",
        "daily*",
    ]);
    let units: Vec<&str> = o
        .stdout
        .lines()
        .map(|l| l.split_whitespace().rev().nth(1).unwrap_or(""))
        .collect();
    assert_eq!(units, ["idle.timer", "soon.timer", "daily.timer"], "{o:?}");
    let o = sb.systemctl(&["list-timers", "soon"]);
    assert!(
        o.stdout.contains("soon.timer") && !o.stdout.contains("daily.timer"),
        "{o:?}"
    );
    // status: Trigger: and Triggers:.
    let o = sb.systemctl(&["status", "daily.timer"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.contains("     Active: active (waiting) since "),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("    Trigger: "), "{}", o.stdout);
    assert!(o.stdout.contains(&format!("{daily_at}; ")), "{}", o.stdout);
    assert!(
        o.stdout.contains("   Triggers: ● daily.service\n"),
        "{}",
        o.stdout
    );
    let o = sb.systemctl(&["status", "idle.timer"]);
    assert!(o.stdout.contains("    Trigger: n/a\n"), "{}", o.stdout);
    let o = sb.systemctl(&["status", "soon.service"]);
    assert!(
        o.stdout.contains("TriggeredBy: ● soon.timer\n"),
        "{}",
        o.stdout
    );
    assert_eq!(sb.prop("soon.service", "TriggeredBy"), "soon.timer");
    assert_eq!(sb.prop("soon.timer", "Triggers"), "soon.service");
    // show: the calendar value's next elapse as a timestamp.
    let o = sb.systemctl(&[
        "show",
        "-p",
        "TimersCalendar",
        "-p",
        "NextElapseUSecRealtime",
        "daily.timer",
    ]);
    assert!(
        o.stdout.contains(&format!(
            "TimersCalendar={{ OnCalendar=*-*-*{daily_at} ; next_elapse="
        )) && o.stdout.contains(&format!("{daily_at} }}\n")),
        "{o:?}"
    );
}

#[test]
fn a_timer_enabled_for_timers_target_fires_at_pid1_boot() {
    let sb = Sandbox::for_init();
    sb.unit("boot-job.service", &counting_service("/run/boot-job.log"));
    sb.unit(
        "boot-job.timer",
        "[Timer]\nOnBootSec=300ms\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n",
    );
    let o = sb.systemctl(&["enable", "boot-job.timer"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.boot(&[]);
    sb.wait_for_lines("/run/boot-job.log", 1);
    sb.wait_for_prop("boot-job.timer", "SubState", "elapsed");
    assert_eq!(sb.prop("timers.target", "ActiveState"), "active");
}

#[test]
fn a_manager_started_again_keeps_the_schedule_of_its_timers() {
    let sb = Sandbox::new();
    sb.unit("once.service", &counting_service("/run/once.log"));
    sb.unit(
        "once.timer",
        "[Timer]\nOnActiveSec=100ms\nAccuracySec=1us\n",
    );
    sb.unit("tick.service", &counting_service("/run/tick.log"));
    sb.unit(
        "tick.timer",
        "[Timer]\nOnActiveSec=100ms\nOnUnitActiveSec=400ms\nAccuracySec=1us\n",
    );
    sb.quiet_ok(&["start", "once.timer", "tick.timer"]);
    sb.wait_for_prop("once.timer", "SubState", "elapsed");
    sb.wait_for_lines("/run/tick.log", 1);
    sb.kill_manager();
    // Any runtime verb starts a manager again, which adopts both timers.
    sb.quiet_ok(&["start", "once.timer"]);
    assert_eq!(sb.prop("once.timer", "SubState"), "elapsed");
    assert_ne!(sb.prop("once.timer", "LastTriggerUSec"), "");
    let before = runs(&sb, "/run/tick.log");
    sb.wait_for_lines("/run/tick.log", before + 2);
    assert_eq!(runs(&sb, "/run/once.log"), 1);
}

#[test]
fn daemon_reload_applies_new_times_to_a_waiting_timer() {
    let sb = Sandbox::new();
    sb.unit("later.service", &counting_service("/run/later.log"));
    sb.unit("later.timer", "[Timer]\nOnActiveSec=1h\nAccuracySec=1us\n");
    sb.quiet_ok(&["start", "later.timer"]);
    assert_eq!(sb.prop("later.timer", "SubState"), "waiting");
    sb.unit(
        "later.timer",
        "[Timer]\nOnActiveSec=300ms\nAccuracySec=1us\n",
    );
    sb.quiet_ok(&["daemon-reload"]);
    sb.wait_for_lines("/run/later.log", 1);
    sb.wait_for_prop("later.timer", "SubState", "elapsed");
}

/// A span as `show` prints it (`12h 51min 22.016304s`), in µs.
fn span_usec(text: &str) -> u64 {
    let mut total = 0f64;
    for part in text.split_whitespace() {
        let split = part
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(part.len());
        let (number, unit) = part.split_at(split);
        let n: f64 = number.parse().unwrap_or_else(|_| panic!("span {text}"));
        let scale = match unit {
            "y" => 31_557_600e6,
            "month" => 2_629_800e6,
            "w" => 604_800e6,
            "d" => 86_400e6,
            "h" => 3_600e6,
            "min" => 60e6,
            "s" => 1e6,
            "ms" => 1e3,
            "us" | "" => 1.0,
            _ => panic!("unit {unit} in {text}"),
        };
        total += n * scale;
    }
    total.round() as u64
}

/// How far past OnActiveSec=1h from its activation the timer's next elapse is.
fn random_part(sb: &Sandbox, timer: &str) -> i64 {
    let next = span_usec(&sb.prop(timer, "NextElapseUSecMonotonic"));
    let activated: u64 = sb
        .prop(timer, "InactiveExitTimestampMonotonic")
        .parse()
        .unwrap_or(0);
    next as i64 - (activated + 3_600_000_000) as i64
}

#[test]
fn randomized_delay_sec_adds_up_to_its_span_and_fixed_random_delay_keeps_it() {
    let sb = Sandbox::new();
    sb.unit("fixed.service", &counting_service("/run/fixed.log"));
    sb.unit(
        "fixed.timer",
        "[Timer]\nOnActiveSec=1h\nRandomizedDelaySec=1h\nFixedRandomDelay=yes\n",
    );
    sb.unit("plain.service", &counting_service("/run/plain.log"));
    sb.unit("plain.timer", "[Timer]\nOnActiveSec=1h\n");
    sb.quiet_ok(&["start", "fixed.timer", "plain.timer"]);
    let first = random_part(&sb, "fixed.timer");
    assert!((0..3_600_000_000).contains(&first), "{first}");
    // Without RandomizedDelaySec= the elapse is the span itself (give or take the moment the
    // activation was stamped).
    assert!(random_part(&sb, "plain.timer").abs() < 50_000);
    sb.quiet_ok(&["restart", "fixed.timer"]);
    let second = random_part(&sb, "fixed.timer");
    assert!((first - second).abs() < 50_000, "{first} {second}");
}

/// Debian's apt-daily.timer crashed PID 1 at boot (SIGSEGV, exit 139): the random part of
/// RandomizedDelaySec= called a getrandom() the static musl build does not link.
#[test]
fn debians_apt_daily_timer_with_a_random_delay_waits_at_pid1_boot() {
    let sb = Sandbox::for_init();
    sb.unit("apt-daily.service", &counting_service("/run/apt-daily.log"));
    sb.unit(
        "apt-daily.timer",
        "[Unit]\nDescription=Daily apt download activities\n\
         [Timer]\nOnCalendar=*-*-* 6,18:00\nRandomizedDelaySec=12h\nPersistent=true\n\
         [Install]\nWantedBy=timers.target\n",
    );
    sb.unit("soon.service", &counting_service("/run/soon.log"));
    sb.unit(
        "soon.timer",
        "[Timer]\nOnActiveSec=1h\nRandomizedDelaySec=1h\n[Install]\nWantedBy=timers.target\n",
    );
    let o = sb.systemctl(&["enable", "apt-daily.timer", "soon.timer"]);
    assert_eq!(o.code, 0, "{o:?}");
    sb.boot(&[]);
    sb.wait_for_prop("apt-daily.timer", "SubState", "waiting");
    sb.wait_for_prop("soon.timer", "SubState", "waiting");
    let random = random_part(&sb, "soon.timer");
    assert!((0..3_600_000_000).contains(&random), "{random}");
    assert_eq!(sb.exit_status(), None, "PID 1 still runs: {}", sb.console());
}

/// A calendar spec the manager cannot compute (a time zone name) would never elapse: it is
/// dropped with systemd's "Failed to parse calendar specification" line, so a timer left
/// without a time is refused as systemd refuses it, instead of waiting for ever.
#[test]
fn a_calendar_spec_that_cannot_be_computed_is_dropped_with_a_warning() {
    let sb = Sandbox::new();
    sb.unit("zoned.service", &counting_service("/run/zoned.log"));
    sb.unit(
        "zoned.timer",
        "[Timer]\nOnCalendar=*-*-* 03:00 Europe/Berlin\n",
    );
    assert_eq!(sb.prop("zoned.timer", "LoadState"), "bad-setting");
    let o = sb.systemctl(&["start", "zoned.timer"]);
    assert_ne!(o.code, 0, "{o:?}");
}

/// Issue 13: `OnCalendar=25:00` was kept, the timer `active` with no next elapse, never firing.
/// systemd 252 ignores an out-of-range spec with "Failed to parse calendar specification" (see
/// tests/calendar_differential.rs, against its own loader): a timer left without a time is
/// refused, one with a valid spec besides keeps firing on it.
#[test]
fn out_of_range_calendar_specs_are_ignored_and_the_valid_one_fires() {
    let sb = Sandbox::new();
    sb.unit("never.service", &counting_service("/run/never.log"));
    sb.unit(
        "never.timer",
        "[Timer]\nOnCalendar=25:00\nOnCalendar=*-13-01\n",
    );
    assert_eq!(sb.prop("never.timer", "LoadState"), "bad-setting");
    let o = sb.systemctl(&["start", "never.timer"]);
    assert_ne!(o.code, 0, "{o:?}");
    sb.unit("mixed.service", &counting_service("/run/mixed.log"));
    sb.unit(
        "mixed.timer",
        "[Timer]\nOnCalendar=00:60\nOnCalendar=*:*:* UTC\nAccuracySec=1us\n",
    );
    sb.quiet_ok(&["start", "mixed.timer"]);
    assert_eq!(
        sb.prop("mixed.timer", "TimersCalendar")
            .matches("OnCalendar=")
            .count(),
        1
    );
    sb.wait_for_lines("/run/mixed.log", 1);
}
