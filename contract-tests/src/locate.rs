//! Maps a JSON pointer back to the line and column where its value starts in the source text.
//!
//! Only findings need positions and valid pages have none, so this walks the text once per
//! page that has findings, with a small scanner rather than a second full parse tree.

use std::collections::HashMap;

use crate::finding::Position;

/// Line and column (1-based, columns in characters) of byte `offset` in `text`.
pub fn position_of_offset(text: &[u8], offset: usize) -> Position {
    positions_of_offsets(text, &[offset])[0]
}

/// Positions of many byte offsets in one pass over `text` (findings can number thousands on one
/// long line, so each must not rescan from the start). Returns them in the order given.
pub fn positions_of_offsets(text: &[u8], offsets: &[usize]) -> Vec<Position> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut out = vec![Position { line: 1, column: 1 }; offsets.len()];
    let (mut at, mut line, mut column) = (0usize, 1usize, 1usize);
    for i in order {
        let target = offsets[i].min(text.len());
        for &b in &text[at..target] {
            if b == b'\n' {
                line += 1;
                column = 1;
            } else if b & 0xC0 != 0x80 {
                column += 1;
            }
        }
        at = target;
        out[i] = Position { line, column };
    }
    out
}

/// The byte offset of a 1-based line and column (in characters) in `text`, clamped to its end.
pub fn offset_of_position(text: &[u8], position: Position) -> usize {
    let mut at = 0;
    for _ in 1..position.line {
        match text[at..].iter().position(|&b| b == b'\n') {
            Some(i) => at += i + 1,
            None => return text.len(),
        }
    }
    let mut column = 1;
    while at < text.len() && column < position.column && text[at] != b'\n' {
        at += 1;
        while at < text.len() && text[at] & 0xC0 == 0x80 {
            at += 1;
        }
        column += 1;
    }
    at
}

/// The start offsets of the values at `pointers` in the JSON `text`; pointers that do not
/// resolve are left out.
pub fn offsets_of(text: &[u8], pointers: &[&str]) -> HashMap<String, usize> {
    let wanted: std::collections::HashSet<&str> = pointers.iter().copied().collect();
    let mut found = HashMap::new();
    let mut scanner = Scanner { text, at: 0 };
    let mut path = String::new();
    scanner.value(&mut path, &wanted, &mut found);
    found
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

/// The excerpt of `text` around byte `offset`: at most `width` characters of its line, with
/// the caret's character offset inside the excerpt. Looks at no more than `width` bytes each
/// way, whatever the line's length.
pub fn snippet(text: &[u8], offset: usize, width: usize) -> Option<crate::finding::Snippet> {
    let offset = offset.min(text.len());
    let back = width / 3;
    let mut start = offset;
    while start > 0 && offset - start < back && text[start - 1] != b'\n' {
        start -= 1;
    }
    let mut end = offset;
    while end < text.len() && end - start < width && text[end] != b'\n' && text[end] != b'\r' {
        end += 1;
    }
    // Stay on character boundaries.
    while start < offset && text[start] & 0xC0 == 0x80 {
        start += 1;
    }
    while end > offset && end < text.len() && text[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    let head = String::from_utf8_lossy(&text[start..offset]);
    let mut excerpt = head.clone().into_owned();
    let mut caret = head.chars().count();
    excerpt.push_str(&String::from_utf8_lossy(&text[offset..end]));
    if start > 0 && text[start - 1] != b'\n' {
        excerpt.insert(0, '…');
        caret += 1;
    }
    if end < text.len() && text[end] != b'\n' && text[end] != b'\r' {
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
        let offsets = offsets_of(text, &["/a/1/b~0~1", "/c", "", "/missing"]);
        let found: HashMap<String, Position> = offsets
            .iter()
            .map(|(p, &o)| (p.clone(), position_of_offset(text, o)))
            .collect();
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
