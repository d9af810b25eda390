//! Socket units (systemd.socket(5), socket.c). A started `.socket` unit's listeners are held by
//! the manager: ListenStream=, ListenDatagram=, ListenSequentialPacket= on a unix path, an
//! abstract `@name`, a port, `addr:port` or `[v6]:port`; ListenFIFO=, ListenSpecial=,
//! ListenNetlink=; with SocketMode=, DirectoryMode=, SocketUser=/SocketGroup=, Backlog=, Symlinks=
//! and the socket options, a stale file at the path replaced. The socket runs the service state
//! machine with its own commands (ExecStartPre=/ExecStartPost= around opening the listeners,
//! ExecStopPre=/ExecStopPost= around closing them; see `engine.rs`), its sub-states named as
//! socket.c names them.
//!
//! With Accept=no the first connection or datagram starts the service (`Service=`, else the
//! socket's own name), which gets the listeners from fd 3 on (sd_listen_fds(3)); the manager stops
//! watching them while the service runs (`running`) and watches again once it is down
//! (`listening`). With Accept=yes every connection is accepted and starts its own instance of the
//! template, named after the connection, with the connection as fd 3 (or stdin/stdout with
//! StandardInput=socket); MaxConnections= and MaxConnectionsPerSource= refuse the excess, and the
//! instance is collected once it is down. TriggerLimitIntervalSec=/TriggerLimitBurst= fail a
//! socket that is triggered too often.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use thiserror::Error;

