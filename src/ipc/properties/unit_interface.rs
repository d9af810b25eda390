//! org.freedesktop.systemd1.Unit as `show` lists it (src/core/dbus-unit.c): names, dependencies
//! with what the wants/requires directories add (Triggers=/TriggeredBy= included) and what the
//! manager records for the loaded units that name the unit (RequiredBy=, Before=, …), load
//! state and error, states, timestamps, conditions.

use crate::ipc::protocol::{UnitDependency, UnitStatus};
use crate::unit::load::{load_with_map, NameMap};
use crate::unit::model::{Dependency, ExecKind, LoadState, TypeSection, UnitConfig};
use crate::unit::name::{UnitName, UnitType};
use crate::unit::paths::LookupPaths;
use std::cell::OnceCell;
use std::path::PathBuf;

use super::*;

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
pub struct TriggerFiles {
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
fn wants_trigger_files(asked: &[String]) -> bool {
    asked.is_empty()
        || ["Triggers", "TriggeredBy", "Before", "After"]
            .iter()
            .any(|p| asked.iter().any(|f| f == p))
}

/// `list` followed by those of `more` it does not have yet.
fn with_all(list: &[String], more: &[String]) -> Vec<String> {
    let mut out = list.to_vec();
    out.extend(more.iter().filter(|m| !list.contains(m)).cloned());
    out
}

pub(super) fn unit_properties(
    p: &mut Properties,
    asking: &Asking,
    config: &UnitConfig,
    rt: &UnitStatus,
) {
    let u = &config.unit;
    let loaded = config.load_state == LoadState::Loaded;
    p.add("Id", config.id.clone());
    p.list("Names", &config.names);
    p.add("Following", "");
    // The manager knows per-connection instances too; without it the files tell.
    let (triggers, by) = if wants_trigger_files(asking.asked) {
        let triggers = if rt.triggers.is_empty() {
            asking
                .trigger_files
                .triggers(asking.lookup, asking.map, config)
        } else {
            rt.triggers.clone()
        };
        let by = if rt.triggered_by.is_empty() {
            asking
                .trigger_files
                .triggered_by(asking.lookup, asking.map, config)
        } else {
            rt.triggered_by.clone()
        };
        (triggers, by)
    } else {
        (Vec::new(), Vec::new())
    };
    // What the unit's own files say, then what the manager records on it for the loaded
    // units that name it (none without a manager: that needs every other unit loaded).
    let own = |dep: Dependency| u.dependency(dep).to_vec();
    let others = |dep: UnitDependency| rt.from_others(dep).to_vec();
    let both = |dep: Dependency, inverse: UnitDependency| {
        with_all(u.dependency(dep), rt.from_others(inverse))
    };
    // a trigger is ordered before what it triggers (a socket before the services whose
    // Sockets= name it too), and systemd records the inverse on the other unit
    let before = with_all(&both(Dependency::Before, UnitDependency::Before), &triggers);
    let after = with_all(&both(Dependency::After, UnitDependency::After), &by);
    // the mount units of the paths it needs, as the manager has them loaded
    let (mounts_after, mounts_required) = if asking.managed {
        super::mounts::mount_dependencies(asking.map, &u.requires_mounts_for)
    } else {
        (Vec::new(), Vec::new())
    };
    let after = with_all(&after, &mounts_after);
    let deps: [(&'static str, Vec<String>); 29] = [
        (
            "Requires",
            with_all(u.dependency(Dependency::Requires), &mounts_required),
        ),
        ("Requisite", own(Dependency::Requisite)),
        ("Wants", own(Dependency::Wants)),
        ("BindsTo", own(Dependency::BindsTo)),
        ("PartOf", own(Dependency::PartOf)),
        ("Upholds", own(Dependency::Upholds)),
        ("RequiredBy", others(UnitDependency::RequiredBy)),
        ("RequisiteOf", others(UnitDependency::RequisiteOf)),
        ("WantedBy", others(UnitDependency::WantedBy)),
        ("BoundBy", others(UnitDependency::BoundBy)),
        ("UpheldBy", others(UnitDependency::UpheldBy)),
        ("ConsistsOf", others(UnitDependency::ConsistsOf)),
        ("Conflicts", own(Dependency::Conflicts)),
        ("ConflictedBy", others(UnitDependency::ConflictedBy)),
        ("Before", before),
        ("After", after),
        ("OnSuccess", own(Dependency::OnSuccess)),
        ("OnSuccessOf", others(UnitDependency::OnSuccessOf)),
        ("OnFailure", own(Dependency::OnFailure)),
        ("OnFailureOf", others(UnitDependency::OnFailureOf)),
        ("Triggers", triggers),
        ("TriggeredBy", by.clone()),
        (
            "PropagatesReloadTo",
            both(
                Dependency::PropagatesReloadTo,
                UnitDependency::PropagatesReloadTo,
            ),
        ),
        (
            "ReloadPropagatedFrom",
            both(
                Dependency::ReloadPropagatedFrom,
                UnitDependency::ReloadPropagatedFrom,
            ),
        ),
        (
            "PropagatesStopTo",
            both(
                Dependency::PropagatesStopTo,
                UnitDependency::PropagatesStopTo,
            ),
        ),
        (
            "StopPropagatedFrom",
            both(
                Dependency::StopPropagatedFrom,
                UnitDependency::StopPropagatedFrom,
            ),
        ),
        ("JoinsNamespaceOf", own(Dependency::JoinsNamespaceOf)),
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
    let (state, preset) = crate::ipc::protocol::unit_file_state_and_preset(asking.lookup, config);
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
    // unit_can_start(): a scope starts once only (init.scope was started by the manager)
    let started_once = config.unit_type == UnitType::Scope && rt.inactive_exit.0 != 0;
    let can_start = loaded && !u.refuse_manual_start && !started_once;
    let can_reload = loaded && !config.exec_commands(ExecKind::Reload).is_empty();
    p.yes_no("CanStart", can_start);
    // unit_can_stop(): never a perpetual unit
    p.yes_no("CanStop", !u.refuse_manual_stop && !config.perpetual);
    p.yes_no("CanReload", can_reload);
    p.yes_no(
        "CanIsolate",
        can_start && u.allow_isolate && config.unit_type == UnitType::Target,
    );
    p.add("CanClean", "");
    p.yes_no("CanFreeze", loaded && config.unit_type == UnitType::Service);
    // systemctl-show.c prints the job's number, nothing without one
    let job = if rt.job_id > 0 {
        rt.job_id.to_string()
    } else {
        String::new()
    };
    p.add("Job", job);
    p.yes_no("StopWhenUnneeded", u.stop_when_unneeded);
    p.yes_no("RefuseManualStart", u.refuse_manual_start);
    p.yes_no("RefuseManualStop", u.refuse_manual_stop);
    p.yes_no("AllowIsolate", u.allow_isolate);
    p.yes_no("DefaultDependencies", u.default_dependencies);
    p.add("OnSuccessJobMode", u.on_success_job_mode.as_str());
    p.add("OnFailureJobMode", u.on_failure_job_mode.as_str());
    p.yes_no("IgnoreOnIsolate", u.ignore_on_isolate);
    p.yes_no("NeedDaemonReload", rt.need_daemon_reload);
    p.add("Markers", "");
    p.usec("JobTimeoutUSec", u.job_timeout);
    p.usec("JobRunningTimeoutUSec", u.job_running_timeout);
    p.add("JobTimeoutAction", u.job_timeout_action.as_str());
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
    p.yes_no("Transient", config.transient);
    p.yes_no("Perpetual", config.perpetual);
    p.usec("StartLimitIntervalUSec", u.start_limit_interval);
    p.add("StartLimitBurst", u.start_limit_burst.to_string());
    p.add("StartLimitAction", u.start_limit_action.as_str());
    p.add("FailureAction", u.failure_action.as_str());
    p.not_set("FailureActionExitStatus");
    p.add("SuccessAction", u.success_action.as_str());
    p.not_set("SuccessActionExitStatus");
    p.add("RebootArgument", "");
    p.add("InvocationID", rt.invocation_id.clone());
    p.add("CollectMode", u.collect_mode.as_str());
    p.add("Refs", "");
    p.add("ActivationDetails", "");
    raw_properties(p, config, &["Unit"]);
}
