//! What a socket unit holds (socket.c's `SocketPort`s and counters): its listeners, opened with
//! the paths, modes, owners and socket options its file asks for; the connections it accepts
//! and their peers; and the sub-state words socket.c names its states with. Nothing here runs a
//! unit: starting and stopping socket units is `socket/mod.rs`.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use thiserror::Error;

use crate::manager::types::service::SubState;
use crate::manager::unit_id::UnitId;
use crate::unit::model::{Listen, SocketAddress, SocketSection, Timestamping, TypeSection};
use crate::unit::timespan::Usec;

#[derive(Debug, Error)]
pub enum SocketError {
    #[error(
        "Failed to create listening socket ({address}): {}",
        crate::errno::text(source)
    )]
    Listen { address: String, source: io::Error },
    #[error("Listen{kind}={address} is not supported here.")]
    Unsupported { kind: String, address: String },
}

/// One open listener of a socket unit.
#[derive(Debug)]
pub struct Listener {
    pub fd: OwnedFd,
    /// The file that names it (a unix socket path or a FIFO), removed with RemoveOnStop=.
    pub path: Option<PathBuf>,
    pub accepting: bool,
}

/// What a socket unit holds while it runs, besides the service-like state.
#[derive(Debug, Default)]
pub struct SocketRuntime {
    pub ports: Vec<Listener>,
    /// Accept=no: the service was started and owns the traffic (`running`); the listeners are
    /// not watched until it is down again.
    pub triggered: bool,
    pub n_accepted: u32,
    pub n_connections: u32,
    pub n_refused: u32,
    /// TriggerLimit*: start of the current window and the activations in it.
    pub trigger_window: Option<(Instant, u32)>,
    /// Live connections per peer address, for MaxConnectionsPerSource=.
    pub per_source: HashMap<IpAddr, u32>,
}

/// The connection an Accept=yes instance serves, held by the manager until the instance is down.
#[derive(Debug)]
pub struct Connection {
    pub fd: OwnedFd,
    /// The socket unit that accepted it.
    pub socket: UnitId,
    /// The peer's IP address and port (none for unix peers): `$REMOTE_ADDR`, `$REMOTE_PORT`.
    pub remote: Option<SocketAddr>,
}

/// A v4-mapped IPv6 address as the IPv4 address it is (how systemd prints peers).
pub(in crate::manager) fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn new_socket(
    domain: libc::c_int,
    kind: libc::c_int,
    protocol: libc::c_int,
) -> io::Result<OwnedFd> {
    // SAFETY: socket(2) with plain integers; the fd is owned from here on.
    let fd = check(unsafe {
        libc::socket(
            domain,
            kind | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            protocol,
        )
    })?;
    // SAFETY: a fresh fd nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn set_int(fd: RawFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: setsockopt(2) reading an int we own.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// A socket address in the kernel's form.
struct RawAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl RawAddr {
    fn unix(name: &[u8], abstract_name: bool) -> io::Result<RawAddr> {
        // SAFETY: all-zero is a valid sockaddr_storage.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        // SAFETY: sockaddr_un fits in sockaddr_storage, which is suitably aligned.
        let un = unsafe {
            &mut *(&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_un>()
        };
        un.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let offset = usize::from(abstract_name);
        if name.len() + offset >= un.sun_path.len() {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        for (k, b) in name.iter().enumerate() {
            un.sun_path[k + offset] = *b as libc::c_char;
        }
        let base = std::mem::size_of::<libc::sa_family_t>();
        let len = base + offset + name.len() + usize::from(!abstract_name);
        Ok(RawAddr {
            storage,
            len: len as libc::socklen_t,
        })
    }

    fn inet(addr: SocketAddr) -> RawAddr {
        // SAFETY: all-zero is a valid sockaddr_storage.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let len = match addr {
            SocketAddr::V4(a) => {
                // SAFETY: sockaddr_in fits in sockaddr_storage.
                let sin = unsafe {
                    &mut *(&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>()
                };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr.s_addr = u32::from(*a.ip()).to_be();
                std::mem::size_of::<libc::sockaddr_in>()
            }
            SocketAddr::V6(a) => {
                // SAFETY: sockaddr_in6 fits in sockaddr_storage.
                let sin6 = unsafe {
                    &mut *(&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
                };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_addr.s6_addr = a.ip().octets();
                sin6.sin6_scope_id = a.scope_id();
                std::mem::size_of::<libc::sockaddr_in6>()
            }
        };
        RawAddr {
            storage,
            len: len as libc::socklen_t,
        }
    }

    fn bind(&self, fd: &OwnedFd) -> io::Result<()> {
        // SAFETY: bind(2) with an address we built and its length.
        check(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&self.storage as *const libc::sockaddr_storage).cast(),
                self.len,
            )
        })
        .map(drop)
    }
}

pub(super) fn parse_mode(mode: &str, default: u32) -> u32 {
    u32::from_str_radix(mode, 8).unwrap_or(default)
}

/// Run `f` with the umask that gives files `mode`, as socket.c does around bind() and mkfifo():
/// the manager is single-threaded, so nothing else creates files meanwhile.
fn with_mode<T>(mode: u32, f: impl FnOnce() -> T) -> T {
    // SAFETY: umask(2) cannot fail.
    let old = unsafe { libc::umask(!mode & 0o777) };
    let out = f();
    // SAFETY: as above, restoring the previous mask.
    unsafe { libc::umask(old) };
    out
}

/// mkdir_parents() with DirectoryMode= for a node the socket makes.
fn make_parents(path: &Path, s: &SocketSection) -> io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.exists() => fs::DirBuilder::new()
            .recursive(true)
            .mode(parse_mode(&s.directory_mode, 0o755))
            .create(parent),
        _ => Ok(()),
    }
}

