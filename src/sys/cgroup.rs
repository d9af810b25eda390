//! cgroup paths and names as systemd 252's src/basic/cgroup-util.c makes them: `cg_escape()`,
//! `cg_slice_to_path()`, `cg_get_root_path()`'s suffix rule, and core/cgroup.c's
//! `unit_default_cgroup_path()` on top of them. The one copy of this logic: the conditions, the
//! unit model (`ControlGroup=`) and the manager all use it.

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
    fn root_drops_the_managers_own_scope() {
        assert_eq!(root_of("/init.scope"), "/");
        assert_eq!(root_of("/"), "/");
        assert_eq!(root_of("/docker/abc/init.scope"), "/docker/abc");
        assert_eq!(root_of("/user.slice/x.scope"), "/user.slice/x.scope");
        assert_eq!(root_of("/system.slice"), "/");
    }
}
