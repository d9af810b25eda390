//! `show` and `cat`: the properties systemd knows of a unit at load time, and its files.
//!
//! `show` prints what `systemctl show` 252 prints: the type's D-Bus interface first (Service,
//! Socket, Timer, Path), then the Unit interface, in the order systemd's vtables list them, with
//! its value formats. Runtime properties (states, pids, timestamps, the last run of each command)
//! come from the manager when one runs, and otherwise carry their values for a unit that never
//! ran. `cat` prints the fragment and drop-ins as systemctl's cat.c does.

use std::cell::OnceCell;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::protocol::{ExecRun, UnitStatus};
use crate::sys::signal::signal_name;
use crate::unit::command::ExecCommand;
use crate::unit::load::{load_or_shipped, load_with_map, orphan_dropins, regular_file, NameMap};
use crate::unit::model::{Dependency, ExecKind, LoadState, TypeSection, UnitConfig};
use crate::unit::name::{self, UnitName, UnitType};
use crate::unit::paths::LookupPaths;
use crate::unit::timespan::Usec;

/// One `Key=value` line; `empty` values are only printed with `--all` or when asked for by `-p`.
struct Property {
    name: String,
    value: String,
    empty: bool,
}

#[derive(Default)]
struct Properties(Vec<Property>);

impl Properties {
    fn add(&mut self, name: &'static str, value: impl Into<String>) {
        let value = value.into();
        let empty = value.is_empty();
        self.0.push(Property {
            name: name.to_string(),
            value,
            empty,
        });
    }

    fn yes_no(&mut self, name: &'static str, v: bool) {
        self.add(name, if v { "yes" } else { "no" });
    }

    fn usec(&mut self, name: &'static str, v: Usec) {
        self.add(name, v.to_string());
    }

    /// A timestamp of a unit that never ran: empty.
    fn never(&mut self, name: &'static str) {
        self.add(name, "");
    }

    /// A realtime/monotonic pair (`FooTimestamp=`, `FooTimestampMonotonic=`): the first
    /// formatted, empty when unset; the second a plain number.
    fn stamp(&mut self, name: &'static str, mono_name: &'static str, (real, mono): (u64, u64)) {
        self.add(name, format_timestamp(real).unwrap_or_default());
        self.add(mono_name, mono.to_string());
    }

    /// An array of structures, one line per element; systemctl prints nothing for none, even
    /// with `--all`.
    fn lines(&mut self, items: Vec<(String, String)>) {
        for (name, value) in items {
            self.0.push(Property {
                name,
                value,
                empty: false,
            });
        }
    }

    /// What systemctl cannot format: shown only when empty properties are.
    fn unprintable(&mut self, name: &'static str) {
        self.0.push(Property {
            name: name.to_string(),
            value: "[unprintable]".into(),
            empty: true,
        });
    }

    /// An exit status that was never configured: shown only when empty properties are.
    fn not_set(&mut self, name: &'static str) {
        self.0.push(Property {
            name: name.to_string(),
            value: "[not set]".into(),
            empty: true,
        });
    }

    /// A string array (`as`): elements quoted as systemctl quotes them, space-separated.
    fn list(&mut self, name: &'static str, items: &[String]) {
        let quoted: Vec<String> = items.iter().map(|i| shell_maybe_quote(i)).collect();
        self.add(name, quoted.join(" "));
    }

    /// Exit statuses (`aiai`): numbers and signal names as given, space-separated.
    fn statuses(&mut self, name: &'static str, items: &[String]) {
        self.add(name, items.join(" "));
    }
}

/// systemd's `format_timestamp()` (TIMESTAMP_PRETTY): `Sun 2026-11-22 02:05:35 UTC` in the local
/// time zone; `None` for an unset (0 or infinite) timestamp.
pub(super) fn format_timestamp(usec: u64) -> Option<String> {
    if usec == 0 || usec == u64::MAX {
        return None;
    }
    // strftime's %a would follow the locale; systemd always writes English weekdays, so the day
    // comes as a number (%w) and is named here.
    const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let local = crate::sys::time::format_time(usec, "%w %Y-%m-%d %H:%M:%S %Z", false);
    let (day, rest) = local.split_once(' ')?;
    let weekday = WEEKDAYS.get(day.parse::<usize>().ok()?)?;
    // An empty zone name leaves a trailing space; systemd then writes no zone.
    Some(format!("{weekday} {}", rest.trim_end()))
}

/// `sigchld_code_to_string()`: how a process ended, as waitid() reports it.
pub(super) fn sigchld_code(code: i32) -> Option<&'static str> {
    Some(match code {
        libc::CLD_EXITED => "exited",
        libc::CLD_KILLED => "killed",
        libc::CLD_DUMPED => "dumped",
        libc::CLD_TRAPPED => "trapped",
        libc::CLD_STOPPED => "stopped",
        libc::CLD_CONTINUED => "continued",
        _ => return None,
    })
}

/// ExecRun carries realtime stamps only; systemd shows the monotonic twin as well. It is derived
/// from the clocks' present offset, which is exact unless the wall clock was stepped since.
fn monotonic_of(realtime: u64) -> u64 {
    if realtime == 0 {
        return 0;
    }
    let now_real = crate::sys::time::now_usec();
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into a timespec we own.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
        return 0;
    }
    let now_mono = u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000
        + u64::try_from(ts.tv_nsec).unwrap_or(0) / 1000;
    (realtime + now_mono).saturating_sub(now_real)
}

