//! Attachments encrypted at rest, when a key is configured: the STREAM construction (Hoang,
//! Reyhanitabar, Rogaway, Vizár) with XChaCha20-Poly1305 from RustCrypto, over 64 KiB segments,
//! so a file of any size is sealed and opened while streaming, and any changed, reordered,
//! dropped or appended segment — or a cut end — fails authentication.
//!
//! File layout: [`MAGIC`], a random 19-byte nonce prefix, then segments of `SEGMENT + 16` bytes;
//! the last segment is shorter (it holds fewer than `SEGMENT` plaintext bytes, possibly none), so
//! a file cut at a segment boundary is refused.

use bytes::Bytes;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::KeyInit;
use chacha20poly1305::XChaCha20Poly1305;
use password_hash::rand_core::{OsRng, RngCore};

/// Plaintext bytes per segment.
pub const SEGMENT: usize = 64 * 1024;
const TAG: usize = 16;
const PREFIX: usize = 19;
/// The first bytes of a sealed file.
pub const MAGIC: &[u8; 8] = b"LTSEAL01";

/// A configured attachment key (32 bytes).
#[derive(Clone)]
pub struct SealKey(chacha20poly1305::Key);

impl SealKey {
    /// From 64 hex digits, as `attachment_key` in gateway.toml or `LIENTHONG_ATTACHMENT_KEY`.
    pub fn from_hex(hex_key: &str) -> Result<SealKey, String> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| "must be 64 hex digits".to_string())?;
        if bytes.len() != 32 {
            return Err("must be 64 hex digits (32 bytes)".into());
        }
        Ok(SealKey(*chacha20poly1305::Key::from_slice(&bytes)))
    }
}

/// Why a sealed file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not a sealed file")]
    NotSealed,
    #[error("the sealed file was changed, cut or sealed with another key")]
    Tampered,
}

/// Seals a stream of plaintext chunks into segments.
pub struct Sealer {
    encryptor: Option<EncryptorBE32<XChaCha20Poly1305>>,
    pending: Vec<u8>,
}

impl Sealer {
    /// A sealer with a fresh random nonce prefix, and the header to write first.
    pub fn new(key: &SealKey) -> (Sealer, Vec<u8>) {
        let mut prefix = [0u8; PREFIX];
        OsRng.fill_bytes(&mut prefix);
        let cipher = XChaCha20Poly1305::new(&key.0);
        let encryptor = EncryptorBE32::from_aead(cipher, (&prefix).into());
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(&prefix);
        let sealer = Sealer {
            encryptor: Some(encryptor),
            pending: Vec::with_capacity(SEGMENT),
        };
        (sealer, header)
    }

    /// Takes plaintext; returns the sealed segments it completed.
    pub fn push(&mut self, mut chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        while !chunk.is_empty() {
            let take = (SEGMENT - self.pending.len()).min(chunk.len());
            self.pending.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if self.pending.len() == SEGMENT {
                let encryptor = self.encryptor.as_mut().expect("not finished");
                let sealed = encryptor
                    .encrypt_next(self.pending.as_slice())
                    .expect("a segment within the cipher's limits");
                out.extend_from_slice(&sealed);
                self.pending.clear();
            }
        }
        out
    }

    /// The last segment (fewer than `SEGMENT` plaintext bytes, possibly none).
    pub fn finish(mut self) -> Vec<u8> {
        let encryptor = self.encryptor.take().expect("finished once");
        encryptor
            .encrypt_last(self.pending.as_slice())
            .expect("a segment within the cipher's limits")
    }
}

/// Opens a sealed file segment by segment.
pub struct Opener {
    decryptor: Option<DecryptorBE32<XChaCha20Poly1305>>,
}

