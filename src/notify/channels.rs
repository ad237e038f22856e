//! The ways a message leaves: an HTTP SMS provider, an SMTP relay (lettre, rustls), and the
//! alerts' webhook (signed JSON, docs/alerts.md).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use lienthong_contract::adapter::redact;

use crate::config::{EmailConfig, EmailTls, SmsConfig};

/// Sends SMS through the configured provider.
pub struct Sms {
    http: reqwest::Client,
    cfg: SmsConfig,
}

impl Sms {
    /// A sender for `cfg`.
    pub fn new(cfg: SmsConfig) -> Sms {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("a plain reqwest client builds");
        Sms { http, cfg }
    }

    /// Posts one message; the provider must answer 2xx.
    pub async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        let json = |s: &str| serde_json::Value::from(s).to_string();
        let body = self
            .cfg
            .template
            .replace("{to}", &json(to))
            .replace("{text}", &json(text));
        let mut req = self
            .http
            .post(&self.cfg.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(token) = &self.cfg.token {
            req = req.bearer_auth(token.expose());
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("SMS provider answered {}", r.status().as_u16())),
            Err(e) => Err(format!("SMS provider unreachable: {}", e.without_url())),
        }
    }
}

/// Posts alerts to the configured webhook, signed like callbacks so the receiver knows them ours.
pub struct Webhook {
    http: reqwest::Client,
    secret: Vec<u8>,
}

impl Webhook {
    /// A sender signing with `secret`.
    pub fn new(secret: &str) -> Webhook {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("a plain reqwest client builds");
        Webhook {
            http,
            secret: secret.as_bytes().to_vec(),
        }
    }

    /// Posts one JSON body to `url`; the receiver must answer 2xx.
    pub async fn send(&self, url: &str, body: &str) -> Result<(), String> {
        let path = reqwest::Url::parse(url)
            .map_err(|e| format!("webhook URL: {e}"))?
            .path()
            .to_string();
        let mut req = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        for (name, value) in lienthong_contract::signature::headers(&self.secret, "POST", &path, body.as_bytes()) {
            req = req.header(name, value);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("webhook answered {}", r.status().as_u16())),
            Err(e) => Err(format!("webhook unreachable: {}", e.without_url())),
        }
    }
}

/// Sends email through the configured relay.
pub struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Email {
    /// A sender for `cfg` (the address is checked when the configuration loads).
    pub fn new(cfg: &EmailConfig) -> Result<Email, String> {
        let builder = match cfg.tls {
            EmailTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host),
            EmailTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host).map_err(|e| e.to_string())?
            }
            EmailTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host).map_err(|e| e.to_string())?,
        };
        let mut builder = builder.port(cfg.port).timeout(Some(Duration::from_secs(15)));
        if let (Some(user), Some(password)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
        }
        Ok(Email {
            transport: builder.build(),
            from: cfg
                .from
                .parse()
                .map_err(|e: lettre::address::AddressError| e.to_string())?,
        })
    }

    /// Sends one plain-text UTF-8 message to comma-separated recipients.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let msg = self
            .builder(to, subject)?
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        self.deliver(msg).await
    }

    /// Sends a plain-text message with files attached, each `(file name, media type, bytes)`.
    pub async fn send_with_files(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        files: Vec<(String, &str, Vec<u8>)>,
    ) -> Result<(), String> {
        use lettre::message::{Attachment, MultiPart, SinglePart};
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body.to_string()));
        for (name, media_type, bytes) in files {
            let kind = ContentType::parse(media_type).map_err(|e| e.to_string())?;
            parts = parts.singlepart(Attachment::new(name).body(bytes, kind));
        }
        let msg = self.builder(to, subject)?.multipart(parts).map_err(|e| e.to_string())?;
        self.deliver(msg).await
    }

    fn builder(&self, to: &str, subject: &str) -> Result<lettre::message::MessageBuilder, String> {
        let mut msg = Message::builder().from(self.from.clone()).subject(subject);
        for addr in to.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            msg = msg.to(addr.parse().map_err(|_| "a recipient address is invalid".to_string())?);
        }
        Ok(msg)
    }

    async fn deliver(&self, msg: Message) -> Result<(), String> {
        self.transport.send(msg).await.map(|_| ()).map_err(|e| {
            let kind = if e.is_permanent() {
                "permanent"
            } else if e.is_transient() {
                "transient"
            } else if e.is_timeout() {
                "time-out"
            } else {
                "connection"
            };
            match e.status() {
                // The relay's answer may name the recipient: only its hash is kept.
                Some(code) => format!("SMTP {kind} {code} {}", redact(&e.to_string())),
                None => format!("SMTP {kind}: {e}"),
            }
        })
    }
}
