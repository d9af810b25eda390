//! systemd-sysv-generator(8) of systemd 252: the `NAME.service` units systemd makes from SysV init
//! scripts in `/etc/init.d` that have no native unit, with the `.wants` links it derives from the
//! `S??NAME` links in `/etc/rcN.d` and the aliases it derives from the LSB `Provides:` line.
//!
//! The unit text is the one the generator writes, byte for byte: the same `[Unit]` and `[Service]`
//! lines in the same order, the same LSB and chkconfig header rules (including their quirks, such as
//! `Required-Stop:`, `Default-Start:` and `X-Interactive:` being ignored: only the rc links decide
//! where a script is wanted), the same `$facility` mapping and the same `Usage:` heuristic for
//! `ExecReload=`.
//!
//! Where the generator's output depends on the iteration order of its hash tables (which script
//! wins two claims on one `Provides:` alias, the order of the `After=`/`Before=` lines that order
//! scripts without LSB headers by start priority), this module uses the order of unit names.
//! Directory entries are read in name order too, where the generator uses `readdir()` order.
//!
//! Deliberate differences, for files that are not init scripts: a script over [`MAX_SCRIPT_SIZE`]
//! or with NUL bytes (a binary) is an error here where the generator makes a unit of whatever it
//! finds in it; a script that vanished between listing and reading is an error where the generator
//! skips it silently; bytes that are not UTF-8 are read as U+FFFD. Init directories are taken as
//! given, where the generator resolves symlinks in them (which shows in `SourcePath=`).
//!
//! The directory scan is in `scan`, the reading of a script's LSB and chkconfig headers in
//! `header`, and the unit text written from them in `unit_text`.

mod header;
mod scan;
mod unit_text;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::name::{self, UnitType};
use super::paths::{Last, LookupPaths};

pub use scan::SysvLayout;

/// Debian builds systemd with `-Dsysvinit-path=/etc/init.d`.
pub const DEFAULT_SYSVINIT_DIRS: &[&str] = &["/etc/init.d"];
/// Debian builds systemd with `-Dsysvrcnd-path=/etc`.
pub const DEFAULT_SYSVRCND_DIRS: &[&str] = &["/etc"];
/// Real init scripts are a few KiB; anything bigger than this is not one.
pub const MAX_SCRIPT_SIZE: u64 = 1 << 20;

#[derive(Debug, Error)]
pub enum SysvError {
    #[error("Failed to read SysV script {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("SysV script {path} is larger than {MAX_SCRIPT_SIZE} bytes, refusing to parse it")]
    TooLarge { path: PathBuf },
    #[error("SysV script {path} contains NUL bytes: a binary, not an init script")]
    Binary { path: PathBuf },
}

/// One unit the generator would write into its output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedUnit {
    /// `NAME.service`, from the script's file name without `.sh`.
    pub name: String,
    /// The unit file's contents.
    pub text: String,
    /// The init script, as a path inside the root; also the unit's `SourcePath=`.
    pub source_path: PathBuf,
    /// Targets whose `.wants/` directory links to this unit, each once, in the generator's order.
    pub wanted_by: Vec<String>,
    /// Service names from `Provides:` that the generator links to this unit.
    pub aliases: Vec<String>,
}

/// Everything one generator run would produce: the units, and why some scripts made none.
#[derive(Debug, Default)]
pub struct SysvScan {
    pub units: Vec<GeneratedUnit>,
    pub errors: Vec<SysvError>,
}

impl SysvError {
    /// The file the error is about, as the filesystem sees it.
    pub fn path(&self) -> &Path {
        match self {
            SysvError::Read { path, .. }
            | SysvError::TooLarge { path }
            | SysvError::Binary { path } => path,
        }
    }
}

/// [`SysvLayout::generate`] for the directories of [`SysvLayout::from_env`] below `root`.
pub fn generate(
    root: &Path,
    script_inside: &Path,
    native_exists: &dyn Fn(&str) -> bool,
) -> Result<Option<GeneratedUnit>, SysvError> {
    SysvLayout::from_env(root).generate(script_inside, native_exists)
}

/// The generator's native-unit check: is `name` in the unit search path, generator directories
/// excluded? Any directory entry counts, masks (links to /dev/null) and dangling links included.
pub fn native_unit_exists(lp: &LookupPaths, name: &str) -> bool {
    lp.search
        .iter()
        .filter(|dir| !lp.generators.contains(dir))
        .any(|dir| {
            lp.on_disk(&dir.join(name), Last::NoFollow)
                .is_ok_and(|path| fs::symlink_metadata(path).is_ok())
        })
}

/// A script or facility name as a unit name: `.sh` dropped, then mangled like a command-line name.
fn translate_name(script: &str) -> Option<String> {
    let stem = script.strip_suffix(".sh").unwrap_or(script);
    name::mangle(stem, UnitType::Service)
        .ok()
        .map(|n| n.to_string())
}

/// What `load_sysv()` learns from the script's text.
#[derive(Debug, Default)]
struct Header {
    has_lsb: bool,
    reload: bool,
    description: Option<String>,
    pid_file: Option<String>,
}

#[derive(Debug)]
struct Stub {
    name: String,
    path: PathBuf,
    start_priority: Option<u8>,
    before: Vec<String>,
    after: Vec<String>,
    wants: Vec<String>,
    wanted_by: Vec<String>,
    provides: Vec<String>,
    /// Set once the script was read; the generator writes units only for these.
    header: Option<Header>,
}

impl Stub {
    fn new(name: String, path: PathBuf) -> Stub {
        Stub {
            name,
            path,
            start_priority: None,
            before: Vec::new(),
            after: Vec::new(),
            wants: Vec::new(),
            wanted_by: Vec::new(),
            provides: Vec::new(),
            header: None,
        }
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::paths::Scope;

    #[test]
    fn native_units_are_found_in_the_search_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lp = LookupPaths::new(Scope::System, Some(dir.path())).expect("paths");
        let first = lp.search.iter().find(|d| !lp.generators.contains(d));
        let etc = lp.real(first.expect("a search directory"));
        fs::create_dir_all(&etc).expect("mkdir");
        std::os::unix::fs::symlink("/dev/null", etc.join("masked.service")).expect("mask");
        assert!(native_unit_exists(&lp, "masked.service"));
        assert!(!native_unit_exists(&lp, "other.service"));
    }
}
