//! SSH message numbers and the one table that says which may arrive in which phase.

mod numbers;
mod phase;

pub use numbers::*;
pub use phase::{Admission, Phase, admits, message_name};
