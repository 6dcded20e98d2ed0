//! Pictures turned into grey levels, one byte a pixel, for the QR detector: PNG row by row
//! with `png`, palette BMPs with [`super::bmp`], the other formats with `image` into a buffer
//! kept per thread ([`super::scratch`]).

use std::io::Cursor;

use image::{ColorType, DynamicImage, GrayImage, ImageDecoder};

use super::scratch;
use super::worth_decoding;
use crate::limits::MAX_IMAGE_PIXELS;

/// The grey levels ([`to_luma`]'s) of the picture `decoder` reads, decoded into a buffer kept
/// from one picture to the next ([`scratch`]): a fresh one for each picture (what
/// `DynamicImage` does) costs its page faults and zeroing again, more than a small picture's
/// decoding. Kinds of pixel [`to_luma`] has no conversion for go through `DynamicImage`.
pub(super) fn decoded_luma(decoder: impl ImageDecoder) -> Option<GrayImage> {
    let (w, h) = decoder.dimensions();
    let Some(grey) = grey_of(decoder.color_type()) else {
        return DynamicImage::from_decoder(decoder).ok().map(to_luma);
    };
    let bytes = usize::try_from(decoder.total_bytes()).ok()?;
    if bytes as u64 > MAX_IMAGE_PIXELS * 4 {
        return None;
    }
    let mut raw = scratch::take(&scratch::RAW, bytes);
    let luma = decoder.read_image(&mut raw).ok().and_then(|()| {
        let mut px = scratch::take(&scratch::LUMA, w as usize * h as usize);
        grey(&raw, &mut px);
        GrayImage::from_raw(w, h, px)
    });
    scratch::keep(&scratch::RAW, raw);
    luma
}

/// A PNG picture's grey levels ([`to_luma`]'s), decoded with `png` row by row and each row
/// turned grey at once: the picture in colour (four bytes a pixel, most of a decoding's
/// memory traffic for the large logos of newsletters) is never held whole. Interlaced
/// pictures, rare in mail, are decoded whole first. `None` if the picture is damaged, too
/// large, or its kind of pixel is one [`to_luma`] does not know.
pub(super) fn png_luma(data: &[u8]) -> Option<GrayImage> {
    let limits = png::Limits {
        bytes: (MAX_IMAGE_PIXELS * 4) as usize,
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(data), limits);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder.read_info().ok()?;
    let (w, h) = (reader.info().width, reader.info().height);
    if !worth_decoding(w, h) {
        return None;
    }
    let grey: Grey = match reader.output_color_type() {
        (png::ColorType::Grayscale, png::BitDepth::Eight) => grey_to_luma,
        (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight) => la_to_luma,
        (png::ColorType::Rgb, png::BitDepth::Eight) => rgb_to_luma(),
        (png::ColorType::Rgba, png::BitDepth::Eight) => rgba_to_luma(),
        _ => return None,
    };
    let (w, h) = (w as usize, h as usize);
    let mut out = scratch::take(&scratch::LUMA, w * h);
    if reader.info().interlaced {
        let mut frame = vec![0u8; reader.output_buffer_size()?];
        let info = reader.next_frame(&mut frame).ok()?;
        let rows = frame.chunks_exact(info.line_size.max(1));
        for (row, luma) in rows.zip(out.chunks_exact_mut(w)) {
            grey(row, luma);
        }
    } else {
        for luma in out.chunks_exact_mut(w) {
            let row = reader.next_row().ok()??;
            grey(row.data(), luma);
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out)
}

#[inline(always)]
fn luma(r: u8, g: u8, b: u8) -> u16 {
    (54 * r as u16 + 183 * g as u16 + 19 * b as u16) >> 8
}

/// The grey level of an opaque colour, as pictures are turned grey here.
pub fn grey_of_rgb(r: u8, g: u8, b: u8) -> u8 {
    luma(r, g, b) as u8
}

#[inline(always)]
fn over_white(l: u16, a: u8) -> u8 {
    let a = a as u16;
    let x = l * a + 255 * (255 - a);
    ((x + 1 + (x >> 8)) >> 8) as u8
}

/// A conversion of a row or picture of pixels into grey levels, a byte each.
type Grey = fn(&[u8], &mut [u8]);

/// One grey byte per `N`-byte pixel of `raw`, into `out` (as many pixels as both hold).
#[inline(always)]
fn convert<const N: usize>(raw: &[u8], out: &mut [u8], f: impl Fn(&[u8; N]) -> u8) {
    let (pixels, _) = raw.as_chunks::<N>();
    for (d, p) in out.iter_mut().zip(pixels) {
        *d = f(p);
    }
}

fn grey_to_luma(raw: &[u8], out: &mut [u8]) {
    let n = raw.len().min(out.len());
    out[..n].copy_from_slice(&raw[..n]);
}

fn la_to_luma(raw: &[u8], out: &mut [u8]) {
    convert::<2>(raw, out, |p| over_white(p[0] as u16, p[1]))
}

/// The RGB and RGBA conversions, which most pictures need (JPEG photos and PNG logos), are
/// compiled twice: for the baseline CPU and with AVX2 (chosen here, once per picture), where
/// the compiler vectorizes them 16 pixels wide.
macro_rules! multiversioned {
    ($name:ident, $n:literal, $f:expr) => {
        fn $name() -> Grey {
            fn baseline(raw: &[u8], out: &mut [u8]) {
                convert::<$n>(raw, out, $f)
            }
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn with_avx2(raw: &[u8], out: &mut [u8]) {
                    convert::<$n>(raw, out, $f)
                }
                fn avx2(raw: &[u8], out: &mut [u8]) {
                    // SAFETY: chosen only where the CPU was checked to support AVX2.
                    unsafe { with_avx2(raw, out) }
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    return avx2;
                }
            }
            baseline
        }
    };
}

