//! Serving a component's gRPC API the same way everywhere: `grpc.health.v1`, server
//! reflection, `travel.meta.v1.ServiceInfo`, a span per call, graceful shutdown; and,
//! in a process that also calls itself (the all-in-one), the same routes in process.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic::transport::Server;
use tonic::{Request, Response, Status};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;
use tracing::Instrument;
use travel_proto::meta::v1::service_info_server::{ServiceInfo, ServiceInfoServer};
use travel_proto::meta::v1::{GetInfoRequest, GetInfoResponse};

use crate::context::grpc_request_span;
use crate::shutdown::Shutdown;

/// Who a process is, for `ServiceInfo` and logs.
#[derive(Debug, Clone)]
pub struct Identity {
    pub name: &'static str,
    pub version: &'static str,
    pub environment: String,
}

struct Info(Identity);

#[tonic::async_trait]
impl ServiceInfo for Info {
    async fn get_info(
        &self,
        _request: Request<GetInfoRequest>,
    ) -> Result<Response<GetInfoResponse>, Status> {
        Ok(Response::new(GetInfoResponse {
            name: self.0.name.to_string(),
            version: self.0.version.to_string(),
            environment: self.0.environment.clone(),
        }))
    }
}

/// A server's routes as a caller in the same process reaches them: the same services,
/// span and metrics per call, without a socket, HTTP/2 framing or a task per call.
pub type LocalService = BoxCloneSyncService<
    http::Request<tonic::body::Body>,
    http::Response<tonic::body::Body>,
    Infallible,
>;

/// Where a server offers its routes to callers in its own process, once it serves.
/// The all-in-one's gateway calls its services through it (the way grpc-java's
/// in-process transport does): with every read one gRPC call, the loopback hop cost
/// more than half of the process's CPU (`make bench`, coalescing off).
#[derive(Clone, Default)]
pub struct Local(Arc<OnceLock<LocalService>>);

impl Local {
    /// The routes, once the server serves them.
    pub fn service(&self) -> Option<&LocalService> {
        self.0.get()
    }

    /// Offers `service` here; the first offer stays.
    pub fn offer(&self, service: LocalService) {
        let _ = self.0.set(service);
    }
}

/// What a server serves on: its TCP listener and, when callers in the same process
/// want it, a local end.
pub struct Listener {
    tcp: TcpListener,
    local: Option<Local>,
}

impl Listener {
    /// Serves on `tcp`, and in process to whoever holds a clone of `local`, if any.
    pub fn new(tcp: TcpListener, local: Option<Local>) -> Self {
        Self { tcp, local }
    }
}

impl From<TcpListener> for Listener {
    fn from(tcp: TcpListener) -> Self {
        Self::new(tcp, None)
    }
}

/// A gRPC server under construction.
pub struct GrpcServer {
    health: HealthReporter,
    routes: RoutesBuilder,
    served: Vec<&'static str>,
}

impl GrpcServer {
    /// Starts with health, reflection and service info registered.
    pub fn new(identity: Identity) -> Self {
        let (health, health_service) = tonic_health::server::health_reporter();
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(travel_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .expect("the embedded descriptor sets are valid");
        let mut routes = RoutesBuilder::default();
        routes
            .add_service(health_service)
            .add_service(reflection)
            .add_service(ServiceInfoServer::new(Info(identity)));
        Self {
            health,
            routes,
            served: Vec::new(),
        }
    }

    /// Adds an API service; it is reported SERVING once the server runs.
    pub fn add_service<S>(&mut self, service: S) -> &mut Self
    where
        S: tower::Service<http::Request<tonic::body::Body>, Error = std::convert::Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.routes.add_service(service);
        self.served.push(S::NAME);
        self
    }

    /// The health reporter, for components that publish dependency states.
    pub fn health(&self) -> HealthReporter {
        self.health.clone()
    }

    /// Serves until `shutdown` fires. Then every service reports NOT_SERVING, the
    /// server keeps answering for `drain` so probes and balancers notice, and finally
    /// stops accepting and lets in-flight calls finish.
    pub async fn serve(
        self,
        listener: impl Into<Listener>,
        shutdown: Shutdown,
        drain: Duration,
    ) -> Result<(), tonic::transport::Error> {
        let Listener {
            tcp: listener,
            local,
        } = listener.into();
        let routes = self.routes.routes();
        if let Some(local) = local {
            local.offer(in_process(routes.clone()));
        }
        let health = self.health.clone();
        for name in &self.served {
            health
                .set_service_status(*name, ServingStatus::Serving)
                .await;
        }
        health.set_service_status("", ServingStatus::Serving).await;
        let served = self.served.clone();
        let stop = async move {
            shutdown.wait().await;
            health
                .set_service_status("", ServingStatus::NotServing)
                .await;
            for name in served {
                health
                    .set_service_status(name, ServingStatus::NotServing)
                    .await;
            }
            tokio::time::sleep(drain).await;
        };
        // Answers larger than one segment would otherwise wait for the peer's delayed
        // ACK (Nagle): about 40 ms on every history response.
        let incoming = TcpListenerStream::new(listener).map(|stream| {
            stream.inspect(|tcp| {
                let _ = tcp.set_nodelay(true);
            })
        });
        Server::builder()
            .trace_fn(grpc_request_span::<()>)
            .layer(tower::layer::layer_fn(
                crate::grpc_metrics::CallMetrics::new,
            ))
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, stop)
            .await
    }
}

/// The routes with what the TCP server adds to each call: the call's span (outside)
/// and its metrics.
fn in_process(routes: tonic::service::Routes) -> LocalService {
    let service = crate::grpc_metrics::CallMetrics::new(routes);
    BoxCloneSyncService::new(tower::service_fn(
        move |request: http::Request<tonic::body::Body>| {
            let span = grpc_request_span(&request);
            service.clone().oneshot(request).instrument(span)
        },
    ))
}
