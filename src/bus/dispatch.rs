//! One method call to its handler (sd-bus's object vtables as src/core/dbus.c registers them):
//! the object its path names (the Manager, a unit, a job, or a prefix of those paths), then the
//! interface and member. Every object has org.freedesktop.DBus.Properties, Introspectable and
//! Peer. A failure is answered with its D-Bus error; a call that asks for no reply gets none.

use std::cell::OnceCell;

use zbus::blocking::Connection;
use zbus::message::{Flags, Header, Type as MessageType};
use zbus::zvariant::{Signature, Type, Value};
use zbus::Message;

use super::link::ManagerLink;
use super::paths::{self, UnitObject, JOB_PREFIX, MANAGER_PATH, UNIT_PREFIX};
use super::schema::{
    self, INTROSPECTABLE_INTERFACE, JOB_INTERFACE, MANAGER_INTERFACE, PEER_INTERFACE,
    PROPERTIES_INTERFACE,
};
use super::{manager_api, unit_api, MethodError};
use crate::ipc::Peer;

/// What one connection's calls share: the line to the manager, and how callers are known.
pub struct Session {
    pub link: ManagerLink,
    /// The peer of a private connection; on the bus each caller is asked of dbus-daemon.
    pub private_peer: Option<Peer>,
}

/// One method call being answered.
pub struct Call<'a> {
    pub conn: &'a Connection,
    pub header: Header<'a>,
    pub msg: &'a Message,
    pub path: String,
    pub interface: String,
    pub member: String,
    private_peer: Option<Peer>,
    caller: OnceCell<Peer>,
}

impl Call<'_> {
    /// Answer with `body` (a tuple of the out arguments).
    pub fn reply<B>(&self, body: &B) -> Result<(), MethodError>
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        if self
            .header
            .primary()
            .flags()
            .contains(Flags::NoReplyExpected)
        {
            return Ok(());
        }
        self.conn
            .reply(&self.header, body)
            .map_err(|e| MethodError::failed(e.to_string()))
    }

    /// The call's arguments.
    pub fn args<T>(&self) -> Result<T, MethodError>
    where
        T: serde::de::DeserializeOwned + zbus::zvariant::Type,
    {
        self.msg.body().deserialize::<T>().map_err(|e| {
            MethodError::invalid_args(format!("Invalid arguments to {}: {e}", self.member))
        })
    }

    /// Who called: the private connection's peer, or what dbus-daemon knows of the sender.
    pub fn caller(&self) -> Peer {
        *self.caller.get_or_init(|| {
            self.private_peer
                .or_else(|| self.bus_caller())
                // unknown: treated as nobody, who may ask but not change anything
                .unwrap_or(Peer {
                    pid: 0,
                    uid: 65534,
                    gid: 65534,
                })
        })
    }

    fn bus_caller(&self) -> Option<Peer> {
        let sender = self.header.sender()?.to_string();
        let reply = self
            .conn
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "GetConnectionCredentials",
                &(sender,),
            )
            .ok()?;
        let creds: std::collections::HashMap<String, zbus::zvariant::OwnedValue> =
            reply.body().deserialize().ok()?;
        let number = |key: &str| creds.get(key).and_then(|v| u32::try_from(v).ok());
        Some(Peer {
            pid: number("ProcessID").map_or(0, |p| p as i32),
            uid: number("UnixUserID")?,
            gid: number("UnixGroupID").unwrap_or(65534),
        })
    }
}

impl<'a> Call<'a> {
    /// The method call `msg` (not checked to be one) received on `conn`; its caller is
    /// `private_peer` on a private connection, else asked of dbus-daemon when needed.
    pub fn new(conn: &'a Connection, msg: &'a Message, private_peer: Option<Peer>) -> Call<'a> {
        let header = msg.header();
        Call {
            conn,
            path: header.path().map(|p| p.to_string()).unwrap_or_default(),
            interface: header
                .interface()
                .map(|i| i.to_string())
                .unwrap_or_default(),
            member: header.member().map(|m| m.to_string()).unwrap_or_default(),
            header,
            msg,
            private_peer,
            caller: OnceCell::new(),
        }
    }

    /// Answer with the D-Bus error of `e`, unless the caller asked for no reply.
    pub fn fail(&self, e: MethodError) {
        if !self
            .header
            .primary()
            .flags()
            .contains(Flags::NoReplyExpected)
        {
            let _ = self
                .conn
                .reply_error(&self.header, e.name.as_ref(), &(e.message,));
        }
    }
}

