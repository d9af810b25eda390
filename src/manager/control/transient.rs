//! StartTransientUnit() (systemd 252's src/core/dbus-manager.c `method_start_transient_unit()`
//! and `transient_unit_from_message()`, src/core/unit.c `unit_make_transient()`): each unit's
//! settings written as a unit file in the transient directory (/run/systemd/transient, which is
//! in the search path), loaded from there (a unit whose file is there is `Transient=yes`), and
//! the first one started as StartUnit() starts a unit. The file goes when the unit is collected
//! (unit.c's `unit_remove_transient()`).
//!
//! The directory is reached with chase_symlinks()'s CHASE_SAFE rules and made if missing; the
//! file is written under a temporary name beside its final one, opened with
//! `O_CREAT|O_EXCL|O_NOFOLLOW`, and renamed into place, so nothing else's file is written
//! through a link and a reader never sees half a unit.

use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use nix::fcntl::{openat, renameat, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::{unlinkat, UnlinkatFlags};

use super::super::daemon::Manager;
use crate::ipc::protocol::{JobMode, JobOutcome, JobVerb, Reply, TransientUnit};
use crate::sys::chase::{chase, ChaseFlags};
use crate::unit::model::LoadState;
use crate::unit::name::{UnitName, UnitType};

/// The first line of every transient file, as unit_make_transient() writes it.
const HEADER: &str =
    "# This is a transient unit file, created programmatically via the systemd API. Do not edit.\n";

/// unit_vtable[]'s `can_transient`: the types systemd 252 makes transient units of.
fn can_transient(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service
            | UnitType::Scope
            | UnitType::Slice
            | UnitType::Socket
            | UnitType::Timer
            | UnitType::Path
            | UnitType::Mount
            | UnitType::Automount
    )
}

/// Whether the start job was queued (AddRef holds only a unit that was made).
fn started(reply: &Option<Reply>) -> bool {
    matches!(reply, Some(Reply::Jobs(o)) if matches!(o.first(), Some(JobOutcome::Queued { .. })))
}

impl Manager {
    /// Write, load and start `units` (the first started, the rest only loaded); the reply is
    /// the start job's, as [`Manager::queue_jobs`] gives it with `no_block`.
    pub(super) fn start_transient(
        &mut self,
        client: u64,
        mode: JobMode,
        units: &[TransientUnit],
        add_ref: bool,
    ) -> Option<Reply> {
        let Some(main) = units.first() else {
            return Some(Reply::Error("No unit to start.".into()));
        };
        let refused = |message: String, exit: u8| {
            Some(Reply::Jobs(vec![JobOutcome::Refused {
                unit: main.name.clone(),
                message,
                exit,
            }]))
        };
        // Every unit is checked before any file is written: a refusal leaves nothing behind.
        let mut names = Vec::new();
        for u in units {
            let name = match UnitName::parse(&u.name) {
                Ok(n) if !n.is_template() => n,
                // unit_name_to_type() fails, as for a template manager_load_unit() refuses
                _ => return refused("Invalid unit name or type.".into(), 1),
            };
            if !can_transient(name.unit_type()) {
                return refused(
                    format!(
                        "Unit type {} does not support transient units.",
                        name.unit_type().as_str()
                    ),
                    1,
                );
            }
            if !self.is_pristine(&name) {
                return refused(
                    format!("Unit {name} was already loaded or has a fragment file."),
                    1,
                );
            }
            if names.contains(&name) {
                return refused(
                    format!("Unit {name} was already loaded or has a fragment file."),
                    1,
                );
            }
            if let Some(message) = &u.refused {
                return refused(message.clone(), 1);
            }
            names.push(name);
        }
        for (u, name) in units.iter().zip(&names) {
            if let Err(e) = self.write_transient(name, &u.text) {
                return refused(format!("Failed to write transient unit {name}: {e}"), 1);
            }
        }
        // The files are new: the name map learns of them, and a stub a query left in the table
        // (a unit not found) takes the loaded configuration.
        if let Some(dir) = self.lookup.transient.clone() {
            for name in &names {
                self.name_map.note_file(&dir, name.as_str(), true);
            }
        }
        for name in &names {
            let Some(config) = self.load_config(name) else {
                return refused(format!("Unit {name} not found."), 5);
            };
            match self.units.lookup(name.as_str()) {
                Some(i) => {
                    self.units[i].served = self.serves(&config);
                    self.units[i].reconfigure(config, &self.config);
                    self.ordering = None;
                    // one that does not start (a bad setting) goes, with its file
                    self.collect_later(i);
                }
                None => {
                    self.loaded_index(name);
                }
            }
        }
        let reply = self.queue_jobs(
            client,
            JobVerb::Start,
            std::slice::from_ref(&main.name),
            true,
            mode,
        );
        if add_ref && started(&reply) {
            // held before this batch ends, so before the unit can be collected
            *self.bus_refs.entry(names[0].to_string()).or_default() += 1;
        }
        reply
    }

