//! `Condition…=` and `Assert…=` of systemd.unit(5), evaluated as systemd 252's
//! src/shared/condition.c does: `condition_test()` for one entry (the check, then `!`), and
//! `condition_test_list()` for a unit's list (every non-triggering entry must hold, and at least one
//! triggering entry when there are any; an entry whose check fails with an error counts as not met).
//! Also the words systemd uses about the outcome: the per-entry debug lines, `status`'s
//! "… was not met" lines, and the journal's "Condition check resulted in … being skipped." /
//! "Assertion failed for …." lines.
//!
//! Paths named by path conditions (and the files systemd reads from the image: machine-id,
//! os-release, /etc/initrd-release, /run/systemd/first-boot, /usr for NeedsUpdate) are looked up
//! below `HostFacts::root`; everything else is the live machine (/proc, /sys, CPUID), except the
//! facts a test wants to pin, which `HostFacts` carries as plain fields.
//!
//! Here the facts, the list evaluation and the messages; the checks live one concern per file,
//! as condition.c's `condition_test_*()` group: paths.rs, kernel.rs (kernel, credentials,
//! environment, host, os-release), identity.rs (user, group, capability), machine.rs
//! (architecture, firmware, security, power, CPU features, updates, virtualization), cgroup.rs
//! (controllers, memory, CPUs, pressure), with the comparisons they share in compare.rs.

mod cgroup;
mod compare;
#[cfg(test)]
mod fixtures;
mod identity;
mod kernel;
mod machine;
mod paths;

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::sys::accounts::Accounts;
use crate::unit::host;
use crate::unit::model::Condition;
use crate::unit::virt::{self, Virtualization};

pub(crate) use cgroup::physical_memory;
use cgroup::{control_group_controller, cpus_in_affinity_mask, pressure};
pub use compare::version_compare;
use compare::{parse_boolean, Order};
use identity::{capability, group, user};
use kernel::{
    credential, environment, host_matches, kernel_command_line, kernel_version, os_release,
    read_kernel_command_line,
};
use machine::{
    architecture, cpu_has_flag, firmware, needs_update, on_ac_power, security, virtualization,
};
use paths::{directory_not_empty, glob_exists, is_encrypted, is_mount_point, read_only_fs};

/// The facts the checks read. `HostFacts::current()` reads them from this process and machine; a
/// test (or `--root`) changes the fields it needs.
#[derive(Debug, Clone)]
pub struct HostFacts {
    /// Where the paths of path conditions (and the image's own files) are looked up: "/" live.
    pub root: PathBuf,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// getgroups(): the manager's supplementary groups.
    pub groups: Vec<u32>,
    /// The image's /etc/passwd and /etc/group, for `User=`/`Group=` given by name.
    pub accounts: Accounts,
    /// The manager's effective environment (`NAME=VALUE`, including `set-environment`), which
    /// systemd hands to `ConditionEnvironment=` and where it finds `$CREDENTIALS_DIRECTORY`.
    pub environment: Vec<String>,
    pub hostname: String,
    /// uname -r.
    pub kernel_release: String,
    /// uname -m.
    pub machine: String,
    /// What `proc_cmdline()` returns: `None` when it could not be read.
    pub kernel_command_line: Option<String>,
    pub virtualization: Virtualization,
    /// `running_in_userns()`, for `ConditionVirtualization=private-users`.
    pub user_namespace: bool,
    /// `physical_memory()` in bytes: `None` when /proc/meminfo could not be read.
    pub physical_memory: Option<u64>,
    /// `cpus_in_affinity_mask()`: `None` when it could not be read.
    pub cpus: Option<u32>,
}

impl HostFacts {
    /// This process on this machine, with path conditions looked up below "/".
    pub fn current() -> HostFacts {
        HostFacts::with_root(Path::new("/"))
    }

