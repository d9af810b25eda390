//! The [Unit] section, as systemd 252's load-fragment.c parses it: `config_parse_unit_deps()` for
//! the dependencies, `config_parse_emergency_action()`, `config_parse_job_mode()` and the other
//! parsers load-fragment-gperf.gperf.in lists under `Unit.`, and
//! `config_parse_unit_condition_path()`/`_string()` for `Condition…=` and `Assert…=`; also the
//! [Unit] settings 252 still takes in [Service].

use super::*;
use crate::unit::job::JobMode;
use crate::unit::name::UnitName;

impl Builder {
    pub(super) fn unit_key(&mut self, a: &Assignment) -> bool {
        if let Some(dep) = Dependency::from_key(a.key) {
            // config_parse_unit_deps(): no reset on an empty assignment
            for word in a.value.split_whitespace() {
                let Some(name) = self.printf(a, word) else {
                    continue;
                };
                if UnitName::parse(&name).is_err() {
                    let msg =
                        format!("Failed to add dependency on {name}, ignoring: Invalid argument");
                    self.warn(a, msg);
                    continue;
                }
                self.config.unit.add_dependency(dep, name);
            }
            return true;
        }
        if let Some(rest) = a.key.strip_prefix("Condition") {
            return self.condition(a, rest, false);
        }
        if let Some(rest) = a.key.strip_prefix("Assert") {
            return self.condition(a, rest, true);
        }
        match a.key {
            "Description" => {
                if let Some(v) = self.printf(a, a.value) {
                    self.config.unit.description = v;
                }
            }
            "Documentation" => {
                if a.value.is_empty() {
                    self.config.unit.documentation.clear();
                }
                for word in a.value.split_whitespace() {
                    let Some(url) = self.printf(a, word) else {
                        continue;
                    };
                    let valid = ["http://", "https://", "file:", "info:", "man:"]
                        .iter()
                        .any(|p| url.starts_with(p));
                    if valid {
                        self.config.unit.documentation.push(url);
                    } else {
                        let msg = format!("Invalid URL, ignoring: {url}");
                        self.warn(a, msg);
                    }
                }
            }
            "RequiresMountsFor" => self.list(a, |c| &mut c.unit.requires_mounts_for),
            "SourcePath" => self.opt_string(a, |c| &mut c.unit.source_path),
            "DefaultDependencies" => self.set_bool(a, |c| &mut c.unit.default_dependencies),
            "StopWhenUnneeded" => self.set_bool(a, |c| &mut c.unit.stop_when_unneeded),
            "RefuseManualStart" => self.set_bool(a, |c| &mut c.unit.refuse_manual_start),
            "RefuseManualStop" => self.set_bool(a, |c| &mut c.unit.refuse_manual_stop),
            "AllowIsolate" => self.set_bool(a, |c| &mut c.unit.allow_isolate),
            "IgnoreOnIsolate" => self.set_bool(a, |c| &mut c.unit.ignore_on_isolate),
            "JobTimeoutSec" => self.set_usec(a, |c| &mut c.unit.job_timeout),
            "JobRunningTimeoutSec" => self.set_usec(a, |c| &mut c.unit.job_running_timeout),
            "JobTimeoutAction" => self.set_word(a, EmergencyAction::parse, |c| {
                &mut c.unit.job_timeout_action
            }),
            "StartLimitIntervalSec" | "StartLimitInterval" => {
                self.set_usec(a, |c| &mut c.unit.start_limit_interval)
            }
            "StartLimitBurst" => match a.value.parse() {
                Ok(v) => self.config.unit.start_limit_burst = v,
                Err(_) => self.invalid(a),
            },
            "StartLimitAction" => self.set_word(a, EmergencyAction::parse, |c| {
                &mut c.unit.start_limit_action
            }),
            "FailureAction" => {
                self.set_word(a, EmergencyAction::parse, |c| &mut c.unit.failure_action)
            }
            "SuccessAction" => {
                self.set_word(a, EmergencyAction::parse, |c| &mut c.unit.success_action)
            }
            "OnFailureJobMode" => {
                self.set_word(a, JobMode::parse, |c| &mut c.unit.on_failure_job_mode)
            }
            "OnSuccessJobMode" => {
                self.set_word(a, JobMode::parse, |c| &mut c.unit.on_success_job_mode)
            }
            "CollectMode" => self.set_word(a, CollectMode::parse, |c| &mut c.unit.collect_mode),
            _ => return false,
        }
        true
    }

    /// [Unit] settings systemd 252 still accepts in [Service] for compatibility.
    pub(super) fn service_compat_key(&mut self, a: &Assignment) -> bool {
        matches!(
            a.key,
            "StartLimitInterval" | "StartLimitBurst" | "StartLimitAction" | "FailureAction"
        ) && self.unit_key(a)
    }

    fn condition(&mut self, a: &Assignment, kind: &str, assert: bool) -> bool {
        if !CONDITION_KINDS.contains(&kind) {
            return false;
        }
        fn list(c: &mut UnitConfig, assert: bool) -> &mut Vec<Condition> {
            if assert {
                &mut c.unit.asserts
            } else {
                &mut c.unit.conditions
            }
        }
        if a.value.is_empty() {
            list(&mut self.config, assert).clear();
            return true;
        }
        let mut rest = a.value;
        let trigger = rest.starts_with('|');
        if trigger {
            rest = rest[1..].trim_start();
        }
        let negate = rest.starts_with('!');
        if negate {
            rest = rest[1..].trim_start();
        }
        let Some(parameter) = self.printf(a, rest) else {
            return true;
        };
        list(&mut self.config, assert).push(Condition {
            name: a.key.to_string(),
            trigger,
            negate,
            parameter,
        });
        true
    }
}
