//! QR codes in inline images, image attachments and PDFs, decoded with `rqrr`. Decoded URLs are
//! added to the message's links, so the link family judges them like any other link ("qr.link").

use std::io::Cursor;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use base64::Engine;
use image::{GrayImage, ImageDecoder, ImageReader, Limits};
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::context::{Ctx, LinkSource};
use crate::limits::*;
use crate::text::quote;
pub use grey::grey_of_rgb;
use grey::{decoded_luma, png_luma};
use threshold::{binarize, code_region};

pub mod bmp;
mod grey;
mod threshold;

/// A QR code is at least 21 modules wide (version 1); a picture whose shorter side has fewer
/// pixels than that cannot hold a readable one (icons, spacer GIFs, thin rules).
const MIN_QR_SIDE: u32 = 21;
/// Pictures are scaled down to this longest side before detection: QR modules survive and the
/// detector's cost (linear in pixels) stays bounded.
const MAX_QR_SIDE: u32 = 1200;
/// Pictures wider or taller than this are not decoded (besides [`MAX_IMAGE_PIXELS`]).
const MAX_DECODED_SIDE: u32 = 8000;

/// Whether a `w × h` picture is worth decoding: large enough to hold a code, within the
/// bounds on its sides and pixels. Read from the header, before any pixel is decoded.
fn worth_decoding(w: u32, h: u32) -> bool {
    w.min(h) >= MIN_QR_SIDE
        && w.max(h) <= MAX_DECODED_SIDE
        && (w as u64) * (h as u64) <= MAX_IMAGE_PIXELS
}

/// Decodes every QR code in an image (PNG, JPEG, GIF, WebP, BMP), within size limits. The
/// dimensions are read from the header first: pictures too small to hold a code or too large
/// to decode are skipped without decoding their pixels.
pub fn decode_image(data: &[u8]) -> Vec<String> {
    if data.len() > MAX_IMAGE_BYTES {
        return Vec::new();
    }
    let Some(mut reader) = ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .ok()
    else {
        return Vec::new();
    };
    if reader.format() == Some(image::ImageFormat::Png) {
        return png_luma(data).map(decode_luma).unwrap_or_default();
    }
    if reader.format() == Some(image::ImageFormat::Bmp)
        && let Some(bmp) = bmp::PaletteBmp::read(data, grey_of_rgb)
    {
        let (w, h) = (bmp.width, bmp.height);
        if !worth_decoding(w, h) {
            return Vec::new();
        }
        let mut px = scratch::take(&scratch::LUMA, w as usize * h as usize);
        bmp.grey_into(&mut px);
        return GrayImage::from_raw(w, h, px)
            .map(decode_luma)
            .unwrap_or_default();
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4);
    reader.limits(limits);
    let Ok(decoder) = reader.into_decoder() else {
        return Vec::new();
    };
    let (w, h) = decoder.dimensions();
    if !worth_decoding(w, h) {
        return Vec::new();
    }
    decoded_luma(decoder).map(decode_luma).unwrap_or_default()
}

fn decode_luma(mut luma: GrayImage) -> Vec<String> {
    if luma.width().min(luma.height()) < MIN_QR_SIDE {
        return Vec::new();
    }
    if luma.width().max(luma.height()) > MAX_QR_SIDE {
        let s = MAX_QR_SIDE as f32 / luma.width().max(luma.height()) as f32;
        luma = image::imageops::resize(
            &luma,
            ((luma.width() as f32 * s) as u32).max(1),
            ((luma.height() as f32 * s) as u32).max(1),
            image::imageops::FilterType::Triangle,
        );
    }
    let codes = detect(&luma);
    scratch::keep(&scratch::LUMA, luma.into_raw());
    codes
}

/// The texts of the codes found (at most four).
fn detect(luma: &GrayImage) -> Vec<String> {
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    let bits = binarize(luma.as_raw(), w, h);
    let codes = code_region(&bits, w).map(|r| {
        // rqrr reads only the region where the finder-like spots sit: its region filling
        // runs over every pixel it is given.
        let (cw, ch) = (r.x1 - r.x0, r.y1 - r.y0);
        let mut prepared = rqrr::PreparedImage::prepare_from_bitmap(cw, ch, |x, y| {
            bits[(r.y0 + y) * w + r.x0 + x] != 0
        });
        prepared
            .detect_grids()
            .into_iter()
            .take(4)
            .filter_map(|g| g.decode().ok().map(|(_, s)| s))
            .collect()
    });
    scratch::keep(&scratch::BITS, bits);
    codes.unwrap_or_default()
}

