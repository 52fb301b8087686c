//! Canaries of server-rendered apps: objects made, changed and deleted through HTML
//! forms (Rails, Django templates, Express/EJS), for apps with no JSON API to post to.
//!
//! A canary is created by filling the app's own "new" form the way a browser would
//! (hidden fields such as CSRF tokens kept, the marker in a free-text input, the other
//! inputs given plausible values) and found again by its marker: on the page the
//! submission landed on, through the link next to the marker there, or in the list
//! page the form belongs to. Its page then shows the forms it can be edited and deleted
//! with: the edit form is the one whose inputs carry the marker, the delete form the
//! one whose action or button says so.

use scraper::{ElementRef, Html};
use url::Url;

use crate::html::{Form, base_of, parse_form, selector};
use crate::http::{HttpLayer, Request, Response};
use crate::model::id_kind;

use super::canaries::TEXT_FIELDS;

/// The forms one of the scanner's objects can be changed and deleted with.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectForms {
    /// The page whose form created the object (`/notes/new`).
    pub source: Url,
    /// The form that edits it (its inputs carry the object's values), if the page has one.
    pub edit: Option<Form>,
    /// The form that deletes it, if the page has one.
    pub delete: Option<Form>,
}

/// Words in a form's action, hidden `_method` or button that mark a delete form.
const DELETE_WORDS: &[&str] = &["delete", "destroy", "remove", "trash"];

/// The POST forms of a page, each with the text of its buttons.
fn forms_with_buttons(url: &Url, html: &str) -> Vec<(Form, String)> {
    let doc = Html::parse_document(html);
    let base = base_of(&doc, url);
    doc.select(&selector("form"))
        .take(50)
        .map(|f| {
            let buttons: String = f
                .select(&selector("button, input[type=submit]"))
                .map(|b| {
                    let text: String = b.text().collect();
                    format!("{text} {} ", b.value().attr("value").unwrap_or(""))
                })
                .collect();
            (parse_form(&base, url, f), buttons.to_ascii_lowercase())
        })
        .filter(|(f, _)| f.method == "POST")
        .collect()
}

/// The form on `page` that creates objects: the one matching `css` when given, else
/// the first the create-form rules accept.
pub fn create_form(page: &Url, html: &str, css: Option<&str>) -> Result<Form, String> {
    if let Some(css) = css {
        return crate::html::login_form(page, html, Some(css))
            .map_err(|e| format!("{e} on {}", page.path()));
    }
    forms_with_buttons(page, html)
        .into_iter()
        .map(|(f, _)| f)
        .find(|f| f.is_create_form(page))
        .ok_or_else(|| {
            format!(
                "{} holds no form that creates an object (a POST form with an empty text field)",
                page.path()
            )
        })
}

/// The fields a browser would send for `form` with `marker` typed into its free-text
/// input (a named one first, else the first textarea, else the first text input) and
/// plausible values in the other empty inputs. `None` if no input can take the marker.
pub fn fill(form: &Form, marker: &str) -> Option<Vec<(String, String)>> {
    let named = form.inputs.iter().position(|i| {
        matches!(i.kind.as_str(), "text" | "textarea")
            && TEXT_FIELDS.contains(&i.name.to_ascii_lowercase().as_str())
    });
    let target = named
        .or_else(|| form.inputs.iter().position(|i| i.kind == "textarea"))
        .or_else(|| form.inputs.iter().position(|i| i.kind == "text"))?;
    let fields = form
        .inputs
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let value = if n == target {
                marker.to_string()
            } else if !i.value.is_empty() {
                i.value.clone()
            } else {
                placeholder(&i.kind, marker).to_string()
            };
            (i.name.clone(), value)
        })
        .collect();
    Some(fields)
}

/// A value an empty input of `kind` accepts, harmless anywhere it is stored.
fn placeholder<'a>(kind: &str, marker: &'a str) -> &'a str {
    match kind {
        "number" | "range" => "1",
        "date" => "2026-01-01",
        "datetime-local" => "2026-01-01T12:00",
        "time" => "12:00",
        "month" => "2026-01",
        "week" => "2026-W01",
        "url" => "https://example.invalid/",
        "tel" => "5550100",
        "color" => "#000000",
        "email" => "prodready@example.invalid",
        "hidden" | "select" => "",
        _ => marker,
    }
}

/// The link next to `marker` on a page: the object's own page, where a list shows it.
/// Looks in the marker's element and up to four enclosing ones (its row, its item) for
/// a same-origin link whose path names an id; `/x/7/edit` gives `/x/7`.
pub fn object_link(page: &Url, html: &str, marker: &str) -> Option<Url> {
    let doc = Html::parse_document(html);
    let base = base_of(&doc, page);
    let holder = doc.select(&selector("body *")).rfind(|e| {
        e.children()
            .filter_map(|c| c.value().as_text())
            .any(|t| t.contains(marker))
    })?;
    let anchors = selector("a[href]");
    let mut scope = Some(holder);
    for _ in 0..5 {
        let el = scope?;
        let links = std::iter::once(el)
            .filter(|e| e.value().name() == "a")
            .chain(el.select(&anchors));
        for a in links {
            if let Some(url) = a
                .value()
                .attr("href")
                .and_then(|h| base.join(h).ok())
                .filter(|u| u.origin() == page.origin())
                .and_then(|u| object_url_of(&u))
            {
                return Some(url);
            }
        }
        scope = el.parent().and_then(ElementRef::wrap);
    }
    None
}

