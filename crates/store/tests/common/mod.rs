//! Shared test support: the backends come from `ward_store::testing`.
#![allow(dead_code)]

pub mod fixtures;

pub use ward_store::testing::*;
