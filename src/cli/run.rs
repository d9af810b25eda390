//! `systemd-run` (systemd-run(1)) as systemd 252's src/run/run.c, reached through the multi-call
//! binary: a command run as a transient service (or, with `--on-*`, a transient timer and the
//! service it starts), made with the Manager's StartTransientUnit() over D-Bus as the real tool
//! makes it, so both work against either manager. The `-p KEY=VALUE` assignments become the
//! `(sv)` pairs of src/shared/bus-unit-util.c (see [`crate::bus::transient::assignment`]).
//!
//! It talks peer to peer on /run/systemd/private, as 252's does for root without `--wait`, when
//! the manager there is this binary; the unit is then named `run-r<random>.service`, as 252
//! names it where there is no bus name to take it from, and with `--wait` it asks the manager to
//! hold the unit (AddRef) until it has read how the unit ended. Any other manager (systemd's
//! own) is reached through the system bus, as 252 reaches it for `--wait`: zbus cannot read the
//! messages systemd sends peer to peer. There the unit is `run-u<N>.service` after the bus name.
//!
//! `--scope` makes no unit: a scope adopts the caller's process into a cgroup of its own, and
//! this manager keeps none; the command is run in place of systemd-run with the same settings
//! 252 applies to it before its execvp(). `--pty`, `--pipe`, `--shell`, `--user`, `--host` and
//! `--machine` are refused.

use std::collections::HashMap;
use std::ffi::CString;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use zbus::blocking::{Connection, MessageIterator};
use zbus::message::Type as MessageType;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

use super::getopt::{argv_strings, Getopt, HasArg, OptSpec};
use super::notify::{exit_status, ToolError};
use crate::bus::paths::unit_path;
use crate::bus::transient::assignment;
use crate::unit::name::{UnitName, UnitType};

const DESTINATION: &str = "org.freedesktop.systemd1";
const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";
/// How long a start job may take to be reported before we stop waiting (bus default: 25 s is
/// the method timeout; a start job of a oneshot can take longer, so more).
const JOB_WAIT: Duration = Duration::from_secs(600);
/// sd-bus's default method call timeout.
const METHOD_TIMEOUT: Duration = Duration::from_secs(25);

/// Whether the process at the other end of `stream` runs the same program as we do (our own
/// manager), by its executable.
fn peer_is_this_binary(stream: &UnixStream) -> bool {
    let Ok(cred) = nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials)
    else {
        return false;
    };
    let theirs = std::fs::read_link(format!("/proc/{}/exe", cred.pid()));
    let ours = std::fs::read_link("/proc/self/exe");
    matches!((theirs, ours), (Ok(a), Ok(b)) if a == b)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Help,
    Version,
    User,
    System,
    Scope,
    Unit,
    Description,
    Slice,
    RemainAfterExit,
    SendSighup,
    ServiceType,
    Wait,
    Uid,
    Gid,
    Nice,
    WorkingDirectory,
    SameDir,
    Setenv,
    Property,
    Quiet,
    OnActive,
    OnBoot,
    OnStartup,
    OnUnitActive,
    OnUnitInactive,
    OnCalendar,
    OnClockChange,
    OnTimezoneChange,
    TimerProperty,
    NoBlock,
    NoAskPassword,
    Collect,
    Unsupported,
}

