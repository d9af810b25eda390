//! The leaf layer: system calls and path resolution behind safe functions, imported by every
//! other layer and importing none of them (youki's syscall seam; systemd's src/basic/).

pub mod accounts;
pub mod capability;
pub mod cgroup;
pub mod chase;
pub mod chown;
pub mod clone;
pub mod exit_status;
pub mod glob;
pub mod memory;
pub mod mountinfo;
pub mod nss;
pub mod proc;
pub mod rlimit;
pub mod signal;
pub mod time;
pub mod walk;
