//! The ranking service: destination selections and popularity rankings over gRPC.
