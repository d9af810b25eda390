//! The manager's side of cgroups (issue 17): which mode the container allows (detect.rs), each
//! unit's cgroup made and removed (layout.rs), and later the limits, watches and counters of
//! core/cgroup.c.

pub mod detect;
mod layout;

pub use layout::{members, populated};
