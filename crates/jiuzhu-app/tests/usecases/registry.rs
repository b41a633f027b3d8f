//! The registry's changes as use cases: every field of a refused form named at once with
//! its Chinese message and nothing written, who may change and reveal what, and a phone
//! left empty in the page's form kept.

use jiuzhu_app::AppError;
use jiuzhu_app::registry::{self, MemberForm};
use jiuzhu_domain::Role;

use super::{PINGYANG, acting, both, household, registry as fresh};

/// A valid ID number born on `birth` (YYYYMMDD) with sequence `seq` (000-999).
fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("330326{birth}{seq:03}");
    let check = jiuzhu_domain::id_number::check_character(&first17).unwrap();
    format!("{first17}{check}")
}

async fn members(db: &jiuzhu_db::Db, id: i64) -> usize {
    jiuzhu_app::intake::household(db, id)
        .await
        .unwrap()
        .unwrap()
        .current_members()
        .count()
}

both!(refused_members_name_every_field_in_chinese, |b| {
    let db = fresh(b).await;
    let (id, ..) = household(&db).await;
    let clerk = acting(Role::WindowClerk, PINGYANG, "");
    let before = members(&db, id).await;
    let bad = MemberForm {
        id_number: "330326197001011234".into(),
        name: " ".into(),
        phone: "12ab".into(),
        relation: "cousin".into(),
        valid_from: "2026-13-01".into(),
    };
    let Err(AppError::Invalid(errors)) = registry::add_member(&db, &clerk, id, &bad).await else {
        panic!("a form with five bad fields is refused as invalid");
    };
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["id_number", "name", "phone", "relation", "valid_from"]
    );
    for e in &errors.0 {
        assert!(
            e.message_zh
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}: a Chinese message, not {:?}",
            e.field,
            e.message_zh
        );
    }
    assert_eq!(members(&db, id).await, before, "nothing written");
    // The same person, well typed, is added; a village worker may not add anyone.
    let good = MemberForm {
        id_number: id_number("20100203", 417),
        name: "陈小明".into(),
        phone: String::new(),
        relation: "child".into(),
        valid_from: String::new(),
    };
    let worker = acting(Role::VillageWorker, PINGYANG, "");
    assert!(matches!(
        registry::add_member(&db, &worker, id, &good).await,
        Err(AppError::Forbidden(_))
    ));
    registry::add_member(&db, &clerk, id, &good).await.unwrap();
    assert_eq!(members(&db, id).await, before + 1);
    // A household outside the clerk's county is not found.
    let lucheng = acting(Role::WindowClerk, "330302", "");
    let other = MemberForm {
        id_number: id_number("20110304", 418),
        ..good.clone()
    };
    assert!(matches!(
        registry::add_member(&db, &lucheng, id, &other).await,
        Err(AppError::NotFound(_))
    ));
});

both!(a_phone_left_empty_is_kept_and_a_reveal_is_audited, |b| {
    let db = fresh(b).await;
    let (id, village, head, head_id) = household(&db).await;
    let clerk = acting(Role::WindowClerk, PINGYANG, "");
    registry::update_person(&db, &clerk, id, head, "陈大伟", Some("13800000001"))
        .await
        .unwrap();
    registry::update_person(&db, &clerk, id, head, "陈大卫", None)
        .await
        .unwrap();
    let (_, phone) = registry::reveal(&db, &clerk, id, Some(head), "phone")
        .await
        .unwrap();
    assert_eq!(phone, "13800000001", "no phone typed keeps the stored one");
    let (_, shown) = registry::reveal(&db, &clerk, id, Some(head), "id_number")
        .await
        .unwrap();
    assert_eq!(shown, head_id);
    let (rows, _) = jiuzhu_db::audit::search(
        &db,
        &jiuzhu_db::audit::Filter {
            action: Some("sensitive.reveal".into()),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 2, "each reveal is in the audit log");
    // An unknown field is refused on the field; a department handler may not reveal.
    let Err(AppError::Invalid(e)) = registry::reveal(&db, &clerk, id, Some(head), "name").await
    else {
        panic!("an unknown field is invalid");
    };
    assert_eq!(e.field(), "field");
    let handler = acting(Role::DepartmentHandler, PINGYANG, "health");
    assert!(matches!(
        registry::reveal(&db, &handler, id, Some(head), "phone").await,
        Err(AppError::Forbidden(_))
    ));
    // A head already registered is a conflict, not a second household.
    let form = registry::HouseholdForm {
        head_id_number: head_id,
        head_name: "陈大卫".into(),
        region_code: village,
        hukou: "rural".into(),
        ..Default::default()
    };
    assert!(matches!(
        registry::register_household(&db, &clerk, &form, None).await,
        Err(AppError::Blocked(f)) if f.field() == "head_id_number" && f.message_in(true).contains("已经登记")
    ));
});
