//! The INI-like syntax of systemd.syntax(7), parsed as conf-parser.c does: `[Section]` headers,
//! `Key=Value` assignments with surrounding whitespace stripped, `#`/`;` comment lines (also in the
//! middle of a continuation), a trailing `\` joining the next line with a space, a UTF-8 BOM, CRLF.
//! Values are kept raw: quoting is the business of each setting, not of the file syntax.
//!
//! Like systemd, only a malformed section header, an over-long line or unreadable content fail a
//! file; everything else (a line without `=`, an assignment before any section, invalid UTF-8) is a
//! warning and the line is ignored.

use std::fs;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nom::bytes::complete::take_till1;
use nom::character::complete::char;
use nom::combinator::rest;
use nom::sequence::separated_pair;
use nom::IResult;
use thiserror::Error;

/// conf-parser.c's LONG_LINE_MAX.
pub const LONG_LINE_MAX: usize = 1024 * 1024;
/// A unit file larger than this is refused rather than read into memory.
pub const FILE_SIZE_MAX: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub line: usize,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub sections: Vec<Section>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    #[error("Invalid section header '{header}'")]
    InvalidSectionHeader { line: usize, header: String },
    #[error("Line too long")]
    LineTooLong { line: usize },
    #[error("File contains a NUL byte; not a unit file")]
    NulByte { line: usize },
}

impl SyntaxError {
    pub fn line(&self) -> usize {
        match self {
            SyntaxError::InvalidSectionHeader { line, .. }
            | SyntaxError::LineTooLong { line }
            | SyntaxError::NulByte { line } => *line,
        }
    }
}

/// A failure to read or parse one file, naming the file (and line where there is one).
#[derive(Debug, Error)]
pub enum FileError {
    #[error("{}:{}: {source}", path.display(), source.line())]
    Syntax { path: PathBuf, source: SyntaxError },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: File too large (over {} bytes)", path.display(), FILE_SIZE_MAX)]
    TooLarge { path: PathBuf },
    #[error("{}: Not a regular file", path.display())]
    NotRegular { path: PathBuf },
}

enum Line<'a> {
    Header(&'a str),
    BadHeader,
    Assignment(&'a str, &'a str),
    MissingEquals,
    MissingKey,
}

fn assignment(input: &str) -> IResult<&str, (&str, &str)> {
    separated_pair(take_till1(|c| c == '='), char('='), rest)(input)
}

fn classify(line: &str) -> Line<'_> {
    if line.starts_with('[') {
        return match line.len() >= 2 && line.ends_with(']') {
            true => Line::Header(&line[1..line.len() - 1]),
            false => Line::BadHeader,
        };
    }
    if line.starts_with('=') {
        return Line::MissingKey;
    }
    match assignment(line) {
        Ok((_, (k, v))) => Line::Assignment(k.trim(), v.trim()),
        Err(_) => Line::MissingEquals,
    }
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Whether a line ends in an unescaped backslash (an odd run of them).
fn ends_in_continuation(s: &[u8]) -> bool {
    s.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// Parse a whole file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Document, SyntaxError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut doc = Document::default();
    let mut current: Option<Section> = None;
    let mut continuation: Option<Vec<u8>> = None;

    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        if raw.contains(&0) {
            return Err(SyntaxError::NulByte { line: line_no });
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let len_so_far = continuation.as_ref().map_or(0, |c| c.len());
        if raw.len() + len_so_far > LONG_LINE_MAX {
            return Err(SyntaxError::LineTooLong { line: line_no });
        }
        let first = raw.iter().find(|b| !b" \t".contains(b));
        if matches!(first, Some(b'#') | Some(b';')) {
            continue;
        }
        let mut joined = match continuation.take() {
            Some(mut c) => {
                c.extend_from_slice(raw);
                c
            }
            None => raw.to_vec(),
        };
        if ends_in_continuation(&joined) {
            let last = joined.len() - 1;
            joined[last] = b' ';
            continuation = Some(joined);
            continue;
        }
        handle_line(&joined, line_no, &mut doc, &mut current)?;
    }
    if let Some(rest) = continuation {
        // A backslash on the very last line: conf-parser.c counts the end of the file as the
        // line that was to continue it.
        let line = bytes.split(|&b| b == b'\n').count() + 1;
        handle_line(&rest, line, &mut doc, &mut current)?;
    }
    doc.sections.extend(current);
    Ok(doc)
}

