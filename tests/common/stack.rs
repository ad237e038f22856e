//! The whole stack in one process: simulators, SMS and SMTP sinks, a postal partner and a gateway
//! built by the same `App` as `main`.

use std::sync::{Arc, Mutex};

use lienthong::clock::Clock;
use lienthong::config::Config;
use lienthong::{App, Running};
use lienthong_onestop::push::{push_case, PushAnswer, PushFile};
use lienthong_simulators::notify_sim::{spawn_sms, Mail, Mails, Sms, SmtpSink};
use lienthong_simulators::sim::{Faults, GatewayLink, SimHandle};
use serde_json::Value;

use super::{
    case_at, case_with_code, create_bucket, get_case, get_ok_json, postgres_backend, s3_server, secret_of, wait_status,
    GatewayConfig, NotifyTargets, Opts, PgDatabase, INSURANCE, INSURANCE_SECRET, ONESTOP_A, POLICE, POLICE_SECRET,
    POSTAL, POSTAL_SECRET, RESULT_SECRET, SMS, SMS_SECRET,
};

/// The three systems a gateway delivers to, played by simulators.
pub struct Agencies {
    pub police: SimHandle,
    pub insurance: SimHandle,
    pub onestop: SimHandle,
}

impl Agencies {
    /// The police, insurance and one-stop simulators, in that order.
    pub fn into_parts(self) -> (SimHandle, SimHandle, SimHandle) {
        (self.police, self.insurance, self.onestop)
    }
}

pub struct Stack {
    pub gateway: Option<Running>,
    pub url: String,
    pub police: SimHandle,
    pub insurance: SimHandle,
    pub onestop: SimHandle,
    pub sms: SimHandle,
    pub sms_log: Arc<Mutex<Vec<Sms>>>,
    /// The postal partner, reporting items at `/_sim/report`.
    pub postal: SimHandle,
    pub smtp: Option<SmtpSink>,
    pub smtp_addr: std::net::SocketAddr,
    pub mails: Mails,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    /// The stack's PostgreSQL database, when the suite runs on PostgreSQL.
    pub pg: Option<PgDatabase>,
}

pub async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// Starts the three simulators reporting to `gateway_url`.
pub async fn simulators(gateway_url: &str, opts: &Opts) -> Agencies {
    let police = lienthong_simulators::police::spawn(
        listener().await,
        opts.police.clone(),
        1,
        Some(GatewayLink {
            url: gateway_url.to_string(),
            token: POLICE.to_string(),
            secret: POLICE_SECRET.to_string(),
            client: None,
        }),
    );
    let insurance = lienthong_simulators::insurance::spawn(
        listener().await,
        opts.insurance.clone(),
        2,
        Some(GatewayLink {
            url: gateway_url.to_string(),
            token: INSURANCE.to_string(),
            secret: INSURANCE_SECRET.to_string(),
            client: None,
        }),
    );
    let onestop =
        lienthong_simulators::onestop::spawn(listener().await, opts.onestop.clone(), 3, RESULT_SECRET.as_bytes());
    Agencies {
        police,
        insurance,
        onestop,
    }
}

/// The whole stack in this process, the gateway built by the same `App` as `main`.
pub async fn spawn_stack(mut opts: Opts) -> Stack {
    let pg = (opts.store_url.is_none() && postgres_backend()).then(PgDatabase::create);
    if let Some(db) = &pg {
        opts.store_url = Some(db.url.clone());
        if let Some(endpoint) = s3_server() {
            let bucket = create_bucket(&endpoint).await;
            opts.s3 = Some((endpoint, bucket));
        }
    }
    let gw_listener = listener().await;
    let addr = gw_listener.local_addr().unwrap();
    let url = format!("http://{addr}");
    let agencies = simulators(&url, &opts).await;
    let mails: Mails = Arc::default();
    let inbound = lienthong_simulators::sim::GatewayLink {
        url: url.clone(),
        token: SMS.into(),
        secret: SMS_SECRET.into(),
        client: None,
    };
    let (sms, sms_log) = spawn_sms(listener().await, Faults::default(), Arc::clone(&mails), Some(inbound));
    let smtp_listener = listener().await;
    let smtp_addr = smtp_listener.local_addr().unwrap();
    let smtp = if opts.smtp_down {
        None
    } else {
        Some(SmtpSink::start(smtp_listener, Arc::clone(&mails)))
    };
    let dir = tempfile::tempdir().unwrap();
    let targets = NotifyTargets {
        sms_url: sms.url(),
        smtp: smtp_addr,
    };
    GatewayConfig::new(addr.to_string(), &agencies, &opts)
        .notify(targets)
        .write(dir.path());
    let (police, insurance, onestop) = agencies.into_parts();
    let config = Config::load_with_env(dir.path(), std::iter::empty()).unwrap();
    let gateway = App::with_listener(config, gw_listener, opts.clock.clone())
        .await
        .unwrap()
        .spawn();
    let postal = lienthong_simulators::postal_sim::spawn_postal(
        listener().await,
        lienthong_simulators::sim::GatewayLink {
            url: url.clone(),
            token: POSTAL.into(),
            secret: POSTAL_SECRET.into(),
            client: None,
        },
    );
    Stack {
        gateway: Some(gateway),
        url,
        police,
        insurance,
        onestop,
        sms,
        sms_log,
        postal,
        smtp,
        smtp_addr,
        mails,
        clock: opts.clock.clone(),
        dir,
        http: reqwest::Client::new(),
        pg,
    }
}

