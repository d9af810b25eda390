//! The `[Install]` section as install.c's config_parse() table reads it (systemd 252
//! `src/shared/install.c`, `src/shared/conf-parser.c`'s config_parse_strv()): Alias=, WantedBy=,
//! RequiredBy=, DefaultInstance= and Also=, and the warnings about everything else.

use std::path::Path;

use super::alias::may_alias;
use super::Context;
use crate::install::InstallError;
use crate::unit::name::UnitName;
use crate::unit::syntax;

/// Sections a unit file may have; install.c ignores them all but `[Install]`.
const KNOWN_SECTIONS: [&str; 13] = [
    "Install",
    "Unit",
    "Automount",
    "Device",
    "Mount",
    "Path",
    "Scope",
    "Service",
    "Slice",
    "Socket",
    "Swap",
    "Target",
    "Timer",
];

/// Split a list setting as config_parse_strv() does: whitespace-separated words, quotes removed.
pub fn split_words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') => {
                cur.push('\\');
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

impl<'a> Context<'a> {
    /// The warnings of a parsed unit file and the `[Install]` settings it gives unit `i`.
    pub(super) fn apply_install_section(
        &mut self,
        i: usize,
        path: &Path,
        unit: &UnitName,
        doc: &syntax::Document,
    ) -> Result<(), InstallError> {
        for w in &doc.warnings {
            self.warnings
                .push(format!("{}:{}: {}", path.display(), w.line, w.message));
        }
        let mut also_names = Vec::new();
        for section in &doc.sections {
            if section.name.starts_with("X-") {
                continue;
            }
            if !KNOWN_SECTIONS.contains(&section.name.as_str()) {
                self.warnings.push(format!(
                    "{}:{}: Unknown section '{}'. Ignoring.",
                    path.display(),
                    section.line,
                    section.name
                ));
                continue;
            }
            if section.name != "Install" {
                continue;
            }
            for entry in &section.entries {
                let words = split_words(&entry.value);
                let info = &mut self.infos[i];
                let list = match entry.key.as_str() {
                    "Alias" if !may_alias(unit.unit_type()) => {
                        self.warnings.push(format!(
                            "{}:{}: Alias= is not allowed for {} units, ignoring.",
                            path.display(),
                            entry.line,
                            unit.unit_type()
                        ));
                        continue;
                    }
                    "Alias" => &mut info.aliases,
                    "WantedBy" => &mut info.wanted_by,
                    "RequiredBy" => &mut info.required_by,
                    // An instance loaded from its template's file has its own instance.
                    "DefaultInstance" if unit.is_instance() => continue,
                    "DefaultInstance" => {
                        let printed = info.printf(self.paths, &entry.value);
                        match printed {
                            Ok(p) if p.is_empty() => info.default_instance = None,
                            // unit_instance_is_valid(); an invalid value fails the whole file.
                            Ok(p) if !UnitName::parse(&format!("i@{p}.service"))
                                .is_ok_and(|n| n.instance() == Some(p.as_str())) =>
                            {
                                self.warnings.push(format!(
                                    "{}:{}: Invalid DefaultInstance= value \"{p}\".",
                                    path.display(),
                                    entry.line
                                ));
                                return Err(InstallError::Invalid(unit.to_string()));
                            }
                            Ok(p) => info.default_instance = Some(p),
                            Err(_) => self.warnings.push(format!(
                                "{}:{}: Failed to resolve instance name in DefaultInstance=\"{}\": Invalid slot",
                                path.display(),
                                entry.line,
                                entry.value
                            )),
                        }
                        continue;
                    }
                    "Also" => {
                        for w in words {
                            match info.printf(self.paths, &w) {
                                Ok(p) => also_names.push(p),
                                Err(_) => self.warnings.push(format!(
                                    "{}:{}: Failed to resolve unit name in Also=\"{w}\": Invalid slot",
                                    path.display(),
                                    entry.line
                                )),
                            }
                        }
                        continue;
                    }
                    other => {
                        self.warnings.push(format!(
                            "{}:{}: Unknown key '{other}' in section [Install], ignoring.",
                            path.display(),
                            entry.line
                        ));
                        continue;
                    }
                };
                if entry.value.is_empty() {
                    list.clear();
                } else {
                    list.extend(words);
                }
            }
        }
        for also in also_names {
            self.add(Some(&also), None, true)?;
            self.infos[i].also.push(also);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_settings_split_like_config_parse_strv() {
        assert_eq!(
            split_words("a.target  \"b c.target\" 'd'"),
            vec!["a.target", "b c.target", "d"]
        );
        assert!(split_words("   ").is_empty());
    }
}
