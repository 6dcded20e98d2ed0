//! Feeds arbitrary text to the HTML tokenizer: it must return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = ward_mail::html::analyze_html(&text);
});
