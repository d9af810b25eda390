//! The `systemctl` command line of systemctl(1): options anywhere on the line, a verb, its
//! arguments, and the exit codes and wording systemd 252 uses. Clap types stay in this layer; the
//! verbs call into `unit` and `install` and format their answers here.

mod compat;
mod detect_virt;
mod environment;
mod escape;
mod getopt;
mod install_verbs;
mod journalctl;
mod list_dependencies;
mod list_sockets;
mod list_timers;
mod notify;
mod online;
mod options;
mod queries;
mod run;
mod runtime;
mod show;
mod status;
mod table;
mod tmpfiles;
mod unit_help;

use std::io::Write;
use std::path::Path;

use clap::Parser;

pub use compat::compat_main;
pub use detect_virt::systemd_detect_virt_main;
pub use escape::systemd_escape_main;
pub use journalctl::journalctl_main;
pub use notify::systemd_notify_main;
pub use options::Options;
pub use run::systemd_run_main;
pub use tmpfiles::systemd_tmpfiles_main;

use crate::unit::paths::{LookupPaths, Scope};

/// Exit statuses of systemctl(1) "EXIT STATUS" and the LSB codes it borrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    Failure = 1,
    /// LSB "program is not running" (is-active, status).
    NotRunning = 3,
    /// LSB "program or service status is unknown" / no such unit.
    Unknown = 4,
    /// LSB "program is not installed": start of a unit that does not exist.
    NotInstalled = 5,
    /// LSB "program is not configured": start of a unit that failed to load.
    NotConfigured = 6,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// A failure that ends a verb: printed to stderr as systemctl would word it, then the exit code.
#[derive(Debug)]
pub struct Failed {
    pub message: String,
    pub exit: Exit,
}

impl Failed {
    pub fn new(exit: Exit, message: impl Into<String>) -> Failed {
        Failed {
            message: message.into(),
            exit,
        }
    }
}

pub type VerbResult = Result<Exit, Failed>;

/// Everything a verb needs: the parsed options, the search paths and where to write.
pub struct Ctx<'a> {
    pub opts: &'a Options,
    pub lookup: LookupPaths,
}

impl Ctx<'_> {
    pub fn legend(&self) -> bool {
        self.opts.legend()
    }
}

/// What a verb accepts, checked before it runs: systemctl's "Too few/many arguments."
#[derive(Clone, Copy)]
enum Arity {
    None,
    AtLeast(usize),
    AtMost(usize),
    Exactly(usize),
    Any,
    /// Units, or none with `--marked`.
    UnitsOrMarked,
}

type Handler = fn(&Ctx, &[String]) -> VerbResult;

struct Verb {
    name: &'static str,
    arity: Arity,
    /// Needs a running manager: refused with `--root`, a no-op in a chroot or offline.
    online: bool,
    handler: Handler,
}

const fn verb(name: &'static str, arity: Arity, online: bool, handler: Handler) -> Verb {
    Verb {
        name,
        arity,
        online,
        handler,
    }
}

