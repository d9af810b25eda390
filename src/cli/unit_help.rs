//! `systemctl help UNIT…`: systemctl-show.c's `show_unit_help()` over the units named (globs
//! expanded against the loaded units), which opens each `man:` page of the unit's
//! Documentation= with man(1) as man-util.c's `show_man_page()` does (`man SECTION PAGE`, or
//! `man PAGE` without a section) and only names the other kinds of documentation. A unit that
//! does not exist stops the verb (exit 1); one without documentation is only reported.

use std::process::Command;

use super::{Ctx, Exit, Failed, VerbResult};
use crate::unit::state::{ActiveState, UnitLoadState};

pub fn help(ctx: &Ctx, args: &[String]) -> VerbResult {
    let names = super::queries::unit_names(ctx, args)?;
    let Some(details) = super::queries::query_details(&names) else {
        return super::online::needs_manager(ctx, args);
    };
    for (name, unit) in names.iter().zip(details) {
        let status = &unit.status;
        if status.load_state == Some(UnitLoadState::NotFound)
            && status.active_state == ActiveState::Inactive
        {
            // show_one() returns -ENOENT for help: verb_show() stops there.
            return Err(Failed::new(
                Exit::Failure,
                format!("Unit {name} could not be found."),
            ));
        }
        let docs = &unit.config.documentation;
        if docs.is_empty() {
            eprintln!("Documentation for {} not known.", status.id);
            continue;
        }
        for doc in docs {
            match doc.strip_prefix("man:") {
                Some(page) => show_man_page(page),
                None => eprintln!("Can't show: {doc}"),
            }
        }
    }
    Ok(Exit::Success)
}

/// man-util.c's `show_man_page()`: `page(section)` opens as `man section page`. What man says
/// or how it ends changes nothing for systemctl.
fn show_man_page(desc: &str) {
    let args: Vec<&str> = match desc.strip_suffix(')').and_then(|d| d.rsplit_once('(')) {
        Some((page, section)) => vec![section, page],
        None => vec![desc],
    };
    if let Err(e) = Command::new("man").args(&args).status() {
        eprintln!("Failed to execute man: {}", crate::errno::text(&e));
    }
}