    /// This process on this machine, with path conditions looked up below `root`.
    pub fn with_root(root: &Path) -> HostFacts {
        let groups = nix::unistd::getgroups()
            .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
            .unwrap_or_default();
        let environment = std::env::vars_os()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
            .collect::<Vec<_>>();
        let virtualization = virt::detect_virtualization().unwrap_or(Virtualization::None);
        let machine = nix::sys::utsname::uname()
            .ok()
            .and_then(|u| u.machine().to_str().map(str::to_string))
            .unwrap_or_default();
        HostFacts {
            root: root.to_path_buf(),
            uid: nix::unistd::getuid().as_raw(),
            euid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            egid: nix::unistd::getegid().as_raw(),
            groups,
            accounts: Accounts::load(root),
            kernel_command_line: read_kernel_command_line(&environment, virtualization),
            environment,
            hostname: host::hostname(),
            kernel_release: host::kernel_release(),
            machine,
            virtualization,
            user_namespace: virt::running_in_userns().unwrap_or(false),
            physical_memory: physical_memory(),
            cpus: cpus_in_affinity_mask(),
        }
    }

    fn path(&self, parameter: &str) -> PathBuf {
        self.root.join(parameter.trim_start_matches('/'))
    }

    fn env(&self, name: &str) -> Option<&str> {
        self.environment
            .iter()
            .find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
    }
}

/// systemd's `ConditionResult`, as its debug line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionResult {
    /// Not evaluated: an earlier non-triggering entry had already failed the list.
    Untested,
    Succeeded,
    Failed,
    /// The check itself could not be done; counts as not met.
    Error,
}

impl ConditionResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionResult::Untested => "untested",
            ConditionResult::Succeeded => "succeeded",
            ConditionResult::Failed => "failed",
            ConditionResult::Error => "error",
        }
    }

    /// The last field of the D-Bus `Conditions`/`Asserts` entries `(sbbsi)`: 0 untested, 1 met,
    /// -1 not met (failed or error).
    pub fn tristate(self) -> i32 {
        match self {
            ConditionResult::Untested => 0,
            ConditionResult::Succeeded => 1,
            ConditionResult::Failed | ConditionResult::Error => -1,
        }
    }
}

/// One entry of a list and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionOutcome {
    pub condition: Condition,
    pub result: ConditionResult,
    /// Why the check could not be done, for `ConditionResult::Error`.
    pub error: Option<String>,
}

impl ConditionOutcome {
    /// The line systemd logs at debug level for a tested entry, or at warning level for an error:
    /// `ConditionPathExists=!/x succeeded.` /
    /// `Couldn't determine result for ConditionHost=x, assuming failed: …`.
    pub fn log_line(&self) -> String {
        match (&self.result, &self.error) {
            (ConditionResult::Error, Some(e)) => format!(
                "Couldn't determine result for {}, assuming failed: {e}",
                describe(&self.condition)
            ),
            (r, _) => format!("{} {}.", describe(&self.condition), r.as_str()),
        }
    }
}

/// The verdict on a whole list, with every entry's outcome in the list's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub met: bool,
    pub outcomes: Vec<ConditionOutcome>,
}

impl CheckResult {
    /// The entries that were tested and not met (what `status` lists).
    pub fn failed(&self) -> impl Iterator<Item = &ConditionOutcome> {
        self.outcomes.iter().filter(|o| o.result.tristate() < 0)
    }

    /// find_first_failed_condition(): the first failed entry that is not triggering, else a
    /// triggering one.
    pub fn first_failed(&self) -> Option<&Condition> {
        let mut trigger = None;
        for o in self.failed() {
            if !o.condition.trigger {
                return Some(&o.condition);
            }
            trigger = trigger.or(Some(&o.condition));
        }
        trigger
    }

