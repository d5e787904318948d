import { defineConfig } from 'vite';

// The API serves the build at /console (index.html) and /console/assets/{name} (flat files only:
// .js .css .svg .json .txt), so every asset is one flat, hashed file and nothing is inlined into
// the HTML (the page's CSP allows no inline script or style).
export default defineConfig({
  base: '/console/',
  build: {
    outDir: '../chalicelib/console_dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2020',
    sourcemap: false,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  server: { proxy: { '^/(auth|applications)': 'http://127.0.0.1:8000' } },
});
