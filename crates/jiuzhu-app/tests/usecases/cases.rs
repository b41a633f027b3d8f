//! An application from intake to decision through the use cases alone.

use jiuzhu_app::AppError;
use jiuzhu_app::cases::{self, Applicant, ApplicationRequest, NoteRequest, StepRequest};
use jiuzhu_domain::Role;
use jiuzhu_domain::workflow::StepInput;

use crate::*;

fn step(step: &str) -> StepRequest {
    StepRequest {
        step: step.into(),
        action: "complete".into(),
        ..Default::default()
    }
}

fn with_opinion(s: &str, opinion: &str) -> StepRequest {
    let mut r = step(s);
    r.input.opinion = opinion.into();
    r
}

fn file(name: &str) -> (String, String, Vec<u8>) {
    (
        name.into(),
        "application/octet-stream".into(),
        b"bytes".to_vec(),
    )
}

both!(an_application_from_intake_to_decision, |b| {
    let db = registry(b).await;
    let (hh, region, head, id_number) = household(&db).await;
    let clerk = acting(Role::WindowClerk, PINGYANG, "");
    let county = acting(Role::CountyApprover, PINGYANG, "");

    // Taken at the window without the authorisation, by the applicant's ID number alone.
    let request = ApplicationRequest {
        applicant: Some(Applicant::IdNumber(id_number.to_lowercase())),
        channel: "window".into(),
        programs: vec!["dibao".into()],
        ..Default::default()
    };
    let app_id = cases::take_application(&db, &clerk, request.clone())
        .await
        .unwrap();
    let items = jiuzhu_db::cases::items_of(&db, app_id).await.unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(
        (item.department.as_str(), item.region_code.as_str()),
        ("civil_affairs", region.as_str())
    );
    let id = item.id;
    // The same program again is a conflict naming the open application.
    match cases::take_application(&db, &clerk, request).await {
        Err(AppError::Blocked(f)) => {
            let (m, zh) = (f.to_string(), f.message_in(true));
            assert!(m.contains(&item.application_code), "{m}");
            assert!(
                zh.contains(&item.application_code) && zh.contains("最低生活保障"),
                "{zh}"
            );
        }
        other => panic!("{other:?}"),
    }

    // No step is skipped.
    let mut investigate = step("investigate");
    assert!(matches!(
        cases::act(&db, &clerk, id, investigate.clone()).await,
        Err(AppError::Blocked(f)) if f.to_string().contains("not the current step")
            && f.message_in(true).contains("“入户调查”不是当前环节")
    ));
    // Acceptance needs the signed authorisation; the refusal says where it is recorded,
    // and recording it there is what unblocks it.
    match cases::act(&db, &clerk, id, step("accept")).await {
        Err(AppError::Blocked(f)) => {
            let link = format!("/households/{hh}/verification");
            assert!(f.to_string().contains(&link), "{f}");
            let zh = f.message_in(true);
            assert!(zh.contains(&link) && zh.contains("授权书"), "{zh}");
        }
        other => panic!("{other:?}"),
    }
    let auth = authorise(&db, hh, head).await;
    cases::act(&db, &clerk, id, step("accept")).await.unwrap();
    let application = jiuzhu_db::cases::application(&db, app_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(application.authorisation_id, Some(auth));

    // The investigation's form: every missing part named, then complete.
    match cases::act(&db, &clerk, id, investigate.clone()).await {
        Err(AppError::Invalid(m)) => {
            let m = m.to_string();
            assert!(
                m.contains("areas.housing") && m.contains("two staff") && m.contains("photo"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    investigate.input = StepInput {
        areas: jiuzhu_domain::workflow::INVESTIGATION_AREAS
            .iter()
            .map(|(c, _)| (c.to_string(), "已核实".to_string()))
            .collect(),
        staff: vec!["张三".into(), "李四".into()],
        ..Default::default()
    };
    investigate.files = vec![file("home.jpg")];
    cases::act(&db, &clerk, id, investigate).await.unwrap();
    let mut appraise = with_opinion("appraise", "评议通过");
    appraise.files = vec![file("appraisal.pdf")];
    cases::act(&db, &clerk, id, appraise).await.unwrap();

    // Verification needs a report made since the application.
    assert!(matches!(
        cases::act(&db, &clerk, id, step("verify")).await,
        Err(AppError::Blocked(f)) if f.to_string().contains("no verification report")
            && f.message_in(true).contains("核对")
    ));
    let report = jiuzhu_app::verification::verify(
        &db,
        &clerk.scope,
        &clerk.actor(),
        hh,
        auth,
        "低保申请核对",
        jiuzhu_db::today(),
    )
    .await
    .unwrap();
    cases::act(&db, &clerk, id, step("verify")).await.unwrap();
    cases::act(&db, &clerk, id, with_opinion("review", "审核同意"))
        .await
        .unwrap();

    // The public notice: its full term, and every objection answered.
    assert!(matches!(
        cases::act(&db, &clerk, id, step("notice")).await,
        Err(AppError::Blocked(f)) if f.to_string().contains("runs until")
            && f.message_in(true).contains("公示期至")
    ));
    let earlier = (jiuzhu_db::today() - chrono::Duration::days(7)).to_string();
    jiuzhu_db::sqlx::query("UPDATE case_items SET notice_from = $1 WHERE id = $2")
        .bind(&earlier)
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
    let objection = cases::note(
        &db,
        &clerk,
        id,
        NoteRequest {
            action: "objection".into(),
            text: "邻居反映其有经营收入".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        cases::act(&db, &clerk, id, step("notice")).await,
        Err(AppError::Blocked(f)) if f.to_string().contains("must be answered")
            && f.message_in(true).contains("异议")
    ));
    let answer = NoteRequest {
        action: "answer".into(),
        text: "经核实为临时帮工，已计入收入".into(),
        objection: Some(objection),
        ..Default::default()
    };
    cases::note(&db, &clerk, id, answer).await.unwrap();
    cases::act(&db, &clerk, id, step("notice")).await.unwrap();

    // Approval is the county's.
    assert!(matches!(
        cases::act(&db, &clerk, id, with_opinion("approve", "同意")).await,
        Err(AppError::Forbidden(_))
    ));
    cases::act(&db, &county, id, with_opinion("approve", "同意"))
        .await
        .unwrap();
    let done = cases::act(&db, &county, id, step("decide")).await.unwrap();
    assert_eq!(done.status, "approved");
    assert!(done.amount_fen.is_some());
    let receipt = done.receipt.clone().expect("the engine's receipt");
    assert_eq!(
        jiuzhu_policy::receipt::replay(&receipt).unwrap(),
        jiuzhu_policy::receipt::Replay::Identical
    );
    // The decision makes the household a dibao recipient, monitored from now on.
    assert_eq!(
        jiuzhu_db::monitoring::category_of(&db, hh)
            .await
            .unwrap()
            .as_deref(),
        Some("dibao")
    );
    // One timeline: eight steps completed, an objection and its answer, the report cited.
    let events = jiuzhu_db::cases::events(&db, id).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "complete").count(),
        8,
        "{actions:?}"
    );
    assert!(actions.contains(&"objection") && actions.contains(&"answer"));
    let verified = events.iter().find(|e| e.step == "verify").unwrap();
    assert!(
        verified.data.contains(&format!("\"report\":{report}")),
        "{}",
        verified.data
    );
    // Nothing more can be done on a decided item.
    assert!(matches!(
        cases::act(&db, &county, id, step("decide")).await,
        Err(AppError::Blocked(f)) if f.message_in(true).contains("已批准")
    ));
});

both!(who_may_act_and_where, |b| {
    let db = registry(b).await;
    let (hh, _, head, id_number) = household(&db).await;
    let auth = authorise(&db, hh, head).await;
    let clerk = acting(Role::WindowClerk, PINGYANG, "");
    let request = ApplicationRequest {
        household: Some(hh),
        applicant: Some(Applicant::Person(head)),
        channel: "proxy".into(),
        programs: vec!["dibao".into()],
        authorisation: Some(auth),
        ..Default::default()
    };
    // A proxy application names the proxy.
    assert!(matches!(
        cases::take_application(&db, &clerk, request.clone()).await,
        Err(AppError::Invalid(m)) if m.field() == "proxy"
    ));
    // A village worker takes no applications.
    let village = acting(Role::VillageWorker, PINGYANG, "");
    assert!(matches!(
        cases::take_application(
            &db,
            &village,
            ApplicationRequest {
                channel: "window".into(),
                ..request.clone()
            }
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    let app_id = cases::take_application(
        &db,
        &clerk,
        ApplicationRequest {
            channel: "window".into(),
            ..request
        },
    )
    .await
    .unwrap();
    let id = jiuzhu_db::cases::items_of(&db, app_id).await.unwrap()[0].id;
    let _ = id_number;
    // Outside the user's region the item does not exist; another department may not act.
    let elsewhere = acting(Role::CountyApprover, "330302", "");
    assert!(matches!(
        cases::act(&db, &elsewhere, id, step("accept")).await,
        Err(AppError::NotFound(_))
    ));
    let justice = acting(Role::DepartmentHandler, PINGYANG, "justice");
    assert!(matches!(
        cases::act(&db, &justice, id, step("accept")).await,
        Err(AppError::NotFound(_))
    ));
    // Asked to co-handle, the department gives its opinion, and only then.
    let opinion = NoteRequest {
        action: "opinion".into(),
        text: "无服刑记录".into(),
        ..Default::default()
    };
    assert!(matches!(
        cases::note(&db, &justice, id, opinion.clone()).await,
        Err(AppError::Forbidden(_))
    ));
    let ask = NoteRequest {
        action: "cohandle".into(),
        text: "请核查服刑情况".into(),
        department: "justice".into(),
        ..Default::default()
    };
    cases::note(&db, &clerk, id, ask).await.unwrap();
    cases::note(&db, &justice, id, opinion).await.unwrap();
    // Unknown vocabulary is refused at the edge, naming the field.
    let mut bad = step("accept");
    bad.action = "approve".into();
    assert!(matches!(
        cases::act(&db, &clerk, id, bad).await,
        Err(AppError::Invalid(m)) if m.field() == "action"
    ));
});
