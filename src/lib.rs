//! systemctl-shim: systemd's `systemctl` for containers where systemd cannot be PID 1.
//!
//! Layers, each a folder: `unit` (the unit model and its parsing), `install` (the on-disk
//! enablement state), `manager` (the daemon that runs services), `ipc` (the control channel
//! between client and manager), `cli` (the command line and systemd's output formats), and the
//! leaf `sys` (system calls and path resolution) that all of them use.

pub mod cli;
pub mod errno;
pub mod install;
pub mod ipc;
pub mod journal;
pub mod manager;
pub mod sys;
pub mod tmpfiles;
pub mod unit;
