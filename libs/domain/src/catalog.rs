//! The currency and country catalog.
//!
//! It covers every currency that the shipped ECB history and the Korean sources (BOK
//! ECOS 731Y001, Korea Eximbank AP01) quote against KRW, plus the countries of the Big
//! Mac survey. Currencies that exist only in history (the ECB's pre-euro and retired
//! codes) are kept, marked inactive, so their history stays readable.

use crate::codes::{CountryCode, CurrencyCode};

/// One currency of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyInfo {
    pub code: CurrencyCode,
    pub name_ko: &'static str,
    pub name_en: &'static str,
    pub country: CountryCode,
    pub symbol: &'static str,
    /// ISO 4217 minor-unit exponent.
    pub decimals: u32,
    pub active: bool,
}

/// One country (or the euro area) of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryInfo {
    pub code: CountryCode,
    /// ISO 3166-1 alpha-3 ("EUZ" for the euro area, as the Big Mac data spells it).
    pub alpha3: &'static str,
    pub name_ko: &'static str,
    pub name_en: &'static str,
}

// (code, Korean name, English name, country, symbol, decimals, active)
type CurrencyRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
    bool,
);

const CURRENCIES: &[CurrencyRow] = &[
    ("KRW", "대한민국 원", "South Korean won", "KR", "₩", 0, true),
    ("USD", "미국 달러", "US dollar", "US", "$", 2, true),
    ("EUR", "유로", "Euro", "EU", "€", 2, true),
    ("JPY", "일본 엔", "Japanese yen", "JP", "¥", 0, true),
    (
        "CNY",
        "중국 위안",
        "Chinese yuan renminbi",
        "CN",
        "¥",
        2,
        true,
    ),
    (
        "CNH",
        "중국 위안(역외)",
        "Chinese yuan (offshore)",
        "CN",
        "¥",
        2,
        true,
    ),
    ("GBP", "영국 파운드", "Pound sterling", "GB", "£", 2, true),
    ("CHF", "스위스 프랑", "Swiss franc", "CH", "CHF", 2, true),
    ("CAD", "캐나다 달러", "Canadian dollar", "CA", "C$", 2, true),
    ("AUD", "호주 달러", "Australian dollar", "AU", "A$", 2, true),
    (
        "NZD",
        "뉴질랜드 달러",
        "New Zealand dollar",
        "NZ",
        "NZ$",
        2,
        true,
    ),
    ("HKD", "홍콩 달러", "Hong Kong dollar", "HK", "HK$", 2, true),
    (
        "SGD",
        "싱가포르 달러",
        "Singapore dollar",
        "SG",
        "S$",
        2,
        true,
    ),
    (
        "TWD",
        "대만 달러",
        "New Taiwan dollar",
        "TW",
        "NT$",
        2,
        true,
    ),
    ("THB", "태국 바트", "Thai baht", "TH", "฿", 2, true),
    ("VND", "베트남 동", "Vietnamese dong", "VN", "₫", 0, true),
    ("PHP", "필리핀 페소", "Philippine peso", "PH", "₱", 2, true),
    (
        "IDR",
        "인도네시아 루피아",
        "Indonesian rupiah",
        "ID",
        "Rp",
        2,
        true,
    ),
    (
        "MYR",
        "말레이시아 링깃",
        "Malaysian ringgit",
        "MY",
        "RM",
        2,
        true,
    ),
    ("INR", "인도 루피", "Indian rupee", "IN", "₹", 2, true),
    ("MNT", "몽골 투그릭", "Mongolian tugrik", "MN", "₮", 2, true),
    (
        "KZT",
        "카자흐스탄 텡게",
        "Kazakhstani tenge",
        "KZ",
        "₸",
        2,
        true,
    ),
    ("BND", "브루나이 달러", "Brunei dollar", "BN", "B$", 2, true),
    (
        "PKR",
        "파키스탄 루피",
        "Pakistani rupee",
        "PK",
        "Rs",
        2,
        true,
    ),
    (
        "BDT",
        "방글라데시 타카",
        "Bangladeshi taka",
        "BD",
        "৳",
        2,
        true,
    ),
    (
        "SAR",
        "사우디아라비아 리얄",
        "Saudi riyal",
        "SA",
        "SAR",
        2,
        true,
    ),
    (
        "KWD",
        "쿠웨이트 디나르",
        "Kuwaiti dinar",
        "KW",
        "KD",
        3,
        true,
    ),
    (
        "BHD",
        "바레인 디나르",
        "Bahraini dinar",
        "BH",
        "BD",
        3,
        true,
    ),
    (
        "AED",
        "아랍에미리트 디르함",
        "UAE dirham",
        "AE",
        "AED",
        2,
        true,
    ),
    ("QAR", "카타르 리얄", "Qatari riyal", "QA", "QR", 2, true),
    (
        "JOD",
        "요르단 디나르",
        "Jordanian dinar",
        "JO",
        "JD",
        3,
        true,
    ),
    (
        "ILS",
        "이스라엘 셰켈",
        "Israeli new shekel",
        "IL",
        "₪",
        2,
        true,
    ),
    ("TRY", "튀르키예 리라", "Turkish lira", "TR", "₺", 2, true),
    (
        "EGP",
        "이집트 파운드",
        "Egyptian pound",
        "EG",
        "E£",
        2,
        true,
    ),
    (
        "ZAR",
        "남아프리카공화국 랜드",
        "South African rand",
        "ZA",
        "R",
        2,
        true,
    ),
    ("RUB", "러시아 루블", "Russian ruble", "RU", "₽", 2, true),
    (
        "HUF",
        "헝가리 포린트",
        "Hungarian forint",
        "HU",
        "Ft",
        2,
        true,
    ),
    ("PLN", "폴란드 즐로티", "Polish zloty", "PL", "zł", 2, true),
    ("CZK", "체코 코루나", "Czech koruna", "CZ", "Kč", 2, true),
    ("DKK", "덴마크 크로네", "Danish krone", "DK", "kr", 2, true),
    (
        "NOK",
        "노르웨이 크로네",
        "Norwegian krone",
        "NO",
        "kr",
        2,
        true,
    ),
    ("SEK", "스웨덴 크로나", "Swedish krona", "SE", "kr", 2, true),
    (
        "ISK",
        "아이슬란드 크로나",
        "Icelandic krona",
        "IS",
        "kr",
        0,
        true,
    ),
    ("RON", "루마니아 레우", "Romanian leu", "RO", "lei", 2, true),
    ("MXN", "멕시코 페소", "Mexican peso", "MX", "Mex$", 2, true),
    ("BRL", "브라질 헤알", "Brazilian real", "BR", "R$", 2, true),
    (
        "ARS",
        "아르헨티나 페소",
        "Argentine peso",
        "AR",
        "AR$",
        2,
        true,
    ),
    // Only in the ECB history: replaced by the euro or redenominated.
    (
        "BGN",
        "불가리아 레프",
        "Bulgarian lev",
        "BG",
        "лв",
        2,
        false,
    ),
    (
        "CYP",
        "키프로스 파운드",
        "Cypriot pound",
        "CY",
        "£C",
        2,
        false,
    ),
    (
        "EEK",
        "에스토니아 크룬",
        "Estonian kroon",
        "EE",
        "kr",
        2,
        false,
    ),
    (
        "HRK",
        "크로아티아 쿠나",
        "Croatian kuna",
        "HR",
        "kn",
        2,
        false,
    ),
    (
        "LTL",
        "리투아니아 리타스",
        "Lithuanian litas",
        "LT",
        "Lt",
        2,
        false,
    ),
    ("LVL", "라트비아 라트", "Latvian lats", "LV", "Ls", 2, false),
    ("MTL", "몰타 리라", "Maltese lira", "MT", "Lm", 2, false),
    (
        "ROL",
        "루마니아 레우(구)",
        "Romanian leu (old)",
        "RO",
        "lei",
        2,
        false,
    ),
    (
        "SIT",
        "슬로베니아 톨라르",
        "Slovenian tolar",
        "SI",
        "SIT",
        2,
        false,
    ),
    (
        "SKK",
        "슬로바키아 코루나",
        "Slovak koruna",
        "SK",
        "Sk",
        2,
        false,
    ),
    (
        "TRL",
        "튀르키예 리라(구)",
        "Turkish lira (old)",
        "TR",
        "TL",
        0,
        false,
    ),
];

