//! The item types of tmpfiles.d(5) as systemd 252 `src/tmpfiles/tmpfiles.c` knows them: their letters and which of them take a
//! glob, own what they name or make a directory.

/// The item types of tmpfiles.d(5), by their letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemType {
    CreateFile,
    TruncateFile,
    CreateDirectory,
    TruncateDirectory,
    CreateSubvolume,
    CreateSubvolumeInheritQuota,
    CreateSubvolumeNewQuota,
    CreateFifo,
    CreateSymlink,
    CreateCharDevice,
    CreateBlockDevice,
    CopyFiles,
    WriteFile,
    EmptyDirectory,
    SetXattr,
    RecursiveSetXattr,
    SetAcl,
    RecursiveSetAcl,
    SetAttribute,
    RecursiveSetAttribute,
    IgnorePath,
    IgnoreDirectoryPath,
    RemovePath,
    RecursiveRemovePath,
    RelabelPath,
    RecursiveRelabelPath,
    AdjustMode,
}

const TYPE_LETTERS: &[(char, ItemType)] = &[
    ('f', ItemType::CreateFile),
    ('F', ItemType::TruncateFile),
    ('d', ItemType::CreateDirectory),
    ('D', ItemType::TruncateDirectory),
    ('v', ItemType::CreateSubvolume),
    ('q', ItemType::CreateSubvolumeInheritQuota),
    ('Q', ItemType::CreateSubvolumeNewQuota),
    ('p', ItemType::CreateFifo),
    ('L', ItemType::CreateSymlink),
    ('c', ItemType::CreateCharDevice),
    ('b', ItemType::CreateBlockDevice),
    ('C', ItemType::CopyFiles),
    ('w', ItemType::WriteFile),
    ('e', ItemType::EmptyDirectory),
    ('t', ItemType::SetXattr),
    ('T', ItemType::RecursiveSetXattr),
    ('a', ItemType::SetAcl),
    ('A', ItemType::RecursiveSetAcl),
    ('h', ItemType::SetAttribute),
    ('H', ItemType::RecursiveSetAttribute),
    ('x', ItemType::IgnorePath),
    ('X', ItemType::IgnoreDirectoryPath),
    ('r', ItemType::RemovePath),
    ('R', ItemType::RecursiveRemovePath),
    ('z', ItemType::RelabelPath),
    ('Z', ItemType::RecursiveRelabelPath),
    ('m', ItemType::AdjustMode),
];

impl ItemType {
    pub fn from_letter(c: char) -> Option<ItemType> {
        TYPE_LETTERS.iter().find(|(l, _)| *l == c).map(|(_, t)| *t)
    }

    pub fn letter(self) -> char {
        TYPE_LETTERS
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(l, _)| *l)
            .unwrap_or('?')
    }

    /// Types whose path is a glob pattern.
    pub fn takes_glob(self) -> bool {
        use ItemType::*;
        matches!(
            self,
            WriteFile
                | IgnorePath
                | IgnoreDirectoryPath
                | RemovePath
                | RecursiveRemovePath
                | EmptyDirectory
                | AdjustMode
                | RelabelPath
                | RecursiveRelabelPath
                | SetXattr
                | RecursiveSetXattr
                | SetAcl
                | RecursiveSetAcl
                | SetAttribute
                | RecursiveSetAttribute
        )
    }

    /// Types that own their path: they sort before the adjusting types of the same path, and two
    /// of them on one path must agree or the later line is dropped.
    pub fn takes_ownership(self) -> bool {
        use ItemType::*;
        matches!(
            self,
            CreateFile
                | TruncateFile
                | CreateDirectory
                | EmptyDirectory
                | TruncateDirectory
                | CreateSubvolume
                | CreateSubvolumeInheritQuota
                | CreateSubvolumeNewQuota
                | CreateFifo
                | CreateSymlink
                | CreateCharDevice
                | CreateBlockDevice
                | CopyFiles
                | WriteFile
                | IgnorePath
                | IgnoreDirectoryPath
                | RemovePath
                | RecursiveRemovePath
        )
    }

    pub(super) fn is_directory_like(self) -> bool {
        use ItemType::*;
        matches!(
            self,
            CreateDirectory
                | TruncateDirectory
                | CreateSubvolume
                | CreateSubvolumeInheritQuota
                | CreateSubvolumeNewQuota
        )
    }
}
