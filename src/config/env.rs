//! `LIENTHONG_*` environment variables as overrides of `gateway.toml` keys.

/// `LIENTHONG_*` variables that are read elsewhere, not keys of `gateway.toml`.
const NOT_CONFIG: [&str; 6] = [
    "LOG",
    "LOG_FORMAT",
    "CONFIG_DIR",
    "USER_PASSWORD",
    "SIM_TOKEN",
    "SIM_SECRET",
];

/// Applies `LIENTHONG_*` overrides to the raw gateway table.
pub fn apply_env(table: &mut toml::Table, vars: impl Iterator<Item = (String, String)>) {
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("LIENTHONG_") else {
            continue;
        };
        if rest.is_empty() || NOT_CONFIG.contains(&rest) {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value));
        let mut at = &mut *table;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                at.insert(key.clone(), parsed.clone());
            } else {
                let next = at
                    .entry(key.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if !next.is_table() {
                    *next = toml::Value::Table(toml::Table::new());
                }
                at = next.as_table_mut().expect("just made a table");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_nested_keys_with_typed_values() {
        let mut t: toml::Table = "listen = '127.0.0.1:1'\n[delivery]\nworkers = 2".parse().unwrap();
        apply_env(
            &mut t,
            [
                ("LIENTHONG_LISTEN".to_string(), "0.0.0.0:9".to_string()),
                ("LIENTHONG_DELIVERY__WORKERS".to_string(), "16".to_string()),
                ("LIENTHONG_DELIVERY__RETRY__FACTOR".to_string(), "3.5".to_string()),
                ("OTHER".to_string(), "x".to_string()),
            ]
            .into_iter(),
        );
        assert_eq!(t["listen"].as_str(), Some("0.0.0.0:9"));
        assert_eq!(t["delivery"]["workers"].as_integer(), Some(16));
        assert_eq!(t["delivery"]["retry"]["factor"].as_float(), Some(3.5));
    }
}
