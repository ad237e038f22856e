//! The family's feedback (docs/family.md): one rating per case through a single-use link or an
//! officer's record, and complaints the commune answers by a due date.

use super::columns::col;
use super::{Store, StoreError};

/// What a rating link led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRating {
    /// Recorded for this case.
    Recorded { case_id: String },
    /// The link was used before.
    Used,
    /// No such link.
    Unknown,
}

/// A complaint as the commune sees it.
#[derive(Debug, Clone)]
pub struct Complaint {
    pub id: i64,
    pub case_id: Option<String>,
    pub commune_code: String,
    pub body: String,
    pub filed_at_ms: i64,
    pub due_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    pub closed_by: Option<String>,
    pub answer: Option<String>,
}

/// Feedback figures of a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedbackCounts {
    pub ratings: i64,
    pub score_sum: i64,
    pub good: i64,
    pub complaints: i64,
    pub complaints_open: i64,
    pub complaints_closed_on_time: i64,
}

impl FeedbackCounts {
    /// Adds another scope's counts.
    pub fn add(&mut self, o: &FeedbackCounts) {
        self.ratings += o.ratings;
        self.score_sum += o.score_sum;
        self.good += o.good;
        self.complaints += o.complaints;
        self.complaints_open += o.complaints_open;
        self.complaints_closed_on_time += o.complaints_closed_on_time;
    }
}

fn complaint(r: &sqlx::any::AnyRow) -> Result<Complaint, StoreError> {
    Ok(Complaint {
        id: col(r, "id")?,
        case_id: col(r, "case_id")?,
        commune_code: col(r, "commune_code")?,
        body: col(r, "body")?,
        filed_at_ms: col(r, "filed_at")?,
        due_at_ms: col(r, "due_at")?,
        closed_at_ms: col(r, "closed_at")?,
        closed_by: col(r, "closed_by")?,
        answer: col(r, "answer")?,
    })
}

