// Entry of widget.js: `<script src="https://center.example/widget.js" data-org="demo-retail" defer>`.
// Mounts the chat in a Shadow DOM so the host page's CSS and ours never meet.
import { mount } from 'svelte';
import Widget from './Widget.svelte';
import { WidgetClient } from './client';
import css from './widget.css?inline';

const script = document.currentScript as HTMLScriptElement | null;

function init(): void {
  if (document.getElementById('homeshore-chat')) return;
  const org = script?.dataset.org ?? '';
  const base = script?.src ? new URL('.', script.src).toString() : new URL('/', location.href).toString();
  const host = document.createElement('div');
  host.id = 'homeshore-chat';
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: 'open' });
  try {
    // Constructed style sheets are not inline styles: they work under a strict CSP.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement('style');
    style.textContent = css;
    root.appendChild(style);
  }
  mount(Widget, { target: root, props: { client: new WidgetClient(base, org), title: script?.dataset.title } });
}

if (document.body) init();
else document.addEventListener('DOMContentLoaded', init);
