//! `.helmignore` rules, with Helm's own (gitignore-like, but quirky) semantics.

use super::glob::go_match;

#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    negate: bool,
    must_dir: bool,
    anchored: bool,
    structural: bool,
}

/// Parsed `.helmignore` rules plus Helm's default `templates/.?*`.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    rules: Vec<Rule>,
}

impl IgnoreRules {
    /// Parses a `.helmignore` text; invalid lines (`**`) are an error as in Helm.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut r = IgnoreRules::default();
        for line in text.lines() {
            r.add(line)?;
        }
        r.add("templates/.?*")?;
        Ok(r)
    }

    fn add(&mut self, line: &str) -> Result<(), String> {
        let mut rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let must_dir = rule.ends_with('/');
        let rule = rule.trim_end_matches('/');
        let anchored = rule.starts_with('/');
        self.rules.push(Rule {
            pattern: rule.trim_start_matches('/').to_string(),
            negate,
            must_dir,
            anchored,
            structural: rule.contains('/'),
        });
        Ok(())
    }

    /// Whether the chart-relative path (with `/`) is ignored.
    pub fn ignored(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for r in &self.rules {
            let m = if r.anchored || r.structural {
                go_match(&r.pattern, path)
            } else {
                let base = path.rsplit('/').next().unwrap_or(path);
                go_match(&r.pattern, base)
            };
            if r.negate {
                if r.must_dir && !is_dir {
                    return true;
                }
                if !m {
                    return true;
                }
                continue;
            }
            if r.must_dir && !is_dir {
                continue;
            }
            if m {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basename_rules_match_anywhere_and_dir_rules_only_dirs() {
        let r = IgnoreRules::parse("*.bak\ndocs/\n/top.txt\n").unwrap_or_default();
        assert!(r.ignored("a/b/c.bak", false));
        assert!(r.ignored("docs", true));
        assert!(!r.ignored("docs", false));
        assert!(r.ignored("top.txt", false));
        assert!(r.ignored("templates/.keep", false));
        assert!(!r.ignored("templates/a.yaml", false));
    }

    #[test]
    fn double_star_is_rejected() {
        assert!(IgnoreRules::parse("a/**/b").is_err());
    }
}
