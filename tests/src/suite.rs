//! The one macro that turns a port's conformance suite into tests: a module per
//! adapter, a test per case, each case on a fresh fixture of its adapter.
//!
//! ```ignore
//! travel_tests::suite! {
//!     adapters: [sqlite, #[cfg(feature = "infra")] mysql],
//!     fixture: { |make| make().await; |f| { f.finish().await } },
//!     cases: {
//!         migrations_are_idempotent(f.store.as_ref()),
//!         concurrent_writers_lose_and_duplicate_nothing [4] (f.store.clone()),
//!     },
//! }
//! ```
//!
//! For adapter `sqlite` this declares `mod sqlite` with `#[tokio::test] async fn
//! migrations_are_idempotent()`, which binds `make` to `super::sqlite`, `f` to the
//! setup's value, awaits `super::migrations_are_idempotent(f.store.as_ref())`, then
//! runs the teardown block (`{}` for none). A case's arguments may name `make` (a second
//! fixture) and `f`. `[n]` runs a case on a multi-thread runtime of n workers, for
//! the cases about concurrent clients.

#[macro_export]
macro_rules! suite {
    (
        adapters: [$($(#[$cfg:meta])* $adapter:ident),+ $(,)?],
        fixture: $fixture:tt,
        cases: $cases:tt $(,)?
    ) => {
        $(
            $(#[$cfg])*
            mod $adapter {
                $crate::suite!(@cases $adapter, $fixture, $cases);
            }
        )+
    };
    (
        @cases $adapter:ident,
        { |$make:ident| $setup:expr; |$f:ident| $teardown:block $(;)? },
        { $($case:ident $([$threads:literal])? ($($arg:expr),* $(,)?)),+ $(,)? }
    ) => {
        $(
            $crate::suite!(@case [$($threads)?] $case {
                let $make = super::$adapter;
                let $f = $setup;
                super::$case($($arg),*).await;
                $teardown
            });
        )+
    };
    (@case [] $case:ident $body:block) => {
        #[tokio::test]
        #[allow(unused_braces)] // the teardown block
        async fn $case() $body
    };
    (@case [$threads:literal] $case:ident $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
        #[allow(unused_braces)] // the teardown block
        async fn $case() $body
    };
}
