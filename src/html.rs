//! HTML forms and meta tags, read the way a browser would submit them: the parsing that
//! login (auth) and the crawl (discover) share. A leaf: it imports nothing of the crate.

use scraper::{ElementRef, Html, Selector};
use url::Url;

/// An HTML form with its inputs and their default values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub action: Url,
    pub method: String,
    pub enctype: Option<String>,
    pub inputs: Vec<FormInput>,
}

/// One named input of a form, as a browser would submit it untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormInput {
    pub name: String,
    /// `text`, `password`, `hidden`, `email`, `select`, `textarea`...
    pub kind: String,
    pub value: String,
}

/// The field in which Rails (`form_with`, `button_to`), Laravel (`@method`) and the
/// method-override middlewares of other frameworks carry the method an HTML form means
/// but cannot send.
pub const METHOD_FIELD: &str = "_method";

impl Form {
    /// The method a POST form means when it carries one in [`METHOD_FIELD`]: `PUT`,
    /// `PATCH` or `DELETE`. Only the form's own field counts: the
    /// `X-HTTP-Method-Override` header is another convention, never implied.
    pub fn overridden_method(&self) -> Option<String> {
        if self.method != "POST" {
            return None;
        }
        let meant = self.input(METHOD_FIELD)?.value.trim().to_ascii_uppercase();
        matches!(meant.as_str(), "PUT" | "PATCH" | "DELETE").then_some(meant)
    }

    /// The method the app handles this form as: its `_method` where it carries one,
    /// else the method it is sent with.
    pub fn effective_method(&self) -> String {
        self.overridden_method()
            .unwrap_or_else(|| self.method.clone())
    }

    pub fn has_password(&self) -> bool {
        self.inputs.iter().any(|i| i.kind == "password")
    }

    pub fn input(&self, name: &str) -> Option<&FormInput> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// Whether this looks like the form that creates one object of the app (a note, an
    /// event, a ticket) on a page at `page`: safe for the scanner to submit with its own
    /// marker, because what it makes is a new object it can find and delete again.
    ///
    /// Conservative on purpose: a POST form whose page or action is named for creating
    /// (`new`, `create`, `add`), posting to a collection (no id in the action), with a
    /// free-text input and every text input empty (an edit form comes prefilled), and
    /// nothing that logs in, signs up, searches, sends mail or pays.
    pub fn is_create_form(&self, page: &Url) -> bool {
        const AVOID: &[&str] = &[
            "login",
            "signin",
            "logon",
            "signup",
            "register",
            "logout",
            "signout",
            "password",
            "reset",
            "search",
            "delete",
            "destroy",
            "remove",
            "invite",
            "invitation",
            "contact",
            "subscribe",
            "newsletter",
            "checkout",
            "pay",
            "payment",
            "transfer",
            "feedback",
            "support",
            "settings",
            "account",
            "profile",
            "token",
            "apikey",
            "key",
            "import",
            "upload",
            "mail",
            "email",
            "message",
            "share",
            "order",
            "purchase",
        ];
        const CREATE: &[&str] = &["new", "create", "add"];
        let words = |url: &Url| -> Vec<String> {
            url.path()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_ascii_lowercase)
                .collect()
        };
        let (page_words, action_words) = (words(page), words(&self.action));
        let all = || page_words.iter().chain(&action_words);
        let text = |i: &&FormInput| matches!(i.kind.as_str(), "text" | "textarea");
        self.method == "POST"
            && self.overridden_method().is_none()
            && !self.has_password()
            && all().any(|w| CREATE.contains(&w.as_str()))
            && !all().any(|w| AVOID.contains(&w.as_str()))
            && !self
                .action
                .path_segments()
                .into_iter()
                .flatten()
                .any(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            && self.inputs.iter().any(|i| text(&i))
            && self
                .inputs
                .iter()
                .filter(text)
                .all(|i| i.value.trim().is_empty())
            && !self
                .inputs
                .iter()
                .any(|i| i.kind == "email" || i.name.to_ascii_lowercase().contains("email"))
    }
}

