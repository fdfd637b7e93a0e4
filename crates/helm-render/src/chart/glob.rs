//! Path patterns: Go's `filepath.Match` (for .helmignore) and gobwas/glob (for `.Files.Glob`).

/// Matches a `[...]` class at the start of `p` against `c`; returns (matched, rest of pattern).
fn class_str(p: &str, c: char) -> Option<(bool, &str)> {
    let mut it = p.char_indices().skip(1).peekable();
    let negate = matches!(it.peek(), Some((_, '!' | '^')));
    if negate {
        it.next();
    }
    let mut matched = false;
    let mut first = true;
    while let Some((i, ch)) = it.next() {
        if ch == ']' && !first {
            return Some((matched != negate, &p[i + 1..]));
        }
        first = false;
        let lo = if ch == '\\' { it.next()?.1 } else { ch };
        let mut hi = lo;
        let mut ahead = it.clone();
        if let (Some((_, '-')), Some((_, h))) = (ahead.next(), ahead.next())
            && h != ']'
        {
            hi = h;
            it = ahead;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    None
}

/// [`class_str`] over a char slice (for the glob matcher).
fn class(p: &[char], c: char) -> Option<(bool, &[char])> {
    let text: String = p.iter().collect();
    let (matched, rest) = class_str(&text, c)?;
    Some((matched, &p[p.len() - rest.chars().count()..]))
}

/// Go's `path/filepath.Match` with `/` as the separator.
pub fn go_match(pattern: &str, name: &str) -> bool {
    let mut p = pattern.chars();
    let Some(first) = p.next() else {
        return name.is_empty();
    };
    let rest = p.as_str();
    let mut n = name.chars();
    match first {
        '*' => {
            let mut tail = name;
            loop {
                if go_match(rest, tail) {
                    return true;
                }
                let mut t = tail.chars();
                match t.next() {
                    None | Some('/') => return false,
                    Some(_) => tail = t.as_str(),
                }
            }
        }
        '?' => matches!(n.next(), Some(c) if c != '/') && go_match(rest, n.as_str()),
        '[' => match n.next() {
            Some(c) if c != '/' => match class_str(pattern, c) {
                Some((true, after)) => go_match(after, n.as_str()),
                _ => false,
            },
            _ => false,
        },
        '\\' if !rest.is_empty() => {
            let mut r = rest.chars();
            r.next() == n.next() && go_match(r.as_str(), n.as_str())
        }
        c => n.next() == Some(c) && go_match(rest, n.as_str()),
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
        assert!(go_match("[!a-c]x", "dx") && !go_match("[!a-c]x", "ax"));
        assert!(go_match("[\\]]x", "]x") && go_match("a\\*", "a*") && !go_match("a\\*", "ab"));
        assert!(!go_match("?é*", "xéz/") && go_match("?é*", "xéz"));
        assert!(!go_match("[a-", "a") && !go_match("?", "/") && !go_match("a", ""));
        assert!(go_match("", "") && !go_match("", "a") && go_match("*", ""));
    }

    #[test]
    fn glob_double_star_crosses_directories_and_braces_alternate() {
        assert!(glob_match("files/**", "files/a/b.txt"));
        assert!(glob_match("files/*.{yaml,json}", "files/x.json"));
        assert!(!glob_match("files/*.yaml", "files/sub/x.yaml"));
        assert!(glob_match("**.yaml", "a/b/c.yaml"));
    }
}
