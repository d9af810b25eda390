//! How `systemctl show` 252 writes values: timestamps, command lines with their last run
//! (`{ path=… ; argv[]=… }`), signal numbers, load errors (systemd's
//! bus_print_property() and the value formats of src/shared/bus-print-properties.c).

use super::BusValue;
use crate::ipc::protocol::{ExecRun, UnitStatus};
use crate::sys::exit_status::sigchld_code;
use crate::sys::signal::signal_name;
use crate::unit::command::ExecCommand;
use crate::unit::model::{ExecKind, LoadState, UnitConfig};

/// systemd's `format_timestamp()` (TIMESTAMP_PRETTY): `Sun 2026-11-22 02:05:35 UTC` in the local
/// time zone; `None` for an unset (0 or infinite) timestamp.
pub fn format_timestamp(usec: u64) -> Option<String> {
    if usec == 0 || usec == u64::MAX {
        return None;
    }
    // strftime's %a would follow the locale; systemd always writes English weekdays, so the day
    // comes as a number (%w) and is named here.
    const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let local = crate::sys::time::format_time(usec, "%w %Y-%m-%d %H:%M:%S %Z", false);
    let (day, rest) = local.split_once(' ')?;
    let weekday = WEEKDAYS.get(day.parse::<usize>().ok()?)?;
    // An empty zone name leaves a trailing space; systemd then writes no zone.
    Some(format!("{weekday} {}", rest.trim_end()))
}

/// ExecRun carries realtime stamps only; systemd shows the monotonic twin as well. It is derived
/// from the clocks' present offset, which is exact unless the wall clock was stepped since.
pub(super) fn monotonic_of(realtime: u64) -> u64 {
    if realtime == 0 {
        return 0;
    }
    let now_real = crate::sys::time::now_usec();
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into a timespec we own.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
        return 0;
    }
    let now_mono = u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000
        + u64::try_from(ts.tv_nsec).unwrap_or(0) / 1000;
    (realtime + now_mono).saturating_sub(now_real)
}

/// One element of an `Exec…=` property: the command and what its last run did (all zero for a
/// command that never ran).
pub(super) fn exec_value(c: &ExecCommand, ex: bool, run: &ExecRun) -> String {
    let middle = if ex {
        format!("flags={}", c.flag_names().join(" "))
    } else {
        format!(
            "ignore_errors={}",
            if c.flags.ignore_failure { "yes" } else { "no" }
        )
    };
    let time = |usec| format_timestamp(usec).unwrap_or_else(|| "n/a".into());
    // An exit status is a number; anything else is a signal, also given by name.
    let status = if run.code == libc::CLD_EXITED {
        run.status.to_string()
    } else {
        format!("{}/{}", run.status, signal_name(run.status))
    };
    format!(
        "{{ path={} ; argv[]={} ; {middle} ; start_time=[{}] ; stop_time=[{}] ; pid={} ; code={} ; status={status} }}",
        c.path,
        c.argv.join(" "),
        time(run.start_usec),
        time(run.exit_usec),
        run.pid,
        // systemctl prints the NULL of an unknown code with "%s"
        sigchld_code(run.code).unwrap_or("(null)"),
    )
}

/// An `Exec…=` element as the bus carries it: `(sasbttttuii)`, or `(sasasttttuii)` for the `…Ex`
/// form (flags instead of ignore_errors); the run's times realtime and monotonic.
pub(super) fn exec_bus_value(c: &ExecCommand, ex: bool, run: &ExecRun) -> BusValue {
    let middle = if ex {
        let flags: Vec<String> = c.flag_names().iter().map(|f| f.to_string()).collect();
        BusValue::strings(&flags)
    } else {
        BusValue::B(c.flags.ignore_failure)
    };
    BusValue::Record(vec![
        BusValue::S(c.path.clone()),
        BusValue::strings(&c.argv),
        middle,
        BusValue::U(run.start_usec),
        BusValue::U(monotonic_of(run.start_usec)),
        BusValue::U(run.exit_usec),
        BusValue::U(monotonic_of(run.exit_usec)),
        BusValue::U(u64::try_from(run.pid).unwrap_or(0)),
        BusValue::I(run.code.into()),
        BusValue::I(run.status.into()),
    ])
}

/// The last run of the `index`th command of `kind`, if the manager recorded one.
pub fn exec_run(rt: &UnitStatus, kind: ExecKind, index: usize) -> Option<&ExecRun> {
    rt.exec_runs
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, runs)| runs.get(index))
}

/// systemd's `shell_maybe_quote(s, 0)`, which systemctl applies to every element of a string
/// array: double quotes when the string has whitespace, control or shell-special characters.
pub(super) fn shell_maybe_quote(s: &str) -> String {
    maybe_quote(s, false)
}

/// `shell_maybe_quote(s, SHELL_ESCAPE_POSIX)` (`show-environment`): `$'…'` quoting, in which
/// only backslashes, single quotes and control characters are escaped.
pub fn shell_maybe_quote_posix(s: &str) -> String {
    maybe_quote(s, true)
}

fn maybe_quote(s: &str, posix: bool) -> String {
    const NEED_QUOTES: &str = "\"\\`$*?['()<>|&;!";
    let need_escape = if posix { "\\'" } else { "\"\\`$" };
    let special = |c: char| c.is_ascii() && (c <= ' ' || c == '\x7f' || NEED_QUOTES.contains(c));
    // the part before the first character that needs quoting is copied as is
    let Some(first) = s.find(special) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(s.len() + 3);
    out.push_str(if posix { "$'" } else { "\"" });
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03o}", c as u32)),
            c if need_escape.contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(if posix { '\'' } else { '"' });
    out
}

/// `KillSignal=` is shown as its number.
pub(super) fn signal_number(name: &str) -> String {
    name.parse::<nix::sys::signal::Signal>()
        .map(|s| (s as i32).to_string())
        .unwrap_or_else(|_| name.to_string())
}

/// `LoadError=` in systemd's exact words; the file, line and reason go to stderr (see `show`).
pub(super) fn load_error_value(config: &UnitConfig) -> String {
    let name = match &config.load_state {
        LoadState::Loaded => return String::new(),
        LoadState::NotFound => "org.freedesktop.systemd1.NoSuchUnit",
        LoadState::Masked => "org.freedesktop.systemd1.UnitMasked",
        LoadState::BadSetting => "org.freedesktop.systemd1.BadUnitSetting",
        LoadState::Error(failure) => failure.dbus_name(),
    };
    let message = config.load_error_message().unwrap_or_default();
    format!("{name} \"{message}\"")
}
