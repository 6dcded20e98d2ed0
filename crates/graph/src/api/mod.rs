//! Typed calls, one file per area.

pub mod directory;
pub mod mail;
pub mod management;
pub mod security;
