//! The properties of a unit as systemd 252 publishes them on its bus and `systemctl show` prints
//! them (src/core/dbus-unit.c and the type's dbus-*.c): the type's interface first (Service,
//! Socket, Timer, Path), then the Unit interface, in the order of systemd's vtables and with its
//! value formats. One table for both askers: the manager answers with the configuration it has
//! loaded and its runtime state (so an edited file shows only after daemon-reload, as in
//! systemd), and `systemctl --root`, with no manager, answers from the files for a unit that
//! never ran.

use serde::{Deserialize, Serialize};

use crate::ipc::protocol::{UnitDependency, UnitStatus};
use crate::unit::load::NameMap;
use crate::unit::model::UnitConfig;
use crate::unit::name::UnitType;
use crate::unit::paths::LookupPaths;
use crate::unit::state::ServiceResult;
use crate::unit::timespan::Usec;

mod contexts;
mod interfaces;
mod manager;
mod mounts;
mod unit_interface;
mod values;
use contexts::*;
use interfaces::*;
pub use manager::{manager_properties, ManagerFacts};
pub use unit_interface::TriggerFiles;
use unit_interface::*;
use values::*;
pub use values::{exec_run, format_timestamp, shell_maybe_quote_posix};

/// One `Key=value` line; `empty` values are only printed with `--all` or when asked for by `-p`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    pub name: String,
    pub value: String,
    pub empty: bool,
    /// The value as systemd's bus carries it, where `value` (show's words) cannot give it back:
    /// a timestamp (shown to the second), a string array (quoted), a structure. The bus front
    /// end reads every other value from `value`, with the property's D-Bus type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<BusValue>,
}

/// A D-Bus value without its type, which the property's signature supplies (numbers of any
/// width, strings and object paths, arrays and structures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BusValue {
    U(u64),
    I(i64),
    B(bool),
    S(String),
    /// An array's elements.
    List(Vec<BusValue>),
    /// A structure's fields.
    Record(Vec<BusValue>),
}

impl BusValue {
    fn strings(items: &[String]) -> BusValue {
        BusValue::List(items.iter().cloned().map(BusValue::S).collect())
    }
}

#[derive(Default)]
struct Properties(Vec<Property>);

impl Properties {
    fn into_vec(self) -> Vec<Property> {
        self.0
    }

    fn add(&mut self, name: &'static str, value: impl Into<String>) {
        self.typed(name, value, None);
    }

