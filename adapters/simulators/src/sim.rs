//! The shared core of the receiving-system simulators.
//!
//! Each adapter crate builds its simulator's wire routes on top of [`SimState`], which keeps what
//! was received (so tests can assert "exactly one registration per case"), injects faults (5xx,
//! time-outs, dropped or corrupted files, slow answers) and reports decisions back to the gateway
//! with a configurable mix. Faults are set by flags at start and at run time through
//! `PUT /_sim/faults`; records are read at `GET /_sim/records`.
//!
//! Reporting behaves as the README asks of agency integrators: a callback answered 408, 429
//! (after its `Retry-After`) or 5xx, or not answered, is tried again; only a refusal that will
//! never succeed (any other 4xx) ends it. Either way the decision stays in the record's status,
//! where the gateway's check-back finds it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use lienthong_contract::adapter::{FileHash, Receipt};
use lienthong_contract::bundle::AttachmentMeta;

/// Faults to inject; all off by default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// The next N wire requests answer 503.
    pub fail_next: u32,
    /// Every wire request answers 503 (a system that is down).
    pub fail_always: bool,
    /// Probability (0..1) that a wire request answers 503.
    pub fail_rate: f64,
    /// The next N wire requests are processed but answered only after 30 s (a time-out).
    pub timeout_next: u32,
    /// The next N envelopes are accepted WITHOUT their files.
    pub drop_files_next: u32,
    /// Probability (0..1) that an envelope is accepted without its files.
    pub drop_files_rate: f64,
    /// The next N files received are stored corrupted.
    pub corrupt_next: u32,
    /// Every wire request is answered this much later.
    pub delay_ms: u64,
    /// The next N decisions are made but their callbacks are never sent (lost callbacks: the
    /// decision shows only in the record's status, for the gateway's check-back).
    pub drop_decisions_next: u32,
    /// Probability (0..1) that a decision's callback is never sent.
    pub drop_decisions_rate: f64,
    /// The next N new records need verification before a decision (their receipts say so).
    pub verify_next: u32,
    /// How this system decides once a record is complete.
    pub decide: DecideMix,
}

/// Weights of the decisions a simulator makes, and how long it thinks first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecideMix {
    pub completed: u32,
    pub rejected: u32,
    pub needs_supplement: u32,
    pub after_ms: u64,
}

impl Default for DecideMix {
    fn default() -> Self {
        DecideMix {
            completed: 1,
            rejected: 0,
            needs_supplement: 0,
            after_ms: 50,
        }
    }
}

/// The decision a simulator picked for a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    Rejected,
    NeedsSupplement,
}

/// What the simulator holds for one idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub key: String,
    pub record_id: String,
    pub case_id: String,
    pub leg_id: String,
    pub declared: Vec<AttachmentMeta>,
    pub files: BTreeMap<String, lienthong_contract::Sha256>,
    pub envelope_posts: u32,
    pub file_puts: u32,
    /// The envelope as the simulator understood it, for tests to inspect.
    pub envelope: serde_json::Value,
    pub decision: Option<serde_json::Value>,
    pub decision_delivered: bool,
    /// Status queries (receipt GETs) that reached this record, the gateway's check-backs among them.
    pub status_queries: u32,
    /// Withdrawals received for this record (the first one stops it; more are repeats).
    pub withdrawals: u32,
    /// The system needs to verify this dossier before deciding (its receipts say so).
    pub verification: bool,
    /// The document issued with the decision, by kind and SHA-256.
    #[serde(default)]
    pub issued: Option<(String, lienthong_contract::Sha256)>,
}

impl Record {
    /// The receipt for this record, listing the hash of every file held.
    pub fn receipt(&self) -> Receipt {
        Receipt {
            record_id: self.record_id.clone(),
            files: self
                .files
                .iter()
                .map(|(kind, sha256)| FileHash {
                    kind: kind.clone(),
                    sha256: sha256.clone(),
                })
                .collect(),
            decision: self.decision.clone(),
            verification: self.verification,
        }
    }

