//! A demo month of department feeds for the demo population: the assistance categories of
//! a share of households, and events (settlements, deaths, certifications, ...) about
//! their members and about people outside the population, so the alert inbox has work.

use chrono::NaiveDate;
use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::feeds::{self as dbfeeds, NewSnapshot};
use jiuzhu_db::monitoring;
use jiuzhu_db::roster::RosterHousehold;
use jiuzhu_domain::{IdNumber, Money};
use jiuzhu_roster::demo::Rng;
use sha2::{Digest, Sha256};

use crate::AppError;
use jiuzhu_monitor::Month;

/// Categories for about a quarter of the households, and each one's main labourer (the
/// first member aged 16-59): `(household code, category, main labourer)`.
pub fn categories(
    households: &[RosterHousehold],
    seed: u64,
    as_of: NaiveDate,
) -> Vec<(String, String, Option<String>)> {
    let mut rng = Rng::new(seed ^ 0x5eed_ca7e);
    let mut out = Vec::new();
    for h in households {
        let category = match rng.range(0, 99) {
            0..=7 => "dibao",
            8..=11 => "edge",
            12..=13 => "tekun",
            14..=21 => "lowinc",
            22..=24 => "monitored",
            _ => continue,
        };
        let laborer = h
            .members
            .iter()
            .find(|m| (16..60).contains(&jiuzhu_domain::age_on(m.id_number.birth_date(), as_of)))
            .map(|m| m.id_number.as_str().to_string());
        out.push((h.code.clone(), category.to_string(), laborer));
    }
    out
}

fn date_in(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> String {
    let days = (to - from).num_days();
    (from + chrono::Duration::days(rng.range(0, days))).to_string()
}

fn money(rng: &mut Rng, lo: i64, hi: i64) -> String {
    Money::from_fen(rng.range(lo * 100, hi * 100)).to_string()
}

/// Stores one snapshot per feed for `month` (dated five days after its end) about the
/// registry's monitored population and others. Returns the rows stored.
pub async fn seed_feeds(db: &Db, actor: &Actor, month: Month, seed: u64) -> crate::Result<usize> {
    let mut rng = Rng::new(seed ^ 0xfeed);
    let population = monitoring::population(db, &month.end.to_string()).await?;
    let others = monitoring::other_persons(db, &month.end.to_string(), 5000).await?;
    let m1 = month.end;
    let mut feeds: Vec<(&str, Vec<Vec<String>>)> = vec![
        ("medical", vec![]),
        ("deaths", vec![]),
        ("disability", vec![]),
        ("prison", vec![]),
        ("vehicles", vec![]),
        ("unemployment", vec![]),
        ("social_insurance", vec![]),
        ("diagnoses", vec![]),
        ("real_estate", vec![]),
        ("college_admissions", vec![]),
        ("business", vec![]),
        ("pensions", vec![]),
    ];
    let ids = population
        .iter()
        .map(|p| (p.id_number.clone(), true))
        .chain(others.into_iter().map(|id| (id, false)));
    for (id, in_pop) in ids {
        let age = IdNumber::parse(&id)
            .map(|i| jiuzhu_domain::age_on(i.birth_date(), m1))
            .unwrap_or(40);
        let boost = if in_pop { 1 } else { 2 };
        let mut push = |feed: &str, row: Vec<String>| {
            if let Some((_, rows)) = feeds.iter_mut().find(|(n, _)| *n == feed) {
                rows.push(row);
            }
        };
        health_and_property(&mut rng, &id, boost, month, &mut push);
        working_age(&mut rng, &id, age, in_pop, month, &mut push);
        later_life_and_more(&mut rng, &id, age, month, &mut push);
    }
    let types = crate::monitoring::feed_types(db).await?;
    let as_of = (m1 + chrono::Duration::days(5)).to_string();
    let mut total = 0;
    for (name, rows) in feeds {
        let ft = types
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| AppError::invalid(format!("no feed type {name}")))?;
        let id_pos = ft
            .columns
            .iter()
            .position(|c| c.name == ft.id_column)
            .expect("id column");
        let stored: Vec<(i64, String, String)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    i as i64 + 2,
                    r[id_pos].clone(),
                    serde_json::to_string(r).expect("cells"),
                )
            })
            .collect();
        let body: String = stored.iter().map(|r| format!("{}\n", r.2)).collect();
        let names: Vec<&str> = ft.columns.iter().map(|c| c.name.as_str()).collect();
        let s = NewSnapshot {
            feed_type: name.to_string(),
            as_of: as_of.clone(),
            file_name: format!("demo-{name}-{}.csv", month.label()),
            format: "demo".into(),
            columns: serde_json::to_string(&names).expect("names"),
            sha256: hex::encode(Sha256::digest(body.as_bytes())),
            rejected: 0,
            report: "[]".into(),
        };
        total += stored.len();
        dbfeeds::insert_snapshot(db, actor, &s, &stored).await?;
    }
    Ok(total)
}

