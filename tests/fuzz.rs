//! A mutation fuzzer on stable Rust: inputs seeded from real unit files (the Debian corpus and
//! unit-fixtures/), environment files, calendar specs, time spans, tmpfiles lines, unit names,
//! specifiers, command lines, notify datagrams and control-socket requests are mutated (bit
//! flips, interesting tokens, long runs, deletions, splices between seeds, repetitions) by a
//! seeded PRNG and fed through the project's parsers and the request decoder. Each input must
//! not panic (the crash is reported with its input, minimized) and must take less than
//! [`LIMIT`] (the slowest is reported).
//!
//! The default run takes about three seconds. A long one, printing the figures per target:
//!
//!     FUZZ_SECONDS=600 cargo test --release --test fuzz -- --nocapture
//!
//! `FUZZ_SEED=N` changes the PRNG's seed (the default is fixed, so a run is reproducible).
//! A target is a row of [`TARGETS`]: a name, its seeds and what to do with one input.

mod common;

use std::cell::RefCell;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::rng::Rng;
use systemctl_shim::ipc::frame::FrameReader;
use systemctl_shim::ipc::protocol::{JobMode, JobVerb, KillWhom, Request, ShutdownAction};
use systemctl_shim::manager::notify::NotifyMessage;
use systemctl_shim::sys::accounts::Accounts;
use systemctl_shim::tmpfiles::line::{parse_line, LineContext};
use systemctl_shim::tmpfiles::specifiers::Specifiers;
use systemctl_shim::unit::calendar::CalendarSpec;
use systemctl_shim::unit::command::{parse_exec, split_words};
use systemctl_shim::unit::load::load_unit;
use systemctl_shim::unit::name::UnitName;
use systemctl_shim::unit::paths::{LookupPaths, Scope};
use systemctl_shim::unit::specifier::SpecifierContext;
use systemctl_shim::unit::{envfile, size, syntax, timespan};

/// The longest one input may take (a release build; debug builds are far slower).
const LIMIT: Duration = if cfg!(debug_assertions) {
    Duration::from_millis(2000)
} else {
    Duration::from_millis(100)
};
/// The default run, in seconds over all targets.
const DEFAULT_SECONDS: f64 = 3.0;
/// No input grows beyond this.
const MAX_LEN: usize = 256 * 1024;

/// One thing fed with inputs.
struct Target {
    name: &'static str,
    seeds: fn(&Seeds) -> Vec<Vec<u8>>,
    run: fn(&[u8]),
}

const TARGETS: &[Target] = &[
    Target {
        name: "unit-file",
        seeds: |s| s.unit_files.clone(),
        run: run_unit_file,
    },
    Target {
        name: "unit-syntax",
        seeds: |s| s.unit_files.clone(),
        run: |input| {
            let _ = syntax::parse(input);
        },
    },
    Target {
        name: "environment-file",
        seeds: |_| lines(ENVIRONMENT_FILES),
        run: |input| {
            let _ = envfile::parse(&String::from_utf8_lossy(input));
        },
    },
    Target {
        name: "calendar-spec",
        seeds: |s| with(&s.values_of(&["OnCalendar"]), CALENDAR_SPECS),
        run: run_calendar,
    },
    Target {
        name: "time-span",
        seeds: |s| with(&s.values_ending("Sec"), TIME_SPANS),
        run: |input| {
            let text = String::from_utf8_lossy(input);
            let _ = timespan::parse_sec(&text);
            let _ = timespan::parse_with_default(&text, 1);
            let _ = size::parse_iec_size(&text);
        },
    },
    Target {
        name: "tmpfiles-line",
        seeds: |_| tmpfiles_seeds(),
        run: run_tmpfiles_line,
    },
    Target {
        name: "unit-name",
        seeds: |s| with(&s.names, UNIT_NAMES),
        run: |input| {
            if let Ok(name) = UnitName::parse(&String::from_utf8_lossy(input)) {
                let _ = (name.kind(), name.unit_type(), name.is_template());
            }
        },
    },
    Target {
        name: "specifiers",
        seeds: |s| with(&s.values_containing("%"), SPECIFIERS),
        run: run_specifiers,
    },
    Target {
        name: "exec-command",
        seeds: |s| s.values_of(&["ExecStart", "ExecStartPre", "ExecStop", "ExecReload"]),
        run: run_exec_command,
    },
    Target {
        name: "notify-datagram",
        seeds: |_| lines(NOTIFY_DATAGRAMS),
        run: |input| {
            let _ = NotifyMessage::parse(&String::from_utf8_lossy(input));
        },
    },
    Target {
        name: "control-request",
        seeds: |_| request_seeds(),
        run: |input| {
            let _ = systemctl_shim::ipc::decode::<Request>(input);
        },
    },
    Target {
        name: "control-stream",
        seeds: |_| request_streams(),
        run: run_control_stream,
    },
];

