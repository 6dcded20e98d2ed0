//! Identity analysis: sign-in and audit events from every source, signals, rules, incidents.
