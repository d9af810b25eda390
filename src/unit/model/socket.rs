//! The [Socket] settings of systemd.socket(5) as systemd 252's load-fragment.c keeps them, with
//! their defaults.

use super::SocketAddress;
use crate::unit::state::string_table;
use crate::unit::timespan::Usec;

string_table! {
    /// `Timestamping=` (socket.c's `SocketTimestamping`): the precision of SO_TIMESTAMP(NS).
    pub enum Timestamping {
        Off => "off",
        Us => "us",
        Ns => "ns",
    }
}

/// `Listen…=` of systemd.socket(5), with the kind `systemctl show` prints in parentheses.
///
/// `address` is the value as loading left it: specifiers expanded, a FIFO's, special file's,
/// message queue's or USB function's path simplified, and a path below `/var/run/` moved to
/// `/run/`; a socket address is known to parse (see [`Listen::socket_address`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub kind: &'static str,
    pub address: String,
}

impl Listen {
    /// The address of a socket listener (`ListenStream=`, `ListenDatagram=`,
    /// `ListenSequentialPacket=`, `ListenNetlink=`); `None` for the other kinds, which are paths.
    pub fn socket_address(&self) -> Option<SocketAddress> {
        match self.kind {
            "Stream" | "Datagram" | "SequentialPacket" => SocketAddress::parse(&self.address).ok(),
            "Netlink" => SocketAddress::parse_netlink(&self.address).ok(),
            _ => None,
        }
    }

    /// The address as systemd prints it in `Listen=`, `status` and `list-sockets`
    /// (`socket_address_print()`): a bare port listens on `[::]:PORT`, a netlink socket is
    /// `FAMILY GROUP`, a unix path is C-escaped.
    pub fn listen_display(&self) -> String {
        match self.socket_address() {
            Some(address) => address.to_string(),
            None => self.address.clone(),
        }
    }

    /// Whether a connection can be accepted on it (`socket_address_can_accept()`): stream and
    /// sequential-packet sockets.
    pub fn can_accept(&self) -> bool {
        matches!(self.kind, "Stream" | "SequentialPacket")
    }

    /// The file system node the listener creates: a unix socket's path or a FIFO
    /// (`socket_find_symlink_target()`), what `Symlinks=` links to.
    pub fn node_path(&self) -> Option<&str> {
        match self.kind {
            "FIFO" => Some(&self.address),
            "Stream" | "Datagram" | "SequentialPacket" if self.address.starts_with('/') => {
                Some(&self.address)
            }
            _ => None,
        }
    }

