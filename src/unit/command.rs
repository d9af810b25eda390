//! Command lines of systemd.service(5) "Command lines", parsed as load-fragment.c's
//! `config_parse_exec()` does: the prefixes `-`, `@`, `:`, `+`, `!`, `!!`; words split and unquoted
//! as `extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)`; a lone `;` chaining a second
//! command (still accepted by systemd 252) and `\;` passing a literal `;`; `%` specifiers in every
//! word. `$VAR`/`${VAR}` stay in the model; [`expand_variables`] is the exec-time rule.

use std::collections::HashMap;

use thiserror::Error;

use super::specifier::{SpecifierContext, SpecifierError};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CommandError {
    #[error("Invalid syntax: {0}")]
    Syntax(String),
    #[error("Failed to resolve unit specifiers in '{word}': {source}")]
    Specifier {
        word: String,
        source: SpecifierError,
    },
    #[error("Empty executable name or zeroeth argument: {0}")]
    EmptyExecutable(String),
    #[error("Executable path specifies a directory: {0}")]
    Directory(String),
    #[error("Neither a valid executable name nor an absolute path: {0}")]
    BadPath(String),
}

/// A command line systemd does not accept. Like `config_parse_exec()`, a bad first word only
/// drops the line; any later problem refuses the whole unit (`bad-setting`) unless the command
/// has the `-` prefix.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{error}")]
pub struct Rejected {
    pub error: CommandError,
    pub fatal: bool,
}

/// The prefixes of systemd.service(5) Table "Special executable prefixes".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecFlags {
    /// `-`: a failing exit status is recorded but ignored.
    pub ignore_failure: bool,
    /// `@`: the second word is argv[0].
    pub separate_argv0: bool,
    /// `:`: no environment variable substitution.
    pub no_env_expand: bool,
    /// `+`: full privileges, no sandboxing or user switch.
    pub full_privileges: bool,
    /// `!`: user switch and sandboxing but no credential changes by the manager.
    pub no_setuid: bool,
    /// `!!`: as `!`, only on systems without ambient capabilities.
    pub ambient_magic: bool,
}

/// One command to execute: the program and its full argv (argv[0] included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecCommand {
    pub path: String,
    pub argv: Vec<String>,
    pub flags: ExecFlags,
}

