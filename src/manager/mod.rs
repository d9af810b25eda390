//! The service manager: the daemon that owns runtime state (jobs, unit state machines, processes,
//! notify and listening sockets, logs). Its parts so far: where it keeps state (`context`), its
//! settings (`config`), the event loop (`event`), the control socket's connections (`clients`)
//! and the request layer that answers them (`control`),
//! spawning (`spawn`, `credentials`, `limits`), processes (`process`), sd_notify (`notify`),
//! PID files (`pidfile`), logs (`journal`, and journald's sockets in `syslog`), unit generators
//! (`generators`) and the state that survives it (`state`, taken over by a manager started again in `coldplug`); the daemon
//! itself (`daemon`) with its unit table (`table` of `unit`s), job engine (`job`, running the
//! jobs; `jobs` for job types, the unit graph and the transaction builder; `enqueue` putting a
//! transaction into effect) and the service state machine (`service` for the model, `engine`
//! for the transitions), the exec environment of a command (`exec`), what a unit's change of
//! state sets off (`reactions`), the manager as PID 1 (`init`), and timer units (`timer`).

mod clients;
mod coldplug;
pub mod config;
mod control;
pub mod daemon;
mod engine;
mod enqueue;
pub mod event;
pub mod exec;
mod fdstore;
pub mod generators;
pub mod init;
mod job;
mod jobs;
pub mod notify;
mod pidfile;
pub mod process;
mod reactions;
pub mod service;
pub mod socket;
pub mod spawn;
pub mod syslog;
mod table;
mod timer;
mod tokens;
mod unit;