multiversioned!(rgb_to_luma, 3, |p: &[u8; 3]| luma(p[0], p[1], p[2]) as u8);
multiversioned!(rgba_to_luma, 4, |p: &[u8; 4]| over_white(
    luma(p[0], p[1], p[2]),
    p[3]
));

/// Grey levels (Rec. 709 weights in 256ths: 54, 183, 19), with transparent pixels
/// shown over white the way a mail client draws them: a QR code drawn on a transparent
/// background stays readable. All in 16-bit lanes (the division by 255 as
/// `(x + 1 + (x >> 8)) >> 8`, exact below 65,281), which the compiler vectorizes: this runs
/// over every pixel of every picture, most of them logos without a code.
pub(super) fn to_luma(img: DynamicImage) -> GrayImage {
    let (w, h) = (img.width(), img.height());
    let Some(grey) = grey_of(img.color()) else {
        return img.to_luma8();
    };
    if let DynamicImage::ImageLuma8(l) = img {
        return l;
    }
    let mut px = scratch::take(&scratch::LUMA, w as usize * h as usize);
    grey(img.as_bytes(), &mut px);
    GrayImage::from_raw(w, h, px).unwrap_or_default()
}

/// The conversion to grey levels of 8-bit pixels of kind `color`, if it is one [`to_luma`]
/// converts itself.
fn grey_of(color: ColorType) -> Option<Grey> {
    Some(match color {
        ColorType::L8 => grey_to_luma,
        ColorType::La8 => la_to_luma,
        ColorType::Rgb8 => rgb_to_luma(),
        ColorType::Rgba8 => rgba_to_luma(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::qr::test_pictures::png;
    use image::ImageReader;

    /// PNG pictures, read row by row with `png`, come out with the grey levels of the whole
    /// picture decoded by `image` and turned grey by [`to_luma`], for every kind of 8-bit
    /// pixel (and palettes), with transparency.
    #[test]
    fn png_rows_give_the_grey_levels_of_the_whole_picture() {
        let (w, h) = (67u32, 41u32);
        let mut rng = crate::test_rng::XorShift::new(7);
        let rgba = image::RgbaImage::from_fn(w, h, |x, y| {
            let r = rng.below(256) as u8;
            image::Rgba([
                r,
                (x * 3) as u8,
                (y * 5) as u8,
                if x % 7 == 0 { 255 } else { r / 2 },
            ])
        });
        let rgba = DynamicImage::ImageRgba8(rgba);
        let kinds = [
            DynamicImage::ImageLuma8(rgba.to_luma8()),
            DynamicImage::ImageLumaA8(rgba.to_luma_alpha8()),
            DynamicImage::ImageRgb8(rgba.to_rgb8()),
            rgba.clone(),
        ];
        for img in kinds {
            let data = png(img.clone());
            let whole = image::load_from_memory(&data).map(to_luma);
            let rows = png_luma(&data);
            assert_eq!(
                rows.map(|g| g.into_raw()),
                whole.ok().map(|g| g.into_raw()),
                "{:?}",
                img.color()
            );
        }
        // A palette picture (two colours, one transparent), as `png` writes it.
        let mut data = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut data, w, h);
            enc.set_color(png::ColorType::Indexed);
            enc.set_palette(vec![0, 0, 0, 200, 40, 10]);
            enc.set_trns(vec![255, 0]);
            let pixels: Vec<u8> = (0..w * h).map(|i| ((i / 3) % 2) as u8).collect();
            let written = enc
                .write_header()
                .and_then(|mut wr| wr.write_image_data(&pixels));
            assert!(written.is_ok());
        }
        let whole = image::load_from_memory(&data).map(to_luma);
        assert_eq!(
            png_luma(&data).map(|g| g.into_raw()),
            whole.ok().map(|g| g.into_raw())
        );
        // Damaged: cut in the middle of its pixels.
        let cut = png(rgba);
        assert!(png_luma(&cut[..cut.len() / 2]).is_none());
    }

    /// Pictures decoded into the kept buffer ([`decoded_luma`]) have the grey levels of the
    /// same pictures decoded whole by `image`, for each format it reads for us and for kinds of
    /// pixel converted by `image` itself (16-bit grey), with a buffer left larger or smaller
    /// by the picture before.
    #[test]
    fn decoding_into_kept_buffers_gives_the_whole_pictures_grey_levels() {
        let mut rng = crate::test_rng::XorShift::new(3);
        let rgba = image::RgbaImage::from_fn(53, 37, |x, y| {
            image::Rgba([rng.below(256) as u8, (x * 4) as u8, (y * 6) as u8, 255])
        });
        let rgba = DynamicImage::ImageRgba8(rgba);
        let encode = |img: &DynamicImage, format| {
            let mut out = Cursor::new(Vec::new());
            img.write_to(&mut out, format).map(|()| out.into_inner())
        };
        let pictures = [
            encode(
                &DynamicImage::ImageRgb8(rgba.to_rgb8()),
                image::ImageFormat::Bmp,
            ),
            encode(&rgba, image::ImageFormat::Bmp),
            encode(
                &DynamicImage::ImageRgb8(rgba.to_rgb8()),
                image::ImageFormat::Jpeg,
            ),
            encode(&rgba, image::ImageFormat::Gif),
            encode(
                &DynamicImage::ImageLuma8(rgba.to_luma8()),
                image::ImageFormat::Jpeg,
            ),
            encode(
                &DynamicImage::ImageLuma16(rgba.to_luma16()),
                image::ImageFormat::Png,
            ),
        ];
        for (i, data) in pictures.into_iter().enumerate() {
            let data = data.expect("the picture encodes");
            let whole = image::load_from_memory(&data)
                .map(to_luma)
                .map(|g| g.into_raw());
            for _ in 0..2 {
                let decoder = ImageReader::new(Cursor::new(&data))
                    .with_guessed_format()
                    .ok()
                    .and_then(|r| r.into_decoder().ok());
                let ours = decoder.and_then(decoded_luma).map(|g| g.into_raw());
                assert_eq!(ours.as_ref(), whole.as_ref().ok(), "picture {i}");
                // Another size between the two runs.
                scratch::keep(&scratch::RAW, vec![7; 10 + i * 3000]);
            }
        }
    }
}
