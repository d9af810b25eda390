//! Which cgroup mode this manager runs in, decided once at start, as systemd 252's
//! `manager_setup_cgroup()` (core/cgroup.c) finds its root (`cg_get_root_path()`), moves itself
//! into `init.scope` (`cg_create_and_attach()`) and reads what controllers it can use
//! (`cg_mask_supported_subtree()`). Where 252 then refuses to run, we fall back:
//!
//! - **Full**: /sys/fs/cgroup is a writable cgroup2 whose root offers controllers.
//! - **Tracking**: writable, but no controller to enable (a cgroup per unit, no limits).
//! - **Fallback**: not cgroup2 (a v1 or hybrid tmpfs), read-only, not ours to write (rootless,
//!   not delegated), or shared with processes that are not ours. Never a hybrid host's
//!   `unified` mount: without a cgroup namespace that is the host's hierarchy.
//!
//! The steps and the reasons are design §3 and §5.1 (notes/issue17-design.md).

use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::sys::cgroup::{self, Cgroup, FsInfo};

/// The inode of the initial cgroup namespace (the kernel's `PROC_CGROUP_INIT_INO`): a process
/// in it shares the host's cgroup tree.
const INITIAL_CGROUP_NS: u64 = 0xEFFF_FFFB;

/// A writable cgroup2 tree the manager owns.
#[derive(Debug)]
pub struct CgroupRoot {
    /// Its path in the hierarchy (`/` at the root of a cgroup namespace), as systemd's
    /// `cgroup_root`.
    pub path: String,
    /// The directory, under the mount.
    pub dir: PathBuf,
    /// The controllers its `cgroup.controllers` offers, of those systemd manages on cgroup2.
    pub controllers: Vec<&'static str>,
    /// Whether the kernel has `cgroup.kill` (`cg_kill_supported()`).
    pub kill: bool,
}

#[derive(Debug)]
pub enum Mode {
    Full(CgroupRoot),
    Tracking(CgroupRoot),
    Fallback,
}

/// The mode and why: the manager logs it once at start.
#[derive(Debug)]
pub struct Detection {
    pub mode: Mode,
    pub reason: String,
}

impl Detection {
    fn fallback(reason: String) -> Detection {
        Detection {
            mode: Mode::Fallback,
            reason,
        }
    }

    /// The line the manager logs at start.
    pub fn log_line(&self) -> String {
        let name = match self.mode {
            Mode::Full(_) => "full",
            Mode::Tracking(_) => "tracking",
            Mode::Fallback => "fallback",
        };
        format!("Control group mode: {name} ({}).", self.reason)
    }
}

/// What detection reads of the system, gathered by [`detect`] (and made up by the tests).
struct Facts<'a> {
    /// Where the hierarchy is mounted (`/sys/fs/cgroup`).
    mount: &'a Path,
    fs: Result<FsInfo, Errno>,
    /// /proc/self/cgroup and /proc/self/mountinfo.
    proc_cgroup: &'a str,
    mountinfo: &'a str,
    pid: i32,
    pid1: bool,
    /// In the host's cgroup namespace.
    initial_cgroup_ns: bool,
}

/// Detects the mode of this process, once at start: [`Mode::Full`] or [`Mode::Tracking`] leave
/// the manager in `ROOT/init.scope`.
pub fn detect() -> Detection {
    use std::os::unix::fs::MetadataExt;
    let mount = Path::new(cgroup::MOUNT);
    let proc_cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let pid = i32::try_from(std::process::id()).unwrap_or(0);
    decide(&Facts {
        mount,
        fs: cgroup::fs_info(mount),
        proc_cgroup: &proc_cgroup,
        mountinfo: &mountinfo,
        pid,
        pid1: pid == 1,
        // unreadable: assume the host's, which only makes us more careful
        initial_cgroup_ns: std::fs::metadata("/proc/self/ns/cgroup")
            .map_or(true, |m| m.ino() == INITIAL_CGROUP_NS),
    })
}