/// Make the directory a socket file goes in, with DirectoryMode=, and clear what is in the way.
fn prepare_path(path: &Path, s: &SocketSection) -> io::Result<()> {
    make_parents(path, s)?;
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// socket.c's `socket_address_listen()` for one Listen line.
pub(super) fn open_listener(
    listen: &Listen,
    s: &SocketSection,
) -> Result<(Listener, Vec<String>), SocketError> {
    let address = listen.address.as_str();
    let err = |source: io::Error| SocketError::Listen {
        address: listen.listen_display(),
        source,
    };
    let unsupported = || SocketError::Unsupported {
        kind: listen.kind.to_string(),
        address: address.to_string(),
    };
    let mut warnings = Vec::new();
    let (fd, path, accepting) = match listen.kind {
        "Stream" | "Datagram" | "SequentialPacket" => {
            let kind = match listen.kind {
                "Stream" => libc::SOCK_STREAM,
                "Datagram" => libc::SOCK_DGRAM,
                _ => libc::SOCK_SEQPACKET,
            };
            let target = listen.socket_address().ok_or_else(unsupported)?;
            let (domain, raw) = match &target {
                SocketAddress::Path(p) => (
                    libc::AF_UNIX,
                    RawAddr::unix(p.as_bytes(), false).map_err(err)?,
                ),
                SocketAddress::Abstract(n) => (
                    libc::AF_UNIX,
                    RawAddr::unix(n.as_bytes(), true).map_err(err)?,
                ),
                SocketAddress::Inet(a) if a.is_ipv4() => (libc::AF_INET, RawAddr::inet(*a)),
                SocketAddress::Inet(a) => (libc::AF_INET6, RawAddr::inet(*a)),
                SocketAddress::Vsock { .. } | SocketAddress::Netlink { .. } => {
                    return Err(unsupported())
                }
            };
            let fd = new_socket(domain, kind, s.socket_protocol).map_err(err)?;
            let raw_fd = fd.as_raw_fd();
            if domain == libc::AF_INET6 && s.bind_ipv6_only != "default" {
                let only = i32::from(s.bind_ipv6_only == "ipv6-only");
                option(
                    &mut warnings,
                    "IPV6_V6ONLY",
                    set_int(raw_fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, only),
                );
            }
            if s.reuse_port {
                option(
                    &mut warnings,
                    "SO_REUSEPORT",
                    set_int(raw_fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1),
                );
            }
            if domain != libc::AF_UNIX {
                if s.free_bind {
                    let (level, name) = ip_option(domain, libc::IP_FREEBIND, libc::IPV6_FREEBIND);
                    option(
                        &mut warnings,
                        "IP_FREEBIND",
                        set_int(raw_fd, level, name, 1),
                    );
                }
                if s.transparent {
                    let (level, name) =
                        ip_option(domain, libc::IP_TRANSPARENT, libc::IPV6_TRANSPARENT);
                    option(
                        &mut warnings,
                        "IP_TRANSPARENT",
                        set_int(raw_fd, level, name, 1),
                    );
                }
            }
            option(
                &mut warnings,
                "SO_REUSEADDR",
                set_int(raw_fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1),
            );
            if let (Some(device), true) = (&s.bind_to_device, domain != libc::AF_UNIX) {
                // SAFETY: setsockopt(2) reading the interface name, of the length we pass.
                let r = check(unsafe {
                    libc::setsockopt(
                        raw_fd,
                        libc::SOL_SOCKET,
                        libc::SO_BINDTODEVICE,
                        device.as_ptr().cast(),
                        device.len() as libc::socklen_t,
                    )
                });
                option(&mut warnings, "SO_BINDTODEVICE", r.map(drop));
            }
            let path = match &target {
                SocketAddress::Path(p) => {
                    let p = PathBuf::from(p);
                    prepare_path(&p, s).map_err(err)?;
                    with_mode(parse_mode(&s.socket_mode, 0o666), || raw.bind(&fd)).map_err(err)?;
                    Some(p)
                }
                _ => {
                    raw.bind(&fd).map_err(err)?;
                    None
                }
            };
            if kind != libc::SOCK_DGRAM {
                let backlog = s.backlog.min(i32::MAX as u32) as libc::c_int;
                // SAFETY: listen(2) on a socket we own.
                check(unsafe { libc::listen(raw_fd, backlog) }).map_err(err)?;
            }
            (fd, path, kind != libc::SOCK_DGRAM)
        }
        "FIFO" => {
            let path = PathBuf::from(address);
            make_parents(&path, s).map_err(err)?;
            let mode = parse_mode(&s.socket_mode, 0o666);
            let made = with_mode(mode, || {
                nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(mode))
            });
            if let Err(e) = made {
                if e != nix::errno::Errno::EEXIST {
                    return Err(err(io::Error::from(e)));
                }
            }
            // Read-write, so the FIFO never reports end of file while no writer is there.
            let f = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
                .open(&path)
                .map_err(err)?;
            let meta = f.metadata().map_err(err)?;
            // An existing node that is not the FIFO this unit would make (socket.c's fifo_address_create()).
            let ours = meta.file_type().is_fifo()
                && meta.mode() & 0o777 == mode & 0o777
                && meta.uid() == nix::unistd::geteuid().as_raw()
                && meta.gid() == nix::unistd::getegid().as_raw();
            if !ours {
                return Err(err(io::Error::from_raw_os_error(libc::EEXIST)));
            }
            if s.pipe_size > 0 {
                let size = s.pipe_size.min(i32::MAX as u64) as libc::c_int;
                // SAFETY: fcntl(F_SETPIPE_SZ) on the FIFO we opened.
                let r = check(unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETPIPE_SZ, size) });
                option(&mut warnings, "F_SETPIPE_SZ", r.map(drop));
            }
            (f.into(), Some(path), false)
        }
        "Special" => {
            let f = fs::OpenOptions::new()
                .read(true)
                .write(s.writable)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
                .open(address)
                .map_err(err)?;
            let meta = f.metadata().map_err(err)?;
            if !meta.file_type().is_file() && !meta.file_type().is_char_device() {
                return Err(err(io::Error::from_raw_os_error(libc::EEXIST)));
            }
            (f.into(), None, false)
        }
        "Netlink" => {
            let Some(SocketAddress::Netlink { family, group }) = listen.socket_address() else {
                return Err(unsupported());
            };
            let fd = new_socket(libc::AF_NETLINK, libc::SOCK_RAW, family).map_err(err)?;
            // SAFETY: all-zero is a valid sockaddr_nl.
            let mut nl: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
            nl.nl_family = libc::AF_NETLINK as libc::sa_family_t;
            nl.nl_groups = group;
            // SAFETY: bind(2) with the sockaddr_nl above.
            check(unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    (&nl as *const libc::sockaddr_nl).cast(),
                    std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
                )
            })
            .map_err(err)?;
            (fd, None, false)
        }
        _ => return Err(unsupported()),
    };
    if matches!(listen.kind, "Stream" | "Datagram" | "SequentialPacket") {
        let domain = match listen.socket_address() {
            Some(SocketAddress::Inet(a)) if a.is_ipv4() => libc::AF_INET,
            Some(SocketAddress::Inet(_)) => libc::AF_INET6,
            _ => libc::AF_UNIX,
        };
        apply_socket_options(&fd, s, domain, &mut warnings);
    }
    Ok((
        Listener {
            fd,
            path,
            accepting,
        },
        warnings,
    ))
}

