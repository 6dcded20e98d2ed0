//! Events per second: parsing + detection over a mix of sign-ins, audits and mailbox records.
//! `cargo bench -p ward-identity --bench observe`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use ward_identity::{Detector, DetectorConfig, adapters::parse_owned};

fn records() -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..1000 {
        let v: Value = match i % 5 {
            0 => {
                json!({"id": i.to_string(), "createdDateTime": format!("2025-03-01T10:{:02}:{:02}Z", (i / 60) % 60, i % 60),
                "userPrincipalName": format!("user{}@contoso.com", i % 50), "ipAddress": format!("198.51.100.{}", i % 250),
                "clientAppUsed": "Browser", "status": {"errorCode": if i % 7 == 0 { 50126 } else { 0 }},
                "location": {"countryOrRegion": "US", "geoCoordinates": {"latitude": 47.6, "longitude": -122.3}},
                "userAgent": "Mozilla/5.0", "riskLevelDuringSignIn": "none", "riskState": "none"})
            }
            1 => {
                json!({"time": "2025-03-01 10:00:00.000", "category": "SignInLogs", "operationName": "Sign-in activity",
                "properties": {"userPrincipalName": format!("user{}@contoso.com", i % 50), "ipAddress": "203.0.113.5",
                "authenticationProtocol": "deviceCode", "appId": "29d9ed98-a469-4536-ade2-f981bc1d605e", "status": {"errorCode": 0}}})
            }
            2 => {
                json!({"CreationTime": "2025-03-01T10:00:00", "Id": i.to_string(), "Operation": "New-InboxRule", "RecordType": 1,
                "Workload": "Exchange", "UserId": "a@contoso.com", "ClientIP": "1.2.3.4:555",
                "Parameters": [{"Name": "Name", "Value": "."}, {"Name": "ForwardTo", "Value": "x@evil.example"}, {"Name": "DeleteMessage", "Value": "True"}]})
            }
            3 => {
                json!({"id": i.to_string(), "activityDateTime": "2025-03-01T10:00:00Z", "activityDisplayName": "Consent to application",
                "result": "success", "initiatedBy": {"user": {"userPrincipalName": "a@contoso.com"}},
                "targetResources": [{"displayName": "App", "type": "ServicePrincipal",
                "modifiedProperties": [{"displayName": "ConsentAction.Permissions", "newValue": "Scope: Mail.Read offline_access"}]}]})
            }
            _ => {
                json!({"CreationTime": "2025-03-01T10:00:00", "Id": i.to_string(), "Operation": "MailItemsAccessed", "RecordType": 50,
                "Workload": "Exchange", "UserId": "a@contoso.com", "MailboxOwnerUPN": "a@contoso.com", "OperationCount": 3})
            }
        };
        out.push(v.to_string());
    }
    out
}

fn bench(c: &mut Criterion) {
    let recs = records();
    let mut g = c.benchmark_group("hunt");
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("parse+observe 1000 mixed records", |b| {
        b.iter(|| {
            let mut d = Detector::new(DetectorConfig::default()).expect("detector");
            let mut alerts = 0;
            for r in &recs {
                let v: Value = serde_json::from_str(r).expect("json");
                if let Ok(e) = parse_owned(v) {
                    alerts += usize::from(ward_identity::is_alert(&d.observe(&e)));
                }
            }
            alerts
        })
    });
    g.finish();
    // What the loop above pays once per iteration (CEL environment, empty rule sets).
    c.bench_function("Detector::new", |b| {
        b.iter(|| Detector::new(DetectorConfig::default()).expect("detector"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
