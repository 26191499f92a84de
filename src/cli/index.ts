export { main, buildProgram } from './main.ts';
export { makeIo, memoryIo, type Io } from './io.ts';
