//! Per-unit logs, standing in for systemd-journald: what a service writes to stdout/stderr (with
//! `StandardOutput=journal`, the default) is split into lines, stamped with the time, the pid and
//! the syslog identifier, and appended to one file per unit in the state directory. Files are
//! bounded: past [`ROTATE_BYTES`] the file moves to `NAME.log.1` (replacing the older one), so a
//! chatty service never fills the disk. `journalctl -u` reads them back.
//!
//! The instances a socket with `Accept=yes` starts, one per connection, would each leave a file
//! of their own, so a busy socket would fill the directory with files without bound. They share
//! one file per template instead ([`LogStore::append_instance`]), named after the template
//! (`echo@.service.log`) and rotated like the others; each of its lines names its instance.
//!
//! A line is `[UNIT\t]USEC\tPID\tIDENTIFIER\tMESSAGE`. The leading unit is written only in shared
//! files; a line without it (every line older than shared files) belongs to the unit the file is
//! named after. A unit name is never a number, so the two forms cannot be confused.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::unit::name::UnitName;

/// The log of messages no unit sent (`logger` run from a shell, a maintainer script): not a
/// valid unit name, so no unit's log can be mistaken for it.
pub const NO_UNIT: &str = "-";

/// Size at which a unit's log file (or a template's shared one) is rotated.
pub const ROTATE_BYTES: u64 = 1024 * 1024;
/// journald's LINE_MAX: longer output is cut into several entries.
pub const LINE_MAX: usize = 48 * 1024;

#[derive(Debug, Error)]
pub enum JournalError {
    #[error("Failed to write the log of {unit} at {}: {source}", path.display())]
    Write {
        unit: String,
        path: PathBuf,
        source: io::Error,
    },
    #[error("Failed to read the log at {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("Cannot log {unit} in the shared log of {template}: it is not an instance of it")]
    NotAnInstance { unit: String, template: String },
}

/// One logged line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Microseconds since the epoch.
    pub realtime_usec: u64,
    pub pid: u32,
    pub identifier: String,
    pub message: String,
}

impl Record {
    /// The line for this record; `unit` only in a shared file, where it tells whose it is.
    fn encode(&self, unit: Option<&str>) -> String {
        // Tabs and newlines would break the line format; journald keeps them, we escape them.
        let message = self.message.replace('\\', "\\\\").replace('\n', "\\n");
        let unit = unit.map(|u| format!("{u}\t")).unwrap_or_default();
        format!(
            "{unit}{}\t{}\t{}\t{}\n",
            self.realtime_usec,
            self.pid,
            self.identifier.replace(['\t', '\n'], " "),
            message
        )
    }

    /// Parses what follows the optional unit field (see [`split_unit`]).
    fn decode(line: &str) -> Option<Record> {
        let mut f = line.splitn(4, '\t');
        let realtime_usec = f.next()?.parse().ok()?;
        let pid = f.next()?.parse().ok()?;
        let identifier = f.next()?.to_string();
        let raw = f.next()?;
        let mut message = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            match (c, c == '\\') {
                (_, true) => match chars.next() {
                    Some('n') => message.push('\n'),
                    Some(other) => message.push(other),
                    None => message.push('\\'),
                },
                (c, false) => message.push(c),
            }
        }
        Some(Record {
            realtime_usec,
            pid,
            identifier,
            message,
        })
    }
}

/// A line's unit field, if it has one, and the rest of the line. The first field of a line
/// without one is the timestamp, a number, which no unit name is.
fn split_unit(line: &str) -> (Option<&str>, &str) {
    match line.split_once('\t') {
        Some((first, rest)) if !first.is_empty() && first.parse::<u64>().is_err() => {
            (Some(first), rest)
        }
        _ => (None, line),
    }
}

/// The log directory: one `UNIT.log` (and maybe `UNIT.log.1`) per unit, and one
/// `TEMPLATE.log` (and maybe `TEMPLATE.log.1`) per template whose instances share it.
#[derive(Debug, Clone)]
pub struct LogStore {
    dir: PathBuf,
}

