//! The work every request gets on its way in and out, in one middleware: counted
//! in flight (the drain), a request id, its span and its line in the log, its
//! duration in the metrics, and the security headers.
//!
//! One hand-written layer instead of five: each `from_fn` layer boxed a future
//! and cloned what it read from the app data per request, and tracing-actix-web's
//! logger also wrapped the body in the span and kept two copies of the span and
//! the id in the request's extensions that nothing read (docs/PERFORMANCE.md).

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{
    HeaderMap, HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::Error;
use tracing::Span;

use prometheus_client::metrics::histogram::Histogram;

use crate::metrics::{Metrics, RouteNames};
use crate::shutdown::{Drain, InFlight};
use crate::telemetry::{self, RequestId};

/// Headers on every response: no framing, no sniffing, no inline script, and no
/// caching of anything unless a handler says otherwise (static files do). A
/// header the handler set is kept.
const SECURITY_HEADERS: [(HeaderName, HeaderValue); 5] = [
    (
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    ),
    (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    (CACHE_CONTROL, HeaderValue::from_static("no-store")),
];

/// The response header that tells the client its request's id.
const REQUEST_ID: HeaderName = HeaderName::from_static(telemetry::REQUEST_ID_HEADER);

/// The middleware; wrap it around the whole app, outermost, so that every request
/// counts in flight until it is answered and every answer is logged.
pub struct Edge {
    drain: Drain,
    metrics: Metrics,
}

impl Edge {
    pub fn new(drain: Drain, metrics: Metrics) -> Self {
        Self { drain, metrics }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Edge
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = EdgeService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(EdgeService {
            service,
            drain: self.drain.clone(),
            metrics: self.metrics.clone(),
            routes: RouteNames::default(),
        }))
    }
}

pub struct EdgeService<S> {
    service: S,
    drain: Drain,
    metrics: Metrics,
    routes: RouteNames,
}

impl<S, B> Service<ServiceRequest> for EdgeService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Answer<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let in_flight = InFlight::enter(&self.drain);
        let arrived = Instant::now();
        let id = RequestId::new();
        // Found once, for the span, the metrics and the scope check.
        let route = self.routes.note(req.request(), &self.metrics);
        let span = telemetry::request_span(&req, route.pattern.as_deref(), &id);
        let inner = span.in_scope(|| self.service.call(req));
        Answer {
            inner,
            span,
            in_flight,
            arrived,
            id,
            timer: route.timer,
        }
    }
}

pin_project_lite::pin_project! {
    /// A request being answered: the handler's future, run in the request's span.
    pub struct Answer<F> {
        #[pin]
        inner: F,
        span: Span,
        in_flight: InFlight,
        arrived: Instant,
        id: RequestId,
        // The series timing the requests of this route.
        timer: Histogram,
    }
}

impl<F, B> Future for Answer<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let Poll::Ready(mut outcome) = this.inner.poll(cx) else {
            return Poll::Pending;
        };
        let took = this.arrived.elapsed();
        telemetry::answered(this.span, &outcome, took);
        this.timer.observe(took.as_secs_f64());
        if let Ok(response) = &mut outcome {
            add_headers(response.headers_mut(), this.id);
        }
        this.in_flight.answered(outcome.as_mut().ok());
        Poll::Ready(outcome)
    }
}

/// The security headers the handler did not set, and the request id.
fn add_headers(headers: &mut HeaderMap, id: &RequestId) {
    for (name, value) in SECURITY_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
    headers.insert(REQUEST_ID, id.header_value());
}