const ENVIRONMENT_FILES: &[&str] = &[
    "A=1\nB=two words\n",
    "# comment\nexport PATH=/usr/bin:/bin\n; other\nQUOTED=\"a \\\"b\\\" c\"\nSINGLE='x y'\n",
    "CONT=first \\\n  second\nEMPTY=\nSPACES =  v  \n",
    "A=$B\nC=${A}x\nD=\\$E\n",
    "K=\"multi\nline\"\nL='open\n",
];
const CALENDAR_SPECS: &[&str] = &[
    "daily",
    "weekly UTC",
    "Mon..Fri *-*-* 09:00",
    "*-*-* *:00/15:00",
    "*-02~03 12:00",
    "2003-03-05 05:40:23.4200004/3.1700005",
    "@1700000000",
    "Sat,Sun 12-05 08:05:40",
    "*-01..12/3-01 00:00:00",
    "Mon *-05~07/1",
    "1,2,3,4:00",
    "25:00",
    "weekly Pacific/Auckland",
];
const TIME_SPANS: &[&str] = &[
    "5min 20s",
    "1h30m",
    "infinity",
    "1.5s",
    "2 weeks",
    "100ms",
    "3 months",
    "1y 2M",
    "10us",
    "0",
    "18446744073709551615us",
    "1.999999999s",
    "1K",
    "16M",
    "2G",
];
const UNIT_NAMES: &[&str] = &[
    "foo.service",
    "getty@tty1.service",
    "foo@.service",
    "a\\x2db.mount",
    "-.slice",
    "system-getty.slice",
    "dev-sda1.device",
    "x.y.z.socket",
    "@.service",
    "foo@bar@baz.timer",
];
const SPECIFIERS: &[&str] = &[
    "%n %N %p %P %i %I %f",
    "%h/%u/%U %g %G",
    "%t/%S/%C/%L/%E/%T/%V",
    "%m %b %H %l %a %o %w %v",
    "%%",
    "%",
    "%j %J %s %y %Y %q %d",
    "/run/%i.pid",
];
const NOTIFY_DATAGRAMS: &[&str] = &[
    "READY=1",
    "READY=1\nSTATUS=Serving\nMAINPID=1234",
    "RELOADING=1\nMONOTONIC_USEC=123456",
    "STOPPING=1",
    "ERRNO=2",
    "WATCHDOG=1",
    "WATCHDOG=trigger",
    "WATCHDOG_USEC=5000000",
    "EXTEND_TIMEOUT_USEC=1000000",
    "FDSTORE=1\nFDNAME=sock",
    "FDSTOREREMOVE=1\nFDNAME=x",
    "FDPOLL=0",
    "BARRIER=1",
    "STATUS=\u{e9}t\u{e9}\nREADY=1\n",
];
const TMPFILES_LINES: &[&str] = &[
    "d /run/foo 0755 root root 10d -",
    "f /run/foo/bar 0644 - - - content\\nline",
    "L+ /run/link - - - - /etc/target",
    "z /var/log/* 0640 root adm",
    "w- /proc/sys/x - - - - 1",
    "C /etc/x - - - - /usr/share/x",
    "x /tmp/systemd-private-*",
    "r! /run/stale",
    "^f /etc/cred - - - - name",
    "p /run/fifo 0600 - -",
    "c /dev/x 0600 - - - 1:3",
    "h /var/x - - - - +i",
    "a+ /var/x - - - - u:nobody:rwx",
    "q /var/tmp 1777 root root 30d",
    "e /tmp/%u 0700 - - 1h",
];

