//! `systemd-escape` (systemd-escape(1)), reached through the multi-call binary: escape strings and
//! paths for use in unit names, or undo that.

use clap::Parser;

use crate::unit::name::{self, UnitName, UnitType};

#[derive(Debug, Parser)]
#[command(
    name = "systemd-escape",
    about = "Escape strings for usage in systemd unit names."
)]
struct EscapeOptions {
    #[arg(long, value_name = "SUFFIX")]
    suffix: Option<String>,
    #[arg(long, value_name = "TEMPLATE")]
    template: Option<String>,
    #[arg(short = 'p', long)]
    path: bool,
    #[arg(short = 'u', long)]
    unescape: bool,
    #[arg(short = 'm', long)]
    mangle: bool,
    #[arg(long)]
    instance: bool,
    #[arg(required = true)]
    strings: Vec<String>,
}

fn escape_one(o: &EscapeOptions, s: &str) -> Result<String, String> {
    if o.mangle {
        let suffix = o
            .suffix
            .as_deref()
            .and_then(UnitType::parse)
            .unwrap_or(UnitType::Service);
        return name::mangle(s, suffix)
            .map(|n| n.to_string())
            .map_err(|e| format!("Failed to mangle \"{s}\": {e}"));
    }
    if o.unescape {
        // With --instance (or a --template), the instance of a unit name is what is unescaped.
        let body = if o.instance || o.template.is_some() {
            let unit = UnitName::parse(s).map_err(|_| format!("Failed to unescape string: {s}"))?;
            match unit.instance() {
                Some(i) if !i.is_empty() => i.to_string(),
                _ => return Err(format!("Unit {s} is missing the instance name.")),
            }
        } else {
            s.to_string()
        };
        let out = if o.path {
            name::unescape_path(&body)
        } else {
            name::unescape(&body)
        };
        return out.map_err(|_| "Failed to unescape string: Invalid argument".to_string());
    }
    let escaped = if o.path {
        let escaped = name::escape_path(s).map_err(|_| {
            if s.starts_with('/') {
                format!("Input '{s}' is not a normalized file system path, failed to escape.")
            } else {
                format!("Input '{s}' is not an absolute file system path, failed to escape.")
            }
        })?;
        // Escaped all the same, but it will not unescape to what was given.
        if s.is_empty() {
            eprintln!("Input '' is not a valid file system path, escaping is likely not going be reversible.");
        } else if !s.starts_with('/') {
            eprintln!("Input '{s}' is not an absolute file system path, escaping is likely not going to be reversible.");
        }
        escaped
    } else {
        name::escape(s)
    };
    if let Some(t) = &o.template {
        let template = UnitName::parse(t)
            .ok()
            .filter(UnitName::is_template)
            .ok_or_else(|| format!("Template name {t} is not valid."))?;
        return template
            .with_instance(&escaped)
            .map(|n| n.to_string())
            .map_err(|e| e.to_string());
    }
    Ok(match &o.suffix {
        Some(suffix) => format!("{escaped}.{suffix}"),
        None => escaped,
    })
}

/// Combinations systemd-escape refuses before looking at any string.
fn check_options(o: &EscapeOptions) -> Result<(), String> {
    if let Some(s) = &o.suffix {
        if UnitType::parse(s).is_none() {
            return Err(format!("Invalid unit suffix type \"{s}\"."));
        }
    }
    if o.mangle && (o.suffix.is_some() || o.template.is_some()) {
        return Err("--suffix= and --template= are not compatible with --mangle.".into());
    }
    if o.unescape && o.suffix.is_some() {
        return Err("--suffix is not compatible with --unescape.".into());
    }
    if o.instance && !o.unescape {
        return Err("--instance must be used in conjunction with --unescape.".into());
    }
    Ok(())
}

pub fn systemd_escape_main<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let opts = match EscapeOptions::try_parse_from(argv) {
        Ok(o) => o,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if let Err(msg) = check_options(&opts) {
        eprintln!("{msg}");
        return 1;
    }
    let mut out = Vec::new();
    for s in &opts.strings {
        match escape_one(&opts, s) {
            Ok(e) => out.push(e),
            Err(msg) => {
                eprintln!("{msg}");
                return 1;
            }
        }
    }
    println!("{}", out.join(" "));
    0
}
