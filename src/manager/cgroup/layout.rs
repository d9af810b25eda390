//! A unit's cgroup (systemd 252's core/cgroup.c `unit_realize_cgroup()` and
//! `unit_prune_cgroup()`): in cgroup mode its directory under the manager's root, made with its
//! slices (`/system.slice/system-echo.slice/echo@1.service`) before the unit's first process,
//! which is then born in it; removed once the unit is down and the cgroup empty.
//!
//! A cgroup that cannot be made (the tree went read-only, a name the kernel refuses) is logged
//! and the unit's processes run where the manager is, tracked as in fallback mode.

use super::super::daemon::Manager;
use super::detect::Mode;
use crate::manager::unit_id::UnitId;
use crate::sys::cgroup::Cgroup;

impl Manager {
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
