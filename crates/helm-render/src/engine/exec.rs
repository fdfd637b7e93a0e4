//! Walks a parsed template and writes its output, with Helm's `include` and `tpl`.

use std::collections::HashMap;
use std::sync::Arc;

use gotmpl::parse::{
    BranchNode, CommandNode, Expr, ListNode, Node, Number, PipeNode, Pos, SmolStr,
};

use super::parse_cache::ParseCache;
use super::set::{Template, TemplateSet, parse_templates};
use super::{TemplateError, line_col};
use crate::fast_hash::BuildFastHasher;
use crate::format;
use crate::funcs::Funcs;
use crate::value::Value;

/// Helm caps recursive `include` of one name at this depth.
const INCLUDE_MAX: usize = 1000;
/// Overall cap on nested template calls, so recursion cannot exhaust the stack.
const MAX_DEPTH: usize = 3000;
/// Spare argument vectors kept for reuse.
const MAX_ARG_BUFS: usize = 32;
/// Overall cap on range iterations in one render.
const MAX_RANGE_ITERS: u64 = 10_000_000;

/// Limits for one execution.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Name given to templates parsed by `tpl` when dot has no `Template.Name`.
    pub tpl_default_name: String,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            tpl_default_name: "gotpl".into(),
        }
    }
}

enum Signal {
    Err(Box<TemplateError>),
    Break,
    Continue,
}

impl From<TemplateError> for Signal {
    fn from(e: TemplateError) -> Self {
        Signal::Err(Box::new(e))
    }
}

type R<T> = Result<T, Signal>;

/// Executes templates of one set; holds variables and recursion counters.
pub struct Executor<'a> {
    set: &'a TemplateSet,
    funcs: &'a Funcs,
    opts: ExecOptions,
    overlays: Vec<HashMap<String, Arc<Template>, BuildFastHasher>>,
    /// Variables of all active template calls; each call's start is `vars_base`.
    vars: Vec<(SmolStr, Value)>,
    vars_base: usize,
    current: Option<(Arc<Template>, SmolStr)>,
    depth: usize,
    includes: HashMap<String, usize, BuildFastHasher>,
    range_iters: u64,
    parse_cache: Option<&'a mut ParseCache>,
    arg_bufs: Vec<Vec<Value>>,
}

impl std::fmt::Debug for Executor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("depth", &self.depth)
            .finish()
    }
}

impl<'a> Executor<'a> {
    /// Creates an executor over a set with a function table.
    pub fn new(set: &'a TemplateSet, funcs: &'a Funcs, opts: ExecOptions) -> Self {
        Executor {
            set,
            funcs,
            opts,
            overlays: Vec::new(),
            vars: Vec::new(),
            vars_base: 0,
            current: None,
            depth: 0,
            includes: HashMap::default(),
            range_iters: 0,
            parse_cache: None,
            arg_bufs: Vec::new(),
        }
    }

    /// Parses `tpl` strings through `cache`, so a string seen before is not parsed again.
    pub fn with_parse_cache(mut self, cache: &'a mut ParseCache) -> Self {
        self.parse_cache = Some(cache);
        self
    }

    fn lookup(&self, name: &str) -> Option<Arc<Template>> {
        for o in self.overlays.iter().rev() {
            if let Some(t) = o.get(name) {
                return Some(t.clone());
            }
        }
        self.set.get(name).cloned()
    }

    /// Executes the template `name` with `dot`, returning its output.
    pub fn execute(&mut self, name: &str, dot: &Value) -> Result<String, TemplateError> {
        let t = self.lookup(name).ok_or_else(|| {
            TemplateError::Other(format!(
                "no template {name:?} associated with template \"gotpl\""
            ))
        })?;
        let mut out = String::new();
        match self.run_template(&mut out, &t, name, dot) {
            Ok(()) => Ok(out),
            Err(Signal::Err(e)) => Err(*e),
            Err(Signal::Break | Signal::Continue) => Err(TemplateError::Other(
                "break or continue outside range".into(),
            )),
        }
    }

