//! Maps a JSON pointer back to the line and column where its value starts in the source text.
//!
//! Only findings need positions and valid pages have none, so this walks the text once per
//! page that has findings, with a small scanner rather than a second full parse tree.

use std::collections::HashMap;

use crate::finding::Position;

/// Line and column (1-based, columns in characters) of byte `offset` in `text`.
pub fn position_of_offset(text: &[u8], offset: usize) -> Position {
    let upto = &text[..offset.min(text.len())];
    let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&upto[line_start..]).chars().count() + 1;
    Position { line, column }
}

/// The start positions of the values at `pointers` in the JSON `text`; pointers that do not
/// resolve are left out.
pub fn locate_all(text: &[u8], pointers: &[&str]) -> HashMap<String, Position> {
    let wanted: std::collections::HashSet<&str> = pointers.iter().copied().collect();
    let mut found = HashMap::new();
    let mut scanner = Scanner { text, at: 0 };
    let mut path = String::new();
    scanner.value(&mut path, &wanted, &mut found);
    found
        .into_iter()
        .map(|(pointer, offset)| (pointer, position_of_offset(text, offset)))
        .collect()
}

struct Scanner<'t> {
    text: &'t [u8],
    at: usize,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while self.at < self.text.len() && self.text[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn value(
        &mut self,
        path: &mut String,
        wanted: &std::collections::HashSet<&str>,
        found: &mut HashMap<String, usize>,
    ) {
        self.skip_ws();
        if wanted.contains(path.as_str()) {
            found.insert(path.clone(), self.at);
        }
        match self.text.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                loop {
                    self.skip_ws();
                    match self.text.get(self.at) {
                        Some(b'}') => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => self.at += 1,
                        Some(b'"') => {
                            let key = self.string();
                            self.skip_ws();
                            if self.text.get(self.at) == Some(&b':') {
                                self.at += 1;
                            }
                            let len = path.len();
                            path.push('/');
                            path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                            self.value(path, wanted, found);
                            path.truncate(len);
                        }
                        _ => return,
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut index = 0usize;
                loop {
                    self.skip_ws();
                    match self.text.get(self.at) {
                        Some(b']') => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => self.at += 1,
                        Some(_) => {
                            let len = path.len();
                            path.push('/');
                            path.push_str(&index.to_string());
                            let before = self.at;
                            self.value(path, wanted, found);
                            path.truncate(len);
                            index += 1;
                            if self.at == before {
                                return;
                            }
                        }
                        None => return,
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while self.at < self.text.len()
                    && !matches!(self.text[self.at], b',' | b'}' | b']')
                    && !self.text[self.at].is_ascii_whitespace()
                {
                    self.at += 1;
                }
            }
            None => {}
        }
    }

    /// Reads a string starting at the opening quote and returns its decoded text.
    fn string(&mut self) -> String {
        let start = self.at;
        self.at += 1;
        while self.at < self.text.len() {
            match self.text[self.at] {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    break;
                }
                _ => self.at += 1,
            }
        }
        let raw = &self.text[start..self.at.min(self.text.len())];
        serde_json::from_slice::<String>(raw).unwrap_or_else(|_| {
            String::from_utf8_lossy(raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default())
                .into_owned()
        })
    }
}

/// The excerpt of `text` around `position`: up to `width` characters of its line, with the
/// caret's offset inside the excerpt.
pub fn snippet(
    text: &[u8],
    position: crate::finding::Position,
    width: usize,
) -> Option<crate::finding::Snippet> {
    let line = text
        .split(|&b| b == b'\n')
        .nth(position.line.checked_sub(1)?)?;
    let line = String::from_utf8_lossy(line);
    let chars: Vec<char> = line.trim_end_matches('\r').chars().collect();
    let at = position.column.saturating_sub(1).min(chars.len());
    let start = at.saturating_sub(width / 3);
    let end = (start + width).min(chars.len());
    let mut excerpt: String = chars[start..end].iter().collect();
    let mut caret = at - start;
    if start > 0 {
        excerpt.insert(0, '…');
        caret += 1;
    }
    if end < chars.len() {
        excerpt.push('…');
    }
    Some(crate::finding::Snippet {
        text: excerpt,
        caret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values_on_their_lines() {
        let text = b"{\n  \"a\": [1,\n    {\"b~/\": \"x\"}],\n  \"c\": null\n}";
        let found = locate_all(text, &["/a/1/b~0~1", "/c", "", "/missing"]);
        assert_eq!(
            found["/a/1/b~0~1"],
            Position {
                line: 3,
                column: 13
            }
        );
        assert_eq!(found["/c"], Position { line: 4, column: 8 });
        assert_eq!(found[""], Position { line: 1, column: 1 });
        assert!(!found.contains_key("/missing"));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(
            position_of_offset("é\"x".as_bytes(), 3),
            Position { line: 1, column: 3 }
        );
    }
}
