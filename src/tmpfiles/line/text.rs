//! The text of a line as systemd 252 `src/tmpfiles/tmpfiles.c` decodes it: extract_first_word() with EXTRACT_UNQUOTE for the
//! fields, cunescape() and unbase64mem() for the argument.

use super::{LineProblem, WHITESPACE};

/// extract_first_word() with EXTRACT_UNQUOTE: quotes group, a backslash takes the next character
/// as it is. `Ok(None)` at the end of the input; `Err` on an open quote or a trailing backslash.
pub(super) fn next_word(input: &str) -> Result<Option<(String, &str)>, LineProblem> {
    let start = input.trim_start_matches(WHITESPACE);
    if start.is_empty() {
        return Ok(None);
    }
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut backslash = false;
    for (i, c) in start.char_indices() {
        if backslash {
            word.push(c);
            backslash = false;
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' {
                backslash = true;
            } else {
                word.push(c);
            }
        } else if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == '\\' {
            backslash = true;
        } else if WHITESPACE.contains(&c) {
            let rest = start[i..].trim_start_matches(WHITESPACE);
            return Ok(Some((word, rest)));
        } else {
            word.push(c);
        }
    }
    if backslash || quote.is_some() {
        return Err(LineProblem::BadQuoting);
    }
    Ok(Some((word, "")))
}

fn hex_value(b: u8) -> Option<u32> {
    char::from(b).to_digit(16)
}

/// cunescape() without flags: C escapes plus `\s`; a NUL or an unknown escape is an error.
pub fn cunescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let c = *s.get(i + 1)?;
        i += 2;
        let simple = match c {
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' | b'"' | b'\'' => Some(c),
            b's' => Some(b' '),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        match c {
            b'x' => {
                let hi = hex_value(*s.get(i)?)?;
                let lo = hex_value(*s.get(i + 1)?)?;
                let v = (hi << 4) | lo;
                if v == 0 {
                    return None;
                }
                out.push(v as u8);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let digits = s.get(i..i + n)?;
                let v = digits
                    .iter()
                    .try_fold(0u32, |acc, &d| Some(acc.checked_mul(16)? + hex_value(d)?))?;
                let ch = char::from_u32(v).filter(|&ch| ch != '\0')?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += n;
            }
            b'0'..=b'7' => {
                let digits = [c, *s.get(i)?, *s.get(i + 1)?];
                let v = digits.iter().try_fold(0u32, |acc, &d| {
                    (b'0'..=b'7')
                        .contains(&d)
                        .then(|| acc * 8 + u32::from(d - b'0'))
                })?;
                if v == 0 || v > 255 {
                    return None;
                }
                out.push(v as u8);
                i += 2;
            }
            _ => return None,
        }
    }
    Some(out)
}

fn base64_value(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// unbase64mem(): whitespace is ignored, padding optional at the end only.
pub fn unbase64(s: &[u8]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let data_end = clean.iter().position(|&b| b == b'=').unwrap_or(clean.len());
    let padding = &clean[data_end..];
    if padding.len() > 2 || padding.iter().any(|&b| b != b'=') {
        return None;
    }
    if !padding.is_empty() && !clean.len().is_multiple_of(4) {
        return None;
    }
    let data = &clean[..data_end];
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for (k, &b) in chunk.iter().enumerate() {
            acc |= base64_value(b)? << (18 - 6 * k);
        }
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_base64() {
        assert_eq!(
            cunescape(b"a\\101\\x42\\s\\u00e9").unwrap(),
            "aAB é".as_bytes()
        );
        assert_eq!(cunescape(b"\\x00"), None);
        assert_eq!(cunescape(b"x\\"), None);
        assert_eq!(unbase64(b"aGk=").unwrap(), b"hi");
        assert_eq!(unbase64(b"!!"), None);
    }
}
