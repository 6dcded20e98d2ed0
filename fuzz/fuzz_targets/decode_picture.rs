//! Feeds arbitrary bytes to the QR decoder's picture reading (PNG row by row, palette BMPs
//! read directly, the other formats through `image`, then the threshold, the finder test
//! and rqrr): it must return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ward_mail::analysis::qr::decode_image(data);
});
