//! The grey levels of palette BMP pictures (1, 4 or 8 bits a pixel, uncompressed), read
//! straight from the file: each index is looked up in a table of the palette's grey levels.
//!
//! `image` decodes these too, but expands every pixel to RGB one run at a time first (about
//! twelve instructions a pixel, into a fresh buffer), and a scanned page or fax saved as a
//! 4-bit BMP is the largest picture in some mail: its decoding was most of the message's
//! analysis. Everything else (compressed, bit-field and true-colour BMPs, OS/2 headers) is
//! left to `image`; so is any file this reader has a doubt about, which then fails or
//! succeeds there as before. The grey levels are exactly those of `image`'s decoding turned
//! grey by the QR family (a test checks it).

/// Headers whose first 40 bytes are `BITMAPINFOHEADER`'s: it, and its V2 to V5 extensions.
const INFO_HEADERS: [u32; 5] = [40, 52, 56, 108, 124];
/// `BI_RGB`: no compression.
const BI_RGB: u32 = 0;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(*b.get(at..)?.first_chunk::<2>()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*b.get(at..)?.first_chunk::<4>()?))
}

/// A palette BMP, read up to its pixels.
pub struct PaletteBmp<'a> {
    pub width: u32,
    pub height: u32,
    bits: u16,
    top_down: bool,
    /// Bytes a row, padded to four.
    stride: usize,
    rows: &'a [u8],
    /// The grey level of each palette index.
    table: [u8; 256],
}

impl<'a> PaletteBmp<'a> {
    /// The picture in `data`, with `grey` the grey level of a colour (red, green, blue); `None`
    /// when it is not one this reader takes (see the module documentation) or is cut short.
    pub fn read(data: &'a [u8], grey: impl Fn(u8, u8, u8) -> u8) -> Option<Self> {
        if !data.starts_with(b"BM") {
            return None;
        }
        let pixels_at = u32_at(data, 10)? as usize;
        let header = u32_at(data, 14)?;
        if !INFO_HEADERS.contains(&header) {
            return None;
        }
        let width = u32_at(data, 18)? as i32;
        let height = u32_at(data, 22)? as i32;
        let bits = u16_at(data, 28)?;
        let compression = u32_at(data, 30)?;
        let colours = u32_at(data, 46)?;
        if !matches!(bits, 1 | 4 | 8) || compression != BI_RGB || width <= 0 || height == 0 {
            return None;
        }
        // The palette: `colours` entries (all the bit depth allows when 0) of blue, green, red
        // and a byte unused; indices past its end are black, as `image` reads them.
        let entries = if colours == 0 { 1u32 << bits } else { colours };
        if entries > 1 << bits {
            return None;
        }
        let palette_at = 14 + header as usize;
        let palette = data.get(palette_at..palette_at + 4 * entries as usize)?;
        let mut table = [grey(0, 0, 0); 256];
        for (t, c) in table.iter_mut().zip(palette.as_chunks::<4>().0) {
            *t = grey(c[2], c[1], c[0]);
        }
        let (w, h) = (width as u32, height.unsigned_abs());
        let stride = (w as usize * bits as usize).div_ceil(32) * 4;
        let end = pixels_at.checked_add(stride.checked_mul(h as usize)?)?;
        Some(Self {
            width: w,
            height: h,
            bits,
            top_down: height < 0,
            stride,
            rows: data.get(pixels_at..end)?,
            table,
        })
    }

