//! Per-unit logs, standing in for systemd-journald: what a service writes to stdout/stderr (with
//! `StandardOutput=journal`, the default) is split into lines, stamped with the time, the pid and
//! the syslog identifier, and appended to one file per unit in the state directory. Files are
//! bounded: past [`ROTATE_BYTES`] the file moves to `NAME.log.1` (replacing the older one), so a
//! chatty service never fills the disk. `journalctl -u` reads them back.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use thiserror::Error;

/// Size at which a unit's log file is rotated.
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
    fn encode(&self) -> String {
        // Tabs and newlines would break the line format; journald keeps them, we escape them.
        let message = self.message.replace('\\', "\\\\").replace('\n', "\\n");
        format!(
            "{}\t{}\t{}\t{}\n",
            self.realtime_usec,
            self.pid,
            self.identifier.replace(['\t', '\n'], " "),
            message
        )
    }

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

pub fn now_usec() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The log directory: one `UNIT.log` (and maybe `UNIT.log.1`) per unit.
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

    /// Every unit that has a log, sorted.
    pub fn units(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut units: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let unit = name
                    .strip_suffix(".log")
                    .or_else(|| name.strip_suffix(".log.1"))?;
                Some(unit.to_string())
            })
            .collect();
        units.sort();
        units.dedup();
        units
    }

    fn path(&self, unit: &str) -> PathBuf {
        self.dir.join(format!("{unit}.log"))
    }

    fn rotated(&self, unit: &str) -> PathBuf {
        self.dir.join(format!("{unit}.log.1"))
    }

    pub fn append(&self, unit: &str, record: &Record) -> Result<(), JournalError> {
        let path = self.path(unit);
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
            fs::rename(&path, self.rotated(unit)).map_err(err)?;
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o640)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(err)?;
        f.write_all(record.encode().as_bytes()).map_err(err)
    }

    /// Every record of `unit`, oldest first.
    pub fn read(&self, unit: &str) -> Result<Vec<Record>, JournalError> {
        let mut out = Vec::new();
        for path in [self.rotated(unit), self.path(unit)] {
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
                out.extend(Record::decode(&line));
            }
        }
        Ok(out)
    }

    /// The last `n` records of `unit`.
    pub fn tail(&self, unit: &str, n: usize) -> Result<Vec<Record>, JournalError> {
        let all = self.read(unit)?;
        let skip = all.len().saturating_sub(n);
        Ok(all.into_iter().skip(skip).collect())
    }
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
