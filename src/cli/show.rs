//! `show` and `cat`: the properties systemd knows of a unit at load time, and its files.

use super::{online, Ctx, VerbResult};

pub fn show(ctx: &Ctx, args: &[String]) -> VerbResult {
    online::unsupported(ctx, args)
}

pub fn cat(ctx: &Ctx, args: &[String]) -> VerbResult {
    online::unsupported(ctx, args)
}
