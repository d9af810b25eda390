//! cgroup paths and names as systemd 252's src/basic/cgroup-util.c makes them: `cg_escape()`,
//! `cg_slice_to_path()`, `cg_get_root_path()`'s suffix rule, and core/cgroup.c's
//! `unit_default_cgroup_path()` on top of them. The one copy of this logic: the conditions, the
//! unit model (`ControlGroup=`) and the manager all use it.
//!
//! And the leaf calls on a cgroup2 directory that cgroup-util.c makes by path (`cg_create()`,
//! `cg_attach()`, `cg_read_pid()`, `cg_mask_supported_subtree()`'s read of
//! `cgroup.controllers`), here on a directory fd so that a cgroup, once opened, stays the same
//! one.

use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::{mkdirat, Mode};

/// Where systemd finds the cgroup hierarchy (`/sys/fs/cgroup`, cgroup2 on a unified system).
pub const MOUNT: &str = "/sys/fs/cgroup";

/// The controllers systemd knows (`cgroup_controller_table`), whose names `cg_escape()` keeps
/// from clashing with a controller's files.
pub const CONTROLLERS: &[&str] = &[
    "cpu",
    "cpuacct",
    "cpuset",
    "io",
    "blkio",
    "memory",
    "devices",
    "pids",
    "bpf-firewall",
    "bpf-devices",
    "bpf-foreign",
    "bpf-socket-bind",
    "bpf-restrict-network-interfaces",
];

/// The root slice, which is the root cgroup itself.
const ROOT_SLICE: &str = "-.slice";

