//! A property's value as systemd's bus carries it: `show`'s words (or, where they lose
//! something, the typed value the property tables keep beside them) turned into the D-Bus type
//! the property has in systemd 252's vtable (src/core/dbus-*.c; the inverse of systemctl's
//! bus_print_property()).

use std::collections::HashMap;

use zbus::zvariant::{Array, ObjectPath, Signature, StructureBuilder, Value};

use super::paths::job_path;
use crate::ipc::properties::{BusValue, Property};
use crate::unit::timespan::parse_sec;

/// The value of property `entries` (one, or one per element of an array `show` prints one line
/// each) of type `signature`.
pub fn property_value(signature: &str, entries: &[&Property]) -> Value<'static> {
    let Ok(sig) = Signature::try_from(signature) else {
        return Value::from("");
    };
    // an array of structures: one `show` line per element, each with its typed value
    if let Signature::Array(child) = &sig {
        if matches!(&**child, Signature::Structure(_)) {
            let mut array = Array::new(child);
            for entry in entries {
                if let Some(bus) = &entry.bus {
                    let _ = array.append(from_bus(child, bus));
                }
            }
            return Value::Array(array);
        }
    }
    match entries.first() {
        Some(p) => match &p.bus {
            Some(bus) => from_bus(&sig, bus),
            None => from_text(&sig, &p.name, &p.value),
        },
        None => default_value(&sig),
    }
}

/// What a property our tables do not give reads as: systemd 252's value for an object that sets
/// nothing (`defaults`), else the zero of its type.
pub fn unset_value(name: &str, signature: &str, defaults: &HashMap<&str, &str>) -> Value<'static> {
    let Ok(sig) = Signature::try_from(signature) else {
        return Value::from("");
    };
    match defaults.get(name) {
        Some(text) => from_text(&sig, name, text),
        None => default_value(&sig),
    }
}

/// The zero value of a type.
pub fn default_value(sig: &Signature) -> Value<'static> {
    match sig {
        Signature::U8 => Value::U8(0),
        Signature::Bool => Value::Bool(false),
        Signature::I16 => Value::I16(0),
        Signature::U16 => Value::U16(0),
        Signature::I32 => Value::I32(0),
        Signature::U32 => Value::U32(0),
        Signature::I64 => Value::I64(0),
        Signature::U64 => Value::U64(0),
        Signature::F64 => Value::F64(0.0),
        Signature::ObjectPath => Value::ObjectPath(ObjectPath::from_static_str_unchecked("/")),
        Signature::Array(child) => Value::Array(Array::new(child)),
        Signature::Structure(fields) => {
            let mut b = StructureBuilder::new();
            for f in fields.iter() {
                b = b.append_field(default_value(f));
            }
            b.build().map_or_else(|_| Value::from(""), Value::Structure)
        }
        Signature::Variant => Value::Value(Box::new(Value::from(""))),
        _ => Value::from(""),
    }
}

fn from_bus(sig: &Signature, bus: &BusValue) -> Value<'static> {
    match (sig, bus) {
        (Signature::Bool, BusValue::B(b)) => Value::Bool(*b),
        (Signature::Str, BusValue::S(s)) => Value::from(s.clone()),
        (Signature::ObjectPath, BusValue::S(s)) => object_path(s),
        (Signature::Array(child), BusValue::List(items)) => {
            let mut array = Array::new(child);
            for item in items {
                let _ = array.append(from_bus(child, item));
            }
            Value::Array(array)
        }
        (Signature::Structure(fields), BusValue::Record(items)) if fields.len() == items.len() => {
            let mut b = StructureBuilder::new();
            for (f, item) in fields.iter().zip(items) {
                b = b.append_field(from_bus(f, item));
            }
            b.build()
                .map_or_else(|_| default_value(sig), Value::Structure)
        }
        (_, BusValue::U(n)) => number(sig, i128::from(*n)),
        (_, BusValue::I(n)) => number(sig, i128::from(*n)),
        _ => default_value(sig),
    }
}

