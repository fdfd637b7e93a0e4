//! Sets of field paths (structured-merge-diff's `fieldpath.Set`) and their FieldsV1 encoding.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::path::PathElement;

/// A set of field paths as a tree: the elements that are members at this level, and the
/// sub-sets below each element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldSet {
    members: BTreeSet<PathElement>,
    children: BTreeMap<PathElement, FieldSet>,
}

impl FieldSet {
    pub(crate) fn new() -> FieldSet {
        FieldSet::default()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.values().all(FieldSet::is_empty)
    }

    /// Adds `path` as a member.
    pub(crate) fn insert(&mut self, path: &[PathElement]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    /// Whether `path` is a member.
    #[cfg(test)]
    pub(crate) fn has(&self, path: &[PathElement]) -> bool {
        match path {
            [] => false,
            [last] => self.members.contains(last),
            [first, rest @ ..] => self.children.get(first).is_some_and(|c| c.has(rest)),
        }
    }

    /// Whether `pe` is a member here or has members below it.
    pub(crate) fn touches(&self, pe: &PathElement) -> bool {
        self.members.contains(pe) || self.children.get(pe).is_some_and(|c| !c.is_empty())
    }

    pub(crate) fn is_member(&self, pe: &PathElement) -> bool {
        self.members.contains(pe)
    }

    /// The sub-set below `pe`.
    pub(crate) fn child(&self, pe: &PathElement) -> Option<&FieldSet> {
        self.children.get(pe)
    }

    /// Every element at this level (members and those with children), sorted.
    pub(crate) fn elements(&self) -> BTreeSet<&PathElement> {
        self.members.iter().chain(self.children.keys()).collect()
    }

    /// The paths whose first element satisfies `keep`.
    pub(crate) fn filter_top(&self, keep: impl Fn(&PathElement) -> bool) -> FieldSet {
        FieldSet {
            members: self.members.iter().filter(|pe| keep(pe)).cloned().collect(),
            children: self
                .children
                .iter()
                .filter(|(pe, _)| keep(pe))
                .map(|(pe, c)| (pe.clone(), c.clone()))
                .collect(),
        }
    }

    pub(crate) fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.members.extend(other.members.iter().cloned());
        for (pe, child) in &other.children {
            let merged = match out.children.get(pe) {
                Some(mine) => mine.union(child),
                None => child.clone(),
            };
            out.children.insert(pe.clone(), merged);
        }
        out
    }

    pub(crate) fn difference(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.difference(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (pe, child) in &self.children {
            let rest = match other.children.get(pe) {
                Some(theirs) => child.difference(theirs),
                None => child.clone(),
            };
            if !rest.is_empty() {
                children.insert(pe.clone(), rest);
            }
        }
        FieldSet { members, children }
    }

    pub(crate) fn intersection(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.intersection(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (pe, child) in &self.children {
            if let Some(theirs) = other.children.get(pe) {
                let both = child.intersection(theirs);
                if !both.is_empty() {
                    children.insert(pe.clone(), both);
                }
            }
        }
        FieldSet { members, children }
    }

    /// Every member path, members of a level before the levels below (`Set.Iterate`).
    pub(crate) fn paths(&self) -> Vec<Vec<PathElement>> {
        let mut out = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        for pe in &self.members {
            let mut path = prefix.clone();
            path.push(pe.clone());
            out.push(path);
        }
        for (pe, child) in &self.children {
            prefix.push(pe.clone());
            child.collect_paths(prefix, out);
            prefix.pop();
        }
    }

    /// The FieldsV1 JSON, e.g. `{"f:spec":{"f:replicas":{}}}`.
    pub(crate) fn to_fields_v1(&self) -> Value {
        Value::Object(self.encode_level(false))
    }

    fn encode_level(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self {
            out.insert(".".into(), Value::Object(Map::new()));
        }
        for pe in self.elements() {
            let value = match self.children.get(pe).filter(|c| !c.is_empty()) {
                Some(child) => child.encode_level(self.members.contains(pe)),
                None => Map::new(),
            };
            out.insert(pe.encode(), Value::Object(value));
        }
        out
    }

    /// Parses FieldsV1 JSON; `None` when it is malformed.
    pub(crate) fn from_fields_v1(value: &Value) -> Option<FieldSet> {
        let Value::Object(map) = value else {
            return None;
        };
        let mut set = FieldSet::new();
        for (key, v) in map {
            if key == "." {
                continue;
            }
            let pe = PathElement::decode(key)?;
            let Value::Object(inner) = v else { return None };
            if inner.is_empty() || inner.contains_key(".") {
                set.members.insert(pe.clone());
            }
            let child = FieldSet::from_fields_v1(v)?;
            if !child.is_empty() {
                set.children.insert(pe, child);
            }
        }
        Some(set)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn f(name: &str) -> PathElement {
        PathElement::Field(name.into())
    }

    fn set_of(paths: &[&[PathElement]]) -> FieldSet {
        let mut s = FieldSet::new();
        for p in paths {
            s.insert(p);
        }
        s
    }

    #[test]
    fn fields_v1_marks_members_with_children_by_a_dot() {
        let item = PathElement::key(vec![("name".into(), json!("nginx"))]);
        let s = set_of(&[
            &[f("spec"), f("replicas")],
            &[f("spec"), f("containers"), item.clone()],
            &[f("spec"), f("containers"), item.clone(), f("image")],
            &[f("spec"), f("containers"), item, f("name")],
        ]);
        let want = json!({"f:spec": {
            "f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}},
            "f:replicas": {}
        }});
        assert_eq!(s.to_fields_v1(), want);
        assert_eq!(FieldSet::from_fields_v1(&want), Some(s));
    }

    #[test]
    fn malformed_fields_v1_is_refused() {
        assert_eq!(FieldSet::from_fields_v1(&json!({"spec": {}})), None);
        assert_eq!(FieldSet::from_fields_v1(&json!({"f:spec": 1})), None);
    }

    #[test]
    fn difference_removes_members_but_keeps_other_paths_below() {
        let a = set_of(&[&[f("a")], &[f("a"), f("b")], &[f("c")]]);
        let b = set_of(&[&[f("a")]]);
        assert_eq!(a.difference(&b), set_of(&[&[f("a"), f("b")], &[f("c")]]));
        assert_eq!(a.intersection(&b), b);
        assert!(a.difference(&a).is_empty());
        assert_eq!(
            b.union(&set_of(&[&[f("c")]])),
            set_of(&[&[f("a")], &[f("c")]])
        );
    }

    #[test]
    fn paths_list_members_of_a_level_before_deeper_ones() {
        let s = set_of(&[&[f("b"), f("x")], &[f("a")], &[f("c")]]);
        let printed: Vec<String> = s
            .paths()
            .iter()
            .map(|p| super::super::path::path_string(p))
            .collect();
        assert_eq!(printed, [".a", ".c", ".b.x"]);
        assert!(s.has(&[f("b"), f("x")]));
        assert!(!s.has(&[f("b")]));
        assert!(s.touches(&f("b")));
    }
}
