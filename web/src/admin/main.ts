import { mount } from 'svelte';
import '../lib/base.css';
import '../wfm/wfm.css';
import './admin.css';
import App from './App.svelte';

mount(App, { target: document.getElementById('app')! });
