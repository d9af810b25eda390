//! systemd.generator(7): before the manager loads units, at start and at every daemon-reload,
//! it runs the executables of the generator directories, each with the three output
//! directories `/run/systemd/generator`, `generator.early` and `generator.late` (emptied first),
//! whose units and `.wants/` links the unit search path already includes. Packages ship them to
//! make units from their own configuration: postgresql-generator links
//! `postgresql@15-main.service` into `postgresql.service.wants/` for every cluster.
//!
//! As in systemd, a generator of the same name in an earlier directory hides a later one (a link
//! to /dev/null disables it), they run in parallel with the manager's environment plus
//! `$SYSTEMD_SCOPE`, `$SYSTEMD_IN_INITRD`, `$SYSTEMD_VIRTUALIZATION` and
//! `$SYSTEMD_ARCHITECTURE`, and those still running after [`GENERATOR_TIMEOUT`] are killed.
//!
//! systemd's own generators (`systemd-*`) are not run: the SysV one is built in
//! ([`crate::unit::sysv`], written out by [`write_sysv_units`]), and the others make what this manager does not run (fstab's mount
//! units, cryptsetup, gpt-auto) or a console getty that would take over the container's console.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::unit::paths::LookupPaths;
use crate::unit::sysv::{native_unit_exists, SysvLayout};

/// Where system generators live, most important first (`/lib` for split-/usr systems).
pub const GENERATOR_DIRS: [&str; 5] = [
    "/run/systemd/system-generators",
    "/etc/systemd/system-generators",
    "/usr/local/lib/systemd/system-generators",
    "/usr/lib/systemd/system-generators",
    "/lib/systemd/system-generators",
];

/// The output directories, in the argument order of systemd.generator(7).
pub const OUTPUT_DIRS: [&str; 3] = [
    "/run/systemd/generator",
    "/run/systemd/generator.early",
    "/run/systemd/generator.late",
];

/// systemd's DEFAULT_TIMEOUT_USEC, which bounds the generators as a whole.
pub const GENERATOR_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, Error)]
pub enum GeneratorError {
    #[error("Failed to prepare generator output directory {}: {source}", path.display())]
    Output { path: PathBuf, source: io::Error },
}

/// What running the generators came to: one line per generator that did not succeed.
#[derive(Debug, Default)]
pub struct GeneratorReport {
    pub problems: Vec<String>,
}

/// The generators to run, by name, first directory wins; `systemd-*` and disabled ones left out.
pub fn find(dirs: &[&Path]) -> Vec<PathBuf> {
    let mut by_name: BTreeMap<String, Option<PathBuf>> = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') || by_name.contains_key(&name) {
                continue;
            }
            let path = entry.path();
            // conf_files_list(): a link to /dev/null or an empty file masks the name; a file
            // that cannot run is skipped and hides nothing.
            let masked = fs::read_link(&path).is_ok_and(|t| t == Path::new("/dev/null"))
                || fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0);
            if masked {
                by_name.insert(name, None);
            } else if is_executable(&path) {
                by_name.insert(
                    name.clone(),
                    (!name.starts_with("systemd-")).then_some(path),
                );
            }
        }
    }
    by_name.into_values().flatten().collect()
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Empties the output directories and runs every generator found in `dirs` into them.
pub fn run(dirs: &[&Path], outputs: &[&Path; 3]) -> Result<GeneratorReport, GeneratorError> {
    for out in outputs {
        match fs::remove_dir_all(out) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(GeneratorError::Output {
                    path: out.to_path_buf(),
                    source: e,
                })
            }
            _ => {}
        }
        fs::create_dir_all(out).map_err(|source| GeneratorError::Output {
            path: out.to_path_buf(),
            source,
        })?;
    }
    let mut report = GeneratorReport::default();
    let env = environment();
    let mut running: Vec<(PathBuf, Child)> = Vec::new();
    for path in find(dirs) {
        use std::os::unix::process::CommandExt;
        // A group of its own, so that a generator killed at the deadline takes whatever it
        // started with it, instead of leaving it writing into the output directories.
        let spawned = Command::new(&path)
            .process_group(0)
            .args(outputs.iter())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .spawn();
        match spawned {
            Ok(child) => running.push((path, child)),
            Err(e) => report
                .problems
                .push(format!("Failed to execute {}: {e}", path.display())),
        }
    }
    let deadline = Instant::now() + GENERATOR_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    while !running.is_empty() {
        let mut still = Vec::with_capacity(running.len());
        for (path, mut child) in running {
            match child.try_wait() {
                Ok(Some(status)) => {
                    if !status.success() {
                        report.problems.push(describe_failure(&path, status));
                    }
                }
                Ok(None) if Instant::now() >= deadline => {
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(child.id() as i32),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                    let _ = child.wait();
                    report
                        .problems
                        .push(format!("{} timed out, killed.", path.display()));
                }
                Ok(None) => still.push((path, child)),
                Err(e) => report
                    .problems
                    .push(format!("Failed to wait for {}: {e}", path.display())),
            }
        }
        running = still;
        if !running.is_empty() {
            // Generators are short shell scripts: poll quickly at first, then back off.
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
    Ok(report)
}

/// systemd-sysv-generator, built in: every script of /etc/init.d without a native unit becomes
/// `late/NAME.service`, with a link per `Provides:` alias and the `.wants/` links its rc?.d
/// start links ask for, as the real generator writes them (tests/sysv_generator.rs compares the
/// two), so the boot starts what `update-rc.d NAME defaults` enabled. Runs after the other
/// generators, into the emptied output directory.
pub fn write_sysv_units(lookup: &LookupPaths, late: &Path) -> GeneratorReport {
    let mut report = GeneratorReport::default();
    let layout = SysvLayout::debian(&lookup.root);
    let scan = layout.generate_all(&|name| native_unit_exists(lookup, name));
    report
        .problems
        .extend(scan.errors.iter().map(|e| e.to_string()));
    let mut link = |target: &str, at: PathBuf| {
        if let Some(dir) = at.parent() {
            let _ = fs::create_dir_all(dir);
        }
        if let Err(e) = std::os::unix::fs::symlink(target, &at) {
            report
                .problems
                .push(format!("Failed to create symlink {}: {e}", at.display()));
        }
    };
    for unit in &scan.units {
        for alias in &unit.aliases {
            link(&unit.name, late.join(alias));
        }
        for target in &unit.wanted_by {
            link(
                &format!("../{}", unit.name),
                late.join(format!("{target}.wants")).join(&unit.name),
            );
        }
    }
    for unit in scan.units {
        let path = late.join(&unit.name);
        if let Err(e) = fs::write(&path, unit.text) {
            report
                .problems
                .push(format!("Failed to write {}: {e}", path.display()));
        }
    }
    report
}

fn describe_failure(path: &Path, status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("{} failed with exit status {code}.", path.display()),
        (None, Some(sig)) => format!(
            "{} terminated by signal {}.",
            path.display(),
            crate::sys::signal::signal_name(sig)
        ),
        _ => format!("{} failed.", path.display()),
    }
}