/// Per-thread buffers for a picture's decoded pixels, grey levels and black/white bits, kept
/// from one picture to the next. Fresh ones would cost more than the decoding that fills them:
/// blocks of a megabyte or more go back to the system when freed (glibc's trim threshold), and
/// every page of the next is then faulted in and zeroed again. Each holds at most
/// [`MAX_IMAGE_PIXELS`] bytes.
mod scratch {
    use std::cell::Cell;
    use std::thread::LocalKey;

    thread_local! {
        pub static LUMA: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
        pub static BITS: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
        /// Decoded pixels, before they are turned grey.
        pub static RAW: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    }

    /// The buffer (empty if in use further up the stack), as `len` bytes. They hold whatever
    /// the last picture left (only bytes added are zeroed): every user writes all of them.
    pub fn take(key: &'static LocalKey<Cell<Vec<u8>>>, len: usize) -> Vec<u8> {
        let mut v = key.take();
        v.truncate(len);
        v.resize(len, 0);
        v
    }

    /// Hands a buffer back for the next picture; of it and the one kept, the larger stays
    /// (a small picture's own buffer must not push out the one large pictures fill).
    pub fn keep(key: &'static LocalKey<Cell<Vec<u8>>>, v: Vec<u8>) {
        let kept = key.take();
        if v.capacity() > kept.capacity() && v.capacity() as u64 <= super::MAX_IMAGE_PIXELS {
            key.set(v);
        } else {
            key.set(kept);
        }
    }
}

/// The QR codes of the pictures seen lately, by a 128-bit keyed hash of their bytes:
/// newsletters, signatures and campaigns send the same logos and codes in message after
/// message, and decoding a picture costs tens to hundreds of times more than hashing it. The
/// key is random per memo (SipHash-1-3, a keyed pseudo-random function), so no picture can be
/// made to pass for a remembered one. The least recently seen are forgotten past
/// [`REMEMBERED_PICTURES`]; one memo serves every thread of an [`crate::Analyzer`] (the lock
/// is not held while decoding).
pub struct PictureMemo {
    keys: (u64, u64),
    seen: Mutex<lru::LruCache<u128, Vec<String>>>,
}

impl Default for PictureMemo {
    fn default() -> Self {
        use std::hash::BuildHasher;
        let random = std::collections::hash_map::RandomState::new();
        let cap = NonZeroUsize::new(REMEMBERED_PICTURES).unwrap_or(NonZeroUsize::MIN);
        Self {
            keys: (random.hash_one(0u8), random.hash_one(1u8)),
            seen: Mutex::new(lru::LruCache::new(cap)),
        }
    }
}

impl PictureMemo {
    /// The codes in picture `data` ([`decode_image`]), decoded once per distinct picture.
    pub fn codes(&self, data: &[u8]) -> Vec<String> {
        let key = self.key(data);
        if let Some(codes) = self.lock().get(&key) {
            return codes.clone();
        }
        let codes = decode_image(data);
        self.lock().put(key, codes.clone());
        codes
    }

