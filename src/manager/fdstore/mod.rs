//! The file descriptor store of a service (sd_notify(3) `FDSTORE=1`, `FDNAME=`,
//! `FDSTOREREMOVE=1`, `FDPOLL=0`; `FileDescriptorStoreMax=` of systemd.service(5)): a service
//! hands fds to the manager, which keeps up to FileDescriptorStoreMax= of them (an fd already
//! stored is not stored twice), drops one whose other end hung up, and passes them back after
//! the socket fds, named, at the next start of the main process (sd_listen_fds_with_names(3)).
//! The store survives restarts and is released once the service is down with nothing queued.

use std::os::fd::{AsFd, OwnedFd};

mod store;

/// One stored fd, with its name and the token its hangup watch wakes under.
#[derive(Debug)]
pub struct StoredFd {
    pub fd: OwnedFd,
    pub name: String,
    watch: Option<u64>,
}

/// The name sd_notify(3) gives a stored fd sent without FDNAME=.
const DEFAULT_NAME: &str = "stored";

/// Same file: same device and inode (systemd's `same_fd()` for what matters here).
fn same_file(a: &OwnedFd, b: &OwnedFd) -> bool {
    let stat = |fd: &OwnedFd| {
        nix::sys::stat::fstat(fd.as_fd())
            .ok()
            .map(|s| (s.st_dev, s.st_ino))
    };
    matches!((stat(a), stat(b)), (Some(x), Some(y)) if x == y)
}

/// sd-daemon's `fdname_is_valid()`: printable ASCII without `:`, at most 255 bytes.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b':')
}