const VERBS: &[Verb] = &[
    verb(
        "list-unit-files",
        Arity::Any,
        false,
        install_verbs::list_unit_files,
    ),
    verb("enable", Arity::AtLeast(1), false, install_verbs::enable),
    verb("disable", Arity::AtLeast(1), false, install_verbs::disable),
    verb(
        "reenable",
        Arity::AtLeast(1),
        false,
        install_verbs::reenable,
    ),
    verb("mask", Arity::AtLeast(1), false, install_verbs::mask),
    verb("unmask", Arity::AtLeast(1), false, install_verbs::unmask),
    verb("preset", Arity::AtLeast(1), false, install_verbs::preset),
    verb("preset-all", Arity::None, false, install_verbs::preset_all),
    verb(
        "is-enabled",
        Arity::AtLeast(1),
        false,
        install_verbs::is_enabled,
    ),
    verb("link", Arity::AtLeast(1), false, install_verbs::link),
    verb("revert", Arity::AtLeast(1), false, install_verbs::revert),
    verb(
        "get-default",
        Arity::None,
        false,
        install_verbs::get_default,
    ),
    verb(
        "set-default",
        Arity::Exactly(1),
        false,
        install_verbs::set_default,
    ),
    verb(
        "add-wants",
        Arity::AtLeast(2),
        false,
        install_verbs::add_wants,
    ),
    verb(
        "add-requires",
        Arity::AtLeast(2),
        false,
        install_verbs::add_requires,
    ),
    verb("cat", Arity::AtLeast(1), false, show::cat),
    verb("show", Arity::Any, false, show::show),
    verb("daemon-reload", Arity::None, false, runtime::daemon_reload),
    verb("daemon-reexec", Arity::None, false, runtime::daemon_reload),
    verb("list-units", Arity::Any, true, queries::list_units),
    verb("list-sockets", Arity::Any, true, list_sockets::list_sockets),
    verb("list-timers", Arity::Any, true, list_timers::list_timers),
    verb("list-jobs", Arity::Any, true, runtime::list_jobs),
    verb(
        "list-dependencies",
        Arity::Any,
        false,
        list_dependencies::list_dependencies,
    ),
    verb("start", Arity::UnitsOrMarked, true, runtime::job),
    verb("stop", Arity::UnitsOrMarked, true, runtime::job),
    verb("reload", Arity::UnitsOrMarked, true, runtime::job),
    verb("restart", Arity::UnitsOrMarked, true, runtime::job),
    verb("try-restart", Arity::UnitsOrMarked, true, runtime::job),
    verb(
        "reload-or-restart",
        Arity::UnitsOrMarked,
        true,
        runtime::job,
    ),
    verb(
        "try-reload-or-restart",
        Arity::UnitsOrMarked,
        true,
        runtime::job,
    ),
    verb(
        "reload-or-try-restart",
        Arity::UnitsOrMarked,
        true,
        runtime::job,
    ),
    verb("force-reload", Arity::UnitsOrMarked, true, runtime::job),
    verb("condrestart", Arity::UnitsOrMarked, true, runtime::job),
    verb("condreload", Arity::UnitsOrMarked, true, runtime::job),
    verb("isolate", Arity::Exactly(1), true, runtime::isolate),
    verb("kill", Arity::AtLeast(1), true, runtime::kill),
    verb("clean", Arity::AtLeast(1), true, online::needs_manager),
    verb("reset-failed", Arity::Any, true, runtime::reset_failed),
    verb("is-active", Arity::AtLeast(1), false, queries::is_active),
    verb("check", Arity::AtLeast(1), false, queries::is_active),
    verb("is-failed", Arity::AtLeast(1), false, queries::is_failed),
    verb("status", Arity::Any, true, status::status),
    verb("help", Arity::Any, true, unit_help::help),
    verb(
        "set-property",
        Arity::AtLeast(2),
        true,
        runtime::set_property,
    ),
    verb(
        "set-environment",
        Arity::AtLeast(1),
        true,
        environment::set_environment,
    ),
    verb(
        "unset-environment",
        Arity::AtLeast(1),
        true,
        environment::unset_environment,
    ),
    verb(
        "import-environment",
        Arity::Any,
        true,
        environment::import_environment,
    ),
    verb(
        "show-environment",
        Arity::None,
        true,
        environment::show_environment,
    ),
    verb(
        "is-system-running",
        Arity::None,
        false,
        queries::is_system_running,
    ),
    verb("default", Arity::None, true, runtime::isolate),
    verb("halt", Arity::None, true, runtime::shutdown),
    verb("poweroff", Arity::None, true, runtime::shutdown),
    verb("reboot", Arity::AtMost(1), true, runtime::shutdown),
    verb("exit", Arity::AtMost(1), true, runtime::shutdown),
    verb("edit", Arity::AtLeast(1), false, online::unsupported),
];

