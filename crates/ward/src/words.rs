//! Small helpers for the words the CLI prints.

/// "1 file", "2 files": a count with the right form of its noun.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::plural;

    #[test]
    fn one_and_many() {
        assert_eq!(plural(0, "copy", "copies"), "0 copies");
        assert_eq!(plural(1, "copy", "copies"), "1 copy");
        assert_eq!(plural(2, "new message", "new messages"), "2 new messages");
    }
}