/// The level and name of an IP option for a socket of `domain`: its IPv4 or IPv6 form.
fn ip_option(domain: libc::c_int, v4: libc::c_int, v6: libc::c_int) -> (libc::c_int, libc::c_int) {
    if domain == libc::AF_INET6 {
        (libc::IPPROTO_IPV6, v6)
    } else {
        (libc::IPPROTO_IP, v4)
    }
}

/// A socket option that could not be set is a warning, as in socket_apply_socket_options().
fn option(warnings: &mut Vec<String>, name: &str, result: io::Result<()>) {
    if let Err(e) = result {
        warnings.push(format!("{name} failed: {}", crate::errno::text(&e)));
    }
}

/// socket.c's `socket_apply_socket_options()`: the options the unit sets, each failure a
/// warning. Unset, zero or negative values (as the model keeps them) leave the kernel's.
pub(super) fn apply_socket_options(
    fd: &OwnedFd,
    s: &SocketSection,
    domain: libc::c_int,
    warnings: &mut Vec<String>,
) {
    let raw = fd.as_raw_fd();
    let (sol, tcp) = (libc::SOL_SOCKET, libc::IPPROTO_TCP);
    let inet = domain == libc::AF_INET || domain == libc::AF_INET6;
    let secs = |u: Usec| (u.0 / 1_000_000).min(i32::MAX as u64) as i32;
    let positive = |u: Option<Usec>| u.map(secs).filter(|&n| n > 0);
    let size = |n: Option<u64>| n.filter(|&n| n > 0).map(|n| n.min(i32::MAX as u64) as i32);
    let flag = |on: bool| on.then_some(1);
    let options: [(&str, (libc::c_int, libc::c_int), Option<i32>); 16] = [
        (
            "SO_KEEPALIVE",
            (sol, libc::SO_KEEPALIVE),
            flag(s.keep_alive),
        ),
        (
            "TCP_KEEPIDLE",
            (tcp, libc::TCP_KEEPIDLE),
            positive(s.keep_alive_time),
        ),
        (
            "TCP_KEEPINTVL",
            (tcp, libc::TCP_KEEPINTVL),
            positive(s.keep_alive_interval),
        ),
        (
            "TCP_KEEPCNT",
            (tcp, libc::TCP_KEEPCNT),
            s.keep_alive_probes
                .filter(|&n| n > 0)
                .map(|n| n.min(i32::MAX as u32) as i32),
        ),
        (
            "TCP_DEFER_ACCEPT",
            (tcp, libc::TCP_DEFER_ACCEPT),
            Some(secs(s.defer_accept)).filter(|&n| n > 0),
        ),
        ("TCP_NODELAY", (tcp, libc::TCP_NODELAY), flag(s.no_delay)),
        ("SO_BROADCAST", (sol, libc::SO_BROADCAST), flag(s.broadcast)),
        (
            "SO_PASSCRED",
            (sol, libc::SO_PASSCRED),
            flag(s.pass_credentials),
        ),
        ("SO_PASSSEC", (sol, libc::SO_PASSSEC), flag(s.pass_security)),
        (
            "SO_PRIORITY",
            (sol, libc::SO_PRIORITY),
            s.priority.filter(|&p| p >= 0),
        ),
        ("SO_MARK", (sol, libc::SO_MARK), s.mark.filter(|&m| m >= 0)),
        (
            "SO_TIMESTAMP",
            (sol, libc::SO_TIMESTAMP),
            flag(s.timestamping == Timestamping::Us),
        ),
        (
            "SO_TIMESTAMPNS",
            (sol, libc::SO_TIMESTAMPNS),
            flag(s.timestamping == Timestamping::Ns),
        ),
        (
            "IP_TOS",
            ip_option(domain, libc::IP_TOS, libc::IPV6_TCLASS),
            (inet && s.ip_tos >= 0).then_some(s.ip_tos),
        ),
        (
            "IP_TTL",
            ip_option(domain, libc::IP_TTL, libc::IPV6_UNICAST_HOPS),
            (inet && s.ip_ttl >= 0).then_some(s.ip_ttl),
        ),
        (
            "IP_PKTINFO",
            ip_option(domain, libc::IP_PKTINFO, libc::IPV6_RECVPKTINFO),
            flag(inet && s.pass_packet_info),
        ),
    ];
    for (name, (level, opt), value) in options {
        if let Some(v) = value {
            option(warnings, name, set_int(raw, level, opt, v));
        }
    }
    // Beyond the unprivileged maximum only with CAP_NET_ADMIN: then the plain option.
    let buffers = [
        (
            libc::SO_RCVBUFFORCE,
            libc::SO_RCVBUF,
            "SO_RCVBUF",
            size(s.receive_buffer),
        ),
        (
            libc::SO_SNDBUFFORCE,
            libc::SO_SNDBUF,
            "SO_SNDBUF",
            size(s.send_buffer),
        ),
    ];
    for (forced, plain, name, value) in buffers {
        if let Some(n) = value {
            if set_int(raw, sol, forced, n).is_err() {
                option(warnings, name, set_int(raw, sol, plain, n));
            }
        }
    }
    if let Some(algorithm) = &s.tcp_congestion {
        // SAFETY: setsockopt(2) reading the algorithm's bytes, of the length we pass.
        let r = check(unsafe {
            libc::setsockopt(
                raw,
                tcp,
                libc::TCP_CONGESTION,
                algorithm.as_ptr().cast(),
                algorithm.len() as libc::socklen_t,
            )
        });
        option(warnings, "TCP_CONGESTION", r.map(drop));
    }
}