    /// Forgets every picture.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn key(&self, data: &[u8]) -> u128 {
        let mut h = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        std::hash::Hasher::write(&mut h, data);
        h.finish128().as_u128()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, lru::LruCache<u128, Vec<String>>> {
        // A panic elsewhere while holding the lock leaves the cache whole (each call puts or
        // gets one entry): its contents are still right.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn report(ctx: &mut Ctx<'_>, codes: Vec<String>, where_: &str) {
    for c in codes {
        let t = c.trim().to_string();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
        {
            ctx.add(
                "qr.code",
                format!("{where_} holds a QR code pointing to {}", quote(&t)),
            );
            ctx.add_link(t, None, LinkSource::Qr);
        } else {
            ctx.add(
                "qr.code",
                format!("{where_} holds a QR code ({})", quote(&t)),
            );
        }
    }
}

pub fn analyze<'a>(ctx: &mut Ctx<'a>) {
    let mut done = 0;
    // The same picture attached or inlined twice (signatures, logos) is decoded once.
    let mut attached: Vec<&'a [u8]> = Vec::new();
    let mut found = Vec::new();
    for a in &ctx.mail.attachments {
        if done >= MAX_QR_IMAGES {
            break;
        }
        let data: &'a [u8] = a.data;
        let is_image = a.content_type.starts_with("image/") && !a.content_type.contains("svg");
        if !is_image && !infer::is_image(&data[..data.len().min(64)]) {
            continue;
        }
        if attached.contains(&data) {
            continue;
        }
        attached.push(data);
        done += 1;
        let codes = ctx.pictures.codes(data);
        if !codes.is_empty() {
            let label = if a.name.is_empty() {
                "an image".to_string()
            } else {
                format!("the image \"{}\"", quote(&a.name))
            };
            found.push((codes, label));
        }
    }
    let mut inline: Vec<Vec<u8>> = Vec::new();
    let data_images = ctx.html.iter().flat_map(|h| h.data_images.iter());
    for d in data_images {
        if done >= MAX_QR_IMAGES {
            break;
        }
        let Some((_, b64)) = d.split_once(";base64,") else {
            continue;
        };
        let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(clean.as_bytes()) else {
            continue;
        };
        if attached.contains(&bytes.as_slice()) || inline.contains(&bytes) {
            continue;
        }
        done += 1;
        let codes = ctx.pictures.codes(&bytes);
        inline.push(bytes);
        if !codes.is_empty() {
            found.push((codes, "an inline picture".to_string()));
        }
    }
    for (codes, label) in found {
        report(ctx, codes, &label);
    }
}

/// Images embedded in a PDF (JPEG streams, and raw 8-bit grey/RGB images), checked for QR codes.
pub fn pdf_images(ctx: &mut Ctx<'_>, doc: &lopdf::Document, label: &str) {
    let mut done = 0;
    for (_, obj) in doc.objects.iter().take(20_000) {
        if done >= MAX_QR_IMAGES {
            break;
        }
        let Ok(stream) = obj.as_stream() else {
            continue;
        };
        let d = &stream.dict;
        let is_image = d
            .get(b"Subtype")
            .and_then(|s| s.as_name())
            .map(|n| n == b"Image")
            .unwrap_or(false);
        if !is_image {
            continue;
        }
        let filter = d
            .get(b"Filter")
            .ok()
            .and_then(|f| {
                f.as_name().ok().map(|n| n.to_vec()).or_else(|| {
                    f.as_array()
                        .ok()
                        .and_then(|a| a.last())
                        .and_then(|n| n.as_name().ok())
                        .map(|n| n.to_vec())
                })
            })
            .unwrap_or_default();
        done += 1;
        let codes = if filter == b"DCTDecode" {
            decode_image(&stream.content)
        } else {
            let w = d.get(b"Width").and_then(|v| v.as_i64()).unwrap_or(0);
            let h = d.get(b"Height").and_then(|v| v.as_i64()).unwrap_or(0);
            let bpc = d
                .get(b"BitsPerComponent")
                .and_then(|v| v.as_i64())
                .unwrap_or(8);
            if w <= 0 || h <= 0 || bpc != 8 || (w as u64) * (h as u64) > MAX_IMAGE_PIXELS {
                continue;
            }
            let Ok(raw) = stream.decompressed_content() else {
                continue;
            };
            let (w, h) = (w as u32, h as u32);
            let px = (w * h) as usize;
            let luma = if raw.len() >= px * 3 {
                image::GrayImage::from_fn(w, h, |x, y| {
                    let i = ((y * w + x) * 3) as usize;
                    image::Luma([
                        ((raw[i] as u32 + raw[i + 1] as u32 + raw[i + 2] as u32) / 3) as u8,
                    ])
                })
            } else if raw.len() >= px {
                match image::GrayImage::from_raw(w, h, raw[..px].to_vec()) {
                    Some(g) => g,
                    None => continue,
                }
            } else {
                continue;
            };
            decode_luma(luma)
        };
        report(ctx, codes, label);
    }
}

/// Pictures for the tests of this module and its parts.
#[cfg(test)]
mod test_pictures {
    use std::io::Cursor;

    use image::{DynamicImage, GrayImage};

