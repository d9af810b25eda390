//! The service manager (systemd's src/core/): the daemon that owns all runtime state in one event
//! loop. The loop itself (`daemon`, with its log plumbing and unit loading), what woke it
//! (`tokens`, `event`), the requests it answers (`control`) on the control socket's connections
//! (`clients`), the unit table (`table`, `unit_id`, `unit`), jobs (`jobs`: queue, graph,
//! transaction builder; `enqueue` putting a transaction into effect; `job` running jobs through
//! each type's vtable), the unit types (`types`: service with its state machine, socket, timer,
//! target), what a unit's change of state sets off (`reactions`), a command's exec environment
//! and its spawn (`exec`, `spawn`), a unit's processes (`process`), sd_notify (`notify`) and
//! FDSTORE= (`fdstore`), journald's sockets (`syslog`), unit generators (`generators`), its
//! settings (`config`), the manager as PID 1 (`init`) and a manager started again taking over
//! (`coldplug`).

mod announce;
pub mod cgroup;
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
