//! Differential tests: the same verb on two identical `--root` trees, one run by the machine's
//! real systemctl 252 and one by ours; the symlinks left behind, stdout, stderr (with each
//! tree's path replaced by `ROOT`) and the exit code must be identical.
//!
//! Skipped, with a note, when the machine's systemctl is not version 252 or the Debian unit
//! corpus is missing.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use common::{corpus_dir, Outcome, RootTree};

fn oracle_is_252() -> bool {
    let ok = Command::new("systemctl")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|v| {
            v.lines()
                .next()
                .is_some_and(|l| l.starts_with("systemd 252 "))
        });
    if !ok {
        eprintln!("note: skipping differential test, the machine's systemctl is not systemd 252");
    }
    ok
}

/// Two trees built the same way: (for the real systemctl, for ours).
struct Pair {
    real: RootTree,
    ours: RootTree,
}

impl Pair {
    fn new(build: impl Fn(&RootTree)) -> Pair {
        let real = RootTree::new();
        let ours = RootTree::new();
        build(&real);
        build(&ours);
        Pair { real, ours }
    }

    /// Run `args` on both trees and insist on identical results and layouts.
    fn check(&self, args: &[&str]) {
        let expected = normalize(self.real.real_systemctl(args), self.real.path());
        let got = normalize(self.ours.ours(args), self.ours.path());
        let command = args.join(" ");
        assert_same(
            &got.stdout,
            &expected.stdout,
            &format!("stdout of `{command}`"),
        );
        assert_same(
            &got.stderr,
            &expected.stderr,
            &format!("stderr of `{command}`"),
        );
        assert_eq!(got.code, expected.code, "exit code of `{command}`");
        let fmt = |links: Vec<(String, String)>| {
            links
                .iter()
                .map(|(p, t)| format!("{p} -> {t}\n"))
                .collect::<String>()
        };
        assert_same(
            &fmt(self.ours.symlinks()),
            &fmt(self.real.symlinks()),
            &format!("symlinks after `{command}`"),
        );
    }

    fn check_all(&self, commands: &[&str]) {
        for c in commands {
            let args: Vec<&str> = c.split_whitespace().collect();
            self.check(&args);
        }
    }
}

/// Compare texts line by line and show only the lines that differ.
fn assert_same(ours: &str, real: &str, what: &str) {
    if ours == real {
        return;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), real.lines().collect());
    let mut report = String::new();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).copied(), b.get(i).copied());
        if x != y {
            report.push_str(&format!(
                "line {}:\n  ours: {:?}\n  real: {:?}\n",
                i + 1,
                x,
                y
            ));
        }
    }
    panic!("{what} differs from systemctl 252:\n{report}");
}

fn normalize(o: Outcome, root: &Path) -> Outcome {
    let root = root.display().to_string();
    Outcome {
        stdout: o.stdout.replace(&root, "ROOT"),
        stderr: o.stderr.replace(&root, "ROOT"),
        code: o.code,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    let mut entries: Vec<_> = fs::read_dir(from)
        .expect("read corpus dir")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let dest = to.join(e.file_name());
        let t = e.file_type().expect("file type");
        if t.is_dir() {
            copy_dir(&e.path(), &dest);
        } else if t.is_symlink() {
            let target = fs::read_link(e.path()).expect("readlink");
            let _ = symlink(target, &dest);
        } else if !dest.exists() {
            fs::copy(e.path(), &dest).expect("copy unit");
        }
    }
}

/// Lay the system units of `packages` (all packages when empty) into the tree's
/// /lib/systemd/system, with the symlinks MANIFEST.txt lists but the corpus could not hold.
fn lay_corpus(tree: &RootTree, corpus: &Path, packages: &[&str]) {
    let mut names: Vec<String> = fs::read_dir(corpus)
        .expect("corpus")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| packages.is_empty() || packages.contains(&n.as_str()))
        .collect();
    names.sort();
    let system = tree.real("/lib/systemd/system");
    for n in &names {
        let dir = corpus.join(n).join("lib/systemd/system");
        if dir.is_dir() {
            copy_dir(&dir, &system);
        }
    }
    let manifest = fs::read_to_string(corpus.join("MANIFEST.txt")).unwrap_or_default();
    for line in manifest.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [package, _, path, target] = cols[..] else {
            continue;
        };
        let Some(target) = target.strip_prefix("-> ") else {
            continue;
        };
        if !path.starts_with("lib/systemd/system/")
            || !(packages.is_empty() || packages.contains(&package))
        {
            continue;
        }
        let inside = format!("/{path}");
        if fs::symlink_metadata(tree.real(&inside)).is_err() {
            tree.link(&inside, target);
        }
    }
}

