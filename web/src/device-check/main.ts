import { mount } from 'svelte';
import '../lib/base.css';
import DeviceCheck from './DeviceCheck.svelte';

mount(DeviceCheck, { target: document.getElementById('app')! });