/// One element of an `Exec…=` property: the command and what its last run did (all zero for a
/// command that never ran).
fn exec_value(c: &ExecCommand, ex: bool, run: &ExecRun) -> String {
    let middle = if ex {
        format!("flags={}", c.flag_names().join(" "))
    } else {
        format!(
            "ignore_errors={}",
            if c.flags.ignore_failure { "yes" } else { "no" }
        )
    };
    let time = |usec| format_timestamp(usec).unwrap_or_else(|| "n/a".into());
    // An exit status is a number; anything else is a signal, also given by name.
    let status = if run.code == libc::CLD_EXITED {
        run.status.to_string()
    } else {
        format!("{}/{}", run.status, signal_name(run.status))
    };
    format!(
        "{{ path={} ; argv[]={} ; {middle} ; start_time=[{}] ; stop_time=[{}] ; pid={} ; code={} ; status={status} }}",
        c.path,
        c.argv.join(" "),
        time(run.start_usec),
        time(run.exit_usec),
        run.pid,
        // systemctl prints the NULL of an unknown code with "%s"
        sigchld_code(run.code).unwrap_or("(null)"),
    )
}

/// The last run of the `index`th command of `kind`, if the manager recorded one.
pub(super) fn exec_run(rt: &UnitStatus, kind: ExecKind, index: usize) -> Option<&ExecRun> {
    rt.exec_runs
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, runs)| runs.get(index))
}

fn exec_properties(p: &mut Properties, config: &UnitConfig, rt: &UnitStatus, kinds: &[ExecKind]) {
    let never = ExecRun::default();
    for &kind in kinds {
        let commands = config.exec_commands(kind);
        let name = kind.property();
        let ex_name: &'static str = match kind {
            ExecKind::Condition => "ExecConditionEx",
            ExecKind::StartPre => "ExecStartPreEx",
            ExecKind::Start => "ExecStartEx",
            ExecKind::StartPost => "ExecStartPostEx",
            ExecKind::Reload => "ExecReloadEx",
            ExecKind::Stop => "ExecStopEx",
            ExecKind::StopPre => "ExecStopPreEx",
            ExecKind::StopPost => "ExecStopPostEx",
        };
        let run = |i| exec_run(rt, kind, i).unwrap_or(&never);
        let plain = commands
            .iter()
            .enumerate()
            .map(|(i, c)| (name.to_string(), exec_value(c, false, run(i))))
            .collect();
        p.lines(plain);
        if config.unit_type == UnitType::Service {
            let ex = commands
                .iter()
                .enumerate()
                .map(|(i, c)| (ex_name.to_string(), exec_value(c, true, run(i))))
                .collect();
            p.lines(ex);
        }
    }
}

