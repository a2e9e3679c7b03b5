// npm run stop: stops a stack started by `npm start` in another terminal.
import { stopRunningStack } from '../platform/control.ts';
import { stateDir } from '../platform/env.ts';

console.log((await stopRunningStack(stateDir)) ? 'Stopped.' : 'No local stack is running.');
