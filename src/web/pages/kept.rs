//! Files a commune officer chose for a case the rules refused, kept on the server for a while so
//! the corrected form goes out without choosing every file again (a browser cannot refill a file
//! field). Each is kept under an unguessable token, for the officer who chose it only, for
//! [`KEEP_MS`]; what is not taken back is removed with its temporary file.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::blobs::TempBlob;

/// How long a kept file waits for the corrected form.
pub const KEEP_MS: i64 = 30 * 60 * 1000;
/// Files kept at most, across officers (the oldest go first).
const MAX_KEPT: usize = 500;

/// One kept file.
pub struct Kept {
    owner: String,
    pub kind: String,
    pub file_name: String,
    pub media_type: String,
    pub blob: TempBlob,
    at_ms: i64,
}

/// The kept files of this gateway process.
#[derive(Default)]
pub struct KeptUploads {
    files: Mutex<HashMap<String, Kept>>,
}

impl KeptUploads {
    /// Keeps a file for `owner`; the token goes into the page as a hidden field.
    pub fn keep(
        &self,
        owner: &str,
        kind: &str,
        file_name: &str,
        media_type: &str,
        blob: TempBlob,
        now_ms: i64,
    ) -> String {
        let token = super::session::random_token();
        let mut files = self.files.lock().expect("kept uploads");
        files.retain(|_, k| now_ms - k.at_ms < KEEP_MS);
        while files.len() >= MAX_KEPT {
            let Some(oldest) = files.iter().min_by_key(|(_, k)| k.at_ms).map(|(t, _)| t.clone()) else {
                break;
            };
            files.remove(&oldest);
        }
        files.insert(
            token.clone(),
            Kept {
                owner: owner.to_string(),
                kind: kind.to_string(),
                file_name: file_name.to_string(),
                media_type: media_type.to_string(),
                blob,
                at_ms: now_ms,
            },
        );
        token
    }

    /// Takes a kept file back for `owner`, if it is still kept and theirs.
    pub fn take(&self, token: &str, owner: &str, now_ms: i64) -> Option<Kept> {
        let mut files = self.files.lock().expect("kept uploads");
        let fresh = files
            .get(token)
            .is_some_and(|k| k.owner == owner && now_ms - k.at_ms < KEEP_MS);
        fresh.then(|| files.remove(token)).flatten()
    }
}