fn unit_names(tree: &RootTree) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(tree.real("/lib/systemd/system"))
        .expect("units")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            [
                ".service", ".socket", ".timer", ".target", ".path", ".mount",
            ]
            .iter()
            .any(|s| n.ends_with(s))
        })
        .collect();
    names.sort();
    names
}

const PRESET: &str = "enable ssh.service\nenable cups.*\nenable openvpn@.service alpha beta\ndisable apt-daily*\nenable apt-*\ndisable *\n";

/// Units with what the corpus lacks: DefaultInstance=, specifiers, RequiredBy=,
/// unit-less names, a generated and a transient unit, and a linkable file outside the path.
fn lay_extras(tree: &RootTree) {
    tree.write(
        "/lib/systemd/system/tpl@.service",
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=dflt\nAlias=tplalias@.service\n",
    )
    .write(
        "/lib/systemd/system/spec@.service",
        "[Install]\nWantedBy=%p-group.target\nRequiredBy=multi-user.target\n",
    )
    .write("/lib/systemd/system/multi-user.target", "[Unit]\nDescription=Multi-User\n")
    .write("/lib/systemd/system/graphical.target", "[Unit]\nDescription=Graphical\n[Install]\nAlias=default.target\n")
    .write("/lib/systemd/system/rescue.target", "[Unit]\nDescription=Rescue\n")
    .write("/run/systemd/generator/gen.service", "[Install]\nWantedBy=multi-user.target\n")
    .write("/run/systemd/transient/trans.service", "[Install]\nWantedBy=multi-user.target\n")
    .write("/opt/extra/linked.service", "[Install]\nWantedBy=multi-user.target\nAlias=linkalias.service\n")
    .write("/etc/systemd/system-preset/90-test.preset", PRESET);
}

#[test]
fn verbs_on_several_packages_match_systemctl() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("note: skipping, unit corpus not found");
        return;
    };
    if !oracle_is_252() {
        return;
    }
    let packages = [
        "openssh-server",
        "cups-daemon",
        "multipath-tools",
        "iptables-persistent",
        "netfilter-persistent",
        "mariadb-server",
        "openvpn",
        "apt",
        "sssd-common",
        "rpcbind",
        "389-ds-base",
        "postgresql-common",
        "samba",
        "chrony",
    ];
    let pair = Pair::new(|t| {
        lay_corpus(t, &corpus, &packages);
        lay_extras(t);
    });
    let units = unit_names(&pair.real);
    let mut commands = Vec::new();
    for u in &units {
        for verb in ["enable", "reenable", "disable"] {
            commands.push(format!("{verb} {u}"));
        }
    }
    let commands: Vec<&str> = commands.iter().map(String::as_str).collect();
    pair.check_all(&commands);
    pair.check_all(&[
        "enable ssh.service cups.service openvpn@office.service tpl@.service spec@x.service",
        "enable tpl@other.service",
        "is-enabled ssh.service sshd.service ssh.socket cups.service cups.socket cups.path tpl@.service tpl@dflt.service tpl@other.service tplalias@dflt.service spec@x.service openvpn@.service openvpn@office.service mysql.service mariadb.service dirsrv.service sssd-nss.service",
        "list-unit-files",
        "list-unit-files *.s* --state=enabled,static",
        "list-unit-files --type=socket,timer",
        "list-unit-files --no-legend ssh*",
        "list-unit-files --legend=no --state=masked",
        "list-unit-files nothing-matches*",
        "disable ssh.service cups.service",
        "disable tpl@.service openvpn@.service",
        "mask ssh.service apt-daily.timer",
        "enable ssh.service",
        "is-enabled ssh.service apt-daily.timer",
        "list-unit-files --state=masked",
        "unmask ssh.service apt-daily.timer",
        "mask --runtime cups.service",
        "enable --runtime ssh.service",
        "is-enabled cups.service ssh.service",
        "unmask --runtime cups.service",
        "disable --runtime ssh.service",
        "link /opt/extra/linked.service",
        "is-enabled linked.service",
        "enable linked.service",
        "is-enabled linked.service linkalias.service",
        "disable linked.service",
        "is-enabled gen.service trans.service",
        "enable gen.service",
        "enable trans.service",
        "preset ssh.service cups.service apt-daily.timer apt-daily-upgrade.timer",
        "preset openvpn@.service",
        "preset mysql.service",
        "--preset-mode=disable-only preset ssh.service rpcbind.service",
        "--preset-mode=enable-only preset ssh.service rpcbind.service",
        "set-default multi-user.target",
        "get-default",
        "set-default graphical",
        "get-default",
        "set-default nothere.target",
        "set-default ssh.service",
        "add-wants multi-user.target ssh.service",
        "add-requires rescue.target cups.service",
        "-q enable rpcbind.service",
        "-q disable rpcbind.service",
        "-q is-enabled ssh.service",
        "--force enable ssh.service",
        "revert ssh.service",
    ]);
}

