//! The reviewable copy under `client/generated/` is exactly what the build generated; a stale
//! copy fails here (refresh it with `cargo xtask codegen`).

#[test]
fn lenient_wire_copy_matches_the_build_output() {
    let built = include_str!(concat!(env!("OUT_DIR"), "/vbo_v5_wire.rs"));
    let copy_path = concat!(env!("CARGO_MANIFEST_DIR"), "/generated/vbo_v5_wire.rs");
    let copy = std::fs::read_to_string(copy_path)
        .unwrap_or_else(|e| panic!("cannot read {copy_path}: {e}; run `cargo xtask codegen`"));
    assert!(
        copy == built,
        "client/generated/vbo_v5_wire.rs is stale: run `cargo xtask codegen` and commit the result"
    );
}

#[test]
fn reviewable_copy_matches_the_build_output() {
    let built = include_str!(concat!(env!("OUT_DIR"), "/vbo_v5.rs"));
    let copy_path = concat!(env!("CARGO_MANIFEST_DIR"), "/generated/vbo_v5.rs");
    let copy = std::fs::read_to_string(copy_path)
        .unwrap_or_else(|e| panic!("cannot read {copy_path}: {e}; run `cargo xtask codegen`"));
    assert!(
        copy == built,
        "client/generated/vbo_v5.rs is stale: run `cargo xtask codegen` and commit the result"
    );
}
