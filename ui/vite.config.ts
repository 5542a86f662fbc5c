/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Tauri serves dist/ through its custom protocol: relative asset paths.
export default defineConfig({
  base: "./",
  plugins: [react()],
  clearScreen: false,
  // src-tauri/tauri.conf.json: devUrl http://localhost:5173
  server: { port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    target: "es2021",
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./test/setup.ts"],
    include: ["test/**/*.test.{ts,tsx}"],
    pool: "threads",
    maxWorkers: 2,
    // A guard against a hung test, not a speed check: on two busy cores a
    // screen with hundreds of rows takes seconds in jsdom (5 s, the default,
    // failed a 250-entry chart while cargo built beside it).
    testTimeout: 30_000,
  },
});