const OPTIONS: &[OptSpec<Opt>] = &[
    OptSpec::both('h', "help", HasArg::No, Opt::Help),
    OptSpec::long("version", HasArg::No, Opt::Version),
    OptSpec::long("user", HasArg::No, Opt::User),
    OptSpec::long("system", HasArg::No, Opt::System),
    OptSpec::long("scope", HasArg::No, Opt::Scope),
    OptSpec::both('u', "unit", HasArg::Required, Opt::Unit),
    OptSpec::long("description", HasArg::Required, Opt::Description),
    OptSpec::long("slice", HasArg::Required, Opt::Slice),
    OptSpec::both('r', "remain-after-exit", HasArg::No, Opt::RemainAfterExit),
    OptSpec::long("send-sighup", HasArg::No, Opt::SendSighup),
    OptSpec::long("service-type", HasArg::Required, Opt::ServiceType),
    OptSpec::long("wait", HasArg::No, Opt::Wait),
    OptSpec::long("uid", HasArg::Required, Opt::Uid),
    OptSpec::long("gid", HasArg::Required, Opt::Gid),
    OptSpec::long("nice", HasArg::Required, Opt::Nice),
    OptSpec::long("working-directory", HasArg::Required, Opt::WorkingDirectory),
    OptSpec::both('d', "same-dir", HasArg::No, Opt::SameDir),
    OptSpec::both('E', "setenv", HasArg::Required, Opt::Setenv),
    OptSpec::both('p', "property", HasArg::Required, Opt::Property),
    OptSpec::both('q', "quiet", HasArg::No, Opt::Quiet),
    OptSpec::long("on-active", HasArg::Required, Opt::OnActive),
    OptSpec::long("on-boot", HasArg::Required, Opt::OnBoot),
    OptSpec::long("on-startup", HasArg::Required, Opt::OnStartup),
    OptSpec::long("on-unit-active", HasArg::Required, Opt::OnUnitActive),
    OptSpec::long("on-unit-inactive", HasArg::Required, Opt::OnUnitInactive),
    OptSpec::long("on-calendar", HasArg::Required, Opt::OnCalendar),
    OptSpec::long("on-clock-change", HasArg::No, Opt::OnClockChange),
    OptSpec::long("on-timezone-change", HasArg::No, Opt::OnTimezoneChange),
    OptSpec::long("timer-property", HasArg::Required, Opt::TimerProperty),
    OptSpec::long("no-block", HasArg::No, Opt::NoBlock),
    OptSpec::long("no-ask-password", HasArg::No, Opt::NoAskPassword),
    OptSpec::both('G', "collect", HasArg::No, Opt::Collect),
    OptSpec::both('t', "pty", HasArg::No, Opt::Unsupported),
    OptSpec::both('P', "pipe", HasArg::No, Opt::Unsupported),
    OptSpec::both('S', "shell", HasArg::No, Opt::Unsupported),
    OptSpec::both('H', "host", HasArg::Required, Opt::Unsupported),
    OptSpec::both('M', "machine", HasArg::Required, Opt::Unsupported),
    OptSpec::long("path-property", HasArg::Required, Opt::Unsupported),
    OptSpec::long("socket-property", HasArg::Required, Opt::Unsupported),
];

#[derive(Debug, Default)]
struct Args {
    scope: bool,
    unit: Option<String>,
    description: Option<String>,
    slice: Option<String>,
    remain_after_exit: bool,
    send_sighup: bool,
    service_type: Option<String>,
    wait: bool,
    user: Option<String>,
    group: Option<String>,
    nice: Option<i32>,
    working_directory: Option<String>,
    environment: Vec<String>,
    properties: Vec<String>,
    timer_properties: Vec<String>,
    with_timer: bool,
    quiet: bool,
    no_block: bool,
    collect: bool,
    cmdline: Vec<String>,
}

fn einval(message: impl Into<String>) -> ToolError {
    ToolError::new(Errno::EINVAL, message)
}

fn help_text(program: &str) -> String {
    format!(
        "{program} [OPTIONS...] COMMAND [ARGUMENTS...]\n\n\
Run the specified command in a transient scope or service.\n\n\
  -h --help                       Show this help\n\
     --version                    Show package version\n\
     --no-ask-password            Do not prompt for password\n\
     --system                     Run as system unit\n\
     --scope                      Run this as scope rather than service\n\
  -u --unit=UNIT                  Run under the specified unit name\n\
  -p --property=NAME=VALUE        Set service or scope unit property\n\
     --description=TEXT           Description for unit\n\
     --slice=SLICE                Run in the specified slice\n\
  -r --remain-after-exit          Leave service around until explicitly stopped\n\
     --wait                       Wait until service stopped again\n\
     --send-sighup                Send SIGHUP when terminating\n\
     --service-type=TYPE          Service type\n\
     --uid=USER                   Run as system user\n\
     --gid=GROUP                  Run as system group\n\
     --nice=NICE                  Nice level\n\
     --working-directory=PATH     Set working directory\n\
  -d --same-dir                   Inherit working directory from caller\n\
  -E --setenv=NAME[=VALUE]        Set environment variable\n\
  -q --quiet                      Suppress information messages during runtime\n\
  -G --collect                    Unload unit after it ran, even when failed\n\
     --no-block                   Do not wait until operation finished\n\n\
Timer options:\n\
     --on-active=SECONDS          Run after SECONDS delay\n\
     --on-boot=SECONDS            Run SECONDS after machine was booted up\n\
     --on-startup=SECONDS         Run SECONDS after systemd activation\n\
     --on-unit-active=SECONDS     Run SECONDS after the last activation\n\
     --on-unit-inactive=SECONDS   Run SECONDS after the last deactivation\n\
     --on-calendar=SPEC           Realtime timer\n\
     --on-timezone-change         Run when the timezone changes\n\
     --on-clock-change            Run when the realtime clock jumps\n\
     --timer-property=NAME=VALUE  Set timer unit property"
    )
}