    fn run_template(
        &mut self,
        out: &mut String,
        t: &Arc<Template>,
        name: &str,
        dot: &Value,
    ) -> R<()> {
        if self.depth >= MAX_DEPTH {
            return Err(TemplateError::Other(format!(
                "exceeded maximum template depth ({MAX_DEPTH})"
            ))
            .into());
        }
        self.depth += 1;
        let saved_base = std::mem::replace(&mut self.vars_base, self.vars.len());
        self.vars.push((SmolStr::new_static("$"), dot.clone()));
        let saved_cur = self.current.replace((t.clone(), SmolStr::new(name)));
        let res = self.walk_list(out, dot, &t.body);
        self.vars.truncate(self.vars_base);
        self.vars_base = saved_base;
        self.current = saved_cur;
        self.depth -= 1;
        res
    }

    fn err_at(&self, pos: Pos, message: impl Into<String>) -> Signal {
        let Some((t, name)) = &self.current else {
            return TemplateError::Other(message.into()).into();
        };
        let (line, col) = line_col(&t.source, pos.offset);
        let rest = t.source.get(pos.offset..).unwrap_or("");
        let end = rest
            .find("}}")
            .unwrap_or(rest.len())
            .min(rest.find('\n').unwrap_or(rest.len()));
        let node = rest[..end]
            .trim_end()
            .trim_end_matches('-')
            .trim_end()
            .to_string();
        TemplateError::Exec {
            file: t.file.clone(),
            line,
            col,
            executing: name.to_string(),
            node,
            message: message.into(),
        }
        .into()
    }

    fn walk_list(&mut self, out: &mut String, dot: &Value, list: &ListNode) -> R<()> {
        for n in &list.nodes {
            self.walk(out, dot, n)?;
        }
        Ok(())
    }

