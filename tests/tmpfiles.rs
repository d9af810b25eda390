//! systemd-tmpfiles, differentially: the same configuration is applied to two identical temporary
//! roots, one by this machine's real systemd-tmpfiles 252 and one by ours (the multi-call binary
//! under the name `systemd-tmpfiles`), and the resulting trees (paths, types, modes, owners, link
//! targets, contents), exit statuses and diagnostics must agree. Skipped with a note when the real
//! tool is not installed.

mod common;

use std::fs;
use std::os::unix::fs::{symlink, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Outcome, OUR_SYSTEMCTL};

const REAL_TOOL: &str = "systemd-tmpfiles";

fn real_tool_present() -> bool {
    let present = Command::new(REAL_TOOL)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        eprintln!("note: {REAL_TOOL} is not installed; skipping the differential test");
    }
    present
}

/// Our binary, reachable under the multi-call name `systemd-tmpfiles`.
struct Ours {
    _dir: tempfile::TempDir,
    program: PathBuf,
}

impl Ours {
    fn new() -> Ours {
        let dir = tempfile::tempdir().expect("tempdir");
        let program = dir.path().join("systemd-tmpfiles");
        symlink(OUR_SYSTEMCTL, &program).expect("symlink multi-call name");
        Ours { _dir: dir, program }
    }
}

/// One file system object as the comparison sees it.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    path: String,
    kind: char,
    mode: u32,
    uid: u32,
    gid: u32,
    /// Link target, file content, or device number.
    detail: String,
}

fn snapshot(root: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Entry>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let m = fs::symlink_metadata(&p).expect("lstat");
        let ft = m.file_type();
        let (kind, detail) = if ft.is_symlink() {
            ('l', fs::read_link(&p).unwrap().display().to_string())
        } else if ft.is_dir() {
            ('d', String::new())
        } else if ft.is_file() {
            (
                'f',
                String::from_utf8_lossy(&fs::read(&p).unwrap()).into_owned(),
            )
        } else if ft.is_fifo() {
            ('p', String::new())
        } else if ft.is_char_device() {
            ('c', m.rdev().to_string())
        } else if ft.is_block_device() {
            ('b', m.rdev().to_string())
        } else {
            ('s', String::new())
        };
        out.push(Entry {
            path: p.strip_prefix(root).unwrap().display().to_string(),
            kind,
            mode: m.permissions().mode() & 0o7777,
            uid: m.uid(),
            gid: m.gid(),
            detail,
        });
        if ft.is_dir() {
            walk(root, &p, out);
        }
    }
}

