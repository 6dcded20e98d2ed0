//! Seeded randomness. Every part of the tenant draws from its own named stream derived from the
//! config seed, so adding a draw in one part (say, mail) never reshuffles another (sign-ins), and
//! the same seed always yields the same bytes. Never the clock, never the OS RNG.

use rand::{Rng as _, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    /// A stream named `stream` under `seed`.
    pub(crate) fn new(seed: u64, stream: &str) -> Self {
        let mut h = Sha256::new();
        h.update(seed.to_le_bytes());
        h.update(stream.as_bytes());
        let digest: [u8; 32] = h.finalize().into();
        Rng(ChaCha8Rng::from_seed(digest))
    }

    /// A child stream, e.g. one per user, independent of how much the parent has drawn.
    pub(crate) fn fork(&mut self, label: &str) -> Self {
        let s = self.0.next_u64();
        Rng::new(s, label)
    }

    /// Uniform in `0..n` (0 when `n == 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n <= 1 { 0 } else { self.0.random_range(0..n) }
    }

    /// Uniform in `lo..hi` (lo when empty).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            self.0.random_range(lo..hi)
        }
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.0.random::<f64>() < p
    }

    pub(crate) fn unit(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.0.fill_bytes(&mut v);
        v
    }

    pub(crate) fn pick<'a, T>(&mut self, s: &'a [T]) -> &'a T {
        &s[self.below(s.len())]
    }

    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }

    /// A version-4-shaped GUID drawn from the stream (deterministic, unlike `Uuid::new_v4`).
    pub(crate) fn guid(&mut self) -> String {
        let mut b = [0u8; 16];
        self.0.fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        format!(
            "{}-{}-{}-{}-{}",
            hex::encode(&b[0..4]),
            hex::encode(&b[4..6]),
            hex::encode(&b[6..8]),
            hex::encode(&b[8..10]),
            hex::encode(&b[10..16])
        )
    }

    /// `n` uppercase hex digits.
    pub(crate) fn hex_upper(&mut self, n: usize) -> String {
        let mut s = hex::encode_upper(self.bytes(n.div_ceil(2)));
        s.truncate(n);
        s
    }

    /// `n` characters from `[a-z0-9]`.
    pub(crate) fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..n).map(|_| A[self.below(A.len())] as char).collect()
    }

    /// `n` decimal digits.
    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| (b'0' + self.below(10) as u8) as char)
            .collect()
    }
}
