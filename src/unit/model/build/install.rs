//! The [Install] section, which systemd 252's manager does not parse (load-fragment-gperf.gperf.in
//! lists its keys without a parser) and install.c's `unit_file_load()` reads at enable time: kept
//! here, specifiers unexpanded, for the install layer.

use super::*;

impl Builder {
    pub(super) fn install_key(&mut self, a: &Assignment) -> bool {
        // [Install] is read by the install layer at enable time; specifiers stay unexpanded here.
        let target = match a.key {
            "WantedBy" => &mut self.config.install.wanted_by,
            "RequiredBy" => &mut self.config.install.required_by,
            "UpheldBy" => &mut self.config.install.upheld_by,
            "Alias" => &mut self.config.install.alias,
            "Also" => &mut self.config.install.also,
            "DefaultInstance" => {
                self.config.install.default_instance =
                    (!a.value.is_empty()).then(|| a.value.to_string());
                return true;
            }
            _ => return false,
        };
        if a.value.is_empty() {
            target.clear();
        }
        target.extend(a.value.split_whitespace().map(str::to_string));
        true
    }
}
