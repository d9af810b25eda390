//! The service manager: the daemon that owns runtime state (jobs, unit state machines, processes,
//! notify and listening sockets, logs). Its parts so far: where it keeps state (`context`), its
//! settings (`config`), the event loop (`event`), the control socket's connections (`clients`)
//! and the request layer that answers them (`control`),
//! spawning (`spawn`, `credentials`, `limits`), processes (`process`), sd_notify (`notify`),
//! PID files (`pidfile`), logs (`journal`, and journald's sockets in `syslog`), unit generators
//! (`generators`) and the state that survives it (`state`, taken over by a manager started again in `coldplug`); the daemon
//! itself (`daemon`) with its unit table (`table` of `unit`s), job engine (`job`, running the
//! jobs; `jobs` for job types, the unit graph and the transaction builder; `enqueue` putting a
//! transaction into effect), the unit types (`types`: services with their state machine,
//! sockets, timers, targets), the exec environment of a command (`exec`), what a unit's
//! change of state sets off (`reactions`) and the manager as PID 1 (`init`).

mod clients;
mod coldplug;
pub mod config;
mod control;
pub mod daemon;
mod enqueue;
pub mod event;
pub mod exec;
mod fdstore;
pub mod generators;
pub mod init;
mod job;
mod jobs;
pub mod notify;
pub mod process;
mod reactions;
pub mod spawn;
pub mod syslog;
mod table;
mod tokens;
pub mod types;
mod unit;
mod unit_id;

// exec_env.rs names the socket module by its old path (`super::socket::ports`).
