//! The synthetic demo population (演示人口): Wenzhou households with valid ID numbers, real
//! village codes, realistic ages, incomes, illnesses, disabilities and supporters. The same
//! seed gives the same population, byte for byte; no real person is described.

use chrono::{Datelike, Duration, NaiveDate};
use jiuzhu_domain::roster::{RosterHousehold, RosterPerson, RosterSupporter};
use jiuzhu_domain::{
    EvidenceKind, EvidenceValue, Hukou, IdNumber, Money, Relation, SupporterStatus,
    id_number::check_character,
};

/// SplitMix64: small, fast, and stable across releases (unlike library generators).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    /// True with probability `p` percent.
    pub fn chance(&mut self, p: u32) -> bool {
        self.next_u64() % 10_000 < (p as u64) * 100
    }
    /// True with probability `p` per mille.
    pub fn permille(&mut self, p: u32) -> bool {
        self.next_u64() % 1000 < p as u64
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "陈", "林", "黄", "王", "张", "李", "吴", "郑", "周", "徐", "金", "潘", "叶", "胡", "杨", "朱",
    "刘", "蔡", "谢", "池", "章", "薛", "戴", "季", "项", "董", "缪", "郭", "麻", "卢",
];
const GIVEN_M: &[&str] = &[
    "建国", "志强", "海波", "国平", "德明", "伟", "杰", "俊", "浩然", "子轩", "明", "锦华", "文斌",
    "永福", "光荣", "振华", "宇", "晨阳", "立新", "成才", "家豪", "小龙", "冬生", "阿福",
];
const GIVEN_F: &[&str] = &[
    "秀英", "美玲", "丽华", "雪梅", "芳", "静", "婷婷", "晓燕", "梓涵", "欣怡", "玉兰", "桂芳",
    "海燕", "慧", "佳琪", "素珍", "彩云", "小红", "春燕", "月娥",
];
/// Counties elsewhere in China that send workers to Wenzhou (ID prefixes only).
const MIGRANT_PREFIXES: &[&str] = &[
    "522426", "511622", "421182", "362321", "341221", "430523", "522121",
];

struct PersonSpec {
    age: i64,
    male: bool,
    relation: Relation,
}

/// Generates `n` households living in `villages` (code, name), facts as of `as_of`.
pub fn generate(
    villages: &[(String, String)],
    n: usize,
    seed: u64,
    as_of: NaiveDate,
) -> Vec<RosterHousehold> {
    assert!(!villages.is_empty(), "no villages to place households in");
    let mut g = Generator {
        rng: Rng::new(seed),
        used_ids: std::collections::HashSet::new(),
        as_of,
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (village, village_name) = g.rng.pick(villages).clone();
        let urban = village_name.contains("社区") || village_name.contains("居委会");
        let hukou = if g.rng.chance(90) == urban {
            Hukou::Urban
        } else {
            Hukou::Rural
        };
        let surname = *g.rng.pick(SURNAMES);
        let kind = g.rng.range(0, 99);
        let specs = family(&mut g.rng, kind);
        let disabled_household = (15..23).contains(&kind);
        let county = &village[..6];
        let members = g.members(&specs, surname, county, disabled_household, hukou);
        let evidence = household_evidence(&mut g.rng, hukou);
        let supporters = g.supporters(&specs, surname, county);
        out.push(RosterHousehold {
            line: Some(i + 2),
            code: format!("D{:010}", i + 1),
            region_code: village.clone(),
            hukou,
            address: format!("{village_name}{}号", g.rng.range(1, 300)),
            evidence,
            members,
            supporters,
        });
    }
    out
}

/// The generator's state: its random numbers and the ID numbers given out so far.
struct Generator {
    rng: Rng,
    used_ids: std::collections::HashSet<String>,
    as_of: NaiveDate,
}