impl LogStore {
    pub fn new(dir: &Path) -> LogStore {
        LogStore {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every unit that has a log, sorted: those with a file of their own and the instances
    /// found in shared files (whose template is not listed unless it was logged under its own
    /// name). A shared file that cannot be read lists none, as an unreadable directory lists
    /// nothing; reading the units themselves reports the error.
    pub fn units(&self) -> Vec<String> {
        let mut units = BTreeSet::new();
        for name in self.names() {
            if !is_shared(&name) {
                units.insert(name);
                continue;
            }
            let _ = self.scan(&name, |unit, rest| {
                if !units.contains(unit) && Record::decode(rest).is_some() {
                    units.insert(unit.to_string());
                }
            });
        }
        units.into_iter().collect()
    }

    /// The names the directory keeps files under (`NAME.log`, `NAME.log.1`), sorted.
    fn names(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let names: BTreeSet<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let unit = name
                    .strip_suffix(".log")
                    .or_else(|| name.strip_suffix(".log.1"))?;
                Some(unit.to_string())
            })
            .collect();
        names.into_iter().collect()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    fn rotated(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log.1"))
    }

    pub fn append(&self, unit: &str, record: &Record) -> Result<(), JournalError> {
        self.write(unit, unit, &record.encode(None))
    }

    /// Logs `record` of `unit`, an instance of `template` (`echo@.service`), in the file all
    /// instances of `template` share, for units that come and go by the thousand (one per
    /// connection of an `Accept=yes` socket) and would otherwise each leave a file behind.
    pub fn append_instance(
        &self,
        template: &str,
        unit: &str,
        record: &Record,
    ) -> Result<(), JournalError> {
        // Checked because the name is written into the line: a valid unit name has no tab or
        // newline, and one of another template would be read back under the wrong file.
        let belongs = UnitName::parse(unit)
            .ok()
            .and_then(|n| n.template())
            .is_some_and(|t| t.as_str() == template);
        if !belongs {
            return Err(JournalError::NotAnInstance {
                unit: unit.to_string(),
                template: template.to_string(),
            });
        }
        self.write(template, unit, &record.encode(Some(unit)))
    }

    /// Appends `line` to the file kept under `name`, rotating it first when it is full.
    fn write(&self, name: &str, unit: &str, line: &str) -> Result<(), JournalError> {
        let path = self.path(name);
        let err = |source| JournalError::Write {
            unit: unit.to_string(),
            path: path.clone(),
            source,
        };
        // Service output is not for every user to read, as journald keeps system logs.
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(&self.dir)
            .map_err(err)?;
        if fs::metadata(&path).map(|m| m.len()).unwrap_or(0) >= ROTATE_BYTES {
            fs::rename(&path, self.rotated(name)).map_err(err)?;
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o640)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(err)?;
        f.write_all(line.as_bytes()).map_err(err)
    }

    /// Calls `each` with every line of the files kept under `name`, oldest first, split into the
    /// unit the line belongs to and the record's fields (for [`Record::decode`]).
    fn scan(&self, name: &str, mut each: impl FnMut(&str, &str)) -> Result<(), JournalError> {
        for path in [self.rotated(name), self.path(name)] {
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(JournalError::Read { path, source }),
            };
            for line in BufReader::new(file).lines() {
                let line = line.map_err(|source| JournalError::Read {
                    path: path.clone(),
                    source,
                })?;
                let (unit, rest) = split_unit(&line);
                each(unit.unwrap_or(name), rest);
            }
        }
        Ok(())
    }

    /// Every record of `unit`, oldest first: those in its own file and, for an instance, those
    /// in its template's shared file.
    pub fn read(&self, unit: &str) -> Result<Vec<Record>, JournalError> {
        let template = UnitName::parse(unit).ok().and_then(|n| n.template());
        let mut out = Vec::new();
        for name in std::iter::once(unit).chain(template.as_ref().map(|t| t.as_str())) {
            self.scan(name, |u, rest| {
                if u == unit {
                    out.extend(Record::decode(rest));
                }
            })?;
        }
        if template.is_some() {
            // Two files interleave in time (stable, so equal stamps keep the order written).
            out.sort_by_key(|r| r.realtime_usec);
        }
        Ok(out)
    }

