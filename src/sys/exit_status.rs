//! Exit codes by name, as systemd's src/shared/exit-status.c spells them in its log lines and in
//! `systemctl status` (`status=203/EXEC`).

/// systemd's `exit_status_to_string()`: the names of the exit codes of libc and systemd, and with
/// `lsb` those of the LSB init-script codes (2–7) and BSD's sysexits.h (64–78), which the
/// manager's log lines use (EXIT_STATUS_FULL) and `systemctl status` does not.
pub fn exit_status_name(status: i32, lsb: bool) -> Option<&'static str> {
    if lsb {
        let name = match status {
            2 => Some("INVALIDARGUMENT"),
            3 => Some("NOTIMPLEMENTED"),
            4 => Some("NOPERMISSION"),
            5 => Some("NOTINSTALLED"),
            6 => Some("NOTCONFIGURED"),
            7 => Some("NOTRUNNING"),
            64 => Some("USAGE"),
            65 => Some("DATAERR"),
            66 => Some("NOINPUT"),
            67 => Some("NOUSER"),
            68 => Some("NOHOST"),
            69 => Some("UNAVAILABLE"),
            70 => Some("SOFTWARE"),
            71 => Some("OSERR"),
            72 => Some("OSFILE"),
            73 => Some("CANTCREAT"),
            74 => Some("IOERR"),
            75 => Some("TEMPFAIL"),
            76 => Some("PROTOCOL"),
            77 => Some("NOPERM"),
            78 => Some("CONFIG"),
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

/// A `SuccessExitStatus=`-style list (config_parse_set_status()): exit codes, as numbers 0–255
/// or by name, and signals; what is neither is dropped. Each kind comes back once and in
/// ascending order, as systemd's bitmaps hold them: (codes, signals).
pub fn parse_status_set(words: &[String]) -> (Vec<i32>, Vec<i32>) {
    let mut codes = Vec::new();
    let mut signals = Vec::new();
    for w in words.iter().flat_map(|w| w.split_whitespace()) {
        let code = match w.parse::<u8>() {
            Ok(n) => Some(i32::from(n)),
            Err(_) => (0..=255).find(|n| exit_status_name(*n, true) == Some(w)),
        };
        if let Some(code) = code {
            codes.push(code);
        } else if let Some(sig) = crate::sys::signal::parse_signal(w) {
            signals.push(sig);
        }
    }
    for list in [&mut codes, &mut signals] {
        list.sort_unstable();
        list.dedup();
    }
    (codes, signals)
}

/// How `systemctl show` prints such a list: the codes, then the signals by name without SIG
/// (`SuccessExitStatus=9 HUP USR1`).
pub fn format_status_set(words: &[String]) -> String {
    let (codes, signals) = parse_status_set(words);
    let mut out: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    out.extend(signals.iter().map(|s| crate::sys::signal::signal_name(*s)));
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sets_print_codes_then_signals_each_in_order() {
        let words = [
            "SIGUSR1 HUP 9".to_string(),
            "TEMPFAIL 9 SIGHUP bogus".to_string(),
        ];
        assert_eq!(parse_status_set(&words), (vec![9, 75], vec![1, 10]));
        assert_eq!(format_status_set(&words), "9 75 HUP USR1");
        assert_eq!(format_status_set(&[]), "");
    }
}
