//! Mail analysis: MIME parsing, named explainable signals, rules as data, verdicts.
