//! `--root=DIR` containment (issue 13.5): every path below the root is read and written as
//! chase_symlinks() with a root prefix resolves it, so an absolute symlink inside DIR leads to
//! DIR/…, `..` stops at DIR, and nothing is ever created outside it. The layouts:
//! - `multi-user.target.wants` an absolute (or `../..`-climbing) symlink to a directory;
//! - `/etc/systemd/system` itself an absolute symlink to a data volume, as images keep their
//!   state (`/etc/systemd/system -> /data/etc/systemd/system`);
//! - unit files that are symlinks pointing outside the root.
//!
//! The oracle is systemd 252: where `systemctl --root` stays inside the root, both run on the
//! same tree and must match byte for byte. Where 252 follows the symlink onto the host (the
//! defect), ours must behave as 252 does on the same tree with plain directories (every verb:
//! same output, same links, found where the symlinks lead inside the root). Each symlink points
//! at a canary directory that really exists on the host, so a write that escaped would land
//! there; it must stay empty. The manager's boot with the data-volume layout is tested in a
//! sandbox.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::sandbox::Sandbox;
use common::{Outcome, RootTree, OUR_SYSTEMCTL};

fn oracle_is_252() -> bool {
    let version = Command::new("systemctl").arg("--version").output();
    let ok = version
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|v| v.starts_with("systemd 252 "));
    if !ok {
        eprintln!("note: skipping, the machine's systemctl is not systemd 252");
    }
    ok
}

/// A directory on the host that symlinks in the trees point to; nothing may appear in it.
struct Canary(tempfile::TempDir);

impl Canary {
    fn new() -> Canary {
        Canary(
            tempfile::Builder::new()
                .prefix("shim-canary.")
                .tempdir()
                .expect("canary dir"),
        )
    }

    /// Its absolute host path, as a symlink target.
    fn path(&self) -> String {
        self.0.path().display().to_string()
    }

    /// Every file and directory below it, with `existing` (made by the test) left out.
    fn assert_untouched(&self, existing: &[&str], after: &str) {
        let mut found = Vec::new();
        walk(self.0.path(), &mut |p| {
            let rel = p.strip_prefix(self.0.path()).expect("below the canary");
            let rel = rel.display().to_string();
            if !existing.contains(&rel.as_str()) {
                found.push(rel);
            }
        });
        assert!(
            found.is_empty(),
            "written outside the root after `{after}`: {found:?}"
        );
    }
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        f(&e.path());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&e.path(), f);
        }
    }
}

fn normalized(o: Outcome, root: &Path) -> Outcome {
    let root = root.display().to_string();
    Outcome {
        stdout: o.stdout.replace(&root, "ROOT"),
        stderr: o.stderr.replace(&root, "ROOT"),
        code: o.code,
    }
}

/// The units every tree gets: a vendor unit with an alias, a template, a unit in the
/// configuration directory, targets, a file to link, and presets.
fn lay_units(t: &RootTree, config: &str) {
    t.write(
        "/lib/systemd/system/h.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nAlias=hal.service\n",
    )
    .write(
        "/lib/systemd/system/t@.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=one\n",
    )
    .write("/lib/systemd/system/multi-user.target", "[Unit]\n")
    .write(
        "/lib/systemd/system/graphical.target",
        "[Unit]\n[Install]\nAlias=default.target\n",
    )
    .write(
        "/opt/extra/l.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
    )
    .write(
        &format!("{config}/e.service"),
        "[Service]\nExecStart=/bin/true\n[Install]\nRequiredBy=multi-user.target\n",
    )
    .write(
        "/etc/systemd/system-preset/50-test.preset",
        "enable h.service\ndisable *\n",
    );
}

/// Every verb, in an order where each one has something to do.
const VERBS: &[&str] = &[
    "enable h.service e.service t@.service",
    "is-enabled h.service hal.service e.service t@.service t@one.service",
    "list-unit-files",
    "disable h.service e.service t@.service",
    "is-enabled h.service e.service t@one.service",
    "reenable h.service",
    "reenable h.service",
    "is-enabled h.service",
    "preset h.service e.service",
    "is-enabled h.service e.service",
    "preset-all",
    "list-unit-files",
    "mask h.service",
    "is-enabled h.service",
    "unmask h.service",
    "is-enabled h.service",
    "link /opt/extra/l.service",
    "enable l.service",
    "is-enabled l.service",
    "add-wants multi-user.target t@two.service",
    "add-requires multi-user.target l.service",
    "is-enabled t@two.service",
    "set-default graphical.target",
    "get-default",
    "set-default multi-user.target",
    "get-default",
    "disable l.service t@two.service",
    "--runtime enable h.service",
    "is-enabled h.service",
    "revert h.service",
    "disable h.service",
    "list-unit-files",
];

