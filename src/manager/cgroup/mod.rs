//! The manager's side of cgroups (issue 17): which mode the container allows (detect.rs), and
//! later the layout, limits, watches and counters of core/cgroup.c.

pub mod detect;
