//! The shape of the manager's objects as systemd 252 publishes them: its introspection data,
//! taken from systemd 252 itself (`Introspect()` on /org/freedesktop/systemd1 and on a unit of
//! each type, kept in `introspection/`), which is both what `Introspect()` answers and where each
//! property's D-Bus type comes from (src/core/dbus-*.c's vtables).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::unit::name::UnitType;

pub const MANAGER_INTERFACE: &str = "org.freedesktop.systemd1.Manager";
pub const UNIT_INTERFACE: &str = "org.freedesktop.systemd1.Unit";
pub const JOB_INTERFACE: &str = "org.freedesktop.systemd1.Job";
pub const PROPERTIES_INTERFACE: &str = "org.freedesktop.DBus.Properties";
pub const INTROSPECTABLE_INTERFACE: &str = "org.freedesktop.DBus.Introspectable";
pub const PEER_INTERFACE: &str = "org.freedesktop.DBus.Peer";

/// One interface: its name and its properties with their D-Bus types, in the vtable's order.
#[derive(Debug)]
pub struct Interface {
    pub name: String,
    pub properties: Vec<(String, String)>,
}

impl Interface {
    #[cfg(test)]
    pub fn signature_of(&self, property: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(n, _)| n == property)
            .map(|(_, s)| s.as_str())
    }
}

/// One kind of object: the XML it introspects as (without child nodes) and its interfaces.
#[derive(Debug)]
pub struct ObjectKind {
    xml: &'static str,
    pub interfaces: Vec<Interface>,
}

impl ObjectKind {
    pub fn parse(xml: &'static str) -> ObjectKind {
        let mut interfaces: Vec<Interface> = Vec::new();
        for line in xml.lines() {
            let line = line.trim();
            if let Some(name) = attribute(line, "<interface ", "name") {
                interfaces.push(Interface {
                    name,
                    properties: Vec::new(),
                });
            } else if let (Some(name), Some(sig)) = (
                attribute(line, "<property ", "name"),
                attribute(line, "<property ", "type"),
            ) {
                if let Some(iface) = interfaces.last_mut() {
                    iface.properties.push((name, sig));
                }
            }
        }
        ObjectKind { xml, interfaces }
    }

    #[cfg(test)]
    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    /// The introspection XML with `children` as its child nodes.
    pub fn introspect(&self, children: &[String]) -> String {
        let body = self.xml.trim_end();
        let body = body.strip_suffix("</node>").unwrap_or(body);
        // the captured XML lists the children systemd had; ours are given
        let mut out: String = body
            .lines()
            .filter(|l| !l.trim_start().starts_with("<node name="))
            .map(|l| format!("{l}\n"))
            .collect();
        for child in children {
            out.push_str(&format!(" <node name=\"{child}\"/>\n"));
        }
        out.push_str("</node>\n");
        out
    }
}

/// `name="value"` of an element starting with `element`.
fn attribute(line: &str, element: &str, name: &str) -> Option<String> {
    if !line.starts_with(element) {
        return None;
    }
    let key = format!(" {name}=\"");
    let start = line.find(&key)? + key.len();
    let len = line[start..].find('"')?;
    Some(line[start..start + len].to_string())
}

const MANAGER_XML: &str = include_str!("introspection/manager.xml");
const JOB_XML: &str = include_str!("introspection/job.xml");
const PLAIN_XML: &str = include_str!("introspection/plain.xml");
const UNIT_XMLS: [(UnitType, &str); 10] = [
    (UnitType::Service, include_str!("introspection/service.xml")),
    (UnitType::Socket, include_str!("introspection/socket.xml")),
    (UnitType::Timer, include_str!("introspection/timer.xml")),
    (UnitType::Path, include_str!("introspection/path.xml")),
    (UnitType::Target, include_str!("introspection/target.xml")),
    (UnitType::Scope, include_str!("introspection/scope.xml")),
    (UnitType::Slice, include_str!("introspection/slice.xml")),
    (UnitType::Mount, include_str!("introspection/mount.xml")),
    (UnitType::Device, include_str!("introspection/device.xml")),
    (
        UnitType::Automount,
        include_str!("introspection/automount.xml"),
    ),
];

struct Schema {
    manager: ObjectKind,
    job: ObjectKind,
    /// Objects that are only a path prefix (`/`, `/org`, `…/unit`).
    plain: ObjectKind,
    units: HashMap<UnitType, ObjectKind>,
    /// A unit type systemd 252 has that we captured no unit of (swap): the Unit interface only.
    unit_only: ObjectKind,
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema {
        manager: ObjectKind::parse(MANAGER_XML),
        job: ObjectKind::parse(JOB_XML),
        plain: ObjectKind::parse(PLAIN_XML),
        units: UNIT_XMLS
            .iter()
            .map(|(t, xml)| (*t, ObjectKind::parse(xml)))
            .collect(),
        unit_only: ObjectKind::parse(include_str!("introspection/target.xml")),
    })
}

pub fn manager() -> &'static ObjectKind {
    &schema().manager
}

pub fn job() -> &'static ObjectKind {
    &schema().job
}

pub fn plain() -> &'static ObjectKind {
    &schema().plain
}

pub fn unit(kind: UnitType) -> &'static ObjectKind {
    let s = schema();
    s.units.get(&kind).unwrap_or(&s.unit_only)
}

/// The interface a unit type adds to the Unit interface (`org.freedesktop.systemd1.Service` …).
#[cfg(test)]
pub fn type_interface(kind: UnitType) -> Option<&'static Interface> {
    unit(kind)
        .interfaces
        .iter()
        .find(|i| i.name.starts_with("org.freedesktop.systemd1.") && i.name != UNIT_INTERFACE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_captured_introspection_gives_each_property_its_type() {
        let service = unit(UnitType::Service);
        let unit_iface = service.interface(UNIT_INTERFACE).expect("Unit interface");
        assert_eq!(unit_iface.signature_of("ActiveState"), Some("s"));
        assert_eq!(unit_iface.signature_of("InvocationID"), Some("ay"));
        let svc = type_interface(UnitType::Service).expect("Service interface");
        assert_eq!(svc.name, "org.freedesktop.systemd1.Service");
        assert_eq!(svc.signature_of("ExecStart"), Some("a(sasbttttuii)"));
        assert_eq!(svc.signature_of("MainPID"), Some("u"));
        let mgr = manager().interface(MANAGER_INTERFACE).expect("Manager");
        assert_eq!(mgr.signature_of("NNames"), Some("u"));
        assert_eq!(
            job().interface(JOB_INTERFACE).unwrap().signature_of("Unit"),
            Some("(so)")
        );
    }

    #[test]
    fn introspection_lists_the_children_given() {
        let xml = manager().introspect(&["unit".into(), "job".into()]);
        assert!(xml.contains("<interface name=\"org.freedesktop.systemd1.Manager\">"));
        assert!(xml
            .trim_end()
            .ends_with("<node name=\"unit\"/>\n <node name=\"job\"/>\n</node>"));
        let plain = plain().introspect(&["org".into()]);
        assert!(plain.contains("<node name=\"org\"/>"));
    }
}
