//! glibc's getopt_long(3) as systemd's small tools call it: options and operands in any order
//! (unless `POSIXLY_CORRECT` is set), `--` ending the options, long options abbreviated to any
//! unambiguous prefix, `--name=value` or `--name value`, clustered short options, and glibc's own
//! error messages, which scripts and users see verbatim (`systemd-escape: unrecognized option
//! '--bogus'`). Clap words these differently and cannot take abbreviations, so the tools whose
//! output must match systemd's byte for byte parse with this instead.

/// Whether an option takes a value, as `struct option`'s `has_arg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HasArg {
    No,
    /// `--x=V`, `--x V`, `-xV` or `-x V`.
    Required,
    /// Only attached: `--x=V` (or `-xV`); a bare `--x` has none.
    Optional,
}

/// One option a tool accepts: its short letter and/or long name, and what it stands for.
#[derive(Debug, Clone, Copy)]
pub struct OptSpec<T> {
    pub short: Option<char>,
    pub long: Option<&'static str>,
    pub has_arg: HasArg,
    pub id: T,
    /// Whether a prefix of the long name selects it.
    pub abbreviable: bool,
}

impl<T: Copy> OptSpec<T> {
    pub const fn long(name: &'static str, has_arg: HasArg, id: T) -> OptSpec<T> {
        OptSpec {
            short: None,
            long: Some(name),
            has_arg,
            id,
            abbreviable: true,
        }
    }

    pub const fn both(short: char, name: &'static str, has_arg: HasArg, id: T) -> OptSpec<T> {
        OptSpec {
            short: Some(short),
            long: Some(name),
            has_arg,
            id,
            abbreviable: true,
        }
    }

    /// Taken only when its long name is spelled out: for options a tool has beyond the systemd
    /// version it mirrors, so that abbreviations keep meaning what they meant there.
    pub const fn spelled_out(self) -> OptSpec<T> {
        OptSpec {
            abbreviable: false,
            ..self
        }
    }
}

/// The options of a command line in the order given, and the operands left over.
pub struct Getopt<'a, T> {
    prog: String,
    args: Vec<String>,
    specs: &'a [OptSpec<T>],
    next: usize,
    /// The rest of a cluster of short options being read (`-up` after `u`).
    cluster: Option<String>,
    operands: Vec<String>,
    /// `POSIXLY_CORRECT`: the first operand ends the options.
    stop_at_operand: bool,
    failed: bool,
}

impl<'a, T: Copy + PartialEq> Getopt<'a, T> {
    /// `argv` includes the program name, which glibc's messages start with as it was invoked.
    pub fn new(argv: Vec<String>, specs: &'a [OptSpec<T>]) -> Getopt<'a, T> {
        let mut args = argv.into_iter();
        let prog = args.next().unwrap_or_default();
        Getopt {
            prog,
            args: args.collect(),
            specs,
            next: 0,
            cluster: None,
            operands: Vec::new(),
            stop_at_operand: std::env::var_os("POSIXLY_CORRECT").is_some(),
            failed: false,
        }
    }

    /// getopt_long()'s `+` in front of the short options: the first operand ends the options
    /// (what follows is a command line with options of its own).
    pub fn stop_at_first_operand(mut self) -> Self {
        self.stop_at_operand = true;
        self
    }

    /// The operands, once every option was taken (or an error ended the parsing).
    pub fn into_operands(mut self) -> Vec<String> {
        if !self.failed {
            self.operands
                .extend(self.args.drain(self.next.min(self.args.len())..));
        }
        self.operands
    }

    fn fail(&mut self, message: String) -> Option<Result<(T, Option<String>), String>> {
        self.failed = true;
        Some(Err(format!("{}: {message}", self.prog)))
    }

    fn short(&mut self, rest: String) -> Option<Result<(T, Option<String>), String>> {
        let mut chars = rest.chars();
        let c = chars.next()?;
        let tail: String = chars.collect();
        let Some(spec) = self.specs.iter().find(|s| s.short == Some(c)) else {
            return self.fail(format!("invalid option -- '{c}'"));
        };
        let value = match spec.has_arg {
            HasArg::No => {
                self.cluster = (!tail.is_empty()).then_some(tail);
                None
            }
            HasArg::Optional => (!tail.is_empty()).then_some(tail),
            HasArg::Required if !tail.is_empty() => Some(tail),
            HasArg::Required => match self.args.get(self.next) {
                Some(v) => {
                    self.next += 1;
                    Some(v.clone())
                }
                None => return self.fail(format!("option requires an argument -- '{c}'")),
            },
        };
        Some(Ok((spec.id, value)))
    }

    fn long(&mut self, body: &str) -> Option<Result<(T, Option<String>), String>> {
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let named = |s: &&OptSpec<T>| s.abbreviable && s.long.is_some_and(|l| l.starts_with(name));
        let spec = match self.specs.iter().find(|s| s.long == Some(name)) {
            Some(exact) => exact,
            None => {
                let candidates: Vec<&OptSpec<T>> = self.specs.iter().filter(named).collect();
                let Some(first) = candidates.first().copied() else {
                    return self.fail(format!("unrecognized option '--{body}'"));
                };
                // glibc takes a prefix of several names when they all mean the same.
                if candidates
                    .iter()
                    .any(|c| c.has_arg != first.has_arg || c.id != first.id)
                {
                    let names: Vec<String> = candidates
                        .iter()
                        .filter_map(|c| c.long)
                        .map(|l| format!(" '--{l}'"))
                        .collect();
                    return self.fail(format!(
                        "option '--{body}' is ambiguous; possibilities:{}",
                        names.concat()
                    ));
                }
                first
            }
        };
        let full = spec.long.unwrap_or(name);
        let value = match (spec.has_arg, value) {
            (HasArg::No, Some(_)) => {
                return self.fail(format!("option '--{full}' doesn't allow an argument"))
            }
            (HasArg::Required, None) => match self.args.get(self.next) {
                Some(v) => {
                    self.next += 1;
                    Some(v.clone())
                }
                None => return self.fail(format!("option '--{full}' requires an argument")),
            },
            (_, value) => value,
        };
        Some(Ok((spec.id, value)))
    }
}

impl<T: Copy + PartialEq> Iterator for Getopt<'_, T> {
    /// An option with its value, or glibc's message (program name included) for a bad one, after
    /// which the parsing is over.
    type Item = Result<(T, Option<String>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if let Some(rest) = self.cluster.take() {
            return self.short(rest);
        }
        loop {
            let arg = self.args.get(self.next)?.clone();
            if arg == "--" {
                self.next += 1;
                self.operands.extend(self.args.drain(self.next..));
                return None;
            }
            if arg.len() < 2 || !arg.starts_with('-') {
                if self.stop_at_operand {
                    return None;
                }
                self.operands.push(arg);
                self.next += 1;
                continue;
            }
            self.next += 1;
            return match arg.strip_prefix("--") {
                Some(body) => self.long(body),
                None => self.short(arg[1..].to_string()),
            };
        }
    }
}

