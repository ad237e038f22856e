//! TLS on every hop, over real sockets with certificates made at test time: the gateway serves
//! HTTPS and, with mutual TLS on, lets only agency systems holding a certificate from its CA use
//! the agency API; deliveries go to each agency over HTTPS trusting only that agency's CA, so a
//! receiver presenting a certificate from another CA gets nothing (never in clear) and the leg is
//! retried.

mod common;

use std::time::Duration;

use common::pki::Ca;
use common::*;
use lienthong::config::Config;
use lienthong::App;
use lienthong_contract::tls;
use lienthong_simulators::sim::{Faults, GatewayLink, SimListener};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agencies_need_our_certificate_and_deliveries_never_go_in_clear() {
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    let ours = Ca::new(dir, "ours");
    let rogue = Ca::new(dir, "rogue");
    let gateway_cert = ours.issue(dir, "gateway");
    let gateway_client = ours.issue(dir, "gateway-client");
    let police_server = ours.issue(dir, "police-server");
    let police_client = ours.issue(dir, "police-client");
    let onestop_client = ours.issue(dir, "onestop-client");
    let insurance_server = rogue.issue(dir, "insurance-server");
    let rogue_client = rogue.issue(dir, "rogue-client");

    let gw_listener = listener().await;
    let url = format!("https://{}", gw_listener.local_addr().unwrap());
    let bound = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        tokio::net::TcpListener::from_std(l).unwrap()
    };
    let https = |cert: &common::pki::Issued| SimListener {
        listener: bound(),
        tls: Some(tls::server_config(&cert.cert, &cert.key, None).unwrap()),
    };
    // The police receiver accepts only clients with a certificate from our CA.
    let police_listener = SimListener {
        listener: bound(),
        tls: Some(tls::server_config_requiring(&police_server.cert, &police_server.key, &ours.pem).unwrap()),
    };
    let police = lienthong_simulators::police::spawn(
        police_listener,
        quick(),
        1,
        Some(GatewayLink {
            url: url.clone(),
            token: POLICE.into(),
            secret: POLICE_SECRET.into(),
            client: Some(tls::client(Some(&ours.pem), Some((&police_client.cert, &police_client.key))).unwrap()),
        }),
    );
    let insurance = lienthong_simulators::insurance::spawn(https(&insurance_server), quick(), 2, None);
    let onestop =
        lienthong_simulators::onestop::spawn(listener().await, Faults::default(), 3, RESULT_SECRET.as_bytes());
    assert!(police.url().starts_with("https://") && insurance.url().starts_with("https://"));
    let agencies = Agencies {
        police,
        insurance,
        onestop,
    };

    let cfg = tempfile::tempdir().unwrap();
    let opts = Opts {
        max_attempts: 1000,
        ..Opts::default()
    };
    let listen = gw_listener.local_addr().unwrap().to_string();
    GatewayConfig::new(listen.clone(), &agencies, &opts).write(cfg.path());
    let (police, insurance, _onestop) = agencies.into_parts();
    let path = |p: &std::path::Path| p.display().to_string();
    let mut gateway_toml = std::fs::read_to_string(cfg.path().join("gateway.toml"))
        .unwrap()
        .replacen(
            "communes = [\"22609\"]",
            &format!(
                "communes = [\"22609\"]\nclient_cert_sha256 = [\"{}\"]",
                onestop_client.sha256
            ),
            1,
        );
    gateway_toml.push_str(&format!(
        "\n[tls]\ncert = \"{}\"\nkey = \"{}\"\nclient_ca = \"{}\"\n",
        path(&gateway_cert.cert),
        path(&gateway_cert.key),
        path(&ours.pem)
    ));
    std::fs::write(cfg.path().join("gateway.toml"), gateway_toml).unwrap();
    let mut routes = std::fs::read_to_string(cfg.path().join("routes.toml")).unwrap();
    routes.push_str(&format!(
        "\n[police_offices.\"CA-568\".tls]\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n\n[insurance_offices.\"BHXH-5608\".tls]\nca = \"{}\"\n",
        path(&ours.pem),
        path(&gateway_client.cert),
        path(&gateway_client.key),
        path(&ours.pem)
    ));
    std::fs::write(cfg.path().join("routes.toml"), routes).unwrap();
    let config = Config::load_with_env(cfg.path(), std::iter::empty()).unwrap();
    let gateway = App::with_listener(config, gw_listener, lienthong::clock::Clock::system())
        .await
        .unwrap()
        .spawn();
    assert_eq!(gateway.url(), url);

    let client = |identity: Option<&common::pki::Issued>| {
        tls::client(Some(&ours.pem), identity.map(|i| (i.cert.as_path(), i.key.as_path()))).unwrap()
    };
    let find = format!("{url}/api/v1/cases?receipt_code=NONE");

    // Without a client certificate: pages and health answer, the agency API does not.
    let anonymous = client(None);
    assert_eq!(
        anonymous.get(format!("{url}/healthz")).send().await.unwrap().status(),
        200
    );
    let refused = anonymous.get(&find).bearer_auth(ONESTOP_A).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "client_certificate_required");
    // A certificate from another CA does not even finish the handshake.
    let rogue_http = tls::client(Some(&ours.pem), Some((&rogue_client.cert, &rogue_client.key))).unwrap();
    assert!(rogue_http.get(&find).bearer_auth(ONESTOP_A).send().await.is_err());
    // Plain HTTP to the HTTPS port gets no answer.
    let plain = format!("http://{listen}/api/v1/cases?receipt_code=NONE");
    assert!(reqwest::Client::new()
        .get(plain)
        .bearer_auth(ONESTOP_A)
        .send()
        .await
        .map_or(true, |r| !r.status().is_success() && r.status() != 404));

    // A certificate of our CA that belongs to another system does not go with this token.
    let police_http = client(Some(&police_client));
    let other = police_http.get(&find).bearer_auth(ONESTOP_A).send().await.unwrap();
    assert_eq!(other.status(), 401);
    let body: serde_json::Value = other.json().await.unwrap();
    assert_eq!(body["error"]["code"], "client_certificate_mismatch");

    // With its own certificate the one-stop pushes a case.
    let onestop_http = client(Some(&onestop_client));
    assert_eq!(
        onestop_http
            .get(&find)
            .bearer_auth(ONESTOP_A)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let (m, files) = case_with_code("TLS-1");
    let pushed = lienthong_onestop::push::push_case(&onestop_http, &url, ONESTOP_A, &m, &files)
        .await
        .unwrap();
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let id = pushed.body["case_id"].as_str().unwrap().to_string();

    // Police (our CA, mutual TLS both ways) registers; insurance (another CA) gets nothing.
    let admin = client(Some(&onestop_client));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let case = loop {
        let c = get_ok_json(&admin, &format!("{url}/api/v1/cases/{id}"), ADMIN).await;
        let ins = leg(&c, "insurance");
        if leg(&c, "residence")["state"] == "completed" && ins["attempts"].as_u64().unwrap_or(0) >= 3 {
            break c;
        }
        assert!(tokio::time::Instant::now() < deadline, "{c:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let ins = leg(&case, "insurance");
    assert!(
        ["queued", "delivering"].contains(&ins["state"].as_str().unwrap()),
        "{ins}"
    );
    let error = ins["last_error"].as_str().unwrap().to_lowercase();
    assert!(error.contains("certificate") || error.contains("tls"), "{error}");
    assert!(
        insurance.state.records().is_empty(),
        "nothing reached the receiver with the wrong certificate"
    );
    assert_eq!(police.state.records().len(), 1, "delivered over mutual TLS");
    let no_cert = client(None).get(format!("{}/_sim/records", police.url())).send().await;
    assert!(
        no_cert.is_err(),
        "the police receiver refuses clients without a certificate"
    );
    gateway.stop().await;
}

/// The SHA-256 of the certificate `url` serves, read on a fresh connection.
async fn served_certificate(client: &reqwest::Client, url: &str) -> Option<String> {
    let response = client.get(format!("{url}/healthz")).send().await.ok()?;
    let info = response.extensions().get::<reqwest::tls::TlsInfo>()?;
    info.peer_certificate()
        .map(lienthong::store::credentials::token_digest_bytes)
}

/// Sends the gateway process SIGHUP.
fn hangup(child: &std::process::Child) {
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewed_certificates_are_used_after_sighup_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "ours");
    let rogue = Ca::new(dir.path(), "rogue");
    let old = ca.issue(dir.path(), "gateway-old");
    let renewed = ca.issue(dir.path(), "gateway-renewed");
    let police_server = ca.issue(dir.path(), "police-server");
    let (cert, key) = (dir.path().join("server.pem"), dir.path().join("server-key.pem"));
    std::fs::copy(&old.cert, &cert).unwrap();
    std::fs::copy(&old.key, &key).unwrap();
    // The police system is reached over HTTPS; the file of the CA trusted for it holds the wrong
    // CA at first, so nothing reaches it.
    let police_trust = dir.path().join("police-trust.pem");
    std::fs::copy(&rogue.pem, &police_trust).unwrap();
    let police_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    police_listener.set_nonblocking(true).unwrap();
    let police = lienthong_simulators::police::spawn(
        SimListener {
            listener: tokio::net::TcpListener::from_std(police_listener).unwrap(),
            tls: Some(tls::server_config(&police_server.cert, &police_server.key, None).unwrap()),
        },
        quick(),
        1,
        None,
    );
    let agencies = Agencies {
        police,
        insurance: lienthong_simulators::insurance::spawn(listener().await, quick(), 2, None),
        onestop: lienthong_simulators::onestop::spawn(listener().await, Faults::default(), 3, RESULT_SECRET.as_bytes()),
    };
    let listen = listener().await.local_addr().unwrap().to_string();
    let opts = Opts {
        max_attempts: 1000,
        ..Opts::default()
    };
    GatewayConfig::new(listen.clone(), &agencies, &opts).write(dir.path());
    let mut gateway_toml = std::fs::read_to_string(dir.path().join("gateway.toml")).unwrap();
    gateway_toml.push_str(&format!(
        "\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
        cert.display(),
        key.display()
    ));
    std::fs::write(dir.path().join("gateway.toml"), gateway_toml).unwrap();
    std::fs::write(
        dir.path().join("routes.override.toml"),
        format!("[police_offices.\"CA-568\".tls]\nca = \"{}\"\n", police_trust.display()),
    )
    .unwrap();
    let mut child = serve_process(dir.path(), Some(&dir.path().join("gateway.log")), &[]);

    // Every request on a new connection, so each sees what the server presents now.
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca.pem).unwrap()).unwrap())
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = format!("https://{listen}");
    let mut served = None;
    for _ in 0..200 {
        served = served_certificate(&client, &url).await;
        if served.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        served.as_deref(),
        Some(old.sha256.as_str()),
        "the gateway serves its certificate"
    );
    let (m, files) = case_with_code("RENEW-1");
    let pushed = lienthong_onestop::push::push_case(&client, &url, ONESTOP_A, &m, &files)
        .await
        .unwrap();
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let id = pushed.body["case_id"].as_str().unwrap().to_string();
    let residence = || async {
        let case = get_case(&client, &url, &id).await;
        leg(&case, "residence").clone()
    };
    let mut tries = 0;
    while residence().await["attempts"].as_i64().unwrap_or(0) < 2 {
        tries += 1;
        assert!(tries < 200, "the police leg is not tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(residence().await["state"], "delivered", "a system we do not trust yet");
    assert!(agencies.police.state.record_of(&id).is_none());

    // The files are replaced and the process is told: the renewed server certificate is served
    // and the police system is trusted, by the same process.
    std::fs::copy(&renewed.cert, &cert).unwrap();
    std::fs::copy(&renewed.key, &key).unwrap();
    std::fs::copy(&ca.pem, &police_trust).unwrap();
    hangup(&child);
    let mut now_served = None;
    for _ in 0..100 {
        now_served = served_certificate(&client, &url).await;
        if now_served.as_deref() == Some(renewed.sha256.as_str()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(now_served.as_deref(), Some(renewed.sha256.as_str()));
    let mut tries = 0;
    while residence().await["state"] != "delivered" && residence().await["state"] != "completed" {
        tries += 1;
        let l = residence().await;
        assert!(
            tries < 300,
            "not delivered after the reload: {} {}",
            l["state"],
            l["last_error"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(child.try_wait().unwrap().is_none(), "the same process, not a restart");

    // A broken file is refused: what is in use stays.
    std::fs::write(&cert, "not a certificate").unwrap();
    hangup(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        served_certificate(&client, &url).await.as_deref(),
        Some(renewed.sha256.as_str())
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
