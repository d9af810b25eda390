//! Socket units, first part (systemd.socket(5), socket.c): the manager opens the listeners of a
//! started `.socket` unit (ListenStream=, ListenDatagram=, ListenSequentialPacket= on a unix
//! path, an abstract `@name`, a port or `addr:port`; ListenFIFO=), replacing a stale socket file,
//! with SocketMode=/DirectoryMode= and Backlog=. With Accept=no the first connection or datagram
//! starts the service it triggers, which gets the listeners from fd 3 on (sd_listen_fds(3)); the
//! manager stops watching them while the service runs and watches again once it is down.
//! Stopping the socket closes them (and removes the files with RemoveOnStop=).

use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::daemon::{token, Manager, KIND_SOCKET};
use super::job::JobKind;
use crate::ipc::protocol::JobMode;
use crate::unit::model::{Listen, SocketSection, TypeSection};
use crate::unit::name::UnitName;

#[derive(Debug, Error)]
pub enum SocketError {
    #[error(
        "Failed to create listening socket ({address}): {}",
        crate::errno::text(source)
    )]
    Listen { address: String, source: io::Error },
    #[error("Unsupported listen setting Listen{kind}={address}")]
    Unsupported { kind: String, address: String },
}

/// One open listener of a socket unit.
#[derive(Debug)]
pub struct Listener {
    pub fd: OwnedFd,
    /// The file that names it (a unix socket path or a FIFO), removed with RemoveOnStop=.
    pub path: Option<PathBuf>,
}

fn listen_error(address: &str) -> impl Fn(io::Error) -> SocketError + '_ {
    move |source| SocketError::Listen {
        address: address.to_string(),
        source,
    }
}

/// A port alone listens on every address, IPv6 and IPv4 (BindIPv6Only=default).
fn inet_address(address: &str) -> Option<SocketAddr> {
    if let Ok(port) = address.parse::<u16>() {
        return Some(SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, port)));
    }
    address.parse().ok()
}

fn parse_mode(mode: &str, default: u32) -> u32 {
    u32::from_str_radix(mode, 8).unwrap_or(default)
}

/// Make the directory a socket file goes in, with DirectoryMode=, and clear a stale file.
fn prepare_path(path: &Path, s: &SocketSection) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        if !parent.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(parse_mode(&s.directory_mode, 0o755))
                .create(parent)?;
        }
    }
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn open_listener(listen: &Listen, s: &SocketSection) -> Result<Listener, SocketError> {
    let address = listen.address.as_str();
    let err = listen_error(address);
    let is_path = address.starts_with('/');
    let is_abstract = address.starts_with('@');
    let (fd, path): (OwnedFd, Option<PathBuf>) = match listen.kind {
        "Stream" | "SequentialPacket" if is_path || is_abstract => {
            let listener = if is_abstract {
                let addr = <std::os::unix::net::SocketAddr as std::os::linux::net::SocketAddrExt>::from_abstract_name(
                    &address.as_bytes()[1..],
                )
                .map_err(&err)?;
                UnixListener::bind_addr(&addr).map_err(&err)?
            } else {
                prepare_path(Path::new(address), s).map_err(&err)?;
                UnixListener::bind(address).map_err(&err)?
            };
            (listener.into(), is_path.then(|| PathBuf::from(address)))
        }
        "Stream" => {
            let addr = inet_address(address).ok_or_else(|| SocketError::Unsupported {
                kind: listen.kind.to_string(),
                address: address.to_string(),
            })?;
            (TcpListener::bind(addr).map_err(&err)?.into(), None)
        }
        "Datagram" if is_path || is_abstract => {
            let socket = if is_abstract {
                let addr = <std::os::unix::net::SocketAddr as std::os::linux::net::SocketAddrExt>::from_abstract_name(
                    &address.as_bytes()[1..],
                )
                .map_err(&err)?;
                UnixDatagram::bind_addr(&addr).map_err(&err)?
            } else {
                prepare_path(Path::new(address), s).map_err(&err)?;
                UnixDatagram::bind(address).map_err(&err)?
            };
            (socket.into(), is_path.then(|| PathBuf::from(address)))
        }
        "Datagram" => {
            let addr = inet_address(address).ok_or_else(|| SocketError::Unsupported {
                kind: listen.kind.to_string(),
                address: address.to_string(),
            })?;
            (UdpSocket::bind(addr).map_err(&err)?.into(), None)
        }
        "FIFO" => {
            let path = Path::new(address);
            if !path.exists() {
                nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o666))
                    .map_err(|e| err(io::Error::from(e)))?;
            }
            // Read-write, so the FIFO never reports end of file while no writer is there.
            let f = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(path)
                .map_err(&err)?;
            (f.into(), Some(path.to_path_buf()))
        }
        kind => {
            return Err(SocketError::Unsupported {
                kind: kind.to_string(),
                address: address.to_string(),
            })
        }
    };
    if let Some(p) = &path {
        if listen.kind != "FIFO" {
            fs::set_permissions(
                p,
                fs::Permissions::from_mode(parse_mode(&s.socket_mode, 0o666)),
            )
            .map_err(&err)?;
        }
    }
    if matches!(listen.kind, "Stream" | "SequentialPacket") && (is_path || is_abstract) {
        // std listens with its own backlog: Backlog= is applied by listening again.
        // SAFETY: listen(2) on a socket we own.
        unsafe { libc::listen(fd.as_raw_fd(), s.backlog.min(i32::MAX as u32) as i32) };
    }
    Ok(Listener { fd, path })
}

