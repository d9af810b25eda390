//! Differential test of `unit::sysv` against the real systemd-sysv-generator: both run over the
//! same init scripts and rc links, and must produce the same files and links byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use systemctl_shim::unit::sysv::SysvLayout;
use tempfile::TempDir;

const REAL_GENERATOR: &str = "/lib/systemd/system-generators/systemd-sysv-generator";

/// What a generator output directory holds: unit texts and symlink targets, by relative path.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    File(String),
    Link(String),
}

struct Fixture {
    _dir: TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        // The generator canonicalizes its search paths; so must the expected SourcePath=.
        let root = dir.path().canonicalize().expect("canonical tempdir");
        for d in [
            "etc/init.d",
            "etc/systemd/system",
            "out/normal",
            "out/early",
            "out/late",
        ] {
            fs::create_dir_all(root.join(d)).expect("mkdir");
        }
        Fixture { _dir: dir, root }
    }

    fn script(&self, name: &str, text: &str, mode: u32) -> &Fixture {
        let path = self.root.join("etc/init.d").join(name);
        fs::write(&path, text).expect("write script");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        self
    }

    fn start_links(&self, script: &str, priority: u8, runlevels: &[u8]) -> &Fixture {
        for level in runlevels {
            let dir = self.root.join(format!("etc/rc{level}.d"));
            fs::create_dir_all(&dir).expect("mkdir rcN.d");
            let link = dir.join(format!("S{priority:02}{script}"));
            symlink(format!("../init.d/{script}"), link).expect("rc link");
        }
        self
    }

    fn stop_link(&self, script: &str, runlevel: u8) -> &Fixture {
        let dir = self.root.join(format!("etc/rc{runlevel}.d"));
        fs::create_dir_all(&dir).expect("mkdir rcN.d");
        symlink(
            format!("../init.d/{script}"),
            dir.join(format!("K01{script}")),
        )
        .expect("K link");
        self
    }

    fn native_unit(&self, name: &str) -> &Fixture {
        fs::write(
            self.root.join("etc/systemd/system").join(name),
            "[Service]\nExecStart=/bin/true\n",
        )
        .expect("native unit");
        self
    }

    /// The real generator's output, with the root prefix removed from paths, or `None` when
    /// this machine has no generator.
    fn run_real(&self) -> Option<BTreeMap<String, Entry>> {
        if !Path::new(REAL_GENERATOR).exists() {
            eprintln!("note: {REAL_GENERATOR} is absent; skipping the differential test");
            return None;
        }
        let out = self.root.join("out");
        let status = Command::new(REAL_GENERATOR)
            .env("SYSTEMD_SYSVINIT_PATH", self.root.join("etc/init.d"))
            .env("SYSTEMD_SYSVRCND_PATH", self.root.join("etc"))
            .env("SYSTEMD_UNIT_PATH", self.root.join("etc/systemd/system"))
            .env("SYSTEMD_LOG_LEVEL", "err")
            .arg(out.join("normal"))
            .arg(out.join("early"))
            .arg(out.join("late"))
            .status()
            .expect("run the real generator");
        assert!(status.success(), "real generator failed: {status}");
        let prefix = self.root.to_string_lossy().into_owned();
        let mut entries = BTreeMap::new();
        collect(&out.join("late"), "", &mut entries);
        for entry in entries.values_mut() {
            if let Entry::File(text) = entry {
                *text = text.replace(&prefix, "");
            }
        }
        Some(entries)
    }

    fn run_ours(&self) -> BTreeMap<String, Entry> {
        let layout = SysvLayout::debian(&self.root);
        let native_dir = self.root.join("etc/systemd/system");
        let scan = layout.generate_all(&|name| native_dir.join(name).exists());
        assert!(
            scan.errors.is_empty(),
            "unexpected errors: {:?}",
            scan.errors
        );
        let mut entries = BTreeMap::new();
        for unit in scan.units {
            for alias in &unit.aliases {
                entries.insert(alias.clone(), Entry::Link(unit.name.clone()));
            }
            for target in &unit.wanted_by {
                entries.insert(
                    format!("{target}.wants/{}", unit.name),
                    Entry::Link(format!("../{}", unit.name)),
                );
            }
            entries.insert(unit.name.clone(), Entry::File(unit.text));
        }
        entries
    }

    fn assert_same_as_real(&self) {
        let Some(real) = self.run_real() else {
            return;
        };
        let ours = self.run_ours();
        for (path, entry) in &real {
            match (entry, ours.get(path)) {
                (Entry::File(want), Some(Entry::File(got))) => {
                    assert_eq!(got, want, "{path} differs from the real generator's")
                }
                (want, got) => assert_eq!(got, Some(want), "{path}"),
            }
        }
        let extra: Vec<&String> = ours.keys().filter(|k| !real.contains_key(*k)).collect();
        assert!(
            extra.is_empty(),
            "the real generator made none of {extra:?}"
        );
    }
}

