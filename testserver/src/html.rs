//! Server-rendered HTML: escaping and the page layout. No inline scripts or
//! styles anywhere, so the strict CSP holds.

use crate::tenants::User;

/// Escape text for HTML element content and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Which navigation bar a page shows.
pub(crate) enum Nav<'a> {
    Public,
    App { user: &'a User, csrf: &'a str },
}

/// A full page of the site.
pub(crate) fn page(title: &str, nav: Nav<'_>, head_extra: &str, main: &str) -> String {
    let nav_html = match nav {
        Nav::Public => "<nav><a class=\"brand\" href=\"/\">Ledgerline</a> \
             <a href=\"/pricing\">Pricing</a> <a href=\"/catalog\">Catalog</a> \
             <a href=\"/docs\">Docs</a> <a href=\"/login\">Log in</a> \
             <a class=\"button\" href=\"/signup\">Start free trial</a></nav>"
            .to_string(),
        Nav::App { user, csrf } => {
            let admin = if user.is_admin() {
                " <a href=\"/admin\">Admin</a>"
            } else {
                ""
            };
            format!(
                "<nav><a class=\"brand\" href=\"/app\">Ledgerline</a> \
                 <a href=\"/app/projects\">Projects</a> <a href=\"/app/invoices\">Invoices</a> \
                 <a href=\"/app/notes\">Notes</a> \
                 <a href=\"/app/settings\">Settings</a>{admin} \
                 <form class=\"inline\" method=\"post\" action=\"/logout\">\
                 <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
                 <button type=\"submit\">Sign out {}</button></form></nav>",
                esc(csrf),
                esc(&user.name)
            )
        }
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · Ledgerline</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n{head_extra}\
         </head>\n<body>\n<header>{nav_html}</header>\n<main>\n{main}</main>\n\
         <footer>© Ledgerline Inc. · <a href=\"/docs\">Docs</a> · <a href=\"/pricing\">Pricing</a></footer>\n\
         </body>\n</html>\n",
        esc(title)
    )
}

/// A page without navigation, for errors.
pub(crate) fn bare_page(title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n</head>\n\
         <body>\n<main>\n{main}</main>\n</body>\n</html>\n",
        esc(title)
    )
}

/// Money as "1,234.56 USD".
pub(crate) fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02} {currency}", cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_money() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(money(480_000, "USD"), "4,800.00 USD");
        assert_eq!(money(5, "EUR"), "0.05 EUR");
        assert_eq!(money(123_456_789, "USD"), "1,234,567.89 USD");
    }
}
