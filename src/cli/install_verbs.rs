//! Offline verbs over the install layer: enable, disable, reenable, mask, unmask, preset,
//! preset-all, is-enabled, link, revert, add-wants, add-requires, get-default, set-default,
//! list-unit-files; their output and exit codes as systemctl 252 gives them.

use super::{online, Ctx, VerbResult};

macro_rules! pending {
    ($($name:ident),*) => {$(
        pub fn $name(ctx: &Ctx, args: &[String]) -> VerbResult {
            online::unsupported(ctx, args)
        }
    )*};
}

pending!(
    list_unit_files,
    enable,
    disable,
    reenable,
    mask,
    unmask,
    preset,
    preset_all,
    is_enabled,
    link,
    revert,
    get_default,
    set_default,
    add_wants,
    add_requires
);
