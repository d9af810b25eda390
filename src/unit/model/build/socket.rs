//! The [Socket] section, as systemd 252's load-fragment.c parses it
//! (`config_parse_socket_listen()`, `config_parse_socket_bind()`, `config_parse_socket_service()`,
//! `config_parse_ip_tos()`, `config_parse_socket_protocol()`, `config_parse_fdname()` and the
//! other parsers load-fragment-gperf.gperf.in lists under `Socket.`), and socket.c's
//! `socket_verify()`.

use super::*;
use crate::unit::model::socket_address::{ifname_valid, ipv6_supported};
use crate::unit::name::UnitName;
use crate::unit::timespan;

impl Builder {
    pub(super) fn socket_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let listen_kind = match a.key {
            "ListenStream" => Some("Stream"),
            "ListenDatagram" => Some("Datagram"),
            "ListenSequentialPacket" => Some("SequentialPacket"),
            "ListenFIFO" => Some("FIFO"),
            "ListenSpecial" => Some("Special"),
            "ListenNetlink" => Some("Netlink"),
            "ListenMessageQueue" => Some("MessageQueue"),
            "ListenUSBFunction" => Some("USBFunction"),
            _ => None,
        };
        if let Some(kind) = listen_kind {
            if value.is_empty() {
                self.socket.listen.clear();
                return true;
            }
            if let Some(address) = self.printf(a, value) {
                if let Some(address) = self.listen_address(a, kind, address) {
                    self.socket.listen.push(Listen { kind, address });
                }
            }
            return true;
        }
        if self.socket_bool(a) || self.socket_number(a) {
            return true;
        }
        match a.key {
            "Service" => self.socket_service(a),
            "SocketMode" | "DirectoryMode" => match u32::from_str_radix(value, 8) {
                Ok(m) if m <= 0o7777 => {
                    let mode = format!("{m:04o}");
                    if a.key == "SocketMode" {
                        self.socket.socket_mode = mode;
                    } else {
                        self.socket.directory_mode = mode;
                    }
                }
                _ => self.invalid(a),
            },
            "SocketUser" | "SocketGroup" => {
                let v = if value.is_empty() {
                    None
                } else {
                    match self.printf(a, value) {
                        Some(v) => Some(v),
                        None => return true,
                    }
                };
                if a.key == "SocketUser" {
                    self.socket.socket_user = v;
                } else {
                    self.socket.socket_group = v;
                }
            }
            "FileDescriptorName" => {
                // config_parse_fdname(): what sd_listen_fds_with_names() can hand over
                if value.is_empty() {
                    self.socket.file_descriptor_name = None;
                    return true;
                }
                let Some(name) = self.printf(a, value) else {
                    return true;
                };
                let valid = name.len() <= 255
                    && name.bytes().all(|b| (b' '..0x7f).contains(&b) && b != b':');
                if valid {
                    self.socket.file_descriptor_name = Some(name);
                } else {
                    self.warn(a, format!("Invalid file descriptor name, ignoring: {name}"));
                }
            }
            "BindIPv6Only" => {
                // config_parse_socket_bind(): a boolean means ipv6-only or both
                let mode = match (value, parse_boolean(value)) {
                    ("default" | "both" | "ipv6-only", _) => value,
                    (_, Some(true)) => "ipv6-only",
                    (_, Some(false)) => "both",
                    (_, None) => {
                        let msg =
                            format!("Failed to parse bind IPv6 only value, ignoring: {value}");
                        self.warn(a, msg);
                        return true;
                    }
                };
                self.socket.bind_ipv6_only = mode.to_string();
            }
            "BindToDevice" => {
                if value.is_empty() || value == "*" {
                    self.socket.bind_to_device = None;
                } else if ifname_valid(value, false) {
                    self.socket.bind_to_device = Some(value.to_string());
                } else {
                    self.warn(a, format!("Invalid interface name, ignoring: {value}"));
                }
            }
            "ReceiveBuffer" | "SendBuffer" | "PipeSize" => {
                match crate::unit::size::parse_iec_size(value) {
                    Ok(size) => {
                        let s = &mut self.socket;
                        match a.key {
                            "ReceiveBuffer" => s.receive_buffer = Some(size),
                            "SendBuffer" => s.send_buffer = Some(size),
                            _ => s.pipe_size = size,
                        }
                    }
                    Err(e) => {
                        let msg = format!(
                            "Failed to parse size value '{value}', ignoring: {}",
                            crate::errno::text(&e)
                        );
                        self.warn(a, msg);
                    }
                }
            }
            "IPTOS" => match parse_ip_tos(value) {
                Some(tos) => self.socket.ip_tos = tos,
                None => self.warn(
                    a,
                    format!("Failed to parse IP TOS value, ignoring: {value}"),
                ),
            },
            "Timestamping" => {
                // socket_timestamping_from_string_harder(): a boolean yes means nanoseconds
                let precision = match (value, parse_boolean(value)) {
                    ("off", _) => Timestamping::Off,
                    ("us" | "usec" | "µs" | "μs", _) => Timestamping::Us,
                    ("ns" | "nsec", _) | (_, Some(true)) => Timestamping::Ns,
                    (_, Some(false)) => Timestamping::Off,
                    (_, None) => {
                        let msg =
                            format!("Failed to parse timestamping precision, ignoring: {value}");
                        self.warn(a, msg);
                        return true;
                    }
                };
                self.socket.timestamping = precision;
            }
            "SocketProtocol" => match socket_protocol(value) {
                Some(protocol) => self.socket.socket_protocol = protocol,
                None => {
                    let msg = format!("Failed to parse socket protocol, ignoring: {value}");
                    self.warn(a, msg);
                }
            },
            "TCPCongestion" | "SmackLabel" | "SmackLabelIPIn" | "SmackLabelIPOut" => {
                let v = (!value.is_empty()).then(|| value.to_string());
                let s = &mut self.socket;
                match a.key {
                    "TCPCongestion" => s.tcp_congestion = v,
                    "SmackLabel" => s.smack_label = v,
                    "SmackLabelIPIn" => s.smack_label_ip_in = v,
                    _ => s.smack_label_ip_out = v,
                }
            }
            "Symlinks" => self.symlinks(a),
            "SELinuxContextFromNet" => {
                // checked as systemd does, then dropped: there is no SELinux policy to label with
                if parse_boolean(value).is_none() {
                    self.invalid(a);
                }
            }
            _ => return false,
        }
        true
    }

    /// The boolean settings of [Socket] (config_parse_bool()).
    fn socket_bool(&mut self, a: &Assignment) -> bool {
        let field: fn(&mut SocketSection) -> &mut bool = match a.key {
            "Accept" => |s| &mut s.accept,
            "RemoveOnStop" => |s| &mut s.remove_on_stop,
            "PassCredentials" => |s| &mut s.pass_credentials,
            "PassSecurity" => |s| &mut s.pass_security,
            "PassPacketInfo" => |s| &mut s.pass_packet_info,
            "KeepAlive" => |s| &mut s.keep_alive,
            "NoDelay" => |s| &mut s.no_delay,
            "ReusePort" => |s| &mut s.reuse_port,
            "FreeBind" => |s| &mut s.free_bind,
            "Transparent" => |s| &mut s.transparent,
            "Broadcast" => |s| &mut s.broadcast,
            "Writable" => |s| &mut s.writable,
            "FlushPending" => |s| &mut s.flush_pending,
            _ => return false,
        };
        match parse_boolean(a.value) {
            Some(v) => *field(&mut self.socket) = v,
            None => self.invalid(a),
        }
        true
    }

    /// The numeric and time settings of [Socket]: config_parse_unsigned(), config_parse_int(),
    /// config_parse_long(), config_parse_sec(); none takes an empty value to mean a reset.
    fn socket_number(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let s = &mut self.socket;
        let ok = match a.key {
            "Backlog" => value.parse().map(|n| s.backlog = n).is_ok(),
            "MaxConnections" => value.parse().map(|n| s.max_connections = n).is_ok(),
            "MaxConnectionsPerSource" => value
                .parse()
                .map(|n| s.max_connections_per_source = n)
                .is_ok(),
            "KeepAliveProbes" => value.parse().map(|n| s.keep_alive_probes = Some(n)).is_ok(),
            // socket_add_extras() takes UINT_MAX for "not set"
            "TriggerLimitBurst" => value
                .parse()
                .map(|n| s.trigger_limit_burst = (n != u32::MAX).then_some(n))
                .is_ok(),
            "Priority" => value.parse().map(|n| s.priority = Some(n)).is_ok(),
            "Mark" => value.parse().map(|n| s.mark = Some(n)).is_ok(),
            "IPTTL" => value.parse().map(|n| s.ip_ttl = n).is_ok(),
            "MessageQueueMaxMessages" => value
                .parse()
                .map(|n| s.message_queue_max_messages = n)
                .is_ok(),
            "MessageQueueMessageSize" => value
                .parse()
                .map(|n| s.message_queue_message_size = n)
                .is_ok(),
            "KeepAliveTimeSec"
            | "KeepAliveIntervalSec"
            | "DeferAcceptSec"
            | "TriggerLimitIntervalSec" => match timespan::parse_sec(value) {
                Ok(v) => {
                    match a.key {
                        "KeepAliveTimeSec" => s.keep_alive_time = Some(v),
                        "KeepAliveIntervalSec" => s.keep_alive_interval = Some(v),
                        "DeferAcceptSec" => s.defer_accept = v,
                        // socket_add_extras() takes infinity for "not set"
                        _ => s.trigger_limit_interval = (v != Usec::INFINITY).then_some(v),
                    }
                    true
                }
                Err(_) => false,
            },
            "TimeoutSec" => match timespan::parse_sec(value) {
                // config_parse_sec_fix_0(): 0 means no timeout
                Ok(v) => {
                    s.timeout = if v == Usec::ZERO { Usec::INFINITY } else { v };
                    true
                }
                Err(_) => false,
            },
            _ => return false,
        };
        if !ok {
            self.invalid(a);
        }
        true
    }

    /// config_parse_socket_service(): a service by name, not a template. A bad value only warns,
    /// and leaves the socket's own name.
    fn socket_service(&mut self, a: &Assignment) {
        let Some(name) = self.printf(a, a.value) else {
            return;
        };
        if !name.ends_with(".service") {
            let msg = format!("Unit must be of type service, ignoring: {}", a.value);
            self.warn(a, msg);
            return;
        }
        let problem = match UnitName::parse(&name) {
            Ok(n) if !n.is_template() => {
                self.socket.service = Some(name);
                return;
            }
            Ok(_) => format!("Unit name {name} is missing the instance name."),
            Err(_) => format!("Unit name {name} is not valid."),
        };
        let msg = format!("Failed to load unit {}, ignoring: {problem}", a.value);
        self.warn(a, msg);
    }

    /// `Symlinks=` (config_parse_unit_path_strv_printf()): absolute paths, accumulating; empty
    /// resets. A bad word drops the rest of the line, as systemd stops there.
    fn symlinks(&mut self, a: &Assignment) {
        if a.value.is_empty() {
            self.socket.symlinks.clear();
            return;
        }
        let Some(words) = self.words(a, a.value) else {
            return;
        };
        for word in words {
            let Some(path) = self.printf(a, &word) else {
                return;
            };
            let Some(path) = self.absolute_path(a, &path) else {
                return;
            };
            self.socket.symlinks.push(path);
        }
    }

    /// `path_simplify_and_warn(…, PATH_CHECK_ABSOLUTE)`: the path simplified, or a warning.
    fn absolute_path(&mut self, a: &Assignment, path: &str) -> Option<String> {
        let key = a.key;
        if !path.starts_with('/') {
            self.warn(a, format!("{key}= path is not absolute, ignoring: {path}"));
            return None;
        }
        let simplified = simplify_path(path);
        let components_fit = simplified.split('/').all(|c| c.len() <= 255);
        if simplified.len() >= 4096 || !components_fit {
            let n = simplified.len();
            self.warn(
                a,
                format!("{key}= path has invalid length ({n} bytes), ignoring."),
            );
            return None;
        }
        if simplified.split('/').any(|c| c == "..") {
            let msg = format!("{key}= path is not normalized, ignoring: {simplified}");
            self.warn(a, msg);
            return None;
        }
        Some(simplified)
    }

    /// The address a `Listen…=` line keeps (config_parse_socket_listen()), or a warning.
    fn listen_address(&mut self, a: &Assignment, kind: &str, address: String) -> Option<String> {
        match kind {
            "FIFO" | "Special" | "MessageQueue" | "USBFunction" => {
                let path = self.absolute_path(a, &address)?;
                Some(if kind == "FIFO" {
                    below_run(path)
                } else {
                    path
                })
            }
            "Netlink" => match SocketAddress::parse_netlink(&address) {
                Ok(_) => Some(address),
                Err(e) => {
                    self.bad_address(a, &address, &e);
                    None
                }
            },
            _ => {
                let address = if address.starts_with('/') {
                    below_run(address)
                } else {
                    address
                };
                let parsed = match SocketAddress::parse(&address) {
                    Ok(parsed) => parsed,
                    Err(e) => {
                        self.bad_address(a, &address, &e);
                        return None;
                    }
                };
                // socket_address_parse_and_warn()
                if matches!(parsed, SocketAddress::Inet(std::net::SocketAddr::V6(_)))
                    && !ipv6_supported()
                {
                    let msg =
                        "Binding to IPv6 address not available since kernel does not support IPv6.";
                    self.warn(a, msg);
                    return None;
                }
                if kind == "SequentialPacket" && !parsed.is_unix() {
                    let msg = format!("Address family not supported, ignoring: {}", a.value);
                    self.warn(a, msg);
                    return None;
                }
                Some(address)
            }
        }
    }

    fn bad_address(&mut self, a: &Assignment, address: &str, e: &std::io::Error) {
        let msg = format!(
            "Failed to parse address value in '{address}', ignoring: {}",
            crate::errno::text(e)
        );
        self.warn(a, msg);
    }
}

