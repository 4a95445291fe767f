//! Generates the client and its lenient `wire` types from the contract document into `OUT_DIR`
//! at every build.

#[path = "codegen.rs"]
mod codegen;

use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("..");
    let spec_path = root.join(codegen::SPEC_PATH);
    println!("cargo:rerun-if-changed={}", spec_path.display());
    println!("cargo:rerun-if-changed=codegen.rs");

    let spec = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec_path.display()));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let strict = codegen::generate(&spec).unwrap_or_else(|e| panic!("{e}"));
    let wire = codegen::generate_wire(&spec).unwrap_or_else(|e| panic!("{e}"));
    for (name, code) in [("vbo_v5.rs", strict), ("vbo_v5_wire.rs", wire)] {
        let out = out_dir.join(name);
        std::fs::write(&out, code)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
    }
}