impl ExecCommand {
    /// The `flags=` field of the `Exec…Ex` properties: the prefixes by name.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let f = self.flags;
        [
            (f.ignore_failure, "ignore-failure"),
            (f.full_privileges, "privileged"),
            (f.no_setuid, "no-setuid"),
            (f.ambient_magic, "ambient"),
            (f.no_env_expand, "no-env-expand"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// Parse one `ExecStart=`-style value into the commands it chains; `Ok(vec![])` means none.
pub fn parse_exec(value: &str, spec: &SpecifierContext) -> Result<Vec<ExecCommand>, Rejected> {
    let mut commands = Vec::new();
    let mut rest = value;
    loop {
        let first = next_word(&mut rest, value).map_err(|error| Rejected {
            error,
            fatal: false,
        })?;
        let Some(first) = first else {
            return Ok(commands);
        };
        if first == ";" {
            continue;
        }
        let (flags, program) = split_prefixes(&first);
        let reject = |error| Rejected {
            error,
            fatal: !flags.ignore_failure,
        };
        commands.push(parse_command(flags, program, &mut rest, value, spec).map_err(reject)?);
        if !chained_after(&mut rest) {
            return Ok(commands);
        }
    }
}

/// Whether a lone `;` follows, chaining another command (and consume it).
fn chained_after(rest: &mut &str) -> bool {
    let trimmed = rest.trim_start_matches(is_ws);
    match trimmed.strip_prefix(';') {
        Some(after) if after.is_empty() || after.starts_with(is_ws) => {
            *rest = after;
            true
        }
        _ => false,
    }
}

/// One command after its prefixes: the program and its arguments up to a lone `;` or the end.
fn parse_command(
    flags: ExecFlags,
    program: &str,
    rest: &mut &str,
    value: &str,
    spec: &SpecifierContext,
) -> Result<ExecCommand, CommandError> {
    let path = spec
        .expand(program)
        .map_err(|source| CommandError::Specifier {
            word: program.to_string(),
            source,
        })?;
    let mut argv = Vec::new();
    if !flags.separate_argv0 {
        argv.push(path.clone());
    }
    loop {
        let trimmed = rest.trim_start_matches(is_ws);
        if trimmed
            .strip_prefix(';')
            .is_some_and(|a| a.is_empty() || a.starts_with(is_ws))
        {
            break;
        }
        if let Some(after) = trimmed.strip_prefix("\\;") {
            if after.is_empty() || after.starts_with(is_ws) {
                argv.push(";".to_string());
                *rest = after;
                continue;
            }
        }
        let Some(word) = next_word(rest, value)? else {
            break;
        };
        let expanded = spec
            .expand(&word)
            .map_err(|source| CommandError::Specifier {
                word: word.clone(),
                source,
            })?;
        argv.push(expanded);
    }
    if path.is_empty() || argv.first().is_none_or(|a| a.is_empty()) {
        return Err(CommandError::EmptyExecutable(value.to_string()));
    }
    if path.ends_with('/') {
        return Err(CommandError::Directory(path));
    }
    if !path.starts_with('/') && path.contains('/') {
        return Err(CommandError::BadPath(path));
    }
    Ok(ExecCommand {
        path: simplify(&path),
        argv,
        flags,
    })
}

fn split_prefixes(word: &str) -> (ExecFlags, &str) {
    let mut flags = ExecFlags::default();
    let mut rest = word;
    loop {
        if let Some(r) = rest.strip_prefix("!!") {
            if flags.no_setuid || flags.ambient_magic || flags.full_privileges {
                break;
            }
            flags.ambient_magic = true;
            rest = r;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        let seen = match c {
            '-' => &mut flags.ignore_failure,
            '@' => &mut flags.separate_argv0,
            ':' => &mut flags.no_env_expand,
            '+' if !flags.no_setuid && !flags.ambient_magic => &mut flags.full_privileges,
            '!' if !flags.full_privileges && !flags.ambient_magic => &mut flags.no_setuid,
            _ => break,
        };
        if *seen {
            break;
        }
        *seen = true;
        rest = &rest[1..];
    }
    (flags, rest)
}

/// systemd's `path_simplify()`: duplicate slashes and `.` components go.
fn simplify(path: &str) -> String {
    if !path.starts_with('/') {
        return path.to_string();
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Every word of `value` as `extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)` splits it,
/// for settings other than command lines that share that syntax (`Environment=`).
pub fn split_words(value: &str) -> Result<Vec<String>, CommandError> {
    let mut rest = value;
    let mut words = Vec::new();
    while let Some(word) = next_word(&mut rest, value)? {
        words.push(word);
    }
    Ok(words)
}

/// `extract_first_word()` with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE: quotes may open anywhere in a
/// word; backslash escapes are C escapes, inside and outside quotes.
fn next_word(rest: &mut &str, whole: &str) -> Result<Option<String>, CommandError> {
    let s = rest.trim_start_matches(is_ws);
    if s.is_empty() {
        *rest = s;
        return Ok(None);
    }
    let bad = || CommandError::Syntax(whole.to_string());
    let mut word = String::new();
    let mut chars = s.char_indices().peekable();
    let mut quote: Option<char> = None;
    let mut end = s.len();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                let (_, next) = chars.next().ok_or_else(bad)?;
                unescape_one(next, &mut chars, &mut word).ok_or_else(bad)?;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if is_ws(c) => {
                end = i;
                break;
            }
            (None, c) => word.push(c),
        }
    }
    if quote.is_some() {
        return Err(bad());
    }
    *rest = &s[end..];
    Ok(Some(word))
}

/// systemd's `cunescape_one()`: the character after a backslash (and what it consumes).
fn unescape_one(
    c: char,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    out: &mut String,
) -> Option<()> {
    let mut take_digits = |n: usize, radix: u32| -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let (_, d) = chars.next()?;
            v = v.checked_mul(radix)?.checked_add(d.to_digit(radix)?)?;
        }
        Some(v)
    };
    let ch = match c {
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\x0b',
        's' => ' ',
        '\\' | '"' | '\'' => c,
        'x' => char::from_u32(take_digits(2, 16)?).filter(|&c| c != '\0')?,
        'u' => char::from_u32(take_digits(4, 16)?).filter(|&c| c != '\0')?,
        'U' => char::from_u32(take_digits(8, 16)?).filter(|&c| c != '\0')?,
        '0'..='7' => {
            let rest = take_digits(2, 8)?;
            let v = c.to_digit(8)? * 64 + rest;
            char::from_u32(v).filter(|&c| c != '\0')?
        }
        _ => return None,
    };
    out.push(ch);
    Some(())
}

/// The exec-time rule of systemd.service(5): `${VAR}` is replaced anywhere in a word (unset: empty);
/// a word that is exactly `$VAR` becomes the value split on whitespace (unset: no word at all);
/// `$$` is a literal `$`. Commands with the `:` prefix are not passed here.
pub fn expand_variables(argv: &[String], env: &HashMap<String, String>) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    for word in argv {
        if let Some(name) = word.strip_prefix('$') {
            if is_env_name(name) {
                if let Some(value) = env.get(name) {
                    out.extend(value.split_whitespace().map(str::to_string));
                }
                continue;
            }
        }
        out.push(replace_braced(word, env));
    }
    out
}

fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `replace_env()`: `${NAME}`, `${NAME:-default}`, `${NAME:+alternative}` and `$$`.
fn replace_braced(word: &str, env: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        let braced = after.strip_prefix('{').and_then(|inner| {
            inner
                .find('}')
                .map(|end| (&inner[..end], &inner[end + 1..]))
        });
        match braced {
            Some((expr, r)) => {
                out.push_str(&braced_value(expr, env));
                rest = r;
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn braced_value(expr: &str, env: &HashMap<String, String>) -> String {
    let lookup = |name: &str| env.get(name).filter(|v| !v.is_empty());
    if let Some((name, default)) = expr.split_once(":-") {
        return lookup(name).cloned().unwrap_or_else(|| default.to_string());
    }
    if let Some((name, alternative)) = expr.split_once(":+") {
        return lookup(name)
            .map(|_| alternative.to_string())
            .unwrap_or_default();
    }
    env.get(expr).cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::name::UnitName;
    use crate::unit::paths::Scope;
    use std::path::PathBuf;

    fn spec() -> SpecifierContext {
        SpecifierContext {
            unit: UnitName::parse("web@blue.service").unwrap(),
            fragment: None,
            scope: Scope::System,
            root: PathBuf::from("/"),
        }
    }

    fn one(s: &str) -> ExecCommand {
        let mut v = parse_exec(s, &spec()).unwrap();
        assert_eq!(v.len(), 1, "{s}");
        v.remove(0)
    }

    #[test]
    fn quoting_and_escapes_follow_extract_first_word() {
        let c = one(r#"/bin/sh -c "echo \"hi\" 'there'" a'b c'd \x41\t"#);
        assert_eq!(c.path, "/bin/sh");
        assert_eq!(
            c.argv,
            vec!["/bin/sh", "-c", "echo \"hi\" 'there'", "ab cd", "A\t"]
        );
        let open = parse_exec(r#"/bin/echo "open"#, &spec()).unwrap_err();
        assert!(open.fatal && matches!(open.error, CommandError::Syntax(_)));
        assert!(!parse_exec(r"-/bin/echo \q", &spec()).unwrap_err().fatal);
        assert!(!parse_exec(r#""/bin/open"#, &spec()).unwrap_err().fatal);
    }

    #[test]
    fn prefixes_combine_and_at_takes_argv0_from_the_next_word() {
        let c = one("-@/usr/sbin/daemon my-daemon --flag");
        assert!(c.flags.ignore_failure && c.flags.separate_argv0);
        assert_eq!(c.path, "/usr/sbin/daemon");
        assert_eq!(c.argv, vec!["my-daemon", "--flag"]);
        let c = one("+-:/bin/true");
        assert!(c.flags.full_privileges && c.flags.ignore_failure && c.flags.no_env_expand);
        let c = one("!!/bin/true");
        assert!(c.flags.ambient_magic && !c.flags.no_setuid);
        assert_eq!(c.flag_names(), vec!["ambient"]);
    }

    #[test]
    fn lone_semicolon_chains_and_escaped_semicolon_is_literal() {
        let v = parse_exec(r"/bin/a x ; /bin/b \; y", &spec()).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].argv, vec!["/bin/a", "x"]);
        assert_eq!(v[1].argv, vec!["/bin/b", ";", "y"]);
        assert_eq!(one("/bin/echo a;b").argv, vec!["/bin/echo", "a;b"]);
    }

    #[test]
    fn specifiers_expand_but_variables_stay() {
        let c = one("/usr/bin/web --name=%i --unit %n $OPTS ${X}");
        assert_eq!(
            c.argv,
            vec![
                "/usr/bin/web",
                "--name=blue",
                "--unit",
                "web@blue.service",
                "$OPTS",
                "${X}"
            ]
        );
        assert!(matches!(
            parse_exec("/bin/x %Z", &spec()).map_err(|r| r.error),
            Err(CommandError::Specifier { .. })
        ));
    }

    #[test]
    fn bad_executables_are_refused() {
        let error = |s: &str| parse_exec(s, &spec()).map_err(|r| r.error);
        assert!(matches!(
            error("@/bin/x"),
            Err(CommandError::EmptyExecutable(_))
        ));
        assert!(matches!(
            error("/usr/bin/"),
            Err(CommandError::Directory(_))
        ));
        assert!(matches!(error("bin/x"), Err(CommandError::BadPath(_))));
        assert_eq!(one("true").path, "true");
        assert_eq!(one("//usr/./bin//x").path, "/usr/bin/x");
        assert!(parse_exec("   ", &spec()).unwrap().is_empty());
    }

    #[test]
    fn variables_expand_as_systemd_service_documents() {
        let env: HashMap<String, String> = [("OPTS", "-a  -b\t-c"), ("ONE", "x y"), ("EMPTY", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let argv: Vec<String> = [
            "/bin/d",
            "$OPTS",
            "--one=${ONE}",
            "$ONE-suffix",
            "${MISSING}",
            "$MISSING",
            "$$OPTS",
            "${EMPTY:-dflt}",
            "${ONE:+alt}",
            "sh -c 'echo $OPTS'",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            expand_variables(&argv, &env),
            vec![
                "/bin/d",
                "-a",
                "-b",
                "-c",
                "--one=x y",
                "$ONE-suffix",
                "",
                "$OPTS",
                "dflt",
                "alt",
                "sh -c 'echo $OPTS'"
            ]
        );
    }
}
