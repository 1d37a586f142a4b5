//! Scheduled reports: when each is due, which period it covers, and running what is due — once
//! per due time, catching up after downtime with the latest missed run only.

use base64::Engine as _;
use chrono::{DateTime, Datelike, Days, FixedOffset, Months, NaiveDate, Utc};
use duluan_config::{Schedule, SchedulePeriod, Topic};
use duluan_index::SearchIndex;
use duluan_store::{NewReportRun, ReportOutput, Store};

use crate::period::{Period, Unit};
use crate::{Error, Result, Settings, build, render};

/// The latest time `schedule` was due at or before `now`, when no run has covered it yet
/// (`last_due` is the due time of the schedule's latest recorded run).
pub fn due(
    schedule: &Schedule,
    tz: FixedOffset,
    last_due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let cron = parse(schedule)?;
    let Ok(latest) = cron.find_previous_occurrence(&now.with_timezone(&tz), true) else { return Ok(None) };
    let latest = latest.with_timezone(&Utc);
    Ok(match last_due {
        Some(last) if last >= latest => None,
        _ => Some(latest),
    })
}

fn parse(schedule: &Schedule) -> Result<croner::Cron> {
    schedule.cron.parse().map_err(|e| Error::Input(format!("schedule {}: cron `{}`: {e}", schedule.id, schedule.cron)))
}

/// The period a run due at `due` covers.
pub fn period_for(schedule: &Schedule, tz: FixedOffset, due: DateTime<Utc>) -> Result<Period> {
    let day = due.with_timezone(&tz).date_naive();
    let first_of_month = day.with_day(1).unwrap_or(day);
    let before = |months: u32, unit: Unit| -> Result<Period> {
        let to = match unit {
            Unit::Quarter => first_of_month.with_month0(first_of_month.month0() / 3 * 3).unwrap_or(first_of_month),
            Unit::Year => first_of_month.with_month(1).unwrap_or(first_of_month),
            _ => first_of_month,
        };
        let from =
            to.checked_sub_months(Months::new(months)).ok_or_else(|| Error::Input("period out of range".into()))?;
        Ok(Period { from, to, unit })
    };
    match schedule.period {
        SchedulePeriod::PreviousWeek => {
            let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
            Ok(Period { from: monday - Days::new(7), to: monday, unit: Unit::Week })
        }
        SchedulePeriod::PreviousMonth => before(1, Unit::Month),
        SchedulePeriod::PreviousQuarter => before(3, Unit::Quarter),
        SchedulePeriod::PreviousYear => before(12, Unit::Year),
        SchedulePeriod::SincePrevious => {
            let cron = parse(schedule)?;
            let previous = cron
                .find_previous_occurrence(&due.with_timezone(&tz), false)
                .map(|p| p.date_naive())
                .unwrap_or(day - Days::new(1));
            let last: NaiveDate = day.pred_opt().unwrap_or(day);
            Period::days(previous.min(last), last)
        }
    }
}

/// Run every schedule that is due at `now`; returns the ids of the runs recorded. A report that
/// fails is recorded as failed with its reason (and not retried until its next due time).
pub async fn run_due(
    index: &SearchIndex,
    store: &dyn Store,
    settings: &Settings,
    topics: &[Topic],
    schedules: &[Schedule],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let mut ran = Vec::new();
    for schedule in schedules {
        let last = store.last_report_run(&schedule.id).await?.map(|r| r.due_at);
        let Some(due_at) = due(schedule, settings.tz, last, now)? else { continue };
        let period = period_for(schedule, settings.tz, due_at)?;
        let run = NewReportRun {
            schedule_id: schedule.id.clone(),
            due_at,
            label: period.label(),
            period_from: period.from.to_string(),
            period_to: period.to.pred_opt().unwrap_or(period.to).to_string(),
        };
        let Some(id) = store.start_report_run(&run, now).await? else { continue };
        let _span =
            tracing::info_span!("scheduled_report", schedule = %schedule.id, run = id, period = %run.label).entered();
        let chosen: Vec<Topic> = if schedule.topics.is_empty() {
            topics.to_vec()
        } else {
            topics.iter().filter(|t| schedule.topics.contains(&t.id)).cloned().collect()
        };
        let mut settings = settings.clone();
        if let Some(lang) = &schedule.language {
            settings.lang = lang.clone();
        }
        let made = match build(index, store, &settings, &chosen, period, now).await {
            Ok(report) => outputs(&report, &schedule.formats, &settings.chromium).await.map(|files| (report, files)),
            Err(e) => Err(e),
        };
        match made {
            Ok((report, files)) => {
                let items = i64::try_from(report.all.volume.total).unwrap_or(i64::MAX);
                let output = ReportOutput { items, files: &files, receivers: &schedule.receivers };
                store.finish_report_run(id, Ok(output), now).await?;
                tracing::info!(items, "scheduled report done");
            }
            Err(e) => {
                tracing::warn!(error = %e, "scheduled report failed");
                store.finish_report_run(id, Err(&e.to_string()), now).await?;
            }
        }
        ran.push(id);
    }
    Ok(ran)
}

