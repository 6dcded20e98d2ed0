//! A small curated table of real IPv4 prefixes by country and kind (residential ISP, business
//! line, hosting/VPS, VPN, Tor) with their real AS numbers. Every prefix was checked against the
//! open ip-location-db data (country.mmdb, asn-ipv4.csv) so a defender's GeoIP/ASN lookups agree
//! with the `location` and `autonomousSystemNumber` the generator writes; the `geoip` test keeps
//! it that way.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use crate::rng::Rng;

#[derive(Debug, Clone, Copy)]
pub(crate) struct City {
    pub name: &'static str,
    pub state: &'static str,
    pub lat: f64,
    pub lon: f64,
    /// Standard-time offset from UTC in minutes (DST ignored; good enough for working hours).
    pub tz_min: i32,
    /// Windows time-zone name for `mailboxSettings.timeZone`.
    pub tz_name: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Block {
    pub asn: u32,
    /// AS organisation as in asn-ipv4.csv (documentation of the table; not emitted).
    #[allow(dead_code)]
    pub org: &'static str,
    pub cidr: &'static str,
}

#[derive(Debug)]
pub(crate) struct Country {
    pub code: &'static str,
    pub name: &'static str,
    pub tld: &'static str,
    /// Exchange Online datacenter naming for this region (`namprd11`, `eurprd05`...).
    pub exo_region: &'static str,
    pub locale: &'static str,
    pub cities: &'static [City],
    pub residential: &'static [Block],
    pub corporate: &'static [Block],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InfraKind {
    Hosting,
    Vpn,
    Tor,
    Residential,
}

/// Infrastructure an attacker (or a hotel Wi-Fi) signs in from, outside the home country.
#[derive(Debug)]
pub(crate) struct Infra {
    pub country: &'static str,
    pub city: City,
    pub kind: InfraKind,
    pub block: Block,
}

const fn city(
    name: &'static str,
    state: &'static str,
    lat: f64,
    lon: f64,
    tz_min: i32,
    tz_name: &'static str,
) -> City {
    City {
        name,
        state,
        lat,
        lon,
        tz_min,
        tz_name,
    }
}

const fn block(asn: u32, org: &'static str, cidr: &'static str) -> Block {
    Block { asn, org, cidr }
}

pub(crate) static US: Country = Country {
    code: "US",
    name: "United States",
    tld: "com",
    exo_region: "namprd",
    locale: "en-US",
    cities: &[
        city(
            "Boston",
            "Massachusetts",
            42.3601,
            -71.0589,
            -300,
            "Eastern Standard Time",
        ),
        city(
            "Chicago",
            "Illinois",
            41.8781,
            -87.6298,
            -360,
            "Central Standard Time",
        ),
        city(
            "Denver",
            "Colorado",
            39.7392,
            -104.9903,
            -420,
            "Mountain Standard Time",
        ),
        city(
            "Seattle",
            "Washington",
            47.6062,
            -122.3321,
            -480,
            "Pacific Standard Time",
        ),
        city(
            "Atlanta",
            "Georgia",
            33.749,
            -84.388,
            -300,
            "Eastern Standard Time",
        ),
    ],
    residential: &[
        block(7922, "Comcast Cable Communications, LLC", "73.0.0.0/12"),
        block(7922, "Comcast Cable Communications, LLC", "98.192.0.0/12"),
        block(701, "Verizon Business", "71.112.0.0/13"),
        block(20115, "Charter Communications", "174.80.0.0/13"),
    ],
    corporate: &[
        block(6461, "Zayo Bandwidth", "167.217.0.0/16"),
        block(3356, "Level 3 Communications, Inc.", "8.64.64.0/18"),
    ],
};

pub(crate) static GB: Country = Country {
    code: "GB",
    name: "United Kingdom",
    tld: "co.uk",
    exo_region: "eurprd",
    locale: "en-GB",
    cities: &[
        city(
            "London",
            "England",
            51.5072,
            -0.1276,
            0,
            "GMT Standard Time",
        ),
        city(
            "Manchester",
            "England",
            53.4808,
            -2.2426,
            0,
            "GMT Standard Time",
        ),
        city("Leeds", "England", 53.8008, -1.5491, 0, "GMT Standard Time"),
        city(
            "Bristol",
            "England",
            51.4545,
            -2.5879,
            0,
            "GMT Standard Time",
        ),
        city(
            "Edinburgh",
            "Scotland",
            55.9533,
            -3.1883,
            0,
            "GMT Standard Time",
        ),
    ],
    residential: &[
        block(2856, "British Telecommunications PLC", "86.128.0.0/11"),
        block(5089, "Virgin Media Limited", "86.0.0.0/12"),
        block(5607, "Sky UK Limited", "90.192.0.0/11"),
    ],
    corporate: &[
        block(5378, "Vodafone Limited", "90.240.0.0/12"),
        block(2856, "British Telecommunications PLC", "81.128.0.0/12"),
    ],
};

pub(crate) static DE: Country = Country {
    code: "DE",
    name: "Germany",
    tld: "de",
    exo_region: "eurprd",
    locale: "de-DE",
    cities: &[
        city(
            "Munich",
            "Bavaria",
            48.1351,
            11.582,
            60,
            "W. Europe Standard Time",
        ),
        city(
            "Hamburg",
            "Hamburg",
            53.5511,
            9.9937,
            60,
            "W. Europe Standard Time",
        ),
        city(
            "Frankfurt am Main",
            "Hesse",
            50.1109,
            8.6821,
            60,
            "W. Europe Standard Time",
        ),
        city(
            "Berlin",
            "Berlin",
            52.52,
            13.405,
            60,
            "W. Europe Standard Time",
        ),
        city(
            "Cologne",
            "North Rhine-Westphalia",
            50.9375,
            6.9603,
            60,
            "W. Europe Standard Time",
        ),
    ],
    residential: &[
        block(3320, "Deutsche Telekom AG", "93.192.0.0/10"),
        block(3209, "Vodafone GmbH", "88.64.0.0/12"),
        block(6805, "Telefonica Germany GmbH & Co.OHG", "77.176.0.0/12"),
    ],
    corporate: &[
        block(3320, "Deutsche Telekom AG", "87.128.0.0/10"),
        block(3209, "Vodafone GmbH", "178.0.0.0/12"),
    ],
};

/// Countries a company can be based in.
pub(crate) static HOME_COUNTRIES: [&Country; 3] = [&US, &GB, &DE];

/// Where staff travel (hotel and home broadband abroad) and where attackers rent servers.
pub(crate) static INFRA: &[Infra] = &[
    // travel: residential broadband abroad
    Infra {
        country: "FR",
        city: city("Paris", "Ile-de-France", 48.8566, 2.3522, 60, ""),
        kind: InfraKind::Residential,
        block: block(3215, "Orange S.A.", "90.0.0.0/12"),
    },
    Infra {
        country: "FR",
        city: city("Lyon", "Auvergne-Rhone-Alpes", 45.764, 4.8357, 60, ""),
        kind: InfraKind::Residential,
        block: block(12322, "Free SAS", "88.160.0.0/11"),
    },
    Infra {
        country: "NL",
        city: city("Amsterdam", "North Holland", 52.3676, 4.9041, 60, ""),
        kind: InfraKind::Residential,
        block: block(1136, "KPN B.V.", "77.160.0.0/12"),
    },
    Infra {
        country: "NL",
        city: city("Rotterdam", "South Holland", 51.9244, 4.4777, 60, ""),
        kind: InfraKind::Residential,
        block: block(33915, "Vodafone Libertel B.V.", "94.208.0.0/13"),
    },
    Infra {
        country: "US",
        city: city("New York", "New York", 40.7128, -74.006, -300, ""),
        kind: InfraKind::Residential,
        block: block(7922, "Comcast Cable Communications, LLC", "73.0.0.0/12"),
    },
    Infra {
        country: "GB",
        city: city("London", "England", 51.5072, -0.1276, 0, ""),
        kind: InfraKind::Residential,
        block: block(2856, "British Telecommunications PLC", "86.128.0.0/11"),
    },
    Infra {
        country: "DE",
        city: city("Berlin", "Berlin", 52.52, 13.405, 60, ""),
        kind: InfraKind::Residential,
        block: block(3320, "Deutsche Telekom AG", "93.192.0.0/10"),
    },
    Infra {
        country: "NG",
        city: city("Lagos", "Lagos", 6.5244, 3.3792, 60, ""),
        kind: InfraKind::Residential,
        block: block(29465, "MTN NIGERIA Communication limited", "102.88.0.0/13"),
    },
    // hosting / VPS
    Infra {
        country: "NL",
        city: city("Amsterdam", "North Holland", 52.3676, 4.9041, 60, ""),
        kind: InfraKind::Hosting,
        block: block(14061, "DigitalOcean, LLC", "68.183.0.0/20"),
    },
    Infra {
        country: "GB",
        city: city("London", "England", 51.5072, -0.1276, 0, ""),
        kind: InfraKind::Hosting,
        block: block(14061, "DigitalOcean, LLC", "46.101.0.0/18"),
    },
    Infra {
        country: "SG",
        city: city("Singapore", "Singapore", 1.3521, 103.8198, 480, ""),
        kind: InfraKind::Hosting,
        block: block(14061, "DigitalOcean, LLC", "68.183.176.0/20"),
    },
    Infra {
        country: "IN",
        city: city("Bengaluru", "Karnataka", 12.9716, 77.5946, 330, ""),
        kind: InfraKind::Hosting,
        block: block(14061, "DigitalOcean, LLC", "68.183.80.0/20"),
    },
    Infra {
        country: "US",
        city: city("New York", "New York", 40.7128, -74.006, -300, ""),
        kind: InfraKind::Hosting,
        block: block(14061, "DigitalOcean, LLC", "45.55.0.0/16"),
    },
    Infra {
        country: "FR",
        city: city("Roubaix", "Hauts-de-France", 50.6942, 3.1746, 60, ""),
        kind: InfraKind::Hosting,
        block: block(16276, "OVH SAS", "51.254.0.0/15"),
    },
    Infra {
        country: "FR",
        city: city("Gravelines", "Hauts-de-France", 50.9865, 2.1283, 60, ""),
        kind: InfraKind::Hosting,
        block: block(16276, "OVH SAS", "54.36.96.0/20"),
    },
    Infra {
        country: "FI",
        city: city("Helsinki", "Uusimaa", 60.1699, 24.9384, 120, ""),
        kind: InfraKind::Hosting,
        block: block(24940, "Hetzner Online GmbH", "95.216.0.0/15"),
    },
    Infra {
        country: "DE",
        city: city("Falkenstein", "Saxony", 50.4779, 12.3713, 60, ""),
        kind: InfraKind::Hosting,
        block: block(24940, "Hetzner Online GmbH", "78.46.0.0/15"),
    },
    Infra {
        country: "US",
        city: city("Las Vegas", "Nevada", 36.1699, -115.1398, -480, ""),
        kind: InfraKind::Hosting,
        block: block(53667, "FranTech Solutions", "209.141.32.0/19"),
    },
    Infra {
        country: "JP",
        city: city("Tokyo", "Tokyo", 35.6762, 139.6503, 540, ""),
        kind: InfraKind::Hosting,
        block: block(20473, "The Constant Company, LLC", "45.76.96.0/20"),
    },
    // VPN exits and Tor
    Infra {
        country: "RO",
        city: city("Bucharest", "Bucharest", 44.4268, 26.1025, 120, ""),
        kind: InfraKind::Vpn,
        block: block(9009, "M247 Europe SRL", "146.70.32.0/20"),
    },
    Infra {
        country: "NL",
        city: city("Amsterdam", "North Holland", 52.3676, 4.9041, 60, ""),
        kind: InfraKind::Vpn,
        block: block(43350, "NForce Entertainment B.V.", "185.107.56.0/22"),
    },
    Infra {
        country: "DE",
        city: city("Frankfurt am Main", "Hesse", 50.1109, 8.6821, 60, ""),
        kind: InfraKind::Tor,
        block: block(60729, "Stiftung Erneuerbare Freiheit", "185.220.101.0/24"),
    },
];

/// Mail-sending infrastructure (not sign-ins): address pools of the big senders.
pub(crate) static MAIL_GOOGLE: Block = block(15169, "Google LLC", "209.85.128.0/17");
pub(crate) static MAIL_EXO: Block = block(8075, "Microsoft Corporation", "40.107.0.0/16");
pub(crate) static MAIL_SES: Block = block(14618, "Amazon.com, Inc.", "54.240.8.0/21");
pub(crate) static MAIL_MAILCHIMP: Block = block(14782, "MailChimp", "198.2.128.0/18");
pub(crate) static MAIL_SENDGRID: Block = block(11377, "SendGrid, Inc.", "149.72.128.0/17");
pub(crate) static MAIL_SALESFORCE: Block = block(14340, "Salesforce.com, Inc.", "13.110.0.0/16");
pub(crate) static MAIL_GITHUB: Block = block(36459, "GitHub, Inc.", "192.30.252.0/22");

impl Block {
    fn parsed(&self) -> (u32, u32) {
        let (a, l) = self.cidr.split_once('/').unwrap_or((self.cidr, "32"));
        let base: u32 = a.parse::<Ipv4Addr>().map(u32::from).unwrap_or(0);
        let len: u32 = l.parse().unwrap_or(32).min(32);
        (base, len)
    }

