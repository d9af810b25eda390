//! The service manager: the daemon that owns runtime state (jobs, unit state machines, processes,
//! notify and listening sockets, logs). This stage holds its process spawning.

pub mod config;
pub mod context;
pub mod credentials;
pub mod event;
pub mod journal;
pub mod limits;
pub mod notify;
pub mod process;
pub mod spawn;
