//! The deliberately flawed multi-tenant test app (being written).