/// The [Socket] section of unit `config`, if it is a socket unit.
pub(in crate::manager) fn socket_section(kind: &TypeSection) -> Option<&SocketSection> {
    match kind {
        TypeSection::Socket(s) => Some(s),
        _ => None,
    }
}

/// Who is on the other end of an accepted connection.
pub(super) enum Peer {
    Unix(Option<libc::ucred>),
    Inet {
        local: SocketAddr,
        remote: SocketAddr,
    },
    Other,
}

pub(super) fn peer_of(fd: &OwnedFd) -> Peer {
    let sock = |f: unsafe extern "C" fn(
        RawFd,
        *mut libc::sockaddr,
        *mut libc::socklen_t,
    ) -> libc::c_int| {
        // SAFETY: all-zero is a valid sockaddr_storage.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: getsockname/getpeername filling a buffer of the size we pass.
        let r = unsafe {
            f(
                fd.as_raw_fd(),
                (&mut storage as *mut libc::sockaddr_storage).cast(),
                &mut len,
            )
        };
        (r == 0).then_some(storage)
    };
    let Some(remote) = sock(libc::getpeername) else {
        return Peer::Other;
    };
    match i32::from(remote.ss_family) {
        libc::AF_UNIX => {
            // SAFETY: all-zero is a valid ucred.
            let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
            // SAFETY: SO_PEERCRED into a ucred of the size we pass.
            let r = unsafe {
                libc::getsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_PEERCRED,
                    (&mut cred as *mut libc::ucred).cast(),
                    &mut len,
                )
            };
            // A peer in another pid namespace shows as pid 0 (ENODATA in getpeercred()).
            Peer::Unix((r == 0 && cred.pid > 0).then_some(cred))
        }
        libc::AF_INET | libc::AF_INET6 => match (
            sock(libc::getsockname).and_then(|s| inet_of(&s)),
            inet_of(&remote),
        ) {
            (Some(local), Some(remote)) => Peer::Inet { local, remote },
            _ => Peer::Other,
        },
        _ => Peer::Other,
    }
}

