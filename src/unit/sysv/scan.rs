//! systemd-sysv-generator's enumerate_sysv(), set_dependencies_from_rcnd() and load_sysv()'s
//! reading of the script (systemd 252 `src/sysv-generator/sysv-generator.c`): the init scripts
//! in the init directories, the `S??NAME` links in the rcN.d directories, and the start-priority
//! ordering of scripts without LSB headers.

use std::collections::{BTreeMap, HashSet};
use std::env;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{
    translate_name, GeneratedUnit, Stub, SysvError, SysvScan, DEFAULT_SYSVINIT_DIRS,
    DEFAULT_SYSVRCND_DIRS, MAX_SCRIPT_SIZE,
};
use crate::unit::paths::{normalize, on_disk, Last};

/// The rcN.d directories that pull services in, and the targets they stand for. The shutdown
/// runlevels 0 and 6 are left out, as the generator does: default dependencies stop services anyway.
const RUNLEVEL_TARGETS: &[(&str, &str)] = &[
    ("rc1.d", "rescue.target"),
    ("rc2.d", "multi-user.target"),
    ("rc3.d", "multi-user.target"),
    ("rc4.d", "multi-user.target"),
    ("rc5.d", "graphical.target"),
];

/// Where the generator looks for init scripts and rcN.d directories, as paths inside `root`.
#[derive(Debug, Clone)]
pub struct SysvLayout {
    pub root: PathBuf,
    /// Directories of init scripts, in precedence order (`$SYSTEMD_SYSVINIT_PATH`).
    pub init_dirs: Vec<PathBuf>,
    /// Directories holding `rc1.d` … `rc5.d` (`$SYSTEMD_SYSVRCND_PATH`).
    pub rcnd_dirs: Vec<PathBuf>,
}

impl SysvLayout {
    /// Debian's compiled-in directories below `root`.
    pub fn debian(root: &Path) -> SysvLayout {
        SysvLayout {
            root: root.to_path_buf(),
            init_dirs: DEFAULT_SYSVINIT_DIRS.iter().map(PathBuf::from).collect(),
            rcnd_dirs: DEFAULT_SYSVRCND_DIRS.iter().map(PathBuf::from).collect(),
        }
    }

    /// The generator's directories: `$SYSTEMD_SYSVINIT_PATH` and `$SYSTEMD_SYSVRCND_PATH` (lists
    /// separated by `:`) where set and naming an absolute directory, else Debian's; all below `root`.
    pub fn from_env(root: &Path) -> SysvLayout {
        SysvLayout::with_overrides(
            root,
            env::var("SYSTEMD_SYSVINIT_PATH").ok().as_deref(),
            env::var("SYSTEMD_SYSVRCND_PATH").ok().as_deref(),
        )
    }

    fn with_overrides(root: &Path, init: Option<&str>, rcnd: Option<&str>) -> SysvLayout {
        let mut layout = SysvLayout::debian(root);
        for (dirs, value) in [(&mut layout.init_dirs, init), (&mut layout.rcnd_dirs, rcnd)] {
            let mut listed: Vec<PathBuf> = Vec::new();
            for dir in value
                .unwrap_or_default()
                .split(':')
                .filter(|d| !d.is_empty())
            {
                let dir = normalize(Path::new(dir));
                if dir.is_absolute() && !listed.contains(&dir) {
                    listed.push(dir);
                }
            }
            if !listed.is_empty() {
                *dirs = listed;
            }
        }
        layout
    }

    /// Where `inside` is on disk: resolved inside the root as every reader below a root does
    /// ([`on_disk`]), so an absolute symlink such as `/etc/init.d -> /opt/init.d` never reads
    /// the host's scripts.
    fn real(&self, inside: &Path) -> PathBuf {
        let lexical = self.root.join(inside.strip_prefix("/").unwrap_or(inside));
        on_disk(&self.root, &lexical, Last::Follow).unwrap_or(lexical)
    }

