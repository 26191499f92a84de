/**
 * Reading untrusted input files (the I/O side of the pure core's `readFile` callbacks): regular
 * files only, bounded sizes, and file references confined to the project root.
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
