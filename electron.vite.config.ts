import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';
import { rendererCsp, trainingHostCsp } from './src-shared/csp';

/** The renderer's CSP as a meta tag in index.html, from the one definition the browser-mode server also sends. */
const cspMeta = (): Plugin => ({
  name: 'renderer-csp-meta',
  transformIndexHtml: () => [
    { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: rendererCsp }, injectTo: 'head-prepend' },
  ],
});

/**
 * The desktop app's hidden WebGPU window is a page built from src-main/electron/training-host/host.ts (it shares the
 * trainer with the training process, so it lives with it rather than in src-renderer). Vite names an HTML entry by
 * its path under the renderer root, so the page is built as a script entry and its HTML written here.
 */
const trainingHostPage = (): Plugin => ({
  name: 'training-host-page',
  generateBundle(_options, bundle) {
    const entry = Object.values(bundle).find((c) => c.type === 'chunk' && c.isEntry && c.name === 'training-host');
    if (!entry) return;
    this.emitFile({
      type: 'asset',
      fileName: 'training-host.html',
      source: [
        '<!doctype html>',
        '<html>',
        '<head>',
        '<meta charset="utf-8" />',
        `<meta http-equiv="Content-Security-Policy" content="${trainingHostCsp}" />`,
        '<title>VAE Workbench training (WebGPU)</title>',
        `<script type="module" crossorigin src="./${entry.fileName}"></script>`,
        '</head>',
        '<body></body>',
        '</html>',
        '',
      ].join('\n'),
    });
  },
});

// Our folders are not electron-vite's defaults (src/main, src/preload, src/renderer), so every entry is named.
// The main build also carries the Node-only entries (CLI, browser-mode server, training worker, benchmarks):
// they share the store and engine code and must run under plain Node without Electron.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Optional native backends and the benchmark's browser driver are loaded at run time, never bundled.
      externalizeDeps: {
        include: [
          '@tensorflow/tfjs-node',
          '@tensorflow/tfjs-node-gpu',
          'webgpu',
          'playwright-core',
          'ioredis',
          'koffi',
        ],
      },
      lib: {
        entry: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          cli: resolve(__dirname, 'src-main/cli/index.ts'),
          'training-worker': resolve(__dirname, 'src-main/training/worker.ts'),
          'latent-worker': resolve(__dirname, 'src-main/latent/worker.ts'),
          'report-worker': resolve(__dirname, 'src-main/reports/render-worker.ts'),
          'bench-train': resolve(__dirname, 'src-main/bench/train.ts'),
          'bench-ui': resolve(__dirname, 'src-main/bench/ui.ts'),
          'bench-sweep': resolve(__dirname, 'src-main/bench/sweep.ts'),
          'bench-profile': resolve(__dirname, 'src-main/bench/profile.ts'),
          'bench-compare': resolve(__dirname, 'src-main/bench/compare.ts'),
          'bench-parity': resolve(__dirname, 'src-main/bench/parity.ts'),
          'bench-pca': resolve(__dirname, 'src-main/bench/pca.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      lib: {
        entry: {
          index: resolve(__dirname, 'src-main/electron/preload.ts'),
          'training-host': resolve(__dirname, 'src-main/electron/training-host-preload.ts'),
        },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [svelte(), cspMeta(), trainingHostPage()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src-renderer/index.html'),
          'training-host': resolve(__dirname, 'src-main/electron/training-host/host.ts'),
        },
      },
    },
  },
});
