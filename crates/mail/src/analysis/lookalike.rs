//! Look-alike domains: the same confusable skeleton (UTS #39) as a protected domain, or one or
//! two typing errors away from it. Used for the sender's domain (tenant, partners, brands) and
//! for link hosts (brands).

use foldhash::{HashMap, HashMapExt};
use std::sync::LazyLock;

use super::brands::BRANDS;
use crate::text::{domain_label, registrable_domain, skeleton_of};

/// The brands' main domains with their labels and confusable skeletons, computed once, and
/// indexed: by skeleton, and by first or last letter and length (a typo keeps one of the two
/// and changes the length by two at most), so that a domain is compared with the few brands
/// it could imitate rather than all of them.
struct BrandIndex {
    /// `(registrable domain, label, skeleton)`, in the order of [`BRANDS`].
    brands: Vec<(String, String, String)>,
    by_skeleton: HashMap<String, Vec<usize>>,
    /// Indices of the brands by (first byte of the label, its length) and by (last byte,
    /// length), in ascending order: a typo-squat keeps the first or the last letter.
    by_first: HashMap<(u8, usize), Vec<usize>>,
    by_last: HashMap<(u8, usize), Vec<usize>>,
}

static BRAND_INDEX: LazyLock<BrandIndex> = LazyLock::new(|| {
    let brands: Vec<(String, String, String)> = BRANDS
        .iter()
        .filter_map(|b| b.domains.first())
        .map(|d| {
            let reg = registrable_domain(d);
            let label = domain_label(&reg).to_string();
            let sk = skeleton_of(&label);
            (reg, label, sk)
        })
        .collect();
    let mut by_skeleton: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_first: HashMap<(u8, usize), Vec<usize>> = HashMap::new();
    let mut by_last: HashMap<(u8, usize), Vec<usize>> = HashMap::new();
    for (i, (_, label, sk)) in brands.iter().enumerate() {
        by_skeleton.entry(sk.clone()).or_default().push(i);
        if let (Some(&first), Some(&last)) = (label.as_bytes().first(), label.as_bytes().last()) {
            by_first.entry((first, label.len())).or_default().push(i);
            by_last.entry((last, label.len())).or_default().push(i);
        }
    }
    BrandIndex {
        brands,
        by_skeleton,
        by_first,
        by_last,
    }
});

/// Lookalike of a well-known brand's main domain (see [`lookalike_of`]): the first brand, in
/// the order of [`BRANDS`], whose domain `reg` is not but whose label has the same skeleton as
/// `reg`'s or is a typo away from it.
pub fn lookalike_of_brand(reg: &str) -> Option<String> {
    let label = domain_label(reg);
    if label.len() < 4 {
        return None;
    }
    let index = &*BRAND_INDEX;
    let eligible = |i: usize| {
        let (p_reg, pl, _) = &index.brands[i];
        p_reg != reg && pl.len() >= 4 && pl != label
    };
    let mut best = index
        .by_skeleton
        .get(&skeleton_of(label))
        .and_then(|v| v.iter().copied().find(|&i| eligible(i)));
    let (first, last) = (label.as_bytes()[0], label.as_bytes()[label.len() - 1]);
    for n in label.len().saturating_sub(2)..=label.len() + 2 {
        let groups = [
            index.by_first.get(&(first, n)),
            index.by_last.get(&(last, n)),
        ];
        for group in groups.into_iter().flatten() {
            for &i in group.iter().take_while(|&&i| best.is_none_or(|b| i < b)) {
                if eligible(i) && typo_of(label, &index.brands[i].1) {
                    best = Some(i);
                    break;
                }
            }
        }
    }
    best.map(|i| index.brands[i].0.clone())
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
    // Each letter's balance read once (and cleared), over the two words' own letters rather
    // than the whole table.
    let (mut more, mut fewer) = (0usize, 0usize);
    for &c in a.as_bytes().iter().chain(b.as_bytes()) {
        let n = std::mem::take(&mut count[c as usize]);
        if n > 0 {
            more += n as usize;
        } else {
            fewer += (-n) as usize;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The brand check as a plain scan over every brand, in order.
    fn scan_all(reg: &str) -> Option<String> {
        let label = domain_label(reg);
        if label.len() < 4 {
            return None;
        }
        let sk = skeleton_of(label);
        BRAND_INDEX
            .brands
            .iter()
            .find(|(p_reg, pl, psk)| {
                p_reg != reg && pl.len() >= 4 && pl != label && (*psk == sk || typo_of(label, pl))
            })
            .map(|b| b.0.clone())
    }

    #[test]
    fn letters_apart_counts_the_letters_one_side_lacks() {
        assert_eq!(letters_apart("abc", "cba"), 0);
        assert_eq!(letters_apart("paypal", "paypa1"), 1);
        assert_eq!(letters_apart("aab", "abb"), 1);
        assert_eq!(letters_apart("microsoft", "rnicrosoft"), 2);
        assert_eq!(letters_apart("amazon", "amazonsupport"), 7);
        assert_eq!(letters_apart("pаypal", "paypal"), 0, "non-ASCII: no bound");
    }

    /// The index finds what the scan over every brand finds, on the brands' own domains, on
    /// one and two random edits of them, on confusable spellings and on unrelated names.
    #[test]
    fn the_index_finds_what_a_scan_of_every_brand_finds() {
        let mut rng = crate::test_rng::XorShift::new(0x9E37_79B9_7F4A_7C15u64);
        let letters = b"abcdefghijklmnopqrstuvwxyz0123456789-";
        let mut domains: Vec<String> = Vec::new();
        for (reg, label, _) in &BRAND_INDEX.brands {
            domains.push(reg.clone());
            let tld = &reg[label.len()..];
            for _ in 0..6 {
                let mut l = label.as_bytes().to_vec();
                for _ in 0..1 + rng.below(2) {
                    let at = rng.below(l.len() + 1);
                    match rng.below(4) {
                        0 if at < l.len() => {
                            l.remove(at);
                        }
                        1 if at + 1 < l.len() => l.swap(at, at + 1),
                        2 if at < l.len() => l[at] = letters[rng.below(letters.len())],
                        _ => l.insert(at, letters[rng.below(letters.len())]),
                    }
                }
                domains.push(format!("{}{tld}", String::from_utf8_lossy(&l)));
            }
            domains.push(format!(
                "{}{tld}",
                label.replace('m', "rn").replace('o', "0")
            ));
        }
        domains.extend(["example.com", "my-shop.net", "a.io", "newsletter.org"].map(String::from));
        let mut found = 0;
        for d in &domains {
            let want = scan_all(d);
            found += want.is_some() as usize;
            assert_eq!(lookalike_of_brand(d), want, "{d}");
        }
        assert!(found > domains.len() / 2, "{found} of {}", domains.len());
    }
}
