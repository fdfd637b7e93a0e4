//! From `--config` output bytes to a JSON document and its config version.

use serde_json::{Map, Value};

use crate::config::ConfigVersion;

/// Parses YAML or JSON (JSON is YAML) into a top-level mapping.
pub(crate) fn load_document(raw: &[u8]) -> Result<Map<String, Value>, String> {
    let text = std::str::from_utf8(raw).map_err(|err| format!("config is not UTF-8: {err}"))?;
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    let value: Value = serde_norway::from_str(text)
        .map_err(|err| format!("config is not valid YAML or JSON: {err}"))?;
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        other => Err(format!(
            "config must be a mapping, got {}",
            match other {
                Value::Array(_) => "an array",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                _ => "a boolean",
            }
        )),
    }
}

/// upstream's version detection from the `configVersion` key.
pub(crate) fn detect_version(doc: &Map<String, Value>) -> Result<ConfigVersion, String> {
    match doc.get("configVersion") {
        None => Ok(ConfigVersion::V0),
        Some(Value::Null) => Err("config version: missing 'configVersion' value".to_owned()),
        Some(Value::String(v)) if v == "v1" => Ok(ConfigVersion::V1),
        // An explicit "v0" is v0, whose schema then rejects the configVersion key, as upstream.
        Some(Value::String(v)) if v == "v0" => Ok(ConfigVersion::V0),
        Some(Value::String(v)) => Err(format!(
            "config version: 'configVersion' value '{v}' is unsupported"
        )),
        Some(_) => {
            Err("config version: string value is expected for key 'configVersion'".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configversion_null_and_non_strings_have_their_own_messages() {
        let doc = load_document(b"configVersion:\nonStartup: 1").unwrap();
        assert_eq!(
            detect_version(&doc),
            Err("config version: missing 'configVersion' value".to_owned())
        );
        let doc = load_document(b"{\"configVersion\": 1}").unwrap();
        assert_eq!(
            detect_version(&doc),
            Err("config version: string value is expected for key 'configVersion'".to_owned())
        );
    }

    #[test]
    fn a_top_level_that_is_not_a_mapping_is_rejected() {
        assert!(load_document(b"[1, 2]").is_err());
        assert!(load_document(b"{ not yaml").is_err());
        assert!(load_document(b"").unwrap().is_empty());
    }
}
