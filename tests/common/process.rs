//! A gateway as a real process (`lienthong serve`), for the tests and benchmarks that kill,
//! restart or measure it from outside.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The binary under test: `LTTEST_BIN` when set (e.g. the release build), else the one cargo
/// built for this test or benchmark.
pub fn gateway_exe() -> PathBuf {
    std::env::var_os("LTTEST_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lienthong")), PathBuf::from)
}

/// Starts `lienthong serve` on the configuration in `dir`, its output appended to `log` or
/// dropped, logging warnings unless `env` sets `LIENTHONG_LOG` (or any other override).
pub fn serve_process(dir: &Path, log: Option<&Path>, env: &[(&str, &OsStr)]) -> Child {
    let (stdout, stderr) = match log {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            (Stdio::from(file.try_clone().unwrap()), Stdio::from(file))
        }
        None => (Stdio::null(), Stdio::null()),
    };
    let exe = gateway_exe();
    Command::new(&exe)
        .args(["--config", dir.to_str().unwrap(), "serve"])
        .env("LIENTHONG_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", exe.display()))
}
