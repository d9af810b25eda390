//! `EnvironmentFile=` contents as systemd.exec(5) reads them (env-file.c's state machine):
//! `KEY=value` lines, `#`/`;` comments, single quotes taken literally, double quotes with `\"`,
//! `\\`, `` \` `` and `\$` escapes (quotes count only at the start of a value, or right after a
//! closing quote), a backslash-newline continuing a value, trailing whitespace of
//! unquoted values dropped. Lines without `=` (such as the INI section headers of FreeIPA's
//! `/etc/ipa/default.conf`) are skipped, and so are invalid variable names. A leading `export `
//! is accepted, as shells write it.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Environment files are small; a larger one is a mistake, not configuration.
pub const ENV_FILE_MAX: u64 = 4 * 1024 * 1024;

#[derive(Debug, Error)]
pub enum EnvFileError {
    #[error("Failed to load environment file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Failed to load environment file {}: file too large", path.display())]
    TooLarge { path: PathBuf },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    PreKey,
    Key,
    PreValue,
    Value,
    ValueEscape,
    SingleQuote,
    DoubleQuote,
    DoubleQuoteEscape,
    Comment,
    CommentEscape,
}

/// systemd's `env_name_is_valid()`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

struct Parser {
    key: String,
    value: String,
    /// Where trailing whitespace of the key / unquoted value starts, to cut it off.
    key_ws: Option<usize>,
    value_ws: Option<usize>,
    out: Vec<(String, String)>,
}

impl Parser {
    fn push(&mut self) {
        if let Some(ws) = self.key_ws.take() {
            self.key.truncate(ws);
        }
        let key = std::mem::take(&mut self.key);
        let value = std::mem::take(&mut self.value);
        let key = match key.strip_prefix("export") {
            Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start().to_string(),
            _ => key,
        };
        if is_valid_name(&key) {
            self.out.retain(|(k, _)| *k != key);
            self.out.push((key, value));
        }
    }
}

/// Parse the text of an environment file into ordered assignments (a later one replaces an
/// earlier one of the same name).
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut p = Parser {
        key: String::new(),
        value: String::new(),
        key_ws: None,
        value_ws: None,
        out: Vec::new(),
    };
    let mut state = State::PreKey;
    let newline = |c: char| c == '\n' || c == '\r';
    let whitespace = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');

    for c in text.chars() {
        state = match state {
            State::PreKey if c == '#' || c == ';' => State::Comment,
            State::PreKey if whitespace(c) => State::PreKey,
            State::PreKey => {
                p.key.clear();
                p.key.push(c);
                p.key_ws = None;
                State::Key
            }
            State::Key if newline(c) => {
                p.key.clear();
                State::PreKey
            }
            State::Key if c == '=' => {
                p.value.clear();
                p.value_ws = None;
                State::PreValue
            }
            State::Key => {
                if whitespace(c) {
                    p.key_ws.get_or_insert(p.key.len());
                } else {
                    p.key_ws = None;
                }
                p.key.push(c);
                State::Key
            }
            State::PreValue if newline(c) => {
                p.push();
                State::PreKey
            }
            State::PreValue if c == '\'' => State::SingleQuote,
            State::PreValue if c == '"' => State::DoubleQuote,
            State::PreValue if c == '\\' => State::ValueEscape,
            State::PreValue if whitespace(c) => State::PreValue,
            State::PreValue => {
                p.value.push(c);
                State::Value
            }
            State::Value if newline(c) => {
                if let Some(ws) = p.value_ws.take() {
                    p.value.truncate(ws);
                }
                p.push();
                State::PreKey
            }
            State::Value if c == '\\' => {
                p.value_ws = None;
                State::ValueEscape
            }
            State::Value => {
                if whitespace(c) {
                    p.value_ws.get_or_insert(p.value.len());
                } else {
                    p.value_ws = None;
                }
                p.value.push(c);
                State::Value
            }
            State::ValueEscape => {
                if !newline(c) {
                    p.value.push(c);
                }
                State::Value
            }
            State::SingleQuote if c == '\'' => State::PreValue,
            State::SingleQuote => {
                p.value.push(c);
                State::SingleQuote
            }
            State::DoubleQuote if c == '"' => State::PreValue,
            State::DoubleQuote if c == '\\' => State::DoubleQuoteEscape,
            State::DoubleQuote => {
                p.value.push(c);
                State::DoubleQuote
            }
            State::DoubleQuoteEscape => {
                if matches!(c, '"' | '\\' | '`' | '$') {
                    p.value.push(c);
                } else if c != '\n' {
                    p.value.push('\\');
                    p.value.push(c);
                }
                State::DoubleQuote
            }
            State::Comment if c == '\\' => State::CommentEscape,
            State::Comment if newline(c) => State::PreKey,
            State::Comment | State::CommentEscape => State::Comment,
        };
    }
    match state {
        State::Value => {
            if let Some(ws) = p.value_ws.take() {
                p.value.truncate(ws);
            }
            p.push();
        }
        State::PreValue
        | State::ValueEscape
        | State::SingleQuote
        | State::DoubleQuote
        | State::DoubleQuoteEscape => p.push(),
        _ => {}
    }
    p.out
}

/// Read and parse an environment file.
pub fn load(path: &Path) -> Result<Vec<(String, String)>, EnvFileError> {
    let io = |source| EnvFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(ENV_FILE_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > ENV_FILE_MAX {
        return Err(EnvFileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(parse(&String::from_utf8_lossy(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(&'static str, String)> {
        parse(text)
            .into_iter()
            .map(|(k, v)| (&*Box::leak(k.into_boxed_str()), v))
            .collect()
    }

    #[test]
    fn quotes_escapes_and_whitespace() {
        let got = pairs(
            "A=plain value   \nB=\"double \\\"q\\\" \\$x \\n\"\nC='single \\ kept'\n D = spaced\nE=a\"b c\"d\nG=\"b c\"d\nF=line\\\n continued\n",
        );
        assert_eq!(
            got,
            vec![
                ("A", "plain value".to_string()),
                ("B", "double \"q\" $x \\n".to_string()),
                ("C", "single \\ kept".to_string()),
                ("D", "spaced".to_string()),
                ("E", "a\"b c\"d".to_string()),
                ("G", "b cd".to_string()),
                ("F", "line continued".to_string()),
            ]
        );
    }

    #[test]
    fn ini_headers_comments_export_and_invalid_names_are_skipped() {
        let got = pairs(
            "[global]\n# comment\n; other\nbasedn = dc=example,dc=test\nexport KRB5_TRACE=/dev/null\n9BAD=x\nrealm=EXAMPLE.TEST\nEMPTY=\nLAST=no newline",
        );
        assert_eq!(
            got,
            vec![
                ("basedn", "dc=example,dc=test".to_string()),
                ("KRB5_TRACE", "/dev/null".to_string()),
                ("realm", "EXAMPLE.TEST".to_string()),
                ("EMPTY", String::new()),
                ("LAST", "no newline".to_string()),
            ]
        );
    }

    #[test]
    fn later_assignment_replaces_earlier() {
        assert_eq!(pairs("X=1\nX=2\n"), vec![("X", "2".to_string())]);
    }
}
