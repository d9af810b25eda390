//! The test environment: a temporary `--root` tree to lay unit files into, and runners for the
//! built binary (and, for differential tests, the machine's real systemctl) against it.
#![allow(dead_code)]

pub mod rng;
pub mod sandbox;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const OUR_SYSTEMCTL: &str = env!("CARGO_BIN_EXE_systemctl");

/// What a command printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl From<Output> for Outcome {
    fn from(o: Output) -> Outcome {
        Outcome {
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            code: o.status.code().unwrap_or(-1),
        }
    }
}

/// Whether `argv` runs and succeeds on this machine (a tool a test needs is present).
pub fn command_succeeds(argv: &[&str]) -> bool {
    std::process::Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .is_ok_and(|o| o.status.success())
}

pub struct RootTree {
    dir: tempfile::TempDir,
}

impl RootTree {
    pub fn new() -> RootTree {
        let dir = tempfile::Builder::new()
            .prefix("shim-root.")
            .tempdir()
            .expect("create temp root");
        RootTree { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The real path of `inside` (an absolute path within the tree).
    pub fn real(&self, inside: &str) -> PathBuf {
        self.path().join(inside.trim_start_matches('/'))
    }

    /// Write a file (creating its directories) at `inside`.
    pub fn write(&self, inside: &str, content: &str) -> &RootTree {
        let p = self.real(inside);
        fs::create_dir_all(p.parent().expect("file has a parent")).expect("mkdir");
        fs::write(&p, content).expect("write file");
        self
    }

    /// Create a symlink at `inside` pointing to `target` (verbatim).
    pub fn link(&self, inside: &str, target: &str) -> &RootTree {
        let p = self.real(inside);
        fs::create_dir_all(p.parent().expect("link has a parent")).expect("mkdir");
        symlink(target, &p).expect("symlink");
        self
    }

    /// Every symlink below the tree as `(path inside, target)`, sorted: the on-disk layout that
    /// enablement verbs leave behind.
    pub fn symlinks(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        walk(self.path(), &mut |p| {
            if let Ok(target) = fs::read_link(p) {
                let inside = p.strip_prefix(self.path()).expect("below root");
                out.push((
                    format!("/{}", inside.display()),
                    target.display().to_string(),
                ));
            }
        });
        out.sort();
        out
    }

    /// Run our systemctl with `--root` set to this tree.
    pub fn ours(&self, args: &[&str]) -> Outcome {
        run(OUR_SYSTEMCTL, self.path(), args)
    }

    /// Run the machine's real systemctl with `--root` set to this tree.
    pub fn real_systemctl(&self, args: &[&str]) -> Outcome {
        run("systemctl", self.path(), args)
    }
}

impl Default for RootTree {
    fn default() -> Self {
        RootTree::new()
    }
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        f(&p);
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            walk(&p, f);
        }
    }
}

fn run(program: &str, root: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(program);
    cmd.arg(format!("--root={}", root.display()))
        .args(args)
        .env_remove("SYSTEMD_UNIT_PATH")
        .env("SYSTEMD_LOG_COLOR", "0")
        .env("SYSTEMD_PAGER", "cat")
        .env("LC_ALL", "C.UTF-8");
    cmd.output().expect("run systemctl").into()
}

/// Run our binary under another name (multi-call), without `--root`.
pub fn run_as(name: &str, args: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join(name);
    symlink(OUR_SYSTEMCTL, &link).expect("symlink multi-call name");
    Command::new(&link)
        .args(args)
        .output()
        .expect("run multi-call")
        .into()
}

/// The Debian unit corpus shipped beside the repository, if present.
pub fn corpus_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/unit-corpus/debian-bookworm");
    p.is_dir().then_some(p)
}

/// A TCP port nothing listens on, with five digits so that the tables below line up. The tests
/// run in parallel in one network namespace: no port is handed out twice.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = l.local_addr().expect("its address").port();
        if port >= 10000 && !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Our binary as `journalctl` (argv[0] decides), reading the logs of the manager whose runtime
/// directory is `runtime_dir`.
pub fn journalctl(runtime_dir: &Path, args: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("journalctl");
    symlink(OUR_SYSTEMCTL, &link).expect("symlink");
    Command::new(&link)
        .args(args)
        .env("SYSTEMCTL_SHIM_RUNTIME_DIR", runtime_dir)
        .output()
        .expect("run journalctl")
        .into()
}
