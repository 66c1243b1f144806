import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // web/public still holds the pre-dashboard placeholder page the API tests serve; copying it
  // would overwrite the built index.html.
  publicDir: false,
  build: { outDir: "dist", emptyOutDir: true },
  server: {
    // `npm run dev` against an API on :8080 (same-origin in production, proxied here).
    proxy: { "/api": "http://127.0.0.1:8080", "/webhooks": "http://127.0.0.1:8080" },
  },
});