    fn complete(&self) -> bool {
        self.declared.iter().all(|m| self.files.get(&m.kind) == Some(&m.sha256))
    }
}

/// Builds the decision body a system posts to the gateway.
pub type DecisionBuilder = dyn Fn(&Record, Outcome, &mut fastrand::Rng) -> serde_json::Value + Send + Sync;

/// The gateway a simulated agency reports its decisions to, and its credentials there.
#[derive(Clone)]
pub struct GatewayLink {
    pub url: String,
    /// The agency system's bearer token.
    pub token: String,
    /// The agency system's `signing_secret` (every decision is signed, see [`lienthong_contract::signature`]).
    pub secret: String,
    /// A client with the gateway's CA and the agency's certificate (HTTPS, mutual TLS);
    /// none for the shared plain client.
    pub client: Option<reqwest::Client>,
}

/// How a simulator decides, and where it reports its decisions (none: they show only in the
/// records' status, as for the conformance kit).
pub struct Decider {
    pub link: Option<GatewayLink>,
    pub build: Box<DecisionBuilder>,
    /// The documents it attaches to completions and refusals (none: decisions come alone).
    pub documents: Option<Issued>,
}

struct Inner {
    faults: Faults,
    records: BTreeMap<String, Record>,
    rng: fastrand::Rng,
    requests: u64,
    next_id: u64,
    /// Wire requests being handled, per idempotency key.
    in_flight: BTreeMap<String, u32>,
    /// Requests that arrived while another for the same key was being handled.
    overlaps: u64,
    /// Status queries answered or refused, including those for unknown keys.
    status_queries: u64,
    /// Decision callbacks the gateway answered 429 (each then sent again after `Retry-After`).
    throttled: u64,
}

/// A simulator's memory and fault switches, shared by its handlers.
pub struct SimState {
    prefix: &'static str,
    inner: Mutex<Inner>,
    decider: Option<Decider>,
    client: reqwest::Client,
}

/// A wire request being handled (see [`SimState::enter`]).
pub struct InFlight {
    state: Arc<SimState>,
    key: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.state.lock();
        if let Some(n) = inner.in_flight.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                inner.in_flight.remove(&self.key);
            }
        }
    }
}

/// The result of a wire request passing the fault gate.
pub enum Gate {
    /// Handle the request normally.
    Pass,
    /// Handle it, then answer after this delay (the caller times out first).
    AnswerLate(Duration),
}

