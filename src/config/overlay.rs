//! `routes.override.toml`: a deployment's changes to `routes.toml`, merged key by key, so a
//! deployment states only what differs (an endpoint's host name) instead of copying the file.

/// The overlay's file name, beside `routes.toml` in the configuration directory.
pub const ROUTES_OVERRIDE: &str = "routes.override.toml";

/// Merges `overlay` into `base`: tables merge key by key, any other value replaces the base's.
pub fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_merge_and_values_replace() {
        let table = |text: &str| text.parse::<toml::Table>().unwrap();
        let mut base = table(
            r#"police_offices."CA-1" = { name = "Công an xã", endpoint = "http://127.0.0.1:7101", emails = ["a@x.vn"] }
               communes."22609" = { name = "Xã A" }"#,
        );
        let overlay = table(
            r#"police_offices."CA-1" = { endpoint = "http://police-sim:7101", emails = ["b@x.vn"] }
               communes."22612" = { name = "Xã B" }"#,
        );
        merge(&mut base, overlay);
        let ca = &base["police_offices"]["CA-1"];
        assert_eq!(ca["name"].as_str(), Some("Công an xã"), "kept");
        assert_eq!(ca["endpoint"].as_str(), Some("http://police-sim:7101"), "replaced");
        assert_eq!(
            ca["emails"].as_array().unwrap().len(),
            1,
            "an array replaces, never appends"
        );
        assert_eq!(ca["emails"][0].as_str(), Some("b@x.vn"));
        assert!(base["communes"].get("22609").is_some() && base["communes"].get("22612").is_some());
    }
}
