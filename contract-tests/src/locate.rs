//! Maps a JSON pointer back to the line and column where its value starts in the source text.
//!
//! Only findings need positions and valid pages have none, so this walks the text once per
//! page that has findings, with a small scanner rather than a second full parse tree. The same
//! scanner finds repeated keys, which no parse tree keeps. It is iterative: no input depth can
//! overflow the stack.

use std::collections::{HashMap, HashSet};

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
    let wanted: HashSet<&str> = pointers.iter().copied().collect();
    // Deeper paths cannot match; skipping them keeps a deep scan linear, not quadratic.
    let longest = pointers.iter().map(|p| p.len()).max().unwrap_or(0);
    let mut found = HashMap::new();
    Scanner::new(text).run(false, |event| match event {
        Event::Value { pointer, offset } => {
            if pointer.len() <= longest && wanted.contains(pointer) {
                found.insert(pointer.to_owned(), offset);
            }
        }
        Event::DuplicateKey(_) => {}
    });
    found
}

/// A member of a JSON object whose key already appeared earlier in the same object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// JSON pointer of the member (the object's pointer plus the key).
    pub pointer: String,
    /// The key, decoded.
    pub key: String,
    /// Byte offset of the key's first appearance (its opening quote).
    pub first: usize,
    /// Byte offset of the repeated key (its opening quote).
    pub repeat: usize,
}

/// Every repeated key of every object in the JSON `text`, in text order. Parsers keep one of
/// the values silently, so this reads the text itself.
pub fn duplicate_keys(text: &[u8]) -> Vec<DuplicateKey> {
    let mut out = Vec::new();
    Scanner::new(text).run(true, |event| {
        if let Event::DuplicateKey(duplicate) = event {
            out.push(duplicate);
        }
    });
    out
}

/// What the scanner reports while it reads.
enum Event<'p> {
    /// A value starts at `offset`; `pointer` is its JSON pointer.
    Value { pointer: &'p str, offset: usize },
    /// A key repeated within one object (only when asked for).
    DuplicateKey(DuplicateKey),
}

/// An open container of the scan: where its pointer ends in the path, and its state.
enum Open {
    /// An object, with the keys seen so far (when duplicates are looked for).
    Object {
        len: usize,
        keys: Option<HashMap<String, usize>>,
    },
    /// An array and the index of its next element.
    Array { len: usize, next: usize },
}

/// A forgiving scanner over JSON text. It keeps its open containers on a heap stack, not the
/// call stack, so a body nested a million levels deep costs memory in proportion, never a
/// stack overflow (issue 11.3).
struct Scanner<'t> {
    text: &'t [u8],
    at: usize,
}

impl<'t> Scanner<'t> {
    fn new(text: &'t [u8]) -> Self {
        Self { text, at: 0 }
    }

