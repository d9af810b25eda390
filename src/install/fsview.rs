//! How the install layer looks at the file system. install.c answers `list-unit-files` by asking,
//! for every unit, the same questions of the same few directories (is there a file of this name in
//! each search directory, which links in `/etc/systemd/system/*.wants` point at it): hundreds of
//! units times a dozen directories, tens of thousands of system calls. A read-only pass instead
//! uses a snapshot that answers each question once (directory listings, link targets, metadata),
//! and answers "is there a file X in directory D" from D's listing. Verbs that write use the live
//! view, so they never see a stale answer.
//!
//! Below `--root=DIR` every path is handed to the kernel as [`on_disk`] resolves it, inside the
//! root (chase_symlinks() with `CHASE_PREFIX_ROOT`): the paths asked about, remembered and
//! printed stay the ones the search path names (`DIR/etc/systemd/system/…`), while what is read
//! is what the same symlinks lead to inside DIR, as the writes of [`super::plan`] do.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::unit::name::UnitName;
use crate::unit::paths::{on_disk, Last};
use crate::unit::syntax::{self, FileError};

/// One directory entry, with the type readdir() gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
    pub is_symlink: bool,
    pub is_file: bool,
}

/// An io::Error that can be handed out more than once.
#[derive(Debug, Clone, Copy)]
struct StoredError {
    kind: io::ErrorKind,
    errno: Option<i32>,
}

impl StoredError {
    fn of(e: &io::Error) -> StoredError {
        StoredError {
            kind: e.kind(),
            errno: e.raw_os_error(),
        }
    }

    fn rebuild(self) -> io::Error {
        match self.errno {
            Some(n) => io::Error::from_raw_os_error(n),
            None => io::Error::from(self.kind),
        }
    }
}

/// A directory's entries in readdir order, with an index by name.
#[derive(Debug, Default)]
pub struct DirListing {
    entries: Vec<DirEntry>,
    by_name: HashMap<String, usize>,
}

impl DirListing {
    pub fn iter(&self) -> std::slice::Iter<'_, DirEntry> {
        self.entries.iter()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    pub fn get(&self, name: &str) -> Option<&DirEntry> {
        self.by_name.get(name).map(|&i| &self.entries[i])
    }
}

/// A symlink in a configuration directory, as `is-enabled` compares it with a unit: its name,
/// the file name it points to (when asked for), and the template its name is an instance of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub name: String,
    /// `None` when not asked for or unreadable; then `destination_readable` tells which.
    pub destination_name: Option<String>,
    pub destination_readable: bool,
    pub template: Option<String>,
}

/// The symlinks of one directory, with an index from every name a unit could be looked for by
/// (the link's own name, its template, where it points) to the links that carry it.
#[derive(Debug, Default)]
pub struct LinkRecords {
    links: Vec<LinkRecord>,
    by_key: HashMap<String, Vec<usize>>,
}

impl LinkRecords {
    fn new(links: Vec<LinkRecord>) -> LinkRecords {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, link) in links.iter().enumerate() {
            let keys = [
                Some(&link.name),
                link.template.as_ref(),
                link.destination_name.as_ref(),
            ];
            for key in keys.into_iter().flatten() {
                let slots = by_key.entry(key.clone()).or_default();
                if slots.last() != Some(&i) {
                    slots.push(i);
                }
            }
        }
        LinkRecords { links, by_key }
    }

    /// The links that name `unit` in any of the three ways, in readdir order; no other link can
    /// make `unit` enabled.
    pub fn mentioning<'a>(&'a self, unit: &str) -> impl Iterator<Item = &'a LinkRecord> + 'a {
        self.by_key
            .get(unit)
            .into_iter()
            .flatten()
            .map(|&i| &self.links[i])
    }
}

type Listing = Option<Rc<DirListing>>;