/// `systemd-run ARGS…`: the process's exit status.
pub fn systemd_run_main(argv: Vec<std::ffi::OsString>) -> u8 {
    exit_status(run(argv_strings(argv)))
}

fn parse(argv: Vec<String>) -> Result<Option<Args>, ToolError> {
    let program = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
        .unwrap_or_default();
    let mut args = Args::default();
    // getopt_long("+…"): the command's own options are not ours
    let mut getopt = Getopt::new(argv, OPTIONS).stop_at_first_operand();
    for item in getopt.by_ref() {
        let (opt, value) = item.map_err(einval)?;
        let value = value.unwrap_or_default();
        let mut timer = |name: &str, value: &str| {
            args.timer_properties.push(format!("{name}={value}"));
            args.with_timer = true;
        };
        match opt {
            Opt::Help => {
                println!("{}", help_text(&program));
                return Ok(None);
            }
            Opt::Version => {
                println!("{}", super::VERSION_TEXT);
                return Ok(None);
            }
            Opt::User => {
                return Err(ToolError::new(
                    Errno::EOPNOTSUPP,
                    "--user is not supported: this service manager has no user instances.",
                ))
            }
            Opt::Unsupported => {
                return Err(ToolError::new(
                    Errno::EOPNOTSUPP,
                    "--pty, --pipe, --shell, --host, --machine, --path-property and \
                     --socket-property are not supported.",
                ))
            }
            Opt::System | Opt::NoAskPassword => {}
            Opt::Scope => args.scope = true,
            Opt::Unit => args.unit = Some(value),
            Opt::Description => args.description = Some(value),
            Opt::Slice => args.slice = Some(value),
            Opt::RemainAfterExit => args.remain_after_exit = true,
            Opt::SendSighup => args.send_sighup = true,
            Opt::ServiceType => args.service_type = Some(value),
            Opt::Wait => args.wait = true,
            Opt::Uid => args.user = Some(value),
            Opt::Gid => args.group = Some(value),
            Opt::Nice => {
                let n: i32 = value
                    .parse()
                    .ok()
                    .filter(|n| (-20..=19).contains(n))
                    .ok_or_else(|| einval(format!("Failed to parse nice value: {value}")))?;
                args.nice = Some(n);
            }
            Opt::WorkingDirectory => {
                let dir = if value.is_empty() || value.starts_with('/') {
                    value
                } else {
                    let cwd = std::env::current_dir().map_err(|e| {
                        einval(format!("Failed to get current working directory: {e}"))
                    })?;
                    cwd.join(value).display().to_string()
                };
                args.working_directory = Some(dir);
            }
            Opt::SameDir => {
                let cwd = std::env::current_dir()
                    .map_err(|e| einval(format!("Failed to get current working directory: {e}")))?;
                args.working_directory = Some(cwd.display().to_string());
            }
            Opt::Setenv => {
                // strv_env_replace_strdup_passthrough(): NAME alone takes our own value
                let entry = if value.contains('=') {
                    value
                } else {
                    let v = std::env::var(&value).map_err(|_| {
                        einval(format!("Cannot assign environment variable {value}."))
                    })?;
                    format!("{value}={v}")
                };
                args.environment.push(entry);
            }
            Opt::Property => args.properties.push(value),
            Opt::Quiet => args.quiet = true,
            Opt::OnActive => timer("OnActiveSec", &value),
            Opt::OnBoot => timer("OnBootSec", &value),
            Opt::OnStartup => timer("OnStartupSec", &value),
            Opt::OnUnitActive => timer("OnUnitActiveSec", &value),
            Opt::OnUnitInactive => timer("OnUnitInactiveSec", &value),
            Opt::OnCalendar => {
                check_calendar(&value)?;
                timer("OnCalendar", &value);
            }
            Opt::OnClockChange => timer("OnClockChange", "yes"),
            Opt::OnTimezoneChange => timer("OnTimezoneChange", "yes"),
            Opt::TimerProperty => {
                let starts = [
                    "OnActiveSec=",
                    "OnBootSec=",
                    "OnStartupSec=",
                    "OnUnitActiveSec=",
                    "OnUnitInactiveSec=",
                    "OnCalendar=",
                ];
                args.with_timer |= starts.iter().any(|s| value.starts_with(s));
                args.timer_properties.push(value);
            }
            Opt::NoBlock => args.no_block = true,
            Opt::Collect => args.collect = true,
        }
    }
    args.cmdline = getopt.into_operands();
    if args.cmdline.is_empty() && !args.with_timer {
        return Err(einval("Command line to execute required."));
    }
    if !args.timer_properties.is_empty() && !args.with_timer {
        return Err(einval(
            "--timer-property= has no effect without any other timer options.",
        ));
    }
    if args.scope && args.with_timer {
        return Err(einval("Timer options are not supported in --scope mode."));
    }
    if args.wait {
        if args.no_block {
            return Err(einval("--wait may not be combined with --no-block."));
        }
        if args.with_timer {
            return Err(einval(
                "--wait may not be combined with path, socket or timer operations.",
            ));
        }
        if args.scope {
            return Err(einval("--wait may not be combined with --scope."));
        }
    }
    Ok(Some(args))
}

