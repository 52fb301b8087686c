//! Backend-as-a-service surfaces (issue 16): apps whose front end talks straight to a
//! hosted backend, served on their own listener so the scanner's scope is real.
//!
//! MERGE NOTE (firebase branch): the supabase branch owns this file; the firebase
//! branch only needs the line below.

pub mod firebase;
