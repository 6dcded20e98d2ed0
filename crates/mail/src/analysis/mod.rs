//! Signal families, one module each, in the manner of Stalwart's `spam-filter/src/analysis`:
//! each reads the shared [`Ctx`] and raises named signals with evidence. Weights live in
//! `rules/signals.yaml`, not here.

use crate::context::Ctx;
use crate::timing::{Phase, time};

pub mod attachments;
pub mod auth;
pub mod brands;
pub mod content;
pub mod forwarded;
pub mod html_tricks;
pub mod identity;
pub mod links;
pub mod lookalike;
pub mod mime;
pub mod qr;

/// Runs every family in dependency order: attachments and QR codes add links that the link
/// family then judges.
pub fn run_all(ctx: &mut Ctx<'_>) {
    mime::analyze(ctx);
    time(Phase::Auth, || auth::analyze(ctx));
    time(Phase::Identity, || {
        identity::analyze(ctx);
        forwarded::analyze(ctx);
    });
    time(Phase::Content, || content::analyze(ctx));
    time(Phase::HtmlTricks, || html_tricks::analyze(ctx));
    if !ctx.over_budget() {
        time(Phase::Attachments, || attachments::analyze(ctx));
    }
    if !ctx.over_budget() {
        time(Phase::Qr, || qr::analyze(ctx));
    }
    time(Phase::Links, || links::analyze(ctx));
    if ctx.over_budget() {
        ctx.add(
            "mime.limits_exceeded",
            "analysis ran out of its time budget; some parts were not examined",
        );
    }
}
