//! RFC 4251 §5 data types: `byte`, `boolean`, `uint32`, `uint64`, `string`, `mpint`, `name-list`.
//!
//! [`Reader`] bounds every length by what is actually left in the buffer before it hands out a
//! slice, so a hostile length can never cause an allocation; decoders call [`Reader::finish`] to
//! reject trailing bytes. [`Writer`] appends to a `Vec<u8>`.

pub(crate) mod reader;
mod writer;

// Public only with the `internals` feature (src/internals.rs), for the fuzzer's decoder target.
pub(crate) use reader::Reader;
pub use writer::Writer;

/// Why a wire decoder refused its input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The input ended before the field `what`.
    Truncated(&'static str),
    /// Bytes were left over after the last field.
    TrailingBytes(usize),
    /// A field's value is not allowed (the text says which and why).
    Invalid(&'static str),
}

impl core::fmt::Display for WireError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WireError::Truncated(what) => write!(f, "message truncated at {what}"),
            WireError::TrailingBytes(n) => write!(f, "{n} unexpected trailing bytes"),
            WireError::Invalid(what) => write!(f, "invalid {what}"),
        }
    }
}

impl std::error::Error for WireError {}

#[cfg(test)]
mod tests;
