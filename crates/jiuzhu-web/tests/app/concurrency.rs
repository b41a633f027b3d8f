//! Checks that guard a write run inside the transaction that writes (issue 22): an
//! objection filed during the public notice and the notice's completion, sent at the same
//! moment, never both succeed, on SQLite and on PostgreSQL.

use jiuzhu_db::audit::Actor;
use jiuzhu_db::cases::{self, Action, NewApplication, NewItem};
use jiuzhu_db::households::Scope;
use jiuzhu_domain::Role;

use crate::*;

both!(an_objection_and_the_end_of_the_notice_do_not_cross, |b| {
    let app = TestApp::new(b).await;
    let (hh, id_number, _) = app.household(true).await;
    let region = jiuzhu_db::households::get(&app.db, &Scope::everything(), hh)
        .await
        .unwrap()
        .unwrap()
        .household
        .region_code;
    let actor = |name: &str| Actor {
        name: name.into(),
        role: Role::CountyApprover.code().into(),
        ip: "127.0.0.1".into(),
    };
    let (mut objected, mut ended) = (0, 0);
    for round in 0..12 {
        let (_, items) = cases::create_application(
            &app.db,
            &actor("clerk"),
            &NewApplication {
                household_id: hh,
                applicant_id_number: id_number.clone(),
                applicant_name: "申请人".into(),
                channel: "window".into(),
                proxy_name: String::new(),
                proxy_id_number: String::new(),
                source_ref: String::new(),
                requested: "[\"dibao\"]".into(),
                authorisation_id: None,
                notice: "[]".into(),
                taken_region: region.clone(),
                date: "2026-12-01".into(),
            },
            &[NewItem {
                // A program of its own each round: one open item per program and household.
                program: format!("round{round}"),
                department: "civil_affairs".into(),
                region_code: region.clone(),
                steps: "[\"notice\",\"decide\"]".into(),
                approval: "county".into(),
                deadline: "2026-12-31".into(),
                green_channel: false,
                paperwork_deadline: None,
                kind: "grant".into(),
                expense_fen: None,
            }],
        )
        .await
        .unwrap();
        let item = items[0];
        let (db1, db2) = (app.db.clone(), app.db.clone());
        let (a1, a2) = (actor("villager"), actor("county"));
        let objection = tokio::spawn(async move {
            cases::note(
                &db1,
                &Scope::everything(),
                &a1,
                item,
                "objection",
                serde_json::json!({"text": format!("异议 {round}")}),
            )
            .await
        });
        let end = tokio::spawn(async move {
            cases::act(
                &db2,
                &Scope::everything(),
                &a2,
                item,
                "notice",
                &Action::Complete {
                    data: serde_json::json!({}),
                    amount_fen: None,
                    category: None,
                    receipt: None,
                },
                &[],
                "2026-12-09",
            )
            .await
        });
        let (o, e) = (objection.await.unwrap(), end.await.unwrap());
        assert!(
            o.is_ok() != e.is_ok(),
            "round {round}: exactly one may succeed: objection {o:?}, end of notice {:?}",
            e.as_ref().map(|i| i.current_step().map(String::from))
        );
        if o.is_ok() {
            objected += 1;
            assert!(
                matches!(e, Err(jiuzhu_db::DbError::Conflict(ref m)) if m.contains("objection"))
            );
        } else {
            ended += 1;
            assert!(matches!(o, Err(jiuzhu_db::DbError::Conflict(_))), "{o:?}");
        }
    }
    assert_eq!(objected + ended, 12);
});
