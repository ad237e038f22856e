//! Configuration problems, each located by file and key, all reported at once.

use std::fmt;
use std::path::Path;

/// One configuration problem, located by file and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.key, self.message)
    }
}

/// Every problem found in a configuration directory.
#[derive(Debug, thiserror::Error)]
#[error("{} configuration problem(s)", .0.len())]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub(super) fn push(&mut self, file: &str, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            file: file.into(),
            key: key.into(),
            message: message.into(),
        });
    }
}

pub(super) fn read_toml(dir: &Path, file: &str, problems: &mut Problems) -> Option<toml::Table> {
    let path = dir.join(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(file, "-", format!("cannot read {}: {e}", path.display()));
            return None;
        }
    };
    match text.parse::<toml::Table>() {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(file, "-", e.message().to_string());
            None
        }
    }
}

pub(super) fn typed<T: serde::de::DeserializeOwned>(
    table: toml::Table,
    file: &str,
    problems: &mut Problems,
) -> Option<T> {
    match T::deserialize(toml::Value::Table(table)) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(file, "-", e.message().to_string());
            None
        }
    }
}