fn decide(f: &Facts) -> Detection {
    let mount = f.mount.display();
    // (1) cgroup2 at the mount, and (3) writable
    match f.fs {
        Err(e) => return Detection::fallback(format!("cannot look at {mount}: {e}")),
        Ok(fs) if !fs.cgroup2 => {
            return Detection::fallback(format!("{mount} is not a cgroup2 mount"))
        }
        Ok(fs) if fs.read_only => {
            return Detection::fallback(format!("cgroup2 at {mount} is read-only"))
        }
        Ok(_) => {}
    }
    // (2) our cgroup, through the mount's root, is a directory we can see
    let Some(own) = cgroup::unified_path(f.proc_cgroup) else {
        return Detection::fallback("no cgroup2 path in /proc/self/cgroup".into());
    };
    let Some(mount_root) = crate::sys::mountinfo::root_at(f.mountinfo, &mount.to_string()) else {
        return Detection::fallback(format!("{mount} is not in /proc/self/mountinfo"));
    };
    let root_path = cgroup::root_of(own);
    let under_mount = |path: &str| -> Option<PathBuf> {
        let rest = if mount_root == "/" {
            path
        } else {
            path.strip_prefix(mount_root.as_str())
                .filter(|r| r.is_empty() || r.starts_with('/'))?
        };
        Some(f.mount.join(rest.trim_start_matches('/')))
    };
    let (Some(own_dir), Some(root_dir)) = (under_mount(own), under_mount(&root_path)) else {
        return Detection::fallback(format!(
            "our cgroup {own} is outside what {mount} shows ({mount_root})"
        ));
    };
    let opened = Cgroup::open(&own_dir).and_then(|o| Ok((o, Cgroup::open(&root_dir)?)));
    let (own_cg, root) = match opened {
        Ok(both) => both,
        Err(e) => return Detection::fallback(format!("cannot open our cgroup {own}: {e}")),
    };
    // (4) no process of another pid namespace, unless we are the init of a container at the
    // root of its own cgroup namespace (the runtime's process may stay there); a manager that
    // is not PID 1 uses its cgroup only when it is there alone.
    let procs = match own_cg.procs() {
        Ok(p) => p,
        Err(e) => return Detection::fallback(format!("cannot read {own}/cgroup.procs: {e}")),
    };
    let container_init = f.pid1 && own == "/" && !f.initial_cgroup_ns;
    if procs.contains(&0) && !container_init {
        return Detection::fallback(format!(
            "our cgroup {own} is shared with processes outside our PID namespace"
        ));
    }
    if !f.pid1 && procs.iter().any(|&p| p != f.pid) {
        return Detection::fallback(format!("our cgroup {own} holds other processes"));
    }
    // (5) the act decides: make ROOT/init.scope and move in, as 252 does at start
    let scope_path = format!("{}/init.scope", root_path.trim_end_matches('/'));
    let scope = match root.mkdir_at("init.scope") {
        Ok(s) => s,
        Err(e) => return Detection::fallback(format!("cannot make {scope_path}: {e}")),
    };
    if let Err(e) = scope.attach(f.pid) {
        return Detection::fallback(format!("cannot move into {scope_path}: {e}"));
    }
    let controllers = root.controllers().unwrap_or_default();
    let root = CgroupRoot {
        path: root_path,
        dir: root_dir,
        kill: scope.has_attr("cgroup.kill"),
        controllers,
    };
    let what = format!("cgroup2 at {mount} is writable, root {}", root.path);
    if root.controllers.is_empty() {
        Detection {
            reason: format!("{what}, no controllers to enable"),
            mode: Mode::Tracking(root),
        }
    } else {
        Detection {
            reason: format!("{what}, controllers {}", root.controllers.join(" ")),
            mode: Mode::Full(root),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CGROUP2: FsInfo = FsInfo {
        cgroup2: true,
        read_only: false,
    };

    /// A directory laid out as a cgroup2 mount: the root's files, `init.scope/cgroup.procs`
    /// (which the kernel would make with the directory), and our own cgroup `own` (relative).
    fn tree(controllers: &str, own: &str, procs: &str) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        std::fs::write(root.join("cgroup.controllers"), controllers).expect("write");
        std::fs::create_dir_all(root.join("init.scope")).expect("mkdir");
        std::fs::write(root.join("init.scope/cgroup.procs"), "").expect("write");
        std::fs::create_dir_all(root.join(own)).expect("mkdir");
        std::fs::write(root.join(own).join("cgroup.procs"), procs).expect("write");
        tmp
    }

    fn facts<'a>(mount: &'a Path, proc_cgroup: &'a str, mountinfo: &'a str) -> Facts<'a> {
        Facts {
            mount,
            fs: Ok(CGROUP2),
            proc_cgroup,
            mountinfo,
            pid: 1,
            pid1: true,
            initial_cgroup_ns: false,
        }
    }

    fn mountinfo(mount: &Path, root: &str, fstype: &str) -> String {
        format!(
            "46 45 254:0 / / rw - ext4 /dev/vda rw\n61 46 0:31 {root} {} rw - {fstype} x rw\n",
            mount.display()
        )
    }

    fn name(d: &Detection) -> &'static str {
        match d.mode {
            Mode::Full(_) => "full",
            Mode::Tracking(_) => "tracking",
            Mode::Fallback => "fallback",
        }
    }

    #[test]
    fn a_container_init_with_a_writable_cgroup2_tracks_or_limits() {
        // the image sandbox: our own cgroup namespace, the runtime's process (0) beside us
        let tmp = tree("", "", "0\n1\n");
        let mi = mountinfo(tmp.path(), "/", "cgroup2");
        let d = decide(&facts(tmp.path(), "0::/\n", &mi));
        assert_eq!(name(&d), "tracking", "{}", d.reason);
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("init.scope/cgroup.procs")).unwrap(),
            "1"
        );
        assert!(
            d.log_line().ends_with(", no controllers to enable)."),
            "{}",
            d.log_line()
        );
        let tmp = tree("cpuset cpu io memory pids\n", "", "1\n");
        let mi = mountinfo(tmp.path(), "/", "cgroup2");
        let d = decide(&facts(tmp.path(), "0::/\n", &mi));
        assert_eq!(name(&d), "full", "{}", d.reason);
        let Mode::Full(root) = &d.mode else {
            unreachable!()
        };
        assert_eq!(root.controllers, ["cpu", "cpuset", "io", "memory", "pids"]);
        assert_eq!(root.path, "/");
        assert!(!root.kill);
        // a manager restarted in init.scope keeps the same root
        let tmp = tree("", "init.scope", "1\n");
        let mi = mountinfo(tmp.path(), "/", "cgroup2");
        let d = decide(&facts(tmp.path(), "0::/init.scope\n", &mi));
        assert_eq!(name(&d), "tracking", "{}", d.reason);
    }

    #[test]
    fn the_mounts_root_maps_our_path() {
        // a runtime that mounts only the container's cgroup, without a cgroup namespace
        let tmp = tree("memory\n", "", "1\n");
        let mi = mountinfo(tmp.path(), "/docker/abc", "cgroup2");
        let mut f = facts(tmp.path(), "0::/docker/abc\n", &mi);
        f.initial_cgroup_ns = true;
        let d = decide(&f);
        assert_eq!(name(&d), "full", "{}", d.reason);
        let Mode::Full(root) = &d.mode else {
            unreachable!()
        };
        assert_eq!(root.path, "/docker/abc");
        assert_eq!(root.dir, tmp.path());
        // a cgroup above what is mounted cannot be reached
        let d = decide(&facts(tmp.path(), "0::/other\n", &mi));
        assert_eq!(name(&d), "fallback");
        assert!(d.reason.contains("outside what"), "{}", d.reason);
    }

    #[test]
    fn everything_else_falls_back() {
        let tmp = tree("memory\n", "", "1\n");
        let mi = mountinfo(tmp.path(), "/", "cgroup2");
        let reason = |f: &Facts| {
            let d = decide(f);
            assert_eq!(name(&d), "fallback", "{}", d.reason);
            d.reason
        };
        let mut f = facts(tmp.path(), "0::/\n", &mi);
        f.fs = Ok(FsInfo {
            cgroup2: false,
            read_only: false,
        });
        assert!(reason(&f).ends_with("is not a cgroup2 mount"));
        f.fs = Ok(FsInfo {
            cgroup2: true,
            read_only: true,
        });
        assert!(reason(&f).ends_with("is read-only"));
        f.fs = Err(Errno::ENOENT);
        assert!(reason(&f).starts_with("cannot look at"));
        let f = facts(tmp.path(), "1:name=systemd:/\n", &mi);
        assert_eq!(reason(&f), "no cgroup2 path in /proc/self/cgroup");
        // a PID 1 without a cgroup namespace of its own, beside processes of the host
        let tmp = tree("", "test", "0\n0\n1\n");
        let mi = mountinfo(tmp.path(), "/", "cgroup2");
        let mut f = facts(tmp.path(), "0::/test\n", &mi);
        f.initial_cgroup_ns = true;
        assert!(reason(&f).contains("outside our PID namespace"));
        // a manager that is not PID 1 shares its cgroup with the shell that started it
        let tmp = tree("", "user", "40\n41\n");
        let mi = mountinfo(tmp.path(), "/", "cgroup2");
        let mut f = facts(tmp.path(), "0::/user\n", &mi);
        f.pid = 41;
        f.pid1 = false;
        assert!(reason(&f).ends_with("holds other processes"));
        // not writable: init.scope's cgroup.procs refuses us
        let tmp = tree("", "", "1\n");
        std::fs::remove_file(tmp.path().join("init.scope/cgroup.procs")).unwrap();
        let mi = mountinfo(tmp.path(), "/", "cgroup2");
        let f = facts(tmp.path(), "0::/\n", &mi);
        assert!(reason(&f).starts_with("cannot move into /init.scope: ENOENT"));
    }
}
