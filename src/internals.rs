//! Engine parts that are not its API, public only for sshgate's own benchmarks, fuzzer and tests
//! (the `internals` feature, which `test-hooks` turns on too). No stability promise: an
//! application drives a [`crate::Connection`] and never needs these. quinn-proto keeps its
//! fuzzing entry points behind a cfg the same way.

pub use crate::kex::ephemeral::ClientEphemeral;
pub use crate::kex::hash::{derive_key, exchange_hash};
pub use crate::msg::phase::{Admission, Phase, admits};
pub use crate::transport::cipher::direction_keys::DirectionKeys;
pub use crate::transport::cipher::opener::PacketOpener;
pub use crate::transport::cipher::sealer::PacketSealer;
pub use crate::wire::reader::Reader;