/// `url` up to and including its last id-like segment, without query or fragment.
fn object_url_of(url: &Url) -> Option<Url> {
    let segments: Vec<&str> = url.path_segments()?.collect();
    let last_id = segments.iter().rposition(|s| id_kind(s).is_some())?;
    let mut out = url.clone();
    out.set_query(None);
    out.set_fragment(None);
    let mut path = segments[..=last_id].join("/");
    // Keep a trailing slash where the app's routes have one (`/notes/7/`).
    if segments.get(last_id + 1) == Some(&"") {
        path.push('/');
    }
    out.set_path(&format!("/{path}"));
    Some(out)
}

/// Whether `url` is itself an object's page (its path ends in an id).
pub fn names_an_object(url: &Url) -> bool {
    url.path_segments()
        .and_then(|mut s| s.rfind(|s| !s.is_empty()))
        .is_some_and(|s| id_kind(s).is_some())
}

/// The edit and delete forms of the object page `page`: POST forms whose action lies
/// under the object's path; the edit form carries `marker` in an input, the delete
/// form says delete in its action, its `_method` or its button.
pub fn object_forms(page: &Url, html: &str, marker: &str) -> (Option<Form>, Option<Form>) {
    let own = page.path().trim_end_matches('/').to_string();
    let mut edit = None;
    let mut delete = None;
    for (form, buttons) in forms_with_buttons(page, html) {
        if form.action.origin() != page.origin()
            || !form.action.path().trim_end_matches('/').starts_with(&own)
        {
            continue;
        }
        let action = form.action.path().to_ascii_lowercase();
        let method_override = form
            .input("_method")
            .map(|i| i.value.to_ascii_lowercase())
            .unwrap_or_default();
        let says_delete = DELETE_WORDS
            .iter()
            .any(|w| action.contains(w) || method_override == *w || buttons.contains(w));
        if says_delete && delete.is_none() && !form.has_password() {
            delete = Some(form);
        } else if form.inputs.iter().any(|i| i.value.contains(marker)) && edit.is_none() {
            edit = Some(form);
        }
    }
    (edit, delete)
}

/// `form`'s fields with the hidden values (CSRF tokens) taken from the same-named
/// hidden inputs of `fresh` (the sender's own copy of a form), where it has them.
pub fn refreshed(
    fields: &[(String, String)],
    form: &Form,
    fresh: &[Form],
) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, value)| {
            let hidden = form.input(name).is_some_and(|i| i.kind == "hidden");
            let newer = fresh
                .iter()
                .flat_map(|f| &f.inputs)
                .find(|i| hidden && i.kind == "hidden" && i.name == *name)
                .map(|i| i.value.clone());
            (name.clone(), newer.unwrap_or_else(|| value.clone()))
        })
        .collect()
}

