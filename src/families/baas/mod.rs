//! Backend-as-a-service backends of AI-built apps (issue 16): the app's front end talks
//! straight to a hosted backend whose rules are the only tenant boundary.
//!
//! MERGE NOTE (firebase branch): the supabase branch owns this file (registration,
//! shared detection); the firebase branch only needs the line below.

pub mod firebase;
