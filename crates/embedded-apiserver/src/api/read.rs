//! Get and list, with selectors, paging and resourceVersion semantics.

use std::ops::Bound;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use super::present::{list_bytes, present, scale_view, served_as_is};
use super::{Call, Reply};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::store::Stored;

/// GET of one object or its status/scale.
pub async fn get(call: &Call<'_>, name: &str) -> Result<Reply, ApiError> {
    let key = call.rt.storage_key();
    let ns = call.namespace.clone().unwrap_or_default();
    let stored = call
        .srv
        .store
        .read(|s| s.stored(&key, &ns, name).cloned())
        .ok_or_else(|| ApiError::not_found(call.target(name)))?;
    if call.sub.as_deref() != Some("scale")
        && served_as_is(&call.rt, &call.rt.api_version(), &stored)
    {
        return Ok(Reply::bytes(200, stored.json().clone()));
    }
    let obj = super::admitted::from_storage(call, Arc::new(stored.value())).await?;
    Ok(match call.sub.as_deref() {
        Some("scale") => Reply::json(200, scale_view(&call.rt, &obj)),
        _ => Reply::json(200, present(&call.rt, &obj)),
    })
}

/// Where a paged list continues.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Continue {
    rv: u64,
    namespace: String,
    name: String,
}

fn encode_continue(c: &Continue) -> String {
    let doc = json!({ "v": "meta.k8s.io/v1", "rv": c.rv, "ns": c.namespace, "start": c.name });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(doc.to_string())
}

fn decode_continue(token: &str) -> Result<Continue, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| bad())?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    Ok(Continue {
        rv: doc["rv"].as_u64().ok_or_else(bad)?,
        namespace: doc["ns"].as_str().ok_or_else(bad)?.to_owned(),
        name: doc["start"].as_str().ok_or_else(bad)?.to_owned(),
    })
}

fn parse_rv(text: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "Invalid value: {text:?}: resourceVersion must be an unsigned integer"
        ))
    })
}

/// GET of a collection.
pub async fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let labels = LabelSelector::parse(&call.params.label_selector)?;
    let fields = FieldSelector::parse(&call.params.field_selector)?;
    let continue_from = call
        .params
        .continue_token
        .as_deref()
        .map(decode_continue)
        .transpose()?;
    let requested = call
        .params
        .resource_version
        .as_deref()
        .map(parse_rv)
        .transpose()?;
    let exact = call.params.resource_version_match.as_deref() == Some("Exact");
    let key = call.rt.storage_key();
    let namespace = call.namespace.clone();
    let limit = call.params.limit;
    let (metadata, items) = call.srv.store.read(|s| {
        if let Some(c) = &continue_from
            && c.rv < s.history.compacted()
        {
            return Err(ApiError::expired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
            ));
        }
        if exact && let Some(rv) = requested && rv != s.rv {
            // Only the newest snapshot is kept, so older exact reads are as compacted.
            return Err(ApiError::expired(format!("too old resource version: {rv} ({})", s.rv)));
        }
        if continue_from.is_none()
            && let Some(rv) = requested
            && rv > s.rv
        {
            // The real server waits a few seconds for the version to arrive; it never will here.
            return Err(ApiError::too_large_resource_version(rv, s.rv));
        }
        let list_rv = continue_from.as_ref().map_or(s.rv, |c| c.rv);
        let empty = crate::store::Table::new();
        let table = s.table(&key).unwrap_or(&empty);
        let start = match (&continue_from, &namespace) {
            (Some(c), _) => Bound::Excluded((c.namespace.clone(), c.name.clone())),
            (None, Some(ns)) => Bound::Included((ns.clone(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let mut matching = table
            .range((start, Bound::Unbounded))
            .take_while(|((ns, _), _)| namespace.as_ref().is_none_or(|want| want == ns))
            .filter(|((ns, name), obj)| obj.matches(ns, name, &labels, &fields));
        let mut items: Vec<Arc<Stored>> = Vec::new();
        let mut last = None;
        let mut more = false;
        for (k, obj) in matching.by_ref() {
            if limit.is_some_and(|l| items.len() >= l) {
                more = true;
                break;
            }
            items.push(obj.clone());
            last = Some(k);
        }
        let mut metadata = json!({ "resourceVersion": list_rv.to_string() });
        if more && let Some((ns, name)) = last {
            let token = encode_continue(&Continue {
                rv: list_rv,
                namespace: ns.clone(),
                name: name.clone(),
            });
            metadata["continue"] = json!(token);
            if labels.is_empty() && fields.is_empty() {
                metadata["remainingItemCount"] = json!(matching.count() + 1);
            }
        }
        Ok((metadata, items))
    })?;
    // Serialized outside the store lock; conversion webhooks are called once for the whole page.
    let converter = &call.srv.converter;
    let api_version = call.rt.api_version();
    let differ = items.iter().any(|o| o.api_version() != api_version);
    if differ && converter.webhook_for(&call.rt).is_some() {
        let values = items.iter().map(|o| Arc::new(o.value())).collect();
        let values = converter.convert(&call.rt, values).await?;
        return Ok(Reply::bytes(
            200,
            list_bytes(&call.rt, &metadata, values.iter()),
        ));
    }
    Ok(Reply::bytes(
        200,
        list_bytes(&call.rt, &metadata, items.iter()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let c = Continue {
            rv: 42,
            namespace: "ns".into(),
            name: "a".into(),
        };
        assert_eq!(decode_continue(&encode_continue(&c)).unwrap(), c);
    }

    #[test]
    fn garbage_continue_tokens_are_bad_requests() {
        assert_eq!(decode_continue("!!!").unwrap_err().code, 400);
        assert_eq!(decode_continue("e30").unwrap_err().code, 400);
    }
}