/// Answer `msg` if it is a method call.
pub fn handle(conn: &Connection, msg: &Message, session: &mut Session) {
    if msg.header().message_type() != MessageType::MethodCall {
        return;
    }
    let call = Call::new(conn, msg, session.private_peer);
    if let Err(e) = route(&call, session) {
        call.fail(e);
    }
}

/// The kinds of object there are.
enum Object {
    Manager,
    Unit(UnitObject),
    Job(u32),
    /// A prefix of the objects' paths, with its children.
    Node(Vec<String>),
}

fn object_of(path: &str) -> Option<Object> {
    Some(match path {
        MANAGER_PATH => Object::Manager,
        "/" => Object::Node(vec!["org".into()]),
        "/org" => Object::Node(vec!["freedesktop".into()]),
        "/org/freedesktop" => Object::Node(vec!["systemd1".into()]),
        "/org/freedesktop/systemd1/unit" | "/org/freedesktop/systemd1/job" => {
            Object::Node(Vec::new())
        }
        p if p.starts_with(UNIT_PREFIX) => Object::Unit(paths::unit_of_path(p)?),
        p if p.starts_with(JOB_PREFIX) => Object::Job(paths::job_of_path(p)?),
        _ => return None,
    })
}

fn route(call: &Call, session: &mut Session) -> Result<(), MethodError> {
    let object = object_of(&call.path).ok_or_else(|| MethodError::unknown_object(&call.path))?;
    match call.interface.as_str() {
        PEER_INTERFACE => return peer(call),
        INTROSPECTABLE_INTERFACE => return introspect(call, &object, session),
        PROPERTIES_INTERFACE => return properties(call, &object, session),
        _ => {}
    }
    let unknown = || MethodError::unknown_method(&call.interface, &call.member);
    // a call without an interface names a member of whichever interface has it
    let any = call.interface.is_empty();
    match object {
        Object::Manager if any || call.interface == MANAGER_INTERFACE => {
            manager_api::call(call, session)
        }
        Object::Unit(unit) if any || call.interface.starts_with("org.freedesktop.systemd1.") => {
            let name = unit_api::resolve(call, session, &unit)?;
            unit_api::call(call, session, &name)
        }
        Object::Job(id) if any || call.interface == JOB_INTERFACE => {
            unit_api::job_call(call, session, id)
        }
        Object::Node(_) if any && call.member == "Introspect" => introspect(call, &object, session),
        _ if any && matches!(call.member.as_str(), "Ping" | "GetMachineId") => peer(call),
        _ => Err(unknown()),
    }
}

