//! Preset policy of systemd.preset(5) as install.c reads it (read_presets(), query_presets()):
//! `*.preset` files from the preset directories, ordered by file name with the earlier directory
//! winning for the same name; the first matching `enable`/`disable` line decides, `enable`
//! lines may list instances of a template, and a unit no line matches is enabled.

use super::context::conf_files;
use super::fsview::FsView;
use super::InstallError;
use crate::sys::glob::glob_match;
use crate::unit::name::UnitName;
use crate::unit::paths::LookupPaths;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetAction {
    Enable,
    Disable,
    /// `ignore`: leave the unit as it is.
    // Divergence: systemd 252 does not know `ignore` lines (it warns "Couldn't parse line" and
    // skips them); later systemd versions do, and our brief asks for them.
    Ignore,
}

impl PresetAction {
    /// The word of `list-unit-files`' PRESET column and of `UnitFilePreset=`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PresetAction::Enable => "enabled",
            PresetAction::Disable => "disabled",
            PresetAction::Ignore => "ignored",
        }
    }
}

#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    action: PresetAction,
    /// `enable foo@.service a b`: the instances to enable.
    instances: Option<Vec<String>>,
}

/// All preset rules in the order they apply.
#[derive(Debug, Clone, Default)]
pub struct Presets {
    rules: Vec<Rule>,
}

/// first_word(): the rest of `line` after `word` and whitespace, if `line` starts with that word.
fn after_word<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(word)?;
    if rest.is_empty() {
        return Some(rest);
    }
    if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    Some(rest.trim_start())
}

impl Presets {
    /// Read every preset file; warnings about lines that do not parse go to `warnings`, also
    /// those of the files read before one that cannot be read (252 logs them as it goes).
    pub fn read(lookup: &LookupPaths, warnings: &mut Vec<String>) -> Result<Presets, InstallError> {
        let dirs: Vec<_> = lookup.preset_dirs.iter().map(|d| lookup.real(d)).collect();
        let mut presets = Presets::default();
        let view = FsView::live(&lookup.root);
        for file in conf_files(&view, &dirs, ".preset") {
            let bytes = match view.read(&file) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(InstallError::io(&file, e)),
            };
            let text = String::from_utf8_lossy(&bytes);
            for (n, raw) in text.lines().enumerate() {
                let l = raw.trim();
                if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
                    continue;
                }
                let rule = if let Some(p) = after_word(l, "enable") {
                    let mut words = p.split_ascii_whitespace();
                    let pattern = words.next().unwrap_or_default().to_string();
                    let instances: Vec<String> = words.map(str::to_string).collect();
                    if !instances.is_empty()
                        && !UnitName::parse(&pattern).is_ok_and(|n| n.is_template())
                    {
                        None
                    } else {
                        Some(Rule {
                            pattern,
                            action: PresetAction::Enable,
                            instances: (!instances.is_empty()).then_some(instances),
                        })
                    }
                } else if let Some(p) = after_word(l, "disable") {
                    Some(Rule {
                        pattern: p.to_string(),
                        action: PresetAction::Disable,
                        instances: None,
                    })
                } else {
                    after_word(l, "ignore").map(|p| Rule {
                        pattern: p.to_string(),
                        action: PresetAction::Ignore,
                        instances: None,
                    })
                };
                match rule {
                    Some(r) => presets.rules.push(r),
                    None => warnings.push(format!(
                        "{}:{}: Couldn't parse line '{}'. Ignoring.",
                        file.display(),
                        n + 1,
                        l
                    )),
                }
            }
        }
        Ok(presets)
    }

    /// query_presets(): the action for `name`, and for a template named by an `enable` line
    /// with instances, the instance names to enable instead.
    pub fn query(&self, name: &str) -> Result<(PresetAction, Option<Vec<String>>), InstallError> {
        let unit = UnitName::parse(name).map_err(|_| InstallError::Invalid(name.to_string()))?;
        for rule in &self.rules {
            if let Some(instances) = &rule.instances {
                if let Some(found) = match_instances(&unit, &rule.pattern, instances) {
                    return Ok((rule.action, found));
                }
            }
            if glob_match(&rule.pattern, name) {
                return Ok((rule.action, None));
            }
        }
        Ok((PresetAction::Enable, None))
    }
}

/// pattern_match_multiple_instances(): `Some(Some(list))` for the template itself,
/// `Some(None)` for one of the listed instances.
fn match_instances(
    unit: &UnitName,
    pattern: &str,
    instances: &[String],
) -> Option<Option<Vec<String>>> {
    let template = if unit.is_template() {
        unit.clone()
    } else {
        unit.template()?
    };
    if template.as_str() != pattern {
        return None;
    }
    if unit.is_template() {
        let names: Option<Vec<String>> = instances
            .iter()
            .map(|i| unit.with_instance(i).ok().map(|n| n.to_string()))
            .collect();
        return names.map(Some);
    }
    let inst = unit.instance()?;
    instances.iter().any(|i| i == inst).then_some(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn presets(lines: &[&str]) -> (Presets, Vec<String>) {
        let t = tempfile::tempdir().expect("tempdir");
        let dir = t.path().join("etc/systemd/system-preset");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("50-a.preset"), lines.join("\n")).expect("write");
        let lookup =
            LookupPaths::new(crate::unit::paths::Scope::System, Some(t.path())).expect("lookup");
        let mut warnings = Vec::new();
        let p = Presets::read(&lookup, &mut warnings).expect("read presets");
        (p, warnings)
    }

    #[test]
    fn first_matching_line_wins_and_unmatched_units_are_enabled() {
        let (p, warnings) = presets(&[
            "disable a*",
            "enable a.service",
            "ignore b.service",
            "bogus",
        ]);
        assert_eq!(p.query("a.service").unwrap().0, PresetAction::Disable);
        assert_eq!(p.query("b.service").unwrap().0, PresetAction::Ignore);
        assert_eq!(p.query("c.service").unwrap().0, PresetAction::Enable);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].ends_with("50-a.preset:4: Couldn't parse line 'bogus'. Ignoring."));
    }

    #[test]
    fn enable_lines_with_instances_name_the_instances() {
        let (p, _) = presets(&["enable getty@.service tty1 tty2", "disable *"]);
        assert_eq!(
            p.query("getty@.service").unwrap(),
            (
                PresetAction::Enable,
                Some(vec![
                    "getty@tty1.service".into(),
                    "getty@tty2.service".into()
                ])
            )
        );
        assert_eq!(
            p.query("getty@tty2.service").unwrap(),
            (PresetAction::Enable, None)
        );
        assert_eq!(
            p.query("getty@tty3.service").unwrap().0,
            PresetAction::Disable
        );
    }
}
