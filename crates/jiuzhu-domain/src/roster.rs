//! A roster's households as validated and ready to register (户籍名册): each member,
//! supporter and fact with the line of the file it came from.

use crate::{EvidenceKind, EvidenceValue, Hukou, IdNumber, Money, Relation, SupporterStatus};

/// A member to register, with the line it came from.
#[derive(Clone, Debug)]
pub struct RosterPerson {
    pub line: usize,
    pub id_number: IdNumber,
    pub name: String,
    pub phone: String,
    pub relation: Relation,
    pub evidence: Vec<(EvidenceKind, EvidenceValue)>,
}

/// A supporter of the household, with the line it came from.
#[derive(Clone, Debug)]
pub struct RosterSupporter {
    pub line: usize,
    pub id_number: IdNumber,
    pub name: String,
    pub relation: String,
    pub annual_income: Money,
    pub status: SupporterStatus,
    pub has_luxury: bool,
}

/// A household of the roster with everything listed for it.
#[derive(Clone, Debug)]
pub struct RosterHousehold {
    /// The households file's line; `None` when the roster only adds to a registered household.
    pub line: Option<usize>,
    pub code: String,
    pub region_code: String,
    pub hukou: Hukou,
    pub address: String,
    pub evidence: Vec<(EvidenceKind, EvidenceValue)>,
    pub members: Vec<RosterPerson>,
    pub supporters: Vec<RosterSupporter>,
}