impl Stack {
    /// Stops the gateway and starts a new one on the same address, store and clock.
    pub async fn restart_gateway(&mut self) {
        let old = self.gateway.take().expect("a running gateway");
        let addr = old.addr;
        old.stop().await;
        let config = Config::load_with_env(self.dir.path(), std::iter::empty()).unwrap();
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        self.gateway = Some(
            App::with_listener(config, listener, self.clock.clone())
                .await
                .unwrap()
                .spawn(),
        );
    }

    /// Starts the SMTP server (again) on its port.
    pub async fn start_smtp(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.smtp_addr).await.unwrap();
        self.smtp = Some(SmtpSink::start(listener, Arc::clone(&self.mails)));
    }

    /// GETs an API path with a token and reads the JSON answer (see [`get_ok_json`]).
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        get_ok_json(&self.http, &format!("{}{path}", self.url), token).await
    }

    /// POSTs JSON to an API path with a token, signed now with that system's key.
    pub async fn signed_post(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).unwrap();
        let mut req = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .header("content-type", "application/json");
        if let Some(secret) = secret_of(token) {
            for (name, value) in lienthong_contract::signature::headers(secret.as_bytes(), "POST", path, &bytes) {
                req = req.header(name, value);
            }
        }
        req.body(bytes).send().await.unwrap()
    }

    /// POSTs JSON to an API path with a token (signed): the status and the JSON answer (null if none).
    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self.signed_post(token, path, body).await;
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// GETs a path with optional headers (a session cookie, a bearer token): status and text.
    pub async fn get_text(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut req = self.http.get(format!("{}{path}", self.url));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        let (status, text) = self.get_text("/metrics", &[]).await;
        assert_eq!(status, 200, "{text}");
        text
    }

    /// Email received so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// SMS received so far.
    pub fn sms(&self) -> Vec<Sms> {
        self.sms_log.lock().unwrap().clone()
    }

    pub async fn push(&self, token: &str, manifest: &Value, files: &[PushFile]) -> PushAnswer {
        push_case(&self.http, &self.url, token, manifest, files).await.unwrap()
    }

    /// Pushes the first fixture under `code` as commune A and returns the new case id.
    pub async fn push_new(&self, code: &str) -> String {
        let (m, files) = case_with_code(code);
        let a = self.push(ONESTOP_A, &m, &files).await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body["case_id"].as_str().unwrap().to_string()
    }

    /// Pushes the first fixture under `code`, handed in at a local time `received` (see
    /// `case_at`), as commune A and returns the new case id.
    pub async fn push_at(&self, code: &str, received: &str) -> String {
        let (m, files) = case_at(code, received);
        let a = self.push(ONESTOP_A, &m, &files).await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body["case_id"].as_str().unwrap().to_string()
    }

    pub async fn get_case(&self, id: &str) -> Value {
        get_case(&self.http, &self.url, id).await
    }

    /// Waits until the case's status is `status` (panics with the case after `secs`).
    pub async fn wait_status(&self, id: &str, status: &str, secs: u64) -> Value {
        wait_status(&self.http, &self.url, id, status, secs).await
    }
}