fn handle_line(
    bytes: &[u8],
    line_no: usize,
    doc: &mut Document,
    current: &mut Option<Section>,
) -> Result<(), SyntaxError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        doc.warnings.push(Warning {
            line: line_no,
            message: "Invalid UTF-8, ignoring line.".to_string(),
        });
        return Ok(());
    };
    let line = text.trim_matches(is_ws);
    if line.is_empty() {
        return Ok(());
    }
    match classify(line) {
        Line::BadHeader => {
            return Err(SyntaxError::InvalidSectionHeader {
                line: line_no,
                header: line.to_string(),
            })
        }
        Line::Header(name) => {
            doc.sections.extend(current.take());
            *current = Some(Section {
                name: name.to_string(),
                line: line_no,
                entries: Vec::new(),
            });
        }
        Line::MissingEquals | Line::MissingKey if current.is_none() => doc.warnings.push(Warning {
            line: line_no,
            message: "Assignment outside of section. Ignoring.".to_string(),
        }),
        Line::MissingEquals => doc.warnings.push(Warning {
            line: line_no,
            message: "Missing '=', ignoring line.".to_string(),
        }),
        Line::MissingKey => doc.warnings.push(Warning {
            line: line_no,
            message: "Missing key name before '=', ignoring line.".to_string(),
        }),
        Line::Assignment(key, value) => match current {
            Some(section) => section.entries.push(Entry {
                key: key.to_string(),
                value: value.to_string(),
                line: line_no,
            }),
            None => doc.warnings.push(Warning {
                line: line_no,
                message: "Assignment outside of section. Ignoring.".to_string(),
            }),
        },
    }
    Ok(())
}

/// Read and parse one file, refusing what is not a regular file or is too large to be a unit.
pub fn parse_file(path: &Path) -> Result<Document, FileError> {
    let bytes = read_file(path)?;
    parse(&bytes).map_err(|source| FileError::Syntax {
        path: path.to_path_buf(),
        source,
    })
}

/// The bytes of a unit file, refusing what is not a regular file or is too large to be one.
pub fn read_file(path: &Path) -> Result<Vec<u8>, FileError> {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever; it
    // changes nothing for the regular files that pass the check below.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|source| FileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let meta = file.metadata().map_err(|source| FileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > FILE_SIZE_MAX {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    // Read the size fstat() gave, without a last read to see the end: a unit file being written
    // while we read it is read as far as it was when we looked.
    let mut bytes = vec![0u8; meta.len() as usize];
    let mut filled = 0;
    let mut file = file;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(FileError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// systemd's `parse_boolean()`.
pub fn parse_boolean(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(doc: &Document) -> Vec<(String, String, String, usize)> {
        doc.sections
            .iter()
            .flat_map(|s| {
                s.entries
                    .iter()
                    .map(|e| (s.name.clone(), e.key.clone(), e.value.clone(), e.line))
            })
            .collect()
    }

    #[test]
    fn continuation_joins_with_a_space_and_skips_comment_lines() {
        let doc = parse(b"[Service]\nExecStart=/bin/echo \\\n# skipped\n  a \\\n  b\n").unwrap();
        assert_eq!(
            entries(&doc),
            vec![(
                "Service".into(),
                "ExecStart".into(),
                "/bin/echo    a    b".into(),
                5
            )]
        );
    }

    #[test]
    fn whitespace_comments_bom_and_crlf() {
        let doc = parse(b"\xef\xbb\xbf[Unit]\r\n  Description = A  thing  \r\n; c\n# c\nAfter=\n")
            .unwrap();
        assert_eq!(
            entries(&doc),
            vec![
                ("Unit".into(), "Description".into(), "A  thing".into(), 2),
                ("Unit".into(), "After".into(), "".into(), 5),
            ]
        );
    }

    #[test]
    fn double_backslash_is_not_a_continuation() {
        let doc = parse(b"[Service]\nExecStart=/bin/echo a\\\\\nUser=x\n").unwrap();
        assert_eq!(entries(&doc).len(), 2);
    }

    #[test]
    fn bad_header_fails_with_its_line() {
        let err = parse(b"[Unit]\nDescription=x\n[Service\n").unwrap_err();
        assert_eq!(err.line(), 3);
        assert_eq!(err.to_string(), "Invalid section header '[Service'");
    }

    #[test]
    fn junk_lines_only_warn() {
        let doc = parse(b"Foo=bar\n[Unit]\njunk\n=x\n").unwrap();
        let lines: Vec<usize> = doc.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![1, 3, 4]);
        assert_eq!(doc.sections.len(), 1);
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.service");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        assert!(matches!(
            parse_file(&fifo),
            Err(FileError::NotRegular { .. })
        ));
    }

    #[test]
    fn a_backslash_on_the_last_line_counts_the_end_of_file_as_its_line() {
        let doc = parse(b"[Unit]\nDescription=x\nBogus\\").unwrap();
        assert_eq!(doc.warnings[0].line, 4);
    }

    #[test]
    fn nul_byte_is_an_error() {
        assert!(matches!(
            parse(b"[Unit]\n\x00\x01"),
            Err(SyntaxError::NulByte { line: 2 })
        ));
    }
}
