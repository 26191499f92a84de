export { main } from './main.ts';
export { memoryIo } from './io.ts';
