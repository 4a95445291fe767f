//! The progenitor output for `openapi/vbo-v5.yaml`, compiled from `OUT_DIR`; never edited by hand.
#![allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, dead_code)]

include!(concat!(env!("OUT_DIR"), "/vbo_v5.rs"));