/// `--on-calendar=`: the spec parses, and a spec in the past is warned about (the manager
/// starts the service at once then).
fn check_calendar(spec: &str) -> Result<(), ToolError> {
    use crate::unit::calendar::{CalendarError, CalendarSpec};
    let parsed = CalendarSpec::parse(spec)
        .map_err(|e| einval(format!("Failed to parse calendar event specification: {e}")))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros();
    match parsed.next_usec(u64::try_from(now).unwrap_or(u64::MAX)) {
        Err(CalendarError::NeverElapses) => {
            eprintln!("Specified calendar expression is in the past, proceeding anyway.")
        }
        // computed by the manager, which has $TZ to hand
        Err(CalendarError::NamedTimeZone) | Ok(_) => {}
        Err(e) => {
            return Err(einval(format!(
                "Failed to calculate next time calendar expression elapses: {e}"
            )))
        }
    }
    Ok(())
}

fn run(argv: Vec<String>) -> Result<u8, ToolError> {
    let Some(mut args) = parse(argv)? else {
        return Ok(0);
    };
    // shall_make_executable_absolute(): the command as found in $PATH, which the description
    // then names too
    if let Some(first) = args.cmdline.first_mut() {
        if !first.contains('/') {
            *first = find_executable(first)?;
        }
    }
    if args.description.is_none() {
        args.description = Some(args.cmdline.join(" "));
    }
    if args.scope {
        return run_in_place(&args);
    }
    let mut bus = Bus::connect()?;
    if args.with_timer {
        start_transient_timer(&mut bus, &args)
    } else {
        start_transient_service(&mut bus, &args)
    }
}

/// find_executable(): `name` in $PATH, as an absolute path.
fn find_executable(name: &str) -> Result<String, ToolError> {
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
    for dir in path.split(':').filter(|d| d.starts_with('/')) {
        let candidate = std::path::Path::new(dir).join(name);
        if nix::unistd::access(&candidate, nix::unistd::AccessFlags::X_OK).is_ok()
            && candidate.is_file()
        {
            return Ok(candidate.display().to_string());
        }
    }
    Err(ToolError::new(
        Errno::ENOENT,
        format!("Failed to find executable {name}: No such file or directory"),
    ))
}

/// The connection to the manager and the messages it sends.
struct Bus {
    conn: Connection,
    messages: MessageIterator,
    /// Through dbus-daemon rather than peer to peer.
    via_broker: bool,
}

