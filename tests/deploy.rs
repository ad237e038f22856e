//! The deployment files, checked without a container engine: the compose file parses (PyYAML,
//! from the virtualenv scripts/test.sh installs), declares the production shape and mounts only
//! files that exist; the configuration it mounts passes `lienthong check-config`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The Python of the moto virtualenv (it carries PyYAML).
fn python() -> Option<PathBuf> {
    let p = repo().join("target/moto-venv/bin/python");
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "target/moto-venv is missing: run the suite with scripts/test.sh"
    );
    None
}

#[test]
fn the_compose_file_parses_and_declares_the_production_shape() {
    let Some(python) = python() else {
        eprintln!("skipped outside CI: no target/moto-venv (scripts/test.sh creates it)");
        return;
    };
    let script = r#"
import json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
out = {}
for name, svc in doc["services"].items():
    vols = [v.split(":")[0] for v in svc.get("volumes", []) if v.startswith(".")]
    out[name] = {"volumes": vols, "command": svc.get("command", []), "image": svc.get("image", "")}
print(json.dumps(out))
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .arg(repo().join("deploy/compose.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let services: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for name in [
        "postgres",
        "minio",
        "bucket",
        "migrate",
        "gateway-1",
        "gateway-2",
        "proxy",
        "police-sim",
        "insurance-sim",
        "onestop-sim",
    ] {
        assert!(services.get(name).is_some(), "service {name} missing");
    }
    for gw in ["gateway-1", "gateway-2"] {
        assert_eq!(services[gw]["command"][0], "serve");
        assert_eq!(services[gw]["image"], "lienthong:latest");
    }
    for (name, svc) in services.as_object().unwrap() {
        for v in svc["volumes"].as_array().unwrap() {
            let path = repo().join("deploy").join(v.as_str().unwrap());
            assert!(path.exists(), "{name} mounts {} which does not exist", path.display());
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn the_configuration_compose_mounts_is_valid() {
    // What the gateway containers see: the image's /etc/lienthong with compose's gateway.toml and
    // routes override over it.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("config"), dir.path());
    for f in ["gateway.toml", "routes.override.toml"] {
        std::fs::copy(repo().join("deploy/compose").join(f), dir.path().join(f)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_lienthong"))
        .args(["--config", dir.path().to_str().unwrap(), "check-config"])
        .env("LIENTHONG_S3__ACCESS_KEY_ID", "lienthong")
        .env("LIENTHONG_S3__SECRET_ACCESS_KEY", "demo-minio-secret-0001")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The override changed what it names and kept the rest of the image's routes.
    let env = [
        ("LIENTHONG_S3__ACCESS_KEY_ID", "lienthong"),
        ("LIENTHONG_S3__SECRET_ACCESS_KEY", "demo-minio-secret-0001"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let config = lienthong::config::Config::load_with_env(dir.path(), env.into_iter()).unwrap();
    let base = lienthong::config::Config::load_with_env(&repo().join("config"), std::iter::empty()).unwrap();
    assert_eq!(
        config.routes.police_offices["CA-22609"].endpoint,
        "http://police-sim:7101"
    );
    assert_eq!(
        config.routes.communes["22609"].onestop_result_url,
        "http://onestop-sim:7103/onestop/results"
    );
    assert_eq!(config.routes.communes["22609"].name, base.routes.communes["22609"].name);
    assert_eq!(config.routes.communes.len(), base.routes.communes.len());
}
