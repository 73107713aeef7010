//! The ceiling for `bench/run.sh`: a bare actix-web server answering every GET with
//! a fixed 16-byte body, with none of the app's middleware, state or database. No
//! route of the app can be faster on the same machine, so the other cases are
//! judged as a share of it.
//!
//!     cargo run --release --example limit -- 127.0.0.1:0
//!
//! Prints `listening on PORT` on standard output once bound.

use std::net::TcpListener;

use actix_web::{web, App, HttpResponse, HttpServer};

/// Sixteen bytes, about what `/healthz` ("ok") and a 204 with headers cost to send.
const BODY: &[u8; 16] = b"limit: 16 bytes\n";

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = TcpListener::bind(&bind)?;
    println!("listening on {}", listener.local_addr()?.port());
    // The same worker count the app takes: one per CPU.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::Ok()
                .content_type("text/plain")
                .body(&BODY[..])
        }))
    })
    .workers(workers)
    .listen(listener)?
    .run()
    .await
}
