//! The kinds of mitigation and of disruption a scenario names in `kind`, as enums with the words it spells them in.

use std::fmt;

use chokepoint_engine::DisruptionKind;

/// The kind of a mitigation (`[mitigations.NAME] kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MitigationKind {
    /// `stockpile`: a strategic stock of a material, released to chosen customers during a disruption.
    Stockpile,
    /// `alternate_supply`: new stages and links, coming online after a lag.
    AlternateSupply,
    /// `recycling`: new recycling stages and links, coming online after a lag.
    Recycling,
    /// `thrifting`: less of a material per unit of an end use (or per unit of a stage's output).
    Thrifting,
    /// `substitution`: part of an end use's demand served by another technology.
    Substitution,
    /// `allocation`: the order in which stages serve their customers when short.
    Allocation,
    /// `buffer`: extra inventory held by stages or end uses.
    Buffer,
}

impl MitigationKind {
    /// Every kind, in the order the scenario format documents them.
    pub const ALL: [Self; 7] = [
        Self::Stockpile,
        Self::AlternateSupply,
        Self::Recycling,
        Self::Thrifting,
        Self::Substitution,
        Self::Allocation,
        Self::Buffer,
    ];

    /// The word the scenario spells this kind in (`stockpile`, `alternate_supply`, ...), as outputs write it.
    pub fn as_str(self) -> &'static str {
        MITIGATION_WORDS[self as usize]
    }

    /// The kind spelled `word`, if it is one.
    pub fn from_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

impl fmt::Display for MitigationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The words of the mitigation kinds, in the order of [`MitigationKind::ALL`].
pub(crate) const MITIGATION_WORDS: &[&str] =
    &["stockpile", "alternate_supply", "recycling", "thrifting", "substitution", "allocation", "buffer"];

/// The kind of a disruption (`[disruptions.NAME] kind`), without the parameters the engine's [`DisruptionKind`]
/// carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DisruptionKindName {
    /// `export_licensing`: exports from a region need a licence, reviewed for weeks and sometimes denied.
    ExportLicensing,
    /// `embargo`: exports from a region to chosen customers are cut by a severity.
    Embargo,
    /// `outage`: stages lose a share of their capacity.
    Outage,
    /// `demand_shock`: the demand of end uses is multiplied.
    DemandShock,
}

impl DisruptionKindName {
    /// Every kind, in the order the scenario format documents them.
    pub const ALL: [Self; 4] = [Self::ExportLicensing, Self::Embargo, Self::Outage, Self::DemandShock];

    /// The word the scenario spells this kind in (`export_licensing`, `embargo`, ...), as outputs write it.
    pub fn as_str(self) -> &'static str {
        DISRUPTION_WORDS[self as usize]
    }

    /// The kind spelled `word`, if it is one.
    pub fn from_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// The kind of the engine's disruption `kind`.
    pub fn of(kind: &DisruptionKind) -> Self {
        match kind {
            DisruptionKind::ExportLicensing { .. } => Self::ExportLicensing,
            DisruptionKind::Embargo { .. } => Self::Embargo,
            DisruptionKind::Outage { .. } => Self::Outage,
            DisruptionKind::DemandShock { .. } => Self::DemandShock,
        }
    }
}

impl fmt::Display for DisruptionKindName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The words of the disruption kinds, in the order of [`DisruptionKindName::ALL`].
pub(crate) const DISRUPTION_WORDS: &[&str] = &["export_licensing", "embargo", "outage", "demand_shock"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_spelled_once_and_read_back_from_its_word() {
        assert_eq!(MITIGATION_WORDS.len(), MitigationKind::ALL.len());
        for k in MitigationKind::ALL {
            assert_eq!(MitigationKind::from_word(k.as_str()), Some(k));
            assert_eq!(k.to_string(), k.as_str());
        }
        assert_eq!(MitigationKind::AlternateSupply.as_str(), "alternate_supply");
        assert_eq!(DISRUPTION_WORDS.len(), DisruptionKindName::ALL.len());
        for k in DisruptionKindName::ALL {
            assert_eq!(DisruptionKindName::from_word(k.as_str()), Some(k));
            assert_eq!(k.to_string(), k.as_str());
        }
        assert_eq!(DisruptionKindName::DemandShock.as_str(), "demand_shock");
        assert_eq!(MitigationKind::from_word("stockpiles"), None);
    }
}
