//! QR codes in inline images, image attachments and PDFs, decoded with `rqrr`. Decoded URLs are
//! added to the message's links, so the link family judges them like any other link ("qr.link").

use std::io::Cursor;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use base64::Engine;
use image::{ColorType, DynamicImage, GrayImage, ImageDecoder, ImageReader, Limits};
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::context::{Ctx, LinkSource};
use crate::limits::*;
use crate::text::quote;

/// A QR code is at least 21 modules wide (version 1); a picture whose shorter side has fewer
/// pixels than that cannot hold a readable one (icons, spacer GIFs, thin rules).
const MIN_QR_SIDE: u32 = 21;
/// Pictures are scaled down to this longest side before detection: QR modules survive and the
/// detector's cost (linear in pixels) stays bounded.
const MAX_QR_SIDE: u32 = 1200;
/// Pictures wider or taller than this are not decoded (besides [`MAX_IMAGE_PIXELS`]).
const MAX_DECODED_SIDE: u32 = 8000;

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
        && let Some(bmp) = super::bmp::PaletteBmp::read(data, grey_of_rgb)
    {
        let (w, h) = (bmp.width, bmp.height);
        if w.min(h) < MIN_QR_SIDE
            || w.max(h) > MAX_DECODED_SIDE
            || (w as u64) * (h as u64) > MAX_IMAGE_PIXELS
        {
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
    if w.min(h) < MIN_QR_SIDE || (w as u64) * (h as u64) > MAX_IMAGE_PIXELS {
        return Vec::new();
    }
    decoded_luma(decoder).map(decode_luma).unwrap_or_default()
}

/// The grey levels ([`to_luma`]'s) of the picture `decoder` reads, decoded into a buffer kept
/// from one picture to the next ([`scratch`]): a fresh one for each picture (what
/// `DynamicImage` does) costs its page faults and zeroing again, more than a small picture's
/// decoding. Kinds of pixel [`to_luma`] has no conversion for go through `DynamicImage`.
fn decoded_luma(decoder: impl ImageDecoder) -> Option<GrayImage> {
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
fn png_luma(data: &[u8]) -> Option<GrayImage> {
    let limits = png::Limits {
        bytes: (MAX_IMAGE_PIXELS * 4) as usize,
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(data), limits);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder.read_info().ok()?;
    let (w, h) = (reader.info().width, reader.info().height);
    if w.min(h) < MIN_QR_SIDE
        || w.max(h) > MAX_DECODED_SIDE
        || (w as u64) * (h as u64) > MAX_IMAGE_PIXELS
    {
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

/// The grey level of an opaque colour, as [`to_luma`] gives it.
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
fn to_luma(img: DynamicImage) -> GrayImage {
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

/// Black/white decision per pixel (1 = black): the adaptive threshold of rqrr's
/// `PreparedImage::prepare` (black below 95 % of the sum of two running averages, each
/// decaying by `(s − 1)/s` per pixel with `s` an eighth of the width, one run left to right
/// and one right to left, both carried on from row to row in a snake), computed in `f32`
/// without rqrr's rounding down at every step. The rounding made each average a serial chain
/// of integer multiplications through the whole picture (~2 ns per pixel); without it the
/// averages are linear in their starting values, so eight rows run side by side from zero
/// (eight independent chains, one vector wide) and the carries are added afterwards as
/// `carry · rᵏ`. Pixels can differ from rqrr's only where a grey level sits within a
/// fraction of a level of the threshold (a test bounds how many; see [`ROUNDING`]).
fn binarize(px: &[u8], w: usize, h: usize) -> Vec<u8> {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        fn binarize_avx2(px: &[u8], w: usize, h: usize) -> Vec<u8> {
            threshold::<true>(px, w, h)
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU was just checked to support AVX2 and FMA.
            return unsafe { binarize_avx2(px, w, h) };
        }
    }
    threshold::<false>(px, w, h)
}

/// Rows handled side by side by [`threshold`].
const LANES: usize = 8;
/// What rqrr's rounding down takes from an average at each step: half a level on the mean.
/// Taken from every pixel here, it keeps the averages where rqrr's are (on the test pictures,
/// 2 pixels in 10,000 differ instead of 30).
const ROUNDING: f32 = 0.5;

type Lanes = [f32; LANES];

/// [`binarize`]. With `AVX2` (the CPU having AVX2 and FMA), fused multiply-adds (without,
/// `mul_add` would be a library call), and the pixels turned from rows into columns of the
/// block and the black/white decisions back into rows eight by eight in vector registers.
#[inline(always)]
fn threshold<const AVX2: bool>(px: &[u8], w: usize, h: usize) -> Vec<u8> {
    #[inline(always)]
    fn step<const FMA: bool>(a: &mut Lanes, r: f32, g: &Lanes) {
        for k in 0..LANES {
            a[k] = if FMA {
                a[k].mul_add(r, g[k])
            } else {
                a[k] * r + g[k]
            };
        }
    }
    let mut out = scratch::take(&scratch::BITS, w * h);
    if w == 0 {
        return out;
    }
    let s = (w / 8).max(1);
    let r = (s - 1) as f32 / s as f32;
    // rᵏ for k = 0..=w: how much of a carry is left k pixels into a row.
    let mut pow = Vec::with_capacity(w + 1);
    let mut p = 1f32;
    for _ in 0..=w {
        pow.push(p);
        p *= r;
    }
    // Black where `pixel < ⌊avg · 95 / (200 s)⌋`, that is `pixel + 1 ≤ avg · cut`.
    let cut = 95.0 / (200.0 * s as f32);
    let mut grey = vec![[0f32; LANES]; w];
    let mut fwd = vec![[0f32; LANES]; w];
    let mut back = vec![[0f32; LANES]; w];
    // Per pixel, a bit per row of the block: black or not.
    let mut masks = vec![0u8; w];
    // The carries into the next row's left-to-right and right-to-left averages.
    let (mut carry_f, mut carry_b) = (0f32, 0f32);
    for y0 in (0..h).step_by(LANES) {
        let rows = (h - y0).min(LANES);
        let block = &px[y0 * w..(y0 + rows) * w];
        if rows == LANES {
            let r: [&[u8]; LANES] = std::array::from_fn(|k| &block[k * w..(k + 1) * w]);
            let mut x = 0;
            #[cfg(target_arch = "x86_64")]
            if AVX2 {
                // SAFETY: `AVX2` is only set where the CPU was checked to support it.
                x = unsafe { avx2::columns(&r, &mut grey) };
            }
            for (x, g) in grey.iter_mut().enumerate().skip(x) {
                *g = std::array::from_fn(|k| r[k][x] as f32 - ROUNDING);
            }
        } else {
            for (k, row) in block.chunks_exact(w).enumerate() {
                for (g, &p) in grey.iter_mut().zip(row) {
                    g[k] = p as f32 - ROUNDING;
                }
            }
        }
        // Both averages in one loop: two independent chains per lane.
        let (mut af, mut ab): (Lanes, Lanes) = ([0.0; LANES], [0.0; LANES]);
        let ends = grey.iter().zip(grey.iter().rev());
        for ((gi, gj), (fi, bj)) in ends.zip(fwd.iter_mut().zip(back.iter_mut().rev())) {
            step::<AVX2>(&mut af, r, gi);
            step::<AVX2>(&mut ab, r, gj);
            (*fi, *bj) = (af, ab);
        }
        // Each row's carries, from the ends of the row above: the average that ends a row on
        // one side starts the next row from that side (rqrr's snake).
        let (mut cf, mut cb): (Lanes, Lanes) = ([0.0; LANES], [0.0; LANES]);
        for k in 0..rows {
            (cf[k], cb[k]) = (carry_f, carry_b);
            let end_f = fwd[w - 1][k] + carry_f * pow[w];
            let end_b = back[0][k] + carry_b * pow[w];
            (carry_f, carry_b) = (end_b, end_f);
        }
        // One byte per pixel with a bit per row (bit k: row k black), then eight of those
        // bytes at a time turned into eight bytes of each row.
        let mut x = 0;
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            // SAFETY: as above.
            x = unsafe { avx2::black(&fwd, &back, &grey, (&cf, &cb), &pow, cut, &mut masks) };
        }
        for (x, m) in masks.iter_mut().enumerate().skip(x) {
            let (f, b, g) = (&fwd[x], &back[x], &grey[x]);
            let (pf, pb) = (pow[x + 1], pow[w - x]);
            let mut bits = 0u8;
            for k in 0..LANES {
                let avg = f[k] + b[k] + cf[k] * pf + cb[k] * pb;
                bits |= ((g[k] + (ROUNDING + 1.0) <= avg * cut) as u8) << k;
            }
            *m = bits;
        }
        let (m8, rest) = masks.as_chunks::<8>();
        for (k, row) in out[y0 * w..(y0 + rows) * w].chunks_exact_mut(w).enumerate() {
            let (d8, tail) = row.as_chunks_mut::<8>();
            for (d, m) in d8.iter_mut().zip(m8) {
                *d = ((u64::from_le_bytes(*m) >> k) & 0x0101_0101_0101_0101).to_le_bytes();
            }
            for (d, m) in tail.iter_mut().zip(rest) {
                *d = (m >> k) & 1;
            }
        }
    }
    out
}

/// The two stages of [`threshold`] that the compiler does not vectorize by itself.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{LANES, Lanes, ROUNDING};

    /// `grey[x][k] = r[k][x] − ROUNDING` for `x` below the returned multiple of 8: eight bytes
    /// of each of the eight rows, an 8×8 byte transpose in three rounds of unpacking, then
    /// eight columns widened to floats.
    #[target_feature(enable = "avx2")]
    pub fn columns(r: &[&[u8]; LANES], grey: &mut [Lanes]) -> usize {
        let w = grey
            .len()
            .min(r.iter().map(|row| row.len()).min().unwrap_or(0));
        let rounding = _mm256_set1_ps(ROUNDING);
        let mut x = 0;
        while x + 8 <= w {
            let row = |k: usize| -> __m128i {
                let b = r[k][x..].first_chunk::<8>().copied().unwrap_or([0; 8]);
                _mm_cvtsi64_si128(i64::from_le_bytes(b))
            };
            let (a01, a23) = (
                _mm_unpacklo_epi8(row(0), row(1)),
                _mm_unpacklo_epi8(row(2), row(3)),
            );
            let (a45, a67) = (
                _mm_unpacklo_epi8(row(4), row(5)),
                _mm_unpacklo_epi8(row(6), row(7)),
            );
            let (lo03, hi03) = (_mm_unpacklo_epi16(a01, a23), _mm_unpackhi_epi16(a01, a23));
            let (lo47, hi47) = (_mm_unpacklo_epi16(a45, a67), _mm_unpackhi_epi16(a45, a67));
            // Each holds two columns of eight bytes.
            let pairs = [
                _mm_unpacklo_epi32(lo03, lo47),
                _mm_unpackhi_epi32(lo03, lo47),
                _mm_unpacklo_epi32(hi03, hi47),
                _mm_unpackhi_epi32(hi03, hi47),
            ];
            for (p, two) in pairs.into_iter().zip(grey[x..x + 8].chunks_exact_mut(2)) {
                for (half, g) in [p, _mm_unpackhi_epi64(p, p)].into_iter().zip(two) {
                    let f = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(half));
                    // SAFETY: `g` is eight f32s.
                    unsafe { _mm256_storeu_ps(g.as_mut_ptr(), _mm256_sub_ps(f, rounding)) };
                }
            }
            x += 8;
        }
        x
    }

    /// The black/white decisions of [`super::threshold`] (the same operations in the same
    /// order), a byte per pixel with bit `k` for row `k`, for every `x`; returns the width.
    #[target_feature(enable = "avx2")]
    pub fn black(
        fwd: &[Lanes],
        back: &[Lanes],
        grey: &[Lanes],
        (cf, cb): (&Lanes, &Lanes),
        pow: &[f32],
        cut: f32,
        masks: &mut [u8],
    ) -> usize {
        let w = masks.len();
        if fwd.len() < w || back.len() < w || grey.len() < w || pow.len() < w + 1 {
            return 0;
        }
        let load = |l: &Lanes| -> __m256 {
            // SAFETY: `l` is eight f32s.
            unsafe { _mm256_loadu_ps(l.as_ptr()) }
        };
        let (cf, cb) = (load(cf), load(cb));
        let (cut, margin) = (_mm256_set1_ps(cut), _mm256_set1_ps(ROUNDING + 1.0));
        let carried = pow[1..].iter().zip(pow[..=w].iter().rev());
        let pixels = fwd.iter().zip(back).zip(grey).zip(carried);
        for (m, (((f, b), g), (&pf, &pb))) in masks.iter_mut().zip(pixels) {
            let (pf, pb) = (_mm256_set1_ps(pf), _mm256_set1_ps(pb));
            let mut avg = _mm256_add_ps(load(f), load(b));
            avg = _mm256_add_ps(avg, _mm256_mul_ps(cf, pf));
            avg = _mm256_add_ps(avg, _mm256_mul_ps(cb, pb));
            let lhs = _mm256_add_ps(load(g), margin);
            let black = _mm256_cmp_ps::<_CMP_LE_OQ>(lhs, _mm256_mul_ps(avg, cut));
            *m = _mm256_movemask_ps(black) as u8;
        }
        w
    }
}

/// Whether the black/white/black/white/black runs pass rqrr's finder-pattern test
/// (1:1:3:1:1, each run within three quarters of the average unit).
#[inline]
fn finder_runs(runs: &[usize; 5]) -> bool {
    const CHECK: [usize; 5] = [1, 1, 3, 1, 1];
    let avg = (runs[0] + runs[1] + runs[3] + runs[4]) / 4;
    let err = avg * 3 / 4;
    runs.iter()
        .zip(CHECK)
        .all(|(&r, c)| r >= c * avg - err && r <= c * avg + err)
}

/// Going along column `x` from the centre run at row `y` (up or down): the lengths of the
/// centre's remaining black, then of a white gap and a black ring, each within `limit`
/// pixels. The ring may touch the picture's edge.
fn runs_along_column(
    bits: &[u8],
    w: usize,
    x: usize,
    y: usize,
    up: bool,
    limit: usize,
) -> Option<[usize; 3]> {
    let h = bits.len() / w;
    let step = if up { -1 } else { 1 };
    let inside = |i: isize| i >= 0 && (i as usize) < h;
    let mut i = y as isize;
    let mut runs = [0usize; 3];
    for (phase, want) in [1u8, 0, 1].into_iter().enumerate() {
        while inside(i) && bits[i as usize * w + x] == want {
            runs[phase] += 1;
            if runs[phase] > limit {
                return None;
            }
            i += step;
        }
        if runs[phase] == 0 || (phase < 2 && !inside(i)) {
            return None;
        }
    }
    Some(runs)
}

/// Whether the column through the middle of a row's centre run crosses a finder pattern too:
/// ring, gap, centre, gap, ring in rqrr's 1:1:3:1:1 proportions. A finder pattern is
/// concentric squares, so every line through (or near) its centre crosses them in about those
/// proportions, whatever the rotation.
fn finder_along_column(bits: &[u8], w: usize, x: usize, y: usize, limit: usize) -> bool {
    let (Some(up), Some(down)) = (
        runs_along_column(bits, w, x, y, true, limit),
        runs_along_column(bits, w, x, y, false, limit),
    ) else {
        return false;
    };
    finder_runs(&[up[2], up[1], up[0] + down[0] - 1, down[1], down[2]])
}

/// Finder-like spots kept by [`code_region`]; past that many the whole picture is handed to
/// rqrr.
const MAX_SPOTS: usize = 32;

/// A rectangle of the picture: columns `x0..x1`, rows `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Region {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

impl Region {
    fn union(self, o: Region) -> Region {
        Region {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }
}

/// Where three of the spots (centre x, row, pattern width) could be one code's finder
/// patterns: a corner spot with the two others at similar distances (within a factor of 2.5:
/// rqrr reads codes stretched that much, and a stretched code must not slip past) and roughly
/// at right angles from it (between 50° and 130°), the three patterns of similar
/// widths (within a factor of three), and the distances at least 1.5 pattern widths (a
/// version-1 code's finder centres are 14 modules apart, two widths). rqrr asks more of a
/// group (neighbours along the corner pattern's own axes, distances within 25 % of each other
/// in module units), so the bounds leave room for rotation, perspective and the error of
/// taking the first row through a pattern's centre.
///
/// The region is the union, over every such group, of the parallelogram its three spots and
/// the fourth corner span, widened on every side by twice the widest pattern (a finder pattern
/// reaches half its width past its centre, and a spot's row can be off its centre by as much);
/// clipped to the `w × h` picture. `None` when no three spots fit.
fn code_corners(spots: &[(usize, usize, usize)], w: usize, h: usize) -> Option<Region> {
    let f = |&(x, y, t): &(usize, usize, usize)| (x as f64, y as f64, t as f64);
    let spots: Vec<(f64, f64, f64)> = spots.iter().map(f).collect();
    let mut region: Option<Region> = None;
    for (i, b) in spots.iter().enumerate() {
        for (j, a) in spots.iter().enumerate() {
            for (k, c) in spots.iter().enumerate().skip(j + 1) {
                if i == j || i == k {
                    continue;
                }
                let widths = [a.2, b.2, c.2];
                let (lo, hi) = widths
                    .iter()
                    .fold((f64::MAX, 0f64), |(lo, hi), &t| (lo.min(t), hi.max(t)));
                if hi > 3.0 * lo {
                    continue;
                }
                let (ax, ay) = (a.0 - b.0, a.1 - b.1);
                let (cx, cy) = (c.0 - b.0, c.1 - b.1);
                let (da, dc) = (ax.hypot(ay), cx.hypot(cy));
                if da < 1.5 * hi || dc < 1.5 * hi || da > 2.5 * dc || dc > 2.5 * da {
                    continue;
                }
                let cos = (ax * cx + ay * cy) / (da * dc);
                if cos.abs() > 0.65 {
                    continue;
                }
                let d = (a.0 + c.0 - b.0, a.1 + c.1 - b.1);
                let xs = [a.0, b.0, c.0, d.0];
                let ys = [a.1, b.1, c.1, d.1];
                let margin = 2.0 * hi + 1.0;
                let lo_of = |v: &[f64; 4]| v.iter().copied().fold(f64::MAX, f64::min) - margin;
                let hi_of = |v: &[f64; 4]| v.iter().copied().fold(f64::MIN, f64::max) + margin;
                let clip = |v: f64, n: usize| v.clamp(0.0, n as f64) as usize;
                let r = Region {
                    x0: clip(lo_of(&xs), w),
                    y0: clip(lo_of(&ys), h),
                    x1: clip(hi_of(&xs).ceil(), w),
                    y1: clip(hi_of(&ys).ceil(), h),
                };
                region = Some(region.map_or(r, |g| g.union(r)));
            }
        }
    }
    region.filter(|r| r.x1 > r.x0 && r.y1 > r.y0)
}

/// A cheap test that a binarized picture could hold a QR code, run before rqrr, whose region
/// filling and grid fitting cost several times more on large pictures without one (logos):
/// at least three separate spots where a row passes rqrr's own finder-pattern test (on the
/// rows rqrr itself scans) and the column through the middle of that centre run crosses a
/// ring, a gap and the centre in the same proportions (see [`finder_along_column`]). Three
/// of those spots must then sit as a code's three finder patterns do, and the region where
/// they sit is what rqrr is given (see [`code_corners`]); the whole picture past
/// [`MAX_SPOTS`] spots.
fn code_region(bits: &[u8], w: usize) -> Option<Region> {
    let h = bits.len() / w;
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for (y, row) in bits.chunks_exact(w).enumerate() {
        let mut runs = [0usize; 5];
        let (mut last, mut start, mut changes) = (row[0], 0usize, 0usize);
        loop {
            // The next colour change (with a virtual white pixel after the row's end, as rqrr
            // adds for patterns touching the edge); flat stretches are skipped with `memchr`.
            let x = match memchr::memchr(last ^ 1, &row[start..]) {
                Some(i) => start + i,
                None if last == 1 => w,
                None => break,
            };
            runs.rotate_left(1);
            runs[4] = x - start;
            start = x;
            last ^= 1;
            changes += 1;
            if last == 0 && changes >= 5 && finder_runs(&runs) {
                let total: usize = runs.iter().sum();
                let cx = x - runs[4] - runs[3] - runs[2] / 2 - 1;
                // The rows through one pattern's centre stone pass one after the other: a
                // spot within half a pattern's width across and one down is that pattern
                // again (a wider reach would let a large false spot hide a real pattern
                // beside it).
                let known = found
                    .iter()
                    .any(|&(fx, fy, ft)| fx.abs_diff(cx) <= ft / 2 && fy.abs_diff(y) <= ft);
                if !known && finder_along_column(bits, w, cx, y, 2 * total) {
                    found.push((cx, y, total));
                    if found.len() > MAX_SPOTS {
                        return Some(Region {
                            x0: 0,
                            y0: 0,
                            x1: w,
                            y1: h,
                        });
                    }
                }
            }
            if x >= w {
                break;
            }
        }
    }
    if found.len() < 3 {
        return None;
    }
    code_corners(&found, w, h)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn qr(text: &str, side: u32) -> GrayImage {
        qrcode::QrCode::new(text.as_bytes())
            .map(|c| {
                c.render::<image::Luma<u8>>()
                    .min_dimensions(side, side)
                    .build()
            })
            .unwrap_or_default()
    }

    fn png(img: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let _ = img.write_to(&mut out, image::ImageFormat::Png);
        out.into_inner()
    }

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

    /// The threshold is rqrr's without its rounding down: on a code, gradients and noise, at
    /// widths with and without a remainder of 8 and heights with and without one of
    /// [`LANES`], under a pixel in a thousand differs.
    #[test]
    fn threshold_is_rqrrs_but_for_rounding() {
        let mut seed = 7u32;
        let code = qr("https://x.example/", 90);
        for (w, h) in [(203u32, 97u32), (640, 480), (9, 30), (1200, 24), (33, 1)] {
            let img = GrayImage::from_fn(w, h, |x, y| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let noise = (seed >> 24) as u8 / 4;
                let c = code.get_pixel_checked(x, y).map_or(255, |p| p[0]);
                image::Luma([c.saturating_sub(noise).saturating_add((x % 50) as u8)])
            });
            let theirs = rqrr::PreparedImage::prepare(img.clone());
            // The build for this CPU and the portable one (with AVX2, they differ in how
            // they round: fused multiply-adds).
            for ours in [
                binarize(img.as_raw(), w as usize, h as usize),
                threshold::<false>(img.as_raw(), w as usize, h as usize),
            ] {
                let mut differ = 0;
                for y in 0..h as usize {
                    for x in 0..w as usize {
                        let black = theirs.get_pixel_at(x, y) == 1u8;
                        if (ours[y * w as usize + x] == 1) != black {
                            differ += 1;
                        }
                    }
                }
                assert!(
                    differ * 1000 <= (w * h) as usize,
                    "{w}x{h}: {differ} pixels differ"
                );
            }
        }
    }

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

    #[test]
    fn the_quick_test_passes_codes_at_any_angle_and_rejects_plain_pictures() {
        let bits = |img: &GrayImage| {
            let (w, h) = (img.width() as usize, img.height() as usize);
            (binarize(img.as_raw(), w, h), w)
        };
        let code = qr("https://lure.example/rotated", 240);
        for degrees in (0..90).step_by(5).map(|d| d as f32) {
            let (sin, cos) = degrees.to_radians().sin_cos();
            let c = code.width() as f32 / 2.0;
            let turned = GrayImage::from_fn(400, 400, |x, y| {
                let (dx, dy) = (x as f32 - 200.0, y as f32 - 200.0);
                let (sx, sy) = (cos * dx + sin * dy + c, -sin * dx + cos * dy + c);
                if sx < 0.0 || sy < 0.0 {
                    return image::Luma([255]);
                }
                code.get_pixel_checked(sx as u32, sy as u32)
                    .copied()
                    .unwrap_or(image::Luma([255]))
            });
            let (b, w) = bits(&turned);
            assert!(code_region(&b, w).is_some(), "{degrees}°");
        }
        // A logo-like picture: flat colour, a frame, bars of text-like strokes.
        let logo = GrayImage::from_fn(600, 300, |x, y| {
            let frame = x < 8 || y < 8 || x >= 592 || y >= 292;
            let strokes = (100..140).contains(&y) && (x / 6) % 3 == 0 && (50..550).contains(&x);
            image::Luma([if frame || strokes { 20 } else { 240 }])
        });
        let (b, w) = bits(&logo);
        assert!(code_region(&b, w).is_none());
        assert!(decode_image(&png(DynamicImage::ImageLuma8(logo))).is_empty());
    }

    /// rqrr is given only the region around the finder-like spots: it reads there what it
    /// reads in the whole picture, for codes turned at any angle, off centre, two at once.
    #[test]
    fn the_region_given_to_rqrr_holds_every_code_it_would_find() {
        let codes = [
            qr("https://lure.example/first", 160),
            qr("https://lure.example/second", 120),
        ];
        // rqrr on the whole picture, thresholded the same way.
        let whole = |img: &GrayImage| -> Vec<String> {
            let (w, h) = (img.width() as usize, img.height() as usize);
            let bits = binarize(img.as_raw(), w, h);
            let mut p = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| bits[y * w + x] != 0);
            let mut v: Vec<String> = p
                .detect_grids()
                .into_iter()
                .filter_map(|g| g.decode().ok().map(|(_, s)| s))
                .collect();
            v.sort();
            v
        };
        for degrees in (0..90).step_by(6).map(|d| d as f32) {
            let (sin, cos) = degrees.to_radians().sin_cos();
            // The first code turned about (250, 180), the second upright at (600, 420).
            let img = GrayImage::from_fn(900, 640, |x, y| {
                let (dx, dy) = (x as f32 - 250.0, y as f32 - 180.0);
                let c = codes[0].width() as f32 / 2.0;
                let (sx, sy) = (cos * dx + sin * dy + c, -sin * dx + cos * dy + c);
                if sx >= 0.0
                    && sy >= 0.0
                    && let Some(p) = codes[0].get_pixel_checked(sx as u32, sy as u32)
                {
                    return *p;
                }
                let (ux, uy) = (x.wrapping_sub(600), y.wrapping_sub(420));
                codes[1]
                    .get_pixel_checked(ux, uy)
                    .copied()
                    .unwrap_or(image::Luma([235]))
            });
            let mut ours = detect(&img);
            ours.sort();
            assert_eq!(ours, whole(&img), "{degrees}°");
            assert_eq!(ours.len(), 2, "{degrees}°: {ours:?}");
        }
        // Codes cut to their modules (no quiet zone) against the picture's corners and edges.
        let bare = {
            // The dark modules' bounding box: the quiet zone `qr()` draws is cut off.
            let c = &codes[1];
            let dark: Vec<(u32, u32)> = c
                .enumerate_pixels()
                .filter(|p| p.2[0] < 128)
                .map(|p| (p.0, p.1))
                .collect();
            let (x0, y0) = dark
                .iter()
                .fold((u32::MAX, u32::MAX), |a, p| (a.0.min(p.0), a.1.min(p.1)));
            let (x1, y1) = dark
                .iter()
                .fold((0, 0), |a, p| (a.0.max(p.0), a.1.max(p.1)));
            image::imageops::crop_imm(c, x0, y0, x1 - x0 + 1, y1 - y0 + 1).to_image()
        };
        for (x, y) in [
            (0i64, 0i64),
            (600 - bare.width() as i64, 0),
            (0, 400 - bare.height() as i64),
            (250, 400 - bare.height() as i64),
        ] {
            let mut img = GrayImage::from_pixel(600, 400, image::Luma([235]));
            image::imageops::overlay(&mut img, &bare, x, y);
            let ours = detect(&img);
            assert_eq!(ours, whole(&img), "at {x},{y}");
            assert_eq!(ours.len(), 1, "at {x},{y}");
        }
        // As a photo or a careless scan shows them: stretched, in perspective (the top row
        // narrower than the bottom one), blurred.
        for (stretch, keystone, blur) in [
            (1.0f32, 0.0f32, 1.2f32),
            (1.5, 0.0, 0.8),
            (2.0, 0.0, 0.0),
            (0.6, 0.0, 0.0),
            (1.0, 0.1, 0.0),
            (0.8, 0.08, 1.0),
        ] {
            let code = &codes[0];
            let n = code.width() as f32;
            let img = GrayImage::from_fn(500, 420, |x, y| {
                let v = (y as f32 - 60.0) / stretch;
                let narrow = 1.0 - keystone * (1.0 - v / n);
                let u = (x as f32 - 250.0) / narrow + n / 2.0;
                if u < 0.0 || v < 0.0 {
                    return image::Luma([235]);
                }
                code.get_pixel_checked(u as u32, v as u32)
                    .copied()
                    .unwrap_or(image::Luma([235]))
            });
            let img = if blur > 0.0 {
                image::imageops::blur(&img, blur)
            } else {
                img
            };
            let ours = detect(&img);
            let label = format!("stretch {stretch}, keystone {keystone}, blur {blur}");
            assert_eq!(ours, whole(&img), "{label}");
            assert_eq!(ours.len(), 1, "{label}");
        }
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