/// systemd.generator(7)'s environment variables.
fn environment() -> Vec<(String, String)> {
    let mut env = vec![
        ("SYSTEMD_SCOPE".to_string(), "system".to_string()),
        ("SYSTEMD_IN_INITRD".to_string(), "0".to_string()),
        (
            "SYSTEMD_ARCHITECTURE".to_string(),
            crate::unit::host::architecture().to_string(),
        ),
    ];
    if let Ok(v) = crate::unit::virt::detect_virtualization() {
        let kind = if v.is_container() {
            Some("container")
        } else if v.is_vm() {
            Some("vm")
        } else {
            None
        };
        if let Some(kind) = kind {
            env.push((
                "SYSTEMD_VIRTUALIZATION".to_string(),
                format!("{kind}:{}", v.as_str()),
            ));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn script(dir: &Path, name: &str, body: &str) {
        let path = dir.join(name);
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn an_earlier_directory_hides_a_later_generator_and_systemds_own_are_left_out() {
        let tmp = tempfile::tempdir().unwrap();
        let (etc, lib) = (tmp.path().join("etc"), tmp.path().join("lib"));
        fs::create_dir_all(&etc).unwrap();
        fs::create_dir_all(&lib).unwrap();
        script(&lib, "pkg-generator", "exit 0");
        script(&lib, "masked-generator", "exit 0");
        script(&lib, "empty-masked-generator", "exit 0");
        fs::write(etc.join("empty-masked-generator"), "").unwrap();
        script(&lib, "shadowed-generator", "exit 0");
        fs::write(etc.join("shadowed-generator"), "not executable").unwrap();
        script(&lib, "systemd-fstab-generator", "exit 0");
        script(&etc, "pkg-generator", "exit 0");
        symlink("/dev/null", etc.join("masked-generator")).unwrap();
        fs::write(lib.join("not-executable"), "").unwrap();
        assert_eq!(
            find(&[&etc, &lib]),
            vec![etc.join("pkg-generator"), lib.join("shadowed-generator")],
            "the /etc one wins, the masked and systemd's are skipped, a non-executable hides nothing"
        );
    }

    #[test]
    fn generators_write_into_fresh_output_directories_with_their_arguments() {
        let tmp = tempfile::tempdir().unwrap();
        let gens = tmp.path().join("gens");
        fs::create_dir_all(&gens).unwrap();
        let outs = ["normal", "early", "late"].map(|n| tmp.path().join(n));
        fs::create_dir_all(&outs[0]).unwrap();
        fs::write(outs[0].join("stale.service"), "").unwrap();
        script(
            &gens,
            "wants-generator",
            "mkdir -p \"$1/x.service.wants\" && echo \"$SYSTEMD_SCOPE $2 $3\" >\"$1/args\"",
        );
        script(&gens, "broken-generator", "exit 3");
        let outputs = [outs[0].as_path(), outs[1].as_path(), outs[2].as_path()];
        let report = run(&[&gens], &outputs).unwrap();
        assert!(!outs[0].join("stale.service").exists(), "emptied first");
        assert!(outs[0].join("x.service.wants").is_dir());
        assert_eq!(
            fs::read_to_string(outs[0].join("args")).unwrap().trim(),
            format!("system {} {}", outs[1].display(), outs[2].display())
        );
        assert_eq!(
            report.problems,
            vec![format!(
                "{} failed with exit status 3.",
                gens.join("broken-generator").display()
            )]
        );
    }
}