fn run_tool(program: &Path, args: &[String], env: &[(&str, &str)], stdin: &str) -> Outcome {
    use std::io::Write;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("SYSTEMD_LOG_COLOR", "0")
        .env("SYSTEMD_LOG_LEVEL", "info")
        .env("LC_ALL", "C.UTF-8")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("TMPDIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let mut child = cmd.spawn().expect("spawn");
    // A tool that does not read its stdin may exit before we are done writing: that broken pipe
    // is part of its behaviour, not a test failure.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("wait").into()
}

/// Two identical roots, filled by `files` (path inside → content) and `prepare`.
struct Pair {
    real: tempfile::TempDir,
    ours: tempfile::TempDir,
    our_tool: Ours,
}

impl Pair {
    fn new(files: &[(&str, &str)], prepare: impl Fn(&Path)) -> Pair {
        let make = |prefix: &str| {
            let dir = tempfile::Builder::new()
                .prefix(prefix)
                .tempdir()
                .expect("temp root");
            for (inside, content) in files {
                let p = dir.path().join(inside.trim_start_matches('/'));
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(&p, content).unwrap();
            }
            prepare(dir.path());
            dir
        };
        Pair {
            real: make("tmpfiles-real."),
            ours: make("tmpfiles-ours."),
            our_tool: Ours::new(),
        }
    }

    /// A root with one configuration file, /etc/tmpfiles.d/test.conf.
    fn with_config(config: &str, prepare: impl Fn(&Path)) -> Pair {
        Pair::new(&[("/etc/tmpfiles.d/test.conf", config)], prepare)
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (Outcome, Outcome) {
        self.run_with_stdin(args, env, "")
    }

    fn run_with_stdin(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: &str,
    ) -> (Outcome, Outcome) {
        let argv = |root: &Path| -> Vec<String> {
            std::iter::once(format!("--root={}", root.display()))
                .chain(args.iter().map(|a| a.to_string()))
                .collect()
        };
        let real = run_tool(Path::new(REAL_TOOL), &argv(self.real.path()), env, stdin);
        let ours = run_tool(&self.our_tool.program, &argv(self.ours.path()), env, stdin);
        let mut ours = normalise(ours, self.ours.path());
        ours.stderr = ours.stderr.replace(UNSUPPORTED_NOTE, "");
        (normalise(real, self.real.path()), ours)
    }

    /// Run both, then require the same exit status, diagnostics and tree.
    fn assert_same(&self, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let (real, ours) = self.run(args, env);
        assert_eq!(
            ours.code, real.code,
            "exit status\nreal: {real:#?}\nours: {ours:#?}"
        );
        assert_eq!(ours.stderr, real.stderr, "stderr");
        assert_eq!(ours.stdout, real.stdout, "stdout");
        self.assert_same_trees();
        ours
    }

    fn assert_same_trees(&self) {
        let (real, ours) = (snapshot(self.real.path()), snapshot(self.ours.path()));
        let (real, ours) = (
            without_root(real, self.real.path()),
            without_root(ours, self.ours.path()),
        );
        for (r, o) in real.iter().zip(&ours) {
            assert_eq!(o, r, "first differing entry");
        }
        assert_eq!(
            ours.len(),
            real.len(),
            "entry count\nreal: {real:#?}\nours: {ours:#?}"
        );
    }
}

/// Our one deliberate addition to the diagnostics: xattrs, ACLs and chattr are not applied.
const UNSUPPORTED_NOTE: &str =
    "Extended attributes, ACLs and file attributes (t, T, a, A, h, H) are not supported, ignoring.\n";

/// Entries with the root's own path (specifiers like %t carry it) written as `<ROOT>`.
fn without_root(entries: Vec<Entry>, root: &Path) -> Vec<Entry> {
    let root = root.display().to_string();
    let inside = root.trim_start_matches('/');
    let mut entries: Vec<Entry> = entries
        .into_iter()
        .map(|e| Entry {
            path: e.path.replace(inside, "<ROOT>"),
            detail: e.detail.replace(&root, "<ROOT>"),
            ..e
        })
        .collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries
}

fn normalise(mut o: Outcome, root: &Path) -> Outcome {
    let root = root.display().to_string();
    o.stderr = o.stderr.replace(&root, "<ROOT>");
    o.stdout = o.stdout.replace(&root, "<ROOT>");
    o
}

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsvc:x:4242:4243::/var/lib/svc:/bin/false\n";
const GROUP: &str = "root:x:0:\ndaemon:x:1:\nsvc:x:4243:\nadm:x:4:\n";

fn accounts(files: &mut Vec<(&'static str, &'static str)>) {
    files.push(("/etc/passwd", PASSWD));
    files.push(("/etc/group", GROUP));
}

fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn every_creating_type_matches() {
    if !real_tool_present() {
        return;
    }
    let config = r#"
# files
f /files/plain
f /files/content 0600 svc svc - hello\nworld
f+ /files/truncated 0640 - adm - new
F /files/legacy-truncate - - - - legacy
w /files/written - - - - overwrite
w+ /files/appended - - - - \x20appended
w /files/missing - - - - nothing
# directories
d /dirs/made 0750 daemon daemon
D /dirs/truncated 0700
v /dirs/subvolume
q /dirs/subvolume-inherit
Q /dirs/subvolume-new 2775 - adm
e /dirs/existing 0711
e /dirs/absent 0711
d "/dirs/with space" 1777
# special files
p /special/fifo 0620
p+ /special/fifo-replacing 0600
L /links/plain - - - - /target/one
L /links/kept - - - - /target/new
L+ /links/replaced - - - - /target/new
L+ /links/replaced-dir - - - - ../relative
L /links/factory
c /special/null 0666 - - - 1:3
b /special/loop 0660 - - - 7:0
# adjusting
z /adjust/file 0600 daemon
Z /adjust/tree 0750 svc adm
m /adjust/legacy-m 0444
x /ignored
X /ignored-dir
r /files/existing-but-create-only
R /dirs/existing-tree-create-only
"#;
    let mut files = vec![("/etc/tmpfiles.d/types.conf", config)];
    accounts(&mut files);
    files.extend([
        ("/files/truncated", "old content that is longer"),
        ("/files/written", "original content"),
        ("/files/appended", "start"),
        ("/files/existing-but-create-only", "keep"),
        ("/dirs/existing-tree-create-only/x", "keep"),
        ("/dirs/truncated/keep", "kept on create"),
        ("/special/fifo-replacing", "a plain file"),
        ("/adjust/file", "a"),
        ("/adjust/tree/a/b", "deep"),
        ("/adjust/legacy-m", "m"),
    ]);
    let pair = Pair::new(&files, |root| {
        fs::create_dir_all(root.join("dirs/existing")).unwrap();
        fs::create_dir_all(root.join("links")).unwrap();
        symlink("/target/old", root.join("links/kept")).unwrap();
        symlink("/target/old", root.join("links/replaced")).unwrap();
        fs::create_dir_all(root.join("links/replaced-dir/inner")).unwrap();
        symlink("x", root.join("adjust/tree/a/link")).unwrap();
    });
    let out = pair.assert_same(&["--create"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn existing_objects_get_mode_and_owner_fixed_but_keep_content() {
    if !real_tool_present() {
        return;
    }
    let config = r#"
f /f-mode 0600 daemon daemon - ignored content
f /f-keep - - - - ignored
f /f-colon :0600
f /f-mask ~0777
d /d-mode 0700 svc svc
d /d-colon :0700
d /d-mask ~0777
d /d-on-file 0700
f /f-on-dir 0600
p /p-on-file
c /c-on-file - - - - 1:3
Z /tree ~0770 daemon
z /sym 0600 daemon
d /d-owner-colon 0700 :daemon :daemon
d /new-owner-colon 0700 :daemon :daemon
f /f-owner-colon - daemon :daemon
"#;
    let mut files = vec![("/etc/tmpfiles.d/x.conf", config)];
    accounts(&mut files);
    files.extend([
        ("/f-mode", "old"),
        ("/f-keep", "old"),
        ("/f-colon", "old"),
        ("/f-mask", "old"),
        ("/d-on-file", "file"),
        ("/p-on-file", "file"),
        ("/c-on-file", "file"),
        ("/tree/x", "x"),
        ("/f-owner-colon", "x"),
    ]);
    let pair = Pair::new(&files, |root| {
        fs::create_dir_all(root.join("d-owner-colon")).unwrap();
        set_mode(&root.join("f-mode"), 0o666);
        set_mode(&root.join("f-colon"), 0o640);
        set_mode(&root.join("f-mask"), 0o640);
        for d in ["d-mode", "d-colon", "d-mask", "f-on-dir", "tree/sub"] {
            fs::create_dir_all(root.join(d)).unwrap();
            set_mode(&root.join(d), 0o751);
        }
        set_mode(&root.join("tree/x"), 0o4755);
        symlink("tree/x", root.join("sym")).unwrap();
    });
    let out = pair.assert_same(&["--create"], &[]);
    assert_eq!(out.code, 73);
}

#[test]
fn specifiers_resolve_as_the_real_tool_does() {
    if !real_tool_present() {
        return;
    }
    let config = "f /spec/args - - - - %%|%b|%H|%l|%v|%a|%o|%w|%B|%W|%m|%u|%U|%g|%G|%h|%t|%S|%C|%L|%T|%V|trailing%\n\
                  d /spec/path-%o-%w-%u-%a\n\
                  d %t/in-run\n\
                  f /spec/escaped - - - - \\x25m=%m\n\
                  f /spec/unknown - - - - %E\n\
                  f /spec/unknown-path-%q\n";
    let with_ids = Pair::with_config(config, |root| {
        fs::write(
            root.join("etc/os-release"),
            "ID=debian\nVERSION_ID=\"12\"\nBUILD_ID=b7\n",
        )
        .unwrap();
        fs::write(
            root.join("etc/machine-id"),
            "0123456789abcdef0123456789abcdef\n",
        )
        .unwrap();
    });
    let env = [("HOME", "/home/test")];
    assert_eq!(with_ids.assert_same(&["--create"], &env).code, 65);
    // Without os-release and machine-id the lines that need them are skipped quietly.
    let bare = Pair::with_config(config, |_| {});
    bare.assert_same(&["--create"], &env);
}

#[test]
fn modifiers_boot_ignore_replace_base64_and_credentials() {
    if !real_tool_present() {
        return;
    }
    let config = r#"
d! /boot-only
f- /blocked/file
f= /replaced-dir/file 0600
d= /was-file/sub
p= /fifo-was-file
f~ /b64 0600 - - - aGVsbG8gd29ybGQK
f~ /bad-b64 - - - - !!!
L~ /b64-link - - - - aGVsbG8K
f^ /from-cred - - - - mycred
f^ /from-missing-cred - - - - nosuch
d^ /cred-on-dir
w- /ro/nothing - - - - x
"#;
    let creds = tempfile::tempdir().unwrap();
    fs::write(creds.path().join("mycred"), "secret\n").unwrap();
    let cred_dir = creds.path().display().to_string();
    let env = [("CREDENTIALS_DIRECTORY", cred_dir.as_str())];
    let prepare = |root: &Path| {
        fs::write(root.join("blocked"), "a file in the way").unwrap();
        fs::create_dir_all(root.join("replaced-dir/file/inner")).unwrap();
        fs::write(root.join("was-file"), "x").unwrap();
        fs::write(root.join("fifo-was-file"), "x").unwrap();
    };
    let pair = Pair::with_config(config, prepare);
    assert_eq!(pair.assert_same(&["--create"], &env).code, 65);
    let boot = Pair::with_config(config, prepare);
    boot.assert_same(&["--create", "--boot"], &env);
}

#[test]
fn conflicting_and_invalid_lines_are_reported_and_skipped() {
    if !real_tool_present() {
        return;
    }
    let config = r#"
d /dup 0755
d /dup 0700
d /same 0700
d /same 0700
z /same 0711
f /fplus - - - - one
f+ /fplus - - - - two
bogus line here
Y /unknown-type
d relative/path
f /bad-mode 9999
f /bad-mode-2 ~:8
f /bad-user - nosuchuser
f /bad-group - - nosuchgroup
f /bad-age - - - 1x
f /bad-age-by - - - q:1d
c /bad-dev - - - - 1
c /no-dev
w /write-needs-arg
t /xattr-needs-arg
a /acl-needs-arg
h /attr-needs-arg
C /copy-relative - - - - relative/src
f /bad-escape - - - - a\qb
f "/unterminated
d
d!! /double-modifier
d /dir-with-arg - - - - ignored
d /ok 0700 svc adm 10d
f /var/run/legacy
"" /empty-command
c~ /b64-dev - - - - MTozCg==
t~ /b64-xattr - - - - a
a~ /b64-acl - - - - a
h~ /b64-attr - - - - a
C~ /b64-copy - - - - a
f /ok-after-errors
"#;
    let mut files = vec![("/etc/tmpfiles.d/bad.conf", config)];
    accounts(&mut files);
    let pair = Pair::new(&files, |_| {});
    let out = pair.assert_same(&["--create"], &[]);
    assert_eq!(out.code, 65);
    assert!(out.stderr.contains("<ROOT>/etc/tmpfiles.d/bad.conf:9: "));
}

#[test]
fn copies_trees_and_respects_existing_targets() {
    if !real_tool_present() {
        return;
    }
    let config = r#"
C /copy/new - - - - /src/tree
C /copy/empty-dir 0700 - - - /src/tree
C /copy/full-dir - - - - /src/tree
C /copy/owned 0750 daemon adm - /src/tree
C /copy/file - - - - /src/tree/a
C /copy/missing - - - - /src/none
C /etc/factory-default
"#;
    let mut files = vec![("/etc/tmpfiles.d/c.conf", config)];
    accounts(&mut files);
    files.extend([
        ("/src/tree/a", "A"),
        ("/src/tree/sub/b", "B"),
        ("/copy/full-dir/keep", "K"),
        ("/usr/share/factory/etc/factory-default", "factory"),
    ]);
    let pair = Pair::new(&files, |root| {
        fs::create_dir_all(root.join("copy/empty-dir")).unwrap();
        set_mode(&root.join("src/tree/sub/b"), 0o600);
        set_mode(&root.join("src/tree/sub"), 0o710);
        symlink("sub/b", root.join("src/tree/link")).unwrap();
        std::os::unix::fs::lchown(root.join("src/tree/link"), Some(1), Some(1)).unwrap();
        std::os::unix::fs::chown(root.join("src/tree/a"), Some(4242), Some(4243)).unwrap();
    });
    pair.assert_same(&["--create"], &[]);
}

#[test]
fn remove_and_create_together() {
    if !real_tool_present() {
        return;
    }
    let config = r#"
r /gone-file
r /gone-empty-dir
r /nonempty-dir
R /gone-tree
R /glob-*
D /emptied 0700
d /emptied/kept-child
r /never-existed
"#;
    let files = [
        ("/etc/tmpfiles.d/r.conf", config),
        ("/gone-file", "x"),
        ("/nonempty-dir/x", "x"),
        ("/gone-tree/a/b/c", "x"),
        ("/glob-1/x", "x"),
        ("/glob-2", "x"),
        ("/emptied/a/b", "x"),
        ("/emptied/c", "x"),
    ];
    let prepare = |root: &Path| fs::create_dir_all(root.join("gone-empty-dir")).unwrap();
    let remove_only = Pair::new(&files, prepare);
    assert_eq!(remove_only.assert_same(&["--remove"], &[]).code, 73);
    let both = Pair::new(&files, prepare);
    both.assert_same(&["--remove", "--create"], &[]);
}

#[test]
fn prefixes_named_files_and_stdin() {
    if !real_tool_present() {
        return;
    }
    let files = [
        (
            "/etc/tmpfiles.d/a.conf",
            "d /run/a\nd /var/a\nd /dev/a\nd /srv/a\n",
        ),
        ("/usr/lib/tmpfiles.d/a.conf", "d /vendor-a-hidden\n"),
        ("/usr/lib/tmpfiles.d/b.conf", "d /vendor-b\n"),
        ("/lib/tmpfiles.d/c.conf", "d /lib-c\n"),
        ("/run/tmpfiles.d/d.conf", "d /runtime-d\n"),
        ("/usr/local/lib/tmpfiles.d/e.conf", "d /local-e\n"),
        ("/etc/tmpfiles.d/masked.conf", ""),
        ("/usr/lib/tmpfiles.d/masked.conf", "d /masked\n"),
    ];
    for args in [
        &["--create"][..],
        &["--create", "--prefix=/var", "--prefix=/srv"],
        &["--create", "--exclude-prefix=/srv"],
        &["--create", "-E"],
        &["--create", "b.conf"],
        &["--create", "nonexistent.conf"],
        &["--cat-config"],
    ] {
        let pair = Pair::new(&files, |_| {});
        pair.assert_same(args, &[]);
    }
    let stdin = Pair::new(&files, |_| {});
    let (real, ours) = stdin.run_with_stdin(&["--create", "-"], &[], "d /from-stdin\nbad\n");
    assert_eq!((ours.code, ours.stderr), (real.code, real.stderr));
    stdin.assert_same_trees();
}

#[test]
fn command_line_errors_match() {
    if !real_tool_present() {
        return;
    }
    let pair = Pair::with_config("d /x\n", |_| {});
    for args in [&[][..], &["--user", "--create"]] {
        let (real, ours) = pair.run(args, &[]);
        assert_eq!(
            (ours.code, &ours.stderr),
            (real.code, &real.stderr),
            "{args:?}"
        );
    }
}

#[test]
fn attribute_types_are_accepted_without_failing() {
    if !real_tool_present() {
        return;
    }
    let pair = Pair::with_config("d /x\nt /x - - - - user.test=1\nh /x - - - - +d\n", |_| {});
    assert_eq!(pair.assert_same(&["--create"], &[]).code, 0);
    let ours = run_tool(
        &pair.our_tool.program,
        &[
            format!("--root={}", pair.ours.path().display()),
            "--create".into(),
        ],
        &[],
        "",
    );
    assert_eq!(ours.stderr, UNSUPPORTED_NOTE, "warned once");
}

#[test]
fn user_mode_uses_the_user_directories() {
    if !real_tool_present() {
        return;
    }
    let config = "d %h/made 0700\nf %C/cache-file - - - - %t|%S|%L\nL %h/link - - - - %u\n";
    let run_in = |program: &Path| {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".config/user-tmpfiles.d");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("u.conf"), config).unwrap();
        let h = home.path().display().to_string();
        let runtime = format!("{h}/runtime");
        let env = [
            ("HOME", h.as_str()),
            ("XDG_RUNTIME_DIR", runtime.as_str()),
            ("XDG_CONFIG_HOME", ""),
            ("XDG_CACHE_HOME", ""),
            ("XDG_DATA_HOME", ""),
            ("XDG_CONFIG_DIRS", "/nonexistent"),
            ("XDG_DATA_DIRS", "/nonexistent"),
        ];
        let out = normalise(
            run_tool(program, &["--user".into(), "--create".into()], &env, ""),
            home.path(),
        );
        (out, snapshot(home.path()), home)
    };
    let ours = Ours::new();
    let (real_out, real_tree, _a) = run_in(Path::new(REAL_TOOL));
    let (our_out, our_tree, _b) = run_in(&ours.program);
    assert_eq!(
        (our_out.code, &our_out.stderr),
        (real_out.code, &real_out.stderr)
    );
    assert_eq!(
        format!("{our_tree:#?}").replace(_b.path().to_str().unwrap(), "<HOME>"),
        format!("{real_tree:#?}").replace(_a.path().to_str().unwrap(), "<HOME>")
    );
}

/// The tmpfiles.d files Debian installed on this machine, applied to an empty root with and
/// without the machine's account databases.
#[test]
fn this_machines_debian_configs_match() {
    if !real_tool_present() {
        return;
    }
    let Ok(entries) = fs::read_dir("/usr/lib/tmpfiles.d") else {
        eprintln!("note: no /usr/lib/tmpfiles.d here; skipping");
        return;
    };
    let configs: Vec<(String, String)> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".conf"))
        .filter_map(|e| {
            let text = fs::read_to_string(e.path()).ok()?;
            Some((
                format!("/usr/lib/tmpfiles.d/{}", e.file_name().to_string_lossy()),
                text,
            ))
        })
        .collect();
    assert!(!configs.is_empty());
    for with_accounts in [false, true] {
        let mut files: Vec<(&str, &str)> = configs
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
        let group = fs::read_to_string("/etc/group").unwrap_or_default();
        if with_accounts {
            files.push(("/etc/passwd", &passwd));
            files.push(("/etc/group", &group));
        }
        let pair = Pair::new(&files, |_| {});
        pair.assert_same(&["--create", "--boot"], &[]);
        pair.assert_same(&["--create", "--boot"], &[]);
    }
}

#[test]
fn ordering_parents_globs_and_edge_cases() {
    if !real_tool_present() {
        return;
    }
    let config = "d /order/a/b 0700\r\n\
        d /order/a 0711\n\
        z /order/a 0750\n\
        Z /order/glob-* 0700\n\
        d /order/glob-1\n\
        e /order/{glob-1,glob-2,none} 0701\n\
        w /order/glob-[12]/file - - - - written\n\
        f /order/glob-2/file\n\
        L /links/to-dir - - - - /somewhere\n\
        L+ /links/over-full-dir - - - - /somewhere\n\
        p+ /special/fifo-over-dir\n\
        f /links/file-over-symlink - - - - x\n\
        w /links/write-through - - - - through\n\
        d /links/dir-over-symlink 0700\n\
        d /links/dir-over-dangling 0700\n\
        f= /links/parent-link/file\n\
        f+ /special/fifo 0600\n\
        f /modes/setuid 4755\n\
        d /modes/sticky 1777\n\
        f /modes/none 0000\n\
        f   '/quoted path/x'   0600   -   -   -     leading spaces dropped  \n\
        f /quoted\\ escaped - - - - \"kept quotes\"\n\
        d /aged - - - ~aAm:1w2d\n\
        f^ /cred-bad-name - - - - a/b\n\
        C /copy/dangling-source - - - - /links/dangling\n";
    let files = [
        ("/etc/tmpfiles.d/a.conf", config),
        (
            "/etc/tmpfiles.d/b.conf",
            "d /order/a 0777\nf /first-file-wins - - - - b\n",
        ),
        (
            "/etc/tmpfiles.d/0-first.conf",
            "f /first-file-wins - - - - 0\n",
        ),
        ("/order/glob-2/file", "old contents here"),
        ("/links/over-full-dir/x/y", "x"),
        ("/special/fifo-over-dir/x", "x"),
        ("/target-dir/write-through", "original!!"),
        ("/real-parent/keep", "k"),
    ];
    let pair = Pair::new(&files, |root| {
        fs::create_dir_all(root.join("links/to-dir")).unwrap();
        symlink(
            "../target-dir/write-through",
            root.join("links/write-through"),
        )
        .unwrap();
        symlink("/nowhere", root.join("links/file-over-symlink")).unwrap();
        symlink("../target-dir", root.join("links/dir-over-symlink")).unwrap();
        symlink("/nowhere", root.join("links/dir-over-dangling")).unwrap();
        symlink("/nowhere", root.join("links/dangling")).unwrap();
        symlink("../real-parent", root.join("links/parent-link")).unwrap();
        fs::create_dir_all(root.join("special")).unwrap();
        nix::unistd::mkfifo(
            &root.join("special/fifo"),
            nix::sys::stat::Mode::from_bits_truncate(0o644),
        )
        .unwrap();
    });
    pair.assert_same(&["--create"], &[]);
    // A second run finds everything in place.
    pair.assert_same(&["--create"], &[]);
}

#[test]
fn removal_of_odd_targets() {
    if !real_tool_present() {
        return;
    }
    let config = "D /not-a-dir\nR /tree/{a,b}\nr /link\nd /tree 0700\nr /tree/c/*\n";
    let files = [
        ("/etc/tmpfiles.d/r.conf", config),
        ("/not-a-dir", "file"),
        ("/tree/a/x", "x"),
        ("/tree/b", "x"),
        ("/tree/c/1", "x"),
        ("/tree/c/.hidden", "x"),
        ("/target/keep", "k"),
    ];
    let pair = Pair::new(&files, |root| symlink("target", root.join("link")).unwrap());
    pair.assert_same(&["--remove"], &[]);
}

#[test]
fn odd_configuration_entries() {
    if !real_tool_present() {
        return;
    }
    let files = [
        ("/usr/lib/tmpfiles.d/masked.conf", "d /masked\n"),
        (
            "/usr/lib/tmpfiles.d/z-last.conf",
            "d /last\nw- /a-directory - - - - x\nw /a-directory - - - - x\n",
        ),
        ("/usr/lib/tmpfiles.d/no-newline.conf", "d /no-newline"),
        ("/usr/lib/tmpfiles.d/not-conf.txt", "d /not-conf\n"),
        ("/usr/lib/tmpfiles.d/.hidden.conf", "d /hidden\n"),
    ];
    let prepare = |root: &Path| {
        fs::create_dir_all(root.join("etc/tmpfiles.d/dir.conf")).unwrap();
        fs::create_dir_all(root.join("a-directory")).unwrap();
        symlink("/dev/null", root.join("etc/tmpfiles.d/masked.conf")).unwrap();
        symlink("/nowhere", root.join("etc/tmpfiles.d/dangling.conf")).unwrap();
        symlink(
            "../../usr/lib/tmpfiles.d/not-conf.txt",
            root.join("etc/tmpfiles.d/linked.conf"),
        )
        .unwrap();
    };
    for args in [&["--create"][..], &["--cat-config"]] {
        let pair = Pair::new(&files, prepare);
        pair.assert_same(args, &[]);
    }
}

/// Without `--root` the paths are the host's: a private directory under /tmp stands in for it.
#[test]
fn without_root_named_config_file() {
    if !real_tool_present() {
        return;
    }
    let ours = Ours::new();
    let run_in = |program: &Path| {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().display().to_string();
        let config = format!(
            "d {base}/made 0700 root root\nf {base}/made/file 0600 daemon - - hi\nL+ {base}/link - - - - made\nf {base}/user - nosuchuser\n"
        );
        let conf = dir.path().join("test.conf");
        fs::write(&conf, config).unwrap();
        let out = normalise(
            run_tool(
                program,
                &["--create".into(), conf.display().to_string()],
                &[],
                "",
            ),
            dir.path(),
        );
        let tree = without_root(snapshot(dir.path()), dir.path());
        (out, tree)
    };
    let (real_out, real_tree) = run_in(Path::new(REAL_TOOL));
    let (our_out, our_tree) = run_in(&ours.program);
    assert_eq!(
        (our_out.code, &our_out.stderr),
        (real_out.code, &real_out.stderr)
    );
    assert_eq!(our_tree, real_tree);
}

#[test]
fn objects_in_the_way_and_parents_that_are_files() {
    if !real_tool_present() {
        return;
    }
    let config = "f /fifo 0600\nf+ /sym - - - - x\nL /file - - - - x\nL+ /fifo2 - - - - x\n\
        c /dir - - - - 1:3\nc+ /dir2 - - - - 1:3\nb /chr - - - - 1:3\ne /file 0600\n\
        z /sym 0600 daemon\nZ /tree 0700 daemon adm\nd= /sym2/sub\nL= /deep/a/b - - - - x\n\
        p= /dirp\nf= /fifo3\nz /nonexist 0600\nz /suid 4755 daemon\n\
        f /file/sub\nd /file/sub2\nL /file/sub3 - - - - x\np /file/sub4\nc /file/sub5 - - - - 1:3\n\
        C /file/sub6 - - - - /etc\nf+ /file/sub7\nw /file/sub8 - - - - x\nL+ /file/sub9 - - - - x\n\
        p+ /file/sub10\nc+ /file/sub11 - - - - 1:3\nD /file/sub12\nv /file/sub13\n";
    let mut files = vec![("/etc/tmpfiles.d/t.conf", config)];
    accounts(&mut files);
    files.extend([("/file", "x"), ("/deep", "q"), ("/suid", "s")]);
    let pair = Pair::new(&files, |root| {
        let fifo = |p: &str| {
            nix::unistd::mkfifo(
                &root.join(p),
                nix::sys::stat::Mode::from_bits_truncate(0o644),
            )
            .unwrap()
        };
        fifo("fifo");
        fifo("fifo2");
        fifo("fifo3");
        symlink("file", root.join("sym")).unwrap();
        symlink("file", root.join("sym2")).unwrap();
        for d in ["dir", "dir2/x", "dirp/y", "tree/a"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        symlink("../file", root.join("tree/a/l")).unwrap();
        nix::sys::stat::mknod(
            &root.join("chr"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::from_bits_truncate(0o644),
            nix::sys::stat::makedev(1, 5),
        )
        .unwrap();
        set_mode(&root.join("suid"), 0o4755);
    });
    assert_eq!(pair.assert_same(&["--create"], &[]).code, 73);
}

#[test]
fn quoting_and_escapes() {
    if !real_tool_present() {
        return;
    }
    let config = "f \"/a\"b - - - - x\nd \"/x y\"/z\nd /c 0755 - - - # comment\n\
        f /t\t0600\t-\t-\t-\tTAB\targ\n  # indented comment\n\t\nf /e - - - - \\\\\n\
        f /u - - - - \\u00e9\\U0001F600\nf /o - - - - \\101\\0\nf /q \"\" - - - x\n\
        f /empty-arg - - - - \"\"\nf /dash-arg - - - - -\nf /sp - - - -    \n\
        L /lq - - - - \"quoted target\"\nf /hex - - - - \\x41\\x42\\t\\s|\n";
    let pair = Pair::with_config(config, |_| {});
    assert_eq!(pair.assert_same(&["--create"], &[]).code, 65);
}

/// RPM's %tmpfiles_create_package: `--replace=` puts standard input in place of a package's file.
#[test]
fn replace_puts_the_arguments_in_place_of_a_file() {
    if !real_tool_present() {
        return;
    }
    let files = [
        ("/usr/lib/tmpfiles.d/a.conf", "d /a\n"),
        ("/usr/lib/tmpfiles.d/pkg.conf", "d /old-pkg\n"),
        ("/etc/tmpfiles.d/shadow.conf", "d /admin-shadow\n"),
        ("/usr/lib/tmpfiles.d/shadow.conf", "d /vendor-shadow\n"),
        ("/usr/lib/tmpfiles.d/z.conf", "d /z/pkg 0700\n"),
    ];
    for (replace, stdin) in [
        (
            "--replace=/usr/lib/tmpfiles.d/pkg.conf",
            "d /z 0711\nd /new-pkg\n",
        ),
        (
            "--replace=/usr/lib/tmpfiles.d/shadow.conf",
            "d /from-stdin\n",
        ),
        (
            "--replace=/usr/lib/tmpfiles.d/brand-new.conf",
            "d /brand-new\n",
        ),
    ] {
        let pair = Pair::new(&files, |_| {});
        let (real, ours) = pair.run_with_stdin(&["--create", replace, "-"], &[], stdin);
        assert_eq!(
            (ours.code, ours.stderr),
            (real.code, real.stderr),
            "{replace}"
        );
        pair.assert_same_trees();
    }
    let pair = Pair::new(&files, |_| {});
    for args in [
        &["--create", "--replace=relative.conf", "-"][..],
        &["--create", "--replace=/usr/lib/tmpfiles.d/x.txt", "-"],
        &["--create", "--replace=/usr/lib/tmpfiles.d/x.conf"],
        &["--cat-config", "--replace=/usr/lib/tmpfiles.d/x.conf", "-"],
    ] {
        let (real, ours) = pair.run(args, &[]);
        assert_eq!(
            (ours.code, &ours.stderr),
            (real.code, &real.stderr),
            "{args:?}"
        );
    }
}
