//! Socket addresses of `Listen…=`, as systemd 252's socket-util.c reads and prints them
//! (`socket_address_parse()`, `socket_address_print()`) and socket-netlink.c reads a netlink one
//! (`socket_address_parse_netlink()`), with the helpers they call: `parse_ip_port()`,
//! `socket_ipv6_is_supported()`, `ifname_valid_full()`, `rtnl_resolve_interface()` and
//! `cescape()`.

/// A socket address as socket-util.c's `socket_address_parse()` and
/// `socket_address_parse_netlink()` read it; `Display` is `socket_address_print()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketAddress {
    /// A unix socket in the file system.
    Path(String),
    /// A unix socket in the abstract namespace, without the leading `@`.
    Abstract(String),
    /// An IP address and port; an IPv6 one may name its interface by index (`[::1]:80%eth0`).
    Inet(std::net::SocketAddr),
    /// `vsock:CID:PORT`; `None` is any CID (`vsock::PORT`).
    Vsock { cid: Option<u32>, port: u32 },
    /// `ListenNetlink=FAMILY [GROUP]`.
    Netlink { family: i32, group: u32 },
}

/// sockaddr_un's sun_path is 108 bytes, and systemd wants room for the terminating NUL.
const UNIX_PATH_MAX: usize = 108;

/// netlink.h's protocol numbers under systemd's names (`netlink_family_table`).
const NETLINK_FAMILIES: &[(i32, &str)] = &[
    (0, "route"),
    (3, "firewall"),
    (4, "inet-diag"),
    (5, "nflog"),
    (6, "xfrm"),
    (7, "selinux"),
    (8, "iscsi"),
    (9, "audit"),
    (10, "fib-lookup"),
    (11, "connector"),
    (12, "netfilter"),
    (13, "ip6-fw"),
    (14, "dnrtmsg"),
    (15, "kobject-uevent"),
    (16, "generic"),
    (18, "scsitransport"),
    (19, "ecryptfs"),
    (20, "rdma"),
];

fn errno(code: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(code)
}

/// `parse_ip_port()`: a decimal port, not 0.
fn parse_port(s: &str) -> std::io::Result<u16> {
    match s.parse::<u16>() {
        Ok(0) => Err(errno(libc::EINVAL)),
        Ok(port) => Ok(port),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Err(errno(libc::ERANGE)),
        Err(_) => Err(errno(libc::EINVAL)),
    }
}

/// `socket_ipv6_is_supported()`: a bare port listens on IPv6 only where the kernel has it.
pub(super) fn ipv6_supported() -> bool {
    std::path::Path::new("/proc/net/if_inet6").exists()
}

/// `ifname_valid_full(…, IFNAME_VALID_ALTERNATIVE | IFNAME_VALID_NUMERIC)` when `alternative`,
/// else `ifname_valid()`: what may name a network interface.
pub(super) fn ifname_valid(name: &str, alternative: bool) -> bool {
    // IFNAMSIZ and ALTIFNAMSIZ count the terminating NUL
    let max = if alternative { 127 } else { 15 };
    !name.is_empty()
        && name.len() <= max
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b':' && b != b'/')
}

/// The interface index a `%NAME` suffix names (`rtnl_resolve_interface()`): a number as is, a
/// name looked up.
fn interface_index(name: &str) -> std::io::Result<u32> {
    if let Ok(index) = name.parse::<u32>() {
        if index > 0 {
            return Ok(index);
        }
    }
    let c_name = std::ffi::CString::new(name).map_err(|_| errno(libc::EINVAL))?;
    // SAFETY: if_nametoindex reads the NUL-terminated string we own.
    match unsafe { libc::if_nametoindex(c_name.as_ptr()) } {
        0 => Err(errno(libc::ENODEV)),
        index => Ok(index),
    }
}

/// `FORMAT_IFNAME_FULL(index, FORMAT_IFNAME_IFINDEX)`: the interface's name, or its number.
fn interface_name(index: u32) -> String {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: if_indextoname writes at most IF_NAMESIZE bytes, NUL included, into buf.
    let found = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if found.is_null() {
        return index.to_string();
    }
    // SAFETY: on success buf holds a NUL-terminated name.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// `in_addr_port_ifindex_name_from_string_auto()` without a server name: `A.B.C.D:PORT`,
/// `[IPV6]:PORT`, either followed by `%IFNAME`.
fn parse_inet(s: &str) -> std::io::Result<std::net::SocketAddr> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
    if s.contains('#') {
        return Err(errno(libc::EINVAL));
    }
    let (s, scope) = match s.split_once('%') {
        Some((address, name)) => {
            if !ifname_valid(name, true) {
                return Err(errno(libc::EINVAL));
            }
            (address, interface_index(name)?)
        }
        None => (s, 0),
    };
    let invalid = || errno(libc::EINVAL);
    // An address without a port parses, but systemd then refuses port 0.
    let Some((host, port)) = s.rsplit_once(':') else {
        return Err(invalid());
    };
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or_else(invalid)?;
        let port = parse_port(port)?;
        let ip: Ipv6Addr = inner.parse().map_err(|_| invalid())?;
        return Ok(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope)));
    }
    if s.parse::<Ipv6Addr>().is_ok() {
        return Err(invalid());
    }
    let ip: Ipv4Addr = host.parse().map_err(|_| invalid())?;
    Ok(SocketAddr::from((ip, parse_port(port)?)))
}

