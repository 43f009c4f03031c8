import { mount } from 'svelte';
import '../lib/base.css';
import './wfm.css';
import App from './App.svelte';

const el = document.getElementById('app')!;
const page = (el.dataset.page ?? 'planner') as 'planner' | 'my-hours' | 'adherence' | 'live' | 'reports' | 'insight' | 'users';
mount(App, { target: el, props: { page } });