    fn skip_ws(&mut self) {
        while self.at < self.text.len() && self.text[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    /// Reads the text once, reporting every value (and repeated keys, with `duplicates`).
    fn run(&mut self, duplicates: bool, mut on: impl FnMut(Event<'_>)) {
        let mut path = String::new();
        let mut stack: Vec<Open> = Vec::new();
        'value: loop {
            // A value is expected here; `path` is its pointer.
            self.skip_ws();
            on(Event::Value {
                pointer: &path,
                offset: self.at,
            });
            let start = self.at;
            match self.text.get(self.at) {
                Some(b'{') => {
                    self.at += 1;
                    stack.push(Open::Object {
                        len: path.len(),
                        keys: duplicates.then(HashMap::new),
                    });
                }
                Some(b'[') => {
                    self.at += 1;
                    stack.push(Open::Array {
                        len: path.len(),
                        next: 0,
                    });
                }
                Some(b'"') => {
                    self.skip_string();
                }
                Some(_) => {
                    while self.at < self.text.len()
                        && !matches!(self.text[self.at], b',' | b'}' | b']')
                        && !self.text[self.at].is_ascii_whitespace()
                    {
                        self.at += 1;
                    }
                    // Nothing consumed inside an array (`[}`): the text is broken, stop here
                    // rather than loop.
                    if self.at == start && matches!(stack.last(), Some(Open::Array { .. })) {
                        return;
                    }
                }
                None => return,
            }
            // Find the next value: in the innermost open container, closing finished ones.
            loop {
                let Some(open) = stack.last_mut() else {
                    return;
                };
                self.skip_ws();
                match open {
                    Open::Object { len, keys } => {
                        path.truncate(*len);
                        match self.text.get(self.at) {
                            Some(b'}') => {
                                self.at += 1;
                                stack.pop();
                            }
                            Some(b',') => self.at += 1,
                            Some(b'"') => {
                                let key_at = self.at;
                                let key = self.string();
                                self.skip_ws();
                                if self.text.get(self.at) == Some(&b':') {
                                    self.at += 1;
                                }
                                path.push('/');
                                push_escaped(&mut path, &key);
                                if let Some(keys) = keys {
                                    match keys.get(&key) {
                                        Some(&first) => {
                                            on(Event::DuplicateKey(DuplicateKey {
                                                pointer: path.clone(),
                                                key,
                                                first,
                                                repeat: key_at,
                                            }));
                                        }
                                        None => {
                                            keys.insert(key, key_at);
                                        }
                                    }
                                }
                                continue 'value;
                            }
                            _ => return,
                        }
                    }
                    Open::Array { len, next } => {
                        path.truncate(*len);
                        match self.text.get(self.at) {
                            Some(b']') => {
                                self.at += 1;
                                stack.pop();
                            }
                            Some(b',') => self.at += 1,
                            Some(_) => {
                                path.push('/');
                                path.push_str(&next.to_string());
                                *next += 1;
                                continue 'value;
                            }
                            None => return,
                        }
                    }
                }
            }
        }
    }

    /// Moves past a string starting at its opening quote.
    fn skip_string(&mut self) {
        self.at += 1;
        while self.at < self.text.len() {
            match self.text[self.at] {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return;
                }
                _ => self.at += 1,
            }
        }
        self.at = self.text.len();
    }

    /// Reads a string starting at the opening quote and returns its decoded text.
    fn string(&mut self) -> String {
        let start = self.at;
        self.skip_string();
        let raw = &self.text[start..self.at];
        serde_json::from_slice::<String>(raw).unwrap_or_else(|_| {
            String::from_utf8_lossy(raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default())
                .into_owned()
        })
    }
}

/// Appends `key` to a JSON pointer, escaped as RFC 6901 says (`~` as `~0`, `/` as `~1`).
fn push_escaped(path: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
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
    fn a_position_s_offset_counts_columns_in_characters_and_clamps_to_the_line() {
        let text = "ab\ncé d\nx".as_bytes();
        let at = |line, column| offset_of_position(text, Position { line, column });
        assert_eq!(at(1, 1), 0);
        assert_eq!(at(2, 1), 3);
        assert_eq!(at(2, 2), 4);
        // After the two-byte "é".
        assert_eq!(at(2, 3), 6);
        // Past the line's end: its end, not the next line.
        assert_eq!(at(2, 40), 8);
        assert_eq!(at(9, 1), text.len());
    }

    #[test]
    fn a_position_past_a_last_character_of_several_bytes_is_the_text_s_end() {
        let text = "aé".as_bytes();
        let at = |column| offset_of_position(text, Position { line: 1, column });
        assert_eq!(at(2), 1);
        assert_eq!(at(3), text.len());
        assert_eq!(at(9), text.len());
    }

    #[test]
    fn a_snippet_is_its_line_around_the_offset_with_the_caret_under_it() {
        let text = b"{\n  \"a\": 1,\n  \"b\": \"x\"\n}";
        let at = text.iter().position(|&b| b == b'x').unwrap();
        let found = snippet(text, at, 100).unwrap();
        assert_eq!((found.text.as_str(), found.caret), ("  \"b\": \"x\"", 8));
    }

    #[test]
    fn a_long_line_is_cut_a_third_before_and_the_rest_after_the_offset() {
        let line: Vec<u8> = (0..200u8).map(|i| b'a' + i % 26).collect();
        let found = snippet(&line, 100, 30).unwrap();
        // 10 bytes back (a third of 30), 30 in all, marked as cut at both ends.
        let expected = format!("…{}…", String::from_utf8_lossy(&line[90..120]));
        assert_eq!((found.text, found.caret), (expected, 11));
    }

    #[test]
    fn a_snippet_never_cuts_a_character_in_two() {
        // "é" is two bytes. Width 10 looks 3 bytes back and 10 on from there: both cuts land
        // inside a character, and both move inwards to the next boundary.
        let text = "é".repeat(50).into_bytes();
        let found = snippet(&text, 60, 10).unwrap();
        assert_eq!((found.text.as_str(), found.caret), ("…éééé…", 2));
    }

    #[test]
    fn a_snippet_is_made_for_any_offset_and_width_even_inside_a_character_or_past_the_end() {
        let text = "aé\nü€x\r\n".as_bytes();
        for offset in 0..text.len() + 3 {
            for width in 0..8 {
                let found = snippet(text, offset, width).unwrap();
                let shown = found.text.chars().count();
                assert!(found.caret <= shown, "{offset}/{width}: {found:?}");
                assert!(!found.text.contains('\n'), "{offset}/{width}: {found:?}");
            }
        }
    }

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
    fn any_depth_is_scanned_on_a_small_stack() {
        let depth = 1_000_000;
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let found = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let offsets = offsets_of(text.as_bytes(), &["/0/0/0", "/1"]);
                let repeats = duplicate_keys(text.as_bytes());
                (
                    offsets.get("/0/0/0").copied(),
                    offsets.contains_key("/1"),
                    repeats.len(),
                )
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(found, (Some(3), false, 0));
    }

    #[test]
    fn repeated_keys_are_found_per_object_with_both_offsets() {
        let text =
            br#"{"a": {"x~/": 1, "b": 2, "x~/": 3}, "b": [{"k": 1}, {"k": 2, "k": 3}], "a": 0}"#;
        let found = duplicate_keys(text);
        let summary: Vec<(&str, &str, usize, usize)> = found
            .iter()
            .map(|d| (d.pointer.as_str(), d.key.as_str(), d.first, d.repeat))
            .collect();
        assert_eq!(
            summary,
            [
                ("/a/x~0~1", "x~/", 7, 25),
                ("/b/1/k", "k", 53, 61),
                ("/a", "a", 1, 71),
            ]
        );
        assert!(duplicate_keys(br#"{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}"#).is_empty());
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(
            position_of_offset("é\"x".as_bytes(), 3),
            Position { line: 1, column: 3 }
        );
    }
}