pub(crate) fn selector(s: &str) -> Selector {
    // The selectors below are constants; a failure here is a programming error caught by tests.
    Selector::parse(s).unwrap_or_else(|e| panic!("invalid built-in selector {s}: {e}"))
}

/// The URL relative links of a page resolve against: its `<base href>`, else its own URL.
pub(crate) fn base_of(doc: &Html, url: &Url) -> Url {
    doc.select(&selector("base[href]"))
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| url.join(h).ok())
        .unwrap_or_else(|| url.clone())
}

/// Reads one `<form>` element of a page fetched from `page_url`.
pub(crate) fn parse_form(base: &Url, page_url: &Url, form: ElementRef<'_>) -> Form {
    let v = form.value();
    let action = v
        .attr("action")
        .filter(|a| !a.trim().is_empty())
        .and_then(|a| base.join(a.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let method = v
        .attr("method")
        .unwrap_or("GET")
        .trim()
        .to_ascii_uppercase();
    let mut inputs = Vec::new();
    for el in form.select(&selector(
        "input[name], select[name], textarea[name], button[name]",
    )) {
        let e = el.value();
        let name = e.attr("name").unwrap_or("").to_string();
        let (kind, value) = match e.name() {
            "select" => {
                let chosen = el
                    .select(&selector("option[selected]"))
                    .next()
                    .or_else(|| el.select(&selector("option")).next())
                    .map(|o| {
                        o.value()
                            .attr("value")
                            .map(str::to_string)
                            .unwrap_or_else(|| o.text().collect())
                    })
                    .unwrap_or_default();
                ("select".to_string(), chosen)
            }
            "textarea" => ("textarea".to_string(), el.text().collect()),
            "button" => (
                "submit".to_string(),
                e.attr("value").unwrap_or("").to_string(),
            ),
            _ => (
                e.attr("type").unwrap_or("text").to_ascii_lowercase(),
                e.attr("value").unwrap_or("").to_string(),
            ),
        };
        // Unchecked boxes and unpressed buttons are not submitted by a browser.
        if (kind == "checkbox" || kind == "radio") && e.attr("checked").is_none() {
            continue;
        }
        if kind == "submit"
            || kind == "image"
            || kind == "button"
            || kind == "reset"
            || kind == "file"
        {
            continue;
        }
        inputs.push(FormInput { name, kind, value });
    }
    Form {
        action,
        method,
        enctype: v.attr("enctype").map(str::to_string),
        inputs,
    }
}

/// Picks the form matching `css` (when given) or the first form with a password input.
pub fn login_form(url: &Url, html: &str, css: Option<&str>) -> Result<Form, String> {
    let doc = Html::parse_document(html);
    let base = base_of(&doc, url);
    match css {
        Some(css) => {
            let sel =
                Selector::parse(css).map_err(|e| format!("invalid CSS selector `{css}`: {e}"))?;
            let el = doc
                .select(&sel)
                .next()
                .ok_or_else(|| format!("no element matches `{css}`"))?;
            let form = if el.value().name() == "form" {
                el
            } else {
                el.ancestors()
                    .filter_map(ElementRef::wrap)
                    .find(|a| a.value().name() == "form")
                    .ok_or_else(|| format!("`{css}` is not a form or inside one"))?
            };
            Ok(parse_form(&base, url, form))
        }
        None => doc
            .select(&selector("form"))
            .map(|f| parse_form(&base, url, f))
            .find(Form::has_password)
            .ok_or_else(|| "the page has no form with a password field".to_string()),
    }
}

/// The `content` of a `<meta name=NAME>` tag.
pub fn meta_content(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    doc.select(&selector("meta[name][content]"))
        .find(|m| {
            m.value()
                .attr("name")
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|m| m.value().attr("content").map(str::to_string))
}
