//! Hostile input on stable Rust (the libFuzzer target is in `fuzz/`): random bytes through every
//! reader, records with every field replaced by junk of another type, very long lines.

use proptest::prelude::*;
use serde_json::{Value, json};
use ward_identity::{Correlator, Detector, DetectorConfig, adapters, reader};

fn junk() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("[{\"Name\":1}]")),
        Just(Value::from("{\"countryOrRegion\":5}")),
        Just(Value::from("1.2.3.4:99999")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Real record shapes whose fields get replaced.
fn templates() -> Vec<Value> {
    vec![
        json!({"createdDateTime": "2025-01-01T00:00:00Z", "userPrincipalName": "a@x.com", "ipAddress": "1.2.3.4",
            "status": {"errorCode": 0}, "location": {"countryOrRegion": "US", "geoCoordinates": {"latitude": 1.0, "longitude": 2.0}},
            "authenticationProtocol": "deviceCode", "riskEventTypes_v2": ["x"], "sessionId": "s"}),
        json!({"time": "2025-01-01", "category": "AuditLogs", "operationName": "x", "properties": {"activityDisplayName": "Update conditional access policy",
            "initiatedBy": {"user": {"userPrincipalName": "a@x.com"}}, "targetResources": [{"modifiedProperties": [{"displayName": "ConditionalAccessPolicy", "oldValue": "{}", "newValue": "{}"}]}]}}),
        json!({"CreationTime": "2025-01-01T00:00:00", "Operation": "New-InboxRule", "RecordType": 1, "Workload": "Exchange",
            "UserId": "a@x.com", "Parameters": [{"Name": "ForwardTo", "Value": "b@y.com"}], "ModifiedProperties": [], "Folders": []}),
        json!({"title": "t", "severity": "high", "status": "new", "evidence": [{"userAccount": {"userPrincipalName": "a@x.com"}}]}),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn junk_fields_never_panic(t in 0usize..4, key_pick in any::<prop::sample::Index>(), j in junk(), extra in junk()) {
        let mut v = templates()[t].clone();
        if let Value::Object(m) = &mut v {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = key_pick.get(&keys).clone();
            m.insert(k, j);
            if let Value::Object(p) = m.get_mut("properties").unwrap_or(&mut Value::Null) {
                p.insert("initiatedBy".into(), extra.clone());
            }
        }
        let mut d = Detector::new(DetectorConfig::default()).expect("detector");
        let mut c = Correlator::default();
        if let Ok(e) = adapters::parse_value(&v) {
            let hits = d.observe(&e);
            c.add(&e, &hits);
        }
        let _ = adapters::parse_row(&v);
        let _ = adapters::parse_value(&extra);
    }

    #[test]
    fn random_bytes_through_every_reader(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["a.jsonl", "a.json", "a.csv"] {
            let p = dir.path().join(name);
            std::fs::write(&p, &data).expect("write");
            let r = reader::read_file(&p).expect("open");
            prop_assert!(r.count() <= data.len() + 1);
        }
    }
}

#[test]
fn oversized_and_deeply_nested_records_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("big.jsonl");
    let mut text = String::from("{\"a\":\"");
    text.push_str(&"x".repeat(reader::MAX_RECORD_BYTES + 10));
    text.push_str("\"}\n");
    text.push_str(&"[".repeat(100_000));
    text.push('\n');
    text.push_str(r#"{"createdDateTime":"2025-01-01T00:00:00Z","userPrincipalName":"a@x.com","ipAddress":"1.2.3.4","status":{"errorCode":0}}"#);
    std::fs::write(&p, text).expect("write");
    let got: Vec<(usize, bool)> = reader::read_file(&p)
        .expect("open")
        .map(|(i, r)| (i, r.is_ok()))
        .collect();
    assert_eq!(got, vec![(0, false), (1, false), (2, true)]);
    let arr = dir.path().join("deep.json");
    std::fs::write(&arr, format!("[{}", "[".repeat(200_000))).expect("write");
    let got: Vec<_> = reader::read_file(&arr).expect("open").collect();
    assert!(got.len() <= 1 && got.iter().all(|(_, r)| r.is_err()));
}

#[test]
fn huge_counts_and_extreme_times_do_not_overflow() {
    let mut d = Detector::new(DetectorConfig::default()).expect("detector");
    for (i, t) in [
        "2025-03-01T10:00:00",
        "2025-03-01T10:00:01",
        "+262142-12-31T23:59:59Z",
        "-262143-01-01T00:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let rec = json!({"CreationTime": t, "Id": i.to_string(), "Operation": "MailItemsAccessed", "RecordType": 50, "Workload": "Exchange",
            "UserId": "a@c.com", "OperationCount": i64::MAX});
        if let Ok(e) = adapters::parse_value(&rec) {
            d.observe(&e);
        }
        let signin = json!({"createdDateTime": t, "userPrincipalName": "a@c.com", "ipAddress": "1.2.3.4", "status": {"errorCode": 50126},
            "location": {"countryOrRegion": "US", "geoCoordinates": {"latitude": 1e308, "longitude": -1e308}}});
        if let Ok(e) = adapters::parse_value(&signin) {
            d.observe(&e);
        }
    }
}
