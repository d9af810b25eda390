//! The [Path] settings of systemd.path(5) as systemd 252's load-fragment.c keeps them, with their
//! defaults.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSection {
    /// (`PathExists`-style kind, path).
    pub paths: Vec<(&'static str, String)>,
    pub unit: Option<String>,
    pub make_directory: bool,
    pub directory_mode: String,
}

impl Default for PathSection {
    fn default() -> Self {
        PathSection {
            paths: Vec::new(),
            unit: None,
            make_directory: false,
            directory_mode: "0755".into(),
        }
    }
}
