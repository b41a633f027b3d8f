//! The use cases of `jiuzhu-app` without HTTP, on SQLite and on PostgreSQL: an application
//! from intake to decision, the checks that guard each step inside its transaction, and
//! concurrent requests that must not cross.

mod cases;
mod concurrency;
mod grants;
mod registry;

use jiuzhu_app::Acting;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::households::{Scope, SearchQuery};
use jiuzhu_db::{Backend, Db};
use jiuzhu_domain::{RegionCode, Role};

/// Pingyang county (平阳县), where the test users work.
pub const PINGYANG: &str = "330326";

pub use jiuzhu_db::both;

/// A fresh database with Wenzhou's regions and a demo population of 120 households.
pub async fn registry(backend: Backend) -> Db {
    let db = jiuzhu_db::testing::fresh_db(backend, "3303").await;
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    jiuzhu_app::demo::register_population(&db, "3303", 120, 42, as_of, &mut |_| {})
        .await
        .unwrap();
    jiuzhu_app::monitoring::ensure_feed_types(&db)
        .await
        .unwrap();
    db
}

/// A user of `role` over `region`.
pub fn acting(role: Role, region: &str, department: &str) -> Acting {
    let code = RegionCode::parse(region).unwrap();
    Acting {
        username: role.code().replace('_', "-"),
        role,
        department: department.into(),
        scope: Scope::new(&code),
        region: region.into(),
        ip: "127.0.0.1".into(),
    }
}

/// A household of Pingyang: (household id, its region, its head's person id and ID number).
pub async fn household(db: &Db) -> (i64, String, i64, String) {
    let (rows, _) = jiuzhu_db::households::search(
        db,
        &Scope::everything(),
        &SearchQuery {
            region: Some(PINGYANG.into()),
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let h = &rows[0];
    let rec = jiuzhu_app::intake::household(db, h.id)
        .await
        .unwrap()
        .unwrap();
    let head = rec
        .current_members()
        .find(|m| m.id_number == h.head_id_number)
        .unwrap();
    (
        h.id,
        h.region_code.clone(),
        head.person_id,
        h.head_id_number.clone(),
    )
}

/// Records the household's signed authorisation by its head; returns its id.
pub async fn authorise(db: &Db, household_id: i64, signer: i64) -> i64 {
    jiuzhu_db::verification::record_authorisation(
        db,
        &Scope::everything(),
        &Actor::system("test"),
        household_id,
        &jiuzhu_db::verification::NewAuthorisation {
            signer_name: "户主".into(),
            signer_person_id: signer,
            scope: "all".into(),
            signed_on: "2026-11-01".into(),
            scan_name: "auth.pdf".into(),
            scan_type: "application/pdf".into(),
            scan: b"%PDF-1.4 signed".to_vec(),
        },
    )
    .await
    .unwrap()
}