    /// The grey levels, row by row from the top, into `out` (`width × height` bytes, every
    /// one written).
    pub fn grey_into(&self, out: &mut [u8]) {
        let (w, h) = (self.width as usize, self.height as usize);
        let t = &self.table;
        for (y, row) in self.rows.chunks_exact(self.stride).enumerate() {
            // Stored from the bottom up unless the height is negative.
            let y = if self.top_down { y } else { h - 1 - y };
            let Some(dst) = out.get_mut(y * w..(y + 1) * w) else {
                continue;
            };
            match self.bits {
                8 => {
                    for (d, &i) in dst.iter_mut().zip(row) {
                        *d = t[i as usize];
                    }
                }
                4 => {
                    for (pair, &i) in dst.chunks_mut(2).zip(row) {
                        pair[0] = t[(i >> 4) as usize];
                        if let Some(d) = pair.get_mut(1) {
                            *d = t[(i & 15) as usize];
                        }
                    }
                }
                _ => {
                    for (eight, &i) in dst.chunks_mut(8).zip(row) {
                        for (k, d) in eight.iter_mut().enumerate() {
                            *d = t[((i >> (7 - k)) & 1) as usize];
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::qr::grey_of_rgb;

    /// A palette BMP with `bits` a pixel, the given palette (blue, green, red) and indices.
    fn bmp(
        w: u32,
        h: i32,
        bits: u16,
        palette: &[[u8; 3]],
        index: impl Fn(u32, u32) -> u8,
    ) -> Vec<u8> {
        let stride = (w as usize * bits as usize).div_ceil(32) * 4;
        let rows = h.unsigned_abs();
        let pixels_at = 14 + 40 + 4 * palette.len();
        let mut out = Vec::new();
        out.extend_from_slice(b"BM");
        out.extend_from_slice(&((pixels_at + stride * rows as usize) as u32).to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(pixels_at as u32).to_le_bytes());
        out.extend_from_slice(&40u32.to_le_bytes());
        out.extend_from_slice(&w.to_le_bytes());
        out.extend_from_slice(&h.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // BI_RGB
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&(palette.len() as u32).to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        for c in palette {
            out.extend_from_slice(&[c[0], c[1], c[2], 0]);
        }
        for r in 0..rows {
            // Stored bottom-up when the height is positive.
            let y = if h > 0 { rows - 1 - r } else { r };
            let mut row = vec![0u8; stride];
            for x in 0..w {
                let i = index(x, y);
                let bit = x as usize * bits as usize;
                row[bit / 8] |= i << (8 - bits as usize - bit % 8);
            }
            out.extend_from_slice(&row);
        }
        out
    }

    fn ours(data: &[u8]) -> Option<Vec<u8>> {
        let bmp = PaletteBmp::read(data, grey_of_rgb)?;
        let mut out = vec![7u8; (bmp.width * bmp.height) as usize];
        bmp.grey_into(&mut out);
        Some(out)
    }

    fn image_grey(data: &[u8]) -> Option<Vec<u8>> {
        let img = image::load_from_memory(data).ok()?;
        Some(
            img.to_rgb8()
                .pixels()
                .map(|p| grey_of_rgb(p[0], p[1], p[2]))
                .collect(),
        )
    }

    /// Every bit depth, both row orders, widths with and without row padding, short palettes
    /// (indices past the end): the grey levels are `image`'s.
    #[test]
    fn palette_pictures_read_as_image_reads_them() {
        let mut rng = crate::test_rng::XorShift::new(9);
        for bits in [1u16, 4, 8] {
            for (w, h) in [(1u32, 1i32), (5, 3), (33, -7), (64, 9), (71, -2)] {
                for colours in [2usize, 3, 1 << bits] {
                    let colours = colours.min(1 << bits);
                    let palette: Vec<[u8; 3]> = (0..colours)
                        .map(|_| {
                            [
                                rng.below(256) as u8,
                                rng.below(256) as u8,
                                rng.below(256) as u8,
                            ]
                        })
                        .collect();
                    let seed = rng.below(1000) as u32;
                    let data = bmp(w, h, bits, &palette, |x, y| {
                        ((x * 7 + y * 13 + seed) % (1 << bits)) as u8
                    });
                    let theirs = image_grey(&data);
                    assert!(theirs.is_some(), "{bits} bits {w}x{h}: image reads it");
                    assert_eq!(
                        ours(&data),
                        theirs,
                        "{bits} bits {w}x{h}, {colours} colours"
                    );
                }
            }
        }
    }

    /// Damaged files (random bytes changed anywhere, headers included, or cut anywhere) are
    /// refused or read, never a panic, and a picture read is exactly as large as it says.
    #[test]
    fn damaged_files_are_refused_or_read_safely() {
        let mut rng = crate::test_rng::XorShift::new(17);
        let good = bmp(
            37,
            -23,
            4,
            &[[0, 0, 0], [255, 255, 255], [9, 99, 199]],
            |x, y| ((x + y) % 3) as u8,
        );
        for _ in 0..5_000 {
            let mut data = good.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(data.len());
                data[at] = rng.below(256) as u8;
            }
            data.truncate(rng.below(data.len() + 40));
            if let Some(b) = PaletteBmp::read(&data, grey_of_rgb) {
                assert_eq!(b.rows.len(), b.stride * b.height as usize);
                assert!(b.stride * 8 >= b.width as usize * b.bits as usize);
                let pixels = b.width as u64 * b.height as u64;
                if pixels <= 1 << 20 {
                    let mut out = vec![0u8; pixels as usize];
                    b.grey_into(&mut out);
                }
            }
        }
    }

    /// Files this reader does not take, or that are cut short, are left to `image`.
    #[test]
    fn other_and_damaged_files_are_left_to_image() {
        let good = bmp(40, 30, 4, &[[0, 0, 0], [255, 255, 255]], |x, _| {
            (x % 2) as u8
        });
        let read = |d: &[u8]| PaletteBmp::read(d, grey_of_rgb).is_some();
        assert!(read(&good));
        assert!(!read(&good[..good.len() - 1]));
        assert!(!read(&good[..60]));
        let mut rle = good.clone();
        rle[30] = 2; // BI_RLE4
        assert!(!read(&rle));
        let mut deep = good.clone();
        deep[28] = 24;
        assert!(!read(&deep));
        let mut many = good.clone();
        many[46] = 17; // 17 colours for 4 bits
        assert!(!read(&many));
        let mut core = good.clone();
        core[14] = 12; // the OS/2 header
        assert!(!read(&core));
        assert!(!read(b"BM"));
        assert!(!read(b""));
    }
}
