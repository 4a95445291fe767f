//! The client against a real HTTPS server on loopback (axum + rustls, certificate generated
//! in the test): sign-in, refresh, re-sign-in, paging, retries, timeouts, TLS and secrets.

mod server;

mod guards;
mod lenient;
mod paging;
mod retries;
mod secrets;
mod signin;
mod tls;