fn collect(dir: &Path, prefix: &str, entries: &mut BTreeMap<String, Entry>) {
    let Ok(read) = fs::read_dir(dir) else {
        return;
    };
    for e in read.flatten() {
        let rel = format!("{prefix}{}", e.file_name().to_string_lossy());
        let path = e.path();
        let meta = fs::symlink_metadata(&path).expect("lstat");
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).expect("readlink");
            entries.insert(rel, Entry::Link(target.to_string_lossy().into_owned()));
        } else if meta.is_dir() {
            collect(&path, &format!("{rel}/"), entries);
        } else {
            entries.insert(rel, Entry::File(fs::read_to_string(&path).expect("read")));
        }
    }
}

const SLAPD: &str = r#"#! /bin/sh
### BEGIN INIT INFO
# Provides:          slapd
# Required-Start:    $remote_fs $network $syslog
# Required-Stop:     $remote_fs $network $syslog
# Should-Start:      $time krb5-kdc
# Should-Stop:       $time krb5-kdc
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: OpenLDAP standalone server (Lightweight Directory Access Protocol)
### END INIT INFO

# Source the init script configuration
if [ -f "/etc/default/slapd" ]; then
	. /etc/default/slapd
fi

case "$1" in
  start)
	start_slapd ;;
  stop)
	stop_slapd ;;
  restart|force-reload)
	stop_slapd; start_slapd ;;
  status)
	status_of_proc -p $SLAPD_PIDFILE slapd slapd ;;
  *)
	echo "Usage: $0 {start|stop|restart|force-reload|status}"
	exit 1
	;;
esac
"#;

const EXIM4: &str = r#"#! /bin/sh
# /etc/init.d/exim4
#
# Written by Miquel van Smoorenburg <miquels@drinkel.ow.org>.
# Modified for Debian GNU/Linux by Ian Murdock <imurdock@gnu.ai.mit.edu>.
# Modified for exim by Tim Cutts <tjrc1@mole.bio.cam.ac.uk>
# Modified for exim4 by Andreas Metzler <ametzler@downhill.at.eu.org>
#                   and Marc Haber <mh+debian-packages@zugschlus.de>

### BEGIN INIT INFO
# Short-Description:    exim Mail Transport Agent
# Description:          exim is a Mail Transport agent
# Provides:             mail-transport-agent
# Required-Start:       $remote_fs $syslog $named $network $time
# Required-Stop:        $remote_fs $syslog $named $network
# Should-Start:         postgresql mysql clamav-daemon greylist spamassassin
# Should-Stop:          postgresql mysql clamav-daemon greylist spamassassin
# Default-Start:        2 3 4 5
# Default-Stop:         0 1 6
### END INIT INFO

set -e

case "$1" in
  start) start_exim ;;
  stop) stop_exim ;;
  restart) stop_exim; start_exim ;;
  reload|force-reload) reload_exim ;;
  *)
    echo "Usage: /etc/init.d/exim4 \
       {start|stop|restart|reload|status|what|force-stop}"
    exit 1
    ;;
esac
"#;

const XINETD: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          xinetd
# Required-Start:    $syslog $remote_fs
# Required-Stop:     $syslog $remote_fs
# Should-Start:      $time
# Should-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# X-Interactive:     true
# Short-Description: Starts or stops the xinetd daemon.
# Description:       Starts or stops the xinetd daemon,
#                    the extended Internet services daemon.
### END INIT INFO

PATH=/usr/sbin:/usr/bin:/sbin:/bin
DAEMON=/usr/sbin/xinetd

case "$1" in
    start) start_xinetd ;;
    stop) stop_xinetd ;;
    reload) reload_xinetd ;;
    force-reload|restart) stop_xinetd; start_xinetd ;;
    *)
        echo "Usage: /etc/init.d/xinetd {start|stop|reload|force-reload|restart|status}"
        exit 1
        ;;