/// The arguments as strings; bytes that are not UTF-8 become U+FFFD (systemd's tools see the raw
/// bytes, but none of their options or unit names can hold such bytes anyway).
pub fn argv_strings<I, T>(argv: I) -> Vec<String>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    argv.into_iter()
        .map(|a| a.into().to_string_lossy().into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum O {
        Help,
        Path,
        Unescape,
        Suffix,
        Template,
        Pid,
    }

    const SPECS: &[OptSpec<O>] = &[
        OptSpec::both('h', "help", HasArg::No, O::Help),
        OptSpec::both('p', "path", HasArg::No, O::Path),
        OptSpec::both('u', "unescape", HasArg::No, O::Unescape),
        OptSpec::long("suffix", HasArg::Required, O::Suffix),
        OptSpec::long("template", HasArg::Required, O::Template),
        OptSpec::long("pid", HasArg::Optional, O::Pid),
    ];

    type Parsed = (Vec<Result<(O, Option<String>), String>>, Vec<String>);

    fn parse(args: &[&str]) -> Parsed {
        let mut argv = vec!["/usr/bin/tool".to_string()];
        argv.extend(args.iter().map(|s| s.to_string()));
        let mut g = Getopt::new(argv, SPECS);
        let opts: Vec<_> = g.by_ref().collect();
        (opts, g.into_operands())
    }

    #[test]
    fn options_and_operands_mix_until_double_dash() {
        let (opts, rest) = parse(&["a", "-pu", "b", "--suffix", "mount", "--", "-p", "--x"]);
        assert_eq!(
            opts,
            vec![
                Ok((O::Path, None)),
                Ok((O::Unescape, None)),
                Ok((O::Suffix, Some("mount".into())))
            ]
        );
        assert_eq!(rest, ["a", "b", "-p", "--x"]);
        let (_, rest) = parse(&["-", "x"]);
        assert_eq!(rest, ["-", "x"], "a lone dash is an operand");
    }

    #[test]
    fn long_options_abbreviate_and_take_values_like_glibc() {
        let (opts, _) = parse(&["--temp=a@.service", "--su=x", "--pid", "--pid=", "--pid=7"]);
        assert_eq!(
            opts,
            vec![
                Ok((O::Template, Some("a@.service".into()))),
                Ok((O::Suffix, Some("x".into()))),
                Ok((O::Pid, None)),
                Ok((O::Pid, Some(String::new()))),
                Ok((O::Pid, Some("7".into()))),
            ]
        );
        let (opts, _) = parse(&["--suffix", "--path"]);
        assert_eq!(opts, vec![Ok((O::Suffix, Some("--path".into())))]);
    }

    #[test]
    fn errors_are_worded_as_glibcs_and_end_the_parsing() {
        let first_error = |args: &[&str]| parse(args).0.into_iter().find_map(Result::err);
        assert_eq!(
            first_error(&["--bogus=1", "--path"]).as_deref(),
            Some("/usr/bin/tool: unrecognized option '--bogus=1'")
        );
        assert_eq!(
            first_error(&["-px"]).as_deref(),
            Some("/usr/bin/tool: invalid option -- 'x'")
        );
        assert_eq!(
            first_error(&["--pa=1"]).as_deref(),
            Some("/usr/bin/tool: option '--path' doesn't allow an argument")
        );
        assert_eq!(
            first_error(&["--suffix"]).as_deref(),
            Some("/usr/bin/tool: option '--suffix' requires an argument")
        );
        assert_eq!(
            first_error(&["--p"]).as_deref(),
            Some("/usr/bin/tool: option '--p' is ambiguous; possibilities: '--path' '--pid'")
        );
        let (opts, rest) = parse(&["-x", "-p", "a"]);
        assert_eq!(opts.len(), 1, "nothing is parsed after an error");
        assert!(rest.is_empty());
    }
}
