// The terminal page: `npm run build` (after scripts/build-pkg.sh made ../pkg) writes www/dist,
// which `sshgate-host demo` (and `bridge`/`serve` with --static) serves.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  resolve: { alias: { sshgate: here('../pkg/index.js') } },
  build: { outDir: here('dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  // The connection's Web Worker (js/offthread.js) is a module worker with dynamic imports.
  worker: { format: 'es' },
  server: { fs: { allow: [here('..')] } },
});