/// The same verbs on a tree whose directories are plain (run by the real systemctl) and on one
/// where some are symlinks (run by ours). `moved` maps where ours keeps a directory (inside the
/// root) to where the plain tree has it, to compare the links each leaves; the layout's own
/// symlinks are `layout` and not compared.
struct Relocated {
    plain: RootTree,
    ours: RootTree,
    moved: Vec<(String, String)>,
    layout: Vec<String>,
}

/// Two trees with the same units, where ours will have multi-user.target.wants somewhere else
/// (the canary), and the path of that directory.
fn wants_moved_to(canary: &Canary) -> (Relocated, &'static str) {
    let wants = "/etc/systemd/system/multi-user.target.wants";
    let pair = Relocated {
        plain: RootTree::new(),
        ours: RootTree::new(),
        moved: vec![(canary.path(), wants.to_string())],
        layout: vec![wants.to_string()],
    };
    lay_units(&pair.plain, "/etc/systemd/system");
    lay_units(&pair.ours, "/etc/systemd/system");
    (pair, wants)
}

impl Relocated {
    fn links_of_ours(&self) -> Vec<(String, String)> {
        let mut links: Vec<(String, String)> = self
            .ours
            .symlinks()
            .into_iter()
            .filter(|(p, _)| !self.layout.contains(p))
            .map(|(p, t)| {
                let p = self
                    .moved
                    .iter()
                    .find_map(|(from, to)| {
                        p.strip_prefix(from.as_str()).map(|r| format!("{to}{r}"))
                    })
                    .unwrap_or(p);
                (p, t)
            })
            .collect();
        links.sort();
        links
    }

    fn check(&self, canary: &Canary, existing: &[&str], command: &str) {
        let args: Vec<&str> = command.split_whitespace().collect();
        let expected = normalized(self.plain.real_systemctl(&args), self.plain.path());
        let got = normalized(self.ours.ours(&args), self.ours.path());
        canary.assert_untouched(existing, command);
        assert_eq!(got, expected, "output of `{command}`");
        assert_eq!(
            self.links_of_ours(),
            self.plain.symlinks(),
            "links after `{command}` (ours relocated back)"
        );
    }
}

/// `DIR/etc/systemd/system/multi-user.target.wants -> /CANARY` (a real host directory): 252
/// creates `/CANARY/h.service` on the host, then says `disabled` and leaves it on `disable`.
/// Ours writes `DIR/CANARY/h.service` and sees it there, as 252 does with a plain directory.
#[test]
fn an_absolute_symlinked_wants_dir_is_followed_inside_the_root_by_every_verb() {
    if !oracle_is_252() {
        return;
    }
    let canary = Canary::new();
    let (pair, wants) = wants_moved_to(&canary);
    pair.ours.link(wants, &canary.path());
    for command in VERBS {
        pair.check(&canary, &[], command);
    }
}

/// The same with a relative symlink that climbs past the root (`../../../../..` then the
/// canary's path): the kernel would climb to the host's `/`; inside the root `..` stops at DIR.
#[test]
fn a_wants_dir_climbing_past_the_root_with_dotdot_stays_inside_it() {
    if !oracle_is_252() {
        return;
    }
    let canary = Canary::new();
    let (pair, wants) = wants_moved_to(&canary);
    // Enough `..` to reach the host's `/` from anywhere below /tmp, and more.
    let climb = format!(
        "{}{}",
        "../".repeat(40),
        canary.path().trim_start_matches('/')
    );
    pair.ours.link(wants, &climb);
    for command in VERBS {
        pair.check(&canary, &[], command);
    }
}

/// The image layout of issue 13: `/etc/systemd/system -> /DATA/etc/systemd/system`, an absolute
/// link meaning the data volume inside the root. The host has a DATA/etc/systemd/system too (the
/// canary), where 252 writes; ours reads and writes DIR/DATA/etc/systemd/system.
#[test]
fn etc_systemd_system_symlinked_to_a_data_volume_works_below_the_root() {
    if !oracle_is_252() {
        return;
    }
    let canary = Canary::new();
    let data = format!("{}/etc/systemd/system", canary.path());
    fs::create_dir_all(&data).expect("host side of the data dir");
    let existing = ["etc", "etc/systemd", "etc/systemd/system"];
    let pair = Relocated {
        plain: RootTree::new(),
        ours: RootTree::new(),
        moved: vec![(data.clone(), "/etc/systemd/system".to_string())],
        layout: vec!["/etc/systemd/system".to_string()],
    };
    lay_units(&pair.plain, "/etc/systemd/system");
    lay_units(&pair.ours, &data);
    pair.ours.link("/etc/systemd/system", &data);
    for command in VERBS {
        pair.check(&canary, &existing, command);
    }
}

