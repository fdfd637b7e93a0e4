//! A Go text/template engine with Helm's extensions, on top of `gotmpl`'s parser.

mod blocks;
mod exec;
mod parse_cache;
mod set;

pub use exec::{ExecOptions, Executor};
pub use parse_cache::{ParseCache, Parsed};
pub use set::{Template, TemplateSet};

/// An error from parsing or executing a template, carrying the position Go reports.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum TemplateError {
    /// The template text does not parse.
    #[error("{message}")]
    Parse {
        /// Template (file) name.
        template: String,
        /// Go-formatted message: `template: NAME:LINE:COL: ...`.
        message: String,
    },
    /// Executing a template failed at a node.
    #[error("template: {file}:{line}:{col}: executing \"{executing}\" at <{node}>: {message}")]
    Exec {
        /// File whose text holds the failing node.
        file: String,
        /// 1-based line.
        line: usize,
        /// 0-based byte column, as Go prints it.
        col: usize,
        /// The template being executed.
        executing: String,
        /// Source text of the failing node.
        node: String,
        /// What failed.
        message: String,
    },
    /// An error without a node position (unknown template, depth limit).
    #[error("template: {0}")]
    Other(String),
}

impl TemplateError {
    /// The innermost message: for `fail`/`required` this is the user's text.
    pub fn root_message(&self) -> String {
        match self {
            TemplateError::Exec { message, .. } => message.clone(),
            TemplateError::Parse { message, .. } => message.clone(),
            TemplateError::Other(m) => m.clone(),
        }
    }
}

/// Line (1-based) and column (0-based byte offset) of `offset` in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(offset, |i| offset - i - 1);
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_from_one_and_columns_from_zero() {
        assert_eq!(line_col("ab\ncd", 4), (2, 1));
        assert_eq!(line_col("ab", 0), (1, 0));
        assert_eq!(line_col("ab", 99), (1, 2));
    }
}