impl Store {
    /// The rating link token issued for a case when it closed.
    pub async fn rating_token(&self, case_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT token FROM ratings WHERE case_id = $1 AND used_at IS NULL")
                .bind(case_id)
                .fetch_optional(&self.read)
                .await?
                .flatten(),
        )
    }

    /// The case of an unused rating link, for its page.
    pub async fn rating_case(&self, token: &str) -> Result<LinkRating, StoreError> {
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT case_id, used_at FROM ratings WHERE token = $1")
                .bind(token)
                .fetch_optional(&self.read)
                .await?;
        Ok(match row {
            Some((case_id, None)) => LinkRating::Recorded { case_id },
            Some((_, Some(_))) => LinkRating::Used,
            None => LinkRating::Unknown,
        })
    }

    /// Records the family's rating through its link, once: a conditional update decides.
    pub async fn rate_by_link(&self, token: &str, score: i64, comment: Option<&str>) -> Result<LinkRating, StoreError> {
        let now = self.now_ms();
        let done = sqlx::query(
            "UPDATE ratings SET used_at = $1, score = $2, comment = $3, channel = 'link' WHERE token = $4 AND used_at IS NULL",
        )
        .bind(now)
        .bind(score)
        .bind(comment)
        .bind(token)
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(match self.rating_case_of_token(token).await? {
                Some(case_id) => LinkRating::Recorded { case_id },
                None => LinkRating::Unknown,
            });
        }
        match self.rating_case(token).await? {
            LinkRating::Unknown => Ok(LinkRating::Unknown),
            _ => Ok(LinkRating::Used),
        }
    }

    /// The case a rating link belongs to, used or not.
    pub async fn rating_case_of_token(&self, token: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT case_id FROM ratings WHERE token = $1")
            .bind(token)
            .fetch_optional(&self.read)
            .await?)
    }

    /// An officer records a rating given on paper or at the counter's device; false when the
    /// case was rated already (by link or by an officer).
    pub async fn rate_by_officer(
        &self,
        case_id: &str,
        score: i64,
        comment: Option<&str>,
        channel: &str,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(case_id).await?;
        sqlx::query("INSERT INTO ratings (case_id, issued_at) VALUES ($1, $2) ON CONFLICT (case_id) DO NOTHING")
            .bind(case_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query(
            "UPDATE ratings SET used_at = $1, score = $2, comment = $3, channel = $4, recorded_by = $5
             WHERE case_id = $6 AND used_at IS NULL",
        )
        .bind(now)
        .bind(score)
        .bind(comment)
        .bind(channel)
        .bind(actor)
        .bind(case_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Files a complaint due at `due_at_ms`.
    pub async fn file_complaint(
        &self,
        case_id: Option<&str>,
        commune_code: &str,
        body: &str,
        due_at_ms: i64,
    ) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO complaints (case_id, commune_code, body, filed_at, due_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(case_id)
        .bind(commune_code)
        .bind(body)
        .bind(self.now_ms())
        .bind(due_at_ms)
        .fetch_one(&self.write)
        .await?;
        Ok(id)
    }

    /// Complaints of `communes` (all for `None`), open ones first by due date, then the latest
    /// answered.
    pub async fn complaints(&self, communes: Option<&[String]>, limit: i64) -> Result<Vec<Complaint>, StoreError> {
        let mut n = super::dialect::Placeholders::default();
        let filter = match communes {
            Some(c) => format!("WHERE commune_code IN ({})", n.list(c.len().max(1))),
            None => String::new(),
        };
        let sql = format!(
            "SELECT * FROM complaints {filter}
             ORDER BY CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END, due_at LIMIT {}",
            n.take()
        );
        let mut q = sqlx::query(&sql);
        match communes {
            Some([]) => q = q.bind(""),
            Some(c) => {
                for code in c {
                    q = q.bind(code);
                }
            }
            None => {}
        }
        let rows = q.bind(limit).fetch_all(&self.read).await?;
        rows.iter().map(complaint).collect()
    }

    /// One complaint.
    pub async fn complaint(&self, id: i64) -> Result<Option<Complaint>, StoreError> {
        let row = sqlx::query("SELECT * FROM complaints WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(complaint).transpose()
    }

    /// The commune answers a complaint (once); false when it was answered before. The answer
    /// goes on the case's trail, from which the notifier sends it to the family.
    pub async fn answer_complaint(&self, c: &Complaint, answer: &str, actor: &str) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = match &c.case_id {
            Some(case_id) => self.begin_case(case_id).await?,
            None => self.write.begin().await?,
        };
        let done = sqlx::query(
            "UPDATE complaints SET closed_at = $1, closed_by = $2, answer = $3 WHERE id = $4 AND closed_at IS NULL",
        )
        .bind(now)
        .bind(actor)
        .bind(answer)
        .bind(c.id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if let (true, Some(case_id)) = (done, &c.case_id) {
            super::trail::fact(
                &mut tx,
                case_id,
                None,
                now,
                actor,
                "complaint",
                "answered",
                Some(answer),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Complaints not answered by their due date.
    pub async fn overdue_complaints(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM complaints WHERE closed_at IS NULL AND due_at < $1")
                .bind(self.now_ms())
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// Ratings given and complaints filed in `[from_ms, to_ms)`, of one commune or all.
    pub async fn feedback_counts(
        &self,
        from_ms: i64,
        to_ms: i64,
        commune: Option<&str>,
    ) -> Result<FeedbackCounts, StoreError> {
        let ratings = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(r.score), 0) AS BIGINT) AS total,
                    COUNT(CASE WHEN r.score >= 4 THEN 1 END) AS good
             FROM ratings r JOIN cases c ON c.id = r.case_id
             WHERE r.used_at >= $1 AND r.used_at < $2 AND ($3 IS NULL OR c.commune_code = $3)",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(commune)
        .fetch_one(&self.read)
        .await?;
        let complaints = sqlx::query(
            "SELECT COUNT(*) AS n, COUNT(CASE WHEN closed_at IS NULL THEN 1 END) AS open,
                    COUNT(CASE WHEN closed_at <= due_at THEN 1 END) AS on_time
             FROM complaints WHERE filed_at >= $1 AND filed_at < $2 AND ($3 IS NULL OR commune_code = $3)",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(commune)
        .fetch_one(&self.read)
        .await?;
        Ok(FeedbackCounts {
            ratings: col(&ratings, "n")?,
            score_sum: col(&ratings, "total")?,
            good: col(&ratings, "good")?,
            complaints: col(&complaints, "n")?,
            complaints_open: col(&complaints, "open")?,
            complaints_closed_on_time: col(&complaints, "on_time")?,
        })
    }
}