#[test]
fn preset_all_modes_match_systemctl() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        lay_corpus(
            t,
            &corpus,
            &[
                "openssh-server",
                "cups-daemon",
                "apt",
                "openvpn",
                "mariadb-server",
                "sssd-common",
            ],
        );
        lay_extras(t);
    });
    pair.check_all(&[
        "--preset-mode=enable-only preset-all",
        "list-unit-files",
        "--preset-mode=disable-only preset-all",
        "list-unit-files",
        "preset-all",
        "list-unit-files",
        "mask cups.service",
        "preset-all",
        "unmask cups.service",
        "--preset-mode=full preset-all",
    ]);
}

#[test]
fn whole_corpus_list_and_is_enabled_match_systemctl() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        lay_corpus(t, &corpus, &[]);
        lay_extras(t);
    });
    let units = unit_names(&pair.real);
    let mut is_enabled = vec!["is-enabled"];
    is_enabled.extend(units.iter().map(String::as_str));
    pair.check(&["list-unit-files"]);
    pair.check(&is_enabled);
    pair.check(&["preset-all"]);
    pair.check(&["list-unit-files"]);
    pair.check(&is_enabled);
    pair.check(&["get-default"]);
}

#[test]
fn states_of_hand_made_layouts_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        lay_extras(t);
        t.write(
            "/lib/systemd/system/a.service",
            "[Install]\nWantedBy=multi-user.target\n",
        )
        .write(
            "/lib/systemd/system/ind.service",
            "[Install]\nAlso=a.service\n",
        )
        .write(
            "/lib/systemd/system/st.service",
            "[Service]\nExecStart=/bin/true\n",
        )
        .write("/lib/systemd/system/empty.service", "")
        // 252 does not know UpheldBy= in [Install] and warns.
        .write(
            "/lib/systemd/system/upheld.service",
            "[Install]\nUpheldBy=multi-user.target\n",
        )
        .link("/lib/systemd/system/vendoralias.service", "a.service")
        .link("/lib/systemd/system/vendormask.service", "/dev/null")
        .link(
            "/etc/systemd/system/other.service",
            "/lib/systemd/system/a.service",
        )
        .link(
            "/run/systemd/system/multi-user.target.wants/st.service",
            "/lib/systemd/system/st.service",
        )
        .link(
            "/lib/systemd/system/multi-user.target.wants/ind.service",
            "../ind.service",
        );
    });
    pair.check_all(&[
        "is-enabled a.service ind.service st.service empty.service vendoralias.service vendormask.service other.service",
        "list-unit-files",
        "enable vendoralias.service",
        "enable empty.service",
        "disable other.service",
        "is-enabled a.service",
        "enable st.service",
        "is-enabled upheld.service",
        "enable upheld.service",
        "list-unit-files --state=enabled-runtime,static,indirect",
    ]);
}

