//! Set-Cookie header values, one per line, through `prodready::fuzzing::set_cookie`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = prodready::fuzzing::set_cookie(text);
    }
});
