//! Bad input to the install verbs: invalid names, dangling and looping symlinks, files that are
//! not unit files, junk in `.wants` directories and writes that fail. Each call must fail with a
//! clear message (systemctl 252's where it has one), leave other units alone, and leave nothing
//! half-written on disk.

mod common;

use std::fs;
use std::path::Path;

use common::RootTree;

/// Everything below the tree: paths with their symlink targets or file contents.
fn snapshot(t: &RootTree) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .expect("below root")
                .display()
                .to_string();
            let meta = fs::symlink_metadata(&p).expect("lstat");
            if meta.file_type().is_symlink() {
                out.push(format!(
                    "{rel} -> {}",
                    fs::read_link(&p).expect("readlink").display()
                ));
            } else if meta.is_dir() {
                out.push(format!("{rel}/"));
                walk(&p, root, out);
            } else if meta.is_file() {
                out.push(format!("{rel} = {:?}", fs::read(&p).expect("read")));
            } else {
                out.push(format!("{rel} (special)"));
            }
        }
    }
    let mut out = Vec::new();
    walk(t.path(), t.path(), &mut out);
    out.sort();
    out
}

fn tree() -> RootTree {
    let t = RootTree::new();
    t.write(
        "/lib/systemd/system/a.service",
        "[Install]\nWantedBy=multi-user.target\n",
    )
    .write(
        "/lib/systemd/system/b.service",
        "[Install]\nWantedBy=multi-user.target\nAlias=b-alias.service\n",
    )
    .write("/lib/systemd/system/multi-user.target", "[Unit]\n");
    t
}

/// Run `args`, expecting exit `code` and `stderr` (with the root written as ROOT), and the tree
/// unchanged.
fn fails_cleanly(t: &RootTree, args: &[&str], code: i32, stderr: &str) {
    let before = snapshot(t);
    let o = t.ours(args);
    let root = t.path().display().to_string();
    assert_eq!(
        o.stderr.replace(&root, "ROOT"),
        stderr,
        "stderr of {args:?}"
    );
    assert_eq!(o.code, code, "exit code of {args:?}");
    assert_eq!(snapshot(t), before, "tree changed by {args:?}");
}

#[test]
fn invalid_unit_names_are_refused_with_systemctls_words() {
    let t = tree();
    let cwd = std::env::current_dir().expect("cwd").display().to_string();
    fails_cleanly(
        &t,
        &["enable", "../x.service"],
        1,
        &format!("Failed to enable unit, unit {cwd}/../x.service does not exist.\n"),
    );
    fails_cleanly(
        &t,
        &["enable", "a/b.service"],
        1,
        &format!("Failed to enable unit, unit {cwd}/a/b.service does not exist.\n"),
    );
    fails_cleanly(
        &t,
        &["enable", "nosuffix"],
        1,
        "Failed to enable unit, unit nosuffix.service does not exist.\n",
    );
    let long = format!("{}.service", "a".repeat(250));
    fails_cleanly(
        &t,
        &["enable", &long],
        1,
        &format!("Failed to mangle unit name or path '{long}': Invalid argument\n"),
    );
    fails_cleanly(
        &t,
        &["enable", "a\\xZZ.service"],
        1,
        "Failed to enable unit, unit a\\xZZ.service does not exist.\n",
    );
    fails_cleanly(
        &t,
        &["mask", "a/b.service"],
        1,
        "Failed to mask: Invalid argument.\n",
    );
    fails_cleanly(
        &t,
        &["is-enabled", "a/b.service"],
        1,
        &format!("Failed to get unit file state for {cwd}/a/b.service: Invalid argument\n"),
    );
    fails_cleanly(
        &t,
        &["set-default", "a.service"],
        1,
        "Failed to set default: Invalid argument.\n",
    );
    fails_cleanly(
        &t,
        &["enable", "foo@.mount"],
        1,
        "ROOT/etc/systemd/system.control/foo@.mount: unit type mount cannot be templated, ignoring.\n\
         Failed to enable unit, file \"foo@.mount\": Invalid argument\n",
    );
}