/// Interesting tokens for inserts.
const TOKENS: &[&[u8]] = &[
    b"%",
    b"%%",
    b"%n",
    b"%i",
    b"%I",
    b"%f",
    b"%h",
    b"%$",
    b"$",
    b"${",
    b"${X}",
    b"$X",
    b"\\",
    b"\\\n",
    b"\\x",
    b"\"",
    b"'",
    b"\0",
    b"\n",
    b"\r\n",
    b"=",
    b"[",
    b"]",
    b"[Unit]\n",
    b"[Service]\n",
    b"[Timer]\n",
    b"[Socket]\n",
    b"[Install]\n",
    b"-",
    b"..",
    b"~",
    b":",
    b",",
    b"/",
    b"*",
    b"@",
    b" ",
    b"\t",
    b";",
    b"#",
    b"{",
    b"}",
    b"\xc3\xa9",
    b"\xf4\x8f\xbf\xbf",
    b"\xc3",
    b"\xe2\x82",
    b"\xf0\x9f\x98",
    b"\xff",
    b"18446744073709551615",
    b"18446744073709551616",
    b"9223372036854775808",
    b"-1",
    b"4294967296",
    b"2147483648",
    b"1e308",
    b"0x",
    b"infinity",
    b"usec",
    b"\xce\xbcs",
    b".service",
    b"@.",
    b"READY=1",
    b"null",
    b"true",
    b"[[[[[[[[[[",
    b"\"units\":",
    b"\"Job\":",
    b"Exec",
    b"-/",
    b"@/bin/sh",
];

/// The corpus: unit files, their names, and their values by key.
struct Seeds {
    unit_files: Vec<Vec<u8>>,
    names: Vec<Vec<u8>>,
    /// `(key, value)` of every assignment in the unit files.
    values: Vec<(String, String)>,
}

