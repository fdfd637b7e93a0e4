//! Path patterns: Go's `filepath.Match` (for .helmignore) and gobwas/glob (for `.Files.Glob`).

/// Matches a `[...]` class at the start of `p` against `c`; returns (matched, rest of pattern).
fn class(p: &[char], c: char) -> Option<(bool, &[char])> {
    let mut i = 1;
    let negate = matches!(p.get(1), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, &p[i + 1..]));
        }
        first = false;
        let mut lo = p[i];
        if lo == '\\' {
            i += 1;
            lo = *p.get(i)?;
        }
        let mut hi = lo;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|x| *x != ']') {
            hi = p[i + 2];
            i += 2;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
        i += 1;
    }
    None
}

/// Go's `path/filepath.Match` with `/` as the separator.
pub fn go_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go_match_at(&p, &n)
}

fn go_match_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => {
            let rest = &p[1..];
            for i in 0..=n.len() {
                if go_match_at(rest, &n[i..]) {
                    return true;
                }
                if i < n.len() && n[i] == '/' {
                    break;
                }
            }
            false
        }
        Some('?') => !n.is_empty() && n[0] != '/' && go_match_at(&p[1..], &n[1..]),
        Some('[') => match (n.first(), class(p, n.first().copied().unwrap_or('\0'))) {
            (Some(&c), Some((true, rest))) if c != '/' => go_match_at(rest, &n[1..]),
            _ => false,
        },
        Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && go_match_at(&p[2..], &n[1..]),
        Some(&c) => n.first() == Some(&c) && go_match_at(&p[1..], &n[1..]),
    }
}

/// gobwas/glob with `/` as separator: `*` stays within a segment, `**` crosses them, `{a,b}` alternates.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n, 0)
}

fn split_alternatives(p: &[char]) -> Option<(Vec<Vec<char>>, &[char])> {
    let mut depth = 0;
    let mut alts = Vec::new();
    let mut cur = Vec::new();
    for (i, &c) in p.iter().enumerate().skip(1) {
        match c {
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' if depth == 0 => {
                alts.push(cur);
                return Some((alts, &p[i + 1..]));
            }
            '}' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => alts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    None
}

fn glob_at(p: &[char], n: &[char], depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    match p.first() {
        None => n.is_empty(),
        Some('*') if p.get(1) == Some(&'*') => {
            let rest = &p[2..];
            (0..=n.len()).any(|i| glob_at(rest, &n[i..], depth + 1))
        }
        Some('*') => {
            let rest = &p[1..];
            for i in 0..=n.len() {
                if glob_at(rest, &n[i..], depth + 1) {
                    return true;
                }
                if i < n.len() && n[i] == '/' {
                    break;
                }
            }
            false
        }
        Some('?') => !n.is_empty() && n[0] != '/' && glob_at(&p[1..], &n[1..], depth + 1),
        Some('[') => match (n.first(), class(p, n.first().copied().unwrap_or('\0'))) {
            (Some(&c), Some((true, rest))) if c != '/' => glob_at(rest, &n[1..], depth + 1),
            _ => false,
        },
        Some('{') => match split_alternatives(p) {
            Some((alts, rest)) => alts.iter().any(|a| {
                let mut full = a.clone();
                full.extend_from_slice(rest);
                glob_at(&full, n, depth + 1)
            }),
            None => n.first() == Some(&'{') && glob_at(&p[1..], &n[1..], depth + 1),
        },
        Some('\\') if p.len() > 1 => {
            n.first() == Some(&p[1]) && glob_at(&p[2..], &n[1..], depth + 1)
        }
        Some(&c) => n.first() == Some(&c) && glob_at(&p[1..], &n[1..], depth + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match_star_stays_within_a_segment() {
        assert!(go_match("*.txt", "a.txt"));
        assert!(!go_match("*.txt", "d/a.txt"));
        assert!(go_match("templates/.?*", "templates/.hidden"));
        assert!(go_match("[a-c]x", "bx"));
    }

    #[test]
    fn glob_double_star_crosses_directories_and_braces_alternate() {
        assert!(glob_match("files/**", "files/a/b.txt"));
        assert!(glob_match("files/*.{yaml,json}", "files/x.json"));
        assert!(!glob_match("files/*.yaml", "files/sub/x.yaml"));
        assert!(glob_match("**.yaml", "a/b/c.yaml"));
    }
}
