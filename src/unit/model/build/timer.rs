//! The [Timer] section, as systemd 252's load-fragment.c parses it (`config_parse_timer()`,
//! `config_parse_trigger_unit()` and the other parsers load-fragment-gperf.gperf.in lists under
//! `Timer.`).

use super::*;
use crate::unit::calendar;
use crate::unit::timespan;

impl Builder {
    pub(super) fn timer_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let monotonic = match a.key {
            "OnActiveSec" => Some("OnActiveUSec"),
            "OnBootSec" => Some("OnBootUSec"),
            "OnStartupSec" => Some("OnStartupUSec"),
            "OnUnitActiveSec" => Some("OnUnitActiveUSec"),
            "OnUnitInactiveSec" => Some("OnUnitInactiveUSec"),
            _ => None,
        };
        if let Some(base) = monotonic {
            if value.is_empty() {
                self.timer.monotonic.clear();
                return true;
            }
            match timespan::parse_sec(value) {
                Ok(v) => self.timer.monotonic.push((base, v)),
                Err(_) => self.invalid(a),
            }
            return true;
        }
        match a.key {
            "OnCalendar" => {
                if value.is_empty() {
                    self.timer.calendar.clear();
                } else if let Some(v) = self.printf(a, value) {
                    // systemd keeps the parsed spec and prints it normalized. One in a named
                    // time zone, whose next elapse we do not compute, would never elapse: it is
                    // dropped with systemd's line for an invalid one (README, "Where we differ").
                    match calendar::CalendarSpec::parse(&v) {
                        Ok(spec) if !spec.has_named_time_zone() => {
                            self.timer.calendar.push(spec.to_string())
                        }
                        _ => self.warn(
                            a,
                            format!("Failed to parse calendar specification, ignoring: {v}"),
                        ),
                    }
                }
            }
            "Unit" => {
                let set = self.timer.unit.is_some();
                if let Some(name) = self.trigger_unit(a, value, set) {
                    self.timer.unit = Some(name);
                }
            }
            "Persistent" | "WakeSystem" | "RemainAfterElapse" | "FixedRandomDelay" => {
                match parse_boolean(value) {
                    Some(v) => {
                        let t = &mut self.timer;
                        match a.key {
                            "Persistent" => t.persistent = v,
                            "WakeSystem" => t.wake_system = v,
                            "RemainAfterElapse" => t.remain_after_elapse = v,
                            _ => t.fixed_random_delay = v,
                        }
                    }
                    None => self.invalid(a),
                }
            }
            "AccuracySec" | "RandomizedDelaySec" => match timespan::parse_sec(value) {
                Ok(v) if a.key == "AccuracySec" => self.timer.accuracy = v,
                Ok(v) => self.timer.randomized_delay = v,
                Err(_) => self.invalid(a),
            },
            _ => return false,
        }
        true
    }
}
