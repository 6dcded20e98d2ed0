//! The simulated company: name, domains, offices, people and their roles, devices and usual
//! networks, partner vendors, and the Exchange Online servers its mail passes through.

use chrono::{DateTime, Duration, Utc};

use crate::geo::{Block, City, Country, HOME_COUNTRIES};
use crate::names::{COMPANY_A, COMPANY_B, FIRST, LAST, VENDOR_A, VENDOR_B};
use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Ceo,
    Cfo,
    Exec,
    ItAdmin,
    DeptHead,
    ApClerk,
    Finance,
    Staff,
}

#[derive(Debug, Clone)]
pub(crate) struct Device {
    pub os: &'static str,
    pub browser: &'static str,
    pub user_agent: &'static str,
    pub device_id: String,
    pub display_name: Option<String>,
    pub managed: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub id: String,
    pub given: &'static str,
    pub surname: &'static str,
    pub display: String,
    pub upn: String,
    pub job_title: &'static str,
    pub department: &'static str,
    pub role: Role,
    pub office: usize,
    pub manager: Option<usize>,
    pub created: DateTime<Utc>,
    pub enabled: bool,
    pub home_block: Block,
    pub home_ip: String,
    pub devices: Vec<Device>,
    pub phone: String,
    pub has_authenticator: bool,
    pub has_phone_method: bool,
    pub phone_model: &'static str,
    pub traveller: bool,
    pub password_changed: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Office {
    pub city: City,
    pub name: String,
    pub block: Block,
    pub ip: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Vendor {
    pub name: String,
    pub domain: String,
    pub contact_name: String,
    pub contact: String,
    pub billing: String,
    pub country: &'static Country,
    pub iban: String,
    pub invoice_prefix: String,
    /// Vendor mail is hosted on Exchange Online (else Google Workspace).
    pub on_exo: bool,
    pub exo_region: String,
}

/// Exchange Online servers this tenant's mail is handled by.
#[derive(Debug, Clone)]
pub(crate) struct Exo {
    /// Mailbox servers, e.g. `SA1PR11MB8473.namprd11.prod.outlook.com`.
    pub mailbox: Vec<String>,
    /// Front-door/EOP servers, e.g. `BN2PEPF000044A9.namprd04.prod.outlook.com`.
    pub frontend: Vec<String>,
    /// Client access (`CA`) hosts, e.g. `BN9PR03CA0123.namprd03.prod.outlook.com`.
    pub cafe: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Company {
    pub tenant_id: String,
    pub name: String,
    pub domain: String,
    pub initial_domain: String,
    pub country: &'static Country,
    pub offices: Vec<Office>,
    pub people: Vec<Person>,
    pub vendors: Vec<Vendor>,
    pub ceo: usize,
    pub cfo: usize,
    pub it_admin: usize,
    pub finance_head: usize,
    pub ap_clerks: Vec<usize>,
    pub exo: Exo,
    pub tenant_created: DateTime<Utc>,
}

impl Company {
    pub(crate) fn tz_min(&self, p: &Person) -> i32 {
        self.offices[p.office].city.tz_min
    }
    pub(crate) fn city(&self, p: &Person) -> &City {
        &self.offices[p.office].city
    }
}

const DEPTS: &[(&str, u32, &[&str])] = &[
    (
        "Sales",
        25,
        &[
            "Account Executive",
            "Sales Manager",
            "Sales Development Representative",
            "Customer Success Manager",
        ],
    ),
    (
        "Engineering",
        28,
        &[
            "Software Engineer",
            "Senior Software Engineer",
            "QA Engineer",
            "Engineering Manager",
            "Product Manager",
        ],
    ),
    (
        "Finance",
        10,
        &[
            "Financial Analyst",
            "Controller",
            "Payroll Specialist",
            "Accounts Payable Clerk",
        ],
    ),
    (
        "Human Resources",
        6,
        &["HR Generalist", "Recruiter", "HR Business Partner"],
    ),
    (
        "IT",
        7,
        &[
            "Systems Administrator",
            "IT Support Specialist",
            "Network Engineer",
        ],
    ),
    (
        "Operations",
        24,
        &[
            "Operations Coordinator",
            "Logistics Coordinator",
            "Office Manager",
            "Procurement Specialist",
            "Warehouse Supervisor",
        ],
    ),
];

const DEVICES_DESKTOP: &[(&str, &str, &str)] = &[
    (
        "Windows10",
        "Edge 120.0.2210",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
    ),
    (
        "Windows10",
        "Chrome 121.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    ),
    (
        "Windows11",
        "Edge 121.0.2277",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 Edg/121.0.2277.83",
    ),
    (
        "MacOs",
        "Safari 17.2",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    ),
    (
        "MacOs",
        "Chrome 121.0.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    ),
];

const DEVICES_MOBILE: &[(&str, &str, &str)] = &[
    (
        "Ios",
        "Mobile Safari 17.2",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    ),
    (
        "Android",
        "Chrome Mobile 121.0.6167",
        "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.101 Mobile Safari/537.36",
    ),
];

const PHONES: &[&str] = &["iPhone 15", "iPhone 14", "SM-S911B", "Pixel 8", "iPhone 13"];

fn exo_name(rng: &mut Rng, country: &Country, kind: &str) -> String {
    let eu = country.exo_region == "eurprd";
    match kind {
        "mbx" => {
            let (pfx, n) = if eu {
                ("AM0PR07MB", 7)
            } else {
                ("SA1PR11MB", 11)
            };
            let region = if eu {
                format!("eurprd{n:02}")
            } else {
                format!("namprd{n:02}")
            };
            format!("{pfx}{}.{region}.prod.outlook.com", rng.digits(4))
        }
        "fe" => {
            let (pfx, region) = if eu {
                ("AMS0EPF0000", "eurprd05")
            } else {
                ("BN2PEPF0000", "namprd04")
            };
            format!("{pfx}{}.{region}.prod.outlook.com", rng.hex_upper(4))
        }
        _ => {
            let (pfx, region) = if eu {
                ("AS9PR06CA0", "eurprd06")
            } else {
                ("BN9PR03CA0", "namprd03")
            };
            format!("{pfx}{}.{region}.prod.outlook.com", rng.digits(3))
        }
    }
}

/// ISO 13616 check digits for `country` + `bban` (letters A=10..Z=35, mod 97).
pub(crate) fn iban(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = if c.is_ascii_digit() {
            c as u32 - '0' as u32
        } else {
            c.to_ascii_uppercase() as u32 - 'A' as u32 + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    format!("{country}{:02}{bban}", 98 - rem)
}

/// A plausible IBAN in the vendor's (or an attacker's) country.
pub(crate) fn random_iban(rng: &mut Rng, country: &str) -> String {
    match country {
        "GB" => {
            let bank = *rng.pick(&["NWBK", "BARC", "LOYD", "HBUK", "MIDL"]);
            iban("GB", &format!("{bank}{}{}", rng.digits(6), rng.digits(8)))
        }
        "DE" => iban("DE", &format!("{}{}", rng.digits(8), rng.digits(10))),
        "LT" => iban("LT", &format!("{}{}", rng.digits(5), rng.digits(11))),
        "NL" => {
            let bank = *rng.pick(&["ABNA", "INGB", "RABO"]);
            iban("NL", &format!("{bank}{}", rng.digits(10)))
        }
        // US has no IBAN; US vendors bill in USD to a US account but wire details in mail are
        // written as an IBAN-style reference for international partners. Use a GB one.
        _ => random_iban(rng, "GB"),
    }
}

fn title_for(rng: &mut Rng, dept: usize) -> &'static str {
    let t: &&'static str = rng.pick(DEPTS[dept].2);
    t
}

pub(crate) fn build(seed: u64, n_users: usize, anchor: DateTime<Utc>) -> Company {
    let mut rng = Rng::new(seed, "company");
    let country: &'static Country = HOME_COUNTRIES[rng.below(HOME_COUNTRIES.len())];
    let a = *rng.pick(COMPANY_A);
    let (b, b_slug) = *rng.pick(COMPANY_B);
    let name = format!("{a} {b}");
    let stem = format!("{}{}", a.to_ascii_lowercase(), b_slug);
    let domain = format!("{stem}.{}", country.tld);
    let initial_domain = format!("{stem}.onmicrosoft.com");
    let tenant_id = rng.guid();
    let tenant_created = anchor - Duration::days(rng.range(900, 2500) as i64);

    // Offices: HQ plus more for larger companies.
    let mut city_idx: Vec<usize> = (0..country.cities.len()).collect();
    rng.shuffle(&mut city_idx);
    let n_offices = if n_users > 300 {
        3
    } else if n_users > 30 {
        2
    } else {
        1
    };
    let offices: Vec<Office> = city_idx
        .iter()
        .take(n_offices)
        .enumerate()
        .map(|(i, &ci)| {
            let block = *rng.pick(country.corporate);
            let city = country.cities[ci];
            Office {
                city,
                name: if i == 0 {
                    format!("{} HQ", city.name)
                } else {
                    city.name.to_string()
                },
                block,
                ip: block.host(&mut rng),
            }
        })
        .collect();

    let mut used = std::collections::BTreeSet::new();
    let mut people = Vec::with_capacity(n_users);
    // Fixed leadership first, then staff by department weight.
    let fixed: &[(Role, &str, &str)] = &[
        (Role::Ceo, "Executive", "Chief Executive Officer"),
        (Role::Cfo, "Executive", "Chief Financial Officer"),
        (Role::Exec, "Executive", "Chief Operating Officer"),
        (Role::ItAdmin, "IT", "IT Manager"),
        (Role::DeptHead, "Finance", "Finance Director"),
        (Role::ApClerk, "Finance", "Accounts Payable Clerk"),
        (Role::DeptHead, "Sales", "Head of Sales"),
        (Role::DeptHead, "Engineering", "VP Engineering"),
        (Role::DeptHead, "Human Resources", "HR Director"),
        (Role::DeptHead, "Operations", "Operations Director"),
    ];
    let total_w: u32 = DEPTS.iter().map(|d| d.1).sum();
    for i in 0..n_users {
        let mut prng = rng.fork("person");
        let (role, department, job_title) = if i < fixed.len() {
            fixed[i]
        } else {
            let mut r = prng.range(0, u64::from(total_w)) as u32;
            let mut d = 0;
            while r >= DEPTS[d].1 {
                r -= DEPTS[d].1;
                d += 1;
            }
            let t = title_for(&mut prng, d);
            let role = match t {
                "Accounts Payable Clerk" => Role::ApClerk,
                _ if DEPTS[d].0 == "Finance" => Role::Finance,
                _ => Role::Staff,
            };
            (role, DEPTS[d].0, t)
        };
        let given = *prng.pick(FIRST);
        let surname = *prng.pick(LAST);
        let base = format!(
            "{}.{}",
            given.to_ascii_lowercase(),
            surname.to_ascii_lowercase()
        );
        let mut local = base.clone();
        let mut k = 2;
        while !used.insert(local.clone()) {
            local = format!("{base}{k}");
            k += 1;
        }
        let office = if i < 3 || offices.len() == 1 || prng.chance(0.7) {
            0
        } else {
            1 + prng.below(offices.len() - 1)
        };
        let home_block = *prng.pick(country.residential);
        let home_ip = home_block.host(&mut prng);
        let (os, browser, ua) = *prng.pick(DEVICES_DESKTOP);
        let mut devices = vec![Device {
            os,
            browser,
            user_agent: ua,
            device_id: prng.guid(),
            display_name: Some(format!(
                "{}-{}",
                if os.starts_with("Mac") { "MAC" } else { "LT" },
                prng.hex_upper(6)
            )),
            managed: true,
        }];
        if prng.chance(0.6) {
            let (os, browser, ua) = *prng.pick(DEVICES_MOBILE);
            devices.push(Device {
                os,
                browser,
                user_agent: ua,
                device_id: String::new(),
                display_name: None,
                managed: false,
            });
        }
        let created = if i >= 10 && prng.chance(0.03) {
            // A new starter, created during the history window.
            anchor - Duration::hours(prng.range(30, 150) as i64)
        } else {
            tenant_created + Duration::days(prng.range(0, 600) as i64)
        };
        let created = created.min(anchor - Duration::hours(30));
        let has_authenticator = prng.chance(0.85);
        let has_phone_method = !has_authenticator || prng.chance(0.4);
        let phone = match country.code {
            "US" => format!(
                "+1 {}{}",
                prng.pick(&["617", "312", "720", "206", "404"]),
                prng.digits(7)
            ),
            "GB" => format!("+44 7{}", prng.digits(9)),
            _ => format!("+49 15{}", prng.digits(9)),
        };
        people.push(Person {
            id: prng.guid(),
            given,
            surname,
            display: format!("{given} {surname}"),
            upn: format!("{local}@{domain}"),
            job_title,
            department,
            role,
            office,
            manager: None,
            created,
            enabled: !(i >= 10 && prng.chance(0.02)),
            home_block,
            home_ip,
            devices,
            phone,
            has_authenticator,
            has_phone_method,
            phone_model: PHONES[prng.below(PHONES.len())],
            traveller: i >= 3 && prng.chance(0.06),
            password_changed: created.max(anchor - Duration::days(prng.range(3, 200) as i64)),
        });
    }
    // Managers: CEO at the top, leaders report to the CEO, staff to their department head.
    let heads: Vec<(usize, &str)> = people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.role == Role::DeptHead || p.role == Role::ItAdmin)
        .map(|(i, p)| (i, p.department))
        .collect();
    let n = people.len();
    #[allow(clippy::needless_range_loop)]
    for i in 1..n {
        let role = people[i].role;
        let dept = people[i].department;
        people[i].manager = Some(match role {
            Role::Cfo | Role::Exec | Role::DeptHead => 0,
            Role::ItAdmin => 2.min(n - 1),
            _ => heads
                .iter()
                .find(|(_, d)| *d == dept)
                .map(|(h, _)| *h)
                .unwrap_or(0),
        });
        if people[i].manager == Some(i) {
            people[i].manager = Some(0);
        }
    }
    let ap_clerks: Vec<usize> = people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.role == Role::ApClerk)
        .map(|(i, _)| i)
        .collect();

    // Vendors: partners with their own domains; invoices come from them.
    let n_vendors = 4 + rng.below(3);
    let mut vendors = Vec::new();
    let mut vnames = std::collections::BTreeSet::new();
    while vendors.len() < n_vendors {
        let va = *rng.pick(VENDOR_A);
        let (vb, vslug) = *rng.pick(VENDOR_B);
        if !vnames.insert(va) {
            continue;
        }
        let vc: &'static Country = if rng.chance(0.7) {
            country
        } else {
            HOME_COUNTRIES[rng.below(HOME_COUNTRIES.len())]
        };
        let vdomain = format!("{}{}.{}", va.to_ascii_lowercase(), vslug, vc.tld);
        let cg = *rng.pick(FIRST);
        let cs = *rng.pick(LAST);
        let iban_cc = if vc.code == "US" { "GB" } else { vc.code };
        vendors.push(Vendor {
            name: format!("{va} {vb}"),
            contact_name: format!("{cg} {cs}"),
            contact: format!(
                "{}.{}@{vdomain}",
                cg.to_ascii_lowercase(),
                cs.to_ascii_lowercase()
            ),
            billing: format!(
                "{}@{vdomain}",
                rng.pick(&["accounts", "billing", "invoices", "ar"])
            ),
            country: vc,
            iban: random_iban(&mut rng, iban_cc),
            invoice_prefix: format!("{}-", va[..3].to_ascii_uppercase()),
            on_exo: rng.chance(0.6),
            exo_region: if vc.exo_region == "eurprd" {
                format!("eurprd{:02}", 1 + rng.below(9))
            } else {
                format!("namprd{:02}", 1 + rng.below(19))
            },
            domain: vdomain,
        });
    }

    let exo = Exo {
        mailbox: (0..4).map(|_| exo_name(&mut rng, country, "mbx")).collect(),
        frontend: (0..4).map(|_| exo_name(&mut rng, country, "fe")).collect(),
        cafe: (0..4).map(|_| exo_name(&mut rng, country, "ca")).collect(),
    };
    Company {
        tenant_id,
        name,
        domain,
        initial_domain,
        country,
        offices,
        ceo: 0,
        cfo: 1.min(n - 1),
        it_admin: 3.min(n - 1),
        finance_head: 4.min(n - 1),
        ap_clerks,
        people,
        vendors,
        exo,
        tenant_created,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_check_digits_match_known_examples() {
        // Examples from the ISO 13616 registry.
        assert_eq!(iban("GB", "NWBK60161331926819"), "GB29NWBK60161331926819");
        assert_eq!(iban("DE", "370400440532013000"), "DE89370400440532013000");
    }
}