/// The run's stored outputs, format → text; a PDF is kept base64-encoded.
async fn outputs(report: &crate::Report, formats: &[String], chromium: &str) -> Result<Vec<(String, String)>> {
    // The page is rendered once, and only when a format needs it.
    let mut html: Option<String> = None;
    let mut files = Vec::with_capacity(formats.len());
    for format in formats {
        let text = match format.as_str() {
            "json" => render::json(report),
            "md" => render::markdown(report),
            "pdf" => {
                let page = html.get_or_insert_with(|| render::html(report));
                base64::engine::general_purpose::STANDARD.encode(render::pdf(chromium, page).await?)
            }
            _ => html.get_or_insert_with(|| render::html(report)).clone(),
        };
        files.push((format.clone(), text));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::parse_timezone;
    use chrono::TimeZone;

    fn schedule(cron: &str, period: SchedulePeriod) -> Schedule {
        Schedule {
            id: "s".into(),
            cron: cron.into(),
            period,
            topics: vec![],
            language: None,
            formats: vec!["json".into()],
            receivers: vec![],
        }
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        let tz = parse_timezone("+07:00").unwrap_or(FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()));
        tz.with_ymd_and_hms(y, m, d, h, min, 0).single().map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn due_times_in_vietnam_time() {
        let tz = parse_timezone("Asia/Ho_Chi_Minh").expect("tz");
        let monthly = schedule("0 7 25 * *", SchedulePeriod::PreviousMonth);
        // 07:00 on the 25th in Vietnam is 00:00 UTC.
        assert_eq!(due(&monthly, tz, None, at(2021, 12, 25, 7, 0)).expect("due"), Some(at(2021, 12, 25, 7, 0)));
        assert_eq!(due(&monthly, tz, None, at(2021, 12, 25, 6, 59)).expect("due"), Some(at(2021, 11, 25, 7, 0)));
        assert_eq!(due(&monthly, tz, Some(at(2021, 11, 25, 7, 0)), at(2021, 12, 25, 6, 59)).expect("due"), None);
        assert_eq!(due(&monthly, tz, Some(at(2021, 12, 25, 7, 0)), at(2021, 12, 31, 0, 0)).expect("due"), None);
        // Down from 24 December to 3 February: only the latest missed run (25 January).
        assert_eq!(
            due(&monthly, tz, Some(at(2021, 11, 25, 7, 0)), at(2022, 2, 3, 9, 0)).expect("due"),
            Some(at(2022, 1, 25, 7, 0))
        );
    }

    #[test]
    fn periods_counted_back_from_the_due_day() {
        let tz = parse_timezone("Asia/Ho_Chi_Minh").expect("tz");
        let label = |period, cron: &str, due| period_for(&schedule(cron, period), tz, due).expect("period").label();
        assert_eq!(label(SchedulePeriod::PreviousMonth, "0 7 25 * *", at(2021, 12, 25, 7, 0)), "2021-11");
        assert_eq!(label(SchedulePeriod::PreviousMonth, "0 7 1 * *", at(2022, 1, 1, 7, 0)), "2021-12");
        assert_eq!(label(SchedulePeriod::PreviousWeek, "0 7 * * 1", at(2021, 12, 20, 7, 0)), "2021-W50");
        assert_eq!(label(SchedulePeriod::PreviousQuarter, "0 7 5 1,4,7,10 *", at(2022, 1, 5, 7, 0)), "2021-Q4");
        assert_eq!(label(SchedulePeriod::PreviousYear, "0 7 2 1 *", at(2022, 1, 2, 7, 0)), "2021");
        let cycle =
            period_for(&schedule("0 7 25 * *", SchedulePeriod::SincePrevious), tz, at(2021, 12, 25, 7, 0)).expect("p");
        assert_eq!((cycle.from.to_string(), cycle.to.to_string()), ("2021-11-25".into(), "2021-12-25".into()));
        assert_eq!(cycle.label(), "2021-11-25 … 2021-12-24");
    }
}