/// What a snapshot knows of a directory.
#[derive(Debug, Clone)]
enum DirState {
    Listed(Rc<DirListing>),
    /// It does not exist (it, or a directory above it, is missing).
    Missing,
    /// It exists, or may, but cannot be read.
    Unreadable,
}
type MetaResult = Result<fs::Metadata, StoredError>;
/// Keyed by the path's bytes: hashing a `Path` walks its components, which costs more than the
/// lookups save.
type Table<V> = RefCell<HashMap<OsString, V>>;

#[derive(Debug, Default)]
struct Snapshot {
    listings: Table<DirState>,
    links: Table<Result<PathBuf, StoredError>>,
    lstats: Table<MetaResult>,
    stats: Table<MetaResult>,
    links_by_dir: Table<(bool, Rc<LinkRecords>)>,
    dependency_dirs: Table<Rc<Vec<PathBuf>>>,
    /// Paths as resolved inside the root, symlinks followed.
    resolved_dirs: Table<Result<PathBuf, StoredError>>,
    /// List a directory to answer whether a name exists in it: worth it when many names are
    /// asked (list-unit-files), not for one unit (a stat is cheaper than a large listing).
    list_parents: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FsView {
    snapshot: Option<Rc<Snapshot>>,
    /// The `--root=` directory; `None` for `/`, where the kernel resolves as chase would.
    root: Option<Rc<Path>>,
}

fn read_listing(dir: &Path) -> Listing {
    let entries: Vec<DirEntry> = fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let t = e.file_type().ok()?;
            Some(DirEntry {
                name: e.file_name().to_string_lossy().into_owned(),
                is_dir: t.is_dir(),
                is_symlink: t.is_symlink(),
                is_file: t.is_file(),
            })
        })
        .collect();
    let by_name = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.clone(), i))
        .collect();
    Some(Rc::new(DirListing { entries, by_name }))
}

/// `dir` and file name of `path`, split at the last `/` without parsing components.
fn split_last(path: &Path) -> Option<(&Path, &str)> {
    let bytes = path.as_os_str().as_encoded_bytes();
    let slash = bytes.iter().rposition(|&b| b == b'/')?;
    let name = std::str::from_utf8(&bytes[slash + 1..]).ok()?;
    if name.is_empty() {
        return None;
    }
    let dir = if slash == 0 {
        "/"
    } else {
        path.to_str()?.get(..slash)?
    };
    Some((Path::new(dir), name))
}

fn not_found() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOENT)
}

fn rooted(root: &Path) -> Option<Rc<Path>> {
    (root != Path::new("/")).then(|| Rc::from(root))
}

impl FsView {
    /// Every question goes to the file system (below `root`).
    pub fn live(root: &Path) -> FsView {
        FsView {
            snapshot: None,
            root: rooted(root),
        }
    }

    /// Answers are remembered for the life of this view: for passes that change nothing.
    pub fn snapshot(root: &Path) -> FsView {
        FsView {
            snapshot: Some(Rc::new(Snapshot {
                list_parents: true,
                ..Snapshot::default()
            })),
            root: rooted(root),
        }
    }

    /// Answers are remembered, but a directory is listed only when its entries are asked for:
    /// for a read-only question about one unit.
    pub fn memo(root: &Path) -> FsView {
        FsView {
            snapshot: Some(Rc::default()),
            root: rooted(root),
        }
    }

    /// The path to hand to the kernel for `path` (see [`on_disk`]). In a snapshot, each
    /// directory is resolved once.
    pub fn on_disk(&self, path: &Path, last: Last) -> io::Result<PathBuf> {
        let Some(root) = &self.root else {
            return Ok(path.to_path_buf());
        };
        let Some((dir, name)) = split_last(path).filter(|(_, n)| *n != "." && *n != "..") else {
            return on_disk(root, path, last);
        };
        let resolved = self.followed(dir)?.join(name);
        if last == Last::NoFollow {
            return Ok(resolved);
        }
        // Only a symlink at the end needs resolving again: one lstat() instead of a walk.
        match fs::symlink_metadata(&resolved) {
            Ok(meta) if meta.file_type().is_symlink() => self.followed(path),
            _ => Ok(resolved),
        }
    }

