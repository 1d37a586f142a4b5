//! Schema migrations, embedded in the binary, one list per backend.
//!
//! A tiny runner instead of `sqlx::migrate!`: the same code path works through sqlx's `Any`
//! driver on both backends, and each migration runs in its own transaction with its version
//! recorded in `schema_migrations`.

use sqlx::AnyPool;

use crate::Result;

/// (version, SQL) for SQLite.
const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_crawl.sql")),
    (3, include_str!("../migrations/sqlite/0003_triage.sql")),
    (4, include_str!("../migrations/sqlite/0004_reports.sql")),
    (5, include_str!("../migrations/sqlite/0005_report_deliveries.sql")),
    (6, include_str!("../migrations/sqlite/0006_saved_searches.sql")),
    (7, include_str!("../migrations/sqlite/0007_known_claims.sql")),
    (8, include_str!("../migrations/sqlite/0008_frontier_lease.sql")),
    (9, include_str!("../migrations/sqlite/0009_alert_items_by_item.sql")),
];
/// (version, SQL) for PostgreSQL; kept in step with [`SQLITE`].
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_crawl.sql")),
    (3, include_str!("../migrations/postgres/0003_triage.sql")),
    (4, include_str!("../migrations/postgres/0004_reports.sql")),
    (5, include_str!("../migrations/postgres/0005_report_deliveries.sql")),
    (6, include_str!("../migrations/postgres/0006_saved_searches.sql")),
    (7, include_str!("../migrations/postgres/0007_known_claims.sql")),
    (8, include_str!("../migrations/postgres/0008_frontier_lease.sql")),
    (9, include_str!("../migrations/postgres/0009_alert_items_by_item.sql")),
];

/// The newest schema version this build knows.
pub(crate) const LATEST: i64 = SQLITE[SQLITE.len() - 1].0;

pub(crate) async fn run(pool: &AnyPool, postgres: bool) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let applied: Vec<(i64,)> = sqlx::query_as("SELECT version FROM schema_migrations").fetch_all(pool).await?;
    let applied: Vec<i64> = applied.into_iter().map(|(v,)| v).collect();
    if let Some(newer) = applied.iter().find(|&&v| v > LATEST) {
        return Err(crate::Error::Invalid(format!(
            "the database has schema version {newer}, newer than this build knows ({LATEST}); upgrade duluan"
        )));
    }
    let list = if postgres { POSTGRES } else { SQLITE };
    for (version, sql) in list {
        if applied.contains(version) {
            continue;
        }
        let mut tx = pool.begin().await?;
        sqlx::raw_sql(*sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(chrono::Utc::now().timestamp_millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, "schema migration applied");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_every_version_in_order() {
        let versions = |list: &[(i64, &str)]| list.iter().map(|(v, _)| *v).collect::<Vec<_>>();
        let expected: Vec<i64> = (1..=LATEST).collect();
        assert_eq!(versions(SQLITE), expected);
        assert_eq!(versions(POSTGRES), expected);
    }
}