fn check_arity(arity: Arity, n: usize) -> Result<(), Failed> {
    let too_few = || Failed::new(Exit::Failure, "Too few arguments.");
    let too_many = || Failed::new(Exit::Failure, "Too many arguments.");
    match arity {
        Arity::None if n > 0 => Err(too_many()),
        Arity::AtLeast(min) if n < min => Err(too_few()),
        Arity::AtMost(max) if n > max => Err(too_many()),
        Arity::Exactly(k) if n < k => Err(too_few()),
        Arity::Exactly(k) if n > k => Err(too_many()),
        _ => Ok(()),
    }
}

/// `systemctl --version`: scripts read the number on the first line (`systemd 252`).
const VERSION_TEXT: &str = concat!(
    "systemd 252 (systemctl-shim ",
    env!("CARGO_PKG_VERSION"),
    ")\n+SYSVINIT default-hierarchy=unified"
);

fn run_verb(opts: &Options) -> VerbResult {
    if opts.version {
        println!("{VERSION_TEXT}");
        return Ok(Exit::Success);
    }
    // systemctl answers these while it parses the options, before it looks at the verb.
    if opts.types.iter().any(|t| t == "help") {
        options::print_type_help(opts.legend());
        return Ok(Exit::Success);
    }
    if opts.state.iter().any(|s| s == "help") {
        options::print_state_help(opts.legend());
        return Ok(Exit::Success);
    }
    let (name, args) = match opts.words.split_first() {
        Some((verb, args)) => (verb.as_str(), args),
        None => ("list-units", &[][..]),
    };
    let verb = VERBS
        .iter()
        .find(|v| v.name == name)
        .ok_or_else(|| Failed::new(Exit::Failure, format!("Unknown command verb {name}.")))?;
    check_arity(verb.arity, args.len())?;
    if matches!(verb.arity, Arity::UnitsOrMarked) && args.is_empty() && !opts.marked {
        return Err(Failed::new(Exit::Failure, "Too few arguments."));
    }
    opts.validate()?;
    if verb.online {
        if opts.root.is_some() {
            return Err(Failed::new(
                Exit::Failure,
                format!("Verb '{name}' cannot be used with --root= or --image=."),
            ));
        }
        if online::offline_requested() {
            eprintln!("Running in chroot, ignoring command '{name}'");
            return Ok(Exit::Success);
        }
    }
    let scope = opts.scope();
    let lookup = LookupPaths::new(scope, opts.root.as_deref().map(Path::new))
        .map_err(|e| Failed::new(Exit::Failure, e.to_string()))?;
    if lookup.has_root() && !lookup.root.is_dir() {
        return Err(Failed::new(
            Exit::Failure,
            format!(
                "Failed to initialize unit search paths for root directory {}: No such file or directory",
                lookup.root.display()
            ),
        ));
    }
    let ctx = Ctx { opts, lookup };
    (verb.handler)(&ctx, args)
}

/// Run `systemctl` with the given argv (including argv[0]); returns the process exit code.
pub fn systemctl_main<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let opts = match Options::try_parse_from(argv) {
        Ok(o) => o,
        Err(e) => {
            use clap::error::ContextKind;
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    return 0;
                }
                ErrorKind::UnknownArgument => {
                    // getopt's words, which is what systemctl prints.
                    let arg = e
                        .get(ContextKind::InvalidArg)
                        .map(|a| a.to_string())
                        .unwrap_or_default();
                    eprintln!("systemctl: unrecognized option '{arg}'");
                }
                _ => {
                    let _ = e.print();
                }
            }
            return 1;
        }
    };
    let result = run_verb(&opts);
    let _ = std::io::stdout().flush();
    match result {
        Ok(exit) => exit.code(),
        Err(failed) => {
            if !failed.message.is_empty() {
                eprintln!("{}", failed.message);
            }
            failed.exit.code()
        }
    }
}

/// The scope a verb acts on, from `--system`/`--user`/`--global`.
impl Options {
    pub fn scope(&self) -> Scope {
        if self.global {
            Scope::Global
        } else if self.user {
            Scope::User
        } else {
            Scope::System
        }
    }
}
