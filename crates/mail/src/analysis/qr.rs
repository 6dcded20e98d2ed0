//! QR codes in inline images, image attachments and PDFs, decoded with `rqrr`. Decoded URLs are
//! added to the message's links, so the link family judges them like any other link ("qr.link").

use std::io::Cursor;

use base64::Engine;
use image::{ImageReader, Limits};

use crate::context::{Ctx, LinkSource};
use crate::limits::*;
use crate::text::quote;

/// Decodes every QR code in an image (PNG, JPEG, GIF, WebP, BMP), within size limits.
pub fn decode_image(data: &[u8]) -> Vec<String> {
    if data.len() > MAX_IMAGE_BYTES {
        return Vec::new();
    }
    let Ok(mut reader) = ImageReader::new(Cursor::new(data)).with_guessed_format() else {
        return Vec::new();
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(8000);
    limits.max_image_height = Some(8000);
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4);
    reader.limits(limits);
    let Ok(img) = reader.decode() else {
        return Vec::new();
    };
    if (img.width() as u64) * (img.height() as u64) > MAX_IMAGE_PIXELS {
        return Vec::new();
    }
    decode_luma(img.to_luma8())
}

fn decode_luma(mut luma: image::GrayImage) -> Vec<String> {
    // Large pictures are scaled down: QR modules survive and rqrr stays fast.
    if luma.width().max(luma.height()) > 1200 {
        let s = 1200.0 / luma.width().max(luma.height()) as f32;
        luma = image::imageops::resize(
            &luma,
            (luma.width() as f32 * s) as u32,
            (luma.height() as f32 * s) as u32,
            image::imageops::FilterType::Triangle,
        );
    }
    let mut prepared = rqrr::PreparedImage::prepare(luma);
    prepared
        .detect_grids()
        .into_iter()
        .take(4)
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect()
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

pub fn analyze(ctx: &mut Ctx<'_>) {
    let mut done = 0;
    let atts = ctx.mail.attachments.clone();
    for a in &atts {
        if done >= MAX_QR_IMAGES {
            return;
        }
        let is_image = a.content_type.starts_with("image/") && !a.content_type.contains("svg");
        if !is_image && !infer::is_image(&a.data[..a.data.len().min(64)]) {
            continue;
        }
        done += 1;
        let codes = decode_image(a.data);
        let label = if a.name.is_empty() {
            "an image".to_string()
        } else {
            format!("the image \"{}\"", quote(&a.name))
        };
        report(ctx, codes, &label);
    }
    let data_images: Vec<String> = ctx
        .html
        .iter()
        .flat_map(|h| h.data_images.iter().cloned())
        .collect();
    for d in data_images {
        if done >= MAX_QR_IMAGES {
            return;
        }
        let Some((_, b64)) = d.split_once(";base64,") else {
            continue;
        };
        let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(clean.as_bytes()) else {
            continue;
        };
        done += 1;
        let codes = decode_image(&bytes);
        report(ctx, codes, "an inline picture");
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