// (alpha-2, alpha-3, Korean name, English name)
const COUNTRIES: &[(&str, &str, &str, &str)] = &[
    ("KR", "KOR", "대한민국", "South Korea"),
    ("US", "USA", "미국", "United States"),
    ("EU", "EUZ", "유럽연합(유로 지역)", "Euro area"),
    ("JP", "JPN", "일본", "Japan"),
    ("CN", "CHN", "중국", "China"),
    ("GB", "GBR", "영국", "United Kingdom"),
    ("CH", "CHE", "스위스", "Switzerland"),
    ("CA", "CAN", "캐나다", "Canada"),
    ("AU", "AUS", "호주", "Australia"),
    ("NZ", "NZL", "뉴질랜드", "New Zealand"),
    ("HK", "HKG", "홍콩", "Hong Kong"),
    ("SG", "SGP", "싱가포르", "Singapore"),
    ("TW", "TWN", "대만", "Taiwan"),
    ("TH", "THA", "태국", "Thailand"),
    ("VN", "VNM", "베트남", "Vietnam"),
    ("PH", "PHL", "필리핀", "Philippines"),
    ("ID", "IDN", "인도네시아", "Indonesia"),
    ("MY", "MYS", "말레이시아", "Malaysia"),
    ("IN", "IND", "인도", "India"),
    ("MN", "MNG", "몽골", "Mongolia"),
    ("KZ", "KAZ", "카자흐스탄", "Kazakhstan"),
    ("BN", "BRN", "브루나이", "Brunei"),
    ("PK", "PAK", "파키스탄", "Pakistan"),
    ("BD", "BGD", "방글라데시", "Bangladesh"),
    ("SA", "SAU", "사우디아라비아", "Saudi Arabia"),
    ("KW", "KWT", "쿠웨이트", "Kuwait"),
    ("BH", "BHR", "바레인", "Bahrain"),
    ("AE", "ARE", "아랍에미리트", "United Arab Emirates"),
    ("QA", "QAT", "카타르", "Qatar"),
    ("JO", "JOR", "요르단", "Jordan"),
    ("IL", "ISR", "이스라엘", "Israel"),
    ("TR", "TUR", "튀르키예", "Türkiye"),
    ("EG", "EGY", "이집트", "Egypt"),
    ("ZA", "ZAF", "남아프리카공화국", "South Africa"),
    ("RU", "RUS", "러시아", "Russia"),
    ("HU", "HUN", "헝가리", "Hungary"),
    ("PL", "POL", "폴란드", "Poland"),
    ("CZ", "CZE", "체코", "Czechia"),
    ("DK", "DNK", "덴마크", "Denmark"),
    ("NO", "NOR", "노르웨이", "Norway"),
    ("SE", "SWE", "스웨덴", "Sweden"),
    ("IS", "ISL", "아이슬란드", "Iceland"),
    ("RO", "ROU", "루마니아", "Romania"),
    ("MX", "MEX", "멕시코", "Mexico"),
    ("BR", "BRA", "브라질", "Brazil"),
    ("AR", "ARG", "아르헨티나", "Argentina"),
    ("AZ", "AZE", "아제르바이잔", "Azerbaijan"),
    ("CL", "CHL", "칠레", "Chile"),
    ("CO", "COL", "콜롬비아", "Colombia"),
    ("CR", "CRI", "코스타리카", "Costa Rica"),
    ("GT", "GTM", "과테말라", "Guatemala"),
    ("HN", "HND", "온두라스", "Honduras"),
    ("LB", "LBN", "레바논", "Lebanon"),
    ("LK", "LKA", "스리랑카", "Sri Lanka"),
    ("MD", "MDA", "몰도바", "Moldova"),
    ("NI", "NIC", "니카라과", "Nicaragua"),
    ("OM", "OMN", "오만", "Oman"),
    ("PE", "PER", "페루", "Peru"),
    ("UA", "UKR", "우크라이나", "Ukraine"),
    ("UY", "URY", "우루과이", "Uruguay"),
    ("VE", "VEN", "베네수엘라", "Venezuela"),
    ("BG", "BGR", "불가리아", "Bulgaria"),
    ("CY", "CYP", "키프로스", "Cyprus"),
    ("EE", "EST", "에스토니아", "Estonia"),
    ("HR", "HRV", "크로아티아", "Croatia"),
    ("LT", "LTU", "리투아니아", "Lithuania"),
    ("LV", "LVA", "라트비아", "Latvia"),
    ("MT", "MLT", "몰타", "Malta"),
    ("SI", "SVN", "슬로베니아", "Slovenia"),
    ("SK", "SVK", "슬로바키아", "Slovakia"),
];

