//! Attachment storage, content-addressed by SHA-256: a local directory (the default) or an
//! S3-compatible bucket (through `object_store`), which several gateway processes can share.
//!
//! Intake streams each file part into the local `tmp/` while hashing it; only once the whole case
//! is valid are the files moved to `sha256/<aa>/<hash>` — renamed on disk (and the directory
//! fsynced), or uploaded to the bucket under the same key. Content addressing makes the move
//! idempotent (a repeated push finds its bytes already there) and lets deliveries open a file by
//! its hash. The local default keeps its own writer rather than `object_store`'s file system
//! store because that one does not fsync, and a district office's server loses power.
//!
//! With an attachment key, bytes are sealed as they stream in ([`crate::sealing`]) and stored
//! as `<hash>.sealed`; the hash is always the plaintext's, so receipts are unchanged. Files
//! stored before a key was configured stay readable as they are.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use lienthong_contract::ByteStream;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::encryption::{Opener, SealKey, Sealer};

/// Files up to this size go to the bucket in one PUT; larger ones in parts of this size, so an
/// upload holds at most a few parts in memory whatever the file's size.
const PART: usize = 5 * 1024 * 1024;

/// Reads up to `buf.len()` bytes, fewer only at the end of the file.
async fn read_full<R: AsyncRead + Unpin>(file: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]).await? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// A sealed file as a stream of plaintext, one segment at a time; a changed or cut file ends
/// the stream with an error (a delivery then fails rather than send wrong bytes).
async fn open_sealed<R>(key: SealKey, mut file: R) -> std::io::Result<ByteStream>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let bad = |e: crate::encryption::OpenError| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let mut header = vec![0u8; Opener::HEADER];
    let n = read_full(&mut file, &mut header).await?;
    let opener = Opener::new(&key, &header[..n]).map_err(bad)?;
    let stream = futures_util::stream::try_unfold((file, opener), move |(mut file, mut opener)| async move {
        if opener.done() {
            return Ok(None);
        }
        let mut segment = vec![0u8; Opener::FULL];
        let n = read_full(&mut file, &mut segment).await?;
        let plain = opener.open(&segment[..n], n < Opener::FULL).map_err(bad)?;
        Ok(Some((plain, (file, opener))))
    });
    Ok(Box::pin(stream))
}

/// The attachment store: the local directory (always, for spooling uploads) and the bucket
/// when one is configured.
#[derive(Clone)]
pub struct Blobs {
    root: PathBuf,
    key: Option<SealKey>,
    bucket: Option<Arc<dyn ObjectStore>>,
}

fn bucket_error(e: object_store::Error) -> std::io::Error {
    match e {
        object_store::Error::NotFound { .. } => std::io::Error::new(std::io::ErrorKind::NotFound, e),
        e => std::io::Error::other(e),
    }
}

/// The bucket key of a stored file: the same layout as on disk.
fn object_path(sha256: &str, sealed: bool) -> ObjectPath {
    let ext = if sealed { ".sealed" } else { "" };
    ObjectPath::from(format!("sha256/{}/{sha256}{ext}", &sha256[..2]))
}

/// Uploads a local file to the bucket, streaming it part by part.
async fn upload(bucket: &dyn ObjectStore, dest: &ObjectPath, file: &Path) -> std::io::Result<()> {
    let mut file = tokio::fs::File::open(file).await?;
    let mut part = vec![0u8; PART];
    let n = read_full(&mut file, &mut part).await?;
    if n < PART {
        part.truncate(n);
        bucket.put(dest, part.into()).await.map_err(bucket_error)?;
        return Ok(());
    }
    let mut writer = WriteMultipart::new_with_chunk_size(bucket.put_multipart(dest).await.map_err(bucket_error)?, PART);
    writer.write(&part);
    loop {
        let n = read_full(&mut file, &mut part).await?;
        if n == 0 {
            break;
        }
        if let Err(e) = writer.wait_for_capacity(2).await {
            writer.abort().await.ok();
            return Err(bucket_error(e));
        }
        writer.write(&part[..n]);
    }
    writer.finish().await.map_err(bucket_error)?;
    Ok(())
}

/// A file part written to `tmp/`, hashed and measured; removed on drop unless committed.
pub struct TempBlob {
    path: PathBuf,
    sealed: bool,
    pub sha256: String,
    pub size: u64,
    /// The first bytes, for the magic-number check.
    pub head: Vec<u8>,
    committed: bool,
}

impl TempBlob {
    /// A second handle on the same bytes (a hard link beside the first, no copy), for a form
    /// that keeps an officer's files while the case is corrected: each handle is removed when
    /// dropped, whatever became of the other.
    pub fn linked_copy(&self) -> std::io::Result<TempBlob> {
        let path = self.path.with_file_name(uuid::Uuid::now_v7().to_string());
        std::fs::hard_link(&self.path, &path)?;
        Ok(TempBlob {
            path,
            sealed: self.sealed,
            sha256: self.sha256.clone(),
            size: self.size,
            head: self.head.clone(),
            committed: false,
        })
    }
}