#[test]
fn scopes_and_type_filters_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        t.write(
            "/usr/lib/systemd/user/u.service",
            "[Install]\nWantedBy=default.target\n",
        )
        .write(
            "/lib/systemd/system/s.service",
            "[Install]\nWantedBy=multi-user.target\n",
        )
        .write(
            "/lib/systemd/system/s.socket",
            "[Install]\nWantedBy=sockets.target\n",
        )
        .write(
            "/lib/systemd/system/o.service",
            "[Install]\nWantedBy=multi-user.target\nAlso=missing.service s.socket\n",
        )
        .write(
            "/lib/systemd/system/t@.service",
            "[Install]\nWantedBy=foo@%i.target\nRequiredBy=bar.target\nAlias=ta@.service\n",
        )
        .write(
            "/lib/systemd/system/legacy.service",
            "[Install]\nAlias=multi-user.target.wants/legacy.service\n",
        )
        .write(
            "/lib/systemd/system/badalias.service",
            "[Install]\nAlias=wrong.socket\n",
        )
        .write(
            "/lib/systemd/system/spec.service",
            "[Install]\nAlias=%n.alias.service\nWantedBy=%Z.target\n",
        )
        .write("/opt/o2.service", "[Install]\nWantedBy=multi-user.target\n");
    });
    pair.check_all(&[
        "--global enable u.service",
        "--global is-enabled u.service",
        "--global list-unit-files",
        "--global disable u.service",
        "--user enable u.service",
        "--user is-enabled u.service",
        "--user list-unit-files",
        "--user get-default",
        "list-unit-files --type=service,loaded",
        "list-unit-files -t socket",
        "enable o.service",
        "disable o.service",
        "enable t@x.service",
        "is-enabled t@x.service ta@x.service t@.service",
        "disable t@.service",
        "enable legacy.service",
        "is-enabled legacy.service",
        "disable legacy.service",
        "enable badalias.service",
        "enable spec.service",
        "enable /opt/o2.service",
        "reenable /opt/o2.service",
        "disable o2.service",
        "link /opt/o2.service",
        "link /lib/systemd/system/s.service",
        "enable s.service nope.service",
        "mask s.service s.service",
        "unmask s.service nope.service",
    ]);
}

#[test]
fn templates_enabled_by_path_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        t.write(
            "/opt/lt@.service",
            "[Install]\nWantedBy=multi-user.target\nDefaultInstance=q\n",
        )
        .write("/lib/systemd/system/multi-user.target", "[Unit]\n");
    });
    pair.check_all(&[
        "enable /opt/lt@.service",
        "is-enabled lt@.service lt@q.service",
        "disable lt@.service",
        "reenable /opt/lt@.service",
        "is-enabled lt@q.service",
    ]);
}

#[test]
fn instances_linked_in_vendor_directories_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        t.write(
            "/lib/systemd/system/p@.service",
            "[Install]\nWantedBy=multi-user.target\n",
        )
        .write("/lib/systemd/system/multi-user.target", "[Unit]\n")
        .link(
            "/lib/systemd/system/multi-user.target.wants/p@i.service",
            "../p@.service",
        );
    });
    pair.check_all(&[
        "is-enabled p@i.service p@.service",
        "list-unit-files",
        "enable p@j.service",
        "is-enabled p@i.service p@j.service",
        "--runtime enable p@i.service",
        "is-enabled p@i.service",
    ]);
}

#[test]
fn invalid_default_instance_matches_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        t.write(
            "/lib/systemd/system/di@.service",
            "[Install]\nDefaultInstance= ; \nWantedBy=multi-user.target\n",
        )
        .write(
            "/lib/systemd/system/dj@.service",
            "[Install]\nDefaultInstance=ok\nWantedBy=multi-user.target\n",
        );
    });
    pair.check_all(&[
        "is-enabled di@.service",
        "list-unit-files",
        "enable di@.service",
        "is-enabled di@x.service",
        "enable di@x.service dj@.service",
        "preset di@.service",
    ]);
}

#[test]
fn get_default_of_masked_or_generated_targets_matches_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let masked_default = Pair::new(|t| {
        t.write("/lib/systemd/system/multi-user.target", "[Unit]\n")
            .link("/lib/systemd/system/default.target", "multi-user.target")
            .link("/etc/systemd/system/default.target", "/dev/null");
    });
    masked_default.check(&["get-default"]);
    let masked_target = Pair::new(|t| {
        t.link("/lib/systemd/system/multi-user.target", "/dev/null")
            .link("/etc/systemd/system/default.target", "multi-user.target");
    });
    masked_target.check(&["get-default"]);
    let generated = Pair::new(|t| {
        t.write("/run/systemd/generator/g.target", "[Unit]\n")
            .link("/run/systemd/generator/default.target", "g.target");
    });
    generated.check(&["get-default"]);
}