impl SimState {
    /// A simulator whose record ids start with `prefix`, seeded for repeatable fault mixes.
    pub fn new(prefix: &'static str, faults: Faults, seed: u64, decider: Option<Decider>) -> Arc<Self> {
        Arc::new(SimState {
            prefix,
            inner: Mutex::new(Inner {
                faults,
                records: BTreeMap::new(),
                rng: fastrand::Rng::with_seed(seed),
                requests: 0,
                next_id: 1,
                in_flight: BTreeMap::new(),
                overlaps: 0,
                status_queries: 0,
                throttled: 0,
            }),
            decider,
            client: lienthong_contract::adapter::http_client(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks a wire request for `key` as being handled until the guard drops; a request for a
    /// key already being handled counts as an overlap (the same delivery running twice at once).
    pub fn enter(self: &Arc<Self>, key: &str) -> InFlight {
        let mut inner = self.lock();
        let n = inner.in_flight.entry(key.to_string()).or_default();
        *n += 1;
        if *n > 1 {
            inner.overlaps += 1;
        }
        InFlight {
            state: Arc::clone(self),
            key: key.to_string(),
        }
    }

    /// How many wire requests overlapped another for the same key.
    pub fn overlaps(&self) -> u64 {
        self.lock().overlaps
    }

    /// How many status queries arrived, whether the fault gate let them through or not.
    pub fn status_queries(&self) -> u64 {
        self.lock().status_queries
    }

    /// How many decision callbacks the gateway answered 429.
    pub fn throttled(&self) -> u64 {
        self.lock().throttled
    }

    fn count_status_query(&self, key: &str) {
        let mut inner = self.lock();
        inner.status_queries += 1;
        if let Some(rec) = inner.records.get_mut(key) {
            rec.status_queries += 1;
        }
    }

    /// Applies delay and failure faults to one wire request.
    pub async fn gate(&self) -> Result<Gate, Response> {
        let (delay, fail, late) = {
            let mut inner = self.lock();
            inner.requests += 1;
            let f = &mut inner.faults;
            let delay = f.delay_ms;
            let mut fail = f.fail_always;
            if !fail && f.fail_next > 0 {
                f.fail_next -= 1;
                fail = true;
            }
            let rate = f.fail_rate;
            if !fail && rate > 0.0 && inner.rng.f64() < rate {
                fail = true;
            }
            let mut late = false;
            if !fail && inner.faults.timeout_next > 0 {
                inner.faults.timeout_next -= 1;
                late = true;
            }
            (delay, fail, late)
        };
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if fail {
            return Err((StatusCode::SERVICE_UNAVAILABLE, "simulated outage").into_response());
        }
        Ok(if late {
            Gate::AnswerLate(Duration::from_secs(30))
        } else {
            Gate::Pass
        })
    }

    /// Records an envelope post; returns whether this post's files are to be dropped.
    pub fn open_envelope(
        &self,
        key: &str,
        case_id: &str,
        leg_id: &str,
        declared: Vec<AttachmentMeta>,
        envelope: serde_json::Value,
    ) -> bool {
        let mut inner = self.lock();
        let drop_files = if inner.faults.drop_files_next > 0 {
            inner.faults.drop_files_next -= 1;
            true
        } else {
            let rate = inner.faults.drop_files_rate;
            rate > 0.0 && inner.rng.f64() < rate
        };
        let verify = !inner.records.contains_key(key) && inner.faults.verify_next > 0;
        if verify {
            inner.faults.verify_next -= 1;
        }
        let id = inner.next_id;
        let prefix = self.prefix;
        let rec = inner.records.entry(key.to_string()).or_insert_with(|| Record {
            key: key.to_string(),
            record_id: format!("{prefix}-{id:06}"),
            case_id: case_id.to_string(),
            leg_id: leg_id.to_string(),
            declared: declared.clone(),
            files: BTreeMap::new(),
            envelope_posts: 0,
            file_puts: 0,
            envelope: envelope.clone(),
            decision: None,
            decision_delivered: false,
            status_queries: 0,
            withdrawals: 0,
            verification: verify,
            issued: None,
        });
        rec.envelope_posts += 1;
        if rec.envelope_posts == 1 {
            inner.next_id += 1;
        } else {
            // The latest post is the dossier as it stands (after a supplement, with the files the
            // family brought); a repeated post changes nothing.
            rec.declared = declared;
            rec.envelope = envelope;
            if rec
                .decision
                .as_ref()
                .is_some_and(|d| d["outcome"] == "needs_supplement")
            {
                // Back after the family's supplement: examined again from scratch.
                rec.decision = None;
                rec.decision_delivered = false;
            }
        }
        drop_files
    }

    /// Stores a received file's hash (corrupted if a fault says so). False when the key is unknown.
    pub fn store_file(&self, key: &str, kind: &str, sha256: lienthong_contract::Sha256, alone: bool) -> bool {
        let mut inner = self.lock();
        let corrupt = if inner.faults.corrupt_next > 0 {
            inner.faults.corrupt_next -= 1;
            true
        } else {
            false
        };
        let Some(rec) = inner.records.get_mut(key) else {
            return false;
        };
        if alone {
            rec.file_puts += 1;
        }
        let held = if corrupt {
            lienthong_contract::Sha256::from_digest(Sha256::digest(format!("corrupted:{sha256}")).into())
        } else {
            sha256
        };
        rec.files.insert(kind.to_string(), held);
        true
    }

    /// Records a withdrawal of the record; false when the key is unknown.
    pub fn withdraw(&self, key: &str) -> bool {
        match self.lock().records.get_mut(key) {
            Some(rec) => {
                rec.withdrawals += 1;
                true
            }
            None => false,
        }
    }

    /// The receipt for a key, if the envelope was received.
    pub fn receipt(&self, key: &str) -> Option<Receipt> {
        self.lock().records.get(key).map(Record::receipt)
    }

    /// Every record, oldest id first.
    pub fn records(&self) -> Vec<Record> {
        let mut v: Vec<Record> = self.lock().records.values().cloned().collect();
        v.sort_by(|a, b| a.record_id.cmp(&b.record_id));
        v
    }

    /// The records of one case (normally one: the idempotency key keeps repeats to it).
    pub fn records_of(&self, case_id: &str) -> Vec<Record> {
        self.records().into_iter().filter(|r| r.case_id == case_id).collect()
    }

    /// The record of one case, if the system holds one.
    pub fn record_of(&self, case_id: &str) -> Option<Record> {
        self.records().into_iter().find(|r| r.case_id == case_id)
    }

    /// Replaces the fault switches.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// The current fault switches.
    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Once a record holds every declared file, decides it (once) and reports to the gateway.
    pub fn maybe_decide(self: &Arc<Self>, key: &str) {
        let Some(decider) = &self.decider else { return };
        let (body, leg_id, after, document) = {
            let mut inner = self.lock();
            let mix = inner.faults.decide.clone();
            let total = mix.completed + mix.rejected + mix.needs_supplement;
            let pick = if total == 0 { 0 } else { inner.rng.u32(0..total) };
            let outcome = if pick < mix.completed {
                Outcome::Completed
            } else if pick < mix.completed + mix.rejected {
                Outcome::Rejected
            } else {
                Outcome::NeedsSupplement
            };
            let Inner {
                records, rng, faults, ..
            } = &mut *inner;
            let Some(rec) = records.get_mut(key) else { return };
            if rec.decision.is_some() || !rec.complete() || total == 0 {
                return;
            }
            let body = (decider.build)(rec, outcome, rng);
            rec.decision = Some(body.clone());
            let kind = decider.documents.and_then(|d| match outcome {
                Outcome::Completed => Some(d.completed),
                Outcome::Rejected => Some(d.rejected),
                Outcome::NeedsSupplement => None,
            });
            let document = kind.map(|k| {
                let bytes = format!("%PDF-1.4\n% {k} {}\n", rec.record_id).repeat(200).into_bytes();
                let sha = lienthong_contract::Sha256::from_digest(Sha256::digest(&bytes).into());
                rec.issued = Some((k.to_string(), sha));
                (k, bytes)
            });
            let lost = if faults.drop_decisions_next > 0 {
                faults.drop_decisions_next -= 1;
                true
            } else {
                faults.drop_decisions_rate > 0.0 && rng.f64() < faults.drop_decisions_rate
            };
            if lost || decider.link.is_none() {
                return;
            }
            (body, rec.leg_id.clone(), mix.after_ms, document)
        };
        let this = Arc::clone(self);
        let key = key.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(after)).await;
            this.report(&key, &leg_id, &body, document).await;
        });
    }

    /// Posts a decision until the gateway accepts it or refuses it for good, for up to
    /// [`REPORT_FOR`]: it may be restarting (no answer, 5xx) or pacing this system (429). A
    /// decision with a document is multipart: the signed `decision` part describes it by
    /// SHA-256, the file follows.
    async fn report(&self, key: &str, leg_id: &str, body: &serde_json::Value, document: Option<(&str, Vec<u8>)>) {
        let Some(link) = self.decider.as_ref().and_then(|d| d.link.as_ref()) else {
            return;
        };
        let Ok(url) = reqwest::Url::parse(&format!(
            "{}/api/v1/legs/{}/decision",
            link.url.trim_end_matches('/'),
            leg_id
        )) else {
            tracing::warn!("the gateway URL is not a URL");
            return;
        };
        let mut body = body.clone();
        if let Some((kind, bytes)) = &document {
            body["documents"] = serde_json::json!([{
                "kind": kind, "file_name": format!("{kind}.pdf"), "media_type": "application/pdf",
                "size": bytes.len(), "sha256": lienthong_contract::Sha256::from_digest(Sha256::digest(bytes).into()).to_string(),
            }]);
        }
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let mut wait = Duration::from_millis(100);
        let give_up = tokio::time::Instant::now() + REPORT_FOR;
        while tokio::time::Instant::now() < give_up {
            let client = link.client.as_ref().unwrap_or(&self.client);
            let mut req = client
                .post(url.clone())
                .bearer_auth(&link.token)
                .timeout(Duration::from_secs(10));
            for (name, value) in
                lienthong_contract::signature::headers(link.secret.as_bytes(), "POST", url.path(), &body)
            {
                req = req.header(name, value);
            }
            let req = match &document {
                Some((kind, bytes)) => req.multipart(decision_form(&body, kind, bytes)),
                None => req.header("content-type", "application/json").body(body.clone()),
            };
            let sent = req.send().await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    if let Some(rec) = self.lock().records.get_mut(key) {
                        rec.decision_delivered = true;
                    }
                    return;
                }
                Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                    self.lock().throttled += 1;
                    tokio::time::sleep(retry_after(&r).unwrap_or(wait)).await;
                    continue;
                }
                Ok(r) if r.status().is_client_error() && r.status() != reqwest::StatusCode::REQUEST_TIMEOUT => {
                    tracing::warn!(status = r.status().as_u16(), "gateway refused a decision");
                    return;
                }
                _ => {}
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(3));
        }
        tracing::warn!("gave up reporting a decision; it stays in the record's status");
    }
}

