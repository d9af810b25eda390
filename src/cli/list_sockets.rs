//! `systemctl list-sockets [PATTERN…]` as systemd 252's systemctl-list-units.c prints it: one
//! row per listening address of each socket unit the manager has loaded (active ones, or all
//! with `--all`), sorted by the address as printed, then by its type; LISTEN, UNIT and
//! ACTIVATES columns (TYPE after LISTEN with `--show-types`); a count and a hint as legend.
//!
//! The addresses come from the unit files: the manager's protocol carries a unit's state and its
//! triggers, not its configuration. Tables are never cut to the terminal's width, which is what
//! systemctl does whenever its output is not a terminal and what `--full` asks for.

use super::{Ctx, Exit, Failed, VerbResult};
use crate::unit::load::{load_or_shipped, NameMap};
use crate::unit::model::TypeSection;
use crate::unit::name::{mangle, UnitName, UnitType};

/// One line of a socket unit's `Listen…=`, with the unit and what it activates.
struct Row {
    listen: String,
    kind: &'static str,
    unit: String,
    activates: Vec<String>,
}

/// `string_is_glob()`.
fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// expand_unit_names() with the `.socket` suffix: a glob stays a pattern over the loaded units,
/// anything else is mangled into a unit name (`web` means `web.socket`).
fn patterns(args: &[String]) -> Result<Vec<String>, Failed> {
    args.iter()
        .map(|a| {
            if is_glob(a) {
                return Ok(a.clone());
            }
            mangle(a, UnitType::Socket)
                .map(|n| n.as_str().to_string())
                .map_err(|_| Failed::new(Exit::Failure, "Failed to mangle name: Invalid argument"))
        })
        .collect()
}

pub fn list_sockets(ctx: &Ctx, args: &[String]) -> VerbResult {
    let patterns = patterns(args)?;
    let units = super::queries::shown_units(ctx, &patterns, &super::queries::state_filter(ctx));
    let map = NameMap::build(&ctx.lookup);
    let mut rows: Vec<Row> = Vec::new();
    for unit in units.iter().filter(|u| u.id.ends_with(".socket")) {
        let Ok(name) = UnitName::parse(&unit.id) else {
            continue;
        };
        let config = load_or_shipped(&ctx.lookup, &map, &name);
        let TypeSection::Socket(socket) = &config.kind else {
            continue;
        };
        rows.extend(socket.listen.iter().map(|l| Row {
            listen: l.listen_display(),
            kind: l.kind,
            unit: unit.id.clone(),
            activates: unit.triggers.clone(),
        }));
    }
    // socket_info_compare(): strcmp() of the address, then of the type.
    rows.sort_by(|a, b| a.listen.cmp(&b.listen).then_with(|| a.kind.cmp(b.kind)));

    let legend = ctx.legend();
    print!("{}", table(&rows, ctx.opts.show_types, legend));
    if legend {
        println!("\n{} sockets listed.", rows.len());
        if ctx.opts.all == 0 {
            println!("Pass --all to see loaded but inactive sockets, too.");
        }
    }
    Ok(Exit::Success)
}

/// The table of `rows`, with a header when `legend`.
fn table(rows: &[Row], show_types: bool, legend: bool) -> String {
    let mut header = vec!["LISTEN"];
    if show_types {
        header.push("TYPE");
    }
    header.extend(["UNIT", "ACTIVATES"]);
    let mut cells: Vec<Vec<String>> = Vec::new();
    for row in rows {
        let mut line = vec![row.listen.clone()];
        if show_types {
            line.push(row.kind.to_string());
        }
        line.push(row.unit.clone());
        // An empty cell prints as "-"; several units make a cell of one line each, the other
        // columns left blank on the lines after the first, as systemd's table does.
        let mut activates = row.activates.iter();
        line.push(activates.next().cloned().unwrap_or_else(|| "-".to_string()));
        cells.push(line);
        for more in activates {
            let mut line = vec![String::new(); header.len() - 1];
            line.push(more.clone());
            cells.push(line);
        }
    }
    super::table::render(&header, &cells, legend)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(listen: &str, kind: &'static str, unit: &str, activates: &[&str]) -> Row {
        Row {
            listen: listen.into(),
            kind,
            unit: unit.into(),
            activates: activates.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn several_activated_units_take_a_line_each() {
        let rows = [
            row(
                "/run/lim.sock",
                "Stream",
                "lim.socket",
                &["lim@0-1-0.service", "lim@1-2-0.service"],
            ),
            row("/run/z.sock", "Stream", "z.socket", &[]),
        ];
        assert_eq!(
            table(&rows, true, true),
            "LISTEN        TYPE   UNIT       ACTIVATES\n\
             /run/lim.sock Stream lim.socket lim@0-1-0.service\n\
             \x20                               lim@1-2-0.service\n\
             /run/z.sock   Stream z.socket   -\n"
        );
    }
}