    /// Where `dir` leads, resolved inside the root; remembered in a snapshot.
    fn followed(&self, dir: &Path) -> io::Result<PathBuf> {
        let Some(root) = &self.root else {
            return Ok(dir.to_path_buf());
        };
        let Some(s) = &self.snapshot else {
            return on_disk(root, dir, Last::Follow);
        };
        if let Some(r) = s.resolved_dirs.borrow().get(dir.as_os_str()) {
            return r.clone().map_err(StoredError::rebuild);
        }
        let r = on_disk(root, dir, Last::Follow);
        s.resolved_dirs.borrow_mut().insert(
            dir.as_os_str().to_owned(),
            r.as_ref().map(Clone::clone).map_err(StoredError::of),
        );
        r
    }

    /// The bytes of a unit file, read where its path leads inside the root; errors name the
    /// path as given.
    pub fn read_unit_file(&self, path: &Path) -> Result<Vec<u8>, FileError> {
        let logical = || path.to_path_buf();
        let real = self
            .on_disk(path, Last::Follow)
            .map_err(|source| FileError::Io {
                path: logical(),
                source,
            })?;
        syntax::read_file(&real).map_err(|e| match e {
            FileError::Io { source, .. } => FileError::Io {
                path: logical(),
                source,
            },
            FileError::TooLarge { .. } => FileError::TooLarge { path: logical() },
            FileError::NotRegular { .. } => FileError::NotRegular { path: logical() },
            FileError::Syntax { source, .. } => FileError::Syntax {
                path: logical(),
                source,
            },
        })
    }

