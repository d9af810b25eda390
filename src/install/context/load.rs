//! install.c's unit_file_load_or_readlink() and unit_file_load() (systemd 252
//! `src/shared/install.c`): telling regular files, masks, aliases and linked files apart, and
//! reading a unit file for its `[Install]` section.

use std::fs;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use super::alias::may_template;
use super::{validate_alias, AliasProblem, Context, FileKind, SearchFlags};
use crate::install::InstallError;
use crate::unit::name::{NameKind, UnitName};
use crate::unit::syntax::{self, FileError, SyntaxError};

/// systemd's null_or_empty(): an empty regular file or a character device (`/dev/null`).
pub fn null_or_empty(meta: &fs::Metadata) -> bool {
    (meta.is_file() && meta.len() == 0) || meta.file_type().is_char_device()
}

impl<'a> Context<'a> {
    /// unit_file_load_or_readlink(): load a regular file, or classify a symlink.
    pub(super) fn load_or_readlink(
        &mut self,
        i: usize,
        path: &Path,
        flags: SearchFlags,
        dropin: bool,
    ) -> Result<(), InstallError> {
        // unit_file_load() refuses a templated name of a type that cannot be templated before
        // it looks at the file system.
        let name = self.infos[i].name.clone();
        let unit = UnitName::parse(&name).map_err(|_| InstallError::Invalid(name.clone()))?;
        if !dropin && unit.kind() != NameKind::Plain && !may_template(unit.unit_type()) {
            self.warnings.push(format!(
                "{}: unit type {} cannot be templated, ignoring.",
                path.display(),
                unit.unit_type()
            ));
            return Err(InstallError::Invalid(name));
        }
        let is_symlink = match self.paths.fs.listed_entry(path) {
            Some(entry) => entry.is_symlink,
            None => match self.paths.fs.symlink_metadata(path) {
                Ok(m) => m.file_type().is_symlink(),
                Err(e) => return Err(not_found_or_io(&name, path, e)),
            },
        };
        if dropin || !is_symlink {
            return self.load(i, path, flags, dropin);
        }
        let raw = self
            .paths
            .fs
            .read_link(path)
            .map_err(|e| InstallError::io(path, e))?;
        let dest = self.paths.symlink_destination(path, &raw);
        let in_search = self.paths.under_search_path(&dest).is_some();
        if in_search {
            let src = file_name(path);
            let dst = file_name(&dest);
            match validate_alias(&src, &dst) {
                Ok(()) => {}
                Err(AliasProblem::SelfAlias) => return Err(InstallError::Linked(src)),
                Err(problem) => {
                    self.warnings.extend(problem.message(&name, &src, &dst));
                    return Err(if problem.is_invalid_source() {
                        InstallError::Invalid(src)
                    } else {
                        InstallError::BadAlias(path.display().to_string())
                    });
                }
            }
        }
        // null_or_empty_path_with_root(): `/dev/null` below the root counts as /dev/null.
        let masked = self.paths.skip_root(&dest) == Path::new("/dev/null")
            || self
                .paths
                .fs
                .metadata(&dest)
                .is_ok_and(|m| null_or_empty(&m));
        let info = &mut self.infos[i];
        info.kind = Some(if masked {
            FileKind::Masked
        } else if in_search {
            FileKind::Alias
        } else {
            FileKind::Linked
        });
        info.symlink_target = Some(dest);
        Ok(())
    }

