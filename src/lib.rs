//! systemctl-shim: systemd's `systemctl` for containers where systemd cannot be PID 1.
//!
//! Layers, each importing only from those below it (tests/architecture.rs checks this): the leaf
//! `sys` (system calls, accounts, /proc, clocks, path resolution) and `errno`; `unit` (the unit
//! model and its parsing); `install` (the on-disk enablement state), `tmpfiles` and `journal`
//! (the log store); `ipc` (the control channel between client and manager, and the client side
//! that finds or starts one); on top `manager` (the daemon that runs services) and `cli` (the
//! command line and systemd's output formats), which never import each other.

pub mod bus;
pub mod cli;
pub mod errno;
pub mod install;
pub mod ipc;
pub mod journal;
pub mod manager;
pub mod sys;
pub mod tmpfiles;
pub mod unit;
