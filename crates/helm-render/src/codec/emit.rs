//! A YAML emitter that writes what go-yaml v2 (Helm's `toYaml`) writes.

use std::cmp::Ordering;

use super::resolve::{Resolved, is_base60_float, is_timestamp, resolve};
use crate::format::char_vec;

/// A YAML node as go-yaml sees it after Helm's JSON round trip.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// An integer above `i64::MAX`.
    Uint(u64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys (sorted when emitted).
    Map(Vec<(String, Node)>),
}

const BEST_WIDTH: usize = 80;

/// yaml.v2's key order: letters after other characters, digit runs compared as numbers.
pub fn key_less(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        key_less_in(a.as_bytes(), b.as_bytes())
    } else {
        key_less_in(&char_vec(a), &char_vec(b))
    }
}

/// [`key_less`] over characters (bytes stand for characters in ASCII keys).
fn key_less_in<C: Copy + Into<char>>(ar: &[C], br: &[C]) -> Ordering {
    let at = |s: &[C], i: usize| -> char { s[i].into() };
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        let (ca, cb) = (at(ar, i), at(br, i));
        if ca == cb {
            i += 1;
            continue;
        }
        let al = ca.is_alphabetic();
        let bl = cb.is_alphabetic();
        if al && bl {
            return ca.cmp(&cb);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ca == '0' || cb == '0' {
            let mut j = i;
            while j > 0 && at(ar, j - 1).is_ascii_digit() {
                j -= 1;
                if at(ar, j) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && at(ar, ai).is_ascii_digit() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(at(ar, ai) as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && at(br, bi).is_ascii_digit() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(at(br, bi) as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ca.cmp(&cb);
    }
    ar.len().cmp(&br.len())
}

fn is_printable(c: char) -> bool {
    let u = c as u32;
    c == '\n'
        || (0x20..=0x7e).contains(&u)
        || (0xa0..=0xd7ff).contains(&u)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    plain: bool,
    single: bool,
    block: bool,
}

fn analyze(v: &str, chars: &[char]) -> Analysis {
    if v.is_empty() {
        return Analysis {
            plain: true,
            single: true,
            block: false,
        };
    }
    let (mut block_ind, mut special) = (false, false);
    if v.starts_with("---") || v.starts_with("...") {
        block_ind = true;
    }
    let (mut lead_space, mut lead_break, mut trail_space, mut trail_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut line_breaks) = (false, false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_ws = true;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let followed_ws =
            i + 1 >= n || matches!(chars[i + 1], ' ' | '\t') || is_break(chars[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    block_ind = true;
                }
                '?' | ':' | '-' if followed_ws => block_ind = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_ws => block_ind = true,
                '#' if preceded_ws => block_ind = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                lead_space = true;
            }
            if i + 1 == n {
                trail_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                lead_break = true;
            }
            if i + 1 == n {
                trail_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = matches!(c, ' ' | '\t') || is_break(c);
    }
    let mut a = Analysis {
        plain: true,
        single: true,
        block: true,
    };
    if lead_space || lead_break || trail_space || trail_break {
        a.plain = false;
    }
    if trail_space {
        a.block = false;
    }
    if break_space {
        a.plain = false;
        a.single = false;
    }
    if space_break || special {
        a.plain = false;
        a.single = false;
        a.block = false;
    }
    if line_breaks || block_ind {
        a.plain = false;
    }
    a
}

/// Writes YAML text while tracking the column, as libyaml's emitter does.
struct Emitter {
    out: String,
    column: usize,
    /// Indent sequences inside mappings (`toYamlPretty`).
    indent_sequences: bool,
}

impl Emitter {
    fn put(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
        self.out.push_str(s);
    }

    fn put_char(&mut self, c: char) {
        if c == '\n' {
            self.column = 0;
        } else {
            self.column += 1;
        }
        self.out.push(c);
    }

    fn newline_indent(&mut self, indent: usize) {
        // A block scalar already ended its line (libyaml's `indention` state).
        if !self.out.ends_with('\n') {
            self.put_char('\n');
        }
        for _ in 0..indent {
            self.put_char(' ');
        }
    }

    fn scalar_str(&mut self, v: &str, indent: usize, key: bool) {
        let requested = if v.contains('\n') {
            Style::Literal
        } else if !matches!(resolve(v), Resolved::Str | Resolved::Merge)
            || is_base60_float(v)
            || is_timestamp(v)
        {
            Style::Double
        } else {
            Style::Plain
        };
        let chars = char_vec(v);
        let a = analyze(v, &chars);
        let mut style = requested;
        if style == Style::Plain && (!a.plain || (v.is_empty() && key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block || key) {
            style = Style::Double;
        }
        match style {
            Style::Plain => self.plain(&chars, indent, !key),
            Style::Single => self.single(&chars, indent, !key),
            Style::Double => self.double(&chars, indent, !key),
            Style::Literal => self.literal(&chars, indent),
        }
    }

    fn plain(&mut self, chars: &[char], indent: usize, breaks: bool) {
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if breaks && !spaces && self.column > BEST_WIDTH && chars.get(i + 1) != Some(&' ') {
                    self.newline_indent(indent);
                } else {
                    self.put_char(c);
                }
                spaces = true;
            } else {
                self.put_char(c);
                spaces = false;
            }
        }
    }

    fn single(&mut self, chars: &[char], indent: usize, allow_breaks: bool) {
        self.put_char('\'');
        let (mut spaces, mut breaks) = (false, false);
        let n = chars.len();
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i + 1 != n
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.newline_indent(indent);
                } else {
                    self.put_char(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_char('\n');
                }
                self.put_char('\n');
                breaks = true;
            } else {
                if breaks {
                    for _ in 0..indent {
                        self.put_char(' ');
                    }
                }
                if c == '\'' {
                    self.put_char('\'');
                }
                self.put_char(c);
                spaces = false;
                breaks = false;
            }
        }
        self.put_char('\'');
    }

    fn double(&mut self, chars: &[char], indent: usize, allow_breaks: bool) {
        self.put_char('"');
        let n = chars.len();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                self.put_char('\\');
                let u = c as u32;
                let esc = match c {
                    '\0' => "0".to_string(),
                    '\u{7}' => "a".into(),
                    '\u{8}' => "b".into(),
                    '\t' => "t".into(),
                    '\n' => "n".into(),
                    '\u{b}' => "v".into(),
                    '\u{c}' => "f".into(),
                    '\r' => "r".into(),
                    '\u{1b}' => "e".into(),
                    '"' => "\"".into(),
                    '\\' => "\\".into(),
                    '\u{85}' => "N".into(),
                    '\u{a0}' => "_".into(),
                    '\u{2028}' => "L".into(),
                    '\u{2029}' => "P".into(),
                    _ if u <= 0xff => format!("x{u:02X}"),
                    _ if u <= 0xffff => format!("u{u:04X}"),
                    _ => format!("U{u:08X}"),
                };
                self.put(&esc);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i + 1 != n {
                    self.newline_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put_char('\\');
                    }
                } else {
                    self.put_char(c);
                }
                spaces = true;
            } else {
                self.put_char(c);
                spaces = false;
            }
        }
        self.put_char('"');
    }

    fn literal(&mut self, chars: &[char], indent: usize) {
        self.put_char('|');
        let first = chars.first().copied();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.put_char('2');
        }
        let n = chars.len();
        if n == 0 || !is_break(chars[n - 1]) {
            self.put_char('-');
        } else if n == 1 || is_break(chars[n - 2]) {
            self.put_char('+');
        }
        self.put_char('\n');
        let mut breaks = true;
        for &c in chars {
            if is_break(c) {
                self.put_char(c);
                self.column = 0;
                breaks = true;
            } else {
                if breaks {
                    for _ in 0..indent {
                        self.put_char(' ');
                    }
                    breaks = false;
                }
                self.put_char(c);
            }
        }
    }

    fn scalar(&mut self, node: &Node, indent: usize) {
        match node {
            Node::Null => self.put("null"),
            Node::Bool(b) => self.put(if *b { "true" } else { "false" }),
            Node::Int(n) => self.put(&n.to_string()),
            Node::Uint(n) => self.put(&n.to_string()),
            Node::Float(f) => {
                let s = if f.is_nan() {
                    ".nan".to_string()
                } else if f.is_infinite() {
                    if *f > 0.0 {
                        ".inf".into()
                    } else {
                        "-.inf".into()
                    }
                } else {
                    crate::format::float_g(*f)
                };
                self.put(&s);
            }
            Node::Str(s) => self.scalar_str(s, indent, false),
            Node::Seq(_) => self.put("[]"),
            Node::Map(_) => self.put("{}"),
        }
    }

    fn is_block(node: &Node) -> bool {
        match node {
            Node::Seq(s) => !s.is_empty(),
            Node::Map(m) => !m.is_empty(),
            _ => false,
        }
    }

    /// Emits a block mapping whose first key is already positioned.
    fn map(&mut self, entries: &[(String, Node)], indent: usize) {
        let mut sorted: Vec<&(String, Node)> = entries.iter().collect();
        sorted.sort_by(|a, b| key_less(&a.0, &b.0));
        for (i, (k, v)) in sorted.into_iter().enumerate() {
            if i > 0 {
                self.newline_indent(indent);
            }
            if k.contains('\n') {
                // Not a simple key: libyaml writes `? <key>` then `: <value>` on its own line.
                self.put("? ");
                self.scalar_str(k, indent + 2, false);
                self.newline_indent(indent);
            } else {
                self.scalar_str(k, indent, true);
            }
            self.put_char(':');
            match v {
                Node::Map(m) if !m.is_empty() => {
                    self.newline_indent(indent + 2);
                    self.map(m, indent + 2);
                }
                Node::Seq(s) if !s.is_empty() => {
                    let at = if self.indent_sequences {
                        indent + 2
                    } else {
                        indent
                    };
                    self.newline_indent(at);
                    self.seq(s, at);
                }
                other => {
                    self.put_char(' ');
                    self.scalar(other, indent + 2);
                }
            }
        }
    }

    /// Emits a block sequence whose first dash is already positioned.
    fn seq(&mut self, items: &[Node], indent: usize) {
        for (i, v) in items.iter().enumerate() {
            if i > 0 {
                self.newline_indent(indent);
            }
            self.put_char('-');
            self.put_char(' ');
            match v {
                Node::Map(m) if Self::is_block(v) => self.map(m, indent + 2),
                Node::Seq(s) if Self::is_block(v) => self.seq(s, indent + 2),
                other => self.scalar(other, indent + 2),
            }
        }
    }
}