fn inet_of(s: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(s.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says it is a sockaddr_in.
            let sin = unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            Some(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))),
                u16::from_be(sin.sin_port),
            ))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says it is a sockaddr_in6.
            let sin6 =
                unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::new(
                IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)),
                u16::from_be(sin6.sin6_port),
            ))
        }
        _ => None,
    }
}

impl Peer {
    /// socket.c's `instance_from_socket()`: the instance name of connection number `nr`.
    pub(super) fn instance(&self, nr: u32) -> String {
        match self {
            Peer::Unix(Some(c)) => format!("{nr}-{}-{}", c.pid, c.uid),
            Peer::Unix(None) | Peer::Other => format!("{nr}-unknown"),
            Peer::Inet { local, remote } => {
                let (l, r) = (unmapped(local.ip()), unmapped(remote.ip()));
                // Both v4-mapped: the IPv4 form; otherwise each address as inet_ntop() prints it.
                let (l, r) = if l.is_ipv4() && r.is_ipv4() {
                    (l, r)
                } else {
                    (local.ip(), remote.ip())
                };
                format!("{nr}-{l}:{}-{r}:{}", local.port(), remote.port())
            }
        }
    }

    /// `getpeername_pretty()`, for the instance's description.
    pub(super) fn pretty(&self) -> Option<String> {
        match self {
            Peer::Unix(Some(c)) => Some(format!("PID {}/UID {}", c.pid, c.uid)),
            Peer::Inet { remote, .. } => Some(match unmapped(remote.ip()) {
                IpAddr::V4(ip) => format!("{ip}:{}", remote.port()),
                IpAddr::V6(ip) => format!("[{ip}]:{}", remote.port()),
            }),
            _ => None,
        }
    }