    /// The lines `status` prints under `Condition: start condition failed at …`, without their
    /// indentation: `├─ ConditionPathExists=/x was not met`, the last one with `└─`.
    pub fn status_condition_lines(&self) -> Vec<String> {
        let failed: Vec<&ConditionOutcome> = self.failed().collect();
        failed
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let glyph = if i + 1 < failed.len() {
                    "├─"
                } else {
                    "└─"
                };
                format!("{glyph} {} was not met", describe(&o.condition))
            })
            .collect()
    }

    /// The line `status` prints under `Assert: start assertion failed at …`: systemctl keeps one
    /// failed assert, preferring a non-triggering one, and words a triggering one generically.
    pub fn status_assert_line(&self) -> Option<String> {
        let mut chosen: Option<&ConditionOutcome> = None;
        for o in self.failed() {
            if !o.condition.trigger || chosen.is_none() {
                chosen = Some(o);
            }
        }
        let c = &chosen?.condition;
        Some(if c.trigger {
            "none of the trigger assertions were met".to_string()
        } else {
            format!(
                "{}={}{} was not met",
                c.name,
                if c.negate { "!" } else { "" },
                c.parameter
            )
        })
    }

    /// Every tested entry's `log_line()`, in order.
    pub fn log_lines(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|o| o.result != ConditionResult::Untested)
            .map(ConditionOutcome::log_line)
            .collect()
    }
}

/// One entry as systemd writes it in its messages: `ConditionPathExists=|!/x`.
pub fn describe(c: &Condition) -> String {
    format!(
        "{}={}{}{}",
        c.name,
        if c.trigger { "|" } else { "" },
        if c.negate { "!" } else { "" },
        c.parameter
    )
}

/// The unit's debug line when its conditions fail a start (the job still ends "done").
pub const CONDITION_FAILED_UNIT_MESSAGE: &str =
    "Starting requested but condition failed. Not starting unit.";
/// The unit's notice line when its asserts fail a start (the job ends "assert").
pub const ASSERT_FAILED_UNIT_MESSAGE: &str = "Starting requested but asserts failed.";
/// The job result of a start whose asserts failed.
pub const ASSERT_JOB_RESULT: &str = "assert";

/// The journal line (info) of a start job skipped by its conditions.
pub fn skipped_message(description: &str, failed: Option<&Condition>) -> String {
    // job_emit_done_message(): the failed condition where the unit's list has one; an
    // ExecCondition= skip has none and keeps the older wording.
    match failed {
        Some(c) => format!(
            "{description} was skipped because of an unmet condition check ({}={}{}{}).",
            c.name,
            if c.trigger { "|" } else { "" },
            if c.negate { "!" } else { "" },
            c.parameter
        ),
        None => format!("Condition check resulted in {description} being skipped."),
    }
}

/// The journal line (warning) of a start job failed by its asserts.
pub fn assert_failed_message(description: &str) -> String {
    format!("Assertion failed for {description}.")
}

/// What `systemctl start` prints when its job ended "assert".
pub fn assert_failed_client_message(unit: &str) -> String {
    format!("Assertion failed on job for {unit}.")
}

/// `condition_test_list()`: evaluate `list` in order. An empty list is met. The first
/// non-triggering entry not met ends the evaluation (later entries stay untested), as in systemd.
pub fn check(list: &[Condition], facts: &HostFacts) -> CheckResult {
    let mut outcomes: Vec<ConditionOutcome> = list
        .iter()
        .map(|c| ConditionOutcome {
            condition: c.clone(),
            result: ConditionResult::Untested,
            error: None,
        })
        .collect();
    // None: no triggering entry seen; then whether one of them held.
    let mut triggered: Option<bool> = None;
    for (c, outcome) in list.iter().zip(outcomes.iter_mut()) {
        let met = match test_one(c, facts) {
            Ok(holds) => {
                let met = holds != c.negate;
                outcome.result = if met {
                    ConditionResult::Succeeded
                } else {
                    ConditionResult::Failed
                };
                met
            }
            // An error is not negated: "!" of an unknown answer is still unknown.
            Err(e) => {
                outcome.result = ConditionResult::Error;
                outcome.error = Some(e);
                false
            }
        };
        if !c.trigger && !met {
            return CheckResult {
                met: false,
                outcomes,
            };
        }
        if c.trigger && triggered != Some(true) {
            triggered = Some(met);
        }
    }
    CheckResult {
        met: triggered != Some(false),
        outcomes,
    }
}

