//! RPCs as values. The build script turns every method of the contracts into a
//! constant such as `currency::v1::rpc::GET_LATEST_RATES`, whose type names its
//! service, request and answer, and says whether the method is a read (marked
//! `idempotency_level = NO_SIDE_EFFECTS` in the proto). A caller then derives what a
//! method needs — its path, whether identical calls may share one answer — from the
//! contract instead of spelling it again.

use std::fmt;
use std::marker::PhantomData;

/// A gRPC service of the contracts.
pub trait Service: Copy + Send + Sync + 'static {
    /// Fully qualified name, e.g. `travel.currency.v1.CurrencyService`.
    const NAME: &'static str;
}

macro_rules! method_kind {
    ($(#[$doc:meta])* $kind:ident) => {
        $(#[$doc])*
        pub struct $kind<S, Req, Answer> {
            path: &'static str,
            types: PhantomData<fn(S, Req) -> Answer>,
        }

        impl<S, Req, Answer> $kind<S, Req, Answer> {
            /// Only the generated constants call this: the path and the types come
            /// from one method of the contracts.
            #[doc(hidden)]
            pub const fn new(path: &'static str) -> Self {
                Self {
                    path,
                    types: PhantomData,
                }
            }

            /// `/package.Service/Method`, the HTTP/2 path of the call.
            pub const fn path(&self) -> &'static str {
                self.path
            }
        }

        impl<S, Req, Answer> Clone for $kind<S, Req, Answer> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<S, Req, Answer> Copy for $kind<S, Req, Answer> {}

        impl<S, Req, Answer> fmt::Debug for $kind<S, Req, Answer> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.path)
            }
        }
    };
}

method_kind!(
    /// A unary method without side effects: identical calls give equal answers.
    Read
);
method_kind!(
    /// A unary method that may change state.
    Unary
);
method_kind!(
    /// A method that answers with a stream of `Answer` messages.
    ServerStreaming
);
