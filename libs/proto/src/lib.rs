//! The gRPC contracts of the mesh, generated at build time from `proto/`.
//!
//! Packages are versioned (`travel.currency.v1`, ...); a breaking change gets a new
//! package next to the old one rather than an edit in place.

#![allow(clippy::all, clippy::pedantic)]

pub mod rpc;

pub mod common {
    pub mod v1 {
        tonic::include_proto!("travel.common.v1");
    }
}

pub mod meta {
    pub mod v1 {
        tonic::include_proto!("travel.meta.v1");

        /// The RPCs of this package as typed constants.
        pub mod rpc {
            include!(concat!(env!("OUT_DIR"), "/travel.meta.v1.rpc.rs"));
        }
    }
}

pub mod currency {
    pub mod v1 {
        tonic::include_proto!("travel.currency.v1");

        /// The RPCs of this package as typed constants.
        pub mod rpc {
            include!(concat!(env!("OUT_DIR"), "/travel.currency.v1.rpc.rs"));
        }
    }
}

pub mod history {
    pub mod v1 {
        tonic::include_proto!("travel.history.v1");

        /// The RPCs of this package as typed constants.
        pub mod rpc {
            include!(concat!(env!("OUT_DIR"), "/travel.history.v1.rpc.rs"));
        }
    }
}

pub mod ranking {
    pub mod v1 {
        tonic::include_proto!("travel.ranking.v1");

        /// The RPCs of this package as typed constants.
        pub mod rpc {
            include!(concat!(env!("OUT_DIR"), "/travel.ranking.v1.rpc.rs"));
        }
    }
}

pub mod alerts {
    pub mod v1 {
        tonic::include_proto!("travel.alerts.v1");

        /// The RPCs of this package as typed constants.
        pub mod rpc {
            include!(concat!(env!("OUT_DIR"), "/travel.alerts.v1.rpc.rs"));
        }
    }
}

pub mod ingest {
    pub mod v1 {
        tonic::include_proto!("travel.ingest.v1");
    }
}

/// Encoded `FileDescriptorSet` of every package above, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/travel_descriptor.bin"));

impl common::v1::Decimal {
    pub fn new(value: impl ToString) -> Self {
        Self {
            value: value.to_string(),
        }
    }
}
