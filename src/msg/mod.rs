//! SSH message numbers and the one table that says which may arrive in which phase.

mod numbers;
pub(crate) mod phase;

pub use numbers::*;
pub use phase::message_name;
// Public only with the `internals` feature (src/internals.rs): the phase table is the engine's
// own business.
pub(crate) use phase::{Admission, Phase, admits};
