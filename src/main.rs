//! Multi-call entry point: the program's name (argv[0]) picks the tool, as systemd's binaries are
//! separate programs that our single static binary stands in for.

use std::path::Path;
use std::process::ExitCode;

use systemctl_shim::cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Like the C tools, die quietly of SIGPIPE when a reader goes away (`… | head -1`), instead
    // of Rust's default of ignoring it and failing the next write.
    // SAFETY: setting a signal disposition to the default before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let program = argv
        .first()
        .and_then(|a| Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("systemctl")
        .to_string();
    if argv
        .get(1)
        .is_some_and(|a| a == systemctl_shim::ipc::client::MANAGER_FLAG)
    {
        // SAFETY: as above; a client that hangs up must not kill the manager.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
        return ExitCode::from(systemctl_shim::manager::daemon::manager_main(None));
    }
    let args: Vec<String> = argv
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(init) =
        systemctl_shim::manager::init::init_invocation(&program, &args, std::process::id())
    {
        // SAFETY: as above: an init outlives every client that hangs up on it.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
        // mimalloc read its options before main ran: an init started without the manager's
        // allocator settings executes itself again with them (PID 1 stays PID 1), as the client
        // starts a manager with them. 1.5 MB RSS at boot instead of 5.6 MB.
        let unset = systemctl_shim::ipc::client::MANAGER_ALLOCATOR_ENV
            .iter()
            .any(|(key, _)| std::env::var_os(key).is_none());
        if unset {
            use std::os::unix::process::CommandExt;
            let error = std::process::Command::new("/proc/self/exe")
                .arg0(&argv[0])
                .args(&argv[1..])
                .envs(systemctl_shim::ipc::client::MANAGER_ALLOCATOR_ENV)
                .exec();
            // not fatal: the manager runs with the allocator's defaults
            eprintln!("Failed to re-execute with the manager's allocator settings: {error}");
        }
        return ExitCode::from(systemctl_shim::manager::daemon::manager_main(Some(init)));
    }
    if let Some(code) = cli::compat_main(&program, &argv) {
        return ExitCode::from(code);
    }
    let code = match program.as_str() {
        "systemd-escape" => cli::systemd_escape_main(argv),
        "journalctl" => cli::journalctl_main(argv),
        "systemd-tmpfiles" => cli::systemd_tmpfiles_main(argv),
        "systemd-notify" => cli::systemd_notify_main(argv),
        "systemd-run" => cli::systemd_run_main(argv),
        "systemd-detect-virt" => cli::systemd_detect_virt_main(argv),
        _ => cli::systemctl_main(argv),
    };
    ExitCode::from(code)
}
