//! Errors of hook config loading: every problem found, each with its location.

use std::fmt;

/// One problem in a hook config, located by a path such as `kubernetes[0].labelSelector`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is: binding kind, index and field (`schedule[1].crontab`), or `""` for the
    /// whole document.
    pub path: String,
    /// What is wrong, phrased to follow the path (`is a forbidden property`).
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} {}", self.path, self.message)
        }
    }
}

/// A hook config that could not be loaded. Lists all problems found, not only the first one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("load hook '{hook}' config: {}", render_problems(.problems))]
pub struct ConfigError {
    /// The hook name (path relative to the hooks dir).
    pub hook: String,
    /// Every problem found, in document order. Never empty.
    pub problems: Vec<Problem>,
}

fn render_problems(problems: &[Problem]) -> String {
    match problems {
        [one] => one.to_string(),
        many => {
            let mut out = format!("{} errors occurred:", many.len());
            for problem in many {
                out.push_str("\n\t* ");
                out.push_str(&problem.to_string());
            }
            out
        }
    }
}

/// Collects problems while walking a config.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.list.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn into_error(self, hook: &str) -> ConfigError {
        ConfigError {
            hook: hook.to_owned(),
            problems: self.list,
        }
    }
}

/// Appends `.field` or `[i]` to a path.
pub(crate) fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_problem_is_rendered_on_one_line() {
        let err = ConfigError {
            hook: "a.sh".into(),
            problems: vec![Problem {
                path: "x".into(),
                message: "is required".into(),
            }],
        };
        assert_eq!(err.to_string(), "load hook 'a.sh' config: x is required");
    }

    #[test]
    fn several_problems_are_listed_each_on_its_own_line() {
        let err = ConfigError {
            hook: "a.sh".into(),
            problems: vec![
                Problem {
                    path: "".into(),
                    message: "bad".into(),
                },
                Problem {
                    path: "y".into(),
                    message: "is required".into(),
                },
            ],
        };
        assert_eq!(
            err.to_string(),
            "load hook 'a.sh' config: 2 errors occurred:\n\t* bad\n\t* y is required"
        );
    }
}