use std::os::unix::fs::OpenOptionsExt;

/// The [Socket] section of unit `config`, if it is a socket unit.
fn socket_section(kind: &TypeSection) -> Option<&SocketSection> {
    match kind {
        TypeSection::Socket(s) => Some(s),
        _ => None,
    }
}

impl Manager {
    /// Open every Listen…= of socket unit `i` and watch them; false (and the reason logged)
    /// when one cannot be opened: then none stays open.
    pub(super) fn socket_listen(&mut self, i: usize) -> bool {
        let Some(section) = socket_section(&self.units[i].config.kind).cloned() else {
            return true;
        };
        let mut opened = Vec::new();
        for listen in &section.listen {
            match open_listener(listen, &section) {
                Ok(l) => opened.push(l),
                Err(e) => {
                    self.log(i, &e.to_string());
                    for l in &opened {
                        if let Some(p) = &l.path {
                            let _ = fs::remove_file(p);
                        }
                    }
                    return false;
                }
            }
        }
        self.listeners.insert(i, opened);
        self.watch_listeners(i, true);
        true
    }

    /// Close socket unit `i`'s listeners.
    pub(super) fn socket_close(&mut self, i: usize) {
        self.watch_listeners(i, false);
        let remove = socket_section(&self.units[i].config.kind).is_some_and(|s| s.remove_on_stop);
        for l in self.listeners.remove(&i).unwrap_or_default() {
            if let (true, Some(p)) = (remove, &l.path) {
                let _ = fs::remove_file(p);
            }
        }
    }

    fn watch_listeners(&mut self, i: usize, on: bool) {
        let Some(listeners) = self.listeners.get(&i) else {
            return;
        };
        for l in listeners {
            if on {
                let _ = self
                    .events
                    .watch(l.fd.as_fd(), token(KIND_SOCKET, i as u64));
            } else {
                self.events.unwatch(l.fd.as_fd());
            }
        }
    }

    /// The service socket unit `i` starts (`Service=`, else the socket's own name).
    fn triggered_service(&mut self, i: usize) -> Option<usize> {
        let section = socket_section(&self.units[i].config.kind)?;
        let name = section.service.clone().unwrap_or_else(|| {
            let id = &self.units[i].config.id;
            format!("{}.service", id.trim_end_matches(".socket"))
        });
        let name = UnitName::parse(&name).ok()?;
        self.loaded_index(&name)
    }

    /// A listener is readable (Accept=no): start the service, and stop watching until it is
    /// down again, so the manager does not spin on a connection only the service will take.
    pub(super) fn on_socket_ready(&mut self, i: usize) {
        self.watch_listeners(i, false);
        let Some(service) = self.triggered_service(i) else {
            return;
        };
        if self.is_inactive(service) && self.units[service].job.is_none() {
            self.queue_internal(i, service, JobKind::Start, JobMode::Replace);
        }
    }

    /// A service went down: the sockets that trigger it listen again.
    pub(super) fn socket_service_stopped(&mut self, service: usize) {
        let sockets: Vec<usize> = self.listeners.keys().copied().collect();
        for i in sockets {
            if self.triggered_service(i) == Some(service) {
                self.watch_listeners(i, true);
            }
        }
    }

    /// The listeners of every socket that triggers unit `service`, in the order of their
    /// Listen lines, with their names (FileDescriptorName=, else the socket unit's name).
    pub(super) fn socket_fds_for(&mut self, service: usize) -> (Vec<OwnedFd>, Vec<String>) {
        let mut fds = Vec::new();
        let mut names = Vec::new();
        let mut sockets: Vec<usize> = self.listeners.keys().copied().collect();
        sockets.sort_by(|a, b| self.units[*a].config.id.cmp(&self.units[*b].config.id));
        for i in sockets {
            if self.triggered_service(i) != Some(service) {
                continue;
            }
            let name = socket_section(&self.units[i].config.kind)
                .and_then(|s| s.file_descriptor_name.clone())
                .unwrap_or_else(|| self.units[i].config.id.clone());
            for l in self.listeners.get(&i).into_iter().flatten() {
                if let Ok(fd) = l.fd.try_clone() {
                    fds.push(fd);
                    names.push(name.clone());
                }
            }
        }
        (fds, names)
    }
}
