//! glob() with GLOB_BRACE, as systemd 252 `src/tmpfiles/tmpfiles.c` expands the paths of the lines that take a pattern.

use std::ffi::CString;
use std::fs;

/// glob() with GLOB_BRACE: brace alternatives, then `* ? [..]` per component; a pattern without
/// wildcards names the path itself when it exists. Results are sorted.
pub fn glob(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    for expanded in expand_braces(pattern) {
        glob_into(&expanded, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn expand_braces(pattern: &str) -> Vec<String> {
    let bytes = pattern.as_bytes();
    let Some(open) = bytes.iter().position(|&b| b == b'{') else {
        return vec![pattern.to_string()];
    };
    let mut depth = 0;
    let mut close = None;
    let mut splits = Vec::new();
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            b',' if depth == 1 => splits.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![pattern.to_string()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(&splits);
    bounds.push(close);
    bounds
        .windows(2)
        .flat_map(|w| expand_braces(&format!("{head}{}{tail}", &pattern[w[0] + 1..w[1]])))
        .collect()
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn fnmatch(pattern: &str, name: &str) -> bool {
    let (p, n) = (cstring(pattern), cstring(name));
    // SAFETY: both are valid NUL-terminated strings for the duration of the call.
    unsafe { libc::fnmatch(p.as_ptr(), n.as_ptr(), libc::FNM_PERIOD) == 0 }
}

fn glob_into(pattern: &str, out: &mut Vec<String>) {
    if !has_wildcard(pattern) {
        if fs::symlink_metadata(pattern).is_ok() {
            out.push(pattern.to_string());
        }
        return;
    }
    let mut candidates = vec![String::new()];
    let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    for (n, component) in components.iter().enumerate() {
        let last = n + 1 == components.len();
        let mut next = Vec::new();
        for base in &candidates {
            if !has_wildcard(component) {
                let p = format!("{base}/{component}");
                if fs::symlink_metadata(&p).is_ok()
                    && (last || fs::metadata(&p).is_ok_and(|m| m.is_dir()))
                {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.is_empty() { "/" } else { base.as_str() };
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let p = format!("{base}/{name}");
                if fnmatch(component, &name) && (last || fs::metadata(&p).is_ok_and(|m| m.is_dir()))
                {
                    next.push(p);
                }
            }
        }
        candidates = next;
    }
    out.extend(candidates);
}

fn cstring(path: &str) -> CString {
    CString::new(path.as_bytes().to_vec()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand() {
        assert_eq!(
            expand_braces("/a/{b,c{d,e}}/f"),
            vec!["/a/b/f", "/a/cd/f", "/a/ce/f"]
        );
    }

    #[test]
    fn glob_matches_components_and_skips_dotfiles() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().display().to_string();
        for name in ["a1", "a2", ".a3", "b"] {
            fs::create_dir(dir.path().join(name)).unwrap();
        }
        assert_eq!(
            glob(&format!("{root}/a*")),
            vec![format!("{root}/a1"), format!("{root}/a2")]
        );
        assert_eq!(glob(&format!("{root}/{{b,zz}}")), vec![format!("{root}/b")]);
    }
}
