import { beforeAll } from 'vitest';
import { quietTfjs } from '../tfjs-quiet';

// Test files import TF.js (when they use it) before hooks run: silence its banner as the app's entries do.
beforeAll(() => quietTfjs());