/// A decision with its document as a multipart form: the signed JSON, then the file.
fn decision_form(body: &[u8], kind: &str, bytes: &[u8]) -> reqwest::multipart::Form {
    let json = reqwest::multipart::Part::bytes(body.to_vec())
        .mime_str("application/json")
        .expect("a static media type");
    let file = reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(format!("{kind}.pdf"))
        .mime_str("application/pdf")
        .expect("a static media type");
    reqwest::multipart::Form::new()
        .part("decision", json)
        .part(kind.to_string(), file)
}

/// How long a simulator keeps trying to report one decision.
pub const REPORT_FOR: Duration = Duration::from_secs(600);

/// The wait a 429 asks for (`Retry-After` in seconds), at most a minute.
fn retry_after(r: &reqwest::Response) -> Option<Duration> {
    let secs: u64 = r.headers().get("retry-after")?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.clamp(1, 60)))
}

/// The control routes every simulator serves: `/_sim/records` and `/_sim/faults`.
pub fn control_routes(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/_sim/records", get(list_records))
        .route("/_sim/faults", get(get_faults).put(put_faults))
        .with_state(state)
}

async fn list_records(State(s): State<Arc<SimState>>) -> Json<Vec<Record>> {
    Json(s.records())
}

async fn get_faults(State(s): State<Arc<SimState>>) -> Json<Faults> {
    Json(s.faults())
}