/// go-yaml v2's `Marshal` output for a node (with its trailing newline).
pub fn to_yaml(node: &Node) -> String {
    emit(node, false)
}

/// Like [`to_yaml`] with sequences indented under their keys, as `toYamlPretty` writes them.
pub fn to_yaml_pretty(node: &Node) -> String {
    emit(node, true)
}

fn emit(node: &Node, indent_sequences: bool) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        indent_sequences,
    };
    match node {
        Node::Map(m) if !m.is_empty() => e.map(m, 0),
        Node::Seq(s) if !s.is_empty() => e.seq(s, 0),
        other => e.scalar(other, 2),
    }
    // A final block scalar already ended its line; libyaml adds no other line break.
    if !e.out.ends_with('\n') {
        e.out.push('\n');
    }
    e.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Node {
        Node::Str(x.into())
    }

    #[test]
    fn keys_sort_naturally_with_symbols_first() {
        let mut keys = vec!["a10", "a2", "A1", "_u", "-d", "2key", "big"];
        keys.sort_by(|a, b| key_less(a, b));
        assert_eq!(keys, vec!["-d", "_u", "2key", "A1", "a2", "a10", "big"]);
        let mut keys = vec!["é10", "é2", "a", "ä", "_"];
        keys.sort_by(|a, b| key_less(a, b));
        assert_eq!(keys, vec!["_", "a", "ä", "é2", "é10"]);
    }

    #[test]
    fn strings_that_read_as_other_types_are_double_quoted() {
        let n = Node::Map(vec![
            ("a".into(), s("yes")),
            ("b".into(), s("123")),
            ("c".into(), s("x")),
        ]);
        assert_eq!(to_yaml(&n), "a: \"yes\"\nb: \"123\"\nc: x\n");
    }

    #[test]
    fn indicators_force_single_quotes_and_newlines_force_literals() {
        let n = Node::Map(vec![
            ("a".into(), s("- x")),
            ("b".into(), s("l1\nl2\n")),
            ("c".into(), s(" l\nm")),
        ]);
        assert_eq!(
            to_yaml(&n),
            "a: '- x'\nb: |\n  l1\n  l2\nc: |2-\n   l\n  m\n"
        );
    }

    #[test]
    fn sequences_in_mappings_are_not_indented() {
        let n = Node::Map(vec![(
            "l".into(),
            Node::Seq(vec![
                Node::Int(1),
                Node::Map(vec![("a".into(), s("b")), ("c".into(), s("d"))]),
            ]),
        )]);
        assert_eq!(to_yaml(&n), "l:\n- 1\n- a: b\n  c: d\n");
    }
}
