//! systemd-sysv-generator's load_sysv() (systemd 252 `src/sysv-generator/sysv-generator.c`): the
//! LSB header (`### BEGIN INIT INFO`), the chkconfig `description:` and `pidfile:` comments, and
//! the `Usage:` heuristic for reload support, with the `$facility` mapping of LSB dependencies.

use super::{translate_name, Header, Stub};
use crate::unit::name::{NameKind, UnitName};

/// LSB facilities with a fixed meaning; `None` means the facility is always there under systemd.
const LSB_FACILITIES: &[(&str, Option<&str>)] = &[
    ("local_fs", None),
    ("network", Some("network-online.target")),
    ("named", Some("nss-lookup.target")),
    ("portmap", Some("rpcbind.target")),
    ("remote_fs", Some("remote-fs.target")),
    ("syslog", None),
    ("time", Some("time-sync.target")),
];

/// systemd's `WHITESPACE`, which is all that `strstrip()` and `extract_first_word()` treat as such.
const WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

/// The unit a name from an LSB dependency or `Provides:` line stands for; `None` when it stands
/// for nothing (facilities systemd always provides, the script's own name, invalid names).
fn translate_facility(word: &str, script_file_name: &str) -> Option<String> {
    let bare = word.strip_prefix('$').unwrap_or(word);
    if let Some((_, unit)) = LSB_FACILITIES.iter().find(|(f, _)| *f == bare) {
        return unit.map(str::to_string);
    }
    if word.starts_with('$') {
        let target = UnitName::parse(&format!("{bare}.target")).ok()?;
        return (target.kind() == NameKind::Plain).then(|| target.to_string());
    }
    let own_name = script_file_name
        .strip_suffix(".sh")
        .unwrap_or(script_file_name);
    if bare == own_name {
        return None;
    }
    translate_name(bare)
}

/// `strcasestr()` for ASCII needles.
fn contains_no_case(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

fn strip_prefix_no_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn usage_contains_reload(line: &str) -> bool {
    const PATTERNS: &[&str] = &[
        "{reload|",
        "{reload}",
        "{reload\"",
        "|reload|",
        "|reload}",
        "|reload\"",
    ];
    let lower = line.to_ascii_lowercase();
    PATTERNS.iter().any(|p| lower.contains(p))
}

/// `strstrip()` followed by `empty_to_null()`.
fn non_empty(s: &str) -> Option<String> {
    let t = s.trim_matches(WHITESPACE);
    (!t.is_empty()).then(|| t.to_string())
}

fn extend_with_space(target: &mut Option<String>, text: &str) {
    match target {
        Some(t) if !t.is_empty() => {
            t.push(' ');
            t.push_str(text);
        }
        _ => *target = Some(text.to_string()),
    }
}

/// The lines of a file as systemd's `read_line()` sees them: `\n`, `\r`, `\r\n` and `\n\r` each
/// end a line, but `\n\n` ends two.
fn script_lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\n' || c == b'\r' {
            lines.push(&text[start..i]);
            let pair = if c == b'\n' { b'\r' } else { b'\n' };
            i += if bytes.get(i + 1) == Some(&pair) {
                2
            } else {
                1
            };
            start = i;
        } else {
            i += 1;
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// systemd's `extract_first_word()` with `EXTRACT_UNQUOTE|EXTRACT_RELAX`: whitespace-separated
/// words, quotes removed, a backslash taking the next character literally.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| WHITESPACE.contains(c)).is_some() {}
        if chars.peek().is_none() {
            return words;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (_, '\\') => {
                    if let Some(escaped) = chars.next() {
                        word.push(escaped);
                    }
                }
                (Some(q), c) if c == q => quote = None,
                (None, '\'' | '"') => quote = Some(c),
                (None, c) if WHITESPACE.contains(&c) => break,
                (_, c) => word.push(c),
            }
        }
        words.push(word);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ParseState {
    Normal,
    ChkconfigDescription,
    Lsb,
    LsbDescription,
    UsageContinuation,
}

