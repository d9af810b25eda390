//! The account databases, read from the image's own `/etc/passwd` and `/etc/group` (a static
//! binary has no NSS, and the image's files are what its packages wrote; systemd's
//! src/basic/user-util.c, and its PID 1 also refuses NSS lookups). Every user and group lookup of
//! every layer goes through here: `User=`, `Group=` and `SupplementaryGroups=` of systemd.exec(5),
//! the `%u`/`%g`/`%h` specifiers, tmpfiles' owners, systemd-notify's `--uid`. Numeric ids are taken as they are, as systemd does; a user's primary group and
//! the groups that list it as a member make up its groups, as initgroups(3) would.

use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AccountsError {
    /// exec_child()'s words: the user's name and the file looked in are not part of them.
    #[error("Failed to determine user credentials: No such process")]
    NoUser(String, PathBuf),
    #[error("Failed to determine group credentials: No such process")]
    NoGroup(String, PathBuf),
}

/// The user and groups a command runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub groups: Vec<libc::gid_t>,
}

/// One line of /etc/passwd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
}

/// One line of /etc/group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// The account databases of one root.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    passwd_path: PathBuf,
    group_path: PathBuf,
    pub users: Vec<PasswdEntry>,
    pub groups: Vec<GroupEntry>,
}

fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 {
                return None;
            }
            Some(PasswdEntry {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                home: f[5].to_string(),
                shell: f[6].to_string(),
            })
        })
        .collect()
}

fn parse_group(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 4 {
                return None;
            }
            Some(GroupEntry {
                name: f[0].to_string(),
                gid: f[2].parse().ok()?,
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

impl Accounts {
    /// Read `etc/passwd` and `etc/group` below `root`; missing files are empty databases.
    pub fn load(root: &Path) -> Accounts {
        let passwd_path = root.join("etc/passwd");
        let group_path = root.join("etc/group");
        Accounts {
            users: parse_passwd(&fs::read_to_string(&passwd_path).unwrap_or_default()),
            groups: parse_group(&fs::read_to_string(&group_path).unwrap_or_default()),
            passwd_path,
            group_path,
        }
    }

    /// The host's own databases (`/etc/passwd`, `/etc/group`).
    pub fn host() -> Accounts {
        Accounts::load(Path::new("/"))
    }

    pub fn user_by_uid(&self, uid: u32) -> Option<&PasswdEntry> {
        self.users.iter().find(|u| u.uid == uid)
    }

    pub fn group_by_gid(&self, gid: u32) -> Option<&GroupEntry> {
        self.groups.iter().find(|g| g.gid == gid)
    }

    /// The name systemd's uid_to_name() gives `uid`: the user's, else the number.
    pub fn user_name(&self, uid: u32) -> String {
        self.user_by_uid(uid)
            .map_or_else(|| uid.to_string(), |u| u.name.clone())
    }

    /// The name gid_to_name() gives `gid`: the group's, else the number.
    pub fn group_name(&self, gid: u32) -> String {
        self.group_by_gid(gid)
            .map_or_else(|| gid.to_string(), |g| g.name.clone())
    }

    pub fn user(&self, name_or_id: &str) -> Result<PasswdEntry, AccountsError> {
        if let Some(u) = self.users.iter().find(|u| u.name == name_or_id) {
            return Ok(u.clone());
        }
        if let Ok(uid) = name_or_id.parse::<u32>() {
            return Ok(self
                .users
                .iter()
                .find(|u| u.uid == uid)
                .cloned()
                .unwrap_or(PasswdEntry {
                    name: name_or_id.to_string(),
                    uid,
                    gid: uid,
                    home: "/".into(),
                    shell: "/usr/sbin/nologin".into(),
                }));
        }
        Err(AccountsError::NoUser(
            name_or_id.to_string(),
            self.passwd_path.clone(),
        ))
    }

    pub fn group(&self, name_or_id: &str) -> Result<u32, AccountsError> {
        if let Some(g) = self.groups.iter().find(|g| g.name == name_or_id) {
            return Ok(g.gid);
        }
        name_or_id
            .parse::<u32>()
            .map_err(|_| AccountsError::NoGroup(name_or_id.to_string(), self.group_path.clone()))
    }

    /// The credentials for `User=`/`Group=`/`SupplementaryGroups=`; `None` when neither user nor
    /// group is set (the command runs as the manager does).
    pub fn resolve(
        &self,
        user: Option<&str>,
        group: Option<&str>,
        supplementary: &[String],
    ) -> Result<Option<(Credentials, Option<PasswdEntry>)>, AccountsError> {
        if user.is_none() && group.is_none() && supplementary.is_empty() {
            return Ok(None);
        }
        let entry = user.map(|u| self.user(u)).transpose()?;
        let (uid, mut gid) = match &entry {
            Some(e) => (e.uid, e.gid),
            None => (
                nix::unistd::getuid().as_raw(),
                nix::unistd::getgid().as_raw(),
            ),
        };
        if let Some(g) = group {
            gid = self.group(g)?;
        }
        let mut groups = vec![gid];
        if let Some(e) = &entry {
            for g in &self.groups {
                if g.members.contains(&e.name) && !groups.contains(&g.gid) {
                    groups.push(g.gid);
                }
            }
        }
        for s in supplementary {
            let g = self.group(s)?;
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        Ok(Some((Credentials { uid, gid, groups }, entry)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> (tempfile::TempDir, Accounts) {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc")).unwrap();
        fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/bash\ndirsrv:x:389:389:389-ds:/var/lib/dirsrv:/sbin/nologin\nbroken line\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("etc/group"),
            "root:x:0:\ndirsrv:x:389:\npkiuser:x:17:dirsrv\nssl-cert:x:110:\n",
        )
        .unwrap();
        let a = Accounts::load(dir.path());
        (dir, a)
    }

    #[test]
    fn user_gets_primary_and_member_groups() {
        let (_d, a) = accounts();
        let (c, e) = a
            .resolve(Some("dirsrv"), None, &["ssl-cert".into()])
            .unwrap()
            .unwrap();
        assert_eq!((c.uid, c.gid), (389, 389));
        assert_eq!(c.groups, vec![389, 17, 110]);
        assert_eq!(e.unwrap().home, "/var/lib/dirsrv");
    }

    #[test]
    fn numeric_ids_need_no_entry_and_unknown_names_fail() {
        let (_d, a) = accounts();
        let (c, _) = a.resolve(Some("4242"), Some("4243"), &[]).unwrap().unwrap();
        assert_eq!((c.uid, c.gid), (4242, 4243));
        assert!(matches!(
            a.resolve(Some("nobody-here"), None, &[]),
            Err(AccountsError::NoUser(..))
        ));
        assert!(a.resolve(None, None, &[]).unwrap().is_none());
    }
}