    fn walk(&mut self, out: &mut String, dot: &Value, node: &Node) -> R<()> {
        match node {
            Node::Text(t) => out.push_str(&t.text),
            Node::List(l) => self.walk_list(out, dot, l)?,
            Node::Action(a) => {
                let v = self.pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    format::push_printed(out, &v);
                }
            }
            Node::If(b) => self.branch(out, dot, b, false)?,
            Node::With(b) => self.branch(out, dot, b, true)?,
            Node::Range(b) => self.range(out, dot, b)?,
            Node::Template(t) => {
                let data = match &t.pipe {
                    Some(p) => self.pipeline(dot, p)?,
                    None => Value::Nil,
                };
                let tmpl = self.lookup(&t.name).ok_or_else(|| {
                    self.err_at(t.pos, format!("template {:?} not defined", t.name.as_str()))
                })?;
                self.run_template(out, &tmpl, &t.name, &data)?;
            }
            Node::Define(_) => {}
            Node::Break(_) => return Err(Signal::Break),
            Node::Continue(_) => return Err(Signal::Continue),
        }
        Ok(())
    }

    fn branch(&mut self, out: &mut String, dot: &Value, b: &BranchNode, with: bool) -> R<()> {
        let mark = self.vars.len();
        let v = self.pipeline(dot, &b.pipe)?;
        let res = if v.is_truthy() {
            let d = if with { v } else { dot.clone() };
            self.walk_list(out, &d, &b.body)
        } else if let Some(e) = &b.else_body {
            self.walk_list(out, dot, e)
        } else {
            Ok(())
        };
        self.vars.truncate(mark);
        res
    }

    fn range(&mut self, out: &mut String, dot: &Value, b: &BranchNode) -> R<()> {
        let mark = self.vars.len();
        let v = self.pipe_value(dot, &b.pipe)?;
        let items: Vec<(Value, Value)> = match v.plain() {
            Value::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, x)| (Value::Int(i as i64), x.clone()))
                .collect(),
            Value::Map(m) => m
                .borrow()
                .iter()
                .map(|(k, x)| (Value::str(k), x.clone()))
                .collect(),
            Value::Bytes(bs) => bs
                .iter()
                .enumerate()
                .map(|(i, x)| (Value::Int(i as i64), Value::Int(i64::from(*x))))
                .collect(),
            Value::Int(n) => (0..n.max(0))
                .map(|i| (Value::Int(i), Value::Int(i)))
                .collect(),
            Value::Nil => Vec::new(),
            other => {
                return Err(self.err_at(
                    b.pos,
                    format!("range can't iterate over {}", format::format_value(&other)),
                ));
            }
        };
        if items.is_empty() {
            let res = match &b.else_body {
                Some(e) => self.walk_list(out, dot, e),
                None => Ok(()),
            };
            self.vars.truncate(mark);
            return res;
        }
        for (k, item) in items {
            self.range_iters += 1;
            if self.range_iters > MAX_RANGE_ITERS {
                return Err(self.err_at(b.pos, "range iteration limit exceeded"));
            }
            let inner = self.vars.len();
            match b.pipe.decl.len() {
                0 => {}
                1 => self.set_var(&b.pipe.decl[0], item.clone(), b.pipe.is_assign),
                _ => {
                    self.set_var(&b.pipe.decl[0], k, b.pipe.is_assign);
                    self.set_var(&b.pipe.decl[1], item.clone(), b.pipe.is_assign);
                }
            }
            let r = self.walk_list(out, &item, &b.body);
            self.vars.truncate(inner.max(mark));
            match r {
                Ok(()) | Err(Signal::Continue) => {}
                Err(Signal::Break) => break,
                Err(e) => {
                    self.vars.truncate(mark);
                    return Err(e);
                }
            }
        }
        self.vars.truncate(mark);
        Ok(())
    }

    fn set_var(&mut self, name: &SmolStr, v: Value, assign: bool) {
        if assign
            && let Some(slot) = self.vars[self.vars_base..]
                .iter_mut()
                .rev()
                .find(|(n, _)| n == name)
        {
            slot.1 = v;
            return;
        }
        self.vars.push((name.clone(), v));
    }

    fn pipe_value(&mut self, dot: &Value, pipe: &PipeNode) -> R<Value> {
        let mut val: Option<Value> = None;
        for cmd in &pipe.commands {
            val = Some(self.command(dot, cmd, val)?);
        }
        Ok(val.unwrap_or(Value::Nil))
    }

    fn pipeline(&mut self, dot: &Value, pipe: &PipeNode) -> R<Value> {
        let v = self.pipe_value(dot, pipe)?;
        if let Some(name) = pipe.decl.first() {
            self.set_var(name, v.clone(), pipe.is_assign);
        }
        Ok(v)
    }

    fn command(&mut self, dot: &Value, cmd: &CommandNode, piped: Option<Value>) -> R<Value> {
        let Some(first) = cmd.args.first() else {
            return Ok(Value::Nil);
        };
        let rest = &cmd.args[1..];
        match first {
            Expr::Identifier(pos, name) => self.call(dot, *pos, name, rest, piped),
            Expr::Chain(pos, inner, fields) if matches!(inner.as_ref(), Expr::Identifier(..)) => {
                let Expr::Identifier(_, name) = inner.as_ref() else {
                    return Ok(Value::Nil);
                };
                let v = self.call(dot, *pos, name, rest, piped)?;
                self.walk_fields(*pos, v, fields)
            }
            Expr::Field(pos, fields)
            | Expr::Variable(pos, _, fields)
            | Expr::Chain(pos, _, fields)
                if !rest.is_empty() || piped.is_some() =>
            {
                // A method call with arguments: `.Files.Get "x"`.
                let Some((method, path)) = fields.split_last() else {
                    return Err(self.err_at(*pos, "can't give argument to non-function"));
                };
                let base = match first {
                    Expr::Field(..) => dot.clone(),
                    Expr::Variable(_, name, _) => self.var(*pos, name)?,
                    Expr::Chain(_, inner, _) => self.expr(dot, inner)?,
                    _ => Value::Nil,
                };
                let recv = self.walk_fields(*pos, base, path)?;
                let mut args = Vec::with_capacity(rest.len() + 1);
                for a in rest {
                    args.push(self.expr(dot, a)?);
                }
                if let Some(p) = piped {
                    args.push(p);
                }
                match &recv {
                    Value::Object(o) => match o.call(method, &args) {
                        Some(r) => {
                            r.map_err(|m| self.err_at(*pos, format!("error calling {method}: {m}")))
                        }
                        None => Err(self.err_at(
                            *pos,
                            format!("can't evaluate field {method} in type {}", o.type_name()),
                        )),
                    },
                    _ => Err(self.err_at(
                        *pos,
                        format!("can't give argument to non-function {}", first_text(first)),
                    )),
                }
            }
            _ if !rest.is_empty() || piped.is_some() => Err(self.err_at(
                first_pos(first),
                format!("can't give argument to non-function {}", first_text(first)),
            )),
            Expr::Nil(pos) => Err(self.err_at(*pos, "nil is not a command")),
            other => self.expr(dot, other),
        }
    }

    fn var(&self, pos: Pos, name: &str) -> R<Value> {
        self.vars[self.vars_base..]
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| self.err_at(pos, format!("undefined variable: {name}")))
    }

    fn expr(&mut self, dot: &Value, e: &Expr) -> R<Value> {
        match e {
            Expr::Dot(_) => Ok(dot.clone()),
            Expr::Field(pos, fields) => self.walk_fields(*pos, dot.clone(), fields),
            Expr::Variable(pos, name, fields) => {
                let v = self.var(*pos, name)?;
                self.walk_fields(*pos, v, fields)
            }
            Expr::String(_, s) => Ok(Value::String(s.clone())),
            Expr::Number(pos, n) => match n {
                Number::Int(i) => Ok(Value::Int(*i)),
                Number::Float(f) => Ok(Value::Float(*f)),
                Number::Uint(u) => Err(self.err_at(*pos, format!("{u} overflows int"))),
            },
            Expr::Bool(_, b) => Ok(Value::Bool(*b)),
            Expr::Nil(_) => Ok(Value::Nil),
            Expr::Pipe(_, p) => {
                let mark = self.vars.len();
                let v = self.pipeline(dot, p);
                if p.decl.is_empty() {
                    self.vars.truncate(mark);
                }
                v
            }
            Expr::Identifier(pos, name) => self.call(dot, *pos, name, &[], None),
            Expr::Chain(pos, inner, fields) => {
                let v = self.expr(dot, inner)?;
                self.walk_fields(*pos, v, fields)
            }
        }
    }

    fn walk_fields(&self, pos: Pos, mut v: Value, fields: &[gotmpl::parse::SmolStr]) -> R<Value> {
        for f in fields {
            v = match &v {
                Value::Map(m) => m.borrow().get(f.as_str()).cloned().unwrap_or(Value::Nil),
                Value::Object(o) => o.field(f).ok_or_else(|| {
                    self.err_at(
                        pos,
                        format!("can't evaluate field {f} in type {}", o.type_name()),
                    )
                })?,
                Value::Nil => {
                    return Err(
                        self.err_at(pos, format!("nil pointer evaluating interface {{}}.{f}"))
                    );
                }
                other => {
                    return Err(self.err_at(
                        pos,
                        format!("can't evaluate field {f} in type {}", other.type_name()),
                    ));
                }
            };
        }
        Ok(v)
    }

    fn call(
        &mut self,
        dot: &Value,
        pos: Pos,
        name: &str,
        args: &[Expr],
        piped: Option<Value>,
    ) -> R<Value> {
        if name == "and" || name == "or" {
            let is_and = name == "and";
            let mut last = Value::Nil;
            for a in args {
                let v = self.expr(dot, a)?;
                if v.is_truthy() != is_and {
                    return Ok(v);
                }
                last = v;
            }
            if let Some(p) = piped {
                return Ok(p);
            }
            if args.is_empty() {
                return Err(self.err_at(
                    pos,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            return Ok(last);
        }
        // Argument vectors are recycled: calls are frequent and mostly take few arguments.
        let mut vals = self.arg_bufs.pop().unwrap_or_default();
        let res = self.call_with(dot, pos, name, args, piped, &mut vals);
        vals.clear();
        if self.arg_bufs.len() < MAX_ARG_BUFS {
            self.arg_bufs.push(vals);
        }
        res
    }

    fn call_with(
        &mut self,
        dot: &Value,
        pos: Pos,
        name: &str,
        args: &[Expr],
        piped: Option<Value>,
        vals: &mut Vec<Value>,
    ) -> R<Value> {
        for a in args {
            vals.push(self.expr(dot, a)?);
        }
        if let Some(p) = piped {
            vals.push(p);
        }
        match name {
            "include" => self.include(pos, vals),
            "tpl" => self.tpl(pos, vals),
            _ => {
                let f = self
                    .funcs
                    .get(name)
                    .ok_or_else(|| self.err_at(pos, format!("function {name:?} not defined")))?;
                f(vals).map_err(|m| self.err_at(pos, format!("error calling {name}: {m}")))
            }
        }
    }

    fn include(&mut self, pos: Pos, args: &[Value]) -> R<Value> {
        let [name, data] = args else {
            return Err(self.err_at(
                pos,
                format!(
                    "wrong number of args for include: want 2 got {}",
                    args.len()
                ),
            ));
        };
        let Value::String(name) = name else {
            return Err(self.err_at(pos, "wrong type for value; expected string"));
        };
        let count = match self.includes.get_mut(name.as_ref()) {
            Some(c) => c,
            None => self.includes.entry(name.to_string()).or_insert(0),
        };
        if *count > INCLUDE_MAX {
            return Err(self.err_at(
                pos,
                format!("error calling include: rendering template has a nested reference name: {name}: unable to execute template"),
            ));
        }
        *count += 1;
        let res = match self.lookup(name) {
            Some(t) => {
                let mut out = String::new();
                self.run_template(&mut out, &t, name, data).map(|()| out)
            }
            None => Err(self.err_at(
                pos,
                format!("error calling include: template: no template {name:?} associated with template \"gotpl\""),
            )),
        };
        if let Some(c) = self.includes.get_mut(name.as_ref()) {
            *c -= 1;
        }
        match res {
            Ok(s) => Ok(Value::from(s)),
            Err(Signal::Err(e))
                if matches!(*e, TemplateError::Exec { .. } | TemplateError::Other(_)) =>
            {
                match *e {
                    TemplateError::Other(m) if m.starts_with("exceeded") => {
                        Err(TemplateError::Other(m).into())
                    }
                    e => Err(self.err_at(pos, format!("error calling include: {e}"))),
                }
            }
            Err(e) => Err(e),
        }
    }

    fn tpl(&mut self, pos: Pos, args: &[Value]) -> R<Value> {
        let [text, data] = args else {
            return Err(self.err_at(
                pos,
                format!("wrong number of args for tpl: want 2 got {}", args.len()),
            ));
        };
        let text = match text {
            Value::String(s) => s.to_string(),
            Value::Nil => String::new(),
            other => format::format_value(other),
        };
        let name = data
            .as_map()
            .and_then(|m| m.get("Template").and_then(Value::as_map))
            .and_then(|t| t.get("Name").and_then(|n| n.as_str().map(str::to_string)))
            .unwrap_or_else(|| self.opts.tpl_default_name.clone());
        let parsed = match self.parse_cache.as_deref_mut() {
            Some(cache) => cache.parse(&name, &text, self.funcs),
            None => parse_templates(&name, &text, self.funcs).map(Into::into),
        }
        .map_err(|e| self.err_at(pos, format!("error calling tpl: {e}")))?;
        let overlay: HashMap<String, Arc<Template>, BuildFastHasher> =
            parsed.iter().cloned().collect();
        let body = overlay.get(&name).cloned();
        self.overlays.push(overlay);
        let mut out = String::new();
        let res = match body {
            Some(t) => self.run_template(&mut out, &t, &name, data),
            None => Ok(()),
        };
        self.overlays.pop();
        match res {
            Ok(()) => Ok(Value::from(out.replace("<no value>", ""))),
            Err(Signal::Err(e)) => Err(self.err_at(
                pos,
                format!("error calling tpl: error during tpl function execution for {text:?}: {e}"),
            )),
            Err(e) => Err(e),
        }
    }
}

fn first_pos(e: &Expr) -> Pos {
    e.pos()
}

fn first_text(e: &Expr) -> String {
    match e {
        Expr::Field(_, f) => format!(
            ".{}",
            f.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(".")
        ),
        Expr::Variable(_, n, f) if f.is_empty() => n.to_string(),
        Expr::Variable(_, n, f) => format!(
            "{n}.{}",
            f.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(".")
        ),
        Expr::String(_, s) => format!("{s:?}"),
        Expr::Number(_, Number::Int(i)) => i.to_string(),
        Expr::Number(_, Number::Float(f)) => format::float_g(*f),
        Expr::Bool(_, b) => b.to_string(),
        Expr::Dot(_) => ".".into(),
        _ => "<expr>".into(),
    }
}