impl Opener {
    /// Reads the header; `header` must be the first `MAGIC.len() + 19` bytes.
    pub fn new(key: &SealKey, header: &[u8]) -> Result<Opener, OpenError> {
        if header.len() != Self::HEADER || &header[..MAGIC.len()] != MAGIC {
            return Err(OpenError::NotSealed);
        }
        let cipher = XChaCha20Poly1305::new(&key.0);
        let prefix = &header[MAGIC.len()..];
        Ok(Opener {
            decryptor: Some(DecryptorBE32::from_aead(cipher, prefix.into())),
        })
    }

    /// The header's length.
    pub const HEADER: usize = MAGIC.len() + PREFIX;
    /// A full sealed segment's length; anything shorter is the last one.
    pub const FULL: usize = SEGMENT + TAG;

    /// Opens one segment; `last` when it is shorter than [`Opener::FULL`].
    pub fn open(&mut self, segment: &[u8], last: bool) -> Result<Bytes, OpenError> {
        let plain = if last {
            let decryptor = self.decryptor.take().ok_or(OpenError::Tampered)?;
            decryptor.decrypt_last(segment)
        } else {
            let decryptor = self.decryptor.as_mut().ok_or(OpenError::Tampered)?;
            decryptor.decrypt_next(segment)
        };
        plain.map(Bytes::from).map_err(|_| OpenError::Tampered)
    }

    /// True once the last segment was opened (a file that ends before is cut).
    pub fn done(&self) -> bool {
        self.decryptor.is_none()
    }
}

/// Opens a whole sealed file in memory (tests, small files).
pub fn open_all(key: &SealKey, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
    if sealed.len() < Opener::HEADER {
        return Err(OpenError::NotSealed);
    }
    let mut opener = Opener::new(key, &sealed[..Opener::HEADER])?;
    let mut out = Vec::new();
    let mut rest = &sealed[Opener::HEADER..];
    loop {
        let take = rest.len().min(Opener::FULL);
        let last = take < Opener::FULL;
        out.extend_from_slice(&opener.open(&rest[..take], last)?);
        rest = &rest[take..];
        if last {
            break;
        }
    }
    if !rest.is_empty() || !opener.done() {
        return Err(OpenError::Tampered);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(b: u8) -> SealKey {
        SealKey::from_hex(&hex::encode([b; 32])).unwrap()
    }

    fn seal(key: &SealKey, data: &[u8], chunk: usize) -> Vec<u8> {
        let (mut sealer, mut out) = Sealer::new(key);
        for c in data.chunks(chunk.max(1)) {
            out.extend(sealer.push(c));
        }
        out.extend(sealer.finish());
        out
    }

    #[test]
    fn keys_are_64_hex_digits() {
        assert!(SealKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(SealKey::from_hex("abcd").is_err());
        assert!(SealKey::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn exact_multiples_of_a_segment_and_empty_files_round_trip_and_cuts_are_found() {
        for len in [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&key(1), &data, 10_000);
            assert_eq!(open_all(&key(1), &sealed).unwrap(), data, "len {len}");
            assert!(open_all(&key(2), &sealed).is_err(), "another key");
            // Cut at every segment boundary and in the middle of the last segment.
            for cut in (Opener::HEADER..sealed.len())
                .step_by(Opener::FULL)
                .chain([sealed.len() - 1])
            {
                assert!(open_all(&key(1), &sealed[..cut]).is_err(), "len {len} cut at {cut}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn any_file_round_trips_in_any_chunking(data in proptest::collection::vec(any::<u8>(), 0..200_000), chunk in 1usize..100_000) {
            let sealed = seal(&key(7), &data, chunk);
            prop_assert_eq!(open_all(&key(7), &sealed).unwrap(), data);
        }

        #[test]
        fn any_flipped_byte_is_refused(data in proptest::collection::vec(any::<u8>(), 0..140_000), at in any::<proptest::sample::Index>(), flip in 1u8..=255) {
            let mut sealed = seal(&key(3), &data, 4096);
            let i = at.index(sealed.len());
            sealed[i] ^= flip;
            prop_assert!(open_all(&key(3), &sealed).is_err());
        }
    }
}