async fn put_faults(State(s): State<Arc<SimState>>, Json(f): Json<Faults>) -> StatusCode {
    s.set_faults(f);
    StatusCode::NO_CONTENT
}

/// One multipart request read by a simulator: the envelope text and the files' hashes.
pub struct Received {
    pub envelope: String,
    pub files: Vec<(String, lienthong_contract::Sha256)>,
}

/// Reads an envelope part and file parts, hashing files as they stream and keeping no bytes.
pub async fn read_multipart(mut mp: Multipart) -> Result<Received, Response> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m).into_response();
    let mut envelope = None;
    let mut files = Vec::new();
    while let Some(mut field) = mp.next_field().await.map_err(|e| bad(e.to_string()))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "envelope" {
            envelope = Some(field.text().await.map_err(|e| bad(e.to_string()))?);
            continue;
        }
        let mut h = Sha256::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.to_string()))? {
            h.update(&chunk);
        }
        files.push((name, lienthong_contract::Sha256::from_digest(h.finalize().into())));
    }
    let envelope = envelope.ok_or_else(|| bad("missing envelope part".into()))?;
    Ok(Received { envelope, files })
}

/// Hashes a request body streamed by a file re-send.
pub async fn hash_body(body: axum::body::Body) -> Result<lienthong_contract::Sha256, Response> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut h = Sha256::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()).into_response())?;
        h.update(&chunk);
    }
    Ok(lienthong_contract::Sha256::from_digest(h.finalize().into()))
}

