// The pages: landing, agent desktop, device check, workforce pages (planning, my hours,
// adherence, live, reports, insight), users and sign-in (admins), admin (queues, agents, configuration),
// the 404 page, and a demo shop that embeds the widget.
// The widget itself is a separate library build (vite.widget.config.ts).
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { resolve } from 'node:path';

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline assets as data: URLs in scripts; keeps the CSP simple.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        home: resolve(import.meta.dirname, 'index.html'),
        agent: resolve(import.meta.dirname, 'agent/index.html'),
        deviceCheck: resolve(import.meta.dirname, 'device-check/index.html'),
        demoShop: resolve(import.meta.dirname, 'demo-shop.html'),
        wfm: resolve(import.meta.dirname, 'wfm/index.html'),
        myHours: resolve(import.meta.dirname, 'my-hours/index.html'),
        adherence: resolve(import.meta.dirname, 'adherence/index.html'),
        live: resolve(import.meta.dirname, 'live/index.html'),
        reports: resolve(import.meta.dirname, 'reports/index.html'),
        insight: resolve(import.meta.dirname, 'insight/index.html'),
        users: resolve(import.meta.dirname, 'users/index.html'),
        admin: resolve(import.meta.dirname, 'admin/index.html'),
        notFound: resolve(import.meta.dirname, '404.html'),
      },
    },
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true }, '/healthz': 'http://127.0.0.1:8080' } },
});
