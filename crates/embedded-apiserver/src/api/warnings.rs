//! Warnings collected while serving a request, returned as `Warning: 299 - "<text>"` headers.

use std::sync::{Mutex, PoisonError};

use http::HeaderValue;

/// Total characters of warning text a response carries, as the real server limits it.
const MAX_TOTAL: usize = 4 * 1024;

/// The warnings of one request; deduplicated, in the order they were added.
#[derive(Debug, Default)]
pub struct Warnings {
    texts: Mutex<Vec<String>>,
}

impl Warnings {
    /// Adds warnings, skipping blanks and repeats.
    pub fn add(&self, texts: impl IntoIterator<Item = String>) {
        let mut list = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
        for text in texts {
            // Header values cannot carry control characters; the real server drops such text too.
            let text: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let text = text.trim().to_owned();
            if !text.is_empty() && !list.contains(&text) {
                list.push(text);
            }
        }
    }

    /// The `Warning` header values: `299 - "<text>"` with `"` and `\` escaped.
    pub fn header_values(&self) -> Vec<HeaderValue> {
        let list = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
        let mut total = 0;
        list.iter()
            .take_while(|text| {
                total += text.chars().count();
                total <= MAX_TOTAL
            })
            .filter_map(|text| {
                let mut quoted = String::with_capacity(text.len() + 10);
                quoted.push_str("299 - \"");
                for c in text.chars() {
                    if matches!(c, '"' | '\\') {
                        quoted.push('\\');
                    }
                    quoted.push(c);
                }
                quoted.push('"');
                // UTF-8 beyond ASCII is allowed as obs-text, as Go writes it.
                HeaderValue::from_bytes(quoted.as_bytes()).ok()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_become_quoted_deduplicated_299_headers() {
        let w = Warnings::default();
        w.add([
            "a \"b\"".to_owned(),
            "a \"b\"".to_owned(),
            "  ".to_owned(),
            "x\ny".to_owned(),
        ]);
        w.add(["naïve".to_owned()]);
        let values: Vec<Vec<u8>> = w
            .header_values()
            .iter()
            .map(|v| v.as_bytes().to_vec())
            .collect();
        assert_eq!(
            values,
            vec![
                br#"299 - "a \"b\"""#.to_vec(),
                br#"299 - "x y""#.to_vec(),
                "299 - \"naïve\"".as_bytes().to_vec(),
            ]
        );
    }
}
