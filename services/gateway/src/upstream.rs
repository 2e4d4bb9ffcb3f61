//! The internal services as the gateway reaches them: one lazily connected channel
//! each (the gateway starts, and reports them unhealthy, while a service is down), or
//! the service's local end when it runs in this process (the all-in-one), and one
//! typed client per service over it.

use std::marker::PhantomData;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use http::uri::PathAndQuery;
use tonic::body::Body;
use tonic::client::Grpc;
use tonic::codec::Streaming;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;
use tower::{BoxError, Service, ServiceExt};
use travel_proto::rpc::{Read, ServerStreaming, Service as RpcService, Unary};
use travel_runtime::grpc::{Local, LocalService};

use crate::coalesce::Flights;

/// One internal service: its name in /health and /version, and how it is reached.
#[derive(Clone)]
pub struct Upstream {
    pub name: &'static str,
    transport: Transport,
}

impl Upstream {
    /// Over the network at `url`; through `local` instead once the service serves
    /// there (it runs in this process).
    pub fn connect_lazy(
        name: &'static str,
        url: &str,
        deadline: Duration,
        local: Option<Local>,
    ) -> Result<Self, tonic::transport::Error> {
        let channel = Endpoint::from_shared(url.to_string())?
            .connect_timeout(Duration::from_secs(1))
            .timeout(deadline)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .connect_lazy();
        Ok(Self {
            name,
            transport: Transport {
                channel,
                local,
                deadline,
                chosen: None,
            },
        })
    }

    /// The typed client of service `S` served here.
    pub fn client<S: RpcService>(&self, flights: &Flights) -> Client<S> {
        Client {
            grpc: Grpc::new(self.transport.clone()),
            flights: flights.clone(),
            service: PhantomData,
        }
    }

    pub fn health(&self) -> tonic_health::pb::health_client::HealthClient<Transport> {
        tonic_health::pb::health_client::HealthClient::new(self.transport.clone())
    }
}

/// The way to one service: its channel, or its local end once that serves. Both bound
/// a call by the deadline and time out with the same status (CANCELLED, "Timeout
/// expired"), so callers cannot tell them apart.
#[derive(Clone)]
pub struct Transport {
    channel: Channel,
    local: Option<Local>,
    deadline: Duration,
    /// The local end `poll_ready` found serving: the call goes where readiness was
    /// checked.
    chosen: Option<LocalService>,
}

impl Service<http::Request<Body>> for Transport {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<http::Response<Body>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.chosen = self.local.as_ref().and_then(Local::service).cloned();
        if self.chosen.is_some() {
            // The routes are always ready.
            return Poll::Ready(Ok(()));
        }
        self.channel.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match self.chosen.take() {
            Some(service) => {
                let call = tokio::time::timeout(self.deadline, service.oneshot(request));
                async move {
                    match call.await {
                        Ok(Ok(response)) => Ok(response),
                        Ok(Err(never)) => match never {},
                        Err(_) => Err(Box::new(tonic::TimeoutExpired(())) as BoxError),
                    }
                }
                .boxed()
            }
            None => self
                .channel
                .call(request)
                .map(|r| r.map_err(Into::into))
                .boxed(),
        }
    }
}

/// The gateway's client of one service `S`, shared by REST and gRPC-Web. It owns how a
/// call is made: the path and message types come from the method constant
/// (`travel_proto::*::rpc`), the request id and trace context travel as metadata, the
/// transport bounds each call by the deadline, and reads are coalesced with identical
/// reads in flight.
/// Errors stay `tonic::Status`; each edge renders them its own way.
pub struct Client<S> {
    grpc: Grpc<Transport>,
    flights: Flights,
    service: PhantomData<S>,
}

impl<S> Clone for Client<S> {
    fn clone(&self) -> Self {
        Self {
            grpc: self.grpc.clone(),
            flights: self.flights.clone(),
            service: PhantomData,
        }
    }
}

impl<S: RpcService> Client<S> {
    /// A read: answered by an identical read already in flight when there is one.
    pub async fn read<Req, Answer>(
        &self,
        method: Read<S, Req, Answer>,
        request: Req,
    ) -> Result<Answer, Status>
    where
        Req: prost::Message + Send + Sync + 'static,
        Answer: prost::Message + Default + Clone + Send + Sync + 'static,
    {
        let path = method.path();
        self.flights
            .call(path, request, |request| {
                let mut grpc = self.grpc.clone();
                // Prepared now, in the context of the request that starts the call.
                let request = self.outgoing(Request::new(request));
                async move {
                    ready(&mut grpc).await?;
                    grpc.unary(request, PathAndQuery::from_static(path), codec())
                        .await
                }
            })
            .await
    }

