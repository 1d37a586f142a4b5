//! Known claims from the store, kept current in the running engine.
//!
//! Collaborators' verdicts add claims to the store (and reopened alerts withdraw them) while the
//! pipeline runs, possibly in another process sharing the database: the store's claims stamp is
//! polled, and the engine's stored claims are rebuilt off the async runtime when it moved.

use std::sync::{Arc, Weak};
use std::time::Duration;

use duluan_rules::{Claim, ClaimVerdict, Engine};
use duluan_store::{KnownClaim, KnownClaimsStamp};
use tokio::sync::watch;

use crate::{Error, Pipeline, Result};

/// The engine the stored claims were last loaded into, and the stamp they had.
#[derive(Debug, Default)]
pub(crate) struct Loaded(Option<(Weak<Engine>, KnownClaimsStamp)>);

impl Loaded {
    fn is_current(&self, engine: &Arc<Engine>, stamp: KnownClaimsStamp) -> bool {
        matches!(&self.0, Some((e, s)) if *s == stamp && Weak::ptr_eq(e, &Arc::downgrade(engine)))
    }
}

/// A stored claim as the rules engine matches it; `None` (and a warning) when it cannot be matched.
pub fn claim_from_store(stored: KnownClaim, options: &duluan_rules::ClaimOptions) -> Option<Claim> {
    if !duluan_rules::valid_claim_id(&stored.id) {
        tracing::warn!(claim = %stored.id, "stored known claim has an unusable id; not matched");
        return None;
    }
    if let Err(why) = duluan_rules::check_claim_text(&stored.text, options) {
        tracing::warn!(claim = %stored.id, %why, "stored known claim cannot be matched");
        return None;
    }
    let verdict = stored.verdict.parse().unwrap_or(ClaimVerdict::False);
    let origin = match stored.alert_id {
        Some(alert) => format!("verdict by {} on alert {alert}", stored.created_by),
        None => format!("added by {}", stored.created_by),
    };
    let added = stored.added_at.with_timezone(&duluan_text::vietnam()).date_naive();
    Some(Claim {
        title: stored.title,
        severity: stored.severity,
        route: stored.route.filter(|r| !r.trim().is_empty()),
        tags: stored.tags,
        story: stored.story_id,
        ..Claim::new(stored.id, stored.text, verdict, added, origin)
    })
}

impl Pipeline {
    /// Load the store's known claims into the engine if they changed since the last load (or the
    /// engine was replaced); returns whether they were loaded. Does nothing when
    /// `[rules.claims] from_verdicts` is off.
    pub async fn refresh_claims(&self) -> Result<bool> {
        if !self.config.rules.claims.from_verdicts {
            return Ok(false);
        }
        let stamp = self.store.known_claims_stamp().await?;
        let engine = self.engine();
        if self.claims_loaded.lock().unwrap_or_else(|p| p.into_inner()).is_current(&engine, stamp) {
            return Ok(false);
        }
        let span = tracing::info_span!("refresh_claims", stored = stamp.count);
        let _enter = span.enter();
        let stored = self.store.known_claims(duluan_rules::MAX_CLAIMS as i64).await?;
        let options = engine.claims.options();
        let claims: Vec<Claim> = stored.into_iter().filter_map(|k| claim_from_store(k, &options)).collect();
        let target = engine.clone();
        // Compiling up to 100,000 claims is CPU work: off the async workers.
        tokio::task::spawn_blocking(move || target.claims.set_stored(claims))
            .await
            .map_err(|e| Error::Stopped(format!("known claims reload: {e}")))?;
        *self.claims_loaded.lock().unwrap_or_else(|p| p.into_inner()) = Loaded(Some((Arc::downgrade(&engine), stamp)));
        Ok(true)
    }

    /// Call [`Pipeline::refresh_claims`] every `[rules.claims] refresh_secs` until `stop` turns
    /// true, so claims made by verdicts are matched without a restart.
    pub fn spawn_claims_refresher(self: &Arc<Self>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let pipeline = self.clone();
        let every = Duration::from_secs(pipeline.config.rules.claims.refresh_secs.max(1));
        tokio::spawn(async move {
            loop {
                if let Err(e) = pipeline.refresh_claims().await {
                    tracing::warn!(error = %e, "cannot reload known claims from the store");
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop.changed() => return,
                }
            }
        })
    }
}
