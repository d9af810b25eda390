//! The [Path] section, as systemd 252's load-fragment.c parses it (`config_parse_path_spec()`,
//! `config_parse_trigger_unit()` and the other parsers load-fragment-gperf.gperf.in lists under
//! `Path.`).

use super::*;

impl Builder {
    pub(super) fn path_key(&mut self, a: &Assignment) -> bool {
        let value = a.value;
        let kind = match a.key {
            "PathExists" => Some("PathExists"),
            "PathExistsGlob" => Some("PathExistsGlob"),
            "PathChanged" => Some("PathChanged"),
            "PathModified" => Some("PathModified"),
            "DirectoryNotEmpty" => Some("DirectoryNotEmpty"),
            _ => None,
        };
        if let Some(kind) = kind {
            if value.is_empty() {
                self.path.paths.clear();
            } else if let Some(p) = self.printf(a, value) {
                if p.starts_with('/') {
                    self.path.paths.push((kind, p));
                } else {
                    let msg = format!("Path '{p}' is not absolute, ignoring.");
                    self.warn(a, msg);
                }
            }
            return true;
        }
        match a.key {
            "Unit" => {
                let set = self.path.unit.is_some();
                if let Some(name) = self.trigger_unit(a, value, set) {
                    self.path.unit = Some(name);
                }
            }
            "MakeDirectory" => match parse_boolean(value) {
                Some(v) => self.path.make_directory = v,
                None => self.invalid(a),
            },
            "DirectoryMode" => match u32::from_str_radix(value, 8) {
                Ok(m) if m <= 0o7777 => self.path.directory_mode = format!("{m:04o}"),
                _ => self.invalid(a),
            },
            _ => return false,
        }
        true
    }
}