/// Read-only view of the catalog. Cheap to build; lookups are linear over ~60 rows,
/// which is faster than hashing at this size.
#[derive(Debug, Clone)]
pub struct Catalog {
    currencies: Vec<CurrencyInfo>,
    countries: Vec<CountryInfo>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

impl Catalog {
    pub fn new() -> Self {
        let currencies = CURRENCIES
            .iter()
            .map(
                |&(code, name_ko, name_en, country, symbol, decimals, active)| CurrencyInfo {
                    code: CurrencyCode::from_static(code),
                    name_ko,
                    name_en,
                    country: CountryCode::from_static(country),
                    symbol,
                    decimals,
                    active,
                },
            )
            .collect();
        let countries = COUNTRIES
            .iter()
            .map(|&(code, alpha3, name_ko, name_en)| CountryInfo {
                code: CountryCode::from_static(code),
                alpha3,
                name_ko,
                name_en,
            })
            .collect();
        Self {
            currencies,
            countries,
        }
    }

    /// Every currency, active first in catalog order.
    pub fn currencies(&self) -> &[CurrencyInfo] {
        &self.currencies
    }

    pub fn active_currencies(&self) -> impl Iterator<Item = &CurrencyInfo> {
        self.currencies.iter().filter(|c| c.active)
    }

