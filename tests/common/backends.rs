//! The PostgreSQL and S3 servers the suites run on when `scripts/test.sh` starts them.

/// The local S3-compatible server scripts/test.sh starts (moto), if any.
pub fn s3_server() -> Option<String> {
    let s3 = std::env::var("LTTEST_S3").ok().filter(|s| !s.is_empty());
    if s3.is_none() && std::env::var_os("CI").is_some() && postgres_backend() {
        panic!("LTTEST_S3 is not set: run the suite with scripts/test.sh, which starts the S3 server");
    }
    s3
}

/// Creates a bucket of its own for one test on the S3 server.
pub async fn create_bucket(endpoint: &str) -> String {
    let bucket = format!("lt-test-{:016x}", fastrand::u64(..));
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the test S3 server");
    assert!(r.status().is_success(), "bucket not created: {}", r.status());
    bucket
}

/// The `[s3]` table of gateway.toml for a test bucket (the test server takes any credentials).
pub fn s3_table(endpoint: &str, bucket: &str) -> String {
    format!(
        "\n[s3]\nendpoint = \"{endpoint}\"\nbucket = \"{bucket}\"\naccess_key_id = \"test\"\nsecret_access_key = \"test\"\nallow_http = true\n"
    )
}

/// The backend the black-box suites run on: `LTTEST_BACKEND=postgres` runs them on PostgreSQL (a
/// fresh database per stack, see [`PgDatabase`]); anything else on SQLite. Test settings are
/// `LTTEST_*` because `LIENTHONG_*` variables would be read as configuration overrides by the
/// gateway processes the tests start.
pub fn postgres_backend() -> bool {
    std::env::var("LTTEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The server the PostgreSQL tests create their databases on.
pub fn postgres_server() -> String {
    std::env::var("LTTEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A PostgreSQL database of its own for one test, dropped (with its connections) when this is.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    pub fn create() -> PgDatabase {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "lt_test_{}_{}_{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            fastrand::u32(..)
        );
        admin_sql(format!("CREATE DATABASE {name}"));
        PgDatabase {
            url: format!("{}/{name}", postgres_server()),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        admin_sql(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// Runs one statement on the server's `postgres` database, from a thread of its own (so it works
/// inside and outside a runtime, including from `Drop`).
fn admin_sql(sql: String) {
    let url = format!("{}/postgres", postgres_server());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .expect("the test PostgreSQL server");
            sqlx::query(&sql).execute(&mut conn).await.unwrap();
        });
    })
    .join()
    .unwrap();
}