impl Drop for TempBlob {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Why a part could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("file larger than {0} bytes")]
    TooLarge(u64),
    #[error("the upload broke off: {0}")]
    Body(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Blobs {
    /// The attachment store gateway.toml describes: its directory, key and bucket.
    pub fn configured(g: &crate::config::GatewayConfig) -> anyhow::Result<Blobs> {
        use anyhow::Context;
        let key = match &g.attachment_key {
            Some(k) => Some(SealKey::from_hex(k.expose()).map_err(anyhow::Error::msg)?),
            None => None,
        };
        let bucket = match &g.s3 {
            Some(s3) => Some(s3.object_store().context("cannot set up the attachment bucket")?),
            None => None,
        };
        Blobs::open(&g.attachment_dir, key, bucket).context("cannot open the attachment directory")
    }

    /// Opens (creating) the directory and clears temp files a crash may have left; with a key,
    /// new files are sealed; with a bucket, files are stored there.
    pub fn open(root: &Path, key: Option<SealKey>, bucket: Option<Arc<dyn ObjectStore>>) -> std::io::Result<Blobs> {
        let tmp = root.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        std::fs::create_dir_all(root.join("sha256"))?;
        Ok(Blobs {
            root: root.to_path_buf(),
            key,
            bucket,
        })
    }

    fn final_path(&self, sha256: &str) -> PathBuf {
        self.root.join("sha256").join(&sha256[..2]).join(sha256)
    }

    fn sealed_path(&self, sha256: &str) -> PathBuf {
        self.final_path(sha256).with_extension("sealed")
    }

    /// Streams chunks to a temp file while hashing; refuses at the first byte past `limit`.
    pub async fn write_temp<S, E>(&self, mut chunks: S, limit: u64) -> Result<TempBlob, BlobError>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        use futures_util::StreamExt;
        let path = self.root.join("tmp").join(uuid::Uuid::now_v7().to_string());
        let mut blob = TempBlob {
            path,
            sealed: self.key.is_some(),
            sha256: String::new(),
            size: 0,
            head: Vec::new(),
            committed: false,
        };
        let mut file = tokio::fs::File::create(&blob.path).await?;
        let mut hasher = Sha256::new();
        let mut sealer = match &self.key {
            Some(key) => {
                let (sealer, header) = Sealer::new(key);
                file.write_all(&header).await?;
                Some(sealer)
            }
            None => None,
        };
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| BlobError::Body(e.to_string()))?;
            blob.size += chunk.len() as u64;
            if blob.size > limit {
                return Err(BlobError::TooLarge(limit));
            }
            if blob.head.len() < 16 {
                let take = (16 - blob.head.len()).min(chunk.len());
                blob.head.extend_from_slice(&chunk[..take]);
            }
            hasher.update(&chunk);
            match sealer.as_mut() {
                Some(s) => file.write_all(&s.push(&chunk)).await?,
                None => file.write_all(&chunk).await?,
            }
        }
        if let Some(s) = sealer {
            file.write_all(&s.finish()).await?;
        }
        file.sync_all().await?;
        blob.sha256 = hex::encode(hasher.finalize());
        Ok(blob)
    }

    /// Reads a small part (the manifest) into memory, refusing it past `limit`.
    pub async fn read_small<S, E>(&self, mut chunks: S, limit: u64) -> Result<Bytes, BlobError>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        use futures_util::StreamExt;
        let mut buf = Vec::new();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| BlobError::Body(e.to_string()))?;
            if (buf.len() + chunk.len()) as u64 > limit {
                return Err(BlobError::TooLarge(limit));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(buf))
    }

    /// Moves a temp file to its content address (durably); a file already there is kept.
    pub async fn commit(&self, mut blob: TempBlob) -> std::io::Result<()> {
        if let Some(bucket) = &self.bucket {
            for sealed in [true, false] {
                match bucket.head(&object_path(&blob.sha256, sealed)).await {
                    Ok(_) => return Ok(()), // the drop removes the temp copy
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(bucket_error(e)),
                }
            }
            return upload(bucket.as_ref(), &object_path(&blob.sha256, blob.sealed), &blob.path).await;
        }
        let plain = self.final_path(&blob.sha256);
        let sealed = self.sealed_path(&blob.sha256);
        let dest = if blob.sealed { sealed.clone() } else { plain.clone() };
        let dir = dest.parent().expect("final paths have a parent");
        tokio::fs::create_dir_all(dir).await?;
        if tokio::fs::try_exists(&plain).await? || tokio::fs::try_exists(&sealed).await? {
            return Ok(()); // the drop removes the temp copy
        }
        tokio::fs::rename(&blob.path, &dest).await?;
        blob.committed = true;
        tokio::fs::File::open(dir).await?.sync_all().await?;
        Ok(())
    }

    /// Removes a stored blob (used only when its case could not be written).
    pub async fn remove(&self, sha256: &str) -> std::io::Result<()> {
        if let Some(bucket) = &self.bucket {
            for sealed in [true, false] {
                match bucket.delete(&object_path(sha256, sealed)).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(bucket_error(e)),
                }
            }
            return Ok(());
        }
        for path in [self.final_path(sha256), self.sealed_path(sha256)] {
            match tokio::fs::remove_file(path).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Opens a stored file as a stream of its plaintext, for delivery.
    pub async fn open_stream(&self, sha256: &str) -> std::io::Result<ByteStream> {
        if let Some(bucket) = &self.bucket {
            return self.open_object(bucket.as_ref(), sha256).await;
        }
        match tokio::fs::File::open(self.sealed_path(sha256)).await {
            Ok(file) => {
                let key = self
                    .key
                    .clone()
                    .ok_or_else(|| std::io::Error::other("the file is sealed and no attachment_key is configured"))?;
                open_sealed(key, file).await
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let file = tokio::fs::File::open(self.final_path(sha256)).await?;
                Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024)))
            }
            Err(e) => Err(e),
        }
    }

    async fn open_object(&self, bucket: &dyn ObjectStore, sha256: &str) -> std::io::Result<ByteStream> {
        use futures_util::TryStreamExt;
        let (found, sealed) = match bucket.get(&object_path(sha256, true)).await {
            Ok(found) => (found, true),
            Err(object_store::Error::NotFound { .. }) => (
                bucket.get(&object_path(sha256, false)).await.map_err(bucket_error)?,
                false,
            ),
            Err(e) => return Err(bucket_error(e)),
        };
        let stream = found.into_stream().map_err(bucket_error);
        if !sealed {
            return Ok(Box::pin(stream));
        }
        let key = self
            .key
            .clone()
            .ok_or_else(|| std::io::Error::other("the file is sealed and no attachment_key is configured"))?;
        open_sealed(key, tokio_util::io::StreamReader::new(stream)).await
    }

    /// Every stored file: paths under the local directory, then `s3://bucket-key` for objects in
    /// the bucket (tests assert nothing is left behind by refused pushes).
    pub async fn list_files(&self) -> std::io::Result<Vec<String>> {
        fn walk(dir: &Path, out: &mut Vec<String>) {
            if let Ok(rd) = std::fs::read_dir(dir) {
                for e in rd.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p, out);
                    } else {
                        out.push(p.display().to_string());
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        if let Some(bucket) = &self.bucket {
            use futures_util::TryStreamExt;
            let objects: Vec<_> = bucket.list(None).try_collect().await.map_err(bucket_error)?;
            out.extend(objects.into_iter().map(|o| format!("s3://{}", o.location)));
        }
        out.sort();
        Ok(out)
    }

    /// The stored (possibly sealed) bytes of every file, as kept at rest: for tests and checks
    /// that what rests contains no plaintext.
    pub async fn raw_files(&self) -> std::io::Result<Vec<(String, Bytes)>> {
        let mut out = Vec::new();
        for name in self.list_files().await? {
            let bytes = match name.strip_prefix("s3://") {
                Some(key) => match &self.bucket {
                    Some(b) => b
                        .get(&ObjectPath::from(key))
                        .await
                        .map_err(bucket_error)?
                        .bytes()
                        .await
                        .map_err(bucket_error)?,
                    None => continue,
                },
                None => Bytes::from(tokio::fs::read(&name).await?),
            };
            out.push((name, bytes));
        }
        Ok(out)
    }
}

/// True when the bytes start with the magic number of the declared media type.
pub fn magic_matches(media_type: &str, head: &[u8]) -> bool {
    match media_type {
        "application/pdf" => head.starts_with(b"%PDF-"),
        "image/jpeg" => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert!(magic_matches("application/pdf", b"%PDF-1.4\n"));
        assert!(!magic_matches("image/png", b"%PDF-1.4\n"));
        assert!(magic_matches("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!magic_matches("image/jpeg", b""));
    }

    #[tokio::test]
    async fn an_oversized_part_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path(), None, None).unwrap();
        let chunks = futures_util::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![7u8; 1000]))));
        let err = blobs.write_temp(chunks, 2500).await.err().unwrap();
        assert!(matches!(err, BlobError::TooLarge(2500)));
        assert!(blobs.list_files().await.unwrap().is_empty());
    }
}
