//! The external rate sources: one place for each one's names, terms and endpoint.
//! Stored quotes keep the source as free text (new sources need no migration); these
//! are the names the pipeline and the seeding write.

/// A rate source the ingestion pipeline can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Korea Eximbank's daily exchange rates (TTS/TTB), key required.
    Koreaexim,
    /// Bank of Korea ECOS statistic 731Y001, key required.
    Ecos,
    /// The ECB's euro reference rates.
    Ecb,
    /// open.er-api.com, the keyless fallback.
    Erapi,
}

impl Source {
    pub const ALL: [Source; 4] = [Self::Koreaexim, Self::Ecos, Self::Ecb, Self::Erapi];

    /// The name stored with quotes and observations (ECOS is published by the BOK).
    pub fn stored_name(self) -> &'static str {
        match self {
            Self::Koreaexim => "KOREAEXIM",
            Self::Ecos => "BOK",
            Self::Ecb => "ECB",
            Self::Erapi => "ERAPI",
        }
    }

    /// The name in `TRAVEL_SOURCES` and `TRAVEL_SOURCE_<NAME>_*`.
    pub fn config_name(self) -> &'static str {
        match self {
            Self::Koreaexim => "KOREAEXIM",
            Self::Ecos => "ECOS",
            Self::Ecb => "ECB",
            Self::Erapi => "ERAPI",
        }
    }

    /// A configuration name, case-insensitive; `BOK` is accepted for ECOS.
    pub fn from_config_name(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_uppercase();
        Self::ALL
            .into_iter()
            .find(|s| s.config_name() == raw || s.stored_name() == raw)
    }

    /// The source of a stored name, if it is one of ours.
    pub fn from_stored_name(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.stored_name() == raw)
    }

    /// Whether the source answers only with an API key.
    pub fn needs_key(self) -> bool {
        matches!(self, Self::Koreaexim | Self::Ecos)
    }

    /// Whether its quotes may be re-published in bulk (open.er-api's terms forbid it).
    pub fn redistributable(self) -> bool {
        !matches!(self, Self::Erapi)
    }

    /// The public endpoint.
    pub fn default_url(self) -> &'static str {
        match self {
            Self::Koreaexim => "https://oapi.koreaexim.go.kr/site/program/financial/exchangeJSON",
            Self::Ecos => "https://ecos.bok.or.kr/api/StatisticSearch",
            Self::Ecb => "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml",
            Self::Erapi => "https://open.er-api.com/v6/latest/KRW",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.stored_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for source in Source::ALL {
            assert_eq!(Source::from_config_name(source.config_name()), Some(source));
            assert_eq!(Source::from_stored_name(source.stored_name()), Some(source));
        }
        assert_eq!(Source::from_config_name(" bok "), Some(Source::Ecos));
        assert_eq!(Source::from_config_name("FIXER"), None);
        assert_eq!(Source::from_stored_name("ECOS"), None);
    }

    #[test]
    fn terms_and_keys() {
        assert!(!Source::Erapi.redistributable());
        assert!(Source::Ecb.redistributable());
        assert!(Source::Koreaexim.needs_key() && Source::Ecos.needs_key());
        assert!(!Source::Ecb.needs_key() && !Source::Erapi.needs_key());
    }
}