    /// A host address inside the prefix, never the .0 or .255 of a /24.
    pub(crate) fn host(&self, rng: &mut Rng) -> String {
        let (base, len) = self.parsed();
        let size = if len == 0 {
            u32::MAX
        } else {
            1u32 << (32 - len).min(31)
        };
        let mut ip = base.wrapping_add(rng.range(0, u64::from(size)) as u32);
        let last = ip & 0xff;
        if last == 0 || last == 255 {
            ip = (ip & !0xff) | (1 + rng.range(0, 253) as u32);
        }
        Ipv4Addr::from(ip).to_string()
    }
}

/// Graph `signIn.location`.
pub(crate) fn location_json(city: &City, country: &str, rng: &mut Rng) -> Value {
    // City-level geolocation jitters by a few km between lookups.
    let jlat = (rng.unit() - 0.5) * 0.08;
    let jlon = (rng.unit() - 0.5) * 0.08;
    json!({
        "city": city.name,
        "state": city.state,
        "countryOrRegion": country,
        "geoCoordinates": {
            "altitude": null,
            "latitude": ((city.lat + jlat) * 1e4).round() / 1e4,
            "longitude": ((city.lon + jlon) * 1e4).round() / 1e4,
        }
    })
}

/// Infrastructure entries of a kind outside `home` (attackers avoid the victim's country here
/// so the sign-in stands out the way real ones do).
pub(crate) fn foreign(kind: InfraKind, home: &str) -> Vec<&'static Infra> {
    INFRA
        .iter()
        .filter(|i| i.kind == kind && i.country != home)
        .collect()
}

/// Every prefix the sign-in generator can draw from, with the country it must geolocate to.
#[doc(hidden)]
pub fn all_sign_in_prefixes() -> Vec<(&'static str, u32, &'static str)> {
    let mut v = Vec::new();
    for c in HOME_COUNTRIES {
        for b in c.residential.iter().chain(c.corporate) {
            v.push((c.code, b.asn, b.cidr));
        }
    }
    for i in INFRA {
        v.push((i.country, i.block.asn, i.block.cidr));
    }
    v
}