    /// Runs the generator over every script. `native_exists(name)` tells whether a native unit
    /// file (or mask) of that name is in the unit search path, which makes the generator skip the
    /// script; [`native_unit_exists`] is that check for a [`LookupPaths`].
    pub fn generate_all(&self, native_exists: &dyn Fn(&str) -> bool) -> SysvScan {
        let mut stubs = self.enumerate_scripts(native_exists);
        self.apply_runlevel_links(&mut stubs);
        let mut scan = SysvScan::default();
        for stub in stubs.values_mut() {
            match self.read_script(&stub.path) {
                Ok(text) => stub.load(&text),
                Err(e) => scan.errors.push(e),
            }
        }
        order_by_start_priority(&mut stubs);
        let mut claimed: HashSet<String> = stubs
            .values()
            .filter(|s| s.header.is_some())
            .map(|s| s.name.clone())
            .collect();
        for stub in stubs.values() {
            if let Some(unit) = stub.to_unit(&mut claimed) {
                scan.units.push(unit);
            }
        }
        scan
    }

    /// The unit the generator would make from `script_inside` (a path inside the root): `None`
    /// when it would make none, because the script is not an executable regular file in one of
    /// the init directories, another script of that unit name comes first, or a native unit of
    /// that name exists. Reads every script, as the others' start priorities and `Provides:` claims
    /// change this unit.
    pub fn generate(
        &self,
        script_inside: &Path,
        native_exists: &dyn Fn(&str) -> bool,
    ) -> Result<Option<GeneratedUnit>, SysvError> {
        let script_inside = normalize(script_inside);
        let scan = self.generate_all(native_exists);
        if let Some(unit) = scan
            .units
            .into_iter()
            .find(|u| u.source_path == script_inside)
        {
            return Ok(Some(unit));
        }
        match scan
            .errors
            .into_iter()
            .find(|e| e.path() == self.real(&script_inside))
        {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    fn enumerate_scripts(&self, native_exists: &dyn Fn(&str) -> bool) -> BTreeMap<String, Stub> {
        let mut stubs = BTreeMap::new();
        for dir in &self.init_dirs {
            for file_name in sorted_entries(&self.real(dir)) {
                let path = dir.join(&file_name);
                let Ok(meta) = fs::metadata(self.real(&path)) else {
                    continue;
                };
                if meta.permissions().mode() & 0o100 == 0 || !meta.is_file() {
                    continue;
                }
                let Some(name) = translate_name(&file_name) else {
                    continue;
                };
                if stubs.contains_key(&name) || native_exists(&name) {
                    continue;
                }
                stubs.insert(name.clone(), Stub::new(name, path));
            }
        }
        stubs
    }

    fn apply_runlevel_links(&self, stubs: &mut BTreeMap<String, Stub>) {
        let mut runlevels: Vec<Vec<String>> = vec![Vec::new(); RUNLEVEL_TARGETS.len()];
        for dir in &self.rcnd_dirs {
            for (members, (rcnd, _)) in runlevels.iter_mut().zip(RUNLEVEL_TARGETS) {
                for link in sorted_entries(&self.real(&dir.join(rcnd))) {
                    let Some((priority, script)) = parse_start_link(&link) else {
                        continue;
                    };
                    let Some(name) = translate_name(script) else {
                        continue;
                    };
                    let Some(stub) = stubs.get_mut(&name) else {
                        continue;
                    };
                    stub.start_priority = stub.start_priority.max(Some(priority));
                    if !members.contains(&name) {
                        members.push(name);
                    }
                }
            }
        }
        for (members, (_, target)) in runlevels.iter().zip(RUNLEVEL_TARGETS) {
            for name in members {
                if let Some(stub) = stubs.get_mut(name) {
                    stub.before.push(target.to_string());
                    stub.wanted_by.push(target.to_string());
                }
            }
        }
    }

    fn read_script(&self, inside: &Path) -> Result<String, SysvError> {
        let path = self.real(inside);
        let read_err = |source| SysvError::Read {
            path: path.clone(),
            source,
        };
        let file = fs::File::open(&path).map_err(read_err)?;
        let mut bytes = Vec::new();
        file.take(MAX_SCRIPT_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        if bytes.len() as u64 > MAX_SCRIPT_SIZE {
            return Err(SysvError::TooLarge { path });
        }
        if bytes.contains(&0) {
            return Err(SysvError::Binary { path });
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn sorted_entries(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// `S20exim4` → `(20, "exim4")`.
fn parse_start_link(link: &str) -> Option<(u8, &str)> {
    let rest = link.strip_prefix('S')?;
    let digits = rest.get(..2)?;
    let script = rest.get(2..).filter(|s| !s.is_empty())?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, script))
}

/// Scripts without LSB headers are ordered among the others by their rc link priorities, as
/// SysV init would have run them.
fn order_by_start_priority(stubs: &mut BTreeMap<String, Stub>) {
    let ranked: Vec<(String, u8, bool)> = stubs
        .values()
        .filter_map(|s| {
            let header = s.header.as_ref()?;
            Some((s.name.clone(), s.start_priority?, header.has_lsb))
        })
        .collect();
    for (name, priority, has_lsb) in &ranked {
        let Some(stub) = stubs.get_mut(name) else {
            continue;
        };
        for (other, other_priority, other_has_lsb) in &ranked {
            if other == name || (*has_lsb && *other_has_lsb) {
                continue;
            }
            if other_priority < priority {
                stub.after.push(other.clone());
            } else if other_priority > priority {
                stub.before.push(other.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::sysv::generate;

    fn root_with(scripts: &[(&str, &str, u32)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let init_d = dir.path().join("etc/init.d");
        fs::create_dir_all(&init_d).expect("mkdir");
        for (name, text, mode) in scripts {
            let path = init_d.join(name);
            fs::write(&path, text).expect("write");
            fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).expect("chmod");
        }
        dir
    }

    fn no_native(_: &str) -> bool {
        false
    }

    const LSB: &str = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: foo foo-alias $foo-ready\n\
        # Required-Start: $network $local_fs\n# Short-Description: Foo\n### END INIT INFO\n\
        echo \"Usage: foo {start|stop|reload}\"\n";

    #[test]
    fn generate_reads_one_script_with_its_links_and_aliases() {
        let dir = root_with(&[("foo", LSB, 0o755)]);
        let rc2 = dir.path().join("etc/rc2.d");
        fs::create_dir_all(&rc2).expect("mkdir");
        std::os::unix::fs::symlink("../init.d/foo", rc2.join("S01foo")).expect("link");
        let unit = generate(dir.path(), Path::new("/etc/init.d/./foo"), &no_native)
            .expect("readable")
            .expect("eligible");
        assert_eq!(unit.name, "foo.service");
        assert_eq!(unit.source_path, Path::new("/etc/init.d/foo"));
        assert_eq!(unit.wanted_by, ["multi-user.target"]);
        assert_eq!(unit.aliases, ["foo-alias.service"]);
        for line in [
            "SourcePath=/etc/init.d/foo\nDescription=LSB: Foo\n",
            "Before=multi-user.target\nBefore=foo-ready.target\n",
            "After=network-online.target\nWants=foo-ready.target\nWants=network-online.target\n",
            "SuccessExitStatus=5 6\nExecStart=/etc/init.d/foo start\n",
            "ExecReload=/etc/init.d/foo reload\n",
        ] {
            assert!(unit.text.contains(line), "{line:?} not in\n{}", unit.text);
        }
    }

    /// An image keeping /etc/init.d on a volume (`/etc/init.d -> /data/init.d`): below a root
    /// the link leads to the root's /data, never to the host's.
    #[test]
    fn absolute_symlinked_init_d_is_read_inside_the_root() {
        let dir = root_with(&[("foo", LSB, 0o755)]);
        let data = dir.path().join("data");
        fs::create_dir_all(&data).expect("mkdir");
        fs::rename(dir.path().join("etc/init.d"), data.join("init.d")).expect("move");
        std::os::unix::fs::symlink("/data/init.d", dir.path().join("etc/init.d")).expect("link");
        let unit = generate(dir.path(), Path::new("/etc/init.d/foo"), &no_native)
            .expect("readable")
            .expect("eligible");
        assert_eq!(unit.name, "foo.service");
    }

    #[test]
    fn ineligible_scripts_make_no_unit() {
        let dir = root_with(&[("plain", LSB, 0o644), ("native", LSB, 0o755)]);
        fs::create_dir_all(dir.path().join("etc/init.d/subdir")).expect("mkdir");
        let native = |name: &str| name == "native.service";
        for script in ["plain", "native", "subdir", "missing"] {
            let inside = Path::new("/etc/init.d").join(script);
            let got = generate(dir.path(), &inside, &native).expect("no error");
            assert_eq!(got, None, "{script}");
        }
    }

    #[test]
    fn the_first_script_of_a_name_wins() {
        let dir = root_with(&[("foo", LSB, 0o755), ("foo.sh", LSB, 0o755)]);
        let scan = SysvLayout::debian(dir.path()).generate_all(&no_native);
        let names: Vec<&Path> = scan.units.iter().map(|u| u.source_path.as_path()).collect();
        assert_eq!(names, [Path::new("/etc/init.d/foo")]);
    }

    #[test]
    fn binary_and_huge_scripts_are_errors_naming_the_file() {
        let huge = "#".repeat(MAX_SCRIPT_SIZE as usize + 1);
        let dir = root_with(&[("elf", "\x7fELF\0\0\0", 0o755), ("huge", &huge, 0o755)]);
        let err =
            generate(dir.path(), Path::new("/etc/init.d/elf"), &no_native).expect_err("binary");
        assert!(matches!(err, SysvError::Binary { .. }));
        assert!(err.to_string().contains("/etc/init.d/elf"), "{err}");
        let err =
            generate(dir.path(), Path::new("/etc/init.d/huge"), &no_native).expect_err("huge");
        assert!(matches!(err, SysvError::TooLarge { .. }));
        assert!(err.to_string().contains("/etc/init.d/huge"), "{err}");
        let scan = SysvLayout::debian(dir.path()).generate_all(&no_native);
        assert!(scan.units.is_empty());
        assert_eq!(scan.errors.len(), 2);
    }

    #[test]
    fn a_vanished_script_is_a_read_error_naming_the_file() {
        let dir = root_with(&[]);
        let layout = SysvLayout::debian(dir.path());
        let err = layout
            .read_script(Path::new("/etc/init.d/gone"))
            .expect_err("missing");
        assert!(matches!(err, SysvError::Read { .. }));
        assert!(err.to_string().contains("/etc/init.d/gone"), "{err}");
    }

    #[test]
    fn non_utf8_text_is_read_lossily() {
        let dir = tempfile::tempdir().expect("tempdir");
        let init_d = dir.path().join("etc/init.d");
        fs::create_dir_all(&init_d).expect("mkdir");
        fs::write(
            init_d.join("latin1"),
            b"#!/bin/sh\n# Author: Fran\xe7ois\n### BEGIN INIT INFO\n# Short-Description: ok\n### END INIT INFO\n",
        )
        .expect("write");
        fs::set_permissions(init_d.join("latin1"), fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let unit = generate(dir.path(), Path::new("/etc/init.d/latin1"), &no_native)
            .expect("readable")
            .expect("eligible");
        assert!(unit.text.contains("Description=LSB: ok\n"));
    }

    #[test]
    fn start_links_need_s_and_two_digits() {
        assert_eq!(parse_start_link("S01slapd"), Some((1, "slapd")));
        assert_eq!(parse_start_link("S99x"), Some((99, "x")));
        for bad in ["K01slapd", "S1slapd", "S01", "Sxyfoo", "README"] {
            assert_eq!(parse_start_link(bad), None, "{bad}");
        }
    }

    #[test]
    fn search_path_overrides_replace_the_defaults() {
        let root = Path::new("/r");
        let layout = SysvLayout::with_overrides(root, Some("/a:rel:/b/./:/a"), Some(""));
        assert_eq!(layout.init_dirs, [Path::new("/a"), Path::new("/b")]);
        assert_eq!(layout.rcnd_dirs, [Path::new("/etc")]);
        let layout = SysvLayout::with_overrides(root, None, Some("/x"));
        assert_eq!(layout.init_dirs, [Path::new("/etc/init.d")]);
        assert_eq!(layout.rcnd_dirs, [Path::new("/x")]);
    }
}
