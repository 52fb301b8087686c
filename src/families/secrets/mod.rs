//! Item 7, secrets kept server-side: the client bundle beyond what discovery reads.
//! Key formats are data (`probes/signatures/secrets-*.toml`), matched on every
//! response by the catalog's passive scanner; exposed files are the catalog's
//! `exposed` probes (`probes/http/exposed-files.toml`).

pub mod bundle;
