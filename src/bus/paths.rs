//! Object paths of the manager's bus objects: a unit at
//! `/org/freedesktop/systemd1/unit/` + its name escaped as sd-bus's `bus_label_escape()` does
//! (every byte but `[A-Za-z0-9]` as `_xx`, a leading digit too), a job at
//! `/org/freedesktop/systemd1/job/N` (src/core/dbus-unit.c `unit_dbus_path()`, dbus-job.c
//! `job_dbus_path()`, src/basic/bus-label.c).

pub const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
pub const UNIT_PREFIX: &str = "/org/freedesktop/systemd1/unit/";
pub const JOB_PREFIX: &str = "/org/freedesktop/systemd1/job/";

/// `bus_label_escape()`: `_` alone for the empty string.
pub fn label_escape(s: &str) -> String {
    if s.is_empty() {
        return "_".into();
    }
    let mut out = String::with_capacity(s.len() * 3);
    for (i, b) in s.bytes().enumerate() {
        if b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    out
}

/// `bus_label_unescape()`; `None` for what no escaping makes.
pub fn label_unescape(label: &str) -> Option<String> {
    if label == "_" {
        return Some(String::new());
    }
    let bytes = label.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'_' {
            let hex = label.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn unit_path(unit: &str) -> String {
    format!("{UNIT_PREFIX}{}", label_escape(unit))
}

pub fn job_path(id: u32) -> String {
    format!("{JOB_PREFIX}{id}")
}

/// What a unit object's path names: a unit name, or `self`/`pid/N` that name the caller's unit
/// or a process's (bus_unit_find()'s special labels; `None` for a path that is no unit's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitObject {
    Named(String),
    /// `…/unit/self`: the caller's own unit.
    Caller,
    /// `…/unit/pid/N`: the unit of process N.
    Pid(u32),
}

pub fn unit_of_path(path: &str) -> Option<UnitObject> {
    let label = path.strip_prefix(UNIT_PREFIX)?;
    if label == "self" {
        return Some(UnitObject::Caller);
    }
    if let Some(pid) = label.strip_prefix("pid/") {
        return pid.parse().ok().map(UnitObject::Pid);
    }
    if label.contains('/') {
        return None;
    }
    label_unescape(label).map(UnitObject::Named)
}

pub fn job_of_path(path: &str) -> Option<u32> {
    path.strip_prefix(JOB_PREFIX)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_escape_as_sd_bus_does() {
        assert_eq!(
            unit_path("dbus-org.freedesktop.hostname1.service"),
            "/org/freedesktop/systemd1/unit/dbus_2dorg_2efreedesktop_2ehostname1_2eservice"
        );
        assert_eq!(
            unit_path("-.mount"),
            "/org/freedesktop/systemd1/unit/_2d_2emount"
        );
        assert_eq!(label_escape("1a"), "_31a");
        assert_eq!(label_escape(""), "_");
        for name in [
            "getty@tty1.service",
            "-.slice",
            "a\\x2db.mount",
            "x_y.service",
        ] {
            let label = label_escape(name);
            assert_eq!(label_unescape(&label).as_deref(), Some(name));
        }
    }

    #[test]
    fn paths_name_units_jobs_and_the_special_labels() {
        assert_eq!(
            unit_of_path("/org/freedesktop/systemd1/unit/a_2eservice"),
            Some(UnitObject::Named("a.service".into()))
        );
        assert_eq!(
            unit_of_path("/org/freedesktop/systemd1/unit/self"),
            Some(UnitObject::Caller)
        );
        assert_eq!(
            unit_of_path("/org/freedesktop/systemd1/unit/pid/42"),
            Some(UnitObject::Pid(42))
        );
        assert_eq!(unit_of_path("/org/freedesktop/systemd1/unit/a_zz"), None);
        assert_eq!(job_of_path("/org/freedesktop/systemd1/job/17"), Some(17));
        assert_eq!(job_of_path("/org/freedesktop/systemd1/job/x"), None);
    }
}