/// org.freedesktop.DBus.Peer, which every object of ours (and of login1) answers.
pub(super) fn peer(call: &Call) -> Result<(), MethodError> {
    match call.member.as_str() {
        "Ping" => call.reply(&()),
        "GetMachineId" => {
            let id = std::fs::read_to_string("/etc/machine-id").unwrap_or_default();
            call.reply(&(id.trim().to_string(),))
        }
        _ => Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
}

fn introspect(call: &Call, object: &Object, session: &mut Session) -> Result<(), MethodError> {
    let xml = match object {
        Object::Manager => schema::manager().introspect(&["unit".into(), "job".into()]),
        // the children of these two are the loaded units and the queued jobs
        Object::Node(_) if call.path == "/org/freedesktop/systemd1/unit" => {
            schema::plain().introspect(&unit_api::unit_labels(session)?)
        }
        Object::Node(_) if call.path == "/org/freedesktop/systemd1/job" => {
            schema::plain().introspect(&unit_api::job_labels(session)?)
        }
        Object::Node(children) => schema::plain().introspect(children),
        Object::Unit(unit) => {
            let name = unit_api::resolve(call, session, unit)?;
            schema::unit(unit_api::unit_type(&name)).introspect(&[])
        }
        Object::Job(_) => schema::job().introspect(&[]),
    };
    call.reply(&(xml,))
}

fn properties(call: &Call, object: &Object, session: &mut Session) -> Result<(), MethodError> {
    match call.member.as_str() {
        "Get" => {
            let (interface, property): (String, String) = call.args()?;
            let all = object_properties(call, object, session, &interface, Some(&property))?;
            reply_get(call, &interface, &property, all)
        }
        "GetAll" => {
            let (interface,): (String,) = call.args()?;
            let all = object_properties(call, object, session, &interface, None)?;
            call.reply(&(OrderedProperties(all),))
        }
        "Set" => Err(MethodError::new(
            "org.freedesktop.DBus.Error.PropertyReadOnly",
            "Property is read-only.",
        )),
        _ => Err(MethodError::unknown_method(&call.interface, &call.member)),
    }
}

/// Properties.Get(): `property` of the object's properties `all`, or UnknownProperty.
pub fn reply_get(
    call: &Call,
    interface: &str,
    property: &str,
    all: Vec<(String, Value<'static>)>,
) -> Result<(), MethodError> {
    let value = all
        .into_iter()
        .find(|(name, _)| name == property)
        .map(|(_, v)| v)
        .ok_or_else(|| {
            MethodError::new(
                "org.freedesktop.DBus.Error.UnknownProperty",
                format!("Unknown property or interface {interface}.{property}."),
            )
        })?;
    call.reply(&(value,))
}

/// The properties of `object` on `interface` (every interface when empty), those named
/// `only` if given.
fn object_properties(
    call: &Call,
    object: &Object,
    session: &mut Session,
    interface: &str,
    only: Option<&str>,
) -> Result<Vec<(String, Value<'static>)>, MethodError> {
    match object {
        Object::Manager => manager_api::properties(session, interface, only),
        Object::Unit(unit) => {
            let name = unit_api::resolve(call, session, unit)?;
            unit_api::properties(session, &name, interface, only)
        }
        Object::Job(id) => unit_api::job_properties(session, *id, interface),
        Object::Node(_) => Ok(Vec::new()),
    }
}

/// The values of the properties `interfaces` declare (those of `interface`, or all when it is
/// empty) from `props`, each of its declared type; a property not in `props` reads as its
/// type's zero. `only` keeps one.
pub fn typed_properties(
    interfaces: &[schema::Interface],
    defaults: &std::collections::HashMap<&str, &str>,
    interface: &str,
    only: Option<&str>,
    props: &[crate::ipc::properties::Property],
) -> Result<Vec<(String, Value<'static>)>, MethodError> {
    let mut out = Vec::new();
    let mut known = false;
    // the type's interface first, then the Unit interface, as systemd's vtables come
    let mut ordered: Vec<&schema::Interface> = interfaces.iter().collect();
    ordered.sort_by_key(|i| i.name == schema::UNIT_INTERFACE);
    for iface in ordered {
        if !interface.is_empty() && iface.name != interface {
            continue;
        }
        known = true;
        for (name, sig) in &iface.properties {
            if only.is_some_and(|o| o != name) {
                continue;
            }
            let entries: Vec<&crate::ipc::properties::Property> =
                props.iter().filter(|p| p.name == *name).collect();
            let value = if entries.is_empty() {
                super::values::unset_value(name, sig, defaults)
            } else {
                super::values::property_value(sig, &entries)
            };
            out.push((name.clone(), value));
        }
    }
    if !known {
        return Err(MethodError::new(
            "org.freedesktop.DBus.Error.UnknownInterface",
            format!("Unknown interface {interface}."),
        ));
    }
    Ok(out)
}

/// GetAll()'s `a{sv}` in the vtables' order, which is the order `systemctl show` prints them in
/// (a map type would sort or scatter them).
pub struct OrderedProperties(pub Vec<(String, Value<'static>)>);

impl Type for OrderedProperties {
    const SIGNATURE: &'static Signature =
        <std::collections::HashMap<String, Value<'static>> as Type>::SIGNATURE;
}

impl serde::Serialize for OrderedProperties {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}
