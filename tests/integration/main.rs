//! One integration binary: the scanner against the in-process test app, the CLI
//! contract, and the HTTP layer's promises measured at the server.

mod auth_rate_limit;
mod browser;
mod browser_sign_in;
mod cli;
mod common;
mod discovery;
mod errors;
mod firebase;
mod flaw_matrix;
mod foreign;
mod formats;
mod fuzz_corpus;
mod gate;
mod golden;
mod headers_table;
mod hostile;
mod http_layer;
mod layers;
mod login;
mod precision;
mod recipes;
mod redaction;
mod report;
mod secrets_and_input;
mod supabase;
mod tenant;
mod tls;