impl Seeds {
    fn load() -> Seeds {
        let mut files = Vec::new();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("unit-fixtures");
        for dir in common::corpus_dir().into_iter().chain([fixtures]) {
            collect_files(&dir, &mut files);
        }
        files.sort();
        let mut seeds = Seeds {
            unit_files: Vec::new(),
            names: Vec::new(),
            values: Vec::new(),
        };
        for path in files {
            let Ok(bytes) = fs::read(&path) else {
                continue;
            };
            if bytes.len() > 64 * 1024 {
                continue;
            }
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                seeds.names.push(name.as_bytes().to_vec());
            }
            for line in String::from_utf8_lossy(&bytes).lines() {
                if let Some((k, v)) = line.split_once('=') {
                    seeds
                        .values
                        .push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            seeds.unit_files.push(bytes);
        }
        assert!(
            seeds.unit_files.len() > 100,
            "the unit corpus and fixtures are there"
        );
        seeds
    }

    fn values_where(&self, pick: impl Fn(&str, &str) -> bool) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = self
            .values
            .iter()
            .filter(|(k, v)| pick(k, v))
            .map(|(_, v)| v.as_bytes().to_vec())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn values_of(&self, keys: &[&str]) -> Vec<Vec<u8>> {
        self.values_where(|k, _| keys.contains(&k))
    }

    fn values_ending(&self, suffix: &str) -> Vec<Vec<u8>> {
        self.values_where(|k, _| k.ends_with(suffix))
    }

    fn values_containing(&self, part: &str) -> Vec<Vec<u8>> {
        self.values_where(|_, v| v.contains(part))
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn lines(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn with(from_corpus: &[Vec<u8>], items: &[&str]) -> Vec<Vec<u8>> {
    let mut v = from_corpus.to_vec();
    v.extend(lines(items));
    v
}

fn tmpfiles_seeds() -> Vec<Vec<u8>> {
    let mut seeds = lines(TMPFILES_LINES);
    let mut files = Vec::new();
    collect_files(Path::new("/usr/lib/tmpfiles.d"), &mut files);
    files.sort();
    for file in files {
        let text = fs::read_to_string(file).unwrap_or_default();
        seeds.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| l.as_bytes().to_vec()),
        );
    }
    seeds
}

/// Several requests back to back on one connection, as a pipelining client sends them.
fn request_streams() -> Vec<Vec<u8>> {
    let requests = request_seeds();
    requests
        .iter()
        .zip(requests.iter().cycle().skip(1))
        .map(|(a, b)| [a.as_slice(), b"\n", b.as_slice(), b"\n"].concat())
        .collect()
}

/// The manager's side of the control socket: the bytes arrive in chunks whose sizes the input's
/// own bytes choose, are cut into frames with a small limit, and each frame is decoded. Whatever
/// the split, the frames are exactly the input's newline-separated pieces up to the first one
/// over the limit, and none is longer than the limit.
fn run_control_stream(input: &[u8]) {
    const LIMIT: usize = 512;
    let mut reader = FrameReader::new(LIMIT);
    let mut frames = Vec::new();
    let mut rest = input;
    let mut refused = false;
    while !rest.is_empty() {
        let take = (usize::from(rest[0]) % 97 + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(take);
        rest = tail;
        match reader.push(chunk) {
            Ok(done) => frames.extend(done),
            Err(_) => {
                refused = true;
                break;
            }
        }
    }
    for frame in &frames {
        assert!(
            frame.len() <= LIMIT,
            "a frame of {} bytes passed",
            frame.len()
        );
        let _ = systemctl_shim::ipc::decode::<Request>(frame);
    }
    // The newline-separated pieces; the last one is unfinished.
    let expected: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    let complete = &expected[..expected.len() - 1];
    if refused {
        // Refused at a piece over the limit; the frames before it (those finished in the same
        // chunk may be dropped with it) came out intact.
        assert_eq!(&expected[..frames.len()], frames.as_slice());
        assert!(expected[frames.len()..].iter().any(|p| p.len() > LIMIT));
    } else {
        assert_eq!(complete, frames.as_slice());
    }
}

fn request_seeds() -> Vec<Vec<u8>> {
    let units = vec!["a.service".to_string(), "b@x.socket".to_string()];
    [
        Request::Job {
            verb: JobVerb::Start,
            units: units.clone(),
            no_block: false,
            mode: JobMode::Replace,
        },
        Request::Job {
            verb: JobVerb::ReloadOrTryRestart,
            units: units.clone(),
            no_block: true,
            mode: JobMode::IgnoreDependencies,
        },
        Request::Kill {
            units: units.clone(),
            whom: KillWhom::All,
            signal: 9,
        },
        Request::ResetFailed { units: Vec::new() },
        Request::Units {
            units: units.clone(),
            from_others: true,
        },
        Request::States { units },
        Request::ListUnits,
        Request::SystemState,
        Request::DaemonReload,
        Request::Exit,
        Request::Shutdown {
            action: ShutdownAction::Exit,
            exit_code: Some(3),
        },
        Request::ListJobs,
    ]
    .iter()
    .map(|r| serde_json::to_vec(r).expect("a request encodes"))
    .collect()
}

/// A private `--root` for the targets that read files.
fn fuzz_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fuzz-root-{}", std::process::id()));
        fs::create_dir_all(dir.join("etc/systemd/system")).expect("fuzz root");
        dir
    })
}

