//! Country codes, names and approximate centroids: impossible travel needs coordinates when the
//! source gives only a country (Graph `countryOrRegion`, a GeoIP country database).

/// (ISO 3166 alpha-2, English name, latitude, longitude) — centroid or main population centre.
const COUNTRIES: &[(&str, &str, f64, f64)] = &[
    ("AE", "United Arab Emirates", 24.0, 54.0),
    ("AF", "Afghanistan", 33.9, 67.7),
    ("AL", "Albania", 41.2, 20.2),
    ("AM", "Armenia", 40.1, 45.0),
    ("AO", "Angola", -11.2, 17.9),
    ("AR", "Argentina", -38.4, -63.6),
    ("AT", "Austria", 47.5, 14.6),
    ("AU", "Australia", -25.3, 133.8),
    ("AZ", "Azerbaijan", 40.1, 47.6),
    ("BA", "Bosnia and Herzegovina", 43.9, 17.7),
    ("BD", "Bangladesh", 23.7, 90.4),
    ("BE", "Belgium", 50.5, 4.5),
    ("BG", "Bulgaria", 42.7, 25.5),
    ("BH", "Bahrain", 26.0, 50.6),
    ("BO", "Bolivia", -16.3, -63.6),
    ("BR", "Brazil", -14.2, -51.9),
    ("BY", "Belarus", 53.7, 27.9),
    ("CA", "Canada", 56.1, -106.3),
    ("CH", "Switzerland", 46.8, 8.2),
    ("CI", "Cote d'Ivoire", 7.5, -5.5),
    ("CL", "Chile", -35.7, -71.5),
    ("CM", "Cameroon", 7.4, 12.4),
    ("CN", "China", 35.9, 104.2),
    ("CO", "Colombia", 4.6, -74.3),
    ("CR", "Costa Rica", 9.7, -83.8),
    ("CU", "Cuba", 21.5, -77.8),
    ("CY", "Cyprus", 35.1, 33.4),
    ("CZ", "Czechia", 49.8, 15.5),
    ("DE", "Germany", 51.2, 10.5),
    ("DK", "Denmark", 56.3, 9.5),
    ("DO", "Dominican Republic", 18.7, -70.2),
    ("DZ", "Algeria", 28.0, 1.7),
    ("EC", "Ecuador", -1.8, -78.2),
    ("EE", "Estonia", 58.6, 25.0),
    ("EG", "Egypt", 26.8, 30.8),
    ("ES", "Spain", 40.5, -3.7),
    ("ET", "Ethiopia", 9.1, 40.5),
    ("FI", "Finland", 61.9, 25.7),
    ("FR", "France", 46.2, 2.2),
    ("GB", "United Kingdom", 55.4, -3.4),
    ("GE", "Georgia", 42.3, 43.4),
    ("GH", "Ghana", 7.9, -1.0),
    ("GR", "Greece", 39.1, 21.8),
    ("GT", "Guatemala", 15.8, -90.2),
    ("HK", "Hong Kong", 22.4, 114.1),
    ("HN", "Honduras", 15.2, -86.2),
    ("HR", "Croatia", 45.1, 15.2),
    ("HU", "Hungary", 47.2, 19.5),
    ("ID", "Indonesia", -0.8, 113.9),
    ("IE", "Ireland", 53.4, -8.2),
    ("IL", "Israel", 31.0, 34.9),
    ("IN", "India", 20.6, 79.0),
    ("IQ", "Iraq", 33.2, 43.7),
    ("IR", "Iran", 32.4, 53.7),
    ("IS", "Iceland", 65.0, -19.0),
    ("IT", "Italy", 41.9, 12.6),
    ("JM", "Jamaica", 18.1, -77.3),
    ("JO", "Jordan", 30.6, 36.2),
    ("JP", "Japan", 36.2, 138.3),
    ("KE", "Kenya", -0.02, 37.9),
    ("KG", "Kyrgyzstan", 41.2, 74.8),
    ("KH", "Cambodia", 12.6, 105.0),
    ("KP", "North Korea", 40.3, 127.5),
    ("KR", "South Korea", 35.9, 127.8),
    ("KW", "Kuwait", 29.3, 47.5),
    ("KZ", "Kazakhstan", 48.0, 66.9),
    ("LA", "Laos", 19.9, 102.5),
    ("LB", "Lebanon", 33.9, 35.9),
    ("LK", "Sri Lanka", 7.9, 80.8),
    ("LT", "Lithuania", 55.2, 23.9),
    ("LU", "Luxembourg", 49.8, 6.1),
    ("LV", "Latvia", 56.9, 24.6),
    ("LY", "Libya", 26.3, 17.2),
    ("MA", "Morocco", 31.8, -7.1),
    ("MD", "Moldova", 47.4, 28.4),
    ("ME", "Montenegro", 42.7, 19.4),
    ("MK", "North Macedonia", 41.6, 21.7),
    ("MM", "Myanmar", 21.9, 95.9),
    ("MN", "Mongolia", 46.9, 103.8),
    ("MT", "Malta", 35.9, 14.4),
    ("MX", "Mexico", 23.6, -102.6),
    ("MY", "Malaysia", 4.2, 102.0),
    ("MZ", "Mozambique", -18.7, 35.5),
    ("NG", "Nigeria", 9.1, 8.7),
    ("NI", "Nicaragua", 12.9, -85.2),
    ("NL", "Netherlands", 52.1, 5.3),
    ("NO", "Norway", 60.5, 8.5),
    ("NP", "Nepal", 28.4, 84.1),
    ("NZ", "New Zealand", -40.9, 174.9),
    ("OM", "Oman", 21.5, 55.9),
    ("PA", "Panama", 8.5, -80.8),
    ("PE", "Peru", -9.2, -75.0),
    ("PH", "Philippines", 12.9, 121.8),
    ("PK", "Pakistan", 30.4, 69.3),
    ("PL", "Poland", 51.9, 19.1),
    ("PR", "Puerto Rico", 18.2, -66.6),
    ("PT", "Portugal", 39.4, -8.2),
    ("PY", "Paraguay", -23.4, -58.4),
    ("QA", "Qatar", 25.4, 51.2),
    ("RO", "Romania", 45.9, 25.0),
    ("RS", "Serbia", 44.0, 21.0),
    ("RU", "Russia", 55.75, 37.6),
    ("SA", "Saudi Arabia", 23.9, 45.1),
    ("SE", "Sweden", 60.1, 18.6),
    ("SG", "Singapore", 1.35, 103.8),
    ("SI", "Slovenia", 46.2, 15.0),
    ("SK", "Slovakia", 48.7, 19.7),
    ("SN", "Senegal", 14.5, -14.5),
    ("SV", "El Salvador", 13.8, -88.9),
    ("SY", "Syria", 34.8, 39.0),
    ("TH", "Thailand", 15.9, 100.99),
    ("TJ", "Tajikistan", 38.9, 71.3),
    ("TM", "Turkmenistan", 38.97, 59.6),
    ("TN", "Tunisia", 33.9, 9.5),
    ("TR", "Turkey", 39.0, 35.2),
    ("TW", "Taiwan", 23.7, 121.0),
    ("TZ", "Tanzania", -6.4, 34.9),
    ("UA", "Ukraine", 48.4, 31.2),
    ("UG", "Uganda", 1.4, 32.3),
    ("US", "United States", 39.8, -98.6),
    ("UY", "Uruguay", -32.5, -55.8),
    ("UZ", "Uzbekistan", 41.4, 64.6),
    ("VE", "Venezuela", 6.4, -66.6),
    ("VN", "Vietnam", 14.1, 108.3),
    ("YE", "Yemen", 15.6, 48.5),
    ("ZA", "South Africa", -30.6, 22.9),
    ("ZM", "Zambia", -13.1, 27.8),
    ("ZW", "Zimbabwe", -19.0, 29.2),
];

