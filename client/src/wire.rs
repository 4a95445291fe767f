//! Lenient twins of the generated `types`, generated from the same document (see
//! `generate_wire` in `client/codegen.rs`): enum values the contract does not know are kept as
//! [`Open::Unknown`](crate::open::Open::Unknown) and counters may arrive as strings of digits
//! ([`Count`](crate::open::Count)). The client reads pages with these. Never edited by hand.
#![allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, dead_code)]

include!(concat!(env!("OUT_DIR"), "/vbo_v5_wire.rs"));
