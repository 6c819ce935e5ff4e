// Vite's settings for the dashboard (docs/web.md). The server serves index.html at /
// and the flat files of assets/ (src/api/web.c), so everything goes to assets/ with
// hashed names; the output directory is given by tools/web-build (the build tree).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        // The chart libraries in chunks of their own: they change less often than the app.
        manualChunks(id: string) {
          if (id.includes("node_modules/echarts") || id.includes("node_modules/zrender")) {
            return "echarts";
          }
          if (id.includes("node_modules/lightweight-charts") || id.includes("node_modules/fancy-canvas")) {
            return "charts";
          }
          return undefined;
        },
      },
    },
  },
});