type Properties = Vec<(String, Value<'static>)>;

impl Bus {
    /// The private socket when the manager behind it is this binary; otherwise the system bus.
    /// zbus cannot read what systemd's own manager sends peer to peer (its messages name the
    /// sender `org.freedesktop.systemd1`, which zbus takes for a unique name and rejects), while
    /// through dbus-daemon every message carries a unique name.
    fn connect() -> Result<Bus, ToolError> {
        let fail = |e: String| {
            ToolError::new(
                Errno::ECONNREFUSED,
                format!("Failed to connect to bus: {e}"),
            )
        };
        let private = UnixStream::connect(crate::bus::PRIVATE_SOCKET);
        let private_error = match private {
            Ok(stream) if peer_is_this_binary(&stream) => {
                let messages = zbus::blocking::connection::Builder::async_io_unix_stream(stream)
                    .p2p()
                    .method_timeout(METHOD_TIMEOUT)
                    .build_message_iterator()
                    .map_err(|e| fail(e.to_string()))?;
                let conn = Connection::from(&messages);
                return Ok(Bus {
                    conn,
                    messages,
                    via_broker: false,
                });
            }
            Ok(_) => None,
            Err(e) => Some(e),
        };
        let address = format!("unix:path={}", crate::bus::SYSTEM_BUS_SOCKET);
        let messages = zbus::blocking::connection::Builder::address(address.as_str())
            .and_then(|b| b.method_timeout(METHOD_TIMEOUT).build_message_iterator())
            .map_err(|e| match &private_error {
                Some(p) => fail(crate::errno::text(p)),
                None => fail(e.to_string()),
            })?;
        let conn = Connection::from(&messages);
        let bus = Bus {
            conn,
            messages,
            via_broker: true,
        };
        // the broker passes on only the signals asked for; systemd sends them to subscribers
        let rule = "type='signal',sender='org.freedesktop.systemd1'";
        bus.conn
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "AddMatch",
                &(rule,),
            )
            .map_err(|e| fail(error_text(&e)))?;
        bus.conn
            .call_method(
                Some(DESTINATION),
                MANAGER_PATH,
                Some(MANAGER),
                "Subscribe",
                &(),
            )
            .map_err(|e| fail(error_text(&e)))?;
        Ok(bus)
    }

    /// make_unit_name(): `run-u<N>` from the bus name `:1.N`; peer to peer there is none and
    /// the name is random, `run-r<id>`.
    fn unit_name(&self, suffix: &str) -> String {
        match self.conn.unique_name() {
            Some(unique) if self.via_broker => {
                let id = unique
                    .as_str()
                    .strip_prefix(":1.")
                    .or_else(|| unique.as_str().strip_prefix(':'))
                    .unwrap_or(unique.as_str());
                format!("run-u{id}.{suffix}")
            }
            _ => random_unit_name(suffix),
        }
    }

    /// StartTransientUnit(): the start job's path.
    fn start_transient(
        &self,
        name: &str,
        properties: Properties,
        aux: Vec<(String, Properties)>,
    ) -> Result<OwnedObjectPath, zbus::Error> {
        let reply = self.conn.call_method(
            Some(DESTINATION),
            MANAGER_PATH,
            Some(MANAGER),
            "StartTransientUnit",
            &(name, "fail", properties, aux),
        )?;
        let (job,): (OwnedObjectPath,) = reply.body().deserialize()?;
        Ok(job)
    }

    /// bus_wait_for_jobs_one(): the job's result once JobRemoved names it.
    fn wait_for_job(&mut self, job: &str) -> Result<String, ToolError> {
        let deadline = Instant::now() + JOB_WAIT;
        while Instant::now() < deadline {
            let Some(Ok(msg)) = self.messages.next() else {
                break;
            };
            let header = msg.header();
            if header.message_type() != MessageType::Signal
                || header.member().map(|m| m.as_str()) != Some("JobRemoved")
            {
                continue;
            }
            let Ok((_, path, _, result)) = msg
                .body()
                .deserialize::<(u32, OwnedObjectPath, String, String)>()
            else {
                continue;
            };
            if path.as_str() == job {
                return Ok(result);
            }
        }
        Err(ToolError::new(
            Errno::ETIMEDOUT,
            "Connection to the service manager ended before the job finished.",
        ))
    }

    fn unit_properties(&self, unit: &str) -> Result<HashMap<String, OwnedValue>, ToolError> {
        let reply = self
            .conn
            .call_method(
                Some(DESTINATION),
                unit_path(unit).as_str(),
                Some("org.freedesktop.DBus.Properties"),
                "GetAll",
                &("",),
            )
            .map_err(|e| {
                ToolError::new(
                    Errno::EIO,
                    format!("Failed to query unit state: {}", error_text(&e)),
                )
            })?;
        reply
            .body()
            .deserialize::<HashMap<String, OwnedValue>>()
            .map_err(|e| ToolError::new(Errno::EIO, format!("Failed to query unit state: {e}")))
    }

    /// Until the unit is down with no job, re-read at each signal about it.
    fn wait_for_unit(&mut self, unit: &str) -> Result<HashMap<String, OwnedValue>, ToolError> {
        let path = unit_path(unit);
        loop {
            let props = self.unit_properties(unit)?;
            let state = props.get("ActiveState").and_then(|v| str_of(v));
            let has_job = props
                .get("Job")
                .and_then(|v| match &**v {
                    Value::Structure(s) => match s.fields() {
                        [Value::U32(id), _] => Some(*id != 0),
                        _ => None,
                    },
                    _ => None,
                })
                .unwrap_or(false);
            if matches!(state.as_deref(), Some("inactive" | "failed")) && !has_job {
                return Ok(props);
            }
            loop {
                let Some(Ok(msg)) = self.messages.next() else {
                    return Err(ToolError::new(
                        Errno::ECONNRESET,
                        "Connection to the service manager was lost.",
                    ));
                };
                let header = msg.header();
                if header.message_type() == MessageType::Signal
                    && header.path().map(|p| p.as_str()) == Some(path.as_str())
                {
                    break;
                }
            }
        }
    }
}

