//! `systemd-escape` (systemd-escape(1)) as systemd 252's escape.c, reached through the
//! multi-call binary: escape strings and paths for use in unit names, or undo that, with its
//! option checks, messages and exit statuses. Results are printed as they are made, so a failure
//! part-way leaves the earlier ones on stdout (without a newline), as systemd's does.

use std::io::Write;

use nix::errno::Errno;

use super::getopt::{argv_strings, Getopt, HasArg, OptSpec};
use super::notify::{exit_status, ToolError};
use crate::unit::name::{self, UnitName, UnitType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Help,
    Version,
    Suffix,
    Template,
    Unescape,
    Mangle,
    Path,
    Instance,
}

/// escape.c's options, in its order (glibc lists ambiguous abbreviations so).
const OPTIONS: &[OptSpec<Opt>] = &[
    OptSpec::both('h', "help", HasArg::No, Opt::Help),
    OptSpec::long("version", HasArg::No, Opt::Version),
    OptSpec::long("suffix", HasArg::Required, Opt::Suffix),
    OptSpec::long("template", HasArg::Required, Opt::Template),
    OptSpec::both('u', "unescape", HasArg::No, Opt::Unescape),
    OptSpec::both('m', "mangle", HasArg::No, Opt::Mangle),
    OptSpec::both('p', "path", HasArg::No, Opt::Path),
    OptSpec::long("instance", HasArg::No, Opt::Instance),
];

fn help_text(program: &str) -> String {
    format!(
        "{program} [OPTIONS...] [NAME...]\n\
         \n\
         Escape strings for usage in systemd unit names.\n\
         \n\
         \x20 -h --help               Show this help\n\
         \x20    --version            Show package version\n\
         \x20    --suffix=SUFFIX      Unit suffix to append to escaped strings\n\
         \x20    --template=TEMPLATE  Insert strings as instance into template\n\
         \x20    --instance           With --unescape, show just the instance part\n\
         \x20 -u --unescape           Unescape strings\n\
         \x20 -m --mangle             Mangle strings\n\
         \x20 -p --path               When escaping/unescaping assume the string is a path\n\
         \n\
         See the systemd-escape(1) man page for details."
    )
}

/// The last of `-u` and `-m` wins; neither means escaping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Action {
    #[default]
    Escape,
    Unescape,
    Mangle,
}

#[derive(Debug, Default)]
struct Args {
    action: Action,
    suffix: Option<String>,
    template: Option<UnitName>,
    path: bool,
    instance: bool,
    strings: Vec<String>,
}

fn invalid(message: impl Into<String>) -> ToolError {
    ToolError::new(Errno::EINVAL, message)
}

/// escape.c's parse_argv(): a bad --suffix= or --template= is refused as soon as it is read,
/// the combinations after all options are.
fn parse_args(argv: Vec<String>) -> Result<Option<Args>, ToolError> {
    let program = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
        .unwrap_or_default();
    let mut args = Args::default();
    let mut getopt = Getopt::new(argv, OPTIONS);
    for item in getopt.by_ref() {
        let (opt, value) = item.map_err(invalid)?;
        let value = value.unwrap_or_default();
        match opt {
            Opt::Help => {
                println!("{}", help_text(&program));
                return Ok(None);
            }
            Opt::Version => {
                println!("{}", super::VERSION_TEXT);
                return Ok(None);
            }
            Opt::Suffix => {
                if UnitType::parse(&value).is_none() {
                    return Err(invalid(format!("Invalid unit suffix type \"{value}\".")));
                }
                args.suffix = Some(value);
            }
            Opt::Template => {
                let template = UnitName::parse(&value)
                    .ok()
                    .filter(UnitName::is_template)
                    .ok_or_else(|| invalid(format!("Template name {value} is not valid.")))?;
                args.template = Some(template);
            }
            Opt::Unescape => args.action = Action::Unescape,
            Opt::Mangle => args.action = Action::Mangle,
            Opt::Path => args.path = true,
            Opt::Instance => args.instance = true,
        }
    }
    args.strings = getopt.into_operands();
    check_combination(&args)?;
    Ok(Some(args))
}

/// The combinations systemd-escape refuses, in the order it checks them.
fn check_combination(args: &Args) -> Result<(), ToolError> {
    let refused = if args.strings.is_empty() {
        "Not enough arguments."
    } else if args.template.is_some() && args.suffix.is_some() {
        "--suffix= and --template= may not be combined."
    } else if (args.template.is_some() || args.suffix.is_some()) && args.action == Action::Mangle {
        "--suffix= and --template= are not compatible with --mangle."
    } else if args.suffix.is_some() && args.action == Action::Unescape {
        "--suffix is not compatible with --unescape."
    } else if args.path && args.action == Action::Mangle {
        "--path may not be combined with --mangle."
    } else if args.instance && args.action != Action::Unescape {
        "--instance must be used in conjunction with --unescape."
    } else if args.instance && args.template.is_some() {
        "--instance may not be combined with --template."
    } else {
        return Ok(());
    };
    Err(invalid(refused))
}