/// Who lives in a household of `kind` (0–14 elderly, the rest families).
fn family(rng: &mut Rng, kind: i64) -> Vec<PersonSpec> {
    let mut specs = Vec::new();
    if kind < 15 {
        // An elderly household: one or two people over 60.
        let age = rng.range(60, 95);
        specs.push(PersonSpec {
            age,
            male: rng.chance(45),
            relation: Relation::Head,
        });
        if rng.chance(55) {
            specs.push(PersonSpec {
                age: (age + rng.range(-5, 5)).max(58),
                male: !specs[0].male,
                relation: Relation::Spouse,
            });
        }
        return specs;
    }
    let head_age = rng.range(24, 64);
    let male = rng.chance(80);
    specs.push(PersonSpec {
        age: head_age,
        male,
        relation: Relation::Head,
    });
    if rng.chance(85) {
        specs.push(PersonSpec {
            age: (head_age + rng.range(-4, 4)).max(20),
            male: !male,
            relation: Relation::Spouse,
        });
    }
    let children = if head_age < 50 {
        rng.range(0, 3)
    } else {
        rng.range(0, 2)
    };
    for _ in 0..children {
        let age = (head_age - rng.range(22, 35)).max(0);
        specs.push(PersonSpec {
            age,
            male: rng.chance(52),
            relation: Relation::Child,
        });
    }
    if rng.chance(20) {
        specs.push(PersonSpec {
            age: (head_age + rng.range(24, 32)).min(99),
            male: rng.chance(40),
            relation: Relation::Parent,
        });
    }
    specs
}

impl Generator {
    /// An ID number no one generated so far has, for a person born `birth`.
    fn fresh_id(
        &mut self,
        prefix: &str,
        birth: Option<NaiveDate>,
        age: i64,
        male: bool,
    ) -> IdNumber {
        loop {
            let birth = birth.unwrap_or_else(|| birth_date(&mut self.rng, self.as_of, age));
            let id = id_number(&mut self.rng, prefix, birth, male);
            if self.used_ids.insert(id.as_str().to_string()) {
                return id;
            }
        }
    }

    /// The members of `specs`, named after the head's surname (a spouse often not).
    fn members(
        &mut self,
        specs: &[PersonSpec],
        surname: &str,
        county: &str,
        disabled_household: bool,
        hukou: Hukou,
    ) -> Vec<RosterPerson> {
        let migrant = self.rng.chance(6);
        let mut members = Vec::new();
        for (k, s) in specs.iter().enumerate() {
            let prefix = if migrant {
                *self.rng.pick(MIGRANT_PREFIXES)
            } else {
                county
            };
            let id = self.fresh_id(prefix, None, s.age, s.male);
            let rng = &mut self.rng;
            let name = if s.relation == Relation::Spouse && rng.chance(70) {
                format!(
                    "{}{}",
                    rng.pick(SURNAMES),
                    rng.pick(if s.male { GIVEN_M } else { GIVEN_F })
                )
            } else {
                format!(
                    "{surname}{}",
                    rng.pick(if s.male { GIVEN_M } else { GIVEN_F })
                )
            };
            let evidence = person_evidence(rng, s, disabled_household && k == 0, hukou);
            members.push(RosterPerson {
                line: 0,
                id_number: id,
                name,
                phone: if s.age >= 16 {
                    phone(rng)
                } else {
                    String::new()
                },
                relation: s.relation,
                evidence,
            });
        }
        members
    }

    /// Supporters outside the household: children of an elderly household, else parents.
    fn supporters(
        &mut self,
        specs: &[PersonSpec],
        surname: &str,
        county: &str,
    ) -> Vec<RosterSupporter> {
        let elderly = specs.iter().all(|s| s.age >= 60);
        let count = if elderly {
            self.rng.range(1, 3)
        } else {
            self.rng.range(0, 1)
        };
        let mut supporters = Vec::new();
        for _ in 0..count {
            let age = if elderly {
                self.rng.range(30, 60)
            } else {
                self.rng.range(40, 70)
            };
            let male = self.rng.chance(50);
            let birth = birth_date(&mut self.rng, self.as_of, age);
            let id = self.fresh_id(county, Some(birth), age, male);
            let rng = &mut self.rng;
            let status = match rng.range(0, 99) {
                0..=79 => SupporterStatus::Normal,
                80..=84 => SupporterStatus::Dibao,
                85..=89 => SupporterStatus::Ill,
                90..=94 => SupporterStatus::Disabled,
                95..=96 => SupporterStatus::Prisoner,
                _ => SupporterStatus::Student,
            };
            supporters.push(RosterSupporter {
                line: 0,
                id_number: id,
                name: format!(
                    "{surname}{}",
                    rng.pick(if male { GIVEN_M } else { GIVEN_F })
                ),
                relation: (if elderly { "子女" } else { "父母" }).to_string(),
                annual_income: Money::from_yuan(if status == SupporterStatus::Normal {
                    rng.range(20, 150) * 1000
                } else {
                    rng.range(0, 12) * 1000
                }),
                status,
                has_luxury: rng.chance(4),
            });
        }
        supporters
    }
}

