//! The `lienthong` binary's configuration check: every problem with its file and key, exit 1.

mod common;

use std::process::Command;

use common::*;

fn check_config(dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lienthong"))
        .args(["--config", dir.to_str().unwrap(), "check-config"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A valid configuration directory whose endpoints nobody answers.
fn test_config() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    GatewayConfig::unreachable("127.0.0.1:1", &Opts::default()).write(dir.path());
    dir
}

#[test]
fn the_shipped_demo_configuration_is_valid() {
    let (code, stdout, stderr) = check_config(&repo().join("config"));
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn every_problem_is_reported_with_file_and_key() {
    let dir = test_config();
    let gateway = std::fs::read_to_string(dir.path().join("gateway.toml")).unwrap();
    let gateway = gateway
        .replace("max_attempts = 10", "max_attempts = 0")
        .replace(&digest(ADMIN), "short")
        .replace(POLICE_SECRET, "short")
        .replace("communes = [\"22612\"]", "communes = [\"22612\", \"99999\"]");
    std::fs::write(dir.path().join("gateway.toml"), gateway).unwrap();
    let routes = std::fs::read_to_string(dir.path().join("routes.toml")).unwrap();
    std::fs::write(
        dir.path().join("routes.toml"),
        routes
            .replacen("police_office = \"CA-568\"", "police_office = \"CA-000\"", 1)
            .replacen(
                "name = \"Công an huyện\"\n",
                "name = \"Công an huyện\"\nmaintenance = [\"22:00-26:00\"]\nmax_per_minute = 0\n",
                1,
            )
            + "\n[areas.\"xa-la\"]\nname = \"Khu vực lạ\"\ncommunes = [\"22609\", \"99998\"]\n"
            + "\n[retired_communes.\"22612\"]\nname = \"Xã cũ\"\nsuccessor = \"22600\"\nsince = \"2025-07-01\"\n",
    )
    .unwrap();
    let cal = std::fs::read_to_string(dir.path().join("calendar/2026.toml")).unwrap();
    let cal = cal
        .replacen("2026-08-22", "2026-08-21", 1)
        .replacen("2026-09-02", "2025-09-02", 1);
    std::fs::write(dir.path().join("calendar/2026.toml"), cal).unwrap();
    let regimes = std::fs::read_to_string(dir.path().join("regimes.toml")).unwrap();
    let regimes = regimes
        .replace("default = \"khanh-vinh-8d\"", "default = \"khanh-vinh-9d\"")
        .replacen("decide_days = 5", "decide_days = 9", 1);
    std::fs::write(dir.path().join("regimes.toml"), regimes).unwrap();

    let (code, _, stderr) = check_config(dir.path());
    assert_eq!(code, 1);
    for want in [
        "gateway.toml: delivery.retry.max_attempts:",
        "gateway.toml: systems[4].token_sha256[0]: must be 64 hex digits",
        "gateway.toml: systems[2].signing_secret:",
        "gateway.toml: systems[1].communes: commune '99999'",
        "routes.toml: communes.22609.police_office: no police office 'CA-000'",
        "routes.toml: areas.xa-la.communes[1]: commune '99998' is not in routes.toml",
        "routes.toml: retired_communes.22612: a retired commune code cannot also be routed",
        "routes.toml: offices.CA-568.maintenance[0]: '22:00-26:00' is not a daily window",
        "routes.toml: offices.CA-568.max_per_minute: at least 1",
        "routes.toml: retired_communes.22612.successor: successor '22600' is not a routed commune",
        "calendar/2026.toml: working_days[1].date: 2026-08-21 is a weekday",
        "calendar/2026.toml: holidays[12].date: 2025-09-02 is not in 2026",
        "regimes.toml: default: no regime 'khanh-vinh-9d'",
        "regimes.toml: regimes.khanh-vinh-8d.insurance: commune_days + deliver_days + decide_days = 11 exceeds the total of 8",
    ] {
        assert!(stderr.contains(want), "missing `{want}` in:\n{stderr}");
    }
}

#[test]
fn user_add_creates_a_user_once_and_refuses_bad_scopes() {
    let dir = test_config();
    let add = |login: &str, role: &str, scope: &str, password: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lienthong"))
            .args([
                "--config",
                dir.path().to_str().unwrap(),
                "user",
                "add",
                "--login",
                login,
            ])
            .args(["--name", "Nguyễn Thị Lan", "--role", role, "--scope", scope])
            .env("LIENTHONG_USER_PASSWORD", password)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    assert_eq!(add("lan.nt", "commune_officer", "22609", "mot-mat-khau-dai").0, 0);
    let (code, err) = add("lan.nt", "commune_officer", "22609", "mot-mat-khau-dai");
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    let (code, err) = add("bhxh.1", "insurance_staff", "22609", "ngan");
    assert_eq!(code, 1);
    assert!(
        err.contains("at least 10 characters") && err.contains("scope '22609'"),
        "{err}"
    );
}
