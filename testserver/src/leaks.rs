//! What the secret-leaking flaws serve: credentials a careless build ships to every
//! visitor. The values are fake but shaped like the real formats (and random enough
//! to pass a scanner's entropy checks).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::errors::ApiError;
use crate::flaws::Flaw;
use crate::state::SharedState;

/// `secret-in-bundle`: a Stripe live secret key in the main bundle's config.
pub(crate) const STRIPE_SECRET_KEY: &str = "sk_live_51Nq7VtRb3WcX9yHs2KdLp4Me";

/// `secret-in-lazy-chunk`: an OpenAI key in the lazily loaded reports chunk.
pub(crate) const OPENAI_API_KEY: &str =
    "sk-proj-Hq4Zt8XcVb2NmK7rLp9Wd3FgT3BlbkFJs6Yu1Ie5Ro0PaQxCvBnMz";

/// `source-map-exposed`: a GitLab token in a source file only the source map embeds.
pub(crate) const GITLAB_TOKEN: &str = "glpat-Xk2mP9qRt7LwZ4vN8sJ3";

/// `dotenv-exposed`: the production environment file.
pub(crate) const DOTENV: &str = "# Ledgerline production\n\
NODE_ENV=production\n\
PORT=8080\n\
DATABASE_URL=postgres://ledgerline:Vq8rT2xLm4PzK9sW@db.prod.ledgerline.internal:5432/ledgerline\n\
SESSION_SECRET=9fK2pLx7Qm4Rt8Vz3Nc6Bw1Hy5Gd0Js\n\
SMTP_HOST=smtp.ledgerline.example\n";

/// The original source of the config module, as the source map embeds it.
fn config_source() -> String {
    format!(
        "// Build-time configuration. Values below are inlined by the bundler.\n\
         export const STRIPE_PUBLISHABLE_KEY = import.meta.env.VITE_STRIPE_PK;\n\
         // Used by the nightly export job; tree-shaken out of the web bundle.\n\
         export const REPORTS_EXPORT_TOKEN = \"{GITLAB_TOKEN}\";\n"
    )
}

/// The source map of the main bundle, with its original sources.
pub(crate) fn source_map(bundle_name: &str) -> String {
    serde_json::json!({
        "version": 3,
        "file": bundle_name,
        "sources": ["webpack://ledgerline/src/config.ts", "webpack://ledgerline/src/main.ts"],
        "sourcesContent": [config_source(), "import { api } from './api';\nstart(api);\n"],
        "names": [],
        "mappings": "AAAA,SAASA"
    })
    .to_string()
}

/// `GET /.env` under `dotenv-exposed`; the hardened app has no such route.
pub(crate) async fn dotenv(State(state): State<SharedState>) -> Result<Response, ApiError> {
    if !state.flaw(Flaw::DotenvExposed) {
        return Err(ApiError::NotFound);
    }
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], DOTENV).into_response())
}

/// Every credential the secret-leaking flaws plant, so tests can prove no report
/// shows one in full.
pub fn planted_secrets() -> Vec<&'static str> {
    vec![
        STRIPE_SECRET_KEY,
        OPENAI_API_KEY,
        GITLAB_TOKEN,
        "Vq8rT2xLm4PzK9sW",
        "9fK2pLx7Qm4Rt8Vz3Nc6Bw1Hy5Gd0Js",
    ]
}
