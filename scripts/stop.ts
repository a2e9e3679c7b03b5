// npm run stop: stops a stack started by `npm start` in another terminal.
import { stopRunningStack } from './local/control.ts';
import { stateDir } from './local/env.ts';

console.log((await stopRunningStack(stateDir)) ? 'Stopped.' : 'No local stack is running.');
