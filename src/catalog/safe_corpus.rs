//! Responses every healthy app sends, which no probe or signature may match.
//!
//! `ProbeCatalog::check` runs every probe and body signature against these on top
//! of their own examples, so a user probe that only looks at the status, or a
//! signature that fires on an SPA shell or on prose, is caught before it produces
//! false positives on real apps.

use bytes::Bytes;
use url::Url;

use crate::http::Response;

/// A response from a healthy app.
#[derive(Debug, Clone, Copy)]
pub struct SafeResponse {
    pub name: &'static str,
    pub status: u16,
    pub content_type: &'static str,
    pub body: &'static str,
}

impl SafeResponse {
    /// The response as if received from `url`.
    pub fn to_response(&self, url: Url) -> Response {
        let headers = vec![("content-type".to_string(), self.content_type.to_string())];
        Response::synthetic(
            url,
            self.status,
            headers,
            Bytes::from_static(self.body.as_bytes()),
        )
    }
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// Shells, plain errors, health checks and prose that mentions error words.
pub const COMMON_SAFE_RESPONSES: &[SafeResponse] = &[
    SafeResponse {
        name: "react-spa-shell",
        status: 200,
        content_type: HTML,
        body: r#"<!doctype html><html lang="en"><head><meta charset="utf-8"/><link rel="icon" href="/favicon.ico"/><meta name="viewport" content="width=device-width,initial-scale=1"/><title>Acme Dashboard</title><script defer="defer" src="/static/js/main.8f2a1c3e.js"></script><link href="/static/css/main.1b2c3d4e.css" rel="stylesheet"></head><body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>"#,
    },
    SafeResponse {
        name: "vite-spa-shell",
        status: 200,
        content_type: HTML,
        body: "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n    <link rel=\"icon\" type=\"image/svg+xml\" href=\"/vite.svg\" />\n    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\" />\n    <title>Orders</title>\n    <script type=\"module\" crossorigin src=\"/assets/index-4f2b9a1c.js\"></script>\n    <link rel=\"stylesheet\" href=\"/assets/index-9c8d7e6f.css\">\n  </head>\n  <body>\n    <div id=\"app\"></div>\n  </body>\n</html>\n",
    },
    SafeResponse {
        name: "angular-shell",
        status: 200,
        content_type: HTML,
        body: r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title><base href="/"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="styles.5e3f.css"></head><body><app-root></app-root><script src="runtime.7a1b.js" type="module"></script><script src="main.3c4d.js" type="module"></script></body></html>"#,
    },
    SafeResponse {
        name: "next-page",
        status: 200,
        content_type: HTML,
        body: r#"<!DOCTYPE html><html><head><meta charSet="utf-8"/><title>Home</title><link rel="preload" href="/_next/static/css/a1b2c3.css" as="style"/></head><body><div id="__next"><main><h1>Welcome back</h1><a href="/home/settings">Settings</a> <a href="/app/projects/42">Project</a></main></div><script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":{}},"page":"/","query":{},"buildId":"x1y2z3","isFallback":false,"gssp":true,"scriptLoader":[]}</script></body></html>"#,
    },
    SafeResponse {
        name: "login-page",
        status: 200,
        content_type: HTML,
        body: r#"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method="post" action="/login"><input type="hidden" name="csrf_token" value="IjY2ZjE3ZDg2"><label>Email <input name="email" type="email"></label><label>Password <input name="password" type="password"></label><button>Sign in</button><p class="error">Invalid email or password.</p></form></body></html>"#,
    },
    SafeResponse {
        name: "docs-prose",
        status: 200,
        content_type: HTML,
        body: "<!DOCTYPE html><html><head><title>Troubleshooting | Acme Docs</title></head><body><main><h1>Troubleshooting</h1>\n<p>If the import fails, the CLI prints a Python traceback. Copy the full Traceback and the exception message into your support ticket.</p>\n<p>A SQL syntax error usually means the column names in your CSV do not match the table. An exception is raised when a row is rejected, and the database error is shown in the preview pane.</p>\n<p>Never enable debug mode, the Werkzeug debugger, phpinfo() pages or a /debug route in production: they expose environment variables and stack traces.</p>\n<p>In Go, a panic prints a goroutine dump; in Rust, a thread that panicked at an unwrap shows a stack backtrace when RUST_BACKTRACE=1 is set.</p>\n<p>Spring Boot actuator endpoints such as /actuator/env should not be public. Rails lists routes at /rails/info/routes in development only.</p>\n<p>Files are served from /var/www and uploads go to your home directory. On Windows, install to C:\\Program Files\\Acme.</p>\n</main></body></html>",
    },
    SafeResponse {
        name: "json-not-found",
        status: 404,
        content_type: JSON,
        body: r#"{"error":"not found"}"#,
    },
    SafeResponse {
        name: "json-server-error",
        status: 500,
        content_type: JSON,
        body: r#"{"error":"Internal Server Error","message":"Something went wrong. Please try again later.","requestId":"c0a8012e-5f3b-4c1d-9a7e-2b1f6d9e8c47"}"#,
    },
    SafeResponse {
        name: "json-validation-error",
        status: 422,
        content_type: JSON,
        body: r#"{"errors":[{"field":"email","message":"must be a valid email address"},{"field":"quantity","message":"must be a positive integer"}]}"#,
    },
    SafeResponse {
        name: "aspnet-problem-details",
        status: 404,
        content_type: "application/problem+json; charset=utf-8",
        body: r#"{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404,"traceId":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}"#,
    },
    SafeResponse {
        name: "spring-error-json",
        status: 404,
        content_type: JSON,
        body: r#"{"timestamp":"2024-05-01T10:00:00.000+00:00","status":404,"error":"Not Found","path":"/actuator/env"}"#,
    },
    SafeResponse {
        name: "json-list",
        status: 200,
        content_type: JSON,
        body: r#"{"items":[{"id":1,"name":"Widget","path":"/files/report.pdf","created_at":"2024-05-01T10:00:00Z"}],"next":null}"#,
    },
    SafeResponse {
        name: "health",
        status: 200,
        content_type: JSON,
        body: r#"{"status":"UP"}"#,
    },
    SafeResponse {
        name: "plain-not-found",
        status: 404,
        content_type: "text/plain; charset=utf-8",
        body: "Not Found",
    },
    SafeResponse {
        name: "go-not-found",
        status: 404,
        content_type: "text/plain; charset=utf-8",
        body: "404 page not found\n",
    },
    SafeResponse {
        name: "express-not-found",
        status: 404,
        content_type: HTML,
        body: "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET /debug/vars</pre>\n</body>\n</html>\n",
    },
    SafeResponse {
        name: "express-server-error",
        status: 500,
        content_type: HTML,
        body: "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Internal Server Error</pre>\n</body>\n</html>\n",
    },
    SafeResponse {
        name: "flask-not-found",
        status: 404,
        content_type: HTML,
        body: "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n",
    },
    SafeResponse {
        name: "django-not-found",
        status: 404,
        content_type: HTML,
        body: "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n",
    },
    SafeResponse {
        name: "rails-not-found",
        status: 404,
        content_type: HTML,
        body: "<!DOCTYPE html>\n<html>\n<head>\n  <title>The page you were looking for doesn't exist (404)</title>\n</head>\n<body>\n  <div class=\"dialog\">\n    <div>\n      <h1>The page you were looking for doesn't exist.</h1>\n      <p>You may have mistyped the address or the page may have moved.</p>\n    </div>\n    <p>If you are the application owner check the logs for more information.</p>\n  </div>\n</body>\n</html>\n",
    },
    SafeResponse {
        name: "nginx-not-found",
        status: 404,
        content_type: HTML,
        body: "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    },
    SafeResponse {
        name: "iis-not-found",
        status: 404,
        content_type: HTML,
        body: "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\"><html><head><title>404 - File or directory not found.</title></head><body><div id=\"header\"><h1>Server Error</h1></div><div id=\"content\"><fieldset><h2>404 - File or directory not found.</h2><h3>The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable.</h3></fieldset></div></body></html>",
    },
    SafeResponse {
        name: "script-with-stack-parser",
        status: 200,
        content_type: "application/javascript",
        body: r#"var chromeRe=/^\s*at (?:(.+?\)(?: \[.+\])?|.*?) ?\((?:address at )?)?(?:async )?((?:<anonymous>|[-a-z]+:|.*bundle|\/)?.*?)(?::(\d+))?(?::(\d+))?\)?\s*$/i;function parse(e){return e.stack.split("\n").map(function(l){return chromeRe.exec(l)})}console.error("Traceback: "+err.message);throw new Error("SQL error: "+msg);"#,
    },
];

/// Header values that carry no version and must not be reported as banners.
pub const COMMON_SAFE_HEADERS: &[(&str, &str)] = &[
    ("server", "nginx"),
    ("server", "cloudflare"),
    ("server", "Apache"),
    ("server", "Microsoft-IIS"),
    ("server", "Kestrel"),
    ("server", "gunicorn"),
    ("server", "uvicorn"),
    ("server", "AmazonS3"),
    ("server", "Google Frontend"),
    ("server", "envoy"),
    ("x-powered-by", "Express"),
    ("x-powered-by", "Next.js"),
    ("x-powered-by", "ASP.NET"),
    ("x-runtime", "0.004512"),
    ("x-runtime", "12.3"),
];
