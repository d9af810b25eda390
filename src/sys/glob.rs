//! Shell-style globbing as fnmatch(3) does it without flags (FNM_NOESCAPE): `*`, `?` and `[...]`
//! classes, as systemd matches unit-name patterns (`systemctl list-units 'getty@*'`), preset
//! rules and condition globs with fnmatch() (src/basic/glob-util.c, strv_fnmatch()).

/// fnmatch() without flags other than FNM_NOESCAPE: `*`, `?` and `[...]` classes.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_at(&p, &t)
}

/// Iterative matching that backtracks only to the last `*`: O(pattern × text), where recursing
/// at every `*` is exponential in the number of stars.
fn glob_at(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // After the last `*` seen: where the pattern resumes, and the text position it absorbed to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if p.get(pi) == Some(&'*') {
            pi += 1;
            star = Some((pi, ti));
            continue;
        }
        if let Some(rest) = p.get(pi..).and_then(|rest| single_match(rest, t[ti])) {
            pi = p.len() - rest.len();
            ti += 1;
            continue;
        }
        match star {
            Some((resume, absorbed)) => {
                pi = resume;
                ti = absorbed + 1;
                star = Some((resume, absorbed + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Whether the first token of `p` (not a `*`) matches `c`; the rest of the pattern if so.
fn single_match(p: &[char], c: char) -> Option<&[char]> {
    match p.first()? {
        '?' => Some(&p[1..]),
        '[' => match class_match(&p[1..], c) {
            Some((true, rest)) => Some(rest),
            Some((false, _)) => None,
            // An unterminated class is a literal `[`.
            None => (c == '[').then(|| &p[1..]),
        },
        literal => (*literal == c).then(|| &p[1..]),
    }
}

/// A `[...]` class after its `[`: whether `c` matches and the pattern after the `]`.
fn class_match(p: &[char], c: char) -> Option<(bool, &[char])> {
    let (negate, mut i) = match p.first() {
        Some('!' | '^') => (true, 1),
        _ => (false, 0),
    };
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, &p[i + 1..]));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_fnmatch() {
        assert!(glob_match("*.s*", "a.service"));
        assert!(!glob_match("*.s*", "a.target"));
        assert!(glob_match("getty@[a-z]*.service", "getty@tty1.service"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("[!a]*", "abc"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("[x", "[x"));
    }

    #[test]
    fn many_stars_against_a_long_name_answer_at_once() {
        let name = format!("{}.service", "a".repeat(60));
        let pattern = format!("{}z", "*a".repeat(11));
        let start = std::time::Instant::now();
        assert!(!glob_match(&pattern, &name));
        // Exponential backtracking took minutes here; linear takes microseconds. The bound is
        // loose on purpose: it separates the two, not fast from slow machines.
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }
}
