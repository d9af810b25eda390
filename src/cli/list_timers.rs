//! `systemctl list-timers [PATTERN…]` as systemd 252's systemctl-list-units.c prints it: one row
//! per timer unit the manager has loaded (active ones, or all with `--all`), sorted by the next
//! elapse and then by name; NEXT and LAST as timestamps, LEFT and PASSED relative to now, UNIT
//! and ACTIVATES; `-` for an empty cell; a count and a hint as legend. Without a manager the
//! table is empty, as our other list verbs print it.

use super::{Ctx, Exit, Failed, VerbResult};
use crate::ipc::protocol::{TimerInfo, UnitStatus};
use crate::unit::name::{mangle, UnitType};

/// One timer's row.
struct Row {
    next: u64,
    last: u64,
    unit: String,
    activates: Vec<String>,
}

/// expand_unit_names() with the `.timer` suffix: a glob stays a pattern over the loaded units,
/// anything else is mangled into a unit name (`logrotate` means `logrotate.timer`).
fn patterns(args: &[String]) -> Result<Vec<String>, Failed> {
    args.iter()
        .map(|a| {
            if a.contains(['*', '?', '[']) {
                return Ok(a.clone());
            }
            mangle(a, UnitType::Timer)
                .map(|n| n.as_str().to_string())
                .map_err(|_| Failed::new(Exit::Failure, "Failed to mangle name: Invalid argument"))
        })
        .collect()
}

/// calc_next_elapse(): the monotonic elapse moved to the realtime clock, the earlier of the two.
fn calc_next_elapse(now: (u64, u64), info: &TimerInfo) -> u64 {
    let (real, mono) = (info.next_elapse_realtime, info.next_elapse_monotonic);
    if mono == 0 {
        return real;
    }
    let converted = if mono > now.1 {
        now.0.saturating_add(mono - now.1)
    } else {
        now.0.saturating_sub(now.1 - mono)
    };
    if real != 0 {
        converted.min(real)
    } else {
        converted
    }
}

/// (realtime, monotonic) µs now.
fn now() -> (u64, u64) {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime into a timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let mono = ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000;
    (crate::sys::time::now_usec(), mono)
}

/// [`calc_next_elapse`] at this moment, for `status`' `Trigger:` line.
pub(super) fn next_elapse_now(info: &TimerInfo) -> u64 {
    calc_next_elapse(now(), info)
}

fn row(unit: &UnitStatus, now: (u64, u64)) -> Row {
    let info = unit.timer.clone().unwrap_or_default();
    Row {
        next: calc_next_elapse(now, &info),
        last: info.last_trigger.0,
        unit: unit.id.clone(),
        activates: unit.triggers.clone(),
    }
}

pub fn list_timers(ctx: &Ctx, args: &[String]) -> VerbResult {
    let patterns = patterns(args)?;
    let units = super::queries::shown_units(ctx, &patterns, &super::queries::state_filter(ctx));
    let now = now();
    let mut rows: Vec<Row> = units
        .iter()
        .filter(|u| u.id.ends_with(".timer"))
        .map(|u| row(u, now))
        .collect();
    // timer_info_compare(): by next elapse, then by name.
    rows.sort_by(|a, b| a.next.cmp(&b.next).then_with(|| a.unit.cmp(&b.unit)));
    let legend = ctx.legend();
    print!("{}", table(&rows, legend));
    if legend {
        println!("\n{} timers listed.", rows.len());
        if ctx.opts.all == 0 {
            println!("Pass --all to see loaded but inactive timers, too.");
        }
    }
    Ok(Exit::Success)
}

/// The table of `rows`, with a header when `legend`.
fn table(rows: &[Row], legend: bool) -> String {
    let header = ["NEXT", "LEFT", "LAST", "PASSED", "UNIT", "ACTIVATES"];
    let dash = |s: Option<String>| s.unwrap_or_else(|| "-".to_string());
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let activates = r.activates.join(", ");
            vec![
                dash(super::show::format_timestamp(r.next)),
                dash(super::status::format_relative(r.next)),
                dash(super::show::format_timestamp(r.last)),
                dash(super::status::format_relative(r.last)),
                r.unit.clone(),
                if activates.is_empty() {
                    "-".to_string()
                } else {
                    activates
                },
            ]
        })
        .collect();
    super::table::render(&header, &cells, legend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monotonic_elapse_is_moved_to_the_realtime_clock() {
        let info = |real, mono| TimerInfo {
            next_elapse_realtime: real,
            next_elapse_monotonic: mono,
            ..TimerInfo::default()
        };
        let now = (1_000_000_000, 5_000);
        assert_eq!(calc_next_elapse(now, &info(0, 0)), 0);
        assert_eq!(calc_next_elapse(now, &info(0, 7_000)), 1_000_002_000);
        assert_eq!(calc_next_elapse(now, &info(0, 4_000)), 999_999_000);
        assert_eq!(
            calc_next_elapse(now, &info(1_000_001_000, 7_000)),
            1_000_001_000
        );
        assert_eq!(
            calc_next_elapse(now, &info(1_000_009_000, 0)),
            1_000_009_000
        );
    }

    #[test]
    fn empty_cells_are_dashes() {
        let rows = [Row {
            next: 0,
            last: 0,
            unit: "a.timer".into(),
            activates: vec!["a.service".into()],
        }];
        assert_eq!(
            table(&rows, true),
            "NEXT LEFT LAST PASSED UNIT    ACTIVATES\n\
             -    -    -    -      a.timer a.service\n"
        );
    }
}