/// A number of whatever width the type has (a negative one in an unsigned type wraps, as C's
/// conversion does: `(uint64_t) -1` is infinity).
fn number(sig: &Signature, n: i128) -> Value<'static> {
    match sig {
        Signature::U8 => Value::U8(n as u8),
        Signature::I16 => Value::I16(n as i16),
        Signature::U16 => Value::U16(n as u16),
        Signature::I32 => Value::I32(n as i32),
        Signature::U32 => Value::U32(n as u32),
        Signature::I64 => Value::I64(n as i64),
        Signature::U64 => Value::U64(n as u64),
        Signature::F64 => Value::F64(n as f64),
        Signature::Bool => Value::Bool(n != 0),
        _ => default_value(sig),
    }
}

fn object_path(s: &str) -> Value<'static> {
    ObjectPath::try_from(s.to_string())
        .map(Value::ObjectPath)
        .unwrap_or_else(|_| Value::ObjectPath(ObjectPath::from_static_str_unchecked("/")))
}

/// `show`'s words back into the bus type.
fn from_text(sig: &Signature, name: &str, text: &str) -> Value<'static> {
    match sig {
        Signature::Bool => Value::Bool(text == "yes"),
        Signature::Str => Value::from(text.to_string()),
        Signature::ObjectPath => object_path(text),
        Signature::F64 => Value::F64(text.parse().unwrap_or(0.0)),
        Signature::U8
        | Signature::I16
        | Signature::U16
        | Signature::I32
        | Signature::U32
        | Signature::I64
        | Signature::U64 => number(sig, parse_number(name, text)),
        Signature::Array(child) => match &**child {
            Signature::Str => {
                let mut array = Array::new(child);
                for word in unquote_words(text) {
                    let _ = array.append(Value::from(word));
                }
                Value::Array(array)
            }
            // InvocationID= and the other 128-bit ids: shown as 32 hex digits
            Signature::U8 => {
                let mut array = Array::new(child);
                for byte in hex_bytes(text).unwrap_or_default() {
                    let _ = array.append(Value::U8(byte));
                }
                Value::Array(array)
            }
            _ => default_value(sig),
        },
        Signature::Structure(_) => structure_from_text(sig, name, text),
        _ => default_value(sig),
    }
}

/// A number as `show` words it: plain, octal (`UMask=0022`), hex, a time span (`1min 30s`),
/// `infinity`, or not set (its zero: systemd's "unset" values print as such).
fn parse_number(name: &str, text: &str) -> i128 {
    if text == "infinity" {
        return i128::from(u64::MAX);
    }
    // modes are shown in octal with a leading 0 (`0755`)
    if name == "UMask" || (name.ends_with("Mode") && text.len() > 1 && text.starts_with('0')) {
        if let Ok(n) = i128::from_str_radix(text, 8) {
            return n;
        }
    }
    if name == "NUMAPolicy" {
        let policies = ["default", "preferred", "bind", "interleave", "local"];
        return policies
            .iter()
            .position(|p| *p == text)
            .map_or(-1, |n| n as i128);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(n) = i128::from_str_radix(hex, 16) {
            return n;
        }
    }
    if let Ok(n) = text.parse::<i128>() {
        return n;
    }
    if name == "CapabilityBoundingSet" || name == "AmbientCapabilities" {
        // every capability there is: systemd's CAP_ALL, all bits
        let all = crate::sys::capability::mask_of(&crate::sys::capability::NAMES.join(" "));
        return match crate::sys::capability::mask_of(text) {
            mask if mask == all => i128::from(u64::MAX),
            mask => i128::from(mask),
        };
    }
    if name == "RestrictNamespaces" {
        // a mask of the namespaces allowed: `no` restricts none (NAMESPACE_FLAGS_ALL)
        const NAMESPACE_FLAGS_ALL: i128 = 0x7E02_0000;
        return match text {
            "no" => NAMESPACE_FLAGS_ALL,
            _ => 0,
        };
    }
    if let Ok(span) = parse_sec(text) {
        // a span shown in µs units of a property in ns (TimerSlackNSec=) is rare; µs otherwise
        return i128::from(if name.ends_with("NSec") {
            span.0.saturating_mul(1000)
        } else {
            span.0
        });
    }
    if let Some(percent) = text.strip_suffix('%') {
        if let Ok(n) = percent.parse::<i128>() {
            return n;
        }
    }
    // `[not set]` and the like: systemd's "unset" of that property, which is its maximum
    if text.starts_with('[') {
        return i128::from(u64::MAX);
    }
    0
}