impl Stub {
    pub(super) fn load(&mut self, text: &str) {
        let mut header = Header::default();
        let mut state = ParseState::Normal;
        let mut short_description = None;
        let mut long_description = None;
        let mut chkconfig_description = None;
        for raw in script_lines(text) {
            let line = raw.trim_matches(WHITESPACE);
            let Some(comment) = line.strip_prefix('#') else {
                if state == ParseState::UsageContinuation
                    || (state == ParseState::Normal && contains_no_case(line, "usage"))
                {
                    state = if usage_contains_reload(line) {
                        header.reload = true;
                        ParseState::Normal
                    } else if line.ends_with('\\') {
                        ParseState::UsageContinuation
                    } else {
                        ParseState::Normal
                    };
                }
                continue;
            };
            if state == ParseState::Normal && line == "### BEGIN INIT INFO" {
                state = ParseState::Lsb;
                header.has_lsb = true;
                continue;
            }
            if matches!(state, ParseState::Lsb | ParseState::LsbDescription)
                && line == "### END INIT INFO"
            {
                state = ParseState::Normal;
                continue;
            }
            let t = comment.trim_start_matches(WHITESPACE);
            match state {
                ParseState::Normal => {
                    if let Some(value) = strip_prefix_no_case(t, "description:") {
                        let value = match value.strip_suffix('\\') {
                            Some(v) => {
                                state = ParseState::ChkconfigDescription;
                                v
                            }
                            None => value,
                        };
                        chkconfig_description = non_empty(value);
                    } else if let Some(value) = strip_prefix_no_case(t, "pidfile:") {
                        let file = value.trim_matches(WHITESPACE);
                        if file.starts_with('/') {
                            header.pid_file = Some(file.to_string());
                        }
                    }
                }
                ParseState::ChkconfigDescription => {
                    let value = match t.strip_suffix('\\') {
                        Some(v) => v,
                        None => {
                            state = ParseState::Normal;
                            t
                        }
                    };
                    if let Some(v) = non_empty(value) {
                        extend_with_space(&mut chkconfig_description, &v);
                    }
                }
                ParseState::Lsb | ParseState::LsbDescription => {
                    if let Some(value) = strip_prefix_no_case(t, "Provides:") {
                        state = ParseState::Lsb;
                        self.handle_provides(value);
                    } else if let Some(value) =
                        ["Required-Start:", "Should-Start:", "X-Start-After:"]
                            .iter()
                            .find_map(|k| strip_prefix_no_case(t, k))
                    {
                        state = ParseState::Lsb;
                        self.handle_dependencies(value, false);
                    } else if let Some(value) = strip_prefix_no_case(t, "X-Start-Before:") {
                        state = ParseState::Lsb;
                        self.handle_dependencies(value, true);
                    } else if let Some(value) = strip_prefix_no_case(t, "Description:") {
                        state = ParseState::LsbDescription;
                        long_description = non_empty(value);
                    } else if let Some(value) = strip_prefix_no_case(t, "Short-Description:") {
                        state = ParseState::Lsb;
                        short_description = non_empty(value);
                    } else if state == ParseState::LsbDescription {
                        // Only indented comment lines continue a Description:.
                        if line.starts_with("#\t") || line.starts_with("#  ") {
                            if let Some(v) = non_empty(t) {
                                extend_with_space(&mut long_description, &v);
                            }
                        } else {
                            state = ParseState::Lsb;
                        }
                    }
                }
                ParseState::UsageContinuation => {}
            }
        }
        header.description = short_description
            .or(chkconfig_description)
            .or(long_description)
            .map(|d| {
                let origin = if header.has_lsb { "LSB" } else { "SYSV" };
                format!("{origin}: {d}")
            });
        self.header = Some(header);
    }

    fn handle_provides(&mut self, value: &str) {
        let file_name = self.file_name();
        for word in split_words(value) {
            let Some(unit) = translate_facility(&word, &file_name) else {
                continue;
            };
            if unit.ends_with(".service") {
                self.provides.push(unit);
            } else if unit.ends_with(".target") {
                // A target a service provides is pulled in by that service, never the reverse.
                self.before.push(unit.clone());
                self.wants.push(unit.clone());
                if unit == "network-online.target" {
                    self.before.push("network.target".to_string());
                    self.wants.push("network.target".to_string());
                }
            }
        }
    }