esac
"#;

const ISC_DHCP_SERVER: &str = r#"#!/bin/sh
#
#

### BEGIN INIT INFO
# Provides:          isc-dhcp-server dhcp-server $dhcpd dhcp.sh "quoted name"
# Required-Start:    $remote_fs $network $syslog
# Required-Stop:     $remote_fs $network $syslog
# Should-Start:      $local_fs slapd $named
# Should-Stop:       $local_fs slapd
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: DHCP server
# Description:       Dynamic Host Configuration Protocol Server
### END INIT INFO

case "$1" in
	start) ;;
	stop) ;;
	*)
		echo "Usage: $SCRIPTNAME {start|stop|restart|force-reload|status}"
		exit 1
esac
"#;

const RC_LOCAL: &str = r#"#! /bin/sh
### BEGIN INIT INFO
# Provides:          rc.local
# Required-Start:    $all
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:
# Description:       Run /etc/rc.local if it exist, 100% compatible
#	with what the admin expects
#  and then some.
### END INIT INFO

case "$1" in
    start) do_start ;;
    restart|reload|force-reload)
        echo "Error: argument '$1' not supported" >&2
        exit 3
        ;;
    *)
        echo "Usage: $0 start|stop" >&2
        exit 3
        ;;
esac
"#;

const NETWORK_EARLY: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          network-early $network
# Required-Start:    mountkernfs
# X-Start-Before:    $network nfs-common slapd
# X-Start-After:     udev
# Default-Start:     S
# Short-Description:
# Description: Raise the network before everything else
### END INIT INFO
echo "usage: network-early {start|stop|reload}"
"#;

const LEGACY: &str = r#"#!/bin/sh
# chkconfig: 2345 20 80
# description: A daemon from before LSB headers, \
#              described on two lines.
# pidfile: /var/run/legacyd.pid
case "$1" in
  start) /usr/sbin/legacyd ;;
  stop) kill $(cat /var/run/legacyd.pid) ;;
  *) echo "Usage: legacyd {start|stop|restart}" ;;
esac
"#;

const BARE: &str = "#!/bin/sh\nexec /usr/sbin/bared \"$@\"\n";

#[test]
fn debian_daemons_match_the_real_generator() {
    let fx = Fixture::new();
    fx.script("slapd", SLAPD, 0o755)
        .script("exim4", EXIM4, 0o755)
        .script("xinetd", XINETD, 0o755)
        .script("isc-dhcp-server", ISC_DHCP_SERVER, 0o755)
        .script("rc.local", RC_LOCAL, 0o755)
        .script("network-early.sh", NETWORK_EARLY, 0o755)
        .script("bare", BARE, 0o700)
        .script("uwsgi", XINETD, 0o644)
        .script("monit", XINETD, 0o755)
        .native_unit("monit.service")
        .start_links("slapd", 1, &[2, 3, 4, 5])
        .start_links("exim4", 2, &[2, 3, 4, 5])
        .start_links("xinetd", 2, &[2, 3, 4, 5])
        .start_links("isc-dhcp-server", 3, &[2, 3, 4, 5])
        .start_links("rc.local", 4, &[2, 3, 4, 5])
        .start_links("network-early.sh", 1, &[1])
        .start_links("uwsgi", 3, &[2, 3, 4, 5])
        .start_links("monit", 3, &[2, 3, 4, 5])
        .start_links("gone", 3, &[2])
        .stop_link("slapd", 0)
        .stop_link("exim4", 6);
    fx.assert_same_as_real();
}

#[test]
fn scripts_without_lsb_header_are_ordered_by_start_priority() {
    let fx = Fixture::new();
    fx.script("slapd", SLAPD, 0o755)
        .script("legacyd", LEGACY, 0o755)
        .script("xinetd", XINETD, 0o755)
        .script("bare", BARE, 0o755)
        .start_links("slapd", 1, &[2, 3])
        .start_links("legacyd", 20, &[2, 3, 5])
        .start_links("legacyd", 10, &[4])
        .start_links("xinetd", 30, &[2]);
    fx.assert_same_as_real();
}

