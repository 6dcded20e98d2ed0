//! GeoIP: IP → country through any MMDB country database (`maxminddb`), and IP → AS number and
//! organisation through `range,ASN,org` CSV files (ip-location-db format) loaded into sorted range
//! tables searched by binary search. Ward ships no data; `scripts/fetch-geoip` fetches open data.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("cannot open country database {path}: {source}")]
    Mmdb {
        path: PathBuf,
        source: maxminddb::MaxMindDbError,
    },
    #[error("cannot read ASN table {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
}

/// Where the GeoIP data lives. Every part is optional.
#[derive(Debug, Clone, Default)]
pub struct GeoConfig {
    pub country_mmdb: Option<PathBuf>,
    pub asn_csv: Vec<PathBuf>,
}

impl GeoConfig {
    /// `country.mmdb`, `asn-ipv4.csv`, `asn-ipv6.csv` in `dir`, those that exist.
    pub fn from_dir(dir: &Path) -> GeoConfig {
        let mmdb = dir.join("country.mmdb");
        GeoConfig {
            country_mmdb: mmdb.is_file().then_some(mmdb),
            asn_csv: ["asn-ipv4.csv", "asn-ipv6.csv"]
                .iter()
                .map(|f| dir.join(f))
                .filter(|p| p.is_file())
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct CountryRecord {
    country_code: Option<String>,
    country: Option<IsoCountry>,
}

#[derive(Deserialize)]
struct IsoCountry {
    iso_code: Option<String>,
}

/// What GeoIP knows about an address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpInfo {
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub asn_org: Option<String>,
}

#[derive(Default)]
pub struct GeoIp {
    country: Option<maxminddb::Reader<Vec<u8>>>,
    v4: Vec<(u32, u32, u32, u32)>,
    v6: Vec<(u128, u128, u32, u32)>,
    orgs: Vec<String>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp")
            .field("country", &self.country.is_some())
            .field("v4_ranges", &self.v4.len())
            .field("v6_ranges", &self.v6.len())
            .finish()
    }
}

impl GeoIp {
    pub fn open(config: &GeoConfig) -> Result<GeoIp, GeoError> {
        let mut geo = GeoIp::default();
        if let Some(path) = &config.country_mmdb {
            geo.country =
                Some(
                    maxminddb::Reader::open_readfile(path).map_err(|source| GeoError::Mmdb {
                        path: path.clone(),
                        source,
                    })?,
                );
        }
        let mut interned: HashMap<String, u32> = HashMap::new();
        for path in &config.asn_csv {
            let csv_err = |source| GeoError::Csv {
                path: path.clone(),
                source,
            };
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_path(path)
                .map_err(csv_err)?;
            for rec in rdr.records() {
                let Ok(rec) = rec else { continue };
                let (Some(a), Some(b), Some(asn)) = (rec.get(0), rec.get(1), rec.get(2)) else {
                    continue;
                };
                let Ok(asn) = asn.trim().parse::<u32>() else {
                    continue;
                };
                let org = rec.get(3).unwrap_or("").to_string();
                let next = interned.len() as u32;
                let idx = *interned.entry(org.clone()).or_insert_with(|| {
                    geo.orgs.push(org);
                    next
                });
                match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
                    (Ok(IpAddr::V4(a)), Ok(IpAddr::V4(b))) => {
                        geo.v4.push((a.into(), b.into(), asn, idx))
                    }
                    (Ok(IpAddr::V6(a)), Ok(IpAddr::V6(b))) => {
                        geo.v6.push((a.into(), b.into(), asn, idx))
                    }
                    _ => {}
                }
            }
        }
        geo.v4.sort_unstable_by_key(|r| r.0);
        geo.v6.sort_unstable_by_key(|r| r.0);
        Ok(geo)
    }

    /// Whether any data was loaded.
    pub fn is_empty(&self) -> bool {
        self.country.is_none() && self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn lookup(&self, ip: IpAddr) -> IpInfo {
        let mut info = IpInfo::default();
        if let Some(reader) = &self.country
            && let Ok(res) = reader.lookup(ip)
            && let Ok(Some(rec)) = res.decode::<CountryRecord>()
        {
            info.country = rec
                .country_code
                .or_else(|| rec.country.and_then(|c| c.iso_code));
        }
        let hit = match ip {
            IpAddr::V4(v4) => find(&self.v4, u32::from(v4)),
            IpAddr::V6(v6) => find(&self.v6, u128::from(v6)),
        };
        if let Some((asn, org)) = hit {
            info.asn = Some(asn);
            info.asn_org = self
                .orgs
                .get(org as usize)
                .cloned()
                .filter(|o| !o.is_empty());
        }
        info
    }
}

fn find<T: Ord + Copy>(table: &[(T, T, u32, u32)], ip: T) -> Option<(u32, u32)> {
    let i = table.partition_point(|r| r.0 <= ip);
    let r = table.get(i.checked_sub(1)?)?;
    (ip <= r.1).then_some((r.2, r.3))
}

/// Kinds of network that matter for sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkClass {
    /// VPN / proxy / Tor services: the user hides where they are.
    Anonymizer,
    /// Cloud and VPS providers: people rarely sign in from there, attackers' tooling often does.
    Hosting,
}

