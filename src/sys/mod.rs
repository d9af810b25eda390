//! The leaf layer: system calls and path resolution behind safe functions, imported by every
//! other layer and importing none of them (youki's syscall seam; systemd's src/basic/).

pub mod accounts;
pub mod chase;
pub mod chown;
pub mod memory;
pub mod walk;
