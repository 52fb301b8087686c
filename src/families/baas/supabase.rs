//! Placeholder: the Supabase family.