/// The synthetic population of `households` households in the villages under `prefix`
/// (`jiuzhu_roster::demo`, the same for the same seed), registered as a roster dated
/// `as_of` through the import's own writer. Returns the households and what was written.
pub async fn register_population(
    db: &Db,
    prefix: &str,
    households: usize,
    seed: u64,
    as_of: NaiveDate,
    progress: &mut (dyn FnMut(crate::roster::Progress) + Send),
) -> crate::Result<(Vec<RosterHousehold>, crate::roster::ImportReport)> {
    let villages = jiuzhu_db::regions::villages_under(db, prefix).await?;
    if villages.is_empty() {
        return Err(AppError::invalid(format!(
            "region: no villages under {prefix} in the region table"
        )));
    }
    let population = jiuzhu_roster::demo::generate(&villages, households, seed, as_of);
    let opts = crate::roster::ImportOptions {
        as_of,
        source: jiuzhu_domain::EvidenceSource::Declared,
        actor: Actor::system("demo"),
        batch: 2000,
        scope: String::new(),
        label: None,
    };
    let mut report = crate::roster::ImportReport::default();
    crate::roster::register(
        db,
        &population,
        &opts,
        &format!("demo seed {seed}"),
        &mut report,
        progress,
    )
    .await?;
    Ok((population, report))
}

/// Settlements, deaths, certifications, prison and vehicles about one person.
fn health_and_property(
    rng: &mut Rng,
    id: &str,
    boost: u32,
    month: Month,
    push: &mut dyn FnMut(&str, Vec<String>),
) {
    let (m0, m1, w0) = (month.start, month.end, month.window_start);
    if rng.permille(120 * boost) {
        for _ in 0..rng.range(1, 4) {
            let big = rng.permille(150);
            let oop = if big {
                money(rng, 6000, 30000)
            } else {
                money(rng, 100, 3000)
            };
            push(
                "medical",
                vec![
                    id.to_string(),
                    date_in(rng, w0, m1 + chrono::Duration::days(1)),
                    money(rng, 30000, 60000),
                    oop,
                ],
            );
        }
    }
    if rng.permille(4) {
        push(
            "deaths",
            vec![
                id.to_string(),
                date_in(rng, m0, m1 + chrono::Duration::days(1)),
            ],
        );
    }
    if rng.permille(6) {
        push(
            "disability",
            vec![
                id.to_string(),
                rng.range(1, 7).to_string(),
                rng.range(1, 4).to_string(),
                date_in(rng, m0, m1 + chrono::Duration::days(1)),
            ],
        );
    }
    if rng.permille(2) {
        push("prison", vec![id.to_string(), date_in(rng, w0, m1)]);
    }
    if rng.permille(6) {
        push(
            "vehicles",
            vec![
                id.to_string(),
                format!("浙C{:05}", rng.range(0, 99999)),
                money(rng, 30000, 200000),
                date_in(rng, w0, m1),
            ],
        );
    }
}

/// Employment, social insurance and diagnoses of a person of working age.
fn working_age(
    rng: &mut Rng,
    id: &str,
    age: u32,
    in_pop: bool,
    month: Month,
    push: &mut dyn FnMut(&str, Vec<String>),
) {
    let (m0, m1, w0) = (month.start, month.end, month.window_start);
    if (18..60).contains(&age) {
        if rng.permille(12) {
            push(
                "unemployment",
                vec![
                    id.to_string(),
                    date_in(rng, m0, m1 + chrono::Duration::days(1)),
                ],
            );
        }
        if rng.permille(250) {
            let base = if in_pop {
                rng.range(1800, 4300)
            } else {
                rng.range(2000, 8000)
            };
            push(
                "social_insurance",
                vec![
                    id.to_string(),
                    month.prev_start.format("%Y-%m").to_string(),
                    format!("{base}.00"),
                ],
            );
            let now = if rng.permille(100) {
                base * 3 / 10
            } else {
                base
            };
            push(
                "social_insurance",
                vec![
                    id.to_string(),
                    month.start.format("%Y-%m").to_string(),
                    format!("{now}.00"),
                ],
            );
        }
        if rng.permille(15) {
            push(
                "business",
                vec![
                    id.to_string(),
                    format!("9133030{:011}", rng.range(0, 99_999_999_999)),
                    money(rng, 10000, 500000),
                    date_in(rng, w0, m1),
                ],
            );
        }
    }
}

/// Pensions, real estate, businesses and college admissions.
fn later_life_and_more(
    rng: &mut Rng,
    id: &str,
    age: u32,
    month: Month,
    push: &mut dyn FnMut(&str, Vec<String>),
) {
    let (m0, m1) = (month.start, month.end);
    if age >= 60 && rng.permille(300) {
        push(
            "pensions",
            vec![
                id.to_string(),
                month.start.format("%Y-%m").to_string(),
                money(rng, 200, 4000),
            ],
        );
    }
    if rng.permille(6) {
        let d = *rng.pick(&["高血压", "糖尿病", "恶性肿瘤", "尿毒症透析", "重性精神病"]);
        let sev = if d == "高血压" || d == "糖尿病" {
            "chronic"
        } else {
            "major"
        };
        push(
            "diagnoses",
            vec![
                id.to_string(),
                d.to_string(),
                sev.to_string(),
                date_in(rng, m0, m1 + chrono::Duration::days(1)),
            ],
        );
    }
    if rng.permille(3) {
        push(
            "real_estate",
            vec![
                id.to_string(),
                format!(
                    "浙({})温州市不动产权第{:07}号",
                    m1.format("%Y"),
                    rng.range(0, 9_999_999)
                ),
                format!("{}", rng.range(40, 140)),
                date_in(rng, m0, m1 + chrono::Duration::days(1)),
            ],
        );
    }
    if (17..21).contains(&age) && rng.permille(150) {
        push(
            "college_admissions",
            vec![
                id.to_string(),
                rng.pick(&[
                    "温州大学",
                    "温州医科大学",
                    "浙江工业大学",
                    "温州职业技术学院",
                ])
                .to_string(),
                date_in(rng, m0, m1 + chrono::Duration::days(1)),
            ],
        );
    }
}
