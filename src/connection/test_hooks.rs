//! Testing aids for the engine's own integration tests: only with the `test-hooks` feature.

use super::Connection;

impl Connection {
    /// Payloads (and their bytes) held back while a key exchange runs.
    #[doc(hidden)]
    #[must_use]
    pub fn held_output_for_tests(&self) -> (usize, usize) {
        self.transport.held_output()
    }

    /// Pretends `sent` and `received` packets have passed under the current keys, as if the
    /// connection had run that long (2^31 packets cannot be pushed through a test).
    #[doc(hidden)]
    pub fn pretend_packets_for_tests(&mut self, sent: u64, received: u64) {
        self.transport.pretend_packets(sent, received);
    }
}
