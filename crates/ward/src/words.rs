//! Small helpers for the words and tables the CLI prints.

use comfy_table::presets::ASCII_FULL_CONDENSED;
use comfy_table::{LineStyle, Table, TableStyle};

/// Plain ASCII (it survives pipes, mail and tickets), every rule meeting the columns at a `+`:
/// the stock style draws the header rule as one unbroken `+=====+`.
const STYLE: TableStyle = ASCII_FULL_CONDENSED.header_separator(LineStyle::new('+', '=', '+', '+'));

/// A table with Ward's style and this header.
pub fn table<I, T>(header: I) -> Table
where
    I: IntoIterator<Item = T>,
    T: Into<comfy_table::Cell>,
{
    let mut t = Table::new();
    t.load_style(STYLE);
    t.set_header(header);
    t
}

pub use ward_pipeline::plural;

#[cfg(test)]
mod tests {
    use super::{plural, table};

    #[test]
    fn one_and_many() {
        assert_eq!(plural(0, "copy", "copies"), "0 copies");
        assert_eq!(plural(1, "copy", "copies"), "1 copy");
        assert_eq!(plural(2, "new message", "new messages"), "2 new messages");
    }

    #[test]
    fn every_rule_has_its_junctions() {
        let mut t = table(["id", "kind"]);
        t.add_row(["a1", "mail_campaign"]);
        let text = t.to_string();
        let rules: Vec<&str> = text.lines().filter(|l| l.starts_with('+')).collect();
        assert_eq!(rules.len(), 3, "{text}");
        for rule in rules {
            assert_eq!(rule.matches('+').count(), 3, "{rule}");
        }
        assert!(text.contains("+====+"), "{text}");
    }
}