    /// The last `n` records of `unit`.
    pub fn tail(&self, unit: &str, n: usize) -> Result<Vec<Record>, JournalError> {
        let all = self.read(unit)?;
        let skip = all.len().saturating_sub(n);
        Ok(all.into_iter().skip(skip).collect())
    }

    /// The records of every unit `wanted` accepts, with their unit, oldest first. Each file is
    /// read once, however many instances share it, and a unit's own file only when wanted.
    pub fn read_matching(
        &self,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Vec<(String, Record)>, JournalError> {
        let mut out = Vec::new();
        for name in self.names() {
            if !is_shared(&name) && !wanted(&name) {
                continue;
            }
            self.scan(&name, |unit, rest| {
                if wanted(unit) {
                    if let Some(r) = Record::decode(rest) {
                        out.push((unit.to_string(), r));
                    }
                }
            })?;
        }
        out.sort_by_key(|(_, r)| r.realtime_usec);
        Ok(out)
    }
}

/// Whether the files kept under `name` are a template's, shared by its instances.
fn is_shared(name: &str) -> bool {
    UnitName::parse(name).is_ok_and(|n| n.is_template())
}

/// Splits a stream of output bytes into log lines: at newlines, and at [`LINE_MAX`] for a line
/// that never ends. What is left at EOF is a final line of its own.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                lines.push(clean(&line[..line.len() - 1]));
            } else if self.pending.len() >= LINE_MAX {
                let line: Vec<u8> = self.pending.drain(..LINE_MAX).collect();
                lines.push(clean(&line));
            } else {
                return lines;
            }
        }
    }

    pub fn finish(&mut self) -> Option<String> {
        if self.pending.is_empty() {
            return None;
        }
        let line = clean(&self.pending);
        self.pending.clear();
        Some(line)
    }
}