/// AS numbers of hosting providers (Microsoft's 8075 excluded on purpose: Windows 365, AVD and
/// Microsoft's own services sign in from there all day).
const HOSTING_ASNS: &[u32] = &[
    16509, 14618, 15169, 396982, 14061, 16276, 24940, 63949, 20473, 9009, 60781, 51167, 36352,
    46606, 62567, 8100, 29802, 53667, 45102, 37963, 135377, 197540, 212238, 40021, 55286, 206092,
    47583, 8560, 30633, 19318, 25820, 22612, 32097, 13213, 202425, 42708, 31898,
];

/// AS numbers of networks known mainly for VPN / anonymizing services.
const ANONYMIZER_ASNS: &[u32] = &[60068, 212238, 9009, 136787, 207990, 208323, 39351, 200651];

const HOSTING_WORDS: &[&str] = &[
    "hosting",
    "datacenter",
    "data center",
    "vps",
    "dedicated server",
    "server",
    "cloud",
    "amazon",
    "digitalocean",
    "ovh",
    "hetzner",
    "linode",
    "akamai connected cloud",
    "vultr",
    "choopa",
    "leaseweb",
    "contabo",
    "alibaba",
    "tencent",
    "oracle",
    "scaleway",
    "colocation",
];

const ANONYMIZER_WORDS: &[&str] = &[
    "vpn",
    "proxy",
    "tor exit",
    "mullvad",
    "nordvpn",
    "proton",
    "private internet access",
    "expressvpn",
    "datacamp",
    "anonym",
    "hide",
    "surfshark",
    "cyberghost",
    "ipvanish",
];

/// Classifies a network by AS number and organisation name.
pub fn classify(asn: Option<u32>, org: Option<&str>) -> Option<NetworkClass> {
    if asn == Some(8075) {
        return None;
    }
    let org = org.unwrap_or("").to_ascii_lowercase();
    if asn.is_some_and(|a| ANONYMIZER_ASNS.contains(&a))
        || ANONYMIZER_WORDS.iter().any(|w| org.contains(w))
    {
        return Some(NetworkClass::Anonymizer);
    }
    if org.contains("microsoft") {
        return None;
    }
    if asn.is_some_and(|a| HOSTING_ASNS.contains(&a))
        || HOSTING_WORDS.iter().any(|w| org.contains(w))
    {
        return Some(NetworkClass::Hosting);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_table_binary_search() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("asn-ipv4.csv");
        std::fs::write(&p, "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n5.0.0.0,5.0.0.255,14061,DigitalOcean LLC\nbad,row\n")
            .expect("write");
        let geo = GeoIp::open(&GeoConfig {
            country_mmdb: None,
            asn_csv: vec![p],
        })
        .expect("open");
        let i = geo.lookup("5.0.0.7".parse().expect("ip"));
        assert_eq!(i.asn, Some(14061));
        assert_eq!(
            classify(i.asn, i.asn_org.as_deref()),
            Some(NetworkClass::Hosting)
        );
        assert_eq!(
            geo.lookup("1.0.0.255".parse().expect("ip"))
                .asn_org
                .as_deref(),
            Some("Cloudflare, Inc.")
        );
        assert_eq!(geo.lookup("1.0.1.0".parse().expect("ip")).asn, None);
        assert_eq!(geo.lookup("0.0.0.1".parse().expect("ip")).asn, None);
    }

    #[test]
    fn microsoft_is_not_hosting() {
        assert_eq!(
            classify(Some(8075), Some("MICROSOFT-CORP-MSN-AS-BLOCK")),
            None
        );
        assert_eq!(
            classify(Some(9009), Some("M247 Europe SRL")),
            Some(NetworkClass::Anonymizer)
        );
    }

    /// Real data when `WARD_GEOIP_DIR` (or `.ward/geoip`) holds it.
    #[test]
    fn real_geoip_data() {
        let dir = std::env::var("WARD_GEOIP_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ward/geoip"));
        let cfg = GeoConfig::from_dir(&dir);
        if cfg.country_mmdb.is_none() {
            eprintln!(
                "SKIP real_geoip_data: no GeoIP data in {} (run ./scripts/fetch-geoip)",
                dir.display()
            );
            return;
        }
        let geo = GeoIp::open(&cfg).expect("open geoip");
        let g = geo.lookup("8.8.8.8".parse().expect("ip"));
        assert_eq!(g.country.as_deref(), Some("US"));
        assert_eq!(g.asn, Some(15169));
        assert_eq!(geo.lookup("127.0.0.1".parse().expect("ip")).country, None);
    }
}