    /// A unit file read and parsed ([`syntax::parse_file`] below the root).
    pub fn parse_unit_file(&self, path: &Path) -> Result<syntax::Document, FileError> {
        let bytes = self.read_unit_file(path)?;
        syntax::parse(&bytes).map_err(|source| FileError::Syntax {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The bytes of any other file (a preset file), read where `path` leads inside the root.
    pub fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(self.on_disk(path, Last::Follow)?)
    }

    /// What is known of `dir` without asking the file system, where listing it would not pay.
    fn parent_state(&self, dir: &Path) -> Option<DirState> {
        let s = self.snapshot.as_ref()?;
        if s.list_parents {
            return Some(self.dir_state(dir));
        }
        s.listings.borrow().get(dir.as_os_str()).cloned()
    }

    /// The entries of `dir` in readdir order; `None` when it cannot be read.
    pub fn list_dir(&self, dir: &Path) -> Listing {
        match self.snapshot {
            None => read_listing(&self.followed(dir).ok()?),
            Some(_) => match self.dir_state(dir) {
                DirState::Listed(l) => Some(l),
                DirState::Missing | DirState::Unreadable => None,
            },
        }
    }

    fn dir_state(&self, dir: &Path) -> DirState {
        let real = self.followed(dir);
        let Some(s) = &self.snapshot else {
            return match real.ok().and_then(|r| read_listing(&r)) {
                Some(l) => DirState::Listed(l),
                None => DirState::Unreadable,
            };
        };
        if let Some(state) = s.listings.borrow().get(dir.as_os_str()) {
            return state.clone();
        }
        let state = match real {
            _ if self.known_absent(dir) => DirState::Missing,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => DirState::Missing,
            Err(_) => DirState::Unreadable,
            Ok(real) => match read_listing(&real) {
                Some(l) => DirState::Listed(l),
                None if !real.exists() => DirState::Missing,
                None => DirState::Unreadable,
            },
        };
        s.listings
            .borrow_mut()
            .insert(dir.as_os_str().to_owned(), state.clone());
        state
    }

    /// In a snapshot, a name missing from its directory's listing needs no system call.
    fn known_absent(&self, path: &Path) -> bool {
        if self.snapshot.is_none() {
            return false;
        }
        let Some((dir, name)) = split_last(path) else {
            return false;
        };
        match self.parent_state(dir) {
            Some(DirState::Listed(listing)) => !listing.contains(name),
            Some(DirState::Missing) => true,
            // Left for the real call to explain.
            Some(DirState::Unreadable) | None => false,
        }
    }

    /// The symlinks of `dir`; with `destinations`, each with the file name it points to.
    pub fn links_of(&self, dir: &Path, destinations: bool) -> Rc<LinkRecords> {
        if let Some(s) = &self.snapshot {
            if let Some((had, links)) = s.links_by_dir.borrow().get(dir.as_os_str()) {
                if *had || !destinations {
                    return links.clone();
                }
            }
        }
        let listing = self.list_dir(dir);
        let links = Rc::new(LinkRecords::new(
            listing
                .iter()
                .flat_map(|l| l.iter())
                .filter(|e| e.is_symlink)
                .map(|e| {
                    let destination = destinations.then(|| self.read_link(&dir.join(&e.name)));
                    LinkRecord {
                        name: e.name.clone(),
                        destination_readable: destination.as_ref().is_some_and(|d| d.is_ok()),
                        destination_name: destination
                            .and_then(Result::ok)
                            .and_then(|d| d.file_name().map(|f| f.to_string_lossy().into_owned())),
                        template: UnitName::parse(&e.name)
                            .ok()
                            .and_then(|n| n.template())
                            .map(|t| t.to_string()),
                    }
                })
                .collect(),
        ));
        if let Some(s) = &self.snapshot {
            s.links_by_dir
                .borrow_mut()
                .insert(dir.as_os_str().to_owned(), (destinations, links.clone()));
        }
        links
    }

    /// The `.wants/`, `.requires/` and `.upholds/` directories in `dir`, in readdir order, also
    /// where such a name is a symlink to a directory: the writes of enable go through it, so the
    /// links there are found and removed too (252 skips it, and says `disabled` right after
    /// `enable`).
    pub fn dependency_dirs(&self, dir: &Path) -> Rc<Vec<PathBuf>> {
        if let Some(s) = &self.snapshot {
            if let Some(dirs) = s.dependency_dirs.borrow().get(dir.as_os_str()) {
                return dirs.clone();
            }
        }
        let dirs: Rc<Vec<PathBuf>> = Rc::new(
            self.list_dir(dir)
                .iter()
                .flat_map(|l| l.iter())
                .filter(|e| {
                    let suffix = e.name.rfind('.').map(|d| &e.name[d..]);
                    matches!(suffix, Some(".wants" | ".requires" | ".upholds"))
                        && (e.is_dir
                            || e.is_symlink
                                && self.metadata(&dir.join(&e.name)).is_ok_and(|m| m.is_dir()))
                })
                .map(|e| dir.join(&e.name))
                .collect(),
        );
        if let Some(s) = &self.snapshot {
            s.dependency_dirs
                .borrow_mut()
                .insert(dir.as_os_str().to_owned(), dirs.clone());
        }
        dirs
    }

    /// Whether `dir` may hold an entry `name`: always in the live view; in a snapshot, only if
    /// its listing has it (or it cannot be listed for a reason other than not existing).
    pub fn may_contain(&self, dir: &Path, name: &str) -> bool {
        match self.parent_state(dir) {
            Some(DirState::Listed(listing)) => listing.contains(name),
            Some(DirState::Missing) => false,
            Some(DirState::Unreadable) | None => true,
        }
    }

    /// The type readdir() gave for `path`, where its directory's listing is at hand: lets a pass
    /// over many units skip an lstat()/stat() per file.
    pub fn listed_entry(&self, path: &Path) -> Option<DirEntry> {
        let (dir, name) = split_last(path)?;
        match self.parent_state(dir)? {
            DirState::Listed(listing) => listing.get(name).cloned(),
            DirState::Missing | DirState::Unreadable => None,
        }
    }

    pub fn symlink_metadata(&self, path: &Path) -> io::Result<fs::Metadata> {
        self.remembered(path, |s| &s.lstats, |p| self.lstat(p))
    }

    fn lstat(&self, path: &Path) -> io::Result<fs::Metadata> {
        fs::symlink_metadata(self.on_disk(path, Last::NoFollow)?)
    }

    /// stat(): what lstat() says unless it is a symlink, else where it leads inside the root.
    /// A link to `/dev/null` is a mask whether or not the root has a /dev
    /// (null_or_empty_path_with_root()): that one file is the host's.
    fn stat(&self, path: &Path) -> io::Result<fs::Metadata> {
        let Some(root) = &self.root else {
            return fs::metadata(path);
        };
        let meta = self.lstat(path)?;
        if !meta.file_type().is_symlink() {
            return Ok(meta);
        }
        let followed = self.followed(path)?;
        if followed
            .strip_prefix(root)
            .is_ok_and(|p| p == Path::new("dev/null"))
        {
            return fs::metadata("/dev/null");
        }
        fs::metadata(followed)
    }

    pub fn metadata(&self, path: &Path) -> io::Result<fs::Metadata> {
        // What is not a symlink stats as it lstats: no need to ask twice.
        if let Some(s) = &self.snapshot {
            if let Some(Ok(meta)) = s.lstats.borrow().get(path.as_os_str()) {
                if !meta.file_type().is_symlink() {
                    return Ok(meta.clone());
                }
            }
        }
        self.remembered(path, |s| &s.stats, |p| self.stat(p))
    }

    fn remembered(
        &self,
        path: &Path,
        table: impl Fn(&Snapshot) -> &Table<MetaResult>,
        call: impl Fn(&Path) -> io::Result<fs::Metadata>,
    ) -> io::Result<fs::Metadata> {
        let Some(s) = &self.snapshot else {
            return call(path);
        };
        if let Some(r) = table(s).borrow().get(path.as_os_str()) {
            return r.clone().map_err(StoredError::rebuild);
        }
        let r = if self.known_absent(path) {
            Err(not_found())
        } else {
            call(path)
        };
        table(s).borrow_mut().insert(
            path.as_os_str().to_owned(),
            r.as_ref().map(Clone::clone).map_err(StoredError::of),
        );
        r
    }

    pub fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        let readlink = |p: &Path| fs::read_link(self.on_disk(p, Last::NoFollow)?);
        let Some(s) = &self.snapshot else {
            return readlink(path);
        };
        if let Some(r) = s.links.borrow().get(path.as_os_str()) {
            return r.clone().map_err(StoredError::rebuild);
        }
        let r = if self.known_absent(path) {
            Err(not_found())
        } else {
            readlink(path)
        };
        s.links.borrow_mut().insert(
            path.as_os_str().to_owned(),
            r.as_ref().map(Clone::clone).map_err(StoredError::of),
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_answers_like_the_file_system_and_remembers() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.service"), "").unwrap();
        std::os::unix::fs::symlink("a.service", dir.path().join("b.service")).unwrap();
        let view = FsView::snapshot(Path::new("/"));
        let live = FsView::live(Path::new("/"));
        for v in [&view, &live] {
            assert!(v.metadata(&dir.path().join("a.service")).unwrap().is_file());
            assert!(v
                .symlink_metadata(&dir.path().join("b.service"))
                .unwrap()
                .file_type()
                .is_symlink());
            assert_eq!(
                v.read_link(&dir.path().join("b.service")).unwrap(),
                PathBuf::from("a.service")
            );
            let err = v.metadata(&dir.path().join("c.service")).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
        }
        // The snapshot keeps its answers: a file created afterwards stays absent to it.
        fs::write(dir.path().join("c.service"), "").unwrap();
        assert!(view.metadata(&dir.path().join("c.service")).is_err());
        assert!(live.metadata(&dir.path().join("c.service")).is_ok());
        let names: Vec<String> = view
            .list_dir(dir.path())
            .unwrap()
            .iter()
            .map(|e| e.name.clone())
            .collect();
        assert_eq!(names.len(), 2);
    }
}
