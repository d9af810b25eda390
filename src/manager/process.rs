//! Finding a unit's processes without cgroups, for `KillMode=control-group` (systemd.kill(5)):
//! a process belongs to a unit invocation when it carries the invocation's `INVOCATION_ID` in its
//! environment (systemd sets that variable for every service, and daemons rarely clear it), when
//! it is in a session the unit's commands started (each command runs in a new session), or when it
//! descends from one of the unit's processes. Daemons that double-fork are reparented to the
//! manager (a child subreaper), so ancestry alone would lose them; the other two marks do not.

use std::collections::{HashMap, HashSet};

use crate::sys::proc::{all_processes, invocation_of, ProcStat};

/// One look at /proc: every process with its parent, session and `INVOCATION_ID`, so that the
/// processes of many units are found at the cost of one scan (a shutdown asks for all of them at
/// once).
#[derive(Debug, Default)]
pub struct ProcessTable {
    procs: Vec<(ProcStat, Option<Vec<u8>>)>,
    children: HashMap<i32, Vec<i32>>,
}

impl ProcessTable {
    pub fn scan() -> ProcessTable {
        let procs: Vec<(ProcStat, Option<Vec<u8>>)> = all_processes()
            .into_iter()
            .filter(|p| p.state != 'Z')
            .map(|p| {
                // Kernel threads have no environment to wait for.
                let id = (!p.kernel_thread).then(|| invocation_of(p.pid)).flatten();
                (p, id)
            })
            .collect();
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for (p, _) in &procs {
            children.entry(p.ppid).or_default().push(p.pid);
        }
        ProcessTable { procs, children }
    }

    /// Every live process of a unit invocation: those with its `INVOCATION_ID`, in one of
    /// `sessions`, or descended from `known`. The manager itself is never part of it.
    pub fn unit_processes(&self, invocation_id: &str, sessions: &[i32], known: &[i32]) -> Vec<i32> {
        let me = std::process::id() as i32;
        let id = invocation_id.as_bytes();
        let mut members: HashSet<i32> = self
            .procs
            .iter()
            .filter(|(p, _)| p.pid != me)
            .filter(|(p, env_id)| {
                known.contains(&p.pid)
                    || sessions.contains(&p.session)
                    || (!id.is_empty() && env_id.as_deref() == Some(id))
            })
            .map(|(p, _)| p.pid)
            .collect();
        let mut stack: Vec<i32> = members.iter().copied().collect();
        while let Some(pid) = stack.pop() {
            for &child in self.children.get(&pid).into_iter().flatten() {
                if child != me && members.insert(child) {
                    stack.push(child);
                }
            }
        }
        let mut out: Vec<i32> = members.into_iter().collect();
        out.sort_unstable();
        out
    }
}

/// [`ProcessTable::unit_processes`] on a fresh scan.
pub fn unit_processes(invocation_id: &str, sessions: &[i32], known: &[i32]) -> Vec<i32> {
    ProcessTable::scan().unit_processes(invocation_id, sessions, known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::proc::{environ_has, stat};
    use std::process::{Command, Stdio};

    #[test]
    fn a_daemon_that_left_its_session_is_found_by_its_invocation_id() {
        let id = format!("test{}", std::process::id());
        // setsid + background: the survivor is in a new session and no longer our descendant's
        // child once the shell exits.
        let out = Command::new("sh")
            .arg("-c")
            .arg("setsid sleep 30 >/dev/null 2>&1 & echo $!")
            .env("INVOCATION_ID", &id)
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        let daemon: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        // Mid-execve a process's environ reads empty (comm changes before the new environment
        // is in place): wait until the exec'd daemon shows its environment.
        let marker = format!("INVOCATION_ID={id}").into_bytes();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !(stat(daemon).is_some_and(|s| s.comm == "sleep") && environ_has(daemon, &marker)) {
            assert!(
                std::time::Instant::now() < deadline,
                "daemon never exec'd sleep"
            );
            std::thread::yield_now();
        }
        let found = unit_processes(&id, &[], &[]);
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(daemon),
            nix::sys::signal::SIGKILL,
        )
        .ok();
        assert!(found.contains(&daemon), "{found:?} lacks {daemon}");
        assert!(!found.contains(&(std::process::id() as i32)));
    }
}
