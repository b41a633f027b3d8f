//! Pure domain vocabulary shared by every jiuzhu crate: no IO, no clock, only parsing and rules.

pub mod calendar;
pub mod casework;
pub mod dated;
pub mod describe;
pub mod hash;
pub mod id_number;
pub mod limits;
pub mod mask;
pub mod money;
pub mod region;
pub mod registry;
pub mod role;
pub mod roster;
pub mod workflow;

pub use dated::{DateError, Dated, age_on, parse_date, value_on};
pub use id_number::{IdNumber, IdNumberError, Sex};
pub use mask::{mask_id_str, mask_ids_in, mask_name, mask_phone};
pub use money::{Money, MoneyError};
pub use region::{RegionCode, RegionCodeError, RegionLevel};
pub use registry::{
    EvidenceKind, EvidenceSource, EvidenceSubject, EvidenceValue, EvidenceValueType,
    HealthCategory, Hukou, ParseEnumError, Relation, SupporterStatus,
};
pub use role::Role;