/// Unit files that are symlinks to outside the root, absolute and climbing with `..`: both name
/// a file inside the root (`DIR/CANARY/…`), never the host's. 252 agrees for the absolute link;
/// for the climbing one it compares the host's file with the root's when deciding whether a link
/// is already in place (chroot_unit_symlinks_equivalent(): "incorrect results if the paths are
/// relative and go outside of the chroot"), so 252 runs on a tree where that link is absolute:
/// inside the root the two mean the same file, and ours must treat them alike.
#[test]
fn unit_file_symlinks_pointing_outside_the_root_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let canary = Canary::new();
    // The host's file, which neither may read: WantedBy=graphical.target would show in links.
    fs::write(
        format!("{}/out.service", canary.path()),
        "[Install]\nWantedBy=graphical.target\n",
    )
    .expect("host unit");
    let climbing = format!(
        "{}{}/out.service",
        "../".repeat(40),
        canary.path().trim_start_matches('/')
    );
    let absolute = format!("{}/out.service", canary.path());
    let build = |t: &RootTree, climb: &str| {
        lay_units(t, "/etc/systemd/system");
        t.write(
            &format!("{}/out.service", canary.path()),
            "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
        )
        .link(
            "/etc/systemd/system/abs.service",
            &format!("{}/out.service", canary.path()),
        )
        .link("/etc/systemd/system/climb.service", climb);
    };
    let (real, ours) = (RootTree::new(), RootTree::new());
    build(&real, &absolute);
    build(&ours, &climbing);
    let climb_link = "/etc/systemd/system/climb.service".to_string();
    // Ours' links, with the climbing link written as the absolute one it means.
    let ours_links = || -> Vec<(String, String)> {
        ours.symlinks()
            .into_iter()
            .map(|(p, t)| match p == climb_link && t == climbing {
                true => (p, absolute.clone()),
                false => (p, t),
            })
            .collect()
    };
    for command in [
        "is-enabled abs.service climb.service",
        "list-unit-files",
        "enable abs.service",
        "enable climb.service",
        "is-enabled abs.service climb.service",
        "disable abs.service climb.service",
        "reenable abs.service",
        "mask climb.service",
        "unmask climb.service",
        "link /etc/systemd/system/abs.service",
        "preset abs.service",
        "add-wants graphical.target abs.service",
    ] {
        let args: Vec<&str> = command.split_whitespace().collect();
        let expected = normalized(real.real_systemctl(&args), real.path());
        let got = normalized(ours.ours(&args), ours.path());
        canary.assert_untouched(&["out.service"], command);
        assert_eq!(got, expected, "output of `{command}`");
        assert_eq!(ours_links(), real.symlinks(), "links after `{command}`");
    }
}

/// The manager boots an image whose `/etc/systemd/system` is a symlink to its data volume, after
/// units were enabled both from outside (`--root` = the container's root, as an image build on
/// the host does) and inside (no `--root`): both see the same links, and so does the boot.
#[test]
fn the_manager_boots_what_enable_wrote_through_a_symlinked_etc_systemd_system() {
    let sb = Sandbox::for_init();
    let service =
        "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n";
    // The host has no /var/lib/shim-state: a write that left the root fails instead of
    // landing there (checked at the end).
    let setup = format!(
        "set -e; umount /etc/systemd/system; rm -rf /etc/systemd/system; \
         mkdir -p /var/lib/shim-state/etc/systemd/system; \
         ln -s /var/lib/shim-state/etc/systemd/system /etc/systemd/system; \
         printf '{service}' > /etc/systemd/system/outside.service; \
         printf '{service}' > /etc/systemd/system/inside.service"
    );
    let o = sb.sh(&setup);
    assert_eq!(o.code, 0, "layout: {o:?}");
    let root = sb.host_path("/");
    let root = root.display().to_string();
    let root = root.trim_end_matches('/');
    let from_outside = Command::new(OUR_SYSTEMCTL)
        .arg(format!("--root={root}"))
        .args(["enable", "outside.service"])
        .output()
        .expect("run systemctl");
    let from_outside = Outcome::from(from_outside);
    let created = format!(
        "Created symlink {root}/etc/systemd/system/multi-user.target.wants/outside.service \
         → /etc/systemd/system/outside.service.\n"
    );
    assert!(
        from_outside.code == 0 && from_outside.stderr.starts_with(&created),
        "enable from outside: {from_outside:?}"
    );
    let o = sb.systemctl(&["enable", "inside.service"]);
    assert_eq!(o.code, 0, "enable inside: {o:?}");
    let o = sb.systemctl(&["is-enabled", "outside.service", "inside.service"]);
    assert_eq!(o.stdout, "enabled\nenabled\n", "is-enabled inside: {o:?}");
    let o = sb.sh("ls /var/lib/shim-state/etc/systemd/system/multi-user.target.wants");
    assert_eq!(o.stdout, "inside.service\noutside.service\n", "{o:?}");
    sb.boot(&[]);
    sb.wait_for_prop("outside.service", "ActiveState", "active");
    sb.wait_for_prop("inside.service", "ActiveState", "active");
    let o = sb.systemctl(&["--root=/", "is-enabled", "outside.service"]);
    assert_eq!(o.stdout, "enabled\n", "{o:?}");
    assert!(
        !Path::new("/var/lib/shim-state").exists(),
        "written onto the host"
    );
}