/// config_parse_socket_listen()'s `patch_var_run()`: a path below the legacy `/var/run/` is
/// taken to be below `/run/`. systemd logs a notice for it; a unit shipped by a distribution
/// cannot change, so that notice is left out here, where warnings are for the admin to act on.
fn below_run(path: String) -> String {
    match path.strip_prefix("/var/run/") {
        Some(rest) => format!("/run/{rest}"),
        None => path,
    }
}

/// `ip_tos_from_string()`: a name from ip(7) or a number up to 255.
fn parse_ip_tos(s: &str) -> Option<i32> {
    match s {
        "low-delay" => Some(0x10),
        "throughput" => Some(0x08),
        "reliability" => Some(0x04),
        "low-cost" => Some(0x02),
        _ => s.parse::<u8>().ok().map(i32::from),
    }
}

/// config_parse_socket_protocol(): IPPROTO_SCTP or IPPROTO_UDPLITE, by name (in any case) or
/// number; systemd 252 refuses every other protocol as unparsable.
fn socket_protocol(s: &str) -> Option<i32> {
    match s.to_ascii_lowercase().as_str() {
        "sctp" | "132" => Some(132),
        "udplite" | "136" => Some(136),
        _ => None,
    }
}

/// The refusals of systemd 252's `socket_verify()`, in its order.
pub(super) fn verify_socket(s: &SocketSection, pam_without_cgroup_kill: bool) -> Option<String> {
    let non_accepting = s.listen.iter().any(|l| !l.can_accept());
    let msg = if s.listen.is_empty() {
        "Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing."
    } else if s.accept && non_accepting {
        "Unit configured for accepting sockets, but sockets are non-accepting. Refusing."
    } else if s.accept && s.max_connections == 0 {
        "MaxConnection= setting too small. Refusing."
    } else if s.accept && s.service.is_some() {
        "Explicit service configuration for accepting socket units not supported. Refusing."
    } else if pam_without_cgroup_kill {
        "Unit has PAM enabled. Kill mode must be set to 'control-group'. Refusing."
    } else if !s.symlinks.is_empty() && s.listen.iter().filter_map(Listen::node_path).count() != 1 {
        "Unit has symlinks set but none or more than one node in the file system. Refusing."
    } else {
        return None;
    };
    Some(msg.to_string())
}
