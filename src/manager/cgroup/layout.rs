//! A unit's cgroup (systemd 252's core/cgroup.c `unit_realize_cgroup()` and
//! `unit_prune_cgroup()`): in cgroup mode its directory under the manager's root, made with its
//! slices (`/system.slice/system-echo.slice/echo@1.service`) before the unit's first process,
//! which is then born in it; removed once the unit is down and the cgroup empty.
//!
//! A cgroup that cannot be made (the tree went read-only, a name the kernel refuses) is logged
//! and the unit's processes run where the manager is, tracked as in fallback mode.

use std::path::{Path, PathBuf};

use super::super::daemon::Manager;
use super::detect::Mode;
use crate::manager::unit_id::UnitId;
use crate::sys::cgroup::Cgroup;

/// Whether the cgroup at `dir` or one below it holds a process (`cgroup.events`' `populated`,
/// which no longer counts a process once it has exited, zombie or not); `None` when there is
/// no such cgroup.
pub fn populated(dir: &Path) -> Option<bool> {
    let events = Cgroup::open(dir).ok()?.read_attr("cgroup.events").ok()?;
    events
        .lines()
        .find_map(|l| l.strip_prefix("populated "))
        .map(|v| v.trim() == "1")
}

/// The processes of the cgroup at `dir` and of the cgroups below it (`cg_read_pid()` over the
/// subtree), those outside our pid namespace (`0`) left out; `None` when there is no such
/// cgroup.
pub fn members(dir: &Path) -> Option<Vec<i32>> {
    let mut pids = Cgroup::open(dir).ok()?.procs().ok()?;
    pids.retain(|p| *p > 0);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pids.extend(members(&entry.path()).unwrap_or_default());
            }
        }
    }
    Some(pids)
}

impl Manager {
    /// Where unit `i`'s cgroup is in cgroup mode (whether it exists or not).
    pub(in crate::manager) fn cgroup_dir(&self, i: UnitId) -> Option<PathBuf> {
        let (Mode::Full(root) | Mode::Tracking(root)) = &self.cgroup.mode else {
            return None;
        };
        let path = self.units[i].config.control_group();
        Some(root.dir.join(path.trim_start_matches('/')))
    }

    /// manager_get_unit_by_pid_cgroup(): the unit whose cgroup holds `pid` (the deepest one
    /// on its cgroup's path that is a unit's, not a slice's); `None` outside cgroup mode, or
    /// for a process in no unit's cgroup.
    pub(in crate::manager) fn unit_by_cgroup(&self, pid: i32) -> Option<UnitId> {
        let (Mode::Full(root) | Mode::Tracking(root)) = &self.cgroup.mode else {
            return None;
        };
        let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let path = crate::sys::cgroup::unified_path(&text)?.trim_end();
        let mut path = match root.path.as_str() {
            "/" => path,
            own => path.strip_prefix(own)?,
        };
        while path.starts_with('/') && path.len() > 1 {
            let found = self.units.iter().find(|(_, u)| {
                u.config.unit_type != crate::unit::name::UnitType::Slice
                    && u.config.control_group() == path
            });
            if let Some((i, _)) = found {
                return Some(i);
            }
            path = &path[..path.rfind('/')?];
        }
        None
    }

    /// The unit's cgroup, made if missing; `None` outside cgroup mode or when it cannot be made.
    pub(in crate::manager) fn realize_cgroup(&mut self, i: UnitId) -> Option<Cgroup> {
        let (Mode::Full(root) | Mode::Tracking(root)) = &self.cgroup.mode else {
            return None;
        };
        let path = self.units[i].config.control_group();
        let made = Cgroup::open(&root.dir).and_then(|mut cgroup| {
            for level in path.split('/').filter(|l| !l.is_empty()) {
                cgroup = cgroup.mkdir_at(level)?;
            }
            Ok(cgroup)
        });
        match made {
            Ok(cgroup) => Some(cgroup),
            Err(e) => {
                let line = format!("Failed to create cgroup {path}: {}", e.desc());
                self.unit_log(i, &line);
                None
            }
        }
    }

    /// unit_prune_cgroup(): the cgroup of a unit that is down goes when it holds no process;
    /// one that still does (KillMode=none, a process that ignored the kill) stays, as in 252.
    pub(in crate::manager) fn prune_cgroup(&mut self, i: UnitId) {
        let (Mode::Full(root) | Mode::Tracking(root)) = &self.cgroup.mode else {
            return;
        };
        let path = self.units[i].config.control_group();
        let Some((parent, name)) = path.rsplit_once('/') else {
            return;
        };
        if name.is_empty() {
            return;
        }
        let parent = root.dir.join(parent.trim_start_matches('/'));
        if let Ok(cgroup) = Cgroup::open(&parent) {
            let _ = cgroup.rmdir_at(name);
        }
    }
}
