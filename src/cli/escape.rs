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
        let body = if o.instance {
            UnitName::parse(s)
                .ok()
                .and_then(|n| n.instance().map(str::to_string))
                .ok_or_else(|| format!("Unit {s} is not an instance."))?
        } else {
            s.to_string()
        };
        let out = if o.path {
            name::unescape_path(&body)
        } else {
            name::unescape(&body, false)
        };
        return out.map_err(|e| format!("Failed to unescape string: {e}"));
    }
    let escaped = if o.path {
        name::escape_path(s).map_err(|e| format!("Failed to escape string: {e}"))?
    } else {
        name::escape(s)
    };
    if let Some(t) = &o.template {
        let template = UnitName::parse(t)
            .ok()
            .filter(UnitName::is_template)
            .ok_or_else(|| "Template name is not valid.".to_string())?;
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
    if let Some(s) = &opts.suffix {
        if UnitType::parse(s).is_none() {
            eprintln!("Invalid unit suffix type \"{s}\".");
            return 1;
        }
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