/// The structures `show` prints on one line: LoadError= (`Name "message"`), Job= (its number).
fn structure_from_text(sig: &Signature, name: &str, text: &str) -> Value<'static> {
    let fields = |items: Vec<BusValue>| from_bus(sig, &BusValue::Record(items));
    match (name, sig.to_string().as_str()) {
        ("LoadError", "(ss)") => {
            let (error, message) = text.split_once(' ').unwrap_or((text, ""));
            let message = message.trim_matches('"');
            fields(vec![
                BusValue::S(error.to_string()),
                BusValue::S(message.to_string()),
            ])
        }
        ("Job", "(uo)") => match text.parse::<u32>() {
            Ok(id) if id > 0 => fields(vec![BusValue::U(id.into()), BusValue::S(job_path(id))]),
            _ => fields(vec![BusValue::U(0), BusValue::S("/".into())]),
        },
        _ => default_value(sig),
    }
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The elements of a string array `show` printed: space-separated, each quoted as
/// shell_maybe_quote() quotes.
fn unquote_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            break;
        };
        let mut word = String::new();
        if first == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => word.push('\n'),
                        Some('t') => word.push('\t'),
                        Some(c) => word.push(c),
                        None => {}
                    },
                    c => word.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(name: &str, value: &str, bus: Option<BusValue>) -> Property {
        Property {
            name: name.into(),
            value: value.into(),
            empty: value.is_empty(),
            bus,
        }
    }

    #[test]
    fn show_words_become_the_bus_types() {
        let p = prop("TimeoutStartUSec", "1min 30s", None);
        assert_eq!(property_value("t", &[&p]), Value::U64(90_000_000));
        let p = prop("RuntimeMaxUSec", "infinity", None);
        assert_eq!(property_value("t", &[&p]), Value::U64(u64::MAX));
        let p = prop("UMask", "0022", None);
        assert_eq!(property_value("u", &[&p]), Value::U32(0o22));
        let p = prop("Nice", "-5", None);
        assert_eq!(property_value("i", &[&p]), Value::I32(-5));
        let p = prop("RemainAfterExit", "yes", None);
        assert_eq!(property_value("b", &[&p]), Value::Bool(true));
        let p = prop("Names", "a.service \"b c.service\"", None);
        let v = property_value("as", &[&p]);
        let names: Vec<String> = v.try_into().unwrap();
        assert_eq!(names, ["a.service", "b c.service"]);
        let p = prop("InvocationID", "0a0b", None);
        let id: Vec<u8> = property_value("ay", &[&p]).try_into().unwrap();
        assert_eq!(id, [10, 11]);
    }

    #[test]
    fn structures_come_from_the_typed_values() {
        let exec = BusValue::Record(vec![
            BusValue::S("/bin/true".into()),
            BusValue::List(vec![BusValue::S("/bin/true".into())]),
            BusValue::B(false),
            BusValue::U(1),
            BusValue::U(2),
            BusValue::U(3),
            BusValue::U(4),
            BusValue::U(42),
            BusValue::I(1),
            BusValue::I(0),
        ]);
        let p = prop("ExecStart", "{ path=/bin/true … }", Some(exec));
        let v = property_value("a(sasbttttuii)", &[&p, &p]);
        assert_eq!(v.value_signature().to_string(), "a(sasbttttuii)");
        let Value::Array(a) = v else { panic!() };
        assert_eq!(a.len(), 2);
        let empty = property_value("a(sasbttttuii)", &[]);
        assert_eq!(empty.value_signature().to_string(), "a(sasbttttuii)");
        let job = prop("Job", "12", None);
        let v = property_value("(uo)", &[&job]);
        let (id, path): (u32, ObjectPath) = v.try_into().unwrap();
        assert_eq!(
            (id, path.as_str()),
            (12, "/org/freedesktop/systemd1/job/12")
        );
        let err = prop(
            "LoadError",
            "org.freedesktop.systemd1.NoSuchUnit \"Unit x.service not found.\"",
            None,
        );
        let (name, message): (String, String) = property_value("(ss)", &[&err]).try_into().unwrap();
        assert_eq!(name, "org.freedesktop.systemd1.NoSuchUnit");
        assert_eq!(message, "Unit x.service not found.");
    }
}
