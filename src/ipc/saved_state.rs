//! The runtime state that survives the manager, what service.c's `service_serialize()` and
//! job.c's `job_serialize()` write across a re-exec: for every unit that is not simply inactive
//! (or has a job), its active state, sub-state, result, main and control pids (each with its
//! /proc start time, so a reused pid is never mistaken for the service), the command the control
//! process runs, its sessions, job, restart count and timestamps, written to one JSON file in the
//! runtime directory by an atomic rename. A manager started again (after a SIGKILL, or a
//! `daemon-reexec`) goes on from it (`coldplug.rs`). The boot id
//! recorded with the state (with the start time of PID 1) tells state left in an image at build
//! time (another boot, or another container) from state of this run: the former is discarded.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::sys::proc;

#[derive(Debug, Error)]
pub enum StateError {
    #[error("Failed to write the manager state {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Failed to encode the manager state: {0}")]
    Encode(#[from] serde_json::Error),
}

use crate::unit::job::JobKind;
pub use crate::unit::state::ActiveState;
use crate::unit::state::ServiceResult;

/// A pid with the start time that makes it unique across pid reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedPid {
    pub pid: i32,
    pub start_time: u64,
}

impl TrackedPid {
    /// The live process `pid`, if it exists.
    pub fn of(pid: i32) -> Option<TrackedPid> {
        proc::stat(pid).map(|s| TrackedPid {
            pid,
            start_time: s.start_time,
        })
    }

    pub fn is_alive(&self) -> bool {
        proc::is_same_process(self.pid, self.start_time)
    }
}

/// What is remembered of one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRecord {
    pub active_state: ActiveState,
    pub sub_state: String,
    pub result: ServiceResult,
    pub main_pid: Option<TrackedPid>,
    pub control_pid: Option<TrackedPid>,
    pub invocation_id: String,
    pub n_restarts: u32,
    pub status_text: Option<String>,
    /// Realtime microseconds of the last state changes, as `show` prints them.
    pub active_enter_usec: u64,
    pub inactive_enter_usec: u64,
    pub state_change_usec: u64,
    /// A socket's NAccepted= and NRefused=, which socket.c serializes too.
    #[serde(default)]
    pub socket_counts: (u32, u32),
    /// Started for a connection of an Accept=yes socket: collected once down.
    #[serde(default)]
    pub connection: bool,
    /// A timer's sub-state and last trigger (realtime µs), which timer.c serializes too.
    #[serde(default)]
    pub timer: Option<(String, u64)>,
    /// The command the control process runs (`ExecStartPre`, index), as service.c serializes
    /// `control-command`: a manager started again goes on with the next one.
    #[serde(default)]
    pub control_command: Option<(String, usize)>,
    /// Which ExecStart= the main process runs (a oneshot runs them in turn).
    #[serde(default)]
    pub main_command: usize,
    /// The sessions the unit's commands started: they find its processes that left its
    /// environment behind.
    #[serde(default)]
    pub sessions: Vec<TrackedPid>,
    /// A stop was asked for (no automatic restart), and whether it is a restart's first half.
    #[serde(default)]
    pub forbid_restart: bool,
    #[serde(default)]
    pub restarting: bool,
    /// A Type=dbus service waits for (or, running, keeps) its BusName=.
    #[serde(default)]
    pub bus_name_watched: bool,
    /// The unit's job, as job.c serializes it: a job accepted before the manager died is done
    /// by the next one.
    #[serde(default)]
    pub job: Option<JobRecord>,
}

/// A unit's job: its type (`start`, `stop`, `restart` …) and whether it was acting already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub kind: JobKind,
    pub running: bool,
    pub ignore_order: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedState {
    pub boot_id: String,
    pub units: BTreeMap<String, UnitRecord>,
    /// Counts the full saves of one run of managers; the units' records written in between
    /// ([`SavedState::save_unit`]) carry the count of the save they add to.
    #[serde(default)]
    pub generation: u64,
}

/// One unit's record written alone between two full saves: when the unit spawns a command,
/// which must be on file before it runs (see `spawn::spawn_recorded`), at the cost of one small
/// file rather than of the whole state.
#[derive(Debug, Serialize, Deserialize)]
struct UnitOverlay {
    boot_id: String,
    generation: u64,
    unit: String,
    record: UnitRecord,
}

/// What identifies this run of the system: the kernel's boot id and the start time of the PID 1
/// we see. A container started from an image shares the host's boot id but has a new PID 1, so
/// state that an image build left behind is not taken for this container's.
pub fn current_boot_id() -> String {
    let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let init = proc::stat(1).map(|s| s.start_time).unwrap_or(0);
    format!("{boot}/{init}")
}