use super::daemon::{token, Manager, KIND_SOCKET};
use super::jobs::JobKind;
use super::service::{ServiceResult, SubState};
use super::state::ActiveState;
use super::table::UnitId;
use crate::ipc::protocol::JobMode;
use crate::unit::model::{Listen, SocketAddress, SocketSection, TypeSection, UnitConfig};
use crate::unit::name::{UnitName, UnitType};
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
    trigger_window: Option<(Instant, u32)>,
    /// Live connections per peer address, for MaxConnectionsPerSource=.
    per_source: HashMap<IpAddr, u32>,
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
pub(super) fn unmapped(ip: IpAddr) -> IpAddr {
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

fn parse_mode(mode: &str, default: u32) -> u32 {
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
fn open_listener(
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
fn apply_socket_options(
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
            flag(s.timestamping == "us"),
        ),
        (
            "SO_TIMESTAMPNS",
            (sol, libc::SO_TIMESTAMPNS),
            flag(s.timestamping == "ns"),
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
pub(super) fn socket_section(kind: &TypeSection) -> Option<&SocketSection> {
    match kind {
        TypeSection::Socket(s) => Some(s),
        _ => None,
    }
}

/// Who is on the other end of an accepted connection.
enum Peer {
    Unix(Option<libc::ucred>),
    Inet {
        local: SocketAddr,
        remote: SocketAddr,
    },
    Other,
}

fn peer_of(fd: &OwnedFd) -> Peer {
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
    fn instance(&self, nr: u32) -> String {
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
    fn pretty(&self) -> Option<String> {
        match self {
            Peer::Unix(Some(c)) => Some(format!("PID {}/UID {}", c.pid, c.uid)),
            Peer::Inet { remote, .. } => Some(match unmapped(remote.ip()) {
                IpAddr::V4(ip) => format!("{ip}:{}", remote.port()),
                IpAddr::V6(ip) => format!("[{ip}]:{}", remote.port()),
            }),
            _ => None,
        }
    }

    fn remote(&self) -> Option<SocketAddr> {
        match self {
            Peer::Inet { remote, .. } => Some(*remote),
            _ => None,
        }
    }
}

/// Connections taken per wake-up of an Accept=yes socket, so one busy socket cannot starve the
/// rest of the loop (the listener is level-triggered: what is left wakes it again).
const ACCEPTS_PER_WAKE: usize = 64;

impl Manager {
    /// Socket unit `i`'s section; `None` for another type or a unit no longer in the table (a
    /// listener's wake that outlived it).
    fn socket_config(&self, i: UnitId) -> Option<&SocketSection> {
        socket_section(&self.units.get(i)?.config.kind)
    }

    /// `socket_open_fds()`: open every Listen line of socket unit `i`; false (the reason
    /// logged) when one cannot be opened, and then none stays open.
    pub(super) fn socket_open(&mut self, i: UnitId) -> bool {
        let Some(section) = self.socket_config(i).cloned() else {
            return true;
        };
        let mut opened: Vec<Listener> = Vec::new();
        let mut failure = None;
        for listen in &section.listen {
            match open_listener(listen, &section) {
                Ok((l, warnings)) => {
                    for w in warnings {
                        self.unit_log(i, &w);
                    }
                    opened.push(l);
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if failure.is_none() {
            if let Err(e) = self.chown_ports(&section, &opened) {
                failure = Some(e);
            }
        }
        if let Some(e) = failure {
            self.unit_log(i, &e.to_string());
            if let SocketError::Listen { source, .. } = &e {
                self.unit_log(
                    i,
                    &format!(
                        "Failed to listen on sockets: {}",
                        crate::errno::text(source)
                    ),
                );
            }
            for l in &opened {
                if let Some(p) = &l.path {
                    let _ = fs::remove_file(p);
                }
            }
            return false;
        }
        self.symlink_ports(i, &section, &opened);
        self.units[i].sock.ports = opened;
        self.units[i].sock.triggered = false;
        true
    }

    /// SocketUser=/SocketGroup= on the files the unit made (socket.c's start-chown).
    fn chown_ports(&self, s: &SocketSection, ports: &[Listener]) -> Result<(), SocketError> {
        if s.socket_user.is_none() && s.socket_group.is_none() {
            return Ok(());
        }
        let err = |what: &str, e: io::Error| SocketError::Listen {
            address: what.to_string(),
            source: e,
        };
        let uid = match &s.socket_user {
            Some(u) => Some(
                self.accounts
                    .user(u)
                    .map_err(|_| err(u, io::Error::from_raw_os_error(libc::ESRCH)))?
                    .uid,
            ),
            None => None,
        };
        let gid = match &s.socket_group {
            Some(g) => Some(
                self.accounts
                    .group(g)
                    .map_err(|_| err(g, io::Error::from_raw_os_error(libc::ESRCH)))?,
            ),
            None => None,
        };
        for p in ports.iter().filter_map(|l| l.path.as_ref()) {
            std::os::unix::fs::lchown(p, uid, gid).map_err(|e| err(&p.display().to_string(), e))?;
        }
        Ok(())
    }

    /// Symlinks= to the one file the unit listens on; a link that cannot be made is a warning.
    fn symlink_ports(&mut self, i: UnitId, s: &SocketSection, ports: &[Listener]) {
        let Some(target) = ports.iter().find_map(|l| l.path.as_ref()) else {
            return;
        };
        for link in &s.symlinks {
            let link = Path::new(link);
            if let Some(parent) = link.parent() {
                let _ = fs::create_dir_all(parent);
            }
            // symlink_idempotent(): a link already right is fine, anything else there stays.
            if fs::read_link(link).is_ok_and(|t| t == *target) {
                continue;
            }
            if let Err(e) = std::os::unix::fs::symlink(target, link) {
                self.unit_log(
                    i,
                    &format!(
                        "Failed to create symlink {} → {}, ignoring: {}",
                        target.display(),
                        link.display(),
                        crate::errno::text(&e)
                    ),
                );
            }
        }
    }

    /// socket_start()'s refusals for an Accept=no socket: its service must be loaded and not
    /// running already (it would not get the listeners).
    pub(super) fn socket_may_start(&mut self, i: UnitId) -> bool {
        let Some(name) = triggered_service_name(&self.units[i].config) else {
            return true;
        };
        let service = UnitName::parse(&name)
            .ok()
            .and_then(|n| self.loaded_index(&n))
            .filter(|&k| self.units[k].is_loaded());
        let refusal = match service {
            None => "not loaded",
            Some(k)
                if !matches!(
                    self.units[k].svc.state,
                    SubState::Dead | SubState::Failed | SubState::AutoRestart
                ) =>
            {
                "already active"
            }
            Some(_) => return true,
        };
        self.unit_log(i, &format!("Socket service {name} {refusal}, refusing."));
        let desc = self.description(i);
        self.log(i, &format!("Failed to listen on {desc}."));
        false
    }

    /// Close socket unit `i`'s listeners (and remove their files with RemoveOnStop=).
    pub(super) fn socket_close(&mut self, i: UnitId) {
        self.watch_ports(i, false);
        let ports = std::mem::take(&mut self.units[i].sock.ports);
        self.units[i].sock.triggered = false;
        let Some(s) = self.socket_config(i) else {
            return;
        };
        if s.remove_on_stop {
            for p in ports.iter().filter_map(|l| l.path.as_ref()) {
                let _ = fs::remove_file(p);
            }
            for link in &s.symlinks {
                let _ = fs::remove_file(link);
            }
        }
    }

    pub(super) fn watch_ports(&mut self, i: UnitId, on: bool) {
        for l in &self.units[i].sock.ports {
            if on {
                let _ = self
                    .events
                    .watch(l.fd.as_fd(), token(KIND_SOCKET, i.pack()));
            } else {
                self.events.unwatch(l.fd.as_fd());
            }
        }
    }

    /// `socket_enter_listening()`; listeners lost with an earlier manager are opened first.
    pub(super) fn socket_enter_listening(&mut self, i: UnitId) {
        if self.units[i].sock.ports.is_empty() && !self.socket_open(i) {
            self.socket_fail(i, ServiceResult::Resources);
            return;
        }
        if self.socket_config(i).is_some_and(|s| s.flush_pending) {
            self.flush_ports(i);
        }
        self.units[i].sock.triggered = false;
        self.watch_ports(i, true);
        self.dirty = true;
    }

    /// FlushPending=: what queued up while the service ran is dropped before listening again
    /// (socket.c's `flush_ports()`): waiting connections are closed, waiting data read away.
    fn flush_ports(&mut self, i: UnitId) {
        for l in &self.units[i].sock.ports {
            if l.accepting {
                while let Ok(Some(connection)) = accept(&l.fd) {
                    drop(connection);
                }
                continue;
            }
            let mut buf = [0u8; 4096];
            loop {
                // SAFETY: a non-blocking read into a buffer we own.
                let n = unsafe {
                    libc::recv(
                        l.fd.as_raw_fd(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        libc::MSG_DONTWAIT,
                    )
                };
                // A FIFO is no socket: read(2) it instead.
                let n =
                    if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOTSOCK) {
                        // SAFETY: as above; the FIFO was opened non-blocking.
                        unsafe { libc::read(l.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) }
                    } else {
                        n
                    };
                if n <= 0 {
                    break;
                }
            }
        }
    }

    /// A manager started again has adopted running sockets without their listeners, which died
    /// with the manager that held them. A socket whose service's main process still runs (it
    /// holds the old listeners) waits (`running`) until the service is down: rebinding now would
    /// take its path or port from under it. The others listen again at once, so that a service
    /// whose start was under way gets the new ones.
    pub(super) fn reopen_adopted_sockets(&mut self) {
        for i in self.units.ids() {
            let u = &self.units[i];
            if u.config.unit_type != UnitType::Socket
                || u.svc.state != SubState::Running
                || !u.sock.ports.is_empty()
            {
                continue;
            }
            let service_up = self
                .triggered_service(i)
                .is_some_and(|k| self.units[k].svc.main_pid.is_some_and(|p| p.is_alive()));
            if service_up {
                self.units[i].sock.triggered = true;
            } else {
                self.socket_enter_listening(i);
            }
        }
    }

    fn triggered_service(&mut self, i: UnitId) -> Option<UnitId> {
        let name = UnitName::parse(&triggered_service_name(&self.units[i].config)?).ok()?;
        self.loaded_index(&name)
    }

    /// The socket units in the table that trigger service `service`: an instance's own socket,
    /// else those naming it, the one of its own name first and then those of Sockets= in order.
    pub(super) fn triggering_sockets(&self, service: UnitId) -> Vec<UnitId> {
        let config = &self.units[service].config;
        if config.unit_type != UnitType::Service {
            return Vec::new();
        }
        if let Some(c) = &self.units[service].conn {
            return vec![c.socket];
        }
        let mut found: Vec<UnitId> = self
            .units
            .ids()
            .into_iter()
            .filter(|&k| {
                let u = &self.units[k];
                u.config.unit_type == UnitType::Socket && names_socket(config, &u.config)
            })
            .collect();
        let listed = config
            .service()
            .map(|s| s.sockets.as_slice())
            .unwrap_or(&[]);
        found.sort_by_key(|k| {
            let id = &self.units[*k].config.id;
            listed.iter().position(|n| n == id).map_or(0, |p| p + 1)
        });
        found
    }

    /// TriggeredBy= of a service that is not in the table: the sockets in it that name it.
    pub(super) fn sockets_naming(&self, service: &UnitConfig) -> Vec<String> {
        if service.unit_type != UnitType::Service {
            return Vec::new();
        }
        self.units
            .values()
            .filter(|u| u.config.unit_type == UnitType::Socket && names_socket(service, &u.config))
            .map(|u| u.config.id.clone())
            .collect()
    }

    /// Triggers= of unit `i` as the manager knows it: an Accept=no socket's service, an
    /// Accept=yes socket's live instances.
    pub(super) fn triggers(&self, i: UnitId) -> Vec<String> {
        let Some(s) = self.socket_config(i) else {
            return Vec::new();
        };
        if s.accept {
            return self
                .units
                .values()
                .filter(|u| u.conn.as_ref().is_some_and(|c| c.socket == i))
                .map(|u| u.config.id.clone())
                .collect();
        }
        let mut out = static_triggers(&self.units[i].config);
        let id = &self.units[i].config.id;
        for u in self.units.values() {
            if u.config.service().is_some_and(|s| s.sockets.contains(id))
                && !out.contains(&u.config.id)
            {
                out.push(u.config.id.clone());
            }
        }
        out
    }

    pub(super) fn triggered_by(&self, i: UnitId) -> Vec<String> {
        self.triggering_sockets(i)
            .into_iter()
            .map(|k| self.units[k].config.id.clone())
            .collect()
    }

    /// One more activation of socket `i`: past the trigger limit it is refused (and counted)
    /// and the socket fails with `trigger-limit-hit`.
    fn trigger_limit_hit(&mut self, i: UnitId) -> bool {
        if self.trigger_allowed(i) {
            return false;
        }
        self.unit_log(i, "Trigger limit hit, refusing further activation.");
        self.units[i].sock.n_refused += 1;
        self.socket_fail(i, ServiceResult::TriggerLimitHit);
        true
    }

    /// TriggerLimitIntervalSec=/TriggerLimitBurst=: false once the socket was triggered more
    /// often than allowed in the window.
    fn trigger_allowed(&mut self, i: UnitId) -> bool {
        let Some((interval, burst)) = self.socket_config(i).map(|s| s.trigger_limit()) else {
            return true;
        };
        if interval.0 == 0 || burst == 0 {
            return true;
        }
        let now = Instant::now();
        let window = &mut self.units[i].sock.trigger_window;
        match window {
            Some((start, n)) if now.duration_since(*start) < Duration::from_micros(interval.0) => {
                *n += 1;
                *n <= burst
            }
            _ => {
                *window = Some((now, 1));
                true
            }
        }
    }

    /// A listener of socket unit `i` is readable (or hung up).
    pub(super) fn on_socket_ready(&mut self, i: UnitId, hangup: bool) {
        let Some(accept) = self.socket_config(i).map(|s| s.accept) else {
            return;
        };
        if self.units[i].svc.state != SubState::Running {
            self.watch_ports(i, false);
            return;
        }
        if hangup {
            self.unit_log(
                i,
                "Got POLLHUP on a listening socket. The service probably invoked shutdown() on it, and should better not do that.",
            );
            self.socket_fail(i, ServiceResult::Resources);
            return;
        }
        if accept {
            self.accept_connections(i);
        } else {
            self.socket_enter_running(i);
        }
    }

    fn stop_pending(&self, i: UnitId) -> bool {
        self.jobs
            .get(i)
            .is_some_and(|j| matches!(j.kind, JobKind::Stop | JobKind::Restart))
    }

    /// The socket fails while running: the stop path with `result` (socket_enter_stop_pre()).
    fn socket_fail(&mut self, i: UnitId, result: ServiceResult) {
        self.watch_ports(i, false);
        self.socket_stop_with(i, result);
    }

    /// `socket_enter_running()` without a connection (Accept=no).
    fn socket_enter_running(&mut self, i: UnitId) {
        if self.stop_pending(i) {
            self.watch_ports(i, false);
            return;
        }
        if self.trigger_limit_hit(i) {
            return;
        }
        // The service takes the traffic from here: stop watching, so the manager does not
        // spin on a connection only the service will accept.
        self.watch_ports(i, false);
        let Some(service) = self.triggered_service(i) else {
            self.unit_log(i, "Service to activate vanished, refusing activation.");
            self.socket_fail(i, ServiceResult::Resources);
            return;
        };
        let pending = self.jobs.has_job(service)
            || !matches!(
                self.units[service].active_state(),
                ActiveState::Inactive | ActiveState::Failed
            );
        if !pending {
            if let Err((message, _)) =
                self.run_transaction(service, JobKind::Start, JobMode::Replace, None)
            {
                self.refuse_activation(i, false, &message);
                return;
            }
        }
        self.units[i].sock.triggered = true;
        self.dirty = true;
    }

    /// Accept=yes: take the waiting connections, each starting its own instance.
    fn accept_connections(&mut self, i: UnitId) {
        for _ in 0..ACCEPTS_PER_WAKE {
            let taken = self.units[i]
                .sock
                .ports
                .iter()
                .filter(|l| l.accepting)
                .map(|l| accept(&l.fd))
                .find(|r| !matches!(r, Ok(None)));
            let fd = match taken {
                None => return,
                Some(Ok(Some(fd))) => fd,
                // Out of fds or memory: listening on would only spin (socket_dispatch_io()).
                Some(Err(e)) => {
                    self.unit_log(
                        i,
                        &format!("Failed to accept socket: {}", crate::errno::text(&e)),
                    );
                    self.socket_fail(i, ServiceResult::Resources);
                    return;
                }
                Some(Ok(None)) => return,
            };
            self.take_connection(i, fd);
            if self.units[i].svc.state != SubState::Running {
                return;
            }
        }
    }

    /// `socket_enter_running()` with connection `fd`: refused (closed, counted) or handed to a
    /// new instance of the template.
    fn take_connection(&mut self, i: UnitId, fd: OwnedFd) {
        if self.stop_pending(i) {
            self.units[i].sock.n_refused += 1;
            return;
        }
        if self.trigger_limit_hit(i) {
            return;
        }
        let (max, per_source) = match self.socket_config(i) {
            Some(s) => (s.max_connections, s.max_connections_per_source),
            None => return,
        };
        let n = self.units[i].sock.n_connections;
        if n >= max {
            self.unit_log(
                i,
                &format!("Too many incoming connections ({n}), dropping connection."),
            );
            self.units[i].sock.n_refused += 1;
            return;
        }
        let peer = peer_of(&fd);
        let source = peer.remote().map(|r| unmapped(r.ip()));
        if let (Some(ip), true) = (source, per_source > 0) {
            let from_source = self.units[i].sock.per_source.get(&ip).copied().unwrap_or(0) + 1;
            if from_source > per_source {
                // sockaddr_pretty() without the port.
                self.unit_log(
                    i,
                    &format!(
                        "Too many incoming connections ({from_source}) from source {ip}, dropping connection."
                    ),
                );
                self.units[i].sock.n_refused += 1;
                return;
            }
        }
        let nr = self.units[i].sock.n_accepted;
        let stem = self.units[i]
            .config
            .id
            .trim_end_matches(".socket")
            .to_string();
        let name = format!("{stem}@{}.service", peer.instance(nr));
        let instance = UnitName::parse(&name)
            .ok()
            .and_then(|n| self.loaded_index(&n))
            .filter(|&k| self.units[k].is_loaded());
        let Some(k) = instance else {
            self.refuse_activation(i, true, &format!("Unit {name} not found."));
            return;
        };
        if let Some(pretty) = peer.pretty() {
            let u = &mut self.units[k].config.unit;
            u.description = if u.description.is_empty() {
                pretty
            } else {
                format!("{} ({pretty})", u.description)
            };
        }
        self.units[k].conn = Some(Connection {
            fd,
            socket: i,
            remote: peer.remote(),
        });
        let sock = &mut self.units[i].sock;
        sock.n_accepted += 1;
        sock.n_connections += 1;
        if let Some(ip) = source {
            *sock.per_source.entry(ip).or_default() += 1;
        }
        self.dirty = true;
        if let Err((message, _)) = self.run_transaction(k, JobKind::Start, JobMode::Replace, None) {
            // The instance forgets the connection again at once (service_close_socket_fd()).
            self.release_connection(k);
            self.collect_later(k);
            self.refuse_activation(i, true, &message);
        }
    }

    /// socket_enter_running()'s `fail:`: the service could not be queued, the socket fails.
    fn refuse_activation(&mut self, i: UnitId, template: bool, reason: &str) {
        let kind = if template { "template" } else { "non-template" };
        self.unit_log(
            i,
            &format!(
                "Failed to queue service startup job (Maybe the service file is missing or not a {kind} unit?): {reason}"
            ),
        );
        self.socket_fail(i, ServiceResult::Resources);
    }

    /// An instance is down: the manager lets go of its connection, and collects the unit.
    pub(super) fn release_connection(&mut self, k: UnitId) {
        let Some(conn) = self.units[k].conn.take() else {
            return;
        };
        if let Some(sock) = self.units.get_mut(conn.socket).map(|u| &mut u.sock) {
            sock.n_connections = sock.n_connections.saturating_sub(1);
            if let Some(ip) = conn.remote.map(|r| unmapped(r.ip())) {
                if let Some(n) = sock.per_source.get_mut(&ip) {
                    *n -= 1;
                    if *n == 0 {
                        sock.per_source.remove(&ip);
                    }
                }
            }
        }
        self.units[k].was_connection = true;
        self.dirty = true;
    }

    /// `socket_trigger_notify()`: a service an Accept=no socket triggers changed state.
    pub(super) fn socket_trigger_notify(&mut self, service: UnitId) {
        if self.units[service].conn.is_some() || self.units[service].was_connection {
            if matches!(
                self.units[service].svc.state,
                SubState::Dead | SubState::Failed
            ) && !self.jobs.has_job(service)
            {
                self.release_connection(service);
                if self.units[service].may_be_collected() {
                    self.collect_later(service);
                } else {
                    // Kept for `status` until reset-failed: without holding an fd meanwhile.
                    let id = self.units[service].config.id.clone();
                    self.close_log(&id);
                }
            }
            return;
        }
        let sockets: Vec<UnitId> = self
            .triggering_sockets(service)
            .into_iter()
            // An Accept=yes socket does not care about the services it is named by (Sockets=).
            .filter(|&k| {
                self.units[k].svc.state == SubState::Running
                    && self.socket_config(k).is_some_and(|s| !s.accept)
            })
            .collect();
        if sockets.is_empty() {
            return;
        }
        let svc = &self.units[service];
        let start_limit_hit =
            svc.svc.result == ServiceResult::StartLimitHit && svc.svc.state == SubState::Failed;
        let has_job = self.jobs.has_job(service);
        let state = svc.svc.state;
        for k in sockets {
            if start_limit_hit {
                self.socket_fail(k, ServiceResult::ServiceStartLimitHit);
            } else if has_job {
                continue;
            } else if matches!(
                state,
                SubState::Dead
                    | SubState::Failed
                    | SubState::FinalSigterm
                    | SubState::FinalSigkill
                    | SubState::AutoRestart
            ) {
                self.socket_enter_listening(k);
            } else if state == SubState::Running {
                self.units[k].sock.triggered = true;
                self.watch_ports(k, false);
            }
        }
    }

    /// The socket fds of service `i` (service_collect_fds()): an instance's connection, or the
    /// listeners of every socket that triggers it, in Listen order, named by
    /// FileDescriptorName= or else the socket unit's name.
    pub(super) fn socket_fds_for(&self, i: UnitId) -> (Vec<OwnedFd>, Vec<String>) {
        let mut fds = Vec::new();
        let mut names = Vec::new();
        if let Some(c) = &self.units[i].conn {
            if let Ok(fd) = c.fd.try_clone() {
                fds.push(fd);
                names.push("connection".to_string());
            }
            return (fds, names);
        }
        for k in self.triggering_sockets(i) {
            let name = self
                .socket_config(k)
                .and_then(|s| s.file_descriptor_name.clone())
                .unwrap_or_else(|| self.units[k].config.id.clone());
            for l in &self.units[k].sock.ports {
                if let Ok(fd) = l.fd.try_clone() {
                    fds.push(fd);
                    names.push(name.clone());
                }
            }
        }
        (fds, names)
    }
}

/// The service a socket starts itself (`SocketSection::triggered_service()`): none for an
/// Accept=yes socket, whose instances are started per connection.
fn triggered_service_name(socket: &UnitConfig) -> Option<String> {
    socket_section(&socket.kind)?.triggered_service(&socket.id)
}

/// Triggers= of a unit from its file alone: an Accept=no socket's service.
pub fn static_triggers(config: &UnitConfig) -> Vec<String> {
    triggered_service_name(config).into_iter().collect()
}

/// Whether `socket` triggers `service`: it is the socket's service, or the service names the
/// socket in Sockets=.
fn names_socket(service: &UnitConfig, socket: &UnitConfig) -> bool {
    triggered_service_name(socket).is_some_and(|n| service.id == n || service.names.contains(&n))
        || service
            .service()
            .is_some_and(|s| s.sockets.contains(&socket.id))
}

/// accept4() one connection, close-on-exec; `None` when none is waiting (or the one waiting
/// went away before it could be taken, which systemd ignores as well); an error otherwise.
fn accept(listener: &OwnedFd) -> io::Result<Option<OwnedFd>> {
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
