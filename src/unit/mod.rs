//! The unit model of systemd.unit(5): names, search paths, file syntax, and loading unit files
//! with their drop-ins into typed, immutable configurations, and the states a unit (and a job on
//! it) is in.

pub mod builtin;
pub mod calendar;
pub mod command;
pub mod condition;
pub mod envfile;
pub mod host;
pub mod job;
pub mod load;
pub mod model;
pub mod name;
pub mod paths;
pub mod size;
pub mod specifier;
pub mod state;
pub mod syntax;
pub mod sysv;
pub mod timespan;
pub mod virt;