/// systemd's `path_is_valid()`: not empty, no component longer than NAME_MAX, shorter than
/// PATH_MAX.
fn path_is_valid(p: &str) -> bool {
    !p.is_empty() && p.len() < 4096 && p.split('/').all(|c| c.len() <= 255)
}

/// systemd's `path_is_normalized()`: valid, without `..` components, `.` components or `//`
/// (a trailing slash is fine).
fn path_is_normalized(p: &str) -> bool {
    path_is_valid(p)
        && !p.split('/').any(|c| c == "..")
        && p != "."
        && !p.starts_with("./")
        && !p.ends_with("/.")
        && !p.contains("/./")
        && !p.contains("//")
}

fn escape_path(s: &str) -> Result<String, ToolError> {
    let escaped = name::escape_path(s).map_err(|_| {
        // Say why, where we can tell; systemd has the same fallback for anything else.
        let why = if !path_is_valid(s) {
            "not a valid file system path"
        } else if !s.starts_with('/') {
            "not an absolute file system path"
        } else if !path_is_normalized(s) {
            "not a normalized file system path"
        } else {
            return invalid("Failed to escape string: Invalid argument");
        };
        invalid(format!("Input '{s}' is {why}, failed to escape."))
    })?;
    // Escaped all the same, but it will not unescape to what was given. (A path that is merely
    // not normalized, `//a/`, unescapes to something close enough not to warn about.)
    if !path_is_valid(s) {
        eprintln!(
            "Input '{s}' is not a valid file system path, escaping is likely not going be reversible."
        );
    } else if !s.starts_with('/') {
        eprintln!("Input '{s}' is not an absolute file system path, escaping is likely not going to be reversible.");
    }
    Ok(escaped)
}

fn escape_one(args: &Args, s: &str) -> Result<String, ToolError> {
    let escaped = if args.path {
        escape_path(s)?
    } else {
        name::escape(s)
    };
    if let Some(template) = &args.template {
        // An empty instance or a name grown too long makes no unit name.
        return template
            .with_instance(&escaped)
            .ok()
            .filter(|_| !escaped.is_empty())
            .map(|n| n.to_string())
            .ok_or_else(|| invalid("Failed to replace instance: Invalid argument"));
    }
    Ok(match &args.suffix {
        Some(suffix) => format!("{escaped}.{suffix}"),
        None => escaped,
    })
}

fn unescape_one(args: &Args, s: &str) -> Result<String, ToolError> {
    let body = if args.instance || args.template.is_some() {
        let unit = UnitName::parse(s)
            .map_err(|_| invalid("Failed to extract instance: Invalid argument"))?;
        let instance = unit
            .instance()
            .filter(|i| !i.is_empty())
            .ok_or_else(|| invalid(format!("Unit {s} is missing the instance name.")))?;
        if let (Some(wanted), Some(template)) = (&args.template, unit.template()) {
            if wanted != &template {
                return Err(invalid(format!(
                    "Unit {s} template {template} does not match specified template {wanted}."
                )));
            }
        }
        instance.to_string()
    } else {
        s.to_string()
    };
    let unescaped = if args.path {
        name::unescape_path(&body)
    } else {
        name::unescape(&body)
    };
    unescaped.map_err(|_| invalid("Failed to unescape string: Invalid argument"))
}

fn transform(args: &Args, s: &str) -> Result<String, ToolError> {
    match args.action {
        Action::Escape => escape_one(args, s),
        Action::Unescape => unescape_one(args, s),
        Action::Mangle => name::mangle(s, UnitType::Service)
            .map(|n| n.to_string())
            .map_err(|_| invalid("Failed to mangle name: Invalid argument")),
    }
}

fn run(argv: Vec<String>) -> Result<u8, ToolError> {
    let Some(args) = parse_args(argv)? else {
        return Ok(0);
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (i, s) in args.strings.iter().enumerate() {
        let result = transform(&args, s)?;
        let separator = if i == 0 { "" } else { " " };
        let _ = write!(out, "{separator}{result}");
    }
    let _ = writeln!(out);
    Ok(0)
}

/// Run `systemd-escape` with the given argv (including argv[0]); returns the exit status.
pub fn systemd_escape_main<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    exit_status(run(argv_strings(argv)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_judged_as_systemd_judges_them() {
        assert!(path_is_normalized("/a/b"));
        assert!(path_is_normalized("/"));
        assert!(path_is_normalized("a/"));
        assert!(!path_is_normalized("/a//b"));
        assert!(!path_is_normalized("/a/./b"));
        assert!(!path_is_normalized("/a/../b"));
        assert!(path_is_valid("/a/../b"));
        assert!(!path_is_valid(""));
        assert!(!path_is_valid(&format!("/{}", "x".repeat(256))));
    }
}
