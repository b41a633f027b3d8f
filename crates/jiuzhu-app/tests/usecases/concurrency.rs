//! Checks that guard a write run inside the transaction that writes: requests sent at the
//! same moment never both pass a check that only one of them may pass.

use jiuzhu_app::AppError;
use jiuzhu_app::cases::{self, Applicant, ApplicationRequest, NoteRequest, StepRequest};
use jiuzhu_db::cases::{NewApplication, NewItem};
use jiuzhu_domain::Role;

use crate::*;

both!(an_objection_and_the_end_of_the_notice_do_not_cross, |b| {
    let db = registry(b).await;
    let (hh, region, _, id_number) = household(&db).await;
    let county = acting(Role::CountyApprover, PINGYANG, "");
    let (mut objected, mut ended) = (0, 0);
    for round in 0..12 {
        let (_, items) = jiuzhu_db::cases::create_application(
            &db,
            &county.actor(),
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
        let earlier = (jiuzhu_db::today() - chrono::Duration::days(8)).to_string();
        jiuzhu_db::sqlx::query("UPDATE case_items SET notice_from = $1 WHERE id = $2")
            .bind(&earlier)
            .bind(item)
            .execute(db.pool())
            .await
            .unwrap();
        let (db1, db2, u1, u2) = (db.clone(), db.clone(), county.clone(), county.clone());
        let objection = tokio::spawn(async move {
            let req = NoteRequest {
                action: "objection".into(),
                text: format!("异议 {round}"),
                ..Default::default()
            };
            cases::note(&db1, &u1, item, req).await
        });
        let end = tokio::spawn(async move {
            let req = StepRequest {
                step: "notice".into(),
                action: "complete".into(),
                ..Default::default()
            };
            cases::act(&db2, &u2, item, req).await
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
                matches!(e, Err(AppError::Blocked(ref f)) if f.to_string().contains("objection")),
                "{e:?}"
            );
        } else {
            ended += 1;
            assert!(matches!(o, Err(AppError::Blocked(_))), "{o:?}");
        }
    }
    assert_eq!(objected + ended, 12);
});

both!(two_clerks_taking_the_same_program_open_one_item, |b| {
    let db = registry(b).await;
    let (hh, _, head, _) = household(&db).await;
    let clerk = acting(Role::WindowClerk, PINGYANG, "");
    let request = ApplicationRequest {
        household: Some(hh),
        applicant: Some(Applicant::Person(head)),
        channel: "window".into(),
        programs: vec!["tekun".into()],
        ..Default::default()
    };
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (db, u, r) = (db.clone(), clerk.clone(), request.clone());
            tokio::spawn(async move { cases::take_application(&db, &u, r).await })
        })
        .collect();
    let mut taken = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => taken += 1,
            Err(AppError::Blocked(f)) => assert!(f.to_string().contains("already open"), "{f}"),
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(taken, 1);
    let open = jiuzhu_db::cases::open_items(&db, hh).await.unwrap();
    assert_eq!(open.iter().filter(|i| i.program == "tekun").count(), 1);
});
