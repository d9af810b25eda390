//! systemd-tmpfiles(8) of systemd 252: read tmpfiles.d(5) configuration and create, remove (and,
//! nominally, clean) what it lists. Lines for one path form an array applied in a fixed order
//! (owning types first), arrays are applied parents first in the order their paths first appeared,
//! plain paths before glob patterns, removal before creation; the exit status is 65 when a line
//! was invalid, 73 when something could not be created or removed, 0 otherwise.

pub mod apply;
pub mod config;
pub mod line;
pub mod specifiers;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::sys::accounts::Accounts;
use apply::{ApplyError, Notes};
use line::{Item, LineContext, LineError, Parsed};
use specifiers::Specifiers;

/// EX_DATAERR: some configuration line was invalid.
pub const EXIT_INVALID_CONFIG: u8 = 65;
/// EX_CANTCREAT: some item could not be created or removed.
pub const EXIT_CANT_CREATE: u8 = 73;

#[derive(Debug, Error)]
pub enum TmpfilesError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("Failed to read '{file}': {reason}")]
    Read { file: String, reason: String },
}

/// What to do and where, as the command line asks.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub create: bool,
    pub remove: bool,
    pub clean: bool,
    /// `--boot`: also apply lines marked `!`.
    pub boot: bool,
    /// `--user`: the per-user configuration directories and specifiers.
    pub user: bool,
    pub root: Option<PathBuf>,
    pub include_prefixes: Vec<String>,
    pub exclude_prefixes: Vec<String>,
    /// Configuration files named on the command line (`-` is standard input); empty means all.
    pub files: Vec<String>,
    /// `--replace=PATH`: read all configuration, with `files` standing in for PATH.
    pub replace: Option<String>,
}

impl Options {
    /// What systemd-tmpfiles-setup.service runs at boot (`--create --remove --boot
    /// --exclude-prefix=/dev`), for the manager to call when it is PID 1: `/run` and `/tmp` start
    /// empty in a container, while `/dev` belongs to the container runtime.
    ///
    /// A manager that is not root (OpenShift's arbitrary uid, `docker run --user`) runs the
    /// `--user` configuration instead, as systemd --user's systemd-tmpfiles-setup.service does:
    /// the system's lines create root's directories in /run, /var and /tmp, which such a process
    /// may not, and would only print a screenful of "Permission denied" on every boot.
    pub fn boot_setup(root: Option<PathBuf>) -> Options {
        Options {
            create: true,
            remove: true,
            boot: true,
            user: !nix::unistd::geteuid().is_root(),
            root,
            exclude_prefixes: vec!["/dev".into()],
            ..Options::default()
        }
    }

    fn root(&self) -> Option<&Path> {
        self.root.as_deref().filter(|r| *r != Path::new("/"))
    }

