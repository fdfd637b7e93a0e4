//! Checks that `if`/`range`/`with`/`define`/`block` actions are closed, as Go's parser does
//! (gotmpl's parser accepts an unclosed block at end of input and a stray `{{end}}`).

use super::line_col;

/// Finds the end of an action starting after `{{`, skipping string and char literals.
fn action_end(src: &[u8], mut i: usize) -> Option<usize> {
    while i + 1 < src.len() {
        match src[i] {
            b'"' | b'\'' => {
                let q = src[i];
                i += 1;
                while i < src.len() && src[i] != q {
                    if src[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < src.len() && src[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if src[i + 1] == b'}' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Returns `(offset, message)` for the first unbalanced block, if any.
pub fn check_blocks(src: &str) -> Option<(usize, String)> {
    let b = src.as_bytes();
    let mut stack: Vec<&'static str> = Vec::new();
    let mut i = 0;
    while let Some(rel) = src.get(i..).and_then(|s| s.find("{{")) {
        let start = i + rel;
        let mut j = start + 2;
        if b.get(j) == Some(&b'-') && b.get(j + 1).is_some_and(|c| c.is_ascii_whitespace()) {
            j += 1;
        }
        while b.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
            j += 1;
        }
        if src[j.min(src.len())..].starts_with("/*") {
            match src[j..].find("*/") {
                Some(e) => {
                    i = j + e + 2;
                    continue;
                }
                None => return None,
            }
        }
        let end = action_end(b, j)?;
        let word: String = src[j..end]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        match word.as_str() {
            "if" => stack.push("if"),
            "range" => stack.push("range"),
            "with" => stack.push("with"),
            "define" => stack.push("define"),
            "block" => stack.push("block"),
            "else" if !matches!(stack.last(), Some(&("if" | "range" | "with"))) => {
                return Some((start, "unexpected {{else}}".into()));
            }
            "end" if stack.pop().is_none() => {
                return Some((start, "unexpected {{end}}".into()));
            }
            _ => {}
        }
        i = end + 2;
    }
    if stack.is_empty() {
        None
    } else {
        Some((src.len(), "unexpected EOF".into()))
    }
}

/// The Go-style parse error message for an unbalanced block, if any.
pub fn block_error(name: &str, src: &str) -> Option<String> {
    let (offset, msg) = check_blocks(src)?;
    let (line, _) = line_col(src, offset);
    Some(format!("template: {name}:{line}: {msg}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_if_is_an_unexpected_eof() {
        assert!(check_blocks("{{ if .x }}a").is_some());
        assert!(check_blocks("{{ if .x }}a{{ else if .y }}b{{ end }}").is_none());
    }

    #[test]
    fn stray_end_and_strings_with_braces_are_handled() {
        assert!(check_blocks("a{{ end }}").is_some());
        assert!(check_blocks("{{ \"}}\" }}{{/* {{ if */}}").is_none());
        assert!(check_blocks("{{- define \"x\" -}}{{ range . }}{{ end }}{{- end -}}").is_none());
    }
}
