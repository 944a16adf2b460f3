import { defineConfig } from 'vite';

// One build for every stage: the API URL, the stage and the OIDC settings come from /config.json at run time.
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Fonts and images stay files: the Content-Security-Policy allows 'self', not data: fonts.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
});