    /// The configuration directories to search, highest priority first (inside the root).
    pub fn config_dirs(&self) -> Vec<String> {
        if self.user {
            config::user_dirs()
        } else {
            config::SYSTEM_DIRS.iter().map(|d| d.to_string()).collect()
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Done {
    create: bool,
    remove: bool,
}

/// All lines for one path, with the closest configured ancestor and descendants.
struct ItemArray {
    items: Vec<(Item, Done)>,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// The parsed configuration (systemd's `items` and `globs` hashmaps, in insertion order).
#[derive(Default)]
struct Plan {
    arrays: Vec<ItemArray>,
    plain: Vec<usize>,
    globs: Vec<usize>,
    plain_index: HashMap<String, usize>,
    glob_index: HashMap<String, usize>,
}

fn sort_key(item: &Item) -> (bool, char) {
    (!item.kind.takes_ownership(), item.kind.letter())
}

impl Plan {
    /// Add a line's item unless an incompatible line for the path came first (252 makes no
    /// exception for `+`, unlike later releases); returns false
    /// when the item was dropped as a duplicate.
    fn add(&mut self, item: Item) -> bool {
        let glob = item.kind.takes_glob();
        let (index, order) = if glob {
            (&mut self.glob_index, &mut self.globs)
        } else {
            (&mut self.plain_index, &mut self.plain)
        };
        if let Some(&n) = index.get(&item.path) {
            let array = &mut self.arrays[n];
            if array.items.iter().any(|(i, _)| !i.compatible_with(&item)) {
                return false;
            }
            array.items.push((item, Done::default()));
            array.items.sort_by_key(|(i, _)| sort_key(i));
            return true;
        }
        let n = self.arrays.len();
        index.insert(item.path.clone(), n);
        order.push(n);
        self.arrays.push(ItemArray {
            items: vec![(item, Done::default())],
            parent: None,
            children: Vec::new(),
        });
        true
    }

    /// link_parent(): the nearest ancestor path that has lines of its own.
    fn link_parents(&mut self) {
        let order: Vec<usize> = self.plain.iter().chain(&self.globs).copied().collect();
        for n in order {
            let Some((first, _)) = self.arrays[n].items.first() else {
                continue;
            };
            let mut prefix = first.path.clone();
            while let Some(cut) = prefix.rfind('/') {
                prefix.truncate(cut);
                let parent = self
                    .plain_index
                    .get(&prefix)
                    .or_else(|| self.glob_index.get(&prefix))
                    .copied();
                if let Some(p) = parent {
                    self.arrays[n].parent = Some(p);
                    self.arrays[p].children.push(n);
                    break;
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Remove,
    Create,
}

/// One run's state: the plan, what was reported, and how it went.
struct Run<'a> {
    plan: Plan,
    log: &'a mut dyn Write,
    invalid_config: bool,
    failed: bool,
    unsupported_warned: bool,
}

impl Run<'_> {
    fn say(&mut self, message: &str) {
        let _ = writeln!(self.log, "{message}");
    }

    fn report(&mut self, errors: Vec<ApplyError>, counts: bool) {
        for e in &errors {
            let _ = writeln!(self.log, "{e}");
        }
        if counts && !errors.is_empty() {
            self.failed = true;
        }
    }

    fn read_text(&mut self, file: &str, text: &[u8], ctx: &LineContext) {
        let text = String::from_utf8_lossy(text);
        for (n, raw) in text.split('\n').enumerate() {
            let stripped = raw.trim_matches([' ', '\t', '\n', '\r']);
            if stripped.is_empty() || stripped.starts_with('#') {
                continue;
            }
            let mut notes = Vec::new();
            let parsed = line::parse_line(stripped, ctx, &mut notes);
            for note in notes {
                self.say(&format!("{file}:{}: {note}", n + 1));
            }
            match parsed {
                Ok(Parsed::Item(item)) => {
                    let path = item.path.clone();
                    if !self.plan.add(*item) {
                        self.say(&format!(
                            "{file}:{}: Duplicate line for path \"{path}\", ignoring.",
                            n + 1
                        ));
                    }
                }
                Ok(Parsed::Skipped(_)) => {}
                Err(problem) => {
                    if let Some(pre) = problem.preamble() {
                        self.say(&pre);
                    }
                    self.invalid_config |= problem.is_invalid_config();
                    let error = LineError {
                        file: file.to_string(),
                        line: n + 1,
                        problem,
                    };
                    self.say(&error.to_string());
                }
            }
        }
    }

    /// A file named on the command line: an error here ends the run before anything is applied.
    fn read_named(
        &mut self,
        name: &str,
        root: Option<&Path>,
        dirs: &[String],
        stdin: &mut dyn Read,
        ctx: &LineContext,
    ) -> Result<(), TmpfilesError> {
        let (label, text) = if name == "-" {
            let mut text = Vec::new();
            stdin
                .read_to_end(&mut text)
                .map_err(|e| TmpfilesError::Read {
                    file: "<stdin>".into(),
                    reason: crate::errno::text(&e),
                })?;
            ("<stdin>".to_string(), text)
        } else {
            let path = config::find_named(root, dirs, name)?;
            let text = std::fs::read(&path).map_err(|e| config::ConfigError::Open {
                name: name.to_string(),
                reason: crate::errno::text(&e),
            })?;
            (path.display().to_string(), text)
        };
        self.read_text(&label, &text, ctx);
        Ok(())
    }

    fn process_array(&mut self, n: usize, phase: Phase) {
        if phase == Phase::Create {
            if let Some(parent) = self.plan.arrays[n].parent {
                self.process_array(parent, phase);
            }
        } else {
            for child in self.plan.arrays[n].children.clone() {
                self.process_array(child, phase);
            }
        }
        for k in 0..self.plan.arrays[n].items.len() {
            let (item, done) = &mut self.plan.arrays[n].items[k];
            let flag = match phase {
                Phase::Create => &mut done.create,
                Phase::Remove => &mut done.remove,
            };
            if *flag {
                continue;
            }
            *flag = true;
            let item = item.clone();
            match phase {
                Phase::Create => {
                    let mut lines = Vec::new();
                    let errors = apply::create(
                        &item,
                        &mut Notes {
                            lines: &mut lines,
                            unsupported_warned: &mut self.unsupported_warned,
                        },
                    );
                    for l in lines {
                        self.say(&l);
                    }
                    self.report(errors, !item.allow_failure);
                }
                Phase::Remove => {
                    let errors = apply::remove(&item);
                    self.report(errors, true);
                }
            }
        }
    }

    fn apply_phase(&mut self, phase: Phase) {
        let order: Vec<usize> = self
            .plan
            .plain
            .iter()
            .chain(&self.plan.globs)
            .copied()
            .collect();
        for n in order {
            self.process_array(n, phase);
        }
    }
}

/// Run systemd-tmpfiles: diagnostics go to `log`, `stdin` serves a `-` file argument. Returns the
/// exit status, or the error that stops the run before anything is applied (exit status 1).
pub fn run(opts: &Options, stdin: &mut dyn Read, log: &mut dyn Write) -> Result<u8, TmpfilesError> {
    let root = opts.root();
    let dirs = opts.config_dirs();
    let specifiers = Specifiers {
        root: root.map(Path::to_path_buf),
        user: opts.user,
    };
    let accounts = Accounts::load(root.unwrap_or(Path::new("/")));
    let credentials = std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from);
    let ctx = LineContext {
        specifiers: &specifiers,
        root,
        boot: opts.boot,
        include_prefixes: &opts.include_prefixes,
        exclude_prefixes: &opts.exclude_prefixes,
        accounts: &accounts,
        credentials: credentials.as_deref(),
    };
    let mut run = Run {
        plan: Plan::default(),
        log,
        invalid_config: false,
        failed: false,
        unsupported_warned: false,
    };
    if opts.files.is_empty() || opts.replace.is_some() {
        let replacement = opts.replace.as_deref();
        let replaced = replacement.map(|r| config::in_root(root, r));
        for file in config::list_files(root, &dirs, replacement) {
            if Some(&file) == replaced.as_ref() {
                for name in &opts.files {
                    run.read_named(name, root, &dirs, stdin, &ctx)?;
                }
                continue;
            }
            let name = file.display().to_string();
            match std::fs::read(&file) {
                Ok(text) => run.read_text(&name, &text, &ctx),
                // A dangling link is listed but, like a vanished file, passed over quietly.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => run.say(
                    &TmpfilesError::Read {
                        file: name,
                        reason: crate::errno::text(&e),
                    }
                    .to_string(),
                ),
            }
        }
    } else {
        for name in &opts.files {
            run.read_named(name, root, &dirs, stdin, &ctx)?;
        }
    }
    run.plan.link_parents();
    if opts.remove {
        run.apply_phase(Phase::Remove);
    }
    if opts.create {
        run.apply_phase(Phase::Create);
    }
    Ok(if run.invalid_config {
        EXIT_INVALID_CONFIG
    } else if run.failed {
        EXIT_CANT_CREATE
    } else {
        0
    })
}

/// `--cat-config`: the files that would be read, each under a `# path` header.
pub fn cat_config(opts: &Options, out: &mut dyn Write) -> Result<(), TmpfilesError> {
    Ok(config::cat(opts.root(), &opts.config_dirs(), out)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_setup_creates_boot_lines_below_the_root_but_not_dev() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("usr/lib/tmpfiles.d");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::write(
            conf.join("x.conf"),
            "d! /run/boot 0700\nd /dev/shm/x\nR! /tmp/old\nbad\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("tmp/old/sub")).unwrap();
        let mut log = Vec::new();
        let opts = Options::boot_setup(Some(dir.path().to_path_buf()));
        let code = run(&opts, &mut std::io::empty(), &mut log).unwrap();
        assert_eq!(code, EXIT_INVALID_CONFIG);
        let log = String::from_utf8(log).unwrap();
        assert!(log.ends_with("x.conf:4: Syntax error.\n"), "{log}");
        assert!(dir.path().join("run/boot").is_dir());
        assert!(!dir.path().join("dev").exists());
        assert!(!dir.path().join("tmp/old").exists());
    }
}