/// A household's property: deposits, a vehicle, houses, rural land.
fn household_evidence(rng: &mut Rng, hukou: Hukou) -> Vec<(EvidenceKind, EvidenceValue)> {
    let mut hh_evidence = Vec::new();
    let deposits = match rng.range(0, 9) {
        0..=3 => 0,
        4..=7 => rng.range(500, 40_000),
        _ => rng.range(40_000, 300_000),
    };
    if deposits > 0 {
        hh_evidence.push((
            EvidenceKind::PropertyDeposits,
            EvidenceValue::Money(Money::from_yuan(deposits)),
        ));
    }
    if rng.chance(18) {
        hh_evidence.push((
            EvidenceKind::PropertyVehicle,
            EvidenceValue::Money(Money::from_yuan(rng.range(15, 200) * 1000)),
        ));
    }
    let houses = if rng.chance(75) {
        1
    } else if rng.chance(60) {
        0
    } else {
        2
    };
    if houses > 0 {
        hh_evidence.push((EvidenceKind::PropertyHouses, EvidenceValue::Count(houses)));
    }
    if hukou == Hukou::Rural && rng.chance(70) {
        hh_evidence.push((EvidenceKind::PropertyLand, EvidenceValue::Flag(true)));
    }
    hh_evidence
}

fn birth_date(rng: &mut Rng, as_of: NaiveDate, age: i64) -> NaiveDate {
    let year_start = as_of - Duration::days(365 * (age + 1) + (age + 1) / 4 - 1);
    year_start + Duration::days(rng.range(0, 364))
}

fn id_number(rng: &mut Rng, prefix: &str, birth: NaiveDate, male: bool) -> IdNumber {
    let seq = rng.range(0, 499) * 2 + if male { 1 } else { 0 };
    let first17 = format!(
        "{prefix}{:04}{:02}{:02}{seq:03}",
        birth.year(),
        birth.month(),
        birth.day()
    );
    let check = check_character(&first17).expect("17 digits");
    IdNumber::parse(&format!("{first17}{check}")).expect("valid by construction")
}

fn phone(rng: &mut Rng) -> String {
    format!(
        "1{}{:09}",
        rng.pick(&[3, 5, 7, 8, 9]),
        rng.range(0, 999_999_999)
    )
}

fn person_evidence(
    rng: &mut Rng,
    s: &PersonSpec,
    disabled: bool,
    hukou: Hukou,
) -> Vec<(EvidenceKind, EvidenceValue)> {
    let mut ev = Vec::new();
    let roll = rng.range(0, 999);
    let health: u8 = if disabled {
        if rng.chance(50) { 5 } else { 4 }
    } else {
        let ill = (s.age * 6).min(600); // chance of any condition, per mille
        match roll {
            r if r >= ill => 1,
            r if r < ill / 2 => 2,
            r if r < ill * 3 / 4 => 3,
            r if r < ill * 17 / 20 => 4,
            r if r < ill * 9 / 10 => 5,
            _ => 6,
        }
    };
    ev.push((
        EvidenceKind::Health,
        EvidenceValue::Code(health.to_string()),
    ));
    if health == 4 || health == 5 {
        let grade = if health == 5 {
            rng.range(1, 2)
        } else {
            rng.range(3, 4)
        };
        ev.push((
            EvidenceKind::Disability,
            EvidenceValue::Code(format!("{}-{grade}", rng.range(1, 7))),
        ));
    }
    let student = schooling(rng, s, &mut ev);
    let working_age = (16..60).contains(&s.age) && !student;
    let employment = if !working_age {
        if s.age >= 60 { "retired" } else { "none" }
    } else if health >= 5 {
        "unable"
    } else if rng.chance(82) {
        "employed"
    } else {
        "unemployed"
    };
    ev.push((
        EvidenceKind::Employment,
        EvidenceValue::Code(employment.into()),
    ));
    if employment == "employed" {
        earnings(rng, health, &mut ev);
    }
    if s.age >= 60 {
        let pension = if hukou == Hukou::Urban && rng.chance(70) {
            rng.range(2000, 4500)
        } else {
            rng.range(180, 420)
        };
        ev.push((
            EvidenceKind::IncomePension,
            EvidenceValue::Money(Money::from_yuan(pension)),
        ));
    }
    if health >= 2 {
        let base = match health {
            2 => rng.range(300, 3000),
            3 => rng.range(2000, 15000),
            6 => rng.range(10000, 80000),
            _ => rng.range(200, 5000),
        };
        ev.push((
            EvidenceKind::ExpenditureMedical,
            EvidenceValue::Money(Money::from_fen(base * 100 + rng.range(0, 99))),
        ));
    }
    ev
}