#[test]
fn misfitting_alias_symlinks_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        t.write(
            "/lib/systemd/system/tpl@.service",
            "[Install]\nWantedBy=multi-user.target\n",
        )
        .link("/lib/systemd/system/tpl@b.service", "tpl@a.service")
        .write(
            "/lib/systemd/system/p@.service",
            "[Install]\nWantedBy=multi-user.target\n",
        )
        .link("/lib/systemd/system/pl.service", "p@.service")
        .link("/lib/systemd/system/q@.socket", "p@.service")
        .link("/lib/systemd/system/bn.service", "bad name")
        .write("/lib/systemd/system/y.mount", "[Unit]\n")
        .link("/lib/systemd/system/x.mount", "y.mount")
        .write("/lib/systemd/system/p@.target", "[Unit]\n")
        .link("/lib/systemd/system/pl.target", "p@.target")
        .write(
            "/lib/systemd/system/wb.service",
            "[Install]\nWantedBy=pl.target\n",
        );
    });
    pair.check_all(&[
        "is-enabled tpl@b.service",
        "is-enabled pl.service",
        "is-enabled q@.socket",
        "is-enabled bn.service",
        "is-enabled x.mount",
        "is-enabled tpl@a.service",
        "list-unit-files",
        "enable pl.service",
        "disable tpl@b.service",
        "enable wb.service",
    ]);
}

#[test]
fn set_default_reads_the_default_back_like_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        t.write("/lib/systemd/system/graphical.target", "[Unit]\n")
            .link("/lib/systemd/system/runlevel5.target", "graphical.target")
            .write("/lib/systemd/system/t@.target", "[Unit]\n")
            .write("/lib/systemd/system/multi-user.target", "[Unit]\n");
    });
    pair.check_all(&[
        "set-default runlevel5.target",
        "get-default",
        "set-default t@x.target",
        "set-default multi-user.target",
        "set-default nope.target",
    ]);
}

#[test]
fn unreadable_presets_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        t.write(
            "/lib/systemd/system/x.service",
            "[Install]\nWantedBy=multi-user.target\n",
        )
        .write(
            "/lib/systemd/system/y.service",
            "[Install]\nWantedBy=multi-user.target\n",
        )
        .write("/lib/systemd/system/z.service", "[Unit]\n")
        .write(
            "/etc/systemd/system-preset/10-a.preset",
            "enable x.service\nbogus line\n",
        );
        fs::create_dir_all(t.real("/etc/systemd/system-preset/20-dir.preset")).expect("mkdir");
    });
    pair.check_all(&[
        "list-unit-files",
        "preset x.service",
        "preset-all",
        "list-unit-files x*",
    ]);
}

#[test]
fn names_that_need_mangling_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        t.write("/lib/systemd/system/ab.service", "[Unit]\n");
    });
    for args in [
        &["enable", "a*"][..],
        &["enable", ".service"],
        &["enable", "a b"],
        &["-q", "enable", "a*"],
        &["disable", "a[b]"],
        &["enable", "a* b"],
        &["enable", "a*.service"],
        &["add-wants", "a*", "b?"],
        &["set-default", "a*"],
        &["mask", "a?"],
        &["unmask", "a?"],
    ] {
        pair.check(args);
    }
}

#[test]
fn units_that_are_directories_or_fifos_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        for d in [
            "/lib/systemd/system/dir.service",
            "/lib/systemd/system/dir.socket",
            "/opt/d.service",
        ] {
            fs::create_dir_all(t.real(d)).expect("mkdir");
        }
        for f in ["/opt/f.service", "/lib/systemd/system/ff.service"] {
            let made = Command::new("mkfifo").arg(t.real(f)).status();
            assert!(made.is_ok_and(|s| s.success()), "mkfifo {f}");
        }
    });
    pair.check_all(&[
        "is-enabled dir.service",
        "enable dir.service",
        "enable dir.socket",
        "link /opt/d.service",
        "link /opt/f.service",
        "is-enabled ff.service",
        "list-unit-files",
    ]);
}

#[test]
fn warnings_before_a_bad_section_header_match_systemctl() {
    if !oracle_is_252() {
        return;
    }
    let pair = Pair::new(|t| {
        t.write(
            "/lib/systemd/system/sh.service",
            "[Unit]\nFoo=1\n[Install]\nBar=2\nWantedBy=a.target\n[Bad\nBaz=3\n",
        )
        .write(
            "/lib/systemd/system/d@.service",
            "[Install]\nDefaultInstance=;\n[Bad\n",
        )
        .write(
            "/lib/systemd/system/al.service",
            "[Install]\nAlso=o.service\nQ=1\n[Bad\n",
        )
        .write(
            "/lib/systemd/system/o.service",
            "[Install]\nWantedBy=x.target\n",
        );
    });
    pair.check_all(&[
        "list-unit-files",
        "is-enabled sh.service",
        "enable sh.service",
        "is-enabled d@.service",
        "enable al.service",
        "disable al.service",
    ]);
}
