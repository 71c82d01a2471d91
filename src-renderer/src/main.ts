import { mount } from 'svelte';
import App from './app.svelte';
import { connect } from './lib/client';
import './styles.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target, props: { client: connect() } });
