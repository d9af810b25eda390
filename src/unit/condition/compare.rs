//! The comparisons and word splitting the condition checks share, as systemd 252 has them:
//! condition.c's `parse_order()`/`test_order()` (the `OrderOperator` prefixes of
//! `ConditionKernelVersion=`, `ConditionOSRelease=`, `ConditionMemory=`, `ConditionCPUs=`),
//! string-util-fundamental.c's `strverscmp_improved()`, parse-util.c's `parse_boolean()` and
//! extract-word.c's `extract_first_word()`.

/// systemd 252's `OrderOperator`: the prefixes `parse_order()` knows, longest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    LowerOrEqual,
    GreaterOrEqual,
    Lower,
    Greater,
    Equal,
    Unequal,
}

impl Order {
    pub(super) fn parse(s: &str) -> Option<(Order, &str)> {
        [
            ("<=", Order::LowerOrEqual),
            (">=", Order::GreaterOrEqual),
            ("<", Order::Lower),
            (">", Order::Greater),
            ("=", Order::Equal),
            ("!=", Order::Unequal),
        ]
        .into_iter()
        .find_map(|(prefix, op)| s.strip_prefix(prefix).map(|rest| (op, rest)))
    }

    pub(super) fn test(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Order::LowerOrEqual => o != Greater,
            Order::GreaterOrEqual => o != Less,
            Order::Lower => o == Less,
            Order::Greater => o == Greater,
            Order::Equal => o == Equal,
            Order::Unequal => o != Equal,
        }
    }
}

/// `strverscmp_improved()`: versions compared segment by segment, `~` older than anything, `-`
/// older than `^`, older than `.`, numbers by value, letters bytewise, a longer version newer.
pub fn version_compare(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.is_empty() || b.is_empty() {
        return a.cmp(b);
    }
    let valid = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'~' | b'-' | b'^' | b'.');
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        while i < a.len() && !valid(a[i]) {
            i += 1;
        }
        while j < b.len() && !valid(b[j]) {
            j += 1;
        }
        // Separators in order of precedence: the side that has one where the other has not is
        // older, except that the end of a string beats only `~`.
        if at(a, i) == b'~' || at(b, j) == b'~' {
            let r = (at(a, i) != b'~').cmp(&(at(b, j) != b'~'));
            if r != Ordering::Equal {
                return r;
            }
            i += 1;
            j += 1;
        }
        if i >= a.len() || j >= b.len() {
            return a[i.min(a.len())..].cmp(&b[j.min(b.len())..]);
        }
        for sep in [b'-', b'^', b'.'] {
            if at(a, i) == sep || at(b, j) == sep {
                let r = (at(a, i) != sep).cmp(&(at(b, j) != sep));
                if r != Ordering::Equal {
                    return r;
                }
                i += 1;
                j += 1;
            }
        }
        let (ai, bj) = (i, j);
        if at(a, i).is_ascii_digit() || at(b, j).is_ascii_digit() {
            let (mut ae, mut be) = (i, j);
            while ae < a.len() && a[ae].is_ascii_digit() {
                ae += 1;
            }
            while be < b.len() && b[be].is_ascii_digit() {
                be += 1;
            }
            // A number is newer than no number.
            let r = (ae != ai).cmp(&(be != bj));
            if r != Ordering::Equal {
                return r;
            }
            while i < ae && a[i] == b'0' {
                i += 1;
            }
            while j < be && b[j] == b'0' {
                j += 1;
            }
            let r = (ae - i)
                .cmp(&(be - j))
                .then_with(|| a[i..ae].cmp(&b[j..be]));
            if r != Ordering::Equal {
                return r;
            }
            i = ae;
            j = be;
        } else {
            let (mut ae, mut be) = (i, j);
            while ae < a.len() && a[ae].is_ascii_alphabetic() {
                ae += 1;
            }
            while be < b.len() && b[be].is_ascii_alphabetic() {
                be += 1;
            }
            let n = (ae - i).min(be - j);
            let r = a[i..i + n]
                .cmp(&b[j..j + n])
                .then_with(|| (ae - i).cmp(&(be - j)));
            if r != Ordering::Equal {
                return r;
            }
            i = ae;
            j = be;
        }
    }
}

/// `parse_boolean()`.
pub(super) fn parse_boolean(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Ok(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Ok(false),
        _ => Err(format!("Failed to parse boolean value \"{s}\"")),
    }
}

/// systemd's WHITESPACE.
pub(super) const WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

/// `extract_first_word()` with EXTRACT_UNQUOTE when `unquote` (quotes removed, a backslash taking
/// the next character), and EXTRACT_RELAX when `relax` (an open quote or trailing backslash is
/// not an error). `None` at the end of the text.
pub(super) fn next_word(
    rest: &mut &str,
    unquote: bool,
    relax: bool,
) -> Result<Option<String>, String> {
    let s = rest.trim_start_matches(WHITESPACE);
    if s.is_empty() {
        *rest = s;
        return Ok(None);
    }
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.char_indices();
    let mut end = s.len();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (_, '\\') => match chars.next() {
                Some((_, next)) => word.push(next),
                None if relax => word.push('\\'),
                None => return Err(format!("Trailing backslash in \"{s}\"")),
            },
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') if unquote => quote = Some(c),
            (None, c) if WHITESPACE.contains(&c) => {
                end = i;
                break;
            }
            (_, c) => word.push(c),
        }
    }
    if quote.is_some() && !relax {
        return Err(format!("Unbalanced quotes in \"{s}\""));
    }
    *rest = &s[end..];
    Ok(Some(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::condition::fixtures::{cond, facts, met, tree};
    use std::cmp::Ordering;

    #[test]
    fn versions_memory_and_cpus_compare() {
        let root = tree();
        let f = facts(root.path());
        for (p, expected) in [
            (">=5.10", true),
            ("<5.10", false),
            (">= 5.15", true),
            ("5.15.*", true),
            ("6.*", false),
            (">=5.4 <6", true),
            (">=5.4 <5.15", false),
            ("=5.15.0-91-generic", true),
            ("!=5.15.0-91-generic", false),
        ] {
            assert_eq!(met(cond("ConditionKernelVersion", p), &f), expected, "{p}");
        }
        for (p, expected) in [
            ("1G", true),
            (">=2G", true),
            (">2G", false),
            ("<=2048M", true),
            ("=2147483648", true),
            ("<1.5G", false),
            (">1G 512M", true),
            ("lots", false),
        ] {
            assert_eq!(met(cond("ConditionMemory", p), &f), expected, "Memory={p}");
        }
        for (p, expected) in [
            ("4", true),
            (">=2", true),
            (">4", false),
            ("<8", true),
            ("=4", true),
            ("!=4", false),
        ] {
            assert_eq!(met(cond("ConditionCPUs", p), &f), expected, "CPUs={p}");
        }
        assert_eq!(version_compare("5.10", "5.9"), Ordering::Greater);
        assert_eq!(version_compare("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(version_compare("1.0-1", "1.0.1"), Ordering::Less);
        assert_eq!(version_compare("010", "10"), Ordering::Equal);
        assert_eq!(version_compare("123a", "123.a"), Ordering::Greater);
        assert_eq!(crate::unit::size::parse_iec_size("1.5K").ok(), Some(1536));
        assert!(crate::unit::size::parse_iec_size("1M1G").is_err());
    }
}
