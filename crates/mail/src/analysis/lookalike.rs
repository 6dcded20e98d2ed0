//! Look-alike domains: the same confusable skeleton (UTS #39) as a protected domain, or one or
//! two typing errors away from it. Used for the sender's domain (tenant, partners, brands) and
//! for link hosts (brands).

use super::brands::BRANDS;
use crate::text::{domain_label, registrable_domain, skeleton_of};

/// The brands' main domains with their labels and confusable skeletons, computed once.
static BRAND_PROTECTED: std::sync::LazyLock<Vec<(String, String, String)>> =
    std::sync::LazyLock::new(|| {
        BRANDS
            .iter()
            .filter_map(|b| b.domains.first())
            .map(|d| {
                let reg = registrable_domain(d);
                let label = domain_label(&reg).to_string();
                let sk = skeleton_of(&label);
                (reg, label, sk)
            })
            .collect()
    });

/// Lookalike of a well-known brand's main domain (see [`lookalike_of`]).
pub fn lookalike_of_brand(reg: &str) -> Option<String> {
    let label = domain_label(reg);
    if label.len() < 4 {
        return None;
    }
    let sk = skeleton_of(label);
    for (p_reg, pl, psk) in BRAND_PROTECTED.iter() {
        if p_reg == reg || pl.len() < 4 || pl == label {
            continue;
        }
        if *psk == sk {
            return Some(p_reg.clone());
        }
        if typo_of(label, pl) {
            return Some(p_reg.clone());
        }
    }
    None
}

/// Whether `label` is one edit away from the protected label `pl` (two from labels of eight
/// letters or more), and not equal to it. Labels under five letters are too short to tell a
/// typo from another name.
fn typo_of(label: &str, pl: &str) -> bool {
    let limit = if pl.len() >= 8 {
        2
    } else if pl.len() >= 5 {
        1
    } else {
        return false;
    };
    // Cheap necessary conditions first. Lengths further apart than the limit cannot be within
    // it; typo-squats keep the first or the last letter; and the letters the two do not share
    // (as multisets) bound the distance from below, since a transposition keeps the letters.
    if label.len().abs_diff(pl.len()) > limit
        || (label.as_bytes().first() != pl.as_bytes().first()
            && label.as_bytes().last() != pl.as_bytes().last())
        || letters_apart(label, pl) > limit
    {
        return false;
    }
    let d = crate::text::edit_distance(label, pl);
    d > 0 && d <= limit
}

/// How many letters one of two ASCII words has that the other lacks, counted as multisets
/// (the larger of the two sides): a lower bound of their edit distance. 0 for non-ASCII.
fn letters_apart(a: &str, b: &str) -> usize {
    if !a.is_ascii() || !b.is_ascii() {
        return 0;
    }
    let mut count = [0i16; 128];
    for &c in a.as_bytes() {
        count[c as usize] += 1;
    }
    for &c in b.as_bytes() {
        count[c as usize] -= 1;
    }
    let (mut more, mut fewer) = (0usize, 0usize);
    for &c in &count {
        if c > 0 {
            more += c as usize;
        } else {
            fewer += (-c) as usize;
        }
    }
    more.max(fewer)
}

/// Lookalike of a protected domain: same confusable skeleton, or one or two edits away.
pub fn lookalike_of<'d>(reg: &str, protected: impl Iterator<Item = &'d str>) -> Option<String> {
    let label = domain_label(reg);
    if label.len() < 4 {
        return None;
    }
    let sk = skeleton_of(label);
    for p in protected {
        let p_reg = registrable_domain(p);
        if p_reg == reg {
            continue;
        }
        let pl = domain_label(&p_reg);
        if pl.len() < 4 || pl == label {
            continue;
        }
        if skeleton_of(pl) == sk {
            return Some(p_reg);
        }
        if typo_of(label, pl) {
            return Some(p_reg);
        }
    }
    None
}
