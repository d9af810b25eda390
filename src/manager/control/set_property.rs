//! SetUnitProperties() (systemd 252's src/core/dbus-manager.c `method_set_unit_properties()`,
//! src/core/dbus-unit.c `bus_unit_set_properties()` and src/core/unit.c `unit_write_setting()`):
//! the unit is loaded and must be loaded well; every property is checked before any is written
//! (252's first pass, so a bad one leaves nothing behind); then each is written as
//! `50-NAME.conf` in the unit's drop-in directory under /etc/systemd/system.control (or
//! /run/systemd/system.control, or the transient directory for a transient unit) and takes effect
//! at once, without a daemon-reload.
//!
//! The directory is reached with CHASE_SAFE's rules and made if missing; each file is written
//! beside its final name and renamed into place (see transient.rs).

use super::super::daemon::Manager;
use super::transient::write_replacing;
use crate::ipc::protocol::Reply;
use crate::unit::model::cgroup::CgroupSettings;
use crate::unit::model::live::{live_setting, private_section, PropertyValue};
use crate::unit::model::LoadState;
use crate::unit::name::UnitName;

fn bus_error(name: &str, message: String) -> Reply {
    Reply::BusError {
        name: name.to_string(),
        message,
    }
}

impl Manager {
    pub(super) fn set_unit_properties(
        &mut self,
        unit: &str,
        runtime: bool,
        properties: &[(String, PropertyValue)],
    ) -> Reply {
        let no_such_unit = |message| bus_error("org.freedesktop.systemd1.NoSuchUnit", message);
        let Ok(name) = UnitName::parse(unit) else {
            return bus_error(
                "org.freedesktop.DBus.Error.InvalidArgs",
                format!("Unit name {unit} is not valid."),
            );
        };
        let Some(i) = self.loaded_index(&name) else {
            return no_such_unit(format!("Unit {name} not found."));
        };
        let config = &self.units[i].config;
        let id = config.id.clone();
        // bus_unit_validate_load_state()
        match &config.load_state {
            LoadState::Loaded => {}
            LoadState::NotFound => return no_such_unit(format!("Unit {id} not found.")),
            LoadState::Masked => {
                return bus_error(
                    "org.freedesktop.systemd1.UnitMasked",
                    format!("Unit {id} is masked."),
                )
            }
            LoadState::BadSetting => {
                return bus_error(
                    "org.freedesktop.systemd1.BadUnitSetting",
                    format!("Unit {id} has a bad unit file setting."),
                )
            }
            LoadState::Error(_) => {
                let message = config
                    .load_error_message()
                    .unwrap_or_else(|| format!("Unit {id} failed to load properly."));
                return bus_error("org.freedesktop.DBus.Error.Failed", message);
            }
        }
        let t = config.unit_type;
        // first pass: every property checked, each against the settings as the ones before it
        // in this call leave them (a second DeviceAllow= adds to the first)
        let mut settings = CgroupSettings::of(&config.raw, private_section(t));
        let mut written = Vec::new();
        for (property, value) in properties {
            match live_setting(t, &settings, property, value) {
                Ok(None) => {}
                Ok(Some(w)) => {
                    for line in w.lines.lines() {
                        if let Some((key, value)) = line.split_once('=') {
                            settings.apply(key, value);
                        }
                    }
                    written.push(w);
                }
                Err(e) => return bus_error(e.bus_name(), e.to_string()),
            }
        }
        // unit_drop_in_dir(): a transient unit's drop-ins stay beside its file
        let transient_dir = self.lookup.transient.clone();
        let base = match (&config.fragment_path, &transient_dir) {
            (Some(fragment), Some(dir)) if fragment.parent() == Some(dir.as_path()) => dir.clone(),
            _ if runtime => self.lookup.runtime_control.clone(),
            _ => self.lookup.persistent_control.clone(),
        };
        let dir = base.join(format!("{id}.d"));
        let failed = |e: std::io::Error| {
            bus_error(
                "org.freedesktop.DBus.Error.Failed",
                format!("Failed to write the settings of {id}: {e}"),
            )
        };
        let fd = match self.made_dir(&dir) {
            Ok(fd) => fd,
            Err(e) => return failed(e),
        };
        for w in &written {
            if let Err(e) = write_replacing(&fd, &w.file_name(), &[&w.file_text(t)]) {
                return failed(e);
            }
            self.units[i].add_live_dropin(dir.join(w.file_name()), w.section(t), &w.lines);
        }
        if !written.is_empty() {
            self.announce_unit_changed(&id);
        }
        Reply::Done
    }
}
