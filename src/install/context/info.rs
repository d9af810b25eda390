//! install.c's InstallInfo and install_name_printf() (systemd 252 `src/shared/install.c`): one
//! unit with its `[Install]` settings, and the specifiers those settings may use.

use std::path::PathBuf;

use super::FileKind;
use crate::install::paths::InstallPaths;
use crate::unit::name::{NameKind, UnitName};
use crate::unit::specifier::SpecifierContext;

/// One unit as install.c knows it: a name, where its file is, and its `[Install]` settings
/// (unexpanded, as written).
#[derive(Debug, Clone, Default)]
pub struct InstallInfo {
    pub name: String,
    pub path: Option<PathBuf>,
    pub kind: Option<FileKind>,
    /// Where an alias or linked file leads, as a real path.
    pub symlink_target: Option<PathBuf>,
    pub aliases: Vec<String>,
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    pub also: Vec<String>,
    pub default_instance: Option<String>,
    /// Named by another unit's Also=, not by the caller.
    pub auxiliary: bool,
}

impl InstallInfo {
    pub fn has_rules(&self) -> bool {
        !self.aliases.is_empty() || !self.wanted_by.is_empty() || !self.required_by.is_empty()
    }

    pub fn path_or_name(&self) -> String {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| self.name.clone())
    }

    /// install_name_printf(): the specifiers allowed in `[Install]`, with a template's
    /// DefaultInstance= filling in the instance.
    pub fn printf(&self, paths: &InstallPaths, format: &str) -> Result<String, char> {
        let unit = UnitName::parse(&self.name).map_err(|_| 'n')?;
        let with_default = match (&self.default_instance, unit.kind()) {
            (Some(inst), NameKind::Template) => unit.with_instance(inst).ok(),
            _ => None,
        };
        let ctx = SpecifierContext {
            unit: unit.clone(),
            fragment: None,
            scope: paths.scope,
            root: paths.root.clone(),
        };
        let mut out = String::new();
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let spec = chars.next().ok_or('%')?;
            let value = match spec {
                'n' => with_default.as_ref().unwrap_or(&unit).to_string(),
                'N' => with_default.as_ref().unwrap_or(&unit).stem().to_string(),
                'i' => match unit.instance() {
                    Some(i) if !i.is_empty() => i.to_string(),
                    _ => self.default_instance.clone().unwrap_or_default(),
                },
                'p' | 'j' | 'a' | 'A' | 'b' | 'B' | 'H' | 'l' | 'm' | 'M' | 'o' | 'v' | 'w'
                | 'W' | 'g' | 'G' | 'u' | 'U' | '%' => ctx.resolve(spec).map_err(|_| spec)?,
                other => return Err(other),
            };
            out.push_str(&value);
        }
        Ok(out)
    }
}