fn clean(bytes: &[u8]) -> String {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: u64, message: &str) -> Record {
        Record {
            realtime_usec: 1_700_000_000_000_000 + i,
            pid: 42,
            identifier: "nginx".into(),
            message: message.into(),
        }
    }

    #[test]
    fn records_round_trip_with_awkward_characters() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::new(dir.path());
        let r = record(1, "tab\there, backslash \\ and\nnewline");
        store.append("x.service", &r).unwrap();
        assert_eq!(store.read("x.service").unwrap(), vec![r]);
        assert!(store.read("other.service").unwrap().is_empty());
    }

    #[test]
    fn rotation_keeps_the_log_bounded_and_the_newest_lines() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::new(dir.path());
        let line = "x".repeat(1000);
        for i in 0..3000 {
            store.append("chatty.service", &record(i, &line)).unwrap();
        }
        let size = |p: &str| {
            fs::metadata(dir.path().join(p))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        assert!(
            size("chatty.service.log") + size("chatty.service.log.1") <= 2 * ROTATE_BYTES + 2048
        );
        let tail = store.tail("chatty.service", 2).unwrap();
        assert_eq!(
            tail.last().unwrap().realtime_usec,
            1_700_000_000_000_000 + 2999
        );
    }

    fn log_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn lines_written_before_shared_files_still_read() {
        let dir = tempfile::tempdir().unwrap();
        // The old format, as earlier versions wrote it: no unit field, raw tabs in the message.
        fs::write(
            dir.path().join("old.service.log"),
            "1700000000000001\t42\tnginx\tplain\n1700000000000002\t42\tnginx\ta\tb \\n c\n",
        )
        .unwrap();
        let store = LogStore::new(dir.path());
        let read = store.read("old.service").unwrap();
        assert_eq!(read, vec![record(1, "plain"), record(2, "a\tb \n c")]);
        assert_eq!(store.units(), vec!["old.service"]);
    }

    #[test]
    fn instances_share_one_file_whose_lines_name_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::new(dir.path());
        let (a, b) = (
            "echo@0-1-0.service",
            "echo@1-127.0.0.1:7777-127.0.0.1:33476.service",
        );
        store
            .append_instance("echo@.service", a, &record(1, "hello\tthere"))
            .unwrap();
        store
            .append_instance("echo@.service", b, &record(2, "from b"))
            .unwrap();
        // An instance logged in a file of its own too (before this store had shared files).
        store.append(a, &record(3, "own file")).unwrap();
        store
            .append_instance("echo@.service", a, &record(4, "again"))
            .unwrap();

        assert_eq!(
            fs::read_to_string(dir.path().join("echo@.service.log")).unwrap(),
            format!(
                "{a}\t1700000000000001\t42\tnginx\thello\tthere\n\
                 {b}\t1700000000000002\t42\tnginx\tfrom b\n\
                 {a}\t1700000000000004\t42\tnginx\tagain\n"
            )
        );
        assert_eq!(
            store.read(a).unwrap(),
            vec![
                record(1, "hello\tthere"),
                record(3, "own file"),
                record(4, "again")
            ],
            "both files, oldest first"
        );
        assert_eq!(store.tail(b, 5).unwrap(), vec![record(2, "from b")]);
        assert_eq!(store.units(), vec![a, b], "the template is no unit");
        assert!(store.read("echo@.service").unwrap().is_empty());
        let all = store.read_matching(|u| u.starts_with("echo@")).unwrap();
        let units: Vec<&str> = all.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(units, vec![a, b, a, a]);
    }

    #[test]
    fn only_instances_of_the_template_go_in_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::new(dir.path());
        for (template, unit) in [
            ("echo@.service", "other@1.service"),
            ("echo@.service", "echo.service"),
            ("echo@.service", "echo@1\tx.service"),
            ("echo.service", "echo.service"),
        ] {
            let e = store.append_instance(template, unit, &record(1, "x"));
            assert!(
                matches!(e, Err(JournalError::NotAnInstance { .. })),
                "{template} {unit}"
            );
        }
        assert!(store.units().is_empty());
    }

    #[test]
    fn the_shared_file_rotates_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::new(dir.path());
        let line = "x".repeat(1000);
        for i in 0..3000 {
            let unit = format!("echo@{i}-1-0.service");
            store
                .append_instance("echo@.service", &unit, &record(i, &line))
                .unwrap();
        }
        assert_eq!(
            log_files(dir.path()),
            vec!["echo@.service.log", "echo@.service.log.1"]
        );
        let size = |p: &str| fs::metadata(dir.path().join(p)).unwrap().len();
        let total = size("echo@.service.log") + size("echo@.service.log.1");
        assert!(total <= 2 * ROTATE_BYTES + 2048);
        assert_eq!(
            store.read("echo@2999-1-0.service").unwrap(),
            vec![record(2999, &line)]
        );
        assert!(
            store.read("echo@0-1-0.service").unwrap().is_empty(),
            "rotated out"
        );
        let units = store.units();
        assert!(units.len() > 1000 && units.len() < 3000);
        assert!(units.contains(&"echo@2999-1-0.service".to_string()));
        assert!(!units.contains(&"echo@0-1-0.service".to_string()));
        assert!(!units.contains(&"echo@.service".to_string()));
        let mut kept: Vec<String> = store
            .read_matching(|_| true)
            .unwrap()
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        kept.sort();
        assert_eq!(units, kept, "one instance per record left");
    }

    #[test]
    fn splitter_handles_partial_and_overlong_lines() {
        let mut s = LineSplitter::default();
        assert!(s.push(b"hel").is_empty());
        assert_eq!(s.push(b"lo\r\nworld\nrest"), vec!["hello", "world"]);
        assert_eq!(s.finish().as_deref(), Some("rest"));
        let long = vec![b'a'; LINE_MAX + 10];
        assert_eq!(s.push(&long).len(), 1);
        assert_eq!(s.finish().map(|l| l.len()), Some(10));
    }
}
