// The worker side of connect({ worker }): runs connect() here and exposes what it returns
// through js/rpc.js. `offThread` tells the page (and the tests) where the engine ran.
import { connect, SshError } from './index.js';
import { createEndpoint } from './rpc.js';

const ep = createEndpoint(self, {
  errors: { SshError },
  root: {
    async connect(options) {
      const conn = await connect({ ...options, worker: false });
      conn.offThread = true;
      // State the page reads synchronously (closed, closeReason) follows the close event.
      conn.on('close', () => ep.publish(conn));
      return conn;
    },
  },
});