    /// A call that may change state: never shared, metadata kept both ways.
    pub async fn call<Req, Answer>(
        &self,
        method: Unary<S, Req, Answer>,
        request: Request<Req>,
    ) -> Result<Response<Answer>, Status>
    where
        Req: prost::Message + Send + Sync + 'static,
        Answer: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = self.grpc.clone();
        let request = self.outgoing(request);
        ready(&mut grpc).await?;
        grpc.unary(request, PathAndQuery::from_static(method.path()), codec())
            .await
    }

    /// A server-streaming call. The deadline bounds the wait for its first answer
    /// (the headers), not the stream: a rate stream lasts as long as it is watched.
    pub async fn stream<Req, Answer>(
        &self,
        method: ServerStreaming<S, Req, Answer>,
        request: Req,
    ) -> Result<Streaming<Answer>, Status>
    where
        Req: prost::Message + Send + Sync + 'static,
        Answer: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = self.grpc.clone();
        let request = self.outgoing(Request::new(request));
        ready(&mut grpc).await?;
        grpc.server_streaming(request, PathAndQuery::from_static(method.path()), codec())
            .await
            .map(Response::into_inner)
    }

    /// The request as it leaves: request id and trace context of the current request.
    /// The deadline is the transport's (`Endpoint::timeout`), not sent as `grpc-timeout`:
    /// with the header every distinct read cost the pair about a third more CPU
    /// (`make bench`, coalescing off: 0.25 of bare axum with it, 0.35 without).
    fn outgoing<Req>(&self, mut request: Request<Req>) -> Request<Req> {
        travel_runtime::context::inject(request.metadata_mut());
        request
    }
}

fn codec<Req, Answer>() -> ProstCodec<Req, Answer>
where
    Req: prost::Message + Send + 'static,
    Answer: prost::Message + Default + Send + 'static,
{
    ProstCodec::default()
}

/// Waits for the channel to take a call; a channel that cannot is an unavailable
/// upstream.
async fn ready(grpc: &mut Grpc<Transport>) -> Result<(), Status> {
    grpc.ready()
        .await
        .map_err(|error| Status::unavailable(format!("upstream not ready: {error}")))
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;
    use tonic::Code;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use travel_runtime::Shutdown;
    use travel_runtime::grpc::{GrpcServer, Identity, Listener};

    use super::*;

    /// Nothing listens here: an answer can only have come in process.
    const NOWHERE: &str = "http://127.0.0.1:9";

    async fn check(upstream: &Upstream) -> Result<ServingStatus, Status> {
        let request = HealthCheckRequest {
            service: String::new(),
        };
        let answer = upstream.health().check(request).await?;
        Ok(answer.into_inner().status())
    }

    #[tokio::test]
    async fn a_service_of_this_process_is_called_in_process_once_it_serves() {
        let local = Local::default();
        let upstream = Upstream::connect_lazy(
            "currency",
            NOWHERE,
            Duration::from_secs(2),
            Some(local.clone()),
        )
        .unwrap();
        // Not serving yet: the call takes the network, where nothing answers.
        let before = check(&upstream).await.unwrap_err();
        assert_eq!(before.code(), Code::Unavailable, "{before:?}");

        let shutdown = Shutdown::new();
        let server = GrpcServer::new(Identity {
            name: "currency",
            version: "test",
            environment: "test".into(),
        });
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let serving = tokio::spawn(server.serve(
            Listener::new(tcp, Some(local.clone())),
            shutdown.clone(),
            Duration::ZERO,
        ));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(ServingStatus::Serving) = check(&upstream).await {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never served in process"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        shutdown.trigger();
        serving.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn an_in_process_call_is_bound_by_the_deadline_and_ends_as_over_the_network() {
        let local = Local::default();
        local.offer(LocalService::new(tower::service_fn(
            |_request: http::Request<Body>| async {
                std::future::pending::<Result<http::Response<Body>, std::convert::Infallible>>()
                    .await
            },
        )));
        let upstream =
            Upstream::connect_lazy("currency", NOWHERE, Duration::from_millis(50), Some(local))
                .unwrap();
        let status = check(&upstream).await.unwrap_err();
        // What tonic's channel answers when its `Endpoint::timeout` passes.
        let expected = Status::from_error(Box::new(tonic::TimeoutExpired(())));
        assert_eq!(status.code(), Code::Cancelled);
        assert_eq!(status.code(), expected.code());
        assert_eq!(status.message(), expected.message());
    }
}
