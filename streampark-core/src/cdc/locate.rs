//! Where each key and list item of a block-style YAML document is (line and column), for
//! diagnostics: serde's values carry no positions.

use std::collections::HashMap;

/// One step of a path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// Positions (1-based line and column) by path.
#[derive(Debug, Default)]
pub(super) struct Locator {
    at: HashMap<Vec<Seg>, (usize, usize)>,
}

impl Locator {
    /// Reads the block structure of `text` line by line: indentation, `key:` and `- `.
    /// Flow collections (`{…}`, `[…]`) and multi-line scalars are not entered; their
    /// contents are located at their key.
    pub(super) fn new(text: &str) -> Self {
        let mut at = HashMap::new();
        // (indent, segment)
        let mut stack: Vec<(usize, Seg)> = Vec::new();
        let mut counters: HashMap<Vec<Seg>, usize> = HashMap::new();
        // A block scalar (`|`, `>`) swallows the lines indented deeper than its key.
        let mut scalar_above: Option<usize> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let indent = raw.len() - raw.trim_start_matches(' ').len();
            let body = strip_comment(raw.trim_start_matches(' '));
            if body.trim().is_empty() {
                continue;
            }
            if let Some(k) = scalar_above {
                if indent > k {
                    continue;
                }
                scalar_above = None;
            }
            if body.starts_with("---") || body.starts_with("...") {
                continue;
            }
            let mut col = indent;
            let mut rest = body;
            // `- ` items, possibly several on one line (`- - a`).
            while let Some(after) = rest
                .strip_prefix("- ")
                .or_else(|| (rest == "-").then_some(""))
            {
                while stack
                    .last()
                    .is_some_and(|(i, s)| *i > col || (*i == col && matches!(s, Seg::Index(_))))
                {
                    stack.pop();
                }
                let parent: Vec<Seg> = stack.iter().map(|(_, s)| s.clone()).collect();
                let c = counters.entry(parent.clone()).or_insert(0);
                let idx = *c;
                *c += 1;
                let mut path = parent;
                path.push(Seg::Index(idx));
                at.insert(path, (line, col + 1));
                stack.push((col, Seg::Index(idx)));
                let trimmed = after.trim_start_matches(' ');
                col += 2 + (after.len() - trimmed.len());
                rest = trimmed;
            }
            let Some((key, value)) = split_key(rest) else {
                continue;
            };
            while stack.last().is_some_and(|(i, _)| *i >= col) {
                stack.pop();
            }
            let mut path: Vec<Seg> = stack.iter().map(|(_, s)| s.clone()).collect();
            path.push(Seg::Key(key.clone()));
            at.entry(path).or_insert((line, col + 1));
            stack.push((col, Seg::Key(key)));
            let v = value.trim();
            if v.starts_with('|') || v.starts_with('>') {
                scalar_above = Some(col);
            }
        }
        Locator { at }
    }

    /// The position of `path`, else of its longest located prefix, else line 1 column 1.
    pub(super) fn find(&self, path: &[Seg]) -> (usize, usize) {
        (0..=path.len())
            .rev()
            .find_map(|n| self.at.get(&path[..n]).copied())
            .unwrap_or((1, 1))
    }
}

/// The line without a trailing `# comment` (a `#` after a space, outside quotes).
fn strip_comment(s: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && (i == 0 || bytes[i - 1] == b' ') => return &s[..i],
            _ => {}
        }
    }
    s
}

/// `key: value` or `key:` (plain, single- or double-quoted key); `None` for a plain scalar.
fn split_key(s: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(q @ ('"' | '\'')) = s.chars().next() {
        let end = s[1..].find(q)? + 1;
        (s[1..end].to_string(), &s[end + 1..])
    } else {
        let pos = s
            .char_indices()
            .find(|&(i, c)| c == ':' && s[i + 1..].chars().next().is_none_or(|n| n == ' '))?
            .0;
        if s[..pos].starts_with(['{', '[']) {
            return None;
        }
        (s[..pos].trim_end().to_string(), &s[pos..])
    };
    let rest = rest.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn keys_and_items_in_block_style() {
        let text = "source:\n  type: mysql   # the source\n  \"tables\": a.b\nroute:\n- source-table: a.b\n  sink-table: c.d\n-   source-table: a.e\npipeline:\n  description: |\n    x: 1\n    y: 2\n  name: n\n";
        let l = Locator::new(text);
        assert_eq!(l.find(&[k("source"), k("type")]), (2, 3));
        assert_eq!(l.find(&[k("source"), k("tables")]), (3, 3));
        assert_eq!(l.find(&[k("route"), Seg::Index(0)]), (5, 1));
        assert_eq!(
            l.find(&[k("route"), Seg::Index(0), k("sink-table")]),
            (6, 3)
        );
        assert_eq!(
            l.find(&[k("route"), Seg::Index(1), k("source-table")]),
            (7, 5)
        );
        assert_eq!(l.find(&[k("pipeline"), k("name")]), (12, 3));
        // `x: 1` inside the block scalar is not a key.
        assert_eq!(l.find(&[k("pipeline"), k("x")]), (8, 1));
        // Unknown paths fall back to their longest located prefix.
        assert_eq!(l.find(&[k("route"), Seg::Index(1), k("nope")]), (7, 1));
        assert_eq!(l.find(&[k("nope")]), (1, 1));
    }

    #[test]
    fn indented_lists_and_comments_with_hashes_in_values() {
        let text = "transform:\n  - source-table: 'a.#b'  # c\n    projection: \"x # y\"\n  - source-table: q\n";
        let l = Locator::new(text);
        assert_eq!(
            l.find(&[k("transform"), Seg::Index(0), k("projection")]),
            (3, 5)
        );
        assert_eq!(l.find(&[k("transform"), Seg::Index(1)]), (4, 3));
    }
}
