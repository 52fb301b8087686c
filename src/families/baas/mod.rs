//! Backends-as-a-service the app's client talks to directly (Supabase, Firebase),
//! tested as two tenants.
//!
//! Apps built by AI app builders are mostly a single-page front end on a backend
//! whose only tenant boundary is its row policies (Supabase's Row Level Security) or
//! security rules (Firebase). The client must ship the backend's URL and public key,
//! so [`detect`] finds them there; the backend's origin then joins the scan's scope
//! (unless `target.forbid_origins` names it) and the report names it.
//!
//! | file | what |
//! |---|---|
//! | [`detect`] | the backend from the client: Supabase URL and key, Firebase web config |
//! | [`supabase`] | the `supabase` family: tables, rows and writes as anon, A and B; RPC; storage; signup |
//!
//! Each backend is its own family (its own probe-id prefix), so they can grow apart.

pub mod detect;
pub mod supabase;