/// systemd's `shell_maybe_quote(s, 0)`, which systemctl applies to every element of a string
/// array: double quotes when the string has whitespace, control or shell-special characters.
fn shell_maybe_quote(s: &str) -> String {
    const NEED_QUOTES: &str = "\"\\`$*?['()<>|&;!";
    const NEED_ESCAPE: &str = "\"\\`$";
    let special = |c: char| c.is_ascii() && (c <= ' ' || c == '\x7f' || NEED_QUOTES.contains(c));
    if !s.chars().any(special) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            c if NEED_ESCAPE.contains(c) => {
                out.push('\\');
                out.push(c);
            }
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// systemd.exec(5) and systemd.kill(5) settings, for services and sockets.
fn exec_context_properties(p: &mut Properties, config: &UnitConfig) {
    let s = &config.settings;
    p.list("Environment", &s.environment);
    let files = s
        .environment_files
        .iter()
        .map(|(path, optional)| {
            (
                "EnvironmentFiles".to_string(),
                format!(
                    "{path} (ignore_errors={})",
                    if *optional { "yes" } else { "no" }
                ),
            )
        })
        .collect();
    p.lines(files);
    p.add("UMask", s.umask.clone());
    // The D-Bus property marks a directory whose absence is tolerated (`-`) with `!`.
    let working_directory = s.working_directory.clone().unwrap_or_default();
    p.add(
        "WorkingDirectory",
        match working_directory.strip_prefix('-') {
            Some(path) => format!("!{path}"),
            None => working_directory,
        },
    );
    p.add(
        "RootDirectory",
        s.root_directory.clone().unwrap_or_default(),
    );
    p.add("StandardInput", s.standard_input.clone());
    p.add("StandardOutput", s.standard_output.clone());
    p.add("StandardError", s.standard_error.clone());
    p.add(
        "SyslogIdentifier",
        s.syslog_identifier.clone().unwrap_or_default(),
    );
    p.add("User", s.user.clone().unwrap_or_default());
    p.add("Group", s.group.clone().unwrap_or_default());
    p.list("SupplementaryGroups", &s.supplementary_groups);
    p.list("RuntimeDirectory", &s.runtime_directory);
    p.list("StateDirectory", &s.state_directory);
    p.add("KillMode", s.kill_mode.clone());
    p.add("KillSignal", signal_number(&s.kill_signal));
    p.add("FinalKillSignal", signal_number(&s.final_kill_signal));
    p.yes_no("SendSIGKILL", s.send_sigkill);
    p.yes_no("SendSIGHUP", s.send_sighup);
}

/// `KillSignal=` is shown as its number.
fn signal_number(name: &str) -> String {
    name.parse::<nix::sys::signal::Signal>()
        .map(|s| (s as i32).to_string())
        .unwrap_or_else(|_| name.to_string())
}

/// Settings we keep but do not model, shown as written (the last assignment of each key).
fn raw_properties(p: &mut Properties, config: &UnitConfig, sections: &[&str]) {
    let mut seen: Vec<(String, String)> = Vec::new();
    for raw in config
        .raw
        .iter()
        .filter(|r| sections.contains(&r.section.as_str()))
    {
        match seen.iter_mut().find(|(k, _)| *k == raw.key) {
            Some((_, v)) => raw.value.clone_into(v),
            None => seen.push((raw.key.clone(), raw.value.clone())),
        }
    }
    for (key, value) in seen {
        if p.0.iter().any(|q| q.name == key) {
            continue;
        }
        let empty = value.is_empty();
        p.0.push(Property {
            name: key,
            value,
            empty,
        });
    }
}

fn service_properties(p: &mut Properties, config: &UnitConfig, rt: &UnitStatus) {
    let Some(s) = config.service() else { return };
    p.add("Type", s.service_type.clone().unwrap_or_default());
    p.add("ExitType", s.exit_type.clone());
    p.add("Restart", s.restart.clone());
    p.add("PIDFile", s.pid_file.clone().unwrap_or_default());
    p.add(
        "NotifyAccess",
        s.notify_access.clone().unwrap_or_else(|| "none".into()),
    );
    p.usec("RestartUSec", s.restart_sec);
    p.usec("TimeoutStartUSec", s.timeout_start);
    p.usec("TimeoutStopUSec", s.timeout_stop);
    p.usec(
        "TimeoutAbortUSec",
        s.timeout_abort.unwrap_or(s.timeout_stop),
    );
    p.add("TimeoutStartFailureMode", "terminate");
    p.add("TimeoutStopFailureMode", "terminate");
    p.usec("RuntimeMaxUSec", s.runtime_max);
    p.usec("RuntimeRandomizedExtraUSec", Usec::ZERO);
    p.usec("WatchdogUSec", s.watchdog);
    p.never("WatchdogTimestamp");
    p.add("WatchdogTimestampMonotonic", "0");
    p.yes_no("RootDirectoryStartOnly", false);
    p.yes_no("RemainAfterExit", s.remain_after_exit);
    p.yes_no("GuessMainPID", s.guess_main_pid);
    p.statuses("RestartPreventExitStatus", &s.restart_prevent_exit_status);
    p.statuses("RestartForceExitStatus", &s.restart_force_exit_status);
    p.statuses("SuccessExitStatus", &s.success_exit_status);
    p.add("MainPID", rt.main_pid.to_string());
    p.add("ControlPID", rt.control_pid.to_string());
    p.add("BusName", s.bus_name.clone().unwrap_or_default());
    p.add(
        "FileDescriptorStoreMax",
        s.file_descriptor_store_max.to_string(),
    );
    p.add("NFileDescriptorStore", "0");
    p.add("StatusText", printable(&rt.status_text));
    p.add("StatusErrno", rt.status_errno.to_string());
    p.add("Result", rt.result.clone());
    p.add("ReloadResult", rt.reload_result.clone());
    p.add("CleanResult", "success");
    p.add("UID", "[not set]");
    p.add("GID", "[not set]");
    p.add("NRestarts", rt.n_restarts.to_string());
    p.add("OOMPolicy", s.oom_policy.clone());
    let main = &rt.exec_main;
    p.stamp(
        "ExecMainStartTimestamp",
        "ExecMainStartTimestampMonotonic",
        (main.start_usec, monotonic_of(main.start_usec)),
    );
    p.stamp(
        "ExecMainExitTimestamp",
        "ExecMainExitTimestampMonotonic",
        (main.exit_usec, monotonic_of(main.exit_usec)),
    );
    p.add("ExecMainPID", main.pid.to_string());
    p.add("ExecMainCode", main.code.to_string());
    p.add("ExecMainStatus", main.status.to_string());
    exec_properties(
        p,
        config,
        rt,
        &[
            ExecKind::Condition,
            ExecKind::StartPre,
            ExecKind::Start,
            ExecKind::StartPost,
            ExecKind::Reload,
            ExecKind::Stop,
            ExecKind::StopPost,
        ],
    );
    p.add("Slice", config.settings.slice.clone().unwrap_or_default());
    exec_context_properties(p, config);
    raw_properties(p, config, &["Service"]);
}

fn socket_properties(p: &mut Properties, config: &UnitConfig, rt: &UnitStatus) {
    let TypeSection::Socket(s) = &config.kind else {
        return;
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    p.add("BindIPv6Only", s.bind_ipv6_only.clone());
    p.add("Backlog", s.backlog.to_string());
    p.usec("TimeoutUSec", s.timeout);
    p.add("BindToDevice", text(&s.bind_to_device));
    p.add("SocketUser", text(&s.socket_user));
    p.add("SocketGroup", text(&s.socket_group));
    p.add("SocketMode", s.socket_mode.clone());
    p.add("DirectoryMode", s.directory_mode.clone());
    p.yes_no("Accept", s.accept);
    p.yes_no("FlushPending", s.flush_pending);
    p.yes_no("Writable", s.writable);
    p.yes_no("KeepAlive", s.keep_alive);
    p.usec("KeepAliveTimeUSec", s.keep_alive_time.unwrap_or(Usec::ZERO));
    p.usec(
        "KeepAliveIntervalUSec",
        s.keep_alive_interval.unwrap_or(Usec::ZERO),
    );
    p.add(
        "KeepAliveProbes",
        s.keep_alive_probes.unwrap_or(0).to_string(),
    );
    p.usec("DeferAcceptUSec", s.defer_accept);
    p.yes_no("NoDelay", s.no_delay);
    p.add("Priority", s.priority.unwrap_or(-1).to_string());
    p.add("ReceiveBuffer", s.receive_buffer.unwrap_or(0).to_string());
    p.add("SendBuffer", s.send_buffer.unwrap_or(0).to_string());
    p.add("IPTOS", s.ip_tos.to_string());
    p.add("IPTTL", s.ip_ttl.to_string());
    p.add("PipeSize", s.pipe_size.to_string());
    p.yes_no("FreeBind", s.free_bind);
    p.yes_no("Transparent", s.transparent);
    p.yes_no("Broadcast", s.broadcast);
    p.yes_no("PassCredentials", s.pass_credentials);
    p.yes_no("PassSecurity", s.pass_security);
    p.yes_no("PassPacketInfo", s.pass_packet_info);
    p.add("Timestamping", s.timestamping.clone());
    p.yes_no("RemoveOnStop", s.remove_on_stop);
    let listen = s
        .listen
        .iter()
        .map(|l| {
            (
                "Listen".to_string(),
                format!("{} ({})", l.listen_display(), l.kind),
            )
        })
        .collect();
    p.lines(listen);
    p.list("Symlinks", &s.symlinks);
    p.add("Mark", s.mark.unwrap_or(-1).to_string());
    p.add("MaxConnections", s.max_connections.to_string());
    p.add(
        "MaxConnectionsPerSource",
        s.max_connections_per_source.to_string(),
    );
    p.add(
        "MessageQueueMaxMessages",
        s.message_queue_max_messages.to_string(),
    );
    p.add(
        "MessageQueueMessageSize",
        s.message_queue_message_size.to_string(),
    );
    p.add("TCPCongestion", text(&s.tcp_congestion));
    p.yes_no("ReusePort", s.reuse_port);
    p.add("SmackLabel", text(&s.smack_label));
    p.add("SmackLabelIPIn", text(&s.smack_label_ip_in));
    p.add("SmackLabelIPOut", text(&s.smack_label_ip_out));
    p.add("ControlPID", rt.control_pid.to_string());
    p.add("Result", rt.result.clone());
    // counters of the running manager; a socket it never listened on has none
    let counters = rt.socket.unwrap_or_default();
    p.add("NConnections", counters.n_connections.to_string());
    p.add("NAccepted", counters.n_accepted.to_string());
    p.add("NRefused", counters.n_refused.to_string());
    p.add(
        "FileDescriptorName",
        s.file_descriptor_name
            .clone()
            .unwrap_or_else(|| config.id.clone()),
    );
    p.add("SocketProtocol", s.socket_protocol.to_string());
    let (interval, burst) = s.trigger_limit();
    p.usec("TriggerLimitIntervalUSec", interval);
    p.add("TriggerLimitBurst", burst.to_string());
    p.add("UID", "[not set]");
    p.add("GID", "[not set]");
    exec_properties(
        p,
        config,
        rt,
        &[
            ExecKind::StartPre,
            ExecKind::StartPost,
            ExecKind::StopPre,
            ExecKind::StopPost,
        ],
    );
    p.add("Slice", config.settings.slice.clone().unwrap_or_default());
    exec_context_properties(p, config);
    raw_properties(p, config, &["Socket"]);
}

fn timer_properties(p: &mut Properties, config: &UnitConfig, rt: &UnitStatus) {
    let TypeSection::Timer(t) = &config.kind else {
        return;
    };
    // The manager's schedule, or that of a timer that never ran.
    let info = rt.timer.clone().unwrap_or_default();
    p.add("Unit", t.unit.clone().unwrap_or_default());
    let mono = t
        .monotonic
        .iter()
        .enumerate()
        .map(|(v, (base, span))| {
            let next = Usec(info.monotonic_next.get(v).copied().unwrap_or(0));
            (
                "TimersMonotonic".to_string(),
                format!("{{ {base}={span} ; next_elapse={next} }}"),
            )
        })
        .collect();
    p.lines(mono);
    let cal = t
        .calendar
        .iter()
        .enumerate()
        .map(|(v, spec)| {
            let next = info.calendar_next.get(v).copied().unwrap_or(0);
            (
                "TimersCalendar".to_string(),
                // systemctl prints the unset timestamp with a bare "%s" of NULL
                format!(
                    "{{ OnCalendar={spec} ; next_elapse={} }}",
                    format_timestamp(next).unwrap_or_else(|| "(null)".into())
                ),
            )
        })
        .collect();
    p.lines(cal);
    p.yes_no("OnClockChange", false);
    p.yes_no("OnTimezoneChange", false);
    // bus-print-properties.c: these two are timestamps, the monotonic ones spans.
    p.add(
        "NextElapseUSecRealtime",
        format_timestamp(info.next_elapse_realtime).unwrap_or_default(),
    );
    p.usec("NextElapseUSecMonotonic", Usec(info.next_elapse_monotonic));
    p.add(
        "LastTriggerUSec",
        format_timestamp(info.last_trigger.0).unwrap_or_default(),
    );
    p.usec("LastTriggerUSecMonotonic", Usec(info.last_trigger.1));
    p.add(
        "Result",
        if info.result.is_empty() {
            "success".to_string()
        } else {
            info.result.clone()
        },
    );
    p.usec("AccuracyUSec", t.accuracy);
    p.usec("RandomizedDelayUSec", t.randomized_delay);
    p.yes_no("FixedRandomDelay", t.fixed_random_delay);
    p.yes_no("Persistent", t.persistent);
    p.yes_no("WakeSystem", t.wake_system);
    p.yes_no("RemainAfterElapse", t.remain_after_elapse);
    raw_properties(p, config, &["Timer"]);
}

fn path_properties(p: &mut Properties, config: &UnitConfig) {
    let TypeSection::Path(t) = &config.kind else {
        return;
    };
    p.add("Unit", t.unit.clone().unwrap_or_default());
    let paths = t
        .paths
        .iter()
        .map(|(kind, path)| ("Paths".to_string(), format!("{path} ({kind})")))
        .collect();
    p.lines(paths);
    p.yes_no("MakeDirectory", t.make_directory);
    p.add("DirectoryMode", t.directory_mode.clone());
    p.add("Result", "success");
    raw_properties(p, config, &["Path"]);
}

/// What a unit triggers by its own settings: a socket's service, a timer's or path's unit.
fn own_triggers(config: &UnitConfig) -> Vec<String> {
    match &config.kind {
        TypeSection::Socket(s) => s.triggered_service(&config.id).into_iter().collect(),
        TypeSection::Timer(t) => t.unit.iter().cloned().collect(),
        TypeSection::Path(t) => t.unit.iter().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The trigger relations the unit files declare, for `Triggers=`/`TriggeredBy=` when no manager
/// tells them: what each socket, timer and path unit triggers (whatever its name), and the
/// sockets each service lists in `Sockets=`. systemd knows them once both units are loaded;
/// here the unit files of those types are read when first needed, once per `show`.
#[derive(Default)]
struct TriggerFiles {
    /// (socket, timer or path unit, the unit it triggers)
    triggering: OnceCell<Vec<(String, String)>>,
    /// (socket, a service that lists it in `Sockets=`)
    service_sockets: OnceCell<Vec<(String, String)>>,
}

/// The relations `edges` finds in every loaded unit of `types` in the search path, by file name.
fn read_edges(
    lookup: &LookupPaths,
    map: &NameMap,
    types: &[UnitType],
    edges: fn(&UnitConfig) -> Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut names = std::collections::BTreeSet::new();
    for dir in &lookup.search {
        let Ok(entries) = lookup
            .on_disk(dir, crate::unit::paths::Last::Follow)
            .and_then(std::fs::read_dir)
        else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if let Ok(unit) = UnitName::parse(&name) {
                if !unit.is_template() && types.contains(&unit.unit_type()) {
                    names.insert(unit);
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for unit in names {
        let config = load_with_map(lookup, map, &unit);
        // an alias loads the unit it names, which counts once
        if config.load_state == LoadState::Loaded && seen.insert(config.id.clone()) {
            out.extend(edges(&config));
        }
    }
    out
}

impl TriggerFiles {
    fn triggering(&self, lookup: &LookupPaths, map: &NameMap) -> &[(String, String)] {
        self.triggering.get_or_init(|| {
            let types = [UnitType::Socket, UnitType::Timer, UnitType::Path];
            read_edges(lookup, map, &types, |c| {
                let id = &c.id;
                own_triggers(c)
                    .into_iter()
                    .map(|t| (id.clone(), t))
                    .collect()
            })
        })
    }

    fn service_sockets(&self, lookup: &LookupPaths, map: &NameMap) -> &[(String, String)] {
        self.service_sockets.get_or_init(|| {
            read_edges(lookup, map, &[UnitType::Service], |c| {
                let sockets = c.service().map_or(&[][..], |s| &s.sockets);
                sockets.iter().map(|s| (s.clone(), c.id.clone())).collect()
            })
        })
    }

    /// `Triggers=` of `config`: its own, then (for a socket) the services that name it in
    /// `Sockets=`.
    fn triggers(&self, lookup: &LookupPaths, map: &NameMap, config: &UnitConfig) -> Vec<String> {
        let own = own_triggers(config);
        if config.unit_type != UnitType::Socket {
            return own;
        }
        let services: Vec<String> = self
            .service_sockets(lookup, map)
            .iter()
            .filter(|(socket, _)| *socket == config.id)
            .map(|(_, service)| service.clone())
            .collect();
        with_all(&own, &services)
    }

    /// `TriggeredBy=` of `config`: the units of its own name first (`foo.socket` of
    /// `foo.service`), then its `Sockets=`, then units of other names.
    fn triggered_by(
        &self,
        lookup: &LookupPaths,
        map: &NameMap,
        config: &UnitConfig,
    ) -> Vec<String> {
        let stem = |id: &str| id.rsplit_once('.').map_or(id, |(s, _)| s).to_string();
        let (same_stem, others): (Vec<String>, Vec<String>) = self
            .triggering(lookup, map)
            .iter()
            .filter(|(_, triggered)| *triggered == config.id)
            .map(|(trigger, _)| trigger.clone())
            .partition(|trigger| stem(trigger) == stem(&config.id));
        let sockets = config.service().map_or(&[][..], |s| &s.sockets);
        with_all(&with_all(&same_stem, sockets), &others)
    }
}

/// Whether the properties asked for include those that need [`TriggerFiles`].
fn wants_trigger_files(ctx: &Ctx) -> bool {
    let filter = ctx.opts.property_filter();
    filter.is_empty()
        || ["Triggers", "TriggeredBy", "Before", "After"]
            .iter()
            .any(|p| filter.iter().any(|f| f == p))
}

/// `list` followed by those of `more` it does not have yet.
fn with_all(list: &[String], more: &[String]) -> Vec<String> {
    let mut out = list.to_vec();
    out.extend(more.iter().filter(|m| !list.contains(m)).cloned());
    out
}

/// `LoadError=` in systemd's exact words; the file, line and reason go to stderr (see `show`).
fn load_error_value(config: &UnitConfig) -> String {
    let id = &config.id;
    match config.load_state {
        LoadState::Loaded => String::new(),
        LoadState::NotFound => {
            format!("org.freedesktop.systemd1.NoSuchUnit \"Unit {id} not found.\"")
        }
        LoadState::Masked => {
            format!("org.freedesktop.systemd1.UnitMasked \"Unit {id} is masked.\"")
        }
        LoadState::BadSetting => format!(
            "org.freedesktop.systemd1.BadUnitSetting \"Unit {id} has a bad unit file setting.\""
        ),
        LoadState::Error(failure) => format!(
            "{} \"Unit {id} failed to load properly, please adjust/correct and reload service manager: {}\"",
            failure.dbus_name(),
            failure.strerror()
        ),
    }
}

fn unit_properties(
    p: &mut Properties,
    ctx: &Ctx,
    map: &NameMap,
    trigger_files: &TriggerFiles,
    config: &UnitConfig,
    rt: &UnitStatus,
) {
    let u = &config.unit;
    let loaded = config.load_state == LoadState::Loaded;
    p.add("Id", config.id.clone());
    p.list("Names", &config.names);
    p.add("Following", "");
    // The manager knows per-connection instances too; without it the files tell.
    let (triggers, by) = if wants_trigger_files(ctx) {
        let triggers = if rt.triggers.is_empty() {
            trigger_files.triggers(&ctx.lookup, map, config)
        } else {
            rt.triggers.clone()
        };
        let by = if rt.triggered_by.is_empty() {
            trigger_files.triggered_by(&ctx.lookup, map, config)
        } else {
            rt.triggered_by.clone()
        };
        (triggers, by)
    } else {
        (Vec::new(), Vec::new())
    };
    // Reverse dependencies (RequiredBy=, WantedBy=, …) need every other unit loaded: the
    // manager's business, left empty here.
    let deps: [(&'static str, Vec<String>); 29] = [
        ("Requires", u.dependency(Dependency::Requires).to_vec()),
        ("Requisite", u.dependency(Dependency::Requisite).to_vec()),
        ("Wants", u.dependency(Dependency::Wants).to_vec()),
        ("BindsTo", u.dependency(Dependency::BindsTo).to_vec()),
        ("PartOf", u.dependency(Dependency::PartOf).to_vec()),
        ("Upholds", u.dependency(Dependency::Upholds).to_vec()),
        ("RequiredBy", Vec::new()),
        ("RequisiteOf", Vec::new()),
        ("WantedBy", Vec::new()),
        ("BoundBy", Vec::new()),
        ("UpheldBy", Vec::new()),
        ("ConsistsOf", Vec::new()),
        ("Conflicts", u.dependency(Dependency::Conflicts).to_vec()),
        ("ConflictedBy", Vec::new()),
        // a trigger is ordered before what it triggers (a socket before the services whose
        // Sockets= name it too), and systemd records the inverse on the other unit
        (
            "Before",
            with_all(u.dependency(Dependency::Before), &triggers),
        ),
        ("After", with_all(u.dependency(Dependency::After), &by)),
        ("OnSuccess", u.dependency(Dependency::OnSuccess).to_vec()),
        ("OnSuccessOf", Vec::new()),
        ("OnFailure", u.dependency(Dependency::OnFailure).to_vec()),
        ("OnFailureOf", Vec::new()),
        ("Triggers", triggers),
        ("TriggeredBy", by.clone()),
        (
            "PropagatesReloadTo",
            u.dependency(Dependency::PropagatesReloadTo).to_vec(),
        ),
        (
            "ReloadPropagatedFrom",
            u.dependency(Dependency::ReloadPropagatedFrom).to_vec(),
        ),
        (
            "PropagatesStopTo",
            u.dependency(Dependency::PropagatesStopTo).to_vec(),
        ),
        (
            "StopPropagatedFrom",
            u.dependency(Dependency::StopPropagatedFrom).to_vec(),
        ),
        (
            "JoinsNamespaceOf",
            u.dependency(Dependency::JoinsNamespaceOf).to_vec(),
        ),
        ("SliceOf", Vec::new()),
        ("RequiresMountsFor", u.requires_mounts_for.clone()),
    ];
    for (name, units) in &deps {
        p.list(name, units);
    }
    p.list("Documentation", &u.documentation);
    let description = if u.description.is_empty() {
        config.id.clone()
    } else {
        u.description.clone()
    };
    p.add("Description", description);
    p.add("AccessSELinuxContext", "");
    p.add("LoadState", config.load_state.as_str());
    p.add("ActiveState", rt.active_state.to_string());
    p.add("FreezerState", "running");
    p.add("SubState", rt.sub_state.clone());
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    p.add(
        "FragmentPath",
        path(&config.fragment_path).unwrap_or_default(),
    );
    p.add("SourcePath", u.source_path.clone().unwrap_or_default());
    let dropins: Vec<String> = config
        .dropin_paths
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    p.list("DropInPaths", &dropins);
    let (state, preset) = crate::ipc::protocol::unit_file_state_and_preset(&ctx.lookup, config);
    p.add("UnitFileState", state);
    p.add("UnitFilePreset", preset);
    p.stamp(
        "StateChangeTimestamp",
        "StateChangeTimestampMonotonic",
        rt.state_change,
    );
    p.stamp(
        "InactiveExitTimestamp",
        "InactiveExitTimestampMonotonic",
        rt.inactive_exit,
    );
    p.stamp(
        "ActiveEnterTimestamp",
        "ActiveEnterTimestampMonotonic",
        rt.active_enter,
    );
    p.stamp(
        "ActiveExitTimestamp",
        "ActiveExitTimestampMonotonic",
        rt.active_exit,
    );
    p.stamp(
        "InactiveEnterTimestamp",
        "InactiveEnterTimestampMonotonic",
        rt.inactive_enter,
    );
    let can_start = loaded && !u.refuse_manual_start;
    let can_reload = loaded && !config.exec_commands(ExecKind::Reload).is_empty();
    p.yes_no("CanStart", can_start);
    p.yes_no("CanStop", !u.refuse_manual_stop);
    p.yes_no("CanReload", can_reload);
    p.yes_no(
        "CanIsolate",
        can_start && u.allow_isolate && config.unit_type == UnitType::Target,
    );
    p.add("CanClean", "");
    p.yes_no("CanFreeze", loaded && config.unit_type == UnitType::Service);
    // systemctl prints the job's number; the manager does not number its jobs, so a pending job
    // cannot be shown here.
    p.add("Job", "");
    p.yes_no("StopWhenUnneeded", u.stop_when_unneeded);
    p.yes_no("RefuseManualStart", u.refuse_manual_start);
    p.yes_no("RefuseManualStop", u.refuse_manual_stop);
    p.yes_no("AllowIsolate", u.allow_isolate);
    p.yes_no("DefaultDependencies", u.default_dependencies);
    p.add("OnSuccessJobMode", u.on_success_job_mode.clone());
    p.add("OnFailureJobMode", u.on_failure_job_mode.clone());
    p.yes_no("IgnoreOnIsolate", u.ignore_on_isolate);
    p.yes_no("NeedDaemonReload", rt.need_daemon_reload);
    p.add("Markers", "");
    p.usec("JobTimeoutUSec", u.job_timeout);
    p.usec("JobRunningTimeoutUSec", u.job_running_timeout);
    p.add("JobTimeoutAction", u.job_timeout_action.clone());
    p.add("JobTimeoutRebootArgument", "");
    // Conditions are checked on every start; a unit never started has ConditionResult=no.
    // Asserts are checked right after the conditions pass: a start that got past them without
    // asserts to test passed them at the same moment.
    let checked = rt.condition_timestamp.0 != 0 || !rt.invocation_id.is_empty();
    let passed = checked && rt.condition_result;
    let assert_stamp = if rt.assert_timestamp.0 != 0 {
        rt.assert_timestamp
    } else if passed {
        rt.condition_timestamp
    } else {
        (0, 0)
    };
    p.yes_no("ConditionResult", passed);
    p.yes_no("AssertResult", assert_stamp.0 != 0 && rt.assert_result);
    p.stamp(
        "ConditionTimestamp",
        "ConditionTimestampMonotonic",
        rt.condition_timestamp,
    );
    p.stamp("AssertTimestamp", "AssertTimestampMonotonic", assert_stamp);
    // systemctl has no printer for these (sbbsi) arrays
    p.unprintable("Conditions");
    p.unprintable("Asserts");
    p.add("LoadError", load_error_value(config));
    p.yes_no("Transient", false);
    p.yes_no("Perpetual", false);
    p.usec("StartLimitIntervalUSec", u.start_limit_interval);
    p.add("StartLimitBurst", u.start_limit_burst.to_string());
    p.add("StartLimitAction", u.start_limit_action.clone());
    p.add("FailureAction", u.failure_action.clone());
    p.not_set("FailureActionExitStatus");
    p.add("SuccessAction", u.success_action.clone());
    p.not_set("SuccessActionExitStatus");
    p.add("RebootArgument", "");
    p.add("InvocationID", rt.invocation_id.clone());
    p.add("CollectMode", u.collect_mode.clone());
    p.add("Refs", "");
    p.add("ActivationDetails", "");
    raw_properties(p, config, &["Unit"]);
}

/// The runtime state of a unit that never ran (what `show` says with no manager).
pub(super) fn never_ran(config: &UnitConfig) -> UnitStatus {
    UnitStatus {
        id: config.id.clone(),
        load_state: config.load_state.as_str().to_string(),
        description: config.unit.description.clone(),
        active_state: crate::unit::state::ActiveState::Inactive,
        sub_state: "dead".into(),
        result: "success".into(),
        reload_result: "success".into(),
        ..UnitStatus::default()
    }
}

/// systemctl shows a string property holding a newline as `[unprintable]`.
fn printable(s: &str) -> String {
    if s.contains('\n') {
        "[unprintable]".into()
    } else {
        s.to_string()
    }
}

fn properties_of(
    ctx: &Ctx,
    map: &NameMap,
    trigger_files: &TriggerFiles,
    config: &UnitConfig,
    rt: &UnitStatus,
) -> Properties {
    let mut p = Properties::default();
    match config.unit_type {
        UnitType::Service => service_properties(&mut p, config, rt),
        UnitType::Socket => socket_properties(&mut p, config, rt),
        UnitType::Timer => timer_properties(&mut p, config, rt),
        UnitType::Path => path_properties(&mut p, config),
        _ => {}
    }
    unit_properties(&mut p, ctx, map, trigger_files, config, rt);
    p
}

/// The manager's own properties, for `show` without a unit: a minimal, offline set.
fn manager_properties(ctx: &Ctx) -> Properties {
    let mut p = Properties::default();
    p.add("Version", "252");
    p.add("Architecture", std::env::consts::ARCH.replace('_', "-"));
    let search: Vec<String> = ctx
        .lookup
        .search
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    p.list("UnitPath", &search);
    p.add("SystemState", "offline");
    p.usec("DefaultTimeoutStartUSec", Usec::secs(90));
    p.usec("DefaultTimeoutStopUSec", Usec::secs(90));
    p.usec("DefaultRestartUSec", Usec::millis(100));
    p
}

fn print(out: &mut impl Write, ctx: &Ctx, props: &Properties) -> std::io::Result<()> {
    let filter = ctx.opts.property_filter();
    // `-p ''` is an empty list: systemctl then shows nothing at all.
    let explicit_empty = filter.is_empty()
        && !(ctx.opts.properties.is_empty() && ctx.opts.value_properties.is_empty());
    if explicit_empty {
        return Ok(());
    }
    let all = ctx.opts.all > 0;
    for prop in &props.0 {
        let selected = filter.is_empty() || filter.contains(&prop.name);
        if !selected || (prop.empty && filter.is_empty() && !all) {
            continue;
        }
        let value = prop.value.as_str();
        if ctx.opts.value_only() {
            writeln!(out, "{value}")?;
        } else {
            writeln!(out, "{}={value}", prop.name)?;
        }
    }
    Ok(())
}

/// A command-line unit name as systemctl mangles it (`nginx` → `nginx.service`).
fn mangle(arg: &str) -> Result<UnitName, Failed> {
    name::mangle(arg, UnitType::Service)
        .map_err(|e| Failed::new(Exit::Failure, format!("Failed to mangle unit name: {e}")))
}

fn io_failed(e: std::io::Error) -> Failed {
    Failed::new(Exit::Failure, format!("Failed to write output: {e}"))
}

/// Why a unit failed to load (file:line and reason), on stderr: systemd logs it to the journal,
/// which a container does not have; `LoadError=` itself keeps systemd's words for scripts.
fn report_load_failure(config: &UnitConfig) {
    if matches!(
        config.load_state,
        LoadState::BadSetting | LoadState::Error(_)
    ) {
        if let Some(reason) = &config.load_error {
            eprintln!("{}: {reason}", config.id);
        }
    }
}

/// The runtime state of `units` from the manager, when one runs for the system we look at (with
/// `--root` we look at another tree, whose units nothing runs).
pub(super) fn runtime_states(ctx: &Ctx, units: &[String]) -> Option<Vec<UnitStatus>> {
    if ctx.opts.root.is_some() {
        return None;
    }
    super::runtime::query_units(units)
}

pub fn show(ctx: &Ctx, args: &[String]) -> VerbResult {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.is_empty() {
        print(&mut out, ctx, &manager_properties(ctx)).map_err(io_failed)?;
        return Ok(Exit::Success);
    }
    let map = NameMap::build(&ctx.lookup);
    let mut exit = Exit::Success;
    let mut units = Vec::new();
    for arg in args {
        let unit = mangle(arg)?;
        if unit.is_template() {
            eprintln!("Failed to get properties: Unit name {unit} is not valid.");
            exit = Exit::Failure;
            continue;
        }
        units.push(unit);
    }
    let names: Vec<String> = units.iter().map(|u| u.as_str().to_string()).collect();
    let states = runtime_states(ctx, &names).unwrap_or_default();
    // A running manager has the targets and slices systemd ships even where the image lacks
    // them; offline, only the files count, as for systemctl --root.
    let managed = !states.is_empty();
    let trigger_files = TriggerFiles::default();
    for (i, unit) in units.iter().enumerate() {
        let config = if managed {
            load_or_shipped(&ctx.lookup, &map, unit)
        } else {
            load_with_map(&ctx.lookup, &map, unit)
        };
        report_load_failure(&config);
        if i > 0 {
            writeln!(out).map_err(io_failed)?;
        }
        // The manager answers in the order asked, under the unit's own id (an alias resolves).
        let rt = states
            .get(i)
            .filter(|_| states.len() == names.len())
            .cloned()
            .unwrap_or_else(|| never_ran(&config));
        let props = properties_of(ctx, &map, &trigger_files, &config, &rt);
        print(&mut out, ctx, &props).map_err(io_failed)?;
    }
    Ok(exit)
}

/// `cat` prints paths as seen inside `--root` (systemctl 252 refuses `cat` with `--root`).
pub fn cat(ctx: &Ctx, args: &[String]) -> VerbResult {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let map = NameMap::build(&ctx.lookup);
    let mut exit = Exit::Success;
    let mut first = true;
    for arg in args {
        let unit = mangle(arg)?;
        let config = load_with_map(&ctx.lookup, &map, &unit);
        // A file that cannot be read is reported below, when cat tries it.
        if config.load_state == LoadState::BadSetting {
            report_load_failure(&config);
        }
        if config.load_state == LoadState::Masked {
            writeln!(out, "# Unit {} is masked.", config.id).map_err(io_failed)?;
            continue;
        }
        let dropins = match config.load_state {
            LoadState::NotFound => orphan_dropins(&ctx.lookup, &unit),
            _ => config.dropin_paths.clone(),
        };
        if config.fragment_path.is_none() && dropins.is_empty() {
            out.flush().map_err(io_failed)?;
            eprintln!("No files found for {unit}.");
            exit = Exit::Failure;
            continue;
        }
        if !first {
            writeln!(out).map_err(io_failed)?;
        }
        first = false;
        let mut files: Vec<&PathBuf> = dropins.iter().collect();
        match (&config.fragment_path, &config.generated_fragment) {
            (Some(path), Some(text)) => {
                write!(out, "# {}\n{text}", path.display()).map_err(io_failed)?;
            }
            (Some(path), None) => files.insert(0, path),
            (None, _) => {}
        }
        for (i, inside) in files.into_iter().enumerate() {
            let blank_before = i > 0 || config.generated_fragment.is_some();
            cat_file(&mut out, &ctx.lookup, inside, blank_before)?;
        }
    }
    Ok(exit)
}

fn cat_file(
    out: &mut impl Write,
    lookup: &LookupPaths,
    inside: &Path,
    blank_before: bool,
) -> Result<(), Failed> {
    let real = regular_file(lookup, inside)
        .map_err(|(_, e)| Failed::new(Exit::Failure, format!("Failed to cat {e}")))?;
    let content = std::fs::read(real).map_err(|e| {
        Failed::new(
            Exit::Failure,
            format!("Failed to cat {}: {e}", inside.display()),
        )
    })?;
    if blank_before {
        writeln!(out).map_err(io_failed)?;
    }
    writeln!(out, "# {}", inside.display()).map_err(io_failed)?;
    out.write_all(&content).map_err(io_failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::shell_maybe_quote;

    #[test]
    fn string_array_elements_are_quoted_like_shell_maybe_quote() {
        assert_eq!(shell_maybe_quote("plain.service"), "plain.service");
        assert_eq!(shell_maybe_quote("A=b c"), "\"A=b c\"");
        assert_eq!(shell_maybe_quote("a\\x2db.mount"), "\"a\\\\x2db.mount\"");
        assert_eq!(shell_maybe_quote("$X \"q\""), "\"\\$X \\\"q\\\"\"");
        assert_eq!(shell_maybe_quote("tab\there"), "\"tab\\there\"");
        assert_eq!(shell_maybe_quote("man:nginx(8)"), "\"man:nginx(8)\"");
        assert_eq!(shell_maybe_quote(""), "");
    }
}