    pub fn currency(&self, code: CurrencyCode) -> Option<&CurrencyInfo> {
        self.currencies.iter().find(|c| c.code == code)
    }

    pub fn countries(&self) -> &[CountryInfo] {
        &self.countries
    }

    pub fn country(&self, code: CountryCode) -> Option<&CountryInfo> {
        self.countries.iter().find(|c| c.code == code)
    }

    pub fn country_by_alpha3(&self, alpha3: &str) -> Option<&CountryInfo> {
        self.countries
            .iter()
            .find(|c| c.alpha3.eq_ignore_ascii_case(alpha3))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_every_currency_has_its_country() {
        let catalog = Catalog::new();
        let mut seen = HashSet::new();
        for currency in catalog.currencies() {
            assert!(seen.insert(currency.code), "duplicate {}", currency.code);
            assert!(
                catalog.country(currency.country).is_some(),
                "{} names unknown country {}",
                currency.code,
                currency.country
            );
        }
        let mut countries = HashSet::new();
        let mut alpha3 = HashSet::new();
        for country in catalog.countries() {
            assert!(countries.insert(country.code), "duplicate {}", country.code);
            assert!(
                alpha3.insert(country.alpha3),
                "duplicate {}",
                country.alpha3
            );
        }
    }

    #[test]
    fn covers_travel_currencies_and_the_korean_sources() {
        let catalog = Catalog::new();
        // ECOS 731Y001 and Korea Eximbank AP01 currencies (sources.md), and travel staples.
        for code in [
            "USD", "JPY", "EUR", "GBP", "CAD", "CHF", "HKD", "SEK", "AUD", "DKK", "NOK", "SAR",
            "KWD", "BHD", "AED", "SGD", "MYR", "NZD", "THB", "IDR", "TWD", "MNT", "KZT", "PHP",
            "VND", "BND", "INR", "PKR", "BDT", "MXN", "BRL", "ARS", "RUB", "HUF", "PLN", "CZK",
            "QAR", "ILS", "JOD", "TRY", "ZAR", "EGP", "CNY", "CNH",
        ] {
            let info = catalog
                .currency(CurrencyCode::parse(code).unwrap())
                .unwrap_or_else(|| panic!("{code} missing"));
            assert!(info.active, "{code} should be active");
        }
        assert!(catalog.active_currencies().count() >= 45);
    }
}