/// One check, before `!`: whether the machine has the property, or why that is unknown.
fn test_one(c: &Condition, f: &HostFacts) -> Result<bool, String> {
    let kind = c
        .name
        .strip_prefix("Condition")
        .or_else(|| c.name.strip_prefix("Assert"))
        .unwrap_or(&c.name);
    let p = c.parameter.as_str();
    match kind {
        "PathExists" => Ok(f.path(p).exists()),
        "PathExistsGlob" => Ok(glob_exists(&f.root, p)),
        "PathIsDirectory" => Ok(fs::metadata(f.path(p)).is_ok_and(|m| m.is_dir())),
        "PathIsSymbolicLink" => {
            Ok(fs::symlink_metadata(f.path(p)).is_ok_and(|m| m.file_type().is_symlink()))
        }
        "PathIsMountPoint" => Ok(is_mount_point(&f.path(p))),
        // Only a definite "read-only" or "missing" fails: systemd would rather start too much.
        "PathIsReadWrite" => Ok(match read_only_fs(&f.path(p)) {
            Ok(ro) => !ro,
            Err(e) => e.kind() != io::ErrorKind::NotFound,
        }),
        "PathIsEncrypted" => Ok(is_encrypted(&f.path(p))),
        "DirectoryNotEmpty" => Ok(directory_not_empty(&f.path(p))),
        "FileNotEmpty" => Ok(fs::metadata(f.path(p)).is_ok_and(|m| m.is_file() && m.len() > 0)),
        "FileIsExecutable" => Ok(fs::metadata(f.path(p))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)),
        "KernelCommandLine" => kernel_command_line(p, f),
        "KernelVersion" => kernel_version(p, &f.kernel_release),
        "Credential" => credential(p, f),
        "Virtualization" => Ok(virtualization(p, f)),
        "Security" => Ok(security(p, f)),
        "Capability" => capability(p),
        "Host" => host_matches(p, f),
        "ACPower" => Ok(parse_boolean(p)? == on_ac_power()),
        "Architecture" => Ok(architecture(p, &f.machine)),
        "Firmware" => Ok(firmware(p, f)),
        "NeedsUpdate" => Ok(needs_update(p, f)),
        "FirstBoot" => Ok(parse_boolean(p)? == f.path("/run/systemd/first-boot").exists()),
        "User" => Ok(user(p, f)),
        "Group" => Ok(group(p, f)),
        "ControlGroupController" => control_group_controller(p),
        "CPUs" => {
            let n = f.cpus.ok_or("Failed to determine CPUs in affinity mask")?;
            let (op, rest) = Order::parse(p).unwrap_or((Order::GreaterOrEqual, p));
            let k: u32 = rest
                .trim_start()
                .parse()
                .map_err(|_| format!("Failed to parse number of CPUs: {rest}"))?;
            Ok(op.test(n.cmp(&k)))
        }
        "Memory" => {
            let m = f
                .physical_memory
                .ok_or("Failed to determine physical memory")?;
            let (op, rest) = Order::parse(p).unwrap_or((Order::GreaterOrEqual, p));
            let k = crate::unit::size::parse_iec_size(rest)
                .ok()
                .ok_or_else(|| format!("Failed to parse size '{rest}'"))?;
            Ok(op.test(m.cmp(&k)))
        }
        "Environment" => Ok(environment(p, f)),
        "CPUFeature" => Ok(cpu_has_flag(&p.to_ascii_lowercase())),
        "OSRelease" => os_release(p, &f.root),
        "MemoryPressure" => pressure("memory", p),
        "CPUPressure" => pressure("cpu", p),
        "IOPressure" => pressure("io", p),
        _ => Err(format!("Unknown condition {}", c.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{cond, facts, met, not, tree, trig};
    use super::*;

    #[test]
    fn lists_follow_condition_test_list() {
        let root = tree();
        let f = facts(root.path());
        let yes = || cond("ConditionPathExists", "/etc");
        let no = || cond("ConditionPathExists", "/nonexistent");
        assert!(check(&[], &f).met);
        assert!(check(&[yes(), yes()], &f).met);
        assert!(!check(&[trig(no()), trig(no())], &f).met);
        assert!(check(&[trig(no()), trig(yes()), trig(no())], &f).met);
        // A non-triggering failure fails the list whatever the triggering ones say.
        let r = check(&[trig(yes()), no(), yes()], &f);
        assert!(!r.met);
        let results: Vec<_> = r.outcomes.iter().map(|o| o.result).collect();
        assert_eq!(
            results,
            [
                ConditionResult::Succeeded,
                ConditionResult::Failed,
                ConditionResult::Untested
            ]
        );
        assert!(check(&[yes(), trig(yes())], &f).met);
        // An error is not met, negated or not.
        let bad = cond("ConditionCapability", "CAP_NOT_A_THING");
        assert!(!met(bad.clone(), &f));
        assert!(!met(not(bad.clone()), &f));
        let r = check(&[bad], &f);
        assert_eq!(r.outcomes[0].result, ConditionResult::Error);
        assert!(r.outcomes[0].log_line().starts_with(
            "Couldn't determine result for ConditionCapability=CAP_NOT_A_THING, assuming failed: "
        ));
    }

    #[test]
    fn messages_read_as_systemds() {
        let root = tree();
        let f = facts(root.path());
        let a = cond("ConditionPathExists", "/nonexistent");
        let b = not(cond("ConditionPathExists", "/etc"));
        assert_eq!(describe(&b), "ConditionPathExists=!/etc");
        assert_eq!(describe(&trig(b.clone())), "ConditionPathExists=|!/etc");
        let r = check(&[trig(a.clone()), trig(b.clone())], &f);
        assert!(!r.met);
        assert_eq!(
            r.status_condition_lines(),
            [
                "├─ ConditionPathExists=|/nonexistent was not met",
                "└─ ConditionPathExists=|!/etc was not met",
            ]
        );
        assert_eq!(
            r.log_lines(),
            [
                "ConditionPathExists=|/nonexistent failed.",
                "ConditionPathExists=|!/etc failed.",
            ]
        );
        let r = check(&[b], &f);
        assert_eq!(
            r.status_condition_lines(),
            ["└─ ConditionPathExists=!/etc was not met"]
        );
        let asserts = [
            trig(cond("AssertPathExists", "/nonexistent")),
            not(cond("AssertPathExists", "/etc")),
        ];
        let r = check(&asserts, &f);
        assert_eq!(
            r.status_assert_line().as_deref(),
            Some("AssertPathExists=!/etc was not met")
        );
        let r = check(&asserts[..1], &f);
        assert_eq!(
            r.status_assert_line().as_deref(),
            Some("none of the trigger assertions were met")
        );
        assert_eq!(check(&[], &f).status_assert_line(), None);
        assert_eq!(
            skipped_message("My Service", None),
            "Condition check resulted in My Service being skipped."
        );
        let failed = Condition {
            name: "ConditionPathExists".into(),
            trigger: true,
            negate: true,
            parameter: "/x".into(),
        };
        assert_eq!(
            skipped_message("My Service", Some(&failed)),
            "My Service was skipped because of an unmet condition check (ConditionPathExists=|!/x)."
        );
        assert_eq!(
            assert_failed_message("My Service"),
            "Assertion failed for My Service."
        );
    }
}
