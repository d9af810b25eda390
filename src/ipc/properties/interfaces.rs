//! The type interfaces of a unit as `show` lists them, in the order of systemd 252's vtables:
//! org.freedesktop.systemd1.Service, .Socket, .Timer, .Path, .Scope (src/core/dbus-service.c,
//! dbus-socket.c, dbus-timer.c, dbus-path.c, dbus-scope.c) and, from contexts.rs, the
//! cgroup, exec and kill contexts services and sockets share.

use crate::ipc::protocol::{ExecRun, UnitStatus};
use crate::unit::model::{ExecKind, TypeSection, UnitConfig};
use crate::unit::name::UnitType;
use crate::unit::state::ServiceResult;
use crate::unit::timespan::Usec;

use super::*;

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
            .map(|(i, c)| {
                let bus = exec_bus_value(c, false, run(i));
                (name.to_string(), exec_value(c, false, run(i)), Some(bus))
            })
            .collect();
        p.typed_lines(plain);
        if config.unit_type == UnitType::Service {
            let ex = commands
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let bus = exec_bus_value(c, true, run(i));
                    (ex_name.to_string(), exec_value(c, true, run(i)), Some(bus))
                })
                .collect();
            p.typed_lines(ex);
        }
    }
}

/// Settings we keep but do not model, shown as written (the last assignment of each key).
pub(super) fn raw_properties(p: &mut Properties, config: &UnitConfig, sections: &[&str]) {
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
            bus: None,
        });
    }
}

pub(super) fn service_properties(
    p: &mut Properties,
    config: &UnitConfig,
    rt: &UnitStatus,
    managed: bool,
) {
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
    p.add("Result", rt.result_word());
    p.add(
        "ReloadResult",
        rt.reload_result.map_or("", ServiceResult::as_str),
    );
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
    p.add("Slice", config.slice().unwrap_or_default());
    if managed {
        cgroup_properties(p, config, rt);
    }
    exec_context_properties(p, config, managed);
    raw_properties(p, config, &["Service"]);
}

pub(super) fn socket_properties(
    p: &mut Properties,
    config: &UnitConfig,
    rt: &UnitStatus,
    managed: bool,
) {
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
    p.add("Timestamping", s.timestamping.as_str());
    p.yes_no("RemoveOnStop", s.remove_on_stop);
    let listen = s
        .listen
        .iter()
        .map(|l| {
            let bus = BusValue::Record(vec![
                BusValue::S(l.kind.to_string()),
                BusValue::S(l.listen_display()),
            ]);
            (
                "Listen".to_string(),
                format!("{} ({})", l.listen_display(), l.kind),
                Some(bus),
            )
        })
        .collect();
    p.typed_lines(listen);
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
    p.add("Result", rt.result_word());
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
    p.add("Slice", config.slice().unwrap_or_default());
    if managed {
        cgroup_properties(p, config, rt);
    }
    exec_context_properties(p, config, managed);
    raw_properties(p, config, &["Socket"]);
}

pub(super) fn timer_properties(p: &mut Properties, config: &UnitConfig, rt: &UnitStatus) {
    let TypeSection::Timer(t) = &config.kind else {
        return;
    };
    // The manager's schedule, or that of a timer that never ran.
    let info = rt.timer.clone().unwrap_or_default();
    p.add("Unit", t.unit.clone().unwrap_or_default());
    // load-fragment.c's config_parse_timer() prepends each value to the timer's list, so the
    // bus lists them last-parsed first.
    let mono = t
        .monotonic
        .iter()
        .enumerate()
        .rev()
        .map(|(v, (base, span))| {
            let next = Usec(info.monotonic_next.get(v).copied().unwrap_or(0));
            let bus = BusValue::Record(vec![
                BusValue::S(base.to_string()),
                BusValue::U(span.0),
                BusValue::U(next.0),
            ]);
            (
                "TimersMonotonic".to_string(),
                format!("{{ {base}={span} ; next_elapse={next} }}"),
                Some(bus),
            )
        })
        .collect();
    p.typed_lines(mono);
    let cal = t
        .calendar
        .iter()
        .enumerate()
        .rev()
        .map(|(v, spec)| {
            let next = info.calendar_next.get(v).copied().unwrap_or(0);
            let bus = BusValue::Record(vec![
                BusValue::S("OnCalendar".into()),
                BusValue::S(spec.to_string()),
                BusValue::U(next),
            ]);
            (
                "TimersCalendar".to_string(),
                // systemctl prints the unset timestamp with a bare "%s" of NULL
                format!(
                    "{{ OnCalendar={spec} ; next_elapse={} }}",
                    format_timestamp(next).unwrap_or_else(|| "(null)".into())
                ),
                Some(bus),
            )
        })
        .collect();
    p.typed_lines(cal);
    p.yes_no("OnClockChange", false);
    p.yes_no("OnTimezoneChange", false);
    // bus-print-properties.c: these two are timestamps, the monotonic ones spans.
    p.timestamp("NextElapseUSecRealtime", info.next_elapse_realtime);
    // timer.c keeps USEC_INFINITY for "no next elapse" (timer_init(), and timer_set_state() out
    // of waiting); the manager sends 0 for it.
    p.usec(
        "NextElapseUSecMonotonic",
        match info.next_elapse_monotonic {
            0 => Usec::INFINITY,
            at => Usec(at),
        },
    );
    p.timestamp("LastTriggerUSec", info.last_trigger.0);
    p.usec("LastTriggerUSecMonotonic", Usec(info.last_trigger.1));
    p.add("Result", info.result.as_str());
    p.usec("AccuracyUSec", t.accuracy);
    p.usec("RandomizedDelayUSec", t.randomized_delay);
    p.yes_no("FixedRandomDelay", t.fixed_random_delay);
    p.yes_no("Persistent", t.persistent);
    p.yes_no("WakeSystem", t.wake_system);
    p.yes_no("RemainAfterElapse", t.remain_after_elapse);
    raw_properties(p, config, &["Timer"]);
}

pub(super) fn path_properties(p: &mut Properties, config: &UnitConfig) {
    let TypeSection::Path(t) = &config.kind else {
        return;
    };
    p.add("Unit", t.unit.clone().unwrap_or_default());
    let paths = t
        .paths
        .iter()
        .map(|(kind, path)| {
            let bus = BusValue::Record(vec![
                BusValue::S(kind.to_string()),
                BusValue::S(path.to_string()),
            ]);
            ("Paths".to_string(), format!("{path} ({kind})"), Some(bus))
        })
        .collect();
    p.typed_lines(paths);
    p.yes_no("MakeDirectory", t.make_directory);
    p.add("DirectoryMode", t.directory_mode.clone());
    p.add("Result", "success");
    raw_properties(p, config, &["Path"]);
}

/// org.freedesktop.systemd1.Scope (dbus-scope.c), as far as a scope of this manager has one:
/// init.scope's slice and cgroup.
pub(super) fn scope_properties(
    p: &mut Properties,
    config: &UnitConfig,
    rt: &UnitStatus,
    managed: bool,
) {
    p.add("Slice", config.slice().unwrap_or_default());
    if managed {
        cgroup_properties(p, config, rt);
    }
    raw_properties(p, config, &["Scope"]);
}

/// org.freedesktop.systemd1.Slice (dbus-slice.c): the parent slice and the cgroup.
pub(super) fn slice_properties(
    p: &mut Properties,
    config: &UnitConfig,
    rt: &UnitStatus,
    managed: bool,
) {
    p.add("Slice", config.slice().unwrap_or_default());
    if managed {
        cgroup_properties(p, config, rt);
    }
    raw_properties(p, config, &["Slice"]);
}
