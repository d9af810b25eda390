//! parse_line() of systemd 252 `src/tmpfiles/tmpfiles.c`: the fields of one line, its modifiers, specifiers in the path and
//! argument, the argument's escapes, base64 and credentials, and the include/exclude prefixes.

use std::path::Path;

use super::fields::{
    parse_device, parse_mode, parse_seconds, resolve_group, resolve_user, valid_age_by,
};
use super::paths::{join_root, path_starts_with, simplify_path};
use super::text::{cunescape, next_word, unbase64};
use super::{Item, ItemType, LineContext, LineProblem, Parsed, SkipReason};
use crate::tmpfiles::specifiers::SpecifierError;

fn credential_name_valid(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name != "." && name != ".." && !name.contains('/')
}

fn empty_or_dash(s: Option<&str>) -> bool {
    matches!(s, None | Some("") | Some("-"))
}

fn unsupported_base64_target(kind: ItemType) -> Option<&'static str> {
    use ItemType::*;
    match kind {
        CreateSymlink => Some("symlink targets"),
        CopyFiles => Some("copy sources"),
        CreateCharDevice | CreateBlockDevice => Some("device node creation"),
        SetXattr | RecursiveSetXattr => Some("extended attributes"),
        SetAcl | RecursiveSetAcl => Some("ACLs"),
        SetAttribute | RecursiveSetAttribute => Some("file attributes"),
        _ => None,
    }
}

fn factory_path(path: &str) -> Vec<u8> {
    format!("/usr/share/factory{path}").into_bytes()
}

fn read_credential(dir: Option<&Path>, name: &str) -> Option<Vec<u8>> {
    std::fs::read(dir?.join(name)).ok()
}