fn run_unit_file(input: &[u8]) {
    // The unit's type follows from the input, so that each type's section gets inputs.
    let suffix = ["service", "socket", "timer", "path"][input.len() % 4];
    let root = fuzz_root();
    let name = format!("fuzz.{suffix}");
    fs::write(root.join("etc/systemd/system").join(&name), input).expect("unit file written");
    let lookup = LookupPaths::new(Scope::System, Some(root)).expect("lookup paths");
    let _ = load_unit(&lookup, &name);
}

fn run_calendar(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    if let Ok(spec) = CalendarSpec::parse(&text) {
        let _ = spec.next_usec(1_795_000_000_000_000);
        // The normalized form is a spec that reads back as itself (what the manager stores).
        let normalized = spec.to_string();
        let again = CalendarSpec::parse(&normalized).map(|s| s.to_string());
        assert_eq!(again.as_deref(), Ok(normalized.as_str()), "{text:?}");
    }
}

fn run_tmpfiles_line(input: &[u8]) {
    let root = fuzz_root();
    let specifiers = Specifiers {
        root: Some(root.to_path_buf()),
        user: false,
    };
    let accounts = Accounts::default();
    let ctx = LineContext {
        specifiers: &specifiers,
        root: Some(root),
        boot: false,
        include_prefixes: &[],
        exclude_prefixes: &[],
        accounts: &accounts,
        credentials: None,
    };
    let text = String::from_utf8_lossy(input);
    let _ = parse_line(text.trim(), &ctx, &mut Vec::new());
}

fn specifier_context() -> SpecifierContext {
    SpecifierContext {
        unit: UnitName::parse("web@blue\\x2dgreen.service").expect("a valid name"),
        fragment: Some(PathBuf::from("/etc/systemd/system/web@.service")),
        scope: Scope::System,
        root: fuzz_root().to_path_buf(),
    }
}

fn run_specifiers(input: &[u8]) {
    let _ = specifier_context().expand(&String::from_utf8_lossy(input));
}

fn run_exec_command(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let _ = parse_exec(&text, &specifier_context());
    let _ = split_words(&text);
}

/// One to four mutations of `seed`, another seed at hand for splices.
fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(9) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] = rng.next() as u8;
            }
            2 | 3 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            4 => {
                // A long run of one byte or token.
                let token = TOKENS[rng.below(TOKENS.len())];
                let most = if rng.below(8) == 0 { 20_000 } else { 200 };
                let times = 1 + rng.below(most);
                let run: Vec<u8> = token
                    .iter()
                    .copied()
                    .cycle()
                    .take(token.len() * times)
                    .collect();
                data.splice(at..at, run);
            }
            5 if !data.is_empty() => {
                let len = 1 + rng.below((data.len() - at.min(data.len() - 1)).min(64));
                let from = at.min(data.len() - 1);
                data.drain(from..(from + len).min(data.len()));
            }
            6 => {
                // A splice: this input's head, the other's tail.
                let cut = rng.below(other.len() + 1);
                data.truncate(at);
                data.extend_from_slice(&other[cut..]);
            }
            7 if !data.is_empty() => {
                // A chunk repeated.
                let from = rng.below(data.len());
                let len = 1 + rng.below((data.len() - from).min(256));
                let chunk = data[from..from + len].to_vec();
                for _ in 0..1 + rng.below(64) {
                    data.splice(from..from, chunk.iter().copied());
                }
            }
            _ => {
                let i = rng.below(data.len() + 1);
                data.insert(i, b"\n=[]%$\\\"' \0"[rng.below(11)]);
            }
        }
        data.truncate(MAX_LEN);
    }
    data
}

