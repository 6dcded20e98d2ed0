//! Every IP the generator writes into a sign-in is placed by the open GeoIP data in the country
//! the sign-in's `location.countryOrRegion` says, and its ASN matches `autonomousSystemNumber`.
//! Data: `./scripts/fetch-geoip` → `.ward/geoip/` (override with `WARD_GEOIP_DIR`). Skips with a
//! message when the data is absent.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use ward_scenario::{ScenarioConfig, TimedAction, all_sign_in_prefixes, generate};

fn geoip_dir() -> PathBuf {
    match std::env::var_os("WARD_GEOIP_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.ward/geoip"),
    }
}

struct Geo {
    mmdb: maxminddb::Reader<Vec<u8>>,
    /// start → (end, asn)
    asn: BTreeMap<u32, (u32, u32)>,
}

impl Geo {
    fn load() -> Option<Geo> {
        let dir = geoip_dir();
        let mmdb = maxminddb::Reader::open_readfile(dir.join("country.mmdb")).ok()?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(dir.join("asn-ipv4.csv"))
            .ok()?;
        let mut asn = BTreeMap::new();
        for rec in rdr.records().flatten() {
            let (Some(a), Some(b), Some(n)) = (rec.get(0), rec.get(1), rec.get(2)) else {
                continue;
            };
            let (Ok(a), Ok(b), Ok(n)) = (
                a.parse::<Ipv4Addr>(),
                b.parse::<Ipv4Addr>(),
                n.parse::<u32>(),
            ) else {
                continue;
            };
            asn.insert(u32::from(a), (u32::from(b), n));
        }
        Some(Geo { mmdb, asn })
    }

    fn country(&self, ip: Ipv4Addr) -> Option<String> {
        let r = self.mmdb.lookup(IpAddr::V4(ip)).ok()?;
        let m: BTreeMap<String, String> = r.decode().ok()??;
        m.get("country_code").cloned()
    }

    fn asn(&self, ip: Ipv4Addr) -> Option<u32> {
        let x = u32::from(ip);
        let (_, &(end, asn)) = self.asn.range(..=x).next_back()?;
        (x <= end).then_some(asn)
    }
}

#[test]
fn sign_in_ips_match_geoip_country_and_asn() {
    let Some(geo) = Geo::load() else {
        eprintln!(
            "SKIP: no GeoIP data in {} (run ./scripts/fetch-geoip or set WARD_GEOIP_DIR)",
            geoip_dir().display()
        );
        return;
    };
    // The whole table: first, middle and last usable host of every prefix.
    for (cc, asn, cidr) in all_sign_in_prefixes() {
        let (base, len) = cidr.split_once('/').unwrap_or((cidr, "32"));
        let base = u32::from(base.parse::<Ipv4Addr>().unwrap_or(Ipv4Addr::UNSPECIFIED));
        let size = 1u64 << (32 - len.parse::<u32>().unwrap_or(32));
        for off in [1, size / 2 + 1, size - 2] {
            let ip = Ipv4Addr::from(base + off as u32);
            assert_eq!(
                geo.country(ip).as_deref(),
                Some(cc),
                "{cidr} ({ip}) country"
            );
            assert_eq!(geo.asn(ip), Some(asn), "{cidr} ({ip}) ASN");
        }
    }
    // Every sign-in the generator emits, history and timeline, for a few companies.
    let mut checked = 0;
    for seed in [1u64, 2, 3, 42] {
        let s = generate(&ScenarioConfig {
            seed,
            users: 60,
            history_days: 3,
            messages_per_user_per_day: 1.0,
            ..Default::default()
        });
        let timeline = s.timeline.iter().filter_map(|e| match &e.action {
            TimedAction::SignIn { sign_in } => Some(sign_in),
            _ => None,
        });
        for si in s.sign_ins.iter().chain(timeline) {
            let ip: Ipv4Addr = si["ipAddress"]
                .as_str()
                .and_then(|x| x.parse().ok())
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            let cc = si["location"]["countryOrRegion"].as_str().unwrap_or("");
            assert_eq!(geo.country(ip).as_deref(), Some(cc), "sign-in {ip}");
            assert_eq!(
                geo.asn(ip).map(u64::from),
                si["autonomousSystemNumber"].as_u64(),
                "sign-in {ip} ASN"
            );
            checked += 1;
        }
    }
    assert!(checked > 500);
}