#[test]
fn missing_unit_is_not_found_with_exit_4() {
    let t = tree();
    let o = t.ours(&["is-enabled", "nope.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("not-found\n", 4));
    let o = t.ours(&["is-enabled", "nope.service", "a.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("not-found\ndisabled\n", 1));
    let o = t.ours(&["is-enabled", "-q", "nope.service"]);
    assert_eq!((o.stdout.as_str(), o.code), ("", 4));
}

#[test]
fn dangling_and_looping_symlinks_fail_without_touching_others() {
    let t = tree();
    t.link("/lib/systemd/system/dang.socket", "nonexist.socket")
        .link("/lib/systemd/system/dang.service", "nonexist.service")
        .link("/lib/systemd/system/loop1.service", "loop2.service")
        .link("/lib/systemd/system/loop2.service", "loop1.service");
    fails_cleanly(
        &t,
        &["enable", "dang.socket"],
        1,
        "Failed to enable unit, file \"dang.socket\": Link has been severed\n",
    );
    fails_cleanly(
        &t,
        &["enable", "dang.service"],
        1,
        "Failed to look up unit file state: Link has been severed\n",
    );
    fails_cleanly(
        &t,
        &["enable", "loop1.service", "a.service"],
        1,
        "Failed to enable unit, refusing to operate on linked unit file loop1.service.\n",
    );
    fails_cleanly(
        &t,
        &["is-enabled", "loop1.service"],
        1,
        "Failed to get unit file state for loop1.service: Too many levels of symbolic links\n",
    );
    // Other units still work, and list-unit-files reports the broken ones as bad.
    let o = t.ours(&["enable", "a.service"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = t.ours(&["list-unit-files", "--no-legend", "dang*", "loop*"]);
    assert_eq!(
        o.stdout,
        "dang.service  bad enabled\nloop1.service bad enabled\nloop2.service bad enabled\ndang.socket   bad enabled\n"
    );
}

#[test]
fn files_that_are_not_unit_files_name_the_file() {
    let t = tree();
    t.write(
        "/lib/systemd/system/bin.socket",
        "\u{0}\u{1}binary\n[Install]\nWantedBy=sockets.target\n",
    )
    .write(
        "/lib/systemd/system/hdr.socket",
        "[Install\nWantedBy=sockets.target\n",
    );
    fs::create_dir_all(t.real("/lib/systemd/system/dir.socket")).expect("mkdir");
    fails_cleanly(
        &t,
        &["enable", "bin.socket"],
        1,
        "Failed to enable unit, file \"bin.socket\": ROOT/lib/systemd/system/bin.socket: line 1: File contains a NUL byte; not a unit file\n",
    );
    fails_cleanly(
        &t,
        &["enable", "dir.socket"],
        1,
        "Failed to enable unit, file \"dir.socket\": Is a directory\n",
    );
    fails_cleanly(
        &t,
        &["enable", "hdr.socket"],
        1,
        "ROOT/lib/systemd/system/hdr.socket:1: Invalid section header '[Install'\n\
         Failed to enable unit, file \"hdr.socket\": Bad message\n",
    );
    let o = t.ours(&["list-unit-files", "--no-legend", "*.socket"]);
    assert_eq!(o.stdout, "bin.socket bad enabled\nhdr.socket bad enabled\n");
    let o = t.ours(&["enable", "b.service"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(t.real("/etc/systemd/system/b-alias.service").is_symlink());
}

#[test]
fn junk_in_wants_directories_is_left_alone() {
    let t = tree();
    let wants = "/etc/systemd/system/multi-user.target.wants";
    t.write(&format!("{wants}/junk.txt"), "junk")
        .write(&format!("{wants}/regular.service"), "not a link")
        .link(&format!("{wants}/dangling.service"), "/nowhere")
        .link(&format!("{wants}/selfloop.service"), "selfloop.service")
        .link(
            &format!("{wants}/a.service"),
            "/lib/systemd/system/a.service",
        );
    fs::create_dir_all(t.real(&format!("{wants}/sub.service"))).expect("mkdir");
    let o = t.ours(&["disable", "a.service"]);
    let root = t.path().display().to_string();
    assert_eq!(
        o.stderr
            .replace(&root, "ROOT")
            .lines()
            .filter(|l| l.starts_with("Removed"))
            .collect::<Vec<_>>(),
        vec![format!("Removed \"ROOT{wants}/a.service\".")]
    );
    assert!(o.stderr.contains(&format!(
        "refusing to operate on linked unit file {root}{wants}/selfloop.service"
    )));
    for junk in [
        "junk.txt",
        "regular.service",
        "dangling.service",
        "selfloop.service",
        "sub.service",
    ] {
        assert!(
            fs::symlink_metadata(t.real(&format!("{wants}/{junk}"))).is_ok(),
            "{junk} was removed"
        );
    }
    assert!(!t.real(&format!("{wants}/a.service")).exists());
}

#[test]
fn a_write_that_fails_midway_is_rolled_back() {
    let t = tree();
    // multi-user.target.wants is a file: the alias link can be written, the wants link not.
    t.write("/etc/systemd/system/multi-user.target.wants", "in the way");
    fails_cleanly(
        &t,
        &["enable", "b.service"],
        1,
        "Failed to enable unit, file \"ROOT/etc/systemd/system/multi-user.target.wants/b.service\": Not a directory\n",
    );
    assert!(fs::symlink_metadata(t.real("/etc/systemd/system/b-alias.service")).is_err());
}

#[test]
fn an_existing_file_blocks_mask_and_is_named() {
    let t = tree();
    t.write("/etc/systemd/system/a.service", "[Service]\n");
    fails_cleanly(
        &t,
        &["mask", "a.service"],
        1,
        "Failed to mask unit, file \"ROOT/etc/systemd/system/a.service\" already exists.\n",
    );
}

#[test]
fn a_relative_link_cannot_climb_out_of_the_root() {
    // A unit file outside the root, reachable only if `..` were allowed past the root.
    let host = tempfile::tempdir().expect("tempdir");
    let host_unit = host.path().join("esc.service");
    std::fs::write(
        &host_unit,
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
    )
    .expect("write host unit");
    let t = RootTree::new();
    let climb = "../".repeat(40);
    t.link(
        "/etc/systemd/system/esc.service",
        &format!(
            "{climb}{}",
            host_unit.display().to_string().trim_start_matches('/')
        ),
    );
    let o = t.ours(&["list-unit-files"]);
    assert!(o.stdout.contains("esc.service bad"), "{}", o.stdout);
    let o = t.ours(&["enable", "esc.service"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        "Failed to enable unit, unit esc.service does not exist.\n"
    );
    let o = t.ours(&["show", "-p", "ExecStart,LoadState", "esc.service"]);
    assert!(!o.stdout.contains("/bin/true"), "the host's file was read");
    assert!(o.stdout.contains("LoadState=error"), "{}", o.stdout);
}
