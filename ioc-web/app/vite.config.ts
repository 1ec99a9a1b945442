import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The app is served by the ioc-web Fastify server from this folder's dist/, with an SPA
// fallback to index.html, so every asset URL is absolute from the site root.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The wall's lazy chunk carries maplibre and deck.gl (about 1.8 MB, 0.5 MB gzipped); the
    // login page and console do not load it.
    chunkSizeWarningLimit: 2_000,
  },
});
