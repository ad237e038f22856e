//! Simulators of the message providers: an HTTP SMS provider that records what it is asked to
//! send, and a real SMTP server (a sink) that accepts and records email. Both are what the
//! gateway talks to in the demo and in tests; the SMTP sink can be stopped and started again on
//! the same port to play a relay that is down.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::sim::{answer, Faults, GatewayLink, SimHandle, SimState};

/// One SMS the provider accepted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sms {
    pub to: String,
    pub text: String,
}

/// One email the sink accepted, decoded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    /// Attached files: name and bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// Email received so far, shared between the sink and the HTTP control routes.
pub type Mails = Arc<Mutex<Vec<Mail>>>;

#[derive(Clone)]
struct SmsState {
    sim: Arc<SimState>,
    sms: Arc<Mutex<Vec<Sms>>>,
    mails: Mails,
    /// Where messages families send to the provider's number are forwarded (signed).
    inbound: Option<Arc<GatewayLink>>,
}

/// A message a family sends to the provider's number.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Inbound {
    pub from: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// `POST /_sim/inbound`: a family texts the provider's number; the provider forwards it to the
/// gateway's `POST /api/v1/sms/inbound`, signed, and answers with the gateway's status.
async fn receive_inbound(State(s): State<SmsState>, Json(m): Json<Inbound>) -> Response {
    let Some(link) = &s.inbound else {
        return (StatusCode::CONFLICT, "this SMS simulator forwards no inbound messages").into_response();
    };
    let Ok(url) = reqwest::Url::parse(&format!("{}/api/v1/sms/inbound", link.url.trim_end_matches('/'))) else {
        return (StatusCode::CONFLICT, "the gateway URL is not a URL").into_response();
    };
    let body = serde_json::to_vec(&m).unwrap_or_default();
    let client = link.client.clone().unwrap_or_default();
    let mut req = client
        .post(url.clone())
        .bearer_auth(&link.token)
        .header("content-type", "application/json");
    for (name, value) in lienthong_contract::signature::headers(link.secret.as_bytes(), "POST", url.path(), &body) {
        req = req.header(name, value);
    }
    match req.body(body).send().await {
        Ok(r) => {
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            (status, r.text().await.unwrap_or_default()).into_response()
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            format!("gateway unreachable: {}", e.without_url()),
        )
            .into_response(),
    }
}

async fn send_sms(State(s): State<SmsState>, Json(m): Json<Sms>) -> Response {
    let gate = match s.sim.gate().await {
        Ok(g) => g,
        Err(resp) => return resp,
    };
    s.sms.lock().expect("sms lock").push(m);
    answer(
        gate,
        (StatusCode::OK, Json(serde_json::json!({ "status": "queued" }))).into_response(),
    )
    .await
}

async fn list_sms(State(s): State<SmsState>) -> Json<Vec<Sms>> {
    Json(s.sms.lock().expect("sms lock").clone())
}

async fn list_mails(State(s): State<SmsState>) -> Json<Vec<Mail>> {
    Json(s.mails.lock().expect("mail lock").clone())
}

/// Starts the SMS provider at `POST /sms` (`{"to", "text"}`), with the usual fault switches at
/// `/_sim/faults`, the messages at `GET /_sim/sms`, the sink's email at `GET /_sim/emails`, and
/// with `inbound`, families' messages to its number at `POST /_sim/inbound` (forwarded, signed).
pub fn spawn_sms(
    listener: tokio::net::TcpListener,
    faults: Faults,
    mails: Mails,
    inbound: Option<GatewayLink>,
) -> (SimHandle, Arc<Mutex<Vec<Sms>>>) {
    let sim = SimState::new("SMS", faults, 4, None);
    let sms = Arc::new(Mutex::new(Vec::new()));
    let router = Router::new()
        .route("/sms", post(send_sms))
        .route("/_sim/sms", get(list_sms))
        .route("/_sim/emails", get(list_mails))
        .route("/_sim/inbound", post(receive_inbound))
        .with_state(SmsState {
            sim: Arc::clone(&sim),
            sms: Arc::clone(&sms),
            mails,
            inbound: inbound.map(Arc::new),
        });
    (crate::sim::spawn(listener, router, sim), sms)
}

/// A running SMTP sink.
pub struct SmtpSink {
    pub addr: SocketAddr,
    pub mails: Mails,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// Accepts SMTP on `listener`, recording into `mails`.
    pub fn start(listener: tokio::net::TcpListener, mails: Mails) -> SmtpSink {
        let addr = listener.local_addr().expect("bound listener has an address");
        let store = Arc::clone(&mails);
        let task = tokio::spawn(async move {
            let mut sessions = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                sessions.spawn(session(stream, Arc::clone(&store)));
            }
        });
        SmtpSink { addr, mails, task }
    }

    /// Stops listening and drops every open session, like a relay that went down.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn decode(from: String, to: Vec<String>, raw: &[u8]) -> Mail {
    use mail_parser::MimeHeaders;
    let parsed = mail_parser::MessageParser::default().parse(raw);
    Mail {
        from,
        to,
        subject: parsed
            .as_ref()
            .and_then(|m| m.subject())
            .unwrap_or_default()
            .to_string(),
        body: parsed
            .as_ref()
            .and_then(|m| m.body_text(0))
            .map(|b| b.trim_end().to_string())
            .unwrap_or_default(),
        attachments: parsed
            .as_ref()
            .map(|m| {
                m.attachments()
                    .map(|a| {
                        (
                            a.attachment_name().unwrap_or_default().to_string(),
                            a.contents().to_vec(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn address(arg: &str) -> String {
    let a = arg.split_once(':').map_or(arg, |(_, a)| a).trim();
    a.trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// One SMTP session (RFC 5321, the commands a relay client uses).
async fn session(stream: TcpStream, mails: Mails) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut from = String::new();
    let mut to = Vec::new();
    if write.write_all(b"220 lienthong-sim ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250-lienthong-sim\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("MAIL FROM") {
            from = address(&line);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO") {
            to.push(address(&line));
            b"250 OK\r\n"
        } else if upper.starts_with("DATA") {
            if write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.is_err() {
                return;
            }
            let mut raw = Vec::new();
            loop {
                let mut l = Vec::new();
                match lines.read_until(b'\n', &mut l).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if l == b".\r\n" || l == b".\n" {
                    break;
                }
                let unstuffed = if l.starts_with(b"..") { &l[1..] } else { &l[..] };
                raw.extend_from_slice(unstuffed);
            }
            mails
                .lock()
                .expect("mail lock")
                .push(decode(std::mem::take(&mut from), std::mem::take(&mut to), &raw));
            b"250 OK queued\r\n"
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"502 command not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
