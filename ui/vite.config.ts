import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The Loupe server serves ui/dist at "/" and the JSON API under /api/v1/ on the
// same port. For `npm run dev`, point LOUPE_API at a running server (or at
// tests/ui/mock_api.mjs) and Vite proxies /api to it.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: { '/api': process.env.LOUPE_API || 'http://127.0.0.1:9090' },
  },
});
