import { mount } from 'svelte';
import App from './app.svelte';
import { connect } from './lib/client';
import './styles.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
try {
  mount(App, { target, props: { client: connect() } });
} catch (error) {
  // Nothing else can be shown without a client: say what failed where the app would have been.
  const box = document.createElement('p');
  box.className = 'start-error';
  box.setAttribute('role', 'alert');
  box.textContent = (error as Error).message;
  target.replaceChildren(box);
}