/// `cg_escape()`: a name that could clash with a kernel file (`cgroup.*`, `tasks`, a
/// controller's `cpu.*`) or starts with `_` or `.` gets a leading `_`.
pub fn escape(name: &str) -> String {
    let clashes = matches!(name.chars().next(), None | Some('_' | '.'))
        || matches!(name, "notify_on_release" | "release_agent" | "tasks")
        || name.starts_with("cgroup.")
        || name
            .rfind('.')
            .is_some_and(|dot| CONTROLLERS.contains(&&name[..dot]));
    if clashes {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

/// `cg_slice_to_path()`: `a-b.slice` lives at `a.slice/a-b.slice`, each level escaped; the root
/// slice is the root (""). `None` for a name that is no slice, or has leading, trailing or
/// double dashes.
pub fn slice_to_path(slice: &str) -> Option<String> {
    if slice == ROOT_SLICE {
        return Some(String::new());
    }
    let stem = slice.strip_suffix(".slice")?;
    if stem.is_empty()
        || stem.starts_with('-')
        || stem.ends_with('-')
        || stem.contains("--")
        || stem.contains(['/', '@'])
    {
        return None;
    }
    let mut path = String::new();
    for (dash, _) in stem.match_indices('-') {
        path.push_str(&escape(&format!("{}.slice", &stem[..dash])));
        path.push('/');
    }
    path.push_str(&escape(slice));
    Some(path)
}

/// `unit_default_cgroup_path()` below the manager's root cgroup: the root slice is the root
/// (`/`), any other unit is its slice's path (none: the root) and its escaped name.
/// `None` where the slice's name has no path.
pub fn unit_path(id: &str, slice: Option<&str>) -> Option<String> {
    if id == ROOT_SLICE {
        return Some("/".into());
    }
    let slice_path = slice.map_or(Some(String::new()), slice_to_path)?;
    let mut path = String::from("/");
    if !slice_path.is_empty() {
        path.push_str(&slice_path);
        path.push('/');
    }
    path.push_str(&escape(id));
    Some(path)
}

/// `cg_get_root_path()`'s rule: the manager's root is its own cgroup without a trailing
/// `/init.scope` (or the legacy `/system.slice`, `/system`); "/" when nothing is left.
pub fn root_of(own: &str) -> String {
    let path = ["/init.scope", "/system.slice", "/system"]
        .iter()
        .find_map(|s| own.strip_suffix(s))
        .unwrap_or(own);
    if path.is_empty() {
        "/".into()
    } else {
        path.to_string()
    }
}

/// What `statfs()` and `statvfs()` say of the hierarchy's mount (`cg_all_unified()` and a
/// read-only check): a runtime mounts it read-only with a per-mount flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsInfo {
    pub cgroup2: bool,
    pub read_only: bool,
}

/// [`FsInfo`] of the file system at `path`.
pub fn fs_info(path: &Path) -> Result<FsInfo, Errno> {
    use nix::sys::statfs::{statfs, CGROUP2_SUPER_MAGIC};
    use nix::sys::statvfs::{statvfs, FsFlags};
    let cgroup2 = statfs(path)?.filesystem_type() == CGROUP2_SUPER_MAGIC;
    let read_only = statvfs(path)?.flags().contains(FsFlags::ST_RDONLY);
    Ok(FsInfo { cgroup2, read_only })
}

/// The cgroup2 (`0::`) path of a /proc/PID/cgroup text, relative to the reader's cgroup
/// namespace.
pub fn unified_path(proc_cgroup: &str) -> Option<&str> {
    proc_cgroup.lines().find_map(|l| l.strip_prefix("0::"))
}

/// The pids of a `cgroup.procs` text; a process outside the reader's pid namespace is `0`.
fn parse_procs(text: &str) -> Vec<i32> {
    text.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// A cgroup2 directory, held open (`O_PATH`): its files are read and written relative to it.
#[derive(Debug)]
pub struct Cgroup {
    dir: OwnedFd,
}

impl Cgroup {
    /// The cgroup at `path` (a directory of a cgroup2 mount).
    pub fn open(path: &Path) -> Result<Cgroup, Errno> {
        let dir = nix::fcntl::open(
            path,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Cgroup { dir })
    }

    /// The child cgroup `name`, made if it is not there (`cg_create()`: EEXIST is fine).
    pub fn mkdir_at(&self, name: &str) -> Result<Cgroup, Errno> {
        match mkdirat(self.dir.as_fd(), name, Mode::from_bits_truncate(0o755)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
        let dir = openat(
            self.dir.as_fd(),
            name,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Cgroup { dir })
    }

    /// The text of the cgroup's file `name`.
    pub fn read_attr(&self, name: &str) -> Result<String, Errno> {
        let fd = openat(
            self.dir.as_fd(),
            name,
            OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let mut text = String::new();
        std::fs::File::from(fd)
            .read_to_string(&mut text)
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
        Ok(text)
    }

    /// One write of `value` to the cgroup's file `name` (the kernel takes each write whole).
    pub fn write_attr(&self, name: &str, value: &[u8]) -> Result<(), Errno> {
        let fd = openat(
            self.dir.as_fd(),
            name,
            OFlag::O_WRONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let written = nix::unistd::write(&fd, value)?;
        if written == value.len() {
            Ok(())
        } else {
            Err(Errno::EIO)
        }
    }

    /// Whether the cgroup has the file `name` (`cg_kill_supported()` asks for `cgroup.kill`).
    pub fn has_attr(&self, name: &str) -> bool {
        nix::unistd::faccessat(
            self.dir.as_fd(),
            name,
            nix::unistd::AccessFlags::F_OK,
            nix::fcntl::AtFlags::empty(),
        )
        .is_ok()
    }

    /// The processes directly in the cgroup (`cgroup.procs`); `0` for each one outside our pid
    /// namespace.
    pub fn procs(&self) -> Result<Vec<i32>, Errno> {
        self.read_attr("cgroup.procs").map(|t| parse_procs(&t))
    }

    /// `cg_attach()`: moves `pid` (0: the caller) into the cgroup.
    pub fn attach(&self, pid: i32) -> Result<(), Errno> {
        self.write_attr("cgroup.procs", pid.to_string().as_bytes())
    }

    /// The directory's descriptor (`O_PATH`), as clone3()'s CLONE_INTO_CGROUP takes it.
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// `cgroup.procs` opened for writing, for a child that moves itself in (writes `0`).
    pub fn procs_for_writing(&self) -> Result<OwnedFd, Errno> {
        openat(
            self.dir.as_fd(),
            "cgroup.procs",
            OFlag::O_WRONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
    }

    /// `cg_trim()` of one level: removes the child cgroup `name` if it is empty (EBUSY while
    /// it has processes or children, ENOENT when it is gone: both leave it to the caller).
    pub fn rmdir_at(&self, name: &str) -> Result<(), Errno> {
        nix::unistd::unlinkat(
            self.dir.as_fd(),
            name,
            nix::unistd::UnlinkatFlags::RemoveDir,
        )
    }

    /// The controllers the parent offers this cgroup (`cgroup.controllers`), of those systemd
    /// manages on cgroup2.
    pub fn controllers(&self) -> Result<Vec<&'static str>, Errno> {
        let text = self.read_attr("cgroup.controllers")?;
        Ok(["cpu", "cpuset", "io", "memory", "pids"]
            .into_iter()
            .filter(|c| text.split_whitespace().any(|w| w == *c))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_prefixes_names_that_clash() {
        assert_eq!(escape("a.service"), "a.service");
        assert_eq!(escape("cpu.service"), "_cpu.service");
        assert_eq!(escape("pids.slice"), "_pids.slice");
        assert_eq!(escape("cpu-x.service"), "cpu-x.service");
        assert_eq!(escape("cgroup.procs"), "_cgroup.procs");
        assert_eq!(escape("tasks"), "_tasks");
        assert_eq!(escape("_x.service"), "__x.service");
        assert_eq!(escape(".x.service"), "_.x.service");
        assert_eq!(escape("bpf-firewall.mount"), "_bpf-firewall.mount");
        // only the part before the last dot names a controller
        assert_eq!(escape("cpu.x.service"), "cpu.x.service");
    }

    #[test]
    fn slices_nest_by_dashes() {
        assert_eq!(slice_to_path("-.slice").as_deref(), Some(""));
        assert_eq!(
            slice_to_path("system.slice").as_deref(),
            Some("system.slice")
        );
        assert_eq!(
            slice_to_path("a-b-c.slice").as_deref(),
            Some("a.slice/a-b.slice/a-b-c.slice")
        );
        assert_eq!(
            slice_to_path("system-a\\x2db.slice").as_deref(),
            Some("system.slice/system-a\\x2db.slice")
        );
        assert_eq!(
            slice_to_path("cpu-x.slice").as_deref(),
            Some("_cpu.slice/cpu-x.slice")
        );
        for bad in ["-a.slice", "a-.slice", "a--b.slice", "a.service", ".slice"] {
            assert_eq!(slice_to_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn unit_paths_as_systemd_makes_them() {
        assert_eq!(unit_path("-.slice", None).as_deref(), Some("/"));
        assert_eq!(
            unit_path("system.slice", Some("-.slice")).as_deref(),
            Some("/system.slice")
        );
        assert_eq!(
            unit_path("init.scope", Some("-.slice")).as_deref(),
            Some("/init.scope")
        );
        assert_eq!(
            unit_path("echo@1.service", Some("system-echo.slice")).as_deref(),
            Some("/system.slice/system-echo.slice/echo@1.service")
        );
        assert_eq!(
            unit_path("system-echo.slice", Some("system.slice")).as_deref(),
            Some("/system.slice/system-echo.slice")
        );
        assert_eq!(
            unit_path("cpu.service", Some("system.slice")).as_deref(),
            Some("/system.slice/_cpu.service")
        );
        assert_eq!(unit_path("a.service", Some("-a.slice")), None);
    }

    #[test]
    fn leaf_calls_on_a_prepared_directory() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        std::fs::write(
            root.join("cgroup.controllers"),
            "cpuset cpu io memory hugetlb pids rdma\n",
        )
        .expect("write");
        std::fs::write(root.join("cgroup.procs"), "0\n1\n37\n").expect("write");
        let cg = Cgroup::open(root).expect("open");
        assert_eq!(cg.procs(), Ok(vec![0, 1, 37]));
        assert_eq!(
            cg.controllers(),
            Ok(vec!["cpu", "cpuset", "io", "memory", "pids"])
        );
        let child = cg.mkdir_at("init.scope").expect("mkdir");
        assert!(cg.mkdir_at("init.scope").is_ok(), "EEXIST is fine");
        // a real cgroup has the file already; a plain directory has not
        assert_eq!(child.attach(5), Err(Errno::ENOENT));
        std::fs::write(root.join("init.scope/cgroup.procs"), "").expect("write");
        assert_eq!(child.attach(5), Ok(()));
        assert_eq!(child.read_attr("cgroup.procs").as_deref(), Ok("5"));
        assert!(child.has_attr("cgroup.procs"));
        assert!(!child.has_attr("cgroup.kill"));
        assert_eq!(
            unified_path("1:name=systemd:/x\n0::/init.scope\n"),
            Some("/init.scope")
        );
        assert_eq!(unified_path("1:name=systemd:/x\n"), None);
    }

    #[test]
    fn root_drops_the_managers_own_scope() {
        assert_eq!(root_of("/init.scope"), "/");
        assert_eq!(root_of("/"), "/");
        assert_eq!(root_of("/docker/abc/init.scope"), "/docker/abc");
        assert_eq!(root_of("/user.slice/x.scope"), "/user.slice/x.scope");
        assert_eq!(root_of("/system.slice"), "/");
    }
}
