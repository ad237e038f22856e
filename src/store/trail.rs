//! The audit chain writer: every state change and fact of a case is appended here, hash-chained
//! to the case's previous event (docs/architecture.md), so a row edited or
//! removed afterwards breaks the chain that `lienthong audit verify` walks.

use sqlx::{Any, Transaction};

use crate::audit::{link_hash, Link, GENESIS};

/// Appends one event to a case's chain: its `prev_hash` is the hash of the case's last event
/// (read in the same transaction, behind the single writer on SQLite and the case row lock of
/// `Store::begin_case` on PostgreSQL) and its `hash` covers both.
async fn append(tx: &mut Transaction<'_, Any>, link: Link) -> Result<(), sqlx::Error> {
    let prev: Option<String> =
        sqlx::query_scalar("SELECT hash FROM events WHERE case_id = $1 AND hash IS NOT NULL ORDER BY id DESC LIMIT 1")
            .bind(&link.case_id)
            .fetch_optional(&mut **tx)
            .await?;
    let prev = prev.unwrap_or_else(|| GENESIS.to_string());
    let hash = link_hash(&prev, &link);
    sqlx::query(
        "INSERT INTO events (case_id, leg_id, at, actor, kind, from_state, to_state, reason, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&link.case_id)
    .bind(&link.leg_id)
    .bind(link.at)
    .bind(&link.actor)
    .bind(&link.kind)
    .bind(&link.from)
    .bind(&link.to)
    .bind(&link.reason)
    .bind(prev)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends one non-state fact (a clock transition, an apology, a supplement) to the trail.
#[allow(clippy::too_many_arguments)]
pub(super) async fn fact(
    tx: &mut Transaction<'_, Any>,
    case_id: &str,
    leg_id: Option<&str>,
    at: i64,
    actor: &str,
    kind: &str,
    to: &str,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    let link = Link {
        kind: kind.into(),
        ..fact_link(case_id, leg_id, at, actor, to, reason)
    };
    append(tx, link).await
}

/// The fields every link has; the caller names its kind and, for a state change, its origin.
fn fact_link(case_id: &str, leg_id: Option<&str>, at: i64, actor: &str, to: &str, reason: Option<&str>) -> Link {
    Link {
        case_id: case_id.into(),
        leg_id: leg_id.map(Into::into),
        at,
        actor: actor.into(),
        kind: String::new(),
        from: None,
        to: to.into(),
        reason: reason.map(Into::into),
    }
}

/// Appends one state change to the trail: a fact of kind `state` that names where it came from.
#[allow(clippy::too_many_arguments)]
pub(super) async fn event(
    tx: &mut Transaction<'_, Any>,
    case_id: &str,
    leg_id: Option<&str>,
    at: i64,
    actor: &str,
    from: Option<&str>,
    to: &str,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    let link = Link {
        kind: "state".into(),
        from: from.map(Into::into),
        ..fact_link(case_id, leg_id, at, actor, to, reason)
    };
    append(tx, link).await
}