/// Whether the person is a student, with their level and tuition.
fn schooling(rng: &mut Rng, s: &PersonSpec, ev: &mut Vec<(EvidenceKind, EvidenceValue)>) -> bool {
    let student = (6..=17).contains(&s.age) || ((18..=22).contains(&s.age) && rng.chance(45));
    if !student {
        return false;
    }
    let level = match s.age {
        6..=11 => "primary",
        12..=14 => "junior",
        15..=17 => {
            if rng.chance(30) {
                "vocational"
            } else {
                "senior"
            }
        }
        _ => "college",
    };
    ev.push((EvidenceKind::Schooling, EvidenceValue::Code(level.into())));
    if s.age >= 15 && rng.chance(60) {
        ev.push((
            EvidenceKind::ExpenditureTuition,
            EvidenceValue::Money(Money::from_yuan(rng.range(8, 80) * 100)),
        ));
    }
    true
}

/// An employed person's wage (halved by illness) and pension premium.
fn earnings(rng: &mut Rng, health: u8, ev: &mut Vec<(EvidenceKind, EvidenceValue)>) {
    let wage = rng.range(1800, 3200)
        + if rng.chance(40) {
            rng.range(0, 5000)
        } else {
            0
        };
    let wage = if health >= 3 { wage / 2 } else { wage };
    ev.push((
        EvidenceKind::IncomeWage,
        EvidenceValue::Money(Money::from_yuan(wage)),
    ));
    if rng.chance(60) {
        ev.push((
            EvidenceKind::ExpenditurePensionPremium,
            EvidenceValue::Money(Money::from_yuan(rng.range(12, 40) * 100)),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn villages() -> Vec<(String, String)> {
        vec![
            ("330326100201".into(), "城东社区居民委员会".into()),
            ("330326101203".into(), "西湾村民委员会".into()),
        ]
    }

    #[test]
    fn same_seed_same_population() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let a = generate(&villages(), 300, 7, d);
        let b = generate(&villages(), 300, 7, d);
        let c = generate(&villages(), 300, 8, d);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_ne!(format!("{a:?}"), format!("{c:?}"));
    }

    #[test]
    fn population_is_valid_and_realistic() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let hh = generate(&villages(), 2000, 1, d);
        let mut ids = std::collections::HashSet::new();
        let mut elderly = 0;
        let mut disabled = 0;
        for h in &hh {
            assert!(!h.members.is_empty());
            assert_eq!(
                h.members
                    .iter()
                    .filter(|m| m.relation == Relation::Head)
                    .count(),
                1
            );
            for m in &h.members {
                // Valid by parse, unique, and of a plausible age.
                let again = IdNumber::parse(m.id_number.as_str()).unwrap();
                assert!(ids.insert(again.as_str().to_string()));
                let age = jiuzhu_domain::age_on(m.id_number.birth_date(), d);
                assert!(age <= 100, "age {age}");
                if age >= 60 {
                    elderly += 1;
                }
                if m.evidence
                    .iter()
                    .any(|(k, _)| *k == EvidenceKind::Disability)
                {
                    disabled += 1;
                }
            }
            for s in &h.supporters {
                assert!(ids.insert(s.id_number.as_str().to_string()));
            }
        }
        let persons: usize = hh.iter().map(|h| h.members.len()).sum();
        assert!(persons > 2000 * 2, "{persons} persons");
        assert!(elderly * 100 / persons >= 10, "elderly share too low");
        assert!(disabled * 100 / persons >= 3, "disabled share too low");
    }
}
