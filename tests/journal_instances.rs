//! `journalctl` over the log file the instances of a template share (one instance per connection
//! of an `Accept=yes` socket), filled through `LogStore::append_instance` as the manager fills it.

mod common;

use common::journalctl;

use systemctl_shim::journal::{LogStore, Record};

const A: &str = "echo@0-1234-0.service";
const B: &str = "echo@17-127.0.0.1:7777-127.0.0.1:33476.service";

fn record(t: u64, msg: &str) -> Record {
    Record {
        realtime_usec: 1_700_000_000_000_000 + t,
        pid: 7,
        identifier: "echo".to_string(),
        message: msg.to_string(),
    }
}

/// web.service in a file of its own; two connection instances in echo@.service's shared file;
/// and instance A also in a file of its own, as an older store would have written it.
fn mixed_store() -> tempfile::TempDir {
    let rt = tempfile::tempdir().expect("tempdir");
    let store = LogStore::new(&rt.path().join("log"));
    let shared = |unit: &str, t, msg| {
        store
            .append_instance("echo@.service", unit, &record(t, msg))
            .expect("append_instance");
    };
    store
        .append("web.service", &record(1, "web up"))
        .expect("append");
    shared(A, 2, "a hello");
    store.append(A, &record(3, "a own file")).expect("append");
    shared(B, 4, "b hello");
    shared(A, 5, "a bye");
    store
        .append("web.service", &record(6, "web down"))
        .expect("append");
    rt
}

#[test]
fn every_unit_lists_instances_by_name_and_never_the_shared_file() {
    let rt = mixed_store();
    let o = journalctl(rt.path(), &["-o", "cat"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "web up\na hello\na own file\nb hello\na bye\nweb down\n"),
        "all units, in time order"
    );

    let o = journalctl(rt.path(), &["-o", "with-unit", "--no-hostname", "--utc"]);
    let sources: Vec<&str> = o
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(
        sources,
        [
            "web.service[7]:",
            &format!("{A}[7]:"),
            &format!("{A}[7]:"),
            &format!("{B}[7]:"),
            &format!("{A}[7]:"),
            "web.service[7]:"
        ]
    );

    let o = journalctl(rt.path(), &["-u", B, "-o", "json"]);
    let entry: serde_json::Value = serde_json::from_str(o.stdout.trim()).expect("one json line");
    assert_eq!(entry["_SYSTEMD_UNIT"], B);
    assert_eq!(entry["MESSAGE"], "b hello");
}

#[test]
fn an_instance_name_selects_its_records_from_both_files() {
    let rt = mixed_store();
    let o = journalctl(rt.path(), &["-u", A, "-o", "cat"]);
    assert_eq!(o.stdout, "a hello\na own file\na bye\n");

    // Without a suffix it is a service, as for any other name.
    let o = journalctl(rt.path(), &["-u", "echo@0-1234-0", "-o", "cat", "-n", "1"]);
    assert_eq!(o.stdout, "a bye\n");

    let o = journalctl(rt.path(), &["-u", B, "-u", "web", "-o", "cat", "-r"]);
    assert_eq!(o.stdout, "web down\nb hello\nweb up\n");
}

#[test]
fn a_glob_selects_the_instances_and_the_template_name_none() {
    let rt = mixed_store();
    let o = journalctl(rt.path(), &["-u", "echo@*", "-o", "cat"]);
    assert_eq!(o.stdout, "a hello\na own file\nb hello\na bye\n");

    // systemd's journalctl matches a template name exactly, and a template never runs.
    let o = journalctl(rt.path(), &["-u", "echo@.service"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "-- No entries --\n"));
}

#[test]
fn thousands_of_instances_stay_in_two_files_and_read_quickly() {
    let rt = tempfile::tempdir().expect("tempdir");
    let log = rt.path().join("log");
    let store = LogStore::new(&log);
    let n = 40_000;
    for i in 0..n {
        let unit = format!("echo@{i}-127.0.0.1:7777-127.0.0.1:{}.service", 40_000 + i);
        store
            .append_instance("echo@.service", &unit, &record(i, &format!("conn {i}")))
            .expect("append_instance");
    }
    let mut files: Vec<String> = std::fs::read_dir(&log)
        .expect("log dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["echo@.service.log", "echo@.service.log.1"]);

    let o = journalctl(rt.path(), &["-o", "cat", "-n", "2"]);
    assert_eq!(
        o.stdout,
        format!("conn {}\nconn {}\n", n - 2, n - 1),
        "the newest survive rotation"
    );
    let o = journalctl(rt.path(), &["-u", "echo@*", "-o", "cat"]);
    let kept = o.stdout.lines().count();
    assert!(kept > 10_000 && kept < n as usize, "{kept} records kept");

    let last = format!(
        "echo@{}-127.0.0.1:7777-127.0.0.1:{}.service",
        n - 1,
        40_000 + n - 1
    );
    let o = journalctl(rt.path(), &["-u", &last, "-o", "cat"]);
    assert_eq!(o.stdout, format!("conn {}\n", n - 1));
}