    pub(super) fn remote(&self) -> Option<SocketAddr> {
        match self {
            Peer::Inet { remote, .. } => Some(*remote),
            _ => None,
        }
    }
}

/// accept4() one connection, close-on-exec; `None` when none is waiting (or the one waiting
/// went away before it could be taken, which systemd ignores as well); an error otherwise.
pub(super) fn accept(listener: &OwnedFd) -> io::Result<Option<OwnedFd>> {
    loop {
        // SAFETY: accept4(2) without an address buffer.
        let fd = unsafe {
            libc::accept4(
                listener.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                // Blocking, as exec_child() hands a connection to the service (the manager
                // itself never reads it).
                libc::SOCK_CLOEXEC,
            )
        };
        if fd >= 0 {
            // SAFETY: a fresh fd nobody else owns.
            return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error().unwrap_or(0) {
            libc::EINTR => continue,
            // ERRNO_IS_ACCEPT_AGAIN: nothing waiting, or the peer gave up before we took it.
            libc::EAGAIN
            | libc::EOPNOTSUPP
            | libc::ECONNABORTED
            | libc::ECONNREFUSED
            | libc::ECONNRESET
            | libc::EHOSTDOWN
            | libc::EHOSTUNREACH
            | libc::ENETDOWN
            | libc::ENETRESET
            | libc::ENETUNREACH
            | libc::ENONET
            | libc::ENOPROTOOPT
            | libc::ENOTCONN
            | libc::EPIPE
            | libc::EPROTO
            | libc::ESHUTDOWN
            | libc::ETIMEDOUT => return Ok(None),
            _ => return Err(e),
        }
    }
}

/// The sub-state word of a socket unit in service state `state` (socket.c's state table).
pub fn socket_sub_state(state: SubState, triggered: bool) -> &'static str {
    match state {
        SubState::Dead => "dead",
        SubState::Condition | SubState::StartPre => "start-pre",
        SubState::Start => "start-chown",
        SubState::StartPost => "start-post",
        SubState::Running | SubState::Exited | SubState::Reload if triggered => "running",
        SubState::Running | SubState::Exited | SubState::Reload => "listening",
        SubState::Stop => "stop-pre",
        SubState::StopSigterm | SubState::StopWatchdog => "stop-pre-sigterm",
        SubState::StopSigkill => "stop-pre-sigkill",
        SubState::StopPost => "stop-post",
        SubState::FinalSigterm | SubState::FinalWatchdog => "final-sigterm",
        SubState::FinalSigkill => "final-sigkill",
        SubState::Failed => "failed",
        SubState::AutoRestart => "dead",
    }
}
