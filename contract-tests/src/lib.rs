//! The contract kit: load the contract in `openapi/`, derive its JSON Schema, verify responses
//! and walks of pages against it, and report what was found.
//!
//! ```no_run
//! use vbo_contract::{Contract, Request, Response, Verifier};
//! let contract = Contract::embedded()?;
//! let verdict = Verifier::new(&contract).verify(&Response::body(br#"{"offset":0}"#), &Request::default());
//! for finding in &verdict.findings {
//!     println!("{} {} {}", finding.rule.id(), finding.pointer, finding.message);
//! }
//! # Ok::<(), vbo_contract::ContractError>(())
//! ```

pub mod baseline;
pub mod capture;
pub mod contract;
pub mod decisions;
pub mod exchange;
mod fast;
pub mod finding;
pub mod generate;
pub mod har;
pub mod http_file;
pub mod lint;
pub mod live;
pub mod locate;
pub mod mock;
pub mod mutate;
pub mod operation;
pub mod recorded;
pub mod report;
pub mod rules;
pub mod schema;
mod seen;
pub mod verify;

pub use contract::{Contract, ContractError, Route};
pub use exchange::{Exchange, RequestLine};
pub use finding::{Finding, Level, Overrides, Position, Rule, Severity, Snippet};
pub use operation::{Body, Operation, Paging};
pub use rules::{PageFacts, Request, Walk};
pub use verify::{ContentType, Options, Response, Verdict, Verifier};
