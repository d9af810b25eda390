//! `systemd-tmpfiles` (systemd-tmpfiles(8), systemd 252), reached through the multi-call binary:
//! the options package scriptlets and boot use, their checks and wording, and the exit status of
//! the run.

use std::path::PathBuf;

use clap::Parser;

use crate::tmpfiles::{self, Options};

#[derive(Debug, Parser)]
#[command(
    name = "systemd-tmpfiles",
    about = "Creates, deletes and cleans up volatile and temporary files and directories.",
    disable_version_flag = true
)]
struct TmpfilesArgs {
    /// Execute user configuration
    #[arg(long)]
    user: bool,
    /// Show package version
    #[arg(long)]
    version: bool,
    /// Show configuration files
    #[arg(long)]
    cat_config: bool,
    /// Create marked files/directories
    #[arg(long)]
    create: bool,
    /// Clean up marked directories (accepted; ageing is not implemented)
    #[arg(long)]
    clean: bool,
    /// Remove marked files/directories
    #[arg(long)]
    remove: bool,
    /// Execute actions only safe at boot
    #[arg(long)]
    boot: bool,
    /// Only apply rules with the specified prefix
    #[arg(long, value_name = "PATH")]
    prefix: Vec<String>,
    /// Ignore rules with the specified prefix
    #[arg(long, value_name = "PATH")]
    exclude_prefix: Vec<String>,
    /// Ignore rules prefixed with /dev, /proc, /run, /sys
    #[arg(short = 'E')]
    exclude_api_filesystems: bool,
    /// Operate on an alternate filesystem root
    #[arg(long, value_name = "PATH")]
    root: Option<String>,
    /// Operate on disk image as filesystem root (not supported)
    #[arg(long, value_name = "PATH")]
    image: Option<String>,
    /// Treat arguments as replacement for PATH
    #[arg(long, value_name = "PATH")]
    replace: Option<String>,
    /// Do not pipe output into a pager
    #[arg(long)]
    no_pager: bool,
    /// Configuration files to read instead of all of them
    #[arg(value_name = "CONFIGURATION FILE")]
    files: Vec<String>,
}

/// parse_path_argument(): absolute, relative to the working directory, without `.` or `//`.
fn absolute_root(root: &str) -> PathBuf {
    let joined = if root.starts_with('/') {
        root.to_string()
    } else {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        format!("{}/{root}", cwd.display())
    };
    PathBuf::from(tmpfiles::line::simplify_path(&joined))
}

fn options(args: TmpfilesArgs) -> Result<Options, String> {
    if args.image.is_some() {
        return Err(
            "This systemd-tmpfiles version is compiled without support for --image=.".into(),
        );
    }
    if !(args.create || args.remove || args.clean || args.cat_config) {
        return Err("You need to specify at least one of --clean, --create or --remove.".into());
    }
    if let Some(r) = &args.replace {
        if !r.starts_with('/') {
            return Err("The argument to --replace= must be an absolute path.".into());
        }
        if !r.ends_with(".conf") {
            return Err("The argument to --replace= must have the extension '.conf'.".into());
        }
        if args.cat_config {
            return Err("Option --replace= is not supported with --cat-config".into());
        }
        if args.files.is_empty() {
            return Err(
                "When --replace= is given, some configuration items must be specified".into(),
            );
        }
    }
    if args.root.is_some() && args.user {
        return Err("Combination of --user and --root= is not supported.".into());
    }
    let mut exclude_prefixes = args.exclude_prefix;
    if args.exclude_api_filesystems {
        exclude_prefixes.extend(["/dev", "/proc", "/run", "/sys"].map(String::from));
    }
    Ok(Options {
        create: args.create,
        remove: args.remove,
        clean: args.clean,
        boot: args.boot,
        user: args.user,
        root: args.root.as_deref().map(absolute_root),
        include_prefixes: args.prefix,
        exclude_prefixes,
        files: args.files,
        replace: args.replace,
    })
}

/// Run `systemd-tmpfiles` with the given argv (including argv[0]); returns the exit status.
pub fn systemd_tmpfiles_main<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = match TmpfilesArgs::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if args.version {
        println!("{}", super::VERSION_TEXT);
        return 0;
    }
    let cat = args.cat_config;
    let opts = match options(args) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    if cat {
        let stdout = std::io::stdout();
        return match tmpfiles::cat_config(&opts, &mut stdout.lock()) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{e}");
                1
            }
        };
    }
    if opts.clean {
        eprintln!("Cleaning up aged files (--clean) is not implemented, skipping it.");
    }
    let stderr = std::io::stderr();
    let mut log = stderr.lock();
    match tmpfiles::run(&opts, &mut std::io::stdin().lock(), &mut log) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn root_is_made_absolute_and_simple() {
        assert_eq!(absolute_root("/a//b/./c/"), Path::new("/a/b/c"));
        assert!(absolute_root("x").is_absolute());
    }
}
