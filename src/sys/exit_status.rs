//! Exit codes by name, as systemd's src/basic/exit-status.c spells them in its log lines and in
//! `systemctl status` (`status=203/EXEC`).

/// systemd's `exit_status_to_string()`: the names of the exit codes of libc and systemd, and with
/// `lsb` those of the LSB init-script codes (2–7), which the manager's log lines use
/// (EXIT_STATUS_FULL) and `systemctl status` does not.
pub fn exit_status_name(status: i32, lsb: bool) -> Option<&'static str> {
    if lsb {
        let name = match status {
            2 => Some("INVALIDARGUMENT"),
            3 => Some("NOTIMPLEMENTED"),
            4 => Some("NOPERMISSION"),
            5 => Some("NOTINSTALLED"),
            6 => Some("NOTCONFIGURED"),
            7 => Some("NOTRUNNING"),
            _ => None,
        };
        if name.is_some() {
            return name;
        }
    }
    Some(match status {
        0 => "SUCCESS",
        1 => "FAILURE",
        200 => "CHDIR",
        201 => "NICE",
        202 => "FDS",
        203 => "EXEC",
        204 => "MEMORY",
        205 => "LIMITS",
        206 => "OOM_ADJUST",
        207 => "SIGNAL_MASK",
        208 => "STDIN",
        209 => "STDOUT",
        210 => "CHROOT",
        211 => "IOPRIO",
        212 => "TIMERSLACK",
        213 => "SECUREBITS",
        214 => "SETSCHEDULER",
        215 => "CPUAFFINITY",
        216 => "GROUP",
        217 => "USER",
        218 => "CAPABILITIES",
        219 => "CGROUP",
        220 => "SETSID",
        221 => "CONFIRM",
        222 => "STDERR",
        224 => "PAM",
        225 => "NETWORK",
        226 => "NAMESPACE",
        227 => "NO_NEW_PRIVILEGES",
        228 => "SECCOMP",
        229 => "SELINUX_CONTEXT",
        230 => "PERSONALITY",
        231 => "APPARMOR",
        232 => "ADDRESS_FAMILIES",
        233 => "RUNTIME_DIRECTORY",
        235 => "CHOWN",
        236 => "SMACK_PROCESS_LABEL",
        237 => "KEYRING",
        238 => "STATE_DIRECTORY",
        239 => "CACHE_DIRECTORY",
        240 => "LOGS_DIRECTORY",
        241 => "CONFIGURATION_DIRECTORY",
        242 => "NUMA_POLICY",
        243 => "CREDENTIALS",
        255 => "EXCEPTION",
        _ => return None,
    })
}

/// `sigchld_code_to_string()`: how a process ended, as waitid() reports it.
pub fn sigchld_code(code: i32) -> Option<&'static str> {
    Some(match code {
        libc::CLD_EXITED => "exited",
        libc::CLD_KILLED => "killed",
        libc::CLD_DUMPED => "dumped",
        libc::CLD_TRAPPED => "trapped",
        libc::CLD_STOPPED => "stopped",
        libc::CLD_CONTINUED => "continued",
        _ => return None,
    })
}