fn str_of(v: &Value<'_>) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

fn u64_of(props: &HashMap<String, OwnedValue>, name: &str) -> Option<u64> {
    match props.get(name).map(|v| &**v) {
        Some(Value::U64(n)) => Some(*n),
        _ => None,
    }
}

fn i32_of(props: &HashMap<String, OwnedValue>, name: &str) -> Option<i32> {
    match props.get(name).map(|v| &**v) {
        Some(Value::I32(n)) => Some(*n),
        _ => None,
    }
}

/// The message of a D-Bus error as bus_error_message() gives it.
fn error_text(e: &zbus::Error) -> String {
    match e {
        zbus::Error::MethodError(_, Some(message), _) => message.clone(),
        zbus::Error::MethodError(name, None, _) => name.to_string(),
        other => other.to_string(),
    }
}

/// make_unit_name() without a bus name: `run-r<random id>.TYPE`.
fn random_unit_name(suffix: &str) -> String {
    let mut bytes = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if filled.is_err() {
        // the clock and our pid: unique enough for a name on one machine
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes[..8].copy_from_slice(&(now as u64).to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("run-r{hex}.{suffix}")
}

/// unit_name_mangle_with_suffix(): a name without a type gets `suffix`.
fn mangle(name: &str, suffix: &str) -> Result<String, ToolError> {
    let candidate =
        if UnitType::parse(name.rsplit('.').next().unwrap_or("")).is_some() && name.contains('.') {
            name.to_string()
        } else {
            format!("{name}{suffix}")
        };
    match UnitName::parse(&candidate) {
        Ok(n) if !n.is_template() => Ok(n.to_string()),
        _ => Err(einval("Failed to mangle unit name: Invalid argument")),
    }
}

/// transient_unit_set_properties() and the `-p` assignments for a unit of type `t`.
fn common_properties(
    args: &Args,
    t: UnitType,
    assignments: &[String],
    via_broker: bool,
) -> Result<Properties, ToolError> {
    let mut props: Properties = vec![(
        "Description".into(),
        Value::from(args.description.clone().unwrap_or_default()),
    )];
    if args.collect {
        props.push(("CollectMode".into(), Value::from("inactive-or-failed")));
    }
    if via_broker || args.wait {
        // pinned while we are around (252 asks so on the bus only; peer to peer our manager
        // takes it too, and `--wait` needs the unit until it has read how it ended)
        props.push(("AddRef".into(), Value::from(true)));
    }
    for a in assignments {
        props.extend(assignment(t, a).map_err(einval)?);
    }
    Ok(props)
}

/// transient_service_set_properties().
fn service_properties(args: &Args, via_broker: bool) -> Result<Properties, ToolError> {
    let mut props = common_properties(args, UnitType::Service, &args.properties, via_broker)?;
    if args.send_sighup {
        props.push(("SendSIGHUP".into(), Value::from(true)));
    }
    if let Some(slice) = &args.slice {
        props.push(("Slice".into(), Value::from(mangle(slice, ".slice")?)));
    }
    if args.remain_after_exit {
        props.push(("RemainAfterExit".into(), Value::from(true)));
    }
    let strings = [
        ("Type", &args.service_type),
        ("User", &args.user),
        ("Group", &args.group),
    ];
    for (name, value) in strings {
        if let Some(v) = value {
            props.push((name.into(), Value::from(v.clone())));
        }
    }
    if let Some(nice) = args.nice {
        props.push(("Nice".into(), Value::from(nice)));
    }
    if let Some(dir) = &args.working_directory {
        props.push(("WorkingDirectory".into(), Value::from(dir.clone())));
    }
    if !args.environment.is_empty() {
        props.push(("Environment".into(), Value::from(args.environment.clone())));
    }
    if let Some(first) = args.cmdline.first() {
        let exec = vec![(first.clone(), args.cmdline.clone(), false)];
        props.push(("ExecStart".into(), Value::from(exec)));
    }
    Ok(props)
}

fn start_failed(kind: &str, e: &zbus::Error) -> ToolError {
    ToolError::new(
        Errno::EIO,
        format!("Failed to start transient {kind} unit: {}", error_text(e)),
    )
}

/// bus_wait_for_jobs_one() and check_wait_response(): the start job's end, and 252's words
/// for one that did not succeed.
fn check_job(
    bus: &mut Bus,
    job: &OwnedObjectPath,
    args: &Args,
    unit: &str,
) -> Result<(), ToolError> {
    if args.no_block {
        return Ok(());
    }
    let result = bus.wait_for_job(job.as_str())?;
    if result == "done" || result == "skipped" {
        return Ok(());
    }
    let message = match result.as_str() {
        "canceled" => format!("Job for {unit} canceled."),
        "timeout" => format!("Job for {unit} timed out."),
        "dependency" => {
            format!("A dependency job for {unit} failed. See 'journalctl -xe' for details.")
        }
        "invalid" => format!("{unit} is not active, cannot reload."),
        "assert" => format!("Assertion failed on job for {unit}."),
        "unsupported" => {
            format!("Operation on or unit type of {unit} not supported on this system.")
        }
        "collected" => format!("Queued job for {unit} was garbage collected."),
        "once" => format!("Unit {unit} was started already once and can't be started again."),
        _ if unit.ends_with(".service") => {
            let service_result = bus
                .unit_properties(unit)
                .ok()
                .and_then(|p| p.get("Result").and_then(|v| str_of(v)));
            job_failure(unit, service_result.as_deref())
        }
        _ => "Job failed. See \"journalctl -xe\" for details.".to_string(),
    };
    Err(if args.quiet {
        ToolError::quiet(Errno::EIO)
    } else {
        ToolError::new(Errno::EIO, message)
    })
}

/// log_job_error_with_service_result().
fn job_failure(service: &str, result: Option<&str>) -> String {
    let explanation = match result.unwrap_or("") {
        "resources" => Some("of unavailable resources or another system error"),
        "protocol" => Some("the service did not take the steps required by its unit configuration"),
        "timeout" => Some("a timeout was exceeded"),
        "exit-code" => Some("the control process exited with error code"),
        "signal" => Some("a fatal signal was delivered to the control process"),
        "core-dump" => {
            Some("a fatal signal was delivered causing the control process to dump core")
        }
        "watchdog" => Some("the service failed to send watchdog ping"),
        "start-limit" => Some("start of the service was attempted too often"),
        _ => None,
    };
    let see = format!(
        "See \"systemctl status {service}\" and \"journalctl -xeu {service}\" for details."
    );
    match explanation {
        Some(why) => format!("Job for {service} failed because {why}.\n{see}"),
        None => format!("Job for {service} failed.\n{see}"),
    }
}

fn start_transient_service(bus: &mut Bus, args: &Args) -> Result<u8, ToolError> {
    let service = match &args.unit {
        Some(u) => mangle(u, ".service")?,
        None => bus.unit_name("service"),
    };
    let props = service_properties(args, bus.via_broker)?;
    let job = bus
        .start_transient(&service, props, Vec::new())
        .map_err(|e| start_failed("service", &e))?;
    check_job(bus, &job, args, &service)?;
    if !args.quiet {
        eprintln!("Running as unit: {service}");
    }
    if !args.wait {
        return Ok(0);
    }
    let props = bus.wait_for_unit(&service)?;
    let result = props
        .get("Result")
        .and_then(|v| str_of(v))
        .unwrap_or_default();
    let code = i32_of(&props, "ExecMainCode").unwrap_or(0);
    let status = i32_of(&props, "ExecMainStatus").unwrap_or(0);
    if !args.quiet {
        summary(&props, &result, code, status);
    }
    // the service's own status where it failed by it, as 252 passes it on
    Ok(match result.as_str() {
        "success" => 0,
        "exit-code" if status > 0 => u8::try_from(status).unwrap_or(1),
        // EXIT_EXCEPTION
        "signal" => 2,
        _ => 1,
    })
}

/// The lines 252 prints after `--wait`.
fn summary(props: &HashMap<String, OwnedValue>, result: &str, code: i32, status: i32) {
    if !result.is_empty() {
        eprintln!("Finished with result: {result}");
    }
    // CLD_EXITED, CLD_KILLED, CLD_DUMPED
    match code {
        1 => eprintln!("Main processes terminated with: code=exited/status={status}"),
        2 | 3 => eprintln!(
            "Main processes terminated with: code={}/status={}",
            if code == 2 { "killed" } else { "dumped" },
            crate::sys::signal::signal_name(status)
        ),
        _ => {}
    }
    let set = |n: Option<u64>| n.filter(|&n| n != 0 && n != u64::MAX);
    if let (Some(enter), Some(exit)) = (
        set(u64_of(props, "InactiveEnterTimestampMonotonic")),
        set(u64_of(props, "InactiveExitTimestampMonotonic")),
    ) {
        if enter > exit {
            eprintln!(
                "Service runtime: {}",
                super::status::format_duration(enter - exit)
            );
        }
    }
    if let Some(cpu) = u64_of(props, "CPUUsageNSec").filter(|&n| n != u64::MAX) {
        eprintln!(
            "CPU time consumed: {}",
            super::status::format_duration(cpu.div_ceil(1000))
        );
    }
}

fn start_transient_timer(bus: &mut Bus, args: &Args) -> Result<u8, ToolError> {
    // a name given with the type of one of the two names the other after it
    let (service, timer) = match &args.unit {
        Some(u) => {
            let base = u
                .strip_suffix(".timer")
                .or_else(|| u.strip_suffix(".service"))
                .unwrap_or(u);
            (mangle(base, ".service")?, mangle(base, ".timer")?)
        }
        None => {
            let service = bus.unit_name("service");
            let timer = format!("{}.timer", service.trim_end_matches(".service"));
            (service, timer)
        }
    };
    let mut props = common_properties(
        args,
        UnitType::Timer,
        &args.timer_properties,
        bus.via_broker,
    )?;
    props.push(("RemainAfterElapse".into(), Value::from(false)));
    let aux = if args.cmdline.is_empty() {
        Vec::new()
    } else {
        vec![(service.clone(), service_properties(args, bus.via_broker)?)]
    };
    let job = bus
        .start_transient(&timer, props, aux)
        .map_err(|e| start_failed("timer", &e))?;
    check_job(bus, &job, args, &timer)?;
    if !args.quiet {
        eprintln!("Running timer as unit: {timer}");
        if !args.cmdline.is_empty() {
            eprintln!("Will run service as unit: {service}");
        }
    }
    Ok(0)
}

/// `--scope`: the command in place of this process, with what 252 sets before its execvp().
fn run_in_place(args: &Args) -> Result<u8, ToolError> {
    let fail = |what: &str, e: Errno| ToolError::new(e, format!("{what}: {}", e.desc()));
    if let Some(nice) = args.nice {
        // SAFETY: setpriority() on our own process.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) } < 0 {
            return Err(fail("Failed to set nice level", Errno::last()));
        }
    }
    if let Some(dir) = &args.working_directory {
        std::env::set_current_dir(dir)
            .map_err(|e| einval(format!("Failed to change directory to '{dir}': {e}")))?;
    }
    // the image's /etc/passwd and /etc/group, as the manager reads them (no NSS in a static
    // binary: see sys::nss)
    let accounts = crate::sys::accounts::Accounts::host();
    let resolved = accounts
        .resolve(args.user.as_deref(), args.group.as_deref(), &[])
        .map_err(|e| einval(e.to_string()))?;
    if let Some((creds, entry)) = resolved {
        let gid = nix::unistd::Gid::from_raw(creds.gid);
        if let Some(user) = &entry {
            let groups: Vec<nix::unistd::Gid> = creds
                .groups
                .iter()
                .map(|g| nix::unistd::Gid::from_raw(*g))
                .collect();
            nix::unistd::setgroups(&groups).map_err(|e| fail("Failed to change group list", e))?;
            nix::unistd::setresgid(gid, gid, gid).map_err(|e| fail("Failed to change GID", e))?;
            let uid = nix::unistd::Uid::from_raw(creds.uid);
            nix::unistd::setresuid(uid, uid, uid).map_err(|e| fail("Failed to change UID", e))?;
            std::env::set_var("HOME", &user.home);
            std::env::set_var("SHELL", &user.shell);
            std::env::set_var("USER", &user.name);
            std::env::set_var("LOGNAME", &user.name);
        } else {
            nix::unistd::setresgid(gid, gid, gid).map_err(|e| fail("Failed to change GID", e))?;
        }
    }
    for entry in &args.environment {
        if let Some((k, v)) = entry.split_once('=') {
            std::env::set_var(k, v);
        }
    }
    let argv: Vec<CString> = args
        .cmdline
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()
        .map_err(|_| einval("Invalid argument in command line."))?;
    let Some(first) = argv.first() else {
        return Err(einval("Command line to execute required."));
    };
    let e = nix::unistd::execvp(first, &argv).unwrap_err();
    Err(fail(&format!("Failed to execute {}", args.cmdline[0]), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_the_type_they_lack() {
        assert_eq!(mangle("t1", ".service").ok(), Some("t1.service".into()));
        assert_eq!(mangle("t1.timer", ".service").ok(), Some("t1.timer".into()));
        assert_eq!(mangle("a.b", ".slice").ok(), Some("a.b.slice".into()));
        assert!(mangle("a/b", ".service").is_err());
        assert!(random_unit_name("service").starts_with("run-r"));
        assert_eq!(
            random_unit_name("timer").len(),
            "run-r".len() + 32 + ".timer".len()
        );
    }

    #[test]
    fn options_stop_at_the_command() {
        let argv = ["systemd-run", "-q", "--unit=x", "/bin/ls", "-l", "--wait"];
        let args = parse(argv.iter().map(|s| s.to_string()).collect())
            .ok()
            .flatten()
            .expect("parsed");
        assert!(args.quiet && !args.wait);
        assert_eq!(args.cmdline, ["/bin/ls", "-l", "--wait"]);
        assert_eq!(args.unit.as_deref(), Some("x"));
    }
}