thread_local! {
    /// The message of the last panic on this thread, kept by the quiet hook.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs `input`; the panic message when it panicked.
fn crashes(target: &Target, input: &[u8]) -> Option<String> {
    match catch_unwind(AssertUnwindSafe(|| (target.run)(input))) {
        Ok(()) => None,
        Err(_) => Some(LAST_PANIC.with(|p| p.borrow().clone())),
    }
}

/// A smaller input that still panics: chunks removed while it does.
fn minimize(target: &Target, input: &[u8]) -> Vec<u8> {
    let mut best = input.to_vec();
    let mut chunk = best.len() / 2;
    let mut attempts = 0;
    while chunk > 0 && attempts < 4000 {
        let mut i = 0;
        while i + chunk <= best.len() && attempts < 4000 {
            attempts += 1;
            let mut candidate = best.clone();
            candidate.drain(i..i + chunk);
            if crashes(target, &candidate).is_some() {
                best = candidate;
            } else {
                i += chunk;
            }
        }
        chunk /= 2;
    }
    best
}

/// What one target's run found.
struct Report {
    inputs: u64,
    crashes: Vec<String>,
    slowest: (Duration, Vec<u8>),
}

fn fuzz(target: &Target, seeds: &[Vec<u8>], budget: Duration, rng: &mut Rng) -> Report {
    let mut report = Report {
        inputs: 0,
        crashes: Vec::new(),
        slowest: (Duration::ZERO, Vec::new()),
    };
    assert!(!seeds.is_empty(), "{}: no seeds", target.name);
    let started = Instant::now();
    let mut round = 0usize;
    while started.elapsed() < budget {
        // Each seed as it is first, then mutations of them.
        let input = if round < seeds.len() {
            seeds[round].clone()
        } else {
            let seed = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            mutate(rng, seed, other)
        };
        round += 1;
        let one = Instant::now();
        let crashed = crashes(target, &input);
        let took = one.elapsed();
        report.inputs += 1;
        if let Some(message) = crashed {
            let small = minimize(target, &input);
            report.crashes.push(format!(
                "{}: panicked ({message}) on {:?}",
                target.name,
                String::from_utf8_lossy(&small)
            ));
            if report.crashes.len() >= 5 {
                break;
            }
            continue;
        }
        if took > report.slowest.0 {
            // A slow input on a busy machine: its best of three decides.
            let best = (0..2)
                .map(|_| {
                    let again = Instant::now();
                    let _ = crashes(target, &input);
                    again.elapsed()
                })
                .fold(took, Duration::min);
            if best > report.slowest.0 {
                report.slowest = (best, input);
            }
        }
    }
    report
}

fn preview(input: &[u8]) -> String {
    let text = String::from_utf8_lossy(&input[..input.len().min(120)]).into_owned();
    format!("{text:?}{}", if input.len() > 120 { "…" } else { "" })
}

#[test]
fn parsers_and_the_request_decoder_survive_mutated_inputs() {
    let seconds: f64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SECONDS);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x005e_ed13);
    let budget = Duration::from_secs_f64(seconds / TARGETS.len() as f64);
    let corpus = Seeds::load();
    // Panics are caught and reported with their input; the hook only keeps the message.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = format!("{message}{location}"));
    }));
    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    let mut total = 0;
    for target in TARGETS {
        let seeds = (target.seeds)(&corpus);
        let report = fuzz(target, &seeds, budget, &mut rng);
        total += report.inputs;
        eprintln!(
            "fuzz {:<17} {:>9} inputs, {} crashes, slowest {:.2} ms: {}",
            target.name,
            report.inputs,
            report.crashes.len(),
            report.slowest.0.as_secs_f64() * 1000.0,
            preview(&report.slowest.1)
        );
        failures.extend(report.crashes);
        if report.slowest.0 > LIMIT {
            failures.push(format!(
                "{}: an input took {:?} (limit {LIMIT:?}): {}",
                target.name,
                report.slowest.0,
                preview(&report.slowest.1)
            ));
        }
    }
    let _ = std::panic::take_hook();
    eprintln!(
        "fuzz total: {total} inputs over {} targets, {} failures",
        TARGETS.len(),
        failures.len()
    );
    let _ = fs::remove_dir_all(fuzz_root());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
