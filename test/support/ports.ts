export { freePort } from '../../scripts/local/ports.ts';
