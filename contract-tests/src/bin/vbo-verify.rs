//! `vbo-verify`: the contract verifier on its own, installable and run from any directory
//! (`cargo install --path contract-tests --locked --features cli`). The contract is built in;
//! `--contract FILE` verifies against another document.

fn main() -> std::process::ExitCode {
    vbo_contract::cli::verify::main()
}
