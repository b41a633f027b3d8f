//! The monthly monitoring run to an automatic grant (无感智办): a department's file
//! imported into a snapshot, the run over the registry's population, the policy engine's
//! proposal with its receipt, and the approval that closes the alert.

use jiuzhu_app::AppError;
use jiuzhu_app::monitoring::{Importer, import_feed};
use jiuzhu_db::households::Scope;
use jiuzhu_domain::Role;

use crate::*;

both!(
    a_monthly_run_proposes_a_grant_that_the_county_approves,
    |b| {
        let db = registry(b).await;
        let (hh, _, _, id_number) = household(&db).await;
        let system = jiuzhu_db::audit::Actor::system("test");
        let everything = Scope::everything();
        jiuzhu_db::monitoring::set_category(
            &db,
            &everything,
            &system,
            hh,
            Some("lowinc"),
            "2026-01-01",
        )
        .await
        .unwrap();
        // No one-vote veto: no deposits or vehicle, one house.
        for (kind, value) in [
            ("property.deposits", "0"),
            ("property.vehicle", "0"),
            ("property.houses", "1"),
        ] {
            let e = jiuzhu_app::registry::parse_evidence(
                "household",
                kind,
                value,
                "verified",
                "2026-01-01",
                "",
            )
            .unwrap();
            jiuzhu_db::households::record_evidence(&db, &everything, &system, hh, &e)
                .await
                .unwrap();
        }
        // The medical insurance bureau's settlements of October: one far over the line.
        let dir = std::env::temp_dir().join(jiuzhu_db::testing::unique("jiuzhu_test_feed"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("medical.csv");
        std::fs::write(
        &path,
        format!("id_number,settle_date,total_cost,out_of_pocket\n{id_number},2026-10-15,400000,300000.00\nnot-an-id,2026-10-15,1,1\n"),
    )
    .unwrap();
        let county = acting(Role::CountyApprover, PINGYANG, "");
        // A handler of another department may not deliver the medical feed.
        let justice = Importer {
            department: Some("justice"),
            scope: &county.scope,
        };
        assert!(matches!(
            import_feed(&db, &system, &justice, "medical", "2026-11-02", &path, None).await,
            Err(AppError::Forbidden(_))
        ));
        let operator = Importer {
            department: None,
            scope: &everything,
        };
        let imported = import_feed(
            &db,
            &system,
            &operator,
            "medical",
            "2026-11-02",
            &path,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            (imported.rows, imported.rejected.len()),
            (1, 1),
            "{:?}",
            imported.rejected
        );
        assert_eq!(imported.rejected[0].line, 3);
        // The same file twice is refused; nothing is stored twice.
        assert!(matches!(
            import_feed(
                &db,
                &system,
                &operator,
                "medical",
                "2026-11-02",
                &path,
                None
            )
            .await,
            Err(AppError::Conflict(_))
        ));
        std::fs::remove_dir_all(&dir).ok();

        let set = jiuzhu_monitor::load_rule_set("standard").unwrap();
        let month = jiuzhu_monitor::Month::parse("2026-10").unwrap();
        let calendar = jiuzhu_app::calendar::current(&db).await;
        let today = jiuzhu_db::today();
        let (run, proposed) =
            jiuzhu_app::grants::run_month(&db, &system, &set, month, "test", today, &calendar)
                .await
                .unwrap();
        assert!(run.population > 0 && run.new_alerts > 0, "{run:?}");
        assert_eq!(proposed, 1);
        let alert = jiuzhu_db::monitoring::raised_by_run(&db, run.run_id)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.rule == "medical_grant")
            .expect("the medical grant rule's alert");
        assert_eq!(alert.household_id, Some(hh));
        let grant = jiuzhu_db::monitoring::grant_of_alert(&db, alert.id)
            .await
            .unwrap()
            .expect("a proposed grant");
        assert_eq!(
            (grant.status.as_str(), grant.expense_fen),
            ("proposed", 30_000_000)
        );
        assert!(grant.amount_fen > 0 && grant.amount_fen < grant.expense_fen);
        assert_eq!(
            jiuzhu_policy::receipt::replay(&grant.receipt).unwrap(),
            jiuzhu_policy::receipt::Replay::Identical
        );
        // The run again raises nothing new and proposes nothing twice.
        let (again, proposed) =
            jiuzhu_app::grants::run_month(&db, &system, &set, month, "test", today, &calendar)
                .await
                .unwrap();
        assert_eq!((again.new_alerts, proposed), (0, 0));
        // The county approves: the alert closes with assistance started, its step recorded.
        // The auditor sees alerts but may not decide; an unknown decision is refused by name.
        let auditor = acting(Role::Auditor, "3303", "");
        assert!(matches!(
            jiuzhu_app::alerts::decide_grant(&db, &auditor, grant.id, "approve", "").await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            jiuzhu_app::alerts::decide_grant(&db, &county, grant.id, "yes", "").await,
            Err(AppError::Invalid(m)) if m.field() == "decision"
        ));
        jiuzhu_app::alerts::decide_grant(&db, &county, grant.id, "approve", "")
            .await
            .unwrap();
        let closed = jiuzhu_db::monitoring::alert(&db, &everything, alert.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (closed.status.as_str(), closed.outcome.as_deref()),
            ("closed", Some("assistance_started"))
        );
        let steps = jiuzhu_db::steps::events(&db, jiuzhu_db::steps::Subject::Alert, alert.id)
            .await
            .unwrap();
        assert_eq!(
            steps.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["approve"]
        );
    }
);

both!(an_alert_is_worked_step_by_step_to_its_outcome, |b| {
    let db = registry(b).await;
    let (hh, _, _, id_number) = household(&db).await;
    let system = jiuzhu_db::audit::Actor::system("test");
    let everything = Scope::everything();
    jiuzhu_db::monitoring::set_category(
        &db,
        &everything,
        &system,
        hh,
        Some("lowinc"),
        "2026-01-01",
    )
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(jiuzhu_db::testing::unique("jiuzhu_test_feed"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("medical.csv");
    std::fs::write(
        &path,
        format!("id_number,settle_date,total_cost,out_of_pocket\n{id_number},2026-10-15,400000,300000.00\n"),
    )
    .unwrap();
    let operator = Importer {
        department: None,
        scope: &everything,
    };
    import_feed(
        &db,
        &system,
        &operator,
        "medical",
        "2026-11-02",
        &path,
        None,
    )
    .await
    .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let set = jiuzhu_monitor::load_rule_set("standard").unwrap();
    let month = jiuzhu_monitor::Month::parse("2026-10").unwrap();
    let calendar = jiuzhu_app::calendar::current(&db).await;
    let (run, _) = jiuzhu_app::grants::run_month(
        &db,
        &system,
        &set,
        month,
        "test",
        jiuzhu_db::today(),
        &calendar,
    )
    .await
    .unwrap();
    let alert = jiuzhu_db::monitoring::raised_by_run(&db, run.run_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.household_id == Some(hh))
        .expect("an alert about the household");
    let township = acting(Role::TownshipOfficer, PINGYANG, "");
    let step = |step: &str, outcome: &str, note: &str| jiuzhu_app::alerts::AlertStep {
        step: step.into(),
        assignee: "township".into(),
        outcome: outcome.into(),
        note: note.into(),
    };
    // No step is skipped; the auditor reads but does not work alerts.
    assert!(matches!(
        jiuzhu_app::alerts::advance(
            &db,
            &township,
            &[alert.id],
            step("close", "no_change", "核实")
        )
        .await,
        Err(AppError::Blocked(f)) if f.message_in(true).contains("已办结")
    ));
    let auditor = acting(Role::Auditor, "3303", "");
    assert!(matches!(
        jiuzhu_app::alerts::assign(&db, &auditor, &[alert.id], "township").await,
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(
        jiuzhu_app::alerts::assign(&db, &township, &[alert.id], "township")
            .await
            .unwrap(),
        1
    );
    jiuzhu_app::alerts::advance(&db, &township, &[alert.id], step("investigate", "", ""))
        .await
        .unwrap();
    // An outcome outside the vocabulary is refused by name, and nothing moves.
    assert!(matches!(
        jiuzhu_app::alerts::advance(&db, &township, &[alert.id], step("close", "solved", "核实")).await,
        Err(AppError::Invalid(m)) if m.field() == "outcome"
    ));
    jiuzhu_app::alerts::advance(
        &db,
        &township,
        &[alert.id],
        step("close", "no_change", "已核实，另行申请临时救助"),
    )
    .await
    .unwrap();
    let closed = jiuzhu_db::monitoring::alert(&db, &everything, alert.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (closed.status.as_str(), closed.outcome.as_deref()),
        ("closed", Some("no_change"))
    );
    let steps = jiuzhu_db::steps::events(&db, jiuzhu_db::steps::Subject::Alert, alert.id)
        .await
        .unwrap();
    let actions: Vec<&str> = steps.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["assign", "investigate", "close"]);
});
