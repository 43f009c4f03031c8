// The chat widget: one self-contained script (`dist/widget.js`) that customers' sites load
// with `<script src=".../widget.js" data-org="...">`. Its CSS is bundled as a string and
// applied inside the widget's Shadow DOM, so the host page's styles never leak in.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { resolve } from 'node:path';

export default defineConfig({
  plugins: [svelte({ compilerOptions: { css: 'external' } })],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2020',
    cssCodeSplit: false,
    lib: {
      entry: resolve(import.meta.dirname, 'src/widget/main.ts'),
      name: 'HomeshoreWidget',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
});
