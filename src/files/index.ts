/**
 * Reading untrusted input files (the I/O side of the pure core's `readFile` callbacks): regular
 * files only, bounded sizes, and file references confined to the project root. Writing the
 * output files a user names, with errors that say which path and why.
 */
export {
  DEFAULT_LIMITS,
  projectRoot,
  readInputFile,
  readLimits,
  readStdin,
  referenceReader,
  type ReadInputOptions,
  type ReadLimits,
  type ReferenceReaderOptions,
} from './read.ts';
export { writeOutputFile } from './write.ts';
