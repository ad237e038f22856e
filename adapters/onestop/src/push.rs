//! The one-stop side of intake: pushes a case (manifest + files) to the gateway in one request.

use std::path::PathBuf;

use reqwest::multipart::{Form, Part};
use sha2::{Digest, Sha256};

/// A file to attach, read from disk at push time.
pub struct PushFile {
    pub kind: String,
    pub path: PathBuf,
    pub media_type: String,
}

/// The gateway's answer to a push.
#[derive(Debug)]
pub struct PushAnswer {
    pub status: u16,
    pub body: serde_json::Value,
}

/// Fills each attachment's `size` and `sha256` in the manifest from the files, as a one-stop
/// product does before pushing. Attachments that already carry them are left alone.
pub fn describe_files(manifest: &mut serde_json::Value, files: &[PushFile]) -> std::io::Result<()> {
    let Some(list) = manifest.get_mut("attachments").and_then(|a| a.as_array_mut()) else {
        return Ok(());
    };
    for att in list {
        let Some(kind) = att.get("kind").and_then(|k| k.as_str()).map(str::to_string) else {
            continue;
        };
        let Some(f) = files.iter().find(|f| f.kind == kind) else {
            continue;
        };
        let bytes = std::fs::read(&f.path)?;
        let obj = att.as_object_mut().expect("attachment is an object");
        obj.entry("size").or_insert(bytes.len().into());
        obj.entry("sha256")
            .or_insert(hex::encode(Sha256::digest(&bytes)).into());
    }
    Ok(())
}

/// The multipart form of a push or a supplement: the JSON part, then one part per file named by
/// its kind.
async fn form(json_part: &'static str, json: &serde_json::Value, files: &[PushFile]) -> Result<Form, reqwest::Error> {
    let mut form = Form::new().part(json_part, Part::text(json.to_string()).mime_str("application/json")?);
    for f in files {
        let bytes = tokio::fs::read(&f.path).await.unwrap_or_default();
        let name = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        form = form.part(
            f.kind.clone(),
            Part::bytes(bytes).file_name(name).mime_str(&f.media_type)?,
        );
    }
    Ok(form)
}

async fn post_form(http: &reqwest::Client, url: String, token: &str, form: Form) -> Result<PushAnswer, reqwest::Error> {
    let resp = http.post(url).bearer_auth(token).multipart(form).send().await?;
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(serde_json::Value::Null);
    Ok(PushAnswer { status, body })
}

/// Records a supplement with the files the agencies asked for: the `supplement` part
/// (`{note, files}`, each file described as a manifest's attachment, filled from the files),
/// then one part per file named by its kind.
pub async fn push_supplement(
    http: &reqwest::Client,
    gateway_url: &str,
    token: &str,
    case_id: &str,
    note: &str,
    files: &[PushFile],
) -> Result<PushAnswer, reqwest::Error> {
    let mut described = serde_json::json!({"note": note, "attachments": files
        .iter()
        .map(|f| serde_json::json!({
            "kind": f.kind,
            "file_name": f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            "media_type": f.media_type,
        }))
        .collect::<Vec<_>>()});
    // Described exactly as a manifest's attachments are; a file that cannot be read is sent
    // undescribed, for the gateway to refuse.
    let _ = describe_files(&mut described, files);
    let list = described["attachments"].take();
    let json = serde_json::json!({"note": note, "files": list});
    let url = format!(
        "{}/api/v1/cases/{case_id}/supplement",
        gateway_url.trim_end_matches('/')
    );
    post_form(http, url, token, form("supplement", &json, files).await?).await
}

/// Pushes a case: the manifest part first, then one part per file named by its kind.
pub async fn push_case(
    http: &reqwest::Client,
    gateway_url: &str,
    token: &str,
    manifest: &serde_json::Value,
    files: &[PushFile],
) -> Result<PushAnswer, reqwest::Error> {
    let url = format!("{}/api/v1/cases", gateway_url.trim_end_matches('/'));
    post_form(http, url, token, form("manifest", manifest, files).await?).await
}