/// Where the units' records written between full saves of the state at `path` go.
fn overlay_dir(path: &Path) -> PathBuf {
    path.with_extension("units")
}

impl SavedState {
    /// Write atomically: a reader sees the old state or the new one, never half of either.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let err = |source| StateError::Write {
            path: path.to_path_buf(),
            source,
        };
        let dir = path.parent().unwrap_or(Path::new("/"));
        let tmp = dir.join(format!(
            ".{}.tmp",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let bytes = serde_json::to_vec(self)?;
        let mut f = fs::File::create(&tmp).map_err(err)?;
        f.write_all(&bytes).map_err(err)?;
        f.sync_data().map_err(err)?;
        fs::rename(&tmp, path).map_err(err)?;
        // The units' records written since the last full save are in this one now. Should the
        // manager die before they are gone, their generation tells a reader they are older.
        match fs::remove_dir_all(overlay_dir(path)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(err(e)),
            _ => Ok(()),
        }
    }

    /// `unit`'s record, on file at once next to the state of generation `generation` at
    /// `path`, for [`SavedState::read`] to lay over it. Not synced: it has to outlive the
    /// manager, not the machine (a new boot discards it).
    pub fn save_unit(
        path: &Path,
        boot_id: &str,
        generation: u64,
        unit: &str,
        record: &UnitRecord,
    ) -> Result<(), StateError> {
        let dir = overlay_dir(path);
        let err = |source| StateError::Write {
            path: dir.join(unit),
            source,
        };
        let overlay = UnitOverlay {
            boot_id: boot_id.to_string(),
            generation,
            unit: unit.to_string(),
            record: record.clone(),
        };
        let bytes = serde_json::to_vec(&overlay)?;
        match fs::create_dir(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(err(e)),
            _ => {}
        }
        let tmp = dir.join(format!(".{unit}.tmp"));
        fs::write(&tmp, bytes).map_err(err)?;
        fs::rename(&tmp, dir.join(unit)).map_err(err)
    }

    /// The state worth adopting, as it was written: nothing if the file is missing,
    /// unreadable, from another boot (an image's leftovers) or not ours. What became of its
    /// processes since is for the manager to find out (see `coldplug.rs`).
    pub fn read(path: &Path, boot_id: &str) -> (SavedState, Vec<String>) {
        let (mut state, notes) = SavedState::read_full(path, boot_id);
        // The units' records written after that save, over it.
        let Ok(entries) = fs::read_dir(overlay_dir(path)) else {
            return (state, notes);
        };
        for entry in entries.flatten() {
            let Ok(bytes) = fs::read(entry.path()) else {
                continue;
            };
            let Ok(overlay) = serde_json::from_slice::<UnitOverlay>(&bytes) else {
                continue;
            };
            if overlay.boot_id == boot_id && overlay.generation == state.generation {
                state.units.insert(overlay.unit, overlay.record);
            }
        }
        (state, notes)
    }

    /// The last full save alone.
    fn read_full(path: &Path, boot_id: &str) -> (SavedState, Vec<String>) {
        let mut notes = Vec::new();
        let Ok(bytes) = fs::read(path) else {
            return (SavedState::default(), notes);
        };
        let state: SavedState = match serde_json::from_slice(&bytes) {
            Ok(s) => s,
            Err(e) => {
                notes.push(format!(
                    "Ignoring unreadable manager state {}: {e}",
                    path.display()
                ));
                return (SavedState::default(), notes);
            }
        };
        if state.boot_id != boot_id {
            notes.push(format!(
                "Discarding manager state {} from another boot.",
                path.display()
            ));
            return (SavedState::default(), notes);
        }
        (state, notes)
    }

    /// [`SavedState::read`], checked against /proc for a reader while no manager runs: a unit
    /// whose processes are all gone is shown as the next manager will find it, down. Its exit
    /// status was nobody's to see, so, as for a main process that is not the manager's child
    /// (service.c), it counts as a clean exit.
    pub fn load(path: &Path, boot_id: &str) -> (SavedState, Vec<String>) {
        let (mut state, mut notes) = SavedState::read(path, boot_id);
        for (name, unit) in state.units.iter_mut() {
            let running = matches!(
                unit.active_state,
                ActiveState::Active
                    | ActiveState::Activating
                    | ActiveState::Reloading
                    | ActiveState::Deactivating
            );
            if !running {
                continue;
            }
            if unit.control_pid.is_some_and(|c| !c.is_alive()) {
                unit.control_pid = None;
            }
            if let Some(main) = unit.main_pid.filter(|m| !m.is_alive()) {
                notes.push(format!(
                    "{name}: main process {} exited while the manager was away.",
                    main.pid
                ));
                unit.main_pid = None;
                if unit.control_pid.is_none() {
                    unit.active_state = ActiveState::Inactive;
                    unit.sub_state = "dead".to_string();
                }
            }
        }
        (state, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(main: Option<TrackedPid>) -> UnitRecord {
        UnitRecord {
            active_state: ActiveState::Active,
            sub_state: "running".into(),
            result: ServiceResult::Success,
            main_pid: main,
            control_pid: None,
            invocation_id: "abc".into(),
            n_restarts: 0,
            status_text: None,
            active_enter_usec: 1,
            inactive_enter_usec: 0,
            state_change_usec: 1,
            socket_counts: (0, 0),
            connection: false,
            timer: None,
            control_command: None,
            main_command: 0,
            sessions: Vec::new(),
            forbid_restart: false,
            restarting: false,
            bus_name_watched: false,
            job: None,
        }
    }

    #[test]
    fn a_live_service_is_shown_running_and_a_dead_one_down() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let live = TrackedPid::of(child.id() as i32).unwrap();
        let me = TrackedPid::of(std::process::id() as i32).unwrap();
        let reused = TrackedPid {
            pid: me.pid,
            start_time: me.start_time + 1,
        };
        let mut state = SavedState {
            boot_id: current_boot_id(),
            units: BTreeMap::new(),
            generation: 1,
        };
        state
            .units
            .insert("live.service".into(), record(Some(live)));
        state
            .units
            .insert("gone.service".into(), record(Some(reused)));
        state.save(&path).unwrap();

        let (loaded, notes) = SavedState::load(&path, &current_boot_id());
        child.kill().ok();
        child.wait().ok();
        assert_eq!(
            loaded.units["live.service"].active_state,
            ActiveState::Active
        );
        assert_eq!(loaded.units["live.service"].main_pid, Some(live));
        let gone = &loaded.units["gone.service"];
        assert_eq!(
            (gone.active_state, gone.sub_state.as_str(), gone.main_pid),
            (ActiveState::Inactive, "dead", None)
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        let (raw, _) = SavedState::read(&path, &current_boot_id());
        assert_eq!(raw, state, "read() gives the state as written");
    }

    #[test]
    fn state_from_another_boot_or_unreadable_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut state = SavedState {
            boot_id: "image-build-boot".into(),
            units: BTreeMap::new(),
            generation: 1,
        };
        state.units.insert("x.service".into(), record(None));
        state.save(&path).unwrap();
        let (loaded, notes) = SavedState::load(&path, &current_boot_id());
        assert!(loaded.units.is_empty());
        assert!(notes[0].contains("another boot"));

        fs::write(&path, b"{ not json").unwrap();
        let (loaded, notes) = SavedState::load(&path, &current_boot_id());
        assert!(loaded.units.is_empty());
        assert!(notes[0].starts_with("Ignoring unreadable"));
        assert!(!dir.path().join(".state.json.tmp").exists());
    }

    /// A unit's record written alone between full saves is read over the save it follows, and
    /// never over a later one (the manager may die between a save and clearing the records).
    #[test]
    fn a_units_record_between_saves_is_laid_over_its_own_generation_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let boot = current_boot_id();
        let mut state = SavedState {
            boot_id: boot.clone(),
            units: BTreeMap::new(),
            generation: 7,
        };
        state.units.insert("a.service".into(), record(None));
        state.save(&path).unwrap();
        let mut spawned = record(None);
        spawned.sub_state = "start".into();
        SavedState::save_unit(&path, &boot, 7, "b.service", &spawned).unwrap();
        SavedState::save_unit(&path, "other-boot", 7, "c.service", &spawned).unwrap();
        let (read, _) = SavedState::read(&path, &boot);
        assert_eq!(read.units["b.service"].sub_state, "start");
        assert!(
            !read.units.contains_key("c.service"),
            "another boot's record"
        );

        // The next full save takes them in and clears them; one left from before is stale.
        state.generation = 8;
        state.save(&path).unwrap();
        assert!(!dir.path().join("state.units").exists());
        SavedState::save_unit(&path, &boot, 7, "b.service", &spawned).unwrap();
        let (read, _) = SavedState::read(&path, &boot);
        assert!(
            !read.units.contains_key("b.service"),
            "a record older than the save"
        );
    }
}
