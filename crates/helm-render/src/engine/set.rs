//! A set of named templates, filled in Helm's parse order so later defines win.

use std::collections::HashMap;
use std::sync::Arc;

use gotmpl::parse::{Expr, ListNode, Node, Parser, PipeNode};

use super::{TemplateError, line_col};
use crate::fast_hash::BuildFastHasher;
use crate::funcs::Funcs;

/// One named template: a file's body or a `define` block.
#[derive(Debug)]
pub struct Template {
    /// The file that holds the template text (Go's ParseName).
    pub file: String,
    /// That file's text, to turn node offsets into line and column.
    pub source: Arc<str>,
    /// The parsed body.
    pub body: ListNode,
}

/// All templates of a chart tree, by name.
#[derive(Debug, Default, Clone)]
pub struct TemplateSet {
    templates: HashMap<String, Arc<Template>, BuildFastHasher>,
}

impl TemplateSet {
    /// Creates an empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `src` as the template `name`, adding its defines; like Go's `New(name).Parse(src)`.
    pub fn parse(&mut self, name: &str, src: &str, funcs: &Funcs) -> Result<(), TemplateError> {
        for (n, t) in parse_templates(name, src, funcs)? {
            self.insert(n, t);
        }
        Ok(())
    }

    /// Adds already parsed templates (what parsing one source gives), in order.
    pub fn extend(&mut self, parsed: &[(String, Arc<Template>)]) {
        for (n, t) in parsed {
            self.insert(n.clone(), t.clone());
        }
    }

    /// Adds a template, unless it is empty and would replace a non-empty one (Go's rule).
    pub fn insert(&mut self, name: String, t: Arc<Template>) {
        if t.body.is_empty_tree() && self.templates.contains_key(&name) {
            return;
        }
        self.templates.insert(name, t);
    }

    /// Looks up a template by name.
    pub fn get(&self, name: &str) -> Option<&Arc<Template>> {
        self.templates.get(name)
    }
}

/// Parses a source into its named templates: the body under `name`, then each define.
pub fn parse_templates(
    name: &str,
    src: &str,
    funcs: &Funcs,
) -> Result<Vec<(String, Arc<Template>)>, TemplateError> {
    if let Some(message) = super::blocks::block_error(name, src) {
        return Err(TemplateError::Parse {
            template: name.to_string(),
            message,
        });
    }
    let parser = Parser::with_name(Some(name), src, "{{", "}}").map_err(|e| parse_err(name, &e))?;
    let (tree, defines) = parser.parse().map_err(|e| parse_err(name, &e))?;
    let source: Arc<str> = Arc::from(src);
    let mut check = FuncCheck {
        funcs,
        file: name,
        src,
        err: None,
    };
    check.list(&tree);
    for d in &defines {
        check.list(&d.body);
    }
    if let Some(e) = check.err {
        return Err(e);
    }
    let mut out = Vec::with_capacity(defines.len() + 1);
    out.push((
        name.to_string(),
        Arc::new(Template {
            file: name.to_string(),
            source: source.clone(),
            body: tree,
        }),
    ));
    for d in defines {
        out.push((
            d.name.to_string(),
            Arc::new(Template {
                file: name.to_string(),
                source: source.clone(),
                body: d.body,
            }),
        ));
    }
    Ok(out)
}

fn parse_err(name: &str, e: &gotmpl::TemplateError) -> TemplateError {
    TemplateError::Parse {
        template: name.to_string(),
        message: e.to_string(),
    }
}

/// Go rejects unknown functions at parse time; so do we, with a position.
struct FuncCheck<'a> {
    funcs: &'a Funcs,
    file: &'a str,
    src: &'a str,
    err: Option<TemplateError>,
}

impl FuncCheck<'_> {
    fn list(&mut self, l: &ListNode) {
        for n in &l.nodes {
            self.node(n);
        }
    }

    fn node(&mut self, n: &Node) {
        match n {
            Node::List(l) => self.list(l),
            Node::Action(a) => self.pipe(&a.pipe),
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                self.pipe(&b.pipe);
                self.list(&b.body);
                if let Some(e) = &b.else_body {
                    self.list(e);
                }
            }
            Node::Template(t) => {
                if let Some(p) = &t.pipe {
                    self.pipe(p);
                }
            }
            Node::Define(d) => self.list(&d.body),
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }

    fn pipe(&mut self, p: &PipeNode) {
        for c in &p.commands {
            for a in &c.args {
                self.expr(a);
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Identifier(pos, name) if self.err.is_none() && !self.funcs.is_defined(name) => {
                let (line, col) = line_col(self.src, pos.offset);
                self.err = Some(TemplateError::Parse {
                    template: self.file.to_string(),
                    message: format!(
                        "template: {}:{line}:{col}: function \"{name}\" not defined",
                        self.file
                    ),
                });
            }
            Expr::Pipe(_, p) => self.pipe(p),
            Expr::Chain(_, inner, _) => self.expr(inner),
            _ => {}
        }
    }
}
