//! The [Service] settings of systemd.service(5) as systemd 252's load-fragment.c keeps them, with
//! their defaults.

use crate::unit::timespan::Usec;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSection {
    /// `None` until the end of loading, when systemd picks it from ExecStart= and BusName=.
    pub service_type: Option<String>,
    pub exit_type: String,
    pub restart: String,
    pub restart_sec: Usec,
    pub timeout_start: Usec,
    pub timeout_stop: Usec,
    pub timeout_abort: Option<Usec>,
    pub runtime_max: Usec,
    pub watchdog: Usec,
    pub remain_after_exit: bool,
    pub guess_main_pid: bool,
    pub pid_file: Option<String>,
    pub bus_name: Option<String>,
    pub notify_access: Option<String>,
    pub oom_policy: String,
    pub success_exit_status: Vec<String>,
    pub restart_prevent_exit_status: Vec<String>,
    pub restart_force_exit_status: Vec<String>,
    /// Sockets=: further socket units whose listeners this service gets.
    pub sockets: Vec<String>,
    pub file_descriptor_store_max: u32,
}

impl Default for ServiceSection {
    fn default() -> Self {
        ServiceSection {
            service_type: None,
            exit_type: "main".into(),
            restart: "no".into(),
            restart_sec: Usec::millis(100),
            timeout_start: Usec::secs(90),
            timeout_stop: Usec::secs(90),
            timeout_abort: None,
            runtime_max: Usec::INFINITY,
            watchdog: Usec::ZERO,
            remain_after_exit: false,
            guess_main_pid: true,
            pid_file: None,
            bus_name: None,
            notify_access: None,
            oom_policy: "stop".into(),
            success_exit_status: Vec::new(),
            restart_prevent_exit_status: Vec::new(),
            restart_force_exit_status: Vec::new(),
            sockets: Vec::new(),
            file_descriptor_store_max: 0,
        }
    }
}
