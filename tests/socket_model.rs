//! The socket unit model (systemd.socket(5), systemd 252): every [Socket] setting parsed with
//! systemd's checks and warnings, `socket_verify()`'s refusals, the implicit dependencies of
//! sockets and of a service's `Sockets=`, and what `systemctl show` prints for them. The expected
//! outputs are what systemd 252.38, booted as PID 1 in a private namespace, printed for the same
//! unit files.

mod common;

use common::RootTree;
use systemctl_shim::unit::load::load_unit;
use systemctl_shim::unit::paths::{LookupPaths, Scope};

const DIR: &str = "/etc/systemd/system";

fn tree(units: &[(&str, &str)]) -> RootTree {
    let t = RootTree::new();
    for (name, text) in units {
        t.write(&format!("{DIR}/{name}"), text);
    }
    t
}

/// `show` of one unit with `-p`, as `Key=value` lines.
fn show(t: &RootTree, unit: &str, properties: &str) -> String {
    let out = t.ours(&["show", unit, "-p", properties]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

/// The warnings loading `unit` gave, without the file part of each.
fn warnings(t: &RootTree, unit: &str) -> Vec<String> {
    let lookup = LookupPaths::new(Scope::System, Some(t.path())).expect("lookup paths");
    let config = load_unit(&lookup, unit).expect("valid name");
    let prefix = format!("{DIR}/{unit}:");
    config
        .warnings
        .iter()
        .map(|w| w.strip_prefix(&prefix).unwrap_or(w).to_string())
        .collect()
}

/// `[::]` where the kernel has IPv6, as socket_address_parse() picks for a bare port.
fn any_address() -> &'static str {
    if std::path::Path::new("/proc/net/if_inet6").exists() {
        "[::]"
    } else {
        "0.0.0.0"
    }
}

const FULL_SOCKET: &str = "[Unit]
Description=Full socket
[Socket]
ListenStream=/run/full/full.sock
ListenStream=7778
ListenStream=[::1]:7779
ListenStream=127.0.0.1:7777
ListenStream=@abstract
ListenDatagram=0.0.0.0:5353
ListenNetlink=audit 1
ListenNetlink=kobject-uevent
ListenNetlink=9
ListenSpecial=/dev//null/
ListenMessageQueue=/mq
ListenStream=vsock:2:1234
ListenStream=/var/run/legacy.sock
ListenFIFO=/var/run/legacy.fifo
ListenStream=/run//dbl/./x.sock
BindIPv6Only=ipv6-only
Backlog=128
BindToDevice=lo
SocketUser=nobody
SocketGroup=nogroup
SocketMode=0600
DirectoryMode=0700
Accept=no
FlushPending=yes
Writable=yes
KeepAlive=yes
KeepAliveTimeSec=2h
KeepAliveIntervalSec=75s
KeepAliveProbes=9
DeferAcceptSec=5s
NoDelay=yes
Priority=6
ReceiveBuffer=8K
SendBuffer=1.5M
IPTOS=low-delay
IPTTL=64
PipeSize=64K
FreeBind=yes
Transparent=yes
Broadcast=yes
PassCredentials=yes
PassSecurity=yes
PassPacketInfo=yes
Timestamping=us
RemoveOnStop=yes
Mark=7
MaxConnections=10
MaxConnectionsPerSource=3
MessageQueueMaxMessages=10
MessageQueueMessageSize=128
TCPCongestion=cubic
ReusePort=yes
FileDescriptorName=fullfd
SocketProtocol=sctp
TriggerLimitIntervalSec=5s
TriggerLimitBurst=7
TimeoutSec=30s
Service=fullsvc.service
SmackLabel=lab
SmackLabelIPIn=in
SmackLabelIPOut=out
SELinuxContextFromNet=yes
";

#[test]
fn show_prints_every_socket_property_as_systemd_252_does() {
    let t = tree(&[("full.socket", FULL_SOCKET)]);
    let out = t.ours(&["show", "--all", "full.socket"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let socket_part: String = out
        .stdout
        .lines()
        .take_while(|l| !l.starts_with("Slice="))
        .map(|l| format!("{l}\n"))
        .collect();
    let any = any_address();
    let expected = format!(
        "BindIPv6Only=ipv6-only
Backlog=128
TimeoutUSec=30s
BindToDevice=lo
SocketUser=nobody
SocketGroup=nogroup
SocketMode=0600
DirectoryMode=0700
Accept=no
FlushPending=yes
Writable=yes
KeepAlive=yes
KeepAliveTimeUSec=2h
KeepAliveIntervalUSec=1min 15s
KeepAliveProbes=9
DeferAcceptUSec=5s
NoDelay=yes
Priority=6
ReceiveBuffer=8192
SendBuffer=1572864
IPTOS=16
IPTTL=64
PipeSize=65536
FreeBind=yes
Transparent=yes
Broadcast=yes
PassCredentials=yes
PassSecurity=yes
PassPacketInfo=yes
Timestamping=us
RemoveOnStop=yes
Listen=/run/full/full.sock (Stream)
Listen={any}:7778 (Stream)
Listen=[::1]:7779 (Stream)
Listen=127.0.0.1:7777 (Stream)
Listen=@abstract (Stream)
Listen=0.0.0.0:5353 (Datagram)
Listen=audit 1 (Netlink)
Listen=kobject-uevent 0 (Netlink)
Listen=audit 0 (Netlink)
Listen=/dev/null (Special)
Listen=/mq (MessageQueue)
Listen=vsock:2:1234 (Stream)
Listen=/run/legacy.sock (Stream)
Listen=/run/legacy.fifo (FIFO)
Listen=/run//dbl/./x.sock (Stream)
Symlinks=
Mark=7
MaxConnections=10
MaxConnectionsPerSource=3
MessageQueueMaxMessages=10
MessageQueueMessageSize=128
TCPCongestion=cubic
ReusePort=yes
SmackLabel=lab
SmackLabelIPIn=in
SmackLabelIPOut=out
ControlPID=0
Result=success
NConnections=0
NAccepted=0
NRefused=0
FileDescriptorName=fullfd
SocketProtocol=132
TriggerLimitIntervalUSec=5s
TriggerLimitBurst=7
UID=[not set]
GID=[not set]
"
    );
    assert_eq!(socket_part, expected);
    // SELinuxContextFromNet= is accepted but is no property of the unit
    assert!(!out.stdout.contains("SELinuxContextFromNet"));
    assert!(warnings(&t, "full.socket").is_empty());
}

#[test]
fn a_socket_without_options_shows_systemd_252_defaults() {
    let t = tree(&[("plain.socket", "[Socket]\nListenStream=/run/plain.sock\n")]);
    let out = t.ours(&["show", "plain.socket"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let socket_part: String = out
        .stdout
        .lines()
        .take_while(|l| !l.starts_with("Slice="))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        socket_part,
        "BindIPv6Only=default
Backlog=2147483647
TimeoutUSec=1min 30s
SocketMode=0666
DirectoryMode=0755
Accept=no
FlushPending=no
Writable=no
KeepAlive=no
KeepAliveTimeUSec=0
KeepAliveIntervalUSec=0
KeepAliveProbes=0
DeferAcceptUSec=0
NoDelay=no
Priority=-1
ReceiveBuffer=0
SendBuffer=0
IPTOS=-1
IPTTL=-1
PipeSize=0
FreeBind=no
Transparent=no
Broadcast=no
PassCredentials=no
PassSecurity=no
PassPacketInfo=no
Timestamping=off
RemoveOnStop=no
Listen=/run/plain.sock (Stream)
Mark=-1
MaxConnections=64
MaxConnectionsPerSource=0
MessageQueueMaxMessages=0
MessageQueueMessageSize=0
ReusePort=no
ControlPID=0
Result=success
NConnections=0
NAccepted=0
NRefused=0
FileDescriptorName=plain.socket
SocketProtocol=0
TriggerLimitIntervalUSec=2s
TriggerLimitBurst=20
UID=[not set]
GID=[not set]
"
    );
    assert_eq!(
        show(
            &t,
            "plain.socket",
            "Requires,After,Before,Triggers,RequiresMountsFor"
        ),
        "Requires=system.slice sysinit.target
Before=plain.service sockets.target shutdown.target
After=system.slice sysinit.target
Triggers=plain.service
RequiresMountsFor=/run/plain.sock
"
    );
}

#[test]
fn listen_addresses_print_as_socket_address_print_does() {
    let t = tree(&[(
        "addrs.socket",
        r#"[Socket]
ListenStream=vsock::1234
ListenStream=[::ffff:1.2.3.4]:82
ListenStream=@with space
ListenStream=/run/with space.sock
ListenStream=[::]:83
ListenStream=0.0.0.0:84
ListenDatagram=/var/run/dgram
ListenSpecial=/var/run/special
ListenMessageQueue=/var//mq2/
ListenStream=+85
ListenStream=/run/a'b"c\\d.sock
ListenNetlink=route  3
ListenNetlink=99 2
ListenUSBFunction=/dev/usb-ffs/x
ListenStream=[::1]:87%%lo
ListenSequentialPacket=/run/seq
"#,
    )]);
    let any = any_address();
    assert_eq!(
        show(&t, "addrs.socket", "Listen,RequiresMountsFor"),
        format!(
            r#"Listen=vsock::1234 (Stream)
Listen=[::ffff:1.2.3.4]:82 (Stream)
Listen=@with space (Stream)
Listen=/run/with space.sock (Stream)
Listen=[::]:83 (Stream)
Listen=0.0.0.0:84 (Stream)
Listen=/run/dgram (Datagram)
Listen=/var/run/special (Special)
Listen=/var/mq2 (MessageQueue)
Listen={any}:85 (Stream)
Listen=/run/a\'b\"c\\\\d.sock (Stream)
Listen=route 3 (Netlink)
Listen=99 2 (Netlink)
Listen=/dev/usb-ffs/x (USBFunction)
Listen=[::1]:87%lo (Stream)
Listen=/run/seq (SequentialPacket)
RequiresMountsFor="/run/with space.sock" /run/dgram /var/run/special "/run/a'b\"c\\\\d.sock" /dev/usb-ffs/x /run/seq
"#
        )
    );
    assert!(warnings(&t, "addrs.socket").is_empty());
}

#[test]
fn bad_socket_values_are_warned_about_and_ignored() {
    let t = tree(&[(
        "bad.socket",
        "[Socket]
ListenStream=/run/bad.sock
ListenStream=notanaddress
ListenStream=70000
ListenStream=0
ListenStream=::1
ListenStream=relative/path
ListenSequentialPacket=127.0.0.1:99
ListenFIFO=relative.fifo
ListenFIFO=/run/../x.fifo
ListenNetlink=nosuchfamily 1
ListenNetlink=audit x
ListenStream=1.2.3.4
BindIPv6Only=maybe
BindIPv6Only=false
Backlog=-1
BindToDevice=bad/name
KeepAlive=maybe
KeepAliveTimeSec=soon
KeepAliveIntervalSec=-1
KeepAliveProbes=x
DeferAcceptSec=x
NoDelay=2
Priority=high
ReceiveBuffer=lots
SendBuffer=-5
IPTOS=fast
IPTTL=x
PipeSize=1Q
FreeBind=x
Transparent=x
Broadcast=x
PassSecurity=x
PassPacketInfo=x
Timestamping=ms
Writable=x
FlushPending=x
Mark=x
ReusePort=x
Symlinks=relative/link
Symlinks=/run/../up
MaxConnectionsPerSource=-1
MessageQueueMaxMessages=x
MessageQueueMessageSize=x
TCPCongestion=
SocketProtocol=tcp
SocketProtocol=nonsense
TriggerLimitIntervalSec=x
TriggerLimitBurst=-1
MaxConnections=x
FileDescriptorName=bad:name
Service=foo.target
Service=tmpl@.service
",
    )]);
    assert_eq!(
        warnings(&t, "bad.socket"),
        [
            "3: Failed to parse address value in 'notanaddress', ignoring: Invalid argument",
            "4: Failed to parse address value in '70000', ignoring: Numerical result out of range",
            "5: Failed to parse address value in '0', ignoring: Invalid argument",
            "6: Failed to parse address value in '::1', ignoring: Invalid argument",
            "7: Failed to parse address value in 'relative/path', ignoring: Invalid argument",
            "8: Address family not supported, ignoring: 127.0.0.1:99",
            "9: ListenFIFO= path is not absolute, ignoring: relative.fifo",
            "10: ListenFIFO= path is not normalized, ignoring: /run/../x.fifo",
            "11: Failed to parse address value in 'nosuchfamily 1', ignoring: Invalid argument",
            "12: Failed to parse address value in 'audit x', ignoring: Invalid argument",
            "13: Failed to parse address value in '1.2.3.4', ignoring: Invalid argument",
            "14: Failed to parse bind IPv6 only value, ignoring: maybe",
            "16: Failed to parse Backlog value, ignoring: -1",
            "17: Invalid interface name, ignoring: bad/name",
            "18: Failed to parse KeepAlive value, ignoring: maybe",
            "19: Failed to parse KeepAliveTimeSec value, ignoring: soon",
            "20: Failed to parse KeepAliveIntervalSec value, ignoring: -1",
            "21: Failed to parse KeepAliveProbes value, ignoring: x",
            "22: Failed to parse DeferAcceptSec value, ignoring: x",
            "23: Failed to parse NoDelay value, ignoring: 2",
            "24: Failed to parse Priority value, ignoring: high",
            "25: Failed to parse size value 'lots', ignoring: Invalid argument",
            "26: Failed to parse size value '-5', ignoring: Numerical result out of range",
            "27: Failed to parse IP TOS value, ignoring: fast",
            "28: Failed to parse IPTTL value, ignoring: x",
            "29: Failed to parse size value '1Q', ignoring: Invalid argument",
            "30: Failed to parse FreeBind value, ignoring: x",
            "31: Failed to parse Transparent value, ignoring: x",
            "32: Failed to parse Broadcast value, ignoring: x",
            "33: Failed to parse PassSecurity value, ignoring: x",
            "34: Failed to parse PassPacketInfo value, ignoring: x",
            "35: Failed to parse timestamping precision, ignoring: ms",
            "36: Failed to parse Writable value, ignoring: x",
            "37: Failed to parse FlushPending value, ignoring: x",
            "38: Failed to parse Mark value, ignoring: x",
            "39: Failed to parse ReusePort value, ignoring: x",
            "40: Symlinks= path is not absolute, ignoring: relative/link",
            "41: Symlinks= path is not normalized, ignoring: /run/../up",
            "42: Failed to parse MaxConnectionsPerSource value, ignoring: -1",
            "43: Failed to parse MessageQueueMaxMessages value, ignoring: x",
            "44: Failed to parse MessageQueueMessageSize value, ignoring: x",
            "46: Failed to parse socket protocol, ignoring: tcp",
            "47: Failed to parse socket protocol, ignoring: nonsense",
            "48: Failed to parse TriggerLimitIntervalSec value, ignoring: x",
            "49: Failed to parse TriggerLimitBurst value, ignoring: -1",
            "50: Failed to parse MaxConnections value, ignoring: x",
            "51: Invalid file descriptor name, ignoring: bad:name",
            "52: Unit must be of type service, ignoring: foo.target",
            "53: Failed to load unit tmpl@.service, ignoring: Unit name tmpl@.service is missing the instance name.",
        ]
    );
    // What was valid stays; the rest keeps its default.
    assert_eq!(
        show(
            &t,
            "bad.socket",
            "LoadState,Listen,BindIPv6Only,Backlog,Symlinks,MaxConnections,FileDescriptorName,Triggers"
        ),
        "BindIPv6Only=both
Backlog=2147483647
Listen=/run/bad.sock (Stream)
Symlinks=
MaxConnections=64
FileDescriptorName=bad.socket
Triggers=bad.service
LoadState=loaded
"
    );
}

#[test]
fn values_systemd_accepts_at_the_edges() {
    let t = tree(&[(
        "values.socket",
        "[Socket]
ListenStream=/run/values.sock
TriggerLimitIntervalSec=0
TriggerLimitBurst=0
Timestamping=yes
IPTOS=255
IPTTL=300
ReceiveBuffer=1G
MessageQueueMaxMessages=-5
Backlog=0
Mark=-3
DirectoryMode=0
BindToDevice=eth0
BindToDevice=*
FileDescriptorName=fd-%N
SocketProtocol=UDPLITE
Symlinks=/run/%N.link   /run//l3/
Symlinks=
Symlinks=/run/l4 \"/run/l 5\"
",
    )]);
    assert_eq!(
        show(
            &t,
            "values.socket",
            "TriggerLimitIntervalUSec,TriggerLimitBurst,Timestamping,IPTOS,IPTTL,ReceiveBuffer,\
             MessageQueueMaxMessages,Backlog,Mark,DirectoryMode,BindToDevice,FileDescriptorName,\
             SocketProtocol,Symlinks,LoadState"
        ),
        "Backlog=0
BindToDevice=
DirectoryMode=0000
ReceiveBuffer=1073741824
IPTOS=255
IPTTL=300
Timestamping=ns
Symlinks=/run/l4 \"/run/l 5\"
Mark=-3
MessageQueueMaxMessages=-5
FileDescriptorName=fd-values
SocketProtocol=136
TriggerLimitIntervalUSec=0
TriggerLimitBurst=0
LoadState=loaded
"
    );
    assert!(warnings(&t, "values.socket").is_empty());
}

#[test]
fn units_socket_verify_refuses_are_bad_settings_with_systemds_reason() {
    let t = tree(&[
        (
            "acceptdgram.socket",
            "[Socket]\nListenDatagram=/run/acceptdgram.sock\nAccept=yes\n",
        ),
        (
            "acceptfifo.socket",
            "[Socket]\nListenStream=/run/af.sock\nListenFIFO=/run/af.fifo\nAccept=yes\n",
        ),
        (
            "acceptnl.socket",
            "[Socket]\nListenNetlink=audit 1\nAccept=yes\n",
        ),
        (
            "maxconn0.socket",
            "[Socket]\nListenStream=/run/m.sock\nAccept=yes\nMaxConnections=0\n",
        ),
        (
            "twolinks.socket",
            "[Socket]\nListenStream=/run/a.sock\nListenFIFO=/run/b.fifo\nSymlinks=/run/l1\n",
        ),
        (
            "nolinkpath.socket",
            "[Socket]\nListenStream=7791\nListenSpecial=/dev/null\nListenMessageQueue=/mq2\nSymlinks=/run/l2\n",
        ),
        (
            "explicit.socket",
            "[Socket]\nListenStream=/run/e.sock\nAccept=yes\nService=x.service\n",
        ),
        (
            "pam.socket",
            "[Socket]\nListenStream=/run/pam.sock\nPAMName=login\nKillMode=process\n",
        ),
        ("nolisten.socket", "[Socket]\nAccept=yes\nService=x.service\n"),
    ]);
    let units = [
        "acceptdgram.socket",
        "acceptfifo.socket",
        "acceptnl.socket",
        "maxconn0.socket",
        "twolinks.socket",
        "nolinkpath.socket",
        "explicit.socket",
        "pam.socket",
        "nolisten.socket",
    ];
    let mut args = vec!["show", "-p", "LoadState"];
    args.extend(units);
    let out = t.ours(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, ["LoadState=bad-setting\n"; 9].join("\n"));
    assert_eq!(
        out.stderr,
        "acceptdgram.socket: Unit configured for accepting sockets, but sockets are non-accepting. Refusing.
acceptfifo.socket: Unit configured for accepting sockets, but sockets are non-accepting. Refusing.
acceptnl.socket: Unit configured for accepting sockets, but sockets are non-accepting. Refusing.
maxconn0.socket: MaxConnection= setting too small. Refusing.
twolinks.socket: Unit has symlinks set but none or more than one node in the file system. Refusing.
nolinkpath.socket: Unit has symlinks set but none or more than one node in the file system. Refusing.
explicit.socket: Explicit service configuration for accepting socket units not supported. Refusing.
pam.socket: Unit has PAM enabled. Kill mode must be set to 'control-group'. Refusing.
nolisten.socket: Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.
"
    );
    // A refused unit keeps what socket_add_extras() added, but not its slice's dependencies:
    // those come only with a unit that loaded.
    assert_eq!(
        show(
            &t,
            "acceptfifo.socket",
            "Requires,Before,After,Triggers,RequiresMountsFor,Slice,LoadError"
        ),
        "Slice=system.slice
Requires=sysinit.target
Before=acceptfifo.service sockets.target shutdown.target
After=sysinit.target
Triggers=acceptfifo.service
RequiresMountsFor=/run/af.sock /run/af.fifo
LoadError=org.freedesktop.systemd1.BadUnitSetting \"Unit acceptfifo.socket has a bad unit file setting.\"
"
    );
}

#[test]
fn one_node_with_symlinks_and_accepting_sockets_load() {
    let t = tree(&[
        (
            "onelink.socket",
            "[Socket]\nListenStream=7792\nListenSpecial=/dev/null\nListenStream=/run/one.sock\nSymlinks=/run/l4\n",
        ),
        (
            "acceptok.socket",
            "[Socket]\nListenStream=/run/acceptok.sock\nListenSequentialPacket=/run/acceptok.seq\nListenStream=7790\nAccept=yes\n",
        ),
    ]);
    assert_eq!(
        show(&t, "onelink.socket", "LoadState,Symlinks"),
        "Symlinks=/run/l4\nLoadState=loaded\n"
    );
    // Accept=yes starts an instance per connection: nothing to trigger at load.
    assert_eq!(
        show(
            &t,
            "acceptok.socket",
            "LoadState,Triggers,TriggerLimitBurst,RequiresMountsFor"
        ),
        "TriggerLimitBurst=200
Triggers=
RequiresMountsFor=/run/acceptok.sock /run/acceptok.seq
LoadState=loaded
"
    );
}

#[test]
fn a_socket_triggers_the_service_it_names_whatever_its_name() {
    let t = tree(&[
        (
            "trig.socket",
            "[Socket]\nListenStream=/run/trig.sock\nService=worker.service\n",
        ),
        ("worker.service", "[Service]\nExecStart=/bin/sleep 1000\n"),
        (
            "inst.socket",
            "[Socket]\nListenStream=/run/inst.sock\nService=tmpl@inst.service\n",
        ),
    ]);
    assert_eq!(
        show(&t, "trig.socket", "Triggers,Before"),
        "Before=worker.service sockets.target shutdown.target\nTriggers=worker.service\n"
    );
    assert_eq!(
        show(&t, "worker.service", "TriggeredBy,After"),
        "After=system.slice systemd-journald.socket sysinit.target basic.target trig.socket
TriggeredBy=trig.socket
"
    );
    assert_eq!(
        show(&t, "inst.socket", "Triggers"),
        "Triggers=tmpl@inst.service\n"
    );
}

#[test]
fn sockets_of_a_service_are_wanted_ordered_and_trigger_it() {
    let t = tree(&[
        (
            "sockuser.service",
            "[Service]
ExecStart=/bin/sleep 1000
Sockets=plain.socket bad!name.socket notsocket.service
Sockets=
Sockets=%p-extra.socket
Sockets=plain.socket
FileDescriptorStoreMax=x
",
        ),
        ("plain.socket", "[Socket]\nListenStream=/run/plain.sock\n"),
        (
            "sockuser-extra.socket",
            "[Socket]\nListenStream=/run/sockuser-extra.sock\n",
        ),
        ("plain.service", "[Service]\nExecStart=/bin/sleep 1000\n"),
    ]);
    assert_eq!(
        warnings(&t, "sockuser.service"),
        [
            "3: Failed to add dependency on bad!name.socket, ignoring: Invalid argument",
            "3: Failed to add dependency on bad!name.socket, ignoring: Invalid argument",
            "3: Unit must be of type socket, ignoring: notsocket.service",
            "7: Failed to parse FileDescriptorStoreMax value, ignoring: x",
        ]
    );
    // An empty Sockets= resets nothing: systemd adds the dependencies as it reads them.
    assert_eq!(
        show(
            &t,
            "sockuser.service",
            "Wants,After,TriggeredBy,FileDescriptorStoreMax"
        ),
        "FileDescriptorStoreMax=0
Wants=plain.socket sockuser-extra.socket
After=plain.socket sockuser-extra.socket system.slice systemd-journald.socket sysinit.target basic.target
TriggeredBy=plain.socket sockuser-extra.socket
"
    );
    assert_eq!(
        show(&t, "plain.socket", "Triggers,Before"),
        "Before=plain.service sockets.target shutdown.target sockuser.service
Triggers=plain.service sockuser.service
"
    );
    // The socket of the service's own name comes first.
    assert_eq!(
        show(&t, "plain.service", "TriggeredBy"),
        "TriggeredBy=plain.socket\n"
    );
}

#[test]
fn the_file_descriptor_store_is_shown_and_needs_notifications() {
    let t = tree(&[(
        "store.service",
        "[Service]\nExecStart=/bin/sleep 1000\nFileDescriptorStoreMax=3\n",
    )]);
    assert_eq!(
        show(
            &t,
            "store.service",
            "NotifyAccess,FileDescriptorStoreMax,NFileDescriptorStore"
        ),
        "NotifyAccess=main\nFileDescriptorStoreMax=3\nNFileDescriptorStore=0\n"
    );
}

/// systemd-timesyncd (Type=notify with BusName=) got After=dbus.socket, which closed an ordering
/// cycle through sysinit.target and hung the e2e container's shutdown. service_setup_bus_name()
/// adds Requires= and After=dbus.socket for Type=dbus only (checked with systemd 252 as PID 1).
#[test]
fn bus_name_pulls_in_dbus_socket_only_for_type_dbus() {
    let t = tree(&[
        (
            "timesync.service",
            "[Service]\nType=notify\nBusName=org.example.timesync\nExecStart=/bin/sleep 1000\n",
        ),
        (
            "bus.service",
            "[Service]\nBusName=org.example.bus\nExecStart=/bin/sleep 1000\n",
        ),
    ]);
    let notify = show(&t, "timesync.service", "After,Requires");
    assert!(!notify.contains("dbus.socket"), "{notify}");
    let dbus = show(&t, "bus.service", "Type,After,Requires");
    assert!(
        dbus.contains("Type=dbus"),
        "BusName= alone makes Type=dbus: {dbus}"
    );
    for line in dbus.lines().filter(|l| !l.starts_with("Type=")) {
        assert!(line.contains("dbus.socket"), "{line}");
    }
}
