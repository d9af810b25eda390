//! What the condition tests share, in the manner of systemd's src/test/test-condition.c: entries
//! built by name, the facts of a made-up container, and a small image tree to look paths up in.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use super::{check, HostFacts};
use crate::sys::accounts::Accounts;
use crate::unit::model::Condition;
use crate::unit::virt::Virtualization;

pub(super) fn cond(name: &str, parameter: &str) -> Condition {
    Condition {
        name: name.to_string(),
        trigger: false,
        negate: false,
        parameter: parameter.to_string(),
    }
}

pub(super) fn not(mut c: Condition) -> Condition {
    c.negate = true;
    c
}

pub(super) fn trig(mut c: Condition) -> Condition {
    c.trigger = true;
    c
}

/// Facts of a made-up container: root at `root`, uid/gid 1000 with supplementary group 27.
pub(super) fn facts(root: &Path) -> HostFacts {
    HostFacts {
        root: root.to_path_buf(),
        uid: 1000,
        euid: 1000,
        gid: 1000,
        egid: 1000,
        groups: vec![27],
        accounts: Accounts::load(root),
        environment: vec!["LANG=C.UTF-8".into(), "DEBUG=".into()],
        hostname: "web-01.example.com".into(),
        kernel_release: "5.15.0-91-generic".into(),
        machine: "x86_64".into(),
        kernel_command_line: Some("/sbin/init quiet splash=no \"opt=a b\"".into()),
        virtualization: Virtualization::Docker,
        user_namespace: false,
        physical_memory: Some(2 << 30),
        cpus: Some(4),
    }
}

pub(super) fn met(c: Condition, f: &HostFacts) -> bool {
    check(&[c], f).met
}

pub(super) fn tree() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fs::create_dir_all(r.join("etc/conf.d")).unwrap();
    fs::create_dir_all(r.join("empty")).unwrap();
    fs::create_dir_all(r.join("hidden-only")).unwrap();
    fs::write(r.join("hidden-only/.keep"), "").unwrap();
    fs::write(r.join("hidden-only/x.dpkg-old"), "").unwrap();
    fs::write(r.join("hidden-only/y~"), "").unwrap();
    fs::write(r.join("etc/conf.d/a.conf"), "x").unwrap();
    fs::write(r.join("etc/zero"), "").unwrap();
    fs::write(r.join("etc/tool"), "#!/bin/sh\n").unwrap();
    fs::set_permissions(r.join("etc/tool"), fs::Permissions::from_mode(0o755)).unwrap();
    symlink("conf.d", r.join("etc/link")).unwrap();
    symlink("nowhere", r.join("etc/dangling")).unwrap();
    fs::write(
        r.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n",
    )
    .unwrap();
    fs::write(
        r.join("etc/group"),
        "root:x:0:\nalice:x:1000:\nsudo:x:27:alice\nbob:x:1001:\n",
    )
    .unwrap();
    fs::write(
        r.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    )
    .unwrap();
    fs::write(
        r.join("etc/machine-id"),
        "0123456789abcdef0123456789abcdef\n",
    )
    .unwrap();
    root
}