/// Waits out a late-answer fault.
pub async fn answer(gate: Gate, resp: Response) -> Response {
    if let Gate::AnswerLate(d) = gate {
        tokio::time::sleep(d).await;
    }
    resp
}

/// A running simulator.
pub struct SimHandle {
    pub addr: SocketAddr,
    pub state: Arc<SimState>,
    https: bool,
    task: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    /// The base URL to configure as the endpoint.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

/// Where a simulator listens: a bound socket, and a TLS configuration when it serves HTTPS.
pub struct SimListener {
    pub listener: tokio::net::TcpListener,
    pub tls: Option<Arc<lienthong_contract::tls::ServerConfig>>,
}

impl From<tokio::net::TcpListener> for SimListener {
    fn from(listener: tokio::net::TcpListener) -> Self {
        SimListener { listener, tls: None }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves a simulator's router (wire + control routes) on an already bound listener, over TLS
/// when it has a configuration.
pub fn spawn(listener: impl Into<SimListener>, router: Router, state: Arc<SimState>) -> SimHandle {
    let SimListener { listener, tls } = listener.into();
    let addr = listener.local_addr().expect("bound listener has an address");
    let app = router
        .merge(control_routes(Arc::clone(&state)))
        .layer(axum::extract::DefaultBodyLimit::disable());
    let https = tls.is_some();
    let task = tokio::spawn(async move {
        match tls {
            Some(tls) => {
                let (_fixed, configs) = tokio::sync::watch::channel(tls);
                lienthong_contract::tls::serve(listener, app, configs, std::future::pending()).await
            }
            None => {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "simulator stopped");
                }
            }
        }
    });
    SimHandle {
        addr,
        state,
        https,
        task,
    }
}

/// What a simulator needs from an envelope in its system's wire format.
pub struct ParsedEnvelope {
    pub key: String,
    pub case_id: String,
    pub leg_id: String,
    pub declared: Vec<AttachmentMeta>,
    /// The envelope as JSON, kept in the record for tests to inspect.
    pub view: serde_json::Value,
}

/// A system's wire format, as far as its simulator needs it.
#[derive(Clone, Copy)]
pub struct WireFormat {
    pub parse_envelope: fn(&str) -> Result<ParsedEnvelope, String>,
    pub render_receipt: fn(&Receipt) -> Response,
}

#[derive(Clone)]
struct WireState {
    sim: Arc<SimState>,
    format: WireFormat,
}

/// What distinguishes one agency's simulator from another: its record prefix, its routes, its
/// wire format and how its staff decide.
pub struct AgencySpec {
    /// Prefix of the record ids it assigns (`CA-…`, `BHXH-…`).
    pub record_prefix: &'static str,
    /// The collection envelopes are posted to; files and withdrawals hang under each record.
    pub collection: &'static str,
    pub file_segment: &'static str,
    pub withdrawal_segment: &'static str,
    pub format: WireFormat,
    pub decide: fn(&Record, Outcome, &mut fastrand::Rng) -> serde_json::Value,
    /// The kinds of the documents it issues with a completion and with a refusal.
    pub documents: Issued,
}

/// The kinds of the documents an agency issues with its decisions (docs/result-documents.md).
#[derive(Debug, Clone, Copy)]
pub struct Issued {
    pub completed: &'static str,
    pub rejected: &'static str,
}

/// Starts an agency simulator on `listener`; decisions are reported to the gateway when a link
/// is given, and always show in the records' status.
pub fn spawn_agency(
    listener: impl Into<SimListener>,
    faults: Faults,
    seed: u64,
    gateway: Option<GatewayLink>,
    spec: AgencySpec,
) -> SimHandle {
    let decider = Some(Decider {
        link: gateway,
        build: Box::new(spec.decide),
        documents: Some(spec.documents),
    });
    let state: Arc<SimState> = SimState::new(spec.record_prefix, faults, seed, decider);
    let router = wire_routes(
        spec.collection,
        spec.file_segment,
        spec.withdrawal_segment,
        spec.format,
        Arc::clone(&state),
    );
    spawn(listener, router, state)
}

/// The envelope/file/receipt/withdrawal routes of a case-receiving simulator:
/// `POST {collection}`, `GET {collection}/{key}`, `PUT {collection}/{key}/{file_segment}/{kind}`,
/// `POST {collection}/{key}/{withdrawal_segment}`.
pub fn wire_routes(
    collection: &str,
    file_segment: &str,
    withdrawal_segment: &str,
    format: WireFormat,
    sim: Arc<SimState>,
) -> Router {
    use axum::routing::{post, put};
    Router::new()
        .route(collection, post(submit))
        .route(&format!("{collection}/{{key}}"), get(receipt_of))
        .route(&format!("{collection}/{{key}}/{file_segment}/{{kind}}"), put(file))
        .route(&format!("{collection}/{{key}}/{withdrawal_segment}"), post(withdrawal))
        .with_state(WireState { sim, format })
}

/// The family withdrew the dossier: the record stops (404 when there is no such record).
async fn withdrawal(State(w): State<WireState>, axum::extract::Path(key): axum::extract::Path<String>) -> Response {
    let _in_flight = w.sim.enter(&key);
    let gate = match w.sim.gate().await {
        Ok(g) => g,
        Err(r) => return r,
    };
    if !w.sim.withdraw(&key) {
        return (StatusCode::NOT_FOUND, "no such envelope").into_response();
    }
    answer(gate, StatusCode::OK.into_response()).await
}

fn idempotency_key(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn submit(State(w): State<WireState>, headers: axum::http::HeaderMap, mp: Multipart) -> Response {
    let _in_flight = idempotency_key(&headers).map(|k| w.sim.enter(&k));
    let gate = match w.sim.gate().await {
        Ok(g) => g,
        Err(r) => return r,
    };
    let received = match read_multipart(mp).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let env = match (w.format.parse_envelope)(&received.envelope) {
        Ok(e) => e,
        Err(m) => return (StatusCode::BAD_REQUEST, m).into_response(),
    };
    if idempotency_key(&headers).as_deref() != Some(env.key.as_str()) {
        return (
            StatusCode::BAD_REQUEST,
            "Idempotency-Key header must match the envelope",
        )
            .into_response();
    }
    let drop_files = w
        .sim
        .open_envelope(&env.key, &env.case_id, &env.leg_id, env.declared.clone(), env.view);
    if !drop_files {
        for (kind, sha) in received.files {
            if env.declared.iter().any(|m| m.kind == kind) {
                w.sim.store_file(&env.key, &kind, sha, false);
            }
        }
    }
    w.sim.maybe_decide(&env.key);
    let receipt = w.sim.receipt(&env.key).expect("record was just opened");
    answer(gate, (w.format.render_receipt)(&receipt)).await
}

async fn file(
    State(w): State<WireState>,
    axum::extract::Path((key, kind)): axum::extract::Path<(String, String)>,
    body: axum::body::Body,
) -> Response {
    let _in_flight = w.sim.enter(&key);
    let gate = match w.sim.gate().await {
        Ok(g) => g,
        Err(r) => return r,
    };
    let sha = match hash_body(body).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !w.sim.store_file(&key, &kind, sha, true) {
        return (StatusCode::NOT_FOUND, "no such envelope").into_response();
    }
    w.sim.maybe_decide(&key);
    let receipt = w.sim.receipt(&key).expect("record exists");
    answer(gate, (w.format.render_receipt)(&receipt)).await
}

async fn receipt_of(State(w): State<WireState>, axum::extract::Path(key): axum::extract::Path<String>) -> Response {
    w.sim.count_status_query(&key);
    let gate = match w.sim.gate().await {
        Ok(g) => g,
        Err(r) => return r,
    };
    match w.sim.receipt(&key) {
        Some(r) => answer(gate, (w.format.render_receipt)(&r)).await,
        None => (StatusCode::NOT_FOUND, "no such envelope").into_response(),
    }
}
