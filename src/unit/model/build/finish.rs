//! What systemd 252 settles at the end of loading a unit (`unit_load()` and the type's `load()`):
//! implicit settings and dependencies (service.c's `service_add_extras()` and
//! `service_fix_stdio()`, unit.c's `unit_add_exec_dependencies()` and
//! `unit_add_slice_dependencies()`, socket.c's `socket_add_mount_dependencies()`, the
//! `*_add_default_dependencies()` of each type) and the refusals of `service_verify()` and
//! `socket_verify()`.

use super::service::verify_service;
use super::socket::verify_socket;
use super::*;
use crate::unit::name::{self as unit_name, UnitName};
use crate::unit::paths::Scope;

impl Builder {
    /// The end of loading: implicit settings (`service_add_extras()`) and `service_verify()`.
    pub fn finish(mut self) -> UnitConfig {
        self.config.kind = match self.config.unit_type {
            UnitType::Service => TypeSection::Service(std::mem::take(&mut self.service)),
            UnitType::Socket => TypeSection::Socket(std::mem::take(&mut self.socket)),
            UnitType::Timer => TypeSection::Timer(std::mem::take(&mut self.timer)),
            UnitType::Path => TypeSection::Path(std::mem::take(&mut self.path)),
            _ => TypeSection::None,
        };
        if let Some(message) = self.fatal.take() {
            // systemd stops loading at the failing setting: no implicit settings, no checks
            self.config.load_state = LoadState::BadSetting;
            self.config.load_error = Some(message);
            return self.config;
        }
        let id = self.config.id.clone();
        let stem = id
            .rsplit_once('.')
            .map(|(s, _)| s)
            .unwrap_or(&id)
            .to_string();
        let has_start = !self.config.exec_commands(ExecKind::Start).is_empty();
        let has_stop = !self.config.exec_commands(ExecKind::Stop).is_empty();
        let start_count = self.config.exec_commands(ExecKind::Start).len();
        let success_action = self.config.unit.success_action;
        let start_timeout_set = self.start_timeout_set;
        let mut refusal = None;
        match &mut self.config.kind {
            TypeSection::Service(s) => {
                let ty = s.service_type.clone().unwrap_or_else(|| {
                    if s.bus_name.is_some() {
                        "dbus".into()
                    } else if has_start {
                        "simple".into()
                    } else {
                        "oneshot".into()
                    }
                });
                if ty == "oneshot" && !start_timeout_set {
                    // service_add_extras(): oneshot services wait for their start forever
                    s.timeout_start = Usec::INFINITY;
                }
                // the fd store is filled by notification messages
                let needs_notify = matches!(ty.as_str(), "notify" | "notify-reload")
                    || s.watchdog != Usec::ZERO
                    || s.file_descriptor_store_max > 0;
                if s.notify_access.is_none() && needs_notify {
                    s.notify_access = Some("main".into());
                }
                refusal = verify_service(s, &ty, has_start, has_stop, start_count, success_action);
                s.service_type = Some(ty);
            }
            TypeSection::Socket(s) => {
                // PAMName= is kept raw: the manager opens no PAM sessions
                let pam_enabled = self
                    .config
                    .raw
                    .iter()
                    .rev()
                    .find(|r| r.section == "Socket" && r.key == "PAMName")
                    .is_some_and(|r| !r.value.is_empty());
                let pam_without_cgroup_kill =
                    pam_enabled && self.config.settings.kill_mode != KillMode::ControlGroup;
                refusal = verify_socket(s, pam_without_cgroup_kill);
            }
            TypeSection::Timer(t) => {
                if t.unit.is_none() {
                    t.unit = Some(format!("{stem}.service"));
                }
                if t.monotonic.is_empty() && t.calendar.is_empty() {
                    refusal = Some("Timer unit lacks value setting. Refusing.".to_string());
                }
            }
            TypeSection::Path(p) => {
                if p.unit.is_none() {
                    p.unit = Some(format!("{stem}.service"));
                }
                if p.paths.is_empty() {
                    refusal = Some("Path unit lacks path setting. Refusing.".to_string());
                }
            }
            TypeSection::None => {}
        }
        self.fix_stdio();
        // the manager adds these before it verifies the unit, so a refused unit has them too
        // (all but the slice's)
        self.add_implicit_dependencies(refusal.is_none());
        if let Some(message) = refusal {
            self.config.load_state = LoadState::BadSetting;
            self.config.load_error = Some(message);
        }
        self.config
    }

