//! The session ids a walk has seen, and the page each first appeared on, kept compactly.
//!
//! A walk remembers every id to find duplicates across pages, so its memory grows with the
//! walk. As `String` keys in a `HashMap` a million ids took ~115 MiB; a canonical uuid here
//! costs 16 bytes, its page 4 and its hash-table slot 5, so a million take ~25 MiB. Ids are
//! compared without regard to ASCII case (D15): a canonical uuid parses to the same number in
//! either case, and any other id is kept lower-cased as before.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// Ids seen so far and the page each first appeared on.
#[derive(Debug, Default)]
pub struct SeenIds {
    uuids: Vec<u128>,
    pages: Vec<u32>,
    /// Indices into `uuids`/`pages`, hashed by the uuid they name.
    index: HashTable<u32>,
    hasher: RandomState,
    /// Ids that are not canonical uuids (or past `u32::MAX` uuids), lower-cased.
    other: HashMap<String, usize>,
}

impl SeenIds {
    /// The page `id` first appeared on, if it was seen; records nothing.
    pub fn first_page(&self, id: &str) -> Option<usize> {
        let Some(key) = parse_uuid(id) else {
            return self.other.get(&id.to_ascii_lowercase()).copied();
        };
        let uuids = &self.uuids;
        self.index
            .find(self.hasher.hash_one(key), |&i| uuids[i as usize] == key)
            .map(|&i| self.pages[i as usize] as usize)
            // Past the compact index's bounds a uuid is kept with the other ids.
            .or_else(|| self.other.get(&id.to_ascii_lowercase()).copied())
    }

    /// The page `id` first appeared on; when it is new, records it as first seen on `page`.
    pub fn first_page_or_insert(&mut self, id: &str, page: usize) -> Option<usize> {
        let compact = parse_uuid(id)
            .filter(|_| self.uuids.len() < u32::MAX as usize && u32::try_from(page).is_ok());
        let Some(key) = compact else {
            let key = id.to_ascii_lowercase();
            if let Some(&first) = self.other.get(&key) {
                return Some(first);
            }
            self.other.insert(key, page);
            return None;
        };
        let hash = self.hasher.hash_one(key);
        let uuids = &self.uuids;
        if let Some(&i) = self.index.find(hash, |&i| uuids[i as usize] == key) {
            return Some(self.pages[i as usize] as usize);
        }
        let i = self.uuids.len() as u32;
        self.uuids.push(key);
        self.pages.push(page as u32);
        let (uuids, hasher) = (&self.uuids, &self.hasher);
        self.index
            .insert_unique(hash, i, |&j| hasher.hash_one(uuids[j as usize]));
        None
    }
}

/// A canonical `8-4-4-4-12` hex uuid (either case) as a number; `None` for anything else.
fn parse_uuid(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut value = 0u128;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        value = value << 4 | u128::from(digit);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_match_in_either_case_and_keep_their_first_page() {
        let mut seen = SeenIds::default();
        let id = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
        assert_eq!(seen.first_page_or_insert(id, 1), None);
        assert_eq!(seen.first_page_or_insert(&id.to_uppercase(), 3), Some(1));
        assert_eq!(seen.first_page_or_insert(id, 4), Some(1));
        assert_eq!(seen.first_page(&id.to_uppercase()), Some(1));
        assert_eq!(
            seen.first_page("196e4df2-0faf-4b8e-ba17-ce8c0eb4edc6"),
            None
        );
        assert_eq!(
            seen.first_page_or_insert("196e4df2-0faf-4b8e-ba17-ce8c0eb4edc6", 4),
            None
        );
    }

    #[test]
    fn other_ids_are_compared_lower_cased_and_never_equal_a_uuid() {
        let mut seen = SeenIds::default();
        let uuid = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
        let braced = format!("{{{uuid}}}");
        let bare = uuid.replace('-', "");
        assert_eq!(seen.first_page_or_insert(uuid, 1), None);
        assert_eq!(seen.first_page_or_insert(&braced, 2), None);
        assert_eq!(seen.first_page_or_insert(&bare, 2), None);
        assert_eq!(seen.first_page_or_insert("Session-A", 2), None);
        assert_eq!(seen.first_page_or_insert("session-a", 5), Some(2));
        assert_eq!(seen.first_page("SESSION-A"), Some(2));
        assert_eq!(seen.first_page("session-b"), None);
        assert_eq!(seen.first_page_or_insert(&bare.to_uppercase(), 6), Some(2));
    }

    #[test]
    fn canonical_uuids_are_kept_compactly_and_only_other_ids_as_strings() {
        // The memory claim of this module: a uuid costs 16 bytes and a page 4, not a String.
        let mut seen = SeenIds::default();
        seen.first_page_or_insert("196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5", 1);
        seen.first_page_or_insert("196E4DF2-0FAF-4B8E-BA17-CE8C0EB4EDC6", 2);
        seen.first_page_or_insert("session-a", 2);
        assert_eq!((seen.uuids.len(), seen.pages.len()), (2, 2));
        assert_eq!(seen.other.len(), 1);
    }

    #[test]
    fn parse_uuid_takes_only_the_canonical_form() {
        assert!(parse_uuid("196E4DF2-0FAF-4B8E-BA17-CE8C0EB4EDC5").is_some());
        assert!(parse_uuid("196e4df20faf4b8eba17ce8c0eb4edc5").is_none());
        assert!(parse_uuid("196e4df2-0faf-4b8e-ba17-ce8c0eb4edcg").is_none());
        assert!(parse_uuid("196e4df2_0faf-4b8e-ba17-ce8c0eb4edc5").is_none());
    }
}