/// Every POST form of a page (for fresh hidden values).
pub fn post_forms(page: &Url, html: &str) -> Vec<Form> {
    forms_with_buttons(page, html)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

/// The fields a form submits untouched.
pub fn as_is(form: &Form) -> Vec<(String, String)> {
    form.inputs
        .iter()
        .map(|i| (i.name.clone(), i.value.clone()))
        .collect()
}

/// Submits `fields` through `form` as a browser on `page` would (form-encoded, the page
/// as `Referer`), following the redirect the app answers with.
pub async fn submit(
    http: &HttpLayer,
    identity: &crate::auth::Identity,
    form: &Form,
    fields: &[(String, String)],
    page: &Url,
) -> Result<Response, String> {
    // Hidden anti-forgery tokens are credentials of the session: never in a report.
    for (name, value) in fields {
        let n = name.to_ascii_lowercase();
        if form.input(name).is_some_and(|i| i.kind == "hidden")
            && (n.contains("csrf") || n.contains("token") || n.contains("authenticity"))
        {
            http.redactor().add(value);
        }
    }
    let req = Request::new(&form.method, form.action.clone())
        .form(fields)
        .header("Referer", page.as_str());
    identity.send(http, req).await.map_err(|e| e.to_string())
}

/// The object a create form made, by its marker: the page the submission landed on
/// if that is the object's page, else the link next to the marker there or on the
/// list page (`/notes/new` -> `/notes`).
pub async fn locate(
    http: &HttpLayer,
    identity: &crate::auth::Identity,
    source: &Url,
    landed: &Response,
    marker: &str,
) -> Option<Url> {
    let text = landed.text();
    if landed.is_success() && text.contains(marker) {
        if names_an_object(&landed.url) && landed.url.path() != source.path() {
            return object_url_of(&landed.url);
        }
        if let Some(url) = object_link(&landed.url, &text, marker) {
            return Some(url);
        }
    }
    let mut list = source.clone();
    list.set_query(None);
    {
        let mut segments = list.path_segments_mut().ok()?;
        segments.pop_if_empty().pop();
    }
    let resp = identity.send(http, Request::get(list)).await.ok()?;
    object_link(&resp.url, &resp.text(), marker)
}

/// Deletes `object` as `owner` through the delete form its page shows now (fresh
/// tokens), the way the owner would in a browser.
pub async fn delete(
    http: &HttpLayer,
    owner: &crate::auth::Identity,
    object: &super::canaries::OwnedObject,
) -> Result<Response, String> {
    let page = owner
        .send(http, Request::get(object.url.clone()))
        .await
        .map_err(|e| e.to_string())?;
    let (_, form) = object_forms(&page.url, &page.text(), &object.marker);
    let form = form.ok_or_else(|| {
        format!(
            "its page ({}) shows no delete form",
            http.redactor().url(&object.url)
        )
    })?;
    submit(http, owner, &form, &as_is(&form), &page.url).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const NEW: &str = r#"<form method="post" action="/app/notes">
        <input type="hidden" name="authenticity_token" value="t1">
        <input type="text" name="heading" required>
        <textarea name="entry"></textarea>
        <input type="number" name="priority">
        <select name="visibility"><option value="team">team</option></select>
        <button>Save</button></form>"#;

    #[test]
    fn a_new_form_is_filled_as_a_browser_would() {
        let page = url("http://127.0.0.1:1/app/notes/new");
        let form = create_form(&page, NEW, None).unwrap();
        let fields = fill(&form, "prodready-canary-1").unwrap();
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(get("authenticity_token"), "t1");
        // No named free-text field: the marker goes into the textarea.
        assert_eq!(get("entry"), "prodready-canary-1");
        assert_eq!(get("priority"), "1");
        assert_eq!(get("visibility"), "team");
        assert!(!get("heading").is_empty());
    }

    #[test]
    fn only_forms_that_create_are_taken() {
        let page = url("http://127.0.0.1:1/app/notes/new");
        // Prefilled (an edit form), with a password, posting to an id, or a contact form.
        for html in [
            r#"<form method="post" action="/app/notes"><input name="heading" value="x"></form>"#,
            r#"<form method="post" action="/app/notes"><input name="heading"><input type="password" name="p"></form>"#,
            r#"<form method="post" action="/app/notes/7"><input name="heading"></form>"#,
            r#"<form method="post" action="/app/notes"><input name="heading"><input name="email"></form>"#,
            r#"<form method="get" action="/app/notes"><input name="heading"></form>"#,
        ] {
            assert!(create_form(&page, html, None).is_err(), "{html}");
        }
        // A page not named for creating, posting to a collection: not taken on its own.
        let list = url("http://127.0.0.1:1/app/notes");
        assert!(
            create_form(
                &list,
                NEW.replace("/app/notes\"", "/app/things\"").as_str(),
                None
            )
            .is_err()
        );
        assert!(create_form(&page, NEW, None).is_ok());
    }

    #[test]
    fn the_object_is_the_link_next_to_its_marker() {
        let page = url("http://127.0.0.1:1/app/notes");
        let html = r#"<ul><li><a href="/app/notes/3">open</a> other</li>
            <li><span>prodready-canary-9</span> · <a href="/app/notes/12/edit">edit</a></li></ul>"#;
        assert_eq!(
            object_link(&page, html, "prodready-canary-9")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:1/app/notes/12"
        );
        let slash = r#"<tr><td><a href="/events/8f3e2c1a-1111-4222-8333-944455556666/">prodready-canary-9</a></td></tr>"#;
        assert_eq!(
            object_link(&page, slash, "prodready-canary-9")
                .unwrap()
                .path(),
            "/events/8f3e2c1a-1111-4222-8333-944455556666/"
        );
        assert!(object_link(&page, "<p>prodready-canary-9</p>", "prodready-canary-9").is_none());
    }

    #[test]
    fn edit_and_delete_forms_are_told_apart() {
        let page = url("http://127.0.0.1:1/app/notes/12");
        let html = r#"<form method="post" action="/app/notes/12"><input name="heading" value="prodready-canary-9"><button>Save</button></form>
            <form method="post" action="/app/notes/12"><input type="hidden" name="_method" value="delete"><button>Go</button></form>
            <form method="post" action="/logout"><button>Sign out</button></form>"#;
        let (edit, delete) = object_forms(&page, html, "prodready-canary-9");
        assert!(edit.unwrap().input("heading").is_some());
        assert!(delete.unwrap().input("_method").is_some());
        let by_button = r#"<form method="post" action="/app/notes/12/x"><button>Delete this note</button></form>"#;
        assert!(object_forms(&page, by_button, "m").1.is_some());
    }

    #[test]
    fn hidden_tokens_come_from_the_senders_own_form() {
        let page = url("http://127.0.0.1:1/app/notes/new");
        let owners = create_form(&page, NEW, None).unwrap();
        let mine = create_form(&page, &NEW.replace("t1", "t2"), None).unwrap();
        let fields = refreshed(&as_is(&owners), &owners, &[mine]);
        assert!(fields.contains(&("authenticity_token".into(), "t2".into())));
    }
}