/// Alternative names seen in logs.
const ALIASES: &[(&str, &str)] = &[
    ("usa", "US"),
    ("united states of america", "US"),
    ("uk", "GB"),
    ("great britain", "GB"),
    ("russian federation", "RU"),
    ("korea, republic of", "KR"),
    ("republic of korea", "KR"),
    ("viet nam", "VN"),
    ("czech republic", "CZ"),
    ("türkiye", "TR"),
    ("turkiye", "TR"),
    ("iran, islamic republic of", "IR"),
    ("the netherlands", "NL"),
    ("holland", "NL"),
];

/// An ISO alpha-2 code for a code or name; `None` for empty / unknown placeholders.
pub fn normalize(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("unknown") || t == "--" {
        return None;
    }
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(t.to_ascii_uppercase());
    }
    let lower = t.to_lowercase();
    if let Some((_, code)) = ALIASES.iter().find(|(n, _)| *n == lower) {
        return Some((*code).to_string());
    }
    COUNTRIES
        .iter()
        .find(|(_, name, _, _)| name.eq_ignore_ascii_case(t))
        .map(|(c, _, _, _)| (*c).to_string())
}

/// Approximate centre of a country.
pub fn centroid(code: &str) -> Option<(f64, f64)> {
    COUNTRIES
        .iter()
        .find(|(c, _, _, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, _, lat, lon)| (*lat, *lon))
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes() {
        assert_eq!(normalize("China").as_deref(), Some("CN"));
        assert_eq!(normalize("United States").as_deref(), Some("US"));
        assert_eq!(normalize("ie").as_deref(), Some("IE"));
        assert_eq!(normalize("Unknown"), None);
    }

    #[test]
    fn distances() {
        let d = distance_km(centroid("RU").unwrap_or_default(), (47.6, -122.3));
        assert!((8000.0..9000.0).contains(&d), "{d}");
    }
}
