//! Black and white for the QR detector: rqrr's adaptive threshold, eight rows at a time in
//! vector registers ([`binarize`]), and a cheap test for finder patterns that says where in
//! the picture rqrr should look ([`code_region`]).

use super::scratch;

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
pub(super) fn binarize(px: &[u8], w: usize, h: usize) -> Vec<u8> {
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
pub(super) struct Region {
    pub(super) x0: usize,
    pub(super) y0: usize,
    pub(super) x1: usize,
    pub(super) y1: usize,
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
pub(super) fn code_region(bits: &[u8], w: usize) -> Option<Region> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::qr::test_pictures::{png, qr};
    use crate::analysis::qr::{decode_image, detect};
    use image::{DynamicImage, GrayImage};

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
}