    /// service.c's `service_fix_stdio()`: a service whose input is a terminal or a socket, a
    /// stream both ways, writes to it too unless StandardOutput= says otherwise.
    fn fix_stdio(&mut self) {
        let settings = &mut self.config.settings;
        let bidirectional =
            settings.standard_input.is_tty() || settings.standard_input == StandardInput::Socket;
        let output_set = self.config.raw.iter().any(|r| r.key == "StandardOutput");
        if self.config.unit_type == UnitType::Service && bidirectional && !output_set {
            settings.standard_output = "inherit".into();
        }
    }

    /// The dependencies systemd 252 adds at load time: the slice of units with processes and
    /// the parent of a slice, journald for units that log to it, D-Bus for bus names, triggered units, and with
    /// `DefaultDependencies=yes` the type's default ones (`*_add_default_dependencies()`).
    /// Not added: the mount units of the paths a unit needs (the manager finds them among
    /// its mounts when asked) and a target's ordering after the units it pulls in (that needs
    /// the other units loaded).
    /// The slice's dependencies come only with a `verified` unit: unit_load() adds them after
    /// the type's checks passed.
    fn add_implicit_dependencies(&mut self, verified: bool) {
        use Dependency::{After, Before, Conflicts, Requires};
        let system = self.spec.scope == Scope::System;
        let unit_type = self.config.unit_type;
        let defaults = self.config.unit.default_dependencies;
        let mut deps: Vec<(Dependency, String)> = Vec::new();
        let mut add = |dep: Dependency, name: &str| deps.push((dep, name.to_string()));
        let has_exec = !self.config.exec.is_empty();
        if matches!(unit_type, UnitType::Service | UnitType::Socket) {
            let slice = self
                .config
                .settings
                .slice
                .clone()
                .unwrap_or_else(|| default_slice(&self.spec.unit, system));
            if verified {
                add(After, &slice);
                add(Requires, &slice);
            }
            self.config.settings.slice = Some(slice);
            let logs_to_journal = [
                &self.config.settings.standard_output,
                &self.config.settings.standard_error,
            ]
            .iter()
            .any(|o| JOURNAL_OUTPUTS.contains(&o.as_str()));
            let exec_deps = unit_type == UnitType::Service || has_exec;
            if system && exec_deps && logs_to_journal {
                add(After, "systemd-journald.socket");
            }
        }
        let (type_target, trigger) = match &self.config.kind {
            TypeSection::Service(s) => {
                // service_setup_bus_name(): only Type=dbus (BusName= alone makes it so) needs
                // the bus; a Type=notify unit with BusName= (systemd-timesyncd) gets nothing,
                // which matters, as dbus.socket is ordered after sysinit.target.
                let dbus = match s.service_type.as_deref() {
                    Some(ty) => ty == "dbus",
                    None => s.bus_name.is_some(),
                };
                if dbus && s.bus_name.is_some() {
                    add(Requires, "dbus.socket");
                    add(After, "dbus.socket");
                }
                (None, None)
            }
            TypeSection::Socket(s) => {
                (Some("sockets.target"), s.triggered_service(&self.config.id))
            }
            TypeSection::Timer(t) => {
                if defaults && system && !t.calendar.is_empty() {
                    add(After, "time-set.target");
                    add(After, "time-sync.target");
                }
                (Some("timers.target"), t.unit.clone())
            }
            TypeSection::Path(p) => (Some("paths.target"), p.unit.clone()),
            TypeSection::None => (None, None),
        };
        if let Some(unit) = &trigger {
            add(Before, unit);
        }
        // unit_add_slice_dependencies(): a slice lives in its parent, whatever its settings
        if unit_type == UnitType::Slice {
            if let Some(parent) = parent_slice(&self.config.id) {
                add(After, &parent);
                add(Requires, &parent);
            }
        }
        if defaults {
            if let Some(target) = type_target {
                add(Before, target);
            }
            // Only these types start after early boot; slices, scopes, mounts and the like
            // have default dependencies of their own kind.
            match (unit_type, system) {
                (UnitType::Service, false) => add(Requires, "basic.target"),
                (UnitType::Service | UnitType::Socket | UnitType::Timer | UnitType::Path, true) => {
                    add(After, "sysinit.target");
                    add(Requires, "sysinit.target");
                }
                _ => {}
            }
            if unit_type == UnitType::Service {
                add(After, "basic.target");
            }
            if self.config.id != "shutdown.target" {
                add(Before, "shutdown.target");
                add(Conflicts, "shutdown.target");
            }
        }
        for (dep, name) in deps {
            self.config.unit.add_dependency(dep, name);
        }
        let mut paths = Vec::new();
        if unit_type == UnitType::Service || (unit_type == UnitType::Socket && has_exec) {
            paths = self.add_exec_dependencies(system);
        }
        self.add_implicit_mounts(system, paths);
    }