impl SocketAddress {
    /// `socket_address_parse()`: `/path`, `@abstract`, `vsock:CID:PORT`, `PORT`,
    /// `A.B.C.D:PORT`, `[IPV6]:PORT[%IFNAME]`. The error is the errno systemd reports.
    pub fn parse(s: &str) -> std::io::Result<SocketAddress> {
        use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
        if s.starts_with('/') || s.starts_with('@') {
            if s.len() >= UNIX_PATH_MAX || s.contains('\0') {
                return Err(errno(libc::EINVAL));
            }
            return Ok(match s.strip_prefix('@') {
                Some(name) => SocketAddress::Abstract(name.to_string()),
                None => SocketAddress::Path(s.to_string()),
            });
        }
        if let Some(rest) = s.strip_prefix("vsock:") {
            let (cid, port) = rest.split_once(':').ok_or_else(|| errno(libc::EINVAL))?;
            let number = |n: &str| {
                n.parse::<u32>().map_err(|e| match e.kind() {
                    std::num::IntErrorKind::PosOverflow => errno(libc::ERANGE),
                    _ => errno(libc::EINVAL),
                })
            };
            let cid = match cid {
                "" => None,
                n => Some(number(n)?),
            };
            return Ok(SocketAddress::Vsock {
                cid,
                port: number(port)?,
            });
        }
        match parse_port(s) {
            Ok(port) if ipv6_supported() => Ok(SocketAddress::Inet(SocketAddr::from((
                Ipv6Addr::UNSPECIFIED,
                port,
            )))),
            Ok(port) => Ok(SocketAddress::Inet(SocketAddr::from((
                Ipv4Addr::UNSPECIFIED,
                port,
            )))),
            Err(e) if e.raw_os_error() == Some(libc::ERANGE) => Err(e),
            Err(_) => parse_inet(s).map(SocketAddress::Inet),
        }
    }

    /// `socket_address_parse_netlink()`: a family (name or number) and an optional group.
    pub fn parse_netlink(s: &str) -> std::io::Result<SocketAddress> {
        let invalid = || errno(libc::EINVAL);
        let s = s.trim_start();
        let (word, group) = match s.split_once(char::is_whitespace) {
            Some((word, rest)) => (word, rest.trim()),
            None => (s, ""),
        };
        let family = NETLINK_FAMILIES
            .iter()
            .find(|(_, name)| *name == word)
            .map(|(number, _)| *number)
            .or_else(|| word.parse::<i32>().ok().filter(|n| *n >= 0))
            .ok_or_else(invalid)?;
        let group = match group {
            "" => 0,
            g => g.parse::<u32>().map_err(|_| invalid())?,
        };
        Ok(SocketAddress::Netlink { family, group })
    }

    /// A unix socket, in the file system or abstract.
    pub fn is_unix(&self) -> bool {
        matches!(self, SocketAddress::Path(_) | SocketAddress::Abstract(_))
    }
}

/// `cescape()`: what sockaddr_pretty() makes of a unix socket's name.
fn cescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x0b => out.push_str("\\v"),
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\'' => out.push_str("\\'"),
            b if !(b' '..0x7f).contains(&b) => out.push_str(&format!("\\{b:03o}")),
            b => out.push(char::from(b)),
        }
    }
    out
}

impl std::fmt::Display for SocketAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::net::SocketAddr;
        match self {
            SocketAddress::Path(path) => f.write_str(&cescape(path)),
            SocketAddress::Abstract(name) => write!(f, "@{}", cescape(name)),
            SocketAddress::Inet(SocketAddr::V4(a)) => write!(f, "{}:{}", a.ip(), a.port()),
            SocketAddress::Inet(SocketAddr::V6(a)) => {
                // inet_ntop() writes an IPv4-compatible address with its IPv4 tail
                let segments = a.ip().segments();
                let ip = match a.ip().octets() {
                    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b0, b1, b2, b3] if segments[6] != 0 => {
                        format!("::{b0}.{b1}.{b2}.{b3}")
                    }
                    _ => a.ip().to_string(),
                };
                write!(f, "[{ip}]:{}", a.port())?;
                // the interface comes after the port, as systemd parses it
                if a.scope_id() != 0 {
                    write!(f, "%{}", interface_name(a.scope_id()))?;
                }
                Ok(())
            }
            SocketAddress::Vsock { cid: None, port } => write!(f, "vsock::{port}"),
            SocketAddress::Vsock {
                cid: Some(cid),
                port,
            } => write!(f, "vsock:{cid}:{port}"),
            SocketAddress::Netlink { family, group } => {
                match NETLINK_FAMILIES.iter().find(|(n, _)| n == family) {
                    Some((_, name)) => write!(f, "{name} {group}"),
                    None => write!(f, "{family} {group}"),
                }
            }
        }
    }
}