    pub fn qr(text: &str, side: u32) -> GrayImage {
        qrcode::QrCode::new(text.as_bytes())
            .map(|c| {
                c.render::<image::Luma<u8>>()
                    .min_dimensions(side, side)
                    .build()
            })
            .unwrap_or_default()
    }

    pub fn png(img: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let _ = img.write_to(&mut out, image::ImageFormat::Png);
        out.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use image::DynamicImage;

    use super::test_pictures::{png, qr};
    use super::*;

    #[test]
    fn codes_on_transparent_backgrounds_and_inside_larger_pictures_are_read() {
        let code = qr("https://lure.example/a", 150);
        // Black modules on a transparent background.
        let rgba = image::RgbaImage::from_fn(code.width(), code.height(), |x, y| {
            let dark = code.get_pixel(x, y)[0] < 128;
            image::Rgba([0, 0, 0, if dark { 255 } else { 0 }])
        });
        let got = decode_image(&png(DynamicImage::ImageRgba8(rgba)));
        assert_eq!(got, vec!["https://lure.example/a".to_string()]);
        // A small code in the corner of a large colour flyer (scaled down before detection).
        let mut flyer = image::RgbImage::from_pixel(1800, 1000, image::Rgb([230, 120, 30]));
        image::imageops::overlay(
            &mut flyer,
            &DynamicImage::ImageLuma8(code).to_rgb8(),
            1500,
            700,
        );
        let got = decode_image(&png(DynamicImage::ImageRgb8(flyer)));
        assert_eq!(got, vec!["https://lure.example/a".to_string()]);
    }

    /// Noise, stripes and checkerboards of every shape (one pixel wide, one row high, widths
    /// around multiples of eight) go through thresholding, the pre-test and rqrr without a
    /// panic: the indices into rows, columns and regions stay in bounds.
    #[test]
    fn any_picture_shape_and_content_is_handled() {
        let mut seed = 0x1234_5678u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            seed >> 16
        };
        for (w, h) in [
            (1u32, 1u32),
            (1, 300),
            (300, 1),
            (7, 9),
            (8, 8),
            (9, 17),
            (21, 21),
            (63, 130),
            (250, 40),
        ] {
            for kind in 0..4 {
                let noise: Vec<u8> = (0..w * h).map(|_| next() as u8).collect();
                let img = GrayImage::from_fn(w, h, |x, y| {
                    image::Luma([match kind {
                        0 => noise[(y * w + x) as usize],
                        1 => {
                            if (x / 3) % 2 == 0 {
                                0
                            } else {
                                255
                            }
                        }
                        2 => {
                            if (x / 2 + y / 2) % 2 == 0 {
                                0
                            } else {
                                255
                            }
                        }
                        _ => {
                            if (x / 7 + y / 7) % 3 == 0 {
                                10
                            } else {
                                240
                            }
                        }
                    }])
                });
                let _ = detect(&img);
                let _ = decode_luma(img);
            }
        }
    }

    /// A picture seen again is answered from the memo, and each distinct picture has its own entry.
    #[test]
    fn the_memo_decodes_each_distinct_picture_once() {
        let memo = PictureMemo::default();
        let a = png(DynamicImage::ImageLuma8(qr("https://a.example/", 120)));
        let codes = memo.codes(&a);
        assert_eq!(codes, ["https://a.example/"]);
        assert_eq!(memo.codes(&a), codes);
        assert_eq!(memo.lock().len(), 1);
        // The second time the answer comes from the memo, not from decoding.
        let key = memo.key(&a);
        memo.lock().put(key, vec!["remembered".to_string()]);
        assert_eq!(memo.codes(&a), ["remembered"]);
        memo.lock().put(key, codes.clone());
        // Another picture is decoded for itself, never given the first one's answer.
        let b = png(DynamicImage::ImageLuma8(qr("https://b.example/", 120)));
        assert_eq!(memo.codes(&b), ["https://b.example/"]);
        assert_eq!(memo.codes(&a), codes);
        assert_eq!(memo.lock().len(), 2);
        memo.clear();
        assert_eq!(memo.lock().len(), 0);
    }

    #[test]
    fn pictures_too_small_for_a_code_are_not_decoded() {
        let icon = GrayImage::from_pixel(300, 12, image::Luma([0]));
        assert!(decode_image(&png(DynamicImage::ImageLuma8(icon))).is_empty());
        assert!(decode_image(b"not an image").is_empty());
    }
}
