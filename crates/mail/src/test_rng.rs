//! A small deterministic generator for the unit tests that build random inputs (xorshift64):
//! the same sequence on every run, no dependency.

pub struct XorShift(u64);

impl XorShift {
    /// `seed` must not be zero.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
