//! The report scheduler against a real store with a fake clock: monthly on the 25th at 07:00
//! Vietnam time, no double run, catch-up after downtime with the latest missed run only, and an
//! interrupted run made again after a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use duluan_config::{Config, Schedule, SchedulePeriod};
use duluan_index::SearchIndex;
use duluan_reports::Settings;
use duluan_reports::schedule::run_due;
use duluan_store::{SqlStore, Store};

fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(7 * 3600).unwrap().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn monthly_on_the_25th_with_catch_up_and_no_double_run() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        SqlStore::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display()), 2).await.unwrap();
    let index = SearchIndex::in_memory().unwrap();
    let config = Config::defaults();
    let settings = Settings::from_config(&config.reports, "").unwrap();
    let schedules = vec![Schedule {
        id: "monthly".into(),
        cron: "0 7 25 * *".into(),
        period: SchedulePeriod::PreviousMonth,
        topics: vec![],
        language: None,
        formats: vec!["json".into(), "html".into()],
        receivers: vec![],
    }];
    let tick = |now| run_due(&index, &store, &settings, &[], &schedules, now);

    // First start on 3 December: the latest due run (25 November) is caught up, once.
    let first = tick(vn(2021, 12, 3, 9, 0)).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(tick(vn(2021, 12, 3, 9, 1)).await.unwrap().is_empty());
    // The clock reaches the 25th: nothing a minute early, one run at 07:00, none after.
    assert!(tick(vn(2021, 12, 25, 6, 59)).await.unwrap().is_empty());
    let december = tick(vn(2021, 12, 25, 7, 0)).await.unwrap();
    assert_eq!(december.len(), 1);
    assert!(tick(vn(2021, 12, 25, 7, 1)).await.unwrap().is_empty());
    let run = store.report_run(december[0]).await.unwrap().unwrap();
    assert_eq!((run.label.as_str(), run.status.as_str()), ("2021-11", "done"));
    assert_eq!((run.period_from.as_str(), run.period_to.as_str()), ("2021-11-01", "2021-11-30"));
    assert_eq!(run.due_at, vn(2021, 12, 25, 7, 0));
    assert_eq!(run.formats, ["html", "json"]);
    let json: serde_json::Value =
        serde_json::from_str(&store.report_file(run.id, "json").await.unwrap().unwrap()).unwrap();
    assert_eq!(json["volume"]["total"], 0);

    // Down from 24 January to 3 March: only February's run (due 25 February) is made.
    let caught = tick(vn(2022, 3, 3, 8, 0)).await.unwrap();
    assert_eq!(caught.len(), 1);
    assert_eq!(store.report_run(caught[0]).await.unwrap().unwrap().label, "2022-01");
    assert!(tick(vn(2022, 3, 3, 8, 5)).await.unwrap().is_empty());
    assert_eq!(store.report_runs(50, None).await.unwrap().len(), 3);

    // A run interrupted by a crash (left `running`) is cleared at start-up and made again.
    let due = vn(2022, 3, 25, 7, 0);
    let interrupted = duluan_store::NewReportRun {
        schedule_id: "monthly".into(),
        due_at: due,
        label: "2022-02".into(),
        period_from: "2022-02-01".into(),
        period_to: "2022-02-28".into(),
    };
    store.start_report_run(&interrupted, due).await.unwrap().unwrap();
    assert!(tick(vn(2022, 3, 25, 7, 5)).await.unwrap().is_empty(), "a running run is not doubled");
    assert_eq!(store.clear_interrupted_report_runs().await.unwrap(), 1);
    let again = tick(vn(2022, 3, 25, 7, 6)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(store.report_run(again[0]).await.unwrap().unwrap().status, "done");
}
