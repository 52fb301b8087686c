//! Tenant isolation of objects that live only in HTML pages and forms (server-rendered
//! apps): the other tenant opens the owner's canary page, submits its edit form with a
//! changed marker and its delete form, each with the caller's own CSRF tokens, and the
//! owner reads the object back. The caller is the identity of the other tenant that made
//! its own canary through the same form, so it is known to hold a session the pages
//! accept (a bearer token alone is not one on a cookie-only app).

use std::sync::Arc;

use crate::auth::Identity;
use crate::engine::Context;
use crate::engine::canaries::{OwnedObject, new_marker};
use crate::engine::form_objects::{self, ObjectForms};
use crate::http::{Request, Response};
use crate::model::Tenant;

use super::{MAX_WRITE_OBJECTS, Pair, Tally, judge_delete, read_finding, write_finding};

/// What the form replays did for one direction.
#[derive(Default)]
pub(super) struct FormCounts {
    pub reads: u32,
    pub writes: u32,
}

fn tenant_of(ctx: &Context, object: &OwnedObject) -> Option<Tenant> {
    ctx.identities.get(object.owner).and_then(|i| i.tenant())
}

/// The identity of `tenant` that made its own canary through the form on `source`.
fn caller_for(ctx: &Context, tenant: Option<Tenant>, forms: &ObjectForms) -> Option<Arc<Identity>> {
    let id = ctx
        .owned
        .all()
        .into_iter()
        .find(|o| {
            o.forms.as_ref().is_some_and(|f| f.source == forms.source)
                && tenant.is_some()
                && tenant_of(ctx, o) == tenant
        })?
        .owner;
    ctx.identities.get(id).cloned()
}

/// Replays `owner_tenant`'s form canaries as `caller_tenant`.
pub(super) async fn replay(
    ctx: &Context,
    owner_tenant: &Identity,
    caller_tenant: &Identity,
    tally: &mut Tally,
) -> FormCounts {
    let mut counts = FormCounts::default();
    let objects: Vec<OwnedObject> = ctx
        .owned
        .all()
        .into_iter()
        .filter(|o| o.forms.is_some() && tenant_of(ctx, o) == owner_tenant.tenant())
        .take(MAX_WRITE_OBJECTS)
        .collect();
    for object in objects {
        let Some(forms) = object.forms.clone() else {
            continue;
        };
        let (Some(owner), Some(caller)) = (
            ctx.identities.get(object.owner).cloned(),
            caller_for(ctx, caller_tenant.tenant(), &forms),
        ) else {
            tally.undecided.push(format!(
                "no identity of {}'s tenant could use the form on {} to replay {}'s object",
                caller_tenant.id,
                forms.source.path(),
                owner_tenant.id
            ));
            continue;
        };
        let markers = |id| ctx.inventory.markers.get(&id).cloned().unwrap_or_default();
        let pair = Pair {
            owner: &owner,
            caller: &caller,
            owner_markers: markers(owner.id),
            caller_markers: markers(caller.id),
        };
        read(ctx, &pair, &object, tally).await;
        counts.reads += 1;
        if ctx.config.safe_mode {
            counts.writes += write(ctx, &pair, &object, &forms, tally).await;
        }
    }
    counts
}

async fn read(ctx: &Context, pair: &Pair<'_>, object: &OwnedObject, tally: &mut Tally) {
    let Ok(resp) = pair
        .caller
        .send(&ctx.http, Request::get(object.url.clone()))
        .await
    else {
        return;
    };
    tally.replayed += 1;
    if resp.is_success() && resp.text().contains(&object.marker) {
        let owner = pair
            .owner
            .send(&ctx.http, Request::get(object.url.clone()))
            .await
            .ok();
        tally.findings.push(read_finding(
            ctx,
            pair,
            &object.url,
            owner.as_ref(),
            &resp,
            Some(&object.marker),
        ));
    } else {
        tally.enforced += 1;
    }
}

/// The caller's own copies of the app's forms, for its CSRF tokens.
async fn callers_forms(
    ctx: &Context,
    pair: &Pair<'_>,
    forms: &ObjectForms,
) -> Vec<crate::html::Form> {
    match pair
        .caller
        .send(&ctx.http, Request::get(forms.source.clone()))
        .await
    {
        Ok(r) if r.is_success() => form_objects::post_forms(&r.url, &r.text()),
        _ => Vec::new(),
    }
}

/// The edit form with a changed marker, then the delete form, as the caller. Returns
/// how many writes were sent.
async fn write(
    ctx: &Context,
    pair: &Pair<'_>,
    object: &OwnedObject,
    forms: &ObjectForms,
    tally: &mut Tally,
) -> u32 {
    if !ctx.owned.owns(&object.url) {
        return 0; // Never a write to anything the scanner did not create.
    }
    let fresh = callers_forms(ctx, pair, forms).await;
    let read_back = || async {
        pair.owner
            .send(&ctx.http, Request::get(object.url.clone()))
            .await
            .ok()
    };
    let mut sent = 0;
    if let Some(edit) = &forms.edit {
        let tamper = new_marker().replace("canary", "tamper");
        let fields: Vec<(String, String)> = form_objects::as_is(edit)
            .into_iter()
            .map(|(k, v)| (k, v.replace(&object.marker, &tamper)))
            .collect();
        let fields = form_objects::refreshed(&fields, edit, &fresh);
        if let Ok(attempt) =
            form_objects::submit(&ctx.http, pair.caller, edit, &fields, &object.url).await
        {
            sent += 1;
            tally.replayed += 1;
            if let Some(after) = read_back().await {
                judge_edit(ctx, pair, object, &attempt, &after, &tamper, tally).await;
            }
        }
    }
    if let Some(delete) = &forms.delete {
        let fields = form_objects::refreshed(&form_objects::as_is(delete), delete, &fresh);
        if let Ok(attempt) =
            form_objects::submit(&ctx.http, pair.caller, delete, &fields, &object.url).await
        {
            sent += 1;
            tally.replayed += 1;
            if let Some(after) = read_back().await {
                judge_delete(ctx, pair, object, &attempt, &after, tally);
            }
        }
    }
    sent
}

/// A changed marker the owner reads back is proof; the owner then puts its value back
/// through its own edit form.
async fn judge_edit(
    ctx: &Context,
    pair: &Pair<'_>,
    object: &OwnedObject,
    attempt: &Response,
    after: &Response,
    tamper: &str,
    tally: &mut Tally,
) {
    if !after.text().contains(tamper) {
        tally.enforced += 1;
        return;
    }
    tally.findings.push(write_finding(
        ctx, pair, object, "POST", attempt, after, tamper,
    ));
    let (Some(edit), _) = form_objects::object_forms(&after.url, &after.text(), tamper) else {
        return;
    };
    let fields: Vec<(String, String)> = form_objects::as_is(&edit)
        .into_iter()
        .map(|(k, v)| (k, v.replace(tamper, &object.marker)))
        .collect();
    let _ = form_objects::submit(&ctx.http, pair.owner, &edit, &fields, &object.url).await;
}