    /// A property whose bus value `value` cannot give back.
    fn typed(&mut self, name: &'static str, value: impl Into<String>, bus: Option<BusValue>) {
        let value = value.into();
        let empty = value.is_empty();
        self.0.push(Property {
            name: name.to_string(),
            value,
            empty,
            bus,
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
    /// A realtime timestamp: formatted, empty when unset.
    fn timestamp(&mut self, name: &'static str, real: u64) {
        let shown = format_timestamp(real).unwrap_or_default();
        self.typed(name, shown, Some(BusValue::U(real)));
    }

    fn stamp(&mut self, name: &'static str, mono_name: &'static str, (real, mono): (u64, u64)) {
        self.timestamp(name, real);
        self.add(mono_name, mono.to_string());
    }

    /// An array of structures, one line per element; systemctl prints nothing for none, even
    /// with `--all`.
    fn lines(&mut self, items: Vec<(String, String)>) {
        self.typed_lines(items.into_iter().map(|(n, v)| (n, v, None)).collect());
    }

    /// [`Properties::lines`] with each element's bus value (a structure).
    fn typed_lines(&mut self, items: Vec<(String, String, Option<BusValue>)>) {
        for (name, value, bus) in items {
            self.0.push(Property {
                name,
                value,
                empty: false,
                bus,
            });
        }
    }

    /// What systemctl cannot format: shown only when empty properties are.
    fn unprintable(&mut self, name: &'static str) {
        self.0.push(Property {
            name: name.to_string(),
            value: "[unprintable]".into(),
            empty: true,
            bus: None,
        });
    }

    /// An exit status that was never configured: shown only when empty properties are.
    fn not_set(&mut self, name: &'static str) {
        self.0.push(Property {
            name: name.to_string(),
            value: "[not set]".into(),
            empty: true,
            bus: None,
        });
    }

    /// A string array (`as`): elements quoted as systemctl quotes them, space-separated.
    fn list(&mut self, name: &'static str, items: &[String]) {
        let quoted: Vec<String> = items.iter().map(|i| shell_maybe_quote(i)).collect();
        self.typed(name, quoted.join(" "), Some(BusValue::strings(items)));
    }

    /// An `(aiai)` exit status set: the codes, then the signals' names.
    fn statuses(&mut self, name: &'static str, items: &[String]) {
        let (codes, signals) = crate::sys::exit_status::parse_status_set(items);
        let ints =
            |v: Vec<i32>| BusValue::List(v.into_iter().map(|n| BusValue::I(n.into())).collect());
        self.typed(
            name,
            crate::sys::exit_status::format_status_set(items),
            Some(BusValue::Record(vec![ints(codes), ints(signals)])),
        );
    }
}

/// The runtime state of a unit that never ran (what `show` says with no manager).
pub fn never_ran(config: &UnitConfig) -> UnitStatus {
    UnitStatus {
        id: config.id.clone(),
        load_state: Some(config.load_state.state()),
        description: config.unit.description.clone(),
        active_state: crate::unit::state::ActiveState::Inactive,
        sub_state: "dead".into(),
        result: Some(ServiceResult::Success),
        reload_result: Some(ServiceResult::Success),
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

/// What the properties of a unit are read against, and which are asked for.
pub struct Asking<'a> {
    pub lookup: &'a LookupPaths,
    pub map: &'a NameMap,
    /// The trigger relations of the unit files, read once per request when needed.
    pub trigger_files: &'a TriggerFiles,
    /// A manager answers: its defaults, limits and mounts apply.
    pub managed: bool,
    /// The properties asked for; every one when empty.
    pub asked: &'a [String],
}

/// The properties of `config` with runtime state `rt`, those `asking` names.
pub fn properties_of(asking: &Asking, config: &UnitConfig, rt: &UnitStatus) -> Vec<Property> {
    let managed = asking.managed;
    let mut p = Properties::default();
    match config.unit_type {
        UnitType::Service => service_properties(&mut p, config, rt, managed),
        UnitType::Socket => socket_properties(&mut p, config, rt, managed),
        UnitType::Timer => timer_properties(&mut p, config, rt),
        UnitType::Path => path_properties(&mut p, config),
        UnitType::Scope => scope_properties(&mut p, config, rt, managed),
        UnitType::Slice => slice_properties(&mut p, config, rt, managed),
        _ => {}
    }
    unit_properties(&mut p, asking, config, rt);
    let mut props = p.0;
    if !asking.asked.is_empty() {
        props.retain(|prop| asking.asked.contains(&prop.name));
    }
    props
}

/// Whether `asked` (every property when empty) names a property other units add to: only then
/// must the manager read what names the unit.
pub fn wants_dependencies_from_others(asked: &[String]) -> bool {
    asked.is_empty()
        || asked
            .iter()
            .any(|p| UnitDependency::ALL.iter().any(|d| d.as_str() == p.as_str()))
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
        assert_eq!(
            super::shell_maybe_quote_posix("a b'c\\$"),
            "$'a b\\'c\\\\$'"
        );
        assert_eq!(super::shell_maybe_quote_posix("x\ty"), "$'x\\ty'");
        assert_eq!(shell_maybe_quote("tab\there"), "\"tab\\there\"");
        assert_eq!(shell_maybe_quote("man:nginx(8)"), "\"man:nginx(8)\"");
        assert_eq!(shell_maybe_quote(""), "");
    }
}
