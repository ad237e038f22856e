//! The few places where SQLite and PostgreSQL SQL differ. Everything else is written once in the
//! common subset (`$n` placeholders, which sqlx's SQLite driver also accepts).

/// Which database a store URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The embedded default: one gateway process, one writer connection.
    Sqlite,
    /// The production shape: several gateway processes share the database.
    Postgres,
}

impl Dialect {
    /// The dialect of a store URL, if this build knows it.
    pub fn of_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }

    /// Appended to a row-claiming SELECT: on PostgreSQL concurrent claimers skip rows another
    /// transaction holds instead of waiting for it; SQLite has one writer, so nothing to skip.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The larger of two values (SQLite's scalar `MAX`, PostgreSQL's `GREATEST`).
    pub fn greatest(self) -> &'static str {
        match self {
            Dialect::Sqlite => "MAX",
            Dialect::Postgres => "GREATEST",
        }
    }

    /// An aggregate joining `expr` of a group with commas.
    pub fn comma_list(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("group_concat({expr}, ',')"),
            Dialect::Postgres => format!("string_agg({expr}, ',')"),
        }
    }

    /// A condition few rows meet (running cases and legs among a year's finished ones). SQLite's
    /// planner, with only per-index averages after `ANALYZE`, believes a status matches a third
    /// of the table and scans a whole index to skip a sort; `likelihood` tells it otherwise.
    /// PostgreSQL keeps per-value statistics and needs no hint.
    pub fn rare(self, condition: &str) -> String {
        match self {
            Dialect::Sqlite => format!("likelihood({condition}, 0.05)"),
            Dialect::Postgres => format!("({condition})"),
        }
    }

    /// A narrow key of a case row for index-only filtering (SQLite's `rowid`, else the id).
    pub fn row_key(self) -> &'static str {
        match self {
            Dialect::Sqlite => "rowid",
            Dialect::Postgres => "id",
        }
    }
}

/// Numbers `$n` placeholders for SQL assembled piece by piece.
#[derive(Debug, Default)]
pub struct Placeholders(usize);

impl Placeholders {
    /// The next placeholder.
    pub fn take(&mut self) -> String {
        self.0 += 1;
        format!("${}", self.0)
    }

    /// `count` placeholders separated by commas, for an `IN (…)` list.
    pub fn list(&mut self, count: usize) -> String {
        (0..count).map(|_| self.take()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_on_across_pieces() {
        let mut n = Placeholders::default();
        assert_eq!(n.take(), "$1");
        assert_eq!(n.list(3), "$2, $3, $4");
        assert_eq!(n.take(), "$5");
    }

    #[test]
    fn urls_select_their_dialect() {
        assert_eq!(Dialect::of_url("sqlite://data/x.db"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::of_url("postgres://u@h/db"), Some(Dialect::Postgres));
        assert_eq!(Dialect::of_url("postgresql://u@h/db"), Some(Dialect::Postgres));
        assert_eq!(Dialect::of_url("mysql://h/db"), None);
    }
}
