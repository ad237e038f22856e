//! Multipart intake through the real router (a gateway on a temporary SQLite store, built once)
//! on arbitrary request bodies.
#![no_main]

use std::sync::OnceLock;

use lienthong::fuzz::multipart;

struct Gateway {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    token: String,
    _dir: tempfile::TempDir,
}

fn gateway() -> &'static Gateway {
    static GATEWAY: OnceLock<Gateway> = OnceLock::new();
    GATEWAY.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let store = format!("sqlite://{}", dir.path().join("fuzz.db").display());
        let overrides = [
            ("LIENTHONG_STORE_URL".to_string(), store),
            (
                "LIENTHONG_ATTACHMENT_DIR".to_string(),
                dir.path().join("files").display().to_string(),
            ),
        ];
        let config =
            lienthong::config::Config::load_with_env(&repo.join("config"), overrides.into_iter()).expect("the config");
        let (router, token) = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
            let app = lienthong::App::with_listener(config, listener, lienthong::clock::Clock::system())
                .await
                .expect("the gateway");
            let (token, digest) = lienthong::store::credentials::new_token();
            app.store().add_token("motcua-khanhvinh", &digest, "fuzz").await.expect("a token");
            (app.router(), token)
        });
        Gateway {
            runtime,
            router,
            token,
            _dir: dir,
        }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let g = gateway();
    g.runtime.block_on(multipart(&g.router, &g.token, data));
});