    fn handle_dependencies(&mut self, value: &str, start_before: bool) {
        let file_name = self.file_name();
        for word in split_words(value) {
            let Some(unit) = translate_facility(&word, &file_name) else {
                continue;
            };
            if start_before {
                self.before.push(unit);
            } else if unit == "network-online.target" {
                // network-online.target is passive: ordering after it alone would not start it.
                self.after.push(unit.clone());
                self.wants.push(unit);
            } else {
                self.after.push(unit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn loaded(text: &str) -> Stub {
        let mut stub = Stub::new("foo.service".into(), PathBuf::from("/etc/init.d/foo"));
        stub.load(text);
        stub
    }

    #[test]
    fn facilities_map_to_targets_and_services() {
        let cases = [
            ("$network", Some("network-online.target")),
            ("network", Some("network-online.target")),
            ("$remote_fs", Some("remote-fs.target")),
            ("$local_fs", None),
            ("$syslog", None),
            ("$named", Some("nss-lookup.target")),
            ("$portmap", Some("rpcbind.target")),
            ("$time", Some("time-sync.target")),
            ("$all", Some("all.target")),
            ("$x-display-manager", Some("x-display-manager.target")),
            ("$bad name", None),
            ("foo", None),
            ("foo.sh", Some("foo.service")),
            ("mysql", Some("mysql.service")),
            ("dbus.socket", Some("dbus.socket")),
        ];
        for (word, want) in cases {
            assert_eq!(
                translate_facility(word, "foo.sh").as_deref(),
                want,
                "{word}"
            );
        }
    }

    #[test]
    fn reload_support_comes_from_usage_lines_only() {
        let usage = |body: &str| {
            loaded(&format!("#!/bin/sh\n{body}\n"))
                .header
                .map(|h| h.reload)
        };
        assert_eq!(usage("echo \"Usage: $0 {start|stop|reload}\""), Some(true));
        assert_eq!(usage("echo \"USAGE: $0 {Reload|stop}\""), Some(true));
        assert_eq!(
            usage("echo \"Usage: $0 {start|stop|force-reload}\""),
            Some(false)
        );
        assert_eq!(usage("# Usage: $0 {start|reload}"), Some(false));
        assert_eq!(usage("echo {start|reload}"), Some(false));
        assert_eq!(usage("echo usage \\\n  \"{start|reload}\""), Some(true));
        assert_eq!(usage("echo usage \\\n\n  \"{start|reload}\""), Some(false));
    }

    #[test]
    fn descriptions_prefer_short_then_chkconfig_then_long() {
        let description = |text: &str| loaded(text).header.and_then(|h| h.description);
        let lsb = "### BEGIN INIT INFO\n# Description: long\n#  more\n#  Required-Stop: $x\n\
                   # Short-Description: short\n### END INIT INFO\n";
        assert_eq!(description(lsb).as_deref(), Some("LSB: short"));
        let no_short = lsb.replace("# Short-Description: short\n", "");
        assert_eq!(
            description(&no_short).as_deref(),
            Some("LSB: long more Required-Stop: $x")
        );
        let chkconfig = format!("{no_short}# description: chk \\\n#   config\n");
        assert_eq!(description(&chkconfig).as_deref(), Some("LSB: chk config"));
        assert_eq!(
            description("# description: old style\n").as_deref(),
            Some("SYSV: old style")
        );
        assert_eq!(description("#!/bin/sh\n"), None);
    }

    #[test]
    fn pid_files_must_be_absolute() {
        let pid_file = |text: &str| loaded(text).header.and_then(|h| h.pid_file);
        assert_eq!(
            pid_file("# pidfile: /run/foo.pid\n").as_deref(),
            Some("/run/foo.pid")
        );
        assert_eq!(pid_file("# pidfile: run/foo.pid\n"), None);
    }

    #[test]
    fn lines_end_like_systemd_read_line() {
        assert_eq!(script_lines("a\nb\r\nc\n\rd\re"), ["a", "b", "c", "d", "e"]);
        assert_eq!(script_lines("a\n\nb\r\rc\n"), ["a", "", "b", "", "c"]);
        assert!(script_lines("").is_empty());
    }

    #[test]
    fn words_split_like_extract_first_word() {
        assert_eq!(
            split_words(" a\t'b c' \"d\"e f\\ g 'open"),
            ["a", "b c", "de", "f g", "open"]
        );
        assert!(split_words("  \t").is_empty());
    }
}
