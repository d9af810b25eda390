//! `systemd-detect-virt` (systemd-detect-virt(1)) as systemd 252's detect-virt.c, reached through
//! the multi-call binary: prints the container or VM technology we run in (`docker`, `kvm`, …,
//! `none`) and exits 0 when there is one; `--chroot` and `--private-users` only answer by exit
//! status. The detection itself is `unit::virt`, which the manager shares for
//! `ConditionVirtualization=`.

use std::io;

use nix::errno::Errno;

use super::getopt::{argv_strings, Getopt, HasArg, OptSpec};
use super::notify::{exit_status, ToolError};
use crate::unit::virt::{self, Virtualization};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Help,
    Version,
    Container,
    Vm,
    Chroot,
    PrivateUsers,
    Quiet,
    List,
}

/// detect-virt.c's options, in its order (glibc lists ambiguous abbreviations so).
const OPTIONS: &[OptSpec<Opt>] = &[
    OptSpec::both('h', "help", HasArg::No, Opt::Help),
    OptSpec::long("version", HasArg::No, Opt::Version),
    OptSpec::both('c', "container", HasArg::No, Opt::Container),
    OptSpec::both('v', "vm", HasArg::No, Opt::Vm),
    OptSpec::both('r', "chroot", HasArg::No, Opt::Chroot),
    OptSpec::long("private-users", HasArg::No, Opt::PrivateUsers),
    OptSpec::both('q', "quiet", HasArg::No, Opt::Quiet),
    OptSpec::long("list", HasArg::No, Opt::List),
];

fn help_text(program: &str) -> String {
    format!(
        "{program} [OPTIONS...]\n\
         \n\
         Detect execution in a virtualized environment.\n\
         \n\
         \x20 -h --help             Show this help\n\
         \x20    --version          Show package version\n\
         \x20 -c --container        Only detect whether we are run in a container\n\
         \x20 -v --vm               Only detect whether we are run in a VM\n\
         \x20 -r --chroot           Detect whether we are run in a chroot() environment\n\
         \x20    --private-users    Only detect whether we are running in a user namespace\n\
         \x20 -q --quiet            Don't output anything, just set return value\n\
         \x20    --list             List all known and detectable types of virtualization\n\
         \n\
         See the systemd-detect-virt(1) man page for details."
    )
}

/// What is asked; the last of `-c`, `-v`, `-r` and `--private-users` wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Any,
    Vm,
    Container,
    Chroot,
    PrivateUsers,
}

fn failed(what: &str, e: &io::Error) -> ToolError {
    let errno = e.raw_os_error().map_or(Errno::EIO, Errno::from_raw);
    ToolError::new(errno, format!("{what}: {}", crate::errno::text(e)))
}

/// Exit status of a yes/no check: 0 for yes.
fn answer(yes: bool) -> u8 {
    u8::from(!yes)
}

fn run(argv: Vec<String>) -> Result<u8, ToolError> {
    let program = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
        .unwrap_or_default();
    let mut mode = Mode::Any;
    let mut quiet = false;
    let mut getopt = Getopt::new(argv, OPTIONS);
    for item in getopt.by_ref() {
        let (opt, _) = item.map_err(|message| ToolError::new(Errno::EINVAL, message))?;
        match opt {
            Opt::Help => {
                println!("{}", help_text(&program));
                return Ok(0);
            }
            Opt::Version => {
                println!("{}", super::VERSION_TEXT);
                return Ok(0);
            }
            // Listed as soon as it is read, whatever else is on the line.
            Opt::List => {
                for v in Virtualization::ALL {
                    println!("{}", v.as_str());
                }
                return Ok(0);
            }
            Opt::Container => mode = Mode::Container,
            Opt::Vm => mode = Mode::Vm,
            Opt::Chroot => mode = Mode::Chroot,
            Opt::PrivateUsers => mode = Mode::PrivateUsers,
            Opt::Quiet => quiet = true,
        }
    }
    if !getopt.into_operands().is_empty() {
        return Err(ToolError::new(
            Errno::EINVAL,
            format!("{program} takes no arguments."),
        ));
    }
    let found = match mode {
        Mode::Chroot => {
            return virt::running_in_chroot()
                .map(answer)
                .map_err(|e| failed("Failed to check for chroot() environment", &e));
        }
        Mode::PrivateUsers => {
            return virt::running_in_userns()
                .map(answer)
                .map_err(|e| failed("Failed to check for user namespace", &e));
        }
        Mode::Vm => virt::detect_vm().map_err(|e| failed("Failed to check for VM", &e))?,
        Mode::Container => {
            virt::detect_container().map_err(|e| failed("Failed to check for container", &e))?
        }
        Mode::Any => virt::detect_virtualization()
            .map_err(|e| failed("Failed to check for virtualization", &e))?,
    };
    if !quiet {
        println!("{}", found.as_str());
    }
    Ok(answer(found != Virtualization::None))
}

/// Run `systemd-detect-virt` with the given argv (including argv[0]); returns the exit status.
pub fn systemd_detect_virt_main<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    exit_status(run(argv_strings(argv)))
}