/// Parse one non-empty, non-comment line (already stripped of surrounding whitespace).
pub fn parse_line(
    line: &str,
    ctx: &LineContext,
    notes: &mut Vec<String>,
) -> Result<Parsed, LineProblem> {
    let mut words: Vec<String> = Vec::with_capacity(6);
    let mut rest = line;
    while words.len() < 6 {
        match next_word(rest)? {
            Some((w, r)) => {
                words.push(w);
                rest = r;
            }
            None => break,
        }
    }
    if words.len() < 2 {
        return Err(LineProblem::TooFewFields);
    }
    let field = |n: usize| words.get(n).map(String::as_str);
    let action = words[0].as_str();
    let mut argument: Option<Vec<u8>> =
        (!empty_or_dash(Some(rest))).then(|| rest.as_bytes().to_vec());

    let mut chars = action.chars();
    let letter = chars
        .next()
        .ok_or_else(|| LineProblem::CommandTooShort(action.to_string()))?;
    let (mut boot, mut force, mut allow_failure, mut try_replace, mut unbase64_arg, mut from_cred) =
        (false, false, false, false, false, false);
    for m in chars {
        let flag = match m {
            '!' => &mut boot,
            '+' => &mut force,
            '-' => &mut allow_failure,
            '=' => &mut try_replace,
            '~' => &mut unbase64_arg,
            '^' => &mut from_cred,
            _ => return Err(LineProblem::UnknownModifiers(action.to_string())),
        };
        if *flag {
            return Err(LineProblem::UnknownModifiers(action.to_string()));
        }
        *flag = true;
    }
    if boot && !ctx.boot {
        return Ok(Parsed::Skipped(SkipReason::BootOnly));
    }

    let raw_path = words[1].as_str();
    let mut path = match ctx.specifiers.expand_str(raw_path) {
        Ok(p) => p,
        Err(SpecifierError::Unresolvable(_)) => {
            return Ok(Parsed::Skipped(SkipReason::UnresolvableSpecifier))
        }
        Err(error) => {
            return Err(LineProblem::PathSpecifier {
                path: raw_path.to_string(),
                error,
            })
        }
    };
    if let Some(below) = path
        .strip_prefix("/var/run/")
        .filter(|b| !b.trim_matches('/').is_empty())
    {
        path = format!("/run/{below}");
    }

    let kind = ItemType::from_letter(letter).ok_or(LineProblem::UnknownType(letter))?;
    if let Some(what) = unsupported_base64_target(kind).filter(|_| unbase64_arg) {
        return Err(LineProblem::Base64Unsupported(what));
    }
    let mut device = None;
    use ItemType::*;
    match kind {
        CreateFile | TruncateFile => {}
        WriteFile => {
            if argument.is_none() {
                return Err(LineProblem::WriteWithoutArgument);
            }
        }
        CreateSymlink | CopyFiles => {
            if argument.is_none() {
                argument = Some(factory_path(&path));
            }
        }
        CreateCharDevice | CreateBlockDevice => {
            let arg = argument
                .as_deref()
                .ok_or(LineProblem::DeviceWithoutArgument)?;
            let text = String::from_utf8_lossy(arg).into_owned();
            device = Some(parse_device(&text).ok_or(LineProblem::BadDevice(text))?);
        }
        SetXattr
        | RecursiveSetXattr
        | SetAcl
        | RecursiveSetAcl
        | SetAttribute
        | RecursiveSetAttribute => {
            if argument.is_none() {
                return Err(LineProblem::MissingArgument(match kind {
                    SetXattr | RecursiveSetXattr => "Set extended attribute",
                    SetAcl | RecursiveSetAcl => "Set ACLs",
                    _ => "Set file attribute",
                }));
            }
        }
        _ => {
            if argument.is_some() {
                notes.push(format!(
                    "{letter} lines don't take argument fields, ignoring."
                ));
            }
        }
    }

    let binary_argument = from_cred || unbase64_arg;
    if from_cred {
        let name = argument
            .as_deref()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .ok_or(LineProblem::CredentialWithoutName)?;
        if !credential_name_valid(&name) {
            return Err(LineProblem::BadCredentialName(name));
        }
        match read_credential(ctx.credentials, &name) {
            Some(data) => argument = Some(data),
            None => return Ok(Parsed::Skipped(SkipReason::CredentialMissing)),
        }
    } else if unbase64_arg {
        if let Some(arg) = &argument {
            let decoded = unbase64(arg)
                .ok_or_else(|| LineProblem::BadBase64(String::from_utf8_lossy(arg).into_owned()))?;
            argument = Some(decoded);
        }
    }

    if !path.starts_with('/') {
        return Err(LineProblem::RelativePath(path));
    }
    let path = simplify_path(&path);
    let excluded = ctx
        .exclude_prefixes
        .iter()
        .any(|p| path_starts_with(&path, p));
    let included = ctx.include_prefixes.is_empty()
        || ctx
            .include_prefixes
            .iter()
            .any(|p| path_starts_with(&path, p));
    if excluded || !included {
        return Ok(Parsed::Skipped(SkipReason::NotInPrefix));
    }

    let unescapes = matches!(
        kind,
        CopyFiles | CreateSymlink | CreateFile | TruncateFile | WriteFile
    );
    if let (Some(arg), true, false) = (&argument, unescapes, binary_argument) {
        let unescaped = cunescape(arg)
            .ok_or_else(|| LineProblem::BadEscape(String::from_utf8_lossy(arg).into_owned()))?;
        match ctx.specifiers.expand(&unescaped) {
            Ok(expanded) => argument = Some(expanded),
            Err(SpecifierError::Unresolvable(_)) => {
                return Ok(Parsed::Skipped(SkipReason::UnresolvableSpecifier))
            }
            Err(e) => return Err(LineProblem::ArgumentSpecifier(e)),
        }
    }
    if kind == CopyFiles {
        let source = String::from_utf8_lossy(argument.as_deref().unwrap_or_default()).into_owned();
        if !source.starts_with('/') {
            return Err(LineProblem::RelativeCopySource(source));
        }
        argument = Some(join_root(ctx.root, &simplify_path(&source)).into_bytes());
    }

    let path = join_root(ctx.root, &path);
    let owner_field = |n: usize| {
        let raw = field(n).filter(|f| !empty_or_dash(Some(f)))?;
        Some(match raw.strip_prefix(':') {
            Some(name) => (name, true),
            None => (raw, false),
        })
    };
    let (uid, uid_only_create) = match owner_field(3) {
        Some((u, only_create)) => (
            Some(resolve_user(u, ctx).ok_or_else(|| LineProblem::UnknownUser(u.to_string()))?),
            only_create,
        ),
        None => (None, false),
    };
    let (gid, gid_only_create) = match owner_field(4) {
        Some((g, only_create)) => (
            Some(resolve_group(g, ctx).ok_or_else(|| LineProblem::UnknownGroup(g.to_string()))?),
            only_create,
        ),
        None => (None, false),
    };

    let (mut mode, mut mode_set, mut mask_perms, mut mode_only_create) = (
        if kind.is_directory_like() {
            0o755
        } else {
            0o644
        },
        false,
        false,
        false,
    );
    if let Some(m) = field(2).filter(|m| !empty_or_dash(Some(m))) {
        let digits = m.trim_start_matches(|c| {
            match c {
                '~' => mask_perms = true,
                ':' => mode_only_create = true,
                _ => return false,
            }
            true
        });
        mode = parse_mode(digits).ok_or_else(|| LineProblem::BadMode(m.to_string()))?;
        mode_set = true;
    }

    let age = match field(5).filter(|a| !empty_or_dash(Some(a))) {
        Some(a) => {
            let spec = a.strip_prefix('~').unwrap_or(a);
            let seconds = match spec.split_once(':') {
                Some((by, seconds)) => {
                    if !valid_age_by(by) {
                        return Err(LineProblem::BadAgeBy(by.to_string()));
                    }
                    seconds
                }
                None => spec,
            };
            if !parse_seconds(seconds) {
                return Err(LineProblem::BadAge(seconds.to_string()));
            }
            Some(a.to_string())
        }
        None => None,
    };

    Ok(Parsed::Item(Box::new(Item {
        kind,
        path,
        argument,
        uid,
        gid,
        uid_only_create,
        gid_only_create,
        mode,
        mode_set,
        mask_perms,
        mode_only_create,
        age,
        append_or_force: force,
        allow_failure,
        try_replace,
        device,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::accounts::Accounts;
    use crate::tmpfiles::specifiers::Specifiers;
    use std::path::PathBuf;

    fn ctx<'a>(spec: &'a Specifiers, accounts: &'a Accounts) -> LineContext<'a> {
        LineContext {
            specifiers: spec,
            root: Some(Path::new("/r")),
            boot: false,
            include_prefixes: &[],
            exclude_prefixes: &[],
            accounts,
            credentials: None,
        }
    }

    fn parse(line: &str) -> Result<Parsed, LineProblem> {
        let spec = Specifiers {
            root: Some(PathBuf::from("/r")),
            user: false,
        };
        let accounts = Accounts::default();
        parse_line(line, &ctx(&spec, &accounts), &mut Vec::new())
    }

    fn item(line: &str) -> Item {
        match parse(line) {
            Ok(Parsed::Item(i)) => *i,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn words_quotes_and_the_raw_argument() {
        let i = item("f+ \"/a b//c/\" ~0600 0 root 10d  hello \"world\"\\n");
        assert_eq!(i.path, "/r/a b/c");
        assert_eq!(
            (i.mode, i.mask_perms, i.uid, i.gid),
            (0o600, true, Some(0), Some(0))
        );
        assert_eq!(i.argument.as_deref(), Some(&b"hello \"world\"\n"[..]));
        assert!(i.append_or_force);
        assert_eq!(parse("f '/open"), Err(LineProblem::BadQuoting));
        assert_eq!(parse("f"), Err(LineProblem::TooFewFields));
        assert_eq!(
            parse("\"\" /x"),
            Err(LineProblem::CommandTooShort(String::new()))
        );
        assert_eq!(
            parse("c~ /x - - - - MTozCg=="),
            Err(LineProblem::Base64Unsupported("device node creation"))
        );
    }

    #[test]
    fn defaults_and_modifiers() {
        let d = item("d /x");
        assert_eq!((d.mode, d.mode_set, d.uid), (0o755, false, None));
        assert_eq!(item("f /x").mode, 0o644);
        assert!(item("d /x :0700").mode_only_create);
        assert_eq!(parse("d! /x"), Ok(Parsed::Skipped(SkipReason::BootOnly)));
        assert_eq!(
            parse("d!! /x"),
            Err(LineProblem::UnknownModifiers("d!!".into()))
        );
        assert_eq!(
            item("f~ /x - - - - aGVsbG8K").argument.as_deref(),
            Some(&b"hello\n"[..])
        );
        assert_eq!(
            item("L /x").argument.as_deref(),
            Some(&b"/usr/share/factory/x"[..])
        );
        assert_eq!(
            item("C /x").argument.as_deref(),
            Some(&b"/r/usr/share/factory/x"[..])
        );
        assert_eq!(item("f /var/run/x").path, "/r/run/x");
    }

    #[test]
    fn invalid_fields_are_named() {
        assert_eq!(parse("f /x 9999"), Err(LineProblem::BadMode("9999".into())));
        assert_eq!(
            parse("f /x - nobody"),
            Err(LineProblem::UnknownUser("nobody".into()))
        );
        assert_eq!(
            parse("c /x - - - - 1"),
            Err(LineProblem::BadDevice("1".into()))
        );
        assert_eq!(parse("Y /x"), Err(LineProblem::UnknownType('Y')));
        assert_eq!(parse("d x"), Err(LineProblem::RelativePath("x".into())));
        assert_eq!(
            parse("f /x - - - 1x"),
            Err(LineProblem::BadAge("1x".into()))
        );
        assert_eq!(
            parse("f /x - - - - a\\qb"),
            Err(LineProblem::BadEscape("a\\qb".into()))
        );
        assert!(!LineProblem::BadBase64("x".into()).is_invalid_config());
    }
}
