//! The API keeps the contract its OpenAPI document states (issue 19, schemathesis's
//! `positive_data_acceptance` and `negative_data_rejection`): what the document calls
//! valid is not refused as invalid, what it calls invalid is refused, and a reference to
//! nothing is 404, not a server error.

use axum::http::StatusCode;
use jiuzhu_domain::Role;

use crate::*;

both!(an_integer_written_with_a_zero_fraction_is_an_integer, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CountyApprover).await;
    let (hh, id_number, _) = app.household(true).await;
    let person: i64 = member_person_id(&app, hh, &id_number)
        .await
        .parse()
        .unwrap();
    let r = app
        .api(
            "POST",
            &format!("/api/v1/households/{hh}/reveal"),
            Some(serde_json::json!({"field": "id_number", "person_id": person as f64})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["value"], id_number);
    // A fraction is not an integer, and the error names the field.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/households/{hh}/reveal"),
            Some(serde_json::json!({"field": "id_number", "person_id": 1.5})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("person_id: "),
        "{}",
        r.text()
    );
});

both!(a_reference_to_nothing_is_not_found, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CountyApprover).await;
    // No household has a member with this (valid) ID number.
    let r = app
        .api(
            "POST",
            "/api/v1/applications",
            Some(serde_json::json!({"id_number": "330302199001010013", "channel": "window", "programs": ["dibao"]})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // An authorisation that does not exist (this was a server error: a foreign key).
    let (_, id_number, _) = app.household(true).await;
    let r = app
        .api(
            "POST",
            "/api/v1/applications",
            Some(
                serde_json::json!({"id_number": id_number, "channel": "window",
                "programs": ["dibao"], "authorisation": 987654}),
            ),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // A feed type that is not declared, to read or to push.
    let r = app
        .api("GET", "/api/v1/feeds/no_such_feed/snapshots", None, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    app.sign_in(Role::CityAdmin).await;
    let r = app
        .api(
            "POST",
            "/api/v1/feeds/no_such_feed/snapshots?as_of=2026-11-30&file_name=x.csv",
            None,
            None,
        )
        .await;
    assert!(
        matches!(
            r.status,
            StatusCode::NOT_FOUND | StatusCode::UNSUPPORTED_MEDIA_TYPE
        ),
        "{}",
        r.status
    );
});

both!(what_the_document_forbids_is_refused, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CountyApprover).await;
    for uri in [
        "/api/v1/households?page=0",
        "/api/v1/households?region=12345",
        "/api/v1/alerts?status=null",
        "/api/v1/alerts?page=-1",
        "/api/v1/cases?department=null",
    ] {
        let r = app.api("GET", uri, None, None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{uri}: {}",
            r.text()
        );
    }
    // The same with values the document allows.
    for uri in [
        "/api/v1/households?page=1&region=330326",
        "/api/v1/alerts?status=new",
        "/api/v1/cases?department=civil_affairs",
    ] {
        let r = app.api("GET", uri, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    }
    let (hh, id_number, _) = app.household(true).await;
    let person = member_person_id(&app, hh, &id_number).await;
    for phone in ["abc", " 13800000001", "123"] {
        let r = app
            .api(
                "PUT",
                &format!("/api/v1/households/{hh}/members/{person}"),
                Some(serde_json::json!({"name": "张三", "phone": phone})),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone {phone:?}"
        );
    }
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/households/{hh}/members/{person}"),
            Some(serde_json::json!({"name": "张三", "phone": "0577-88888888"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    // A household number of letters, digits and hyphens only.
    let village = jiuzhu_db::regions::villages_under(&app.db, "330326")
        .await
        .unwrap()[0]
        .0
        .clone();
    for (code, status) in [
        ("H 1", StatusCode::UNPROCESSABLE_ENTITY),
        ("H-2026-1", StatusCode::CREATED),
    ] {
        let r = app
            .api(
                "POST",
                "/api/v1/households",
                Some(
                    serde_json::json!({"code": code, "region_code": village, "hukou": "rural",
                    "head": {"id_number": "330326199001010014", "name": "李四"}}),
                ),
                None,
            )
            .await;
        assert_eq!(r.status, status, "code {code:?}: {}", r.text());
    }
    // Evidence dated with an empty text: the document says a date or null.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/households/{hh}/evidence"),
            Some(
                serde_json::json!({"subject": "household", "kind": "property.land", "value": "0",
                "source": "declared", "valid_from": ""}),
            ),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
});
