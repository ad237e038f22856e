//! The retention duty: a configured number of days after a case ended, its attachment bytes are
//! deleted from storage; the attachment rows (kind, name, size, SHA-256) and the audit trail
//! stay, and the purge itself is an event of the case. Files shared with a case that still
//! needs them are kept. Safe with several instances and across crashes: bytes go first (a
//! missing file is fine), then one conditional update records it once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::blobs::Blobs;
use crate::config::Config;
use crate::store::{Store, StoreError};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Purges expired attachment bytes, every sweep interval.
pub struct Purger {
    config: Arc<Config>,
    store: Store,
    blobs: Blobs,
}

impl Purger {
    /// A purger over the store and the attachment storage.
    pub fn new(config: Arc<Config>, store: Store, blobs: Blobs) -> Purger {
        Purger { config, store, blobs }
    }

    /// Runs until shutdown; does nothing when no retention is configured.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let Some(days) = self.config.gateway.retention.attachment_days else {
            return;
        };
        let every = Duration::from_millis(self.config.gateway.deadlines.sweep_interval_ms);
        loop {
            match self.purge(days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(cases = n, "attachment bytes purged by retention"),
                Err(e) => tracing::warn!(error = %e, "retention purge failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }

    /// One pass: the cases whose bytes this pass purged.
    pub async fn purge(&self, days: u32) -> Result<usize, StoreError> {
        let before = self.store.now_ms() - i64::from(days) * DAY_MS;
        let mut purged = 0;
        for expired in self.store.expired_attachments(before, 200).await? {
            for sha in &expired.sha256 {
                if !self.store.bytes_still_needed(sha, before).await? {
                    self.blobs.remove(sha).await.map_err(sqlx::Error::Io)?;
                }
            }
            if self.store.mark_purged(&expired.case_id, days).await? {
                purged += 1;
            }
        }
        Ok(purged)
    }
}