    /// unit_file_load(): classify a non-symlink, and with `flags.load` parse its `[Install]`.
    fn load(
        &mut self,
        i: usize,
        path: &Path,
        flags: SearchFlags,
        dropin: bool,
    ) -> Result<(), InstallError> {
        let name = self.infos[i].name.clone();
        let unit = UnitName::parse(&name).map_err(|_| InstallError::Invalid(name.clone()))?;
        if dropin && !flags.load {
            return Ok(());
        }
        // A regular file as readdir() saw it, about to be read anyway: its emptiness (a mask)
        // shows in what is read, so it needs no stat() of its own.
        let listed_regular = flags.load
            && self
                .paths
                .fs
                .listed_entry(path)
                .is_some_and(|e| e.is_file && !e.is_symlink);
        if listed_regular {
            return self.load_regular(i, path, &unit, dropin);
        }
        let meta = self
            .paths
            .fs
            .metadata(path)
            .map_err(|e| not_found_or_io(&name, path, e))?;
        if null_or_empty(&meta) {
            if !dropin {
                self.infos[i].kind = Some(FileKind::Masked);
            }
            return Ok(());
        }
        if meta.is_dir() {
            // 252's errnos (EISDIR here, ENOTTY below), which systemctl prints without the path.
            return Err(InstallError::io(
                path,
                io::Error::from_raw_os_error(libc::EISDIR),
            ));
        }
        if !meta.is_file() {
            return Err(InstallError::io(
                path,
                io::Error::from_raw_os_error(libc::ENOTTY),
            ));
        }
        if !flags.load {
            self.infos[i].kind = Some(FileKind::Regular);
            return Ok(());
        }
        let parsed = self.paths.fs.parse_unit_file(path);
        self.apply_parsed(i, path, &unit, dropin, parsed)
    }

    /// A regular file seen in a listing: read it; empty is a mask, anything else is parsed.
    fn load_regular(
        &mut self,
        i: usize,
        path: &Path,
        unit: &UnitName,
        dropin: bool,
    ) -> Result<(), InstallError> {
        let bytes = match self.paths.fs.read_unit_file(path) {
            Ok(bytes) => bytes,
            Err(e) => return self.apply_parsed(i, path, unit, dropin, Err(e)),
        };
        if bytes.is_empty() {
            if !dropin {
                self.infos[i].kind = Some(FileKind::Masked);
            }
            return Ok(());
        }
        let parsed = syntax::parse(&bytes).map_err(|source| FileError::Syntax {
            path: path.to_path_buf(),
            source,
        });
        self.apply_parsed(i, path, unit, dropin, parsed)
    }

    /// The outcome of reading and parsing a unit file: its warnings and `[Install]` settings for
    /// unit `i`, or install.c's error for it.
    fn apply_parsed(
        &mut self,
        i: usize,
        path: &Path,
        unit: &UnitName,
        dropin: bool,
        parsed: Result<syntax::Document, FileError>,
    ) -> Result<(), InstallError> {
        let doc = match parsed {
            Ok(doc) => doc,
            Err(FileError::Syntax {
                source: SyntaxError::InvalidSectionHeader { line, header },
                ..
            }) => {
                // config_parse() reads line by line: the lines before the bad header have been
                // read (and warned about, and may have failed first) when it fails the file.
                let before = self
                    .paths
                    .fs
                    .read(path)
                    .map_err(|e| InstallError::io(path, e))?;
                let before: Vec<&[u8]> = before.split(|&b| b == b'\n').take(line - 1).collect();
                if let Ok(doc) = syntax::parse(&before.join(&b'\n')) {
                    self.apply_install_section(i, path, unit, &doc)?;
                }
                self.warnings.push(format!(
                    "{}:{line}: Invalid section header '{header}'",
                    path.display()
                ));
                return Err(InstallError::BadMessage(path.to_path_buf()));
            }
            Err(FileError::Io { source, .. }) => {
                return Err(InstallError::io(path, source));
            }
            Err(FileError::Syntax { source, .. }) => {
                return Err(InstallError::BadFile {
                    path: path.to_path_buf(),
                    reason: format!("line {}: {source}", source.line()),
                })
            }
            Err(e) => {
                return Err(InstallError::BadFile {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })
            }
        };
        self.apply_install_section(i, path, unit, &doc)?;
        if !dropin {
            self.infos[i].kind = Some(FileKind::Regular);
        }
        Ok(())
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Errors that make unit_file_search() try the next directory: the file is not there.
fn not_found_or_io(name: &str, path: &Path, e: io::Error) -> InstallError {
    match e.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENOTDIR) | Some(libc::EACCES) => {
            InstallError::NotFound(name.to_string())
        }
        _ => InstallError::io(path, e),
    }
}