    /// unit.c's `unit_add_exec_dependencies()` for the directories a unit's processes need:
    /// the ordering on what makes them writable, and the paths whose mounts they need.
    fn add_exec_dependencies(&mut self, system: bool) -> Vec<String> {
        use Dependency::{After, Wants};
        let s = &self.config.settings;
        let mut paths = Vec::new();
        // `-/path` may be missing, `~` is the user's home: neither needs a mount
        if let Some(dir) = s.working_directory.as_deref() {
            if dir.starts_with('/') {
                paths.push(simplify_path(dir));
            }
        }
        if let Some(dir) = s.root_directory.as_deref() {
            paths.push(simplify_path(dir));
        }
        let prefixed = [
            ("/run", &s.runtime_directory),
            ("/var/lib", &s.state_directory),
            ("/var/cache", &s.cache_directory),
            ("/var/log", &s.logs_directory),
            ("/etc", &s.configuration_directory),
        ];
        for (prefix, items) in prefixed {
            for item in items {
                // `path:symlink` names a symlink to make as well
                let path = item.split(':').next().unwrap_or(item);
                paths.push(simplify_path(&format!("{prefix}/{path}")));
            }
        }
        if !system {
            return paths;
        }
        let mut deps = Vec::new();
        // /var may be on the root file system: written only once it is writable
        if !(s.state_directory.is_empty()
            && s.cache_directory.is_empty()
            && s.logs_directory.is_empty())
        {
            deps.push((After, "systemd-remount-fs.service"));
        }
        let private_tmp = self
            .config
            .raw
            .iter()
            .rev()
            .find(|r| r.key == "PrivateTmp")
            .and_then(|r| parse_boolean(&r.value))
            .unwrap_or(false);
        if private_tmp {
            deps.push((After, "tmp.mount"));
            deps.push((Wants, "tmp.mount"));
            deps.push((After, "systemd-tmpfiles-setup.service"));
            paths.push("/var/tmp".into());
        }
        for (dep, name) in deps {
            self.config.unit.add_dependency(dep, name.to_string());
        }
        paths
    }

    /// `RequiresMountsFor=` systemd adds for the paths a unit needs (`exec_paths`: those of
    /// its processes' directories).
    fn add_implicit_mounts(&mut self, system: bool, exec_paths: Vec<String>) {
        let mut paths: Vec<String> = exec_paths;
        match &self.config.kind {
            TypeSection::Timer(t) if t.persistent && system => {
                paths.push("/var/lib/systemd/timers".into())
            }
            TypeSection::Path(p) => paths.extend(p.paths.iter().map(|(_, path)| path.clone())),
            // socket_add_mount_dependencies(); a unix socket's path is kept as written, but the
            // mount it needs is that of the simplified path
            TypeSection::Socket(s) => paths.extend(
                s.listen
                    .iter()
                    .filter_map(Listen::mount_path)
                    .map(simplify_path),
            ),
            _ => {}
        }
        let mounts = &mut self.config.unit.requires_mounts_for;
        for path in paths {
            if !mounts.contains(&path) {
                mounts.push(path);
            }
        }
    }
}

/// Outputs that make a unit wait for journald (`unit_add_exec_dependencies()`).
const JOURNAL_OUTPUTS: &[&str] = &[
    "journal",
    "journal+console",
    "kmsg",
    "kmsg+console",
    "syslog",
    "syslog+console",
];

/// The slice a slice lives in (`slice_build_parent_slice()`): `a-b.slice` in `a.slice`, a
/// top-level slice in `-.slice`, the root slice in none.
pub(in crate::unit::model) fn parent_slice(id: &str) -> Option<String> {
    let stem = id.strip_suffix(".slice")?;
    if stem == "-" {
        return None;
    }
    Some(match stem.rfind('-') {
        Some(dash) => format!("{}.slice", &stem[..dash]),
        None => "-.slice".to_string(),
    })
}

/// `unit_set_default_slice()`: instances get a slice per template (`system-getty.slice`).
fn default_slice(unit: &UnitName, system: bool) -> String {
    let base = if system { "system" } else { "app" };
    match unit.instance() {
        Some(_) => format!("{base}-{}.slice", unit_name::escape(unit.prefix())),
        None => format!("{base}.slice"),
    }
}
