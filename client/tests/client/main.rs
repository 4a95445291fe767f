//! The client against a real HTTPS server on loopback (axum + rustls, certificate generated
//! in the test): sign-in, refresh, re-sign-in, paging, retries, timeouts, TLS and secrets.

mod hostile;
mod logs;
mod server;

mod bounded;
mod guards;
mod jobs;
mod lenient;
mod lifetimes;
mod paging;
mod raw_get;
mod redirects;
mod retries;
mod secrets;
mod shifts;
mod signin;
mod throttle;
mod tls;
mod transient;
