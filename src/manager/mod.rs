//! The service manager: the daemon that owns runtime state (jobs, unit state machines, processes,
//! notify and listening sockets, logs). Its parts so far: where it keeps state (`context`), its
//! settings (`config`), the event loop (`event`), spawning (`spawn`, `credentials`, `limits`),
//! processes (`process`), sd_notify (`notify`), logs (`journal`) and the state that survives it
//! (`state`). The job engine and the unit state machines come with issue 3.

pub mod config;
pub mod context;
pub mod credentials;
pub mod event;
pub mod exec_env;
pub mod journal;
pub mod limits;
pub mod notify;
pub mod process;
pub mod spawn;
pub mod state;