    /// A holder of `unit` let go: once nobody holds it, it may be collected.
    pub(super) fn unit_unref(&mut self, unit: &str) {
        let Some(count) = self.bus_refs.get_mut(unit) else {
            return;
        };
        *count = count.saturating_sub(1);
        if *count == 0 {
            self.bus_refs.remove(unit);
            if let Some(i) = self.units.lookup(unit) {
                self.collect_later(i);
            }
        }
    }

    /// unit_is_pristine(): nothing of the unit exists yet, neither a file nor a job; a unit
    /// a query loaded as not found is pristine.
    fn is_pristine(&mut self, name: &UnitName) -> bool {
        if let Some(i) = self.units.lookup(name.as_str()) {
            let unit = &self.units[i];
            return unit.config.load_state == LoadState::NotFound
                && unit.config.fragment_path.is_none()
                && !self.jobs.has_job(i);
        }
        self.load_config(name).is_none()
    }

    /// The transient directory's descriptor, made if missing, reached safely.
    fn transient_dir(&self) -> std::io::Result<OwnedFd> {
        let dir = self
            .lookup
            .transient
            .as_deref()
            .ok_or_else(|| std::io::Error::from_raw_os_error(libc::EOPNOTSUPP))?;
        self.made_dir(dir)
    }

    /// Directory `dir` (inside the root), made if missing, reached with CHASE_SAFE's rules.
    pub(super) fn made_dir(&self, dir: &Path) -> std::io::Result<OwnedFd> {
        let flags = ChaseFlags {
            mkdir_0755: true,
            ..ChaseFlags::SAFE
        };
        let chased = chase(dir, &self.lookup.root, flags)
            .map_err(|e| std::io::Error::from_raw_os_error(e.errno()))?;
        chased
            .fd
            .ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOENT))
    }

    fn write_transient(&self, name: &UnitName, text: &str) -> std::io::Result<()> {
        let dir = self.transient_dir()?;
        write_replacing(&dir, name.as_str(), &[HEADER, text])
    }

    /// unit_remove_transient(): a collected transient unit's file goes with it (only a file in
    /// the transient directory, never one a unit was loaded from elsewhere).
    pub(in crate::manager) fn remove_transient(&mut self, fragment: &Path) {
        let Some(dir) = self.lookup.transient.as_deref() else {
            return;
        };
        if fragment.parent() != Some(dir) {
            return;
        }
        let Some(file) = fragment.file_name() else {
            return;
        };
        if let Ok(fd) = self.transient_dir() {
            let _ = unlinkat(fd.as_fd(), file, UnlinkatFlags::NoRemoveDir);
        }
        // the name map must not send the next load of the name to a file that is gone
        if let Some(name) = file.to_str() {
            let dir = dir.to_path_buf();
            self.name_map.note_file(&dir, name, false);
        }
    }
}

/// Write `parts` as file `name` of directory `dir`: under a temporary name beside it, opened
/// with `O_CREAT|O_EXCL|O_NOFOLLOW`, synced, then renamed into place, so nothing else's file is
/// written through a link and a reader never sees half of it.
pub(super) fn write_replacing(dir: &OwnedFd, name: &str, parts: &[&str]) -> std::io::Result<()> {
    let temporary = format!(".#{name}.{}", std::process::id());
    let _ = unlinkat(dir.as_fd(), temporary.as_str(), UnlinkatFlags::NoRemoveDir);
    let fd = openat(
        dir.as_fd(),
        temporary.as_str(),
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o644),
    )?;
    let mut file = std::fs::File::from(fd);
    let written = parts
        .iter()
        .try_for_each(|p| file.write_all(p.as_bytes()))
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = unlinkat(dir.as_fd(), temporary.as_str(), UnlinkatFlags::NoRemoveDir);
        return Err(e);
    }
    renameat(dir.as_fd(), temporary.as_str(), dir.as_fd(), name)?;
    Ok(())
}
