/**
 * The console's build: static assets in dist/, content-hashed under dist/assets/ (so the server can cache
 * them for a year) and an index.html that loads them with no inline script (the server's CSP allows none).
 * JSX is compiled by Vite's own transform; no plugin is needed for a production build.
 */
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // the module-preload polyfill would be an inline script
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    rolldownOptions: {
      // React libraries mark their modules "use client", which means nothing in a client-only bundle
      onLog(level, log, handler) {
        if (log.code === "MODULE_LEVEL_DIRECTIVE") return;
        handler(level, log);
      },
    },
  },
  server: {
    // `npx vite` in console/ for development, against `npm run serve -- --engine simulated` on 8080
    proxy: { "/v1": "http://127.0.0.1:8080", "/auth": "http://127.0.0.1:8080" },
  },
});