    /// The path whose file system the listener needs mounted (`socket_add_mount_dependencies()`):
    /// its node, a special file or a USB function; not a message queue, which lives in mqueue.
    pub fn mount_path(&self) -> Option<&str> {
        match self.kind {
            "Special" | "USBFunction" => Some(&self.address),
            _ => self.node_path(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketSection {
    pub listen: Vec<Listen>,
    pub accept: bool,
    pub service: Option<String>,
    pub socket_mode: String,
    pub directory_mode: String,
    pub socket_user: Option<String>,
    pub socket_group: Option<String>,
    pub remove_on_stop: bool,
    pub file_descriptor_name: Option<String>,
    pub max_connections: u32,
    pub backlog: u32,
    pub pass_credentials: bool,
    pub timeout: Usec,
    /// `default`, `both` or `ipv6-only`.
    pub bind_ipv6_only: String,
    /// `BindToDevice=`: the network interface the sockets are bound to.
    pub bind_to_device: Option<String>,
    pub keep_alive: bool,
    /// KeepAliveTimeSec=, KeepAliveIntervalSec=, KeepAliveProbes=: 0, like unset, keeps the
    /// kernel's value (socket.c sets the option only when it is positive).
    pub keep_alive_time: Option<Usec>,
    pub keep_alive_interval: Option<Usec>,
    pub keep_alive_probes: Option<u32>,
    /// `DeferAcceptSec=`; 0 is off.
    pub defer_accept: Usec,
    pub no_delay: bool,
    /// Priority=, Mark=: a negative value, like unset, leaves the option alone.
    pub priority: Option<i32>,
    /// ReceiveBuffer=, SendBuffer=, in bytes: 0, like unset, leaves the option alone.
    pub receive_buffer: Option<u64>,
    pub send_buffer: Option<u64>,
    /// `IPTOS=`, `IPTTL=`: -1 leaves the option alone.
    pub ip_tos: i32,
    pub ip_ttl: i32,
    /// `PipeSize=` of a FIFO, in bytes; 0 keeps the kernel's.
    pub pipe_size: u64,
    pub mark: Option<i32>,
    pub reuse_port: bool,
    pub free_bind: bool,
    pub transparent: bool,
    pub broadcast: bool,
    pub pass_security: bool,
    pub pass_packet_info: bool,
    pub timestamping: Timestamping,
    pub flush_pending: bool,
    pub writable: bool,
    /// Absolute paths made symlinks to the one node in the file system (see
    /// [`Listen::node_path`]).
    pub symlinks: Vec<String>,
    pub max_connections_per_source: u32,
    /// MessageQueueMaxMessages=, MessageQueueMessageSize=: 0 keeps the kernel's default.
    pub message_queue_max_messages: i64,
    pub message_queue_message_size: i64,
    pub tcp_congestion: Option<String>,
    pub smack_label: Option<String>,
    pub smack_label_ip_in: Option<String>,
    pub smack_label_ip_out: Option<String>,
    /// `SocketProtocol=`: 0 (the type's default), IPPROTO_UDPLITE (136) or IPPROTO_SCTP (132).
    pub socket_protocol: i32,
    /// TriggerLimitIntervalSec=/TriggerLimitBurst= as written; see [`SocketSection::trigger_limit`].
    pub trigger_limit_interval: Option<Usec>,
    pub trigger_limit_burst: Option<u32>,
}

impl SocketSection {
    /// The trigger limit in force: unset values default as socket.c's `socket_add_extras()`
    /// sets them, 2 s and 20 activations (200 with Accept=yes).
    pub fn trigger_limit(&self) -> (Usec, u32) {
        (
            self.trigger_limit_interval.unwrap_or(Usec::secs(2)),
            self.trigger_limit_burst
                .unwrap_or(if self.accept { 200 } else { 20 }),
        )
    }

    /// The service socket unit `socket_id` starts and hands its listeners to: `Service=`, else
    /// the socket's own name as a service. None with Accept=yes, which starts an instance per
    /// connection; as socket.c's `have_non_accept_socket()`, a listener that cannot accept
    /// makes it one service even then (such a unit is refused at load, yet has the dependency).
    pub fn triggered_service(&self, socket_id: &str) -> Option<String> {
        let one_service = !self.accept || self.listen.iter().any(|l| !l.can_accept());
        if !one_service {
            return None;
        }
        Some(self.service.clone().unwrap_or_else(|| {
            let stem = socket_id.strip_suffix(".socket").unwrap_or(socket_id);
            format!("{stem}.service")
        }))
    }
}

/// systemd 252's default `Backlog=`, SOMAXCONN_DELUXE: as many as the kernel allows
/// (net.core.somaxconn caps it).
const SOCKET_BACKLOG_DEFAULT: u32 = i32::MAX as u32;

impl Default for SocketSection {
    fn default() -> Self {
        SocketSection {
            listen: Vec::new(),
            accept: false,
            service: None,
            socket_mode: "0666".into(),
            directory_mode: "0755".into(),
            socket_user: None,
            socket_group: None,
            remove_on_stop: false,
            file_descriptor_name: None,
            max_connections: 64,
            backlog: SOCKET_BACKLOG_DEFAULT,
            pass_credentials: false,
            timeout: Usec::secs(90),
            bind_ipv6_only: "default".into(),
            bind_to_device: None,
            keep_alive: false,
            keep_alive_time: None,
            keep_alive_interval: None,
            keep_alive_probes: None,
            defer_accept: Usec::ZERO,
            no_delay: false,
            priority: None,
            receive_buffer: None,
            send_buffer: None,
            ip_tos: -1,
            ip_ttl: -1,
            pipe_size: 0,
            mark: None,
            reuse_port: false,
            free_bind: false,
            transparent: false,
            broadcast: false,
            pass_security: false,
            pass_packet_info: false,
            timestamping: Timestamping::Off,
            flush_pending: false,
            writable: false,
            symlinks: Vec::new(),
            max_connections_per_source: 0,
            message_queue_max_messages: 0,
            message_queue_message_size: 0,
            tcp_congestion: None,
            smack_label: None,
            smack_label_ip_in: None,
            smack_label_ip_out: None,
            socket_protocol: 0,
            trigger_limit_interval: None,
            trigger_limit_burst: None,
        }
    }
}