#[test]
fn a_provides_alias_never_replaces_a_real_script() {
    let fx = Fixture::new();
    let claims_xinetd = SLAPD.replace(
        "# Provides:          slapd",
        "# Provides: slapd xinetd ldap",
    );
    let claims_ldap_too = XINETD.replace("# Provides:          xinetd", "# Provides: xinetd ldap");
    fx.script("slapd", &claims_xinetd, 0o755)
        .script("xinetd", &claims_ldap_too, 0o755);
    // Which of the two gets ldap.service depends on the generator's hash order; ours is by name.
    let Some(real) = fx.run_real() else {
        return;
    };
    let ours = fx.run_ours();
    for name in ["slapd.service", "xinetd.service"] {
        assert_eq!(ours.get(name), real.get(name), "{name}");
    }
    assert!(matches!(real.get("ldap.service"), Some(Entry::Link(_))));
    assert_eq!(
        ours.get("ldap.service"),
        Some(&Entry::Link("slapd.service".into()))
    );
}

#[test]
fn percent_signs_and_crlf_line_ends_match_the_real_generator() {
    let fx = Fixture::new();
    let crlf = XINETD
        .replace(
            "Short-Description: Starts",
            "Short-Description: 100% Starts",
        )
        .replace('\n', "\r\n");
    fx.script("xinetd", &crlf, 0o755)
        .script("exim4", &EXIM4.replace('\n', "\n\r"), 0o755)
        .script("100%.sh", BARE, 0o755);
    fx.assert_same_as_real();
}

const QUIRKS: &str = "#!/bin/sh\n\
### BEGIN INIT INFO   \n\
# provides: quirks 'unbalanced\n\
# REQUIRED-START: $Network \"$remote_fs\" back\\ slash\n\
# Description:\n\
#  continued only when indented\n\
#\tby a tab too\n\
#  Required-Stop: $syslog\n\
# Default-Start: 2 3 4 5\n\
# X-Interactive: true\n\
#not indented ends it\n\
#  not appended\n\
### END INIT INFO\n\
# description: a chkconfig description after the header\n\
# pidfile: relative/path.pid\n\
echo \"usage: quirks \\\n\
\n\
  {start|stop|reload}\"\n\
";

const CONTINUED_USAGE: &str = "#!/bin/sh\n\
### BEGIN INIT INFO\n\
# Provides: continued\n\
# Short-Description: first\n\
# Short-Description:\n\
# Description: long one\n\
### END INIT INFO\n\
# pidfile: /run/continued.pid\n\
echo \"Usage: $0 \\\n\
# a comment does not end the continuation\n\
    {start|stop|RELOAD}\"\n\
";

#[test]
fn header_quirks_match_the_real_generator() {
    let fx = Fixture::new();
    // Its own Provides: alias, as two claims on one alias are settled by hash order.
    let long_description_only = QUIRKS
        .replace(
            "# description: a chkconfig description after the header\n",
            "",
        )
        .replace("'unbalanced", "'unbalanced-too");
    fx.script("quirks", QUIRKS, 0o755)
        .script("described", &long_description_only, 0o755)
        .script("continued", CONTINUED_USAGE, 0o755)
        .script("getty@tty9", BARE, 0o755)
        .script("with space", BARE, 0o755)
        .start_links("quirks", 1, &[2, 3, 4, 5])
        .start_links("with space", 1, &[5]);
    fx.assert_same_as_real();
}

/// The init scripts this machine's packages installed, with their start links.
#[test]
fn installed_scripts_match_the_real_generator() {
    let Ok(scripts) = fs::read_dir("/etc/init.d") else {
        eprintln!("note: no /etc/init.d here; skipping");
        return;
    };
    let fx = Fixture::new();
    for entry in scripts.flatten() {
        let Ok(text) = fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        fx.script(&name, &text, meta.permissions().mode() & 0o7777);
    }
    for level in 1..=5u8 {
        let Ok(links) = fs::read_dir(format!("/etc/rc{level}.d")) else {
            continue;
        };
        for link in links.flatten() {
            let link = link.file_name().to_string_lossy().into_owned();
            let Some(priority) = link.get(1..3).and_then(|p| p.parse().ok()) else {
                continue;
            };
            if let (true, Some(script)) = (link.starts_with('S'), link.get(3..)) {
                fx.start_links(script, priority, &[level]);
            }
        }
    }
    fx.assert_same_as_real();
}
